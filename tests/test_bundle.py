"""Bundles: the letter, its enclosures and the reply form of each district, as one PDF.

Measured as a clerk would see them: page counts, the outline a PDF viewer shows, where the
image sits on its page, what the reply form says; and the enclosure file read only once for
a national build.
"""

from __future__ import annotations

import builtins
import io
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from conftest import CONFIG, EXAMPLE, Reference, draw_emblem, rewrite_follow_up
from pdfgeometry import A4, PT_PER_CM, lines, overprinted, pixels, squash
from PIL import Image
from pypdf import PdfReader

from letters import thai
from letters.bundle import (
    LETTER_TITLE,
    REPLY_FORM_TITLE,
    EnclosurePages,
    ReplyFormRenderer,
    image_page,
    make_bundle,
)
from letters.config import Layout
from letters.content import copy_for
from letters.directive import Letter, load_letter
from letters.enclosure import load as load_enclosure
from letters.fonts import letter_fonts
from letters.render import PdfRenderer

LEFT = 3 * PT_PER_CM
RIGHT = A4[0] - 2 * PT_PER_CM
TOP = 2.5 * PT_PER_CM  # the text block of a later page
BOTTOM = A4[1] - 2 * PT_PER_CM
CENTRE = (LEFT + RIGHT) / 2


@dataclass
class Built:
    letter: Letter
    letter_pdf: bytes  # the copies of a collective circular are all alike
    letter_pages: int
    bundles: dict[str, Path]  # code -> bundle file
    forms: dict[str, bytes]  # code -> reply form PDF


def _renderers(letter: Letter) -> tuple[PdfRenderer, ReplyFormRenderer]:
    layout = letter.config.model.layout
    fonts = letter_fonts(letter.config.folder)
    renderer = PdfRenderer(
        layout, fonts, author=letter.config.model.office.name, keep_whole=letter.directory_names
    )
    return renderer, ReplyFormRenderer(layout, fonts, font_config=renderer.font_config)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, reference_office: Reference) -> Built:
    """The example directive's 9 bundles, made as the build makes them."""
    letter = load_letter(reference_office.directive, reference_office.config)
    renderer, forms = _renderers(letter)
    pages = EnclosurePages(letter.enclosures, letter.config.model.layout)
    folder = tmp_path_factory.mktemp("bundles")
    built = Built(letter, b"", 0, {}, {})
    cache: dict[tuple[object, ...], bytes] = {}
    for member in letter.recipients:
        copy = copy_for(letter, member, None)
        key = copy.identity()
        if key not in cache:
            cache[key] = renderer.render(copy, letter.directive.date).pdf
        built.letter_pdf = cache[key]
        built.letter_pages = len(PdfReader(io.BytesIO(cache[key])).pages)
        form = built.forms[member.code] = forms.render(letter, copy)
        path = folder / f"{member.code}-{member.name}.pdf"
        path.write_bytes(make_bundle(cache[key], pages, form))
        built.bundles[member.code] = path
    return built


def _outline(path: Path) -> list[tuple[str, int]]:
    reader = PdfReader(path)
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]  # type: ignore[union-attr]


def _text(pdf: Path | bytes, page: int) -> str:
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    with pdfplumber.open(source) as doc:
        return doc.pages[page].extract_text() or ""


def test_nine_bundles_letter_poster_card_reply_form(reference: Built) -> None:
    letter = reference.letter
    assert len(reference.bundles) == 9
    n = reference.letter_pages
    assert n >= 1
    poster = letter.enclosures[0]
    for code, path in reference.bundles.items():
        reader = PdfReader(path)
        assert len(reader.pages) == n + 1 + 1 + 1, path.name
        assert _outline(path) == [
            (LETTER_TITLE, 0),
            ("สื่อประชาสัมพันธ์ไลน์แอด @มหาดไทย", n),
            ("ภาพเชิญชวนเข้าร่วมเป็นสมาชิกไลน์แอด @มหาดไทย", n + 1),
            (REPLY_FORM_TITLE, n + 2),
        ]
        assert reader.page_mode == "/UseOutlines"  # the viewer opens with the outline shown
        # The poster's page as it is, the district's own reply form last.
        assert _text(path, n) == _text(poster.file.data, 0)
        member = next(m for m in letter.recipients if m.code == code)
        assert squash(member.name) in squash(_text(path, n + 2))
    # The bundle is the letter as the clerk reads it: its title, author and date carry over.
    info = PdfReader(reference.bundles["4301"]).metadata
    assert info is not None and info.title == letter.directive.subject
    assert info.creation_date is not None and info.creation_date.date() == letter.directive.date


