"""The letter's font: the office's TH Sarabun files in ``fonts/``, else Google's Sarabun.

Nothing is taken from the system: the machine may have no Thai font at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from letters.resources import resource_dir

FAMILY = "Letters Sarabun"  # the CSS family name the templates use
_SUFFIXES = {".ttf", ".otf"}


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
    """Google's Sarabun (OFL), a dependency of the tool."""
    import fontpkg

    files = [
        FontFile(Path(fontpkg.path("sarabun", weight=w, style=s)), w, s == "italic")
        for w in (400, 700)
        for s in ("normal", "italic")
    ]
    return FontSet("Sarabun", tuple(files))


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
