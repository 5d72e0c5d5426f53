"""The PDF letter, measured: the layout of the correspondence regulation's Garuda format, in
points on the page. The office is the project's config.yaml with a Garuda drawn in."""

from __future__ import annotations

import io
import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from conftest import EXAMPLE, Reference, Runner, make_office, rewrite_body
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
def reference_build(tmp_path_factory: pytest.TempPathFactory, reference_office: Reference) -> Path:
    """The example directive and the office's config built once, as a clerk would."""
    from letters.commands import build

    folder = tmp_path_factory.mktemp("reference")
    build(
        reference_office.directive,
        reference_office.config,
        out=folder / "out",
        register=folder / "register.sqlite3",
    )
    return folder / "out"


def _letters(folder: Path) -> list[Path]:
    return sorted((folder / "letters").glob("*.pdf"))


def _catchword(line: Line) -> bool:
    return line.text.startswith("/") and line.text.endswith("...")


def _flow(pdf: Path) -> list[Line]:
    """The text block's lines of every page, in reading order (margins and catch-words left
    out)."""
    return [
        line
        for page in lines(pdf)
        for line in page
        if TOP_LIMIT < line.baseline < BOTTOM_LIMIT + 2 and not _catchword(line)
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


def test_true_size_of_th_sarabun_16_pt(reference_build: Path) -> None:
    """TH Sarabun New 16 pt as a Thai office prints it: ขอแสดงความนับถือ 84.2 pt wide, Word's
    single spacing of about 21 pt, the reference letter on at most two pages."""
    for pdf in _letters(reference_build):
        pages = lines(pdf)
        assert len(pages) <= 2
        assert _close_width(pdf) == pytest.approx(84.2, abs=2.5)
        body = _body(pdf)
        pitches = [
            b.baseline - a.baseline
            for a, b in itertools.pairwise(body)
            if a.page == b.page and abs(b.x0 - INDENT) > 1  # the same paragraph
        ]
        assert len(pitches) > 10
        assert all(20.6 <= p <= 21.5 for p in pitches), pitches


def test_nothing_in_the_binding_margin_nothing_below_the_text_but_the_slogan(
    reference_build: Path,
) -> None:
    for pdf in _letters(reference_build):
        for page in lines(pdf):
            for line in page:
                assert line.x0 >= 85.0 and line.x1 <= 538.6, (line.page, line.text)
                if "เกษตรอุตสาหกรรม" not in line.text:
                    assert line.baseline <= BOTTOM_LIMIT, (line.page, line.text)


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
    # Each part's first line, read from the top of page 1 on, comes after the parts above it.
    position = 0
    for above, part in zip(["(the top of page 1)", *wanted], wanted, strict=False):
        found = [i for i, t in enumerate(flow) if i >= position and t.startswith(squash(part))]
        assert found, f"{part} is missing, or stands before {above}: {flow}"
        position = found[0] + 1


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
    # centred in the bottom margin on the text block, never in the binding margin
    assert len(slogan) == 1 and slogan[0].centre == pytest.approx(CENTRE, abs=3)
    assert slogan[0].x0 >= LEFT and slogan[0].x1 <= RIGHT
    for page in pages[1:]:
        assert not any("เกษตรอุตสาหกรรม" in ln.text for ln in page)


LONG_BODY = "\n".join(
    f"  - >-\n    {i}. " + "ด้วยจังหวัดหนองคาย ได้รับแจ้งจากกระทรวงมหาดไทยว่า ได้ดำเนินการปฏิบัติการสื่อสาร "
    "โดยจัดตั้งกลุ่มไลน์ทางการผ่านแอปพลิเคชันไลน์แอด ภายใต้ชื่อ “@มหาดไทย” เพื่อสื่อสารข้อมูลไปยัง"
    "บุคลากรในสังกัดกระทรวงมหาดไทยอย่างทั่วถึง รวดเร็ว และมีประสิทธิภาพ รวมไปถึงการสร้างความรู้"
    "ความเข้าใจกับประชาชน"
    for i in range(1, 25)
)


def _long_directive(folder: Path) -> Path:
    directive = folder / "long" / "directive.yaml"
    directive.parent.mkdir()
    shutil.copytree(EXAMPLE / "pr", directive.parent / "pr")
    shutil.copy(EXAMPLE / "directive.yaml", directive)
    rewrite_body(directive, LONG_BODY)
    return directive


def test_three_pages_numbers_catchwords_and_signature_with_text(
    tmp_path: Path, reference_office: Reference, letters: Runner
) -> None:
    directive = _long_directive(tmp_path)
    config = reference_office.config
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
        catch = [ln for ln in page if ln.text.startswith("/")]
        if number == len(pages) - 1:
            assert not catch
            continue
        assert len(catch) == 1 and catch[0].x1 == pytest.approx(RIGHT, abs=1)
        # the catch-word is the last line of the text block, not in the 2 cm margin
        text = [ln for ln in page if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT]
        assert catch[0] is text[-1]
        assert BOTTOM_LIMIT - 21.5 < catch[0].baseline < BOTTOM_LIMIT
        word = catch[0].text.removeprefix("/").removesuffix("...")
        following = [ln for ln in pages[number + 1] if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT]
        assert word and squash(following[0].text).startswith(squash(word))
        assert len(squash(word)) < len(squash(following[0].text))
    last = [ln for ln in pages[-1] if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT]
    close = next(i for i, ln in enumerate(last) if squash(ln.text) == squash("ขอแสดงความนับถือ"))
    assert close >= 2, "the complimentary close needs at least two lines of text above it"


def test_catchword_with_ampersand_and_quotes_prints_as_written(
    tmp_path: Path, letters: Runner
) -> None:
    """Catch-words are CSS strings in the letter's <style>: & and " read back as themselves
    (not &amp; or &#34;), and nothing can close the element."""
    from letters.render import css_string

    assert "<" not in css_string("</style><p>") and "&" not in css_string("&amp;")
    directive = make_office(tmp_path, emblem=False)
    rewrite_body(directive, "\n".join(f"  - '\"AT&T\" ข้อความที่ {i}'" for i in range(1, 61)))
    result = letters(
        "build", directive, "--only", "4301", "--format", "pdf", "--out", "out", cwd=tmp_path
    )
    assert result.code == 0, result.text
    pages = lines(tmp_path / "out" / "letters" / "4301-เมืองหนองคาย.pdf")
    assert len(pages) >= 3
    catchwords = [ln.text for page in pages[:2] for ln in page if ln.text.startswith("/")]
    assert catchwords == ['/"AT&T"...', '/"AT&T"...']


def test_signature_image_and_draft(tmp_path: Path, letters: Runner) -> None:
    from PIL import Image, ImageDraw

    office = tmp_path / "office"
    make_office(
        office,
        config_edits={
            "    name: นายวิฑูรย์ แสนใจวุฒิ": "    name: นายวิฑูรย์ แสนใจวุฒิ\n    signature: sign.png"
        },
    )
    sign = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(sign).line([(20, 150), (200, 40), (380, 160), (580, 50)], fill="navy", width=8)
    sign.save(office / "sign.png")

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


def _png(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 60), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_signature_svg_fetches_nothing_the_build_did_not_declare(
    tmp_path: Path, letters: Runner
) -> None:
    """An SVG signature naming an http: image, a file: image elsewhere on the machine and one
    beside it: the build asks the web server for nothing and draws none of them, in the PDF
    and in the DOCX; the declared files (fonts, Garuda, the signature itself) are drawn."""
    import http.server
    import threading
    import zipfile

    from PIL import Image

    asked: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            asked.append(self.path)
            body = _png((255, 0, 0))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        office = tmp_path / "office"
        make_office(
            office,
            config_edits={
                "    name: นายวิฑูรย์ แสนใจวุฒิ": "    name: นายวิฑูรย์ แสนใจวุฒิ\n    signature: sign.svg"
            },
        )
        elsewhere = tmp_path / "elsewhere.png"
        elsewhere.write_bytes(_png((255, 0, 0)))
        (office / "beside.png").write_bytes(_png((255, 0, 0)))
        url = f"http://127.0.0.1:{server.server_address[1]}/tracker.png"
        (office / "sign.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            ' width="300" height="100" viewBox="0 0 300 100">'
            '<path d="M10 80 L100 20 L200 80 L290 20" stroke="navy" stroke-width="6" fill="none"/>'
            f'<image x="0" y="0" width="100" height="100" href="{url}"/>'
            f'<image x="100" y="0" width="100" height="100" xlink:href="{elsewhere.as_uri()}"/>'
            '<image x="200" y="0" width="100" height="100" href="beside.png"/>'
            '<image x="0" y="0" width="10" height="10" href="file:///etc/passwd"/>'
            "</svg>",
            encoding="utf-8",
        )
        result = letters("build", "line-at/directive.yaml", "--only", "4302", cwd=office)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.code == 0, result.text
    assert asked == []  # the web server was never asked
    folder = office / "out" / "line-at"
    pdf = folder / "letters" / "4302-ท่าบ่อ.pdf"
    pages = lines(pdf)
    assert any(squash(ln.text) == squash("(นายวิฑูรย์ แสนใจวุฒิ)") for ln in pages[-1])
    assert all(images(pdf, i) == [] for i in range(len(pages)))  # no PNG drawn, only vectors
    assert graphics_box(pdf, 0, above=150)  # the Garuda (a declared file) is there
    with pdfplumber.open(pdf) as document:
        assert document.pages[-1].curves, "the signature's own strokes are drawn"
    with zipfile.ZipFile(folder / "letters" / "4302-ท่าบ่อ.docx") as docx:
        pictures = [n for n in docx.namelist() if n.startswith("word/media/")]
        assert pictures
        for name in pictures:
            import io

            with Image.open(io.BytesIO(docx.read(name))) as picture:
                rgba = picture.convert("RGBA")
                colours = rgba.getcolors(maxcolors=rgba.width * rgba.height) or []
                red = [c for _, c in colours if c[3] > 200 and c[0] > 200 and max(c[1:3]) < 60]
                assert not red, f"{name} shows an image the build did not declare"


def _office(tmp_path: Path, config_edits: dict[str, str], directive_edits: dict[str, str]) -> Path:
    """An office folder: the office's config and the example directive with some lines
    changed, and a Garuda in place."""
    office = tmp_path / "office"
    make_office(office, config_edits=config_edits, directive_edits=directive_edits)
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
            "ลงวันที่ 30 พฤศจิกายน 2561 เรื่อง การปฏิบัติการสื่อสารของกระทรวงมหาดไทย"
            "ผ่านแอปพลิเคชันไลน์แอด และการประชาสัมพันธ์เชิญชวนบุคลากรในสังกัด"
            "\n  - หนังสือจังหวัดหนองคาย ที่ นค 0019.4/ว 120",
            "owner: cd-informatics": "owner: cd-informatics\ncopies:\n  - ท้องถิ่นจังหวัดหนองคาย",
        },
    )
    pdf = _build_one(office, letters)
    flow = [ln for page in lines(pdf) for ln in page]
    first = next(i for i, ln in enumerate(flow) if ln.text.startswith("อ้างถึง"))
    label_end = flow[first].chars[len("อ้างถึง") - 1]["x1"]
    refs = flow[first : first + 5]
    assert refs[0].text.replace(" ", "").startswith("อ้างถึง๑.หนังสือกระทรวงมหาดไทย")
    assert "๐๒๑๒.๓/ว ๕๖๗๘" in refs[0].text
    second = next(ln for ln in refs[1:] if ln.text.startswith("๒."))
    assert second.x0 > label_end  # aligned after the label
    # the first reference wraps: its second line hangs under its text, not under its number
    wrapped = refs[1]
    assert wrapped is not second and not wrapped.text.startswith("๑")
    text_x = second.chars[2]["x0"]  # after "๒."
    assert wrapped.x0 == pytest.approx(text_x, abs=0.5) and wrapped.x0 > second.x0 + 5
    assert any(squash(ln.text) == squash("สำเนาส่ง ท้องถิ่นจังหวัดหนองคาย") for ln in flow)
    body = [ln for ln in _body(pdf) if ln.page == 0]
    gaps = {round(b.baseline - a.baseline, 1) for a, b in itertools.pairwise(body)}
    assert 22.0 in gaps and 20.8 not in gaps  # the setting, not the default


