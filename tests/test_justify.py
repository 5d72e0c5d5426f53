"""Tests for letters.justify: Thai-distributed justification in WeasyPrint 70.

The page is rendered twice: in this process after ``install()``, and in a
subprocess without it (``install()`` patches WeasyPrint globally, so the stock
rendering must not share this interpreter). Both PDFs are measured with
pdfplumber.
"""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any

import fontpkg
import pdfplumber
import pytest

# Without the optional system library libharfbuzz-subset, importing WeasyPrint
# 70 emits a DeprecationWarning (it then subsets fonts with fontTools, which only
# logs). That is about the machine's libraries, not about this code: ignore just
# that message, only while importing.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    import weasyprint

    from letters import justify

PAGE_WIDTH = 595.28
LEFT = 85.04  # 3cm
RIGHT = PAGE_WIDTH - 56.69  # 2cm
INDENT = 70.87  # 2.5cm
TOLERANCE = 1.0

PARAGRAPHS = {
    "announce": (
        "ด้วยจังหวัดหนองคาย ได้รับแจ้งจากกระทรวงมหาดไทยว่า ได้ดำเนินการปฏิบัติการสื่อสาร "
        "โดยจัดตั้งกลุ่มไลน์ทางการผ่านแอปพลิเคชันไลน์แอด (Line@) ภายใต้ชื่อ “@มหาดไทย” "
        "เพื่อสื่อสารข้อมูลไปยังบุคลากรในสังกัดกระทรวงมหาดไทยอย่างทั่วถึง รวดเร็ว และมีประสิทธิภาพ "
        "ซึ่งจะเป็นช่องทางในการเผยแพร่ข้อมูลข่าวสาร นโยบาย และข้อสั่งการของกระทรวงมหาดไทย"
        "ไปสู่บุคลากรในสังกัดได้โดยตรง"
    ),
    # Long runs without spaces (stock WeasyPrint leaves these lines ragged), some
    # with zero-width spaces between words.
    "request": (
        "ในการนี้ จังหวัดหนองคายพิจารณาแล้วเห็นว่าเพื่อให้การประชาสัมพันธ์ข้อมูลข่าวสารของทางราชการ"
        "เป็นไปอย่างมีประสิทธิภาพและเกิดประโยชน์สูงสุดแก่ประชาชนในพื้นที่ จึงขอให้อำเภอทุกอำเภอ"
        "แจ้ง\u200bองค์กรปกครองส่วนท้องถิ่น\u200bในพื้นที่\u200bดำเนินการประชาสัมพันธ์ให้บุคลากรในสังกัดทราบ"
        "และเข้าร่วมกลุ่มไลน์ดังกล่าวโดยทั่วกัน"
    ),
    # A bold inline box, template-like white space and a space before a tag.
    "bold": (
        "\n      ทั้งนี้ ขอให้<b>รายงานผลการดำเนินการให้จังหวัดทราบภายในวันที่ ๓๐ พฤศจิกายน ๒๕๖๗</b>\n"
        "      ทางไปรษณีย์อิเล็กทรอนิกส์ของสำนักงานจังหวัดหนองคายเพื่อจะได้รวบรวมรายงาน"
        "ให้กระทรวงมหาดไทยทราบต่อไป หากมีข้อสงสัยประการใดสามารถสอบถามรายละเอียดเพิ่มเติมได้ที่ "
        "<span>กลุ่มงานยุทธศาสตร์และข้อมูลเพื่อการพัฒนาจังหวัด</span> สำนักงานจังหวัดหนองคาย\n    "
    ),
    "latin": (
        "Latin lines keep the stock justification, which only widens the spaces between "
        "words, so this English paragraph must look exactly as it does without the patch, "
        "whatever the number of words on each of its lines."
    ),
}
LEFT_ALIGNED = (
    "จึงเรียนมาเพื่อโปรดพิจารณาดำเนินการในส่วนที่เกี่ยวข้องต่อไป และขอให้รายงานผลการดำเนินการ"
    "ให้จังหวัดทราบภายในกำหนดเวลาดังกล่าวด้วย จะเป็นพระคุณ"
)


