"""The ``letters`` command: parse options, call one function, turn errors into exit codes.

Exit status: 0 done, 1 bad input or a failed run (the message says what to fix), 2 bad
command-line usage. Renderers are imported inside the commands that use them, so
``letters --help`` and ``letters check`` start fast.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from letters import __version__, commands
from letters.errors import LettersError

DIRECTIVE = click.Path(exists=False, dir_okay=False, path_type=Path)
CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="config.yaml ของสำนักงาน (default: the nearest config.yaml above the directive).",
)


REGISTER_OPTION = click.option(
    "--register",
    "register_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="ไฟล์ทะเบียนหนังสือส่ง (default: register.sqlite3 beside config.yaml).",
)


class _Typed(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2 on
    """A value as a clerk types it, read by a function of ``letters.commands`` that raises
    ValueError saying what to type: its message is click's usage error (exit status 2)."""

    def __init__(self, name: str, read: Callable[[str], Any], kind: type) -> None:
        self.name = name
        self.read = read
        self.kind = kind  # a value already read (a default) passes as it is

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind):
            return value
        try:
            return self.read(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


# ``pdf,docx``; ``2018-12-11``, ``2561-12-11`` (พ.ศ.), ``๑๑ ธันวาคม ๒๕๖๑``; ``2569`` or ``2026``.
FORMATS = _Typed("formats", commands.parse_formats, tuple)
DATE = _Typed("date", commands.typed_day, dt.date)
YEAR = _Typed("year", commands.typed_year, int)


# click's usage errors, said in Thai before click's English (exit status 2 as before).
_USAGE_WORDS = (
    ("Missing argument", "ขาดอาร์กิวเมนต์"),
    ("Missing option", "ขาดตัวเลือก"),
    ("No such option", "ไม่มีตัวเลือกนี้"),
    ("No such command", "ไม่มีคำสั่งนี้"),
    ("Invalid value", "ค่าไม่ถูกต้อง"),
    ("Got unexpected extra argument", "อาร์กิวเมนต์เกิน"),
    ("requires an argument", "ตัวเลือกนี้ต้องมีค่า"),
    ("does not take a value", "ตัวเลือกนี้ไม่รับค่า"),
)


def _in_thai(exc: click.UsageError) -> click.UsageError:
    said = exc.format_message()
    thai = next((t for english, t in _USAGE_WORDS if english in said), None)
    if thai is None or said.startswith(thai):
        return exc
    return click.UsageError(f"{thai} ({said})", exc.ctx)


class _Letters(click.Group):
    """Catches the tool's own errors once, for every command."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _in_thai(exc) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Every command with the whole first line of its help, never cut short."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, (command.help or "").strip().splitlines()[0]))
        if rows:
            with formatter.section("Commands (คำสั่ง)"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LettersError as exc:
            click.secho(str(exc), err=True, fg="red")
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            raise _in_thai(exc) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (``letters check D | head -1``): click's main ends the
            # command quietly (stdout pacified, exit status 1), without a traceback.
            raise
        except Exception as exc:
            if os.environ.get("LETTERS_DEBUG"):
                raise
            click.secho(
                f"เกิดข้อผิดพลาดภายในโปรแกรม (internal error): {type(exc).__name__}: {exc}\n"
                "ไม่มีไฟล์ใดถูกเขียนทับ; ตั้ง LETTERS_DEBUG=1 แล้วรันใหม่เพื่อดูรายละเอียดส่งให้ผู้ดูแล",
                err=True,
                fg="red",
            )
            ctx.exit(1)


@click.group(cls=_Letters, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letters")
def cli() -> None:
    """letters: หนังสือราชการครุฑจาก directive.yaml (Thai official letters from one YAML file)."""


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
def check(directive: Path, config_path: Path | None) -> None:
    """ตรวจ directive และ config โดยไม่เขียนไฟล์ใด (validate, write nothing)."""
    click.echo(commands.check(directive, config_path))
    click.secho("ตรวจแล้ว ถูกต้อง (OK)", fg="green")


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="โฟลเดอร์ผลลัพธ์ (default: out/<directive name>/).",
)
@click.option(
    "--format",
    "formats",
    type=FORMATS,
    default="pdf,docx",
    show_default=True,
    help="รูปแบบไฟล์หนังสือ คั่นด้วยจุลภาค (comma-separated): pdf, docx.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="CODE",
    help="ทำเฉพาะผู้รับรหัสนี้ (repeatable); ฉบับอื่นของครั้งก่อนคงเดิม.",
)
@click.option("--draft", is_flag=True, help="ฉบับร่าง: ลายน้ำ 'ร่าง' ไม่ออกเลขและไม่มีลายมือชื่อ.")
@REGISTER_OPTION
def build(
    directive: Path,
    config_path: Path | None,
    out: Path | None,
    formats: tuple[str, ...],
    only: tuple[str, ...],
    draft: bool,
    register_file: Path | None,
) -> None:
    """สร้างหนังสือ ชุดส่ง และแบบติดตามถึงผู้รับทุกราย (build letters, bundles, checklist)."""
    result = commands.build(
        directive,
        config_path,
        out=out,
        formats=formats,
        only=only,
        draft=draft,
        progress=_progress(),
        register=register_file,
        environ=os.environ,
    )
    for warning in result.warnings:
        click.secho(warning, err=True, fg="yellow")
    click.echo(result.summary())


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
def renumber(directive: Path, config_path: Path | None, register_file: Path | None) -> None:
    """ออกเลขใหม่ให้หนังสือที่แก้ไข เลขเดิมถูกยกเลิก (new numbers for a corrected letter)."""
    click.echo(commands.renumber(directive, config_path, register_file, dt.date.today()))


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--recipient", metavar="CODE", help="รหัสผู้รับ (recipient code).")
@click.option("--task", type=click.IntRange(min=1), metavar="N", help="งานที่ N ของ follow_up.tasks.")
@click.option("--done/--not-done", default=True, help="ทำแล้ว หรือยกเลิกที่บันทึกผิด.")
@click.option("--replied", is_flag=True, help="บันทึกวันที่ผู้รับตอบกลับ (reply received).")
@click.option(
    "--on",
    "on",
    type=DATE,
    default=None,
    help="วันที่ (2018-12-11, 2561-12-11 หรือ ๑๑ ธันวาคม ๒๕๖๑; default: today).",
)
@click.option("--note", default=None, help="หมายเหตุ (note).")
@click.option(
    "--import",
    "checklist",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="นำเข้า checklist.xlsx ที่กรอกแล้ว (import the filled-in checklist).",
)
def track(
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    recipient: str | None,
    task: int | None,
    done: bool,
    replied: bool,
    on: dt.date | None,
    note: str | None,
    checklist: Path | None,
) -> None:
    """บันทึกผลการดำเนินการของผู้รับ (record what a recipient has done)."""
    click.echo(
        commands.track(
            directive,
            config_path,
            register=register_file,
            recipient=recipient,
            task=task,
            done=done,
            replied=replied,
            on=on,
            note=note,
            checklist=checklist,
        )
    )


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--on", "on", type=DATE, default=None, help="ณ วันที่ (YYYY-MM-DD; default: today).")
def status(
    directive: Path, config_path: Path | None, register_file: Path | None, on: dt.date | None
) -> None:
    """ผู้รับ x งาน: ส่งเมื่อ ทำแล้ว ยังไม่ทำ เกินกำหนด (who has done what)."""
    click.echo(commands.status(directive, config_path, register=register_file, today=on))


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--on", "on", type=DATE, default=None, help="วันที่ของหนังสือติดตาม (default: today).")
@click.option(
    "--days", type=click.IntRange(min=1), default=7, show_default=True, help="กำหนดใหม่ (days)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--format", "formats", type=FORMATS, default="pdf,docx", show_default=True)
@click.option(
    "--yes", is_flag=True, help="ออกเลขและสร้างจริง; ไม่ใส่ = แสดงรายชื่อและเขียนฉบับร่าง (drafts)."
)
@click.option("--again", is_flag=True, help="ติดตามซ้ำผู้รับที่ออกหนังสือติดตามไปแล้ว (remind again).")
def remind(
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    on: dt.date | None,
    days: int,
    out: Path | None,
    formats: tuple[str, ...],
    yes: bool,
    again: bool,
) -> None:
    """หนังสือติดตามถึงผู้รับที่ยังไม่ทำเมื่อเกินกำหนด (follow-up letters for late recipients)."""
    result = commands.remind(
        directive,
        config_path,
        register=register_file,
        on=on,
        days=days,
        out=out,
        formats=formats,
        progress=_progress(),
        yes=yes,
        again=again,
        environ=os.environ,
    )
    click.echo(result.summary())


@cli.group(invoke_without_command=True)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--year", type=YEAR, default=None, help="ปี พ.ศ. หรือ ค.ศ. (year).")
@click.pass_context
def register(
    ctx: click.Context, config_path: Path | None, register_file: Path | None, year: int | None
) -> None:
    """ทะเบียนหนังสือส่ง (the outgoing register, form ๑๔)."""
    ctx.obj = (config_path, register_file, year)
    if ctx.invoked_subcommand is None:
        click.echo(commands.show_register(config_path, register_file, year))


@register.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="pdf", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--year", type=YEAR, default=None, help="ปี พ.ศ. หรือ ค.ศ. (year).")
@click.pass_context
def register_export(
    ctx: click.Context,
    fmt: str,
    out: Path | None,
    config_path: Path | None,
    register_file: Path | None,
    year: int | None,
) -> None:
    """ทะเบียนสำหรับพิมพ์ (export for printing): csv, xlsx, pdf."""
    # --config, --register and --year may come before ``export`` or after it.
    before = ctx.obj
    config_path = config_path or before[0]
    register_file = register_file or before[1]
    year = year if year is not None else before[2]
    written = commands.export_register(config_path, register_file, year, fmt, out)
    click.echo(f"เขียนแล้ว (written): {written}")


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="โฟลเดอร์ที่สร้างไว้ (default: the last build the register knows).",
)
@click.option("--yes", is_flag=True, help="ส่งจริง (send); ไม่ใส่ = แสดงรายการที่จะส่ง (dry run).")
@click.option("--resend", multiple=True, metavar="CODE", help="ส่งซ้ำให้ผู้รับรหัสนี้โดยตั้งใจ.")
@click.option(
    "--remind",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="หนังสือติดตามชุดที่ N (follow-up set N, from letters remind).",
)
@click.pass_context
def send(
    ctx: click.Context,
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    out: Path | None,
    yes: bool,
    resend: tuple[str, ...],
    remind: int | None,
) -> None:
    """ส่งชุดเอกสารทางอีเมลถึงผู้รับทุกราย ครั้งละหนึ่งฉบับ (e-mail every bundle once)."""
    result = commands.send(
        directive,
        config_path,
        register=register_file,
        out=out,
        yes=yes,
        resend=resend,
        environ=os.environ,
        progress=_progress(),
        remind=remind,
    )
    click.echo(result.text)
    ctx.exit(result.exit_code)


@cli.command("print")
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--printer", default=None, metavar="QUEUE", help="คิวเครื่องพิมพ์ CUPS (queue).")
@click.option("--copies", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--duplex", is_flag=True, help="พิมพ์สองหน้า (two-sided).")
@click.option("--file-only", is_flag=True, help="เขียนไฟล์สำหรับพิมพ์เองและแผ่นจ่าหน้า (print file only).")
@click.option(
    "--labels", is_flag=True, help="จ่าหน้าแบบสติกเกอร์ A4 แทนซอง DL (labels, not envelopes)."
)
@click.option(
    "--remind",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="หนังสือติดตามชุดที่ N (follow-up set N, from letters remind).",
)
def print_command(
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    out: Path | None,
    printer: str | None,
    copies: int,
    duplex: bool,
    file_only: bool,
    labels: bool,
    remind: int | None,
) -> None:
    """พิมพ์ชุดเอกสารทุกรายครั้งละหนึ่งชุด หรือเขียนไฟล์สำหรับพิมพ์ (print every bundle once)."""
    click.echo(
        commands.print_bundles(
            directive,
            config_path,
            register=register_file,
            out=out,
            printer=printer,
            copies=copies,
            duplex=duplex,
            file_only=file_only,
            style="labels" if labels else "dl",
            progress=_progress(),
            remind=remind,
        )
    )


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--province",
    required=True,
    metavar="NAME_OR_CODE",
    help="จังหวัด: ชื่อหรือรหัส ๒ หลัก เช่น อุดรธานี หรือ 41 (province).",
)
def init(folder: Path, province: str) -> None:
    """สร้างโฟลเดอร์สำนักงานใหม่: config.yaml ทุกอำเภอ ตัวอย่างหนังสือ (a new office folder)."""
    click.echo(commands.init(folder, province, dt.date.today()))


@cli.command()
@click.argument("query", required=False)
@click.option("--province", default=None, metavar="NAME_OR_CODE", help="เฉพาะจังหวัดนี้ (province).")
def directory(query: str | None, province: str | None) -> None:
    """ค้นรหัส ชื่อ และตำแหน่งผู้รับของอำเภอ/เขต (look up district offices)."""
    click.echo(commands.directory(query, province))


@cli.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@CONFIG_OPTION
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="ใบรับรอง CA ที่เชื่อถือ (a trusted root certificate, PEM or DER); repeatable.",
)
@click.pass_context
def verify(
    ctx: click.Context, pdf: Path, config_path: Path | None, trust: tuple[Path, ...]
) -> None:
    """ตรวจลายมือชื่อดิจิทัลของหนังสือ PDF (verify a signed letter): ผู้ลงนาม เวลา ความครบถ้วน."""
    result = commands.verify(pdf, config_path, trust)
    click.echo(result.text)
    ctx.exit(result.exit_code)


@cli.group()
def export() -> None:
    """ส่งออกหนังสือที่สร้างแล้วให้ระบบอื่น (export a built letter for other systems)."""


@export.command("ecms")
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="โฟลเดอร์ที่สร้างไว้ (default: the last build the register knows).",
)
def export_ecms(
    directive: Path, config_path: Path | None, register_file: Path | None, out: Path | None
) -> None:
    """ไฟล์แลกเปลี่ยนระบบสารบรรณอิเล็กทรอนิกส์ (e-saraban ECMS XML), หนึ่งไฟล์ต่อผู้รับ."""
    result = commands.export_ecms(directive, config_path, register=register_file, out=out)
    for warning in result.warnings:
        click.secho(warning, err=True, fg="yellow")
    click.echo(result.text)


@cli.command()
@click.argument(
    "folder", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)
@click.option("--host", default="127.0.0.1", show_default=True, help="ที่อยู่ที่เปิดให้เข้า (bind).")
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True)
@click.option("--no-browser", is_flag=True, help="ไม่เปิดเบราว์เซอร์ (do not open the browser).")
@click.option(
    "--hash-password",
    is_flag=True,
    help="พิมพ์ password_hash สำหรับ web.users ใน config.yaml แล้วจบ (hash a password).",
)
def serve(folder: Path, host: str, port: int, no_browser: bool, hash_password: bool) -> None:
    """หน้าเว็บของสำนักงาน: เขียน ดูตัวอย่าง อนุมัติ ส่ง ติดตาม (the office's web page)."""
    if hash_password:
        password = click.prompt("รหัสผ่าน (password)", hide_input=True, confirmation_prompt=True)
        click.echo(commands.hash_password(password))
        return
    commands.serve(folder, host, port, open_browser=not no_browser, announce=click.echo)


def _progress() -> Callable[[int, int, str], None] | None:
    """A progress bar on a terminal for long runs; nothing when the output is a file or a pipe."""
    return commands.progress_bar(sys.stderr)


def main() -> None:
    cli(prog_name="letters")
