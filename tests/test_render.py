"""The PDF letter, measured: the layout of letter-format.md, in points on the page."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Runner, shared_path
from pdfgeometry import (
    A4,
    PT_PER_CM,
    Line,
    big_text,
    embedded_fonts,
    graphics_box,
    images,
    lines,
    overprinted,
    page_sizes,
    pixels,
    squash,
)

from letters import thai

LEFT = 3 * PT_PER_CM  # 85.04
RIGHT = A4[0] - 2 * PT_PER_CM  # 538.58
INDENT = LEFT + 2.5 * PT_PER_CM
CENTRE = (LEFT + RIGHT) / 2
TOP_LIMIT = 2.5 * PT_PER_CM  # text above this on pages 2+ is the page number
BOTTOM_LIMIT = A4[1] - 2 * PT_PER_CM  # text below this is in the bottom margin


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference directive and config built once, as a clerk would, into a folder."""
    from letters.build import build

    folder = tmp_path_factory.mktemp("reference")
    build(
        shared_path("examples", "line-at", "directive.yaml"),
        shared_path("examples", "config.yaml"),
        out=folder / "out",
        register=folder / "register.sqlite3",
    )
    return folder / "out"


def _letters(folder: Path) -> list[Path]:
    return sorted((folder / "letters").glob("*.pdf"))


def _flow(pdf: Path) -> list[Line]:
    """The text block's lines of every page, in reading order (margins left out)."""
    return [
        line for page in lines(pdf) for line in page if TOP_LIMIT < line.baseline < BOTTOM_LIMIT + 2
    ]


def _body(pdf: Path) -> list[Line]:
    """From the first body line (ด้วย...) to the line before the complimentary close."""
    flow = _flow(pdf)
    start = next(
        i
        for i, ln in enumerate(flow)
        if abs(ln.x0 - INDENT) <= 1 and ln.baseline > flow[0].baseline
    )
    end = next(i for i, ln in enumerate(flow) if squash(ln.text) == squash("ขอแสดงความนับถือ"))
    return flow[start:end]


def test_one_a4_letter_per_district(reference_build: Path) -> None:
    names = [p.name for p in _letters(reference_build)]
    assert names == [
        "4301-เมืองหนองคาย.pdf",
        "4302-ท่าบ่อ.pdf",
        "4305-โพนพิสัย.pdf",
        "4307-ศรีเชียงใหม่.pdf",
        "4308-สังคม.pdf",
        "4314-สระใคร.pdf",
        "4315-เฝ้าไร่.pdf",
        "4316-รัตนวาปี.pdf",
        "4317-โพธิ์ตาก.pdf",
    ]
    for pdf in _letters(reference_build):
        for width, height in page_sizes(pdf):
            assert width == pytest.approx(A4[0], abs=0.5)
            assert height == pytest.approx(A4[1], abs=0.5)


def test_garuda_size_and_place(reference_build: Path) -> None:
    for pdf in _letters(reference_build):
        x0, top, x1, bottom = graphics_box(pdf, 0, above=150)
        assert bottom - top == pytest.approx(3 * PT_PER_CM, abs=1.5)  # 85 pt
        assert top == pytest.approx(1.5 * PT_PER_CM, abs=1.5)  # 42.5 pt
        assert (x0 + x1) / 2 == pytest.approx(CENTRE, abs=1.5)


def test_number_and_sender_stand_on_the_garuda_foot(reference_build: Path) -> None:
    pdf = _letters(reference_build)[0]
    _, _, _, foot = graphics_box(pdf, 0, above=150)
    first = lines(pdf)[0]
    number = next(ln for ln in first if ln.text.startswith("ที่"))
    sender = next(ln for ln in first if squash(ln.text) == squash("ศาลากลางจังหวัดหนองคาย"))
    assert number.x0 == pytest.approx(LEFT, abs=1)
    assert number.baseline == pytest.approx(sender.baseline, abs=0.5)
    assert abs(number.baseline - foot) < 8  # the line sits on the emblem's foot
    assert number.text.replace(" ", "") == "ที่นค๐๐๑๙.๔/ว๑"  # number: auto, ๑ in a new register
    address = next(ln for ln in first if squash(ln.text) == squash("ถนนมิตรภาพ นค ๔๓๐๐๐"))
    assert address.x0 == pytest.approx(sender.x0, abs=0.5)  # one left-aligned block
    assert max(sender.x1, address.x1) <= RIGHT + 0.5


