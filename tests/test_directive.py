"""The directive and config contract: every broken input is one clear message, nothing written."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE, Runner, make_office, rewrite_body, tree
from pdfgeometry import lines

from letters import thai
from letters.directive import load_letter
from letters.errors import InputError

BASE = """\
kind: circular
number: auto
date: 2018-12-11
subject: ทดสอบระบบ
to:
  group: amphoe
  address: collective
enclosures:
  - title: โปสเตอร์
    quantity: 1 ชุด
    file: pr/line-at-poster.pdf
body:
  - ย่อหน้าแรก
  - text: ย่อหน้าที่สอง
    items:
      - ข้อหนึ่ง
closing: จึงเรียนมาเพื่อทราบ
signer: provincial-cd-officer
owner: cd-informatics
follow_up:
  due: 2018-12-25
  tasks:
    - งานหนึ่ง
"""


def _text_file(folder: Path) -> None:
    (folder / "line-at" / "pr" / "notes.pdf").write_text("รายชื่อผู้เข้าร่วม\n", encoding="utf-8")


def _encrypted_pdf(folder: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    (folder / "line-at" / "pr" / "locked.pdf").write_bytes(buffer.getvalue())


def _png(width: int, height: int, *, pixels: bool = True) -> bytes:
    """A PNG file, its image data left out when ``pixels`` is False."""

    def chunk(name: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))
        )

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    rows = zlib.compress((b"\0" + b"\0\0\0" * width) * min(height, 4))
    data = chunk(b"IDAT", rows) if pixels else b""
    return b"\x89PNG\r\n\x1a\n" + header + data + chunk(b"IEND", b"")


def _huge_png(folder: Path) -> None:
    (folder / "line-at" / "pr" / "huge.png").write_bytes(_png(20000, 20000))


def _empty_png(folder: Path) -> None:
    (folder / "line-at" / "pr" / "empty.png").write_bytes(_png(3, 3, pixels=False))


def _truncated_png(folder: Path) -> None:
    card = (folder / "line-at" / "pr" / "line-at-card.png").read_bytes()
    (folder / "line-at" / "pr" / "cut.png").write_bytes(card[: len(card) // 2])


@dataclass
class Case:
    name: str
    old: str
    new: str
    field: str
    marker: str  # the line that must be named: the first line of the file containing it
    file: str = "directive"  # or "config"
    prepare: Callable[[Path], None] | None = None
    message: str = ""  # a part of the message that must be shown
    encoding: str = "utf-8"
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "bad date",
        "date: 2018-12-11",
        "date: 2018-02-30",
        "date",
        "date: 2018-02-30",
        message="วันที่",
    ),
    Case("date not a date", "date: 2018-12-11", "date: พรุ่งนี้", "date", "date: พรุ่งนี้"),
    Case(
        "unknown field",
        "number: auto",
        "number: auto\ncolour: red",
        "colour",
        "colour:",
        message="unknown field",
    ),
    Case(
        "misspelt field",
        "subject: ทดสอบระบบ",
        "subjet: ทดสอบระบบ",
        "subjet",
        "subjet:",
        message="did you mean 'subject'",
    ),
    Case(
        "misspelt nested field",
        "  address: collective",
        "  adress: collective",
        "to.adress",
        "adress:",
        message="did you mean 'address'",
    ),
    Case(
        "unknown recipient code",
        "  address: collective",
        "  address: collective\n  only: ['4301', '9999']",
        "to.only[1]",
        "only:",
        message="9999",
    ),
    Case("unknown group", "group: amphoe", "group: tambon", "to.group", "group: tambon"),
    Case(
        "unknown signer", "signer: provincial-cd-officer", "signer: governor", "signer", "signer:"
    ),
    Case("unknown unit", "owner: cd-informatics", "owner: finance", "owner", "owner:"),
    Case(
        "empty subject", "subject: ทดสอบระบบ", 'subject: ""', "subject", "subject:", message="ว่าง"
    ),
    Case(
        "empty body",
        "body:\n  - ย่อหน้าแรก\n  - text: ย่อหน้าที่สอง\n    items:\n      - ข้อหนึ่ง\n",
        "body: []\n",
        "body",
        "body:",
    ),
    Case("empty item", "      - ข้อหนึ่ง", '      - "  "', "body[1].items[0]", '- "  "'),
    Case(
        "missing enclosure file",
        "file: pr/line-at-poster.pdf",
        "file: pr/poster.pdf",
        "enclosures[0].file",
        "file: pr/poster.pdf",
        message="no such file",
    ),
    Case(
        "enclosure of the wrong type",
        "file: pr/line-at-poster.pdf",
        "file: pr/notes.pdf",
        "enclosures[0].file",
        "file: pr/notes.pdf",
        prepare=_text_file,
        message="not a PDF",
    ),
    Case(
        "enclosure name too long for any file",
        "file: pr/line-at-poster.pdf",
        "file: pr/" + "ก" * 300 + ".pdf",
        "enclosures[0].file",
        "file: pr/กกก",
        message="File name too long",
    ),
    Case(
        "encrypted PDF",
        "file: pr/line-at-poster.pdf",
        "file: pr/locked.pdf",
        "enclosures[0].file",
        "file: pr/locked.pdf",
        prepare=_encrypted_pdf,
        message="encrypted",
    ),
    Case(
        "truncated PNG",
        "file: pr/line-at-poster.pdf",
        "file: pr/cut.png",
        "enclosures[0].file",
        "file: pr/cut.png",
        prepare=_truncated_png,
        message="truncated",
    ),
    Case(
        "PNG without image data",
        "file: pr/line-at-poster.pdf",
        "file: pr/empty.png",
        "enclosures[0].file",
        "file: pr/empty.png",
        prepare=_empty_png,
        message="broken or truncated image",
    ),
    Case(
        "PNG of 400 million pixels",
        "file: pr/line-at-poster.pdf",
        "file: pr/huge.png",
        "enclosures[0].file",
        "file: pr/huge.png",
        prepare=_huge_png,
        message="too many pixels",
    ),
    Case("bad YAML syntax", "subject: ทดสอบระบบ", "subject: [ทดสอบระบบ", "", "to:", message="YAML"),
    Case("tab-indented", "  group: amphoe", "\tgroup: amphoe", "", "\tgroup", message="tab"),
    Case(
        "not UTF-8 (saved as TIS-620)",
        "kind: circular",
        "kind: circular",
        "",
        "subject:",
        encoding="cp874",
        message="UTF-8",
    ),
    Case(
        "duplicate key",
        "closing: จึงเรียนมาเพื่อทราบ",
        "closing: จึงเรียนมาเพื่อทราบ\nclosing: จึงเรียนมาเพื่อพิจารณา",
        "closing",
        "closing: จึงเรียนมาเพื่อพิจารณา",
        message="duplicate key",
    ),
    Case("bad kind", "kind: circular", "kind: memo", "kind", "kind: memo", message="circular"),
    Case("bad speed", "number: auto", "number: auto\nspeed: ด่วนพิเศษ", "speed", "speed:"),
    Case(
        "due before the letter",
        "due: 2018-12-25",
        "due: 2018-12-01",
        "follow_up.due",
        "due:",
        message="due date",
    ),
    Case(
        "no follow-up tasks",
        "  tasks:\n    - งานหนึ่ง\n",
        "  tasks: []\n",
        "follow_up.tasks",
        "tasks:",
    ),
    Case("body is text, not a list", "  - ย่อหน้าแรก\n", "", "body", "body:", extra={}),
    Case(
        "config: misspelt field",
        "",
        "",
        "office.kode",
        "kode:",
        file="config",
        extra={"  code: นค 0019.4": "  kode: นค 0019.4"},
        message="did you mean 'code'",
    ),
    Case(
        "config: bad security",
        "",
        "",
        "dispatch.email.security",
        "security: tls",
        file="config",
        extra={"security: starttls": "security: tls"},
    ),
    Case(
        "config: rate is not a number",
        "",
        "",
        "dispatch.email.per_minute",
        "per_minute: fast",
        file="config",
        extra={"per_minute: 30": "per_minute: fast"},
        message="whole number",
    ),
    Case(
        "config: duplicate recipient code",
        "",
        "",
        "recipients.amphoe.members[1].code",
        '"4301", name: ท่าบ่อ',
        file="config",
        extra={'code: "4302"': 'code: "4301"'},
        message="duplicate code",
    ),
    Case(
        "config: missing signature image",
        "",
        "",
        "signers.provincial-cd-officer.signature",
        "signature:",
        file="config",
        extra={"    name: นายวิฑูรย์ แสนใจวุฒิ": "    name: นายวิฑูรย์ แสนใจวุฒิ\n    signature: sign.png"},
    ),
    Case(
        "Buddhist-era date that does not exist",
        "date: 2018-12-11",
        "date: 2562-02-29",
        "date",
        "date: 2562-02-29",
        message="no such date",
    ),
    Case(
        "Thai long-form date that does not exist",
        "date: 2018-12-11",
        "date: ๓๒ ธันวาคม ๒๕๖๑",
        "date",
        "date: ๓๒",
        message="no such date",
    ),
    Case(
        "Buddhist-era due date before the letter",
        "due: 2018-12-25",
        "due: ๑ ธันวาคม ๒๕๖๑",
        "follow_up.due",
        "due:",
        message="due date",
    ),
    Case(
        "escape sequence in the subject",
        "subject: ทดสอบระบบ",
        r'subject: "ทดสอบ\e[2Jระบบ"',
        "subject",
        "subject:",
        message="U+001B (control character)",
    ),
    Case(
        "line feed in the subject",
        "subject: ทดสอบระบบ",
        r'subject: "ทดสอบ\nระบบ"',
        "subject",
        "subject:",
        message="line break",
    ),
    Case(
        "carriage return in a task",
        "    - งานหนึ่ง",
        r'    - "งาน\rหนึ่ง"',
        "follow_up.tasks[0]",
        '- "งาน',
        message="line break",
    ),
    Case(
        "backspace in an enclosure title",
        "  - title: โปสเตอร์",
        r'  - title: "โปส\bเตอร์"',
        "enclosures[0].title",
        "title:",
        message="U+0008 (control character)",
    ),
    Case(
        "escape in the closing paragraph (which may hold line feeds)",
        "closing: จึงเรียนมาเพื่อทราบ",
        r'closing: "จึงเรียน\nมาเพื่อ\eทราบ"',
        "closing",
        "closing:",
        message="U+001B",
    ),
    Case(
        "U+FFFE, which no XML document can hold, in a body item",
        "      - ข้อหนึ่ง",
        r'      - "ข้อ\uFFFEหนึ่ง"',
        "body[1].items[0]",
        '- "ข้อ',
        message="U+FFFE",
    ),
    Case(
        "raw NUL byte",
        "subject: ทดสอบระบบ",
        "subject: ทดสอบ\x00ระบบ",
        "",
        "subject:",
        message="U+0000",
    ),
    Case(
        "raw vertical tab",
        "closing: จึงเรียนมาเพื่อทราบ",
        "closing: จึงเรียน\x0bมาเพื่อทราบ",
        "",
        "closing:",
        message="U+000B",
    ),
    Case(
        "raw form feed",
        "      - ข้อหนึ่ง",
        "      - ข้อ\x0cหนึ่ง",
        "",
        "- ข้อ",
        message="U+000C",
    ),
    Case(
        "YAML anchor",
        "subject: ทดสอบระบบ",
        "subject: &s ทดสอบระบบ",
        "",
        "subject: &s",
        message="aliases are not allowed",
    ),
    Case(
        "YAML alias",
        "  group: amphoe",
        "  group: *g",
        "",
        "group: *g",
        message="aliases are not allowed",
    ),
    Case(
        "nested 600 levels deep",
        "closing: จึงเรียนมาเพื่อทราบ",
        "closing: " + "[" * 600 + "]" * 600,
        "",
        "closing: [[[",
        message="nested too deeply",
    ),
    Case(
        "config: recipient code that is a path",
        "",
        "",
        "recipients.amphoe.members[1].code",
        '"../../x"',
        file="config",
        extra={'code: "4302"': 'code: "../../x"'},
        message="invalid code",
    ),
    Case(
        "config: recipient code with a space",
        "",
        "",
        "recipients.amphoe.members[2].code",
        '"43 05"',
        file="config",
        extra={'code: "4305"': 'code: "43 05"'},
        message="invalid code",
    ),
    Case(
        "config: a name too long for a file name",
        "",
        "",
        "recipients.amphoe.members[1].name",
        "name: ท่าบ่อท่าบ่อ",
        file="config",
        extra={"name: ท่าบ่อ,": "name: " + "ท่าบ่อ" * 12 + ","},
        message="too long for a file name",
    ),
    Case(
        "config: an emblem no file can be named",
        "",
        "",
        "office.emblem",
        "emblem:",
        file="config",
        extra={"emblem: assets/garuda.svg": "emblem: " + "ก" * 300},
        message="cannot use this file name",
    ),
    Case(
        "config: a NUL in a signature's name",
        "",
        "",
        "signers.provincial-cd-officer.signature",
        "signature:",
        file="config",
        extra={
            "    name: นายวิฑูรย์ แสนใจวุฒิ": '    name: นายวิฑูรย์ แสนใจวุฒิ\n    signature: "sign\\0.png"'
        },
        message="U+0000 (control character)",
    ),
    Case(
        "config: escape sequence in a title",
        "",
        "",
        "recipients.amphoe.members[1].title",
        "นายอำเภอท่าบ่อ\\e",
        file="config",
        extra={"title: นายอำเภอท่าบ่อ,": r'title: "นายอำเภอท่าบ่อ\e]0;x\e\\",'},
        message="control character",
    ),
    Case(
        "config: line break in a signer's name",
        "",
        "",
        "signers.provincial-cd-officer.name",
        "นายวิฑูรย์\\n",
        file="config",
        extra={"    name: นายวิฑูรย์ แสนใจวุฒิ": r'    name: "นายวิฑูรย์\nแสนใจวุฒิ"'},
        message="line break",
    ),
    Case(
        "config: raw escape byte in the slogan",
        "",
        "",
        "",
        "slogan:",
        file="config",
        extra={"slogan: หนองคาย": "slogan: \x1b[2Jหนองคาย"},
        message="U+001B",
    ),
    Case(
        "config: e-mail address with a header after it",
        "",
        "",
        "recipients.amphoe.members[1].email",
        "Bcc:",
        file="config",
        extra={
            "email: saraban@amphoe4302.nongkhai.example": (
                r'email: "saraban@amphoe4302.nongkhai.example\r\nBcc: x@y.example"'
            )
        },
        message="line break",
    ),
    Case(
        "config: not an e-mail address",
        "",
        "",
        "recipients.amphoe.members[1].email",
        "not an address",
        file="config",
        extra={"email: saraban@amphoe4302.nongkhai.example": "email: not an address"},
        message="not one e-mail address",
    ),
    Case(
        "config: two e-mail addresses",
        "",
        "",
        "recipients.amphoe.members[1].email",
        "a@b.example",
        file="config",
        extra={"email: saraban@amphoe4302.nongkhai.example": 'email: "a@b.example c@d.example"'},
        message="not one e-mail address",
    ),
    Case(
        "config: a name with the member's e-mail address",
        "",
        "",
        "recipients.amphoe.members[1].email",
        "<saraban@",
        file="config",
        extra={
            "email: saraban@amphoe4302.nongkhai.example": (
                'email: "ท่าบ่อ <saraban@amphoe4302.nongkhai.example>"'
            )
        },
        message="not one e-mail address",
    ),
    Case(
        "config: two senders",
        "",
        "",
        "dispatch.email.sender",
        "sender:",
        file="config",
        extra={
            "sender: สำนักงานพัฒนาชุมชนจังหวัดหนองคาย <saraban@cd.nongkhai.example>": (
                'sender: "ก <a@b.example>, ข <c@d.example>"'
            )
        },
        message="not one e-mail address",
    ),
    Case(
        "config: catch-word with an unknown field",
        "",
        "",
        "layout.catchword",
        "catchword:",
        file="config",
        extra={"dispatch:": 'layout:\n  catchword: "/{wrd}..."\ndispatch:'},
        message="{wrd} (unknown field)",
    ),
    Case(
        "config: catch-word with a lone brace",
        "",
        "",
        "layout.catchword",
        "catchword:",
        file="config",
        extra={"dispatch:": 'layout:\n  catchword: "/{word}}"\ndispatch:'},
        message="unmatched brace",
    ),
    Case(
        "config: page number with an unknown field",
        "",
        "",
        "layout.page_number",
        "page_number:",
        file="config",
        extra={"dispatch:": 'layout:\n  page_number: "หน้า {page}"\ndispatch:'},
        message="{page} (unknown field)",
    ),
    Case(
        "config: YAML anchor",
        "",
        "",
        "",
        "amphoe: &a",
        file="config",
        extra={"  amphoe:": "  amphoe: &a"},
        message="aliases are not allowed",
    ),
    Case(
        "config: enclosure over the size limit",
        "",
        "",
        "enclosures[0].file",
        "file: pr/line-at-poster.pdf",
        file="directive",
        extra={"dispatch:": "limits:\n  enclosure_max_mb: 0.001\ndispatch:"},
        message="too large",
    ),
]


def _write_case(workdir: Path, case: Case) -> tuple[Path, str]:
    directive = BASE
    if case.old or case.new:
        assert case.old in directive, case.old
        directive = directive.replace(case.old, case.new, 1)
    if case.name == "body is text, not a list":
        directive = directive.replace("body:\n  - text", "body: ย่อหน้าเดียว\nbody_items:\n  - text")
        directive = directive.replace(
            "body_items:\n  - text: ย่อหน้าที่สอง\n    items:\n      - ข้อหนึ่ง\n", ""
        )
    config = (workdir / "config.yaml").read_text(encoding="utf-8")
    for old, new in case.extra.items():
        assert old in config, old
        config = config.replace(old, new, 1)
    (workdir / "config.yaml").write_text(config, encoding="utf-8")
    (workdir / "line-at" / "directive.yaml").write_bytes(directive.encode(case.encoding))
    if case.prepare:
        case.prepare(workdir)
    text = directive if case.file == "directive" else config
    return (workdir / "line-at" / "directive.yaml"), text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_input_is_reported_at_its_line(workdir: Path, letters: Runner, case: Case) -> None:
    _, text = _write_case(workdir, case)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if case.marker in row)
    before = tree(workdir)

    result = letters("check", "line-at/directive.yaml", cwd=workdir)

    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    shown = "line-at/directive.yaml" if case.file == "directive" else "config.yaml"
    prefix = f"{shown}:{line}:"
    field = f" {case.field}:" if case.field else ""
    pattern = re.compile(rf"^{re.escape(prefix)}\d+:{re.escape(field)} ", re.MULTILINE)
    assert pattern.search(result.err), f"expected {prefix}COL:{field} in:\n{result.err}"
    assert case.message in result.err
    assert tree(workdir) == before, "a failed check must write nothing"


def test_all_problems_are_reported_at_once(workdir: Path, letters: Runner) -> None:
    broken = (
        BASE.replace("date: 2018-12-11", "date: 2018-13-01")
        .replace("signer: provincial-cd-officer", "signer: nobody")
        .replace("file: pr/line-at-poster.pdf", "file: pr/none.pdf")
        .replace("number: auto", "numbr: auto")
    )
    (workdir / "line-at" / "directive.yaml").write_text(broken, encoding="utf-8")
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    for path in ("date", "signer", "enclosures[0].file", "numbr"):
        assert f": {path}: " in result.err
    assert "พบ 4 จุดที่ต้องแก้" in result.err


def test_reference_directive_validates() -> None:
    letter = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    assert letter.directive.kind == "circular"
    assert [m.code for m in letter.recipients] == [
        "4301",
        "4302",
        "4305",
        "4307",
        "4308",
        "4314",
        "4315",
        "4316",
        "4317",
    ]
    assert [e.file.kind for e in letter.enclosures] == ["pdf", "png"]
    assert len(letter.directive.body) == 2 and len(letter.directive.body[1].items) == 3
    # Folded YAML lines are joined with a space.
    assert "\n" not in letter.directive.body[0].text
    assert letter.addressee(letter.recipients[0]) == "นายอำเภอทุกอำเภอ"


def test_only_and_each_address(workdir: Path) -> None:
    text = BASE.replace("  address: collective", "  address: each\n  only: ['๔๓๐๕', '4301']")
    (workdir / "line-at" / "directive.yaml").write_text(text, encoding="utf-8")
    letter = load_letter(workdir / "line-at" / "directive.yaml")
    assert [m.code for m in letter.recipients] == ["4305", "4301"]
    assert letter.addressee(letter.recipients[0]) == "นายอำเภอโพนพิสัย"


def test_missing_config_is_reported(tmp_path: Path, letters: Runner) -> None:
    (tmp_path / "d.yaml").write_text(BASE, encoding="utf-8")
    result = letters("check", "d.yaml", cwd=tmp_path)
    assert result.code == 1
    assert "config.yaml: ไม่พบไฟล์ (no such file)" in result.err


def test_load_letter_raises_input_error(workdir: Path) -> None:
    (workdir / "line-at" / "directive.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_letter(workdir / "line-at" / "directive.yaml")
    assert "expected a mapping" in str(info.value)


BILLION_LAUGHS = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]\n"
            for before, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


@pytest.mark.parametrize("file", ["directive", "config"])
def test_billion_laughs_are_refused_at_once(workdir: Path, letters: Runner, file: str) -> None:
    """Nine levels of nine aliases: 400 bytes that expand to 9^9 strings. Refused at the
    first anchor, before anything is expanded."""
    import time
    import tracemalloc

    assert len(BILLION_LAUGHS.encode()) < 500
    target = workdir / ("line-at/directive.yaml" if file == "directive" else "config.yaml")
    target.write_text(BILLION_LAUGHS, encoding="utf-8")
    shown = "line-at/directive.yaml" if file == "directive" else "config.yaml"
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = letters("check", "line-at/directive.yaml", cwd=workdir)
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert result.code == 1, result.text
    assert f"{shown}:1:4: YAML aliases are not allowed" not in result.err  # Thai first
    assert re.search(rf"^{re.escape(shown)}:1:4: .*aliases are not allowed", result.err, re.M)
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert elapsed < 5 and peak < 50_000_000, (elapsed, peak)


def test_control_characters_are_never_printed_back(workdir: Path, letters: Runner) -> None:
    """A value with an escape sequence is refused, and every message naming it shows the
    escape, not the character a terminal would obey."""
    directive = BASE.replace(
        "  address: collective", '  address: collective\n  only: ["\\e[2J\\e]0;owned\\a"]'
    ).replace("signer: provincial-cd-officer", 'signer: "\\e[31mร้าย"')
    (workdir / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    assert "\x1b" not in result.text and "\\x1b[2J" in result.err
    assert re.search(r"^line-at/directive.yaml:8:\d+: to.only\[0\]: .*control", result.err, re.M)
    assert re.search(r"^line-at/directive.yaml:\d+:\d+: signer: .*control", result.err, re.M)


def _dated(workdir: Path, date: str, due: str) -> None:
    directive = BASE.replace("date: 2018-12-11", f"date: {date}").replace(
        "due: 2018-12-25", f"due: {due}"
    )
    (workdir / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")


@pytest.mark.parametrize(
    "date", ["2561-12-11", "๒๕๖๑-๑๒-๑๑", "๑๑ ธันวาคม ๒๕๖๑", "11 ธ.ค. 2561", "2018-12-11"]
)
def test_dates_as_a_clerk_types_them(workdir: Path, letters: Runner, date: str) -> None:
    """Every form reads as 11 December 2018; a พ.ศ. year is said in the summary, and the
    date, years before today, is warned of with what was understood (not refused)."""
    _dated(workdir, date, "2561-12-25")
    letter = load_letter(workdir / "line-at" / "directive.yaml")
    assert letter.directive.date.isoformat() == "2018-12-11"
    assert letter.directive.follow_up is not None
    assert letter.directive.follow_up.due.isoformat() == "2018-12-25"
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    assert "ลงวันที่ (date): ๑๑ ธันวาคม ๒๕๖๑" in result.out
    buddhist = date != "2018-12-11"
    read = "เป็นปี พ.ศ. ๒๕๖๑ = ค.ศ. 2018 (Buddhist-era year)"
    note = f"line-at/directive.yaml:3:7: date: หมายเหตุ (note): อ่าน '{date}' {read}"
    assert (note in result.out.splitlines()) is buddhist
    assert f"follow_up.due: หมายเหตุ (note): อ่าน '2561-12-25' {read}" in result.out
    warning = next(ln for ln in result.out.splitlines() if "คำเตือน (warning)" in ln)
    assert warning.startswith("line-at/directive.yaml:3:7: date: ")
    assert "more than a year from today" in warning and "พ.ศ. ๒๕๖๑" in warning


def test_a_due_date_that_cannot_be_read_is_said_once(workdir: Path, letters: Runner) -> None:
    """Refused for its year, not also compared with the letter's date."""
    _dated(workdir, "2018-12-11", "1900-01-01")
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    assert re.search(
        r"^line-at/directive.yaml:21:8: follow_up.due: .*year out of range", result.err, re.M
    )
    assert "due date before" not in result.err
    assert "พบ 1 จุดที่ต้องแก้" in result.err


