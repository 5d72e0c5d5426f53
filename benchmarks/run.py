"""Performance at national scale, measured side by side in one run.

    python benchmarks/run.py            # all 878 amphoe (about 15-20 minutes on 2 cores)
    python benchmarks/run.py --quick    # 100 letters, a smoke run of every measurement

The subject is the reference circular (``../shared/examples/line-at/directive.yaml``, its PR
files as enclosures) with ``to.address: each``, sent to every amphoe of the country from a
temporary config made by ``letters.directory`` (``--register`` into a temporary file).
What is measured, each as the wall time of the whole job:

1. our build, PDF letters only, and PDF + DOCX + bundles + checklist (each in a fresh
   process, which also gives its peak memory);
2. the naive baseline in this process: one ``weasyprint.HTML(string=...).write_pdf()`` per
   letter, no reuse at all, on the HTML our template makes for that letter;
3. LibreOffice headless converting the full build's DOCX files in one call (if installed);
4. peak RSS (largest process: the build or one of its workers) at 100 and at N letters;
5. start-up: ``letters --help`` and ``letters check`` of the reference directive against
   ``python -c "import click"`` (median of several runs).

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

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = SHARED / "examples"
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
    data = yaml.load((EXAMPLE / "config.yaml").read_text(encoding="utf-8"))
    emblem = data["office"].get("emblem")
    if emblem:  # relative to the reference config: make it absolute
        data["office"]["emblem"] = str((EXAMPLE / emblem).resolve())
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


# ---------------------------------------------------------------- child processes


def child(kind: str, directive: Path, out: Path) -> None:
    """One build in this (fresh) process; prints its time and peak memory as JSON."""
    from letters.build import Item, build, write_folder
    from letters.directive import load_letter

    start = time.perf_counter()
    if kind == "pdf":  # the PDF letters alone: no DOCX, no bundles, no checklist
        letter = load_letter(directive)
        items = [Item(letter, m, "1") for m in letter.recipients]
        write_folder(letter, items, out, ("pdf",), bundles=False, checklist=False)
    else:  # everything: PDF + DOCX + bundles + checklist, numbered in a register
        build(directive, out=out, register=out.parent / "register.sqlite3")
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "rss_kb": max(own, workers), "parent_kb": own}))


@dataclass
class Run:
    seconds: float
    rss_mb: float
    parent_mb: float


def run_child(kind: str, directive: Path, out: Path) -> Run:
    command = [sys.executable, __file__, "--child", kind, str(directive), str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} build failed:\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Run(data["seconds"], data["rss_kb"] / 1024, data["parent_kb"] / 1024)


# ---------------------------------------------------------------- the other contestants


def naive(directive: Path, limit: int | None) -> tuple[float, int]:
    """One ``HTML().write_pdf()`` per letter, a new font configuration each time (no reuse);
    the HTML is our template's for each copy, with the catch-words the letter prints."""
    import weasyprint

    from letters.content import copy_for
    from letters.directive import load_letter
    from letters.fonts import letter_fonts
    from letters.render import PdfRenderer
    from letters.resources import resource_dir

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
    pages = [ours.html(copy_for(letter, m, "1"), date, catch) for m in members]
    base = str(resource_dir("templates"))
    start = time.perf_counter()
    for html in pages:
        weasyprint.HTML(string=html, base_url=base).write_pdf()
    return time.perf_counter() - start, len(pages)


def libreoffice(docx_folder: Path, work: Path) -> tuple[float, int, int] | None:
    """Seconds, PDFs made and DOCX files given, for one ``soffice --convert-to pdf`` call."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    files = sorted(str(p) for p in docx_folder.glob("*.docx"))
    profile = f"-env:UserInstallation={(work / 'lo-profile').as_uri()}"
    warm = work / "lo-warm"
    warm.mkdir()
    shutil.copy(files[0], warm / "warm.docx")  # the profile is made once, untimed
    base = [soffice, profile, "--headless", "--convert-to", "pdf"]
    subprocess.run(
        [*base, "--outdir", str(warm), str(warm / "warm.docx")], check=True, capture_output=True
    )
    out = work / "lo-pdf"
    start = time.perf_counter()
    subprocess.run([*base, "--outdir", str(out), *files], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, len(list(out.glob("*.pdf"))), len(files)


def startup(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DIRECTIVE", "OUT"))
    args = parser.parse_args()
    if args.child:
        kind, directive, out = args.child
        child(kind, Path(directive), Path(out))
        return
    count = args.letters or (100 if args.quick else 878)
    small = 20 if args.quick else 100
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="letters-bench-") as tmp:
        work = Path(tmp)
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
            lo_s, made, given = converted
            # LibreOffice may stop before the last file: its time per file made, times all.
            lo = lo_s * given / made if made else None
            lo_note = f"{made} of {given} files in {lo_s:.1f} s"
            say(f"   {lo_note}")
        say("2. naive baseline: one HTML().write_pdf() per letter, no reuse")
        naive_s, naive_n = naive(directive, args.naive)
        say(f"   {naive_s:.1f} s for {naive_n} letters")
        say("5. start-up")
        reference = EXAMPLE / "line-at" / "directive.yaml"
        py = sys.executable
        click_s = startup([py, "-c", "import click"], work, args.runs)
        help_s = startup([py, "-m", "letters", "--help"], work, args.runs)
        config = str(EXAMPLE / "config.yaml")
        check = [py, "-m", "letters", "check", str(reference), "--config", config]
        check_s = startup(check, work, args.runs)

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
            "≤ 5×",
            ok(check_s / click_s <= 5),
        )
    )
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
        label = f"LibreOffice, one call ({lo_note}; scaled to {count})"
        times.append((label, f"{lo:.1f} s", f"{lo / count * 1000:.0f} ms"))
    report = render(machine(), count, rows, times, few, full, small)
    print(report)
    if not args.quick:
        RESULTS.write_text(report, encoding="utf-8")
        say(f"written: {RESULTS}")


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
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
