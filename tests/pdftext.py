"""What a reader copies out of a PDF, as the engines of the common viewers extract it:
poppler's ``pdftotext`` and pdfium (``pypdfium2``). pdfminer (pdfplumber) is reported only:
it does not read ``/ActualText``."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

ENGINES = ("poppler", "pdfium")

# Page furniture between a paragraph's lines on two pages: the catch-word, the page number
# (pdfium reads a page number's last "-" before the catch-word as a hyphen, U+FFFE, and joins
# them).
_CATCHWORD = re.compile(r"^/.*\.\.\.$")
_PAGE_NUMBER = re.compile(r"^-\s*[๐-๙0-9]+\s*[-\ufffe]?\s*")


def squashed(text: str) -> str:
    """Whitespace collapsed to single spaces, none at the ends."""
    return " ".join(text.split())


def pages(pdf: bytes, engine: str) -> list[str]:
    """The text of each page of ``pdf`` as ``engine`` extracts it."""
    if engine == "poppler":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "in.pdf"
            path.write_bytes(pdf)
            out = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")
    if engine == "pdfium":
        import pypdfium2

        document = pypdfium2.PdfDocument(pdf)
        try:
            texts = []
            for page in document:
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return texts
        finally:
            document.close()
    if engine == "pdfminer":
        import io

        import pdfplumber

        with pdfplumber.open(io.BytesIO(pdf)) as document:
            return [page.extract_text() or "" for page in document.pages]
    raise ValueError(engine)


def _furniture(line: str) -> bool:
    """A catch-word or a page number, or both read as one line."""
    rest = _PAGE_NUMBER.sub("", line, count=1)
    return not rest or bool(_CATCHWORD.match(line) or _CATCHWORD.match(rest))


def lines(pdf: bytes, engine: str, furniture: Sequence[str] = ()) -> list[str]:
    """Every page's lines in order, whitespace collapsed, without empty lines, catch-words,
    page numbers and the lines ``furniture`` names (the slogan at the foot of page 1)."""
    drop = {squashed(line) for line in furniture}
    found: list[str] = []
    for number, text in enumerate(pages(pdf, engine)):
        page = [squashed(line) for line in re.split(r"[\r\n]+", text)]
        if number and page:
            page[0] = _PAGE_NUMBER.sub("", page[0])
        page = [line for line in page if line and not _furniture(line)]
        found.extend(line for line in page if line not in drop)
    return found


def reads(paragraph: str, extracted: list[str]) -> bool:
    """Whether ``paragraph`` is there as consecutive lines of ``extracted``: equal once
    whitespace is collapsed, each line break standing for a space where the paragraph has
    one and for nothing where it has none. A space the paragraph has not, a missing one
    inside a line, a lost or misplaced character: not found."""
    target = squashed(paragraph)
    for start in range(len(extracted)):
        joined = ""
        for line in extracted[start:]:
            if not joined:
                joined = line
            elif target[len(joined) : len(joined) + 1] == " ":
                joined = f"{joined} {line}"
            else:
                joined += line
            if joined == target:
                return True
            if not target.startswith(joined):
                break
    return False


def contains(phrase: str, extracted: list[str]) -> bool:
    """Like ``reads``, but the phrase may start inside its first line and end inside its
    last (a table cell's text beside its neighbours' on a line)."""
    target = squashed(phrase)
    for start, first in enumerate(extracted):
        if target in first:
            return True
        for at in range(len(first)):
            head = first[at:]
            if not (head and target.startswith(head)):
                continue
            joined = head
            for line in extracted[start + 1 :]:
                space = target[len(joined) : len(joined) + 1] == " "
                joined = f"{joined} {line}" if space else joined + line
                if joined.startswith(target):
                    return True
                if not target.startswith(joined):
                    break
    return False


def missing(
    paragraphs: Sequence[str], pdf: bytes, engine: str, furniture: Sequence[str] = ()
) -> list[str]:
    """The paragraphs ``engine`` does not read back from ``pdf`` (see ``reads``)."""
    extracted = lines(pdf, engine, furniture)
    return [p for p in paragraphs if not reads(p, extracted)]
