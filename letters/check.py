"""``letters check`` without pydantic: plain rules for directive.yaml and config.yaml.

Importing pydantic and building the models takes most of the time ``letters check`` used
to need. A correct directive needs neither: ``check`` reads both files, holds every value
to plain rules that say what the models accept (``CONFIG``, ``DIRECTIVE``), runs the checks
it shares with ``load_letter`` (``References``, ``office_problems``) and prints the summary.
The plain rules only ever say yes: whatever they do not vouch for, right or wrong, goes to
``load_letter``, whose models report every problem with its message. tests/test_check.py
holds the rules equal to the models and both paths to the same verdict.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import string
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letters import source, thai
from letters.enclosure import Enclosure, EnclosureProblem
from letters.enclosure import load as load_enclosure
from letters.errors import InputError, Problem

Loc = tuple[str | int, ...]


class Unsure(Exception):
    """The plain rules cannot vouch for a value: the models decide."""


class Default(enum.Enum):
    """A field's default where it is not a plain value."""

    REQUIRED = "required"
    EMPTY_LIST = "an empty list"
    RECORD = "the record with its own defaults"


class Shape:
    """The plain rule for one field: the values it vouches for, as the model holds them."""

    def check(self, value: Any) -> Any:
        """``value`` as the model holds it, or ``Unsure``."""
        raise NotImplementedError


# pydantic strips what Unicode calls white space; str.strip() also strips these four.
_NOT_WHITE_TO_PYDANTIC = frozenset("\x1c\x1d\x1e\x1f")


@dataclass(frozen=True)
class Str(Shape):
    """``str``; with ``strip``, ``StringConstraints(strip_whitespace=True, min_length=...)``."""

    strip: bool = True
    min_length: int = 1

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Unsure
        if self.strip:
            if not _NOT_WHITE_TO_PYDANTIC.isdisjoint(value):
                raise Unsure
            value = value.strip()
        if len(value) < self.min_length:
            raise Unsure
        return value


@dataclass(frozen=True)
class Maybe(Shape):
    """``X | None``."""

    shape: Shape

    def check(self, value: Any) -> Any:
        return None if value is None else self.shape.check(value)


@dataclass(frozen=True)
class ListOf(Shape):
    item: Shape
    min_length: int = 0

    def check(self, value: Any) -> Any:
        if not isinstance(value, list) or len(value) < self.min_length:
            raise Unsure
        return [self.item.check(item) for item in value]


@dataclass(frozen=True)
class DictOf(Shape):
    """``dict[str, X]``."""

    value: Shape
    min_length: int = 0

    def check(self, value: Any) -> Any:
        if not isinstance(value, dict) or len(value) < self.min_length:
            raise Unsure
        return {key: self.value.check(item) for key, item in value.items()}


@dataclass(frozen=True)
class OneOf(Shape):
    """``Literal[...]`` of strings: the text exactly as written."""

    values: tuple[str, ...]

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.values:
            raise Unsure
        return value


_WHOLE = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")


