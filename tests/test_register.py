"""The outgoing register: numbers, rows of form ๑๔, dispatch, tracking, exports; real SQLite."""

from __future__ import annotations

import csv
import datetime as dt
import io
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE, ROOT
from pdfgeometry import lines, squash

from letters import register as reg
from letters import thai
from letters.directive import Letter, load_letter
from letters.errors import InputError, RegisterError
from letters.fonts import letter_fonts
from letters.register import EMAIL, Register

CODES = ["4301", "4302", "4305", "4307", "4308", "4314", "4315", "4316", "4317"]
LINE = "ที่ นค ๐๐๑๙.๔/"

DIRECTIVE = """\
kind: {kind}
number: {number}
date: {date}
subject: {subject}
to:
  group: amphoe
  address: {address}
{only}
enclosures:
  - title: โปสเตอร์
    quantity: 1 ชุด
    file: pr/line-at-poster.pdf
body:
  - ย่อหน้าแรก
closing: จึงเรียนมาเพื่อทราบ
signer: provincial-cd-officer
owner: cd-informatics
follow_up:
  due: {due}
  tasks:
    - งานหนึ่ง
    - งานสอง
    - งานสาม
"""


def reference() -> Letter:
    return load_letter(EXAMPLE / "directive.yaml", CONFIG)


def write(
    workdir: Path,
    name: str,
    *,
    kind: str = "circular",
    number: str = "auto",
    date: str = "2018-12-11",
    subject: str = "ทดสอบระบบ",
    address: str = "collective",
    only: list[str] | None = None,
    due: str = "2018-12-25",
) -> Path:
    """A directive file beside the example's PR files (``workdir`` is an office folder)."""
    path = workdir / "line-at" / f"{name}.yaml"
    text = DIRECTIVE.format(
        kind=kind,
        number=number,
        date=date,
        subject=subject,
        address=address,
        only=f"  only: [{', '.join(only)}]" if only else "",
        due=due,
    )
    path.write_text(text, encoding="utf-8")
    return path


def letter(workdir: Path, name: str, **fields: object) -> Letter:
    return load_letter(write(workdir, name, **fields))  # type: ignore[arg-type]


@pytest.fixture
def book(workdir: Path) -> Iterator[Register]:
    """An empty register in the office folder, as ``letters build`` would open it."""
    with Register(workdir / "register.sqlite3") as opened:
        yield opened


# -- numbers -----------------------------------------------------------------------------------


def test_reference_directive_numbered_twice_keeps_its_number(book: Register) -> None:
    first = book.allocate(reference())
    again = book.allocate(reference())
    assert first.numbers == {code: "๑" for code in CODES}
    assert set(first.lines.values()) == {f"{LINE}ว ๑"}
    assert first.new and not again.new and not again.changed
    assert again.numbers == first.numbers
    rows = book.rows()
    assert [r.serial for r in rows] == list(range(1, 10))  # one row per recipient, once
    assert [r.code for r in rows] == CODES
    assert rows[1].addressee == "นายอำเภอท่าบ่อ" and rows[1].sender == "ศาลากลางจังหวัดหนองคาย"
    assert book.numbers(reference()) == again


def test_next_directive_and_series(book: Register, workdir: Path) -> None:
    book.allocate(reference())
    second = book.allocate(letter(workdir, "second"))
    assert set(second.lines.values()) == {f"{LINE}ว ๒"}
    external = book.allocate(letter(workdir, "each", kind="external", address="each"))
    # The ordinary series is apart from the ว series: it starts at ๑.
    assert [external.numbers[c] for c in CODES] == [thai.thai_number(i) for i in range(1, 10)]
    assert external.lines["4302"] == f"{LINE}๒"
    third = book.allocate(letter(workdir, "third"))
    assert set(third.numbers.values()) == {"๓"}
    assert [r.serial for r in book.rows(2018)] == list(range(1, 37))


def test_each_year_has_its_own_series(book: Register, workdir: Path) -> None:
    book.allocate(reference())
    book.allocate(letter(workdir, "december", kind="external", address="each"))
    january = book.allocate(letter(workdir, "january", date="2019-01-05", due="2019-01-20"))
    external = book.allocate(
        letter(
            workdir,
            "jan-each",
            kind="external",
            address="each",
            date="2019-01-06",
            due="2019-01-20",
        )
    )
    assert set(january.numbers.values()) == {"๑"}
    assert external.numbers["4301"] == "๑"
    assert [r.serial for r in book.rows(2562)] == list(range(1, 19))  # Buddhist year works
    assert {r.date.year for r in book.rows(2019)} == {2019}
    assert len(book.rows()) == 36


