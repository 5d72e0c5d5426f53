"""``letters build`` as a clerk runs it: the folder it writes, and what a failure leaves.

The command runs in this process, except where the test is about processes: one killed
mid-build, eight building at once. A test that needs a previous build starts from a copy of
one made once for the session (``prebuilt``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from conftest import Prebuilt, Reference, Runner, changed_files, tree
from pdfgeometry import graphics_box, lines, squash

from letters.thai import thai_number


def _manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_build_example_from_the_readme(workdir: Path, letters: Runner) -> None:
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    folder = workdir / "out" / "line-at"
    pdfs = sorted((folder / "letters").glob("*.pdf"))
    assert len(pdfs) == 9
    assert "9 ฉบับ" in result.out and str(folder) in result.out
    # The project ships no Garuda: a marked placeholder and a warning, never a silent blank.
    assert "ไม่พบภาพตราครุฑ" in result.err
    first = lines(pdfs[0])[0]
    assert any(squash(ln.text).startswith(squash("ตราครุฑ")) for ln in first)
    x0, top, x1, bottom = graphics_box(pdfs[0], 0, above=150)
    assert (x0 + x1) / 2 == pytest.approx(311.8, abs=1.5)  # centred on the text block
    assert bottom - top == pytest.approx(85.04, abs=1.5)


def test_manifest_lists_files_with_their_hashes(workdir: Path, letters: Runner) -> None:
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    folder = workdir / "out" / "line-at"
    manifest = _manifest(folder)
    assert manifest["subject"].startswith("การปฏิบัติการสื่อสาร")  # type: ignore[attr-defined]
    assert manifest["date"] == "2018-12-11"
    recipients = manifest["recipients"]
    assert isinstance(recipients, list) and len(recipients) == 9
    listed = {"manifest.json"}
    for entry in recipients:
        assert entry["number"] == "ที่ นค ๐๐๑๙.๔/ว ๑"  # the first circular in a new register
        formats = {f["format"]: f for f in entry["files"]}
        assert set(formats) == {"pdf", "docx", "bundle"}
        stem = f"{entry['code']}-{entry['name']}"
        assert formats["pdf"]["path"] == f"letters/{stem}.pdf"
        assert formats["docx"]["path"] == f"letters/{stem}.docx"
        assert formats["bundle"]["path"] == f"bundles/{stem}.pdf"
        for file in entry["files"]:
            data = (folder / file["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == file["sha256"]
            listed.add(file["path"])
    for file in manifest["checklist"]:  # type: ignore[attr-defined]
        assert hashlib.sha256((folder / file["path"]).read_bytes()).hexdigest() == file["sha256"]
        listed.add(file["path"])
    assert listed == set(tree(folder))  # the manifest lists every file written
    assert "ชุดส่ง (bundles): 9 ชุด" in result.out
    assert "checklist.pdf, checklist.xlsx" in result.out


def test_rebuild_gives_identical_pdfs(
    workdir: Path, letters: Runner, letters_process: Runner
) -> None:
    """The second build in a process of its own: nothing this process keeps (a cache, the
    order of a set) can make the two alike."""
    assert letters("build", "line-at/directive.yaml", "--out", "a", cwd=workdir).code == 0
    assert letters_process("build", "line-at/directive.yaml", "--out", "b", cwd=workdir).code == 0
    assert changed_files(tree(workdir / "a"), tree(workdir / "b")) == []


def test_each_address_and_literal_number(workdir: Path, letters: Runner) -> None:
    directive = workdir / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8")
    text = text.replace("kind: circular ", "kind: external ").replace(
        "address: collective", "address: each"
    )
    text = text.replace("number: auto ", 'number: "193" ')
    directive.write_text(text, encoding="utf-8")
    result = letters(
        "build", "line-at/directive.yaml", "--only", "4302", "--only", "4317", cwd=workdir
    )
    assert result.code == 0, result.text
    folder = workdir / "out" / "line-at" / "letters"
    assert sorted(p.name for p in folder.glob("*.pdf")) == ["4302-ท่าบ่อ.pdf", "4317-โพธิ์ตาก.pdf"]
    page = lines(folder / "4302-ท่าบ่อ.pdf")[0]
    assert any(ln.text.replace(" ", "") == "ที่นค๐๐๑๙.๔/๑๙๓" for ln in page)  # as given
    assert any(squash(ln.text) == squash("เรียน นายอำเภอท่าบ่อ") for ln in page)


def test_only_keeps_the_other_letters_of_the_previous_build(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    folder = workdir / "out" / "line-at"
    before = tree(folder)
    directive = workdir / "line-at" / "directive.yaml"
    directive.write_text(
        directive.read_text(encoding="utf-8").replace(
            "จึงเรียนมาเพื่อพิจารณา", "จึงเรียนมาเพื่อทราบและพิจารณา"
        ),
        encoding="utf-8",
    )
    result = letters("build", "line-at/directive.yaml", "--only", "๔๓๐๕", cwd=workdir)
    assert result.code == 0, result.text
    after = tree(folder)
    assert set(after) == set(before)
    changed = {name for name in after if after[name] != before[name]}
    stem = "4305-โพนพิสัย"
    assert {f"letters/{stem}.pdf", f"letters/{stem}.docx", f"bundles/{stem}.pdf"} <= changed
    assert not any("4301" in name or "4317" in name for name in changed)
    assert len(_manifest(folder)["recipients"]) == 9  # type: ignore[arg-type]
    assert "แก้ไขหลังออกเลขแล้ว" in result.err  # same number kept, the clerk is told


def test_draft_goes_to_its_own_folder_and_takes_no_number(workdir: Path, letters: Runner) -> None:
    result = letters("build", "line-at/directive.yaml", "--draft", "--format", "pdf", cwd=workdir)
    assert result.code == 0, result.text
    assert (workdir / "out" / "line-at-draft" / "manifest.json").is_file()
    assert not (workdir / "out" / "line-at").exists()
    assert not (workdir / "register.sqlite3").exists()  # a draft allocates nothing
    manifest = _manifest(workdir / "out" / "line-at-draft")
    assert manifest["draft"] is True
    assert {e["number"] for e in manifest["recipients"]} == {"ที่ นค ๐๐๑๙.๔/ว"}  # type: ignore[attr-defined]


def test_failed_build_leaves_the_previous_output(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    before = tree(workdir)
    directive = workdir / "line-at" / "directive.yaml"
    directive.write_text(
        directive.read_text(encoding="utf-8").replace("signer: provincial", "signer: x"),
        encoding="utf-8",
    )
    before["line-at/directive.yaml"] = directive.read_bytes()
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    assert "line-at/directive.yaml:" in result.err and "signer:" in result.err
    assert "Traceback" not in result.text
    assert changed_files(before, tree(workdir)) == []


def test_build_failing_midway_leaves_the_previous_output(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk filling up at the 3rd letter: the old folder stays, no staging folder is left."""
    from letters import workers

    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    before = tree(workdir)
    original = workers.copy_for
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return original(*args, **kwargs)

    monkeypatch.setattr(workers, "copy_for", failing)
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert len(calls) == 3  # it failed where it was made to
    assert result.code == 1
    assert "Traceback" not in result.text
    assert changed_files(before, tree(workdir)) == []
    assert [p.name for p in (workdir / "out").iterdir()] == ["line-at"]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        # A format the tool does not make is bad usage of the command line (2), like any
        # other option click refuses; a code not in the config is a wrong input (1).
        (("--format", "odt"), "unknown format", 2),
        (("--format", ","), "unknown format", 2),
        (("--only", "9999"), "9999", 1),
    ],
)
def test_bad_options_write_nothing(
    workdir: Path, letters: Runner, args: tuple[str, ...], message: str, code: int
) -> None:
    before = tree(workdir)
    result = letters("build", "line-at/directive.yaml", *args, cwd=workdir)
    assert result.code == code
    assert message in result.err
    assert changed_files(before, tree(workdir)) == []


