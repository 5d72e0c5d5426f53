"""The rules of directive.yaml and config.yaml that look beyond one value of one model.

The models (letters.config, letters.directive) say what each field holds. These rules work
on the data as read (``source.Source``), so their problems are reported together with the
models' problems of the same file, even when the file as a whole does not validate:

- what a directive names elsewhere: its config's group, recipient codes, signer and unit,
  and its enclosure files (``References``);
- across the entries of a config: unique recipient codes, signature files, file names
  (``office_problems``, ``file_name_problems``);
- characters no text may hold, and line breaks in one-line texts (``text_problems``);
- what the clerk should know of how a date was read (``date_notes``).

A value that is not text is left to the models. ``*`` in a place stands for any key or index.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letters import source, thai
from letters.enclosure import Enclosure, EnclosureProblem
from letters.enclosure import load as load_enclosure
from letters.errors import Problem

Loc = tuple[str | int, ...]
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
# Files config.yaml names, relative to its folder.
CONFIG_FILES: tuple[Place, ...] = (("office", "emblem"), ("signers", "*", "signature"))
# The directive's dates, as the clerk may type them (``letters.thai.typed_date``).
DATE_FIELDS: tuple[Place, ...] = (("date",), ("follow_up", "due"))


# --- what a directive names elsewhere -------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What a directive may name in its config: the keys, and each group's member codes."""

    config_name: str
    groups: Mapping[str, Sequence[str]]
    signers: Sequence[str]
    units: Sequence[str]


_WHAT = {
    "to": ("กลุ่มผู้รับ", "recipient group"),
    "signer": ("ผู้ลงนาม", "signer"),
    "owner": ("ส่วนราชการเจ้าของเรื่อง", "unit"),
}


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
            due = thai.typed_date(str(follow.get("due"))).day
            date = thai.typed_date(str(data.get("date"))).day
        except ValueError:
            return  # the model reports dates that cannot be read
        if due < date:
            self.problems.append(
                self.src.problem(
                    ("follow_up", "due"),
                    "วันครบกำหนดอยู่ก่อนวันที่ของหนังสือ (due date before the letter's date)",
                )
            )


# --- across the entries of a config ---------------------------------------------------


def office_problems(
    src: source.Source,
    groups: Mapping[str, Sequence[str]],
    signatures: Mapping[str, str | None],
    certificates: Mapping[str, str | None] | None = None,
    trust_roots: Sequence[str] = (),
) -> list[Problem]:
    """Checks across the entries of a valid config: unique recipient codes, the files of
    signatures, certificates and trusted roots.

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
    for key, certificate in (certificates or {}).items():
        if certificate and not _is_file(src.path.parent / certificate):
            problems.append(
                src.problem(
                    ("signers", key, "certificate"),
                    f"ไม่พบไฟล์ใบรับรอง '{certificate}' (no such file): ไฟล์ .p12/.pfx ของผู้ลงนาม",
                )
            )
    for i, root in enumerate(trust_roots):
        if not _is_file(src.path.parent / root):
            problems.append(
                src.problem(("signing", "trust_roots", i), f"ไม่พบไฟล์ '{root}' (no such file)")
            )
    return problems


def _is_file(path: Path) -> bool:
    """True also of a name no file can have (too long, a NUL byte): file_name_problems says so."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return True


def file_name_problems(src: source.Source) -> list[Problem]:
    """The files config.yaml names (emblem, signatures) under a name no file can have."""
    problems = []
    for place in CONFIG_FILES:
        for loc, text in _texts_at(src.data, place):
            name = clean(text)
            reason = None if name is None else _unusable(src.path.parent / name)
            if reason is not None:
                problems.append(
                    src.problem(
                        loc,
                        f"ใช้ชื่อไฟล์นี้ไม่ได้ (cannot use this file name: {reason}): "
                        "ตั้งชื่อไฟล์และโฟลเดอร์ให้สั้นลง",
                    )
                )
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


