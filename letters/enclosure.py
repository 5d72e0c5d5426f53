"""Enclosures (สิ่งที่ส่งมาด้วย): checked by their content before anything is written.

A file is accepted when its bytes say PDF, PNG or JPEG (the name does not matter), it
opens (no encrypted or broken PDF, no truncated image) and it is within the size limit.
Each file is read once; the bytes travel with the result to every later stage.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["pdf", "png", "jpeg"]

_MAGIC: tuple[tuple[bytes, Kind], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)


class EnclosureProblem(Exception):
    """What is wrong with one enclosure file, in words for the clerk."""


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    kind: Kind
    data: bytes
    pages: int  # PDF pages; 1 for an image
    size_px: tuple[int, int] | None = None  # images only
    dpi: tuple[float, float] | None = None  # images only, when the file says


@dataclass(frozen=True)
class Enclosure:
    """One สิ่งที่ส่งมาด้วย of a letter: its title and quantity as printed, and its file."""

    title: str
    quantity: str
    file: LoadedFile


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} KB"


def sniff(head: bytes) -> Kind | None:
    """The file type its first bytes declare, or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # PDF allows a little junk before the header (within the first 1024 bytes).
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def confined(path: Path, folders: Sequence[Path]) -> Path:
    """``path`` with every link resolved, when it lies in one of ``folders`` (or below);
    else EnclosureProblem. An absolute path, ``../`` or a link that leads out of them is
    refused: a directive bundles and e-mails only files from where it was given them."""
    try:
        real = path.resolve()
        allowed = [folder.resolve() for folder in folders]
    except (OSError, RuntimeError) as exc:  # a loop of links
        raise EnclosureProblem(f"อ่านไฟล์ไม่ได้ (cannot read): {exc}") from None
    if any(real.is_relative_to(folder) for folder in allowed):
        return real
    how = (
        "เป็นลิงก์ที่ชี้ไปนอกโฟลเดอร์ของ directive (a link leading outside the directive's folder)"
        if path.is_symlink()
        else "อยู่นอกโฟลเดอร์ของ directive (outside the directive's folder)"
    )
    raise EnclosureProblem(
        f"{how}: วางไฟล์ไว้ในโฟลเดอร์ของ directive หรือโฟลเดอร์ย่อย "
        "หรือเพิ่มโฟลเดอร์ที่เก็บไฟล์ใน limits.enclosure_folders ของ config.yaml"
    )


def load(path: Path, max_bytes: int, within: Sequence[Path] | None = None) -> LoadedFile:
    """Read and check one enclosure; raises EnclosureProblem with a Thai message.

    ``within``: the folders the file must lie in, links resolved (``confined``)."""
    if within is not None:
        path = confined(path, within)
    if not path.exists():
        raise EnclosureProblem("ไม่พบไฟล์ (no such file)")
    if not path.is_file():
        raise EnclosureProblem("ไม่ใช่ไฟล์ (not a file)")
    size = path.stat().st_size
    if size > max_bytes:
        raise EnclosureProblem(
            f"ไฟล์ใหญ่เกินกำหนด (too large): {_size(size)} เกิน {_size(max_bytes)} "
            "ให้ย่อขนาดไฟล์ หรือแก้ limits.enclosure_max_mb ใน config.yaml"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EnclosureProblem(f"อ่านไฟล์ไม่ได้ (cannot read): {exc.strerror}") from None
    kind = sniff(data[:1024])
    if kind is None:
        raise EnclosureProblem(
            "ไม่ใช่ไฟล์ PDF, PNG หรือ JPEG (not a PDF, PNG or JPEG file, whatever its name says)"
        )
    if kind == "pdf":
        return LoadedFile(path, kind, data, _pdf_pages(data))
    size_px, dpi = _image_info(data)
    return LoadedFile(path, kind, data, 1, size_px, dpi)


def _pdf_pages(data: bytes) -> int:
    """The page count of a PDF that opens, without a password, page by page.

    PDFium (pypdfium2) checks it: it loads in a fraction of the time pypdf takes to import,
    which keeps ``letters check`` quick.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EnclosureProblem(_ENCRYPTED) from None
        raise EnclosureProblem(f"เปิดไฟล์ PDF ไม่ได้ (broken PDF): {exc}") from None
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            raise EnclosureProblem(_ENCRYPTED)
        pages = len(pdf)
        for index in range(pages):
            pdf[index].close()  # loading each page parses it
    except pdfium.PdfiumError as exc:
        raise EnclosureProblem(f"เปิดไฟล์ PDF ไม่ได้ (broken PDF): {exc}") from None
    finally:
        pdf.close()
    if pages == 0:
        raise EnclosureProblem("PDF ไม่มีหน้าใดเลย (PDF has no pages)")
    return pages


_ENCRYPTED = "PDF ถูกเข้ารหัสหรือตั้งรหัสผ่าน (encrypted PDF): ใช้ไฟล์ที่ไม่มีรหัสผ่าน"


ImageInfo = tuple[tuple[int, int], tuple[float, float] | None]  # size in pixels, dpi


def _image_info(data: bytes) -> ImageInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns from half its pixel limit on; the limit itself is an error below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every pixel: a truncated file fails here
                dpi = image.info.get("dpi")
                return image.size, (float(dpi[0]), float(dpi[1])) if dpi else None
    except Image.DecompressionBombError:
        raise EnclosureProblem(
            "ภาพใหญ่เกินไป (image has too many pixels): ย่อขนาดภาพหรือบันทึกเป็น PDF แล้วใช้ไฟล์นั้นแทน"
        ) from None
    # A file cut before its image data makes Pillow fail with IndexError.
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, IndexError) as exc:
        raise EnclosureProblem(f"เปิดไฟล์ภาพไม่ได้ (broken or truncated image): {exc}") from None