def test_literal_numbers_take_nothing_from_the_series(book: Register, workdir: Path) -> None:
    given = book.allocate(letter(workdir, "given", number='"193"'))
    assert set(given.lines.values()) == {f"{LINE}ว ๑๙๓"}
    assert set(given.numbers.values()) == {"๑๙๓"}
    auto = book.allocate(letter(workdir, "auto"))
    assert set(auto.numbers.values()) == {"๑"}
    assert [r.serial for r in book.rows()] == list(range(1, 19))  # both are in the register


def test_recipients_added_later_get_their_numbers(book: Register, workdir: Path) -> None:
    path = write(workdir, "grow", kind="external", address="each", only=["'4301'", "'4302'"])
    book.allocate(load_letter(path))
    book.allocate(letter(workdir, "other", kind="external", address="each", only=["'4305'"]))
    path = write(workdir, "grow", kind="external", address="each")
    grown = book.allocate(load_letter(path))
    assert grown.new and grown.changed
    assert grown.numbers["4301"] == "๑" and grown.numbers["4302"] == "๒"
    assert [grown.numbers[c] for c in CODES[2:]] == [thai.thai_number(n) for n in range(4, 11)]


def test_edited_directive_keeps_numbers_until_renumbered(book: Register, workdir: Path) -> None:
    first = book.allocate(letter(workdir, "fix", subject="ทดสอบระบบ"))
    book.allocate(letter(workdir, "later"))
    book.record_action(first.directive_id, "4301", EMAIL, dt.datetime(2018, 12, 11, 9, 0))
    edited = book.allocate(letter(workdir, "fix", subject="ทดสอบระบบใหม่"))
    assert edited.numbers == first.numbers and edited.changed and not edited.new
    subjects = {r.code: r.subject for r in book.rows(directive_id=first.directive_id)}
    assert subjects["4301"] == "ทดสอบระบบ"  # already sent: the register keeps what went out
    assert subjects["4302"] == "ทดสอบระบบใหม่"

    renumbered = book.renumber(
        letter(workdir, "fix", subject="ทดสอบระบบใหม่"), dt.date(2018, 12, 12)
    )
    assert set(renumbered.numbers.values()) == {"๓"}  # the next number; ๑ is never reused
    rows = book.rows(directive_id=first.directive_id)
    old = [r for r in rows if r.cancelled]
    assert len(old) == 9 and all(r.number_line == f"{LINE}ว ๑" for r in old)
    assert all("ยกเลิกเมื่อ ๑๒/๑๒/๒๕๖๑ ออกเลขใหม่ ที่ นค ๐๐๑๙.๔/ว ๓" in r.note for r in old)
    assert book.sent(first.directive_id) == set()  # the corrected letter has not gone yet
    assert book.allocate(letter(workdir, "fix", subject="ทดสอบระบบใหม่")).numbers == (
        renumbered.numbers
    )


def test_directive_moved_to_another_year_asks_for_renumber(book: Register, workdir: Path) -> None:
    book.allocate(letter(workdir, "moved"))
    with pytest.raises(RegisterError) as info:
        book.allocate(letter(workdir, "moved", date="2019-01-02", due="2019-01-20"))
    assert "letters renumber" in str(info.value) and "๒๕๖๒" in str(info.value)
    moved = book.renumber(
        letter(workdir, "moved", date="2019-01-02", due="2019-01-20"), dt.date(2019, 1, 2)
    )
    assert set(moved.lines.values()) == {f"{LINE}ว ๑"}
    assert {r.year for r in book.rows() if not r.cancelled} == {2019}


