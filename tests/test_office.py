"""``letters init``: a new office folder from the national directory, for a clerk anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Runner, tree

from letters.directory import province_members

PLACEHOLDER = re.compile(r'^ *-? *[a-z_]*:? *"\(กรอก\) [^"]*"', re.MULTILINE)


def test_init_writes_an_office_of_every_district_of_the_province(
    tmp_path: Path, letters: Runner
) -> None:
    result = letters("init", "office", "--province", "อุดรธานี", cwd=tmp_path)
    assert result.code == 0, result.text
    office = tmp_path / "office"
    assert sorted(tree(office)) == [
        "README.md",
        "assets/README.txt",
        "config.yaml",
        "example/directive.yaml",
    ]
    assert "๒๐" in result.out and "letters check" in result.out
    from ruamel.yaml import YAML

    from letters.config import Config

    data = YAML(typ="safe").load((office / "config.yaml").read_text(encoding="utf-8"))
    members = data["recipients"]["amphoe"]["members"]
    assert [(m["code"], m["title"], m["postal"]) for m in members] == [
        (m.code, m.title, m.postal) for m in province_members("41")
    ]
    assert members[0]["title"] == "นายอำเภอเมืองอุดรธานี"
    assert members[0]["postal"] == ["ที่ว่าการอำเภอเมืองอุดรธานี", "จังหวัดอุดรธานี 41000"]
    assert all("email" not in m for m in members)  # the office fills those in
    Config.model_validate(data)  # placeholders are marked values, not holes in the file
    text = (office / "config.yaml").read_text(encoding="utf-8")
    assert len(PLACEHOLDER.findall(text)) == 8  # name, address, code, unit x3, signer x2
    assert "ผู้อำนวยการเขต" not in text
    readme = (office / "README.md").read_text(encoding="utf-8")
    assert "letters check example/directive.yaml" in readme


def test_bangkok_offices_are_its_khet(tmp_path: Path, letters: Runner) -> None:
    assert letters("init", "bkk", "--province", "10", cwd=tmp_path).code == 0
    text = (tmp_path / "bkk" / "config.yaml").read_text(encoding="utf-8")
    assert text.count('title: "ผู้อำนวยการเขต') == 50
    assert '"ผู้อำนวยการเขตทุกเขต"' in text
    assert "จังหวัดกรุงเทพมหานคร" not in text


@pytest.mark.parametrize("existing", ["file", "folder"])
def test_init_never_writes_into_a_folder_that_holds_something(
    tmp_path: Path, letters: Runner, existing: str
) -> None:
    office = tmp_path / "office"
    if existing == "file":
        office.write_text("mine", encoding="utf-8")
    else:
        office.mkdir()
        (office / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    result = letters("init", "office", "--province", "43", cwd=tmp_path)
    assert result.code == 1
    assert "not empty" in result.err and "Traceback" not in result.err
    assert tree(tmp_path) == before


def test_init_into_an_empty_folder(tmp_path: Path, letters: Runner) -> None:
    (tmp_path / "office").mkdir()
    assert letters("init", "office", "--province", "43", cwd=tmp_path).code == 0
    assert (tmp_path / "office" / "config.yaml").is_file()


def test_unknown_province_writes_nothing(tmp_path: Path, letters: Runner) -> None:
    result = letters("init", "office", "--province", "Atlantis", cwd=tmp_path)
    assert result.code == 1
    assert "unknown province" in result.err
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_is_a_file_is_a_clear_message(tmp_path: Path, letters: Runner) -> None:
    (tmp_path / "notes").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    result = letters("init", "notes/office", "--province", "43", cwd=tmp_path)
    assert result.code == 1
    assert "cannot write" in result.err and "Traceback" not in result.err
    assert tree(tmp_path) == before


FILLED = (
    "ศาลากลางจังหวัดอุดรธานี",
    "ถนนโพศรี อด 41000",
    "อด 0019.4",
    "สำนักงานพัฒนาชุมชนจังหวัด",
    "0-4222-2222",
    "saraban@cd.udon.example",
    "นายสมชาย ใจดี",
    "พัฒนาการจังหวัดอุดรธานี",
)


def fill_placeholders(config: Path) -> None:
    """What the clerk does after ``letters init``: each placeholder replaced by the office's
    own details, in the file's order."""
    values = iter(FILLED)
    text = config.read_text(encoding="utf-8")
    text = re.sub(r'(?<=[:-] )"\(กรอก\)[^"]*"', lambda _: f'"{next(values)}"', text)
    config.write_text(text, encoding="utf-8")


def test_check_lists_every_placeholder_then_every_district_without_e_mail(
    tmp_path: Path, letters: Runner
) -> None:
    assert letters("init", "office", "--province", "อุดรธานี", cwd=tmp_path).code == 0
    directive = Path("office/example/directive.yaml")
    result = letters("check", directive, cwd=tmp_path)
    assert result.code == 1
    placeholders = [line for line in result.err.splitlines() if "placeholder" in line]
    assert [line.split(": ")[1] for line in placeholders] == [
        "office.name",
        "office.address[0]",
        "office.code",
        "units.main.lines[0]",
        "units.main.phone",
        "units.main.email",  # said once: not also "not an e-mail address"
        "signers.head.name",
        "signers.head.position[0]",
    ]
    assert placeholders[0].startswith("office/config.yaml:6:9: ")
    assert "พบ ๘" in result.err or "พบ 8" in result.err

    fill_placeholders(tmp_path / "office" / "config.yaml")
    result = letters("check", directive, cwd=tmp_path)
    assert result.code == 0, result.text
    assert "ไม่มีอีเมล (no e-mail address)" in result.out
    listed = re.findall(r"^  (41\d\d) ", result.out, re.MULTILINE)
    assert listed == [m.code for m in province_members("41")]
