"""The electronic letter as an archive (PDF/A-3b) and for a screen reader (tagged), also
when pieces are joined into one file.

WeasyPrint writes a letter as PDF/A-3b (``pdf_variant``): XMP metadata (title = the
subject, creator = the office, creation date = the letter's date), the sRGB output intent,
every font embedded. :func:`install` adds the language (``dc:language``) to that XMP.

A bundle is the letter's document with the pages of the enclosures and the reply form added
(``letters.bundle``). For it to stay one archive and one tagged document:

- :func:`attach_sources`: the enclosures' original files are embedded as associated files
  (``/AF``, ``/AFRelationship /Source``), so the receiver gets them as they were made;
- :func:`add_structure`: the reply form's structure tree joins the letter's, its numbers
  (``/StructParents``) moved past the letter's;
- :func:`add_figure`: an enclosure's page (a PDF or a picture from elsewhere, with no
  structure of ours) is one figure, its alternative text the enclosure's title.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_original_rdf: Callable[..., bytes] | None = None

_DC = "http://purl.org/dc/elements/1.1/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@dataclass(frozen=True)
class Source:
    """An enclosure's original file, compressed once for every bundle of a build."""

    name: str  # the file's name, as the receiver saves it
    title: str  # the enclosure's title: the file's description
    mime: str
    size: int
    md5: bytes
    deflated: bytes

    @classmethod
    def of(cls, name: str, title: str, mime: str, data: bytes) -> Source:
        return cls(name, title, mime, len(data), hashlib.md5(data).digest(), zlib.compress(data))


def _rdf(self: Any, variant: str, version: Any, conformance: Any) -> bytes:
    """Replacement for WeasyPrint's ``DocumentMetadata.generate_rdf_metadata``: with the
    document's language as ``dc:language``."""
    assert _original_rdf is not None
    rdf: bytes = _original_rdf(self, variant, version, conformance)
    lang = self.lang
    end = b"</rdf:RDF>"
    if not lang or not rdf.endswith(end):
        return rdf
    from xml.sax.saxutils import escape

    language = (
        f'<rdf:Description xmlns:dc="{_DC}" rdf:about=""><dc:language><rdf:Bag>'
        f"<rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language></rdf:Description>"
    ).encode()
    return rdf[: -len(end)] + language + end


def _srgb_profile(original: Any) -> Callable[..., Any]:
    """WeasyPrint 70.0 opens its sRGB profile for every PDF/A document and never closes it
    (a ResourceWarning each time), and writes it as littleCMS serializes it again, whose
    bytes change once the profile's name was read: the profile read once, the file closed,
    written as the file has it."""

    class Profile(original):  # type: ignore[misc, unused-ignore]
        raw = b""

        @property
        def content(self) -> bytes:
            return self.raw

    made: list[Any] = []

    def color_profile(file_object: Any, src: str, *args: Any) -> Any:
        try:
            if src != "sRGB2014.icc":
                return original(file_object, src, *args)
            if not made:
                data = file_object.read()
                profile = Profile(io.BytesIO(data), src, *args)
                profile.raw = data
                made.append(profile)
            return made[0]
        finally:
            file_object.close()

    return color_profile


def install() -> None:
    """Patch WeasyPrint's XMP metadata to say the document's language, and its output
    intent to read the sRGB profile once (idempotent)."""
    global _original_rdf
    if _original_rdf is not None:
        return
    import weasyprint.pdf  # type: ignore[import-untyped, unused-ignore]
    from weasyprint.pdf.metadata import (  # type: ignore[import-untyped, unused-ignore]
        DocumentMetadata,
    )

    _original_rdf = DocumentMetadata.generate_rdf_metadata
    DocumentMetadata.generate_rdf_metadata = _rdf
    weasyprint.pdf.ColorProfile = _srgb_profile(weasyprint.pdf.ColorProfile)


def _pdf_date(date: str) -> str:
    """``2018-12-11`` as a PDF date."""
    return "D:" + date.replace("-", "")[:8] + "000000Z"


