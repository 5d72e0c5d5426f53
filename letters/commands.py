"""One function for each command: load, open the register, run the stage, return a result.

``letters.cli`` parses options and prints what these return; nothing else. Each function
imports the stages it runs when it is called, so that ``letters --help`` imports none of
them. Sections below belong to the stages they drive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, TextIO

from letters.errors import InputError, Problem, RegisterError

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar
    from flask import Flask

    from letters.build import BuildResult
    from letters.config import OfficeConfig
    from letters.directive import Letter
    from letters.dispatch import SendResult
    from letters.followup import RemindResult
    from letters.register import Register

Progress = Callable[[int, int, str], None]


# --- shared steps ---------------------------------------------------------------------


class Numbered(NamedTuple):
    """A letter the register has numbered, with the register open."""

    letter: Letter
    register: Register
    directive_id: str  # the letter's identity in the register


@contextlib.contextmanager
def numbered_letter(
    directive: Path,
    config: Path | None,
    register: Path | None,
    *,
    check_first: Callable[[Letter], object] | None = None,
) -> Iterator[Numbered]:
    """Load the letter, open the office's register (it must exist) and check that the letter
    was numbered there (built, not as a draft). The register is closed on leaving the block.

    ``check_first`` checks the letter before the register is opened: its error comes first.
    """
    from letters.directive import load_letter
    from letters.register import Register

    letter = load_letter(directive, config)
    if check_first is not None:
        check_first(letter)
    with Register.for_office(letter.config, register, create=False) as opened:
        directive_id = opened.identity(letter.path)
        if opened.numbers(letter, directive_id) is None:
            raise RegisterError(
                f"{opened.path}: '{letter.path}' ยังไม่ได้ออกเลข (not in the register): "
                "สร้างหนังสือด้วย letters build (ไม่ใช่ --draft) ก่อน"
            )
        yield Numbered(letter, opened, directive_id)


# --- reading what the clerk typed -----------------------------------------------------


def parse_formats(value: str) -> tuple[str, ...]:
    """``--format``: ``pdf,docx`` to a tuple; ValueError naming what is not a format."""
    from letters.build import parse_formats as parse

    try:
        return parse(value)
    except InputError as exc:
        raise ValueError("; ".join(p.message for p in exc.problems)) from None


def typed_day(text: str) -> dt.date:
    """A date as a clerk types it (ISO, พ.ศ., Thai digits, long Thai form); ValueError."""
    from letters.thai import typed_date

    return typed_date(text).day


PROGRESS_AFTER_S = 2.0  # a run that ends sooner shows no bar


def progress_bar(
    stream: TextIO, *, after_s: float = PROGRESS_AFTER_S, clock: Callable[[], float] | None = None
) -> Progress | None:
    """click's progress bar on ``stream`` when it is a terminal, for runs that last longer
    than ``after_s`` seconds (from the first letter, by ``clock``):
    ``[####------]  312/878  00:01:05  โพนพิสัย``, redrawn in place as letters are done, ended
    with a new line when all are done. None (quiet) for a file or a pipe."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    import atexit
    import time

    import click

    now = clock or time.monotonic
    bar: ProgressBar[str] | None = None
    started: float | None = None

    def label(name: str | None) -> str | None:
        return name

    def shown(done: int, total: int, name: str) -> None:
        nonlocal bar, started
        if started is None:
            started = now()
        if bar is None and (done >= total or now() - started < after_s):
            return
        if bar is None:
            bar = click.progressbar(
                length=total, file=stream, show_pos=True, item_show_func=label, width=30
            )
        bar.update(done - bar.pos, name)
        if done >= total:
            bar.render_finish()
            bar = None

    def unfinished() -> None:
        # A run that failed half-way: the line ends and the cursor click hid comes back.
        if bar is not None:
            bar.render_finish()

    atexit.register(unfinished)
    return shown


# --- check ----------------------------------------------------------------------------


def check(directive: Path, config: Path | None) -> str:
    """``letters check``: the summary of the letter ``load_letter`` reads (the same as
    ``letters build``), with its notes; or InputError with every problem."""
    from letters.directive import load_letter, summary

    return summary(load_letter(directive, config))


# --- build, renumber ------------------------------------------------------------------


def build(
    directive: Path,
    config: Path | None = None,
    *,
    out: Path | None = None,
    formats: Sequence[str] | None = None,
    only: Sequence[str] = (),
    draft: bool = False,
    progress: Progress | None = None,
    register: Path | None = None,
    today: dt.date | None = None,
    workers: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> BuildResult:
    """``letters build``: every recipient's letter of ``directive`` (or those in ``only``),
    numbered in the office's register unless a ``draft``; ``formats`` None: PDF and DOCX.
    ``workers``: see ``letters.workers.write_files`` (None chooses by the number of letters).
    ``environ``: where a signer's certificate password is read (a draft is never signed).
    """
    from letters.build import FORMATS, build_letters, check_out, chosen, default_out
    from letters.directive import load_letter
    from letters.register import Register, register_file
    from letters.signing import letter_signer

    letter = load_letter(directive, config)
    recipients = chosen(letter, only)
    folder = (out or default_out(letter, draft=draft)).resolve()
    # Before anything is numbered or written: a folder the build may not replace is refused.
    check_out(folder, letter, register_file(letter.config, register))
    # The certificate and its password, too: a letter that cannot be signed takes no number.
    signer = None if draft else letter_signer(letter, os.environ if environ is None else environ)
    with contextlib.ExitStack() as stack:
        # A draft is not numbered: the register is not opened (nor made).
        opened = (
            None
            if draft
            else stack.enter_context(Register.for_office(letter.config, register, create=True))
        )
        return build_letters(
            letter,
            recipients,
            folder,
            FORMATS if formats is None else formats,
            register=opened,
            directive=directive,
            only=only,
            progress=progress,
            today=today,
            workers=workers,
            signer=signer,
        )


def renumber(directive: Path, config: Path | None, register: Path | None, today: dt.date) -> str:
    """``letters renumber``: new numbers for a corrected letter, the old ones cancelled."""
    from letters.directive import load_letter
    from letters.register import Register

    letter = load_letter(directive, config)
    with Register.for_office(letter.config, register, create=False) as opened:
        numbering = opened.renumber(letter, today)
    lines = sorted(set(numbering.lines.values()))
    return (
        f"ออกเลขใหม่แล้ว (renumbered): {', '.join(lines)}; เลขเดิมบันทึกว่ายกเลิก\n"
        f"สร้างหนังสือใหม่ด้วย: letters build {directive}"
    )


# --- follow-up: track, status, remind -------------------------------------------------


def track(
    directive: Path,
    config: Path | None,
    *,
    register: Path | None,
    recipient: str | None,
    task: int | None,
    done: bool,
    replied: bool,
    on: dt.date | None,
    note: str | None,
    checklist: Path | None,
    today: dt.date | None = None,
) -> str:
    """``letters track``: a recipient's task done (or taken back) or its reply, typed by
    hand; or (``checklist``) all the checklist filled in Excel shows."""
    from letters import thai
    from letters.followup import follow_up_tasks
    from letters.workbook import read_checklist

    today = today or dt.date.today()
    with numbered_letter(directive, config, register, check_first=follow_up_tasks) as found:
        letter, opened, directive_id = found
        if checklist is not None:
            if not checklist.is_file():
                raise InputError([Problem(str(checklist), 0, 0, "", "ไม่พบไฟล์ (no such file)")])
            reports = read_checklist(checklist, opened.tasks(directive_id), today=today)
            result = opened.record_reports(directive_id, reports)
            lines = [
                f"นำเข้าแล้ว (imported): งานที่ทำแล้ว {result.marked} รายการ, "
                f"วันที่ตอบ {result.replied} ราย, หมายเหตุ {result.notes} ราย "
                f"จาก {len(result.codes)} ราย"
            ]
            if result.unknown:
                lines.append("ข้ามรหัสที่ไม่ใช่ผู้รับหนังสือนี้ (unknown codes): " + ", ".join(result.unknown))
            return "\n".join(lines)
        code = _recipient(letter, recipient)
        when = on or today
        if replied:
            opened.mark_replied(directive_id, code, when)
            return f"บันทึกแล้ว (recorded): {code} ตอบกลับเมื่อ {thai.thai_date(when)}"
        if task is None:
            raise InputError([Problem("--task", 0, 0, "", "ระบุงานที่ --task N (which task)")])
        if done:
            opened.mark_done(directive_id, code, task, when, note)
            return (
                f"บันทึกแล้ว (recorded): {code} ทำงานที่ {thai.thai_number(task)} แล้ว "
                f"เมื่อ {thai.thai_date(when)}"
            )
        opened.mark_open(directive_id, code, task)
        return f"บันทึกแล้ว (recorded): {code} งานที่ {thai.thai_number(task)} ยังไม่ได้ทำ"


def _recipient(letter: Letter, code: str | None) -> str:
    """``--recipient CODE``: the code of one of the letter's recipients (Thai digits read)."""
    from letters import thai

    if code is None:
        raise InputError(
            [Problem("--recipient", 0, 0, "", "ระบุรหัสผู้รับ --recipient CODE (which recipient)")]
        )
    wanted = thai.arabic_digits(code.strip())
    if wanted not in {m.code for m in letter.recipients}:
        codes = ", ".join(m.code for m in letter.recipients)
        message = f"ไม่มีผู้รับรหัส '{code}' ในหนังสือนี้ (unknown recipient); ที่มี: {codes}"
        raise InputError([Problem("--recipient", 0, 0, "", message)])
    return wanted


def status(
    directive: Path, config: Path | None, *, register: Path | None, today: dt.date | None
) -> str:
    """``letters status``: recipients x tasks, each sent, replied, done / open / overdue."""
    from letters.followup import follow_up_tasks
    from letters.reports import status_table

    today = today or dt.date.today()
    with numbered_letter(directive, config, register, check_first=follow_up_tasks) as found:
        letter, opened, directive_id = found
        tasks, due = follow_up_tasks(letter)
        recipients = opened.status(directive_id, tasks, due, today)
    return status_table(
        recipients,
        {m.code: m.name for m in letter.group.members},
        subject=letter.directive.subject,
        tasks=tasks,
        due=due,
        today=today,
    )


def remind(
    directive: Path,
    config: Path | None,
    *,
    register: Path | None,
    on: dt.date | None,
    days: int,
    out: Path | None,
    formats: Sequence[str],
    progress: Progress | None,
    yes: bool = False,
    again: bool = False,
    environ: Mapping[str, str] | None = None,
) -> RemindResult:
    """``letters remind``: follow-up letters to the recipients with tasks open after the due
    date (``on``: the follow-up's date, today unless given): drafts to look at, or (``yes``)
    numbered as the next follow-up set. Recipients reminded before are left out unless
    ``again``."""
    from letters.followup import DEFAULT_DAYS, follow_up_tasks, write_follow_ups
    from letters.signing import letter_signer

    day = on or dt.date.today()
    command = f"letters remind {directive} --on {day.isoformat()}"
    if days != DEFAULT_DAYS:
        command += f" --days {days}"
    if tuple(formats) != ("pdf", "docx"):
        command += f" --format {','.join(formats)}"
    if again:
        command += " --again"
    with numbered_letter(directive, config, register, check_first=follow_up_tasks) as found:
        # Numbered follow-ups are signed like the letter; the password is asked before.
        signer = (
            letter_signer(found.letter, os.environ if environ is None else environ) if yes else None
        )
        return write_follow_ups(
            found.register,
            found.letter,
            found.directive_id,
            on=day,
            days=days,
            yes=yes,
            again=again,
            out=out,
            formats=formats,
            progress=progress,
            command=command,
            directive=str(directive),
            signer=signer,
        )


# --- the register ---------------------------------------------------------------------


def _office(config: Path | None) -> OfficeConfig:
    """The office of ``--config``, else of the nearest config.yaml from the current folder."""
    from letters.config import find_config, load_config

    return load_config(find_config(Path.cwd() / "directive.yaml", config))


def typed_year(text: str) -> int:
    """``--year``: a Buddhist-era year (2569: of 2400 or more, as dates are read) or a
    Gregorian one (2026), in Thai or Arabic digits, ``พ.ศ.``/``ค.ศ.`` before it or not; the
    year as typed. ValueError saying what to type."""
    from letters import thai

    words = thai.arabic_digits(text).replace(" ", "")
    era = next((e for e in ("พ.ศ.", "ค.ศ.") if words.startswith(e)), None)
    digits = words.removeprefix(era) if era else words
    year = int(digits) if digits.isascii() and digits.isdigit() else 0
    buddhist = year >= thai.BUDDHIST_YEAR_FROM
    known = 1941 <= (year - thai.BUDDHIST_ERA_OFFSET if buddhist else year) <= 2099
    if not known or (era is not None and (era == "พ.ศ.") != buddhist):
        raise ValueError(f"'{text}' ไม่ใช่ปี (not a year): พิมพ์ปี พ.ศ. เช่น 2569 หรือ ค.ศ. เช่น 2026")
    return year


def show_register(config: Path | None, register: Path | None, year: int | None) -> str:
    """``letters register``: the register (of ``year``) as a table for the terminal."""
    from letters.register import Register, gregorian_year, year_text
    from letters.reports import register_table

    office = _office(config)
    with Register.for_office(office, register, create=False) as opened:
        rows = opened.rows(year)
    if not rows:
        return "ยังไม่มีหนังสือในทะเบียน (the register is empty)" + (
            f" ปี พ.ศ. {year_text(gregorian_year(year))}" if year else ""
        )
    return register_table(rows)


def export_register(
    config: Path | None, register: Path | None, year: int | None, fmt: str, out: Path | None
) -> Path:
    """``letters register export``: the register as CSV, XLSX or a form ๑๔ PDF, written to
    ``out`` (else ``ทะเบียนหนังสือส่ง[-year].<fmt>`` in the current folder)."""
    from letters.fonts import letter_fonts
    from letters.register import Register, gregorian_year
    from letters.reports import export_csv, export_pdf, export_xlsx
    from letters.thai import BUDDHIST_ERA_OFFSET

    office = _office(config)
    with Register.for_office(office, register, create=False) as opened:
        rows = opened.rows(year)
    name = office.model.office.name
    if fmt == "csv":
        data = export_csv(rows)
    elif fmt == "xlsx":
        data = export_xlsx(rows, name)
    else:
        keep = [m.name for g in office.model.recipients.values() for m in g.members]
        data = export_pdf(rows, name, letter_fonts(office.folder), year=year, keep_whole=keep)
    # The file of a year is named by its พ.ศ. year, however the clerk typed it.
    suffix = f"-{gregorian_year(year) + BUDDHIST_ERA_OFFSET}" if year else ""
    target = out or Path.cwd() / f"ทะเบียนหนังสือส่ง{suffix}.{fmt}"
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise RegisterError(f"{target}: เขียนไฟล์ไม่ได้ (cannot write): {exc.strerror}") from None
    return target


# --- dispatch: send, print ------------------------------------------------------------


def send(
    directive: Path,
    config: Path | None,
    *,
    register: Path | None,
    out: Path | None,
    yes: bool,
    resend: Sequence[str],
    environ: Mapping[str, str],
    progress: Progress | None,
    remind: int | None = None,
) -> SendResult:
    """``letters send``: a dry run listing, or (``yes``) each bundle of the last build (or
    ``out``) by e-mail, once per recipient, every outcome recorded as it happens. ``remind``
    N: follow-up set N of the letter (``letters remind``) instead of the letter itself."""
    from letters.dispatch import email_settings, send_built
    from letters.manifest import last_build

    with numbered_letter(directive, config, register, check_first=email_settings) as numbered:
        letter, opened, directive_id = _which_set(numbered, directive, remind)
        built = last_build(directive, directive_id, out or opened.last_build(directive_id))
        named = f" --remind {remind}" if remind is not None else ""
        return send_built(
            letter,
            built,
            opened,
            directive_id,
            command=f"letters send {directive}{named} --yes",
            yes=yes,
            resend=resend,
            environ=environ,
            progress=progress,
        )


def _which_set(numbered: Numbered, directive: Path, remind: int | None) -> Numbered:
    """The letter itself, or (``remind`` N) its follow-up set N, with its register identity."""
    if remind is None:
        return numbered
    from letters.followup import follow_up_set

    letter, opened, directive_id = numbered
    follow_up, follow_up_id = follow_up_set(opened, letter, directive_id, remind, str(directive))
    return Numbered(follow_up, opened, follow_up_id)


def print_bundles(
    directive: Path,
    config: Path | None,
    *,
    register: Path | None,
    out: Path | None,
    printer: str | None,
    copies: int,
    duplex: bool,
    file_only: bool,
    style: Literal["dl", "labels"],
    progress: Progress | None,
    remind: int | None = None,
) -> str:
    """``letters print``: each bundle of the last build (or ``out``) to a CUPS queue, once,
    recorded; or (``file_only``) one print file and an address sheet in ``<build>/print/``.
    ``remind`` N: follow-up set N of the letter instead of the letter itself."""
    from letters.manifest import last_build
    from letters.printing import print_built, write_print_files

    with numbered_letter(directive, config, register) as numbered:
        letter, opened, directive_id = _which_set(numbered, directive, remind)
        built = last_build(directive, directive_id, out or opened.last_build(directive_id))
        if file_only:
            return write_print_files(letter, built, duplex=duplex, style=style)
        return print_built(
            letter,
            built,
            opened,
            directive_id,
            printer=printer,
            copies=copies,
            duplex=duplex,
            progress=progress,
        )


# --- a new office: init, directory ----------------------------------------------------


def init(folder: Path, province: str, today: dt.date) -> str:
    """``letters init``: a ready office folder for ``province``."""
    from letters.office import init_office

    return init_office(folder, province, today)


def directory(query: str | None, province: str | None) -> str:
    """``letters directory``: district offices with their codes, names and titles."""
    from tabulate import tabulate

    from letters.directory import lookup

    found = lookup(query, province)
    if not found:
        return f"ไม่พบ '{query}' (not found): ลองชื่อสั้นลง หรือใส่รหัสจังหวัด ๒ หลัก"
    rows = [(m.code, m.name, m.title, where) for where, m in found]
    headers = ("รหัส (code)", "ชื่อ (name)", "ตำแหน่ง (title)", "จังหวัด")
    return tabulate(rows, headers=headers, disable_numparse=True)


# --- signatures: verify -----------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    text: str
    exit_code: int  # 0 only when the signature is intact and nothing changed after it


def verify(pdf: Path, config: Path | None, trust: Sequence[Path]) -> Verified:
    """``letters verify``: who signed ``pdf``, when, and whether it is as signed. The roots
    trusted are ``trust`` and, with ``--config``, the config's ``signing.trust_roots``."""
    from letters.signing import report, verify_pdf

    roots = list(trust)
    if config is not None:
        office = _office(config)
        roots += [office.resolve(root) for root in office.model.signing.trust_roots]
    verification = verify_pdf(pdf, trust_roots=roots)
    return Verified(report(verification), 0 if verification.intact else 1)


# --- the e-saraban exchange file: export ecms -------------------------------------------


@dataclass(frozen=True)
class Exported:
    text: str
    warnings: list[str]


def export_ecms(
    directive: Path, config: Path | None, *, register: Path | None, out: Path | None
) -> Exported:
    """``letters export ecms``: ``ecms/<code>-<district>.xml`` in the letter's build folder,
    one CorrespondenceLetter document a recipient, each checked against the shipped XSD and
    listed in the manifest with its SHA-256."""
    from letters import ecms, manifest, thai

    with numbered_letter(directive, config, register) as found:
        folder = out or found.register.last_build(found.directive_id)
        manifest.last_build(directive, found.directive_id, folder)  # a real, unchanged build
        assert folder is not None
        numbering = found.register.numbers(found.letter, found.directive_id)
        assert numbering is not None
    written, warnings = ecms.write_exchange(found.letter, numbering.lines, folder)
    count = thai.thai_number(len(written))
    return Exported(f"เขียนแล้ว (written): {count} ไฟล์ใน {folder / 'ecms'}", warnings)


# --- the office's web page: serve -------------------------------------------------------


def web_app(folder: Path, host: str) -> Flask:
    """The web page of the office ``folder`` (``letters.web``), its pages calling this
    module's functions, handed in; InputError when bound beyond this machine without users."""
    import sys

    from letters.web import create_app

    return create_app(folder, host=host, commands=sys.modules[__name__])


def serve(
    folder: Path, host: str, port: int, *, open_browser: bool, announce: Callable[[str], None]
) -> None:
    """``letters serve``: the web page at http://HOST:PORT/ (waitress) until interrupted."""
    from letters.web import run

    run(web_app(folder, host), folder, host, port, open_browser=open_browser, announce=announce)


def hash_password(password: str) -> str:
    """``letters serve --hash-password``: what ``web.users.<login>.password_hash`` holds."""
    from letters.web import hash_password as hashed

    return hashed(password)
