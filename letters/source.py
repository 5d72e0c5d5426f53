"""YAML input files read with the position of every value, validated into models.

Scalars are kept as the text the clerk typed (``code: 4301`` and ``code: "4301"`` are the
same), so the models decide what a value means and every problem can name its line.
pydantic is imported only when a model validates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from letters.errors import InputError, Problem
from letters.thai import DATE_FORMS

if TYPE_CHECKING:
    from pydantic import BaseModel

Loc = tuple[str | int, ...]
M = TypeVar("M", bound="BaseModel")

CONFIG_NAME = "config.yaml"

_NULL_TAG = "tag:yaml.org,2002:null"


def find_config(directive: Path, explicit: Path | None, cwd: Path | None = None) -> Path:
    """``--config``, else the nearest config.yaml from the directive's folder up, else ./."""
    if explicit is not None:
        return explicit
    for folder in [directive.resolve().parent, *directive.resolve().parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return (cwd or Path.cwd()) / CONFIG_NAME


def field_path(loc: Sequence[str | int]) -> str:
    """``("enclosures", 1, "file")`` -> ``enclosures[1].file``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Source:
    """A parsed YAML file: its plain data and where each value and key stands."""

    path: Path
    name: str  # as shown to the user
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value at ``loc`` (or of its key), else its parent's."""
        loc = tuple(loc)
        while True:
            if key and loc in self.keys:
                return self.keys[loc]
            if loc in self.values:
                return self.values[loc]
            if not loc:
                return (1, 1)
            loc = loc[:-1]

    def problem(self, loc: Sequence[str | int], message: str, *, key: bool = False) -> Problem:
        line, column = self.where(loc, key=key)
        return Problem(self.name, line, column, field_path(loc), message)

    def validate(self, model: type[M]) -> tuple[M | None, list[Problem]]:
        """The data as ``model``, or the problems with it, each at its line."""
        from pydantic import ValidationError

        if not isinstance(self.data, dict):
            return None, [self.problem((), "ไฟล์ต้องเป็นชุดข้อมูลแบบ key: value (expected a mapping)")]
        try:
            return model.model_validate(self.data), []
        except ValidationError as exc:
            return None, [self._from_pydantic(model, err) for err in exc.errors()]

    def _from_pydantic(self, model: type[BaseModel], err: Any) -> Problem:
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        kind = err["type"]
        if kind == "extra_forbidden":
            return self.problem(loc, _unknown_field(model, loc), key=True)
        if kind == "missing":
            line, column = self.where(loc[:-1], key=True)
            return Problem(self.name, line, column, field_path(loc), "ต้องมีช่องนี้ (missing field)")
        return self.problem(loc, explain(err))


def _is_union_tag(part: str | int) -> bool:
    # pydantic names the branch of a union it tried (``str``, ``Paragraph``): not a field.
    return isinstance(part, str) and (part[:1].isupper() or part in {"str", "list[str]"})


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names allowed at the mapping that holds ``loc[-1]``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        current = _model_in(info.annotation) if info is not None else None
    if current is None or not hasattr(current, "model_fields"):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``list[X]``, ``X | None`` or ``dict[str, X]``, if any."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unknown_field(model: type[BaseModel], loc: Loc) -> str:
    name = str(loc[-1])
    message = f"ไม่รู้จักช่อง '{name}' (unknown field)"
    close = difflib.get_close_matches(name, _known_fields(model, loc), n=1, cutoff=0.72)
    if close:
        message += f" หมายถึง '{close[0]}' หรือไม่ (did you mean '{close[0]}'?)"
    return message


def explain(err: Any) -> str:
    """A short Thai message, with the English term, for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"วันที่ไม่ถูกต้อง (invalid date): เขียนแบบ {DATE_FORMS}"
    if kind == "literal_error":
        return f"ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้ (must be one of): {ctx.get('expected', '')}"
    if kind in {"string_too_short", "too_short"}:
        return "ต้องไม่ว่าง (must not be empty)"
    if kind == "string_type":
        return "ต้องเป็นข้อความ (expected text)"
    if kind == "list_type":
        return "ต้องเป็นรายการ (expected a list: one '- ' per entry)"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "ต้องเป็นชุดข้อมูลแบบ key: value (expected a mapping)"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "ต้องเป็นจำนวนเต็ม (expected a whole number)"
    if kind in {"greater_than", "greater_than_equal", "less_than_equal"}:
        return f"ค่าอยู่นอกช่วงที่ใช้ได้ (out of range): {err['msg']}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def display_name(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def load(path: Path, name: str | None = None) -> Source:
    """Read ``path`` as UTF-8 YAML; problems are raised as one ``InputError``."""
    shown = name or display_name(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(shown, 0, 0, "", "ไม่พบไฟล์ (no such file)")]) from None
    except IsADirectoryError:
        raise InputError([Problem(shown, 0, 0, "", "เป็นโฟลเดอร์ ไม่ใช่ไฟล์ (is a folder)")]) from None
    except OSError as exc:
        raise InputError([Problem(shown, 0, 0, "", f"อ่านไฟล์ไม่ได้ ({exc.strerror})")]) from None
    text = _decode(raw, shown)
    unprintable = _unprintable(text, shown)
    if unprintable:
        raise InputError(unprintable)
    yaml = YAML(typ="rt")
    yaml.Composer = _PlainComposer
    try:
        node = yaml.compose(text)
    except _Refused as exc:
        raise InputError([Problem(shown, *exc.place, "", exc.message)]) from None
    except MarkedYAMLError as exc:
        raise InputError([_syntax_problem(shown, exc)]) from None
    except YAMLError as exc:  # pragma: no cover - ruamel marks all parse errors it raises
        raise InputError([Problem(shown, 1, 1, "", f"YAML ไม่ถูกต้อง: {exc}")]) from None
    source = Source(path=path, name=shown, data=None)
    if node is None:
        raise InputError([Problem(shown, 1, 1, "", "ไฟล์ว่าง (empty file)")])
    problems: list[Problem] = []
    source.data = _convert(node, (), source, problems)
    if problems:
        raise InputError(problems)
    return source


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            [
                Problem(
                    shown,
                    line,
                    column,
                    "",
                    "ไฟล์ไม่ได้บันทึกเป็น UTF-8 (not UTF-8): บันทึกใหม่โดยเลือก encoding เป็น UTF-8",
                )
            ]
        ) from None


# What YAML allows in a file (YAML 1.2, 5.1): tab, line breaks, and printable characters.
_NOT_YAML = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MAX_SHOWN = 10  # unprintable characters reported one by one; the rest are counted


def _unprintable(text: str, shown: str) -> list[Problem]:
    """Characters YAML does not allow in a file (NUL, VT, FF, ESC...), each at its line and
    column: a file saved by a program that is not a text editor, or text pasted with them."""
    found = list(_NOT_YAML.finditer(text))
    problems = []
    for match in found[:_MAX_SHOWN]:
        line, column = _place(text, match.start())
        problems.append(
            Problem(
                shown,
                line,
                column,
                "",
                f"มีอักขระควบคุม U+{ord(match.group()):04X} ที่ YAML ไม่รับ (control character): "
                "ลบออกด้วยโปรแกรมแก้ไขข้อความ แล้วบันทึกเป็น UTF-8",
            )
        )
    if len(found) > _MAX_SHOWN:
        line, column = _place(text, found[_MAX_SHOWN].start())
        problems.append(
            Problem(
                shown,
                line,
                column,
                "",
                f"และอักขระควบคุมอีก {len(found) - _MAX_SHOWN} ตัว (more control characters)",
            )
        )
    return problems


def _place(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting line breaks as YAML does."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


MAX_DEPTH = 16  # levels of nesting; config.yaml needs 6, a directive 5


class _Refused(Exception):
    """YAML that a letter's files have no use for, refused before it is composed."""

    def __init__(self, mark: StreamMark, message: str) -> None:
        super().__init__(message)
        self.place = (mark.line + 1, mark.column + 1)
        self.message = message


class _PlainComposer(Composer):
    """ruamel's composer, refusing anchors and aliases (``&a``, ``*a``: a few hundred bytes
    of nested aliases expand to gigabytes) and nesting deeper than ``MAX_DEPTH`` (each level
    is a recursive call), before either is built."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.levels = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise _Refused(
                event.start_mark,
                "ไม่รับ anchor และ alias ของ YAML (& และ *) (YAML aliases are not allowed): "
                "เขียนค่าเต็มทุกที่ที่ใช้",
            )
        self.levels += 1
        if self.levels > MAX_DEPTH:
            raise _Refused(
                event.start_mark,
                f"ข้อมูลซ้อนกันเกิน {MAX_DEPTH} ชั้น (nested too deeply): ตรวจวงเล็บ [ {{ และการย่อหน้า",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.levels -= 1


def _syntax_problem(shown: str, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or str(exc)
    if "'\\t'" in problem or "\t" in problem:
        message = "ใช้แท็บ (tab) ย่อหน้าไม่ได้: ใช้การเว้นวรรค (spaces) แทน"
    else:
        message = f"รูปแบบ YAML ไม่ถูกต้อง (YAML syntax error): {problem}"
    return Problem(shown, line, column, "", message)


def _convert(node: Node, loc: Loc, source: Source, problems: list[Problem]) -> Any:
    mark = node.start_mark
    source.values[loc] = (mark.line + 1, mark.column + 1)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                problems.append(source.problem(loc, "คีย์ต้องเป็นข้อความ (a key must be text)"))
                continue
            key = str(key_node.value)
            key_mark = key_node.start_mark
            place = (key_mark.line + 1, key_mark.column + 1)
            if key in out:
                first = source.keys[(*loc, key)][0]
                problems.append(
                    Problem(
                        source.name,
                        *place,
                        field_path((*loc, key)),
                        f"คีย์ซ้ำ (duplicate key): '{key}' มีแล้วที่บรรทัด {first}",
                    )
                )
                continue
            source.keys[(*loc, key)] = place
            out[key] = _convert(value_node, (*loc, key), source, problems)
        return out
    if isinstance(node, SequenceNode):
        return [_convert(item, (*loc, i), source, problems) for i, item in enumerate(node.value)]
    if node.tag == _NULL_TAG:
        return None
    # ruamel marks the fold points of a folded scalar (``>``) with BEL for its round trip;
    # YAML allows no control characters in text, so every BEL is such a mark.
    return str(node.value).replace("\a", "")
