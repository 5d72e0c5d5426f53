"""The web page's live preview, timed as the clerk meets it (``benchmarks/run.py --preview``).

``letters serve`` runs on 127.0.0.1 in a process of its own over a copy of the project's office
(the reference letter, ``examples/line-at``). Over real HTTP, as the browser does: the editor
page is read, its form posted once (the first render: fonts and templates set up), then
``rounds`` times with a changed subject; each time is from the start of the form post to the
last byte of the new first page's PNG, whose address the post's answer names. The median is
the measure (issue 19: at most 1 s).
"""

from __future__ import annotations

import html
import http.cookiejar
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the editor form read as the tests read it

from pageform import editor_fields  # noqa: E402


def preview_seconds(work: Path, rounds: int = 15) -> tuple[float, float, list[float]]:
    """(first render, median after it, every time after it), in seconds."""
    office = work / "preview-office"
    office.mkdir(parents=True)
    shutil.copy(ROOT / "config.yaml", office / "config.yaml")
    shutil.copytree(ROOT / "examples" / "line-at", office / "line-at")
    command = [sys.executable, "-m", "letters", "serve", str(office), "--port", "0"]
    server = subprocess.Popen(
        [*command, "--no-browser"], stdout=subprocess.PIPE, text=True, cwd=work
    )
    try:
        assert server.stdout is not None
        found = re.search(r"http://\S+/", server.stdout.readline())
        assert found, "letters serve did not start"
        address = found.group()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(address + "directives/line-at") as response:
            fields = editor_fields(response.read().decode())
        token = dict(fields)["csrf"]
        subject = dict(fields)["subject"]

        def post_and_draw(n: int) -> float:
            data = [(k, f"{subject} ({n})" if k == "subject" else v) for k, v in fields]
            request = urllib.request.Request(
                address + "directives/line-at/save",
                data=urllib.parse.urlencode(data).encode(),
                headers={"HX-Request": "true", "X-CSRF-Token": token},
            )
            started = time.perf_counter()
            with opener.open(request) as response:
                answer = response.read().decode()
            image = re.search(r'src="(/directives/line-at/preview/\d+/1\.png\?v=\d+)"', answer)
            assert image, answer[:300]
            with opener.open(address.rstrip("/") + html.unescape(image.group(1))) as png:
                assert png.read(8) == b"\x89PNG\r\n\x1a\n"
                png.read()
            return time.perf_counter() - started

        first = post_and_draw(0)
        times = [post_and_draw(n) for n in range(1, rounds + 1)]
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    return first, statistics.median(times), times


SECTION = "## The web page's live preview (issue 19)"


def record(results: Path, first: float, median: float, times: list[float], machine: str) -> None:
    """Write the measure into ``results`` as its own section (replaced on the next run; the
    rest of the file, which the national run writes, is kept)."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    kept = text.split(SECTION)[0].rstrip() + "\n"
    verdict = "met" if median <= 1.0 else "NOT met"
    section = (
        f"\n{SECTION}\n\n"
        f"`python benchmarks/run.py --preview`, {time.strftime('%Y-%m-%d')}, {machine}.\n"
        "From the start of the editor form's post to the last byte of the new first page's\n"
        "PNG, over HTTP to `letters serve` on 127.0.0.1, the reference letter (2 pages).\n\n"
        "| measure | time | target |\n|---|---|---|\n"
        f"| median of {len(times)} posts after the first render | {median:.2f} s | "
        f"at most 1 s: {verdict} |\n"
        f"| slowest of them | {max(times):.2f} s | |\n"
        f"| the first post (renderer set up on the editor page's first view) | {first:.2f} s | |\n"
    )
    results.write_text(kept + section, encoding="utf-8")
