"""``letters check`` without the models: the plain rules are the models' rules, and a yes
from them is a yes from ``load_letter`` with the same summary."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le, MinLen
from conftest import EXAMPLE, ROOT
from pydantic import BaseModel, StringConstraints
from test_directive import BASE, CASES, Case, _write_case

from letters import check, source
from letters.config import Config
from letters.directive import Directive, Paragraph, load_letter, summary

TEXT = StringConstraints(strip_whitespace=True, min_length=1)


def _shape(annotation: Any, metadata: list[Any]) -> check.Shape:
    """The plain rule for one pydantic annotation; fails on anything the rules cannot say."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape(args[0], [*annotation.__metadata__, *metadata])
    if annotation is str:
        if metadata == [TEXT]:
            return check.Str()
        assert metadata == [], metadata
        return check.Str(strip=False, min_length=0)
    if annotation in (int, float):
        bounds: dict[str, Any] = {}
        for rule in metadata:
            assert isinstance(rule, Gt | Ge | Le), rule
            bounds.update(dataclasses.asdict(rule))
        return check.Number(annotation, **bounds)
    min_length = 0
    for rule in metadata:
        assert isinstance(rule, MinLen), rule
        min_length = rule.min_length
    if annotation is dt.date and not metadata:
        return check.Date()
    if origin is typing.Literal and not metadata:
        return check.OneOf(args)
    if origin in (typing.Union, types.UnionType) and not metadata:
        assert len(args) == 2 and args[1] is type(None), annotation
        return check.Maybe(_shape(args[0], []))
    if origin is list:
        return check.ListOf(_shape(args[0], []), min_length)
    if origin is dict:
        assert args[0] is str
        return check.DictOf(_shape(args[1], []), min_length)
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel), annotation
    assert not metadata
    return _record(annotation)


def _record(model: type[BaseModel]) -> check.Record:
    decorators = model.__pydantic_decorators__
    assert model.model_config.get("extra") == "forbid", model
    assert not decorators.field_validators and not decorators.validators, model
    assert not decorators.root_validators, model
    assert not decorators.model_validators or model is Paragraph, model
    fields: dict[str, tuple[check.Shape, Any]] = {}
    for name, info in model.model_fields.items():
        assert info.alias is None and info.validation_alias is None
        shape = _shape(info.annotation, list(info.metadata))
        if info.is_required():
            default: Any = check.Default.REQUIRED
        elif info.default_factory is list:
            default = check.Default.EMPTY_LIST
        elif info.default_factory is not None:
            assert shape == _record(info.default_factory)  # type: ignore[arg-type]
            default = check.Default.RECORD
        else:
            default = info.default
        fields[name] = (shape, default)
    return check.Record(fields, text_field="text" if model is Paragraph else None)


def test_plain_rules_are_the_models() -> None:
    assert _record(Config) == check.CONFIG
    assert _record(Directive) == check.DIRECTIVE
    # Paragraph's one model validator: a plain string is the paragraph's text.
    assert Paragraph.model_validate("ย่อหน้า") == Paragraph(text="ย่อหน้า")


def _data(path: Path) -> Any:
    return source.load(path).data


def _places(data: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield loc
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _places(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _places(value, (*loc, i))


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


TRICKY: list[Any] = [
    *("", "  ", " ข้อความ ", "\x1cข้อความ", "0", "-1", "0587", "+5", "5_0", "1e3", "3.5"),
    *("0.0", ".5", "๕", "65536", "2018-02-30", "2018-12-11", "2018-12-11T00:00", "20181211"),
    *("auto", "each", "none", "ssl", "circular", "ด่วน", "CIRCULAR", "/{word}..."),
    *(None, [], ["ข้อ"], [None], {}, {"text": "ย่อหน้า"}, {"colour": "red"}),
]


def _mutations(data: Any) -> Iterator[Any]:
    """The data with one value replaced, one key dropped, or one unknown key added."""
    for loc in list(_places(data)):
        if not loc:
            continue
        for value in TRICKY:
            changed = copy.deepcopy(data)
            _at(changed, loc[:-1])[loc[-1]] = value
            yield changed
        parent = _at(data, loc[:-1])
        if isinstance(parent, dict):
            changed = copy.deepcopy(data)
            del _at(changed, loc[:-1])[loc[-1]]
            yield changed
        if isinstance(_at(data, loc), dict):
            changed = copy.deepcopy(data)
            _at(changed, loc)["colour"] = "red"
            yield changed


@pytest.mark.parametrize(
    ("rules", "model", "path"),
    [
        (check.CONFIG, Config, ROOT / "config.yaml"),
        (check.DIRECTIVE, Directive, EXAMPLE / "directive.yaml"),
    ],
    ids=["config", "directive"],
)
def test_a_yes_from_the_plain_rules_is_a_yes_from_the_model(
    rules: check.Record, model: type[BaseModel], path: Path
) -> None:
    data = _data(path)
    assert rules.check(data) == model.model_validate(data).model_dump()
    vouched = 0
    for changed in _mutations(data):
        try:
            plain = rules.check(changed)
        except check.Unsure:
            continue
        vouched += 1
        assert plain == model.model_validate(changed).model_dump(), changed
    assert vouched > 100  # the plain rules do vouch for ordinary files


def _office(workdir: Path, directive: str) -> Path:
    (workdir / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")
    return workdir / "line-at" / "directive.yaml"


@pytest.mark.parametrize(
    "directive",
    [
        (EXAMPLE / "directive.yaml").read_text(encoding="utf-8"),
        BASE,
        BASE.replace("  address: collective", "  address: each\n  only: ['๔๓๐๕', '4301', '4305']"),
        BASE.replace("kind: circular\nnumber: auto", "kind: external\nnumber: ' 193 '"),
        BASE.replace("follow_up:\n  due: 2018-12-25\n  tasks:\n    - งานหนึ่ง\n", ""),
        BASE.replace("    file: pr/line-at-poster.pdf", "    file: pr/line-at-card.png"),
        BASE.replace("date: 2018-12-11", "date: ๑๑ ธันวาคม ๒๕๖๑").replace(
            "due: 2018-12-25", "due: 2561-12-25"
        ),
    ],
    ids=["example", "base", "each-only", "external", "no-follow-up", "image", "buddhist-era"],
)
def test_check_prints_what_load_letter_would(workdir: Path, directive: str) -> None:
    path = _office(workdir, directive)
    shown = check.quick(path)
    assert shown is not None
    assert shown == summary(load_letter(path)) == check.check(path)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_input_is_left_to_the_models(workdir: Path, case: Case) -> None:
    path, _ = _write_case(workdir, case)
    assert check.quick(path) is None
