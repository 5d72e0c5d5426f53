"""The command line as a clerk meets it: help, version, check, usage errors.

Help, version and the exit statuses of bad usage are asked of the real command (a process
of its own); the rest runs the same command in this process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE, ROOT, Prebuilt, Runner

from letters import __version__


def test_help_lists_every_command_with_its_whole_description(letters_process: Runner) -> None:
    result = letters_process("--help", cwd=ROOT)
    assert result.code == 0
    from letters.cli import cli

    listed = " ".join(result.out.split("Commands (คำสั่ง):")[1].split())
    for name, command in cli.commands.items():
        line = " ".join((command.help or "").splitlines()[0].split())
        assert line and f"{name} {line}" in listed, name  # never cut short with "..."
    assert "..." not in listed
    assert {"init", "directory", "remind", "send", "print", "register"} <= set(cli.commands)


@pytest.mark.parametrize(
    ("args", "thai", "english"),
    [
        (("status",), "ขาดอาร์กิวเมนต์", "Missing argument 'DIRECTIVE'"),
        (("build", "d.yaml", "--bogus"), "ไม่มีตัวเลือกนี้", "No such option '--bogus'"),
        (("frob",), "ไม่มีคำสั่งนี้", "No such command 'frob'"),
        (("status", "d.yaml", "--on", "2562-02-29"), "ค่าไม่ถูกต้อง", "no such date"),
        (("build", "d.yaml", "--format", "odt"), "ค่าไม่ถูกต้อง", "unknown format"),
        (("build", "d.yaml", "--format"), "ตัวเลือกนี้ต้องมีค่า", "requires an argument"),
    ],
)
def test_usage_errors_are_said_in_thai_and_english(
    tmp_path: Path, letters: Runner, args: tuple[str, ...], thai: str, english: str
) -> None:
    result = letters(*args, cwd=tmp_path)
    assert result.code == 2
    assert thai in result.err and english in result.err
    assert list(tmp_path.iterdir()) == []


def test_version(letters_process: Runner) -> None:
    result = letters_process("--version", cwd=ROOT)
    assert result.code == 0
    assert __version__ in result.out


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from letters.cli import cli\n"
        f"try:\n    cli({list(args)!r}, prog_name='letters')\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(proc.stdout.split())


HEAVY = {"weasyprint", "docx", "pdfplumber", "openpyxl"}
# pydantic (with the asyncio it pulls in) and the models built on it: `letters check` needs
# them (it is the summary of load_letter), `letters --help` does not.
MODELS = {"pydantic", "pydantic_core", "asyncio", "letters.config", "letters.directive"}


def test_help_does_not_import_the_renderers() -> None:
    loaded = _modules_after("--help")
    assert "click" in loaded
    assert not (HEAVY | MODELS | {"ruamel.yaml"}) & loaded


def test_check_does_not_import_the_renderers() -> None:
    loaded = _modules_after(
        "check",
        str(EXAMPLE / "directive.yaml"),
        "--config",
        str(CONFIG),
    )
    assert "letters.directive" in loaded
    assert not HEAVY & loaded


def test_check_reference_directive(letters: Runner) -> None:
    result = letters(
        "check",
        EXAMPLE / "directive.yaml",
        "--config",
        CONFIG,
        cwd=ROOT,
    )
    assert result.code == 0, result.text
    assert "หนังสือเวียน (circular)" in result.out
    assert "การปฏิบัติการสื่อสารของกระทรวงมหาดไทย" in result.out
    assert "๙ ราย" in result.out
    assert "นายวิฑูรย์ แสนใจวุฒิ" in result.out


def test_check_finds_the_config_above_the_directive(workdir: Path, letters: Runner) -> None:
    result = letters("check", "line-at/directive.yaml", cwd=workdir / "line-at" / "pr")
    assert result.code == 1  # from pr/, the relative path does not exist
    result = letters("check", "directive.yaml", cwd=workdir / "line-at")
    assert result.code == 0, result.text


def test_check_uses_cwd_config_when_none_above(
    tmp_path: Path, workdir: Path, letters: Runner
) -> None:
    # The directive sits in a folder with no config.yaml above it: ./config.yaml is used.
    (workdir / "config.yaml").rename(workdir / "office.yaml")
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1 and "config.yaml: ไม่พบไฟล์" in result.err
    result = letters("check", "line-at/directive.yaml", "--config", "office.yaml", cwd=workdir)
    assert result.code == 0, result.text


def test_usage_error_exits_2(letters_process: Runner) -> None:
    result = letters_process("check", cwd=ROOT)
    assert result.code == 2
    assert "Traceback" not in result.text
    result = letters_process("frobnicate", cwd=ROOT)
    assert result.code == 2


def test_missing_directive_exits_1(tmp_path: Path, letters_process: Runner) -> None:
    result = letters_process("check", "nothing.yaml", cwd=tmp_path)
    assert result.code == 1
    assert "nothing.yaml: ไม่พบไฟล์ (no such file)" in result.err
    assert "Traceback" not in result.text
    assert list(tmp_path.iterdir()) == []


def _into_a_closed_pipe(*args: str | Path, cwd: Path) -> tuple[int, str]:
    """``letters ARGS | head -c 0``, the reader gone before the first line: the exit status
    and what the command wrote to stderr."""
    with subprocess.Popen(
        [sys.executable, "-m", "letters", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # as `head` does once it has what it wants
        err = proc.stderr.read().decode("utf-8", "replace")
        return proc.wait(timeout=600), err


def test_output_into_a_pipe_closed_early_ends_quietly(workdir: Path) -> None:
    """``letters check D | head -1``: no traceback, no internal error, for check's summary and
    for build's (whose letters are all written before it)."""
    for args in (
        ("check", "line-at/directive.yaml"),
        ("--help",),
        ("build", "line-at/directive.yaml", "--draft", "--format", "pdf"),
    ):
        code, err = _into_a_closed_pipe(*args, cwd=workdir)
        assert code == 1, (args, err)
        assert "Traceback" not in err and "BrokenPipe" not in err, (args, err)
        assert "internal error" not in err, (args, err)
    assert len(list((workdir / "out" / "line-at-draft" / "letters").glob("*.pdf"))) == 9
    proc = subprocess.run(
        f"'{sys.executable}' -m letters check line-at/directive.yaml | head -c 10",
        shell=True,
        cwd=workdir,
        capture_output=True,
    )
    assert proc.returncode == 0 and len(proc.stdout) == 10
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


def test_config_and_register_options_after_the_subcommand(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    """``--config`` and ``--register`` go before or after ``export``, as the clerk types them."""
    office = prebuilt(tmp_path / "office")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    after = letters(
        "register",
        "export",
        "--format",
        "csv",
        "--config",
        office / "config.yaml",
        "--register",
        office / "register.sqlite3",
        "--out",
        "after.csv",
        cwd=elsewhere,
    )
    assert after.code == 0, after.text
    before = letters(
        "register",
        "--config",
        office / "config.yaml",
        "--register",
        office / "register.sqlite3",
        "export",
        "--format",
        "csv",
        "--out",
        "before.csv",
        cwd=elsewhere,
    )
    assert before.code == 0, before.text
    written = (elsewhere / "after.csv").read_bytes()
    assert written == (elsewhere / "before.csv").read_bytes()
    assert written.decode("utf-8-sig").count("\r\n") == 10  # the header and nine letters