def test_reference_pair_builds_unchanged(
    tmp_path: Path, reference_office: Reference, letters: Runner
) -> None:
    """The office's config (with its Garuda in place) and the example, named from elsewhere."""
    result = letters(
        "build",
        reference_office.directive,
        "--config",
        reference_office.config,
        "--register",
        "register.sqlite3",
        cwd=tmp_path,
    )
    assert result.code == 0, result.text
    # The config names a Garuda that exists: no warning of it. The letter of 2018 is more than
    # a year from today: said, as `check` says it, and built all the same.
    warnings = result.err.strip().splitlines()
    assert len(warnings) == 1, result.err
    assert "more than a year" in warnings[0] and "date" in warnings[0]
    assert (tmp_path / "register.sqlite3").is_file()
    folder = tmp_path / "out" / "line-at"
    assert len(list((folder / "letters").glob("*.pdf"))) == 9
    pages = sum(entry["pages"] for entry in _manifest(folder)["recipients"])  # type: ignore[attr-defined]
    assert f"{pages} หน้า" in result.out


def test_build_killed_with_sigkill_then_rerun(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner, letters_process: Runner
) -> None:
    """SIGKILL after the 3rd letter is written: the previous output stays whole, and the next
    build cleans up what the killed one left."""
    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    folder = workdir / "out" / "line-at"
    before = tree(folder)
    hook = workdir / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, signal\n"
        "import letters.workers as b\n"
        "original = b.copy_for\n"
        "calls = []\n"
        "def dying(*args, **kwargs):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 4:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return original(*args, **kwargs)\n"
        "b.copy_for = dying\n",
        encoding="utf-8",
    )
    env = {"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])}
    result = letters_process("build", "line-at/directive.yaml", cwd=workdir, env=env)
    assert result.code == -signal.SIGKILL
    staged = list((workdir / "out").glob(".line-at.*.tmp/letters/*.pdf"))
    assert len(staged) == 3  # it died mid-way, with three letters written
    assert changed_files(before, tree(folder)) == []
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    assert [p.name for p in (workdir / "out").iterdir()] == ["line-at"]  # nothing stale left


def test_eight_parallel_builds_take_eight_consecutive_numbers(workdir: Path) -> None:
    """Eight different directives built at the same time, each by its own process."""
    import subprocess
    import sys

    source = (workdir / "line-at" / "directive.yaml").read_text(encoding="utf-8")
    for n in range(8):
        folder = workdir / f"d{n}"
        folder.mkdir()
        shutil.copytree(workdir / "line-at" / "pr", folder / "pr")  # a link out is refused
        (folder / "directive.yaml").write_text(
            source.replace("subject: ", f"subject: ฉบับที่ {n} "), encoding="utf-8"
        )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "letters",
                "build",
                f"d{n}/directive.yaml",
                "--format",
                "pdf",
                "--only",
                "4301",
            ],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
    numbers = sorted(
        _manifest(workdir / "out" / f"d{n}")["recipients"][0]["number"]  # type: ignore[index]
        for n in range(8)
    )
    assert numbers == sorted(f"ที่ นค ๐๐๑๙.๔/ว {thai_number(i)}" for i in range(1, 9))


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("notes.pdf", b"just text, renamed\n", "not a PDF"),
        ("cut.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "truncated"),
    ],
)
def test_build_refuses_a_bad_enclosure_and_writes_nothing(
    workdir: Path, letters: Runner, file: str, content: bytes, message: str
) -> None:
    (workdir / "line-at" / "pr" / file).write_bytes(content)
    directive = workdir / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8").replace("pr/line-at-card.png", f"pr/{file}")
    directive.write_text(text, encoding="utf-8")
    before = tree(workdir)
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    line = next(i for i, row in enumerate(text.splitlines(), 1) if f"pr/{file}" in row)
    assert f"line-at/directive.yaml:{line}:" in result.err
    assert "enclosures[1].file" in result.err and message in result.err
    assert changed_files(before, tree(workdir)) == []


