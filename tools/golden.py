"""Write PNGs of the reference letter's pages for people to look at (never compared in tests).

    python tools/golden.py [--directive D] [--config C] [--out out/golden] [--dpi 110]

By default it builds ../shared's reference directive and config (which name a Garuda image)
and writes ``page-1.png`` (and the other pages) of the first district's letter, plus
``draft-page-1.png``. The PNGs show the office's Garuda, so they are not committed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pypdfium2

from letters.build import build

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "examples"


def pages_to_png(pdf: Path, out: Path, prefix: str, dpi: int) -> list[Path]:
    document = pypdfium2.PdfDocument(pdf)
    written = []
    for number in range(len(document)):
        image = document[number].render(scale=dpi / 72).to_pil()
        path = out / f"{prefix}page-{number + 1}.png"
        image.save(path, optimize=True)
        written.append(path)
    document.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directive", type=Path, default=SHARED / "line-at" / "directive.yaml")
    parser.add_argument("--config", type=Path, default=SHARED / "config.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "golden")
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for draft in (False, True):
            result = build(args.directive, args.config, out=Path(tmp) / str(draft), draft=draft)
            pdf = result.folder / result.letters[0].files["pdf"]
            prefix = "draft-" if draft else ""
            for path in pages_to_png(pdf, args.out, prefix, args.dpi):
                print(path)


if __name__ == "__main__":
    main()
