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

import pdfplumber
import pytest
from conftest import CONFIG, EXAMPLE, ROOT, rewrite_follow_up
from pdfgeometry import pixels, squash
from test_register import write

from letters import thai
from letters.checklist import OVERDUE, PIECE_ROWS, RecipientProgress, checklist_pdf
from letters.directive import Letter, load_letter
from letters.fonts import letter_fonts

TODAY = dt.date(2019, 1, 5)  # after the due date, 25 December 2018


@pytest.fixture(scope="module")
def letter() -> Letter:
    return load_letter(EXAMPLE / "directive.yaml", CONFIG)


def sample_progress(letter: Letter) -> dict[str, RecipientProgress]:
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
    pdf = checklist_pdf(letter, letter_fonts(), sample_progress(letter), TODAY)
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


def test_same_letter_same_bytes(letter: Letter) -> None:
    fonts = letter_fonts()
    assert checklist_pdf(letter, fonts) == checklist_pdf(letter, fonts)


def test_letter_without_follow_up(tmp_path: Path) -> None:
    folder = tmp_path / "line-at"
    shutil.copytree(EXAMPLE, folder)
    directive = folder / "directive.yaml"
    rewrite_follow_up(directive)
    letter = load_letter(directive, CONFIG)
    assert letter.directive.follow_up is None
    rows, _, _, text = _table(checklist_pdf(letter, letter_fonts()))
    assert [_flat(h) for h in rows[0]] == [
        squash(h) for h in ("รหัส", "ผู้รับ", "วันที่ส่ง", "วันที่ตอบ", "หมายเหตุ")
    ]
    assert len(rows) == 10 and "กำหนดส่ง" not in text


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


def test_checklist_copies_back_exactly(letter: Letter) -> None:
    """The checklist's text reads back as typeset with both engines of the common viewers
    (issue 17): the districts, the tasks, the due date; ำ intact, no space inside a word.
    Laid out whole and in pieces alike."""
    from pdftext import ENGINES, contains, lines

    follow = letter.directive.follow_up
    assert follow is not None
    wanted = [
        f"กำหนดส่งภายในวันที่ {thai.thai_date(follow.due)}",
        *(f"{thai.item_number(i)} {thai.thai_digits(t)}" for i, t in enumerate(follow.tasks, 1)),
        *(f"{thai.thai_digits(m.code)} {m.name}" for m in letter.recipients),
    ]
    fonts = letter_fonts(letter.config.folder)
    for pdf in (checklist_pdf(letter, fonts), checklist_pdf(letter, fonts, piece_rows=4)):
        for engine in ENGINES:
            found = lines(pdf, engine)
            assert [w for w in wanted if not contains(w, found)] == [], engine
            assert "อำเภอ" in " ".join(found) or "ดำเนินการ" in " ".join(found), engine


def test_built_checklists_carry_each_external_letters_own_number(
    workdir: Path, letters: Any
) -> None:
    """A build numbers an external letter's copies one by one: each district's number is in
    its row (PDF and XLSX), and the heading has no ที่ line without its number. A circular's
    heading carries its one number."""
    import openpyxl

    circular = write(workdir, "circular", only=["4301", "4302"])
    external = write(workdir, "external", kind="external", address="each", only=CODES3)
    for directive in (circular, external):
        built = letters("build", directive, "--format", "pdf", cwd=workdir)
        assert built.code == 0, built.text
    out = workdir / "out"

    rows, _, _, text = _table((out / "external" / "checklist.pdf").read_bytes())
    header, *body = rows
    assert [_flat(h) for h in header[:4]] == [squash(h) for h in ("รหัส", "ผู้รับ", "ที่", "วันที่ส่ง")]
    # ๑ and ๒ went to the circular (ว series is its own): the external letter takes ๑ to ๓.
    assert [(row[0], _flat(row[2])) for row in body] == [
        (thai.thai_digits(code), squash(f"นค ๐๐๑๙.๔/{thai.thai_number(n)}"))
        for n, code in enumerate(CODES3, 1)
    ]
    heading = _flat(text.split("รหัส")[0])
    assert squash("ที่นค") not in heading and squash("ลงวันที่ ๑๑ ธันวาคม ๒๕๖๑") in heading

    sheet = openpyxl.load_workbook(out / "external" / "checklist.xlsx").active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[2][:4] == ["รหัส", "ผู้รับ", "ที่", "วันที่ส่ง"]
    assert [r[2] for r in values[3:]] == [f"นค ๐๐๑๙.๔/{thai.thai_number(n)}" for n in (1, 2, 3)]
    assert "ที่ นค" not in str(values[1][0]) and str(values[1][0]).startswith("ลงวันที่")

    rows, _, _, text = _table((out / "circular" / "checklist.pdf").read_bytes())
    assert [_flat(h) for h in rows[0][:3]] == [squash(h) for h in ("รหัส", "ผู้รับ", "วันที่ส่ง")]
    assert squash("ที่ นค ๐๐๑๙.๔/ว ๑ ลงวันที่") in _flat(text)


CODES3 = ["4305", "4307", "4308"]