def _th_sarabun_new(folder: Path) -> Path:
    """An office's TH Sarabun New file, made here: Sarabun's outlines scaled by 0.653 with
    fontTools (TH Sarabun New draws that small in its em), TH Sarabun New's line metrics, and
    its name. It lives in the test's folder only."""
    import fontpkg
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(fontpkg.path("sarabun", weight=400, style="normal"))
    units = font["head"].unitsPerEm
    scale_upem(font, round(units * 0.653))
    font["head"].unitsPerEm = units
    ascent, descent, gap = (round(v * units / 1000) for v in (844, 457, 30))
    font["hhea"].ascent, font["hhea"].descent, font["hhea"].lineGap = ascent, -descent, gap
    os2 = font["OS/2"]
    os2.usWinAscent, os2.usWinDescent = ascent, descent
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = ascent, -descent, gap
    for record in list(font["name"].names):
        value = {1: "TH Sarabun New", 4: "TH Sarabun New", 6: "THSarabunNew", 16: "TH Sarabun New"}
        if record.nameID in value:
            font["name"].setName(
                value[record.nameID],
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )
    path = folder / "THSarabunNew.ttf"
    font.save(path)
    return path


def _close_width(pdf: Path) -> float:
    close = next(
        ln for page in lines(pdf) for ln in page if squash(ln.text) == squash("ขอแสดงความนับถือ")
    )
    return close.x1 - close.x0


