"""The PDF/A-3b and tagged-PDF rules a test can check with pikepdf (no veraPDF here; see the
README, "The electronic letter", for what is checked and what is not)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pikepdf

_MCID = re.compile(rb"/MCID\s+(\d+)")


def _fonts(resources: Any, seen: set[tuple[int, int]]) -> Iterator[Any]:
    """Every font of ``resources``, also inside form XObjects and Type3 glyphs' resources."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    for font in resources.get("/Font", {}).values():
        yield font
        yield from font.get("/DescendantFonts", ())
    for xobject in resources.get("/XObject", {}).values():
        key = xobject.objgen
        if key in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(key)
        yield from _fonts(xobject.get("/Resources"), seen)


def _unembedded(pdf: Any) -> list[str]:
    missing = []
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for font in _fonts(page.obj.get("/Resources"), seen):
            if font.get("/Subtype") in ("/Type0", "/Type3"):
                continue  # Type0: its descendant is checked; Type3: glyphs are drawn
            descriptor = font.get("/FontDescriptor", {})
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont", "?")))
    return missing


def xmp(pdf: Any) -> dict[str, str]:
    meta = pdf.open_metadata()
    keys = (
        "pdfaid:part",
        "pdfaid:conformance",
        "dc:title",
        "dc:creator",
        "dc:language",
        "xmp:CreateDate",
    )
    return {key: str(meta.get(key, "")) for key in keys}


def archive_problems(data: bytes) -> list[str]:
    """What breaks a PDF/A-3b rule that pikepdf can see (empty: none found)."""
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = xmp(pdf)
        if (meta["pdfaid:part"], meta["pdfaid:conformance"]) != ("3", "B"):
            problems.append(f"XMP pdfaid {meta['pdfaid:part']}/{meta['pdfaid:conformance']}")
        intents = pdf.Root.get("/OutputIntents", [])
        if not any(
            i.get("/S") == "/GTS_PDFA1" and int(i.DestOutputProfile.get("/N", 0)) == 3
            for i in intents
        ):
            problems.append("no sRGB /GTS_PDFA1 output intent")
        problems.extend(f"font not embedded: {name}" for name in _unembedded(pdf))
        if "/Encrypt" in pdf.trailer:
            problems.append("encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("no file identifier")
        for key in ("/JavaScript", "/AA", "/OpenAction"):
            if key in pdf.Root or key in pdf.Root.get("/Names", {}):
                problems.append(f"forbidden {key}")
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                if not int(annotation.get("/F", 0)) & 4:
                    problems.append("annotation without the print flag")
        title = pdf.docinfo.get("/Title")
        if title is not None and str(title) != meta["dc:title"]:
            problems.append("document information title differs from the XMP dc:title")
        specs = [spec for _, spec in pdf.attachments.items()] if "/Names" in pdf.Root else []
        associated = {spec.obj.objgen for spec in specs}
        if associated and associated != {s.objgen for s in pdf.Root.get("/AF", ())}:
            problems.append("an embedded file not in /AF")
        for spec in specs:
            if "/AFRelationship" not in spec.obj:
                problems.append(f"embedded file {spec.filename} without /AFRelationship")
            if "/Subtype" not in spec.obj.EF.F:
                problems.append(f"embedded file {spec.filename} without a MIME type")
    return problems


def _page_mcids(page: Any) -> set[int]:
    contents = page.obj.get("/Contents")
    streams = contents if isinstance(contents, pikepdf.Array) else [contents]
    data = b"".join(s.read_bytes() for s in streams if s is not None)
    return {int(m) for m in _MCID.findall(data)}


def tag_problems(data: bytes) -> list[str]:
    """What breaks a rule of tagged PDF (PDF/UA-1) that pikepdf can see: a structure tree,
    ``/MarkInfo``, ``/Lang th``, the document title shown, and every marked content of a
    page found in the tree through the page's ``/StructParents``."""
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        tree = root.get("/StructTreeRoot")
        if tree is None:
            return ["no structure tree"]
        if not root.get("/MarkInfo", {}).get("/Marked", False):
            problems.append("not /Marked")
        if str(root.get("/Lang", "")) != "th":
            problems.append(f"/Lang {root.get('/Lang')!r}")
        if not root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False):
            problems.append("the title is not shown")
        nums = tree.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for number, page in enumerate(pdf.pages, 1):
            used = _page_mcids(page)
            if not used:
                continue
            key = page.obj.get("/StructParents")
            if key is None or int(key) not in parents:
                problems.append(f"page {number}: marked content outside the tree")
                continue
            elements = parents[int(key)]
            if max(used) >= len(elements):
                problems.append(f"page {number}: MCID {max(used)} has no element")
                continue
            for mcid in used:
                element = elements[mcid]
                if element.get("/Pg", page.obj).objgen != page.obj.objgen:
                    problems.append(f"page {number}: MCID {mcid} names another page")
                    break
    return problems


def alt_texts(data: bytes) -> list[str]:
    """The alternative text of every figure of the structure tree, in order."""
    found: list[str] = []

    def walk(element: Any) -> None:
        if not isinstance(element, pikepdf.Dictionary):
            return
        if element.get("/S") == "/Figure":
            found.append(str(element.get("/Alt", "")))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            walk(kid)

    with pikepdf.open(io.BytesIO(data)) as pdf:
        walk(pdf.Root.StructTreeRoot)
    return found
