"""Bundles: the letter, its enclosures and the reply form of one recipient, as one PDF.

Enclosures are prepared once per build (``EnclosurePages``) from the bytes read when the
directive was checked: a PDF is parsed once, an image is placed once on an A4 page inside
the letter's margins. ``make_bundle`` then only copies those parsed pages into each
recipient's file, so a build for hundreds of recipients reads and parses each enclosure once.
The bundle has an outline (bookmarks): the letter, each enclosure by its title, the reply form.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from letters import archive, thai
from letters.archive import Source
from letters.config import Layout, PdfSettings
from letters.content import Copy, Run, rich, unit_lines
from letters.directive import Enclosure, Letter
from letters.enclosure import LoadedFile
from letters.errors import OutputError
from letters.fonts import FAMILY, FontSet
from letters.render import CM, DeclaredFiles, Form, Output, Overprinter, template_environment
from letters.resources import resource_dir

A4_PT = (21.0 * CM, 29.7 * CM)
LETTER_TITLE = "หนังสือ"
REPLY_FORM_TITLE = "แบบรายงานผลการดำเนินการ"
DEFAULT_DPI = 96.0  # an image that does not say its resolution (img2pdf's choice too)
_MIME = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}

_Matrix = tuple[float, float, float, float, float, float]

# How to draw a stored image (w x h points) upright for each EXIF orientation: the PDF
# matrix (a, b, c, d, e, f) from the stored image's place to the upright one at the origin.
_ORIENT: dict[int, Callable[[float, float], _Matrix]] = {
    1: lambda w, h: (1, 0, 0, 1, 0, 0),
    2: lambda w, h: (-1, 0, 0, 1, w, 0),
    3: lambda w, h: (-1, 0, 0, -1, w, h),
    4: lambda w, h: (1, 0, 0, -1, 0, h),
    5: lambda w, h: (0, -1, -1, 0, h, w),
    6: lambda w, h: (0, -1, 1, 0, 0, w),
    7: lambda w, h: (0, 1, 1, 0, 0, 0),
    8: lambda w, h: (0, 1, -1, 0, h, 0),
}


@dataclass(frozen=True)
class _Part:
    title: str  # the outline entry, digits made Thai
    pdf: Any  # pikepdf.Pdf, open for the whole build: its pages are copied into each bundle
    pages: int
    source: Source  # the original file, attached to an archived bundle


class EnclosurePages:
    """The enclosures of one build, each prepared once and shared by every bundle."""

    def __init__(self, enclosures: Sequence[Enclosure], layout: Layout) -> None:
        self.layout = layout
        self._parts = tuple(_prepare(enclosure, layout) for enclosure in enclosures)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(part.title for part in self._parts)

    @property
    def pages(self) -> int:
        """Pages all enclosures add to each bundle."""
        return sum(part.pages for part in self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def _items(self) -> tuple[_Part, ...]:
        return self._parts


def make_bundle(letter_pdf: bytes, pages: EnclosurePages, reply_form_pdf: bytes | None) -> bytes:
    """The letter, then each enclosure in order, then the reply form, with an outline.

    ``reply_form_pdf`` is None when the directive asks for no follow-up. The bundle is the
    letter's document with the other pages added: it keeps the letter's document information
    (title, author, dates), XMP metadata, output intent and language. A tagged letter's
    structure tree gets the reply form's and one figure per enclosure page; an archived
    (PDF/A) letter's bundle carries the enclosures' original files (``letters.archive``).
    Equal input, equal bytes.
    """
    import pikepdf

    try:
        return _bundle(letter_pdf, pages, reply_form_pdf)
    except (pikepdf.PdfError, ValueError, KeyError, TypeError) as exc:
        raise OutputError(f"รวมไฟล์ชุดหนังสือไม่ได้ (cannot make the bundle): {exc}") from None


def _bundle(letter_pdf: bytes, pages: EnclosurePages, reply_form_pdf: bytes | None) -> bytes:
    import pikepdf

    from letters.render import saved

    with pikepdf.open(io.BytesIO(letter_pdf)) as pdf:
        tagged = "/StructTreeRoot" in pdf.Root
        starts = [(LETTER_TITLE, 0)]
        versions = [pdf.pdf_version]
        for part in pages._items():
            start = len(pdf.pages)
            starts.append((part.title, start))
            pdf.pages.extend(part.pdf.pages)
            versions.append(part.pdf.pdf_version)
            for page in pdf.pages[start:]:
                if tagged:
                    archive.add_figure(pdf, page, part.title)
                elif "/StructParents" in page.obj:
                    del page.obj["/StructParents"]
        if reply_form_pdf is not None:
            with pikepdf.open(io.BytesIO(reply_form_pdf)) as form:
                start = len(pdf.pages)
                starts.append((REPLY_FORM_TITLE, start))
                pdf.pages.extend(form.pages)
                archive.add_structure(pdf, form, pdf.pages[start:])
        if "/Metadata" in pdf.Root:  # PDF/A: the enclosures as they were made
            date = str(pdf.docinfo.get("/CreationDate", "D:19700101"))[2:10]
            iso = f"{date[:4]}-{date[4:6]}-{date[6:8]}"
            archive.attach_sources(pdf, [part.source for part in pages._items()], iso)
        with pdf.open_outline() as outline:
            outline.root.extend(pikepdf.OutlineItem(title, page) for title, page in starts)
        pdf.Root.PageMode = pikepdf.Name.UseOutlines
        return saved(pdf, min_version=max(versions, key=_version))


def _version(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (1, 3)


def _prepare(enclosure: Enclosure, layout: Layout) -> _Part:
    import pikepdf

    file = enclosure.file
    try:
        data = file.data if file.kind == "pdf" else image_page(file, layout)
        pdf = pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise OutputError(
            f"{file.path}: จัดหน้าสิ่งที่ส่งมาด้วยไม่ได้ (cannot prepare the enclosure): {exc}; "
            "ลองบันทึกไฟล์นี้ใหม่เป็น PDF แล้วสร้างอีกครั้ง"
        ) from None
    title = thai.thai_digits(enclosure.title)
    source = Source.of(file.path.name, title, _MIME[file.kind], file.data)
    return _Part(title, pdf, len(pdf.pages), source)


def text_block(layout: Layout) -> tuple[float, float, float, float]:
    """x0, y0, width, height of the text block of a later page, in PDF points (y up)."""
    x0 = layout.margin_left_cm * CM
    y0 = layout.margin_bottom_cm * CM
    width = A4_PT[0] - x0 - layout.margin_right_cm * CM
    height = A4_PT[1] - y0 - layout.margin_top_cm * CM
    return x0, y0, width, height


def image_size_pt(file: LoadedFile) -> tuple[float, float]:
    """The stored image's size at its own resolution (96 dpi when the file does not say)."""
    assert file.size_px is not None
    width_px, height_px = file.size_px
    dpi_x, dpi_y = file.dpi or (DEFAULT_DPI, DEFAULT_DPI)
    dpi_x = dpi_x if dpi_x > 1 else DEFAULT_DPI
    dpi_y = dpi_y if dpi_y > 1 else DEFAULT_DPI
    return width_px / dpi_x * 72, height_px / dpi_y * 72


