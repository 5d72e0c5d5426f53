"""The web page's directive form: a directive.yaml as form fields, and the form saved back.

The file is read and written with ruamel.yaml's round trip: a field the clerk did not change
is left exactly as it was (its quoting, its folded lines, its comment), and so is everything
else in the file; a changed field takes the new value in its place, keeping its comment.
``letters check`` reads the saved file: its messages are placed beside their fields by
``field_of``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from letters.errors import InputError, Problem

# The fields of the form, in the order of the page; each message of ``letters check`` is
# shown beside the first of these its field path starts with (else at the top of the form).
FIELDS = (
    "kind",
    "number",
    "date",
    "speed",
    "secrecy",
    "subject",
    "to.group",
    "to.only",
    "to.address",
    "references",
    "enclosures",
    "body",
    "closing",
    "signer",
    "owner",
    "copies",
    "follow_up.due",
    "follow_up.tasks",
)
ENCLOSURE_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg")


def field_of(path: str) -> str | None:
    """The form field a message of ``letters check`` belongs to: ``enclosures[1].file`` ->
    ``enclosures``, ``to.group`` -> ``to.group``, ``follow_up`` -> ``follow_up.due``."""
    head = re.split(r"[\[]", path, maxsplit=1)[0]
    if head in FIELDS:
        return head
    first = head.split(".")[0]
    if first == "follow_up":
        return "follow_up.tasks" if head.startswith("follow_up.tasks") else "follow_up.due"
    if first == "to":
        return "to.group"
    return first if first in FIELDS else None


@dataclass
class Messages:
    """``letters check``'s messages, each as ``letters check`` prints it, by form field."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, error: InputError | None, directive: Path, shown: str) -> Messages:
        """The problems of ``error``; those of ``directive`` named ``shown`` (its path from
        the office folder, as a clerk there types it after ``letters check``)."""
        found = cls()
        for problem in error.problems if error else ():
            at = field_of(problem.field) if _same_file(problem.file, directive) else None
            if at is not None:
                problem = Problem(
                    shown, problem.line, problem.column, problem.field, problem.message
                )
                found.by_field.setdefault(at, []).append(str(problem))
            else:
                found.general.append(str(problem))
        return found

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


def _same_file(name: str, path: Path) -> bool:
    try:
        return Path(name).resolve() == path.resolve()
    except OSError:
        return False


def yaml() -> YAML:
    loader = YAML()
    loader.preserve_quotes = True
    loader.width = 4096  # a long Thai line stays one line
    loader.indent(mapping=2, sequence=4, offset=2)
    return loader


def load(path: Path) -> CommentedMap:
    data = yaml().load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, CommentedMap) else CommentedMap()


# --- the file as the form shows it ------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _lines(value: Any) -> str:
    return "\n".join(_text(v) for v in value) if isinstance(value, list) else _text(value)


def body_text(body: Any) -> str:
    """Paragraphs apart by an empty line; a paragraph's numbered items each on a line of its
    own starting ``- ``."""
    parts = []
    for paragraph in body if isinstance(body, list) else []:
        if isinstance(paragraph, Mapping):
            lines = [_text(paragraph.get("text"))]
            lines += [f"- {_text(item)}" for item in paragraph.get("items") or []]
            parts.append("\n".join(lines))
        else:
            parts.append(_text(paragraph))
    return "\n\n".join(parts)


def form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields filled from the directive's data."""
    to = data.get("to") if isinstance(data.get("to"), Mapping) else {}
    follow = data.get("follow_up") if isinstance(data.get("follow_up"), Mapping) else {}
    assert isinstance(to, Mapping) and isinstance(follow, Mapping)
    enclosures = [
        {k: _text(e.get(k)) for k in ("title", "quantity", "file")}
        for e in data.get("enclosures") or []
        if isinstance(e, Mapping)
    ]
    return {
        "kind": _text(data.get("kind", "circular")),
        "number": _text(data.get("number", "auto")),
        "date": _text(data.get("date")),
        "speed": _text(data.get("speed", "ปกติ")),
        "secrecy": _text(data.get("secrecy", "ปกติ")),
        "subject": _text(data.get("subject")),
        "to.group": _text(to.get("group")),
        "to.only": [_text(c) for c in to.get("only") or []],
        "to.address": _text(to.get("address", "collective")),
        "references": _lines(data.get("references") or []),
        "enclosures": enclosures,
        "body": body_text(data.get("body")),
        "closing": _text(data.get("closing")),
        "signer": _text(data.get("signer")),
        "owner": _text(data.get("owner")),
        "copies": _lines(data.get("copies") or []),
        "follow_up.due": _text(follow.get("due")),
        "follow_up.tasks": _lines(follow.get("tasks") or []),
    }


# --- the form as the file holds it --------------------------------------------------------


class Form:
    """What the browser posted: ``get`` one value, ``getlist`` all of a name."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def get(self, name: str) -> str:
        return str(self.values.get(name, "") or "").replace("\r\n", "\n").strip()

    def getlist(self, name: str) -> list[str]:
        return [str(v).strip() for v in self.values.getlist(name) if str(v).strip()]


def _items(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_body(text: str) -> list[Any]:
    """The body textarea as the directive's ``body``: see ``body_text``."""
    body: list[Any] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        words = [line for line in lines if not line.startswith("- ")]
        items = [line[2:].strip() for line in lines if line.startswith("- ")]
        if not lines:
            continue
        paragraph = " ".join(words)
        body.append({"text": paragraph, "items": items} if items else paragraph)
    return body


