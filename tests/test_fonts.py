"""The letter's font: the one measure of text width the DOCX and the workbook share."""

from __future__ import annotations

import pytest

from letters.fonts import letter_fonts, text_width


def test_text_width_is_th_sarabun_16_pt_and_the_widest_line() -> None:
    """ขอแสดงความนับถือ is 84.2 pt wide in TH Sarabun New 16 pt (fonts.py); of several lines,
    the widest counts."""
    path = letter_fonts().file().path
    close = text_width("ขอแสดงความนับถือ", 16, path)
    assert close == pytest.approx(84.2, abs=2.5)
    assert text_width("ก\nขอแสดงความนับถือ\nข", 16, path) == close
    assert text_width("ขอแสดงความนับถือ", 32, path) == pytest.approx(2 * close)


def test_marks_add_no_width_and_unknown_letters_do() -> None:
    """A tone mark stands over its letter; a letter the font lacks takes the missing-glyph
    box's width, not nothing."""
    path = letter_fonts().file().path
    assert text_width("ก่", 16, path) == pytest.approx(text_width("ก", 16, path))
    assert text_width("ก\u4e00", 16, path) > text_width("ก", 16, path)