def test_office_th_sarabun_is_used_at_16_pt_and_breaks_as_sarabun(
    tmp_path: Path, letters: Runner
) -> None:
    """Without the office's files, Sarabun is set at TH Sarabun's size: the office's TH Sarabun
    New at 16 pt gives the same lines, on the same pages."""
    office = _office(tmp_path, {}, {})
    sarabun = _build_one(office, letters).read_bytes()
    (tmp_path / "sarabun.pdf").write_bytes(sarabun)
    (office / "fonts").mkdir()
    _th_sarabun_new(office / "fonts")
    th = _build_one(office, letters)
    assert embedded_fonts(th) == {"TH Sarabun New"}
    assert "Sarabun" in embedded_fonts(tmp_path / "sarabun.pdf")
    with pdfplumber.open(th) as pdf:
        sizes = {round(c["size"], 2) for page in pdf.pages for c in page.chars}
    assert 16.0 in sizes  # the office's font at 16 pt
    for pdf in (th, tmp_path / "sarabun.pdf"):
        assert _close_width(pdf) == pytest.approx(84.2, abs=2.5)
    assert [[squash(ln.text) for ln in page] for page in lines(th)] == [
        [squash(ln.text) for ln in page] for page in lines(tmp_path / "sarabun.pdf")
    ]


