"""Copies of a letter to DOCX: the same words and layout settings as the PDF, editable in Word.

Built with python-docx from a ``Copy`` and the ``Layout``. What must stay in place while a
clerk edits the letter is a paragraph property: indents, tab stops, keep-with-next, Thai-
distributed justification. What the PDF places on the page absolutely (the Garuda, the
stamps, the draft mark) is anchored to the page from the headers, in front of the text and
moving none of it. Thai is a complex script in the styles and in every run (python-docx has
no API for that: the XML is written here), and the font files travel inside the document,
obfuscated as Word embeds them, so that a machine without the font shows the letter as
designed.

The font. Every run, style and the font table name ``layout.font_name`` ("TH Sarabun New",
what government PCs have installed) at ``layout.font_size_pt`` (16 pt): the size the
regulation means. Word and LibreOffice use an installed font of that name before an embedded
one, so on such a PC the letter is set in the real TH Sarabun New. What is embedded, for the
machines without it:

- the office's own TH Sarabun files when it supplied them (``FontSet.stand_in`` False),
  under the run font's name;
- otherwise a stand-in: Google's Sarabun resized to TH Sarabun's scale
  (``fonts.at_th_sarabun_scale``: the em 1/0.653 times as large, TH Sarabun New's vertical
  metrics) and *named* ``layout.font_name``. Embedded under Sarabun's own name it would never
  be used for runs that ask for TH Sarabun New, and unresized it would set the 16 pt letter
  1.53 times too wide. Named and sized so, a machine without TH Sarabun New draws the
  letter at the size, line breaks and pages it has with the real font.

The line pitch is ``layout.line_pitch_pt`` set exactly (Word's single spacing of TH Sarabun
New 16 pt, as the PDF's line height): the same lines per page as the PDF. Word and
LibreOffice put an exact line's baseline 0.8 of the pitch below its top, the PDF a little
higher (half-leading and the font's ascent): the lines of the DOCX stand about 3 pt lower
than the PDF's, in line boxes at the same places, so that both break pages alike.

Equal input gives equal bytes: fixed zip timestamps, font keys derived from the font bytes,
pictures rasterised by the same code every time.

Copies of one letter that differ only in the addressee (``to.address: each``) are not built
again: the renderer keeps the package of a few recent letters ("masters") with the addressee
left open, and writes the next copy's addressee into it, the other parts of the zip reused as
compressed. The bytes are those the whole render gives; only the time differs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import re
import struct
import unicodedata
import uuid
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from letters import thai
from letters.config import Layout
from letters.content import Copy, Entry, Run, Text, plain
from letters.errors import OutputError
from letters.fonts import FAMILY, FontSet, at_th_sarabun_scale, rename_font
from letters.render import _LABEL_GAP_EM as LABEL_GAP_EM
from letters.render import CM, DeclaredFiles, css_string

# The paper, and what templates/letter.html.j2 places with fixed numbers (no settings yet).
A4_CM = (21.0, 29.7)
RED = "CC0000"
STAMP_TOP_CM = 0.2  # the secrecy stamp's line box from the paper's top edge
STAMP_BOTTOM_CM = 0.1  # ... and from its bottom edge
SPEED_LINE_EM = 1.2  # line heights of the speed and secrecy stamps
SECRECY_LINE_EM = 1.1
SLOGAN_BOTTOM_CM = 0.35  # the slogan's line box from the paper's bottom edge
SMALL_LINE_EM = 1.2  # the line height of the slogan
PAGE_NUMBER_RISE_PT = 3.0  # the page number's line box above its place (render.py's "- 3")
# Word and LibreOffice set a line of exact height h with its baseline 0.8 h below its top.
EXACT_BASELINE = 0.8
WATERMARK_PT = 150.0
WATERMARK_TOP_CM = 9.0  # the watermark's line box from the text block's top
WATERMARK_OPACITY = 0.12
WATERMARK = "ร่าง"
PLACEHOLDER_CSS = (
    "box-sizing:border-box;border:1.5pt dashed #c00;color:#c00;font-size:12pt;"
    "line-height:14pt;padding-top:0.8cm;text-align:center"
)
PLACEHOLDER_TEXT = ("ตราครุฑ", "(ไม่พบไฟล์", "emblem missing)")

PICTURE_DPI = 600  # SVG pictures become PNG at this resolution
# The page number of pages 2 on, in Thai digits. ECMA-376 Part 1, 17.16.4.3: the switch
# "\* ThaiArabic" formats a field's number in Thai digits, whatever the section's page number
# format; Word honours it. LibreOffice (7.4 and later) reads ThaiArabic as Thai *letters*
# (ข for 2), the section format w:pgNumType "thaiNumbers" as decimal (2), and has no DOCX
# form at all of its own Thai-digit numbering (writerfilter's ConvertNumberingType and
# lcl_ParseNumberingType). So the field sits in an mc:AlternateContent (ECMA-376 Part 3;
# Part 4 allows it anywhere in WordprocessingML): its Choice requires wp14, the Word 2010
# namespace, which Word 2010 and later understand and take; LibreOffice takes only Choices
# requiring wps, wpg, w14 or wpc, so it reads the Fallback, the field's result as text:
# ๒, right on page 2 of the letters of two pages (nearly all of them, TH Sarabun's 33 lines a
# page); LibreOffice shows ๒ on the later pages of a longer letter too. Word 2007 (no wp14)
# would take the Fallback as well.
PAGE_FIELD = "PAGE \\* ThaiArabic"
PAGE_CHOICE = "wp14"
PAGE_CHOICE_NS = "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing"
THAI = "th-TH"
TWIPS_PER_PT = 20
EMU_PER_PT = 12700
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
RT_FONT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
RT_THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
RT_APP_PROPERTIES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
)
APP_PROPERTIES = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>letters</Application><DocSecurity>0</DocSecurity></Properties>"
)
RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

MASTERS = 4  # letters kept ready to address, the most recently used (a few hundred kB each)

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "w10": "urn:schemas-microsoft-com:office:word",
}
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def qn(name: str) -> str:
    """``w:p`` to ``{namespace}p``."""
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _xmlns(*prefixes: str) -> str:
    return " ".join(f'xmlns:{p}="{NS[p]}"' for p in prefixes)


def _element(tag: str, **attributes: str) -> Any:
    from docx.oxml import OxmlElement

    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _twips(pt: float) -> str:
    return str(round(pt * TWIPS_PER_PT))


def _emu(pt: float) -> int:
    return round(pt * EMU_PER_PT)


# --- fonts -------------------------------------------------------------------------------


class Metrics:
    """Advance widths and line metrics of one font file: enough to place tab stops, indents
    and lines where the PDF has them."""

    def __init__(self, path: Path) -> None:
        from fontTools.ttLib import TTFont

        font = TTFont(path, lazy=True)
        self.units = int(font["head"].unitsPerEm)
        self.cmap: dict[int, str] = font.getBestCmap() or {}
        hmtx = font["hmtx"]
        self.advance = {name: int(hmtx[name][0]) for name in set(self.cmap.values())}
        self.missing = int(hmtx[font.getGlyphOrder()[0]][0])
        # Ascent and descent in em, as the PDF's layout (HarfBuzz) reads them: the typographic
        # ones when the font asks for them, else hhea's, else the Windows ones.
        hhea, os2 = font["hhea"], font["OS/2"]
        if os2.fsSelection & 1 << 7:
            ascent, descent = os2.sTypoAscender, -os2.sTypoDescender
        elif hhea.ascent or hhea.descent:
            ascent, descent = hhea.ascent, -hhea.descent
        else:
            ascent, descent = os2.usWinAscent, os2.usWinDescent
        self.ascent, self.descent = int(ascent) / self.units, int(descent) / self.units
        font.close()

    def width(self, text: str, size_pt: float) -> float:
        units = 0
        for ch in text:
            glyph = self.cmap.get(ord(ch))
            if glyph is not None:
                units += self.advance[glyph]
            elif unicodedata.category(ch) not in ("Mn", "Cf"):
                units += self.missing
        return units * size_pt / self.units


def font_key(raw: bytes) -> str:
    """The GUID that keys a font's obfuscation, derived from its bytes (equal file, equal key)."""
    return "{" + str(uuid.UUID(bytes=hashlib.sha256(raw).digest()[:16])).upper() + "}"