def test_same_input_same_bundle_bytes(reference: Built) -> None:
    letter = reference.letter
    pages = EnclosurePages(letter.enclosures, letter.config.model.layout)
    a = make_bundle(reference.letter_pdf, pages, reference.forms["4301"])
    b = make_bundle(reference.letter_pdf, pages, reference.forms["4301"])
    assert a == b == reference.bundles["4301"].read_bytes()


def test_no_follow_up_no_reply_form(reference: Built) -> None:
    letter = reference.letter
    pages = EnclosurePages(letter.enclosures, letter.config.model.layout)
    bundle = make_bundle(reference.letter_pdf, pages, None)
    reader = PdfReader(io.BytesIO(bundle))
    assert len(reader.pages) == reference.letter_pages + 2
    assert [item.title for item in reader.outline] == [LETTER_TITLE, *pages.titles]  # type: ignore[union-attr]


# --- the image page -------------------------------------------------------------------


def _image_box(pdf: Path | bytes, page: int) -> tuple[dict[str, Any], tuple[float, float]]:
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    with pdfplumber.open(source) as doc:
        p = doc.pages[page]
        (image,) = p.images
        return image, (float(p.width), float(p.height))


def test_card_on_a4_inside_margins_at_its_own_resolution(reference: Built) -> None:
    card = reference.letter.enclosures[1].file
    assert card.kind == "png" and card.size_px and card.dpi
    image, size = _image_box(reference.bundles["4301"], reference.letter_pages + 1)
    assert size == pytest.approx(A4, abs=0.5)
    # Inside the margins of the text block, centred on it.
    assert image["x0"] >= LEFT - 0.5 and image["x1"] <= RIGHT + 0.5
    assert image["top"] >= TOP - 0.5 and image["bottom"] <= BOTTOM + 0.5
    assert (image["x0"] + image["x1"]) / 2 == pytest.approx(CENTRE, abs=0.5)
    assert image["srcsize"] == card.size_px  # the file's own pixels, not resampled
    # The example's card (1200 x 800 px at 150 dpi) is wider at its own size than the text
    # block: scaled down to the block's width, in proportion.
    width_pt = card.size_px[0] / card.dpi[0] * 72
    height_pt = card.size_px[1] / card.dpi[1] * 72
    assert width_pt > RIGHT - LEFT
    assert image["width"] == pytest.approx(RIGHT - LEFT, abs=0.5)
    assert image["height"] == pytest.approx(height_pt * (RIGHT - LEFT) / width_pt, abs=0.5)


def test_card_that_fits_is_printed_at_its_own_resolution(tmp_path: Path) -> None:
    """709 x 473 px at 150 dpi fit the text block: printed at their own size, no larger."""
    path = _image_file(tmp_path, "card.png", (709, 473), "PNG", dpi=(150, 150))
    image, size = _image_box(_image_pages(path), 0)
    assert size == pytest.approx(A4, abs=0.5)
    assert image["x0"] >= LEFT - 0.5 and image["x1"] <= RIGHT + 0.5
    assert image["top"] >= TOP - 0.5 and image["bottom"] <= BOTTOM + 0.5
    assert (image["x0"] + image["x1"]) / 2 == pytest.approx(CENTRE, abs=0.5)
    assert image["srcsize"] == (709, 473)
    assert image["width"] == pytest.approx(709 / 150 * 72, abs=0.5)
    assert image["height"] == pytest.approx(473 / 150 * 72, abs=0.5)


