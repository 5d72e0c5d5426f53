"""Printing: bundles to a print queue, one combined print file, envelopes and labels.

The queue tests run twice, and each test's id says against what:

* ``[cups]``: a real CUPS scheduler started by the fixture for this module (its own
  configuration, spool and socket in a temporary folder; killed at the end) with a
  PDF-writing cups-pdf queue: what the queue printed is read back as PDF files. Where CUPS
  cannot be started (not installed, not root, no cups-pdf, the scheduler refuses to run in
  the sandbox), these are skipped and the reason says why.
* ``[recorded-lp]``: a recorded ``lp`` on PATH that writes its arguments down, keeps a copy
  of the file as "printed" and answers as CUPS's ``lp`` does (request ids, the errors for a
  missing queue, no default printer, a queue not accepting jobs).

Both go through the real ``lp`` command line and the real outgoing register (SQLite).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pdfplumber
import pytest
from conftest import EXAMPLE, ROOT, Prebuilt
from pdfgeometry import A4, PT_PER_CM, squash
from pypdf import PdfReader, PdfWriter

from letters import thai
from letters.commands import build
from letters.config import Member
from letters.directive import Letter, load_letter
from letters.errors import DispatchError, OutputError
from letters.fonts import letter_fonts
from letters.printing import (
    DUPLEX,
    SENDER_PT,
    PrintJob,
    address_sheet,
    lp_command,
    print_bundles,
    print_file,
    run_lp,
)
from letters.register import PRINT, Register

WAIT_S = 60.0  # the longest any wait here lasts
AT = dt.datetime(2018, 12, 11, 10, 30)
PT_PER_MM = PT_PER_CM / 10


# -- the built letter --------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    letter: Letter
    folder: Path
    register: Path  # as the build left it: numbered, nothing dispatched
    directive_id: str
    jobs: list[PrintJob]  # in the manifest's (the recipients') order
    pages: dict[str, int]  # code -> pages of its bundle
    numbers: dict[str, str]  # code -> the printed ที่ line


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The reference directive built once, numbered in a register of its own."""
    office = tmp_path_factory.mktemp("office")
    shutil.copy(ROOT / "config.yaml", office / "config.yaml")
    shutil.copytree(EXAMPLE, office / "line-at")
    directive = office / "line-at" / "directive.yaml"
    result = build(
        directive,
        out=office / "out",
        formats=("pdf",),
        register=office / "register.sqlite3",
        today=dt.date(2018, 12, 11),
    )
    assert result.directive_id is not None
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    jobs, pages, numbers = [], {}, {}
    for entry in manifest["recipients"]:
        bundle = next(f["path"] for f in entry["files"] if f["format"] == "bundle")
        jobs.append(PrintJob(entry["code"], entry["name"], result.folder / bundle))
        pages[entry["code"]] = len(PdfReader(result.folder / bundle).pages)
        numbers[entry["code"]] = entry["number"]
    assert len(jobs) == 9
    return Built(
        load_letter(directive),
        result.folder,
        office / "register.sqlite3",
        result.directive_id,
        jobs,
        pages,
        numbers,
    )


@dataclass
class Recorder:
    """The register glue ``letters print`` uses: every accepted job written at once."""

    register: Register
    directive_id: str
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def __call__(self, code: str, job_id: str | None) -> None:
        self.calls.append((code, job_id))
        self.register.record_action(self.directive_id, code, PRINT, AT, message_id=job_id)

    def printed(self) -> set[str]:
        return self.register.sent(self.directive_id, PRINT)


@pytest.fixture
def recorder(built: Built, tmp_path: Path) -> Iterator[Recorder]:
    path = tmp_path / "register.sqlite3"
    shutil.copy(built.register, path)
    with Register(path) as register:
        yield Recorder(register, built.directive_id)


# -- the print queues --------------------------------------------------------------------------


class Queue(Protocol):
    """What the tests need of a print queue, real or recorded."""

    kind: str
    name: str

    def submitted(self) -> list[str]: ...  # every job id the queue was given, in order
    def outputs(self, job_ids: list[str]) -> dict[str, Path]: ...  # job id -> printed PDF
    def options(self, job_id: str) -> dict[str, object]: ...  # copies, sides, title
    def reject(self) -> None: ...  # stop accepting jobs
    def accept(self) -> None: ...
    def default_to(self, name: str | None) -> None: ...  # the system's default queue


def _job_number(job_id: str) -> int:
    return int(job_id.rsplit("-", 1)[1])


