"""The national directory: district offices from the Department of Provincial Administration's
codes and names (the ``geothai`` package), as config recipients."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import DATA, Runner

from letters.config import load_config
from letters.directory import country_members, province_members, write_group
from letters.errors import InputError


def test_nong_khai_is_the_provinces_nine_amphoe() -> None:
    # The province's nine amphoe as the Department of Provincial Administration lists them.
    with (DATA / "nongkhai-amphoe.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    members = province_members("หนองคาย")
    assert [(m.code, m.name, m.title) for m in members] == [
        (r["code"], r["name_th"], r["title"]) for r in rows
    ]
    assert province_members("43") == province_members("Nong Khai") == members
    first = members[0]
    assert first.email is None
    assert first.postal == ["ที่ว่าการอำเภอเมืองหนองคาย", "จังหวัดหนองคาย 43000"]


def test_the_country_has_878_amphoe_and_50_khet() -> None:
    amphoe = country_members()
    assert len(amphoe) == 878
    assert len({m.code for m in amphoe}) == 878
    assert all(m.title == f"นายอำเภอ{m.name}" for m in amphoe)
    assert all(m.postal[-1].startswith("จังหวัด") and m.postal[-1][-5:].isdigit() for m in amphoe)
    everyone = country_members(bangkok=True)
    khet = [m for m in everyone if m.code.startswith("10")]
    assert len(everyone) == 928 and len(khet) == 50
    pranakhon = khet[0]
    assert (pranakhon.code, pranakhon.name, pranakhon.title) == (
        "1001",
        "พระนคร",
        "ผู้อำนวยการเขตพระนคร",
    )
    assert pranakhon.postal == ["สำนักงานเขตพระนคร", "กรุงเทพมหานคร 10200"]
    assert all(m.title.startswith("ผู้อำนวยการเขต") for m in khet)
    assert province_members("กรุงเทพมหานคร") == khet


def test_unknown_province_is_a_problem_for_the_clerk() -> None:
    with pytest.raises(InputError, match="unknown province"):
        province_members("Atlantis")


def test_write_group_makes_a_config_the_tool_accepts(workdir: Path) -> None:
    config = workdir / "config.yaml"
    out = workdir / "national.yaml"
    write_group(config, "amphoe", country_members(), out=out)
    loaded = load_config(out)
    group = loaded.model.recipients["amphoe"]
    assert len(group.members) == 878
    assert group.collective == "นายอำเภอทุกอำเภอ"
    assert loaded.model.office == load_config(config).model.office  # the rest stays
    assert "# The issuing office" in out.read_text(encoding="utf-8")  # comments kept


@pytest.mark.parametrize(
    ("args", "shown", "not_shown"),
    [
        (("ท่าบ่อ",), ["4302", "นายอำเภอท่าบ่อ", "หนองคาย"], ["4301"]),
        (("Tha Bo",), ["4302", "นายอำเภอท่าบ่อ"], ["4301"]),
        (("๔๓๐๕",), ["4305", "นายอำเภอโพนพิสัย"], ["4302"]),
        (("--province", "หนองคาย"), ["4301", "4317", "นายอำเภอโพธิ์ตาก"], ["4101"]),
        (("เมือง", "--province", "41"), ["4101", "นายอำเภอเมืองอุดรธานี"], ["4102", "4301"]),
        (("พระนคร",), ["1001", "ผู้อำนวยการเขตพระนคร", "กรุงเทพมหานคร"], []),
    ],
)
def test_directory_command_looks_offices_up(
    tmp_path: Path, letters: Runner, args: tuple[str, ...], shown: list[str], not_shown: list[str]
) -> None:
    result = letters("directory", *args, cwd=tmp_path)
    assert result.code == 0, result.text
    for text in shown:
        assert text in result.out
    for text in not_shown:
        assert text not in result.out


def test_directory_says_when_nothing_is_found(tmp_path: Path, letters: Runner) -> None:
    result = letters("directory", "แอตแลนติส", cwd=tmp_path)
    assert result.code == 0
    assert "not found" in result.out


def test_write_group_keeps_every_other_byte(tmp_path: Path) -> None:
    """A clerk's config, with its comments, blank lines, quoting and ``null``: only the lines of
    the group written change."""
    before = (
        "# my office\n"
        "office: {name: 'สำนักงาน', code: นค 0019.4}   # kept\n"
        "\n"
        "recipients:\n"
        "    others:            # four spaces here\n"
        "        collective: 'ทุกท่าน'\n"
        "        members:\n"
        "            - {code: '9', name: a, title: b}\n"
        "\n"
        "    # the districts, written by the tool\n"
        "    amphoe:\n"
        "        collective: x\n"
        "        members: [{code: '1', name: a, title: b}]\n"
        "\n"
        "# how letters leave\n"
        "dispatch:\n"
        "  printer: null\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(before, encoding="utf-8")
    write_group(config, "amphoe", province_members("43")[:2])
    after = config.read_text(encoding="utf-8")
    head = before.split("    amphoe:\n")[0]
    assert after.startswith(head + "    amphoe:\n")
    assert after.endswith("\n\n# how letters leave\ndispatch:\n  printer: null\n")
    assert '            - {code: "4301", name: "เมืองหนองคาย"' in after
    assert "x\n" not in after
    # a new group goes after the last one, before the next top-level key's comment
    write_group(config, "udon", province_members("41")[:1])
    again = config.read_text(encoding="utf-8")
    assert again.startswith(after.split("\n\n# how letters leave")[0])
    added = again.removeprefix(after.split("\n\n# how letters leave")[0] + "\n")
    assert added.startswith('    udon:\n        collective: "นายอำเภอทุกอำเภอ"\n')
    assert again.endswith("\n\n# how letters leave\ndispatch:\n  printer: null\n")
