"""Copies of a letter to PDF: Jinja2 template, WeasyPrint, Thai-distributed justification.

One ``PdfRenderer`` serves a whole build: the font configuration, the template and the
justification hook are set up once. A letter is laid out once: its catch-words (the first
word of each later page) have a line of their own at the foot of every page, so they move no
text; known from that layout, they are set alone on pages of their own and drawn over the
letter's.

A letter addressed to each member of a group is the same pages for everyone but the
addressee. Such copies are overprinted (``Overprinter``): the letter is laid out and written
once with the addressee's place left unprinted (a *form*), and each copy is that form with
its own addressee drawn over it, laid out alone at the place measured in the form, with the
same font, size, line pitch and width. A copy whose addressee takes another number of lines
gets a form of its own; one that would not fit the place is rendered whole. The pages are the
same either way (tests/test_render.py compares them pixel by pixel).
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from letters import archive, textlayer, thai
from letters.config import Layout, PdfSettings
from letters.content import Copy, Run
from letters.fonts import FAMILY, FontSet
from letters.page import CM as CM  # bundle.py's
from letters.page import PageGeometry
from letters.resources import resource_dir

if TYPE_CHECKING:
    from letters.directive import Letter


_CSS_ESCAPED = frozenset("\\\"'<>&")


def css_string(value: str) -> Markup:
    """``value`` as the inside of a CSS "..." string in a template's <style>, marked safe.

    Quotes, backslashes, line breaks and other control characters, and ``<``, ``>`` and
    ``&`` are written as CSS escapes (``\\26 `` for ``&``): the text reads back exactly as
    given, HTML escaping (whose entities <style> does not read) is not applied again, and no
    value can close the <style> element."""
    out = (
        f"\\{ord(ch):x} " if ch in _CSS_ESCAPED or ord(ch) < 0x20 or ord(ch) == 0x7F else ch
        for ch in value
    )
    return Markup("".join(out))


class DeclaredFiles:
    """The URL fetcher of every document the tool lays out with WeasyPrint.

    It serves the files a build declared, and nothing else: the fonts, the office's emblem,
    the signers' signatures (``for_letter``), read by their own paths; and ``data:`` URLs,
    which hold what they serve. Any other URL (``http:``, ``https:``, a ``file:`` of any
    other file, such as one an SVG picture names) is refused: WeasyPrint leaves that
    resource out, nothing is fetched. ``refused`` lists what was asked for and refused.
    Made at the edge (the build, an export) and handed to the renderers.
    """

    _fail_on_errors = False  # WeasyPrint reads it: a refused URL is left out, not fatal

    def __init__(self, files: Iterable[Path | None]) -> None:
        self.files = frozenset(path.resolve() for path in files if path is not None)
        self.refused: list[str] = []

    @classmethod
    def of_fonts(cls, fonts: FontSet, *others: Path | None) -> DeclaredFiles:
        """The font files, and ``others``."""
        return cls([*(font.path for font in fonts.files), *others])

    @classmethod
    def for_letter(cls, letter: Letter, fonts: FontSet) -> DeclaredFiles:
        """What a letter's documents may show: fonts, the emblem, every signer's signature."""
        config = letter.config
        signatures = [
            config.resolve(s.signature) for s in config.model.signers.values() if s.signature
        ]
        return cls.of_fonts(fonts, config.emblem, *signatures)

    def __call__(self, url: str) -> Any:
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        from weasyprint.urls import URLFetcher, URLFetcherResponse

        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return URLFetcher(allowed_protocols=("data",)).fetch(url)
        if scheme == "file":
            parts = urlsplit(url)
            path = Path(url2pathname(parts.path))
            if parts.netloc in ("", "localhost") and path.is_absolute():
                path = path.resolve()
                if path in self.files:
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    data = path.read_bytes()
                    return URLFetcherResponse(path.as_uri(), data, {"Content-Type": kind})
        self.refused.append(url)
        raise ValueError(f"not a file this build declared: {url}")


def template_environment() -> jinja2.Environment:
    """The templates of every document the tool lays out with WeasyPrint; installs the text
    layer (``letters.textlayer``) that all of them are written with."""
    textlayer.install()
    archive.install()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cssstring"] = css_string
    return env


@dataclass(frozen=True)
class Output:
    """How a document is written (config.yaml's ``pdf:``, see ``letters.config.PdfSettings``):
    ``text_layer``: each line carries its text as typeset (``letters.textlayer``);
    ``archive``: PDF/A-3b (XMP metadata, sRGB output intent, fonts embedded);
    ``tagged``: a structure tree in reading order, ``/Lang``, decorations as artifacts."""

    text_layer: bool = True
    archive: bool = False
    tagged: bool = False

    @classmethod
    def of(cls, settings: PdfSettings | None) -> Output:
        """The output of a letter or reply form: everything ``settings`` turns on."""
        settings = settings or PdfSettings()
        return cls(settings.text_layer, settings.archive, settings.tagged)

    def piece(self) -> Output:
        """The output of a piece drawn over a document (an addressee, catch-words): its text
        layer only; the document it is drawn on is the archive and has the tags."""
        return Output(self.text_layer)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    catchwords: tuple[str, ...]  # printed at the foot of pages 1 .. n-1


class PdfRenderer:
    """Renders copies to PDF bytes, reusing fonts, template and stylesheet across copies."""

    def __init__(
        self,
        layout: Layout,
        fonts: FontSet,
        *,
        author: str,
        keep_whole: list[str],
        url_fetcher: DeclaredFiles | None = None,
        pdf: PdfSettings | None = None,
    ) -> None:
        """``url_fetcher``: the files the letter's documents may show (``DeclaredFiles``,
        made by the build from the letter); by default the fonts and the emblem and signature
        of the copy being rendered. ``pdf``: config.yaml's ``pdf:`` (all on by default)."""
        from weasyprint.text.fonts import FontConfiguration

        from letters import justify

        justify.install()
        self.layout = layout
        self.fonts = fonts
        self.url_fetcher = url_fetcher
        self.author = author
        self.keep_whole = keep_whole
        self.output = Output.of(pdf)
        self.font_config = FontConfiguration()
        environment = template_environment()
        self.template = environment.get_template("letter.html.j2")
        self.overlay = environment.get_template("catchwords.html.j2")
        self.overprinter = Overprinter(
            fonts, self.font_config, url_fetcher=url_fetcher, output=self.output.piece()
        )
        self._base = str(resource_dir("templates"))
        # The catch-words of recent letters, alone on their pages: (words, pages, date) -> PDF.
        self._overlays: dict[tuple[object, ...], bytes] = {}

    def html(
        self,
        copy: Copy,
        created: dt.date,
        catchwords: dict[int, str],
        *,
        blank_addressee: bool = False,
    ) -> str:
        """The letter's HTML; ``catchwords``: the catch-word at the foot of each page
        (1-based) but the last (the renderer itself draws them over the pages: see
        ``_written``)."""
        emblem = copy.emblem.as_uri() if copy.emblem and copy.emblem.is_file() else None
        return self.template.render(
            c=copy,
            author=self.author,
            created=created.isoformat(),
            emblem=emblem,
            signature=copy.signature.as_uri() if copy.signature else None,
            number_blank=copy.number.endswith(("/", "/ว")),
            blank_fill=blank_addressee,
            **self._pages(catchwords),
        )

    def catchwords_html(self, catchwords: dict[int, str], pages: int) -> str:
        """The catch-words alone, on ``pages`` pages like the letter's."""
        return self.overlay.render(**{**self._pages(catchwords), "overlay_pages": pages})

    def _pages(self, catchwords: dict[int, str]) -> dict[str, Any]:
        """What templates/letter-page.css.j2 needs: fonts, page geometry (margins, page
        number), catch-words."""
        layout = self.layout
        before, _, after = layout.page_number.partition("{n}")
        return {
            "L": layout,
            "page": PageGeometry(layout),  # every measure the DOCX places too
            "fonts": self.fonts.faces,
            "family": FAMILY,
            "page_number_before": css_string(thai.thai_digits(before)),
            "page_number_after": css_string(thai.thai_digits(after)),
            "catchwords": catchwords,
            "overlay_pages": 0,
        }

    def render(self, copy: Copy, created: dt.date, *, whole: bool = False) -> Rendered:
        """The copy as PDF: overprinted on the form the letter's copies share when it can be,
        else laid out whole (the same pages either way). ``whole``: laid out whole at once
        (the first copy of a build: a circular has no other)."""
        if whole:
            return self.render_whole(copy, created)
        key = (copy.form_key(), created)
        made = self.overprinter.draw_on_form(
            key,
            copy.addressee,
            created,
            lambda: self._form(copy, created),
        )
        if made is not None:
            pdf, form = made
            return Rendered(pdf, form.pages, form.words)
        return self.render_whole(copy, created)

    def render_whole(self, copy: Copy, created: dt.date) -> Rendered:
        """The copy laid out and written as one document."""
        document, words = self._laid_out(copy, created, blank=False)
        return Rendered(self._written(document, words, created), len(document.pages), words)

    def _form(self, copy: Copy, created: dt.date) -> Form | None:
        document, words = self._laid_out(copy, created, blank=True)
        slot = find_slot(document, "addressee")
        if slot is None:
            return None
        pdf = self._written(document, words, created)
        return Form(pdf, len(document.pages), slot, slot, words)

    def _written(self, document: Any, words: tuple[str, ...], created: dt.date) -> bytes:
        """The laid-out letter as PDF, with its catch-words drawn over its pages: they have a
        line of their own at the foot of every page and move no text, so the letter is laid
        out once, and the catch-words, known from that layout, alone on pages of its own."""
        pdf = write_pdf(document, created, self.output)
        if not words:
            return pdf
        key = (words, len(document.pages), created)
        over = self._overlays.get(key)
        if over is None:
            from weasyprint import HTML

            catch = {i: word for i, word in enumerate(words, 1)}
            source = self.catchwords_html(catch, len(document.pages))
            fetcher = self.url_fetcher or DeclaredFiles.of_fonts(self.fonts)
            html = HTML(string=source, base_url=self._base, url_fetcher=fetcher)
            pages = html.render(font_config=self.font_config)
            over = self._overlays[key] = write_pdf(pages, created, self.output.piece())
            while len(self._overlays) > 4:
                del self._overlays[next(iter(self._overlays))]
        return compose_pages(pdf, over, "Catch", artifact=self.output.tagged)

    def _laid_out(
        self, copy: Copy, created: dt.date, *, blank: bool
    ) -> tuple[Any, tuple[str, ...]]:
        """The laid-out letter (without its catch-words) and its catch-words: the first word
        of each page but the first."""
        from weasyprint import HTML

        source = self.html(copy, created, {}, blank_addressee=blank)
        fetcher = self.url_fetcher or DeclaredFiles.of_fonts(
            self.fonts, copy.emblem, copy.signature
        )
        html = HTML(string=source, base_url=self._base, url_fetcher=fetcher)
        document = html.render(font_config=self.font_config)
        return document, self._catchwords(document)

    def _catchwords(self, document: Any) -> tuple[str, ...]:
        return tuple(
            self.layout.catchword.format(word=thai.first_word(line, self.keep_whole))
            for line in (first_line(page) for page in document.pages[1:])
        )


