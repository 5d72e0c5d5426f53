"""Make the PR enclosures attached by the ``examples/line-at`` example directive.

Writes two files under ``examples/line-at/pr/``:

* ``line-at-poster.pdf``: a one-page A4 portrait poster inviting government staff to join
  the Ministry of Interior's official LINE account "@มหาดไทย", with a drawn placeholder box
  for a QR code;
* ``line-at-card.png``: a 1200x800 px RGB card (150 DPI) with the same invitation.

Everything is drawn here from HTML/CSS with the Sarabun font (``fontpkg-sarabun``); no
emblem or other image is used. The card is laid out by WeasyPrint, because Pillow cannot
shape Thai without libraqm, then rasterised with pypdfium2 and saved with Pillow.

The output files are committed to the repository, so a fresh clone builds the example
without running this script. Re-run it from the repository root only to change them::

    python tools/make_example_pr.py

Both outputs are deterministic, so two runs give identical bytes: the PDF dates are fixed
through ``dcterms.created`` and ``dcterms.modified``, and ``SOURCE_DATE_EPOCH`` is set for
this process so that fontTools does not stamp the current time into the ``head.modified``
field of the embedded font subsets. WeasyPrint (fontTools subsetting) may print warnings
while running; they are harmless here.
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path

import fontpkg
import pypdfium2
from PIL import Image
from weasyprint import HTML

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "examples" / "line-at" / "pr"
POSTER_PATH = OUT_DIR / "line-at-poster.pdf"
CARD_PATH = OUT_DIR / "line-at-card.png"

#: Fixed PDF dates, so that the output bytes do not depend on when the script runs.
FIXED_DATE = "2024-01-01T00:00:00+07:00"

CARD_WIDTH_PX = 1200
CARD_HEIGHT_PX = 800
CARD_DPI = 150

GREEN = "#06a54a"
DARK_GREEN = "#04753a"
PALE_GREEN = "#e8f7ee"


def font_face_css() -> str:
    """Return ``@font-face`` rules loading Sarabun regular and bold from fontpkg."""
    rules = []
    for weight in (400, 700):
        uri = Path(fontpkg.path("sarabun", weight=weight, style="normal")).as_uri()
        rules.append(
            "@font-face { font-family: 'Sarabun'; "
            f"src: url('{uri}'); font-weight: {weight}; font-style: normal; }}"
        )
    return "\n".join(rules)


def html_document(title: str, css: str, body: str) -> str:
    """Wrap ``body`` in a Thai HTML document with fixed metadata dates."""
    return f"""<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="dcterms.created" content="{FIXED_DATE}">