def _image_file(
    folder: Path,
    name: str,
    size: tuple[int, int],
    fmt: str,
    dpi: tuple[int, int] | None = None,
    orientation: int | None = None,
) -> Path:
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste((220, 0, 0), (0, 0, size[0] // 4, size[1] // 4))  # red block top left
    options: dict[str, Any] = {}
    if dpi:
        options["dpi"] = dpi
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    path = folder / name
    image.save(path, fmt, **options)
    return path


def _image_pages(path: Path) -> bytes:
    return image_page(load_enclosure(path, 50_000_000), Layout())


def test_large_image_scaled_down_to_the_text_block(tmp_path: Path) -> None:
    path = _image_file(tmp_path, "scan.jpg", (3000, 2000), "JPEG", dpi=(72, 72))
    image, _ = _image_box(_image_pages(path), 0)
    assert image["x0"] == pytest.approx(LEFT, abs=0.5)
    assert image["x1"] == pytest.approx(RIGHT, abs=0.5)
    assert image["width"] / image["height"] == pytest.approx(1.5, rel=0.002)  # not distorted
    assert image["top"] >= TOP - 0.5 and image["bottom"] <= BOTTOM + 0.5


def test_image_without_resolution_is_not_enlarged(tmp_path: Path) -> None:
    path = _image_file(tmp_path, "logo.png", (120, 60), "PNG")
    assert load_enclosure(path, 1_000_000).dpi is None
    image, _ = _image_box(_image_pages(path), 0)
    # 96 dpi when the file does not say (as img2pdf and browsers do): 90 x 45 pt.
    assert image["width"] == pytest.approx(90, abs=0.5)
    assert image["height"] == pytest.approx(45, abs=0.5)


def test_phone_photo_stands_upright(tmp_path: Path) -> None:
    """A photo stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise)."""
    import pypdfium2

    path = _image_file(tmp_path, "photo.jpg", (400, 200), "JPEG", dpi=(72, 72), orientation=6)
    pdf = _image_pages(path)
    image, _ = _image_box(pdf, 0)
    assert image["width"] == pytest.approx(200, abs=0.5)  # upright: portrait
    assert image["height"] == pytest.approx(400, abs=0.5)
    # Rotated clockwise, the stored top-left block is at the top right of the picture.
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("RGB")
    x0, top, x1 = image["x0"], image["top"], image["x1"]
    assert page.getpixel((int(x1) - 10, int(top) + 10))[1] < 80  # red
    assert page.getpixel((int(x0) + 10, int(top) + 10)) == (255, 255, 255)


# --- the reply form ---------------------------------------------------------------------


def test_reply_form_of_each_district(reference: Built) -> None:
    letter = reference.letter
    d = letter.directive
    assert d.follow_up is not None
    for member in letter.recipients:
        form = reference.forms[member.code]
        assert len(PdfReader(io.BytesIO(form)).pages) == 1
        text = _text(form, 0)
        flat = squash(text.replace("\n", ""))
        copy = copy_for(letter, member, None)
        for wanted in (
            REPLY_FORM_TITLE,
            member.name,
            copy.number,  # ที่ นค ๐๐๑๙.๔/ว
            thai.thai_date(d.date),
            thai.thai_digits(d.subject),
            thai.thai_date(d.follow_up.due),
            *(thai.thai_digits(task) for task in d.follow_up.tasks),
            "ลงชื่อ",
            "ตำแหน่ง",
            "วันที่",
        ):
            assert squash(wanted) in flat, wanted
        assert not thai.has_ascii_digit_outside_links(text), text


def _checkboxes(pdf: bytes) -> list[dict[str, Any]]:
    side = 0.5 * PT_PER_CM
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            r
            for r in doc.pages[0].rects
            if abs(r["width"] - side) < 1.5 and abs(r["height"] - side) < 1.5
        ]


def test_reply_form_checkbox_per_task(reference: Built) -> None:
    bundle = reference.bundles["4302"]
    form = reference.forms["4302"]
    boxes = _checkboxes(form)
    assert len(boxes) == 3  # one per task, each in the row of its task
    task_lines = [
        ln
        for ln in lines(bundle)[reference.letter_pages + 2]
        if any(squash(ln.text).startswith(squash(thai.item_number(i))) for i in (1, 2, 3))
    ]
    assert len(task_lines) == 3
    for box, line in zip(sorted(boxes, key=lambda b: b["top"]), task_lines, strict=True):
        assert box["x0"] > line.x1  # the box stands right of the task's text
        assert line.baseline - 30 < box["top"] < line.baseline + 60  # in the task's row


def test_reply_form_with_many_tasks_stays_on_one_page(
    tmp_path: Path, reference_office: Reference
) -> None:
    folder = tmp_path / "line-at"
    shutil.copytree(EXAMPLE, folder)
    tasks = "".join(
        f"    - รายงานผลการดำเนินการตามข้อ {i} พร้อมภาพถ่ายกิจกรรมในพื้นที่ทุกตำบล\n" for i in range(1, 9)
    )
    rewrite_follow_up(
        folder / "directive.yaml", f"follow_up:\n  due: 2018-12-25\n  tasks:\n{tasks}"
    )
    letter = load_letter(folder / "directive.yaml", reference_office.config)
    _, forms = _renderers(letter)
    form = forms.render(letter, copy_for(letter, letter.recipients[0], None))
    assert len(PdfReader(io.BytesIO(form)).pages) == 1
    assert len(_checkboxes(form)) == 8
    assert squash(thai.thai_digits("ตามข้อ 8")) in squash(_text(form, 0))


# --- a national build reads each enclosure once ----------------------------------------

NATIONAL = 878


def _national_office(folder: Path, big: Path) -> Path:
    members = "".join(
        f'      - {{code: "{i:04d}", name: อำเภอทดสอบ{i}, title: นายอำเภอทดสอบ{i}}}\n'
        for i in range(1, NATIONAL + 1)
    )
    (folder / "config.yaml").write_text(
        "office:\n"
        "  name: กรมการปกครอง\n"
        "  code: มท 0309\n"
        "units:\n"
        "  u: {lines: [สำนักบริหารการปกครองท้องที่], phone: 0-2222-1141}\n"
        "signers:\n"
        "  s: {name: นายทดสอบ ระบบงาน, position: [อธิบดีกรมการปกครอง]}\n"
        "recipients:\n"
        "  amphoe:\n"
        "    collective: นายอำเภอทุกอำเภอ\n"
        "    members:\n" + members,
        encoding="utf-8",
    )
    shutil.copy(EXAMPLE / "pr" / "line-at-card.png", folder / "card.png")
    directive = folder / "directive.yaml"
    directive.write_text(
        "kind: circular\n"
        'number: "๑๙๓"\n'
        "date: 2018-12-11\n"
        "subject: คู่มือการปฏิบัติงานของอำเภอ\n"
        "to: {group: amphoe, address: collective}\n"
        "enclosures:\n"
        f"  - {{title: คู่มือการปฏิบัติงาน, quantity: 1 เล่ม, file: {big.name}}}\n"
        "  - {title: ภาพประชาสัมพันธ์, quantity: 1 แผ่น, file: card.png}\n"
        "body: [กรมการปกครองส่งคู่มือการปฏิบัติงานมาเพื่อใช้ในการปฏิบัติราชการ]\n"
        "closing: จึงเรียนมาเพื่อทราบและถือปฏิบัติ\n"
        "signer: s\n"
        "owner: u\n"
        "follow_up: {due: 2018-12-25, tasks: [แจ้งเวียนคู่มือให้ทุกตำบล]}\n",
        encoding="utf-8",
    )
    return directive


def _big_pdf(path: Path) -> bytes:
    """A 5 MB, one-page PDF: a picture of noise (it does not compress)."""
    import img2pdf

    width, height = 1400, 1300
    noise = Image.frombytes("RGB", (width, height), random.Random(5).randbytes(width * height * 3))
    png = io.BytesIO()
    noise.save(png, "PNG", dpi=(150, 150))
    data: bytes = img2pdf.convert(io.BytesIO(png.getvalue()), nodate=True)
    path.write_bytes(data)
    return data


@dataclass
class Counter:
    count: int = 0


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Counter]]:
    """Replace ``owner.name`` by a function that counts the calls that match, then does the
    real work (a plain function, so that it binds as a method when ``owner`` is a class)."""

    def install(owner: Any, name: str, matches: Callable[..., bool]) -> Counter:
        real = getattr(owner, name)
        counter = Counter()

        def counted(*args: Any, **kwargs: Any) -> Any:
            if matches(*args, **kwargs):
                counter.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
        return counter

    yield install


