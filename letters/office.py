"""A new office folder: config.yaml with every district of a province, an example letter and
a short README, for a clerk who starts with nothing but the tool.

The office's own details (name, address, letter code, unit, signer) are placeholders: values
that begin with ``PLACEHOLDER``. ``letters check`` refuses each one at its line until it is
filled in, so a letter can never go out with one of them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from letters.directory import (
    AMPHOE_COLLECTIVE,
    BANGKOK,
    KHET_COLLECTIVE,
    group_text,
    province_of,
)
from letters.errors import OutputError
from letters.rules import PLACEHOLDER
from letters.thai import thai_number

EXAMPLE = Path("example") / "directive.yaml"
_FILES = {
    "config.yaml": "config.yaml.j2",
    str(EXAMPLE): "directive.yaml.j2",
    "README.md": "README.md.j2",
}
_ASSETS_NOTE = (
    "วางตราครุฑของสำนักงานที่นี่ ชื่อไฟล์ garuda.svg (หรือ .png แล้วแก้ office.emblem ใน config.yaml)\n"
    "Put the office's Garuda image here as garuda.svg.\n"
)


@dataclass(frozen=True)
class Starter:
    """What ``letters init`` writes: the province, its district offices and the files."""

    province: str
    districts: int
    files: dict[str, str]  # relative path: text


def office_files(province: str, today: dt.date) -> Starter:
    """The files of a new office folder for ``province`` (code or name), by relative path."""
    import jinja2

    from letters.resources import resource_dir

    found, members = province_of(province)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates") / "office"),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    bangkok = found.code == BANGKOK
    collective = KHET_COLLECTIVE if bangkok else AMPHOE_COLLECTIVE
    first = members[0].postal[-1].rsplit(" ", 1) if members else ["", ""]
    context = {
        "mark": PLACEHOLDER,
        "province": found.name_th,
        "province_word": "" if bangkok else "จังหวัด",
        "members": members,
        "group": group_text("amphoe", members, indent=2, collective=collective),
        "collective": collective,
        "unit_word": "เขต" if bangkok else "อำเภอ",
        "postcode": first[-1] if len(first) == 2 and first[-1].isdigit() else "",
        "today": today.isoformat(),
        "due": (today + dt.timedelta(days=14)).isoformat(),
    }
    files = {path: env.get_template(name).render(context) for path, name in _FILES.items()}
    return Starter(found.name_th, len(members), files)


def init_office(folder: Path, province: str, today: dt.date) -> str:
    """``letters init``: write a new office folder; never into a folder that holds anything.

    The files are written beside ``folder`` first and moved into place at once, so a run
    that fails leaves nothing behind."""
    starter = office_files(province, today)  # an unknown province stops here: nothing written
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(
            f"{folder}: มีอยู่แล้วและไม่ว่าง (exists and is not empty); "
            "letters init เขียนเฉพาะโฟลเดอร์ใหม่หรือโฟลเดอร์ว่าง: ตั้งชื่อโฟลเดอร์ใหม่"
        )
    staging = folder.parent / f".{folder.name}.letters-init-{os.getpid()}"
    try:
        for relative, text in {**starter.files, "assets/README.txt": _ASSETS_NOTE}.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # empty, checked above
        staging.rename(folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"{folder}: เขียนไม่ได้ (cannot write): {exc.strerror or exc}; เลือกโฟลเดอร์ที่เขียนได้"
        ) from None
    return (
        f"สร้างแล้ว (created): {folder}\n"
        f"  config.yaml: ผู้รับ {thai_number(starter.districts)} แห่ง "
        f"ของ{starter.province} (recipients)\n"
        f"  {EXAMPLE}: ตัวอย่างหนังสือ\n"
        f"ต่อไป (next): แก้ค่าที่ขึ้นต้นด้วย {PLACEHOLDER} ใน config.yaml แล้วรัน\n"
        f"  letters check {folder / EXAMPLE}"
    )
