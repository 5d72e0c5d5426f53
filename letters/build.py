"""``letters build``: directive to a folder of letters, bundles and checklist, all or nothing.

The pipeline: validated ``Letter`` -> numbers from the register -> one ``Copy`` per
recipient -> PDF and DOCX letters -> bundles (letter, enclosures, reply form) -> the
office's checklist. Everything is written to a temporary folder beside the output and moved
into place only when every file is complete, so a failed or killed build leaves the previous
output as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from letters import thai
from letters.config import Member, OfficeConfig
from letters.content import Copy, copy_for
from letters.directive import Letter, load_letter
from letters.errors import InputError, OutputError, Problem
from letters.fonts import FontSet, letter_fonts

if TYPE_CHECKING:
    from letters.checklist import RecipientProgress
    from letters.register import Register

FORMATS = ("pdf", "docx")
REGISTER_NAME = "register.sqlite3"
Progress = Callable[[int, int, str], None]


@dataclass
class BuiltLetter:
    code: str
    name: str
    number: str
    files: dict[str, Path]  # "pdf", "docx", "bundle" -> path inside the output folder
    pages: int  # of the letter
    bundle_pages: int = 0


@dataclass
class BuildResult:
    folder: Path
    letters: list[BuiltLetter]
    warnings: list[str] = field(default_factory=list)
    checklist: list[Path] = field(default_factory=list)
    directive_id: str | None = None  # in the register; None for drafts

    @property
    def pages(self) -> int:
        return sum(b.pages for b in self.letters)

    def summary(self) -> str:
        formats = sorted({fmt.upper() for b in self.letters for fmt in b.files if fmt != "bundle"})
        bundles = sum(1 for b in self.letters if "bundle" in b.files)
        lines = [
            f"เสร็จ (done): หนังสือ {len(self.letters)} ฉบับ ({', '.join(formats)}), {self.pages} หน้า",
        ]
        if bundles:
            pages = sum(b.bundle_pages for b in self.letters)
            lines.append(f"ชุดส่ง (bundles): {bundles} ชุด, {pages} หน้า")
        if self.checklist:
            lines.append(f"แบบติดตาม (checklist): {', '.join(p.name for p in self.checklist)}")
        lines.append(f"ที่ (folder): {self.folder}")
        return "\n".join(lines)


PROGRESS_FROM = 10  # builds of fewer letters finish before a bar would say anything


class ProgressBar:
    """``[#########.........]  312/878  โพนพิสัย`` on one line of a terminal, redrawn in place
    as letters are done (in any order); a line of its own when all are done."""

    def __init__(self, stream: TextIO, *, minimum: int = PROGRESS_FROM, width: int = 30) -> None:
        self.stream = stream
        self.minimum = minimum
        self.width = width

    def __call__(self, done: int, total: int, name: str) -> None:
        if total < self.minimum:
            return
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:>{len(str(total))}}/{total} {name}\033[K")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def progress_bar(stream: TextIO) -> Progress | None:
    """A ``ProgressBar`` when ``stream`` is a terminal; None (quiet) for a file or a pipe."""
    isatty = getattr(stream, "isatty", None)
    return ProgressBar(stream) if isatty is not None and isatty() else None


def parse_formats(value: str) -> tuple[str, ...]:
    """``pdf,docx`` to a tuple; an unknown format is a problem of the command line."""
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in value.split(",") if p.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InputError(
            [
                Problem(
                    "--format",
                    0,
                    0,
                    "",
                    f"ไม่รู้จักรูปแบบ '{','.join(unknown) or value}' (unknown format); "
                    f"ใช้ได้: {', '.join(FORMATS)}",
                )
            ]
        )
    return chosen


def default_out(letter: Letter, *, draft: bool = False, cwd: Path | None = None) -> Path:
    """``out/<directive name>/``; drafts ``out/<directive name>-draft/``, never mixed in."""
    name = f"{letter.name}-draft" if draft else letter.name
    return (cwd or Path.cwd()) / "out" / name


def register_path(config: OfficeConfig, explicit: Path | None = None) -> Path:
    """``--register PATH``, else ``register.sqlite3`` beside config.yaml."""
    return explicit if explicit is not None else config.folder / REGISTER_NAME


TOOL = "letters"  # manifest.json's "tool": this folder is a build's output
MANIFEST = "manifest.json"
# What ``letters print --file-only`` writes into a build's folder (made again from its bundles).
_PRINTED = re.compile(r"print/\.?(bundles|envelopes|labels)\.pdf(\.[0-9]+\.tmp)?")


def check_out(folder: Path, letter: Letter, register: Path | None = None) -> None:
    """Refuse an output folder a build may not replace (``OutputError``), before anything is
    numbered or written.

    A build replaces its output folder whole. It may use a new folder, an empty one, or one
    a build made (its manifest.json says ``"tool": "letters"``) holding only the files that
    build wrote, unchanged (and ``letters print --file-only``'s print files). Never the root,
    the current folder or a folder above it, one holding the directive, config.yaml, the
    register or a file they name, nor a folder whose parent cannot be made or written.
    """
    name = f"out/{letter.name}"
    if folder.parent == folder:
        raise OutputError(
            f"{folder}: ใช้โฟลเดอร์รากเป็นโฟลเดอร์ผลลัพธ์ไม่ได้ (--out cannot be the root folder); "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    for what, path in _inputs(letter, register):
        if path == folder or path.is_relative_to(folder):
            raise OutputError(
                f"{folder}: ใช้เป็นโฟลเดอร์ผลลัพธ์ไม่ได้ เพราะ{what}: {path}; "
                "letters build แทนที่โฟลเดอร์ผลลัพธ์ทั้งโฟลเดอร์: "
                f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
            )
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(
            f"{folder}: มีไฟล์ชื่อนี้อยู่แล้ว ไม่ใช่โฟลเดอร์ (--out is a file); "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    if folder.is_dir():
        _replaceable(folder, name)
    _writable_parent(folder, name)


def _inputs(letter: Letter, register: Path | None) -> list[tuple[str, Path]]:
    """What a build reads, or works in, and must never replace: (why not, resolved path)."""
    config = letter.config
    try:
        cwd: Path | None = Path.cwd()
    except OSError:  # the current folder was removed
        cwd = None
    found: list[tuple[str, Path | None]] = [
        ("เป็นหรือครอบโฟลเดอร์ที่ทำงานอยู่ (--out holds the current folder)", cwd),
        ("มีไฟล์คำสั่งอยู่ในนั้น (--out holds the directive)", letter.path),
        (f"มี {config.path.name} อยู่ในนั้น (--out holds the config)", config.path),
        (
            "มีทะเบียนหนังสือส่งอยู่ในนั้น (--out holds the register)",
            register or config.folder / REGISTER_NAME,
        ),
        ("มีฟอนต์ของสำนักงานอยู่ในนั้น (--out holds the office fonts)", config.folder / "fonts"),
    ]
    found += [
        ("มีสิ่งที่ส่งมาด้วยอยู่ในนั้น (--out holds an enclosure)", e.file.path) for e in letter.enclosures
    ]
    if config.emblem is not None:
        found.append(("มีภาพตราครุฑอยู่ในนั้น (--out holds the emblem)", config.emblem))
    for signer in config.model.signers.values():
        if signer.signature:
            found.append(
                ("มีภาพลายมือชื่ออยู่ในนั้น (--out holds a signature)", config.resolve(signer.signature))
            )
    return [(why, path.resolve()) for why, path in found if path is not None]


def _replaceable(folder: Path, name: str) -> None:
    """An existing folder: empty, or a build's output holding only its own files."""
    try:
        if next(folder.iterdir(), None) is None:
            return
        expected = _built_files(folder / MANIFEST)
        # Only a build's folder is looked through (never a home folder given by mistake).
        entries = sorted(folder.rglob("*")) if expected is not None else []
    except OSError as exc:
        raise OutputError(
            f"{folder}: อ่านโฟลเดอร์ผลลัพธ์ไม่ได้ (cannot read --out): {exc.strerror or exc}; "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        ) from None
    if expected is None:
        raise OutputError(
            f"{folder}: มีไฟล์อยู่แล้ว และไม่ใช่โฟลเดอร์ที่ letters build สร้าง "
            "(not empty, not a build's output: no manifest.json of letters); "
            "letters build แทนที่ทั้งโฟลเดอร์ จึงไม่เขียนทับ: "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name} หรือย้ายหรือลบโฟลเดอร์นี้เอง"
        )
    foreign = []
    for entry in entries:
        relative = entry.relative_to(folder).as_posix()
        if entry.is_dir() and not entry.is_symlink():
            continue
        if relative == MANIFEST or _PRINTED.fullmatch(relative):
            continue
        digest = expected.get(relative)
        if digest is None or entry.is_symlink() or not _same(entry, digest):
            foreign.append(relative)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" และอีก {len(foreign) - 5} ไฟล์" if len(foreign) > 5 else ""
        )
        raise OutputError(
            f"{folder}: มีไฟล์ที่ letters build ไม่ได้เขียน หรือแก้ไขหลังสร้าง "
            f"(files a build did not write, or changed since): {shown}; "
            "letters build แทนที่ทั้งโฟลเดอร์: ย้ายไฟล์เหล่านี้ออกไปก่อน หรือเลือก --out อื่น"
        )