# ---------------------------------------------------------------- overprinting


@dataclass(frozen=True)
class Slot:
    """The place of one copy's own words in a form (CSS px, from the page's top left)."""

    page: int  # 0-based
    x: float
    y: float  # the top of the first line
    width: float
    height: float  # from the top of the first line to the bottom of the last
    line_height: float
    font_size: float
    font_weight: int
    align: str
    page_width: float
    page_height: float

    def place(self) -> tuple[object, ...]:
        """Everything of the slot but its height: where and how its words are set."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "height")


@dataclass(frozen=True)
class Form:
    """A document written once for every copy, one copy's own words left unprinted.

    ``primary`` is the slot in the first layout the renderer tries; ``slot`` the one in the
    document it chose (another one when the words made it choose otherwise, e.g. a reply form
    set again smaller to fit its page). Copies whose words take the same height in
    ``primary`` make the same choice.
    """

    pdf: bytes
    pages: int
    slot: Slot
    primary: Slot
    words: tuple[str, ...] = ()  # the letter's catch-words


@dataclass(frozen=True)
class _Fill:
    document: Any
    height: float
    fits: bool  # every line within the slot's width


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.01


class Overprinter:
    """Copies of a document that differ in one place only: a few forms kept, each copy's
    words laid out alone and drawn over its form (``compose``), in the place the form's
    content marks for them (``letters.textlayer.SLOT``): read there, in order.

    A form is made for the first copy of a key and for each new number of lines the words
    take; at most ``keep`` keys are kept, the most recently used. ``output``: how the words
    are written (``Output.piece``).
    """

    def __init__(
        self,
        fonts: FontSet,
        font_config: Any,
        *,
        keep: int = 4,
        url_fetcher: DeclaredFiles | None = None,
        output: Output | None = None,
    ) -> None:
        self.fonts = fonts
        self.output = output or Output()
        self.font_config = font_config
        self.url_fetcher = url_fetcher or DeclaredFiles.of_fonts(fonts)
        self.keep = keep
        self.template = template_environment().get_template("fill.html.j2")
        self._base = str(resource_dir("templates"))
        self._forms: OrderedDict[Hashable, list[Form]] = OrderedDict()

    def draw_on_form(
        self,
        key: Hashable,
        runs: Sequence[Run],
        created: dt.date,
        make: Callable[[], Form | None],
    ) -> tuple[bytes, Form] | None:
        """The copy whose own words are ``runs``: its form (made by ``make``, or kept from an
        earlier copy of ``key``, which names everything printed but the words) with the words
        drawn over it; the PDF and the form used.

        None when the copy cannot be overprinted and must be laid out whole; its pages are
        the same either way. That is when:

        - ``make`` gives no form: the document has no place for the words, or it spans pages;
        - the words laid out alone do not fit the place: wider than it (an unbreakable name),
          more than a page, or not starting on its first line (both checks, before and after
          the place of a kept form is chosen);
        - a new form made for a new height of the words puts them elsewhere than the first
          form did, or the words take another height in it than laid out alone (the form's
          layout and the words' disagree: trust neither).
        """
        forms = self._forms.get(key)
        if forms is None:
            first = make()
            if first is None:
                return None
            forms = [first]
            self._remember(key, forms)
        else:
            self._forms.move_to_end(key)
        primary = forms[0].primary
        fill = self._fill(runs, primary)
        if not fill.fits:
            return None
        tried = fill.height
        chosen = [f for f in forms if _close(f.primary.height, tried)]
        if chosen and chosen[0].slot.place() != primary.place():
            fill = self._fill(runs, chosen[0].slot)
        form = next((f for f in chosen if _close(f.slot.height, fill.height)), None)
        if form is None:
            form = make()
            if form is None or form.primary.place() != primary.place():
                return None
            if not _close(form.primary.height, tried):
                return None
            if form.slot.place() != primary.place():
                fill = self._fill(runs, form.slot)
            if not _close(form.slot.height, fill.height):
                return None
            forms.append(form)
        if not fill.fits:
            return None
        words = write_pdf(fill.document, created, self.output)
        return compose(form.pdf, words, form.slot.page), form

    def _remember(self, key: Hashable, forms: list[Form]) -> None:
        self._forms[key] = forms
        while len(self._forms) > self.keep:
            self._forms.popitem(last=False)

    def _fill(self, runs: Sequence[Run], slot: Slot) -> _Fill:
        from weasyprint import HTML

        source = self.template.render(fonts=self.fonts.faces, family=FAMILY, slot=slot, runs=runs)
        html = HTML(string=source, base_url=self._base, url_fetcher=self.url_fetcher)
        document = html.render(font_config=self.font_config)
        lines = [line for page in document.pages for line in _lines(page._page_box)]
        if len(document.pages) != 1 or not lines:
            return _Fill(document, 0.0, False)
        right = slot.x + slot.width + 0.01
        fits = all(_content_right(line) <= right for line in lines)
        top, last = lines[0].position_y, lines[-1]
        height = last.position_y + last.height - top
        return _Fill(document, height, fits and _close(top, slot.y))


def compose(form: bytes, fill: bytes, page: int) -> bytes:
    """``form`` with the first page of ``fill`` (the same size) drawn over its page ``page``."""
    import pikepdf

    with pikepdf.open(io.BytesIO(form)) as pdf, pikepdf.open(io.BytesIO(fill)) as over:
        _draw_over(pdf, pdf.pages[page], over.pages[0], textlayer.SLOT, at_slot=True)
        return saved(pdf)


def compose_pages(base: bytes, over: bytes, name: str = "Fill", *, artifact: bool = False) -> bytes:
    """Every page of ``base`` with the page of ``over`` of the same number drawn over it
    (as an XObject named ``name`` and a number); ``artifact``: marked as a pagination
    artifact (catch-words: not part of a tagged document's structure)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(base)) as pdf, pikepdf.open(io.BytesIO(over)) as top:
        if len(pdf.pages) != len(top.pages):
            raise ValueError(f"{len(top.pages)} pages to draw over {len(pdf.pages)}")
        for page, drawn in zip(pdf.pages, top.pages, strict=True):
            _draw_over(pdf, page, drawn, name, artifact=artifact)
        return saved(pdf)


def join(documents: Sequence[bytes]) -> bytes:
    """The pages of ``documents`` in order, in one PDF with the first one's document
    information, language and outline."""
    import pikepdf

    with pikepdf.open(io.BytesIO(documents[0])) as pdf:
        others = [pikepdf.open(io.BytesIO(data)) for data in documents[1:]]
        try:
            for other in others:
                pdf.pages.extend(other.pages)
            return saved(pdf)
        finally:
            for other in others:
                other.close()


def _draw_over(
    pdf: Any,
    page: Any,
    drawn: Any,
    prefix: str = "Fill",
    *,
    at_slot: bool = False,
    artifact: bool = False,
) -> None:
    """``drawn`` (a page of another PDF) as a form XObject drawn after ``page``'s own
    content, which is wrapped in q/Q and copied as it is: nothing of it is decoded or
    compressed again. ``at_slot``: drawn where the page's content already draws the XObject
    ``prefix`` (``letters.textlayer.SLOT``, the place of an unprinted slot), in reading
    order, and the content is not touched at all. The page gets resources of its own
    (WeasyPrint's pages share theirs)."""
    import pikepdf

    xobject = pdf.copy_foreign(drawn.as_form_xobject())
    own = page.obj.get("/Resources", pikepdf.Dictionary())
    resources = pikepdf.Dictionary({str(k): v for k, v in own.items()})
    xobjects = pikepdf.Dictionary(
        {str(k): v for k, v in resources.get("/XObject", pikepdf.Dictionary()).items()}
    )
    if at_slot:
        name = f"/{prefix}"
    else:
        name = next(
            f"/{prefix}{i}" for i in range(len(xobjects) + 1) if f"/{prefix}{i}" not in xobjects
        )
    xobjects[name] = xobject
    resources["/XObject"] = xobjects
    page.obj["/Resources"] = resources
    if at_slot:
        return
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    draw = b"q\n" + name.encode() + b" Do\nQ\n"
    if artifact:
        draw = b"/Artifact <</Type /Pagination>> BDC\n" + draw + b"EMC\n"
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + draw))