@dataclass(frozen=True)
class Number(Shape):
    """``int`` or ``float`` with ``Field`` bounds, written as plain digits."""

    kind: type[int] | type[float]
    gt: float | None = None
    ge: float | None = None
    le: float | None = None

    def check(self, value: Any) -> Any:
        pattern = _WHOLE if self.kind is int else _DECIMAL
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise Unsure
        number = self.kind(value)
        if (
            (self.gt is not None and not number > self.gt)
            or (self.ge is not None and not number >= self.ge)
            or (self.le is not None and not number <= self.le)
        ):
            raise Unsure
        return number


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Date(Shape):
    """``datetime.date``, written ``YYYY-MM-DD``."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise Unsure
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise Unsure from None


@dataclass(frozen=True)
class Record(Shape):
    """A model with ``extra="forbid"``: each field's shape and its default.

    ``text_field``: a plain string stands for ``{text_field: string}`` (a ``mode="before"``
    model validator, as ``Paragraph`` has).
    """

    fields: Mapping[str, tuple[Shape, Any]]
    text_field: str | None = None

    def check(self, value: Any) -> Any:
        if self.text_field is not None and isinstance(value, str):
            value = {self.text_field: value}
        if not isinstance(value, dict) or not value.keys() <= self.fields.keys():
            raise Unsure
        out: dict[str, Any] = {}
        for name, (shape, default) in self.fields.items():
            if name in value:
                out[name] = shape.check(value[name])
            elif default is Default.REQUIRED:
                raise Unsure
            elif default is Default.EMPTY_LIST:
                out[name] = []
            elif default is Default.RECORD:
                out[name] = shape.check({})
            else:
                out[name] = default
        return out


# The models of letters.config and letters.directive, field by field, in plain rules.
REQUIRED, EMPTY, OWN = Default.REQUIRED, Default.EMPTY_LIST, Default.RECORD
TEXT = Str()
MAYBE_TEXT = (Maybe(TEXT), None)

OFFICE = Record(
    {
        "name": (TEXT, REQUIRED),
        "address": (ListOf(TEXT), EMPTY),
        "code": (TEXT, REQUIRED),
        "slogan": MAYBE_TEXT,
        "emblem": MAYBE_TEXT,
    }
)
UNIT = Record(
    {
        "lines": (ListOf(TEXT, min_length=1), REQUIRED),
        "phone": MAYBE_TEXT,
        "fax": MAYBE_TEXT,
        "email": MAYBE_TEXT,
    }
)
SIGNER = Record(
    {"name": (TEXT, REQUIRED), "position": (ListOf(TEXT), EMPTY), "signature": MAYBE_TEXT}
)
MEMBER = Record(
    {
        "code": (TEXT, REQUIRED),
        "name": (TEXT, REQUIRED),
        "title": (TEXT, REQUIRED),
        "email": MAYBE_TEXT,
        "postal": (ListOf(TEXT), EMPTY),
    }
)
GROUP = Record(
    {
        "collective": (TEXT, REQUIRED),
        "salutation": (TEXT, "เรียน"),
        "complimentary_close": (TEXT, "ขอแสดงความนับถือ"),
        "members": (ListOf(MEMBER, min_length=1), REQUIRED),
    }
)
EMAIL = Record(
    {
        "host": (TEXT, REQUIRED),
        "port": (Number(int, ge=1, le=65535), 587),
        "security": (OneOf(("starttls", "ssl", "none")), "starttls"),
        "sender": (TEXT, REQUIRED),
        "username_env": MAYBE_TEXT,
        "password_env": MAYBE_TEXT,
        "per_minute": (Number(int, ge=1), 30),
    }
)
DISPATCH = Record({"email": (Maybe(EMAIL), None), "printer": MAYBE_TEXT})
_POSITIVE, _NOT_NEGATIVE = Number(float, gt=0), Number(float, ge=0)
LAYOUT = Record(
    {
        "margin_left_cm": (_POSITIVE, 3.0),
        "margin_right_cm": (_POSITIVE, 2.0),
        "margin_bottom_cm": (_POSITIVE, 2.0),
        "margin_top_cm": (_POSITIVE, 2.5),
        "garuda_height_cm": (_POSITIVE, 3.0),
        "garuda_top_cm": (_NOT_NEGATIVE, 1.5),
        "page_number_top_cm": (_NOT_NEGATIVE, 1.5),
        "font_size_pt": (_POSITIVE, 16.0),
        "font_name": (TEXT, "TH Sarabun New"),
        "stamp_size_pt": (_POSITIVE, 32.0),
        "line_pitch_pt": (_POSITIVE, 20.8),
        "indent_cm": (_NOT_NEGATIVE, 2.5),
        "part_space_pt": (_NOT_NEGATIVE, 6.0),
        "paragraph_space_pt": (_NOT_NEGATIVE, 6.0),
        "close_space_pt": (_NOT_NEGATIVE, 12.0),
        "signature_lines": (Number(int, ge=1), 3),
        "signature_height_cm": (_POSITIVE, 1.5),
        "catchword": (Str(strip=False, min_length=0), "/{word}..."),
        "page_number": (Str(strip=False, min_length=0), "- {n} -"),
    }
)
LIMITS = Record({"enclosure_max_mb": (_POSITIVE, 20.0), "enclosure_folders": (ListOf(TEXT), EMPTY)})
CONFIG = Record(
    {
        "office": (OFFICE, REQUIRED),
        "units": (DictOf(UNIT, min_length=1), REQUIRED),
        "signers": (DictOf(SIGNER, min_length=1), REQUIRED),
        "recipients": (DictOf(GROUP, min_length=1), REQUIRED),
        "dispatch": (DISPATCH, OWN),
        "layout": (LAYOUT, OWN),
        "limits": (LIMITS, OWN),
    }
)

SPEEDS = ("ปกติ", "ด่วน", "ด่วนมาก", "ด่วนที่สุด")
SECRECIES = ("ปกติ", "ลับ", "ลับมาก", "ลับที่สุด")
TO = Record(
    {
        "group": (TEXT, REQUIRED),
        "only": (Maybe(ListOf(TEXT)), None),
        "address": (OneOf(("collective", "each")), "collective"),
    }
)
ENCLOSURE_ENTRY = Record(
    {"title": (TEXT, REQUIRED), "quantity": (TEXT, REQUIRED), "file": (TEXT, REQUIRED)}
)
PARAGRAPH = Record({"text": (TEXT, REQUIRED), "items": (ListOf(TEXT), EMPTY)}, text_field="text")
FOLLOW_UP = Record({"due": (Date(), REQUIRED), "tasks": (ListOf(TEXT, min_length=1), REQUIRED)})
DIRECTIVE = Record(
    {
        "kind": (OneOf(("external", "circular")), REQUIRED),
        "number": (TEXT, "auto"),
        "date": (Date(), REQUIRED),
        "speed": (OneOf(SPEEDS), "ปกติ"),
        "secrecy": (OneOf(SECRECIES), "ปกติ"),
        "subject": (TEXT, REQUIRED),
        "to": (TO, REQUIRED),
        "references": (ListOf(TEXT), EMPTY),
        "enclosures": (ListOf(ENCLOSURE_ENTRY), EMPTY),
        "body": (ListOf(PARAGRAPH, min_length=1), REQUIRED),
        "closing": (TEXT, REQUIRED),
        "signer": (TEXT, REQUIRED),
        "owner": (TEXT, REQUIRED),
        "copies": (ListOf(TEXT), EMPTY),
        "follow_up": (Maybe(FOLLOW_UP), None),
    }
)


@dataclass(frozen=True)
class Known:
    """What a directive may name in its config: the keys, and each group's member codes."""

    config_name: str
    groups: Mapping[str, Sequence[str]]
    signers: Sequence[str]
    units: Sequence[str]


