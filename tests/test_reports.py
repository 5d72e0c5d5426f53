"""The register for people: form ๑๔ exported (CSV, XLSX, PDF) and the terminal's tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pdfgeometry import lines, squash
from test_register import CODES, LINE, letter, reference

from letters import thai
from letters.fonts import letter_fonts
from letters.register import COLUMNS, EMAIL, Register
from letters.reports import (
    display_width,
    export_csv,
    export_pdf,
    export_xlsx,
    register_table,
)
from letters.workbook import XLSX_FONT


@pytest.fixture
def book(workdir: Path) -> Iterator[Register]:
    with Register(workdir / "register.sqlite3") as opened:
        yield opened


@pytest.fixture
def filled(book: Register, workdir: Path) -> Register:
    """27 rows over two letters, one with an e-mail outcome and a Message-ID."""
    directive_id = book.allocate(reference()).directive_id
    book.allocate(letter(workdir, "each", kind="external", address="each"))
    book.allocate(letter(workdir, "third", subject="การประชุมประจำเดือน ครั้งที่ 12/2561"))
    book.record_action(
        directive_id, "4301", EMAIL, dt.datetime(2018, 12, 11, 10, 30), "<r1.4301@x.example>"
    )
    return book


def test_csv_export_reads_back(filled: Register) -> None:
    data = export_csv(filled.rows())
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Thai
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == [*COLUMNS, "ประวัติการปฏิบัติ", "ลายมือชื่อดิจิทัล (signer certificate SHA-256)"]
    assert len(table) == 1 + 27
    assert table[1][:3] == ["๑", f"{LINE}ว ๑", "๑๑/๑๒/๒๕๖๑"]
    assert table[10][1] == f"{LINE}๑" and table[18][1] == f"{LINE}๙"
    assert table[1][6].endswith("<r1.4301@x.example>")


def test_xlsx_export_has_a_row_per_letter_and_recipient(filled: Register) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export_xlsx(filled.rows(), "ศาลากลางจังหวัดหนองคาย"))).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1] == list(COLUMNS)
    body = values[2:]
    assert len(body) == 27
    assert [row[0] for row in body] == [thai.thai_number(n) for n in range(1, 28)]
    assert body[5][4] == "นายอำเภอสระใคร"
    assert sheet["B3"].font.name == XLSX_FONT
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$2:$2"  # the header row printed on every page


def test_pdf_export_is_form_14_landscape_with_thai_digits(filled: Register, tmp_path: Path) -> None:
    import pdfplumber

    rows = filled.rows(2561)
    path = tmp_path / "register.pdf"
    districts = [m.name for m in reference().group.members]
    path.write_bytes(export_pdf(rows, "ศาลากลางจังหวัดหนองคาย", letter_fonts(), keep_whole=districts))
    with pdfplumber.open(path) as pdf:
        pages = [(float(p.width), float(p.height), p.chars) for p in pdf.pages]
    assert len(pages) > 1
    for width, height, _ in pages:
        assert (width, height) == pytest.approx((841.89, 595.28), abs=0.5)  # A4 landscape
    texts = [squash("".join(c["text"] for c in chars)) for _, _, chars in pages]
    for text in texts:  # the header row repeats on every page
        for column in COLUMNS:
            assert squash(column) in text
    everything = "".join(texts)
    assert squash("ทะเบียนหนังสือส่ง") in everything and squash("พ.ศ.๒๕๖๑") in everything
    assert everything.count(squash(f"{LINE}ว๑")) == 9
    assert squash(f"{LINE}๙") in everything and squash("ครั้งที่๑๒/๒๕๖๑") in everything
    # Every digit is Thai; the Message-ID is in the CSV and the XLSX, not on paper.
    assert not any(ch.isascii() and ch.isdigit() for ch in everything)
    assert squash("ส่งทางไปรษณีย์อิเล็กทรอนิกส์๑๑/๑๒/๒๕๖๑") in everything
    assert "r1.4301" not in everything
    # A district's name is never split between two lines of its cell.
    shown = [squash(line.text) for page in lines(path) for line in page]
    for name in districts:
        assert sum(squash(name) in text for text in shown) == 3, name  # its three letters


def _columns(line: str) -> list[str]:
    """What a terminal shows at each column of ``line``: Thai marks above and below join the
    letter they stand on."""
    shown: list[str] = []
    for ch in line:
        width = display_width(ch)
        if width == 0 and shown:
            shown[-1] += ch
        else:
            shown += [ch] + [""] * (width - 1)
    return shown


def test_terminal_table_is_aligned(filled: Register) -> None:
    text = register_table(filled.rows())
    lines = text.splitlines()
    assert len(lines) == 2 + 27  # the header, its rule, one line per letter and recipient
    assert lines[0].split() == [
        "เลขทะเบียนส่ง",
        "ที่",
        "ลงวันที่",
        "จาก",
        "ถึง",
        "เรื่อง",
        "การปฏิบัติ",
        "หมายเหตุ",
    ]
    rule = lines[1]
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == len(COLUMNS)
    for line in [lines[0], *lines[2:]]:
        shown = _columns(line)
        for start in starts[1:]:
            if start < len(shown):  # an empty last cell leaves the line short
                assert shown[start - 2 : start] == [" ", " "], line
                assert shown[start] != " ", line  # each cell starts where its column does
    assert "นายอำเภอโพธิ์ตาก" in text and "๑๑/๑๒/๒๕๖๑" in text
    # A text longer than its column is cut with an ellipsis: the e-mail outcome and its ID.
    assert any(line.rstrip().endswith("…") for line in lines[2:])


def _retried(book: Register, workdir: Path) -> list[str]:
    """13 letters, each sent by e-mail after a failure: what the clerk's office had."""
    each = letter(workdir, "each", kind="external", address="each")
    directive_id = book.allocate(each).directive_id
    book.allocate(letter(workdir, "four", kind="external", address="each", only=CODES[:4]))
    at = dt.datetime(2026, 3, 2, 9, 0)
    ids = []
    for i, member in enumerate(each.recipients):
        book.record_action(
            directive_id,
            member.code,
            EMAIL,
            at + dt.timedelta(minutes=i),
            ok=False,
            detail="ส่งไม่ได้ชั่วคราว (temporary failure) หลังลอง 4 ครั้ง: การเชื่อมต่อหลุด "
            "(connection dropped); รันคำสั่งเดิมอีกครั้งภายหลัง",
        )
        ids.append(f"<177240{i}.4711.{i}@cd.nongkhai.example>")
        book.record_action(
            directive_id, member.code, EMAIL, at + dt.timedelta(hours=1, minutes=i), ids[-1]
        )
    return ids