def _built_files(manifest: Path) -> dict[str, str] | None:
    """The files a build's manifest lists, with their SHA-256; None when ``manifest`` is not
    the manifest of a build (missing, unreadable, or not marked as the tool's)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("tool") != TOOL:
            return None
        files = [f for entry in data["recipients"] for f in entry["files"]]
        files += data["checklist"]
        return {str(f["path"]): str(f["sha256"]) for f in files}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _same(path: Path, digest: str) -> bool:
    try:
        return sha256(path) == digest
    except OSError:
        return False


def _writable_parent(folder: Path, name: str) -> None:
    """The folder above ``folder`` is made (as the build would) and a folder is made in it
    and removed again: a parent that is a file, a read-only folder, one this user may not
    write in are found now, before anything is numbered. Folders made for a failed probe
    are removed again."""
    parent, missing = folder.parent, []
    while not parent.exists() and not parent.is_symlink() and parent.parent != parent:
        missing.append(parent)
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(
            f"{folder}: สร้างโฟลเดอร์ผลลัพธ์ไม่ได้ เพราะ {parent} เป็นไฟล์ ไม่ใช่โฟลเดอร์ "
            f"(a parent of --out is a file); เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    made: list[Path] = []
    try:
        for missed in reversed(missing):
            missed.mkdir()
            made.append(missed)
        _new_beside(folder, ".tmp").rmdir()
    except OSError as exc:
        for madeone in reversed(made):
            with contextlib.suppress(OSError):
                madeone.rmdir()
        where = made[-1] if made else parent
        raise OutputError(
            f"{folder}: เขียนในโฟลเดอร์ {where} ไม่ได้ (cannot write there: "
            f"{exc.strerror or exc}); เลือก --out ที่เขียนได้ เช่น {name} "
            "หรือขอสิทธิ์เขียนจากผู้ดูแลเครื่อง"
        ) from None


def safe_name(text: str) -> str:
    """A file name part: no path separators or characters file systems refuse."""
    return "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip()


def file_stem(member: Member) -> str:
    return f"{member.code}-{safe_name(member.name)}"


def build(
    directive: Path,
    config: Path | None = None,
    *,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    only: Sequence[str] = (),
    draft: bool = False,
    progress: Progress | None = None,
    register: Path | None = None,
    today: dt.date | None = None,
    workers: int | None = None,
) -> BuildResult:
    """Build every recipient's letter of ``directive`` (or those in ``only``).

    ``workers``: see ``write_folder`` (None chooses by the number of letters).
    """
    from letters.register import Register

    letter = load_letter(directive, config)
    recipients = _chosen(letter, only)
    folder = (out or default_out(letter, draft=draft)).resolve()
    # Before anything is numbered or written: a folder the build may not replace is refused.
    check_out(folder, letter, register_path(letter.config, register))
    warnings = _warnings(letter)
    today = today or dt.date.today()
    if draft:
        literal = None if letter.directive.auto_number else letter.directive.number
        numbers: Mapping[str, str | None] = {
            m.code: thai.thai_digits(literal) if literal else None for m in letter.recipients
        }
        items = [Item(letter, m, numbers[m.code], draft=True) for m in recipients]
        built = write_folder(
            letter,
            items,
            folder,
            formats,
            only=only,
            progress=progress,
            workers=workers,
            checked=True,
        )
        return BuildResult(folder, built.letters, warnings, built.checklist)
    with Register(register_path(letter.config, register)) as reg:
        numbering = reg.allocate(letter)
        if numbering.changed:
            warnings.append(
                "คำเตือน (warning): directive แก้ไขหลังออกเลขแล้ว จึงใช้เลขเดิม; "
                f"ถ้าต้องการเลขใหม่ใช้ letters renumber {directive}"
            )
        items = [Item(letter, m, numbering.numbers[m.code]) for m in recipients]
        did = numbering.directive_id
        built = write_folder(
            letter,
            items,
            folder,
            formats,
            only=only,
            progress=progress,
            checklist_progress=reg.progress(did, today),
            today=today,
            register=reg,
            directive_id=did,
            workers=workers,
            checked=True,
        )
    return BuildResult(folder, built.letters, warnings, built.checklist, did)


def _chosen(letter: Letter, only: Sequence[str]) -> list[Member]:
    if not only:
        return list(letter.recipients)
    by_code = {m.code: m for m in letter.recipients}
    problems = [
        Problem("--only", 0, 0, "", f"ไม่มีผู้รับรหัส '{code}' ในหนังสือนี้ (unknown recipient)")
        for code in only
        if thai.arabic_digits(code) not in by_code
    ]
    if problems:
        raise InputError(problems)
    return [by_code[thai.arabic_digits(code)] for code in dict.fromkeys(only)]


def _warnings(letter: Letter) -> list[str]:
    emblem = letter.config.emblem
    if emblem is None or not emblem.is_file():
        where = emblem or "office.emblem"
        return [
            f"คำเตือน (warning): ไม่พบภาพตราครุฑ '{where}' หนังสือจะมีกรอบแทนตราครุฑ; "
            f"วางไฟล์ภาพไว้ตามที่ office.emblem ใน {letter.config.path.name} ระบุ"
        ]
    return []


@dataclass(frozen=True)
class Item:
    """One copy to write: the letter it belongs to, its recipient, its number."""

    letter: Letter
    member: Member
    number: str | None  # as printed after the series; None leaves it blank
    draft: bool = False

    def copy(self) -> Copy:
        return copy_for(self.letter, self.member, self.number, draft=self.draft)


@dataclass
class _Written:
    letters: list[BuiltLetter]
    checklist: list[Path]


class _Renderers:
    """Everything that renders, set up once for a folder: fonts, templates, enclosure pages."""

    def __init__(self, letter: Letter, fonts: FontSet, formats: Sequence[str]) -> None:
        from letters.bundle import EnclosurePages, ReplyFormRenderer
        from letters.render import DeclaredFiles, PdfRenderer

        layout = letter.config.model.layout
        author = letter.config.model.office.name
        self.fonts = fonts
        # The one URL fetcher of the build's documents: the files the letter declares.
        fetcher = DeclaredFiles.for_letter(letter, fonts)
        self.pdf = PdfRenderer(
            layout, fonts, author=author, keep_whole=letter.directory_names, url_fetcher=fetcher
        )
        self.reply = ReplyFormRenderer(
            layout, fonts, font_config=self.pdf.font_config, url_fetcher=fetcher
        )
        self.enclosures = EnclosurePages(letter.enclosures, layout)
        self.docx: Any = None
        if "docx" in formats:
            from letters.word import DocxRenderer

            self.docx = DocxRenderer(layout, fonts, author=author, url_fetcher=fetcher)


def write_folder(
    letter: Letter,
    items: Sequence[Item],
    folder: Path,
    formats: Sequence[str],
    *,
    only: Sequence[str] = (),
    progress: Progress | None = None,
    checklist: bool = True,
    checklist_progress: Mapping[str, RecipientProgress] | None = None,
    today: dt.date | None = None,
    register: Register | None = None,
    directive_id: str | None = None,
    workers: int | None = None,
    bundles: bool = True,
    checked: bool = False,
) -> _Written:
    """Render ``items`` into ``folder``, atomically.

    ``letter`` is the directive as a whole: its enclosures go into every bundle and its
    recipients make the checklist. The register, when given, learns the folder.
    ``workers``: processes that render; None chooses (``WORKERS`` from ``PARALLEL_FROM``
    letters on, else this process alone), 1 renders here. The files are the same bytes.
    ``bundles`` False writes the letters alone (no reply forms, no bundles).
    ``folder`` is replaced only when ``check_out`` allows it (``checked``: the caller has
    asked it already, before numbering).
    """
    if workers is None:
        workers = min(WORKERS, os.cpu_count() or 1) if len(items) >= PARALLEL_FROM else 1
    if not checked:
        check_out(folder, letter, register.path if register is not None else None)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(folder)
        staging = _new_beside(folder, ".tmp")
    except OSError as exc:
        raise OutputError(
            f"{folder}: เขียนผลลัพธ์ไม่ได้ (cannot write output): {exc.strerror or exc}; "
            "ตรวจสิทธิ์ของโฟลเดอร์หรือเลือก --out อื่นแล้วสั่งใหม่"
        ) from None
    listed = checklist and letter.directive.follow_up is not None
    try:
        written: list[Path] = []
        if workers > 1:
            built, written = _write_parallel(
                letter,
                items,
                formats,
                staging,
                progress,
                workers,
                (checklist_progress, today) if listed else None,
                bundles,
            )
        else:
            built, written = _write_here(
                letter,
                items,
                formats,
                staging,
                progress,
                (checklist_progress, today) if listed else None,
                bundles,
            )
        _keep_others(folder, staging, only, built, directive_id)
        _manifest(letter, staging, built, written, directive_id)
        _replace(staging, folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"{folder}: เขียนผลลัพธ์ไม่ได้ (cannot write output): {exc.strerror or exc}; "
            "ผลลัพธ์ครั้งก่อนยังอยู่ครบ ตรวจพื้นที่ดิสก์หรือสิทธิ์ของโฟลเดอร์แล้วสั่งใหม่"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if register is not None and directive_id is not None:
        register.set_last_build(directive_id, folder)
    return _Written(built, [folder / p.name for p in written])


PARALLEL_FROM = 12  # builds of fewer letters stay in this process: no pool to start
WORKERS = 2  # the machines this runs on have two cores
CHUNK = 4  # recipients per task sent to a worker
IN_FLIGHT = 2  # tasks waiting or running per worker: bounds the bytes held in memory


@dataclass(frozen=True)
class _LetterFiles:
    """One copy's letter, rendered: shared by every recipient whose copy is identical."""

    pdf: bytes
    pages: int
    docx: bytes | None