def enclosure_rows(form: Form) -> list[dict[str, str]]:
    rows = []
    indexes = sorted(
        {int(m.group(1)) for name in form.values for m in [re.match(r"enc-\w+-(\d+)$", name)] if m}
    )
    for i in indexes:
        row = {k: form.get(f"enc-{k}-{i}") for k in ("title", "quantity", "file")}
        if any(row.values()):
            rows.append(row)
    return rows


def posted(form: Form) -> dict[str, Any]:
    """The directive's data as the form gives it (``None``: leave the key out)."""
    tasks = _items(form.get("follow_up.tasks"))
    due = form.get("follow_up.due")
    return {
        "kind": form.get("kind"),
        "number": form.get("number") or "auto",
        "date": form.get("date"),
        "speed": form.get("speed") or "ปกติ",
        "secrecy": form.get("secrecy") or "ปกติ",
        "subject": form.get("subject"),
        "to": {
            "group": form.get("to.group"),
            "only": form.getlist("to.only") or None,
            "address": form.get("to.address") or "collective",
        },
        "references": _items(form.get("references")),
        "enclosures": enclosure_rows(form),
        "body": parse_body(form.get("body")),
        "closing": form.get("closing"),
        "signer": form.get("signer"),
        "owner": form.get("owner"),
        "copies": _items(form.get("copies")),
        "follow_up": {"due": due, "tasks": tasks} if due or tasks else None,
    }


_DEFAULTS: dict[str, Any] = {
    "number": "auto",
    "speed": "ปกติ",
    "secrecy": "ปกติ",
    "references": [],
    "enclosures": [],
    "copies": [],
    "address": "collective",
}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _text(value)


def merge(target: CommentedMap, values: Mapping[str, Any]) -> None:
    """Set the changed values of ``values`` in ``target``, in place: unchanged ones stay as
    they were written; a key absent from the file stays absent while its value is the
    default; ``None`` removes a key."""
    for key, value in values.items():
        old = target.get(key)
        if value is None:
            if key in target:
                del target[key]
            continue
        if key not in target and _plain(value) == _plain(_DEFAULTS.get(key)):
            continue
        if key in target and _plain(old) == _plain(value):
            continue
        if isinstance(value, Mapping) and isinstance(old, CommentedMap):
            merge(old, value)
        elif isinstance(value, list) and isinstance(old, CommentedSeq):
            del old[:]  # the list keeps its place, flow style and comment
            old.extend(value)
        else:
            target[key] = value


def save(path: Path, form: Form) -> None:
    """The form into ``path``: only changed fields rewritten; atomically, mode kept."""
    data = load(path)
    merge(data, posted(form))
    out = io.StringIO()
    yaml().dump(data, out)
    write_text(path, out.getvalue())


def write_text(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".web-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        if mode is not None:
            os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


SKELETON = """\
# A letter written on the web page (letters serve); fields as in the README, "The directive".
kind: circular                 # external | circular
number: auto                   # next number from the outgoing register
date: {date}               # the letter's date: 2569-01-31 (พ.ศ.) or 2026-01-31
speed: ปกติ                    # ปกติ | ด่วน | ด่วนมาก | ด่วนที่สุด
secrecy: ปกติ                  # ปกติ | ลับ | ลับมาก | ลับที่สุด
subject: ""

to:
  group: {group}                # a recipient group of config.yaml
  address: collective

references: []
enclosures: []

body:
  - ""

closing: จึงเรียนมาเพื่อโปรดทราบ

signer: {signer}
owner: {owner}
"""


def new_directive(
    folder: Path, name: str, *, today: dt.date, group: str, signer: str, owner: str
) -> Path:
    """``<folder>/<name>/directive.yaml``, a new letter to fill in; ValueError when the name
    cannot be a folder's or the folder exists."""
    if not re.fullmatch(r"[\w][\w.-]{0,63}", name) or name.startswith("."):
        raise ValueError("ชื่อหนังสือใช้ได้เฉพาะตัวอักษร ตัวเลข - _ . (letters, digits, - _ .)")
    target = folder / name
    if target.exists():
        raise ValueError(f"มี '{name}' อยู่แล้ว (exists): ใช้ชื่ออื่น")
    target.mkdir()
    path = target / "directive.yaml"
    text = SKELETON.format(date=today.isoformat(), group=group, signer=signer, owner=owner)
    write_text(path, text)
    return path


def upload_name(filename: str) -> str:
    """The name an uploaded enclosure keeps in the directive's folder; ValueError for a name
    that would leave it or is not a PDF, PNG or JPEG."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name.startswith(".") or any(ord(c) < 32 for c in name):
        raise ValueError(f"'{filename}': ชื่อไฟล์ใช้ไม่ได้ (bad file name)")
    if not name.lower().endswith(ENCLOSURE_SUFFIXES):
        raise ValueError(f"'{name}': รับเฉพาะ PDF, PNG, JPEG (not an enclosure file)")
    return name


def directives(folder: Path) -> list[Path]:
    """The office's letters: ``<name>/directive.yaml`` in the served folder."""
    return sorted(p for p in folder.glob("*/directive.yaml") if p.is_file())
