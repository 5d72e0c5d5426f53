"""The office's follow-up checklist: who was sent the letter, who did which task, who replied.

Two files with the same table, one row per recipient (in the directive's order):

``checklist.pdf``
    A4 landscape to print and tick by hand: a column for the date sent, one column per
    follow-up task, a column for the date replied and one for notes; the due date in the
    heading; every digit Thai.

``checklist.xlsx``
    The same table to keep on screen, one sheet named ``ติดตามผล``, laid out so that a
    filled-in sheet can be read back (``Columns.for_tasks`` gives the numbers):

    ======  ==========================================================================
    row 1   the title: แบบติดตามผลการดำเนินการ and the subject
    row 2   the letter's ที่, its date and the due date (and the day the data is from)
    row 3   the header (frozen with rows 1-2 and columns A-B)
    row 4-  one row per recipient
    ======  ==========================================================================

    ===========  =====================================================================
    column A     the recipient's code, in Thai digits (``thai.arabic_digits`` gives the
                 code of config.yaml): the key to find the row again
    column B     the recipient's name
    column C     the date sent, ``d/m/yyyy`` in the Buddhist era (``๑๑/๑๒/๒๕๖๑``)
    D ...        one column per task, in the directive's order: ``ยังไม่ดำเนินการ`` or
                 ``ดำเนินการแล้ว`` (a dropdown); a done task's date is in the cell's note
    next         the date replied, as column C
    next         ``สถานะ``: computed when the file is written (``เกินกำหนด``, ``ครบแล้ว``,
                 ``ยังไม่ส่ง``); an import ignores it
    last         ``หมายเหตุ``: free text
    ===========  =====================================================================

When the outgoing register knows what happened (``RecipientProgress``), both files show it:
sent dates, done tasks (a tick and the date), and what is overdue against ``today``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from letters import thai
from letters.content import Run, number_line, rich
from letters.directive import Letter
from letters.fonts import FAMILY, FontSet, letter_fonts
from letters.render import DeclaredFiles, compose_pages, join, template_environment
from letters.resources import resource_dir

TITLE = "แบบติดตามผลการดำเนินการ"
NOT_DONE = "ยังไม่ดำเนินการ"
DONE = "ดำเนินการแล้ว"
STATUSES = (NOT_DONE, DONE)
OVERDUE = "เกินกำหนด"
COMPLETE = "ครบแล้ว"
NOT_SENT = "ยังไม่ส่ง"
SHEET = "ติดตามผล"
XLSX_FONT = "TH Sarabun New"  # on every Thai government computer; Sarabun is the free twin
XLSX_FONT_PT = 16.0

TITLE_ROW = 1
INFO_ROW = 2
HEADER_ROW = 3
FIRST_ROW = 4


@dataclass(frozen=True)
class Columns:
    """1-based column numbers of the XLSX sheet for a letter with ``len(tasks)`` tasks."""

    code: int
    name: int
    sent: int
    tasks: tuple[int, ...]
    replied: int
    status: int
    note: int

    @classmethod
    def for_tasks(cls, count: int) -> Columns:
        first = 4
        after = first + count
        return cls(1, 2, 3, tuple(range(first, after)), after, after + 1, after + 2)


@dataclass(frozen=True)
class RecipientProgress:
    """What the register knows of one recipient."""

    sent_on: dt.date | None = None
    done: Mapping[int, dt.date] = field(default_factory=dict)  # task index (0-based) -> date
    replied_on: dt.date | None = None


@dataclass(frozen=True)
class _Cell:
    text: str = ""
    done: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    sent: _Cell
    tasks: tuple[_Cell, ...]
    replied: _Cell
    status: str
    overdue: bool


@dataclass(frozen=True)
class _Table:
    title: str
    subject: str
    number: str
    date: str
    due: str | None
    tasks: tuple[str, ...]
    rows: tuple[_Row, ...]
    as_of: str | None  # the day the progress is from; None when nothing is known
    counts: Mapping[str, int]


def _table(
    letter: Letter, progress: Mapping[str, RecipientProgress] | None, today: dt.date | None
) -> _Table:
    d = letter.directive
    follow = d.follow_up
    tasks = tuple(thai.thai_digits(t) for t in follow.tasks) if follow else ()
    known = progress is not None
    day = (today or dt.date.today()) if known else None
    late = bool(follow and day and day > follow.due)
    rows = []
    for member in letter.recipients:
        state = (progress or {}).get(member.code, RecipientProgress())
        sent = state.sent_on is not None
        cells = []
        for i in range(len(tasks)):
            when = state.done.get(i)
            if when is not None:
                cells.append(_Cell(thai.thai_date_short(when), done=True))
            else:
                cells.append(_Cell(OVERDUE if sent and late else "", overdue=sent and late))
        if state.replied_on is not None:
            replied = _Cell(thai.thai_date_short(state.replied_on), done=True)
        else:
            replied = _Cell(OVERDUE if sent and late else "", overdue=sent and late)
        if state.sent_on is not None:
            sent_cell = _Cell(thai.thai_date_short(state.sent_on), done=True)
        else:
            sent_cell = _Cell(NOT_SENT if known else "")
        overdue = replied.overdue or any(c.overdue for c in cells)
        complete = state.replied_on is not None and all(c.done for c in cells)
        status = OVERDUE if overdue else COMPLETE if complete else ""
        if known and not sent:
            status = NOT_SENT
        rows.append(
            _Row(
                thai.thai_digits(member.code),
                thai.thai_digits(member.name),
                sent_cell,
                tuple(cells),
                replied,
                status,
                overdue,
            )
        )
    number = None if d.auto_number else thai.thai_digits(d.number)
    counts = {
        "all": len(rows),
        "sent": sum(r.sent.done for r in rows),
        "replied": sum(r.replied.done for r in rows),
        "overdue": sum(r.overdue for r in rows),
    }
    return _Table(
        title=TITLE,
        subject=thai.thai_digits(d.subject),
        number=number_line(letter, number),
        date=thai.thai_date(d.date),
        due=thai.thai_date(follow.due) if follow else None,
        tasks=tasks,
        rows=tuple(rows),
        as_of=thai.thai_date(day) if day else None,
        counts=counts,
    )


def _summary(table: _Table) -> str | None:
    if table.as_of is None:
        return None
    n = {k: thai.thai_number(v) for k, v in table.counts.items()}
    return (
        f"ข้อมูล ณ วันที่ {table.as_of}: ส่งแล้ว {n['sent']} จาก {n['all']} ราย "
        f"ตอบแล้ว {n['replied']} ราย {OVERDUE} {n['overdue']} ราย"
    )


PIECE_ROWS = 100  # a longer checklist is laid out in pieces of about this many rows

# A piece prints nothing in the page margins (the page number: the joined pages get theirs at
# the end); a piece after the first is the table alone, as it continues on a page of its own.
_MARGIN_BOXES = (
    *(f"top-{p}" for p in ("left-corner", "left", "center", "right", "right-corner")),
    *(f"bottom-{p}" for p in ("left-corner", "left", "center", "right", "right-corner")),
    *(f"{side}-{p}" for side in ("left", "right") for p in ("top", "middle", "bottom")),
)
_NO_MARGINS = (
    "@page { " + " ".join(f"@{b} {{ content: none !important }}" for b in _MARGIN_BOXES) + " }"
)
_CONTINUED = (
    "h1, .heading { display: none !important } table.checklist { margin-top: 0 !important }"
)
_MARGINS_ONLY = "@page { background: none !important } html { background: none !important }"


def checklist_pdf(
    letter: Letter,
    fonts: FontSet,
    progress: Mapping[str, RecipientProgress] | None = None,
    today: dt.date | None = None,
    *,
    piece_rows: int = PIECE_ROWS,
) -> bytes:
    """The checklist as an A4 landscape PDF (see the module's description).

    A checklist of more than ``piece_rows`` rows is laid out in pieces of about that many
    rows, one after the other, so that the memory it takes does not grow with the number of
    recipients (a layout of the whole table holds about 0.15 MB a row). The pages are the
    same as those of one layout: each piece starts with the row that begins the page after
    the previous piece's last full page, every page has the header row, and the page numbers
    (``หน้า n / N``) are drawn over the joined pages once their number is known.
    """
    table = _table(letter, progress, today)
    pages = _Pages(letter, fonts, table)
    if len(table.rows) <= piece_rows:
        return pages.whole()
    return pages.in_pieces(piece_rows)


class _Pages:
    """Lays out the checklist's HTML, whole or a few rows at a time."""

    def __init__(self, letter: Letter, fonts: FontSet, table: _Table) -> None:
        from weasyprint.text.fonts import FontConfiguration

        names = letter.directory_names

        def text(value: str) -> tuple[Run, ...]:
            return rich(value, names)

        self.table = table
        self.created = letter.directive.date
        self.base = str(resource_dir("templates"))
        self.font_config = FontConfiguration()
        self.url_fetcher = DeclaredFiles.of_fonts(fonts)  # the fonts, nothing else
        self.template = template_environment().get_template("checklist.html.j2")
        self.context = {
            "subject": text(table.subject),
            "task_texts": [(thai.item_number(i), text(t)) for i, t in enumerate(table.tasks, 1)],
            "summary": _summary(table),
            "office": thai.thai_digits(letter.config.model.office.name),
            "L": letter.config.model.layout,
            "fonts": fonts.faces,
            "family": FAMILY,
            "author": letter.config.model.office.name,
            "created": self.created.isoformat(),
            "done_word": DONE,
        }

    def html(self, rows: Sequence[_Row]) -> str:
        t = replace(self.table, rows=tuple(rows))
        return str(self.template.render(t=t, **self.context))

    def _layout(self, html: str, css: str = "") -> Any:
        from weasyprint import CSS, HTML

        fetcher = self.url_fetcher
        sheets = [CSS(string=css, font_config=self.font_config, url_fetcher=fetcher)] if css else []
        document = HTML(string=html, base_url=self.base, url_fetcher=fetcher)
        return document.render(font_config=self.font_config, stylesheets=sheets)

    def whole(self) -> bytes:
        from letters.render import write_pdf

        return write_pdf(self._layout(self.html(self.table.rows)), self.created)

    def in_pieces(self, piece_rows: int) -> bytes:
        from letters.render import write_pdf

        rows = self.table.rows
        pieces: list[bytes] = []
        count = 0  # pages so far
        start = 0
        size = max(1, piece_rows)
        while start < len(rows):
            end = min(len(rows), start + size)
            css = _NO_MARGINS if start == 0 else _NO_MARGINS + _CONTINUED
            document = self._layout(self.html(rows[start:end]), css)
            kept = document.pages
            if end < len(rows):
                # The last page may have room for more rows: the next piece starts with it.
                first = _first_row(document.pages)
                if first is None:
                    size *= 2  # not even two pages: a bigger piece
                    continue
                kept = document.pages[:-1]
                end = start + first
            pieces.append(write_pdf(document.copy(kept), self.created))
            count += len(kept)
            start = end
            del document, kept
        return compose_pages(join(pieces), self._numbers(count))

    def _numbers(self, count: int) -> bytes:
        """``count`` pages that print nothing but what the checklist's pages print in their
        margins (the page number), as they print it."""
        from letters.render import write_pdf

        head, body, _ = self.html(()).partition("<body>")
        assert body, "checklist.html.j2 has a <body>"
        pages = "<div></div>" + '<div style="break-before: page"></div>' * (count - 1)
        document = self._layout(f"{head}{body}{pages}</body></html>", _MARGINS_ONLY)
        assert len(document.pages) == count
        return write_pdf(document, self.created)


def _first_row(pages: Sequence[Any]) -> int | None:
    """Of the table rows laid out on ``pages`` (the header rows left out), the number of
    those before the last page's first; None when the last page is the only one with rows."""
    order: dict[int, int] = {}  # id of a row's element -> its place in the piece
    firsts = []
    for page in pages:
        on_page = [row.element for row in _body_rows(page._page_box)]
        for element in on_page:
            order.setdefault(id(element), len(order))
        firsts.append(order[id(on_page[0])] if on_page else None)
    last = firsts[-1]
    return last if last else None


def _body_rows(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TableRowGroupBox):
        if not (box.is_header or box.is_footer):
            yield from (row for row in box.children if isinstance(row, boxes.TableRowBox))
        return
    for child in getattr(box, "children", ()):
        yield from _body_rows(child)


# --- XLSX -------------------------------------------------------------------------------

_PX_PER_PT = 96 / 72
_DIGIT_PX = 7  # width of "0" in the workbook's default font (Calibri 11) at 96 dpi
_MAX_WIDTH = 36.0  # columns wider than this wrap their text
_LINE_PT = 24.0  # one line of TH Sarabun New 16 pt in a spreadsheet row


@lru_cache(maxsize=4)
def _measure_font(path: Path) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), 100)