class References:
    """What the directive names elsewhere: config keys, recipient codes, enclosure files.

    Checked on the raw data, so these problems are reported together with any other
    problem of the same file, even when the directive as a whole does not validate.
    Found: the keys of ``group``, ``signer`` and ``unit``, and ``recipients`` as indexes
    into the group's members.
    """

    def __init__(
        self,
        src: source.Source,
        known: Known | None,
        max_bytes: int,
        folders: Sequence[Path] = (),
    ) -> None:
        """``folders``: where enclosures may come from besides the directive's folder (those
        config.yaml names in ``limits.enclosure_folders``)."""
        self.src = src
        self.problems: list[Problem] = []
        self.recipients: list[int] = []
        self.enclosures: list[Enclosure] = []
        data = src.data if isinstance(src.data, dict) else {}
        self.group: str | None = None
        self.signer: str | None = None
        self.unit: str | None = None
        if known is not None:
            self.config_name = known.config_name
            raw_to = data.get("to")
            to: dict[str, Any] = raw_to if isinstance(raw_to, dict) else {}
            self.group = self._lookup(("to", "group"), to.get("group"), known.groups)
            if self.group is not None:
                self._members(to.get("only"), known.groups[self.group])
            self.signer = self._lookup(("signer",), data.get("signer"), known.signers)
            self.unit = self._lookup(("owner",), data.get("owner"), known.units)
        self._enclosures(data.get("enclosures"), src.path.parent, max_bytes, folders)
        self._dates(data)

    def _lookup(self, loc: Loc, key: Any, known: Mapping[str, Any] | Sequence[str]) -> str | None:
        if not isinstance(key, str) or not key.strip():
            return None
        if key.strip() in known:
            return key.strip()
        what, english = _WHAT[str(loc[0])]
        choices = ", ".join(known) or "-"
        self.problems.append(
            self.src.problem(
                loc,
                f"ไม่มี{what} '{key}' ใน {self.config_name} (unknown {english}); ที่มี: {choices}",
            )
        )
        return None

    def _members(self, only: Any, codes: Sequence[str]) -> None:
        if not isinstance(only, list):
            self.recipients = list(range(len(codes)))
            return
        for i, code in enumerate(only):
            if not isinstance(code, str):
                continue
            wanted = thai.arabic_digits(code.strip())
            if wanted not in codes:
                self.problems.append(
                    self.src.problem(
                        ("to", "only", i),
                        f"ไม่มีรหัสผู้รับ '{code}' ในกลุ่มนี้ (unknown recipient code); "
                        f"ที่มี: {', '.join(codes)}",
                    )
                )
            elif codes.index(wanted) not in self.recipients:
                self.recipients.append(codes.index(wanted))

    def _enclosures(
        self, entries: Any, folder: Path, max_bytes: int, folders: Sequence[Path]
    ) -> None:
        if not isinstance(entries, list):
            return
        for i, entry in enumerate(entries):
            file = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(file, str) or not file.strip():
                continue
            try:
                loaded = load_enclosure(folder / file.strip(), max_bytes, (folder, *folders))
            except EnclosureProblem as exc:
                self.problems.append(
                    self.src.problem(("enclosures", i, "file"), f"'{file}': {exc}")
                )
                continue
            except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.problems.append(
                    self.src.problem(
                        ("enclosures", i, "file"),
                        f"ใช้ชื่อไฟล์นี้ไม่ได้ (cannot read the file: {reason}): "
                        "ตั้งชื่อไฟล์ให้สั้นลง ไม่มีอักขระพิเศษ",
                    )
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


def office_problems(
    src: source.Source,
    groups: Mapping[str, Sequence[str]],
    signatures: Mapping[str, str | None],
) -> list[Problem]:
    """Checks across the entries of a valid config: unique recipient codes, signature files.

    The emblem may be missing (the letter then shows a marked placeholder and a warning).
    """
    problems = []
    for name, codes in groups.items():
        seen: dict[str, int] = {}
        for i, code in enumerate(codes):
            if code in seen:
                first = src.where(("recipients", name, "members", seen[code], "code"))[0]
                problems.append(
                    src.problem(
                        ("recipients", name, "members", i, "code"),
                        f"รหัสผู้รับซ้ำ (duplicate code) '{code}': มีแล้วที่บรรทัด {first}",
                    )
                )
            seen.setdefault(code, i)
    for key, signature in signatures.items():
        if signature and not _is_file(src.path.parent / signature):
            problems.append(
                src.problem(
                    ("signers", key, "signature"),
                    f"ไม่พบไฟล์ลายมือชื่อ '{signature}' (no such file)",
                )
            )
    return problems


def _is_file(path: Path) -> bool:
    """True also of a name no file can have (too long, a NUL byte): config_problems says so."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return True


# --- rules on the text as typed, shared by ``quick`` and ``load_letter`` ---------------------
#
# They look at the raw data, so their problems come with every other problem of the file;
# a value that is not text is left to the models. ``*`` in a place stands for any key or index.

Place = tuple[str, ...]

# Fields whose text may run over several lines (a ``|`` block): the body's paragraphs and
# items and the closing paragraph. Every other text is one line.
DIRECTIVE_MULTILINE: tuple[Place, ...] = (
    ("body", "*"),
    ("body", "*", "text"),
    ("body", "*", "items", "*"),
    ("closing",),
)
# Texts the models keep as typed (not stripped): checked whole.
CONFIG_UNSTRIPPED: tuple[Place, ...] = (("layout", "catchword"), ("layout", "page_number"))

MEMBER_CODE: Place = ("recipients", "*", "members", "*", "code")
MEMBER_EMAIL: Place = ("recipients", "*", "members", "*", "email")
MEMBER_NAME: Place = ("recipients", "*", "members", "*", "name")
SENDER: Place = ("dispatch", "email", "sender")
# Files config.yaml names, relative to its folder.
CONFIG_FILES: tuple[Place, ...] = (("office", "emblem"), ("signers", "*", "signature"))
CATCHWORD: Place = ("layout", "catchword")
PAGE_NUMBER: Place = ("layout", "page_number")
DATE_FIELDS: tuple[Place, ...] = (("date",), ("follow_up", "due"))

# A recipient's code and name make its files' names (``letters/4301-เมืองหนองคาย.pdf``).
# The code: digits, or letters, digits and ``-``; nothing a path could be made of. The name:
# short enough for the file name to fit the 255 bytes file systems allow.
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,31}")
NAME_MAX_BYTES = 200
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# One plausible address: a dot-atom local part at a domain name with a dot, nothing else.
ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# What pydantic's strip_whitespace strips: Unicode white space, which \x1c-\x1f are not.
_WHITE = "".join(
    ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"
)
# Not in any text: control characters (C0, DEL, C1), lone surrogates, line and paragraph
# separators, and U+FFFE and U+FFFF, which XML (DOCX, XLSX) cannot hold. A line feed only in
# the fields of DIRECTIVE_MULTILINE.
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_NOT_CHARACTERS = frozenset("\ufffe\uffff")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")


def _matches(loc: Loc, place: Place) -> bool:
    return len(loc) == len(place) and all(
        p in ("*", str(part)) for part, p in zip(loc, place, strict=True)
    )


def _walk(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any, bool]]:
    """Every text of ``data`` with its place: (loc, text, is_key)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*loc, key), key, True
            yield from _walk(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, (*loc, i))
    elif isinstance(data, str):
        yield loc, data, False