def obfuscate(raw: bytes, key: str) -> bytes:
    """ECMA-376 font obfuscation, its own inverse: bytes 0-31 XOR the GUID's bytes reversed."""
    mask = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ mask[i % 16] for i, b in enumerate(raw[:32])) + raw[32:]


PANOSE = (
    "bFamilyType",
    "bSerifStyle",
    "bWeight",
    "bProportion",
    "bContrast",
    "bStrokeVariation",
    "bArmStyle",
    "bLetterForm",
    "bMidline",
    "bXHeight",
)


def _embedded_files(fonts: FontSet, family: str) -> dict[str, Path]:
    """The regular and bold files the DOCX carries: the office's own, else Sarabun resized to
    TH Sarabun's scale and named ``family`` (the stand-in, see the module text)."""
    if not fonts.stand_in:
        regular, bold = fonts.file(400).path, fonts.file(700).path
        return {"Regular": regular} | ({"Bold": bold} if bold != regular else {})
    import fontpkg

    return {
        kind: at_th_sarabun_scale(
            Path(fontpkg.path("sarabun", weight=weight, style="normal")), family
        )
        for kind, weight in (("Regular", 400), ("Bold", 700))
    }


def _named(raw: bytes, family: str) -> bytes:
    """The font file ``raw`` with ``family`` as its family name; unchanged when it has it
    (an office's TH Sarabun New, the stand-in). An office's TH SarabunPSK under a layout
    that names TH Sarabun New is embedded renamed, or no application would use it."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(raw), lazy=True)
    try:
        names = font["name"]
        if {names.getDebugName(1), names.getDebugName(16) or family} == {family}:
            return raw
        rename_font(font, family)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()
    finally:
        font.close()


def _font_description(path: Path) -> str:
    """What fontTable.xml tells of the font (classification, scripts) for Word to match it."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    os2 = font["OS/2"]
    panose = "".join(f"{getattr(os2.panose, field):02X}" for field in PANOSE)
    ranges = [os2.ulUnicodeRange1, os2.ulUnicodeRange2, os2.ulUnicodeRange3, os2.ulUnicodeRange4]
    pages = [getattr(os2, "ulCodePageRange1", 0), getattr(os2, "ulCodePageRange2", 0)]
    font.close()
    sig = " ".join(
        [f'w:usb{i}="{v:08X}"' for i, v in enumerate(ranges)]
        + [f'w:csb{i}="{v:08X}"' for i, v in enumerate(pages)]
    )
    # DE: the Thai character set.
    return (
        f'<w:panose1 w:val="{panose}"/><w:charset w:val="DE"/><w:family w:val="auto"/>'
        f'<w:pitch w:val="variable"/><w:sig {sig}/>'
    )


# --- paragraphs and runs -----------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    size_pt: float
    bold: bool = False
    color: str | None = None


@dataclass(frozen=True)
class Para:
    """Paragraph properties; lengths in points."""

    jc: str | None = None
    before_pt: float = 0.0
    after_pt: float = 0.0
    line_pt: float | None = None  # exact line height; None: the Normal style's pitch
    single: bool = False  # the font's own line height instead
    left_pt: float = 0.0
    right_pt: float = 0.0
    first_pt: float = 0.0  # negative: hanging
    tab_pt: float | None = None  # one left tab stop
    keep_next: bool = False
    keep_lines: bool = False