@dataclass(frozen=True)
class _Task:
    index: int
    copy: Copy | None  # None: the worker makes it from member and number
    member: Member | None = None
    number: str | None = None
    draft: bool = False
    shared: _LetterFiles | None = None  # the letter of copies whose identity is ``key``
    key: tuple[object, ...] | None = None


@dataclass
class _Done:
    """One recipient's files, ready to write, and what the manifest says of them."""

    index: int
    built: BuiltLetter
    data: dict[Path, bytes]


class _Job:
    """Renders recipients' files: letter (PDF, DOCX), reply form and bundle.

    One per build in this process, or one per worker process (made once by its
    initializer). A few identical copies are kept (a collective circular is the same letter
    for everyone), never every letter of the build: memory stays flat.
    """

    KEEP = 4

    def __init__(
        self,
        letter: Letter,
        formats: Sequence[str],
        renderers: _Renderers,
        *,
        bundles: bool = True,
    ) -> None:
        self.letter = letter
        self.bundles = bundles
        self.formats = tuple(formats)
        self.renderers = renderers
        self._kept: dict[tuple[object, ...], _LetterFiles] = {}

    def letter_files(self, copy: Copy, *, first: bool = False) -> _LetterFiles:
        """The copy's letter; ``first``: the build's first copy, laid out whole (whichever
        process makes it: the files do not depend on how the build is shared out)."""
        key = copy.identity()
        files = self._kept.pop(key, None)
        if files is None:
            date = self.letter.directive.date
            rendered = self.renderers.pdf.render(copy, date, whole=first)
            docx = self.renderers.docx.render(copy, date) if "docx" in self.formats else None
            files = _LetterFiles(rendered.pdf, rendered.pages, docx)
        self._kept[key] = files  # the most recent last
        while len(self._kept) > self.KEEP:
            del self._kept[next(iter(self._kept))]
        return files

    def recipient(self, task: _Task) -> _Done:
        from letters.bundle import make_bundle

        letter, copy = self.letter, task.copy
        if copy is None:
            assert task.member is not None
            copy = copy_for(letter, task.member, task.number, draft=task.draft)
        files = task.shared if task.shared and copy.identity() == task.key else None
        files = files or self.letter_files(copy, first=task.index == 0)
        stem = file_stem(copy.recipient)
        data: dict[Path, bytes] = {}
        paths: dict[str, Path] = {}
        if "pdf" in self.formats:
            paths["pdf"] = Path("letters") / f"{stem}.pdf"
            data[paths["pdf"]] = files.pdf
        if "docx" in self.formats:
            assert files.docx is not None
            paths["docx"] = Path("letters") / f"{stem}.docx"
            data[paths["docx"]] = files.docx
        bundle_pages = 0
        if self.bundles:
            reply = None
            if letter.directive.follow_up is not None:
                reply = self.renderers.reply.render(letter, copy)
            enclosures = self.renderers.enclosures
            paths["bundle"] = Path("bundles") / f"{stem}.pdf"
            data[paths["bundle"]] = make_bundle(files.pdf, enclosures, reply)
            bundle_pages = files.pages + enclosures.pages + (1 if reply else 0)
        member = copy.recipient
        built = BuiltLetter(member.code, member.name, copy.number, paths, files.pages, bundle_pages)
        return _Done(task.index, built, data)