def attach_sources(pdf: Any, sources: Sequence[Source], date: str) -> None:
    """Embed ``sources`` in ``pdf`` (a pikepdf document) as associated files of the
    document (``/AF``, relationship ``/Source``), dated ``date`` (ISO): the letter's date,
    so that equal input gives equal bytes."""
    import pikepdf

    if not sources:
        return
    names = []
    specs = []
    for source in sources:
        stream = pikepdf.Stream(pdf, source.deflated)
        stream.Filter = pikepdf.Name.FlateDecode
        stream.Type = pikepdf.Name.EmbeddedFile
        stream.Subtype = pikepdf.Name("/" + source.mime)
        stream.Params = pikepdf.Dictionary(
            Size=source.size,
            ModDate=pikepdf.String(_pdf_date(date)),
            CheckSum=pikepdf.String(source.md5),
        )
        spec = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec,
                F=pikepdf.String(source.name),
                UF=pikepdf.String(source.name),
                Desc=pikepdf.String(source.title),
                AFRelationship=pikepdf.Name.Source,
                EF=pikepdf.Dictionary(F=stream, UF=stream),
            )
        )
        names.append((source.name, spec))
        specs.append(spec)
    tree = pikepdf.Array()
    for name, spec in sorted(names, key=lambda item: item[0]):
        tree.append(pikepdf.String(name))
        tree.append(spec)
    root = pdf.Root
    if "/Names" not in root:
        root.Names = pikepdf.Dictionary()
    root.Names.EmbeddedFiles = pdf.make_indirect(pikepdf.Dictionary(Names=tree))
    root.AF = pikepdf.Array(specs)


def _next_key(root: Any) -> int:
    """The first ``/StructParents`` number the structure tree ``root`` does not use."""
    nums = root.ParentTree.Nums
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys, default=-1) + 1


def add_figure(pdf: Any, page: Any, title: str) -> None:
    """``page`` of the tagged ``pdf`` (an enclosure's page, no structure of ours) as one
    figure of the document, its alternative text ``title``."""
    import pikepdf

    root = pdf.Root.StructTreeRoot
    document = root.K[0]
    key = _next_key(root)
    if "/StructParents" in page.obj:
        del page.obj["/StructParents"]
    page.obj.StructParents = key
    page.contents_add(pikepdf.Stream(pdf, b"/Figure <</MCID 0>> BDC\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nEMC\n"))
    figure = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem,
            S=pikepdf.Name.Figure,
            P=document,
            Pg=page.obj,
            K=pikepdf.Array([0]),
            Alt=pikepdf.String(title),
        )
    )
    document.K.append(figure)
    root.ParentTree.Nums.extend([key, pikepdf.Array([figure])])
    root.ParentTreeNextKey = key + 1


def add_structure(pdf: Any, other: Any, pages: Sequence[Any]) -> None:
    """The structure tree of ``other`` (a tagged pikepdf document whose pages were just
    added to ``pdf`` as ``pages``) joined to ``pdf``'s: its elements after the letter's, its
    numbers moved past them. Without a tree on either side, ``pages`` lose their numbers
    (they would name the wrong elements)."""
    import pikepdf

    mine = pdf.Root.get("/StructTreeRoot")
    theirs = other.Root.get("/StructTreeRoot")
    if mine is None or theirs is None:
        for page in pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
        return
    base = _next_key(mine)
    copied = pdf.copy_foreign(theirs)
    document = mine.K[0]
    for element in copied.K[0].K:
        if isinstance(element, pikepdf.Dictionary):
            element.P = document
            document.K.append(element)
    nums = copied.ParentTree.Nums
    for i in range(0, len(nums), 2):
        mine.ParentTree.Nums.extend([int(nums[i]) + base, nums[i + 1]])
    for page in pages:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + base
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + base
    mine.ParentTreeNextKey = _next_key(mine)