def text_width_pt(text: str, size_pt: float = XLSX_FONT_PT, fonts: FontSet | None = None) -> float:
    """The width ``text`` takes at ``size_pt`` in the letter's font (Sarabun sets Thai within
    1 % of TH Sarabun New); for the longest of several lines, the widest."""
    font = _measure_font((fonts or letter_fonts()).file().path)
    return max(float(font.getlength(line)) for line in text.split("\n")) * size_pt / 100


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

    table = _table(letter, progress, today)
    cols = Columns.for_tasks(len(table.tasks))
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

    info = f"{table.number} ลงวันที่ {table.date}"
    if table.due:
        info += f"  กำหนดส่งภายใน {table.due}"
    summary = _summary(table)
    if summary:
        info += f"  ({summary})"
    ws.cell(TITLE_ROW, 1, f"{TITLE} เรื่อง {table.subject}").font = bold
    ws.cell(INFO_ROW, 1, info).font = plain
    for number in (TITLE_ROW, INFO_ROW):
        ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=last)
        ws.cell(number, 1).alignment = Alignment(vertical="top", wrap_text=True)

    headers = {
        cols.code: "รหัส",
        cols.name: "ผู้รับ",
        cols.sent: "วันที่ส่ง",
        cols.replied: "วันที่ตอบ",
        cols.status: "สถานะ",
        cols.note: "หมายเหตุ",
    }
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
            cols.note: ("", False),
        }
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
