"""Shared fixtures: the project's own office and example, the ``letters`` command (in this
process, or as a real process), builds made once per session, and the CI rule that nothing
may be skipped.

Everything a test reads comes from this checkout: ``config.yaml`` (the Nong Khai office),
``examples/line-at/`` (the LINE@ circular with its PR files) and ``tests/data/``. The project
ships no Garuda image; a test that needs one draws it (``draw_emblem``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.yaml"
EXAMPLE = ROOT / "examples" / "line-at"
DATA = Path(__file__).resolve().parent / "data"


# --- the office -----------------------------------------------------------------------------

# A stand-in for the office's Garuda (the project ships none): a few shapes, 300 x 300, that
# reach every edge of the picture, so its drawn box is the picture's box. Not a Garuda.
EMBLEM_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300">
  <polygon points="150,0 185,70 300,95 205,160 235,300 150,245 65,300 95,160 0,95 115,70"
           fill="#b8860b"/>
  <circle cx="150" cy="130" r="42" fill="#8b0000"/>
  <rect x="125" y="190" width="50" height="30" fill="#1f3a93"/>
</svg>
"""


def draw_emblem(config: Path) -> Path:
    """Write the test emblem at the path ``config``'s ``office.emblem`` names (relative to the
    config's folder). Only that field is read: the config need not be valid otherwise."""
    from ruamel.yaml import YAML

    named = YAML(typ="safe").load(config.read_text(encoding="utf-8"))["office"]["emblem"]
    assert named, f"{config} names no office.emblem"
    emblem = config.parent / named
    emblem.parent.mkdir(parents=True, exist_ok=True)
    emblem.write_text(EMBLEM_SVG, encoding="utf-8")
    return emblem


def _edited(text: str, edits: Mapping[str, str] | None, where: Path) -> str:
    for old, new in (edits or {}).items():
        assert old in text, f"{old!r} is not in {where}"
        text = text.replace(old, new)
    return text


def make_office(
    folder: Path,
    *,
    emblem: bool = True,
    config_edits: Mapping[str, str] | None = None,
    directive_edits: Mapping[str, str] | None = None,
) -> Path:
    """An office folder: the project's config.yaml (with ``config_edits``), the example
    directive and its PR files in ``line-at/`` (with ``directive_edits``) and, unless
    ``emblem`` is false, a Garuda drawn where the config names it. Returns the directive."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(
        _edited(CONFIG.read_text(encoding="utf-8"), config_edits, CONFIG), encoding="utf-8"
    )
    shutil.copytree(EXAMPLE, folder / "line-at")
    directive = folder / "line-at" / "directive.yaml"
    source = EXAMPLE / "directive.yaml"
    directive.write_text(
        _edited(source.read_text(encoding="utf-8"), directive_edits, source), encoding="utf-8"
    )
    if emblem:
        draw_emblem(config)
    return directive


@dataclass(frozen=True)
class Reference:
    """The project's office with a Garuda drawn in: read it, never write into it."""

    folder: Path
    config: Path
    directive: Path


def rewrite_body(directive: Path, body: str) -> None:
    """Put ``body`` (YAML list lines) in place of the directive file's ``body:`` entries,
    the rest of the file as it was."""
    head, _, rest = directive.read_text(encoding="utf-8").partition("body:\n")
    _, _, tail = rest.partition("\nclosing:")
    directive.write_text(f"{head}body:\n{body}\n\nclosing:{tail}", encoding="utf-8")


