"""YAML input files read with the position of every value, validated into models.

Scalars are kept as the text the clerk typed (``code: 4301`` and ``code: "4301"`` are the
same), so the models decide what a value means and every problem can name its line.
pydantic is imported only when a model validates: ``letters check`` of a correct directive
never needs it (see letters.check).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from letters.errors import InputError, Problem

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
        return "วันที่ไม่ถูกต้อง (invalid date): เขียนแบบ ปปปป-ดด-วว เช่น 2018-12-11"
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
    yaml = YAML(typ="rt")
    try:
        node = yaml.compose(text)
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
