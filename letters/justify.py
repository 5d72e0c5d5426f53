"""Thai-distributed justification for WeasyPrint 70.0.

Stock WeasyPrint justifies a line by widening its U+0020/U+00A0 spaces only, so
Thai text (few spaces) gets big holes or stays ragged. :func:`install` patches
WeasyPrint so that every justified line containing Thai text spreads its extra
width evenly over its grapheme-cluster boundaries, like Word's "Thai
Distributed" alignment. Combining marks (above/below vowels, tone marks, SARA AM)
stay in their base character's cluster: no space is ever put inside a cluster.
Lines without Thai text keep the stock word-spacing justification, and text that
is not justified is not touched at all.

Two functions are replaced, both only acting on justified lines:

- ``weasyprint.layout.inline.justify_line`` (called by ``text_align`` only when
  the line's alignment is ``justify``): for a line with Thai text it computes one
  spacing per cluster boundary instead of per space, moves and widens the boxes
  accordingly and hands that spacing to each text box as a
  :class:`ClusterSpacing`.
- ``weasyprint.text.line_break.Layout.set_text``: when it is called with
  ``justify=True`` (from ``Layout.reactivate``, just before the text is drawn)
  and the layout's ``justification_spacing`` is a :class:`ClusterSpacing`, the
  spacing is added to the advance of the last glyph of each cluster instead of
  to spaces. Any other call is passed through unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import weasyprint  # type: ignore[import-untyped, unused-ignore]
from weasyprint.formatting_structure import boxes  # type: ignore[import-untyped, unused-ignore]
from weasyprint.layout import inline  # type: ignore[import-untyped, unused-ignore]
from weasyprint.text import line_break  # type: ignore[import-untyped, unused-ignore]
from weasyprint.text.ffi import TO_UNITS, ffi, pango  # type: ignore[import-untyped, unused-ignore]

__all__ = ["ClusterSpacing", "count_clusters", "install"]

SUPPORTED_WEASYPRINT_VERSION = "70.0"

# Grapheme clusters: the `regex` module implements Unicode extended grapheme
# clusters (UAX #29) as ``\X``. Without it, fall back to a base character
# followed by its Thai combining marks (MAI HAN-AKAT, SARA AM, the above/below
# vowels, PHINTHU, the tone marks, THANTHAKHAT, ...) or generic combining marks.
# Invisible format characters (ZWSP, often put between Thai words, soft hyphen,
# joiners) stick to the cluster before them: no gap on both sides of nothing.
try:
    import regex  # type: ignore[import-untyped, unused-ignore]

    _CLUSTER: Any = regex.compile(r"\X\p{Cf}*")
except ImportError:  # pragma: no cover - only without the regex package
    _CLUSTER = re.compile(
        ".[\u0e31\u0e33-\u0e3a\u0e47-\u0e4e\u0300-\u036f\u00ad\u200b-\u200f\u2060]*", re.DOTALL
    )

_THAI = re.compile("[\u0e00-\u0e7f]")

_original_justify_line: Callable[[Any, Any, float], None] | None = None
_original_set_text: Callable[..., None] | None = None


class ClusterSpacing(float):
    """Justification spacing to add at each grapheme-cluster boundary.

    It is stored in ``TextBox.justification_spacing`` and from there copied by
    WeasyPrint into each ``Layout`` made for the box; its type is what tells the
    patched ``set_text`` to spread it over clusters rather than spaces.
    """

    __slots__ = ()


def count_clusters(text: str) -> int:
    """Return the number of grapheme clusters in ``text``."""
    return sum(1 for _ in _CLUSTER.finditer(text))


def _leaves(box: Any) -> Iterator[Any]:
    """Yield the in-flow text boxes and atomic inline boxes of a line."""
    for child in box.children:
        if not child.is_in_normal_flow():
            continue
        if isinstance(child, (boxes.LineBox, boxes.InlineBox)):
            yield from _leaves(child)
        else:
            yield child


def _units(box: Any) -> int:
    """Count the units of a leaf box: its clusters, or 1 for an atomic box."""
    return count_clusters(box.text) if isinstance(box, boxes.TextBox) else 1


def _distribute(
    context: Any, box: Any, spacing: ClusterSpacing, x_advance: float, started: list[bool]
) -> float:
    """Move and widen ``box`` and its children; return the new ``x_advance``.

    Mirrors ``weasyprint.layout.inline.add_word_spacing``, with one unit of
    spacing per cluster boundary instead of per space. The boundaries inside a
    text box are widened when it is drawn (see ``_widen_cluster_ends``); the
    boundary before each later text box or atomic box is made here by shifting
    it. ``started`` holds whether a unit was already met on the line.
    """
    if isinstance(box, boxes.TextBox):
        clusters = count_clusters(box.text)
        if clusters and started[0]:
            x_advance += spacing
        started[0] = started[0] or clusters > 0
        box.justification_spacing = spacing
        box.position_x += x_advance
        if clusters > 1:
            layout = line_break.create_layout(
                box.text, box.style, context, max_width=None, justification_spacing=spacing
            )
            layout.deactivate()
            box.pango_layout = layout
            extra = spacing * (clusters - 1)
            box.width += extra
            x_advance += extra
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        previous_x_advance = x_advance
        children = box.children
        if box.style["direction"] == "rtl":
            children = children[::-1]
        for child in children:
            if child.is_in_normal_flow():
                x_advance = _distribute(context, child, spacing, x_advance, started)
        box.width += x_advance - previous_x_advance
    else:  # Atomic inline-level box (image, inline-block): one unit.
        if started[0]:
            x_advance += spacing
        started[0] = True
        box.translate(x_advance, 0)
    return x_advance


def _justify_line(context: Any, line: Any, extra_width: float) -> None:
    """Replacement for ``inline.justify_line``: cluster-distribute Thai lines."""
    assert _original_justify_line is not None
    leaves = list(_leaves(line))
    if not any(isinstance(leaf, boxes.TextBox) and _THAI.search(leaf.text) for leaf in leaves):
        _original_justify_line(context, line, extra_width)
        return
    units = sum(_units(leaf) for leaf in leaves)
    if units > 1:
        spacing = ClusterSpacing(extra_width / (units - 1))
        _distribute(context, line, spacing, 0.0, [False])


def _set_text(self: Any, text: str, justify: bool = False) -> None:
    """Replacement for ``Layout.set_text`` adding cluster spacing when drawn."""
    assert _original_set_text is not None
    spacing = self.justification_spacing
    if not (justify and isinstance(spacing, ClusterSpacing)):
        _original_set_text(self, text, justify)
        return
    # Lay the text out exactly as it was measured (justify=False: the style's own
    # word- and letter-spacing only), then widen the glyphs at cluster ends.
    _original_set_text(self, text, False)
    _widen_cluster_ends(self, spacing)


def _widen_cluster_ends(layout: Any, spacing: float) -> None:
    """Add ``spacing`` after each grapheme cluster of ``layout`` but the last.

    Pango letter-spacing attributes (what stock WeasyPrint uses on spaces) do
    not fit: Pango 1.50 spaces every cursor position it finds in a shaping
    cluster, and it has one before Thai SARA AM (U+0E33), so ำ would be pushed
    off its base. Instead, the shaped glyphs of the layout's single line are
    edited in place: the visually last glyph of each grapheme cluster gets a
    wider advance, so nothing moves inside a cluster. ``set_text`` has just
    reset the layout, so these are the glyphs that ``draw_first_line`` reads.
    """
    # Cluster index of each byte of the text (Pango indices are UTF-8 bytes).
    sizes = [len(match.group().encode()) for match in _CLUSTER.finditer(layout.text)]
    if len(sizes) < 2:
        return
    cluster_at = [index for index, size in enumerate(sizes) for _ in range(size)]
    # WeasyPrint's draw_first_line turns single-paragraph mode on, which would
    # discard the edited lines if it changed the setting afterwards.
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    line = pango.pango_layout_get_line_readonly(layout.layout, 0)
    widened: list[Any] = []  # Visually last glyph before each cluster change.
    previous: tuple[Any, int] | None = None  # (glyph infos, index) of last glyph
    previous_cluster = -1
    run = line.runs
    while run != ffi.NULL:
        offset, glyphs = run.data.item.offset, run.data.glyphs
        for index, byte in enumerate(ffi.unpack(glyphs.log_clusters, glyphs.num_glyphs)):
            cluster = cluster_at[offset + byte]
            if cluster != previous_cluster:
                if previous is not None:
                    widened.append(previous[0][previous[1]])
                previous_cluster = cluster
            previous = glyphs.glyphs, index
        run = run.next
    if previous is None:
        return
    if not widened:  # E.g. one ligature glyph for several clusters.
        widened = [previous[0][previous[1]]]
    # Spread the box's whole extra width over the boundaries actually found, so
    # that the drawn text always fills the width given to the box. WeasyPrint's
    # draw_first_line writes each glyph's advance change truncated to 1/1000 em
    # (int()), which would lose up to one such unit per widened glyph, i.e.
    # about 1pt per Thai line: hand out whole units, each padded by half a unit
    # so that the truncation keeps it (glyphs with a mark offset may still be
    # one unit off either way, and a line's boxes add up with a unit or two of error).
    # The units are counted down, with two held back: a justified line ends a few
    # hundredths of a point short of the margin, never past it.
    unit = layout.style["font_size"] * TO_UNITS / 1000  # 1/1000 em, Pango units
    if unit <= 0:
        return
    total = max(math.floor(spacing * (len(sizes) - 1) * TO_UNITS / unit) - 2, 0)
    given = 0
    for index, glyph in enumerate(widened, 1):
        units = total * index // len(widened) - given
        given += units
        if units:
            glyph.geometry.width += round((units + 0.5) * unit)


def install() -> None:
    """Patch WeasyPrint for Thai-distributed justification (idempotent)."""
    global _original_justify_line, _original_set_text
    if weasyprint.__version__ != SUPPORTED_WEASYPRINT_VERSION:
        raise RuntimeError(
            f"letters.justify patches WeasyPrint {SUPPORTED_WEASYPRINT_VERSION} internals, "
            f"but WeasyPrint {weasyprint.__version__} is installed; "
            "check the patch against the new version before changing the pin."
        )
    if _original_justify_line is not None:
        return  # Already installed.
    _original_justify_line = inline.justify_line
    _original_set_text = line_break.Layout.set_text
    inline.justify_line = _justify_line
    line_break.Layout.set_text = _set_text
