"""The national directory: the district offices of a province, or of the whole country.

Names and codes come from the ``geothai`` package (the Department of Provincial
Administration's official codes and Thai names): 878 amphoe in 76 provinces and the 50
khet of Bangkok. Each district becomes a config ``Member``: its code, its name, the title
of its chief (``นายอำเภอ`` + name; in Bangkok ``ผู้อำนวยการเขต`` + name) and a postal
address (the district office, then the province and the postcode of the district's first
subdistrict, where the office stands). No e-mail address: the office fills those in.

``write_group`` puts such a list into a config.yaml as a recipients group, for real use
(``amphoe`` of one province) and for benchmarks (every amphoe of the country).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.config import Member
from letters.errors import InputError, OutputError, Problem
from letters.thai import AMPHOE_CHIEF, KHET, KHET_CHIEF

if TYPE_CHECKING:
    from geothai.types import District, Province

BANGKOK = "10"
AMPHOE_COLLECTIVE = "นายอำเภอทุกอำเภอ"
KHET_COLLECTIVE = "ผู้อำนวยการเขตทุกเขต"


def district_member(district: District) -> Member:
    """One district office as a recipient."""
    import geothai

    province = geothai.province(district.province_code)
    assert province is not None  # geothai's districts all name a province it has
    seats = geothai.subdistricts(district.code)
    postcode = seats[0].postal_codes[0] if seats else ""
    if district.province_code == BANGKOK:
        name = district.name_th.removeprefix(KHET)
        title = f"{KHET_CHIEF}{name}"
        postal = [f"สำนักงานเขต{name}", f"{province.name_th} {postcode}".strip()]
    else:
        name = district.name_th
        title = f"{AMPHOE_CHIEF}{name}"
        postal = [f"ที่ว่าการอำเภอ{name}", f"จังหวัด{province.name_th} {postcode}".strip()]
    return Member(code=district.code, name=name, title=title, postal=postal)


def province_members(province: str) -> list[Member]:
    """The district offices of one province, by code order.

    ``province`` is the two-digit code (``"43"``, Thai digits too) or the name, in Thai or
    English (``หนองคาย``, ``Nong Khai``). Bangkok gives its 50 khet.
    """
    return province_of(province)[1]


def province_of(province: str) -> tuple[Province, list[Member]]:
    """The province ``province`` names (see ``province_members``) and its district offices."""
    import geothai

    from letters import thai

    wanted = thai.arabic_digits(province.strip())
    found = geothai.province(wanted)
    if found is None:
        key = _name_key(wanted.removeprefix("จังหวัด"))
        found = next(
            (p for p in geothai.provinces() if key in {_name_key(p.name_th), _name_key(p.name_en)}),
            None,
        )
    if found is None:
        raise InputError(
            [
                Problem(
                    "--province",
                    0,
                    0,
                    "",
                    f"ไม่รู้จักจังหวัด '{province}' (unknown province); "
                    "ใช้รหัสจังหวัด ๒ หลัก เช่น 43 หรือชื่อจังหวัด เช่น หนองคาย",
                )
            ]
        )
    return found, [district_member(d) for d in geothai.districts(found.code)]


def lookup(query: str | None, province: str | None = None) -> list[tuple[str, Member]]:
    """``letters directory``: the district offices whose code starts with ``query`` or whose
    name holds it (Thai or English), in ``province`` or in the whole country, each with the
    name of its province. No query: every district office of ``province``."""
    import geothai

    from letters import thai

    if province is not None:
        found, _ = province_of(province)
        provinces = [found]
    else:
        provinces = list(geothai.provinces())
    key = _name_key(thai.arabic_digits(query or ""))
    chosen: list[tuple[str, Member]] = []
    for p in provinces:
        for d in geothai.districts(p.code):
            if key and not (
                d.code.startswith(key) or key in _name_key(d.name_th) or key in _name_key(d.name_en)
            ):
                continue
            chosen.append((p.name_th, district_member(d)))
    return chosen


def _name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def country_members(*, bangkok: bool = False) -> list[Member]:
    """Every amphoe of the country (878), by code; with ``bangkok`` the 50 khet as well."""
    import geothai

    return [
        district_member(d)
        for p in geothai.provinces()
        if bangkok or p.code != BANGKOK
        for d in geothai.districts(p.code)
    ]


def group_data(
    members: Sequence[Member],
    *,
    collective: str = AMPHOE_COLLECTIVE,
    salutation: str = "เรียน",
    complimentary_close: str = "ขอแสดงความนับถือ",
) -> dict[str, Any]:
    """A recipients group as config.yaml holds it."""
    return {
        "collective": collective,
        "salutation": salutation,
        "complimentary_close": complimentary_close,
        "members": [m.model_dump(exclude_none=True) for m in members],
    }


def group_text(
    name: str, members: Sequence[Member], *, indent: int, collective: str, step: int = 2
) -> str:
    """A recipients group as config.yaml lines, ``indent`` spaces in and ``step`` more for each
    level below: one member a line."""
    import json

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a YAML double-quoted scalar

    pad, inner = " " * indent, " " * (indent + step)
    lines = [
        f"{pad}{name}:",
        f"{inner}collective: {q(collective)}",
        f"{inner}salutation: เรียน",
        f"{inner}complimentary_close: ขอแสดงความนับถือ",
        f"{inner}members:",
    ]
    for m in members:
        fields = [f"code: {q(m.code)}", f"name: {q(m.name)}", f"title: {q(m.title)}"]
        if m.email:
            fields.append(f"email: {q(m.email)}")
        if m.postal:
            fields.append(f"postal: [{', '.join(q(p) for p in m.postal)}]")
        lines.append(f"{inner}{' ' * step}- {{{', '.join(fields)}}}")
    return "".join(line + "\n" for line in lines)


def write_group(
    config: Path,
    group: str,
    members: Sequence[Member],
    *,
    out: Path | None = None,
    collective: str = AMPHOE_COLLECTIVE,
) -> Path:
    """Put ``members`` into ``config`` as the recipients group ``group`` (replacing one of that
    name) and write the result to ``out`` (default: ``config`` itself).

    Only the lines of that group change: every other byte of the file, comments, blank
    lines, quoting and ``null`` included, stays as it was."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    target = out or config
    try:
        text = config.read_text(encoding="utf-8")
        data = YAML().load(text)
    except OSError as exc:
        raise OutputError(
            f"{config}: อ่าน config ไม่ได้ (cannot read config): {exc.strerror or exc}"
        ) from None
    except YAMLError as exc:
        raise InputError(
            [Problem(str(config), 1, 1, "", f"อ่าน config ไม่ได้ (cannot read YAML): {exc}")]
        ) from None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if not isinstance(data, CommentedMap):
        raise InputError([Problem(str(config), 1, 1, "", "config ต้องเป็น mapping (not a mapping)")])
    recipients = data.get("recipients")
    if recipients is None:
        at = len(lines)
        lines[at:at] = [
            "recipients:\n",
            group_text(group, members, indent=2, collective=collective),
        ]
    elif not isinstance(recipients, CommentedMap) or recipients.fa.flow_style():
        line = data.lc.value("recipients")[0] + 1
        raise InputError(
            [Problem(str(config), line, 1, "recipients", "แก้ได้เฉพาะแบบหลายบรรทัด (block style)")]
        )
    else:
        keys = list(recipients)
        indent = recipients.lc.key(keys[0])[1] if keys else 2
        if group in recipients:
            start = recipients.lc.key(group)[0]
            later = keys[keys.index(group) + 1 :]
            end = recipients.lc.key(later[0])[0] if later else _block_end(data, "recipients", lines)
        else:
            start = end = _block_end(data, "recipients", lines)
        step = max(indent - data.lc.key("recipients")[1], 1)
        lines[start:end] = [
            group_text(group, members, indent=indent, collective=collective, step=step)
        ]
    try:
        target.write_text("".join(lines), encoding="utf-8")
    except OSError as exc:
        raise OutputError(
            f"{target}: เขียน config ไม่ได้ (cannot write config): {exc.strerror or exc}"
        ) from None
    return target


def _block_end(data: Any, key: str, lines: list[str]) -> int:
    """The line after the last line of top-level ``key``'s block, before the blank and
    comment lines that lead to the next key (they belong to it)."""
    keys = list(data)
    later = keys[keys.index(key) + 1 :]
    end = data.lc.key(later[0])[0] if later else len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end
