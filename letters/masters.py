"""Masters: one letter, many addressees.

Copies of one letter that differ only in the addressee (``to.address: each``) are not built
again: the DOCX renderer keeps the package of a few recent letters ("masters") with the
addressee left open (``ADDRESSEE_MARK``), and writes the next copy's addressee into it. Only
document.xml is compressed again; the other entries of the zip are reused as written, and the
offsets after it moved. The bytes are those the whole render gives; only the time differs
(``benchmarks/run.py`` measures it against a plain ``zipfile`` rewrite of the package).
"""

from __future__ import annotations

import enum
import io
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

MASTERS = 4  # letters kept ready to address, the most recently used (a few hundred kB each)

ADDRESSEE_MARK = "\ue000letters:addressee\ue000"  # where a master's addressee goes
DOCUMENT_PART = "word/document.xml"
_MARK = ADDRESSEE_MARK.encode("utf-8")
_TAB = b"<w:tab/>"
_T_OPEN = b'<w:t xml:space="preserve">'
_T_CLOSE = b"</w:t>"
# Characters lxml refuses in text (controls, lone surrogates, U+FFFE/U+FFFF) or writes as a
# character reference (a carriage return): such addressees are rendered whole.
_NOT_PLAIN = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_LONGEST = 1 << 16  # characters of an addressee written into a master


def addressee_xml(text: str) -> bytes | None:
    """What ``Builder.run`` writes for the addressee after the label's tab, serialised as
    python-docx does (lxml escapes &, < and >); None when the copy must be rendered whole."""
    if len(text) > _LONGEST or _NOT_PLAIN.search(text):
        return None
    out = []
    for i, part in enumerate(text.split("\t")):
        if i:
            out.append(_TAB)
        if part:
            escaped = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out += [_T_OPEN, escaped.encode("utf-8"), _T_CLOSE]
    return b"".join(out)