def test_directory_names_never_split(tmp_path: Path, letters: Runner) -> None:
    name = "นายอำเภอศรีเชียงใหม่"
    filler = "ขอให้ดำเนินการประชุม"
    paragraphs = "\n".join(
        f"  - {filler * (k // 3)}{'และ' * (k % 3)} {name} รับทราบ" for k in range(1, 14)
    )
    office = _office(tmp_path, {}, {})
    rewrite_body(office / "line-at" / "directive.yaml", paragraphs)
    pdf = _build_one(office, letters)
    flow = [squash(ln.text) for ln in _flow(pdf)]
    assert sum(t.count(squash(name)) for t in flow) == 13


# ---------------------------------------------------------------- overprinting

# Addressees of the kinds a letter to each district meets: Thai names, Thai digits and
# characters HTML escapes, and one that cannot fit the addressee's place at all (a title is a
# directory name, never split: this one is longer than the line).
_UNBREAKABLE = "PhonPhisai" * 18  # one word wider than the line, within 200 bytes
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
            assert overprinted(made.pdf) == ["/Fill"], f"{name}: not overprinted"


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
            assert overprinted(made.pdf) == ["/Fill"]
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
        assert overprinted(made.pdf) == ["/Fill"], member.code
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


# ---------------------------------------------------------------- pagination