def test_failed_then_sent_shows_as_sent_with_its_history_in_the_csv(
    book: Register, workdir: Path
) -> None:
    ids = _retried(book, workdir)
    rows = book.rows()
    table = list(csv.reader(io.StringIO(export_csv(rows).decode("utf-8-sig"))))
    action, history = COLUMNS.index("การปฏิบัติ"), len(COLUMNS)
    for line, message_id in zip(table[1:10], ids, strict=True):
        assert line[action].startswith("ส่งทางไปรษณีย์อิเล็กทรอนิกส์ ๒/๓/๒๕๖๙")
        assert "ไม่สำเร็จ" not in line[action] and line[action].endswith(message_id)
        first, then = line[history].splitlines()
        assert first.startswith("ส่งทางไปรษณีย์อิเล็กทรอนิกส์ไม่สำเร็จ ๒/๓/๒๕๖๙")
        assert "รันคำสั่งเดิมอีกครั้งภายหลัง" in first and then == line[action]
    assert table[10][action] == table[10][history] == ""  # not sent yet
    shown = register_table(rows)
    assert "ไม่สำเร็จ" not in shown


def test_pdf_export_holds_many_rows_a_page(book: Register, workdir: Path) -> None:
    """13 letters sent after a failure: two pages, the first with the title and rows under
    it (the register once took a page a row, with the title alone on page 1)."""
    import pdfplumber

    _retried(book, workdir)
    data = export_pdf(book.rows(), "ศาลากลางจังหวัดหนองคาย", letter_fonts())
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        texts = [squash(page.extract_text()) for page in pdf.pages]
    assert len(texts) <= 2
    first = texts[0]
    assert squash("ทะเบียนหนังสือส่ง") in first and squash("พ.ศ.๒๕๖๑") in first
    assert sum(squash(f"{LINE}{thai.thai_number(n)}") in first for n in range(1, 10)) == 9
    assert "ไม่สำเร็จ" not in "".join(texts)


def test_year_in_the_buddhist_era_or_not(book: Register, workdir: Path, letters: Any) -> None:
    book.allocate(letter(workdir, "old", kind="external", address="each", only=CODES[:2]))
    book.allocate(
        letter(
            workdir,
            "new",
            kind="external",
            address="each",
            date="2026-03-02",
            due="2026-03-20",
            only=CODES[:3],
        )
    )
    book.close()
    shown = {}
    for year in ("2569", "2026", "๒๕๖๙", "พ.ศ. 2569"):
        result = letters("register", "--year", year, cwd=workdir)
        assert result.code == 0, result.text
        shown[year] = result.out
    assert len(set(shown.values())) == 1
    assert shown["2569"].count("๒/๓/๒๕๖๙") == 3 and "๒๕๖๑" not in shown["2569"]
    empty = letters("register", "--year", "2570", cwd=workdir)
    assert empty.code == 0 and "ยังไม่มีหนังสือในทะเบียน" in empty.out and "พ.ศ. ๒๕๗๐" in empty.out
    written = letters("register", "export", "--format", "csv", "--year", "2026", cwd=workdir)
    assert written.code == 0, written.text
    saved = workdir / "ทะเบียนหนังสือส่ง-2569.csv"
    assert saved.is_file() and len(saved.read_text(encoding="utf-8-sig").splitlines()) == 4
    wrong = letters("register", "--year", "69", cwd=workdir)
    assert wrong.code == 2 and "ไม่ใช่ปี (not a year)" in wrong.err
