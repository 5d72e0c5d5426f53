"""The words of one copy of a letter, ready to print: the one source the renderers share.

Every string here is final: digits made Thai (URLs and e-mail addresses kept), dates in the
Buddhist era, directory names marked so that no renderer splits them across lines.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from letters import thai
from letters.config import Member
from letters.directive import Letter


@dataclass(frozen=True)
class Run:
    text: str
    keep: bool = False  # a directory name: never split across lines


Text = tuple[Run, ...]


def rich(value: str, names: Sequence[str]) -> Text:
    """``value`` as printed: Thai digits, and the directory names in it marked unbreakable."""
    return tuple(Run(t, keep) for t, keep in thai.split_names(thai.thai_digits(value), names))


def plain(text: Text) -> str:
    return "".join(run.text for run in text)


@dataclass(frozen=True)
class Block:
    """A body paragraph or a numbered item (its label already in front of the text)."""

    text: Text
    item: bool = False


@dataclass(frozen=True)
class Entry:
    """A line of อ้างถึง or สิ่งที่ส่งมาด้วย: its number (``๑.``; empty when it is the only one)
    and its text, whose wrapped lines hang under the text, not under the number."""

    number: str
    text: Text

    @property
    def plain(self) -> str:
        return f"{self.number} {plain(self.text)}" if self.number else plain(self.text)


@dataclass(frozen=True)
class Copy:
    """One copy of the letter, for one recipient."""

    recipient: Member
    number: str  # ``ที่ นค ๐๐๑๙.๔/ว ๑๙๓``; without the number when it is not known yet
    sender: tuple[str, ...]
    date: str
    subject: Text
    salutation: str
    addressee: Text
    references: tuple[Entry, ...]
    enclosures: tuple[Entry, ...]
    body: tuple[Block, ...]
    closing: Text
    complimentary_close: str
    signer_name: str
    signer_positions: tuple[str, ...]
    signature: Path | None
    unit: tuple[str, ...]
    copies: tuple[str, ...]
    slogan: str | None
    speed: str | None
    secrecy: str | None
    draft: bool
    subject_plain: str
    emblem: Path | None
    title: str  # document title: the subject

    def identity(self) -> tuple[object, ...]:
        """Everything printed: two copies with equal identities are the same pages. Only
        ``recipient`` is left out (it names the files, it is not printed as such)."""
        return tuple(getattr(self, name) for name in _PRINTED)

    def form_key(self) -> tuple[object, ...]:
        """Everything printed but the addressee: copies with equal keys are one letter
        addressed to different people (``to.address: each``), the same pages but for the
        เรียน line."""
        return tuple(getattr(self, name) for name in _PRINTED if name != "addressee")


_PRINTED = tuple(f.name for f in fields(Copy) if f.name != "recipient")


def number_line(letter: Letter, number: str | None) -> str:
    """``ที่ <code>/<number>``; circulars ``/ว <number>``; blank space when not allotted."""
    code = letter.config.model.office.code
    series = "ว " if letter.directive.kind == "circular" else ""
    if number is None:
        return thai.thai_digits(f"ที่ {code}/{series}".rstrip())
    return thai.thai_digits(f"ที่ {code}/{series}{number}")


def unit_lines(letter: Letter) -> tuple[str, ...]:
    unit = letter.unit
    lines = list(unit.lines)
    if unit.phone and unit.fax and unit.phone == unit.fax:
        lines.append(f"โทร/โทรสาร {unit.phone}")
    else:
        if unit.phone:
            lines.append(f"โทร. {unit.phone}")
        if unit.fax:
            lines.append(f"โทรสาร {unit.fax}")
    if unit.email:
        lines.append(f"ไปรษณีย์อิเล็กทรอนิกส์ {unit.email}")
    return tuple(thai.thai_digits(line) for line in lines)


def _numbered(entries: Sequence[str], names: Sequence[str]) -> tuple[Entry, ...]:
    """Entries numbered ``๑.`` ``๒.`` when there are several; one alone has no number."""
    if len(entries) == 1:
        return (Entry("", rich(entries[0], names)),)
    return tuple(Entry(thai.item_number(i), rich(e, names)) for i, e in enumerate(entries, 1))


def copy_for(letter: Letter, member: Member, number: str | None, *, draft: bool = False) -> Copy:
    """The copy of ``letter`` for ``member``; ``number`` None prints the number blank."""
    key = (id(letter), number, draft)
    kept = _SHARED.get(key)
    if kept is None or kept[0] is not letter:
        kept = _SHARED[key] = (letter, _shared(letter, member, number, draft))
        while len(_SHARED) > _KEEP:
            _SHARED.popitem(last=False)
    addressee = rich(letter.addressee(member), letter.directory_names)
    return replace(kept[1], recipient=member, addressee=addressee)


# What copies of one letter share is made once: every copy of a national circular would
# otherwise set the same paragraphs again (a few milliseconds each).
_SHARED: OrderedDict[tuple[int, str | None, bool], tuple[Letter, Copy]] = OrderedDict()
_KEEP = 8


def _shared(letter: Letter, member: Member, number: str | None, draft: bool) -> Copy:
    """The copy for ``member`` but for its addressee: what every copy shares."""
    d = letter.directive
    names = letter.directory_names

    def text(value: str) -> Text:
        return rich(value, names)

    body: list[Block] = []
    for paragraph in d.body:
        body.append(Block(text(paragraph.text)))
        for i, item in enumerate(paragraph.items, 1):
            body.append(Block(text(f"{thai.item_number(i)} {item}"), item=True))
    office = letter.config.model.office
    enclosures = [f"{e.title}  {e.quantity}" for e in d.enclosures]
    signer = letter.signer
    signature = None
    if signer.signature and not draft:
        signature = letter.config.resolve(signer.signature)
    return Copy(
        recipient=member,
        number=number_line(letter, number),
        sender=tuple(thai.thai_digits(line) for line in (office.name, *office.address)),
        date=thai.thai_date(d.date),
        subject=text(d.subject),
        salutation=letter.group.salutation,
        addressee=(),
        references=_numbered(d.references, names),
        enclosures=_numbered(enclosures, names),
        body=tuple(body),
        closing=text(d.closing),
        complimentary_close=letter.group.complimentary_close,
        signer_name=f"({signer.name})",
        signer_positions=tuple(thai.thai_digits(p) for p in signer.position),
        signature=signature,
        unit=unit_lines(letter),
        copies=tuple(thai.thai_digits(c) for c in d.copies),
        slogan=thai.thai_digits(office.slogan) if office.slogan else None,
        speed=d.speed if d.speed != "ปกติ" else None,
        secrecy=d.secrecy if d.secrecy != "ปกติ" else None,
        draft=draft,
        subject_plain=thai.thai_digits(d.subject),
        emblem=letter.config.emblem,
        title=d.subject,
    )
