"""config.yaml: the office that writes, its units, signers, recipients, dispatch and layout."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from letters import source
from letters.errors import InputError, Problem
from letters.rules import (
    clean,
    config_problems,
    office_problems,
    placeholder_problems,
    said_once,
)
from letters.source import CONFIG_NAME as CONFIG_NAME
from letters.source import find_config as find_config

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# A recipient's code and name make its files' names (``letters/4301-เมืองหนองคาย.pdf``).
# The code: digits, or letters, digits and ``-``; nothing a path could be made of. The name:
# short enough for the file name to fit the 255 bytes file systems allow.
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,31}")
NAME_MAX_BYTES = 200
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# One plausible address: a dot-atom local part at a domain name with a dot, nothing else.
ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def _rule(fault: Callable[[str], str | None]) -> AfterValidator:
    """A field's rule: ``fault`` says what is wrong with the text, if anything. A text with
    characters no text may hold is not asked: ``letters.rules.text_problems`` says so."""

    def validate(value: Any) -> Any:
        text = clean(value) if isinstance(value, str) else None
        wrong = None if text is None else fault(text)
        if wrong:
            raise ValueError(wrong)
        return value

    return AfterValidator(validate)


def _code_fault(code: str) -> str | None:
    if CODE.fullmatch(code):
        return None
    return (
        f"รหัสผู้รับ '{code}' ใช้ไม่ได้ (invalid code): ใช้ตัวเลขอารบิก 0-9 ตัวอักษร "
        "A-Z a-z และ - ไม่เกิน ๓๒ ตัว เช่น 4301"
    )


def _name_fault(name: str) -> str | None:
    if len(name.encode()) <= NAME_MAX_BYTES:
        return None
    return (
        f"ชื่อยาวเกินกว่าจะใช้เป็นชื่อไฟล์ (too long for a file name): "
        f"ไม่เกิน {NAME_MAX_BYTES} ไบต์ (ประมาณ ๖๖ ตัวอักษรไทย) ใช้ชื่ออำเภอหรือหน่วยงานสั้น ๆ"
    )


def _address_fault(address: str) -> str | None:
    if _plausible(address):
        return None
    return (
        f"'{address}' ไม่ใช่ที่อยู่อีเมลเดียวที่ถูกต้อง (not one e-mail address): "
        "เขียนที่อยู่เดียว ไม่มีชื่อหรือเว้นวรรค เช่น saraban@amphoe.go.th"
    )


def _sender_fault(sender: str) -> str | None:
    if _one_sender(sender):
        return None
    return (
        f"'{sender}' ไม่ใช่ผู้ส่งหนึ่งราย (not one e-mail address): "
        "เขียนเป็น ชื่อสำนักงาน <saraban@...> หรือที่อยู่อีเมลเดียว"
    )


def _plausible(address: str) -> bool:
    return len(address) <= 254 and ADDR_SPEC.fullmatch(address) is not None


def _one_sender(sender: str) -> bool:
    """One mailbox, bare or ``Display Name <address>``, as an e-mail's From: holds it."""
    if _plausible(sender):
        return True
    import email.policy

    header = email.policy.default.header_factory("From", sender)
    groups: tuple[Any, ...] = getattr(header, "groups", ())
    if header.defects or len(groups) != 1 or groups[0].display_name is not None:
        return False
    addresses = groups[0].addresses
    return (
        len(addresses) == 1
        and _plausible(addresses[0].addr_spec)
        and sender.rstrip().endswith(f"<{addresses[0].addr_spec}>")
    )