# A recorded lp: the queues it knows, its default, and what it was asked, in LETTERS_FAKE_LP.
FAKE_LP = r'''#!{python}
"""lp as CUPS answers it, recording every call (test double of the printing tests)."""
import json, os, shutil, sys
from pathlib import Path

home = Path(os.environ["LETTERS_FAKE_LP"])
state = json.loads((home / "state.json").read_text())
args = sys.argv[1:]
queue, files, i = None, [], 0
while i < len(args):
    if args[i] == "--":
        files += args[i + 1 :]
        break
    if args[i] in ("-d", "-n", "-o", "-t"):
        if args[i] == "-d":
            queue = args[i + 1]
        i += 2
        continue
    files.append(args[i])
    i += 1
call = {"argv": ["lp", *args], "id": None}
queue = queue or state["default"]
if queue is None:
    error = "lp: Error - no default destination available."
elif queue not in state["queues"]:
    error = "lp: The printer or class does not exist."
elif queue in state["rejecting"]:
    error = f'lp: Destination "{queue}" is not accepting jobs.'
else:
    error = None
if error is None:
    state["next"] += 1
    call["id"] = f"{queue}-{state['next']}"
    shutil.copy(files[0], home / "out" / f"printed-job_{state['next']}.pdf")
    (home / "state.json").write_text(json.dumps(state))
with open(home / "calls.jsonl", "a") as log:
    log.write(json.dumps(call) + "\n")
if error:
    print(error, file=sys.stderr)
    sys.exit(1)
print(f"request id is {call['id']} ({len(files)} file(s))")
'''


