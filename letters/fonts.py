"""The letter's font: the office's TH Sarabun files in ``fonts/``, else Google's Sarabun at
TH Sarabun's size.

"16 pt" everywhere in the layout means 16 pt of TH Sarabun New, the unit every clerk thinks
in. TH Sarabun New and TH SarabunPSK draw small inside their em square: at the same point
size their Thai glyphs are ``TH_SARABUN_SCALE`` times as wide as Google's Sarabun (median
over 81 glyphs, measured on a PDF typeset in TH Sarabun New 16 pt, where ``ขอแสดงความนับถือ``
is 84.2 pt wide and 128.8 pt in Sarabun 16 pt). So when the office supplies no TH Sarabun
files, Sarabun is used resized to TH Sarabun's scale: the same outlines in an em
``1 / TH_SARABUN_SCALE`` times as large (its ``unitsPerEm``), with TH Sarabun New's vertical
metrics. 16 pt of that file is Sarabun at 16 x 0.653 = 10.45 pt; every size of every
document (letter, DOCX, reply form, checklist, register, envelopes) is then one scale, and
every width measured from the file (DOCX tab stops, XLSX columns) is right by itself.

Text widths are measured one way (``Metrics``, ``text_width``): the sum of the advance widths
in the font file, as fontTools reads them (kerning left out).

The resized files are made once from the installed Sarabun and kept in the user's cache
folder (``LETTERS_CACHE_DIR``, else ``$XDG_CACHE_HOME/letters``, else ``~/.cache/letters``).
Nothing is taken from the system: the machine may have no Thai font at all.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from letters.resources import resource_dir

FAMILY = "Letters Sarabun"  # the CSS family name the templates use
_SUFFIXES = {".ttf", ".otf"}

# The width of a Thai glyph of TH Sarabun New over that of Google's Sarabun at the same point
# size (median over 81 glyphs of a PDF typeset in TH Sarabun New 16 pt; see the module text).
TH_SARABUN_SCALE = 0.653
# TH Sarabun New's vertical metrics, per 1000 units: usWinAscent, usWinDescent, hhea lineGap.
# Word's single spacing on Windows is (ascent + descent) x size: 20.8 pt at 16 pt.
TH_SARABUN_ASCENT = 844
TH_SARABUN_DESCENT = 457
TH_SARABUN_LINE_GAP = 30


@dataclass(frozen=True)
class FontFile:
    path: Path
    weight: int  # 400 or 700
    italic: bool

    @property
    def style(self) -> str:
        return "italic" if self.italic else "normal"


@dataclass(frozen=True)
class FontSet:
    name: str  # what the office sees: "TH Sarabun New" or "Sarabun"
    files: tuple[FontFile, ...]
    # True for Google's Sarabun resized to TH Sarabun's scale (the office gave no files):
    # a document that names its font (DOCX) carries a stand-in under the name it asks for.
    stand_in: bool = False

    @property
    def faces(self) -> tuple[FontFile, ...]:
        """The files the documents declare: upright, regular and bold (none sets italics;
        each face declared costs WeasyPrint a font load in every document set-up)."""
        return tuple(f for f in self.files if not f.italic)

    def file(self, weight: int = 400, italic: bool = False) -> FontFile:
        for font in self.files:
            if font.weight == weight and font.italic == italic:
                return font
        return next(f for f in self.files if f.weight == 400 and not f.italic)


def _classify(path: Path) -> FontFile:
    name = re.sub(r"[\s_-]", "", path.stem).lower()
    bold = "bold" in name
    italic = "italic" in name or name.endswith("it") or "oblique" in name
    return FontFile(path, 700 if bold else 400, italic)


def office_fonts(folder: Path) -> FontSet | None:
    """The TH Sarabun files an office put in ``folder``, if it put a regular one there."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)
    if not files:
        return None
    found: dict[tuple[int, bool], FontFile] = {}
    for path in files:
        font = _classify(path)
        found.setdefault((font.weight, font.italic), font)
    if (400, False) not in found:
        return None
    return FontSet(files[0].stem.split("-")[0], tuple(found.values()))


def sarabun() -> FontSet:
    """Google's Sarabun (OFL), a dependency of the tool, resized to TH Sarabun's scale."""
    import fontpkg

    files = [
        FontFile(
            at_th_sarabun_scale(Path(fontpkg.path("sarabun", weight=w, style=s)), "Sarabun"),
            w,
            s == "italic",
        )
        for w in (400, 700)
        for s in ("normal", "italic")
    ]
    return FontSet("Sarabun", tuple(files), stand_in=True)


