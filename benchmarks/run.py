"""Performance at national scale, measured side by side in one run.

    python benchmarks/run.py              # all 878 amphoe (about 15-20 minutes on 2 cores)
    python benchmarks/run.py --quick      # 100 letters, a smoke run of every measurement
    python benchmarks/run.py --clerk      # only the clerk's case (0. below), about a minute

0. The clerk's everyday case: the reference letter (``examples/line-at/directive.yaml`` with
   the project's ``config.yaml``) to Nong Khai's 9 districts, every output (PDF and DOCX
   letters, bundles, checklist), built by the ``letters build`` command, against the naive
   loop (one ``HTML().write_pdf()`` per letter, as a script) on the same 9 letters. Both are
   commands a clerk would run: a fresh process each, timed from outside; the median of
   ``--repeat`` runs of each.

The national case is the reference circular (its PR files as enclosures) with
``to.address: each``, sent to every amphoe of the country from a temporary config made by
``letters.directory`` (``--register`` into a temporary file). What is measured, each as the
wall time of the whole job:

1. our build, PDF letters only, and PDF + DOCX + bundles + checklist (each in a fresh
   process started as the ``letters`` command is, in the office folder with this
   environment, which also gives its peak memory); the whole build is ``letters build``
   itself (the console script's function), with the time of each of its stages;
2. the naive baseline in this process: one ``weasyprint.HTML(string=...).write_pdf()`` per
   letter, no reuse at all, on the HTML our template makes for that letter;
3. LibreOffice headless converting the full build's DOCX files in one call (if installed;
   ``soffice.bin`` itself: the ``soffice`` launcher passes on only 253 arguments, see
   ``libreoffice``);
4. peak RSS (largest process: the build or one of its workers) at 100 and at N letters;
5. start-up: ``letters --help`` and ``letters check`` of the reference directive against
   ``python -c "import click"`` (median of several runs). ``letters check`` is the summary of
   the same ``load_letter`` that ``letters build`` runs, pydantic and the models included:
   its limit is 8x (issue 15 retired the 5x of the check that did without the models);
6. the DOCX copies of a letter addressed to each: the addressee written into the letter's
   master (``letters.masters``, as the build does) against a plain ``zipfile`` rewrite of the
   master's package, and against rendering each copy whole; the same bytes all three ways
   (checked). ``--splice`` runs only this.

It prints the table of ratios against the targets of the issue and writes it, with the
machine it ran on, to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples"
CONFIG = ROOT / "config.yaml"
RESULTS = ROOT / "benchmarks" / "results.md"


# ---------------------------------------------------------------- the national circular


def make_office(folder: Path, count: int) -> Path:
    """A config with the first ``count`` amphoe of the country and the reference directive
    addressed to each; returns the directive's path."""
    from ruamel.yaml import YAML

    from letters.directory import country_members, write_group

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    yaml = YAML()
    data = yaml.load(CONFIG.read_text(encoding="utf-8"))
    emblem = data["office"].get("emblem")
    if emblem:  # relative to the project's config: make it absolute
        data["office"]["emblem"] = str((CONFIG.parent / emblem).resolve())
    with config.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)
    write_group(config, "amphoe", country_members()[:count])
    target = folder / "line-at"
    target.mkdir(exist_ok=True)
    for name in ("pr",):
        shutil.copytree(EXAMPLE / "line-at" / name, target / name, dirs_exist_ok=True)
    for path in (target / "pr").iterdir():
        path.chmod(0o644)
    text = (EXAMPLE / "line-at" / "directive.yaml").read_text(encoding="utf-8")
    assert "address: collective" in text
    directive = target / "directive.yaml"
    directive.write_text(text.replace("address: collective", "address: each"), encoding="utf-8")
    return directive


