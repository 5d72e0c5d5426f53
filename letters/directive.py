"""directive.yaml: one letter, validated against the office's config.

``load_letter`` is the first stage of the pipeline: it returns a ``Letter`` only when the
directive, the config and every file they name are right; otherwise it raises one
``InputError`` holding every problem, each at its file, line and field.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from letters import source, thai
from letters.config import (
    Group,
    Limits,
    Member,
    OfficeConfig,
    Signer,
    Unit,
    find_config,
    load_config,
)
from letters.enclosure import EnclosureProblem, LoadedFile
from letters.enclosure import load as load_enclosure
from letters.errors import InputError, Problem

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Loc = tuple[str | int, ...]
T = TypeVar("T")

SPEEDS = ("ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด")
SECRECIES = ("ปกติ", "ลับ", "ลับมาก", "ลับที่สุด")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class To(_Model):
    group: Text
    only: list[Text] | None = None
    address: Literal["collective", "each"] = "collective"


class EnclosureEntry(_Model):
    title: Text
    quantity: Text
    file: Text


class Paragraph(_Model):
    """A body paragraph, optionally followed by numbered items (๑. ๒. ...)."""

    text: Text
    items: list[Text] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class FollowUp(_Model):
    due: dt.date
    tasks: list[Text] = Field(min_length=1)


class Directive(_Model):
    kind: Literal["external", "circular"]
    number: Text = "auto"
    date: dt.date
    speed: Literal["ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด"] = "ปกติ"
    secrecy: Literal["ปกติ", "ลับ", "ลับมาก", "ลับที่สุด"] = "ปกติ"
    subject: Text
    to: To
    references: list[Text] = Field(default_factory=list)
    enclosures: list[EnclosureEntry] = Field(default_factory=list)
    body: list[Paragraph] = Field(min_length=1)
    closing: Text
    signer: Text
    owner: Text
    copies: list[Text] = Field(default_factory=list)
    follow_up: FollowUp | None = None

    @property
    def auto_number(self) -> bool:
        return self.number == "auto"


@dataclass(frozen=True)
class Enclosure:
    title: str
    quantity: str
    file: LoadedFile


@dataclass(frozen=True)
class Letter:
    """A directive checked against its config: everything the renderers need."""

    directive: Directive
    config: OfficeConfig
    path: Path
    source: source.Source
    group: Group
    recipients: tuple[Member, ...]
    signer: Signer
    unit: Unit
    enclosures: tuple[Enclosure, ...]

    @property
    def name(self) -> str:
        """The directive's name: its folder for ``directive.yaml``, else its file stem."""
        if self.path.stem == "directive":
            return self.path.resolve().parent.name
        return self.path.stem

    def addressee(self, member: Member) -> str:
        if self.directive.to.address == "each":
            return member.title
        return self.group.collective

    @functools.cached_property
    def directory_names(self) -> list[str]:
        """Names that must never split across lines: districts, titles, offices, units."""
        names = {self.config.model.office.name, self.group.collective}
        for member in self.group.members:
            names.update({member.name, member.title})
        names.update(self.unit.lines)
        return sorted(names)


def load_letter(path: Path, config_path: Path | None = None) -> Letter:
    """Stage one of the pipeline: YAML to a validated ``Letter``, or every problem at once."""
    problems: list[Problem] = []
    directive_src: source.Source | None = None
    try:
        directive_src = source.load(path)
    except InputError as exc:
        problems += exc.problems
    config: OfficeConfig | None = None
    try:
        config = load_config(find_config(path, config_path))
    except InputError as exc:
        problems += exc.problems
    if directive_src is None:
        raise InputError(problems)
    directive, found = directive_src.validate(Directive)
    problems += found
    refs = _References(directive_src, config)
    problems += refs.problems
    if problems or directive is None or config is None:
        raise InputError(problems)
    assert refs.group is not None and refs.signer is not None and refs.unit is not None
    return Letter(
        directive=directive,
        config=config,
        path=path,
        source=directive_src,
        group=refs.group,
        recipients=tuple(refs.recipients),
        signer=refs.signer,
        unit=refs.unit,
        enclosures=tuple(refs.enclosures),
    )