<meta name="dcterms.modified" content="{FIXED_DATE}">
<style>
{font_face_css()}
{css}
</style>
</head>
<body>
{body}
</body>
</html>
"""


POSTER_CSS = f"""
@page {{ size: A4 portrait; margin: 0; }}
html, body {{ margin: 0; padding: 0; }}
body {{ font-family: 'Sarabun'; color: #1d2b22; width: 210mm; height: 297mm; }}
.band {{
  background: {GREEN}; color: white; text-align: center;
  padding: 20mm 15mm 14mm;
}}
.band .kicker {{ font-size: 18pt; margin: 0 0 3mm; }}
.band h1 {{ font-size: 38pt; font-weight: 700; line-height: 1.35; margin: 0; }}
.band .handle {{
  display: inline-block; margin-top: 5mm; padding: 1mm 9mm;
  background: white; color: {DARK_GREEN}; border-radius: 8mm;
  font-size: 34pt; font-weight: 700;
}}
.content {{ padding: 12mm 20mm 0; text-align: center; }}
.lead {{ font-size: 20pt; line-height: 1.5; margin: 0 0 8mm; }}
.lead strong {{ color: {DARK_GREEN}; }}
.qr {{
  width: 70mm; height: 70mm; margin: 0 auto; box-sizing: border-box;
  border: 1.2mm solid {DARK_GREEN}; border-radius: 3mm; position: relative;
  background: white;
}}
.qr .label {{
  position: absolute; left: 0; right: 0; top: 24mm; text-align: center;
  font-size: 34pt; font-weight: 700; color: {DARK_GREEN}; line-height: 1;
}}
.qr .corner {{
  position: absolute; width: 12mm; height: 12mm; box-sizing: border-box;
  border: 2.5mm solid {DARK_GREEN};
}}
.qr .tl {{ top: 4mm; left: 4mm; }}
.qr .tr {{ top: 4mm; right: 4mm; }}
.qr .bl {{ bottom: 4mm; left: 4mm; }}
.steps {{
  margin: 9mm auto 0; width: 150mm; text-align: left;
  background: {PALE_GREEN}; border-left: 2mm solid {GREEN}; border-radius: 2mm;
  padding: 4mm 8mm;
}}
.steps h2 {{ font-size: 18pt; font-weight: 700; color: {DARK_GREEN}; margin: 0 0 1mm; }}
.steps ol {{ font-size: 16pt; line-height: 1.5; margin: 0; padding-left: 8mm; }}
.footer {{
  position: absolute; left: 0; right: 0; bottom: 0; height: 20mm;
  background: {DARK_GREEN}; color: white; text-align: center;
  font-size: 18pt; font-weight: 700; line-height: 20mm;
}}
"""

POSTER_BODY = """
<div class="band">
  <p class="kicker">ขอเชิญข้าราชการและเจ้าหน้าที่ทุกท่าน</p>
  <h1>ร่วมเป็นสมาชิกไลน์แอด</h1>
  <div class="handle">@มหาดไทย</div>
</div>
<div class="content">
  <p class="lead">รับข้อมูลข่าวสารสำคัญจากกระทรวงมหาดไทย<br>
  <strong>รวดเร็ว ทั่วถึง</strong> ทุกที่ ทุกเวลา</p>
  <div class="qr">
    <div class="corner tl"></div><div class="corner tr"></div><div class="corner bl"></div>
    <div class="label">QR</div>
  </div>
  <div class="steps">
    <h2>วิธีเข้าร่วม</h2>
    <ol>
      <li>เปิดแอปพลิเคชันไลน์ เลือก เพิ่มเพื่อน</li>
      <li>ค้นหา @มหาดไทย หรือสแกนคิวอาร์โค้ดด้านบน</li>
      <li>กด เพิ่มเพื่อน เพื่อรับข่าวสาร</li>
    </ol>
  </div>
</div>
<div class="footer">สำนักงานพัฒนาชุมชนจังหวัดหนองคาย</div>
"""

# The card page is sized in points so that rendering at CARD_DPI gives exactly
# CARD_WIDTH_PX x CARD_HEIGHT_PX pixels (1 pt = 1/72 in).
CARD_WIDTH_PT = CARD_WIDTH_PX * 72 / CARD_DPI
CARD_HEIGHT_PT = CARD_HEIGHT_PX * 72 / CARD_DPI

CARD_CSS = f"""
@page {{ size: {CARD_WIDTH_PT:g}pt {CARD_HEIGHT_PT:g}pt; margin: 0; }}
html, body {{ margin: 0; padding: 0; }}
body {{
  font-family: 'Sarabun'; width: {CARD_WIDTH_PT:g}pt; height: {CARD_HEIGHT_PT:g}pt;
  background: {GREEN}; color: white; position: relative;
}}
.panel {{
  position: absolute; left: 24pt; right: 24pt; top: 24pt; bottom: 24pt;
  border: 3pt solid white; border-radius: 18pt; text-align: center;
}}
.kicker {{ font-size: 17pt; margin: 52pt 0 14pt; }}
h1 {{ font-size: 30pt; font-weight: 700; line-height: 1.3; margin: 0; }}
.handle {{
  display: inline-block; margin-top: 14pt; padding: 0 26pt;
  background: white; color: {DARK_GREEN}; border-radius: 30pt;
  font-size: 40pt; font-weight: 700; line-height: 1.45;
}}
.footer {{
  position: absolute; left: 0; right: 0; bottom: 24pt;
  font-size: 15pt; font-weight: 700;
}}
"""

CARD_BODY = """
<div class="panel">
  <p class="kicker">รับข้อมูลข่าวสารสำคัญจากกระทรวงมหาดไทย<br>รวดเร็ว ทั่วถึง</p>
  <h1>เชิญชวนเข้าร่วมเป็นสมาชิกไลน์แอด</h1>
  <div class="handle">@มหาดไทย</div>
  <div class="footer">สำนักงานพัฒนาชุมชนจังหวัดหนองคาย</div>
</div>
"""


def render_pdf(html: str) -> bytes:
    """Lay out ``html`` with WeasyPrint and return the PDF bytes."""
    pdf = HTML(string=html, base_url=str(ROOT)).write_pdf()
    assert pdf is not None
    return pdf


def make_poster() -> bytes:
    """Return the A4 poster as PDF bytes."""
    return render_pdf(html_document("ร่วมเป็นสมาชิกไลน์แอด @มหาดไทย", POSTER_CSS, POSTER_BODY))


def make_card() -> bytes:
    """Return the card as PNG bytes (RGB, CARD_DPI)."""
    pdf = render_pdf(html_document("เชิญชวนเข้าร่วมเป็นสมาชิกไลน์แอด @มหาดไทย", CARD_CSS, CARD_BODY))
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=CARD_DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()
    if image.size != (CARD_WIDTH_PX, CARD_HEIGHT_PX):
        image = image.resize((CARD_WIDTH_PX, CARD_HEIGHT_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, dpi=(CARD_DPI, CARD_DPI))
    return buffer.getvalue()


def main() -> None:
    """Write both enclosures into ``examples/line-at/pr/``."""
    # fontTools reads this when saving font subsets (``head.modified``); without it the
    # embedded fonts, and so the PDF bytes, would change on every run.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.fromisoformat(FIXED_DATE).timestamp()))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    POSTER_PATH.write_bytes(make_poster())
    CARD_PATH.write_bytes(make_card())
    for path in (POSTER_PATH, CARD_PATH):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