def clerk_office(folder: Path) -> Path:
    """The project's config.yaml and reference directive with its PR files, as a clerk has
    them; returns the directive's path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, folder / "config.yaml")
    shutil.copytree(EXAMPLE / "line-at", folder / "line-at")
    return folder / "line-at" / "directive.yaml"


def clerk_case(work: Path, repeat: int) -> tuple[float, float, int]:
    """The reference build of 9 districts and the naive loop over the same 9 letters, each a
    command run as a clerk runs one: a fresh Python process, timed from outside, start-up and
    imports included. The median of ``repeat`` runs of each, alternated so that both meet the
    same machine."""
    ours, theirs = [], []
    count = 0
    for round_ in range(repeat):
        directive = clerk_office(work / f"clerk-{round_}")
        office = directive.parent.parent
        command = [sys.executable, "-m", "letters", "build", str(directive)]
        command += ["--register", str(office / "register.sqlite3")]
        ours.append(_timed(command, office))
        pages = naive_pages(directive, office / "naive")
        count = len(pages)
        theirs.append(_timed([sys.executable, "-c", NAIVE_LOOP, *map(str, pages)], office))
    return statistics.median(ours), statistics.median(theirs), count


# The naive loop as a script of its own: one ``HTML().write_pdf()`` per letter, no reuse.
NAIVE_LOOP = """
import sys
from pathlib import Path
import weasyprint
for path in map(Path, sys.argv[1:]):
    html = weasyprint.HTML(string=path.read_text(encoding="utf-8"), base_url=str(path.parent))
    path.with_suffix(".pdf").write_bytes(html.write_pdf())