_ONE_LINE = "ขอให้อำเภอแจ้งผลการดำเนินงานให้จังหวัดทราบภายในกำหนดเวลา"


def _paragraphs(pages: list[list[Line]]) -> list[list[list[Line]]]:
    """Per page, the text block's lines grouped into paragraphs (a paragraph starts at the
    indent or after a gap wider than a line)."""
    grouped = []
    for page in pages:
        flow = [ln for ln in page if TOP_LIMIT < ln.baseline < BOTTOM_LIMIT + 2]
        flow = [ln for ln in flow if not _catchword(ln)]
        paragraphs: list[list[Line]] = []
        for line in flow:
            new = abs(line.x0 - INDENT) <= 1 or not paragraphs
            new = new or line.baseline - paragraphs[-1][-1].baseline > 22
            new = new or abs(line.x0 - LEFT) > 1  # a part of the ending, not the body
            if new:
                paragraphs.append([line])
            else:
                paragraphs[-1].append(line)
        grouped.append(paragraphs)
    return grouped


def test_pagination_as_a_clerk_sets_it_in_word(tmp_path: Path) -> None:
    """Letters that grow a line at a time: a paragraph or a numbered item breaks across pages
    with at least two lines on each side and moves whole only when two of its lines do not fit;
    the complimentary close always has two body lines above it; and nothing else holds the
    ending together (the unit's lines may start the next page)."""
    from letters.content import copy_for
    from letters.directive import load_letter

    office = _office(tmp_path, {}, {})
    directive = office / "line-at" / "directive.yaml"
    head, _, rest = directive.read_text(encoding="utf-8").partition("body:\n")
    body, _, tail = rest.partition("\nclosing:")
    first, _, items = body.partition("  - text:")
    variants = [first + f"  - {_ONE_LINE}\n" * n + "  - text:" + items for n in range(14)]
    variants += [f"  - {_ONE_LINE}\n" * n for n in (9, 10)]
    renderer = None
    laid_out = []
    for number, text in enumerate(variants):
        path = office / "line-at" / f"v{number}.yaml"
        path.write_text(f"{head}body:\n{text}\nclosing:{tail}", encoding="utf-8")
        letter = load_letter(path)
        renderer = renderer or _renderer(letter)
        copy = copy_for(letter, letter.recipients[0], "1")
        pdf = tmp_path / f"v{number}.pdf"
        pdf.write_bytes(renderer.render_whole(copy, letter.directive.date).pdf)
        laid_out.append(lines(pdf))
    deepest = max(
        ln.baseline for pages in laid_out for page in _paragraphs(pages) for p in page for ln in p
    )
    split = moved = unit_apart = 0
    for pages in laid_out:
        grouped = _paragraphs(pages)
        for before, after in itertools.pairwise(grouped):
            last, following = before[-1], after[0]
            body = abs(last[0].x0 - INDENT) <= 1  # the page ends in a body paragraph
            if body and abs(following[0].x0 - LEFT) <= 1:
                # the page breaks inside a paragraph
                assert len(last) >= 2 and len(following) >= 2, (last[-1].text, following[0].text)
                split += 1
            elif len(following) >= 2 and abs(following[0].x0 - INDENT) <= 1:
                # a paragraph starts the page whole: two of its lines did not fit below
                second = last[-1].baseline + 6 + 2 * 20.8
                assert second > deepest + 0.5, following[0].text
                moved += 1
        flat = [(p, ln) for p, page in enumerate(pages) for ln in page]
        close = next(
            i for i, (_, ln) in enumerate(flat) if squash(ln.text) == squash("ขอแสดงความนับถือ")
        )
        above = [ln for p, ln in flat[:close] if p == flat[close][0] and ln.baseline > TOP_LIMIT]
        assert len(above) >= 2 and all(
            abs(ln.x0 - LEFT) <= 1 or abs(ln.x0 - INDENT) <= 1 for ln in above[-2:]
        )
        unit = next(
            p for p, ln in flat if squash(ln.text).startswith(squash("สำนักงานพัฒนาชุมชนจังหวัด"))
        )
        unit_apart += unit > flat[close][0]
    assert split and moved and unit_apart