def test_national_build_reads_and_parses_the_enclosure_once(
    tmp_path: Path, counting: Callable[..., Counter]
) -> None:
    import img2pdf
    import pikepdf

    big = tmp_path / "manual.pdf"
    data = _big_pdf(big)
    assert len(data) >= 5_000_000
    directive = _national_office(tmp_path, big)
    target = big.resolve()

    def is_big(file: Any, *_: Any, **__: Any) -> bool:
        return isinstance(file, str | Path) and Path(os.fspath(file)).resolve() == target

    opens = counting(builtins, "open", is_big)
    io_opens = counting(io, "open", is_big)  # pathlib opens files through io.open

    def reads_big(stream: Any, *_: Any, **__: Any) -> bool:
        if isinstance(stream, io.BytesIO):
            view = stream.getbuffer()
            return view.nbytes == len(data) and view == data
        return is_big(stream)

    readers = counting(pikepdf, "open", reads_big)
    conversions = counting(img2pdf, "convert", lambda *_, **__: True)

    started = time.perf_counter()
    letter = load_letter(directive)
    assert len(letter.recipients) == NATIONAL
    assert opens.count + io_opens.count == 1  # checking the directive read the file
    checked_readers = readers.count

    pages = EnclosurePages(letter.enclosures, letter.config.model.layout)
    assert readers.count == checked_readers + 1  # parsed once for all bundles
    assert conversions.count == 1  # the card placed on its page once
    prepared = time.perf_counter()

    renderer, forms = _renderers(letter)
    copy = copy_for(letter, letter.recipients[0], None)
    letter_pdf = renderer.render(copy, letter.directive.date).pdf
    form = forms.render(letter, copy)
    letter_pages = len(PdfReader(io.BytesIO(letter_pdf)).pages)
    readers.count = opens.count = io_opens.count = conversions.count = 0

    bundling = time.perf_counter()
    sizes = []
    first = last = b""
    for i, _member in enumerate(letter.recipients):
        bundle = make_bundle(letter_pdf, pages, form)
        sizes.append(len(bundle))
        if i == 0:
            first = bundle
        last = bundle
    done = time.perf_counter()

    assert readers.count == 0 and opens.count + io_opens.count == 0 and conversions.count == 0
    assert len(sizes) == NATIONAL and min(sizes) > len(data)  # each bundle carries it whole
    for bundle in (first, last):
        reader = PdfReader(io.BytesIO(bundle))
        assert len(reader.pages) == letter_pages + 1 + 1 + 1
        titles = [item.title for item in reader.outline]  # type: ignore[union-attr]
        assert titles == [LETTER_TITLE, "คู่มือการปฏิบัติงาน", "ภาพประชาสัมพันธ์", REPLY_FORM_TITLE]
    print(
        f"\n{NATIONAL} bundles of {sizes[0] / 1e6:.1f} MB: checking {prepared - started:.1f} s, "
        f"bundling {done - bundling:.1f} s ({(done - bundling) / NATIONAL * 1000:.1f} ms each)"
    )