"""


def naive_pages(directive: Path, folder: Path) -> list[Path]:
    """The naive loop's letters written into ``folder``, beside the templates' own files."""
    from letters.resources import resource_dir

    shutil.copytree(resource_dir("templates"), folder)
    pages = []
    for code, html in naive_html(directive, None):
        path = folder / f"{code}.html"
        path.write_text(html, encoding="utf-8")
        pages.append(path)
    return pages


def naive_html(directive: Path, limit: int | None) -> list[tuple[str, str]]:
    """(code, HTML) of each copy, as our template makes it, with the catch-words the letter
    prints: what the naive baseline lays out."""
    from letters.content import copy_for
    from letters.directive import load_letter
    from letters.fonts import letter_fonts
    from letters.render import PdfRenderer

    letter = load_letter(directive)
    config = letter.config.model
    ours = PdfRenderer(
        config.layout,
        letter_fonts(letter.config.folder),
        author=config.office.name,
        keep_whole=letter.directory_names,
    )
    date = letter.directive.date
    members = letter.recipients[:limit] if limit else letter.recipients
    words = ours.render(copy_for(letter, members[0], "1"), date).catchwords
    catch = dict(enumerate(words, 1))
    return [(m.code, ours.html(copy_for(letter, m, "1"), date, catch)) for m in members]


def _timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command[:4]} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


# ---------------------------------------------------------------- child processes


class Stages:
    """Where a build's time goes: wall time spent in each stage of the pipeline, per process.

    Each stage's function is wrapped when its module is first imported in this (fresh)
    process or in a worker forked from it; a worker writes its own totals into ``folder``
    when it ends. A stage's time leaves out the stages it calls, so no time counts twice.
    A stage not found (renamed in letters/) is listed as not measured. The wrappers cost a
    few microseconds a call, against hundreds of milliseconds a letter.
    """

    # (module, class or "" for a function of the module, attribute, label)
    POINTS = (
        ("letters.directive", "", "load_letter", "read directive and config"),
        ("letters.register", "Register", "allocate", "register: numbers"),
        ("letters.register", "Register", "set_last_build", "register: numbers"),
        ("letters.workers", "_Renderers", "__init__", "worker set-up: imports, fonts, enclosures"),
        ("letters.workers", "", "copy_for", "content: each copy (Copy)"),
        ("letters.render", "PdfRenderer", "render", "PDF letter"),
        ("letters.word", "DocxRenderer", "render", "DOCX letter"),
        ("letters.bundle", "ReplyFormRenderer", "render", "reply form"),
        ("letters.bundle", "", "make_bundle", "bundle (letter + enclosures + form)"),
        ("letters.checklist", "", "checklist_pdf", "checklist PDF"),
        ("letters.workbook", "", "checklist_xlsx", "checklist XLSX"),
        ("letters.workers", "", "_put", "write files"),
        ("letters.manifest", "", "write", "manifest (sha256 of every file)"),
        ("letters.build", "", "_replace", "move the folder into place"),
    )

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.totals: dict[str, list[float]] = {}  # label -> [calls, seconds]
        self.stack: list[list[float]] = []  # [start, seconds in nested stages]
        self.missing: list[str] = []

    def install(self) -> None:
        """Wrap each stage as its module is imported (the build imports them where it always
        does: the renderers in the workers, after the fork), never earlier."""
        modules = {point[0] for point in self.POINTS}
        sys.meta_path.insert(0, _AfterImport(modules, self._patch))

    def _patch(self, module: Any) -> None:
        for module_name, owner_name, name, label in self.POINTS:
            if module_name != module.__name__:
                continue
            owner = getattr(module, owner_name, None) if owner_name else module
            original = getattr(owner, name, None) if owner is not None else None
            if original is None:
                self.missing.append(f"{module_name}.{owner_name + '.' if owner_name else ''}{name}")
                continue
            setattr(owner, name, self._timed(label, original))
        start = getattr(module, "_start_worker", None)
        if module.__name__ == "letters.workers" and start is not None:
            module._start_worker = self._worker_start(start)

    def _timed(self, label: str, function: Any) -> Any:
        import functools

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[0]
                if self.stack:
                    self.stack[-1][1] += spent
                entry = self.totals.setdefault(label, [0, 0.0])
                entry[0] += 1
                entry[1] += spent - frame[1]

        return timed

    def _worker_start(self, function: Any) -> Any:
        import functools
        import multiprocessing.util

        @functools.wraps(function)
        def start(*args: Any, **kwargs: Any) -> Any:
            self.totals = {}  # a forked worker counts its own work only
            self.stack = []
            multiprocessing.util.Finalize(None, self._save, exitpriority=100)
            return function(*args, **kwargs)

        return start

    def _save(self) -> None:
        path = self.folder / f"worker-{os.getpid()}.json"
        path.write_text(json.dumps(self.totals), encoding="utf-8")

    def collect(self) -> dict[str, dict[str, Any]]:
        """label -> calls, seconds (added up over this process and every worker) and where it
        ran: ``build`` (this process), ``workers`` or ``both``."""
        merged: dict[str, dict[str, Any]] = {}
        parts = [(self.totals, "build")]
        for path in sorted(self.folder.glob("worker-*.json")):
            parts.append((json.loads(path.read_text(encoding="utf-8")), "workers"))
        for totals, process in parts:
            for label, (calls, seconds) in totals.items():
                entry = merged.setdefault(label, {"calls": 0, "seconds": 0.0, "where": process})
                entry["calls"] += calls
                entry["seconds"] += seconds
                if entry["where"] != process:
                    entry["where"] = "both"
        return merged


class _AfterImport:
    """A meta path finder that calls ``then(module)`` once each of ``names`` has been
    imported (executed), wherever and whenever the program imports it."""

    def __init__(self, names: set[str], then: Any) -> None:
        self.names = set(names)
        self.then = then

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self.names:
            return None
        self.names.discard(name)
        import importlib.util

        sys.meta_path.remove(self)  # find the real spec with the other finders
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module
        then = self.then

        def exec_module(module: Any) -> None:
            execute(module)
            then(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def child(kind: str, directive: Path, out: Path) -> None:
    """One build in this (fresh) process; prints its time, peak memory and stages as JSON.

    ``full`` is the ``letters build`` command itself (``letters.cli:main``, the console
    script's function, with the same argv, exit handling and streams), timed from before its
    import; ``pdf`` is the PDF letters alone, which the command has no option for.
    """
    stages = Stages(Path(tempfile.mkdtemp(prefix="letters-stages-")))
    start = time.perf_counter()
    if kind == "pdf":  # the PDF letters alone: no DOCX, no bundles, no checklist
        from letters.build import Item, write_folder
        from letters.directive import load_letter

        letter = load_letter(directive)
        items = [Item(letter, m, "1") for m in letter.recipients]
        write_folder(letter, items, out, ("pdf",), bundles=False, checklist=False)
        code = 0
    else:  # everything: PDF + DOCX + bundles + checklist, numbered in a register
        stages.install()
        register = out.parent / "register.sqlite3"
        argv = ["letters", "build", str(directive), "--out", str(out), "--register", str(register)]
        sys.argv = argv
        from letters.cli import main as letters_main

        try:
            letters_main()
            code = 0
        except SystemExit as exc:  # click ends the command with sys.exit, as the script does
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(code)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    measured = stages.collect()
    shutil.rmtree(stages.folder, ignore_errors=True)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_kb": max(own, workers),
                "parent_kb": own,
                "stages": measured,
                "unmeasured": stages.missing,
            }
        )
    )


@dataclass
class Run:
    seconds: float
    rss_mb: float
    parent_mb: float
    stages: dict[str, dict[str, Any]]
    unmeasured: list[str]


def run_child(kind: str, directive: Path, out: Path) -> Run:
    """``kind`` in a new Python process started as ``letters`` is: same interpreter, the
    environment of this process unchanged, in the office's folder (where config.yaml is)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    command += [str(directive.resolve()), str(out.resolve())]
    office = directive.resolve().parent.parent
    proc = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=office, env=os.environ.copy()
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} build failed:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Run(
        data["seconds"],
        data["rss_kb"] / 1024,
        data["parent_kb"] / 1024,
        data["stages"],
        data["unmeasured"],
    )


