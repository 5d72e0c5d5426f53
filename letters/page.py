"""The letter's page: every measure the PDF template and the DOCX renderer both place.

The measures a clerk may set are the config's ``layout:`` (``config.Layout``); the ones
below are the format's fixed ones (the stamps, the slogan, the draft mark, the placeholder of
a missing Garuda). ``PageGeometry`` derives from both what each renderer needs: the PDF's
templates read it as ``page`` (templates/letter.html.j2, templates/letter-page.css.j2), the
DOCX renderer (letters/word.py) as ``self.page``. A measure is written here once.

Some values are computed in the order the templates once wrote them (``foot_pt - 0.35 *
72 / 2.54``), so that the stylesheet reads to the same digits.
"""

from __future__ import annotations

from dataclasses import dataclass

from letters.config import Layout

CM = 72 / 2.54  # points per centimetre

PAPER_MM = (210, 297)  # A4
LABEL_GAP_EM = 0.55  # two spaces of TH Sarabun between a label and its text
RED = "CC0000"  # the stamps, the speed and the placeholder of a missing Garuda
STAMP_TOP_CM = 0.2  # the secrecy stamp's line box from the paper's top edge
STAMP_BOTTOM_CM = 0.1  # ... and from its bottom edge
SPEED_LINE_EM = 1.2  # line heights of the speed and secrecy stamps
SECRECY_LINE_EM = 1.1
SLOGAN_BOTTOM_CM = 0.35  # the slogan's line box from the paper's bottom edge
SMALL_LINE_EM = 1.2  # the line height of the slogan
PAGE_NUMBER_RISE_PT = 3  # the page number's line box above its glyphs' top
WATERMARK = "ร่าง"  # the draft mark
WATERMARK_PT = 150.0
WATERMARK_TOP_CM = 9.0  # the draft mark's line box from the text block's top
WATERMARK_OPACITY = 0.12
# The marked square that stands for a missing Garuda (as large as the Garuda): its CSS and
# its lines of text.
PLACEHOLDER_CSS = (
    f"box-sizing:border-box;border:1.5pt dashed #{RED};color:#{RED};font-size:12pt;"
    "line-height:14pt;padding-top:0.8cm;text-align:center"
)
PLACEHOLDER_LINES = ("ตราครุฑ", "(ไม่พบไฟล์", "emblem missing)")


def _cm_to_pt(cm: float) -> float:
    """Centimetres to points as the templates computed them (not ``cm * CM``: the last
    digit may differ)."""
    return cm * 72 / 2.54


@dataclass(frozen=True)
class PageGeometry:
    """The page of a letter set with ``layout``: lengths in points unless named otherwise."""

    layout: Layout

    # the paper and the text block ----------------------------------------------------------

    label_gap_em = LABEL_GAP_EM
    red = RED
    watermark = WATERMARK
    watermark_pt = WATERMARK_PT
    watermark_top_cm = WATERMARK_TOP_CM
    watermark_opacity = WATERMARK_OPACITY
    placeholder_css = PLACEHOLDER_CSS
    placeholder_lines = PLACEHOLDER_LINES
    paper_mm = PAPER_MM

    @property
    def paper_cm(self) -> tuple[float, float]:
        return (PAPER_MM[0] / 10, PAPER_MM[1] / 10)

    @property
    def text_width_pt(self) -> float:
        """The text block's width: the paper's less the left and right margins."""
        L = self.layout
        return (self.paper_cm[0] - L.margin_left_cm - L.margin_right_cm) * CM

    @property
    def foot_pt(self) -> float:
        """The PDF's bottom margin: the format's and one line, the catch-word's (on every
        page, so that the catch-words never move the text)."""
        L = self.layout
        return round(L.margin_bottom_cm * CM + L.line_pitch_pt, 3)

    # page 1's head -------------------------------------------------------------------------

    @property
    def garuda_pull_cm(self) -> float:
        """How far above the text block of later pages page 1 starts: at the Garuda's top."""
        return round(self.layout.margin_top_cm - self.layout.garuda_top_cm, 4)

    @property
    def garuda_foot_pt(self) -> float:
        """The Garuda's foot line, from the paper's top edge: ที่ and the sender stand on it."""
        return (self.layout.garuda_top_cm + self.layout.garuda_height_cm) * CM

    @property
    def speed_line_pt(self) -> float:
        return self.layout.stamp_size_pt * SPEED_LINE_EM

    # page numbers, stamps, the slogan ------------------------------------------------------

    @property
    def page_number_top_pt(self) -> float:
        """The top of the page number's line box, from the paper's top edge: its glyphs'
        top ``page_number_top_cm`` down."""
        L = self.layout
        half_leading = (L.line_pitch_pt - L.font_size_pt) / 2
        return L.page_number_top_cm * CM - half_leading - PAGE_NUMBER_RISE_PT

    @property
    def page_number_pad_pt(self) -> float:
        return round(self.page_number_top_pt, 2)

    @property
    def secrecy_line_pt(self) -> float:
        return self.layout.stamp_size_pt * SECRECY_LINE_EM

    @property
    def stamp_top_pt(self) -> float:
        """The top secrecy stamp's line box, from the paper's top edge."""
        return STAMP_TOP_CM * CM

    @property
    def stamp_bottom_pt(self) -> float:
        """The bottom secrecy stamp's line box's top, from the paper's top edge."""
        return (self.paper_cm[1] - STAMP_BOTTOM_CM) * CM - self.secrecy_line_pt

    @property
    def stamp_rise_cm(self) -> float:
        """The top stamp's line box above the text block (of pages 2 on)."""
        return self.layout.margin_top_cm - STAMP_TOP_CM

    @property
    def stamp_drop_pt(self) -> float:
        """The bottom stamp's line box's bottom below the text block."""
        return self.foot_pt - _cm_to_pt(STAMP_BOTTOM_CM)

    @property
    def small_line_pt(self) -> float:
        """The slogan's line height."""
        return self.layout.font_size_pt * SMALL_LINE_EM

    @property
    def slogan_bottom_pt(self) -> float:
        """The slogan's line box's bottom above the paper's bottom edge."""
        return SLOGAN_BOTTOM_CM * CM

    @property
    def slogan_drop_pt(self) -> float:
        """The slogan's line box's bottom below the text block."""
        return self.foot_pt - _cm_to_pt(SLOGAN_BOTTOM_CM)

    @property
    def watermark_top_pt(self) -> float:
        """The draft mark's line box from the paper's top edge."""
        return (self.layout.margin_top_cm + WATERMARK_TOP_CM) * CM
