"""Printing: bundles to a CUPS queue with ``lp``, one combined print file, address sheets.

``print_bundles`` sends each recipient's bundle to the queue as its own job (one ``lp`` call
per bundle, so the queue lists every district by name) and tells ``on_printed`` the moment
CUPS accepted it: the outgoing register records it there, so a run stopped half-way keeps
what went. A code in ``already_printed`` is skipped: however often the clerk runs the
command, each bundle is printed once. The first ``lp`` that fails (no such queue, no default
printer, CUPS not running, ``lp`` not installed) ends the run with a ``DispatchError`` that
says what to do; what printed before it stays recorded.

``print_file`` writes one PDF of all bundles in the order given (the recipients' order) for a
clerk who prints by hand; with ``duplex`` every bundle starts on a new sheet. ``address_sheet``
renders the envelopes (DL, 110 x 220 mm) or A4 label sheets with each district's postal
address and the sender, from ``templates/address-sheet.html.j2``.

``print_built`` and ``write_print_files`` do these for the bundles of a build
(``letters.manifest.Built``): ``letters print`` and ``letters print --file-only``.

Collaborators at the edge are parameters: the command runner, the register's callback.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from letters import thai
from letters.config import Member
from letters.errors import DispatchError, OutputError
from letters.manifest import pending

if TYPE_CHECKING:
    from letters.directive import Letter
    from letters.fonts import FontSet
    from letters.manifest import Built
    from letters.register import Register

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]
AddressStyle = Literal["dl", "labels"]

LP = "lp"
LP_TIMEOUT_S = 60.0  # one lp call: it only hands the file to the local scheduler
DUPLEX = "sides=two-sided-long-edge"

# The envelope and the label sheet: measures in millimetres, type in points.
DL_WIDTH_MM = 220.0  # the envelope as it is fed: 220 mm wide, 110 mm high
DL_HEIGHT_MM = 110.0
LABEL_WIDTH_MM = 99.1  # 2 x 7 labels on A4 (the common 14-label sheet)
LABEL_HEIGHT_MM = 38.1
LABEL_COLUMNS = 2
LABEL_ROWS = 7
LABEL_GAP_MM = 2.5  # between the two columns
SENDER_PT = 14.0  # the sender's lines, small (TH Sarabun points, as every size)
LABEL_ADDRESS_PT = 16.0  # the address on a label, as in the letter

_REQUEST_ID = re.compile(r"request id is (\S+)")
_TRY_AGAIN = "แก้แล้วสั่งคำสั่งเดิมอีกครั้ง: ชุดที่พิมพ์แล้วจะไม่พิมพ์ซ้ำ (หรือใช้ letters print --file-only แล้วพิมพ์เอง)"
_NAME_QUEUE = (
    "ระบุชื่อเครื่องพิมพ์ด้วย --printer QUEUE หรือ dispatch.printer ใน config.yaml (ดูชื่อด้วย lpstat -p)"
)


@dataclass(frozen=True)
class PrintJob:
    """One recipient's bundle to print."""

    code: str
    name: str
    bundle: Path

    @property
    def title(self) -> str:
        """The job's name in the print queue: the bundle's file name without ``.pdf``."""
        return self.bundle.stem


@dataclass(frozen=True)
class Printed:
    """A bundle the queue accepted."""

    code: str
    name: str
    job_id: str | None  # CUPS's request id, ``QUEUE-123``; None when lp did not say one