# ---------------------------------------------------------------- the other contestants


def naive(directive: Path, limit: int | None) -> tuple[float, int]:
    """One ``HTML().write_pdf()`` per letter, a new font configuration each time (no reuse);
    the HTML is our template's for each copy, with the catch-words the letter prints."""
    import weasyprint

    from letters.resources import resource_dir

    pages = [html for _, html in naive_html(directive, limit)]
    base = str(resource_dir("templates"))
    start = time.perf_counter()
    for html in pages:
        weasyprint.HTML(string=html, base_url=base).write_pdf()
    return time.perf_counter() - start, len(pages)


@dataclass
class Converted:
    seconds: float
    made: int  # PDFs written
    given: int  # DOCX files in the call
    how: str  # the program run: the office itself or the ``soffice`` launcher


def libreoffice(docx_folder: Path, work: Path) -> Converted | None:
    """Every DOCX file of ``docx_folder`` to PDF in one LibreOffice call, timed.

    Not through the ``soffice`` launcher: on Linux it is ``oosplash``, which starts the
    office (``soffice.bin``) with LibreOffice's own ``osl_executeProcess``; that copies at
    most 253 arguments (``MAX_ARGS`` 255 in sal/osl/unx/process.cxx, less the program and
    the terminating NULL) and drops the rest without a word, exit status 0. With the six
    options here, ``soffice`` converts the first 247 files of a longer list and no more, for
    any files (measured: 247 of 878 of our DOCX, 247 of 300 copies of one DOCX, 247 "could
    not be loaded" for 300 missing files; 300 of 300 with ``soffice.bin``). So the timed
    call runs ``soffice.bin`` beside the launcher, with the launcher's environment
    (``SAL_ENABLE_FILE_LOCKING=1``): the same office, one process, every file. The profile
    is made before, untimed, through the launcher (which restarts the office if a first
    start asks for it). Where there is no ``soffice.bin`` the launcher is used and
    ``made`` says how many of ``given`` it converted.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    files = sorted(str(p.resolve()) for p in docx_folder.glob("*.docx"))
    profile = f"-env:UserInstallation={(work / 'lo-profile').as_uri()}"
    options = [profile, "--headless", "--convert-to", "pdf"]
    warm = work / "lo-warm"
    warm.mkdir()
    shutil.copy(files[0], warm / "warm.docx")  # the profile is made once, untimed
    subprocess.run(
        [soffice, *options, "--outdir", str(warm), str(warm / "warm.docx")],
        check=True,
        capture_output=True,
    )
    office = Path(soffice).resolve().parent / "soffice.bin"
    program, how = (str(office), "soffice.bin") if office.is_file() else (soffice, "soffice")
    env = {**os.environ, "SAL_ENABLE_FILE_LOCKING": "1"}
    out = work / "lo-pdf"
    start = time.perf_counter()
    proc = subprocess.run(
        [program, *options, "--outdir", str(out), *files],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    made = len(list(out.glob("*.pdf")))
    if made < len(files):
        errors = [line for line in proc.stdout.splitlines() if line.startswith("Error")]
        say(f"   LibreOffice made {made} of {len(files)} PDFs; {len(errors)} errors reported")
    return Converted(seconds, made, len(files), how)


def startup(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- DOCX copies: the splicing


@dataclass
class Splicing:
    """Milliseconds per DOCX copy of an ``address: each`` letter, three ways."""

    spliced_ms: float  # the addressee written into the master: letters.masters.Master.address
    rewritten_ms: float  # the master's package rewritten with zipfile, the addressee in it
    whole_ms: float  # the copy rendered whole with python-docx
    copies: int

    def row(self) -> tuple[str, str, str, str]:
        ratio = self.spliced_ms / self.rewritten_ms
        return (
            "DOCX copy: addressee spliced into the master / plain `zipfile` rewrite",
            f"{self.spliced_ms:.2f} ms / {self.rewritten_ms:.1f} ms = {ratio:.2f}",
            "≤ 0.5 (else the plain rewrite replaces the splicing)",
            ok(ratio <= 0.5),
        )


def docx_splicing(directive: Path, copies: int, rounds: int = 5) -> Splicing:
    """The DOCX copies of ``directive`` (``address: each``) made from its master as the build
    makes them (document.xml compressed again, the other entries' bytes reused), the master's
    package rewritten plainly with ``zipfile`` instead (every entry compressed again), and
    rendered whole; the median over ``rounds`` of the time per copy, in this process, after
    one untimed round. The three give the same bytes (checked on every copy)."""
    import dataclasses
    import io
    import zipfile

    from letters.content import Run, copy_for, plain
    from letters.directive import load_letter
    from letters.fonts import letter_fonts
    from letters.masters import ADDRESSEE_MARK, DOCUMENT_PART, Master, addressee_xml
    from letters.word import DocxRenderer

    letter = load_letter(directive)
    model = letter.config.model
    fonts = letter_fonts(letter.config.folder)
    renderer = DocxRenderer(model.layout, fonts, author=model.office.name, masters=0)
    date = letter.directive.date
    made = [copy_for(letter, member, "1") for member in letter.recipients[:copies]]
    open_copy = dataclasses.replace(made[0], addressee=(Run(ADDRESSEE_MARK),))
    package = renderer.render(open_copy, date)
    master = Master.of(package)
    assert master is not None, "the letter has a master"
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]

    def rewritten(fragment: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in parts:
                if info.filename == DOCUMENT_PART:
                    data = master.before + fragment + master.after
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                target.writestr(entry, data)
        return out.getvalue()

    fragments = [addressee_xml(plain(copy.addressee)) for copy in made]
    for copy, fragment in zip(made, fragments, strict=True):
        assert fragment is not None, "every addressee can be written into the master"
        whole = renderer.render(copy, date)
        assert master.address(fragment) == rewritten(fragment) == whole, "the same bytes"

    def per_copy(make: Any, items: list[Any]) -> float:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            for item in items:
                make(item)
            times.append((time.perf_counter() - start) / len(items))
        return statistics.median(times) * 1000

    ready = [f for f in fragments if f is not None]
    return Splicing(
        spliced_ms=per_copy(master.address, ready),
        rewritten_ms=per_copy(rewritten, ready),
        whole_ms=per_copy(lambda copy: renderer.render(copy, date), made[:10]),
        copies=len(made),
    )


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, str]:
    import weasyprint

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    lo = "not installed"
    if shutil.which("soffice"):
        proc = subprocess.run(["soffice", "--version"], capture_output=True, text=True)
        lo = proc.stdout.strip().split("\n")[0]
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "WeasyPrint": weasyprint.__version__,
        "LibreOffice": lo,
    }


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 letters: a smoke run")
    parser.add_argument("--letters", type=int, default=None, help="letters (default 878)")
    parser.add_argument("--naive", type=int, default=None, help="naive baseline: letters")
    parser.add_argument("--runs", type=int, default=7, help="start-up runs (median)")
    parser.add_argument("--clerk", action="store_true", help="only the 9-district case")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the 9-district case")
    parser.add_argument("--splice", action="store_true", help="only the DOCX splicing (6.)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DIRECTIVE", "OUT"))
    parser.add_argument("--preview", action="store_true", help="only the web page's preview")
    args = parser.parse_args()
    if args.preview:
        from preview import preview_seconds, record

        with tempfile.TemporaryDirectory(prefix="letters-bench-") as tmp:
            first, median, times = preview_seconds(Path(tmp))
        say(f"web preview: median {median:.2f} s after the first ({first:.2f} s)")
        info = {k: v for k, v in machine().items() if k in ("CPU", "cores", "Python")}
        record(RESULTS, first, median, times, ", ".join(f"{k} {v}" for k, v in info.items()))
        return
    if args.child:
        kind, directive, out = args.child
        child(kind, Path(directive), Path(out))
        return
    count = args.letters or (100 if args.quick else 878)
    small = 20 if args.quick else 100
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="letters-bench-") as tmp:
        work = Path(tmp)
        if args.splice:
            say("6. DOCX copies: spliced into the master, rewritten with zipfile, whole")
            splicing = docx_splicing(make_office(work / "splice", 20), 20)
            say(f"   rendered whole: {splicing.whole_ms:.1f} ms a copy")
            print(f"| {' | '.join(splicing.row())} |")
            return
        say("0. the clerk's case: the reference letter to 9 districts, every output")
        ours_s, naive9_s, naive9_n = clerk_case(work, args.repeat)
        say(f"   letters build {ours_s:.2f} s, naive loop {naive9_s:.2f} s ({naive9_n} letters)")
        rows.append(clerk_row(ours_s, naive9_s, naive9_n))
        if args.clerk:
            print(f"| {' | '.join(rows[0])} |")
            return
        directive = make_office(work / "national", count)
        small_directive = make_office(work / "small", small)
        say(f"{count} letters in {work}")

        say("1. our build: PDF letters only")
        pdf = run_child("pdf", directive, work / "out-pdf")
        shutil.rmtree(work / "out-pdf")
        say(f"   {pdf.seconds:.1f} s")
        say("1. our build: PDF + DOCX + bundles + checklist")
        full = run_child("full", directive, work / "national" / "out")
        say(f"   {full.seconds:.1f} s, peak {full.rss_mb:.0f} MB")
        for stage, where, calls, seconds, _ in stage_rows(full, count):
            calls = f", {calls} call{'' if calls == '1' else 's'}" if calls else ""
            say(f"   {seconds:>7} s  {stage} ({where}{calls})")
        say(f"4. peak memory at {small} letters")
        few = run_child("full", small_directive, work / "small" / "out")
        say(f"   peak {few.rss_mb:.0f} MB")
        say("3. LibreOffice converting our DOCX files in one call")
        converted = libreoffice(work / "national" / "out" / "letters", work)
        shutil.rmtree(work / "national" / "out")
        lo = lo_note = None
        if converted is None:
            say("   not installed")
        else:
            lo_s, made, given = converted.seconds, converted.made, converted.given
            lo_note = f"`{converted.how}`, {made} of {given} files in {lo_s:.1f} s"
            if made == given:
                lo = lo_s
            elif made:  # not every file converted: its time per file made, times all (scaled)
                lo = lo_s * given / made
                lo_note += f"; scaled to {given}"
            say(f"   {lo_note}")
        say("2. naive baseline: one HTML().write_pdf() per letter, no reuse")
        naive_s, naive_n = naive(directive, args.naive)
        say(f"   {naive_s:.1f} s for {naive_n} letters")
        say("5. start-up")
        reference = EXAMPLE / "line-at" / "directive.yaml"
        py = sys.executable
        click_s = startup([py, "-c", "import click"], work, args.runs)
        help_s = startup([py, "-m", "letters", "--help"], work, args.runs)
        config = str(CONFIG)
        check = [py, "-m", "letters", "check", str(reference), "--config", config]
        check_s = startup(check, work, args.runs)
        say(f"6. DOCX copies of {small} letters: spliced, rewritten with zipfile, whole")
        splicing = docx_splicing(small_directive, small)
        spliced, rewritten = splicing.spliced_ms, splicing.rewritten_ms
        say(f"   {spliced:.2f} / {rewritten:.1f} / {splicing.whole_ms:.1f} ms a copy")

    per_ours = pdf.seconds / count
    per_naive = naive_s / naive_n
    rows.append(
        (
            "PDF letters: per-letter cost / naive baseline",
            f"{per_ours * 1000:.0f} ms / {per_naive * 1000:.0f} ms = {per_ours / per_naive:.2f}",
            "≤ 0.33",
            ok(per_ours / per_naive <= 1 / 3),
        )
    )
    if lo is not None:
        rows.append(
            (
                "LibreOffice DOCX→PDF (one call) / our PDF letters",
                f"{lo:.1f} s / {pdf.seconds:.1f} s = {lo / pdf.seconds:.1f}×",
                "≥ 5×",
                ok(lo / pdf.seconds >= 5),
            )
        )
        rows.append(
            (
                "whole build (PDF+DOCX+bundles+checklist) / LibreOffice",
                f"{full.seconds:.1f} s / {lo:.1f} s = {full.seconds / lo:.2f}",
                "< 1",
                ok(full.seconds < lo),
            )
        )
    rows.append(
        (
            f"peak RSS at {count} / at {small} letters",
            f"{full.rss_mb:.0f} MB / {few.rss_mb:.0f} MB = {full.rss_mb / few.rss_mb:.2f}",
            "≤ 1.2",
            ok(full.rss_mb / few.rss_mb <= 1.2),
        )
    )
    rows.append(
        (
            "`letters --help` / `python -c 'import click'`",
            f"{help_s * 1000:.0f} ms / {click_s * 1000:.0f} ms = {help_s / click_s:.1f}×",
            "≤ 3×",
            ok(help_s / click_s <= 3),
        )
    )
    rows.append(
        (
            "`letters check` (reference) / `python -c 'import click'`",
            f"{check_s * 1000:.0f} ms / {click_s * 1000:.0f} ms = {check_s / click_s:.1f}×",
            "< 8×",
            ok(check_s / click_s < 8),
        )
    )
    rows.append(splicing.row())
    times = [
        ("our build, PDF letters only", f"{pdf.seconds:.1f} s", f"{per_ours * 1000:.0f} ms"),
        (
            "our build, PDF + DOCX + bundles + checklist",
            f"{full.seconds:.1f} s",
            f"{full.seconds / count * 1000:.0f} ms",
        ),
        (
            f"naive write_pdf() per letter ({naive_n} letters)",
            f"{naive_s:.1f} s",
            f"{per_naive * 1000:.0f} ms",
        ),
    ]
    if lo is not None:
        label = f"LibreOffice DOCX→PDF, one call ({lo_note})"
        times.append((label, f"{lo:.1f} s", f"{lo / count * 1000:.0f} ms"))
    for how, ms in (
        ("spliced into its letter's master (the build's way)", splicing.spliced_ms),
        ("its master's package rewritten with `zipfile`", splicing.rewritten_ms),
        ("rendered whole (python-docx)", splicing.whole_ms),
    ):
        label = f"one DOCX copy of {splicing.copies}: {how}"
        times.append((label, f"{ms * splicing.copies / 1000:.2f} s", f"{ms:.2f} ms"))
    notes = []
    if converted is not None and converted.how == "soffice.bin":
        notes.append(LIBREOFFICE_NOTE)
    if converted is not None and converted.made < converted.given:
        notes.append(
            f"LibreOffice converted {converted.made} of {converted.given} files: its time is "
            "per file converted, times all (scaled), not measured on every file."
        )
    report = render(machine(), count, rows, times, few, full, small, notes)
    print(report)
    if not args.quick:
        RESULTS.write_text(report, encoding="utf-8")
        say(f"written: {RESULTS}")


def clerk_row(ours: float, naive_s: float, letters: int) -> tuple[str, str, str, str]:
    return (
        f"reference build, {letters} districts, every output (fresh process) / naive "
        f"{letters}-letter loop",
        f"{ours:.2f} s / {naive_s:.2f} s = {ours / naive_s:.2f}",
        "≤ 1.0",
        ok(ours <= naive_s),
    )


def ok(passed: bool) -> str:
    return "met" if passed else "MISSED"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def render(
    info: dict[str, str],
    count: int,
    rows: list[tuple[str, str, str, str]],
    times: list[tuple[str, str, str]],
    few: Run,
    full: Run,
    small: int,
    notes: list[str],
) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`python benchmarks/run.py`: the reference circular, `address: each`, {count} amphoe.",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        "| target | measured | wanted | |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        "| job | wall time | per letter |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in times),
        "",
        f"Peak RSS (largest process; the build's own process): {small} letters "
        f"{few.rss_mb:.0f} MB ({few.parent_mb:.0f} MB), {count} letters {full.rss_mb:.0f} MB "
        f"({full.parent_mb:.0f} MB).",
        "",
        f"Where the whole build's time goes ({count} letters; `letters build`, "
        f"{full.seconds:.1f} s wall). Seconds are wall time inside each stage, added up over "
        "the processes that ran it (the two workers run at once, so their stages add up to "
        "about twice the wall time they take); a stage's time leaves out the stages it calls.",
        "",
        "| stage | process | calls | seconds | per letter |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in stage_rows(full, count)),
        "",
    ]
    if full.unmeasured:
        lines += [f"Not measured (not found in letters/): {', '.join(full.unmeasured)}.", ""]
    for note in notes:
        lines += [note, ""]
    return "\n".join(lines)


LIBREOFFICE_NOTE = (
    "LibreOffice is timed running `soffice.bin` (the office itself, with the launcher's "
    "environment) on every DOCX file in one call: the `soffice` launcher hands the office at "
    "most 253 arguments (LibreOffice's `osl_executeProcess`, `MAX_ARGS` 255) and drops the "
    "rest with exit status 0, so through it one call converts the first 247 files only."
)


def stage_rows(run: Run, count: int) -> list[tuple[str, str, str, str, str]]:
    """(stage, process, calls, seconds, per letter) for each stage, longest first, then
    what the build's own process did outside them (mostly waiting for the workers)."""
    rows = [
        (
            label,
            str(v["where"]),
            str(v["calls"]),
            f"{v['seconds']:.1f}",
            f"{v['seconds'] / count * 1000:.1f} ms",
        )
        for label, v in sorted(run.stages.items(), key=lambda kv: -float(kv[1]["seconds"]))
    ]
    own = sum(float(v["seconds"]) for v in run.stages.values() if v["where"] != "workers")
    rest = run.seconds - own
    label = "rest of the build process: start-up, imports, waiting for the workers"
    rows.append((label, "build", "", f"{rest:.1f}", f"{rest / count * 1000:.1f} ms"))
    return rows


if __name__ == "__main__":
    main()