# --- --out: only a folder a build made is replaced ---------------------------------------------


def _office_at(tmp_path: Path) -> Path:
    """An office in ``tmp_path/office`` (the clerk works there) with the clerk's own files
    beside it: a folder of documents, and one with a manifest.json of something else."""
    from conftest import make_office

    office = tmp_path / "office"
    make_office(office, emblem=False)
    (office / "mine" / "sub").mkdir(parents=True)
    (office / "mine" / "notes.txt").write_text("บันทึกของเจ้าหน้าที่\n", encoding="utf-8")
    (office / "mine" / "sub" / "scan.pdf").write_bytes(b"%PDF-1.4 the clerk's scan\n")
    (office / "other").mkdir()
    (office / "other" / "manifest.json").write_text('{"files": []}\n', encoding="utf-8")
    (office / "other" / "data.csv").write_text("a,b\n", encoding="utf-8")
    return office


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out holds the current folder"),
        (".", "--out holds the current folder"),
        ("..", "--out holds the current folder"),
        ("line-at", "--out holds the directive"),
        ("line-at/pr", "--out holds an enclosure"),
        ("/", "--out cannot be the root folder"),
        ("mine", "not a build's output"),
        ("mine/sub", "not a build's output"),
        ("other", "not a build's output"),
        ("config.yaml/letters", "a parent of --out is a file"),
        ("/sys/letters-out-test/x", "cannot write there"),
    ],
)
def test_out_refuses_a_folder_a_build_did_not_make(
    tmp_path: Path, letters: Runner, out: str, message: str
) -> None:
    """A build replaces its output folder whole: it refuses any folder that is not its own,
    before anything is numbered (no register) or written (every file as it was)."""
    office = _office_at(tmp_path)
    before = tree(tmp_path)
    result = letters("build", "line-at/directive.yaml", "--out", out, cwd=office)
    assert result.code == 1, result.text
    assert message in result.err, result.err
    assert "--out" in result.err and "Traceback" not in result.text
    assert "internal error" not in result.err
    assert changed_files(before, tree(tmp_path)) == []
    assert not (office / "register.sqlite3").exists()  # no number taken