def _write_here(
    letter: Letter,
    items: Sequence[Item],
    formats: Sequence[str],
    staging: Path,
    progress: Progress | None,
    checklist: tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    bundles: bool,
) -> tuple[list[BuiltLetter], list[Path]]:
    """Every recipient's files, one after the other in this process: the PDF letters, reply
    forms and bundles. The DOCX letters and the checklist, which need none of them, are made
    at the same time by one more process (``_side``) that sets up only their renderers; each
    renderer is set up once, in one process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SIDE
    (staging / "letters").mkdir()
    (staging / "bundles").mkdir()
    aside = ("docx",) if "docx" in formats else ()
    pool = None
    if aside or checklist is not None:
        _SIDE = (letter, tuple(items), aside, staging, checklist)
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        # Both processes lay out with WeasyPrint: it is imported (0.4 s) once, before the fork.
        import weasyprint  # noqa: F401

        side = pool.submit(_side) if pool is not None else None
        here = tuple(f for f in formats if f not in aside)
        renderers = _Renderers(letter, letter_fonts(letter.config.folder), here)
        job = _Job(letter, here, renderers, bundles=bundles)
        built: list[BuiltLetter] = []
        for i, item in enumerate(items, 1):
            done = job.recipient(_Task(i - 1, item.copy()))
            _write_done(staging, done)
            built.append(done.built)
            if progress:
                progress(i, len(items), done.built.name)
        documents, written = side.result() if side is not None else ([], [])
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _SIDE = None
    if pool is not None:
        pool.shutdown(wait=True)
    for letter_built, document in zip(built, documents, strict=False):
        files = {"pdf": letter_built.files.get("pdf"), "docx": document}
        files.update(letter_built.files)
        letter_built.files = {k: v for k, v in files.items() if v is not None}
    return built, written


# What the side process of a build in this process makes, inherited by fork (not sent):
# the letter, its recipients, the formats it makes, the staging folder, the checklist's data.
_SIDE: (
    tuple[
        Letter,
        tuple[Item, ...],
        tuple[str, ...],
        Path,
        tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    ]
    | None
) = None


def _side() -> tuple[list[Path], list[Path]]:
    """The DOCX letters and the checklist, written into the staging folder; returns their
    paths inside it (the DOCX in the order of the recipients)."""
    _die_with_parent()
    assert _SIDE is not None
    letter, items, formats, staging, checklist = _SIDE
    fonts = letter_fonts(letter.config.folder)
    documents: list[Path] = []
    if "docx" in formats:
        from letters.render import DeclaredFiles
        from letters.word import DocxRenderer

        model = letter.config.model
        fetcher = DeclaredFiles.for_letter(letter, fonts)
        renderer = DocxRenderer(model.layout, fonts, author=model.office.name, url_fetcher=fetcher)
        last: tuple[tuple[object, ...], bytes] | None = None
        for item in items:
            copy = item.copy()
            if last is None or last[0] != copy.identity():  # a circular: one letter for all
                last = (copy.identity(), renderer.render(copy, letter.directive.date))
            documents.append(
                _put(staging, Path("letters") / f"{file_stem(copy.recipient)}.docx", last[1])
            )
    written = _checklist(letter, fonts, staging, *checklist) if checklist is not None else []
    return documents, written


def _write_done(staging: Path, done: _Done) -> None:
    for relative, data in done.data.items():
        _put(staging, relative, data)


# The worker processes' own job, made once by ``_start_worker``. With the fork start method
# the letter and its loaded enclosures are inherited, not sent.
_WORKER: _Job | None = None
_FORKED: tuple[Letter, tuple[str, ...], bool] | None = None


def _start_worker() -> None:
    global _WORKER
    _die_with_parent()
    assert _FORKED is not None
    letter, formats, bundles = _FORKED
    renderers = _Renderers(letter, letter_fonts(letter.config.folder), formats)
    _WORKER = _Job(letter, formats, renderers, bundles=bundles)


def _die_with_parent() -> None:
    """A worker ends when the build that started it is killed (Linux)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _work(tasks: list[_Task]) -> list[_Done]:
    assert _WORKER is not None
    return [_WORKER.recipient(task) for task in tasks]