def _catchword(template: str) -> str:
    """A ``str.format`` template that may hold ``{word}`` and nothing else."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(
            "วงเล็บปีกกา { } ไม่ครบคู่ (unmatched brace): เขียน {{ หรือ }} ถ้าต้องการให้พิมพ์วงเล็บปีกกาเอง"
        ) from None
    for _, field, spec, conversion in parts:
        if field is not None and (field != "word" or spec or conversion):
            shown = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(f"ไม่รู้จัก {shown} (unknown field): ใช้ได้เฉพาะ {{word}}")
    return template


def _page_number(template: str) -> str:
    """The page number: ``{n}`` once at most, printed with the text around it as typed."""
    fields = re.findall(r"\{[^{}]*\}", template)
    unknown = [f for f in fields if f != "{n}"]
    if unknown:
        raise ValueError(f"ไม่รู้จัก {unknown[0]} (unknown field): ใช้ได้เฉพาะ {{n}} (เลขหน้า)")
    if len(fields) > 1:
        raise ValueError("ใช้ {n} ได้ครั้งเดียว (page number twice)")
    return template


RecipientCode = Annotated[Text, _rule(_code_fault)]
RecipientName = Annotated[Text, _rule(_name_fault)]
Address = Annotated[Text, _rule(_address_fault)]
Sender = Annotated[Text, _rule(_sender_fault)]


def _password_hash(value: str) -> str:
    if not value.startswith(("scrypt:", "pbkdf2:")):
        raise ValueError(
            "ต้องเป็นรหัสผ่านที่เข้ารหัสแล้ว (a password hash, never the password): "
            "ใส่ค่าที่ letters serve --hash-password พิมพ์ออกมา"
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Office(_Model):
    name: Text
    address: list[Text] = Field(default_factory=list)
    code: Text
    slogan: Text | None = None
    emblem: Text | None = None
    # The government's organisation codes, for the e-saraban exchange file (letters.ecms).
    ministry_code: Text | None = None
    department_code: Text | None = None


class Unit(_Model):
    lines: list[Text] = Field(min_length=1)
    phone: Text | None = None
    fax: Text | None = None
    email: Text | None = None


class Signer(_Model):
    name: Text
    position: list[Text] = Field(default_factory=list)
    signature: Text | None = None
    # A digital signature (PAdES): the signer's PKCS#12 file, relative to config.yaml, and the
    # environment variable holding its password (never the password itself).
    certificate: Text | None = None
    certificate_password_env: Text | None = None

    @model_validator(mode="after")
    def _password_named(self) -> Signer:
        if self.certificate and not self.certificate_password_env:
            raise ValueError(
                "certificate ต้องมี certificate_password_env (the environment variable holding "
                "the certificate's password), เช่น LETTERS_CERT_PASSWORD"
            )
        return self


class Member(_Model):
    code: RecipientCode
    name: RecipientName
    title: Text
    email: Address | None = None
    postal: list[Text] = Field(default_factory=list)
    ministry_code: Text | None = None  # organisation codes for the e-saraban exchange file
    department_code: Text | None = None


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
    sender: Sender
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
    catchword: Annotated[str, AfterValidator(_catchword)] = "/{word}..."
    page_number: Annotated[str, AfterValidator(_page_number)] = "- {n} -"


class Limits(_Model):
    enclosure_max_mb: float = Field(default=20.0, gt=0)
    # Folders besides the directive's own (relative to config.yaml) enclosures may come from.
    enclosure_folders: list[Text] = Field(default_factory=list)


class PdfSettings(_Model):
    """``pdf:``: what the PDFs carry besides the printed page (all on; turn one off for an
    office whose printer or records system chokes on it). See README, "The electronic letter"."""

    text_layer: bool = True  # each line's text as typeset (/ActualText): copies back exactly
    archive: bool = True  # PDF/A-3b letters and bundles, enclosures attached as sources
    tagged: bool = True  # structure tree, /Lang th, the Garuda's alt text, decorations artifacts


class Signing(_Model):
    """``signing:``: digital signatures of letters (signers name their certificates)."""

    timestamp_url: Text | None = None  # an RFC 3161 server: PAdES B-T instead of B-B
    trust_roots: list[Text] = Field(default_factory=list)  # root CA files for letters verify


class WebUser(_Model):
    """One person of ``web.users``, who may use ``letters serve`` bound to a LAN address:
    ``clerk`` prepares and sends, ``signer`` approves. ``password_hash`` is what
    ``letters serve --hash-password`` prints (scrypt), never the password itself."""

    name: Text
    role: Literal["clerk", "signer"]
    password_hash: Annotated[str, AfterValidator(_password_hash)]
    signer: Text | None = None  # a key of ``signers``: then approves only the letters it signs


class Web(_Model):
    """``web:``: the web page (``letters serve``); ``users`` by their login name."""

    users: dict[str, WebUser] = Field(default_factory=dict)


class Config(_Model):
    office: Office
    web: Web = Field(default_factory=Web)
    pdf: PdfSettings = Field(default_factory=PdfSettings)
    signing: Signing = Field(default_factory=Signing)
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
    # A placeholder of ``letters init`` is said as one, not also as a wrong address or code.
    problems = said_once(placeholder_problems(src), problems)
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
        {key: signer.certificate for key, signer in model.signers.items()},
        model.signing.trust_roots,
    )
