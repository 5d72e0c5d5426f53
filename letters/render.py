"""Copies of a letter to PDF: Jinja2 template, WeasyPrint, Thai-distributed justification.

One ``PdfRenderer`` serves a whole build: the font configuration, the template and the
justification hook are set up once. Letters of more than one page are laid out twice: the
first layout tells the first word of each page, the second prints it as the catch-word of
the page before (margin boxes do not move the text, so both layouts break alike).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from letters import thai
from letters.config import Layout
from letters.content import Copy
from letters.fonts import FAMILY, FontSet
from letters.resources import resource_dir

CM = 72 / 2.54  # points per centimetre
_LABEL_GAP_EM = 0.55  # two spaces of TH Sarabun between a label and its text


def css_string(value: str) -> str:
    """A string safe inside a CSS "..." literal."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return out


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cssstring"] = css_string
    return env


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    catchwords: tuple[str, ...]  # printed at the foot of pages 1 .. n-1


class PdfRenderer:
    """Renders copies to PDF bytes, reusing fonts, template and stylesheet across copies."""

    def __init__(
        self,
        layout: Layout,
        fonts: FontSet,
        *,
        author: str,
        keep_whole: list[str],
    ) -> None:
        from weasyprint.text.fonts import FontConfiguration

        from letters import justify

        justify.install()
        self.layout = layout
        self.fonts = fonts
        self.author = author
        self.keep_whole = keep_whole
        self.font_config = FontConfiguration()
        self.template = template_environment().get_template("letter.html.j2")
        self._base = str(resource_dir("templates"))
        self._words: tuple[str, ...] = ()  # the catch-words of the copy rendered last

    def html(self, copy: Copy, created: dt.date, catchwords: dict[int, str]) -> str:
        layout = self.layout
        before, _, after = layout.page_number.partition("{n}")
        font_pt = layout.font_size_pt
        # The page number's glyph top stands page_number_top_cm from the paper's edge.
        half_leading = (layout.line_pitch_pt - font_pt) / 2
        emblem = copy.emblem.as_uri() if copy.emblem and copy.emblem.is_file() else None
        return self.template.render(
            c=copy,
            L=layout,
            fonts=self.fonts.files,
            family=FAMILY,
            author=self.author,
            created=created.isoformat(),
            emblem=emblem,
            signature=copy.signature.as_uri() if copy.signature else None,
            number_blank=copy.number.endswith(("/", "/ว")),
            garuda_pull_cm=round(layout.margin_top_cm - layout.garuda_top_cm, 4),
            page_number_before=css_string(thai.thai_digits(before)),
            page_number_after=css_string(thai.thai_digits(after)),
            page_number_pad_pt=round(layout.page_number_top_cm * CM - half_leading - 3, 2),
            label_gap_em=_LABEL_GAP_EM,
            catchwords=catchwords,
        )

    def render(self, copy: Copy, created: dt.date) -> Rendered:
        """The copy as PDF. Copies of one build mostly break their pages alike, so the
        previous copy's catch-words are tried first: when the pages show that they are this
        copy's too, one layout is enough; otherwise the layout tells the right ones (margin
        boxes do not move the text) and the copy is laid out again with them."""
        words = self._words
        document = self._layout(copy, created, words)
        found = self._catchwords(document)
        if found != words:
            words = found
            document = self._layout(copy, created, words)
        self._words = words
        return Rendered(write_pdf(document, created), len(document.pages), words)

    def _layout(self, copy: Copy, created: dt.date, words: tuple[str, ...]) -> Any:
        from weasyprint import HTML

        catch = {i: word for i, word in enumerate(words, 1)}
        html = HTML(string=self.html(copy, created, catch), base_url=self._base)
        return html.render(font_config=self.font_config)

    def _catchwords(self, document: Any) -> tuple[str, ...]:
        return tuple(
            self.layout.catchword.format(word=thai.first_word(line, self.keep_whole))
            for line in (first_line(page) for page in document.pages[1:])
        )


def write_pdf(document: Any, created: dt.date) -> bytes:
    """PDF bytes that depend only on the letter (font subsets dated by the letter, not now)."""
    stamp = int(dt.datetime.combine(created, dt.time(), dt.UTC).timestamp())
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    # fontTools writes the subset's creation time from SOURCE_DATE_EPOCH when it is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(max(stamp, 0))
    try:
        pdf: bytes = document.write_pdf()
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return pdf


def _flow_boxes(box: Any) -> Iterator[Any]:
    """The boxes of a page's text flow, in order: no margin boxes, no fixed or absolute ones."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox):
        return
    if box.style["position"] in ("fixed", "absolute"):
        return
    yield box
    for child in getattr(box, "children", ()):
        yield from _flow_boxes(child)


def first_line(page: Any) -> str:
    """The text of the first line of a laid-out page's flow."""
    from weasyprint.formatting_structure import boxes

    for box in _flow_boxes(page._page_box):
        if isinstance(box, boxes.LineBox):
            return "".join(b.text for b in _flow_boxes(box) if isinstance(b, boxes.TextBox)).strip()
    return ""