def test_date_starts_at_the_centre(reference_build: Path) -> None:
    for pdf in _letters(reference_build)[:2]:
        date = next(ln for ln in lines(pdf)[0] if ln.text.endswith("ธันวาคม ๒๕๖๑"))
        assert date.text == "๑๑ ธันวาคม ๒๕๖๑"
        assert date.x0 == pytest.approx(CENTRE, abs=2)


def test_body_lines_start_at_margin_or_indent_and_justified_lines_fill(
    reference_build: Path,
) -> None:
    body = _body(_letters(reference_build)[0])
    assert len(body) > 15
    starts = [ln for ln in body if abs(ln.x0 - INDENT) <= 1]
    assert len(starts) == 6  # 2 paragraphs, 3 items, the closing paragraph
    for i, line in enumerate(body):
        assert abs(line.x0 - LEFT) <= 1 or abs(line.x0 - INDENT) <= 1, line.text
        last_of_paragraph = i + 1 == len(body) or abs(body[i + 1].x0 - INDENT) <= 1
        if last_of_paragraph:
            assert line.x1 < RIGHT - 1 or len(squash(line.text)) < 8, line.text
        else:
            assert line.x1 == pytest.approx(RIGHT, abs=1), line.text


def test_no_ascii_digit_outside_links(reference_build: Path) -> None:
    for pdf in _letters(reference_build):
        for page in lines(pdf):
            for line in page:
                assert not thai.has_ascii_digit_outside_links(line.text), line.text
    texts = [ln.text for page in lines(_letters(reference_build)[0]) for ln in page]
    assert any("www.pr.moi.go.th" in t for t in texts)
    assert any("saraban@cd.nongkhai.example" in t for t in texts)
    assert any("๐-๔๒๔๑-๑๑๘๒" in t for t in texts)


def test_parts_in_order(reference_build: Path) -> None:
    flow = [squash(ln.text) for page in lines(_letters(reference_build)[0]) for ln in page]
    wanted = [
        "เรื่อง",
        "เรียนนายอำเภอทุกอำเภอ",
        "สิ่งที่ส่งมาด้วย๑.",
        "ด้วยจังหวัดหนองคาย",
        "๑.เน้นย้ำ",
        "๒.เน้นย้ำ",
        "๓.มอบหมาย",
        "จึงเรียนมาเพื่อพิจารณา",
        "ขอแสดงความนับถือ",
        "(นายวิฑูรย์แสนใจวุฒิ)",
        "พัฒนาการจังหวัดปฏิบัติราชการแทน",
        "ผู้ว่าราชการจังหวัดหนองคาย",
        "สำนักงานพัฒนาชุมชนจังหวัด",
        "โทร/โทรสาร๐-๔๒๔๑-๑๑๘๒",
    ]
    position = 0
    for part in wanted:
        found = next(
            i for i, t in enumerate(flow[position:], position) if t.startswith(squash(part))
        )
        position = found + 1


def test_signature_block_centred_under_the_close(reference_build: Path) -> None:
    pdf = _letters(reference_build)[0]
    flow = _flow(pdf)
    close = next(ln for ln in flow if squash(ln.text) == squash("ขอแสดงความนับถือ"))
    assert close.x0 == pytest.approx(CENTRE, abs=2)
    for text in ("(นายวิฑูรย์ แสนใจวุฒิ)", "ผู้ว่าราชการจังหวัดหนองคาย"):
        line = next(ln for ln in flow if squash(ln.text) == squash(text))
        assert line.centre == pytest.approx(close.centre, abs=2)
        assert line.baseline > close.baseline + 3 * 20  # room for the signature above


def test_slogan_on_page_one_only(reference_build: Path) -> None:
    pdf = _letters(reference_build)[0]
    pages = lines(pdf)
    slogan = [ln for ln in pages[0] if ln.baseline > BOTTOM_LIMIT and "หนองคาย" in ln.text]
    assert len(slogan) == 1 and slogan[0].centre == pytest.approx(A4[0] / 2, abs=3)
    for page in pages[1:]:
        assert not any("เกษตรอุตสาหกรรม" in ln.text for ln in page)


