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
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from letters import source, thai
from letters.config import (
    Group,
    Limits,
    Member,
    OfficeConfig,
    Signer,
    Text,
    Unit,
    find_config,
    load_config,
)
from letters.enclosure import Enclosure as Enclosure
from letters.errors import InputError, Problem
from letters.rules import (
    Known,
    References,
    date_notes,
    directive_problems,
    placeholder_problems,
    said_once,
)

Speed = Literal["ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด"]
Secrecy = Literal["ปกติ", "ลับ", "ลับมาก", "ลับที่สุด"]
SPEEDS: tuple[str, ...] = get_args(Speed)
SECRECIES: tuple[str, ...] = get_args(Secrecy)


def _typed_day(value: Any) -> Any:
    """A date as the clerk typed it (``letters.thai.typed_date``: ISO, a พ.ศ. year, Thai
    digits, the long Thai form); anything but text is left to pydantic's date."""
    return thai.typed_date(value).day if isinstance(value, str) else value


TypedDay = Annotated[dt.date, BeforeValidator(_typed_day)]


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
    due: TypedDay
    tasks: list[Text] = Field(min_length=1)


class Directive(_Model):
    kind: Literal["external", "circular"]
    number: Text = "auto"
    date: TypedDay
    speed: Speed = "ปกติ"
    secrecy: Secrecy = "ปกติ"
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
    # What the clerk should know of how the directive was read (a date read as พ.ศ., a date
    # more than a year from today): ``letters check`` and ``letters build`` print them.
    notes: tuple[str, ...] = ()

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
    texts = directive_problems(directive_src)
    directive, found = directive_src.validate(Directive)
    # A field whose text has no place in a letter (a control character) is said once.
    problems += texts + [p for p in found if p.field not in {t.field for t in texts}]
    problems = said_once(placeholder_problems(directive_src), problems)
    if config is not None:
        cfg = config.model
        known = Known(
            config.path.name,
            {key: [m.code for m in group.members] for key, group in cfg.recipients.items()},
            list(cfg.signers),
            list(cfg.units),
        )
        max_bytes = int(cfg.limits.enclosure_max_mb * 1_000_000)
        folders = [config.folder / f for f in cfg.limits.enclosure_folders]
        refs = References(directive_src, known, max_bytes, folders)
    else:
        refs = References(directive_src, None, int(Limits().enclosure_max_mb * 1_000_000))
    problems += refs.problems
    if problems or directive is None or config is None:
        raise InputError(problems)
    assert refs.group is not None and refs.signer is not None and refs.unit is not None
    group = config.model.recipients[refs.group]
    return Letter(
        directive=directive,
        config=config,
        path=path,
        source=directive_src,
        group=group,
        recipients=tuple(group.members[i] for i in refs.recipients),
        signer=config.model.signers[refs.signer],
        unit=config.model.units[refs.unit],
        enclosures=tuple(refs.enclosures),
        notes=tuple(date_notes(directive_src)),
    )


def summary(letter: Letter) -> str:
    """What ``letters check`` prints: enough for the clerk to recognise the letter."""
    d = letter.directive
    kind = "หนังสือเวียน (circular)" if d.kind == "circular" else "หนังสือภายนอก (external)"
    number = "อัตโนมัติจากทะเบียนส่ง (auto)" if d.auto_number else thai.thai_digits(d.number)
    addressed = letter.group.collective if d.to.address == "collective" else "ถึงแต่ละราย"
    lines = [
        f"ชนิด (kind): {kind}",
        f"เลขที่ (number): {number}",
        f"ลงวันที่ (date): {thai.thai_date(d.date)}",
        f"เรื่อง (subject): {d.subject}",
        f"ผู้รับ (recipients): {thai.thai_number(len(letter.recipients))} ราย ({addressed})",
        f"สิ่งที่ส่งมาด้วย (enclosures): {thai.thai_number(len(letter.enclosures))} รายการ",
    ]
    for i, enc in enumerate(letter.enclosures, 1):
        pages = thai.thai_digits(f"{enc.file.pages} หน้า") if enc.file.kind == "pdf" else "ภาพ"
        lines.append(f"  {thai.item_number(i)} {enc.title} ({enc.file.kind.upper()}, {pages})")
    lines.append(f"ผู้ลงนาม (signer): {letter.signer.name}")
    if d.follow_up is not None:
        tasks, due = thai.thai_number(len(d.follow_up.tasks)), thai.thai_date(d.follow_up.due)
        lines.append(f"ติดตามผล (follow-up): {tasks} งาน ภายใน {due}")
    lines.extend(letter.notes)
    without = [m for m in letter.recipients if not m.email]
    if without:
        lines.append(
            f"หมายเหตุ (note): ผู้รับ {thai.thai_number(len(without))} รายไม่มีอีเมล (no e-mail address); "
            "ส่งทางอีเมลไม่ได้จนกว่าจะใส่ email ใน config.yaml, พิมพ์ส่งได้ (letters print):"
        )
        lines.extend(f"  {m.code} {m.name}" for m in without)
    return "\n".join(lines)
