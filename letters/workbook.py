"""The checklist as a workbook (``checklist.xlsx``): written by the build, filled in by the
clerk in Excel, and read back by ``letters track --import``. One set of column words serves
both ways.

The sheet is named ``ติดตามผล``, laid out so that a filled-in sheet can be read back
(``Columns.for_tasks`` gives the numbers):

======  ==========================================================================
row 1   the title: แบบติดตามผลการดำเนินการ and the subject
row 2   the letter's ที่, its date and the due date (and the day the data is from)
row 3   the header (frozen with rows 1-2 and columns A-B)
row 4-  one row per recipient
======  ==========================================================================

===========  =====================================================================
column A     ``รหัส``: the recipient's code, in Thai digits (``thai.arabic_digits``
             gives the code of config.yaml): the key to find the row again
column B     ``ผู้รับ``: the recipient's name
(next)       ``ที่``: an external letter's own number for this recipient (only then)
column C     ``วันที่ส่ง``: the date sent, ``d/m/yyyy`` in the Buddhist era (``๑๑/๑๒/๒๕๖๑``)
D ...        one column per task, in the directive's order, headed ``<n>. <task>``:
             ``ยังไม่ดำเนินการ`` or ``ดำเนินการแล้ว`` (a dropdown); a done task's date is
             in the cell's note
next         ``วันที่ตอบ``: the date replied, as column C
next         ``สถานะ``: computed when the file is written (``เกินกำหนด``, ``ครบแล้ว``,
             ``ยังไม่ส่ง``); reading ignores it
last         ``หมายเหตุ``: free text
===========  =====================================================================

Reading back (``read_checklist``) takes the sheet ``ติดตามผล`` (else the first), the first
row with ``รหัส`` in a cell as the header, and each row below with a code. A task column is
one headed ``<n>. ...`` or ``<n>`` (Thai or Arabic digits), or with the task's own text. A
task cell says the task was done when it holds ``ดำเนินการแล้ว`` (on the date in the cell's
note, else today) or a date; other cells say nothing. ``วันที่ตอบ`` holds a date or nothing.
Dates may be cells of Excel's date type or text: ``2018-12-20``, ``20/12/2561``,
``๒๐/๑๒/๒๕๖๑``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letters import thai
from letters.checklist import (
    DONE,
    TITLE,
    RecipientProgress,
    checklist_summary,
    checklist_table,
)
from letters.directive import Letter
from letters.errors import InputError, Problem
from letters.fonts import FontSet, letter_fonts, text_width
from letters.register import gregorian_year
from letters.tracking import Reported

SHEET = "ติดตามผล"
XLSX_FONT = "TH Sarabun New"  # on every Thai government computer; Sarabun is the free twin
XLSX_FONT_PT = 16.0

# The column words: the header row the checklist is written with and read back by.
CODE_HEADER = "รหัส"
NAME_HEADER = "ผู้รับ"
NUMBER_HEADER = "ที่"
SENT_HEADER = "วันที่ส่ง"
REPLIED_HEADER = "วันที่ตอบ"
STATUS_HEADER = "สถานะ"
NOTE_HEADER = "หมายเหตุ"
NOT_DONE = "ยังไม่ดำเนินการ"  # a task cell's two values (the dropdown)
STATUSES = (NOT_DONE, DONE)

TITLE_ROW = 1
INFO_ROW = 2
HEADER_ROW = 3
FIRST_ROW = 4


@dataclass(frozen=True)
class Columns:
    """1-based column numbers of the sheet for a letter with ``count`` tasks."""

    code: int
    name: int
    sent: int
    tasks: tuple[int, ...]
    replied: int
    status: int
    note: int
    number: int | None = None  # an external letter's ที่, after the name

    @classmethod
    def for_tasks(cls, count: int, *, numbered: bool = False) -> Columns:
        """``numbered``: a column ที่ after the name (each row's own number)."""
        sent = 4 if numbered else 3
        first = sent + 1
        after = first + count
        return cls(
            1,
            2,
            sent,
            tuple(range(first, after)),
            after,
            after + 1,
            after + 2,
            3 if numbered else None,
        )


# --- writing ----------------------------------------------------------------------------

_PX_PER_PT = 96 / 72
_DIGIT_PX = 7  # width of "0" in the workbook's default font (Calibri 11) at 96 dpi
_MAX_WIDTH = 36.0  # columns wider than this wrap their text
_LINE_PT = 24.0  # one line of TH Sarabun New 16 pt in a spreadsheet row


def text_width_pt(text: str, size_pt: float = XLSX_FONT_PT, fonts: FontSet | None = None) -> float:
    """The width ``text`` takes at ``size_pt`` in the letter's font (Sarabun sets Thai within
    1 % of TH Sarabun New); for the longest of several lines, the widest."""
    return text_width(text, size_pt, (fonts or letter_fonts()).file().path)


def column_width(texts: Sequence[str], fonts: FontSet | None = None) -> float:
    """A spreadsheet column width (in widths of "0") that shows the widest text whole,
    up to ``_MAX_WIDTH``; wider texts wrap."""
    widest = max((text_width_pt(t, fonts=fonts) for t in texts if t), default=0.0)
    pixels = widest * _PX_PER_PT + 12  # the cell's own padding and a little air
    return round(min(_MAX_WIDTH, max(6.0, pixels / _DIGIT_PX)), 1)


def _lines(text: str, width: float, fonts: FontSet | None) -> int:
    available_pt = max(1.0, (width * _DIGIT_PX - 12) / _PX_PER_PT)
    return max(1, -(-int(text_width_pt(text, fonts=fonts)) // int(available_pt)))


def checklist_xlsx(
    letter: Letter,
    progress: Mapping[str, RecipientProgress] | None = None,
    today: dt.date | None = None,
    *,
    font_name: str = XLSX_FONT,
    fonts: FontSet | None = None,
) -> bytes:
    """The checklist as an XLSX workbook (layout in the module's description).

    ``font_name`` is the font the cells ask for; ``fonts`` the files that measure the
    column widths (the letter's fonts; Sarabun when not given).
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.properties import PageSetupProperties

    table = checklist_table(letter, progress, today)
    cols = Columns.for_tasks(len(table.tasks), numbered=table.numbered)
    last = cols.note
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    created = dt.datetime.combine(letter.directive.date, dt.time())
    wb.properties.creator = letter.config.model.office.name
    wb.properties.title = f"{TITLE}: {table.subject}"
    wb.properties.created = wb.properties.modified = created

    plain = Font(name=font_name, size=XLSX_FONT_PT)
    bold = Font(name=font_name, size=XLSX_FONT_PT, bold=True)
    red = Font(name=font_name, size=XLSX_FONT_PT, color="C00000")
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    late_fill = PatternFill("solid", fgColor="F8D7DA")
    head_fill = PatternFill("solid", fgColor="E7E6E6")
    top = Alignment(vertical="top", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)

    info = f"{table.number} ลงวันที่ {table.date}" if table.number else f"ลงวันที่ {table.date}"
    if table.due:
        info += f"  กำหนดส่งภายใน {table.due}"
    summary = checklist_summary(table)
    if summary:
        info += f"  ({summary})"
    ws.cell(TITLE_ROW, 1, f"{TITLE} เรื่อง {table.subject}").font = bold
    ws.cell(INFO_ROW, 1, info).font = plain
    for number in (TITLE_ROW, INFO_ROW):
        ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=last)
        ws.cell(number, 1).alignment = Alignment(vertical="top", wrap_text=True)

    headers = {
        cols.code: CODE_HEADER,
        cols.name: NAME_HEADER,
        cols.sent: SENT_HEADER,
        cols.replied: REPLIED_HEADER,
        cols.status: STATUS_HEADER,
        cols.note: NOTE_HEADER,
    }
    if cols.number is not None:
        headers[cols.number] = NUMBER_HEADER
    for i, task in enumerate(table.tasks):
        headers[cols.tasks[i]] = f"{thai.item_number(i + 1)} {task}"
    for column, header in headers.items():
        cell = ws.cell(HEADER_ROW, column, header)
        cell.font, cell.border, cell.fill, cell.alignment = bold, box, head_fill, centre

    for r, row in enumerate(table.rows, FIRST_ROW):
        values: dict[int, tuple[str, bool]] = {
            cols.code: (row.code, False),
            cols.name: (row.name, False),
            cols.sent: (row.sent.text if row.sent.done else "", False),
            cols.replied: (row.replied.text if row.replied.done else "", row.replied.overdue),
            cols.status: (row.status, row.overdue),
            cols.note: (row.note, False),
        }
        if cols.number is not None:
            values[cols.number] = (row.number, False)
        for i, state in enumerate(row.tasks):
            values[cols.tasks[i]] = (DONE if state.done else NOT_DONE, state.overdue)
        for column, (value, late) in values.items():
            cell = ws.cell(r, column, value or None)
            cell.font = red if late else plain
            cell.border = box
            cell.alignment = top
            if late:
                cell.fill = late_fill
        for i, state in enumerate(row.tasks):
            if state.done:
                note = Comment(f"{DONE}เมื่อ {state.text}", "letters", width=220, height=40)
                ws.cell(r, cols.tasks[i]).comment = note
        ws.row_dimensions[r].height = _LINE_PT

    end = FIRST_ROW + len(table.rows) - 1
    if table.tasks and table.rows:
        options = ",".join(STATUSES)
        check = DataValidation(
            type="list",
            formula1=f'"{options}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="สถานะ (status)",
            error=f"เลือกจากรายการ: {options.replace(',', ' หรือ ')}",
        )
        ws.add_data_validation(check)
        for column in cols.tasks:
            letter_ = get_column_letter(column)
            check.add(f"{letter_}{FIRST_ROW}:{letter_}{end}")

    widths: dict[int, float] = {}
    for column in range(1, last + 1):
        texts = [str(ws.cell(r, column).value or "") for r in range(FIRST_ROW, end + 1)]
        header = str(ws.cell(HEADER_ROW, column).value or "")
        if column in cols.tasks:
            texts += list(STATUSES)
            # a task's header may wrap; its width stays near that of its values
            widths[column] = max(column_width(texts, fonts), min(column_width([header], fonts), 20))
        elif column == cols.note:
            widths[column] = 24.0
        else:
            widths[column] = column_width([*texts, header], fonts)
        ws.column_dimensions[get_column_letter(column)].width = widths[column]
    ws.row_dimensions[HEADER_ROW].height = _LINE_PT * max(
        _lines(str(ws.cell(HEADER_ROW, c).value or ""), widths[c], fonts) for c in widths
    )
    total = sum(widths.values())
    for row_number in (TITLE_ROW, INFO_ROW):
        text = str(ws.cell(row_number, 1).value)
        ws.row_dimensions[row_number].height = _LINE_PT * _lines(text, total, fonts)

    ws.freeze_panes = ws.cell(FIRST_ROW, cols.sent).coordinate  # rows 1-3, columns A-B
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return _save(wb)


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _SteadyZip(zipfile.ZipFile):
    """A zip whose entries carry a fixed time: equal workbooks give equal bytes."""

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str | Path,
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """openpyxl writes each sheet from a temporary file: keep its time out too."""
        name = arcname if arcname is not None else Path(filename).name
        self.writestr(name, Path(filename).read_bytes(), compress_type, compresslevel)


def _save(wb: Any) -> bytes:
    """The workbook's bytes, without the time of writing (openpyxl's ``save`` stamps it)."""
    from openpyxl.writer.excel import ExcelWriter

    out = io.BytesIO()
    archive = _SteadyZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    return out.getvalue()


# --- reading back -----------------------------------------------------------------------

_ITEM = re.compile(r"^\s*(\d+)\s*\.?\s*(.*)$", re.DOTALL)
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class _Cell:
    value: object
    note: str | None  # the cell's comment (the checklist writes a done task's date there)
    where: str = ""  # its reference, as Excel shows it: D5


def read_checklist(path: Path, tasks: Sequence[str], *, today: dt.date) -> list[Reported]:
    """What the filled-in checklist at ``path`` says each recipient did of ``tasks`` and when
    it replied, one report per row with a code (layout in the module's description).

    ``InputError`` naming the file: not found, not a workbook, no header row, no task column,
    or task cells holding words that are not the list's (each named by its cell; nothing is
    read until they are fixed).
    """
    headers, rows = _sheet(path)
    columns = _task_columns(headers, tasks, path)
    replied_column = headers.index(REPLIED_HEADER) if REPLIED_HEADER in headers else None
    note_column = headers.index(NOTE_HEADER) if NOTE_HEADER in headers else None
    reports = []
    problems = []
    for code, cells in rows:
        done = {}
        for column, task_index in columns.items():
            cell = _at(cells, column)
            on = _done_on(cell, today)
            if on is not None:
                done[task_index] = on
            elif cell is not None and _cell_text(cell.value) and not _is_open(cell):
                problems.append(
                    Problem(
                        str(path),
                        0,
                        0,
                        f"{cell.where} ({headers[column]})",
                        f"'{_cell_text(cell.value)}' ไม่ใช่คำในรายการ (not one of the list's "
                        f"words): เลือก {DONE} หรือ {NOT_DONE} หรือพิมพ์วันที่ เช่น 20/12/2561",
                    )
                )
        replied = _at(cells, replied_column) if replied_column is not None else None
        noted = _at(cells, note_column) if note_column is not None else None
        note = _cell_text(noted.value).strip() if noted is not None else None
        reports.append(Reported(code, done, _date_of(replied.value) if replied else None, note))
    if problems:
        raise InputError(problems)
    return reports


def _is_open(cell: _Cell) -> bool:
    """A task cell that says the task is not done yet (the list's other word)."""
    return NOT_DONE in _cell_text(cell.value)


def _sheet(path: Path) -> tuple[list[str], list[tuple[str, list[_Cell]]]]:
    """The header row (the first with ``รหัส`` in a cell) and the rows with a code below it."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():  # what openpyxl says of Excel's extensions
            warnings.simplefilter("ignore")
            book = load_workbook(path, data_only=True)
    except FileNotFoundError:
        raise _error(path, "ไม่พบไฟล์ (no such file)") from None
    except Exception as exc:
        raise _error(
            path,
            f"อ่านไฟล์ Excel ไม่ได้ (not a readable XLSX: {type(exc).__name__}): "
            "บันทึกเป็น .xlsx จาก Excel แล้วนำเข้าใหม่",
        ) from None
    try:
        names = book.sheetnames
        sheet = book[SHEET] if SHEET in names else book.worksheets[0]
        grid = [
            [_Cell(c.value, getattr(c.comment, "text", None), c.coordinate) for c in row]
            for row in sheet.iter_rows()
        ]
    finally:
        book.close()
    for index, row in enumerate(grid):
        texts = [_cell_text(c.value) for c in row]
        if CODE_HEADER in texts:
            column = texts.index(CODE_HEADER)
            rows = []
            for cells in grid[index + 1 :]:
                code = _cell_text(cells[column].value) if column < len(cells) else ""
                if code:
                    rows.append((thai.arabic_digits(code), cells))
            return texts, rows
    raise _error(
        path,
        f"ไม่พบแถวหัวตารางที่มีคอลัมน์ '{CODE_HEADER}' (no header row with the code column): "
        "ใช้แบบติดตามผล (checklist.xlsx) ที่ letters build สร้าง แล้วนำเข้าใหม่",
    )


def _error(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), 0, 0, "", message)])


def _cell_text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _at(cells: list[_Cell], column: int) -> _Cell | None:
    return cells[column] if column < len(cells) else None


def _task_columns(headers: list[str], tasks: Sequence[str], path: Path) -> dict[int, int]:
    """Column -> 1-based task: a header ``<n>. ...`` or ``<n>``, or the task's own text."""
    texts = {" ".join(thai.arabic_digits(t).split()): i for i, t in enumerate(tasks, 1)}
    columns: dict[int, int] = {}
    for column, header in enumerate(headers):
        label = thai.arabic_digits(header)
        item = _ITEM.match(label)
        if label in texts:
            columns[column] = texts[label]
        elif item and 1 <= int(item.group(1)) <= len(tasks):
            columns[column] = int(item.group(1))
    if not columns:
        raise _error(
            path,
            "ไม่พบคอลัมน์ของงานที่ติดตาม (no task columns): หัวคอลัมน์ต้องขึ้นต้นด้วยเลขงาน "
            "(๑. ๒. ...) หรือเป็นข้อความงานตาม follow_up.tasks ของหนังสือนี้",
        )
    return columns


def _done_on(cell: _Cell | None, today: dt.date) -> dt.date | None:
    """A task cell: a date, or ``ดำเนินการแล้ว`` (on the date its note gives, else today)."""
    if cell is None:
        return None
    day = _date_of(cell.value)
    if day is not None:
        return day
    if DONE not in _cell_text(cell.value):
        return None
    return _date_of(cell.note) or today


def _date_of(value: object) -> dt.date | None:
    """A date cell, or a date in text: ``2018-12-20``, ``20/12/2561``, ``๒๐/๑๒/๒๕๖๑``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = thai.arabic_digits(value).strip()
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(text)
    found = _DAY.search(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        with contextlib.suppress(ValueError):
            return dt.date(gregorian_year(year), month, day)
    return None