LONG_BODY = "\n".join(
    f"  - >-\n    {i}. " + "ด้วยจังหวัดหนองคาย ได้รับแจ้งจากกระทรวงมหาดไทยว่า ได้ดำเนินการปฏิบัติการสื่อสาร "
    "โดยจัดตั้งกลุ่มไลน์ทางการผ่านแอปพลิเคชันไลน์แอด ภายใต้ชื่อ “@มหาดไทย” เพื่อสื่อสารข้อมูลไปยัง"
    "บุคลากรในสังกัดกระทรวงมหาดไทยอย่างทั่วถึง รวดเร็ว และมีประสิทธิภาพ รวมไปถึงการสร้างความรู้"
    "ความเข้าใจกับประชาชน"
    for i in range(1, 13)
)


def _long_directive(folder: Path) -> Path:
    reference = shared_path("examples", "line-at", "directive.yaml").read_text(encoding="utf-8")
    head, _, rest = reference.partition("body:\n")
    _, _, tail = rest.partition("\nclosing:")
    directive = folder / "long" / "directive.yaml"
    directive.parent.mkdir()
    shutil.copytree(shared_path("examples", "line-at", "pr"), directive.parent / "pr")
    directive.write_text(f"{head}body:\n{LONG_BODY}\n\nclosing:{tail}", encoding="utf-8")
    return directive