def test_a_field_with_a_control_character_is_said_once(workdir: Path, letters: Runner) -> None:
    """The character is named; the model's "must be one of" for the same text is not added."""
    directive = BASE.replace("kind: circular", 'kind: "\\x1Ccircular"')
    (workdir / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    assert re.search(
        r"^line-at/directive.yaml:1:7: kind: .*U\+001C \(control character\)", result.err, re.M
    )
    assert "must be one of" not in result.err
    assert "พบ 1 จุดที่ต้องแก้" in result.err


def test_a_date_near_today_gives_no_warning(workdir: Path, letters: Runner) -> None:
    today = dt.date.today()
    _dated(workdir, thai.thai_date(today), (today + dt.timedelta(days=14)).isoformat())
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    assert "คำเตือน" not in result.text
    assert f"ลงวันที่ (date): {thai.thai_date(today)}" in result.out


def test_page_number_with_css_characters_prints_as_written(tmp_path: Path, letters: Runner) -> None:
    """The page number's text is a CSS string in the letter's stylesheet: quotes, ``;``,
    ``}`` and backslashes around ``{n}`` print as typed and break nothing."""
    directive = make_office(
        tmp_path,
        emblem=False,
        config_edits={"dispatch:": "layout:\n  page_number: '\"; } \\ {n} {'\ndispatch:"},
    )
    rewrite_body(directive, "\n".join(f"  - ย่อหน้าที่ {i} ของหนังสือหลายหน้า" for i in range(1, 61)))
    result = letters(
        "build", directive, "--only", "4301", "--format", "pdf", "--out", "out", cwd=tmp_path
    )
    assert result.code == 0, result.text
    pages = lines(tmp_path / "out" / "letters" / "4301-เมืองหนองคาย.pdf")
    assert len(pages) >= 2
    for number, page in enumerate(pages[1:], 2):
        shown = '"; } \\ ' + thai.thai_number(number) + " {"
        assert shown in [ln.text for ln in page]