class Builder:
    """Writes paragraphs and runs with Thai as a complex script, in the schema's order."""

    def __init__(self, family: str, size_pt: float) -> None:
        self.family = family
        self.normal = Style(size_pt)

    def rpr(self, style: Style | None = None) -> Any:
        style = style or self.normal
        rpr = _element("w:rPr")
        fonts = _element("w:rFonts")
        for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{slot}"), self.family)
        rpr.append(fonts)
        if style.bold:
            rpr.append(_element("w:b"))
            rpr.append(_element("w:bCs"))
        if style.color:
            rpr.append(_element("w:color", val=style.color))
        size = str(round(style.size_pt * 2))  # half-points
        rpr.append(_element("w:sz", val=size))
        rpr.append(_element("w:szCs", val=size))
        rpr.append(_element("w:cs"))
        rpr.append(_element("w:lang", val=THAI, eastAsia=THAI, bidi=THAI))
        return rpr

    def ppr(self, para: Para, style: Style | None = None, *, mark: bool = True) -> Any:
        ppr = _element("w:pPr")
        if para.keep_next:
            ppr.append(_element("w:keepNext"))
        if para.keep_lines:
            ppr.append(_element("w:keepLines"))
        if para.tab_pt is not None:
            tabs = _element("w:tabs")
            tabs.append(_element("w:tab", val="left", pos=_twips(para.tab_pt)))
            ppr.append(tabs)
        spacing = _element("w:spacing", before=_twips(para.before_pt), after=_twips(para.after_pt))
        if para.single:
            spacing.set(qn("w:line"), "240")
            spacing.set(qn("w:lineRule"), "auto")
        elif para.line_pt is not None:
            spacing.set(qn("w:line"), _twips(para.line_pt))
            spacing.set(qn("w:lineRule"), "exact")
        ppr.append(spacing)
        if para.left_pt or para.right_pt or para.first_pt:
            ind = _element("w:ind", left=_twips(para.left_pt), right=_twips(para.right_pt))
            if para.first_pt < 0:
                ind.set(qn("w:hanging"), _twips(-para.first_pt))
            elif para.first_pt > 0:
                ind.set(qn("w:firstLine"), _twips(para.first_pt))
            ppr.append(ind)
        if para.jc:
            ppr.append(_element("w:jc", val=para.jc))
        if mark:
            ppr.append(self.rpr(style))
        return ppr

    def paragraph(self, parent: Any, para: Para, style: Style | None = None) -> Any:
        """A new ``w:p`` at the end of ``parent`` (before the body's section properties)."""
        p = _element("w:p")
        p.append(self.ppr(para, style))
        section = parent.find(qn("w:sectPr"))
        if section is not None:
            section.addprevious(p)
        else:
            parent.append(p)
        return p

    def run(self, p: Any, text: str, style: Style | None = None) -> Any:
        r = _element("w:r")
        r.append(self.rpr(style))
        for i, part in enumerate(text.split("\t")):
            if i:
                r.append(_element("w:tab"))
            if part:
                t = _element("w:t")
                t.text = part
                t.set(XML_SPACE, "preserve")
                r.append(t)
        p.append(r)
        return r

    def line(self, parent: Any, para: Para, text: str, style: Style | None = None) -> Any:
        p = self.paragraph(parent, para, style)
        self.run(p, text, style)
        return p

    def holder(self, p: Any, content: Any) -> None:
        """A run holding a drawing, a VML picture or alternate content."""
        r = _element("w:r")
        r.append(self.rpr())
        r.append(content)
        p.append(r)

    def field(self, p: Any, instruction: str, shown: str) -> None:
        """A field such as ``PAGE``: begin, instruction, separate, what it shows, end."""

        def part(child: Any) -> None:
            r = _element("w:r")
            r.append(self.rpr())
            r.append(child)
            p.append(r)

        part(_element("w:fldChar", fldCharType="begin"))
        instr = _element("w:instrText")
        instr.text = f" {instruction} "
        instr.set(XML_SPACE, "preserve")
        part(instr)
        part(_element("w:fldChar", fldCharType="separate"))
        self.run(p, shown)
        part(_element("w:fldChar", fldCharType="end"))

    def page_number(self, p: Any, shown: str) -> None:
        """The page number in Thai digits: for Word the ``PAGE_FIELD``, for LibreOffice (the
        alternate content's Fallback) ``shown`` as text (see ``PAGE_FIELD``)."""
        from docx.oxml import parse_xml

        alternate = parse_xml(
            f'<mc:AlternateContent {_xmlns("mc")} xmlns:{PAGE_CHOICE}="{PAGE_CHOICE_NS}">'
            f'<mc:Choice Requires="{PAGE_CHOICE}"/><mc:Fallback/></mc:AlternateContent>'
        )
        choice, fallback = alternate
        self.field(choice, PAGE_FIELD, shown)
        self.run(fallback, shown)
        p.append(alternate)


# --- pictures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    data: bytes  # PNG or JPEG
    description: str


def _rasterise(pdf: bytes) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=PICTURE_DPI / 72, fill_color=(255, 255, 255, 0))
        image = bitmap.to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(PICTURE_DPI, PICTURE_DPI))
    return out.getvalue()


def _replaced_width(box: Any) -> float | None:
    """The width in CSS pixels of the first picture in a laid-out page."""
    from weasyprint.formatting_structure import boxes

    stack = [box]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.ReplacedBox):
            return float(box.width)
        stack.extend(getattr(box, "children", ()))
    return None


class Pictures:
    """SVG to PNG (python-docx embeds no SVG), and the placeholder for a missing emblem.

    WeasyPrint draws them exactly as in the PDF, pdfium rasterises the page.
    """

    def __init__(self, fonts: FontSet, url_fetcher: DeclaredFiles | None = None) -> None:
        """``url_fetcher``: the files a picture may be drawn from (the build's declared
        files); by default the fonts and the picture itself. Nothing an SVG names is fetched
        unless it is one of them."""
        self.fonts = fonts
        self.url_fetcher = url_fetcher
        self._cache: dict[tuple[object, ...], Picture | None] = {}
        self._font_config: Any = None

    def _fetcher(self, *pictures: Path) -> DeclaredFiles:
        return self.url_fetcher or DeclaredFiles.of_fonts(self.fonts, *pictures)

    def _pdf(self, html: str, fetcher: DeclaredFiles) -> bytes:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        if self._font_config is None:
            self._font_config = FontConfiguration()
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=self._font_config)
        return pdf

    def image(self, path: Path, height_cm: float) -> Picture | None:
        """The picture at ``path``, SVG rasterised; None when it cannot be read."""
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size, height_cm)
        if key not in self._cache:
            self._cache[key] = self._load(path, height_cm)
        return self._cache[key]

    def _load(self, path: Path, height_cm: float) -> Picture | None:
        if path.suffix.lower() != ".svg":
            try:
                return Picture(path.read_bytes(), path.name)
            except OSError:
                return None
        from weasyprint import HTML

        # Lay the picture out once to learn its width at this height, then print it alone.
        uri = escape(path.resolve().as_uri())
        html = (
            f"<style>@page{{size:200cm {height_cm}cm;margin:0}}body{{margin:0}}"
            f"img{{display:block;height:{height_cm}cm}}</style><img src='{uri}'>"
        )
        fetcher = self._fetcher(path)
        laid_out = HTML(string=html, url_fetcher=fetcher).render()
        width = _replaced_width(laid_out.pages[0]._page_box)
        if not width:
            return None
        pdf = self._pdf(html.replace("200cm", f"{width:.4f}px"), fetcher)
        return Picture(_rasterise(pdf), path.name)

    def placeholder(self, size_cm: float) -> Picture:
        """The marked square the PDF shows when the emblem is missing, as a picture."""
        key: tuple[object, ...] = ("placeholder", size_cm)
        cached = self._cache.get(key)
        if cached is None:
            regular = css_string(self.fonts.file(400).path.resolve().as_uri())
            html = (
                f'<style>@font-face{{font-family:"{FAMILY}";src:url("{regular}")}}'
                f"@page{{size:{size_cm}cm {size_cm}cm;margin:0}}"
                f"body{{margin:0;font-family:'{FAMILY}'}}"
                f"div{{width:{size_cm}cm;height:{size_cm}cm;{PLACEHOLDER_CSS}}}</style>"
                f"<div>{'<br>'.join(escape(t) for t in PLACEHOLDER_TEXT)}</div>"
            )
            pdf = self._pdf(html, self._fetcher())
            cached = Picture(_rasterise(pdf), " ".join(PLACEHOLDER_TEXT))
            self._cache[key] = cached
        return cached