# ---------------------------------------------------------------- the electronic letter (issue 17)

# What a district office's viewer reads out of a letter: ำ intact, marks in order, no space
# inside a word (the justification's gaps), line breaks joined as the directive has them.
_WORDS = ("อำเภอ", "ดำเนินการ", "ส่งมาด้วย")


def _directive_paragraphs(letter: Any) -> list[str]:
    """Each body paragraph, numbered item and the closing, as the directive has them (digits
    printed Thai, items after their number)."""
    found = []
    for paragraph in letter.directive.body:
        found.append(thai.thai_digits(paragraph.text))
        found.extend(
            f"{thai.item_number(i)} {thai.thai_digits(item)}"
            for i, item in enumerate(paragraph.items, 1)
        )
    return [*found, thai.thai_digits(letter.directive.closing)]


def _reads_back(pdf: bytes, letter: Any) -> None:
    from pdftext import ENGINES, lines, missing

    slogan = [letter.config.model.office.slogan or ""]
    for engine in ENGINES:
        assert missing(_directive_paragraphs(letter), pdf, engine, slogan) == [], engine
        text = " ".join(lines(pdf, engine))
        assert all(word in text for word in _WORDS), engine


def test_reference_letters_copy_back_exactly(
    reference_build: Path, reference_office: Reference
) -> None:
    from letters.directive import load_letter

    letter = load_letter(reference_office.directive, reference_office.config)
    letters = _letters(reference_build)
    assert len(letters) == 9
    for pdf in letters:
        _reads_back(pdf.read_bytes(), letter)


def test_a_letter_of_three_pages_copies_back_exactly(
    tmp_path: Path, reference_office: Reference
) -> None:
    from letters.content import copy_for
    from letters.directive import load_letter

    letter = load_letter(_long_directive(tmp_path), reference_office.config)
    made = _renderer(letter).render_whole(
        copy_for(letter, letter.recipients[0], "1"), letter.directive.date
    )
    assert made.pages >= 3
    _reads_back(made.pdf, letter)


def test_overprinted_addressee_copies_back_in_its_place(each_letter: Any) -> None:
    from pdftext import ENGINES, lines

    from letters.content import copy_for

    renderer = _renderer(each_letter)
    date = each_letter.directive.date
    by_code = {m.code: m for m in each_letter.recipients}
    cases = {"4301": "นายอำเภอเมืองหนองคาย", "4307": "นายอำเภอศรีเชียงใหม่ (R&D <กลุ่ม ๒>)"}
    for code, addressee in cases.items():
        made = renderer.render(copy_for(each_letter, by_code[code], "7"), date)
        assert overprinted(made.pdf) == ["/Fill"]
        _reads_back(made.pdf, each_letter)
        for engine in ENGINES:
            found = lines(made.pdf, engine)
            at = found.index(f"เรียน {addressee}")
            assert found[at - 1].startswith("เรื่อง ") and found[at + 1].startswith("สิ่งที่ส่งมาด้วย")


