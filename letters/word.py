"""Copies of a letter to DOCX: the same words and layout settings as the PDF, editable in Word.

Built with python-docx from a ``Copy``, the ``Layout`` and the page geometry the PDF's
templates read too (``page.PageGeometry``). What must stay in place while a clerk edits the
letter is a paragraph property: indents, tab stops, keep-with-next, Thai-distributed
justification. What the PDF places on the page absolutely (the Garuda, the stamps, the draft
mark) is anchored to the page from the headers, in front of the text and moving none of it.
Thai is a complex script in the styles and in every run (``ooxml``), and the font files
travel inside the document (``wordfonts``), so that a machine without the font shows the
letter as designed.

The line pitch is ``layout.line_pitch_pt`` set exactly (Word's single spacing of TH Sarabun
New 16 pt, as the PDF's line height): the same lines per page as the PDF. Word and
LibreOffice put an exact line's baseline 0.8 of the pitch below its top, the PDF a little
higher (half-leading and the font's ascent): the lines of the DOCX stand about 3 pt lower
than the PDF's, in line boxes at the same places, so that both break pages alike.

Equal input gives equal bytes: fixed zip timestamps, font keys derived from the font bytes,
pictures rasterised by the same code every time. Copies of one letter that differ only in
the addressee are written into the letter's master (``masters``): the same bytes, sooner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import Any

from letters import thai
from letters.config import Layout
from letters.content import Copy, Entry, Run, Text, plain
from letters.errors import OutputError
from letters.fonts import FontSet
from letters.masters import ADDRESSEE_MARK, MASTERS, Masters, file_state
from letters.ooxml import (
    Builder,
    Para,
    Style,
    anchor_open,
    drop_template_leftovers,
    element,
    emu,
    inline,
    normalised_zip,
    own_story,
    qn,
    set_font_table,
    set_properties,
    set_settings,
    set_styles,
    xmlns,
)
from letters.page import CM, SLOGAN_BOTTOM_CM, PageGeometry
from letters.pictures import Picture, Pictures
from letters.render import DeclaredFiles
from letters.wordfonts import EmbeddedFonts

__all__ = ["MASTERS", "DocxRenderer"]

# Word and LibreOffice set a line of exact height h with its baseline 0.8 h below its top.
EXACT_BASELINE = 0.8


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
        self.page = PageGeometry(layout)
        self.fonts = fonts
        self.author = author
        # The font every run names; the files embedded carry that name (wordfonts).
        self.family = layout.font_name
        self.embedded = EmbeddedFonts(fonts, self.family)
        self.pictures = Pictures(fonts, url_fetcher)
        self.masters = Masters(masters)

    # measures: every one from the layout and the page geometry -----------------------------

    @property
    def text_width_pt(self) -> float:
        return self.page.text_width_pt

    @property
    def addressed(self) -> int:
        """Copies written into a master rather than rendered whole."""
        return self.masters.addressed

    @property
    def masters_held(self) -> int:
        return self.masters.held

    def width(self, text: str, style: Style | None = None) -> float:
        style = style or Style(self.layout.font_size_pt)
        metrics = self.embedded.bold if style.bold else self.embedded.regular
        return metrics.width(text, style.size_pt)

    def lift(self, line_pt: float, size_pt: float | None = None) -> float:
        """How much higher the PDF sets the baseline in a line box ``line_pt`` high (text of
        ``size_pt``, else the letter's size) than Word and LibreOffice in an exact line of
        that height: the PDF splits the leading evenly above the font's ascent and below its
        descent."""
        m, size = self.embedded.regular, size_pt or self.layout.font_size_pt
        pdf = (line_pt - (m.ascent + m.descent) * size) / 2 + m.ascent * size
        return EXACT_BASELINE * line_pt - pdf

    def render(self, copy: Copy, created: dt.date) -> bytes:
        """The DOCX of ``copy``: rendered whole, or its addressee written into the master of
        its letter (``masters.Masters``), the same bytes either way."""

        def whole(open_addressee: bool) -> bytes:
            if open_addressee:
                return self._whole(
                    dataclasses.replace(copy, addressee=(Run(ADDRESSEE_MARK),)), created
                )
            return self._whole(copy, created)

        key = (copy.form_key(), created, file_state(copy.emblem), file_state(copy.signature))
        return self.masters.package(key, plain(copy.addressee), whole)

    def _whole(self, copy: Copy, created: dt.date) -> bytes:
        import docx

        document = docx.Document()
        b = Builder(self.family, self.layout.font_size_pt)
        ids = itertools.count(1)
        set_styles(document, b, self.layout.line_pitch_pt)
        set_settings(document)
        self._section(document)
        self._first_header(document, b, copy, ids)
        self._later_header(document, b, copy, ids)
        self._footers(document, b, copy, ids)
        self._body(document, b, copy, ids)
        set_font_table(document, self.family, self.embedded.description, self.embedded.files)
        set_properties(document, copy.title, self.author, created)
        drop_template_leftovers(document)
        out = io.BytesIO()
        document.save(out)
        return normalised_zip(out.getvalue(), created)

    def _section(self, document: Any) -> None:
        from docx.shared import Cm, Pt

        L = self.layout
        section = document.sections[0]
        section.page_width = Cm(self.page.paper_cm[0])
        section.page_height = Cm(self.page.paper_cm[1])
        section.left_margin = Cm(L.margin_left_cm)
        section.right_margin = Cm(L.margin_right_cm)
        section.top_margin = Cm(L.margin_top_cm)
        section.bottom_margin = Cm(L.margin_bottom_cm)
        # The header's line is the page number's: its baseline where the PDF has it.
        section.header_distance = Pt(
            max(self.page.page_number_top_pt - self.lift(L.line_pitch_pt), 0)
        )
        section.footer_distance = Cm(SLOGAN_BOTTOM_CM)
        section.gutter = 0
        section.different_first_page_header_footer = True
        # Page numbers Word inserts later are Thai digits too.
        number_type = element("w:pgNumType", fmt="thaiNumbers")
        section._sectPr.find(qn("w:pgMar")).addnext(number_type)

    # headers and footers: what the PDF places on the page --------------------------------

    def _first_header(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        L = self.layout
        story = document.sections[0].first_page_header
        p = b.paragraph(own_story(story), Para(line_pt=self.page.small_line_pt))
        picture = self.pictures.image(copy.emblem, L.garuda_height_cm) if copy.emblem else None
        picture = picture or self.pictures.placeholder(L.garuda_height_cm)
        self._garuda(story.part, p, b, picture, next(ids))
        if copy.speed:
            # Red, bold, left, standing on the line of ที่.
            height = self.page.speed_line_pt
            top = self.page.garuda_foot_pt - L.line_pitch_pt - height
            self._stamp(p, b, copy.speed, top, height, "left", "b", next(ids))
        self._secrecy(p, b, copy, ids, top=True)
        if copy.draft:
            self._watermark(p, b, next(ids))

    def _later_header(self, document: Any, b: Builder, copy: Copy, ids: Iterator[int]) -> None:
        L = self.layout
        header = own_story(document.sections[0].header)
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
        room = L.margin_bottom_cm * CM - self.page.slogan_bottom_pt  # the footer's, below the line
        catchword = Para(jc="right", line_pt=L.line_pitch_pt)
        first = own_story(section.first_page_footer)
        # The slogan is centred on the text block, as in the PDF; its line box ends
        # SLOGAN_BOTTOM_CM above the paper's edge (the footer's distance), its baseline where
        # the PDF has it.
        height = self.page.small_line_pt
        lift = max(self.lift(height), 0)
        b.paragraph(first, dataclasses.replace(catchword, after_pt=max(room - height - lift, 0)))
        p = b.paragraph(first, Para(jc="center", line_pt=height, after_pt=lift))
        if copy.slogan:
            b.run(p, copy.slogan)
        self._secrecy(p, b, copy, ids, top=False)
        later = own_story(section.footer)
        p = b.paragraph(later, dataclasses.replace(catchword, after_pt=room))
        self._secrecy(p, b, copy, ids, top=False)

    def _secrecy(self, p: Any, b: Builder, copy: Copy, ids: Iterator[int], *, top: bool) -> None:
        if not copy.secrecy:
            return
        height = self.page.secrecy_line_pt
        y = self.page.stamp_top_pt if top else self.page.stamp_bottom_pt
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

        style = Style(self.layout.stamp_size_pt, bold=True, color=self.page.red)
        top = top_pt - self.lift(height_pt, style.size_pt)
        width = emu(self.page.text_width_pt)
        box = parse_xml(
            f"<mc:AlternateContent {xmlns('mc', 'w', 'wp', 'a', 'wps')}>"
            '<mc:Choice Requires="wps"><w:drawing>'
            + anchor_open(pid, "ตราประทับ", text, align, top, width, emu(height_pt))
            + '<a:graphic><a:graphicData uri="'
            'http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
            '<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/>'
            f'<a:ext cx="{width}" cy="{emu(height_pt)}"/></a:xfrm>'
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
        holder = inline(
            part, picture.data, picture.description, Cm(L.garuda_height_cm), pid, "ตราครุฑ"
        )
        extent = holder.find(qn("wp:extent"))
        anchor = parse_xml(
            anchor_open(
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
        anchor.append(holder.find(qn("a:graphic")))
        drawing = element("w:drawing")
        drawing.append(anchor)
        b.holder(p, drawing)

    def _watermark(self, p: Any, b: Builder, pid: int) -> None:
        """ร่าง across the page, as Word writes its own watermarks (WordArt in the header)."""
        from docx.oxml import parse_xml

        page = self.page
        width = self.width(page.watermark, Style(page.watermark_pt, bold=True))
        height = page.watermark_pt
        top = page.watermark_top_pt
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
            f"<w:pict {xmlns('w', 'v', 'o', 'w10')}>"
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
            f'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>{formulas}</v:formulas>'
            '<v:path textpathok="t" o:connecttype="custom" '
            'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
            'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
            '<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
            '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
            f'<v:shape id="PowerPlusWaterMarkObject{pid}" o:spid="_x0000_s{2048 + pid}" '
            f'type="#_x0000_t136" style="{style}" o:allowincell="f" fillcolor="black" '
            f'stroked="f"><v:fill opacity="{page.watermark_opacity}"/>'
            f'<v:textpath style="font-family:&quot;{escape(self.family)}&quot;;font-size:1pt;'
            f'font-weight:bold" string="{page.watermark}"/>'
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
        width = self.page.text_width_pt
        # ที่ and the sender block on the Garuda's foot line; the block's longest line ends
        # at the right margin (1 % and 1 pt to spare for the applications' own metrics).
        sender_x = width - max(self.width(line) for line in copy.sender) * 1.01 - 1
        above = max(self.page.garuda_foot_pt - L.margin_top_cm * CM - L.line_pitch_pt, 0)
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
        gap = self.page.label_gap_em * L.font_size_pt
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
        drawing = element("w:drawing")
        height = Cm(self.layout.signature_height_cm)
        drawing.append(inline(part, picture.data, picture.description, height, pid, "ลายมือชื่อ"))
        b.holder(p, drawing)