def image_page(file: LoadedFile, layout: Layout) -> bytes:
    """A one-page A4 PDF: the image upright, centred in the text block, scaled down to fit
    inside the margins and never enlarged beyond its own resolution."""
    import img2pdf
    import pikepdf

    from letters.render import saved

    orientation = _orientation(file.data)
    stored_w, stored_h = image_size_pt(file)
    upright_w, upright_h = (stored_w, stored_h) if orientation <= 4 else (stored_h, stored_w)
    x0, y0, box_w, box_h = text_block(layout)
    scale = min(1.0, box_w / upright_w, box_h / upright_h)
    w, h = stored_w * scale, stored_h * scale

    def layout_fun(*_: Any) -> tuple[float, float, float, float]:
        return w, h, w, h

    with _quiet("img2pdf"):
        single = img2pdf.convert(
            io.BytesIO(file.data),
            layout_fun=layout_fun,
            rotation=img2pdf.Rotation.none,
            first_frame_only=True,
            nodate=True,
        )
    left = x0 + (box_w - upright_w * scale) / 2
    bottom = y0 + (box_h - upright_h * scale) / 2
    a, b, c, d, e, f = _ORIENT[orientation](w, h)
    with pikepdf.open(io.BytesIO(single)) as image, pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=A4_PT)
        page = pdf.pages[0]
        drawn = pdf.copy_foreign(image.pages[0].as_form_xobject())
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=drawn))
        matrix = f"{a:g} {b:g} {c:g} {d:g} {e + left:.4f} {f + bottom:.4f} cm"
        page.Contents = pdf.make_stream(f"q {matrix} /Im0 Do Q".encode())
        return saved(pdf)