def saved(pdf: Any, min_version: str = "") -> bytes:
    """A pikepdf document's bytes: equal documents, equal bytes (no random file ID). Its
    objects are packed in object streams anew (faster to write, and smaller, than keeping
    the streams of the pieces it was made from)."""
    import pikepdf

    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        fix_metadata_version=False,
        min_version=min_version,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return out.getvalue()


def find_slot(document: Any, name: str) -> Slot | None:
    """The place of the element marked ``data-fill="<name>"`` in a laid-out document: the
    box of its content and the lines it takes (None if it is not there, or spans pages)."""
    found: list[tuple[int, Any]] = []
    for number, page in enumerate(document.pages):
        found.extend((number, box) for box in _marked(page._page_box, name))
    if len(found) != 1:
        return None
    number, box = found[0]
    lines = list(_lines(box))
    if not lines:
        return None
    top, last = lines[0].position_y, lines[-1]
    style = box.style
    page_box = document.pages[number]._page_box
    return Slot(
        page=number,
        x=box.content_box_x(),
        y=top,
        width=box.width,
        height=last.position_y + last.height - top,
        line_height=lines[0].height,
        font_size=style["font_size"],
        font_weight=style["font_weight"],
        align=style["text_align_all"],
        page_width=page_box.margin_width(),
        page_height=page_box.margin_height(),
    )