def page_html() -> str:
    regular = fontpkg.path("sarabun", weight=400, style="normal")
    bold = fontpkg.path("sarabun", weight=700, style="normal")
    paragraphs = "".join(f"<p>{text}</p>" for text in PARAGRAPHS.values())
    return f"""<!DOCTYPE html>
<html lang="th"><head><meta charset="utf-8"><style>
  @font-face {{ font-family: "Sarabun Test"; src: url("file://{regular}"); font-weight: 400 }}
  @font-face {{ font-family: "Sarabun Test"; src: url("file://{bold}"); font-weight: 700 }}
  @page {{ size: A4; margin: 2.5cm 2cm 2cm 3cm }}
  body {{ font-family: "Sarabun Test"; font-size: 16pt; line-height: 1.5; margin: 0 }}
  p {{ text-align: justify; text-indent: 2.5cm; margin: 0 0 12pt }}
  p.left {{ text-align: left }}
</style></head>
<body>{paragraphs}<p class="left">{LEFT_ALIGNED}</p></body></html>"""


STOCK_RENDER = """
import sys, warnings
warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
import weasyprint
sys.stdout.buffer.write(weasyprint.HTML(string=sys.stdin.read()).write_pdf())
"""

Line = list[dict[str, Any]]


def lines_of(pdf: bytes) -> list[Line]:
    """Return the chars of the (single) page grouped into lines, in PDF order."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        chars = [dict(char) for char in document.pages[0].chars]
    lines: list[Line] = []
    for char in chars:  # Marks may sit slightly off their line's top.
        if lines and abs(char["top"] - lines[-1][0]["top"]) < 8:
            lines[-1].append(char)
        else:
            lines.append([char])
    return lines


def paragraphs_of(lines: list[Line]) -> list[list[Line]]:
    """Split lines into paragraphs, at the 12pt margin between them."""
    paragraphs = [[lines[0]]]
    for previous, line in itertools.pairwise(lines):
        if line[0]["top"] - previous[0]["top"] > 30:  # 24pt line pitch
            paragraphs.append([])
        paragraphs[-1].append(line)
    return paragraphs


def right_edge(line: Line) -> float:
    return max(float(char["x1"]) for char in line if char["text"].strip())


def left_edge(line: Line) -> float:
    return min(float(char["x0"]) for char in line if char["text"].strip())


def justified_lines(pdf: bytes) -> Iterator[Line]:
    """Yield the lines of justified paragraphs but the paragraphs' last ones."""
    paragraphs = paragraphs_of(lines_of(pdf))
    assert len(paragraphs) == len(PARAGRAPHS) + 1
    for paragraph in paragraphs[: len(PARAGRAPHS)]:
        yield from paragraph[:-1]


def is_mark(char: dict[str, Any]) -> bool:
    # WeasyPrint maps NIKHAHIT, decomposed from SARA AM by HarfBuzz, to "".
    return not char["text"] or unicodedata.category(char["text"][0]) == "Mn"


def mark_offsets(pdf: bytes) -> list[float]:
    """Return each mark's x offset from the base character before it."""
    offsets = []
    for line in lines_of(pdf):
        base = None
        for char in line:
            if is_mark(char):
                assert base is not None
                offsets.append(float(char["x0"] - base["x0"]))
            else:
                base = char
    return offsets


@pytest.fixture(scope="module")
def patched_pdf() -> bytes:
    justify.install()
    pdf: bytes = weasyprint.HTML(string=page_html()).write_pdf()
    return pdf


@pytest.fixture(scope="module")
def stock_pdf() -> bytes:
    result = subprocess.run(
        [sys.executable, "-c", STOCK_RENDER],
        input=page_html().encode(),
        capture_output=True,
        check=True,
    )
    return result.stdout


