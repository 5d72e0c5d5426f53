"""Tracking and follow-up as a clerk runs them: track, status, remind, register, renumber."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import Prebuilt, Runner
from pdfgeometry import lines, squash

from letters import thai

DIRECTIVE = "line-at/directive.yaml"
DONE = ["4301", "4302", "4305", "4307", "4308", "4314", "4315"]


@pytest.fixture
def built(tmp_path: Path, prebuilt: Prebuilt) -> Path:
    """The example office after ``letters build --format pdf``, numbered in its register (a
    copy of a build made once for the session)."""
    return prebuilt(tmp_path, "--format", "pdf")


def _track(letters: Runner, folder: Path, *args: str) -> None:
    result = letters("track", DIRECTIVE, *args, cwd=folder)
    assert result.code == 0, result.text


def test_remind_writes_follow_ups_for_exactly_the_late_districts(
    built: Path, letters: Runner
) -> None:
    for code in DONE:
        for task in ("1", "2", "3"):
            _track(letters, built, "--recipient", code, "--task", task, "--on", "2018-12-20")
    _track(letters, built, "--recipient", "4316", "--task", "2", "--on", "2018-12-21")

    early = letters("remind", DIRECTIVE, "--on", "2018-12-24", "--format", "pdf", cwd=built)
    assert early.code == 0 and "nobody is late" in early.out  # not yet past the due date

    result = letters("remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", cwd=built)
    assert result.code == 0, result.text
    folder = built / "out" / "line-at-remind-1"
    pdfs = sorted(p.name for p in (folder / "letters").glob("*.pdf"))
    assert pdfs == ["4316-รัตนวาปี.pdf", "4317-โพธิ์ตาก.pdf"]

    tasks = {
        1: "ตอบแบบสำรวจการเข้าร่วมเป็นสมาชิกไลน์แอด",
        2: "สร้างการรับรู้ให้ประชาชนผ่านการประชุม",
        3: "แจ้งชื่อเจ้าหน้าที่ผู้รับผิดชอบ",
    }
    expected_open = {"4316-รัตนวาปี.pdf": {1, 3}, "4317-โพธิ์ตาก.pdf": {1, 2, 3}}
    numbers = set()
    for name, open_tasks in expected_open.items():
        text = squash("".join(ln.text for page in lines(folder / "letters" / name) for ln in page))
        assert squash("อ้างถึง หนังสือศาลากลางจังหวัดหนองคาย ที่ นค ๐๐๑๙.๔/ว ๑") in text
        assert squash("ลงวันที่ ๑๑ ธันวาคม ๒๕๖๑") in text
        for index, task in tasks.items():
            assert (squash(task) in text) == (index in open_tasks), (name, index)
        first = next(ln for ln in lines(folder / "letters" / name)[0] if ln.text.startswith("ที่"))
        numbers.add(first.text.replace(" ", ""))
    assert numbers == {"ที่นค๐๐๑๙.๔/๑", "ที่นค๐๐๑๙.๔/๒"}  # own numbers, the ordinary series

    register = letters("register", cwd=built)
    assert register.code == 0
    assert register.out.count("นายอำเภอรัตนวาปี") == 2  # the original and its follow-up

    again = letters("remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", cwd=built)
    assert again.code == 0
    assert (built / "out" / "line-at-remind-2").is_dir()  # a second reminder is a new letter


def test_status_shows_done_open_and_overdue(built: Path, letters: Runner) -> None:
    _track(letters, built, "--recipient", "๔๓๐๑", "--task", "1", "--on", "2018-12-20")
    before_due = letters("status", DIRECTIVE, "--on", "2018-12-21", cwd=built)
    assert before_due.code == 0, before_due.text
    row = next(ln for ln in before_due.out.splitlines() if ln.startswith("4301"))
    assert row.split()[-3:] == ["ทำแล้ว", "ยังไม่ทำ", "ยังไม่ทำ"]
    after_due = letters("status", DIRECTIVE, "--on", "2018-12-26", cwd=built)
    row = next(ln for ln in after_due.out.splitlines() if ln.startswith("4301"))
    assert row.split()[-3:] == ["ทำแล้ว", "เกินกำหนด", "เกินกำหนด"]
    assert "เกินกำหนด 26" in after_due.out


def test_on_takes_dates_as_a_clerk_types_them(built: Path, letters: Runner) -> None:
    """``--on`` of track, status and remind reads what a directive's dates read: a พ.ศ.
    year, Thai digits, the Thai long form."""
    result = letters(
        "track",
        DIRECTIVE,
        "--recipient",
        "4301",
        "--task",
        "1",
        "--on",
        "๒๐ ธันวาคม ๒๕๖๑",
        cwd=built,
    )
    assert result.code == 0, result.text
    assert "เมื่อ ๒๐ ธันวาคม ๒๕๖๑" in result.out  # 2018-12-20, not the year 2561
    before_due = letters("status", DIRECTIVE, "--on", "2561-12-21", cwd=built)
    row = next(ln for ln in before_due.out.splitlines() if ln.startswith("4301"))
    assert row.split()[-3:] == ["ทำแล้ว", "ยังไม่ทำ", "ยังไม่ทำ"]
    after_due = letters("status", DIRECTIVE, "--on", "๒๕๖๑-๑๒-๒๖", cwd=built)
    row = next(ln for ln in after_due.out.splitlines() if ln.startswith("4301"))
    assert row.split()[-3:] == ["ทำแล้ว", "เกินกำหนด", "เกินกำหนด"]
    early = letters("remind", DIRECTIVE, "--on", "24 ธ.ค. 2561", "--format", "pdf", cwd=built)
    assert early.code == 0 and "nobody is late" in early.out, early.text


@pytest.mark.parametrize("command", ["track", "status", "remind"])
@pytest.mark.parametrize(
    ("typed", "message"), [("2562-02-29", "no such date"), ("พรุ่งนี้", "invalid date")]
)
def test_on_refuses_a_date_that_is_not_one(
    built: Path, letters: Runner, command: str, typed: str, message: str
) -> None:
    args = ("--recipient", "4301", "--task", "1") if command == "track" else ()
    result = letters(command, DIRECTIVE, *args, "--on", typed, cwd=built)
    assert result.code == 2, result.text  # bad usage: nothing read, nothing recorded
    assert "--on" in result.err and message in result.err
    assert "Traceback" not in result.text


def test_track_imports_the_filled_checklist(built: Path, letters: Runner) -> None:
    import openpyxl

    from letters.checklist import DONE as DONE_TEXT

    sheet_path = built / "out" / "line-at" / "checklist.xlsx"
    book = openpyxl.load_workbook(sheet_path)
    sheet = book.active
    assert sheet is not None
    filled = 0
    for row in sheet.iter_rows():
        code = thai.arabic_digits(str(row[0].value or ""))
        if code in ("4301", "4302"):
            for cell in row[3:6]:
                cell.value = DONE_TEXT
                filled += 1
    assert filled == 6
    book.save(built / "filled.xlsx")
    result = letters("track", DIRECTIVE, "--import", "filled.xlsx", cwd=built)
    assert result.code == 0, result.text
    assert "งานที่ทำแล้ว 6 รายการ" in result.out
    status = letters("status", DIRECTIVE, "--on", "2018-12-26", cwd=built)
    for code in ("4301", "4302"):
        row = next(ln for ln in status.out.splitlines() if ln.startswith(code))
        assert row.split()[-3:] == ["ทำแล้ว"] * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--recipient", "9999", "--task", "1"), "unknown recipient"),
        (("--recipient", "4301", "--task", "7"), "unknown task"),
        (("--task", "1"), "--recipient"),
        (("--import", "missing.xlsx"), "no such file"),
    ],
)
def test_track_mistakes_are_reported(
    built: Path, letters: Runner, args: tuple[str, ...], message: str
) -> None:
    result = letters("track", DIRECTIVE, *args, cwd=built)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.text


def test_track_before_build_says_to_build(workdir: Path, letters: Runner) -> None:
    result = letters("track", DIRECTIVE, "--recipient", "4301", "--task", "1", cwd=workdir)
    assert result.code == 1
    assert "letters build" in result.err


def test_register_exports(built: Path, letters: Runner) -> None:
    for fmt in ("csv", "xlsx", "pdf"):
        result = letters("register", "export", "--format", fmt, "--out", f"reg.{fmt}", cwd=built)
        assert result.code == 0, result.text
    rows = list(csv.reader(io.StringIO((built / "reg.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["เลขทะเบียนส่ง", "ที่", "ลงวันที่"]
    assert len(rows) == 1 + 9  # one row per letter sent to a district
    import openpyxl

    sheet = openpyxl.load_workbook(built / "reg.xlsx").active
    assert sheet is not None
    codes = [row for row in sheet.iter_rows(values_only=True) if row and "ว ๑" in str(row[1])]
    assert len(codes) == 9
    pdf_lines = [ln for page in lines(built / "reg.pdf") for ln in page]
    assert not any(thai.has_ascii_digit_outside_links(ln.text) for ln in pdf_lines)


def test_renumber_gives_a_new_number_and_cancels_the_old(built: Path, letters: Runner) -> None:
    result = letters("renumber", DIRECTIVE, cwd=built)
    assert result.code == 0, result.text
    assert "ว ๒" in result.out
    rebuilt = letters("build", DIRECTIVE, "--format", "pdf", cwd=built)
    assert rebuilt.code == 0
    page = lines(built / "out" / "line-at" / "letters" / "4301-เมืองหนองคาย.pdf")[0]
    assert any(ln.text.replace(" ", "") == "ที่นค๐๐๑๙.๔/ว๒" for ln in page)
    table = letters("register", cwd=built).out
    assert "ยกเลิก" in table  # the old rows stay, marked cancelled
