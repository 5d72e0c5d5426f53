"""The office's follow-up checklist, as PDF (measured on the page) and as XLSX (read back)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pdfplumber
import pytest
from conftest import CONFIG, EXAMPLE, ROOT
from pdfgeometry import pixels, squash

from letters import thai
from letters.checklist import (
    DONE,
    FIRST_ROW,
    HEADER_ROW,
    NOT_DONE,
    OVERDUE,
    PIECE_ROWS,
    Columns,
    RecipientProgress,
    checklist_pdf,
    checklist_xlsx,
)
from letters.directive import Letter, load_letter
from letters.fonts import letter_fonts

TODAY = dt.date(2019, 1, 5)  # after the due date, 25 December 2018


@pytest.fixture(scope="module")
def letter() -> Letter:
    return load_letter(EXAMPLE / "directive.yaml", CONFIG)


def _progress(letter: Letter) -> dict[str, RecipientProgress]:
    """4301 did all and replied; 4302 did task 1 only; 4317 was never sent the letter."""
    sent = dt.date(2018, 12, 12)
    codes = [m.code for m in letter.recipients]
    progress = {code: RecipientProgress(sent_on=sent) for code in codes if code != "4317"}
    progress["4301"] = RecipientProgress(
        sent,
        {0: dt.date(2018, 12, 14), 1: dt.date(2018, 12, 18), 2: dt.date(2018, 12, 19)},
        dt.date(2018, 12, 20),
    )
    progress["4302"] = RecipientProgress(sent, {0: dt.date(2018, 12, 20)}, None)
    return progress


def _flat(text: str | None) -> str:
    return squash((text or "").replace("\n", ""))


def _table(pdf: bytes) -> tuple[list[list[str | None]], Any, tuple[float, float], str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        page = doc.pages[0]
        (table,) = page.find_tables()
        return table.extract(), table, (float(page.width), float(page.height)), page.extract_text()


def test_checklist_pdf_is_landscape_one_row_per_district_one_column_per_task(
    letter: Letter,
) -> None:
    pdf = checklist_pdf(letter, letter_fonts(letter.config.folder))
    rows, _, (width, height), text = _table(pdf)
    assert (width, height) == pytest.approx((841.89, 595.28), abs=0.5)  # A4 landscape
    follow = letter.directive.follow_up
    assert follow is not None
    header, *body = rows
    tasks = [thai.thai_digits(t) for t in follow.tasks]
    assert [_flat(h) for h in header] == [
        squash(h)
        for h in (
            "รหัส",
            "ผู้รับ",
            "วันที่ส่ง",
            *(f"{thai.item_number(i)} {t}" for i, t in enumerate(tasks, 1)),
            "วันที่ตอบ",
            "หมายเหตุ",
        )
    ]
    assert [(row[0], _flat(row[1])) for row in body] == [
        (thai.thai_digits(m.code), squash(m.name)) for m in letter.recipients
    ]
    assert len(body) == 9
    assert all(cell == "" for row in body for cell in row[2:])  # blank, to fill in by hand
    assert squash(f"กำหนดส่งภายในวันที่ {thai.thai_date(follow.due)}") in _flat(text)
    assert not thai.has_ascii_digit_outside_links(text), text


def test_checklist_pdf_shows_what_the_register_knows(letter: Letter) -> None:
    pdf = checklist_pdf(letter, letter_fonts(), _progress(letter), TODAY)
    rows, table, _, text = _table(pdf)
    body = {row[0]: row for row in rows[1:]}
    sent = "๑๒/๑๒/๒๕๖๑"
    # All done and replied: dates, nothing overdue.
    assert body["๔๓๐๑"][2:7] == [sent, "๑๔/๑๒/๒๕๖๑", "๑๘/๑๒/๒๕๖๑", "๑๙/๑๒/๒๕๖๑", "๒๐/๑๒/๒๕๖๑"]
    # Task 1 done; tasks 2 and 3 and the reply overdue.
    assert body["๔๓๐๒"][3] == "๒๐/๑๒/๒๕๖๑"
    assert [_flat(c) for c in body["๔๓๐๒"][4:7]] == [squash(OVERDUE)] * 3
    # Never sent: nothing can be overdue yet.
    assert _flat(body["๔๓๑๗"][2]) == squash("ยังไม่ส่ง")
    assert body["๔๓๑๗"][3:7] == ["", "", "", ""]
    # A tick is drawn in each done task's cell, and only there.
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        curves = doc.pages[0].curves
    ticked = set()
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if cell and any(_inside(curve, cell) for curve in curves):
                ticked.add((rows[r][0], c))
    assert ticked == {("๔๓๐๑", 3), ("๔๓๐๑", 4), ("๔๓๐๑", 5), ("๔๓๐๒", 3)}
    assert squash("ข้อมูล ณ วันที่ ๕ มกราคม ๒๕๖๒") in _flat(text)
    assert not thai.has_ascii_digit_outside_links(text), text


def _inside(curve: dict[str, Any], cell: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = cell
    return bool(x0 <= curve["x0"] and curve["x1"] <= x1 and top <= curve["top"] <= bottom)


def test_checklist_xlsx_table_dropdowns_frozen_header(letter: Letter) -> None:
    data = checklist_xlsx(letter)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    follow = letter.directive.follow_up
    assert follow is not None
    cols = Columns.for_tasks(3)
    assert ws.freeze_panes == "C4"  # title, header and the code and name columns stay
    assert ws.max_row == FIRST_ROW + 9 - 1
    rows = list(ws.iter_rows(min_row=FIRST_ROW, values_only=True))
    assert len(rows) == 9
    assert [thai.arabic_digits(str(r[cols.code - 1])) for r in rows] == [
        m.code for m in letter.recipients
    ]
    assert [r[cols.name - 1] for r in rows] == [m.name for m in letter.recipients]
    headers = [ws.cell(HEADER_ROW, c).value for c in cols.tasks]
    assert headers == [
        f"{thai.item_number(i)} {thai.thai_digits(t)}" for i, t in enumerate(follow.tasks, 1)
    ]
    assert all(r[c - 1] == NOT_DONE for r in rows for c in cols.tasks)
    # One list validation, offering both statuses, on every task cell and nowhere else.
    (check,) = ws.data_validations.dataValidation
    assert check.type == "list"
    assert check.formula1 == f'"{NOT_DONE},{DONE}"'
    covered = {cell for rng in check.sqref.ranges for cell in _cells(rng.coord)}
    expected = {
        f"{openpyxl.utils.get_column_letter(c)}{r}"
        for c in cols.tasks
        for r in range(FIRST_ROW, FIRST_ROW + 9)
    }
    assert covered == expected
    # The Thai font everywhere, and every date and code in Thai digits.
    fonts = {ws.cell(r, c).font.name for r in range(HEADER_ROW, ws.max_row + 1) for c in cols.tasks}
    fonts |= {ws.cell(r, 1).font.name for r in range(1, ws.max_row + 1)}
    assert fonts == {"TH Sarabun New"}
    for row in ws.iter_rows(values_only=True):
        for value in row:
            assert not thai.has_ascii_digit_outside_links(str(value or "")), value


def _cells(coord: str) -> list[str]:
    from openpyxl.utils.cell import range_boundaries

    c0, r0, c1, r1 = range_boundaries(coord)
    return [
        f"{openpyxl.utils.get_column_letter(c)}{r}"
        for c in range(c0, c1 + 1)
        for r in range(r0, r1 + 1)
    ]


def _advance_pt(text: str, size: float) -> float:
    """The text's width from the font's own advance widths (fontTools, not Pillow)."""
    from fontTools.ttLib import TTFont

    font = TTFont(letter_fonts().file().path)
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    units = sum(hmtx[cmap[ord(ch)]][0] for ch in text if ord(ch) in cmap)
    return units / font["head"].unitsPerEm * size


def test_checklist_xlsx_columns_fit_the_thai_text(letter: Letter) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(letter, _progress(letter), TODAY))).active
    assert ws is not None
    cols = Columns.for_tasks(3)
    for column in (cols.code, cols.name, cols.sent, *cols.tasks, cols.replied, cols.status):
        name = openpyxl.utils.get_column_letter(column)
        # Excel's width unit is the width of "0" in Calibri 11: 7 px at 96 dpi, plus 5 px.
        shown_px = ws.column_dimensions[name].width * 7 + 5
        values = [str(ws.cell(r, column).value or "") for r in range(FIRST_ROW, ws.max_row + 1)]
        widest = max(_advance_pt(v, 16) for v in values) * 96 / 72
        assert shown_px >= widest, (name, values)


def test_checklist_xlsx_shows_done_and_overdue(letter: Letter) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(letter, _progress(letter), TODAY))).active
    assert ws is not None
    cols = Columns.for_tasks(3)
    by_code = {
        thai.arabic_digits(str(ws.cell(r, cols.code).value)): r
        for r in range(FIRST_ROW, ws.max_row + 1)
    }
    done, partly, unsent = by_code["4301"], by_code["4302"], by_code["4317"]
    assert [ws.cell(done, c).value for c in cols.tasks] == [DONE] * 3
    assert ws.cell(done, cols.replied).value == "๒๐/๑๒/๒๕๖๑"
    assert ws.cell(done, cols.status).value == "ครบแล้ว"
    assert ws.cell(done, cols.tasks[0]).comment.text == f"{DONE}เมื่อ ๑๔/๑๒/๒๕๖๑"
    assert [ws.cell(partly, c).value for c in cols.tasks] == [DONE, NOT_DONE, NOT_DONE]
    assert ws.cell(partly, cols.status).value == OVERDUE
    late = [ws.cell(partly, c).fill.fgColor.rgb for c in (*cols.tasks, cols.replied)]
    assert late[0] != late[1] == late[2] == late[3] == "00F8D7DA"
    assert ws.cell(unsent, cols.sent).value is None
    assert ws.cell(unsent, cols.status).value == "ยังไม่ส่ง"
    assert ws.cell(done, cols.sent).value == "๑๒/๑๒/๒๕๖๑"
    assert "๕ มกราคม ๒๕๖๒" in str(ws.cell(2, 1).value)


def test_same_letter_same_bytes(letter: Letter) -> None:
    assert checklist_xlsx(letter) == checklist_xlsx(letter)
    fonts = letter_fonts()
    assert checklist_pdf(letter, fonts) == checklist_pdf(letter, fonts)
    progress = _progress(letter)
    assert checklist_xlsx(letter, progress, TODAY) == checklist_xlsx(letter, progress, TODAY)


def test_letter_without_follow_up(tmp_path: Path) -> None:
    folder = tmp_path / "line-at"
    shutil.copytree(EXAMPLE, folder)
    directive = folder / "directive.yaml"
    head, _, _ = directive.read_text(encoding="utf-8").partition("follow_up:")
    directive.write_text(head, encoding="utf-8")
    letter = load_letter(directive, CONFIG)
    assert letter.directive.follow_up is None
    rows, _, _, text = _table(checklist_pdf(letter, letter_fonts()))
    assert [_flat(h) for h in rows[0]] == [
        squash(h) for h in ("รหัส", "ผู้รับ", "วันที่ส่ง", "วันที่ตอบ", "หมายเหตุ")
    ]
    assert len(rows) == 10 and "กำหนดส่ง" not in text
    ws = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(letter))).active
    assert ws is not None
    assert not ws.data_validations.dataValidation
    assert ws.max_row == FIRST_ROW + 8


# --- many recipients -------------------------------------------------------------------


def _country_office(folder: Path, count: int) -> tuple[Path, Path]:
    """The example circular sent to the first ``count`` amphoe of the country: the
    directive and the config (a copy of the office's with that group)."""
    from letters.directory import country_members, write_group

    folder.mkdir(parents=True)
    config = folder / "config.yaml"
    shutil.copy(CONFIG, config)
    write_group(config, "amphoe", country_members()[:count])
    return EXAMPLE / "directive.yaml", config


def _page_texts(pdf: bytes) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_long_checklist_laid_out_in_pieces_prints_the_same_pages(tmp_path: Path) -> None:
    directive, config = _country_office(tmp_path / "office", 70)
    letter = load_letter(directive, config)
    codes = [m.code for m in letter.recipients]
    sent = dt.date(2018, 12, 12)
    progress = {code: RecipientProgress(sent_on=sent) for code in codes}
    for code in codes[::9]:  # ticks and dates here and there, in every piece
        progress[code] = RecipientProgress(sent, {0: dt.date(2018, 12, 14)}, dt.date(2018, 12, 20))
    fonts = letter_fonts()
    whole = checklist_pdf(letter, fonts, progress, TODAY, piece_rows=len(codes))
    pieces = checklist_pdf(letter, fonts, progress, TODAY, piece_rows=15)
    smaller_than_a_page = checklist_pdf(letter, fonts, progress, TODAY, piece_rows=3)
    assert pieces != whole  # really made otherwise
    expected = pixels(whole)
    assert len(expected) >= 5
    assert pixels(pieces) == expected  # heading, header rows, rows, ticks, page numbers
    assert pixels(smaller_than_a_page) == expected
    with pdfplumber.open(io.BytesIO(pieces)) as doc:
        assert doc.metadata["Title"] == f"แบบติดตามผลการดำเนินการ: {letter.directive.subject}"
        assert doc.metadata["Author"] == letter.config.model.office.name
    assert checklist_pdf(letter, fonts, progress, TODAY, piece_rows=15) == pieces


# A checklist made in a process of its own: its peak memory (ru_maxrss, KiB) on stdout.
# What a build's worker has loaded before (pypdf, for bundles, brings cryptography: 12 MB)
# is loaded first: the measure is of the checklist.
_MAKE = """
import dataclasses, resource, sys
from pathlib import Path
import pypdf, weasyprint
from letters.checklist import checklist_pdf
from letters.directive import load_letter
from letters.fonts import letter_fonts
directive, config, rows, out = sys.argv[1:]
letter = load_letter(Path(directive), Path(config))
letter = dataclasses.replace(letter, recipients=letter.recipients[: int(rows)])
Path(out).write_bytes(checklist_pdf(letter, letter_fonts(letter.config.folder)))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@dataclasses.dataclass
class _Made:
    letter: Letter
    pdf: bytes
    peak_kb: int


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> dict[int, _Made]:
    """The checklists of the first 100 and the first 400 amphoe of one office, each made
    in a fresh process."""
    folder = tmp_path_factory.mktemp("national")
    directive, config = _country_office(folder / "office", 4 * PIECE_ROWS)
    letter = load_letter(directive, config)
    made = {}
    for rows in (PIECE_ROWS, 4 * PIECE_ROWS):
        out = folder / f"checklist-{rows}.pdf"
        command = [sys.executable, "-c", _MAKE, str(directive), str(config), str(rows), str(out)]
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        some = dataclasses.replace(letter, recipients=letter.recipients[:rows])
        made[rows] = _Made(some, out.read_bytes(), int(proc.stdout.split()[-1]))
    return made


def test_checklist_of_hundreds_has_every_row_once_in_order_header_and_number_on_every_page(
    national: dict[int, _Made],
) -> None:
    made = national[4 * PIECE_ROWS]
    texts = _page_texts(made.pdf)
    assert len(texts) > 20
    row = re.compile(r"([๐-๙]+) \S")  # a row's line starts with its code
    codes: list[str] = []
    for number, text in enumerate(texts, 1):
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if row.match(line))
        above = squash("".join(lines[:first]))
        assert squash("รหัส ผู้รับ วันที่ส่ง") in above, number  # the header row
        codes += [m.group(1) for m in map(row.match, lines[first:]) if m]
        assert f"หน้า {thai.thai_number(number)} / {thai.thai_number(len(texts))}" in text
    assert codes == [thai.thai_digits(m.code) for m in made.letter.recipients]
    heading = squash(f"เรื่อง {made.letter.directive.subject}")
    assert [heading in squash(t) for t in texts] == [True] + [False] * (len(texts) - 1)


def test_checklist_memory_does_not_grow_with_the_rows(national: dict[int, _Made]) -> None:
    few, many = national[PIECE_ROWS], national[4 * PIECE_ROWS]
    # 400 rows laid out at once took 1.45 times the peak of 100 rows; in pieces, 1.05
    assert many.peak_kb <= 1.15 * few.peak_kb, (many.peak_kb, few.peak_kb)