def test_justified_lines_reach_the_right_margin(patched_pdf: bytes) -> None:
    lines = list(justified_lines(patched_pdf))
    assert len(lines) >= 12
    deviations = [abs(right_edge(line) - RIGHT) for line in lines]
    assert max(deviations) <= TOLERANCE, deviations


def test_lines_start_at_the_margin_or_the_indent(patched_pdf: bytes) -> None:
    for paragraph in paragraphs_of(lines_of(patched_pdf)):
        assert left_edge(paragraph[0]) == pytest.approx(LEFT + INDENT, abs=TOLERANCE)
        for line in paragraph[1:]:
            assert left_edge(line) == pytest.approx(LEFT, abs=TOLERANCE)


def test_last_lines_stay_ragged(patched_pdf: bytes) -> None:
    for paragraph in paragraphs_of(lines_of(patched_pdf)):
        assert right_edge(paragraph[-1]) < RIGHT - 20


def test_marks_stay_on_their_base(patched_pdf: bytes, stock_pdf: bytes) -> None:
    # Same glyphs in the same order: a mark's offset from its base must be the
    # one stock WeasyPrint gives, while the bases themselves did move.
    patched, stock = mark_offsets(patched_pdf), mark_offsets(stock_pdf)
    assert len(patched) == len(stock) > 100
    assert patched == pytest.approx(stock, abs=0.01)
    assert [left_edge(line) for line in lines_of(patched_pdf)] == pytest.approx(
        [left_edge(line) for line in lines_of(stock_pdf)], abs=0.01
    )
    assert any(
        abs(right_edge(a) - right_edge(b)) > TOLERANCE
        for a, b in zip(lines_of(patched_pdf), lines_of(stock_pdf), strict=True)
    )


def test_text_extraction_is_not_worse(patched_pdf: bytes, stock_pdf: bytes) -> None:
    def text(pdf: bytes) -> str:
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            return str(document.pages[0].extract_text())

    patched, stock = text(patched_pdf), text(stock_pdf)
    # Same characters (pdfplumber orders chars by x, so marks may swap places)...
    assert sorted("".join(patched.split())) == sorted("".join(stock.split()))
    # ...and no more spurious spaces: pdfplumber inserts one inside a word
    # wherever a char starts after the next one's x0 or beyond a gap.
    assert patched.count(" ") <= stock.count(" ")


def test_other_text_is_unchanged(patched_pdf: bytes, stock_pdf: bytes) -> None:
    # Latin lines and the left-aligned paragraph render exactly as in stock.
    patched = paragraphs_of(lines_of(patched_pdf))
    stock = paragraphs_of(lines_of(stock_pdf))
    for index in (len(PARAGRAPHS) - 1, len(PARAGRAPHS)):
        assert [(c["text"], round(c["x0"], 3)) for line in patched[index] for c in line] == [
            (c["text"], round(c["x0"], 3)) for line in stock[index] for c in line
        ]


def test_stock_weasyprint_leaves_thai_lines_ragged(stock_pdf: bytes) -> None:
    deviations = [abs(right_edge(line) - RIGHT) for line in justified_lines(stock_pdf)]
    assert max(deviations) > 5 * TOLERANCE


def test_clusters_keep_marks_on_their_base() -> None:
    assert justify.count_clusters("ดำ") == 1
    assert justify.count_clusters("น้ำ") == 1
    assert justify.count_clusters("ที่") == 1
    assert justify.count_clusters("สื่อสาร") == 5
    assert justify.count_clusters("Line@ ๓๐") == 8
    assert justify.count_clusters("แจ้ง\u200bองค์กร") == 8


def test_install_is_idempotent() -> None:
    justify.install()
    justify.install()
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    assert inline.justify_line is justify._justify_line
    assert line_break.Layout.set_text is justify._set_text
    assert justify._original_justify_line is not justify._justify_line
    assert justify._original_set_text is not justify._set_text


def test_install_refuses_other_weasyprint_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match=r"WeasyPrint 71\.0 is installed"):
        justify.install()