def _texts_at(data: Any, place: Place) -> Iterator[tuple[Loc, str]]:
    for loc, text, is_key in _walk(data):
        if not is_key and _matches(loc, place):
            yield loc, text


def _bad_character(text: str, *, multiline: bool) -> str | None:
    """What is wrong with the first character that has no place in the text, if any."""
    for ch in text:
        if ch == "\n" and multiline:
            continue
        if ch in _NOT_CHARACTERS:
            return f"มีรหัส U+{ord(ch):04X} ที่ไม่ใช่ตัวอักษร (not a character) ในข้อความ: ลบออกแล้วพิมพ์ใหม่"
        if unicodedata.category(ch) not in _BAD_CATEGORIES:
            continue
        if ch in _LINE_BREAKS:
            return "ขึ้นบรรทัดใหม่ในช่องนี้ไม่ได้ (line break in a one-line field): เขียนต่อกันเป็นบรรทัดเดียว"
        if ch == "\t":
            return "มีแท็บ (tab) ในข้อความ: ใช้การเว้นวรรคแทน"
        return f"มีอักขระควบคุม U+{ord(ch):04X} (control character) ในข้อความ: ลบออกแล้วพิมพ์ใหม่"
    return None


def text_problems(
    src: source.Source,
    multiline: Sequence[Place] = (),
    unstripped: Sequence[Place] = (),
) -> list[Problem]:
    """Control characters in any text of the file, line breaks in a one-line text.

    Printed back to a terminal, such characters can rewrite the screen; in a subject or an
    address they break the letter's lines and the e-mail's headers.
    """
    problems = []
    for loc, text, is_key in _walk(src.data):
        many = not is_key and any(_matches(loc, place) for place in multiline)
        whole = is_key or any(_matches(loc, place) for place in unstripped)
        wrong = _bad_character(text if whole else text.strip(_WHITE), multiline=many)
        if wrong:
            problems.append(src.problem(loc, wrong, key=is_key))
    return problems


