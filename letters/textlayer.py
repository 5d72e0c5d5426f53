"""The text layer of every PDF the tool makes: what a reader copies out is what was typeset.

WeasyPrint writes the shaped glyphs, each mapped to Unicode once per font (``ToUnicode``).
Thai shaping breaks that map: SARA AM (ำ) is drawn as NIKHAHIT and SARA AA and maps to one
of them or nothing, marks stacked above a base come out in drawing order, and the
Thai-distributed justification (``letters.justify``) widens the glyphs at cluster ends, which
extractors read as spaces. :func:`install` patches WeasyPrint 70.0 so that every line it
draws is a marked-content sequence carrying the line's logical text::

    /Span <</ActualText <FEFF...>>> BDC  BT ... ET  EMC

(in a tagged document the line's first box's own sequence, ``/MCID`` and ``/ActualText``
together: both extractors read only the innermost ``/ActualText``; a line holding an inline
block or an image has one per text box).

poppler (``pdftotext``) and pdfium (``pypdfium2``), the engines of the common viewers, read
that text instead of the glyphs' map: ำ intact, marks in order, no space inside a word. The
glyphs drawn, and so the paper, do not change.

The same patch marks the place of an unprinted slot (the addressee of a letter laid out for
many copies, see ``letters.render.Overprinter``): the first hidden text box of a page draws
the XObject ``/Fill`` there, in the page's own coordinates, so the words drawn over a
form later are read in their place, between the salutation and the subject.

In a tagged document an element marked ``data-artifact`` (the draft watermark) is drawn as
an ``/Artifact`` and left out of the structure tree: a screen reader skips it.

``active`` (a context variable, see :func:`text_layer`) turns the text layer off for a
document; the slot is marked and decorations are artifacts either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

SLOT = "Fill"  # the XObject an overprinted copy's words are drawn from

active: ContextVar[bool] = ContextVar("letters_text_layer", default=True)

_original_draw_text: Callable[..., None] | None = None
_original_draw_inline_level: Callable[..., None] | None = None
_original_marked: Callable[..., Any] | None = None
_original_build_box_tree: Callable[..., Iterator[Any]] | None = None


@contextmanager
def text_layer(on: bool) -> Iterator[None]:
    """Documents written inside get the text layer when ``on``."""
    token = active.set(on)
    try:
        yield
    finally:
        active.reset(token)


def _draw_inline_level(stream: Any, page: Any, box: Any, *args: Any, **kwargs: Any) -> None:
    """Replacement for ``weasyprint.draw.draw_inline_level``: a line of text boxes alone is
    one marked-content sequence carrying the line's text, so that no extractor reads the
    justification's gaps between its boxes as spaces (both read the innermost
    ``/ActualText`` only). In a tagged document that sequence is the first box's own (its
    ``/MCID``, see ``_marked``). A line holding anything else (an inline block, an image)
    has each of its text boxes marked alone (``_draw_text``)."""
    from weasyprint.formatting_structure import boxes  # type: ignore[import-untyped, unused-ignore]

    assert _original_draw_inline_level is not None
    if not (isinstance(box, boxes.LineBox) and active.get()):
        _original_draw_inline_level(stream, page, box, *args, **kwargs)
        return
    texts: list[Any] = []
    whole = _text_boxes(box, texts)
    shown = [t for t in texts if t.style["visibility"] == "visible"]
    text = "".join(t.text for t in shown)
    whole = whole and bool(text.strip()) and len(shown) == len(texts)
    tagged = stream._tags is not None and not _artifact(texts[0] if texts else box)
    for t in texts:
        t.actual_text = None if whole else t.text
        t.line_text = None
    if not whole:
        _original_draw_inline_level(stream, page, box, *args, **kwargs)
    elif tagged:
        texts[0].line_text = text
        for t in texts[1:]:
            t.line_text = ""
        _original_draw_inline_level(stream, page, box, *args, **kwargs)
        stream.end_marked_content()
    else:
        _begin(stream, text)
        _original_draw_inline_level(stream, page, box, *args, **kwargs)
        stream.end_marked_content()


@contextmanager
def _marked(self: Any, box: Any, tag: str) -> Iterator[None]:
    """Replacement for WeasyPrint's ``Stream.marked`` (the marked-content sequence of a box
    in a tagged document): the first text box of a line marked whole (``line_text``) opens
    the line's sequence, with its ``/MCID`` and the line's ``/ActualText``, and the line's
    end closes it; the line's other boxes are drawn inside it. Each of them still has an
    element of its own in the structure tree, under an ``/MCID`` that marks no content."""
    assert _original_marked is not None
    if self._tags is not None and _artifact(box):
        with self.artifact():
            yield
        return
    line_text = getattr(box, "line_text", None)
    if self._tags is None or line_text is None or not active.get():
        with _original_marked(self, box, tag):
            yield
        return
    mcid = len(self._tags)
    self._tags[box] = {"tag": tag, "mcid": mcid}
    if line_text:
        self.stream.append(f"/{tag} <</MCID {mcid} /ActualText {_pdf_text(line_text)}>> BDC")
    yield


def _text_boxes(box: Any, found: list[Any]) -> bool:
    """Add the text boxes of a line to ``found`` in the order WeasyPrint draws them; whether
    the line holds nothing else."""
    from weasyprint.formatting_structure import boxes  # type: ignore[import-untyped, unused-ignore]

    alone = True
    for child in box.children:
        if isinstance(child, boxes.TextBox):
            found.append(child)
        elif isinstance(child, boxes.InlineBox):
            alone = _text_boxes(child, found) and alone
        else:
            alone = False
    return alone


def _pdf_text(text: str) -> str:
    """``text`` as a PDF text string: UTF-16BE with its byte order mark, in hex."""
    return "<feff" + text.encode("utf-16-be").hex() + ">"


def _begin(stream: Any, text: str) -> None:
    """Open a marked-content sequence whose text is ``text`` (closed by ``EMC``)."""
    stream.stream.append(f"/Span <</ActualText {_pdf_text(text)}>> BDC")


def _draw_text(
    stream: Any, textbox: Any, offset_x: float, text_overflow: str, block_ellipsis: str = "none"
) -> None:
    """Replacement for ``weasyprint.draw.draw_text``: the box's text as ``/ActualText``."""
    assert _original_draw_text is not None
    if textbox.style["visibility"] != "visible":
        _mark_slot(stream)
        return
    text = getattr(textbox, "actual_text", None)
    if not active.get() or text is None or not text.strip():
        _original_draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
        return
    _begin(stream, text)
    _original_draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
    stream.end_marked_content()


