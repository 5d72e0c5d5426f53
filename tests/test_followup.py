"""Tracking and follow-up as a clerk runs them: track, status, remind, register, renumber."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import Prebuilt, Result, Runner
from pdfgeometry import lines, squash
from smtpserver import Certificate, Mailbox, certificate, smtp_server

from letters import thai
from letters.reports import display_width

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


TASKS = {
    1: "ตอบแบบสำรวจการเข้าร่วมเป็นสมาชิกไลน์แอด",
    2: "สร้างการรับรู้ให้ประชาชนผ่านการประชุม",
    3: "แจ้งชื่อเจ้าหน้าที่ผู้รับผิดชอบ",
}


def _text(pdf: Path, page: int | None = None) -> str:
    """The squashed text of ``pdf`` (of one page when ``page`` is given)."""
    found = lines(pdf)
    shown = found if page is None else [found[page]]
    return squash("".join(ln.text for lines_of_page in shown for ln in lines_of_page))


def _report(folder: Path, code: str, *tasks: int) -> None:
    """What a district reported done (on 20 December 2561), as ``letters track`` records it."""
    from letters.register import Register

    with Register(folder / "register.sqlite3", create=False) as register:
        for task in tasks:
            register.mark_done(DIRECTIVE, code, task, dt.date(2018, 12, 20))


def _follow_up_sets(folder: Path) -> list[str]:
    from letters.register import Register

    with Register(folder / "register.sqlite3", create=False) as register:
        return register.follow_ups(DIRECTIVE)


def test_remind_writes_follow_ups_for_exactly_the_late_districts(
    built: Path, letters: Runner
) -> None:
    for code in DONE:
        for task in ("1", "2", "3"):
            _track(letters, built, "--recipient", code, "--task", task, "--on", "2018-12-20")
    _track(letters, built, "--recipient", "4316", "--task", "2", "--on", "2018-12-21")

    early = letters("remind", DIRECTIVE, "--on", "2018-12-24", "--format", "pdf", cwd=built)
    assert early.code == 0 and "nobody is late" in early.out  # not yet past the due date

    result = letters(
        "remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", "--yes", cwd=built
    )
    assert result.code == 0, result.text
    folder = built / "out" / "line-at-remind-1"
    pdfs = sorted(p.name for p in (folder / "letters").glob("*.pdf"))
    assert pdfs == ["4316-รัตนวาปี.pdf", "4317-โพธิ์ตาก.pdf"]
    assert f"letters send {DIRECTIVE} --remind 1 --yes" in result.out

    expected_open = {"4316-รัตนวาปี.pdf": {1, 3}, "4317-โพธิ์ตาก.pdf": {1, 2, 3}}
    numbers = set()
    for name, open_tasks in expected_open.items():
        text = _text(folder / "letters" / name)
        assert squash("อ้างถึง หนังสือศาลากลางจังหวัดหนองคาย ที่ นค ๐๐๑๙.๔/ว ๑") in text
        assert squash("ลงวันที่ ๑๑ ธันวาคม ๒๕๖๑") in text
        for index, task in TASKS.items():
            assert (squash(task) in text) == (index in open_tasks), (name, index)
        # The reply form, the bundle's last page, asks only for the tasks still open.
        form = _text(folder / "bundles" / name, -1)
        assert squash("แบบรายงานผลการดำเนินการ") in form
        for index, task in TASKS.items():
            assert (squash(task) in form) == (index in open_tasks), (name, index)
        first_page = lines(folder / "letters" / name)[0]
        # The letter followed up was ปกติ: so is its follow-up (no speed stamp).
        assert not any(squash(ln.text).startswith(squash("ด่วน")) for ln in first_page)
        first = next(ln for ln in first_page if ln.text.startswith("ที่"))
        numbers.add(first.text.replace(" ", ""))
    assert numbers == {"ที่นค๐๐๑๙.๔/๑", "ที่นค๐๐๑๙.๔/๒"}  # own numbers, the ordinary series

    register = letters("register", cwd=built)
    assert register.code == 0
    assert register.out.count("นายอำเภอรัตนวาปี") == 2  # the original and its follow-up

    # The same late districts again: no second set; the clerk is told where the first is.
    again = letters(
        "remind", DIRECTIVE, "--on", "2018-12-28", "--format", "pdf", "--yes", cwd=built
    )
    assert again.code == 0, again.text
    assert "already reminded" in again.out and str(folder) in again.out
    assert "--again" in again.out
    assert not (built / "out" / "line-at-remind-2").exists()
    assert _follow_up_sets(built) == [f"{DIRECTIVE}/remind/1"]
    assert letters("register", cwd=built).out.count("นายอำเภอรัตนวาปี") == 2

    # --again: a second set on purpose, with numbers of its own.
    on_purpose = letters(
        "remind", DIRECTIVE, "--on", "2018-12-28", "--format", "pdf", "--again", "--yes", cwd=built
    )
    assert on_purpose.code == 0, on_purpose.text
    second = built / "out" / "line-at-remind-2" / "letters"
    assert sorted(p.name for p in second.glob("*.pdf")) == sorted(expected_open)
    assert squash("ที่ นค ๐๐๑๙.๔/๓") in _text(second / "4316-รัตนวาปี.pdf", 0)


def test_remind_without_yes_lists_the_late_and_writes_drafts_numbering_nothing(
    built: Path, letters: Runner
) -> None:
    from pdfgeometry import big_text

    for code in DONE:
        _report(built, code, 1, 2, 3)
    _report(built, "4316", 2)
    register = (built / "register.sqlite3").read_bytes()

    result = letters("remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", cwd=built)
    assert result.code == 0, result.text
    shown = result.out.splitlines()
    at = {line.split()[0]: i for i, line in enumerate(shown) if line.startswith("  43")}
    assert sorted(at) == ["4316", "4317"]  # the late districts, each with what is open
    listed = {
        code: [squash(line) for line in shown[i + 1 : i + 4] if line.startswith("      ")]
        for code, i in at.items()
    }
    open_tasks = {"4316": [1, 3], "4317": [1, 2, 3]}
    for code, tasks in open_tasks.items():
        assert len(listed[code]) == len(tasks)
        for line, task in zip(listed[code], tasks, strict=True):
            assert line.startswith(squash(f"งานที่ {thai.thai_number(task)}"))
            assert squash(TASKS[task]) in line
    assert f"remind {DIRECTIVE} --on 2018-12-27 --format pdf --yes" in result.out

    drafts = built / "out" / "line-at-remind-1-draft"
    for name in ("4316-รัตนวาปี.pdf", "4317-โพธิ์ตาก.pdf"):
        assert big_text(drafts / "letters" / name, 0) == "ร่าง"
    page = lines(drafts / "letters" / "4316-รัตนวาปี.pdf")[0]
    blank = next(ln for ln in page if ln.text.startswith("ที่"))
    assert blank.text.replace(" ", "") == "ที่นค๐๐๑๙.๔/"  # no number taken
    assert not (built / "out" / "line-at-remind-1").exists()
    assert (built / "register.sqlite3").read_bytes() == register  # nothing numbered
    assert _follow_up_sets(built) == []


def test_status_shows_done_open_and_overdue(built: Path, letters: Runner) -> None:
    _track(letters, built, "--recipient", "๔๓๐๑", "--task", "1", "--on", "2018-12-20")
    before_due = letters("status", DIRECTIVE, "--on", "2018-12-21", cwd=built)
    assert before_due.code == 0, before_due.text
    shown = before_due.out.splitlines()
    row = next(ln for ln in shown if ln.startswith("4301"))
    assert row.split()[-3:] == ["ทำแล้ว", "ยังไม่ทำ", "ยังไม่ทำ"]
    header = next(i for i, ln in enumerate(shown) if ln.startswith("รหัส"))
    assert shown[header].split() == [
        "รหัส",
        "อำเภอ",
        "ส่งเมื่อ",
        "ตอบเมื่อ",
        "งาน",
        "1",
        "งาน",
        "2",
        "งาน",
        "3",
    ]
    assert set(shown[header + 1]) == {"-", " "}  # a rule under the header
    # งาน 1 and the first district's answer to it start at one column of the terminal
    # (Thai marks above and below a letter take none).
    column = display_width(shown[header][: shown[header].index("งาน 1")])
    assert display_width(row[: row.index("ทำแล้ว")]) == column
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


@pytest.mark.parametrize("command", ["track", "status", "remind"])
def test_a_letter_not_numbered_says_to_build_it(
    workdir: Path, letters: Runner, command: str
) -> None:
    """The register exists (another letter, or a draft, was built) but this letter has no
    number in it: each follow-up command says to build it, not as a draft."""
    from letters.register import Register

    Register(workdir / "register.sqlite3").close()
    args = ("--recipient", "4301", "--task", "1") if command == "track" else ()
    result = letters(command, DIRECTIVE, *args, cwd=workdir)
    assert result.code == 1
    assert "not in the register" in result.err and "letters build (ไม่ใช่ --draft)" in result.err
    assert "Traceback" not in result.text
    with Register(workdir / "register.sqlite3") as register:
        assert register.rows() == []  # nothing recorded


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


# -- follow-up letters go out like the letters they follow -----------------------------------


def test_a_follow_up_keeps_the_speed_of_the_letter_it_follows(
    tmp_path: Path, letters: Runner
) -> None:
    """A ด่วนที่สุด letter is followed up ด่วนที่สุด: on the letter and on its envelope."""
    from conftest import make_office

    make_office(tmp_path, emblem=False, directive_edits={"speed: ปกติ": "speed: ด่วนที่สุด"})
    assert letters("build", DIRECTIVE, "--format", "pdf", cwd=tmp_path).code == 0
    for code in [*DONE, "4316"]:
        _report(tmp_path, code, 1, 2, 3)
    result = letters(
        "remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", "--yes", cwd=tmp_path
    )
    assert result.code == 0, result.text
    letter = tmp_path / "out" / "line-at-remind-1" / "letters" / "4317-โพธิ์ตาก.pdf"
    assert [squash(ln.text) for ln in lines(letter)[0] if "ด่วน" in ln.text] == [squash("ด่วนที่สุด")]
    printed = letters("print", DIRECTIVE, "--remind", "1", "--file-only", cwd=tmp_path)
    assert printed.code == 0, printed.text
    envelopes = tmp_path / "out" / "line-at-remind-1" / "print" / "envelopes.pdf"
    (envelope,) = lines(envelopes)  # one late district: one envelope
    assert squash("ด่วนที่สุด") in [squash(ln.text) for ln in envelope]


def test_follow_ups_made_by_worker_processes_keep_their_own_words(built: Path) -> None:
    """A province with many late districts renders its follow-ups in worker processes: each
    letter and reply form still lists its own district's open tasks (not the whole letter's
    body and tasks)."""
    from letters.directive import load_letter
    from letters.followup import write_follow_ups
    from letters.register import Register

    open_tasks = {"4316": {1, 3}, "4317": {2}, "4301": {1}, "4302": {3}}
    for code in [*DONE, "4316", "4317"]:
        _report(built, code, *({1, 2, 3} - open_tasks.get(code, set())))
    letter = load_letter(built / DIRECTIVE)
    with Register(built / "register.sqlite3", create=False) as register:
        result = write_follow_ups(
            register,
            letter,
            DIRECTIVE,
            on=dt.date(2018, 12, 27),
            yes=True,
            out=built / "out" / "workers",
            formats=("pdf",),
            workers=2,
        )
    assert result.built is not None
    assert [b.code for b in result.built.letters] == ["4301", "4302", "4316", "4317"]
    for entry in result.built.letters:
        text = _text(result.built.folder / entry.files["pdf"])
        form = _text(result.built.folder / entry.files["bundle"], -1)
        assert squash("บัดนี้ ยังไม่ได้รับรายงานผล") in text, entry.code
        for index, task in TASKS.items():
            wanted = index in open_tasks[entry.code]
            assert (squash(task) in text) == wanted, (entry.code, index)
            assert (squash(task) in form) == wanted, (entry.code, index)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return certificate(tmp_path_factory.mktemp("cert"))


def test_send_remind_sends_the_follow_up_set_like_any_letter(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner, cert: Certificate
) -> None:
    """``remind --yes`` then ``send --remind 1``: each late district gets its follow-up once,
    recorded in the register under the follow-up's number, with its Message-ID; the rules
    of the letter itself hold (a re-run sends nothing, ``--resend`` sends on purpose)."""
    from letters.config import load_config
    from letters.register import Register

    office = prebuilt(
        tmp_path, "--format", "pdf", config_edits={"per_minute: 30": "per_minute: 6000"}
    )
    for code in DONE:
        _report(office, code, 1, 2, 3)
    made = letters(
        "remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", "--yes", cwd=office
    )
    assert made.code == 0, made.text
    members = load_config(office / "config.yaml").model.recipients["amphoe"].members
    address = {m.code: m.email or "" for m in members}
    env = {
        "LETTERS_SMTP_USER": "clerk",
        "LETTERS_SMTP_PASSWORD": "Otter-5521-pw",
        "SSL_CERT_FILE": str(cert.cert),
    }
    mailbox = Mailbox()
    with smtp_server(mailbox, starttls=cert, auth=("clerk", "Otter-5521-pw")) as port:
        config = office / "config.yaml"
        config.write_text(
            config.read_text(encoding="utf-8").replace("port: 587", f"port: {port}"), "utf-8"
        )

        def send(*args: str) -> Result:
            return letters("send", DIRECTIVE, "--remind", "1", *args, cwd=office, env=env)

        dry = send()
        assert dry.code == 0, dry.text
        assert mailbox.received == []
        assert dry.out.splitlines()[-1].endswith(f"letters send {DIRECTIVE} --remind 1 --yes")
        sent = send("--yes")
        assert sent.code == 0, sent.text
        assert {code: len(mailbox.to(a)) for code, a in address.items()} == {
            code: 1 if code in ("4316", "4317") else 0 for code in address
        }
        bundles = office / "out" / "line-at-remind-1" / "bundles"
        for received in mailbox.received:
            message = received.message
            (attachment,) = list(message.iter_attachments())
            code = next(c for c, a in address.items() if a in received.rcpt_tos)
            (bundle,) = bundles.glob(f"{code}-*.pdf")
            assert attachment.get_content() == bundle.read_bytes()
            assert "ติดตามผลการดำเนินการ" in str(message["Subject"])
        again = send("--yes")
        assert again.code == 0 and "(already sent) 2" in again.out, again.text
        resent = send("--yes", "--resend", "4317")
        assert resent.code == 0, resent.text
        assert len(mailbox.to(address["4317"])) == 2 and len(mailbox.received) == 3

    with Register(office / "register.sqlite3", create=False) as register:
        rows = register.rows(directive_id=f"{DIRECTIVE}/remind/1")
        original = register.rows(directive_id=DIRECTIVE)
    ids = {str(r.message["Message-ID"]).strip("<>") for r in mailbox.received}
    assert [r.code for r in rows] == ["4316", "4317"]
    for row in rows:
        assert "ส่งทางไปรษณีย์อิเล็กทรอนิกส์" in row.action
        assert any(message_id in row.action for message_id in ids)
    subjects = {str(r.message["Subject"]) for r in mailbox.to(address["4316"])}
    assert any(thai.thai_digits(rows[0].number_line) in s for s in subjects)
    assert not any(row.action for row in original)  # the letter itself was not sent


def test_send_or_print_remind_of_a_set_that_is_not_there(built: Path, letters: Runner) -> None:
    result = letters("send", DIRECTIVE, "--remind", "1", cwd=built)
    assert result.code == 1 and "Traceback" not in result.text
    assert "no follow-up set 1" in result.err and f"letters remind {DIRECTIVE} --yes" in result.err
    for code in DONE:
        _report(built, code, 1, 2, 3)
    made = letters("remind", DIRECTIVE, "--on", "2018-12-27", "--format", "pdf", "--yes", cwd=built)
    assert made.code == 0, made.text
    printed = letters("print", DIRECTIVE, "--remind", "2", "--file-only", cwd=built)
    assert printed.code == 1 and "no follow-up set 2" in printed.err and "มีชุดที่ 1" in printed.err
    # The follow-up's folder named without --remind: the clerk is told to add it.
    folder = built / "out" / "line-at-remind-1"
    named = letters("send", DIRECTIVE, "--out", str(folder), cwd=built)
    assert named.code == 1 and "--remind 1" in named.err
    zero = letters("send", DIRECTIVE, "--remind", "0", cwd=built)
    assert zero.code == 2 and "--remind" in zero.err


def test_remind_refuses_a_folder_of_other_files_before_numbering(
    built: Path, letters: Runner
) -> None:
    """``remind --yes --out`` holds to the rule of build, before the follow-up is numbered."""
    from conftest import changed_files, tree

    for code in DONE:
        _report(built, code, 1, 2, 3)
    (built / "mine").mkdir()
    (built / "mine" / "notes.txt").write_text("ของเจ้าหน้าที่\n", encoding="utf-8")
    before = tree(built)
    args = ("--on", "2018-12-27", "--out", "mine", "--yes")
    result = letters("remind", DIRECTIVE, *args, cwd=built)
    assert result.code == 1, result.text
    assert "not a build's output" in result.err and "Traceback" not in result.text
    assert changed_files(before, tree(built)) == []  # the register too: nothing numbered