def test_out_refuses_a_read_only_parent(tmp_path: Path, letters: Runner) -> None:
    office = _office_at(tmp_path)
    locked = office / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        before = tree(tmp_path)
        result = letters("build", "line-at/directive.yaml", "--out", "locked/x", cwd=office)
        can_write = os.access(locked, os.W_OK)  # root may write in a read-only folder
        if not can_write:
            assert result.code == 1, result.text
            assert "cannot write there" in result.err and "Traceback" not in result.text
            assert changed_files(before, tree(tmp_path)) == []
            assert not (office / "register.sqlite3").exists()
        else:
            assert result.code == 0, result.text
    finally:
        locked.chmod(0o755)


def test_out_replaces_its_own_build_only_when_it_holds_nothing_else(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    """A folder a build made is replaced by the next build, also when `letters print` wrote its
    print files there; a file the clerk added or changed there stops the build."""
    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    folder = workdir / "out" / "line-at"
    assert _manifest(folder)["tool"] == "letters"
    (folder / "notes.txt").write_text("ของเจ้าหน้าที่\n", encoding="utf-8")
    checklist = folder / "checklist.xlsx"
    filled = checklist.read_bytes() + b"filled in"
    checklist.write_bytes(filled)
    before = tree(workdir)
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1, result.text
    assert "notes.txt" in result.err and "checklist.xlsx" in result.err
    assert "files a build did not write, or changed since" in result.err
    assert changed_files(before, tree(workdir)) == []  # the register too: nothing numbered
    (folder / "notes.txt").unlink()
    checklist.unlink()
    (folder / "print").mkdir()
    (folder / "print" / "envelopes.pdf").write_bytes(b"%PDF-1.7 from letters print\n")
    result = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    assert (folder / "checklist.xlsx").is_file() and not (folder / "print").exists()
    result = letters("build", "line-at/directive.yaml", "--out", "out/line-at", cwd=workdir)
    assert result.code == 0, result.text  # its own previous output, named
    empty = workdir / "empty"
    empty.mkdir()
    result = letters("build", "line-at/directive.yaml", "--out", "empty", cwd=workdir)
    assert result.code == 0, result.text  # an empty folder may be used
    assert _manifest(empty)["tool"] == "letters"


@pytest.mark.parametrize(
    ("umask", "folders", "files"), [(0o022, 0o755, 0o644), (0o007, 0o770, 0o660)]
)
def test_output_folder_and_files_follow_the_umask(
    tmp_path: Path, letters: Runner, umask: int, folders: int, files: int
) -> None:
    from conftest import make_office

    directive = make_office(tmp_path, emblem=False)
    previous = os.umask(umask)
    try:
        result = letters(
            "build",
            directive,
            "--draft",
            "--only",
            "4301",
            "--format",
            "pdf",
            "--out",
            "out",
            cwd=tmp_path,
        )
    finally:
        os.umask(previous)
    assert result.code == 0, result.text
    out = tmp_path / "out"
    made = [out, *out.rglob("*")]
    assert len(made) > 5
    for path in made:
        mode = path.stat().st_mode & 0o777
        assert mode == (folders if path.is_dir() else files), (path, oct(mode))


def test_buddhist_era_date_builds_a_letter_of_2018(tmp_path: Path, letters: Runner) -> None:
    """A directive dated ``2561-12-11`` (พ.ศ.) is the letter of 11 December 2018: printed
    ๑๑ ธันวาคม ๒๕๖๑, numbered and registered in 2018, not in the year 2561."""
    import sqlite3
    from contextlib import closing

    from conftest import make_office

    directive = make_office(
        tmp_path,
        emblem=False,
        directive_edits={
            "date: 2018-12-11": "date: 2561-12-11",
            "due: 2018-12-25": "due: ๒๕๖๑-๑๒-๒๕",
        },
    )
    result = letters(
        "build", directive, "--only", "4301", "--format", "pdf", "--out", "out", cwd=tmp_path
    )
    assert result.code == 0, result.text
    page = lines(tmp_path / "out" / "letters" / "4301-เมืองหนองคาย.pdf")[0]
    assert any(squash(ln.text) == squash("๑๑ ธันวาคม ๒๕๖๑") for ln in page)
    assert _manifest(tmp_path / "out")["date"] == "2018-12-11"
    with closing(sqlite3.connect(tmp_path / "register.sqlite3")) as conn:
        numbers = conn.execute("SELECT year, series, n FROM number").fetchall()
        entries = conn.execute("SELECT DISTINCT year, letter_date FROM entry").fetchall()
        due = conn.execute("SELECT due FROM directive").fetchall()
    assert numbers == [(2018, "ว", 1)]
    assert entries == [(2018, "2018-12-11")]
    assert due == [("2018-12-25",)]


def test_remind_refuses_a_folder_of_other_files_before_numbering(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    """`letters remind --out` holds to the same rule as build, before the follow-up letter
    takes its numbers."""
    workdir = prebuilt(tmp_path)  # after `letters build line-at/directive.yaml`
    (workdir / "mine").mkdir()
    (workdir / "mine" / "notes.txt").write_text("ของเจ้าหน้าที่\n", encoding="utf-8")
    before = tree(workdir)
    result = letters(
        "remind", "line-at/directive.yaml", "--on", "2019-06-01", "--out", "mine", cwd=workdir
    )
    assert result.code == 1, result.text
    assert "not a build's output" in result.err and "Traceback" not in result.text
    assert changed_files(before, tree(workdir)) == []  # the register too: nothing numbered


def test_progress_bar_only_on_a_terminal_and_for_long_runs() -> None:
    """click's bar, redrawn in place on a terminal as letters are done once the run has lasted
    two seconds; quiet for a file or a pipe, and for a run that ends sooner."""
    import io

    from letters.commands import progress_bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    seconds = [0.0]
    assert progress_bar(io.StringIO(), clock=lambda: seconds[0]) is None
    screen = Terminal()
    bar = progress_bar(screen, clock=lambda: seconds[0])
    assert bar is not None
    for done in range(1, 10):  # nine letters in 1.8 s: over before a bar would help
        seconds[0] += 0.2
        bar(done, 9, "ท่าบ่อ")
    assert screen.getvalue() == ""
    bar = progress_bar(screen, clock=lambda: seconds[0])
    assert bar is not None
    for done in range(1, 13):  # a letter every 0.5 s: the bar from the 2 s mark on
        seconds[0] += 0.5
        bar(done, 12, f"อำเภอที่ {done}")
    frames = screen.getvalue().split("\r")[1:]
    assert len(frames) == 8  # each letter from the fifth on redraws the one line
    assert "[" + "#" * 15 + "-" * 15 + "]  6/12  อำเภอที่ 6" in frames[1]
    assert "[" + "#" * 30 + "]  12/12  อำเภอที่ 12" in frames[-1]
    assert frames[-1].endswith("\n")  # the finished bar keeps its line


def test_build_says_the_numbers_it_took_and_warns_of_a_letter_already_sent(
    workdir: Path, letters: Runner
) -> None:
    first = letters("build", "line-at/directive.yaml", "--format", "pdf", cwd=workdir)
    assert first.code == 0, first.text
    assert "ออกเลขแล้ว (numbered): ที่ นค ๐๐๑๙.๔/ว ๑\n" in first.out  # one circular number
    assert "already sent" not in first.err

    import datetime as dt

    from letters.register import EMAIL, Register

    with Register(workdir / "register.sqlite3", create=False) as register:
        (directive_id,) = {row.directive_id for row in register.rows()}
        register.record_action(directive_id, "4302", EMAIL, dt.datetime(2018, 12, 11, 10, 0))
    again = letters(
        "build", "line-at/directive.yaml", "--format", "pdf", "--only", "4302", cwd=workdir
    )
    assert again.code == 0, again.text
    assert "เลขเดิม (numbers kept): ที่ นค ๐๐๑๙.๔/ว ๑\n" in again.out
    assert "4302 ส่งไปแล้ว (already sent)" in again.err


def test_format_docx_after_a_full_build_keeps_the_pdfs_while_the_letter_is_the_same(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    office = prebuilt(tmp_path)
    folder = office / "out" / "line-at"
    pdfs = {p.relative_to(folder): p.read_bytes() for p in folder.glob("letters/*.pdf")}
    assert len(pdfs) == 9
    result = letters("build", "line-at/directive.yaml", "--format", "docx", cwd=office)
    assert result.code == 0, result.text
    assert {p: (folder / p).read_bytes() for p in pdfs} == pdfs
    listed = _manifest(folder)["recipients"]  # type: ignore[index]
    assert all({f["format"] for f in r["files"]} == {"pdf", "docx", "bundle"} for r in listed)
    # The letter changed: PDFs of the old text would contradict the new DOCX; they go.
    directive = office / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8")
    directive.write_text(text.replace("closing: จึงเรียนมา", "closing: จึงขอเรียนมา"), "utf-8")
    result = letters("build", "line-at/directive.yaml", "--format", "docx", cwd=office)
    assert result.code == 0, result.text
    assert list(folder.glob("letters/*.pdf")) == []
    assert len(list(folder.glob("letters/*.docx"))) == 9