def test_archive_and_tags_of_every_kind_of_letter(tmp_path: Path, each_letter: Any) -> None:
    """PDF/A-3b and tagged: the rules pikepdf can check (tests/pdfa.py; the README says which
    it cannot), on a whole letter, an overprinted one, a draft, a letter of three pages."""
    from pdfa import alt_texts, archive_problems, tag_problems, xmp

    from letters.content import copy_for

    renderer = _renderer(each_letter)
    date = each_letter.directive.date
    member = each_letter.recipients[0]
    made = {
        "whole": renderer.render_whole(copy_for(each_letter, member, "7"), date).pdf,
        "overprinted": renderer.render(
            copy_for(each_letter, each_letter.recipients[1], "7"), date
        ).pdf,
        "draft": renderer.render_whole(copy_for(each_letter, member, None, draft=True), date).pdf,
    }
    assert overprinted(made["overprinted"]) == ["/Fill"]
    for kind, pdf in made.items():
        assert archive_problems(pdf) == [], kind
        assert tag_problems(pdf) == [], kind
        assert alt_texts(pdf) == ["ตราครุฑ"], kind
        with pikepdf.open(io.BytesIO(pdf)) as document:
            assert xmp(document) == {
                "pdfaid:part": "3",
                "pdfaid:conformance": "B",
                "dc:title": each_letter.directive.subject,
                "dc:creator": str([each_letter.config.model.office.name]),
                "dc:language": str({"th"}),
                "xmp:CreateDate": date.isoformat(),
            }, kind
    # The draft's watermark is a decoration: drawn as an artifact, no part of the tree.
    watermark = "ร่าง".encode("utf-16-be").hex().encode()
    artifact = rb"/ActualText <feff" + watermark + rb">>>\s*BDC\s*/Artifact\s*BMC"
    assert re.search(artifact, _decoded(made["draft"]))


def test_each_setting_turns_its_part_off_and_the_paper_stays_the_same(each_letter: Any) -> None:
    """``pdf: {text_layer, archive, tagged}`` in config.yaml: the letter without them prints
    the same pages, pixel for pixel (the justification is on paper as it was)."""
    from pdfa import archive_problems, tag_problems

    from letters.config import PdfSettings
    from letters.content import copy_for

    config = each_letter.config.model
    fonts_folder = each_letter.config.folder
    copy = copy_for(each_letter, each_letter.recipients[1], "7")
    date = each_letter.directive.date

    def made(**settings: bool) -> bytes:
        from letters.fonts import letter_fonts
        from letters.render import PdfRenderer

        renderer = PdfRenderer(
            config.layout,
            letter_fonts(fonts_folder),
            author=config.office.name,
            keep_whole=each_letter.directory_names,
            pdf=PdfSettings(**settings),
        )
        return renderer.render(copy, date).pdf

    on, off = made(), made(text_layer=False, archive=False, tagged=False)
    assert pixels(on) == pixels(off)
    assert archive_problems(off) and tag_problems(off) == ["no structure tree"]
    assert b"ActualText" not in _decoded(off) and b"ActualText" in _decoded(on)
    from pdftext import missing  # without the text layer, the old faults come back

    assert missing(_directive_paragraphs(each_letter), off, "poppler")
    assert tag_problems(made(tagged=False)) == ["no structure tree"]
    assert archive_problems(made(archive=False))
    assert archive_problems(made(tagged=False)) == []


def _decoded(pdf: bytes) -> bytes:
    """Every stream of ``pdf``, decoded, one after the other."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return b"".join(o.read_bytes() for o in document.objects if isinstance(o, pikepdf.Stream))


def test_config_turns_text_layer_archive_and_tags_off(tmp_path: Path, letters: Runner) -> None:
    """config.yaml ``pdf:``, for an office whose printer or records system chokes on them."""
    from pdfa import archive_problems, tag_problems

    directive = make_office(tmp_path, emblem=False)
    config = tmp_path / "config.yaml"
    settings = "\npdf:\n  text_layer: false\n  archive: false\n  tagged: false\n"
    config.write_text(config.read_text(encoding="utf-8") + settings, encoding="utf-8")
    result = letters("build", directive, "--only", "4301", "--format", "pdf", cwd=tmp_path)
    assert result.code == 0, result.text
    out = directive.parent.parent / "out" / "line-at"
    letter = (out / "letters" / "4301-เมืองหนองคาย.pdf").read_bytes()
    bundle = (out / "bundles" / "4301-เมืองหนองคาย.pdf").read_bytes()
    for pdf in (letter, bundle):
        assert b"ActualText" not in _decoded(pdf)
        assert tag_problems(pdf) == ["no structure tree"]
        assert "XMP pdfaid /" in archive_problems(pdf)
    with pikepdf.open(io.BytesIO(bundle)) as document:
        assert "/AF" not in document.Root and not document.attachments