def _clean(text: str) -> str | None:
    """The stripped text when it is worth a further rule: not empty (the models say so) and
    without characters ``text_problems`` reports."""
    text = text.strip(_WHITE)
    if not text or _bad_character(text, multiline=False):
        return None
    return text


def config_problems(src: source.Source) -> list[Problem]:
    """The rules of config.yaml's texts: one-line texts, recipient codes, e-mail addresses,
    the catch-word and page-number templates."""
    problems = text_problems(src, unstripped=CONFIG_UNSTRIPPED)
    # (where, the value's fault or None, the message naming the value)
    rules: tuple[tuple[Any, Callable[[str], bool], Callable[[str], str]], ...] = (
        (
            MEMBER_CODE,
            lambda code: not CODE.fullmatch(code),
            lambda code: (
                f"รหัสผู้รับ '{code}' ใช้ไม่ได้ (invalid code): ใช้ตัวเลขอารบิก 0-9 ตัวอักษร "
                "A-Z a-z และ - ไม่เกิน ๓๒ ตัว เช่น 4301"
            ),
        ),
        (
            MEMBER_NAME,
            lambda name: len(name.encode()) > NAME_MAX_BYTES,
            lambda name: (
                f"ชื่อยาวเกินกว่าจะใช้เป็นชื่อไฟล์ (too long for a file name): "
                f"ไม่เกิน {NAME_MAX_BYTES} ไบต์ (ประมาณ ๖๖ ตัวอักษรไทย) ใช้ชื่ออำเภอหรือหน่วยงานสั้น ๆ"
            ),
        ),
        (
            MEMBER_EMAIL,
            lambda address: not _plausible(address),
            lambda address: (
                f"'{address}' ไม่ใช่ที่อยู่อีเมลเดียวที่ถูกต้อง (not one e-mail address): "
                "เขียนที่อยู่เดียว ไม่มีชื่อหรือเว้นวรรค เช่น saraban@amphoe.go.th"
            ),
        ),
        (
            SENDER,
            lambda sender: not _one_sender(sender),
            lambda sender: (
                f"'{sender}' ไม่ใช่ผู้ส่งหนึ่งราย (not one e-mail address): "
                "เขียนเป็น ชื่อสำนักงาน <saraban@...> หรือที่อยู่อีเมลเดียว"
            ),
        ),
    )
    for where, faulty, message in rules:
        for loc, text in _texts_at(src.data, where):
            value = _clean(text)
            if value is not None and faulty(value):
                problems.append(src.problem(loc, message(value)))
    for place in CONFIG_FILES:
        for loc, text in _texts_at(src.data, place):
            name = _clean(text)
            reason = None if name is None else _unusable(src.path.parent / name)
            if reason is not None:
                problems.append(
                    src.problem(
                        loc,
                        f"ใช้ชื่อไฟล์นี้ไม่ได้ (cannot use this file name: {reason}): "
                        "ตั้งชื่อไฟล์และโฟลเดอร์ให้สั้นลง",
                    )
                )
    for loc, text in _texts_at(src.data, CATCHWORD):
        wrong = _template_problem(text, "word")
        if wrong:
            problems.append(src.problem(loc, wrong))
    for loc, text in _texts_at(src.data, PAGE_NUMBER):
        wrong = _page_number_problem(text)
        if wrong:
            problems.append(src.problem(loc, wrong))
    return problems