def rewrite_follow_up(directive: Path, follow_up: str = "") -> None:
    """Put ``follow_up`` (the YAML from ``follow_up:`` on; empty: none) in place of the
    directive file's last part, ``follow_up:`` to the end."""
    head, _, _ = directive.read_text(encoding="utf-8").partition("follow_up:")
    directive.write_text(head + follow_up, encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes: to show that nothing was written."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="session")
def reference_office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """One office for the whole session, as ``make_office`` makes it; no test may change it."""
    folder = tmp_path_factory.mktemp("reference")
    directive = make_office(folder)
    before = tree(folder)
    yield Reference(folder, folder / "config.yaml", directive)
    changed = changed_files(before, tree(folder))
    assert not changed, f"tests wrote into {folder}: {changed}"


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """The files of two ``tree``s that differ, or are in one only: [] when they are equal
    (a failure names the files, not every byte of them)."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _project_files() -> dict[str, bytes]:
    files = {"config.yaml": CONFIG.read_bytes()}
    for folder in (ROOT / "examples", DATA):
        files.update({f"{folder.name}/{k}": v for k, v in tree(folder).items()})
    return files


@pytest.fixture(scope="session", autouse=True)
def project_files_stay_untouched() -> Iterator[None]:
    """Tests read the checkout's config.yaml, examples/ and tests/data/: never write there."""
    before = _project_files()
    yield
    changed = changed_files(before, _project_files())
    assert not changed, f"tests wrote into the checkout: {changed}"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh office folder: the project's config.yaml and the example directive with its PR,
    as a clerk has them after a clone (no Garuda image)."""
    shutil.copy(CONFIG, tmp_path / "config.yaml")
    shutil.copytree(EXAMPLE, tmp_path / "line-at")
    return tmp_path


# --- the command ----------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


Runner = Callable[..., Result]


def invoke(*args: str | Path, cwd: Path, env: Mapping[str, str] | None = None) -> Result:
    """``letters ARGS`` in ``cwd``, run in this process through click's test runner: the same
    command, options, output streams and exit status as the console command, without a
    start-up. An exception that escapes the command shows as its traceback on stderr."""
    from click.testing import CliRunner

    from letters.cli import cli

    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1 mixes them unless told
    except TypeError:
        runner = CliRunner()  # click 8.2 on keeps stdout and stderr apart
    environment: dict[str, str | None] = {"LETTERS_DEBUG": None, **(env or {})}
    with contextlib.chdir(cwd):
        result = runner.invoke(
            cli, [str(a) for a in args], env=environment, prog_name="letters", color=False
        )
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "".join(traceback.format_exception(result.exception))
    return Result(result.exit_code, result.stdout, err)


@pytest.fixture
def letters() -> Runner:
    """Run ``letters`` in a folder, in this process (see ``invoke``)."""
    return invoke


@pytest.fixture
def letters_process() -> Runner:
    """Run the real ``letters`` command (as ``python -m letters``) in a folder: for tests about
    the process itself (its exit status, a process killed, what it imports)."""

    def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Result:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("LETTERS_DEBUG", None)
        proc = subprocess.run(
            [sys.executable, "-m", "letters", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=600,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


# --- builds made once -----------------------------------------------------------------------


def _relocate(source: Path, target: Path) -> None:
    """Make a copied office's build records name the copy: the register's last build folder
    and the manifest's directive path hold absolute paths."""
    old, new = str(source.resolve()), str(target.resolve())
    for manifest in target.glob("out/*/manifest.json"):
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, new), "utf-8")
    register = target / "register.sqlite3"
    if register.is_file():
        with contextlib.closing(sqlite3.connect(register)) as conn, conn:
            for directive_id, folder in conn.execute("SELECT directive_id, folder FROM build"):
                if folder == old or folder.startswith(old + os.sep):
                    conn.execute(
                        "UPDATE build SET folder = ? WHERE directive_id = ?",
                        (new + folder[len(old) :], directive_id),
                    )


Prebuilt = Callable[..., Path]
_ENVIRON = dict(os.environ)  # as the session started


@pytest.fixture(scope="session")
def _builds() -> Iterator[dict[tuple[object, ...], Path]]:
    """The offices built so far, by their build options and config edits. Tests change their
    copies only: each built office is as its build left it at the end of the session."""
    built: dict[tuple[object, ...], Path] = {}
    yield built
    for office in built.values():
        changed = changed_files(_as_built[office], tree(office))
        assert not changed, f"tests changed {office}, not a copy of it: {changed}"


_as_built: dict[Path, dict[str, bytes]] = {}


@pytest.fixture
def prebuilt(
    _builds: dict[tuple[object, ...], Path], tmp_path_factory: pytest.TempPathFactory
) -> Prebuilt:
    """``prebuilt(folder, *options, config_edits=...)`` fills ``folder`` with what
    ``letters build line-at/directive.yaml OPTIONS`` leaves in a fresh ``workdir`` (whose
    config.yaml has ``config_edits``): the office, its register and ``out/``. The build runs
    once per session for each set of options, in this process; each test gets its own copy.
    Ask for it before patching anything the build uses."""

    def make(folder: Path, *options: str, config_edits: Mapping[str, str] | None = None) -> Path:
        key = (options, tuple(sorted((config_edits or {}).items())))
        if key not in _builds:
            office = tmp_path_factory.mktemp("prebuilt")
            make_office(office, emblem=False, config_edits=config_edits)
            # In the environment the session started with, whatever the test that asks
            # first has set (a PATH, a HOME): the build is the same for every test.
            environ = dict(os.environ)
            os.environ.clear()
            os.environ.update(_ENVIRON)
            try:
                result = invoke("build", "line-at/directive.yaml", *options, cwd=office)
            finally:
                os.environ.clear()
                os.environ.update(environ)
            assert result.code == 0, result.text
            _builds[key] = office
            _as_built[office] = tree(office)
        source = _builds[key]
        folder.mkdir(parents=True, exist_ok=True)
        assert not any(folder.iterdir()), f"{folder} is not empty"
        shutil.copytree(source, folder, symlinks=True, dirs_exist_ok=True)
        _relocate(source, folder)
        return folder

    return make


# --- CI: nothing may be skipped ---------------------------------------------------------------

_skipped: list[tuple[str, str]] = []


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, _skip_reason(report)))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _skipped.append((report.nodeid, _skip_reason(report)))


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (the environment variable CI is set) a skipped test fails the run: CI has
    LibreOffice, CUPS and everything else the tests need, so a skip there hides a test."""
    if _ci() and _skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _ci() and _skipped:
        terminalreporter.section("skipped in CI (CI is set: the run fails)", sep="=", red=True)
        for nodeid, reason in _skipped:
            terminalreporter.line(f"SKIPPED {nodeid}: {reason}", red=True)