# --- reply forms overprinted: one form laid out, each recipient drawn over it ------------

_LONG = "ผู้อำนวยการศูนย์ปฏิบัติการป้องกันและบรรเทาสาธารณภัยอำเภอท่าบ่อ และประธานคณะกรรมการพัฒนาสตรีระดับอำเภอ"
_UNBREAKABLE = "Sangkhom" * 22  # one word wider than the line, within 200 bytes


def _title_size(pdf: bytes) -> float:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return max(float(c["size"]) for c in document.pages[0].chars)


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Letter:
    """Two tasks, and recipients whose หน่วยงาน takes one line, two lines, so many lines
    that the form is set smaller to fit its page, or a name wider than the line."""
    office = tmp_path_factory.mktemp("varied")
    folder = office / "line-at"
    shutil.copytree(EXAMPLE, folder)
    tasks = "".join(
        f"    - รายงานผลการดำเนินการตามข้อ {i} พร้อมภาพถ่ายกิจกรรมในพื้นที่ทุกตำบล\n" for i in (1, 2)
    )
    rewrite_follow_up(
        folder / "directive.yaml", f"follow_up:\n  due: 2018-12-25\n  tasks:\n{tasks}"
    )
    config = CONFIG.read_text(encoding="utf-8")
    for old, new in (
        ("title: นายอำเภอท่าบ่อ,", f"title: นายอำเภอท่าบ่อ {_LONG},"),
        ("title: นายอำเภอโพนพิสัย,", f"title: นายอำเภอโพนพิสัย {' '.join([_LONG] * 9)},"),
        ("name: สังคม,", f"name: {_UNBREAKABLE},"),
    ):
        assert old in config
        config = config.replace(old, new)
    (office / "config.yaml").write_text(config, encoding="utf-8")
    draw_emblem(office / "config.yaml")
    return load_letter(folder / "directive.yaml")


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_overprinted_reply_forms_are_the_pages_of_whole_ones(varied: Letter, order: str) -> None:
    members = list(varied.recipients)
    if order == "reversed":
        members.reverse()
    _, fast = _renderers(varied)
    _, whole = _renderers(varied)
    sizes: dict[str, float] = {}
    for member in members:
        copy = copy_for(varied, member, "7")
        made, reference = fast.render(varied, copy), whole.render_whole(varied, copy)
        assert pixels(made) == pixels(reference), f"{member.code}: the form differs"
        assert bool(overprinted(made)) == (member.name != _UNBREAKABLE), member.code
        if member.name == _UNBREAKABLE:
            assert made == reference
        sizes[member.code] = _title_size(made)
    assert sizes["4305"] < sizes["4301"] == sizes["4302"], "only the crowded form is smaller"


