"""The letter's font inside the DOCX: which files travel in the document, renamed to the
font the runs name and obfuscated as Word embeds them, and what the font table says of them.

Every run, style and the font table name ``layout.font_name`` ("TH Sarabun New", what
government PCs have installed) at ``layout.font_size_pt`` (16 pt): the size the regulation
means. Word and LibreOffice use an installed font of that name before an embedded one, so on
such a PC the letter is set in the real TH Sarabun New. What is embedded, for the machines
without it:

- the office's own TH Sarabun files when it supplied them (``FontSet.stand_in`` False),
  under the run font's name;
- otherwise a stand-in: Google's Sarabun resized to TH Sarabun's scale
  (``fonts.at_th_sarabun_scale``: the em 1/0.653 times as large, TH Sarabun New's vertical
  metrics) and *named* ``layout.font_name``. Embedded under Sarabun's own name it would never
  be used for runs that ask for TH Sarabun New, and unresized it would set the 16 pt letter
  1.53 times too wide. Named and sized so, a machine without TH Sarabun New draws the
  letter at the size, line breaks and pages it has with the real font.

Font keys are derived from the font bytes: equal files, equal documents.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from letters.errors import OutputError
from letters.fonts import FontSet, Metrics, at_th_sarabun_scale, metrics, rename_font


class EmbeddedFonts:
    """The regular and bold files of ``fonts`` as a DOCX naming ``family`` carries them,
    with their metrics (for tab stops and indents) and the font table's description."""

    def __init__(self, fonts: FontSet, family: str) -> None:
        self.family = family
        self.files: dict[str, tuple[str, bytes]] = {}  # kind: (font key, obfuscated file)
        try:
            files = _files(fonts, family)
            regular = files["Regular"]
            self.regular: Metrics = metrics(regular)
            self.bold: Metrics = metrics(files.get("Bold", regular))
            self.description = _description(regular)
            for kind, path in files.items():
                raw = _named(path.read_bytes(), family)
                key = font_key(raw)
                self.files[kind] = (key, obfuscate(raw, key))
        except Exception as exc:  # fontTools raises its own errors for broken files
            raise OutputError(
                f"{fonts.name}: อ่านไฟล์ฟอนต์ไม่ได้ (cannot read font): {exc}; "
                "ตรวจไฟล์ในโฟลเดอร์ fonts/ ข้าง config.yaml"
            ) from None


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


def _files(fonts: FontSet, family: str) -> dict[str, Path]:
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


def _description(path: Path) -> str:
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