def _marked(box: Any, name: str) -> Iterator[Any]:
    """The outermost boxes of the element marked ``data-fill="<name>"`` (the anonymous boxes
    inside one carry its element too)."""
    element = getattr(box, "element", None)
    if element is not None and element.get("data-fill") == name:
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _marked(child, name)


def _all_boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _all_boxes(child)


def _lines(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    for child in _all_boxes(box):
        if isinstance(child, boxes.LineBox):
            yield child


def _content_right(line: Any) -> float:
    """Where the last of a line's words ends (the line box itself is as wide as its block)."""
    from weasyprint.formatting_structure import boxes

    ends = [
        b.position_x + b.margin_width() for b in _all_boxes(line) if isinstance(b, boxes.TextBox)
    ]
    right: float = max(ends, default=line.position_x)
    return right


def write_pdf(document: Any, created: dt.date, output: Output | None = None) -> bytes:
    """PDF bytes that depend only on the letter (font subsets dated by the letter, not now),
    written as ``output`` says (by default: the text layer alone)."""
    output = output or Output()
    options: dict[str, Any] = {}
    if output.archive:
        options.update(pdf_variant="pdf/a-3b")
    if output.tagged:
        options.update(pdf_tags=True)
    stamp = int(dt.datetime.combine(created, dt.time(), dt.UTC).timestamp())
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    # fontTools writes the subset's creation time from SOURCE_DATE_EPOCH when it is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(max(stamp, 0))
    try:
        with textlayer.text_layer(output.text_layer):
            pdf: bytes = document.write_pdf(**options)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return pdf


def _flow_boxes(box: Any) -> Iterator[Any]:
    """The boxes of a page's text flow, in order: no margin boxes, no fixed or absolute ones."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox):
        return
    if box.style["position"] in ("fixed", "absolute"):
        return
    yield box
    for child in getattr(box, "children", ()):
        yield from _flow_boxes(child)


def first_line(page: Any) -> str:
    """The text of the first line of a laid-out page's flow."""
    from weasyprint.formatting_structure import boxes

    for box in _flow_boxes(page._page_box):
        if isinstance(box, boxes.LineBox):
            return "".join(b.text for b in _flow_boxes(box) if isinstance(b, boxes.TextBox)).strip()
    return ""