def _orientation(data: bytes) -> int:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(0x0112, 1)
    except (OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) and value in _ORIENT else 1


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Keep a library's log lines (img2pdf explains how it stores transparency) off the
    clerk's screen."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class ReplyFormRenderer:
    """แบบรายงานผลการดำเนินการ: one A4 page for each recipient to fill in and send back.

    Like ``PdfRenderer``, one instance serves a whole build: fonts and template are set up
    once. Pass the letter renderer's ``font_config`` to share it.
    """

    def __init__(
        self,
        layout: Layout,
        fonts: FontSet,
        *,
        font_config: Any = None,
        url_fetcher: DeclaredFiles | None = None,
        pdf: PdfSettings | None = None,
    ) -> None:
        """``url_fetcher``: the files the form may show; by default its fonts alone. ``pdf``:
        config.yaml's ``pdf:`` (all on by default): the form is a part of the bundle."""
        from weasyprint.text.fonts import FontConfiguration

        self.layout = layout
        self.fonts = fonts
        self.font_config = font_config if font_config is not None else FontConfiguration()
        self.url_fetcher = url_fetcher or DeclaredFiles.of_fonts(fonts)
        self.output = Output.of(pdf)
        self.template = template_environment().get_template("reply-form.html.j2")
        self.overprinter = Overprinter(
            fonts, self.font_config, url_fetcher=self.url_fetcher, output=self.output.piece()
        )

    def html(
        self, letter: Letter, copy: Copy, *, compact: bool = False, blank: bool = False
    ) -> str:
        d = letter.directive
        follow = d.follow_up
        names = letter.directory_names

        def text(value: str) -> tuple[Run, ...]:
            return rich(value, names)

        tasks = [
            (thai.item_number(i), text(task))
            for i, task in enumerate(follow.tasks if follow else [], 1)
        ]
        unit = unit_lines(letter)
        unit_count = len(letter.unit.lines)
        return self.template.render(
            c=copy,
            L=self.layout,
            fonts=self.fonts.faces,
            family=FAMILY,
            title=REPLY_FORM_TITLE,
            office=thai.thai_digits(letter.config.model.office.name),
            number_blank=copy.number.endswith(("/", "/ว")),
            recipient=recipient_runs(copy),
            blank_fill=blank,
            tasks=tasks,
            compact=compact,
            due=thai.thai_date(follow.due) if follow else None,
            unit_name=text(" ".join(unit[:unit_count])),
            contact=unit[unit_count:],
            author=letter.config.model.office.name,
            created=d.date.isoformat(),
        )

    def render(self, letter: Letter, copy: Copy) -> bytes:
        """The recipient's form: overprinted on the form every recipient's shares when it can
        be (see ``letters.render.Overprinter``), else laid out whole; the same page either way."""
        created = letter.directive.date
        made = self.overprinter.draw_on_form(
            copy.form_key(),
            recipient_runs(copy),
            created,
            lambda: self._form(letter, copy),
        )
        if made is not None:
            return made[0]
        return self.render_whole(letter, copy)

    def render_whole(self, letter: Letter, copy: Copy) -> bytes:
        from letters.render import write_pdf

        _, chosen = self._layouts(letter, copy, blank=False)
        return write_pdf(chosen, letter.directive.date, self.output)

    def _form(self, letter: Letter, copy: Copy) -> Form | None:
        from letters.render import find_slot, write_pdf

        first, chosen = self._layouts(letter, copy, blank=True)
        primary, slot = find_slot(first, "recipient"), find_slot(chosen, "recipient")
        if primary is None or slot is None:
            return None
        pdf = write_pdf(chosen, letter.directive.date, self.output)
        return Form(pdf, len(chosen.pages), slot, primary)

    def _layouts(self, letter: Letter, copy: Copy, *, blank: bool) -> tuple[Any, Any]:
        """The first layout tried and the one chosen: the form set again ``compact`` when it
        would not fit one page."""
        first = self._layout(letter, copy, blank=blank)
        if len(first.pages) > 1:
            return first, self._layout(letter, copy, compact=True, blank=blank)
        return first, first

    def _layout(self, letter: Letter, copy: Copy, *, blank: bool, compact: bool = False) -> Any:
        from weasyprint import HTML

        source = self.html(letter, copy, compact=compact, blank=blank)
        html = HTML(
            string=source, base_url=str(resource_dir("templates")), url_fetcher=self.url_fetcher
        )
        return html.render(font_config=self.font_config)


def recipient_runs(copy: Copy) -> tuple[Run, ...]:
    """หน่วยงาน on the form: the office's name whole, its head's title and its code."""
    member = copy.recipient
    name = thai.thai_digits(thai.office_name(member.name, member.title))
    rest = thai.thai_digits(f" ({member.title} รหัส {member.code})")
    return (Run(name, keep=True), Run(rest))
