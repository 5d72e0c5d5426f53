"""Pictures for the DOCX: the Garuda, the signature, the placeholder of a missing Garuda.

python-docx embeds no SVG: an SVG picture is drawn by WeasyPrint exactly as in the PDF and
rasterised by pdfium at ``PICTURE_DPI``; PNG and JPEG files go in as they are. Pictures are
drawn by the same code every time: equal input, equal bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from letters.fonts import FAMILY, FontSet
from letters.page import PLACEHOLDER_CSS, PLACEHOLDER_LINES
from letters.render import DeclaredFiles, css_string

PICTURE_DPI = 600  # SVG pictures become PNG at this resolution


@dataclass(frozen=True)
class Picture:
    data: bytes  # PNG or JPEG
    description: str


def _rasterise(pdf: bytes) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=PICTURE_DPI / 72, fill_color=(255, 255, 255, 0))
        image = bitmap.to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(PICTURE_DPI, PICTURE_DPI))
    return out.getvalue()


def _replaced_width(box: Any) -> float | None:
    """The width in CSS pixels of the first picture in a laid-out page."""
    from weasyprint.formatting_structure import boxes

    stack = [box]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.ReplacedBox):
            return float(box.width)
        stack.extend(getattr(box, "children", ()))
    return None


class Pictures:
    """SVG to PNG (python-docx embeds no SVG), and the placeholder for a missing emblem.

    WeasyPrint draws them exactly as in the PDF, pdfium rasterises the page.
    """

    def __init__(self, fonts: FontSet, url_fetcher: DeclaredFiles | None = None) -> None:
        """``url_fetcher``: the files a picture may be drawn from (the build's declared
        files); by default the fonts and the picture itself. Nothing an SVG names is fetched
        unless it is one of them."""
        self.fonts = fonts
        self.url_fetcher = url_fetcher
        self._cache: dict[tuple[object, ...], Picture | None] = {}
        self._font_config: Any = None

    def _fetcher(self, *pictures: Path) -> DeclaredFiles:
        return self.url_fetcher or DeclaredFiles.of_fonts(self.fonts, *pictures)

    def _pdf(self, html: str, fetcher: DeclaredFiles) -> bytes:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        if self._font_config is None:
            self._font_config = FontConfiguration()
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=self._font_config)
        return pdf

    def image(self, path: Path, height_cm: float) -> Picture | None:
        """The picture at ``path``, SVG rasterised; None when it cannot be read."""
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size, height_cm)
        if key not in self._cache:
            self._cache[key] = self._load(path, height_cm)
        return self._cache[key]

    def _load(self, path: Path, height_cm: float) -> Picture | None:
        if path.suffix.lower() != ".svg":
            try:
                return Picture(path.read_bytes(), path.name)
            except OSError:
                return None
        from weasyprint import HTML

        # Lay the picture out once to learn its width at this height, then print it alone.
        uri = escape(path.resolve().as_uri())
        html = (
            f"<style>@page{{size:200cm {height_cm}cm;margin:0}}body{{margin:0}}"
            f"img{{display:block;height:{height_cm}cm}}</style><img src='{uri}'>"
        )
        fetcher = self._fetcher(path)
        laid_out = HTML(string=html, url_fetcher=fetcher).render()
        width = _replaced_width(laid_out.pages[0]._page_box)
        if not width:
            return None
        pdf = self._pdf(html.replace("200cm", f"{width:.4f}px"), fetcher)
        return Picture(_rasterise(pdf), path.name)

    def placeholder(self, size_cm: float) -> Picture:
        """The marked square the PDF shows when the emblem is missing, as a picture."""
        key: tuple[object, ...] = ("placeholder", size_cm)
        cached = self._cache.get(key)
        if cached is None:
            regular = css_string(self.fonts.file(400).path.resolve().as_uri())
            html = (
                f'<style>@font-face{{font-family:"{FAMILY}";src:url("{regular}")}}'
                f"@page{{size:{size_cm}cm {size_cm}cm;margin:0}}"
                f"body{{margin:0;font-family:'{FAMILY}'}}"
                f"div{{width:{size_cm}cm;height:{size_cm}cm;{PLACEHOLDER_CSS}}}</style>"
                f"<div>{'<br>'.join(escape(t) for t in PLACEHOLDER_LINES)}</div>"
            )
            pdf = self._pdf(html, self._fetcher())
            cached = Picture(_rasterise(pdf), " ".join(PLACEHOLDER_LINES))
            self._cache[key] = cached
        return cached