_ALLOCATE = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from letters.directive import load_letter
    from letters.register import Register

    directive, register, go, stop_at = sys.argv[1:5]
    letter = load_letter(Path(directive))
    while not Path(go).exists():
        time.sleep(0.005)

    def hook(stage):
        if stage == stop_at:
            print(stage, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)  # hold the transaction: the others must wait for it

    with Register(Path(register), timeout=60) as book:
        numbering = book.allocate(letter, hook=hook)
    print(sorted(set(numbering.numbers.values()))[0], flush=True)
    """
)


def _start(directive: Path, register: Path, go: Path, stop_at: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _ALLOCATE, str(directive), str(register), str(go), stop_at],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_parallel_processes_get_distinct_consecutive_numbers(workdir: Path) -> None:
    register, go = workdir / "register.sqlite3", workdir / "go"
    directives = [write(workdir, f"parallel-{i}", subject=f"เรื่องที่ {i}") for i in range(8)]
    procs = [_start(d, register, go) for d in directives]  # each opens the new file itself
    go.touch()
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    numbers = sorted(int(thai.arabic_digits(out.strip())) for out, _ in results)
    assert numbers == list(range(1, 9))
    with Register(register) as book:
        rows = book.rows()
    assert [r.serial for r in rows] == list(range(1, 73))
    by_directive: dict[str, set[str]] = {}
    for row in rows:
        by_directive.setdefault(row.directive_id, set()).add(row.number_line)
    assert len(by_directive) == 8 and all(len(lines) == 1 for lines in by_directive.values())


@pytest.mark.parametrize("stage", ["numbered", "written"])
def test_build_killed_inside_the_transaction_leaves_no_trace(workdir: Path, stage: str) -> None:
    register, go = workdir / "register.sqlite3", workdir / "go"
    go.touch()
    with Register(register) as book:
        book.allocate(reference())
    killed = write(workdir, "killed", kind="external", address="each")
    proc = _start(killed, register, go, stop_at=stage)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err
    assert out.strip() == stage  # it died holding the numbers in its transaction
    with Register(register) as book:
        assert book.numbers(load_letter(killed)) is None
        assert len(book.rows()) == 9
        after = book.allocate(letter(workdir, "after", kind="external", address="each"))
        assert [after.numbers[c] for c in CODES] == [thai.thai_number(n) for n in range(1, 10)]
        again = book.allocate(load_letter(killed))
        assert again.numbers["4301"] == "๑๐" and again.numbers["4317"] == "๑๘"
        assert [r.serial for r in book.rows()] == list(range(1, 28))
    with sqlite3.connect(register) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = conn.execute(
            "SELECT COUNT(*) FROM number WHERE NOT EXISTS (SELECT 1 FROM entry e "
            "WHERE e.year = number.year AND e.series = number.series AND e.n = number.n)"
        ).fetchone()
        assert orphans == (0,)


# -- the file ---------------------------------------------------------------------------------


def test_file_is_wal_with_a_schema_version(workdir: Path) -> None:
    path = workdir / "register.sqlite3"
    Register(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (
            len(reg.MIGRATIONS),
        )


def test_older_register_is_migrated(workdir: Path) -> None:
    path = workdir / "register.sqlite3"
    with Register(path) as book:
        did = book.allocate(reference()).directive_id
        book.mark_done(did, "4301", 1, dt.date(2018, 12, 20))

    def add_channel(conn: sqlite3.Connection) -> None:  # the next migration, as a release adds
        conn.execute("ALTER TABLE action ADD COLUMN channel TEXT NOT NULL DEFAULT 'smtp'")

    newer = (*reg.MIGRATIONS, add_channel)
    with Register(path, migrations=newer) as book:
        assert book.version == len(reg.MIGRATIONS) + 1
        assert len(book.rows()) == 9 and book.overdue(did, dt.date(2018, 12, 26))["4301"] == [2, 3]
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(action)")]
    assert "channel" in columns
    # The file is now newer than this release knows: refused, never touched.
    with pytest.raises(RegisterError) as info:
        Register(path)
    assert str(path) in str(info.value) and "รุ่นใหม่กว่า" in str(info.value)


def test_empty_file_becomes_a_register(workdir: Path) -> None:
    path = workdir / "register.sqlite3"
    path.write_bytes(b"")
    with Register(path) as book:
        assert book.version == len(reg.MIGRATIONS)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not a database at all, but a text file " * 50, "ไม่ใช่ทะเบียนหนังสือส่ง"),
        (None, "ไม่ใช่ทะเบียนหนังสือส่งของ letters"),
    ],
)
def test_file_that_is_not_a_register(workdir: Path, content: bytes | None, words: str) -> None:
    path = workdir / "register.sqlite3"
    if content is None:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE people (name TEXT)")
        conn.close()
    else:
        path.write_bytes(content)
    with pytest.raises(RegisterError) as info:
        Register(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "--register" in str(info.value)


def test_register_locked_too_long(workdir: Path) -> None:
    path = workdir / "register.sqlite3"
    Register(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Register(path, timeout=0.2) as book, pytest.raises(RegisterError) as info:
            book.allocate(reference())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(path) in str(info.value) and "locked" in str(info.value)


def test_missing_register_for_reading(workdir: Path) -> None:
    with pytest.raises(RegisterError) as info:
        Register(workdir / "register.sqlite3", create=False)
    assert "letters build" in str(info.value)


# -- dispatch and tracking ----------------------------------------------------------------------


def test_actions_and_last_build(book: Register, workdir: Path) -> None:
    did = book.allocate(reference()).directive_id
    at = dt.datetime(2018, 12, 11, 10, 30)
    book.record_action(did, "4301", EMAIL, at, "<r1.4301@nongkhai.example>")
    book.record_action(did, "4302", EMAIL, at, ok=False, detail="550 ไม่มีผู้รับนี้")
    book.record_action(did, "4302", EMAIL, at + dt.timedelta(hours=1), "<r2.4302@nongkhai.example>")
    book.record_action(did, "4305", reg.PRINT, at)
    assert book.sent(did) == {"4301", "4302", "4305"}
    assert book.sent(did, EMAIL) == {"4301", "4302"}
    rows = {r.code: r for r in book.rows()}
    assert rows["4301"].action == (
        "ส่งทางไปรษณีย์อิเล็กทรอนิกส์ ๑๑/๑๒/๒๕๖๑ ๑๐:๓๐\u00a0น. <r1.4301@nongkhai.example>"
    )
    assert rows["4302"].action.splitlines()[0].startswith("ส่งทางไปรษณีย์อิเล็กทรอนิกส์ไม่สำเร็จ")
    assert "๕๕๐ ไม่มีผู้รับนี้" in rows["4302"].action
    with pytest.raises(RegisterError):
        book.record_action(did, "9999", EMAIL, at)
    assert book.last_build(did) is None
    book.set_last_build(did, workdir / "out" / "line-at")
    book.set_last_build(did, workdir / "out" / "line-at-2")
    assert book.last_build(did) == (workdir / "out" / "line-at-2").resolve()


def test_status_and_overdue(book: Register) -> None:
    """Seven districts did everything; one did a task, one nothing."""
    original = reference()
    did = book.allocate(original).directive_id
    follow = original.directive.follow_up
    assert follow is not None and follow.due == dt.date(2018, 12, 25)
    book.record_action(did, "4301", EMAIL, dt.datetime(2018, 12, 11, 10, 30), "<a@b.example>")
    for code in CODES[:7]:
        for task in (1, 2, 3):
            book.mark_done(did, code, task, dt.date(2018, 12, 20))
    book.mark_done(did, "4316", 2, dt.date(2018, 12, 21), "ส่งทางไลน์")

    before = book.status(did, follow.tasks, follow.due, dt.date(2018, 12, 25))
    after = book.status(did, follow.tasks, follow.due, dt.date(2018, 12, 26))
    assert [s.code for s in after] == CODES
    assert after[0].sent_on == dt.date(2018, 12, 11) and after[1].sent_on is None
    assert [t.state for t in before[7].tasks] == ["open", "done", "open"]
    assert [t.state for t in after[7].tasks] == ["overdue", "done", "overdue"]
    assert after[7].tasks[1].note == "ส่งทางไลน์"
    assert after[7].tasks[1].done_on == dt.date(2018, 12, 21)
    assert all(t.state == "done" for s in after[:7] for t in s.tasks)
    assert book.overdue(did, dt.date(2018, 12, 25)) == {}  # not yet past the due date
    assert book.overdue(did, dt.date(2018, 12, 26)) == {"4316": [1, 3], "4317": [1, 2, 3]}
    with pytest.raises(RegisterError) as info:
        book.mark_done(did, "9999", 1, dt.date(2018, 12, 20))
    assert "4301" in str(info.value)
    with pytest.raises(RegisterError):
        book.mark_done(did, "4301", 4, dt.date(2018, 12, 20))


def test_follow_up_letter_has_its_own_number(book: Register, workdir: Path) -> None:
    did = book.allocate(reference()).directive_id
    fid = book.follow_up_id(did)
    assert fid == f"{did}/remind/1"
    chase = letter(
        workdir,
        "chase",
        kind="external",
        address="each",
        only=["'4316'", "'4317'"],
        date="2018-12-27",
        due="2019-01-10",
    )
    numbering = book.allocate(chase, directive_id=fid, parent=did)
    assert numbering.lines == {"4316": f"{LINE}๑", "4317": f"{LINE}๒"}
    assert book.allocate(chase, directive_id=fid, parent=did).numbers == numbering.numbers
    assert book.follow_ups(did) == [fid]
    assert book.follow_up_id(did) == f"{did}/remind/2"
    note = book.entry(fid, "4316")
    assert note is not None and note.note == f"ติดตามหนังสือ{LINE}ว ๑ ลงวันที่ ๑๑/๑๒/๒๕๖๑"
    assert book.overdue(fid, dt.date(2019, 1, 11)) == {"4316": [1, 2, 3], "4317": [1, 2, 3]}


def test_checklist_round_trip(book: Register, workdir: Path) -> None:
    """The checklist ``letters build`` writes, filled in by the clerk in Excel, read back."""
    from openpyxl import load_workbook

    from letters.checklist import DONE, Columns, checklist_xlsx

    original = reference()
    did = book.allocate(original).directive_id
    follow = original.directive.follow_up
    assert follow is not None
    book.record_action(did, "4301", EMAIL, dt.datetime(2018, 12, 11, 10, 30), "<a@b.example>")
    book.mark_done(did, "4301", 1, dt.date(2018, 12, 20))
    path = workdir / "checklist.xlsx"
    progress = book.progress(did, dt.date(2018, 12, 21))
    assert progress["4301"].sent_on == dt.date(2018, 12, 11)
    assert progress["4301"].done == {0: dt.date(2018, 12, 20)}  # the checklist counts from 0
    path.write_bytes(checklist_xlsx(original, progress, dt.date(2018, 12, 21)))

    workbook = load_workbook(path)
    sheet = workbook["ติดตามผล"]
    columns = Columns.for_tasks(len(follow.tasks))
    rows = {thai.arabic_digits(str(sheet.cell(r, 1).value)): r for r in range(4, 13)}
    sheet.cell(rows["4301"], columns.tasks[1]).value = DONE  # chosen from the dropdown
    sheet.cell(rows["4302"], columns.tasks[2]).value = dt.datetime(2018, 12, 22)
    sheet.cell(rows["4302"], columns.replied).value = "๒๓/๑๒/๒๕๖๑"
    workbook.save(path)

    result = book.import_checklist(did, path, today=dt.date(2018, 12, 24))
    assert result.marked == 3 and result.replied == 1 and result.unknown == ()
    assert len(result.codes) == 9
    status = {s.code: s for s in book.status(did, follow.tasks, follow.due, dt.date(2018, 12, 26))}
    # Task 1 keeps the date its note gives; task 2, chosen without a date, is done today.
    assert [t.done_on for t in status["4301"].tasks] == [
        dt.date(2018, 12, 20),
        dt.date(2018, 12, 24),
        None,
    ]
    assert [t.state for t in status["4302"].tasks] == ["overdue", "overdue", "done"]
    assert status["4302"].replied_on == dt.date(2018, 12, 23)
    assert book.overdue(did, dt.date(2018, 12, 26))["4301"] == [3]


def test_checklist_typed_by_hand_and_broken_files(book: Register, workdir: Path) -> None:
    from openpyxl import Workbook

    original = reference()
    did = book.allocate(original).directive_id
    follow = original.directive.follow_up
    assert follow is not None
    path = workdir / "typed.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["รายงานผล"])
    sheet.append(["รหัส", "ผู้รับ", *follow.tasks])  # headers: the tasks' own words
    sheet.append(["4301", "เมืองหนองคาย", "ดำเนินการแล้ว", "2018-12-20", "ยังไม่ได้ทำ"])
    sheet.append(["9999", "ไม่มี", "ดำเนินการแล้ว", None, None])
    workbook.save(path)
    result = book.import_checklist(did, path, today=dt.date(2018, 12, 23))
    assert result.marked == 2 and result.unknown == ("9999",)
    status = book.status(did, follow.tasks, follow.due, dt.date(2018, 12, 23))
    assert [t.state for t in status[0].tasks] == ["done", "done", "open"]
    book.mark_open(did, "4301", 2)  # a mark made by mistake is taken back
    status = book.status(did, follow.tasks, follow.due, dt.date(2018, 12, 23))
    assert [t.state for t in status[0].tasks] == ["done", "open", "open"]

    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError) as info:
        book.import_checklist(did, path, today=dt.date(2018, 12, 24))
    assert str(path) in str(info.value)
    workbook = Workbook()
    workbook.save(path)
    with pytest.raises(InputError) as info:
        book.import_checklist(did, path, today=dt.date(2018, 12, 24))
    assert "รหัส" in str(info.value)


# -- listing and exports --------------------------------------------------------------------------


@pytest.fixture
def filled(book: Register, workdir: Path) -> Register:
    """27 rows over two letters, one with an e-mail outcome and a Message-ID."""
    did = book.allocate(reference()).directive_id
    book.allocate(letter(workdir, "each", kind="external", address="each"))
    book.allocate(letter(workdir, "third", subject="การประชุมประจำเดือน ครั้งที่ 12/2561"))
    book.record_action(did, "4301", EMAIL, dt.datetime(2018, 12, 11, 10, 30), "<r1.4301@x.example>")
    return book


def test_csv_export_reads_back(filled: Register) -> None:
    data = reg.export_csv(filled.rows())
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Thai
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == list(reg.COLUMNS)
    assert len(table) == 1 + 27
    assert table[1][:3] == ["๑", f"{LINE}ว ๑", "๑๑/๑๒/๒๕๖๑"]
    assert table[10][1] == f"{LINE}๑" and table[18][1] == f"{LINE}๙"
    assert table[1][6].endswith("<r1.4301@x.example>")


def test_xlsx_export_has_a_row_per_letter_and_recipient(filled: Register) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(reg.export_xlsx(filled.rows(), "ศาลากลางจังหวัดหนองคาย"))).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1] == list(reg.COLUMNS)
    body = values[2:]
    assert len(body) == 27
    assert [row[0] for row in body] == [thai.thai_number(n) for n in range(1, 28)]
    assert body[5][4] == "นายอำเภอสระใคร"
    assert sheet["B3"].font.name == reg.XLSX_FONT
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$2:$2"  # the header row printed on every page


def test_pdf_export_is_form_14_landscape_with_thai_digits(filled: Register, tmp_path: Path) -> None:
    import pdfplumber

    rows = filled.rows(2561)
    path = tmp_path / "register.pdf"
    districts = [m.name for m in reference().group.members]
    path.write_bytes(
        reg.export_pdf(rows, "ศาลากลางจังหวัดหนองคาย", letter_fonts(), keep_whole=districts)
    )
    with pdfplumber.open(path) as pdf:
        pages = [(float(p.width), float(p.height), p.chars) for p in pdf.pages]
    assert len(pages) > 1
    for width, height, _ in pages:
        assert (width, height) == pytest.approx((841.89, 595.28), abs=0.5)  # A4 landscape
    texts = [squash("".join(c["text"] for c in chars)) for _, _, chars in pages]
    for text in texts:  # the header row repeats on every page
        for column in reg.COLUMNS:
            assert squash(column) in text
    everything = "".join(texts)
    assert squash("ทะเบียนหนังสือส่ง") in everything and squash("พ.ศ.๒๕๖๑") in everything
    assert everything.count(squash(f"{LINE}ว๑")) == 9
    assert squash(f"{LINE}๙") in everything and squash("ครั้งที่๑๒/๒๕๖๑") in everything
    # Every digit is Thai; the Message-ID is the only text kept as written.
    assert not any(ch.isascii() and ch.isdigit() for ch in everything.replace("r1.4301", ""))
    assert "r1.4301" in everything
    # A district's name is never split between two lines of its cell.
    shown = [squash(line.text) for page in lines(path) for line in page]
    for name in districts:
        assert sum(squash(name) in text for text in shown) == 3, name  # its three letters


def test_terminal_table_is_aligned(filled: Register) -> None:
    text = reg.format_table(filled.rows())
    lines = text.splitlines()
    assert len(lines) == 2 + 27
    starts = {reg.display_width(line[: line.index("ที่")]) for line in lines if "ที่" in line}
    assert len(starts) == 1  # the ที่ column starts at one place on every line
    assert "นายอำเภอโพธิ์ตาก" in text and "๑๑/๑๒/๒๕๖๑" in text