def letter_fonts(office_folder: Path | None = None) -> FontSet:
    """``fonts/`` beside the office's config.yaml, else the tool's ``fonts/``, else Sarabun."""
    folders = [office_folder / "fonts"] if office_folder is not None else []
    folders.append(resource_dir("fonts"))
    for folder in folders:
        if folder.is_dir():
            found = office_fonts(folder)
            if found is not None:
                return found
    return sarabun()


def cache_dir() -> Path:
    """Where the tool keeps files it can make again (the resized fonts)."""
    explicit = os.environ.get("LETTERS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "letters"


def at_th_sarabun_scale(source: Path, family: str) -> Path:
    """``source`` (a Sarabun file) resized to TH Sarabun's scale and named ``family``: made
    once, then read from the cache. The outlines, advances, kerning and mark positions stay
    as they are; the em grows by ``1 / TH_SARABUN_SCALE`` (so everything draws that much
    smaller at a given size) and the line metrics become TH Sarabun New's."""
    data = source.read_bytes()
    digest = hashlib.sha256(data + family.encode() + _RECIPE).hexdigest()[:16]
    name = f"{re.sub(r'[^A-Za-z0-9]+', '', family)}-{source.stem}-{digest}.ttf"
    for folder in (cache_dir() / "fonts", Path(tempfile.gettempdir()) / "letters-fonts"):
        target = folder / name
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_resized(source, family, target)
        except OSError:
            continue  # a read-only cache: the next folder
        return target
    raise OSError(f"cannot write the resized font {name}")


# Changes with the way the resized file is made, so that an older cached file is not reused.
_RECIPE = f"upem/{TH_SARABUN_SCALE}/{TH_SARABUN_ASCENT}/{TH_SARABUN_DESCENT}/v1".encode()


def _write_resized(source: Path, family: str, target: Path) -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(source, lazy=True)
    old = font["head"].unitsPerEm
    units = round(old / TH_SARABUN_SCALE)
    font["head"].unitsPerEm = units
    ascent = round(TH_SARABUN_ASCENT * units / 1000)
    descent = round(TH_SARABUN_DESCENT * units / 1000)
    gap = round(TH_SARABUN_LINE_GAP * units / 1000)
    hhea, os2 = font["hhea"], font["OS/2"]
    hhea.ascent, hhea.descent, hhea.lineGap = ascent, -descent, gap
    os2.usWinAscent, os2.usWinDescent = ascent, descent
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = ascent, -descent, gap
    rename_font(font, family)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        font.save(temporary)
        os.replace(temporary, target)  # whole or not at all, also when two builds race
    finally:
        font.close()
        if os.path.exists(temporary):
            os.unlink(temporary)


def rename_font(font: object, family: str) -> None:
    """The family, full and PostScript names of ``font`` made ``family``'s."""
    table = font["name"]  # type: ignore[index]
    style = str(table.getDebugName(2) or "Regular")
    full = family if style == "Regular" else f"{family} {style}"
    postscript = re.sub(r"[^A-Za-z0-9-]", "", f"{family}-{style}".replace(" ", ""))
    for record in list(table.names):
        if record.nameID in (1, 16):
            table.setName(family, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            table.setName(full, 4, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            table.setName(postscript, 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 3:
            unique = f"{postscript};letters"
            table.setName(unique, 3, record.platformID, record.platEncID, record.langID)


class Metrics:
    """Advance widths and line metrics of one font file: enough to place tab stops, indents,
    lines and spreadsheet columns where the text needs them."""

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
        """The width of one line of ``text`` at ``size_pt``, in points: a character the font
        lacks counts as its missing-glyph box, unless it is a mark or a format character."""
        units = 0
        for ch in text:
            glyph = self.cmap.get(ord(ch))
            if glyph is not None:
                units += self.advance[glyph]
            elif unicodedata.category(ch) not in ("Mn", "Cf"):
                units += self.missing
        return units * size_pt / self.units


@lru_cache(maxsize=8)
def metrics(path: Path) -> Metrics:
    """The ``Metrics`` of the font file at ``path``, read once."""
    return Metrics(path)


def text_width(text: str, size_pt: float, path: Path) -> float:
    """The width in points of ``text`` set at ``size_pt`` in the font file at ``path``; of
    several lines, the widest."""
    measure = metrics(path)
    return max(measure.width(line, size_pt) for line in text.split("\n"))
