"""Where the memory of a build goes, phase by phase, at a small and a large number of letters.

    python benchmarks/memory.py                       # 100 and 878 amphoe, every phase
    python benchmarks/memory.py --phases checklist-pdf,checklist-xlsx
    python benchmarks/memory.py --phases letters --letters 100,400

Each phase runs in a fresh process (``ru_maxrss`` is a process's peak, never lowered), on the
office ``run.make_office`` makes (the reference circular, ``address: each``):

``load``            import the renderers' libraries and load the directive: the floor of
                    every other phase
``checklist-pdf``   the checklist PDF of every recipient (``checklist.checklist_pdf``)
``checklist-xlsx``  the checklist XLSX of every recipient (``workbook.checklist_xlsx``)
``letters``         PDF + DOCX + reply form + bundle of the large office's first recipients
                    (``--letters``: how many, small and large), one after the other through
                    one ``workers._Job``, as a worker does
``build``           ``letters build`` of every recipient (two workers): the peak of the build's
                    own process and of each worker (their ``VmHWM``, read while they run)

It prints each phase's peak at the small and the large office and their ratio; the issue's
target is the largest process of ``build`` at 878 letters ≤ 1.2 × that at 100.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PHASES = ("load", "checklist-pdf", "checklist-xlsx", "letters", "build")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


class _Watch:
    """The peak of each process started from this one, read every ``every`` seconds."""

    def __init__(self, every: float = 0.2) -> None:
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, every: float) -> None:
        import os

        while not self._stop.wait(every):
            for pid in _children(os.getpid()):
                hwm = _hwm_mb(pid)
                if hwm is not None:
                    self.peaks[pid] = max(hwm, self.peaks.get(pid, 0.0))


def child(phase: str, directive: Path, letters: int) -> dict[str, object]:
    """One phase in this fresh process."""
    from letters.directive import load_letter
    from letters.fonts import letter_fonts

    start = time.perf_counter()
    result: dict[str, object] = {}
    if phase == "build":
        from letters.commands import build

        with tempfile.TemporaryDirectory(prefix="letters-memory-") as tmp, _Watch() as watch:
            out = Path(tmp) / "out"
            build(directive, out=out, register=Path(tmp) / "register.sqlite3")
        workers = sorted(watch.peaks.values(), reverse=True)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result["workers_mb"] = [round(w, 1) for w in workers]
        result["children_mb"] = round(children, 1)  # the kernel's peak of any child
        result["peak_mb"] = round(max(_peak_mb(), children), 1)
        result["own_mb"] = round(_peak_mb(), 1)
    else:
        # What a worker has loaded before it makes anything (pypdf, for the bundles, brings
        # cryptography: 12 MB).
        import openpyxl  # noqa: F401
        import pypdf  # noqa: F401
        import weasyprint  # noqa: F401

        letter = load_letter(directive)
        fonts = letter_fonts(letter.config.folder)
        result["floor_mb"] = round(_peak_mb(), 1)
        if phase == "checklist-pdf":
            from letters.checklist import checklist_pdf

            result["bytes"] = len(checklist_pdf(letter, fonts))
        elif phase == "checklist-xlsx":
            from letters.workbook import checklist_xlsx

            result["bytes"] = len(checklist_xlsx(letter, fonts=fonts))
        elif phase == "letters":
            from letters.workers import _Job, _Renderers, _Task

            formats = ("pdf", "docx")
            job = _Job(letter, formats, _Renderers(letter, fonts, formats))
            for index, member in enumerate(letter.recipients[:letters]):
                job.recipient(_Task(index, None, member, "1"))
            result["letters"] = min(letters, len(letter.recipients))
        result["peak_mb"] = round(_peak_mb(), 1)
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def run(phase: str, directive: Path, letters: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", phase, str(directive), str(letters)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{proc.stderr}")
    data: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100, help="amphoe of the small office")
    parser.add_argument("--large", type=int, default=878, help="amphoe of the large office")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated")
    parser.add_argument(
        "--letters", default="100,400", help="letters of the `letters` phase: small,large"
    )
    parser.add_argument("--child", nargs=3, metavar=("PHASE", "DIRECTIVE", "LETTERS"))
    args = parser.parse_args()
    if args.child:
        phase, directive, letters = args.child
        print(json.dumps(child(phase, Path(directive), int(letters))))
        return
    import run as bench

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases: {', '.join(sorted(unknown))}")
    few_letters, many_letters = (int(n) for n in args.letters.split(","))
    with tempfile.TemporaryDirectory(prefix="letters-memory-") as tmp:
        small = bench.make_office(Path(tmp) / "small", args.small)
        large = bench.make_office(Path(tmp) / "large", args.large)
        print(f"{'phase':<16} {'small':>28} {'large':>28} {'ratio':>6}")
        for phase in phases:
            a = run(phase, small if phase != "letters" else large, few_letters)
            b = run(phase, large, many_letters)
            ratio = float(str(b["peak_mb"])) / float(str(a["peak_mb"]))
            print(f"{phase:<16} {_show(a):>28} {_show(b):>28} {ratio:>6.2f}", flush=True)
            for data in (a, b):
                print(f"    {json.dumps(data)}", flush=True)


def _show(data: dict[str, object]) -> str:
    return f"{data['peak_mb']} MB, {data['seconds']} s"


if __name__ == "__main__":
    main()