def file_state(path: Path | None) -> tuple[int, int] | None:
    """A picture's modification time and size: a master made before it changed is stale."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


# Offsets in the zip format's records (APPNOTE 4.3.7, 4.3.12, 4.3.16).
_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_LOCAL_SIZES = 14  # CRC-32, compressed size, uncompressed size
_CENTRAL_SIZES = 16
_CENTRAL_OFFSET = 42  # the local header's offset
_END_LENGTH = 22


@dataclass(frozen=True)
class Master:
    """A letter's package as ``ooxml.normalised_zip`` wrote it, cut around document.xml's entry:
    the other entries kept as written (headers and compressed data), document.xml kept
    uncompressed in two halves around the addressee."""

    head: bytes  # the entries before document.xml
    header: bytes  # document.xml's local header
    span: int  # document.xml's entry in the master: header and compressed data
    tail: bytes  # the entries after it
    central: bytes  # the central directory
    record: int  # document.xml's record in it
    later: tuple[int, ...]  # where the central directory has the offsets of the later entries
    end: bytes  # the end of central directory record
    before: bytes  # document.xml up to the addressee
    after: bytes  # and from its end

    @classmethod
    def of(cls, package: bytes) -> Master | None:
        """The master of a package rendered with ``ADDRESSEE_MARK`` as the addressee; None
        when the mark is not where the addressee goes and nowhere else, or the archive is
        not as ``ooxml.normalised_zip`` writes it."""
        end = package[-_END_LENGTH:]
        if not end.startswith(_END):
            return None
        size, start = struct.unpack_from("<2L", end, 12)
        central = package[start : start + size]
        if start + size + _END_LENGTH != len(package):
            return None
        names: list[bytes] = []
        offsets: list[int] = []
        records: list[int] = []
        at = 0
        while at < len(central):
            if central[at : at + 4] != _CENTRAL:
                return None
            n, m, k = struct.unpack_from("<3H", central, at + 28)
            records.append(at)
            offsets.append(struct.unpack_from("<L", central, at + _CENTRAL_OFFSET)[0])
            names.append(central[at + 46 : at + 46 + n])
            at += 46 + n + m + k
        if names.count(DOCUMENT_PART.encode()) != 1 or offsets != sorted(offsets):
            return None
        index = names.index(DOCUMENT_PART.encode())
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            parts = {info.filename: z.read(info) for info in z.infolist()}
        xml = parts.pop(DOCUMENT_PART)
        if any(_MARK in data for data in parts.values()):
            return None  # the addressee is printed elsewhere too
        mark = _TAB + _T_OPEN + _MARK + _T_CLOSE
        if xml.count(_MARK) != 1 or xml.count(mark) != 1:
            return None
        cut = xml.index(mark)
        local = offsets[index]
        n, m = struct.unpack_from("<2H", package, local + 26)
        flags = struct.unpack_from("<H", package, local + 6)[0]
        if package[local : local + 4] != _LOCAL or flags & 0x08:  # no data descriptor
            return None
        following = offsets[index + 1] if index + 1 < len(offsets) else start
        master = cls(
            head=package[:local],
            header=package[local : local + 30 + n + m],
            span=following - local,
            tail=package[following:start],
            central=central,
            record=records[index],
            later=tuple(r + _CENTRAL_OFFSET for r in records[index + 1 :]),
            end=end,
            before=xml[: cut + len(_TAB)],
            after=xml[cut + len(mark) :],
        )
        # Written back with the mark, the master must be the package it came from.
        fragment = addressee_xml(ADDRESSEE_MARK)
        if fragment is None or master.address(fragment) != package:
            return None
        return master

    def address(self, fragment: bytes) -> bytes:
        """The package with ``fragment`` as the addressee's XML: document.xml compressed as
        zipfile compresses it, the later entries' offsets moved by the change in its length."""
        xml = self.before + fragment + self.after
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        data = compressor.compress(xml) + compressor.flush()
        crc = zlib.crc32(xml)
        header = bytearray(self.header)
        struct.pack_into("<3L", header, _LOCAL_SIZES, crc, len(data), len(xml))
        central = bytearray(self.central)
        struct.pack_into("<3L", central, self.record + _CENTRAL_SIZES, crc, len(data), len(xml))
        shift = len(header) + len(data) - self.span
        for at in self.later:
            struct.pack_into("<L", central, at, struct.unpack_from("<L", central, at)[0] + shift)
        end = bytearray(self.end)
        struct.pack_into("<L", end, 16, struct.unpack_from("<L", end, 16)[0] + shift)
        return b"".join((self.head, header, data, self.tail, central, end))


class FormState(enum.Enum):
    """What the renderer knows of a letter (its form: everything printed but the addressee)
    for which it holds no ``Master``."""

    SEEN_ONCE = "one copy rendered whole: the master is made with the next"
    NOT_ADDRESSABLE = "no master can be made: every copy is rendered whole"


class Masters:
    """The masters of the ``keep`` letters used last, by form."""

    def __init__(self, keep: int = MASTERS) -> None:
        self.keep = max(keep, 0)
        self._forms: OrderedDict[Hashable, Master | FormState] = OrderedDict()
        self.addressed = 0  # copies written into a master rather than rendered whole

    @property
    def held(self) -> int:
        return sum(isinstance(form, Master) for form in self._forms.values())

    def package(self, form_key: Hashable, addressee: str, render: Callable[[bool], bytes]) -> bytes:
        """The package of a copy of the letter ``form_key`` to ``addressee`` (plain text).
        ``render(False)`` renders the copy whole, ``render(True)`` with ``ADDRESSEE_MARK`` as
        its addressee. The first copy of a letter is rendered whole; at the second the
        letter's master is made, and that copy and the later ones are written into it."""
        fragment = addressee_xml(addressee) if self.keep else None
        if fragment is None:
            return render(False)
        form = self._forms.get(form_key)
        if form is None:
            self._forms[form_key] = FormState.SEEN_ONCE
            while len(self._forms) > self.keep:
                self._forms.popitem(last=False)
            return render(False)
        self._forms.move_to_end(form_key)
        if form is FormState.SEEN_ONCE:
            form = Master.of(render(True)) or FormState.NOT_ADDRESSABLE
            self._forms[form_key] = form
        if isinstance(form, Master):
            self.addressed += 1
            return form.address(fragment)
        return render(False)
