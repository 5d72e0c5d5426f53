"""The checklist workbook: written with the build (its table, dropdowns, widths) and read
back from the sheet the clerk filled in Excel, into the register."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from conftest import CONFIG, EXAMPLE, rewrite_follow_up
from test_checklist import TODAY, sample_progress

from letters import thai
from letters.checklist import OVERDUE
from letters.directive import Letter, load_letter
from letters.errors import InputError
from letters.fonts import letter_fonts
from letters.register import EMAIL, Register
from letters.tracking import ImportResult
from letters.workbook import (
    DONE,
    FIRST_ROW,
    HEADER_ROW,
    NOT_DONE,
    Columns,
    checklist_xlsx,
    read_checklist,
)


@pytest.fixture(scope="module")
def letter() -> Letter:
    return load_letter(EXAMPLE / "directive.yaml", CONFIG)


# --- writing ----------------------------------------------------------------------------


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
    ws = openpyxl.load_workbook(
        io.BytesIO(checklist_xlsx(letter, sample_progress(letter), TODAY))
    ).active
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
    ws = openpyxl.load_workbook(
        io.BytesIO(checklist_xlsx(letter, sample_progress(letter), TODAY))
    ).active
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
    progress = sample_progress(letter)
    assert checklist_xlsx(letter, progress, TODAY) == checklist_xlsx(letter, progress, TODAY)


def test_letter_without_follow_up(tmp_path: Path) -> None:
    folder = tmp_path / "line-at"
    shutil.copytree(EXAMPLE, folder)
    directive = folder / "directive.yaml"
    rewrite_follow_up(directive)
    letter = load_letter(directive, CONFIG)
    ws = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(letter))).active
    assert ws is not None
    assert [ws.cell(HEADER_ROW, c).value for c in range(1, 6)] == [
        "รหัส",
        "ผู้รับ",
        "วันที่ส่ง",
        "วันที่ตอบ",
        "สถานะ",
    ]
    assert not ws.data_validations.dataValidation
    assert ws.max_row == FIRST_ROW + 8


# --- reading back -----------------------------------------------------------------------


@pytest.fixture
def book(workdir: Path) -> Iterator[Register]:
    with Register(workdir / "register.sqlite3") as opened:
        yield opened


def imported(book: Register, directive_id: str, path: Path, today: dt.date) -> ImportResult:
    """What ``letters track --import`` does: read the sheet, record it in the register."""
    reports = read_checklist(path, book.tasks(directive_id), today=today)
    return book.record_reports(directive_id, reports)


def test_checklist_round_trip(book: Register, workdir: Path) -> None:
    """The checklist ``letters build`` writes, filled in by the clerk in Excel, read back."""
    original = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    directive_id = book.allocate(original).directive_id
    follow = original.directive.follow_up
    assert follow is not None
    book.record_action(
        directive_id, "4301", EMAIL, dt.datetime(2018, 12, 11, 10, 30), "<a@b.example>"
    )
    book.mark_done(directive_id, "4301", 1, dt.date(2018, 12, 20))
    path = workdir / "checklist.xlsx"
    progress = book.progress(directive_id, dt.date(2018, 12, 21))
    assert progress["4301"].sent_on == dt.date(2018, 12, 11)
    assert progress["4301"].done == {0: dt.date(2018, 12, 20)}  # the checklist counts from 0
    path.write_bytes(checklist_xlsx(original, progress, dt.date(2018, 12, 21)))

    workbook = openpyxl.load_workbook(path)
    sheet = workbook["ติดตามผล"]
    columns = Columns.for_tasks(len(follow.tasks))
    rows = {thai.arabic_digits(str(sheet.cell(r, 1).value)): r for r in range(4, 13)}
    sheet.cell(rows["4301"], columns.tasks[1]).value = DONE  # chosen from the dropdown
    sheet.cell(rows["4302"], columns.tasks[2]).value = dt.datetime(2018, 12, 22)
    sheet.cell(rows["4302"], columns.replied).value = "๒๓/๑๒/๒๕๖๑"
    workbook.save(path)

    result = imported(book, directive_id, path, dt.date(2018, 12, 24))
    assert result.marked == 3 and result.replied == 1 and result.unknown == ()
    assert len(result.codes) == 9
    status = {
        s.code: s
        for s in book.status(directive_id, follow.tasks, follow.due, dt.date(2018, 12, 26))
    }
    # Task 1 keeps the date its note gives; task 2, chosen without a date, is done today.
    assert [t.done_on for t in status["4301"].tasks] == [
        dt.date(2018, 12, 20),
        dt.date(2018, 12, 24),
        None,
    ]
    assert [t.state for t in status["4302"].tasks] == ["overdue", "overdue", "done"]
    assert status["4302"].replied_on == dt.date(2018, 12, 23)
    assert book.overdue(directive_id, dt.date(2018, 12, 26))["4301"] == [3]


def test_checklist_typed_by_hand_and_broken_files(book: Register, workdir: Path) -> None:
    original = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    directive_id = book.allocate(original).directive_id
    follow = original.directive.follow_up
    assert follow is not None
    path = workdir / "typed.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["รายงานผล"])
    sheet.append(["รหัส", "ผู้รับ", *follow.tasks, "หมายเหตุ"])  # the tasks' own words
    sheet.append(["4301", "เมืองหนองคาย", "ดำเนินการแล้ว", "2018-12-20", "ยังไม่ได้ทำ", "โทรแจ้งแล้ว"])
    sheet.append(["9999", "ไม่มี", "ดำเนินการแล้ว", None, None])
    workbook.save(path)
    # A word that is not the list's is said, with its cell; nothing is read until it is fixed.
    with pytest.raises(InputError) as info:
        imported(book, directive_id, path, dt.date(2018, 12, 23))
    assert "E3" in str(info.value) and "'ยังไม่ได้ทำ'" in str(info.value)
    assert "not one of the list's words" in str(info.value)
    assert book.remarks(directive_id) == {}
    sheet["E3"] = "ยังไม่ดำเนินการ"
    workbook.save(path)
    result = imported(book, directive_id, path, dt.date(2018, 12, 23))
    assert result.marked == 2 and result.unknown == ("9999",) and result.notes == 1
    assert book.remarks(directive_id) == {"4301": "โทรแจ้งแล้ว"}  # หมายเหตุ is read too
    assert book.progress(directive_id, dt.date(2018, 12, 23))["4301"].note == "โทรแจ้งแล้ว"
    status = book.status(directive_id, follow.tasks, follow.due, dt.date(2018, 12, 23))
    assert [t.state for t in status[0].tasks] == ["done", "done", "open"]
    book.mark_open(directive_id, "4301", 2)  # a mark made by mistake is taken back
    status = book.status(directive_id, follow.tasks, follow.due, dt.date(2018, 12, 23))
    assert [t.state for t in status[0].tasks] == ["done", "open", "open"]

    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError) as info:
        imported(book, directive_id, path, dt.date(2018, 12, 24))
    assert str(path) in str(info.value)
    workbook = openpyxl.Workbook()
    workbook.save(path)
    with pytest.raises(InputError) as info:
        imported(book, directive_id, path, dt.date(2018, 12, 24))
    assert "รหัส" in str(info.value)