# --- the document ------------------------------------------------------------------------

CORE_PROPERTY_MAX = 255  # python-docx refuses a longer core property (title, subject, ...)


def core_text(value: str, limit: int = CORE_PROPERTY_MAX) -> str:
    """``value`` as a core property holds it: whole when it fits, else cut to ``limit``
    characters ending in an ellipsis, never between a letter and its marks (the letter
    itself keeps the whole text)."""
    if len(value) <= limit:
        return value
    end = limit - 1
    while end > 0 and unicodedata.category(value[end]) in ("Mn", "Mc", "Me"):
        end -= 1
    return value[:end].rstrip() + "…"


class DocxRenderer:
    """Renders copies to DOCX bytes; fonts, metrics and pictures are prepared once."""

    def __init__(
        self,
        layout: Layout,
        fonts: FontSet,
        *,
        author: str,
        masters: int = MASTERS,
        url_fetcher: DeclaredFiles | None = None,
    ) -> None:
        """``masters``: letters kept ready to address (0: every copy rendered whole).
        ``url_fetcher``: the files the pictures may be drawn from (``Pictures``)."""
        self.layout = layout
        self.fonts = fonts
        self.author = author
        # The font every run names; the files embedded carry that name (module text).
        self.family = layout.font_name
        self.embedded: dict[str, tuple[str, bytes]] = {}
        try:
            files = _embedded_files(fonts, self.family)
            self.regular = files["Regular"]
            self.bold = files.get("Bold", self.regular)
            self.metrics = Metrics(self.regular)
            self.bold_metrics = Metrics(self.bold)
            self.font_description = _font_description(self.regular)
            for kind, path in files.items():
                raw = _named(path.read_bytes(), self.family)
                key = font_key(raw)
                self.embedded[kind] = (key, obfuscate(raw, key))
        except Exception as exc:  # fontTools raises its own errors for broken files
            raise OutputError(
                f"{fonts.name}: อ่านไฟล์ฟอนต์ไม่ได้ (cannot read font): {exc}; "
                "ตรวจไฟล์ในโฟลเดอร์ fonts/ ข้าง config.yaml"
            ) from None
        self.pictures = Pictures(fonts, url_fetcher)
        self.masters = max(masters, 0)
        # Letters by form (everything printed but the addressee, and the date): _SEEN once,
        # their _Master from the second copy on, _WHOLE when none can be made.
        self._forms: OrderedDict[tuple[object, ...], _Master | str] = OrderedDict()
        self.addressed = 0  # copies written into a master rather than rendered whole

    # measures: every one from the layout ---------------------------------------------------

    @property
    def text_width_pt(self) -> float:
        return (A4_CM[0] - self.layout.margin_left_cm - self.layout.margin_right_cm) * CM

    @property
    def foot_pt(self) -> float:
        """The Garuda's foot line, from the paper's top edge."""
        return (self.layout.garuda_top_cm + self.layout.garuda_height_cm) * CM

    def width(self, text: str, style: Style | None = None) -> float:
        style = style or Style(self.layout.font_size_pt)
        return (self.bold_metrics if style.bold else self.metrics).width(text, style.size_pt)

    def lift(self, line_pt: float, size_pt: float | None = None) -> float:
        """How much higher the PDF sets the baseline in a line box ``line_pt`` high (text of
        ``size_pt``, else the letter's size) than Word and LibreOffice in an exact line of
        that height: the PDF splits the leading evenly above the font's ascent and below its
        descent."""
        m, size = self.metrics, size_pt or self.layout.font_size_pt
        pdf = (line_pt - (m.ascent + m.descent) * size) / 2 + m.ascent * size
        return EXACT_BASELINE * line_pt - pdf

    @property
    def page_number_top_pt(self) -> float:
        """The top of the page number's line box in the PDF, from the paper's top edge
        (render.py: its glyphs' top ``page_number_top_cm`` down)."""
        L = self.layout
        half_leading = (L.line_pitch_pt - L.font_size_pt) / 2
        return L.page_number_top_cm * CM - half_leading - PAGE_NUMBER_RISE_PT

    @property
    def masters_held(self) -> int:
        return sum(isinstance(form, _Master) for form in self._forms.values())

    def render(self, copy: Copy, created: dt.date) -> bytes:
        """The DOCX of ``copy``. The first copy of a letter is rendered whole; from the
        second on, the letter's master is made once (the package with a placeholder for the
        addressee) and each copy is its addressee written into it."""
        fragment = _addressee_xml(plain(copy.addressee)) if self.masters else None
        if fragment is None:
            return self._whole(copy, created)
        key = (copy.form_key(), created, _file_state(copy.emblem), _file_state(copy.signature))
        form = self._forms.get(key)
        if form is None:
            self._forms[key] = _SEEN
            while len(self._forms) > self.masters:
                self._forms.popitem(last=False)
            return self._whole(copy, created)
        self._forms.move_to_end(key)
        if form == _SEEN:
            open_copy = dataclasses.replace(copy, addressee=(Run(ADDRESSEE_MARK),))
            form = _Master.of(self._whole(open_copy, created)) or _WHOLE
            self._forms[key] = form
        if isinstance(form, _Master):
            self.addressed += 1
            return form.address(fragment)
        return self._whole(copy, created)

    def _whole(self, copy: Copy, created: dt.date) -> bytes:
        import docx

        document = docx.Document()
        b = Builder(self.family, self.layout.font_size_pt)
        ids = itertools.count(1)
        self._styles(document, b)
        self._settings(document)
        self._section(document)
        self._first_header(document, b, copy, ids)
        self._later_header(document, b, copy, ids)
        self._footers(document, b, copy, ids)
        self._body(document, b, copy, ids)
        self._font_table(document)
        self._properties(document, copy, created)
        self._drop_template_leftovers(document)
        out = io.BytesIO()
        document.save(out)
        return _normalised_zip(out.getvalue(), created)

    # package parts -----------------------------------------------------------------------

    def _styles(self, document: Any, b: Builder) -> None:
        """Document defaults and Normal: the font in every slot, Thai, the line pitch."""

        def paragraph() -> Any:
            ppr = b.ppr(Para(line_pt=self.layout.line_pitch_pt), mark=False)
            ppr.insert(0, _element("w:widowControl"))
            return ppr

        defaults = document.styles.element.find(qn("w:docDefaults"))
        for holder, content in (("w:rPrDefault", b.rpr()), ("w:pPrDefault", paragraph())):
            element = defaults.find(qn(holder))
            element.clear()
            element.append(content)
        normal = document.styles["Normal"].element
        for tag in ("w:pPr", "w:rPr"):
            for old in normal.findall(qn(tag)):
                normal.remove(old)
        normal.append(paragraph())
        normal.append(b.rpr())

    def _settings(self, document: Any) -> None:
        settings = document.settings.element
        for tag in ("w:savePreviewPicture", "w:rsids"):
            for old in settings.findall(qn(tag)):
                settings.remove(old)
        # embedTrueTypeFonts follows these in the schema's order and precedes all others.
        earlier = {
            qn(f"w:{tag}")
            for tag in (
                "writeProtection",
                "view",
                "zoom",
                "removePersonalInformation",
                "removeDateAndTime",
                "doNotDisplayPageBoundaries",
                "displayBackgroundShape",
                "printPostScriptOverText",
                "printFractionalCharacterWidth",
                "printFormsData",
            )
        }
        index = max((i + 1 for i, child in enumerate(settings) if child.tag in earlier), default=0)
        settings.insert(index, _element("w:embedTrueTypeFonts"))
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:bidi"), THAI)

    def _section(self, document: Any) -> None:
        from docx.shared import Cm, Pt

        L = self.layout
        section = document.sections[0]
        section.page_width = Cm(A4_CM[0])
        section.page_height = Cm(A4_CM[1])
        section.left_margin = Cm(L.margin_left_cm)
        section.right_margin = Cm(L.margin_right_cm)
        section.top_margin = Cm(L.margin_top_cm)
        section.bottom_margin = Cm(L.margin_bottom_cm)
        # The header's line is the page number's: its baseline where the PDF has it.
        section.header_distance = Pt(max(self.page_number_top_pt - self.lift(L.line_pitch_pt), 0))
        section.footer_distance = Cm(SLOGAN_BOTTOM_CM)
        section.gutter = 0
        section.different_first_page_header_footer = True
        # Page numbers Word inserts later are Thai digits too.
        number_type = _element("w:pgNumType", fmt="thaiNumbers")
        section._sectPr.find(qn("w:pgMar")).addnext(number_type)

    def _font_table(self, document: Any) -> None:
        """fontTable.xml names the font and points at its embedded, obfuscated files."""
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        main = document.part
        table = next(r.target_part for r in main.rels.values() if r.reltype.endswith("/fontTable"))
        embeds = []
        for i, (kind, (key, data)) in enumerate(self.embedded.items(), 1):
            part = Part(PackURI(f"/word/fonts/font{i}.odttf"), OBFUSCATED_FONT, data, main.package)
            rid = table.relate_to(part, RT_FONT)
            embeds.append(f'<w:embed{kind} r:id="{rid}" w:fontKey="{key}"/>')
        xml = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            f"<w:fonts {_xmlns('w', 'r')}>"
            f'<w:font w:name="{escape(self.family)}">{self.font_description}'
            f"{''.join(embeds)}</w:font></w:fonts>"
        )
        table._blob = xml.encode("utf-8")

    def _properties(self, document: Any, copy: Copy, created: dt.date) -> None:
        when = dt.datetime.combine(created, dt.time())
        props = document.core_properties
        props.title = core_text(copy.title)
        props.author = core_text(self.author)
        props.last_modified_by = core_text(self.author)
        props.created = when
        props.modified = when
        props.revision = 1
        props.language = THAI
        for name in ("comments", "subject", "keywords", "category"):
            setattr(props, name, "")

    def _drop_template_leftovers(self, document: Any) -> None:
        """python-docx's template brings another document's thumbnail, a stale style copy and
        application properties of the program that made the template."""
        package = document.part.package
        for rel in package.rels.values():
            if rel.reltype == RT_APP_PROPERTIES:
                rel.target_part._blob = APP_PROPERTIES.encode("utf-8")
        for owner, reltype in (
            (document.part.package, RT_THUMBNAIL),
            (document.part, RT_STYLES_WITH_EFFECTS),
        ):
            for rid, rel in list(owner.rels.items()):
                if rel.reltype == reltype:
                    del owner.rels[rid]

    # headers and footers: what the PDF places on the page --------------------------------

    def _first_header(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        L = self.layout
        story = document.sections[0].first_page_header
        p = b.paragraph(_story(story), Para(line_pt=L.font_size_pt * SMALL_LINE_EM))
        picture = self.pictures.image(copy.emblem, L.garuda_height_cm) if copy.emblem else None
        picture = picture or self.pictures.placeholder(L.garuda_height_cm)
        self._garuda(story.part, p, b, picture, next(ids))
        if copy.speed:
            # Red, bold, left, standing on the line of ที่.
            height = L.stamp_size_pt * SPEED_LINE_EM
            top = self.foot_pt - L.line_pitch_pt - height
            self._stamp(p, b, copy.speed, top, height, "left", "b", next(ids))
        self._secrecy(p, b, copy, ids, top=True)
        if copy.draft:
            self._watermark(p, b, next(ids))

    def _later_header(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        L = self.layout
        header = _story(document.sections[0].header)
        before, _, after = L.page_number.partition("{n}")
        p = b.paragraph(header, Para(jc="center", line_pt=L.line_pitch_pt))
        b.run(p, thai.thai_digits(before))
        b.page_number(p, thai.thai_number(2))
        b.run(p, thai.thai_digits(after))
        self._secrecy(p, b, copy, ids, top=True)
        if copy.draft:
            self._watermark(p, b, next(ids))

    def _footers(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        """Every footer starts one line above the bottom margin, so that the text block of
        every page ends a line higher: the PDF gives that line to the catch-word on every page
        but the last (Word cannot tell a page's next word), and a page of the DOCX breaks
        where the PDF's does. The line is left empty, right-aligned as the catch-word."""
        L = self.layout
        section = document.sections[0]
        room = L.margin_bottom_cm * CM - SLOGAN_BOTTOM_CM * CM  # the footer's, below the line
        catchword = Para(jc="right", line_pt=L.line_pitch_pt)
        first = _story(section.first_page_footer)
        # The slogan is centred on the text block, as in the PDF; its line box ends
        # SLOGAN_BOTTOM_CM above the paper's edge (the footer's distance), its baseline where
        # the PDF has it.
        height = L.font_size_pt * SMALL_LINE_EM
        lift = max(self.lift(height), 0)
        b.paragraph(first, dataclasses.replace(catchword, after_pt=max(room - height - lift, 0)))
        p = b.paragraph(first, Para(jc="center", line_pt=height, after_pt=lift))
        if copy.slogan:
            b.run(p, copy.slogan)
        self._secrecy(p, b, copy, ids, top=False)
        later = _story(section.footer)
        p = b.paragraph(later, dataclasses.replace(catchword, after_pt=room))
        self._secrecy(p, b, copy, ids, top=False)

    def _secrecy(self, p: Any, b: Builder, copy: Copy, ids: Iterator[int], *, top: bool) -> None:
        if not copy.secrecy:
            return
        L = self.layout
        height = L.stamp_size_pt * SECRECY_LINE_EM
        y = STAMP_TOP_CM * CM if top else (A4_CM[1] - STAMP_BOTTOM_CM) * CM - height
        self._stamp(p, b, copy.secrecy, y, height, "center", "t" if top else "b", next(ids))

    def _stamp(
        self,
        p: Any,
        b: Builder,
        text: str,
        top_pt: float,
        height_pt: float,
        align: str,
        anchor: str,
        pid: int,
    ) -> None:
        """Red bold text in a borderless box as wide as the text block, anchored to the page.

        ``anchor`` "b" keeps the text's line on the box's bottom whatever line height the
        application gives the font. ``top_pt`` is the PDF's line box; the box stands higher
        by the baselines' difference, so that the text stands where the PDF has it.
        """
        from docx.oxml import parse_xml

        style = Style(self.layout.stamp_size_pt, bold=True, color=RED)
        top = top_pt - self.lift(height_pt, style.size_pt)
        width = _emu(self.text_width_pt)
        box = parse_xml(
            f"<mc:AlternateContent {_xmlns('mc', 'w', 'wp', 'a', 'wps')}>"
            '<mc:Choice Requires="wps"><w:drawing>'
            + _anchor_open(pid, "ตราประทับ", text, align, top, width, _emu(height_pt))
            + '<a:graphic><a:graphicData uri="'
            'http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
            '<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/>'
            f'<a:ext cx="{width}" cy="{_emu(height_pt)}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln>'
            "</wps:spPr><wps:txbx><w:txbxContent/></wps:txbx>"
            '<wps:bodyPr rot="0" wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" '
            f'anchor="{anchor}">'
            "<a:spAutoFit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
            "</w:drawing></mc:Choice></mc:AlternateContent>"
        )
        content = box.find(f".//{qn('w:txbxContent')}")
        jc = {"left": None, "center": "center", "right": "right"}[align]
        b.line(content, Para(jc=jc, line_pt=height_pt), text, style)
        b.holder(p, box)

    def _garuda(self, part: Any, p: Any, b: Builder, picture: Picture, pid: int) -> None:
        """The emblem anchored to page 1: its top ``garuda_top_cm`` from the paper's edge,
        centred on the text block, in front of the text and moving none of it."""
        from docx.oxml import parse_xml
        from docx.shared import Cm

        L = self.layout
        inline = _inline(part, picture, Cm(L.garuda_height_cm), pid, "ตราครุฑ")
        extent = inline.find(qn("wp:extent"))
        anchor = parse_xml(
            _anchor_open(
                pid,
                "ตราครุฑ",
                picture.description,
                "center",
                L.garuda_top_cm * CM,
                int(extent.get("cx")),
                int(extent.get("cy")),
                lock=True,
            )
            + "</wp:anchor>"
        )
        anchor.append(inline.find(qn("a:graphic")))
        drawing = _element("w:drawing")
        drawing.append(anchor)
        b.holder(p, drawing)

    def _watermark(self, p: Any, b: Builder, pid: int) -> None:
        """ร่าง across the page, as Word writes its own watermarks (WordArt in the header)."""
        from docx.oxml import parse_xml

        L = self.layout
        width = self.width(WATERMARK, Style(WATERMARK_PT, bold=True))
        height = WATERMARK_PT
        top = (L.margin_top_cm + WATERMARK_TOP_CM) * CM
        formulas = "".join(
            f'<v:f eqn="{eqn}"/>'
            for eqn in (
                "sum #0 0 10800",
                "prod #0 2 1",
                "sum 21600 0 @1",
                "sum 0 0 @2",
                "sum 21600 0 @3",
                "if @0 @3 0",
                "if @0 21600 @1",
                "if @0 0 @2",
                "if @0 @4 21600",
                "mid @5 @6",
                "mid @8 @5",
                "mid @7 @8",
                "mid @6 @7",
                "sum @6 0 @5",
            )
        )
        style = (
            f"position:absolute;margin-left:0;margin-top:{top:.2f}pt;width:{width:.2f}pt;"
            f"height:{height:.2f}pt;rotation:315;z-index:-251654144;"
            "mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
            "mso-position-vertical-relative:page"
        )
        pict = parse_xml(
            f"<w:pict {_xmlns('w', 'v', 'o', 'w10')}>"
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
            f'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>{formulas}</v:formulas>'
            '<v:path textpathok="t" o:connecttype="custom" '
            'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
            'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
            '<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
            '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
            f'<v:shape id="PowerPlusWaterMarkObject{pid}" o:spid="_x0000_s{2048 + pid}" '
            f'type="#_x0000_t136" style="{style}" o:allowincell="f" fillcolor="black" '
            f'stroked="f"><v:fill opacity="{WATERMARK_OPACITY}"/>'
            f'<v:textpath style="font-family:&quot;{escape(self.family)}&quot;;font-size:1pt;'
            f'font-weight:bold" string="{WATERMARK}"/>'
            '<w10:wrap anchorx="margin" anchory="page"/></v:shape></w:pict>'
        )
        b.holder(p, pict)

    # the body: paragraphs whose properties keep the layout while the words change ---------

    def _body(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        L = self.layout
        body = document.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        width = self.text_width_pt
        # ที่ and the sender block on the Garuda's foot line; the block's longest line ends
        # at the right margin (1 % and 1 pt to spare for the applications' own metrics).
        sender_x = width - max(self.width(line) for line in copy.sender) * 1.01 - 1
        above = max(self.foot_pt - L.margin_top_cm * CM - L.line_pitch_pt, 0)
        b.line(body, Para(before_pt=above, tab_pt=sender_x), f"{copy.number}\t{copy.sender[0]}")
        for line in copy.sender[1:]:
            b.line(body, Para(left_pt=sender_x), line)
        # The date starts at the centre of the text block.
        b.line(body, Para(left_pt=width / 2), copy.date)
        self._labelled(body, b, "เรื่อง", [copy.subject])
        self._labelled(body, b, copy.salutation, [copy.addressee])
        if copy.references:
            self._labelled(body, b, "อ้างถึง", copy.references)
        if copy.enclosures:
            self._labelled(body, b, "สิ่งที่ส่งมาด้วย", copy.enclosures)
        for i, block in enumerate(copy.body):
            para = Para(
                jc="thaiDistribute",
                before_pt=L.part_space_pt if i == 0 else L.paragraph_space_pt,
                first_pt=L.indent_cm * CM,
                keep_next=i == len(copy.body) - 1,  # its last lines go with the ending
            )
            b.line(body, para, plain(block.text))
        # As the PDF holds them together: the last body lines (two, with widow control), the
        # closing, the complimentary close and the signature block on one page; the unit's
        # lines together, and สำเนาส่ง; nothing else.
        closing = Para(
            jc="thaiDistribute",
            before_pt=L.paragraph_space_pt,
            first_pt=L.indent_cm * CM,
            keep_next=True,
        )
        b.line(body, closing, plain(copy.closing))
        close = Para(left_pt=width / 2, before_pt=L.close_space_pt, keep_next=True)
        b.line(body, close, copy.complimentary_close)
        # Centred under the complimentary close: a text-block-wide paragraph moved right by
        # half the close's width.
        half = self.width(copy.complimentary_close) / 2
        centred = Para(jc="center", left_pt=half, right_pt=-half, keep_next=True)
        space = b.paragraph(
            body, dataclasses.replace(centred, line_pt=L.signature_lines * L.line_pitch_pt)
        )
        if copy.signature is not None and not copy.draft:
            self._signature(document.part, space, b, copy.signature, next(ids))
        signer = (copy.signer_name, *copy.signer_positions)
        for i, line in enumerate(signer):
            b.line(body, dataclasses.replace(centred, keep_next=i < len(signer) - 1), line)
        for i, line in enumerate(copy.unit):
            before = L.line_pitch_pt if i == 0 else 0
            b.line(body, Para(before_pt=before, keep_next=i < len(copy.unit) - 1), line)
        if copy.copies:
            self._labelled(body, b, "สำเนาส่ง", copy.copies, keep_together=True)

    def _labelled(
        self,
        body: Any,
        b: Builder,
        label: str,
        lines: Sequence[Text | str | Entry],
        *,
        keep_together: bool = False,
    ) -> None:
        """``label  text``: wrapped lines and later entries align after the label; a numbered
        entry's wrapped lines hang under its text, not under its number."""
        L = self.layout
        gap = LABEL_GAP_EM * L.font_size_pt
        hang = self.width(label) + gap
        numbers = [e.number for e in lines if isinstance(e, Entry) and e.number]
        text_at = hang + (max(self.width(n) for n in numbers) + gap if numbers else 0)
        for i, line in enumerate(lines):
            keep = keep_together and i < len(lines) - 1
            number = line.number if isinstance(line, Entry) else ""
            if isinstance(line, Entry):
                text = plain(line.text)
            else:
                text = line if isinstance(line, str) else plain(line)
            lead = f"{label}\t" if i == 0 else "\t"
            if number:
                lead += f"{number}\t"
            para = Para(
                before_pt=L.part_space_pt if i == 0 else 0,
                left_pt=text_at,
                first_pt=-text_at,
                tab_pt=hang,
                keep_next=keep,
            )
            # The tab stop at the label's end, then the hanging indent's own stop at the text.
            b.line(body, para, lead + text)

    def _signature(self, part: Any, p: Any, b: Builder, path: Path, pid: int) -> None:
        from docx.shared import Cm

        picture = self.pictures.image(path, self.layout.signature_height_cm)
        if picture is None:
            raise OutputError(
                f"{path}: อ่านภาพลายมือชื่อไม่ได้ (cannot read signature image); "
                "ตรวจไฟล์ที่ signers.*.signature ใน config.yaml ระบุ"
            )
        drawing = _element("w:drawing")
        height = Cm(self.layout.signature_height_cm)
        drawing.append(_inline(part, picture, height, pid, "ลายมือชื่อ"))
        b.holder(p, drawing)


def _story(story: Any) -> Any:
    """The XML of a header or footer of its own, emptied (python-docx starts it with a line)."""
    story.is_linked_to_previous = False
    element = story._element
    for p in element.findall(qn("w:p")):
        element.remove(p)
    return element


def _inline(part: Any, picture: Picture, height: Any, pid: int, name: str) -> Any:
    """A ``wp:inline`` for the picture, its image related to ``part`` (document, header)."""
    from docx.image.exceptions import UnrecognizedImageError

    try:
        inline = part.new_pic_inline(io.BytesIO(picture.data), None, height)
    except UnrecognizedImageError:
        raise OutputError(
            f"{picture.description}: ไม่ใช่ภาพ PNG, JPEG หรือ SVG (not a PNG, JPEG or SVG image)"
        ) from None
    doc_pr = inline.find(qn("wp:docPr"))
    doc_pr.set("id", str(pid))
    doc_pr.set("name", f"{name} {pid}")
    doc_pr.set("descr", picture.description)
    for c_nv_pr in inline.iter(qn("pic:cNvPr")):
        c_nv_pr.set("id", str(pid))
        c_nv_pr.set("name", f"{name} {pid}")
    return inline


def _anchor_open(
    pid: int,
    name: str,
    description: str,
    align: str,
    top_pt: float,
    cx: int,
    cy: int,
    *,
    lock: bool = False,
) -> str:
    """The opening of a ``wp:anchor``: aligned on the text block, ``top_pt`` from the
    paper's top edge, no wrapping (the text flows as if it were not there)."""
    return (
        f'<wp:anchor {_xmlns("wp", "a")} distT="0" distB="0" distL="0" distR="0" '
        f'simplePos="0" relativeHeight="{251658240 + pid}" behindDoc="0" '
        f'locked="{int(lock)}" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="margin"><wp:align>{align}</wp:align></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>{_emu(top_pt)}</wp:posOffset>'
        f'</wp:positionV><wp:extent cx="{cx}" cy="{cy}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{pid}" name="{escape(name)} {pid}" '
        f'descr="{escape(description, quote=True)}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/>'
        "</wp:cNvGraphicFramePr>"
    )


def _normalised_zip(data: bytes, created: dt.date) -> bytes:
    """The same archive with every entry dated the letter's day: equal input, equal bytes."""
    stamp = (max(created.year, 1980), created.month, created.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# --- masters: one letter, many addressees ------------------------------------------------

ADDRESSEE_MARK = "\ue000letters:addressee\ue000"  # where a master's addressee goes
DOCUMENT_PART = "word/document.xml"
_MARK = ADDRESSEE_MARK.encode("utf-8")
_TAB = b"<w:tab/>"
_T_OPEN = b'<w:t xml:space="preserve">'
_T_CLOSE = b"</w:t>"
_SEEN = "seen"
_WHOLE = "whole"
# Characters lxml refuses in text (controls, lone surrogates, U+FFFE/U+FFFF) or writes as a
# character reference (a carriage return): such addressees are rendered whole.
_NOT_PLAIN = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_LONGEST = 1 << 16  # characters of an addressee written into a master


def _addressee_xml(text: str) -> bytes | None:
    """What ``Builder.run`` writes for the addressee after the label's tab, serialised as
    python-docx does (lxml escapes &, < and >); None when the copy must be rendered whole."""
    if len(text) > _LONGEST or _NOT_PLAIN.search(text):
        return None
    out = []
    for i, part in enumerate(text.split("\t")):
        if i:
            out.append(_TAB)
        if part:
            escaped = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out += [_T_OPEN, escaped.encode("utf-8"), _T_CLOSE]
    return b"".join(out)


def _file_state(path: Path | None) -> tuple[int, int] | None:
    """A picture's modification time and size: a master made before it changed is stale."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


# Offsets in the zip format's records (APPNOTE 4.3.7, 4.3.12, 4.3.16).
_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_LOCAL_SIZES = 14  # CRC-32, compressed size, uncompressed size
_CENTRAL_SIZES = 16
_CENTRAL_OFFSET = 42  # the local header's offset
_END_LENGTH = 22


@dataclass(frozen=True)
class _Master:
    """A letter's package as ``_normalised_zip`` wrote it, cut around document.xml's entry:
    the other entries kept as written (headers and compressed data), document.xml kept
    uncompressed in two halves around the addressee."""

    head: bytes  # the entries before document.xml
    header: bytes  # document.xml's local header
    span: int  # document.xml's entry in the master: header and compressed data
    tail: bytes  # the entries after it
    central: bytes  # the central directory
    record: int  # document.xml's record in it
    later: tuple[int, ...]  # where the central directory has the offsets of the later entries
    end: bytes  # the end of central directory record
    before: bytes  # document.xml up to the addressee
    after: bytes  # and from its end

    @classmethod
    def of(cls, package: bytes) -> _Master | None:
        """The master of a package rendered with ``ADDRESSEE_MARK`` as the addressee; None
        when the mark is not where the addressee goes and nowhere else, or the archive is
        not as ``_normalised_zip`` writes it."""
        end = package[-_END_LENGTH:]
        if not end.startswith(_END):
            return None
        size, start = struct.unpack_from("<2L", end, 12)
        central = package[start : start + size]
        if start + size + _END_LENGTH != len(package):
            return None
        names: list[bytes] = []
        offsets: list[int] = []
        records: list[int] = []
        at = 0
        while at < len(central):
            if central[at : at + 4] != _CENTRAL:
                return None
            n, m, k = struct.unpack_from("<3H", central, at + 28)
            records.append(at)
            offsets.append(struct.unpack_from("<L", central, at + _CENTRAL_OFFSET)[0])
            names.append(central[at + 46 : at + 46 + n])
            at += 46 + n + m + k
        if names.count(DOCUMENT_PART.encode()) != 1 or offsets != sorted(offsets):
            return None
        index = names.index(DOCUMENT_PART.encode())
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            parts = {info.filename: z.read(info) for info in z.infolist()}
        xml = parts.pop(DOCUMENT_PART)
        if any(_MARK in data for data in parts.values()):
            return None  # the addressee is printed elsewhere too
        mark = _TAB + _T_OPEN + _MARK + _T_CLOSE
        if xml.count(_MARK) != 1 or xml.count(mark) != 1:
            return None
        cut = xml.index(mark)
        local = offsets[index]
        n, m = struct.unpack_from("<2H", package, local + 26)
        flags = struct.unpack_from("<H", package, local + 6)[0]
        if package[local : local + 4] != _LOCAL or flags & 0x08:  # no data descriptor
            return None
        following = offsets[index + 1] if index + 1 < len(offsets) else start
        master = cls(
            head=package[:local],
            header=package[local : local + 30 + n + m],
            span=following - local,
            tail=package[following:start],
            central=central,
            record=records[index],
            later=tuple(r + _CENTRAL_OFFSET for r in records[index + 1 :]),
            end=end,
            before=xml[: cut + len(_TAB)],
            after=xml[cut + len(mark) :],
        )
        # Written back with the mark, the master must be the package it came from.
        fragment = _addressee_xml(ADDRESSEE_MARK)
        if fragment is None or master.address(fragment) != package:
            return None
        return master

    def address(self, fragment: bytes) -> bytes:
        """The package with ``fragment`` as the addressee's XML: document.xml compressed as
        zipfile compresses it, the later entries' offsets moved by the change in its length."""
        xml = self.before + fragment + self.after
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        data = compressor.compress(xml) + compressor.flush()
        crc = zlib.crc32(xml)
        header = bytearray(self.header)
        struct.pack_into("<3L", header, _LOCAL_SIZES, crc, len(data), len(xml))
        central = bytearray(self.central)
        struct.pack_into("<3L", central, self.record + _CENTRAL_SIZES, crc, len(data), len(xml))
        shift = len(header) + len(data) - self.span
        for at in self.later:
            struct.pack_into("<L", central, at, struct.unpack_from("<L", central, at)[0] + shift)
        end = bytearray(self.end)
        struct.pack_into("<L", end, 16, struct.unpack_from("<L", end, 16)[0] + shift)
        return b"".join((self.head, header, data, self.tail, central, end))
