"""WordprocessingML as the DOCX letter writes it: namespaces, paragraphs and runs with Thai
as a complex script, fields, drawings anchored to the page, and the package's own parts
(styles, settings, the font table, properties), written the same way every time.

python-docx opens and saves the package; what it has no API for (complex-script runs, the
font table's embedded fonts, anchored drawings, alternate content) is written here as XML, in
the schema's order.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from html import escape
from typing import Any

from letters.errors import OutputError

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


def xmlns(*prefixes: str) -> str:
    return " ".join(f'xmlns:{p}="{NS[p]}"' for p in prefixes)


def element(tag: str, **attributes: str) -> Any:
    from docx.oxml import OxmlElement

    made = OxmlElement(tag)
    for name, value in attributes.items():
        made.set(qn(f"w:{name}"), value)
    return made


def twips(pt: float) -> str:
    return str(round(pt * TWIPS_PER_PT))


def emu(pt: float) -> int:
    return round(pt * EMU_PER_PT)


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
        rpr = element("w:rPr")
        fonts = element("w:rFonts")
        for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{slot}"), self.family)
        rpr.append(fonts)
        if style.bold:
            rpr.append(element("w:b"))
            rpr.append(element("w:bCs"))
        if style.color:
            rpr.append(element("w:color", val=style.color))
        size = str(round(style.size_pt * 2))  # half-points
        rpr.append(element("w:sz", val=size))
        rpr.append(element("w:szCs", val=size))
        rpr.append(element("w:cs"))
        rpr.append(element("w:lang", val=THAI, eastAsia=THAI, bidi=THAI))
        return rpr

    def ppr(self, para: Para, style: Style | None = None, *, mark: bool = True) -> Any:
        ppr = element("w:pPr")
        if para.keep_next:
            ppr.append(element("w:keepNext"))
        if para.keep_lines:
            ppr.append(element("w:keepLines"))
        if para.tab_pt is not None:
            tabs = element("w:tabs")
            tabs.append(element("w:tab", val="left", pos=twips(para.tab_pt)))
            ppr.append(tabs)
        spacing = element("w:spacing", before=twips(para.before_pt), after=twips(para.after_pt))
        if para.single:
            spacing.set(qn("w:line"), "240")
            spacing.set(qn("w:lineRule"), "auto")
        elif para.line_pt is not None:
            spacing.set(qn("w:line"), twips(para.line_pt))
            spacing.set(qn("w:lineRule"), "exact")
        ppr.append(spacing)
        if para.left_pt or para.right_pt or para.first_pt:
            ind = element("w:ind", left=twips(para.left_pt), right=twips(para.right_pt))
            if para.first_pt < 0:
                ind.set(qn("w:hanging"), twips(-para.first_pt))
            elif para.first_pt > 0:
                ind.set(qn("w:firstLine"), twips(para.first_pt))
            ppr.append(ind)
        if para.jc:
            ppr.append(element("w:jc", val=para.jc))
        if mark:
            ppr.append(self.rpr(style))
        return ppr

    def paragraph(self, parent: Any, para: Para, style: Style | None = None) -> Any:
        """A new ``w:p`` at the end of ``parent`` (before the body's section properties)."""
        p = element("w:p")
        p.append(self.ppr(para, style))
        section = parent.find(qn("w:sectPr"))
        if section is not None:
            section.addprevious(p)
        else:
            parent.append(p)
        return p

    def run(self, p: Any, text: str, style: Style | None = None) -> Any:
        r = element("w:r")
        r.append(self.rpr(style))
        for i, part in enumerate(text.split("\t")):
            if i:
                r.append(element("w:tab"))
            if part:
                t = element("w:t")
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
        r = element("w:r")
        r.append(self.rpr())
        r.append(content)
        p.append(r)

    def field(self, p: Any, instruction: str, shown: str) -> None:
        """A field such as ``PAGE``: begin, instruction, separate, what it shows, end."""

        def part(child: Any) -> None:
            r = element("w:r")
            r.append(self.rpr())
            r.append(child)
            p.append(r)

        part(element("w:fldChar", fldCharType="begin"))
        instr = element("w:instrText")
        instr.text = f" {instruction} "
        instr.set(XML_SPACE, "preserve")
        part(instr)
        part(element("w:fldChar", fldCharType="separate"))
        self.run(p, shown)
        part(element("w:fldChar", fldCharType="end"))

    def page_number(self, p: Any, shown: str) -> None:
        """The page number in Thai digits: for Word the ``PAGE_FIELD``, for LibreOffice (the
        alternate content's Fallback) ``shown`` as text (see ``PAGE_FIELD``)."""
        from docx.oxml import parse_xml

        alternate = parse_xml(
            f'<mc:AlternateContent {xmlns("mc")} xmlns:{PAGE_CHOICE}="{PAGE_CHOICE_NS}">'
            f'<mc:Choice Requires="{PAGE_CHOICE}"/><mc:Fallback/></mc:AlternateContent>'
        )
        choice, fallback = alternate
        self.field(choice, PAGE_FIELD, shown)
        self.run(fallback, shown)
        p.append(alternate)


def own_story(story: Any) -> Any:
    """The XML of a header or footer of its own, emptied (python-docx starts it with a line)."""
    story.is_linked_to_previous = False
    root = story._element
    for p in root.findall(qn("w:p")):
        root.remove(p)
    return root


def inline(part: Any, data: bytes, description: str, height: Any, pid: int, name: str) -> Any:
    """A ``wp:inline`` for the picture ``data`` (PNG, JPEG), related to ``part`` (document,
    header)."""
    from docx.image.exceptions import UnrecognizedImageError

    try:
        holder = part.new_pic_inline(io.BytesIO(data), None, height)
    except UnrecognizedImageError:
        raise OutputError(
            f"{description}: ไม่ใช่ภาพ PNG, JPEG หรือ SVG (not a PNG, JPEG or SVG image)"
        ) from None
    doc_pr = holder.find(qn("wp:docPr"))
    doc_pr.set("id", str(pid))
    doc_pr.set("name", f"{name} {pid}")
    doc_pr.set("descr", description)
    for c_nv_pr in holder.iter(qn("pic:cNvPr")):
        c_nv_pr.set("id", str(pid))
        c_nv_pr.set("name", f"{name} {pid}")
    return holder


def anchor_open(
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
        f'<wp:anchor {xmlns("wp", "a")} distT="0" distB="0" distL="0" distR="0" '
        f'simplePos="0" relativeHeight="{251658240 + pid}" behindDoc="0" '
        f'locked="{int(lock)}" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="margin"><wp:align>{align}</wp:align></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>{emu(top_pt)}</wp:posOffset>'
        f'</wp:positionV><wp:extent cx="{cx}" cy="{cy}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{pid}" name="{escape(name)} {pid}" '
        f'descr="{escape(description, quote=True)}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/>'
        "</wp:cNvGraphicFramePr>"
    )


def normalised_zip(data: bytes, created: dt.date) -> bytes:
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


# --- the package's own parts -------------------------------------------------------------

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


def set_styles(document: Any, b: Builder, line_pitch_pt: float) -> None:
    """Document defaults and Normal: the font in every slot, Thai, the line pitch."""

    def paragraph() -> Any:
        ppr = b.ppr(Para(line_pt=line_pitch_pt), mark=False)
        ppr.insert(0, element("w:widowControl"))
        return ppr

    defaults = document.styles.element.find(qn("w:docDefaults"))
    for holder, content in (("w:rPrDefault", b.rpr()), ("w:pPrDefault", paragraph())):
        found = defaults.find(qn(holder))
        found.clear()
        found.append(content)
    normal = document.styles["Normal"].element
    for tag in ("w:pPr", "w:rPr"):
        for old in normal.findall(qn(tag)):
            normal.remove(old)
    normal.append(paragraph())
    normal.append(b.rpr())


# Settings that precede embedTrueTypeFonts in the schema's order (it precedes all others).
_BEFORE_EMBEDDED_FONTS = (
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


def set_settings(document: Any) -> None:
    """Fonts embedded, no preview picture nor revision ids, Thai as the complex script."""
    settings = document.settings.element
    for tag in ("w:savePreviewPicture", "w:rsids"):
        for old in settings.findall(qn(tag)):
            settings.remove(old)
    earlier = {qn(f"w:{tag}") for tag in _BEFORE_EMBEDDED_FONTS}
    index = max((i + 1 for i, child in enumerate(settings) if child.tag in earlier), default=0)
    settings.insert(index, element("w:embedTrueTypeFonts"))
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:bidi"), THAI)


def set_font_table(
    document: Any, family: str, description: str, embedded: dict[str, tuple[str, bytes]]
) -> None:
    """fontTable.xml names the font and points at its embedded, obfuscated files
    (``embedded``: kind, such as "Regular", to font key and file)."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    main = document.part
    table = next(r.target_part for r in main.rels.values() if r.reltype.endswith("/fontTable"))
    embeds = []
    for i, (kind, (key, data)) in enumerate(embedded.items(), 1):
        part = Part(PackURI(f"/word/fonts/font{i}.odttf"), OBFUSCATED_FONT, data, main.package)
        rid = table.relate_to(part, RT_FONT)
        embeds.append(f'<w:embed{kind} r:id="{rid}" w:fontKey="{key}"/>')
    xml = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        f"<w:fonts {xmlns('w', 'r')}>"
        f'<w:font w:name="{escape(family)}">{description}'
        f"{''.join(embeds)}</w:font></w:fonts>"
    )
    table._blob = xml.encode("utf-8")


def set_properties(document: Any, title: str, author: str, created: dt.date) -> None:
    """The core properties: title, author, the letter's day; nothing else."""
    when = dt.datetime.combine(created, dt.time())
    props = document.core_properties
    props.title = core_text(title)
    props.author = core_text(author)
    props.last_modified_by = core_text(author)
    props.created = when
    props.modified = when
    props.revision = 1
    props.language = THAI
    for name in ("comments", "subject", "keywords", "category"):
        setattr(props, name, "")


def drop_template_leftovers(document: Any) -> None:
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