def _work_letter(copy: Copy) -> _LetterFiles:
    assert _WORKER is not None
    return _WORKER.letter_files(copy, first=True)  # the build's first copy


def _work_checklist(
    progress: Mapping[str, RecipientProgress] | None, today: dt.date | None
) -> tuple[bytes, bytes]:
    from letters.checklist import checklist_pdf, checklist_xlsx

    assert _WORKER is not None
    letter, fonts = _WORKER.letter, _WORKER.renderers.fonts
    pdf = checklist_pdf(letter, fonts, progress, today)
    return pdf, checklist_xlsx(letter, progress, today, fonts=fonts)


def _write_parallel(
    letter: Letter,
    items: Sequence[Item],
    formats: Sequence[str],
    staging: Path,
    progress: Progress | None,
    workers: int,
    checklist: tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    bundles: bool,
) -> tuple[list[BuiltLetter], list[Path]]:
    """Every recipient's files, rendered by ``workers`` processes.

    This process sends chunks of recipients to the workers, which make each copy and its
    files, and writes each file as it comes back; at most ``IN_FLIGHT`` chunks per worker
    are out at once. When the first two copies are identical (a collective circular), their
    letter is rendered once and sent along for every copy identical to it. The checklist is
    made by a worker at the same time as the letters.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    global _FORKED
    (staging / "letters").mkdir()
    (staging / "bundles").mkdir()
    _FORKED = (letter, tuple(formats), bundles)
    built: list[BuiltLetter | None] = [None] * len(items)
    written: list[Path] = []
    count = 0
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    try:
        listed: Future[tuple[bytes, bytes]] | None = None
        if checklist is not None:
            listed = pool.submit(_work_checklist, *checklist)
        first = [item.copy() for item in items[:2]]
        shared: _LetterFiles | None = None
        key: tuple[object, ...] | None = None
        if len(first) == 2 and first[0].identity() == first[1].identity():
            key = first[0].identity()
            shared = pool.submit(_work_letter, first[0]).result()
        pending: set[Future[list[_Done]]] = set()

        def collect(block: bool) -> None:
            nonlocal count
            if not pending:
                return
            done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                for result in future.result():
                    _write_done(staging, result)
                    built[result.index] = result.built
                    count += 1
                    if progress:
                        progress(count, len(items), result.built.name)

        chunk: list[_Task] = []
        for index, item in enumerate(items):
            copy = first[index] if index < len(first) else None
            task = _Task(index, copy, item.member, item.number, item.draft, shared, key)
            chunk.append(task)
            if len(chunk) == CHUNK or index == len(items) - 1:
                while len(pending) >= IN_FLIGHT * workers:
                    collect(block=True)
                pending.add(pool.submit(_work, chunk))
                chunk = []
                collect(block=False)
        while pending:
            collect(block=True)
        if listed is not None:
            pdf, xlsx = listed.result()
            written = [
                _put(staging, Path("checklist.pdf"), pdf),
                _put(staging, Path("checklist.xlsx"), xlsx),
            ]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _FORKED = None
    pool.shutdown(wait=True)
    return [b for b in built if b is not None], written


def _put(staging: Path, relative: Path, data: bytes) -> Path:
    (staging / relative).write_bytes(data)
    return relative


def _checklist(
    letter: Letter,
    fonts: FontSet,
    staging: Path,
    progress: Mapping[str, RecipientProgress] | None,
    today: dt.date | None,
) -> list[Path]:
    from letters.checklist import checklist_pdf, checklist_xlsx

    pdf = _put(staging, Path("checklist.pdf"), checklist_pdf(letter, fonts, progress, today))
    xlsx = _put(
        staging,
        Path("checklist.xlsx"),
        checklist_xlsx(letter, progress, today, fonts=fonts),
    )
    return [pdf, xlsx]


def _remove_abandoned(folder: Path) -> None:
    """Clean up after builds that were killed (their process is gone).

    Their staging folders go. A build killed in the instant between moving the previous
    output aside and moving the new one in left the previous output as ``.old``: it is put
    back, so the folder always holds the last complete build.
    """
    for stale in sorted(folder.parent.glob(f".{glob.escape(folder.name)}.*.*")):
        named = _BESIDE.fullmatch(stale.name[len(folder.name) + 2 :])
        if named is None or not stale.is_dir() or stale.is_symlink():
            continue  # not a folder a build made
        if _alive(int(named.group(1))):
            continue
        if named.group(2) == "old" and not folder.exists():
            stale.rename(folder)
        else:
            shutil.rmtree(stale, ignore_errors=True)


# The folders a build makes beside its output: ``.<name>.<pid>.<8 characters>.tmp`` (being
# written) and ``.old`` (the previous output, for the instant of the swap).
_BESIDE = re.compile(r"([0-9]+)\.[a-z0-9_]{8}\.(tmp|old)")


def _new_beside(folder: Path, suffix: str) -> Path:
    """A new empty folder ``.<name>.<pid>.<random>.<suffix>`` beside ``folder``, made with
    the user's umask (``tempfile.mkdtemp`` makes 0700: others could not read the letters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    for _ in range(100):
        random = "".join(secrets.choice(alphabet) for _ in range(8))
        path = folder.parent / f".{folder.name}.{os.getpid()}.{random}{suffix}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free name for a temporary folder", str(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_others(
    folder: Path,
    staging: Path,
    only: Sequence[str],
    built: list[BuiltLetter],
    directive_id: str | None,
) -> None:
    """With ``--only``, the other recipients' files of the previous build stay as they were."""
    if not only or not (folder / "manifest.json").is_file():
        return
    previous = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if previous.get("draft") != (directive_id is None):
        return  # drafts and numbered letters are never mixed in one folder
    done = {b.code for b in built}
    for entry in previous.get("recipients", []):
        if entry["code"] in done:
            continue
        files = {f["format"]: Path(f["path"]) for f in entry["files"]}
        for relative in files.values():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
        built.append(
            BuiltLetter(
                entry["code"],
                entry["name"],
                entry["number"],
                files,
                entry["pages"],
                entry.get("bundle_pages", 0),
            )
        )
    order = {code: i for i, code in enumerate(e["code"] for e in previous["recipients"])}
    built.sort(key=lambda b: order.get(b.code, len(order)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(
    letter: Letter,
    staging: Path,
    built: list[BuiltLetter],
    checklist: list[Path],
    directive_id: str | None,
) -> None:
    d = letter.directive
    manifest = {
        "tool": TOOL,  # the mark of a folder a build made: the only kind it replaces
        "directive": str(letter.path.resolve()),
        "register_id": directive_id,
        "kind": d.kind,
        "subject": d.subject,
        "date": d.date.isoformat(),
        "date_th": thai.thai_date(d.date),
        "draft": directive_id is None,
        "recipients": [
            {
                "code": b.code,
                "name": b.name,
                "number": b.number,
                "pages": b.pages,
                "bundle_pages": b.bundle_pages,
                "files": [
                    {"format": fmt, "path": str(path), "sha256": sha256(staging / path)}
                    for fmt, path in b.files.items()
                ],
            }
            for b in built
        ],
        "checklist": [{"path": str(path), "sha256": sha256(staging / path)} for path in checklist],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (staging / "manifest.json").write_text(text, encoding="utf-8")


def _replace(staging: Path, folder: Path) -> None:
    """Swap the finished folder in; the previous output goes only once the new one is there."""
    old = None
    if folder.exists():
        old = _new_beside(folder, ".old")
        old.rmdir()
        folder.rename(old)
    try:
        staging.rename(folder)
    except OSError:
        if old is not None:
            old.rename(folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