class _References:
    """What the directive names elsewhere: config keys, recipient codes, enclosure files.

    Checked on the raw data, so these problems are reported together with any other
    problem of the same file, even when the directive as a whole does not validate.
    """

    def __init__(self, src: source.Source, config: OfficeConfig | None) -> None:
        self.src = src
        self.problems: list[Problem] = []
        self.recipients: list[Member] = []
        self.enclosures: list[Enclosure] = []
        data = src.data if isinstance(src.data, dict) else {}
        self.group: Group | None = None
        self.signer: Signer | None = None
        self.unit: Unit | None = None
        if config is not None:
            cfg = config.model
            self.config_name = config.path.name
            raw_to = data.get("to")
            to: dict[str, Any] = raw_to if isinstance(raw_to, dict) else {}
            self.group = self._lookup(("to", "group"), to.get("group"), cfg.recipients)
            self._members(to.get("only"))
            self.signer = self._lookup(("signer",), data.get("signer"), cfg.signers)
            self.unit = self._lookup(("owner",), data.get("owner"), cfg.units)
            max_bytes = int(cfg.limits.enclosure_max_mb * 1_000_000)
        else:
            max_bytes = int(Limits().enclosure_max_mb * 1_000_000)
        self._enclosures(data.get("enclosures"), src.path.parent, max_bytes)
        self._dates(data)

    def _lookup(self, loc: Loc, key: Any, known: dict[str, T]) -> T | None:
        if not isinstance(key, str) or not key.strip():
            return None
        found = known.get(key.strip())
        if found is None:
            what, english = _WHAT[str(loc[0])]
            choices = ", ".join(known) or "-"
            self.problems.append(
                self.src.problem(
                    loc,
                    f"ไม่มี{what} '{key}' ใน {self.config_name} (unknown {english}); ที่มี: {choices}",
                )
            )
        return found

    def _members(self, only: Any) -> None:
        if self.group is None:
            return
        if not isinstance(only, list):
            self.recipients = list(self.group.members)
            return
        for i, code in enumerate(only):
            if not isinstance(code, str):
                continue
            member = self.group.member(thai.arabic_digits(code.strip()))
            if member is None:
                codes = ", ".join(m.code for m in self.group.members)
                self.problems.append(
                    self.src.problem(
                        ("to", "only", i),
                        f"ไม่มีรหัสผู้รับ '{code}' ในกลุ่มนี้ (unknown recipient code); ที่มี: {codes}",
                    )
                )
            elif member not in self.recipients:
                self.recipients.append(member)

    def _enclosures(self, entries: Any, folder: Path, max_bytes: int) -> None:
        if not isinstance(entries, list):
            return
        for i, entry in enumerate(entries):
            file = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(file, str) or not file.strip():
                continue
            try:
                loaded = load_enclosure(folder / file.strip(), max_bytes)
            except EnclosureProblem as exc:
                self.problems.append(
                    self.src.problem(("enclosures", i, "file"), f"'{file}': {exc}")
                )
                continue
            title, quantity = entry.get("title"), entry.get("quantity")
            if isinstance(title, str) and isinstance(quantity, str):
                self.enclosures.append(Enclosure(title.strip(), quantity.strip(), loaded))

    def _dates(self, data: dict[str, Any]) -> None:
        follow = data.get("follow_up")
        if not isinstance(follow, dict):
            return
        try:
            due = dt.date.fromisoformat(str(follow.get("due")))
            date = dt.date.fromisoformat(str(data.get("date")))
        except ValueError:
            return  # the model reports malformed dates
        if due < date:
            self.problems.append(
                self.src.problem(
                    ("follow_up", "due"),
                    "วันครบกำหนดอยู่ก่อนวันที่ของหนังสือ (due date before the letter's date)",
                )
            )


_WHAT = {
    "to": ("กลุ่มผู้รับ", "recipient group"),
    "signer": ("ผู้ลงนาม", "signer"),
    "owner": ("ส่วนราชการเจ้าของเรื่อง", "unit"),
}


def summary(letter: Letter) -> str:
    """What ``letters check`` prints: enough for the clerk to recognise the letter."""
    d = letter.directive
    kind = "หนังสือเวียน (circular)" if d.kind == "circular" else "หนังสือภายนอก (external)"
    number = "อัตโนมัติจากทะเบียนส่ง (auto)" if d.auto_number else thai.thai_digits(d.number)
    lines = [
        f"ชนิด (kind): {kind}",
        f"เลขที่ (number): {number}",
        f"ลงวันที่ (date): {thai.thai_date(d.date)}",
        f"เรื่อง (subject): {d.subject}",
        f"ผู้รับ (recipients): {thai.thai_number(len(letter.recipients))} ราย "
        f"({letter.group.collective if d.to.address == 'collective' else 'ถึงแต่ละราย'})",
        f"สิ่งที่ส่งมาด้วย (enclosures): {thai.thai_number(len(letter.enclosures))} รายการ",
    ]
    for i, enc in enumerate(letter.enclosures, 1):
        pages = thai.thai_digits(f"{enc.file.pages} หน้า") if enc.file.kind == "pdf" else "ภาพ"
        lines.append(f"  {thai.item_number(i)} {enc.title} ({enc.file.kind.upper()}, {pages})")
    lines.append(f"ผู้ลงนาม (signer): {letter.signer.name}")
    if d.follow_up is not None:
        lines.append(
            f"ติดตามผล (follow-up): {thai.thai_number(len(d.follow_up.tasks))} งาน "
            f"ภายใน {thai.thai_date(d.follow_up.due)}"
        )
    return "\n".join(lines)
