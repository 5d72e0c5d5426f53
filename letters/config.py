"""config.yaml: the office that writes, its units, signers, recipients, dispatch and layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from letters import source
from letters.check import config_problems, office_problems
from letters.errors import InputError, Problem
from letters.source import CONFIG_NAME as CONFIG_NAME
from letters.source import find_config as find_config

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Office(_Model):
    name: Text
    address: list[Text] = Field(default_factory=list)
    code: Text
    slogan: Text | None = None
    emblem: Text | None = None


class Unit(_Model):
    lines: list[Text] = Field(min_length=1)
    phone: Text | None = None
    fax: Text | None = None
    email: Text | None = None


class Signer(_Model):
    name: Text
    position: list[Text] = Field(default_factory=list)
    signature: Text | None = None


class Member(_Model):
    code: Text
    name: Text
    title: Text
    email: Text | None = None
    postal: list[Text] = Field(default_factory=list)


class Group(_Model):
    collective: Text
    salutation: Text = "เรียน"
    complimentary_close: Text = "ขอแสดงความนับถือ"
    members: list[Member] = Field(min_length=1)

    def member(self, code: str) -> Member | None:
        return next((m for m in self.members if m.code == code), None)


class Email(_Model):
    host: Text
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: Text
    username_env: Text | None = None
    password_env: Text | None = None
    per_minute: int = Field(default=30, ge=1)


class Dispatch(_Model):
    email: Email | None = None
    printer: Text | None = None


class Layout(_Model):
    """Every measure of the letter, with the defaults of the format document.

    The PDF and the DOCX renderers both read these: one source of truth for the layout.
    """

    margin_left_cm: float = Field(default=3.0, gt=0)
    margin_right_cm: float = Field(default=2.0, gt=0)
    margin_bottom_cm: float = Field(default=2.0, gt=0)
    margin_top_cm: float = Field(default=2.5, gt=0)  # pages 2 on
    garuda_height_cm: float = Field(default=3.0, gt=0)
    garuda_top_cm: float = Field(default=1.5, ge=0)
    page_number_top_cm: float = Field(default=1.5, ge=0)
    # Sizes are points of TH Sarabun New (letters/fonts.py: Sarabun is resized to its scale).
    font_size_pt: float = Field(default=16.0, gt=0)
    # The font the DOCX names, as Word on a government PC has it installed.
    font_name: Text = "TH Sarabun New"
    stamp_size_pt: float = Field(default=32.0, gt=0)
    # Word's single spacing of TH Sarabun New 16 pt on Windows: (usWinAscent 844 +
    # usWinDescent 457) / 1000 x 16 pt = 20.8 pt. Word for Windows, which government PCs run,
    # leaves hhea's line gap (30) out; Word for Mac adds it (21.3 pt). 33 lines to a page.
    line_pitch_pt: float = Field(default=20.8, gt=0)
    indent_cm: float = Field(default=2.5, ge=0)
    part_space_pt: float = Field(default=6.0, ge=0)
    paragraph_space_pt: float = Field(default=6.0, ge=0)
    close_space_pt: float = Field(default=12.0, ge=0)
    signature_lines: int = Field(default=3, ge=1)
    signature_height_cm: float = Field(default=1.5, gt=0)
    catchword: str = "/{word}..."
    page_number: str = "- {n} -"


class Limits(_Model):
    enclosure_max_mb: float = Field(default=20.0, gt=0)
    # Folders besides the directive's own (relative to config.yaml) enclosures may come from.
    enclosure_folders: list[Text] = Field(default_factory=list)


class Config(_Model):
    office: Office
    units: dict[str, Unit] = Field(min_length=1)
    signers: dict[str, Signer] = Field(min_length=1)
    recipients: dict[str, Group] = Field(min_length=1)
    dispatch: Dispatch = Field(default_factory=Dispatch)
    layout: Layout = Field(default_factory=Layout)
    limits: Limits = Field(default_factory=Limits)


class OfficeConfig:
    """A validated config with the folder its relative paths start from."""

    def __init__(self, model: Config, path: Path, src: source.Source) -> None:
        self.model = model
        self.path = path
        self.folder = path.parent
        self.source = src

    def resolve(self, relative: str) -> Path:
        return (self.folder / relative).resolve()

    @property
    def emblem(self) -> Path | None:
        emblem = self.model.office.emblem
        return self.resolve(emblem) if emblem else None


def load_config(path: Path, shown: str | None = None) -> OfficeConfig:
    src = source.load(path, shown)
    model, problems = src.validate(Config)
    problems += config_problems(src)
    problems += _file_problems(src, model)
    if problems or model is None:
        raise InputError(problems)
    return OfficeConfig(model, path, src)


def _file_problems(src: source.Source, model: Config | None) -> list[Problem]:
    """Checks across entries: unique recipient codes, files that must exist."""
    if model is None:
        return []
    return office_problems(
        src,
        {key: [m.code for m in group.members] for key, group in model.recipients.items()},
        {key: signer.signature for key, signer in model.signers.items()},
    )
