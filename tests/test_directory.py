"""The national directory: district offices from the Department of Provincial Administration's
codes and names (the ``geothai`` package), as config recipients."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import DATA

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