def _artifact(box: Any) -> bool:
    """Whether ``box`` is (inside) an element marked ``data-artifact``, a decoration."""
    element = getattr(box, "element", None)
    return element is not None and element.get("data-artifact") is not None


def _build_box_tree(box: Any, *args: Any) -> Iterator[Any]:
    """Replacement for ``weasyprint.pdf.tags._build_box_tree``: decorations are no part of
    the structure tree (their content is an ``/Artifact``, see ``_marked``)."""
    assert _original_build_box_tree is not None
    if _artifact(box) and getattr(box, "element_tag", None) not in ("html", "body"):
        return
    yield from _original_build_box_tree(box, *args)


def _mark_slot(stream: Any) -> None:
    """Draw ``/Fill`` once per page, undoing WeasyPrint's page transform: the XObject
    is a page of another PDF, in default user space."""
    if getattr(stream, "_letters_slot", False):
        return
    stream._letters_slot = True
    (a, b, _), (c, d, _), (e, f, _) = stream.ctm.invert
    stream.push_state()
    stream.transform(a, b, c, d, e, f)
    stream.stream.append(f"/{SLOT} Do".encode())
    stream.pop_state()


def install() -> None:
    """Patch WeasyPrint's text drawing (idempotent; see ``letters.justify`` for the pin)."""
    global _original_draw_text, _original_draw_inline_level, _original_marked
    global _original_build_box_tree
    if _original_draw_text is not None:
        return
    from weasyprint import draw  # type: ignore[import-untyped, unused-ignore]
    from weasyprint.pdf import tags  # type: ignore[import-untyped, unused-ignore]
    from weasyprint.pdf.stream import Stream  # type: ignore[import-untyped, unused-ignore]

    _original_build_box_tree = tags._build_box_tree
    tags._build_box_tree = _build_box_tree
    _original_marked = Stream.marked
    Stream.marked = _marked
    _original_draw_text = draw.draw_text
    _original_draw_inline_level = draw.draw_inline_level
    draw.draw_text = _draw_text
    draw.draw_inline_level = _draw_inline_level