class RecordedLp:
    kind = "recorded-lp"

    def __init__(self, folder: Path, name: str = "letters-pdf") -> None:
        self.name = name
        self.home = folder / "recorded-lp"
        (self.home / "bin").mkdir(parents=True)
        (self.home / "out").mkdir()
        script = self.home / "bin" / "lp"
        script.write_text(FAKE_LP.replace("{python}", sys.executable), encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        self._state({"queues": [name], "default": None, "rejecting": [], "next": 0})

    def _state(self, state: dict[str, object] | None = None) -> dict[str, object]:
        path = self.home / "state.json"
        if state is not None:
            path.write_text(json.dumps(state))
        loaded: dict[str, object] = json.loads(path.read_text())
        return loaded

    def calls(self) -> list[dict[str, object]]:
        log = self.home / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def submitted(self) -> list[str]:
        return [str(c["id"]) for c in self.calls() if c["id"]]

    def outputs(self, job_ids: list[str]) -> dict[str, Path]:
        return {j: self.home / "out" / f"printed-job_{_job_number(j)}.pdf" for j in job_ids}

    def options(self, job_id: str) -> dict[str, object]:
        argv = next(c["argv"] for c in self.calls() if c["id"] == job_id)
        assert isinstance(argv, list)
        found: dict[str, object] = {"copies": 1, "sides": "one-sided"}
        for flag, value in itertools.pairwise(argv):
            if flag == "-n":
                found["copies"] = int(value)
            elif flag == "-o" and value.startswith("sides="):
                found["sides"] = value.removeprefix("sides=")
            elif flag == "-t":
                found["title"] = value
        return found

    def reject(self) -> None:
        state = self._state()
        self._state({**state, "rejecting": [self.name]})

    def accept(self) -> None:
        self._state({**self._state(), "rejecting": []})

    def default_to(self, name: str | None) -> None:
        self._state({**self._state(), "default": name})

    def environment(self) -> dict[str, str]:
        return {
            "PATH": f"{self.home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "LETTERS_FAKE_LP": str(self.home),
        }


CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_CONFIGS = Path("/etc/cups")  # cups-pdf reads cups-pdf-<instance>.conf only there

GET_JOB = """{
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR name requesting-user-name root
  ATTR keyword requested-attributes all
}
"""


class Unavailable(Exception):
    """CUPS cannot run here; the message says why."""


class Cups:
    """A CUPS scheduler of our own: configuration, spool and socket in one temporary folder,
    one cups-pdf queue writing PDFs into ``pdf/``. Nothing of the system's CUPS is used."""

    kind = "cups"

    def __init__(self) -> None:
        for tool in ("cupsd", "lp", "lpstat", "lpadmin", "cupsaccept", "cupsreject", "ipptool"):
            if shutil.which(tool, path=f"/usr/sbin:/usr/bin:{os.environ.get('PATH', '')}") is None:
                raise Unavailable(f"'{tool}' is not installed (Debian: cups, cups-ipp-utils)")
        if not CUPS_PDF_BACKEND.exists() or not CUPS_PDF_PPD.exists():
            raise Unavailable("cups-pdf is not installed (Debian: printer-driver-cups-pdf)")
        if os.geteuid() != 0:
            raise Unavailable("a scheduler of our own with the cups-pdf backend needs root")
        if not os.access(CUPS_PDF_CONFIGS, os.W_OK):
            raise Unavailable(f"{CUPS_PDF_CONFIGS} is not writable: cups-pdf reads its setup there")
        self.name = f"letters-pdf-{os.getpid()}"
        # Not under pytest's basetemp (mode 0700): CUPS's filters run as the user lp.
        self.folder = Path(tempfile.mkdtemp(prefix="letters-cups-"))
        self.folder.chmod(0o755)
        self.socket = self.folder / "cups.sock"
        self.config = CUPS_PDF_CONFIGS / f"cups-pdf-{self.name}.conf"
        self.process: subprocess.Popen[bytes] | None = None
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def environment(self) -> dict[str, str]:
        """For lp and friends: this scheduler, and no client settings of the machine's."""
        return {"CUPS_SERVER": str(self.socket), "CUPS_SERVERROOT": str(self.folder / "etc")}

    def _tool(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            env={**os.environ, **self.environment(), "LC_ALL": "C.UTF-8"},
            check=False,
        )
        if check and done.returncode != 0:
            raise Unavailable(f"{' '.join(argv)}: {done.stderr.strip()}; {self._log_tail()}")
        return done

    def _start(self) -> None:
        f = self.folder
        for name in ("etc", "spool", "cache", "state", "tmp", "log", "pdf", "cups-pdf"):
            (f / name).mkdir()
        (f / "tmp").chmod(0o1777)  # the filters (user lp) write there
        (f / "etc" / "cupsd.conf").write_text(
            f"LogLevel debug\nListen {self.socket}\nBrowsing No\nWebInterface No\n"
            "DefaultAuthType None\nErrorPolicy abort-job\nJobRetryLimit 0\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (f / "etc" / "cups-files.conf").write_text(
            f"ServerRoot {f / 'etc'}\nRequestRoot {f / 'spool'}\nCacheDir {f / 'cache'}\n"
            f"StateDir {f / 'state'}\nTempDir {f / 'tmp'}\nAccessLog {f / 'log' / 'access_log'}\n"
            f"ErrorLog {f / 'log' / 'error_log'}\nPageLog {f / 'log' / 'page_log'}\n"
            f"Printcap {f / 'printcap'}\nSystemGroup root\nFileDevice No\n"
        )
        self.config.write_text(
            f"Out {f / 'pdf'}\nAnonDirName {f / 'pdf'}\nSpool {f / 'cups-pdf'}\n"
            f"Log {f / 'log'}\nGrp root\nLogType 7\n"
        )
        with open(f / "log" / "cupsd.out", "wb") as out:
            self.process = subprocess.Popen(
                [
                    shutil.which("cupsd", path="/usr/sbin:/usr/bin") or "cupsd",
                    "-f",
                    "-c",
                    str(f / "etc" / "cupsd.conf"),
                    "-s",
                    str(f / "etc" / "cups-files.conf"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WAIT_S / 2
        while True:
            if self.process.poll() is not None:
                raise Unavailable(
                    f"cupsd exited with {self.process.returncode}; {self._log_tail()}"
                )
            if (
                self.socket.exists()
                and "is running" in self._tool("lpstat", "-r", check=False).stdout
            ):
                break
            if time.monotonic() > deadline:
                raise Unavailable(f"cupsd did not answer in {WAIT_S / 2:.0f} s; {self._log_tail()}")
            time.sleep(0.2)
        self._tool(
            "lpadmin",
            "-p",
            self.name,
            "-E",
            "-v",
            f"cups-pdf:/{self.name}",
            "-P",
            str(CUPS_PDF_PPD),
        )
        # One page through the whole chain: the scheduler, the filters, cups-pdf, Ghostscript.
        sample = f / "sample.pdf"
        writer = PdfWriter()
        writer.add_blank_page(*A4)
        with open(sample, "wb") as handle:
            writer.write(handle)
        answer = self._tool("lp", "-d", self.name, "-t", "sample", "--", str(sample)).stdout
        found = re.search(r"request id is (\S+)", answer)
        if not found:
            raise Unavailable(f"lp said {answer!r}")
        try:
            self.outputs([found.group(1)])
        except AssertionError as exc:
            raise Unavailable(f"cups-pdf wrote nothing: {exc}") from None

    def _log_tail(self) -> str:
        lines = []
        for name in ("cupsd.out", "error_log", f"cups-pdf-{self.name}_log"):
            path = self.folder / "log" / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()
                lines += [line for line in text if line[:2] == "E " or "ERROR" in line][-5:]
                if name == "cupsd.out":
                    lines += text[-5:]
        return " | ".join(lines) or "no log"

    def stop(self) -> None:
        """End the scheduler we started (by its id), remove its setup and its folder.

        Jobs still printing are waited for first (bounded), so no filter outlives it.
        """
        if self.process is not None and self.process.poll() is None:
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline and self._pending():
                time.sleep(0.25)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.config.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pending(self) -> bool:
        try:
            done = self._tool("lpstat", "-W", "not-completed", "-o", self.name, check=False)
        except subprocess.SubprocessError:
            return False
        return bool(done.stdout.strip())

    def submitted(self) -> list[str]:
        listing = self._tool("lpstat", "-W", "all", "-o", self.name).stdout
        ids = [line.split()[0] for line in listing.splitlines() if line.strip()]
        return sorted(ids, key=_job_number)

    def _completed(self) -> set[str]:
        listing = self._tool("lpstat", "-W", "completed", "-o", self.name).stdout
        return {line.split()[0] for line in listing.splitlines() if line.strip()}

    def outputs(self, job_ids: list[str]) -> dict[str, Path]:
        """The PDF cups-pdf wrote for each job, once the scheduler says the job is done."""
        deadline = time.monotonic() + WAIT_S
        while not set(job_ids) <= self._completed():
            assert time.monotonic() < deadline, (
                f"jobs not completed after {WAIT_S:.0f} s: {job_ids}; {self._log_tail()}"
            )
            time.sleep(0.25)
        files = {}
        for path in (self.folder / "pdf").rglob("*.pdf"):
            found = re.search(r"job_(\d+)\.pdf$", path.name)
            if found:
                files[int(found.group(1))] = path
        missing = [j for j in job_ids if _job_number(j) not in files]
        assert not missing, f"no PDF for {missing}; {self._log_tail()}"
        return {j: files[_job_number(j)] for j in job_ids}

    def options(self, job_id: str) -> dict[str, object]:
        test = self.folder / "get-job.test"
        test.write_text(GET_JOB)
        uri = f"ipp://{urllib.parse.quote(str(self.socket), safe='')}/printers/{self.name}"
        out = self._tool(
            "ipptool", "-tv", "-d", f"job_id={_job_number(job_id)}", uri, str(test)
        ).stdout
        attributes = dict(re.findall(r"^\s+(\S+) \([^)]*\) = (.*)$", out, re.MULTILINE))
        return {
            "copies": int(attributes.get("copies", "1")),
            "sides": attributes.get("sides", "one-sided"),
            "title": attributes.get("job-name"),
        }

    def reject(self) -> None:
        self._tool("cupsreject", self.name)

    def accept(self) -> None:
        self._tool("cupsaccept", self.name)

    def default_to(self, name: str | None) -> None:
        if name is not None:
            self._tool("lpadmin", "-d", name)


@pytest.fixture(scope="module")
def cups() -> Iterator[Cups | str]:
    """The module's CUPS scheduler, or why there is none."""
    try:
        server = Cups()
    except (Unavailable, OSError, subprocess.SubprocessError) as exc:
        yield f"{type(exc).__name__}: {exc}"
        return
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["cups", "recorded-lp"])
def queue(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Queue]:
    """A queue named ``queue.name``; lp (the real command line) reaches it through PATH and
    the environment. No default queue unless a test sets one."""
    for name in ("LPDEST", "PRINTER", "CUPS_SERVER", "CUPS_SERVERROOT", "LETTERS_FAKE_LP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cups/lpoptions of the machine's user
    if request.param == "cups":
        server = request.getfixturevalue("cups")
        if isinstance(server, str):
            pytest.skip(f"no CUPS here ({server}); the recorded-lp run of this test stands in")
        for key, value in server.environment().items():
            monkeypatch.setenv(key, value)
        server.accept()
        yield server
        server.accept()
        return
    recorded = RecordedLp(tmp_path)
    for key, value in recorded.environment().items():
        monkeypatch.setenv(key, value)
    yield recorded


def pages(path: Path) -> int:
    return len(PdfReader(path).pages)


# -- print_bundles: the queue ------------------------------------------------------------------


def test_every_bundle_reaches_the_queue_once(
    built: Built, queue: Queue, recorder: Recorder
) -> None:
    before = queue.submitted()
    printed = print_bundles(built.jobs, printer=queue.name, on_printed=recorder)

    ids = [p.job_id for p in printed]
    assert all(i is not None and re.fullmatch(re.escape(queue.name) + r"-\d+", i) for i in ids)
    assert len(set(ids)) == 9
    assert recorder.calls == [(j.code, p.job_id) for j, p in zip(built.jobs, printed, strict=True)]
    assert [i for i in queue.submitted() if i not in before] == ids
    # What came out of the queue: one PDF per district with its bundle's pages.
    outputs = queue.outputs([str(i) for i in ids])
    for job, p in zip(built.jobs, printed, strict=True):
        assert pages(outputs[str(p.job_id)]) == built.pages[job.code], job.code
        assert queue.options(str(p.job_id)) == {
            "copies": 1,
            "sides": "one-sided",
            "title": job.title,
        }
    # The register: nine print rows, each with its job id.
    assert recorder.printed() == {j.code for j in built.jobs}
    rows = recorder.register.rows(directive_id=built.directive_id)
    for row, p in zip(rows, printed, strict=True):
        assert "พิมพ์ส่งทางไปรษณีย์" in row.action
        assert thai.thai_digits(str(p.job_id)) in row.action  # the register prints Thai digits

    # Again, as a clerk would: nothing more goes to the queue.
    submitted = queue.submitted()
    again = print_bundles(
        built.jobs, printer=queue.name, already_printed=recorder.printed(), on_printed=recorder
    )
    assert again == []
    assert queue.submitted() == submitted
    assert len(recorder.calls) == 9


def test_copies_and_duplex_reach_the_queue(built: Built, queue: Queue, recorder: Recorder) -> None:
    seen: list[list[str]] = []

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        seen.append(argv)
        return run_lp(argv)  # the real lp

    jobs = built.jobs[:2]
    printed = print_bundles(
        jobs, printer=queue.name, copies=2, duplex=True, run=run, on_printed=recorder
    )
    assert seen == [
        ["lp", "-d", queue.name, "-n", "2", "-o", DUPLEX, "-t", j.title, "--", str(j.bundle)]
        for j in jobs
    ]
    for job, p in zip(jobs, printed, strict=True):
        assert queue.options(str(p.job_id)) == {
            "copies": 2,
            "sides": "two-sided-long-edge",
            "title": job.title,  # the district's code and name, as the queue lists it
        }
    assert recorder.printed() == {j.code for j in jobs}


def test_missing_queue_is_named_and_nothing_recorded(
    built: Built, queue: Queue, recorder: Recorder
) -> None:
    before = queue.submitted()
    with pytest.raises(DispatchError) as raised:
        print_bundles(built.jobs, printer="no-such-queue", on_printed=recorder)
    message = str(raised.value)
    assert "ไม่มีเครื่องพิมพ์ 'no-such-queue'" in message
    assert "--printer" in message and "dispatch.printer" in message
    assert "ยังไม่ได้พิมพ์ 9 ชุด" in message
    assert recorder.calls == [] and recorder.printed() == set()
    assert queue.submitted() == before


def test_queue_failing_midway_keeps_what_printed(
    built: Built, queue: Queue, recorder: Recorder
) -> None:
    """The queue stops accepting after the third bundle: three recorded, then a re-run prints
    the other six; each district's bundle reached the queue exactly once."""

    def on_printed(code: str, job_id: str | None) -> None:
        recorder(code, job_id)
        if len(recorder.calls) == 3:
            queue.reject()

    with pytest.raises(DispatchError) as raised:
        print_bundles(built.jobs, printer=queue.name, on_printed=on_printed)
    message = str(raised.value)
    fourth = built.jobs[3]
    assert f"{fourth.code} {fourth.name}" in message
    assert "ไม่รับงาน (not accepting jobs)" in message
    assert "ส่งเข้าเครื่องพิมพ์แล้ว 3 ชุด" in message and "ยังไม่ได้พิมพ์ 6 ชุด" in message
    assert recorder.printed() == {j.code for j in built.jobs[:3]}

    queue.accept()
    rest = print_bundles(
        built.jobs, printer=queue.name, already_printed=recorder.printed(), on_printed=recorder
    )
    assert [p.code for p in rest] == [j.code for j in built.jobs[3:]]
    assert sorted(code for code, _ in recorder.calls) == sorted(j.code for j in built.jobs)
    outputs = queue.outputs([str(job_id) for _, job_id in recorder.calls])
    assert len(set(outputs.values())) == 9


def test_no_default_printer_says_what_to_do(built: Built, queue: Queue, recorder: Recorder) -> None:
    with pytest.raises(DispatchError) as raised:
        print_bundles(built.jobs, printer=None, on_printed=recorder)
    message = str(raised.value)
    assert "ยังไม่ได้ตั้งเครื่องพิมพ์หลัก (no default printer)" in message
    assert "--printer" in message and "dispatch.printer" in message
    assert recorder.printed() == set()


def test_default_printer_when_none_is_named(
    built: Built, queue: Queue, recorder: Recorder, tmp_path: Path
) -> None:
    queue.default_to(queue.name)
    printed = print_bundles(built.jobs[:1], printer=None, on_printed=recorder)
    assert printed[0].job_id is not None and printed[0].job_id.startswith(f"{queue.name}-")
    assert lp_command(built.jobs[0], printer=None, copies=1, duplex=False)[:3] == ["lp", "-n", "1"]
    assert recorder.printed() == {built.jobs[0].code}


def test_lp_not_installed(
    built: Built, recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No queue needed: PATH holds no lp at all."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DispatchError) as raised:
        print_bundles(built.jobs, printer="letters-pdf", on_printed=recorder)
    assert "ไม่พบคำสั่ง lp (lp not found)" in str(raised.value)
    assert "--file-only" in str(raised.value)
    assert recorder.calls == []


def test_missing_bundle_prints_nothing(built: Built, recorder: Recorder, tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        raise AssertionError("lp must not run")

    jobs = [*built.jobs, PrintJob("4399", "ไม่มี", tmp_path / "4399-ไม่มี.pdf")]
    with pytest.raises(DispatchError, match=r"ไม่พบไฟล์ชุดหนังสือ.*letters build"):
        print_bundles(jobs, printer="letters-pdf", run=run, on_printed=recorder)
    assert calls == [] and recorder.calls == []


# -- print_file: one file to print by hand -----------------------------------------------------


def _texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _uneven(built: Built, folder: Path) -> list[PrintJob]:
    """The bundles cut to 6, 5, 4, 6, 5, ... pages (the last page, the reply form naming the
    district, kept): real pages, odd and even counts."""
    jobs = []
    for i, job in enumerate(built.jobs):
        reader = PdfReader(job.bundle)
        keep = 6 - i % 3
        writer = PdfWriter()
        for page in [*reader.pages[: keep - 1], reader.pages[-1]]:
            writer.add_page(page)
        path = folder / job.bundle.name
        with open(path, "wb") as handle:
            writer.write(handle)
        jobs.append(dataclasses.replace(job, bundle=path))
    return jobs


def test_print_file_holds_every_bundle_in_recipient_order(built: Built, tmp_path: Path) -> None:
    out = print_file(built.jobs, duplex=False, out=tmp_path / "print" / "bundles.pdf")
    assert out == tmp_path / "print" / "bundles.pdf"
    combined = _texts(out)
    expected = [text for job in built.jobs for text in _texts(job.bundle)]
    assert len(combined) == sum(built.pages.values()) == 9 * 5  # letter 2, enclosures 2, form
    assert combined == expected
    # The reply form closing each bundle names its district, in the recipients' order.
    ends = [sum(list(built.pages.values())[: i + 1]) - 1 for i in range(9)]
    with pdfplumber.open(out) as pdf:
        for end, job in zip(ends, built.jobs, strict=True):
            assert squash(job.name) in squash(pdf.pages[end].extract_text() or "")
    # The outline a PDF viewer shows: each district, at its bundle's first page.
    reader = PdfReader(out)
    entries = [o for o in reader.outline if not isinstance(o, list)]
    assert [(o.title, reader.get_destination_page_number(o)) for o in entries] == [
        (thai.thai_digits(f"{j.code} {j.name}"), end - built.pages[j.code] + 1)
        for j, end in zip(built.jobs, ends, strict=True)
    ]
    assert list(tmp_path.joinpath("print").iterdir()) == [out]  # no temporary file left


def test_print_file_duplex_starts_every_bundle_on_a_new_sheet(built: Built, tmp_path: Path) -> None:
    jobs = _uneven(built, tmp_path)
    counts = [pages(j.bundle) for j in jobs]
    assert counts == [6, 5, 4, 6, 5, 4, 6, 5, 4]
    out = print_file(jobs, duplex=True, out=tmp_path / "duplex.pdf")
    blanks = sum(1 for c in counts[:-1] if c % 2)  # none after the last bundle
    assert pages(out) == sum(counts) + blanks == 45 + 3
    combined = _texts(out)
    start = 0
    for job, count in zip(jobs, counts, strict=True):
        assert start % 2 == 0, f"{job.code} starts on page {start + 1}, a back side"
        assert combined[start : start + count] == _texts(job.bundle)
        start += count
        if count % 2 and job is not jobs[-1]:
            with pdfplumber.open(out) as pdf:
                blank = pdf.pages[start]
                assert not blank.chars and not blank.images and not blank.rects
                assert (blank.width, blank.height) == pytest.approx(A4, abs=0.5)
            start += 1
    assert start == len(combined)
    # Without duplex, no blank pages.
    assert pages(print_file(jobs, duplex=False, out=tmp_path / "simplex.pdf")) == sum(counts)


def test_print_file_is_deterministic(built: Built, tmp_path: Path) -> None:
    first = print_file(built.jobs, duplex=True, out=tmp_path / "a.pdf").read_bytes()
    second = print_file(built.jobs, duplex=True, out=tmp_path / "b.pdf").read_bytes()
    assert first == second


def test_print_file_missing_bundle(built: Built, tmp_path: Path) -> None:
    jobs = [*built.jobs, PrintJob("4399", "ไม่มี", tmp_path / "none.pdf")]
    with pytest.raises(DispatchError, match="ไม่พบไฟล์ชุดหนังสือ"):
        print_file(jobs, duplex=False, out=tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_print_file_unwritable_place(built: Built, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be")
    with pytest.raises(OutputError, match="เขียนไฟล์ไม่ได้"):
        print_file(built.jobs, duplex=False, out=tmp_path / "taken" / "bundles.pdf")


# -- address sheets ----------------------------------------------------------------------------


def _sender(letter: Letter) -> list[str]:
    office = letter.config.model.office
    return [thai.thai_digits(line) for line in (office.name, *office.address)]


def _address(member: Member) -> list[str]:
    return [thai.thai_digits(line) for line in (member.title, *member.postal)]


def _inside(words: list[str], text: str) -> bool:
    return all(squash(w) in squash(text) for w in words)


def test_dl_envelope_per_district(built: Built, tmp_path: Path) -> None:
    letter = built.letter
    members = list(letter.recipients)
    fonts = letter_fonts(letter.config.folder)
    path = tmp_path / "envelopes.pdf"
    path.write_bytes(address_sheet(letter, members, style="dl", fonts=fonts, numbers=built.numbers))
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 9
        for page, member in zip(pdf.pages, members, strict=True):
            # 220 x 110 mm, as a DL envelope is fed.
            assert (page.width / PT_PER_MM, page.height / PT_PER_MM) == pytest.approx(
                (220, 110), abs=0.2
            )
            text = page.extract_text() or ""
            assert not thai.has_ascii_digit_outside_links(text), text
            others = [m for m in members if m is not member]
            assert not any(squash(m.title) in squash(text) for m in others)
            # The sender small at the top left, with the letter's number.
            top_left = page.crop((0, 0, page.width * 0.4, page.height * 0.3))
            corner = top_left.extract_text() or ""
            assert _inside([*_sender(letter), built.numbers[member.code]], corner), corner
            # The district's address on the right, around the middle, larger.
            right = page.crop((page.width * 0.4, page.height * 0.3, page.width, page.height))
            assert _inside(_address(member), right.extract_text() or "")
            sizes = {round(c["size"]) for c in top_left.chars}
            assert sizes == {SENDER_PT}
            assert {round(c["size"]) for c in right.chars} == {16}
            x0 = min(c["x0"] for c in right.chars)
            x1 = max(c["x1"] for c in right.chars)
            assert x0 > page.width * 0.4 and x1 < page.width - 10 * PT_PER_MM
            top = min(c["top"] for c in right.chars)
            bottom = max(c["bottom"] for c in right.chars)
            assert page.height * 0.45 < (top + bottom) / 2 < page.height * 0.7


def test_labels_nine_on_one_a4_sheet(built: Built, tmp_path: Path) -> None:
    letter = built.letter
    members = list(letter.recipients)
    fonts = letter_fonts(letter.config.folder)
    path = tmp_path / "labels.pdf"
    path.write_bytes(address_sheet(letter, members, style="labels", fonts=fonts))
    width, height = 99.1 * PT_PER_MM, 38.1 * PT_PER_MM
    left = (A4[0] - 2 * width - 2.5 * PT_PER_MM) / 2
    top = (A4[1] - 7 * height) / 2
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert (page.width, page.height) == pytest.approx(A4, abs=0.5)
        assert not thai.has_ascii_digit_outside_links(page.extract_text() or "")
        for i, member in enumerate(members):
            x = left + (i % 2) * (width + 2.5 * PT_PER_MM)
            y = top + (i // 2) * height
            label = page.within_bbox((x, y, x + width, y + height))
            text = label.extract_text() or ""
            # Whole lines inside the label: the district's address and the sender.
            assert _inside([*_address(member), letter.config.model.office.name], text), (i, text)
            assert not any(squash(m.title) in squash(text) for m in members if m is not member)
        assert len(page.chars) == sum(
            len(page.within_bbox((x, y, x + width, y + height)).chars)
            for x in (left, left + width + 2.5 * PT_PER_MM)
            for y in (top + r * height for r in range(7))
        )


def test_labels_run_onto_more_sheets(built: Built, tmp_path: Path) -> None:
    letter = built.letter
    members = list(letter.recipients) * 2  # 18 labels: a full sheet of 14, then 4
    data = address_sheet(letter, members, style="labels", fonts=letter_fonts(letter.config.folder))
    path = tmp_path / "labels.pdf"
    path.write_bytes(data)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 2
        last = pdf.pages[1].extract_text() or ""
        assert _inside(_address(members[14]), last) and _inside(_address(members[17]), last)


def test_envelope_shows_speed_never_secrecy(built: Built, tmp_path: Path) -> None:
    letter = built.letter
    urgent = dataclasses.replace(
        letter,
        directive=letter.directive.model_copy(update={"speed": "ด่วนที่สุด", "secrecy": "ลับ"}),
    )
    path = tmp_path / "urgent.pdf"
    fonts = letter_fonts(letter.config.folder)
    path.write_bytes(address_sheet(urgent, letter.recipients[:1], style="dl", fonts=fonts))
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        red = "".join(
            c["text"]
            for c in page.chars
            if c["non_stroking_color"] not in (None, (0,), [0], (0, 0, 0), [0, 0, 0])
        )
        assert squash(red) == squash("ด่วนที่สุด")
        assert "ลับ" not in (page.extract_text() or "").replace("ด่วนที่สุด", "")


def test_address_sheet_without_recipients(built: Built) -> None:
    fonts = letter_fonts(built.letter.config.folder)
    with pytest.raises(DispatchError):
        address_sheet(built.letter, [], style="dl", fonts=fonts)


# -- letters print, the command ------------------------------------------------------------------


def test_letters_print_command_prints_each_bundle_once_and_records_it(
    queue: Queue, tmp_path: Path, prebuilt: Prebuilt, letters: Any
) -> None:
    from letters.register import Register
    from letters.thai import thai_digits

    workdir = prebuilt(tmp_path / "office", "--format", "pdf")  # after `letters build`
    before = len(queue.submitted())
    result = letters("print", "line-at/directive.yaml", "--printer", queue.name, cwd=workdir)
    assert result.code == 0, result.text
    assert "(printed) 9 ชุด" in result.out
    jobs = queue.submitted()[before:]
    assert len(jobs) == 9
    again = letters("print", "line-at/directive.yaml", "--printer", queue.name, cwd=workdir)
    assert again.code == 0 and "(already printed) 9 ชุด" in again.out
    assert len(queue.submitted()) == before + 9  # nothing twice
    with Register(workdir / "register.sqlite3", create=False) as reg:
        rows = reg.rows()
    assert len(rows) == 9 and all("พิมพ์ส่งทางไปรษณีย์" in r.action for r in rows)
    # form ๑๔ prints every digit Thai, the job id's too
    assert sorted(thai_digits(job) for job in jobs) == sorted(
        next(thai_digits(job) for job in jobs if thai_digits(job) in r.action) for r in rows
    )


def test_letters_print_file_only(tmp_path: Path, prebuilt: Prebuilt, letters: Any) -> None:
    workdir = prebuilt(tmp_path, "--format", "pdf")  # after `letters build --format pdf`
    result = letters("print", "line-at/directive.yaml", "--file-only", "--duplex", cwd=workdir)
    assert result.code == 0, result.text
    folder = workdir / "out" / "line-at"
    combined = pages(folder / "print" / "bundles.pdf")
    bundles = [pages(p) for p in sorted((folder / "bundles").glob("*.pdf"))]
    assert combined == sum(n + n % 2 for n in bundles[:-1]) + bundles[-1]
    assert pages(folder / "print" / "envelopes.pdf") == 9
    labels = letters("print", "line-at/directive.yaml", "--file-only", "--labels", cwd=workdir)
    assert labels.code == 0 and pages(folder / "print" / "labels.pdf") == 1


def test_letters_print_remind_prints_the_follow_up_set_once(
    queue: Queue, tmp_path: Path, prebuilt: Prebuilt, letters: Any
) -> None:
    """``letters print --remind 1``: the follow-up letters ``letters remind --yes`` wrote, each
    late district's bundle once, recorded under the follow-up's own rows."""
    workdir = prebuilt(tmp_path / "office", "--format", "pdf")  # after `letters build`
    directive = "line-at/directive.yaml"
    with Register(workdir / "register.sqlite3", create=False) as reg:
        for code in ("4301", "4302", "4305", "4307", "4308", "4314", "4315", "4316"):
            for task in (1, 2, 3):
                reg.mark_done(directive, code, task, dt.date(2018, 12, 20))
    made = letters(
        "remind", directive, "--on", "2018-12-27", "--format", "pdf", "--yes", cwd=workdir
    )
    assert made.code == 0, made.text
    before = len(queue.submitted())
    args = ("print", directive, "--remind", "1", "--printer", queue.name)
    result = letters(*args, cwd=workdir)
    assert result.code == 0, result.text
    assert "(printed) 1 ชุด" in result.out
    (job,) = queue.submitted()[before:]
    assert queue.options(job)["title"] == "4317-โพธิ์ตาก"
    bundle = workdir / "out" / "line-at-remind-1" / "bundles" / "4317-โพธิ์ตาก.pdf"
    assert pages(queue.outputs([job])[job]) == pages(bundle)
    again = letters(*args, cwd=workdir)
    assert again.code == 0 and "(already printed) 1 ชุด" in again.out
    assert len(queue.submitted()) == before + 1  # nothing twice
    with Register(workdir / "register.sqlite3", create=False) as reg:
        (row,) = reg.rows(directive_id=f"{directive}/remind/1")
        original = reg.rows(directive_id=directive)
    assert "พิมพ์ส่งทางไปรษณีย์" in row.action and thai.thai_digits(job) in row.action
    assert not any(r.action for r in original)  # the letter itself was not printed
