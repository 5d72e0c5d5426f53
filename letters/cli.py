"""The ``letters`` command: parse options, call one function, turn errors into exit codes.

Exit status: 0 done, 1 bad input or a failed run (the message says what to fix), 2 bad
command-line usage. Renderers are imported inside the commands that use them, so
``letters --help`` and ``letters check`` start fast.
"""

from __future__ import annotations

import os
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
    from letters.directive import load_letter, summary

    letter = load_letter(directive, config_path)
    click.echo(summary(letter))
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


def _progress() -> Callable[[int, int, str], None] | None:
    """A one-line counter on a terminal; nothing when the output is a file or a pipe."""
    if not click.get_text_stream("stderr").isatty():
        return None

    def show(done: int, total: int, name: str) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\r{done}/{total} {name}\033[K", nl=False, err=True)
        if end:
            click.echo("", err=True)

    return show


def main() -> None:
    cli(prog_name="letters")