# ---------------------------------------------------------------- the electronic letter (issue 17)


def test_reply_forms_copy_back_exactly(reference: Built) -> None:
    """Every district's reply form reads back, with both engines of the common viewers, as
    what was typeset: ำ intact, no space inside a word."""
    from pdftext import ENGINES, contains, lines

    letter = reference.letter
    d = letter.directive
    assert d.follow_up is not None
    for member in letter.recipients:
        form = reference.forms[member.code]
        code = thai.thai_digits(member.code)
        wanted = [
            REPLY_FORM_TITLE,
            thai.thai_digits(d.subject),
            f"หน่วยงาน อำเภอ{member.name} ({member.title} รหัส {code})",  # the office's name
            f"ภายในวันที่ {thai.thai_date(d.follow_up.due)}",
            *(thai.thai_digits(task) for task in d.follow_up.tasks),
        ]
        for engine in ENGINES:
            found = lines(form, engine)
            assert [w for w in wanted if not contains(w, found)] == [], (member.code, engine)


def test_bundle_is_one_archive_and_one_tagged_document(reference: Built) -> None:
    """The bundle stays PDF/A-3b and tagged: the reply form's structure joins the letter's,
    each enclosure page is a figure named by its title, and the enclosures' original files
    travel inside it as its sources."""
    from pdfa import alt_texts, archive_problems, tag_problems

    letter = reference.letter
    titles = [thai.thai_digits(e.title) for e in letter.enclosures]
    for code, path in reference.bundles.items():
        data = path.read_bytes()
        assert archive_problems(data) == [], code
        assert tag_problems(data) == [], code
        assert alt_texts(data) == ["ตราครุฑ", *titles], code
        with pikepdf.open(path) as pdf:
            files = {name: spec for name, spec in pdf.attachments.items()}
            assert sorted(files) == sorted(e.file.path.name for e in letter.enclosures)
            for enclosure in letter.enclosures:
                spec = files[enclosure.file.path.name]
                assert spec.get_file().read_bytes() == enclosure.file.data
                assert spec.obj.AFRelationship == pikepdf.Name.Source
                assert str(spec.description) == thai.thai_digits(enclosure.title)
            pages = len(pdf.pages)
        # Every page of the form is in the tree: its text is found where the form's is.
        from pdftext import contains, lines

        for engine in ("poppler", "pdfium"):
            assert contains(REPLY_FORM_TITLE, lines(data, engine)), engine
        assert pages == reference.letter_pages + 3
