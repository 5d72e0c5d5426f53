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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from letters import source
from letters.check import SECRECIES as SECRECIES
from letters.check import SPEEDS as SPEEDS
from letters.check import Known, References, describe, directive_problems
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
from letters.enclosure import Enclosure as Enclosure
from letters.errors import InputError, Problem

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


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
    typed = directive_problems(directive_src)
    problems += typed
    directive, found = directive_src.validate(Directive)
    # A date that cannot be read is said once, by directive_problems.
    problems += [p for p in found if p.field not in {t.field for t in typed}]
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
    )


def summary(letter: Letter) -> str:
    """What ``letters check`` prints: enough for the clerk to recognise the letter."""
    d = letter.directive
    return describe(
        kind=d.kind,
        number=d.number,
        date=d.date,
        subject=d.subject,
        recipients=len(letter.recipients),
        address=d.to.address,
        collective=letter.group.collective,
        enclosures=letter.enclosures,
        signer=letter.signer.name,
        follow_up=None if d.follow_up is None else (len(d.follow_up.tasks), d.follow_up.due),
        notes=letter.source.notes,
    )
