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

if TYPE_CHECKING:
    from geothai.types import District

BANGKOK = "10"
AMPHOE_CHIEF = "นายอำเภอ"
KHET_CHIEF = "ผู้อำนวยการเขต"
AMPHOE_COLLECTIVE = "นายอำเภอทุกอำเภอ"
KHET_COLLECTIVE = "ผู้อำนวยการเขตทุกเขต"
_KHET = "เขต"


def district_member(district: District) -> Member:
    """One district office as a recipient."""
    import geothai

    province = geothai.province(district.province_code)
    assert province is not None  # geothai's districts all name a province it has
    seats = geothai.subdistricts(district.code)
    postcode = seats[0].postal_codes[0] if seats else ""
    if district.province_code == BANGKOK:
        name = district.name_th.removeprefix(_KHET)
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
                    "province",
                    0,
                    0,
                    "",
                    f"ไม่รู้จักจังหวัด '{province}' (unknown province); "
                    "ใช้รหัสจังหวัด ๒ หลัก เช่น 43 หรือชื่อจังหวัด เช่น หนองคาย",
                )
            ]
        )
    return [district_member(d) for d in geothai.districts(found.code)]


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


def write_group(
    config: Path,
    group: str,
    members: Sequence[Member],
    *,
    out: Path | None = None,
    collective: str = AMPHOE_COLLECTIVE,
) -> Path:
    """Put ``members`` into ``config`` as the recipients group ``group`` (replacing one of that
    name) and write the result to ``out`` (default: ``config`` itself). The rest of the
    file, comments included, stays as it was."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML()
    yaml.width = 4096
    target = out or config
    try:
        data = yaml.load(config.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise YAMLError("not a mapping")
        recipients = data.setdefault("recipients", {})
        recipients[group] = group_data(members, collective=collective)
        with target.open("w", encoding="utf-8") as stream:
            yaml.dump(data, stream)
    except OSError as exc:
        raise OutputError(
            f"{target}: เขียน config ไม่ได้ (cannot write config): {exc.strerror or exc}"
        ) from None
    except YAMLError as exc:
        raise InputError(
            [Problem(str(config), 1, 1, "", f"อ่าน config ไม่ได้ (cannot read YAML): {exc}")]
        ) from None
    return target
