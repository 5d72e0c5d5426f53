"""The web page's live preview: a copy of the letter rendered by the build's PDF renderer
(``letters.render.PdfRenderer``, on ``letters.content.copy_for``'s words), its pages drawn
as PNG by pdfium.

The renderer is set up once (fonts, templates) and kept while the office's config.yaml is
unchanged; renders run one at a time (WeasyPrint's font configuration is shared). The last
preview of each letter and recipient is kept, under a version the page names in the image's
address, so that its pages are drawn from what was rendered, not rendered again.
"""

from __future__ import annotations

import io
import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from letters.directive import Letter
    from letters.render import PdfRenderer

SCALE = 1.5  # 108 dpi: the page as wide as the preview column, the Thai marks legible


@dataclass(frozen=True)
class Preview:
    version: int
    code: str
    pdf: bytes
    pages: int


class Previews:
    """Renders previews and keeps the latest of each (letter, recipient)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._renderer: PdfRenderer | None = None
        self._key: tuple[object, ...] | None = None
        self._kept: dict[tuple[str, str], Preview] = {}
        self._versions = itertools.count(1)

    def _renderer_for(self, letter: Letter) -> PdfRenderer:
        from letters.fonts import letter_fonts
        from letters.render import PdfRenderer

        config = letter.config
        key = (config.path.resolve(), config.path.stat().st_mtime_ns, *letter.directory_names)
        if self._renderer is None or self._key != key:
            self._renderer = PdfRenderer(
                config.model.layout,
                letter_fonts(config.folder),
                author=config.model.office.name,
                keep_whole=letter.directory_names,
                pdf=config.model.pdf,
            )
            self._key = key
        return self._renderer

    def render(self, name: str, letter: Letter, code: str, number: str | None) -> Preview:
        """The copy of ``letter`` for recipient ``code`` (the first when it is not one),
        numbered ``number`` (None: blank, a draft's ร่าง on it)."""
        from letters.content import copy_for

        members = {m.code: m for m in letter.recipients}
        member = members.get(code) or letter.recipients[0]
        copy = copy_for(letter, member, number, draft=number is None)
        with self._lock:
            rendered = self._renderer_for(letter).render_whole(copy, letter.directive.date)
            preview = Preview(next(self._versions), member.code, rendered.pdf, rendered.pages)
            self._kept[(name, member.code)] = preview
        return preview

    def kept(self, name: str, code: str, version: int | None) -> Preview | None:
        preview = self._kept.get((name, code))
        if preview is None or (version is not None and preview.version != version):
            return None
        return preview


def page_png(pdf: bytes, page: int, scale: float = SCALE) -> bytes | None:
    """Page ``page`` (1-based) of ``pdf`` as PNG; None when there is no such page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        if not 1 <= page <= len(document):
            return None
        bitmap = document[page - 1].render(scale=scale)
        out = io.BytesIO()
        bitmap.to_pil().save(out, format="PNG", optimize=False, compress_level=1)
        return out.getvalue()
    finally:
        document.close()
