"""What ``letters check`` accepts, ``letters build`` builds; what it refuses, it refuses at a
FILE:LINE; never an internal error (issue #14).

Directives and configs are the project's own, with a few values replaced by hostile text:
control characters, very long values, right-to-left marks, markup, zero-width characters,
Buddhist-era years and odd dates, template fields, YAML that means something else, and now
and then a raw byte written straight into the file. The examples are derandomized (the same
ones on every run, in CI too) and bounded; a build is made only of what ``check`` accepts,
one recipient's letter with every other output (PDF, DOCX, bundle, checklist).
"""

from __future__ import annotations

import contextlib
import copy
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from conftest import CONFIG, EXAMPLE, Result, invoke, make_office
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from letters import thai

# Where libcst is installed, hypothesis imports it to write a failing example as a patch, and
# libcst's import warns (mypy_extensions.TypedDict): under ``filterwarnings = error`` that
# warning would hide the failure. Imported here once, the warning ignored.
with contextlib.suppress(ImportError), warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst  # noqa: F401

DIRECTIVE_NAME = "line-at/directive.yaml"


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


DIRECTIVE_DATA = _load(EXAMPLE / "directive.yaml")
CONFIG_DATA = _load(CONFIG)


def _texts(data: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The place of every text in ``data``."""
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _texts(value, (*loc, key))]
    if isinstance(data, list):
        return [p for i, value in enumerate(data) for p in _texts(value, (*loc, i))]
    return [loc] if isinstance(data, str) else []


# Where a hostile value goes: any text of either file, and a few optional fields.
PLACES = [("directive", loc) for loc in _texts(DIRECTIVE_DATA)] + [
    ("config", loc)
    for loc in _texts(CONFIG_DATA)
    # the built recipient's own fields weigh more: the others only reach the checklist
    if not (loc[:3] == ("recipients", "amphoe", "members") and loc[3] not in (0, 1))
]
PLACES += [
    ("directive", ("number",)),
    ("directive", ("references", 0)),
    ("directive", ("copies", 0)),
    ("directive", ("to", "only", 0)),
    ("config", ("layout", "catchword")),
    ("config", ("layout", "page_number")),
    ("config", ("signers", "provincial-cd-officer", "position", 0)),
]
DATES = [("directive", ("date",)), ("directive", ("follow_up", "due"))]

HOSTILE = [
    *("\x1b[2J", "\x1b]0;owned\x07", "\x08", "\x0b", "\x0c", "\r", "\n", "\t", "\x00", "\x7f"),
    *("\x85", "\x9b", "\u2028", "\u2029", "\ud800", "\ufeff", "\ufffe"),
    *("\u202e", "\u202b", "\u2066", "\u200f", "\u200b", "\u200d", "\u2060", "\u00ad", "\u0e33"),
    *("<b>&amp;</b>", "</style>", "<script>", "&", '"', "'", "\\", "{", "}", "{word}", "{n}"),
    *("{0}", "%s", "${x}", "@{x}", "url(x)", ";}", "/*", "../../x", "/", ".", "..", "CON"),
    *("", " ", "  ", "~", "null", "- a", ": b", "# c", "&a", "*a", "!!str", "? x", "|", ">"),
    *("๐๑๒", "4301", "auto", "ด่วนที่สุด", "ลับที่สุด", "external", "each"),
    *("a@b.c", "a@b.c\r\nBcc: x@y.example", "not an address", "a@b.c, d@e.f", "ก <a@b.c>"),
    *("2561-12-11", "2019-02-29", "0000-01-01", "9999-12-31", "๑๑ ธันวาคม ๒๕๖๑"),
]
THAI = "กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮะาำิีึืุูเแโใไ่้๊๋็์ๆฯ๐๑๒๓๔๕๖๗๘๙"

_pieces = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=THAI + "abcXYZ019 .-/@", max_size=12),
    st.text(max_size=6),  # any code point
)
hostile_text = st.one_of(
    st.lists(_pieces, min_size=1, max_size=4).map("".join),
    # very long: a few thousand characters, one word or many
    st.tuples(
        st.sampled_from(["ก", "ข้อความ ", "a", "๑", "\u200b", "กขค\u202e"]), st.integers(300, 3000)
    ).map(lambda pair: pair[0] * pair[1]),
)
odd_dates = st.one_of(
    st.sampled_from(
        [
            "2018-12-11",
            "2561-12-11",
            "๒๕๖๑-๑๒-๑๑",
            "๑๑ ธันวาคม ๒๕๖๑",
            "11 ธ.ค. 2561",
            "2019-02-29",
            "2563-02-29",
            "2562-02-29",
            "2018-02-30",
            "2399-12-31",
            "2400-01-01",
            "0001-01-01",
            "9999-12-31",
            "2018-12-11T00:00",
            "20181211",
            "11 12 2561",
            "๓๒ ธันวาคม ๒๕๖๑",
            "11 ธันวาคม พ.ศ. 2018",
        ]
    ),
    st.dates().map(
        lambda d: (
            f"{d.year + 543:04d}-{d.month:02d}-{d.day:02d}" if d.year <= 9456 else d.isoformat()
        )
    ),
    st.dates().map(thai.thai_date),
)
# Characters written straight into a file's bytes, where YAML allows none or some.
RAW = [
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\t",
    "\r",
    "&",
    "*",
    "{",
]


def _put(data: Any, loc: tuple[Any, ...], value: Any) -> None:
    for part in loc[:-1]:
        if isinstance(data, dict):
            data = data.setdefault(part, [] if isinstance(loc[loc.index(part) + 1], int) else {})
        else:
            data = data[part]
    last = loc[-1]
    if isinstance(data, list):
        if last < len(data):
            data[last] = value
        else:
            data.append(value)
    else:
        data[last] = value


@st.composite
def offices(draw: st.DrawFn) -> dict[str, Any]:
    """A directive and a config (as data), and raw characters to write into their text."""
    files = {"directive": copy.deepcopy(DIRECTIVE_DATA), "config": copy.deepcopy(CONFIG_DATA)}
    for _ in range(draw(st.integers(0, 3))):
        which, loc = draw(st.sampled_from(PLACES))
        _put(files[which], loc, draw(hostile_text))
    for which, loc in DATES:
        if draw(st.booleans()):
            _put(files[which], loc, draw(odd_dates))
    raw = draw(
        st.one_of(
            st.none(),
            st.none(),
            st.none(),
            st.tuples(
                st.sampled_from(["directive", "config"]), st.floats(0, 1), st.sampled_from(RAW)
            ),
        )
    )
    return {**files, "raw": raw}


def _dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.width = 1_000_000
    yaml.default_flow_style = False
    from io import StringIO

    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _write(folder: Path, office: dict[str, Any]) -> None:
    make_office(folder, emblem=False)
    texts = {"directive": _dump(office["directive"]), "config": _dump(office["config"])}
    if office["raw"] is not None:
        which, where, char = office["raw"]
        text = texts[which]
        at = int(where * len(text))
        texts[which] = text[:at] + char + text[at:]
    paths = {"directive": folder / DIRECTIVE_NAME, "config": folder / "config.yaml"}
    for which, text in texts.items():
        # surrogatepass: a lone surrogate reaches the file as the bytes a broken editor writes
        paths[which].write_bytes(text.encode("utf-8", "surrogatepass"))


PROBLEM = re.compile(r"^(line-at/directive\.yaml|config\.yaml):[1-9][0-9]*:[1-9][0-9]*: ")


def _never_internal(result: Result) -> None:
    assert "Traceback" not in result.text, result.text
    assert "internal error" not in result.text, result.text


def _built_code(office: dict[str, Any]) -> str:
    only = office["directive"].get("to", {}).get("only")
    if only:
        return thai.arabic_digits(str(only[0]).strip())
    return str(office["config"]["recipients"]["amphoe"]["members"][0]["code"]).strip()


@settings(
    max_examples=15,  # bounded: the whole suite stays within its 6 minutes
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure can be run again
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(office=offices())
def test_what_check_accepts_builds_and_what_it_refuses_has_a_line(office: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="letters-property-") as tmp:
        folder = Path(tmp)
        _write(folder, office)
        checked = invoke("check", DIRECTIVE_NAME, cwd=folder)
        _never_internal(checked)
        if checked.code != 0:
            assert checked.code == 1, checked.text
            *problems, total = checked.err.rstrip("\n").split("\n")
            assert problems and total.startswith("พบ "), checked.err
            for line in problems:
                assert PROBLEM.match(line), checked.err
            return
        code = _built_code(office)
        built = invoke(
            "build",
            DIRECTIVE_NAME,
            "--only",
            code,
            "--out",
            "out",
            "--register",
            "register.sqlite3",
            cwd=folder,
        )
        _never_internal(built)
        assert built.code == 0, built.text
        out = folder / "out"
        assert len(list((out / "letters").glob(f"{code}-*.pdf"))) == 1
        assert len(list((out / "letters").glob(f"{code}-*.docx"))) == 1
        assert len(list((out / "bundles").glob(f"{code}-*.pdf"))) == 1
        assert (out / "checklist.pdf").is_file() and (out / "checklist.xlsx").is_file()
        assert (out / "manifest.json").is_file()
