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

from letters import __version__
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


class _Letters(click.Group):
    """Catches the tool's own errors once, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LettersError as exc:
            click.secho(str(exc), err=True, fg="red")
            ctx.exit(exc.exit_code)
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
    from letters.check import check as run_check

    click.echo(run_check(directive, config_path))
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
    formats: str,
    only: tuple[str, ...],
    draft: bool,
    register_file: Path | None,
) -> None:
    """สร้างหนังสือ ชุดส่ง และแบบติดตามถึงผู้รับทุกราย (build letters, bundles, checklist)."""
    from letters.build import build as run_build
    from letters.build import parse_formats

    result = run_build(
        directive,
        config_path,
        out=out,
        formats=parse_formats(formats),
        only=only,
        draft=draft,
        progress=_progress(),
        register=register_file,
    )
    for warning in result.warnings:
        click.secho(warning, err=True, fg="yellow")
    click.echo(result.summary())


class _Date(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2 on
    """A date as a clerk types it, read by ``letters.thai.typed_date`` as in a directive:
    ``2018-12-11``, ``2561-12-11`` (พ.ศ.), ``๑๑ ธันวาคม ๒๕๖๑``."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        from letters.thai import typed_date

        try:
            return typed_date(str(value)).day
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = _Date()


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
def renumber(directive: Path, config_path: Path | None, register_file: Path | None) -> None:
    """ออกเลขใหม่ให้หนังสือที่แก้ไข เลขเดิมถูกยกเลิก (new numbers for a corrected letter)."""
    from letters.register import renumber_directive

    click.echo(renumber_directive(directive, config_path, register_file, dt.date.today()))


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
    from letters.followup import track as run_track

    click.echo(
        run_track(
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
    from letters.followup import status as run_status

    click.echo(run_status(directive, config_path, register=register_file, today=on))


@cli.command()
@click.argument("directive", type=DIRECTIVE)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--on", "on", type=DATE, default=None, help="วันที่ของหนังสือติดตาม (default: today).")
@click.option(
    "--days", type=click.IntRange(min=1), default=7, show_default=True, help="กำหนดใหม่ (days)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--format", "formats", default="pdf,docx", show_default=True)
def remind(
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    on: dt.date | None,
    days: int,
    out: Path | None,
    formats: str,
) -> None:
    """หนังสือติดตามถึงผู้รับที่ยังไม่ทำเมื่อเกินกำหนด (follow-up letters for late recipients)."""
    from letters.build import parse_formats
    from letters.followup import remind as run_remind

    result = run_remind(
        directive,
        config_path,
        register=register_file,
        on=on,
        days=days,
        out=out,
        formats=parse_formats(formats),
        progress=_progress(),
    )
    if result.built is None:
        click.echo("ไม่มีผู้รับที่เกินกำหนด (nobody is late): ไม่ต้องออกหนังสือติดตาม")
        return
    click.echo(result.built.summary())


@cli.group(invoke_without_command=True)
@CONFIG_OPTION
@REGISTER_OPTION
@click.option("--year", type=int, default=None, help="ปี พ.ศ. หรือ ค.ศ. (year).")
@click.pass_context
def register(
    ctx: click.Context, config_path: Path | None, register_file: Path | None, year: int | None
) -> None:
    """ทะเบียนหนังสือส่ง (the outgoing register, form ๑๔)."""
    ctx.obj = (config_path, register_file, year)
    if ctx.invoked_subcommand is None:
        from letters.register import show_register

        click.echo(show_register(config_path, register_file, year))


@register.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="pdf", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def register_export(ctx: click.Context, fmt: str, out: Path | None) -> None:
    """ทะเบียนสำหรับพิมพ์ (export for printing): csv, xlsx, pdf."""
    from letters.register import export_register

    config_path, register_file, year = ctx.obj
    written = export_register(config_path, register_file, year, fmt, out)
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
@click.pass_context
def send(
    ctx: click.Context,
    directive: Path,
    config_path: Path | None,
    register_file: Path | None,
    out: Path | None,
    yes: bool,
    resend: tuple[str, ...],
) -> None:
    """ส่งชุดเอกสารทางอีเมลถึงผู้รับทุกราย ครั้งละหนึ่งฉบับ (e-mail every bundle once)."""
    from letters.dispatch import send_directive

    result = send_directive(
        directive,
        config_path,
        register=register_file,
        out=out,
        yes=yes,
        resend=resend,
        environ=os.environ,
        progress=_progress(),
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
) -> None:
    """พิมพ์ชุดเอกสารทุกรายครั้งละหนึ่งชุด หรือเขียนไฟล์สำหรับพิมพ์ (print every bundle once)."""
    from letters.printing import print_directive

    click.echo(
        print_directive(
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
        )
    )


def _progress() -> Callable[[int, int, str], None] | None:
    """A progress bar on a terminal for long runs; nothing when the output is a file or a pipe."""
    from letters.build import progress_bar

    return progress_bar(sys.stderr)


def main() -> None:
    cli(prog_name="letters")