# --- characters no text may hold ------------------------------------------------------

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


def bad_character(text: str, *, multiline: bool = False) -> str | None:
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
    dates: Sequence[Place] = (),
) -> list[Problem]:
    """Control characters in any text of the file, line breaks in a one-line text.

    Printed back to a terminal, such characters can rewrite the screen; in a subject or an
    address they break the letter's lines and the e-mail's headers. A text at ``dates`` that
    reads as a date is kept as the date it says, not as text: it is not held to these rules.
    """
    problems = []
    for loc, text, is_key in _walk(src.data):
        if not is_key and any(_matches(loc, place) for place in dates) and _reads(text):
            continue
        many = not is_key and any(_matches(loc, place) for place in multiline)
        whole = is_key or any(_matches(loc, place) for place in unstripped)
        wrong = bad_character(text if whole else text.strip(_WHITE), multiline=many)
        if wrong:
            problems.append(src.problem(loc, wrong, key=is_key))
    return problems


def _reads(text: str) -> bool:
    try:
        thai.typed_date(text)
    except ValueError:
        return False
    return True


def clean(text: str) -> str | None:
    """The stripped text when it is worth a further rule: not empty (the models say so) and
    without characters ``text_problems`` reports."""
    text = text.strip(_WHITE)
    if not text or bad_character(text):
        return None
    return text


def config_problems(src: source.Source) -> list[Problem]:
    """The rules of config.yaml's texts besides its model's: characters, file names."""
    return text_problems(src, unstripped=CONFIG_UNSTRIPPED) + file_name_problems(src)


# ``letters init`` writes the office's own details as texts that begin with this mark.
PLACEHOLDER = "(กรอก)"


def placeholder_problems(src: source.Source) -> list[Problem]:
    """Every value still holding the mark of ``letters init``: none may reach a letter."""
    return [
        src.problem(
            loc,
            f"ยังไม่ได้กรอก (placeholder to fill in): แทน '{text.strip()}' ด้วยข้อมูลของสำนักงาน",
        )
        for loc, text, is_key in _walk(src.data)
        if not is_key and text.strip().startswith(PLACEHOLDER)
    ]


def said_once(first: Sequence[Problem], then: Sequence[Problem]) -> list[Problem]:
    """``first``, and those of ``then`` about a field ``first`` does not already speak of."""
    spoken = {(p.file, p.field) for p in first}
    return [*first, *(p for p in then if (p.file, p.field) not in spoken)]


def directive_problems(src: source.Source) -> list[Problem]:
    """The rules of directive.yaml's texts besides its model's: characters, line breaks."""
    return text_problems(src, multiline=DIRECTIVE_MULTILINE, dates=DATE_FIELDS)


# --- how a date was read --------------------------------------------------------------


def date_notes(src: source.Source, today: dt.date | None = None) -> list[str]:
    """What the clerk should know of the directive's dates as typed: a year read as พ.ศ.,
    and (once) a date more than a year from ``today``. Dates that cannot be read are the
    model's to report (``letters.directive.TypedDay``)."""
    today = today or dt.date.today()
    notes = []
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
        except ValueError:
            continue
        line, column = src.where(place)
        where = f"{src.name}:{line}:{column}: {source.field_path(place)}"
        shown = text.strip()
        if typed.buddhist:
            notes.append(
                f"{where}: หมายเหตุ (note): อ่าน '{shown}' เป็นปี {typed.understood} "
                "(Buddhist-era year)"
            )
        if thai.years_apart(typed.day, today) and not warned:
            warned = True  # the due date of a letter far away in time is far away too
            notes.append(
                f"{where}: คำเตือน (warning): {thai.thai_date(typed.day)} ห่างจากวันนี้เกินหนึ่งปี "
                f"(more than a year from today): อ่าน '{shown}' เป็น {typed.understood}; "
                "ถ้าไม่ใช่ แก้ปีให้ถูก"
            )
    return notes
