"""A build's manifest.json: written, read back, and the folder and bundles checked against it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE

from letters import manifest
from letters.directive import load_letter
from letters.errors import DispatchError
from letters.manifest import BuiltLetter, last_build, pending

DIRECTIVE_ID = "line-at/directive.yaml"


def _built(folder: Path) -> list[BuiltLetter]:
    """Two recipients' letters and bundles, as a build leaves them in ``folder``."""
    built = []
    for code, name in (("4301", "เมืองหนองคาย"), ("4302", "ท่าบ่อ")):
        files = {
            "pdf": Path("letters") / f"{code}-{name}.pdf",
            "bundle": Path("bundles") / f"{code}-{name}.pdf",
        }
        for fmt, relative in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(f"%PDF {fmt} {code}\n".encode())
        built.append(BuiltLetter(code, name, f"ที่ นค ๐๐๑๙.๔/ว {code}", files, 2, 5))
    return built


def _folder(tmp_path: Path, directive_id: str | None = DIRECTIVE_ID, name: str = "out") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "checklist.pdf").write_bytes(b"%PDF checklist\n")
    letter = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    manifest.write(letter, folder, _built(folder), [Path("checklist.pdf")], directive_id)
    return folder


def test_written_manifest_reads_back(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert data["tool"] == "letters" and data["register_id"] == DIRECTIVE_ID
    assert data["date"] == "2018-12-11" and data["draft"] is False
    read = manifest.read(folder)
    assert read is not None and read.ours and not read.draft
    assert [b.code for b in read.letters] == ["4301", "4302"]
    (tmp_path / "same").mkdir()
    assert read.letters == _built(tmp_path / "same")
    for relative, digest in read.files.items():
        assert hashlib.sha256((folder / relative).read_bytes()).hexdigest() == digest
    assert set(read.files) == {
        "letters/4301-เมืองหนองคาย.pdf",
        "bundles/4301-เมืองหนองคาย.pdf",
        "letters/4302-ท่าบ่อ.pdf",
        "bundles/4302-ท่าบ่อ.pdf",
        "checklist.pdf",
    }


@pytest.mark.parametrize("text", [None, "not json", "[]", '{"tool": "letters"}'])
def test_anything_else_is_no_manifest(tmp_path: Path, text: str | None) -> None:
    if text is not None:
        (tmp_path / "manifest.json").write_text(text, encoding="utf-8")
    assert manifest.read(tmp_path) is None


def test_foreign_files_are_those_added_or_changed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    read = manifest.read(folder)
    assert read is not None
    (folder / "print").mkdir()
    (folder / "print" / "bundles.pdf").write_bytes(b"%PDF print\n")  # letters print --file-only
    assert manifest.foreign(folder, read) == []
    (folder / "notes.txt").write_text("the clerk's own\n", encoding="utf-8")
    (folder / "letters" / "4302-ท่าบ่อ.pdf").write_bytes(b"%PDF changed\n")
    assert manifest.foreign(folder, read) == ["letters/4302-ท่าบ่อ.pdf", "notes.txt"]


def test_last_build_lists_each_bundle_checked(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    built = last_build(Path("d.yaml"), DIRECTIVE_ID, folder)
    assert built.folder == folder
    assert list(built.bundles) == ["4301", "4302"]
    path, digest, number = built.bundles["4302"]
    assert path == folder / "bundles" / "4302-ท่าบ่อ.pdf"
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert number == "ที่ นค ๐๐๑๙.๔/ว 4302"


def test_last_build_refuses_what_cannot_be_sent(tmp_path: Path) -> None:
    with pytest.raises(DispatchError, match=r"not built\).*letters build"):
        last_build(Path("d.yaml"), DIRECTIVE_ID, None)
    with pytest.raises(DispatchError, match="no build found"):
        last_build(Path("d.yaml"), DIRECTIVE_ID, tmp_path)
    draft = _folder(tmp_path, None, name="out-draft")
    with pytest.raises(DispatchError, match="a draft or another letter"):
        last_build(Path("d.yaml"), DIRECTIVE_ID, draft)
    folder = _folder(tmp_path)
    with pytest.raises(DispatchError, match="a draft or another letter"):
        last_build(Path("d.yaml"), "other/directive.yaml", folder)
    (folder / "bundles" / "4302-ท่าบ่อ.pdf").write_bytes(b"%PDF tampered\n")
    with pytest.raises(DispatchError, match=r"4302-ท่าบ่อ\.pdf: .*changed since the build"):
        last_build(Path("d.yaml"), DIRECTIVE_ID, folder)


@dataclass(frozen=True)
class Job:
    code: str
    what: str


def test_pending_is_each_recipient_once_unless_done() -> None:
    jobs = [Job("4301", "a"), Job("4302", "b"), Job("4301", "again"), Job("4303", "c")]
    assert pending(jobs, {"4302"}) == [Job("4301", "a"), Job("4303", "c")]
    assert pending(jobs, set()) == [Job("4301", "a"), Job("4302", "b"), Job("4303", "c")]