def test_three_pages_numbers_catchwords_and_signature_with_text(
    tmp_path: Path, letters: Runner
) -> None:
    directive = _long_directive(tmp_path)
    config = shared_path("examples", "config.yaml")
    result = letters(
        "build",
        directive,
        "--config",
        config,
        "--only",
        "4301",
        "--out",
        "out",
        "--register",
        "register.sqlite3",
        cwd=tmp_path,
    )
    assert result.code == 0, result.text
    pdf = tmp_path / "out" / "letters" / "4301-เมืองหนองคาย.pdf"
    pages = lines(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        marks = [ln for ln in page if ln.baseline < TOP_LIMIT and ln.text.startswith("-")]
        if number == 1:
            assert not marks
            continue
        assert [m.text for m in marks] == [f"- {thai.thai_number(number)} -"]
        assert marks[0].centre == pytest.approx(CENTRE, abs=2)
        assert marks[0].baseline < 1.5 * PT_PER_CM + 16  # its top about 1.5 cm from the edge
    for number, page in enumerate(pages):
        catch = [ln for ln in page if ln.baseline > BOTTOM_LIMIT and ln.text.startswith("/")]
        if number == len(pages) - 1:
            assert not catch
            continue
        assert len(catch) == 1 and catch[0].x1 == pytest.approx(RIGHT, abs=1)
        word = catch[0].text.removeprefix("/").removesuffix("...")
        following = [ln for ln in pages[number + 1] if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT]
        assert word and squash(following[0].text).startswith(squash(word))
        assert len(squash(word)) < len(squash(following[0].text))
    last = [ln for ln in pages[-1] if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT]
    close = next(i for i, ln in enumerate(last) if squash(ln.text) == squash("ขอแสดงความนับถือ"))
    assert close >= 2, "the complimentary close needs at least two lines of text above it"


def test_signature_image_and_draft(tmp_path: Path, letters: Runner) -> None:
    from PIL import Image, ImageDraw

    config_text = shared_path("examples", "config.yaml").read_text(encoding="utf-8")
    sign = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(sign).line([(20, 150), (200, 40), (380, 160), (580, 50)], fill="navy", width=8)
    office = tmp_path / "office"
    office.mkdir()
    sign.save(office / "sign.png")
    config_text = config_text.replace(
        "    name: นายวิฑูรย์ แสนใจวุฒิ", "    name: นายวิฑูรย์ แสนใจวุฒิ\n    signature: sign.png"
    ).replace("emblem: ../assets/garuda.svg", f"emblem: {shared_path('assets', 'garuda.svg')}")
    (office / "config.yaml").write_text(config_text, encoding="utf-8")
    shutil.copytree(shared_path("examples", "line-at"), office / "line-at")

    result = letters("build", "line-at/directive.yaml", "--only", "4302", cwd=office)
    assert result.code == 0, result.text
    pdf = office / "out" / "line-at" / "letters" / "4302-ท่าบ่อ.pdf"
    pages = lines(pdf)
    last = len(pages) - 1
    close = next(ln for ln in pages[last] if squash(ln.text) == squash("ขอแสดงความนับถือ"))
    name = next(ln for ln in pages[last] if squash(ln.text) == squash("(นายวิฑูรย์ แสนใจวุฒิ)"))
    pictures = images(pdf, last)
    assert len(pictures) == 1
    picture = pictures[0]
    assert picture["bottom"] - picture["top"] == pytest.approx(1.5 * PT_PER_CM, abs=1)
    assert (picture["x0"] + picture["x1"]) / 2 == pytest.approx(close.centre, abs=2)
    assert close.baseline < picture["top"] and picture["bottom"] < name.baseline - 10

    result = letters("build", "line-at/directive.yaml", "--only", "4302", "--draft", cwd=office)
    assert result.code == 0, result.text
    pdf = office / "out" / "line-at-draft" / "letters" / "4302-ท่าบ่อ.pdf"
    pages = lines(pdf)
    assert all(images(pdf, i) == [] for i in range(len(pages)))
    for page in range(len(pages)):
        assert big_text(pdf, page) == "ร่าง", "every page of a draft carries ร่าง"


def _office(tmp_path: Path, config_edits: dict[str, str], directive_edits: dict[str, str]) -> Path:
    """An office folder: the reference config and directive with some lines changed."""
    office = tmp_path / "office"
    shutil.copytree(shared_path("examples", "line-at"), office / "line-at")
    config = shared_path("examples", "config.yaml").read_text(encoding="utf-8")
    config = config.replace(
        "emblem: ../assets/garuda.svg", f"emblem: {shared_path('assets', 'garuda.svg')}"
    )
    for old, new in config_edits.items():
        assert old in config
        config = config.replace(old, new)
    (office / "config.yaml").write_text(config, encoding="utf-8")
    directive = (office / "line-at" / "directive.yaml").read_text(encoding="utf-8")
    for old, new in directive_edits.items():
        assert old in directive
        directive = directive.replace(old, new)
    (office / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")
    return office


def _build_one(office: Path, letters: Runner, code: str = "4301") -> Path:
    result = letters("build", "line-at/directive.yaml", "--only", code, cwd=office)
    assert result.code == 0, result.text
    (pdf,) = (office / "out" / "line-at" / "letters").glob(f"{code}-*.pdf")
    return pdf


def _red(char: dict[str, object]) -> bool:
    colour = char["non_stroking_color"]
    return isinstance(colour, tuple) and colour[0] > 0.7 and max(colour[1:]) < 0.2


def test_speed_and_secrecy_stamps(tmp_path: Path, letters: Runner) -> None:
    office = _office(
        tmp_path, {}, {"speed: ปกติ ": "speed: ด่วนที่สุด ", "secrecy: ปกติ ": "secrecy: ลับ "}
    )
    pdf = _build_one(office, letters)
    pages = lines(pdf)
    number = next(ln for ln in pages[0] if ln.text.startswith("ที่"))
    speed = next(ln for ln in pages[0] if squash(ln.text) == squash("ด่วนที่สุด"))
    assert speed.x0 == pytest.approx(LEFT, abs=1) and speed.baseline < number.baseline
    assert all(_red(c) for c in speed.chars) and speed.chars[0]["size"] > 28
    for page in pages:
        stamps = [ln for ln in page if ln.text == "ลับ" and all(_red(c) for c in ln.chars)]
        assert len(stamps) == 2, "a secrecy stamp at the top and at the bottom of every page"
        top, bottom = sorted(stamps, key=lambda ln: ln.baseline)
        assert top.baseline < 2.5 * PT_PER_CM and bottom.baseline > BOTTOM_LIMIT
        assert top.centre == pytest.approx(CENTRE, abs=2)
        assert bottom.centre == pytest.approx(CENTRE, abs=2)


def test_references_copies_and_line_pitch_setting(tmp_path: Path, letters: Runner) -> None:
    office = _office(
        tmp_path,
        {"dispatch:": "layout:\n  line_pitch_pt: 22\ndispatch:"},
        {
            "references: []": "references:\n  - หนังสือกระทรวงมหาดไทย ที่ มท 0212.3/ว 5678 "
            "ลงวันที่ 30 พฤศจิกายน 2561\n  - หนังสือจังหวัดหนองคาย ที่ นค 0019.4/ว 120",
            "owner: cd-informatics": "owner: cd-informatics\ncopies:\n  - ท้องถิ่นจังหวัดหนองคาย",
        },
    )
    pdf = _build_one(office, letters)
    flow = [ln for page in lines(pdf) for ln in page]
    first = next(i for i, ln in enumerate(flow) if ln.text.startswith("อ้างถึง"))
    label_end = flow[first].chars[len("อ้างถึง") - 1]["x1"]
    refs = flow[first : first + 3]
    assert refs[0].text.replace(" ", "").startswith("อ้างถึง๑.หนังสือกระทรวงมหาดไทย")
    assert "๐๒๑๒.๓/ว ๕๖๗๘" in refs[0].text
    second = next(ln for ln in refs[1:] if ln.text.startswith("๒."))
    assert second.x0 > label_end  # aligned after the label
    assert any(squash(ln.text) == squash("สำเนาส่ง ท้องถิ่นจังหวัดหนองคาย") for ln in flow)
    body = [ln for ln in _body(pdf) if ln.page == 0]
    gaps = {round(b.baseline - a.baseline, 1) for a, b in itertools.pairwise(body)}
    assert 22.0 in gaps and 27.4 not in gaps


def test_office_fonts_folder_is_used(tmp_path: Path, letters: Runner) -> None:
    from letters.fonts import sarabun

    office = _office(tmp_path, {}, {})
    (office / "fonts").mkdir()
    # An office's own TH Sarabun file; here Sarabun Bold stands in, so the PDF shows which.
    shutil.copy(sarabun().file(700).path, office / "fonts" / "THSarabunNew.ttf")
    assert embedded_fonts(_build_one(office, letters)) == {"Sarabun Bold"}
    shutil.rmtree(office / "fonts")
    assert embedded_fonts(_build_one(office, letters)) == {"Sarabun Regular"}


def test_directory_names_never_split(tmp_path: Path, letters: Runner) -> None:
    name = "นายอำเภอศรีเชียงใหม่"
    filler = "ขอให้ดำเนินการประชุม"
    paragraphs = "\n".join(
        f"  - {filler * (k // 3)}{'และ' * (k % 3)} {name} รับทราบ" for k in range(1, 14)
    )
    office = _office(tmp_path, {}, {})
    directive = office / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8")
    head, _, rest = text.partition("body:\n")
    _, _, tail = rest.partition("\nclosing:")
    directive.write_text(f"{head}body:\n{paragraphs}\n\nclosing:{tail}", encoding="utf-8")
    pdf = _build_one(office, letters)
    flow = [squash(ln.text) for ln in _flow(pdf)]
    assert sum(t.count(squash(name)) for t in flow) == 13


# ---------------------------------------------------------------- overprinting

# Addressees of the kinds a letter to each district meets: Thai names, Thai digits and
# characters HTML escapes, and one that cannot fit the addressee's place at all (a title is a
# directory name, never split: this one is longer than the line).
_UNBREAKABLE = "โพนพิสัย" * 14
_EDITS = {
    "title: นายอำเภอศรีเชียงใหม่,": "title: 'นายอำเภอศรีเชียงใหม่ (R&D <กลุ่ม 2>)',",
    "name: โพนพิสัย, title: นายอำเภอโพนพิสัย,": (
        f"name: {_UNBREAKABLE}, title: นายอำเภอ{_UNBREAKABLE},"
    ),
}


@pytest.fixture(scope="module")
def each_letter(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from letters.directive import load_letter

    office = _office(
        tmp_path_factory.mktemp("each"), _EDITS, {"address: collective": "address: each"}
    )
    return load_letter(office / "line-at" / "directive.yaml")


def _renderer(letter: Any) -> Any:
    from letters.fonts import letter_fonts
    from letters.render import PdfRenderer

    config = letter.config.model
    return PdfRenderer(
        config.layout,
        letter_fonts(letter.config.folder),
        author=config.office.name,
        keep_whole=letter.directory_names,
    )


def test_overprinted_copies_are_the_pages_of_whole_ones(each_letter: Any) -> None:
    from letters.content import copy_for

    date = each_letter.directive.date
    copies = [copy_for(each_letter, m, "7") for m in each_letter.recipients]
    fast, whole = _renderer(each_letter), _renderer(each_letter)
    for copy in copies:
        made, reference = fast.render(copy, date), whole.render_whole(copy, date)
        name = copy.recipient.code
        assert (made.pages, made.catchwords) == (reference.pages, reference.catchwords), name
        assert pixels(made.pdf) == pixels(reference.pdf), f"{name}: pages differ"
        if copy.recipient.name == _UNBREAKABLE:
            assert overprinted(made.pdf) == [], "a name wider than the line is laid out whole"
            assert made.pdf == reference.pdf
        else:
            assert overprinted(made.pdf) == ["/Fill0"], f"{name}: not overprinted"


def test_overprinted_addressee_reads_after_the_salutation(each_letter: Any, tmp_path: Path) -> None:
    from letters.content import copy_for

    renderer = _renderer(each_letter)
    date = each_letter.directive.date
    by_code = {m.code: m for m in each_letter.recipients}
    cases = (
        ("4301", ["นายอำเภอเมืองหนองคาย"]),
        ("4307", ["นายอำเภอศรีเชียงใหม่", "(R&D", "<กลุ่ม", "๒>)"]),
    )
    for code, expected in cases:
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(renderer.render(copy_for(each_letter, by_code[code], "7"), date).pdf)
        page = lines(path)[0]
        start = next(i for i, ln in enumerate(page) if squash(ln.text).startswith(squash("เรียน")))
        assert squash(page[start].text) == squash("เรียน" + " ".join(expected)), code


def test_overprinted_copy_does_not_depend_on_the_copies_before(each_letter: Any) -> None:
    from letters.content import copy_for

    date = each_letter.directive.date
    members = {m.code: m for m in each_letter.recipients}
    last = copy_for(each_letter, members["4317"], "7")
    one, other = _renderer(each_letter), _renderer(each_letter)
    one.render(copy_for(each_letter, members["4301"], "7"), date)
    other.render(copy_for(each_letter, members["4316"], "7"), date)
    other.render(copy_for(each_letter, members["4302"], "7"), date)
    assert one.render(last, date).pdf == other.render(last, date).pdf


def test_overprinting_holds_under_stamps_and_the_draft_watermark(tmp_path: Path) -> None:
    from letters.content import copy_for
    from letters.directive import load_letter

    edits = {
        "address: collective": "address: each",
        "speed: ปกติ": "speed: ด่วนที่สุด",
        "secrecy: ปกติ": "secrecy: ลับ",
    }
    letter = load_letter(_office(tmp_path, {}, edits) / "line-at" / "directive.yaml")
    date = letter.directive.date
    for draft in (True, False):
        fast, whole = _renderer(letter), _renderer(letter)
        for member in letter.recipients[:3]:
            copy = copy_for(letter, member, None if draft else "7", draft=draft)
            made, reference = fast.render(copy, date), whole.render_whole(copy, date)
            assert overprinted(made.pdf) == ["/Fill0"]
            assert pixels(made.pdf) == pixels(reference.pdf), (draft, member.code)


_LONG_TITLE = (
    "นายอำเภอท่าบ่อ ในฐานะผู้อำนวยการศูนย์ปฏิบัติการ ป้องกันและบรรเทาสาธารณภัยอำเภอท่าบ่อ "
    "และประธานคณะกรรมการพัฒนาสตรีระดับอำเภอ"
)


def test_a_title_longer_than_the_line_wraps_inside_the_margins(tmp_path: Path) -> None:
    from letters.content import copy_for
    from letters.directive import load_letter

    office = _office(
        tmp_path,
        {"title: นายอำเภอท่าบ่อ,": f"title: {_LONG_TITLE},"},
        {"address: collective": "address: each"},
    )
    letter = load_letter(office / "line-at" / "directive.yaml")
    date = letter.directive.date
    fast, whole = _renderer(letter), _renderer(letter)
    for member in letter.recipients[:3]:  # 4301, 4302 (the long title), 4305
        copy = copy_for(letter, member, "7")
        made, reference = fast.render(copy, date), whole.render_whole(copy, date)
        assert overprinted(made.pdf) == ["/Fill0"], member.code
        assert pixels(made.pdf) == pixels(reference.pdf), member.code
        path = tmp_path / f"{member.code}.pdf"
        path.write_bytes(made.pdf)
        page = lines(path)[0]
        assert max(line.x1 for line in page) <= RIGHT + 0.5, member.code
        if member.code == "4302":
            start = next(
                i for i, ln in enumerate(page) if squash(ln.text).startswith(squash("เรียน"))
            )
            wanted, text = squash("เรียน" + _LONG_TITLE), ""
            taken = 0
            while text != wanted and taken < 4:
                text += squash(page[start + taken].text)
                taken += 1
            assert text == wanted and taken > 1, "the title wraps onto the lines below"