def _unusable(path: Path) -> str | None:
    """Why no file can ever be found at ``path`` (a name too long...), if so; a file that is
    missing is not this (``office_problems`` says so of a signature, the build of an emblem)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError as exc:
        return str(exc)
    return None


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


def _template_problem(template: str, name: str) -> str | None:
    """A ``str.format`` template that may hold ``{name}`` and nothing else."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return "วงเล็บปีกกา { } ไม่ครบคู่ (unmatched brace): เขียน {{ หรือ }} ถ้าต้องการให้พิมพ์วงเล็บปีกกาเอง"
    for _, field, spec, conversion in parts:
        if field is not None and (field != name or spec or conversion):
            shown = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return f"ไม่รู้จัก {shown} (unknown field): ใช้ได้เฉพาะ {{{name}}}"
    return None


def _page_number_problem(template: str) -> str | None:
    """The page number: ``{n}`` once at most, printed with the text around it as typed."""
    fields = re.findall(r"\{[^{}]*\}", template)
    unknown = [f for f in fields if f != "{n}"]
    if unknown:
        return f"ไม่รู้จัก {unknown[0]} (unknown field): ใช้ได้เฉพาะ {{n}} (เลขหน้า)"
    if len(fields) > 1:
        return "ใช้ {n} ได้ครั้งเดียว (page number twice)"
    return None


