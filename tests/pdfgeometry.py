"""Reading what a PDF shows, by geometry: text lines with their extents, pictures, pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber

PT_PER_CM = 72 / 2.54
A4 = (595.28, 841.89)
_MARKS = {chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F))}


@dataclass
class Line:
    page: int  # 0-based
    baseline: float  # distance from the page top
    x0: float
    x1: float
    text: str
    chars: list[dict[str, Any]]

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


def _baseline(char: dict[str, Any], height: float) -> float:
    return round(height - char["matrix"][5], 1)


def lines(path: Path) -> list[list[Line]]:
    """Per page, the text lines top to bottom (chars grouped by their common baseline)."""
    pages: list[list[Line]] = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            rows: dict[float, list[dict[str, Any]]] = {}
            for char in page.chars:
                rows.setdefault(_baseline(char, page.height), []).append(char)
            found = []
            for base in sorted(rows):
                chars = rows[base]  # in the content stream's order: the text's logical order
                # Runs on one baseline far apart are different parts (ที่ ... and the sender).
                runs: list[list[dict[str, Any]]] = [[chars[0]]]
                for char in chars[1:]:
                    if abs(char["x0"] - runs[-1][-1]["x1"]) > 40:
                        runs.append([char])
                    else:
                        runs[-1].append(char)
                for run in runs:
                    bases = [c for c in run if c["text"] not in _MARKS] or run
                    found.append(
                        Line(
                            number,
                            base,
                            min(c["x0"] for c in bases),
                            max(c["x1"] for c in bases),
                            "".join(c["text"] for c in run),
                            run,
                        )
                    )
            pages.append(found)
    return pages


def page_sizes(path: Path) -> list[tuple[float, float]]:
    with pdfplumber.open(path) as pdf:
        return [(float(p.width), float(p.height)) for p in pdf.pages]


def graphics_box(
    path: Path, page: int = 0, above: float = 200
) -> tuple[float, float, float, float]:
    """x0, top, x1, bottom of every picture and vector drawing whose top is above ``above``."""
    with pdfplumber.open(path) as pdf:
        p = pdf.pages[page]
        items = [o for o in (*p.images, *p.curves, *p.rects, *p.lines) if o["top"] < above]
        assert items, "no picture or drawing there"
        return (
            min(float(o["x0"]) for o in items),
            min(float(o["top"]) for o in items),
            max(float(o["x1"]) for o in items),
            max(float(o["bottom"]) for o in items),
        )


def images(path: Path, page: int) -> list[dict[str, Any]]:
    with pdfplumber.open(path) as pdf:
        return list(pdf.pages[page].images)


def squash(text: str) -> str:
    """Text comparable with what extraction gives: no spaces, no marks (ำ read as า)."""
    return "".join(ch for ch in text.replace("ำ", "า") if ch != " " and ch not in _MARKS)


def big_text(path: Path, page: int, size: float = 60) -> str:
    """The characters set larger than ``size`` pt (a watermark, a stamp), in stream order."""
    with pdfplumber.open(path) as pdf:
        return "".join(c["text"] for c in pdf.pages[page].chars if c["size"] > size)


def embedded_fonts(path: Path) -> set[str]:
    """Full names of the font programs embedded in the PDF (read from their name tables)."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(path).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                program = descriptor.get("/FontFile2")
                if program is not None:
                    ttf = TTFont(io.BytesIO(program.get_object().get_data()))
                    names.add(str(ttf["name"].getDebugName(4)))
    return names


def pixels(pdf: bytes, dpi: float = 100) -> list[bytes]:
    """Each page rendered to RGB pixels (PDFium): two PDFs that show the same are equal."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    return [document[i].render(scale=dpi / 72).to_pil().tobytes() for i in range(len(document))]


def overprinted(pdf: bytes, page: int = 0) -> list[str]:
    """The names of the fills drawn over a page (letters.render.compose), none if it was
    laid out whole."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        xobjects = document.pages[page].resources.get("/XObject", {})
        return [str(name) for name in xobjects if str(name).startswith("/Fill")]
