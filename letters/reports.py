"""The register for people: form ๑๔ as CSV, XLSX and PDF, and the tables of the terminal.

``export_csv``, ``export_xlsx`` and ``export_pdf`` write what ``letters register export``
saves; ``register_table`` and ``status_table`` are what ``letters register`` and ``letters
status`` print, laid out by ``tabulate`` with the widths ``wcwidth`` gives (Thai marks above
and below a letter take no column).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from letters import thai
from letters.register import COLUMNS, RegisterRow, gregorian_year, year_text

if TYPE_CHECKING:
    from letters.fonts import FontSet
    from letters.tracking import RecipientStatus


# -- export ----------------------------------------------------------------------------------


HISTORY = "ประวัติการปฏิบัติ"  # the CSV's last column: every attempt, oldest first


SIGNATURE = "ลายมือชื่อดิจิทัล (signer certificate SHA-256)"


def export_csv(rows: Sequence[RegisterRow]) -> bytes:
    """The register as CSV, UTF-8 with a byte-order mark so that Excel reads the Thai: form
    ๑๔'s columns (การปฏิบัติ the latest state of each copy), then each copy's history and the
    fingerprint of the certificate it was signed with (empty: not signed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow((*COLUMNS, HISTORY, SIGNATURE))
    for row in rows:
        writer.writerow((*row.cells(), row.history, row.signature))
    return buffer.getvalue().encode("utf-8-sig")


_XLSX_WIDTHS = (12, 26, 12, 24, 26, 48, 34, 26)  # characters


def export_xlsx(rows: Sequence[RegisterRow], office: str | None = None) -> bytes:
    """The register as an Excel workbook: one row per letter and recipient, ready to print."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    from letters.workbook import XLSX_FONT

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "ทะเบียนหนังสือส่ง"
    title = "ทะเบียนหนังสือส่ง" + (f" {office}" if office else "")
    sheet.append([title])
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row.cells()))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet["A1"].font = Font(name=XLSX_FONT, size=18, bold=True)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            header = cell.row == 2
            cell.font = Font(name=XLSX_FONT, size=16, bold=header)
            cell.border = border
            cell.alignment = Alignment(
                wrap_text=True, vertical="top", horizontal="center" if header else None
            )
    for index, width in enumerate(_XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_NAMED = (3, 4, 5)  # จาก, ถึง, เรื่อง: the cells where directory names stand


def export_pdf(
    rows: Sequence[RegisterRow],
    office: str,
    fonts: FontSet,
    *,
    year: int | None = None,
    keep_whole: Sequence[str] = (),
) -> bytes:
    """The register on A4 landscape in the layout of form ๑๔, header row on every page.

    ``keep_whole``: names never split across lines in a cell (the districts' names).
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters.fonts import FAMILY
    from letters.render import DeclaredFiles, template_environment
    from letters.resources import resource_dir

    years = {r.year for r in rows}
    shown = gregorian_year(year) if year is not None else (years.pop() if len(years) == 1 else None)
    names = list(keep_whole)
    html = (
        template_environment()
        .get_template("register.html.j2")
        .render(
            columns=COLUMNS,
            rows=[
                [
                    thai.split_names(c, names)
                    if i in _NAMED
                    else thai.split_names(c, _WHEN.findall(c))
                    if i == _ACTION
                    else [(c, False)]
                    for i, c in enumerate(_printed(r))
                ]
                for r in rows
            ],
            cancelled=[r.cancelled for r in rows],
            office=thai.thai_digits(office),
            year=year_text(shown) if shown is not None else None,
            fonts=fonts.faces,
            family=FAMILY,
        )
    )
    fetcher = DeclaredFiles.of_fonts(fonts)  # the fonts, nothing else
    document = HTML(string=html, base_url=str(resource_dir("templates")), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(font_config=FontConfiguration())
    return pdf


_ACTION = COLUMNS.index("การปฏิบัติ")
_WHEN = re.compile(r"\S+\u00a0\S+\u00a0น\.")  # an action's date and time: one line


def _printed(row: RegisterRow) -> tuple[str, ...]:
    """The cells of form ๑๔ as printed: การปฏิบัติ without Message-IDs (the paper form has no
    room for them; the CSV and XLSX keep them)."""
    cells = list(row.cells())
    cells[_ACTION] = "\n".join(line.partition(" <")[0] for line in cells[_ACTION].splitlines())
    return tuple(cells)


def display_width(text: str) -> int:
    """Terminal columns of ``text``: Thai marks above and below take none."""
    from wcwidth import wcswidth

    return max(int(wcswidth(text)), 0)


def _clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` terminal columns with an ellipsis."""
    text = " ".join(text.split())
    if display_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned for the terminal; every cell is text (Thai digits stay as written)."""
    from tabulate import tabulate

    return tabulate(rows, headers=list(header), tablefmt="simple", disable_numparse=True)


_REGISTER_LIMITS = (6, 24, 10, 18, 20, 36, 30, 24)  # terminal columns of form ๑๔'s columns


def register_table(rows: Sequence[RegisterRow]) -> str:
    """The register for the terminal: form ๑๔'s columns, long texts clipped, Thai aligned."""
    cells = [
        [_clip(cell, limit) for cell, limit in zip(r.cells(), _REGISTER_LIMITS, strict=True)]
        for r in rows
    ]
    return _table(COLUMNS, cells)


_STATE = {"done": "ทำแล้ว", "open": "ยังไม่ทำ", "overdue": "เกินกำหนด"}


def status_table(
    found: Sequence[RecipientStatus],
    names: Mapping[str, str],
    *,
    subject: str,
    tasks: Sequence[str],
    due: dt.date | None,
    today: dt.date,
) -> str:
    """``letters status``: the subject, the tasks, recipients x tasks, and the totals.

    ``names``: recipient code -> the name shown (else the addressee of its register row).
    """
    lines = [
        f"เรื่อง (subject): {subject}",
        f"ครบกำหนด (due): {thai.thai_date(due) if due else '-'}  ณ วันที่ (as of): "
        f"{thai.thai_date(today)}",
    ]
    for i, text in enumerate(tasks, 1):
        lines.append(f"  งานที่ {thai.thai_number(i)}: {text}")
    header = ["รหัส", "อำเภอ", "ส่งเมื่อ", "ตอบเมื่อ", *[f"งาน {i}" for i in range(1, len(tasks) + 1)]]
    rows = []
    counts = {"done": 0, "open": 0, "overdue": 0}
    for r in found:
        cells = [
            r.code,
            names.get(r.code, r.addressee),
            thai.thai_date_short(r.sent_on) if r.sent_on else "-",
            thai.thai_date_short(r.replied_on) if r.replied_on else "-",
        ]
        for t in r.tasks:
            counts[t.state] += 1
            cells.append(_STATE[t.state])
        rows.append(cells)
    lines.append(_table(header, rows))
    lines.append(
        f"รวม (total): ทำแล้ว {counts['done']}, ยังไม่ทำ {counts['open']}, "
        f"เกินกำหนด {counts['overdue']}"
    )
    return "\n".join(lines)