def typed_dates(src: source.Source, today: dt.date | None = None) -> list[Problem]:
    """Read the directive's dates as the clerk typed them (``letters.thai.typed_date``).

    Each date read becomes its ISO text in ``src.data``, for the models; ``src.notes`` says
    when a year was read as พ.ศ. and warns of a date more than a year from ``today``. A date
    that cannot be read is a problem; a value that is not text is left to the models.
    """
    today = today or dt.date.today()
    problems = []
    warned = False
    data = src.data if isinstance(src.data, dict) else {}
    for place in DATE_FIELDS:
        parent: Any = data
        for part in place[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        text = parent.get(place[-1]) if isinstance(parent, dict) else None
        if not isinstance(text, str):
            continue
        try:
            typed = thai.typed_date(text)
        except ValueError as exc:
            problems.append(src.problem(place, str(exc)))
            continue
        parent[place[-1]] = typed.day.isoformat()
        line, column = src.where(place)
        where = f"{src.name}:{line}:{column}: {source.field_path(place)}"
        shown = text.strip()
        if typed.buddhist:
            src.notes.append(
                f"{where}: หมายเหตุ (note): อ่าน '{shown}' เป็นปี {typed.understood} "
                "(Buddhist-era year)"
            )
        if thai.years_apart(typed.day, today) and not warned:
            warned = True  # the due date of a letter far away in time is far away too
            src.notes.append(
                f"{where}: คำเตือน (warning): {thai.thai_date(typed.day)} ห่างจากวันนี้เกินหนึ่งปี "
                f"(more than a year from today): อ่าน '{shown}' เป็น {typed.understood}; "
                "ถ้าไม่ใช่ แก้ปีให้ถูก"
            )
    return problems


def directive_problems(src: source.Source, today: dt.date | None = None) -> list[Problem]:
    """The rules of directive.yaml's texts: dates read in place, one-line texts."""
    return typed_dates(src, today) + text_problems(src, multiline=DIRECTIVE_MULTILINE)


def describe(
    *,
    kind: str,
    number: str,
    date: dt.date,
    subject: str,
    recipients: int,
    address: str,
    collective: str,
    enclosures: Sequence[Enclosure],
    signer: str,
    follow_up: tuple[int, dt.date] | None,
    notes: Sequence[str] = (),
) -> str:
    """What ``letters check`` prints: enough for the clerk to recognise the letter."""
    kind_text = "หนังสือเวียน (circular)" if kind == "circular" else "หนังสือภายนอก (external)"
    number_text = "อัตโนมัติจากทะเบียนส่ง (auto)" if number == "auto" else thai.thai_digits(number)
    lines = [
        f"ชนิด (kind): {kind_text}",
        f"เลขที่ (number): {number_text}",
        f"ลงวันที่ (date): {thai.thai_date(date)}",
        f"เรื่อง (subject): {subject}",
        f"ผู้รับ (recipients): {thai.thai_number(recipients)} ราย "
        f"({collective if address == 'collective' else 'ถึงแต่ละราย'})",
        f"สิ่งที่ส่งมาด้วย (enclosures): {thai.thai_number(len(enclosures))} รายการ",
    ]
    for i, enc in enumerate(enclosures, 1):
        pages = thai.thai_digits(f"{enc.file.pages} หน้า") if enc.file.kind == "pdf" else "ภาพ"
        lines.append(f"  {thai.item_number(i)} {enc.title} ({enc.file.kind.upper()}, {pages})")
    lines.append(f"ผู้ลงนาม (signer): {signer}")
    if follow_up is not None:
        tasks, due = follow_up
        lines.append(
            f"ติดตามผล (follow-up): {thai.thai_number(tasks)} งาน ภายใน {thai.thai_date(due)}"
        )
    lines.extend(notes)
    return "\n".join(lines)


def check(path: Path, config_path: Path | None = None) -> str:
    """The summary of a correct directive; a wrong one raises what ``load_letter`` raises."""
    text = quick(path, config_path)
    if text is None:
        from letters.directive import load_letter, summary

        text = summary(load_letter(path, config_path))
    return text


def quick(path: Path, config_path: Path | None = None) -> str | None:
    """The summary, when the plain rules vouch for both files and nothing they name is
    wrong; else None (``load_letter`` then says what is wrong, or that all is well)."""
    try:
        directive_src = source.load(path)
        config_src = source.load(source.find_config(path, config_path))
        if directive_problems(directive_src) or config_problems(config_src):
            return None
        config = CONFIG.check(config_src.data)
        directive = DIRECTIVE.check(directive_src.data)
    except (InputError, Unsure):
        return None
    recipients: dict[str, Any] = config["recipients"]
    groups = {key: [m["code"] for m in group["members"]] for key, group in recipients.items()}
    signers: dict[str, Any] = config["signers"]
    signatures = {key: signer["signature"] for key, signer in signers.items()}
    if office_problems(config_src, groups, signatures):
        return None
    known = Known(config_src.path.name, groups, list(signers), list(config["units"]))
    max_bytes = int(config["limits"]["enclosure_max_mb"] * 1_000_000)
    folders = [config_src.path.parent / f for f in config["limits"]["enclosure_folders"]]
    refs = References(directive_src, known, max_bytes, folders)
    if refs.problems or refs.group is None or refs.signer is None:
        return None
    follow = directive["follow_up"]
    return describe(
        kind=directive["kind"],
        number=directive["number"],
        date=directive["date"],
        subject=directive["subject"],
        recipients=len(refs.recipients),
        address=directive["to"]["address"],
        collective=recipients[refs.group]["collective"],
        enclosures=refs.enclosures,
        signer=signers[refs.signer]["name"],
        follow_up=None if follow is None else (len(follow["tasks"]), follow["due"]),
        notes=directive_src.notes,
    )