def run_lp(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``lp`` (or any command) and capture what it says, in English, bounded in time."""
    env = {**os.environ, "LC_ALL": "C.UTF-8"}  # lp's replies are parsed: no translations
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=LP_TIMEOUT_S,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def lp_command(job: PrintJob, *, printer: str | None, copies: int, duplex: bool) -> list[str]:
    """``lp [-d QUEUE] -n COPIES [-o sides=two-sided-long-edge] -t TITLE -- FILE``."""
    argv = [LP]
    if printer:
        argv += ["-d", printer]
    argv += ["-n", str(copies)]
    if duplex:
        argv += ["-o", DUPLEX]
    argv += ["-t", job.title, "--", str(job.bundle)]
    return argv


def job_id(output: str) -> str | None:
    """The request id in lp's answer ``request id is QUEUE-123 (1 file(s))``."""
    found = _REQUEST_ID.search(output)
    return found.group(1) if found else None


def print_bundles(
    jobs: Sequence[PrintJob],
    *,
    printer: str | None,
    copies: int = 1,
    duplex: bool = False,
    run: Runner = run_lp,
    already_printed: AbstractSet[str] = frozenset(),
    on_printed: Callable[[str, str | None], None],
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Printed]:
    """Send every bundle whose code is not in ``already_printed`` to the queue, one job each.

    ``printer`` None uses the system's default queue. ``on_printed(code, job_id)`` is called
    as soon as lp accepted a bundle, before the next one goes; if it raises (the register
    cannot be written), the run stops there. Raises ``DispatchError`` before printing anything
    when a bundle file is missing, and at the first lp that fails.
    """
    if copies < 1:
        raise DispatchError(f"--copies {copies}: จำนวนชุดต้องเป็น 1 ขึ้นไป (copies must be at least 1)")
    todo = pending(jobs, already_printed)
    _check_files(todo, "ยังไม่ได้พิมพ์ชุดใด")
    printed: list[Printed] = []
    for n, job in enumerate(todo, 1):
        argv = lp_command(job, printer=printer, copies=copies, duplex=duplex)
        accepted, said = _run(run, argv, printer)
        if not accepted:
            raise DispatchError(_failure(job, said or "", len(printed), len(todo) - len(printed)))
        on_printed(job.code, said)
        printed.append(Printed(job.code, job.name, said))
        if progress is not None:
            progress(n, len(todo), job.name)
    return printed


def _run(run: Runner, argv: list[str], printer: str | None) -> tuple[bool, str | None]:
    """Run one lp: (True, its request id) when the queue took the job, else (False, why)."""
    try:
        done = run(argv)
    except FileNotFoundError:
        return False, (
            "ไม่พบคำสั่ง lp (lp not found): ติดตั้งระบบการพิมพ์ CUPS (apt-get install cups-client) "
            "หรือใช้ letters print --file-only แล้วพิมพ์ไฟล์รวมเอง"
        )
    except subprocess.TimeoutExpired:
        return False, (
            f"lp ไม่ตอบภายใน {LP_TIMEOUT_S:.0f} วินาที (lp timed out): "
            "ตรวจว่าบริการ CUPS ทำงานอยู่ (lpstat -r)"
        )
    except OSError as exc:
        return False, f"เรียก lp ไม่ได้ (cannot run lp): {exc.strerror or exc}"
    said = " ".join(f"{done.stderr or ''} {done.stdout or ''}".split())
    if done.returncode != 0:
        return False, _explain(said, printer)
    return True, job_id(done.stdout or "")


def _explain(said: str, printer: str | None) -> str:
    """lp's complaint as a clerk needs it: what is wrong and what to do."""
    text = said.lower()
    queue = f" '{printer}'" if printer else ""
    if "does not exist" in text:
        what = f"ไม่มีเครื่องพิมพ์{queue} (no such printer queue): {_NAME_QUEUE}"
    elif "no default destination" in text:
        what = f"ยังไม่ได้ตั้งเครื่องพิมพ์หลัก (no default printer): {_NAME_QUEUE}"
    elif "not accepting" in text:
        what = (
            f"เครื่องพิมพ์{queue} ไม่รับงาน (not accepting jobs): ให้ผู้ดูแลเปิดรับงาน "
            f"(cupsaccept) หรือ{_NAME_QUEUE}"
        )
    elif any(w in text for w in ("scheduler not responding", "unable to connect", "refused")):
        what = (
            "ติดต่อบริการพิมพ์ CUPS ไม่ได้ (print service not running): "
            "เปิดบริการ CUPS (เช่น systemctl start cups) แล้วตรวจด้วย lpstat -r"
        )
    elif any(w in text for w in ("forbidden", "not authorized", "authentication")):
        what = f"ไม่ได้รับสิทธิ์ส่งงานพิมพ์ (not authorized): ให้ผู้ดูแลเพิ่มสิทธิ์ หรือ{_NAME_QUEUE}"
    else:
        what = f"lp ส่งงานไม่สำเร็จ (lp failed): {_NAME_QUEUE}"
    if said:
        what += f" [lp: {said[:200]}]"
    return what


def _failure(job: PrintJob, reason: str, done: int, left: int) -> str:
    return (
        f"พิมพ์ชุดของ {job.code} {job.name} ไม่ได้ (print failed): {reason}\n"
        f"ส่งเข้าเครื่องพิมพ์แล้ว {done} ชุด (บันทึกในทะเบียนแล้ว), ยังไม่ได้พิมพ์ {left} ชุด: " + _TRY_AGAIN
    )


def _check_files(jobs: Sequence[PrintJob], nothing_done: str) -> None:
    missing = [str(j.bundle) for j in jobs if not j.bundle.is_file()]
    if missing:
        raise DispatchError(
            "ไม่พบไฟล์ชุดหนังสือ (missing bundle): "
            + ", ".join(missing)
            + f"; สร้างใหม่ด้วย letters build แล้วสั่งอีกครั้ง {nothing_done}"
        )


# -- one print file ----------------------------------------------------------------------------


def print_file(jobs: Sequence[PrintJob], *, duplex: bool, out: Path) -> Path:
    """Write ``out``: every bundle in the order given, each with an outline entry.

    With ``duplex`` a blank page follows each bundle of an odd number of pages (but the
    last), so that every bundle starts on the front of a new sheet. Equal input, equal bytes.
    The file is written beside ``out`` and moved into place when complete.
    """
    import pikepdf

    from letters.render import saved

    if not jobs:
        raise DispatchError("ไม่มีชุดหนังสือให้พิมพ์ (nothing to print): สร้างด้วย letters build ก่อน")
    _check_files(jobs, "ยังไม่ได้เขียนไฟล์")
    with pikepdf.new() as pdf:
        starts = []
        for index, job in enumerate(jobs):
            first = len(pdf.pages)
            try:
                with pikepdf.open(io.BytesIO(job.bundle.read_bytes())) as bundle:
                    pdf.pages.extend(bundle.pages)
            except (pikepdf.PdfError, OSError, ValueError, KeyError, TypeError) as exc:
                raise DispatchError(
                    f"{job.bundle}: อ่านไฟล์ชุดหนังสือไม่ได้ (cannot read bundle): {exc}; "
                    "สร้างใหม่ด้วย letters build แล้วสั่งอีกครั้ง"
                ) from None
            starts.append((thai.thai_digits(f"{job.code} {job.name}"), first))
            if duplex and (len(pdf.pages) - first) % 2 == 1 and index < len(jobs) - 1:
                box = pdf.pages[-1].mediabox
                pdf.add_blank_page(page_size=(float(box[2] - box[0]), float(box[3] - box[1])))
        with pdf.open_outline() as outline:
            outline.root.extend(pikepdf.OutlineItem(title, page) for title, page in starts)
        pdf.Root.PageMode = pikepdf.Name.UseOutlines
        data = saved(pdf)
    _write_atomically(out, data)
    return out


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` to a file beside ``path``, then moved into place: never half a file there."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(
            f"{path}: เขียนไฟล์ไม่ได้ (cannot write): {exc.strerror or exc}; "
            "ตรวจพื้นที่ดิสก์หรือสิทธิ์ของโฟลเดอร์แล้วสั่งใหม่"
        ) from None


# -- envelopes and labels ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Address:
    """One recipient's address as printed: digits Thai, directory names marked whole."""

    number: str | None  # ที่ ... of the letter to this recipient, when known
    salutation: str  # เรียน, as the recipients' group has it
    title: tuple[tuple[str, bool], ...]  # the recipient's title, as runs (text, keep whole)
    lines: tuple[tuple[tuple[str, bool], ...], ...]  # the postal lines, as runs


def address_sheet(
    letter: Letter,
    members: Sequence[Member],
    *,
    style: AddressStyle,
    fonts: FontSet,
    numbers: Mapping[str, str] | None = None,
) -> bytes:
    """The address sheet of ``members``, in their order, as PDF bytes.

    ``dl``: one DL envelope (220 x 110 mm) per recipient: the sender small at the top left
    (with the letter's ที่ when ``numbers`` gives it: code -> the printed ที่ line, as the
    build's manifest keeps it, and the speed stamp when the letter has one), the recipient's
    title and postal lines on the right half. ``labels``: A4 sheets of 2 x 7 labels
    (99.1 x 38.1 mm), one label per recipient, the sender in small type on each.
    The secrecy class is never printed: an outer envelope must not show it.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters.fonts import FAMILY
    from letters.render import DeclaredFiles, template_environment, write_pdf
    from letters.resources import resource_dir

    if style not in ("dl", "labels"):
        raise DispatchError(f"'{style}': ไม่รู้จักแบบ (unknown style); ใช้ได้: dl, labels")
    if not members:
        raise DispatchError("ไม่มีผู้รับ (no recipients): ไม่มีที่อยู่ให้พิมพ์")
    names = letter.directory_names
    salutation = letter.group.salutation

    def runs(text: str) -> tuple[tuple[str, bool], ...]:
        return tuple(thai.split_names(thai.thai_digits(text), names))

    addresses = [
        _Address(
            number=thai.thai_digits(numbers[m.code]) if numbers and m.code in numbers else None,
            salutation=salutation,
            title=runs(m.title),
            lines=tuple(runs(line) for line in m.postal),
        )
        for m in members
    ]
    office = letter.config.model.office
    speed = letter.directive.speed
    per_sheet = LABEL_COLUMNS * LABEL_ROWS
    html = (
        template_environment()
        .get_template("address-sheet.html.j2")
        .render(
            style=style,
            addresses=addresses,
            sheets=[addresses[i : i + per_sheet] for i in range(0, len(addresses), per_sheet)],
            sender=[thai.thai_digits(line) for line in (office.name, *office.address)],
            speed=speed if speed != "ปกติ" else None,
            fonts=fonts.faces,
            family=FAMILY,
            L=letter.config.model.layout,
            dl=(DL_WIDTH_MM, DL_HEIGHT_MM),
            label=(LABEL_WIDTH_MM, LABEL_HEIGHT_MM),
            columns=LABEL_COLUMNS,
            rows=LABEL_ROWS,
            gap=LABEL_GAP_MM,
            sender_pt=SENDER_PT,
            label_pt=LABEL_ADDRESS_PT,
            title=thai.thai_digits(f"ที่อยู่ผู้รับ: {letter.directive.subject}"),
            author=office.name,
            created=letter.directive.date.isoformat(),
        )
    )
    fetcher = DeclaredFiles.of_fonts(fonts)  # the fonts, nothing else
    document = HTML(
        string=html, base_url=str(resource_dir("templates")), url_fetcher=fetcher
    ).render(font_config=FontConfiguration())
    return write_pdf(document, letter.directive.date)


# -- letters print ----------------------------------------------------------------------------


def jobs_of(letter: Letter, built: Built) -> list[PrintJob]:
    """Each recipient's bundle of the build, in the recipients' order of the manifest."""
    members = {m.code: m for m in letter.recipients}
    return [
        PrintJob(code, members[code].name, bundle.path)
        for code, bundle in built.bundles.items()
        if code in members
    ]


def print_built(
    letter: Letter,
    built: Built,
    register: Register,
    directive_id: str,
    *,
    printer: str | None = None,
    copies: int = 1,
    duplex: bool = False,
    run: Runner = run_lp,
    progress: Callable[[int, int, str], None] | None = None,
) -> str:
    """Each bundle of ``built`` to the CUPS queue ``printer`` (else config.yaml's
    ``dispatch.printer``, else the default queue), once, recorded in ``register``."""
    import datetime as dt

    from letters.register import PRINT

    jobs = jobs_of(letter, built)
    already = register.sent(directive_id, PRINT)

    def record(code: str, job: str | None) -> None:
        register.record_action(directive_id, code, PRINT, dt.datetime.now(), message_id=job)

    printed = print_bundles(
        jobs,
        printer=printer or letter.config.model.dispatch.printer,
        copies=copies,
        duplex=duplex,
        run=run,
        already_printed=already,
        on_printed=record,
        progress=progress,
    )
    skipped = sum(1 for job in jobs if job.code in already)
    return (
        f"ส่งเข้าเครื่องพิมพ์แล้ว (printed) {len(printed)} ชุด, "
        f"ข้ามเพราะพิมพ์ไปแล้ว (already printed) {skipped} ชุด"
    )


def write_print_files(
    letter: Letter, built: Built, *, duplex: bool = False, style: AddressStyle = "dl"
) -> str:
    """``letters print --file-only``: one print file of every bundle and the address sheet
    (``envelopes.pdf`` or ``labels.pdf``) in ``<build>/print/``; says what it wrote."""
    from letters.fonts import letter_fonts

    jobs = jobs_of(letter, built)
    folder = built.folder / "print"
    target = print_file(jobs, duplex=duplex, out=folder / "bundles.pdf")
    members = {m.code: m for m in letter.recipients}
    sheet = address_sheet(
        letter,
        [members[job.code] for job in jobs],
        style=style,
        fonts=letter_fonts(letter.config.folder),
        numbers={code: bundle.number for code, bundle in built.bundles.items()},
    )
    name = "envelopes.pdf" if style == "dl" else "labels.pdf"
    _write_atomically(folder / name, sheet)
    return f"เขียนแล้ว (written): {target} ({len(jobs)} ชุด)\nที่อยู่ (addresses): {folder / name}"
