"""Thai text rules: digits, Buddhist-era dates, item numbers, word segmentation.

Everything the renderers print passes through here, so the rules live in one place:
every digit printed is a Thai digit except inside URLs and e-mail addresses, dates are
day, full month name and Buddhist year, and names from the office's directory never split.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_TO_ARABIC = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)

BUDDHIST_ERA_OFFSET = 543

# Text that must stay as written: e-mail addresses, URLs with a scheme or www., and bare
# host names with an alphabetic top-level label (pr.moi.go.th, cd.nongkhai.example).
_PROTECTED = re.compile(
    r"""
    [A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}   # e-mail
    | (?:https?|ftp)://[^\s<>"“”]+                                     # URL with scheme
    | www\.[^\s<>"“”]+                                                 # www. host
    | \b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:/[^\s<>"“”]*)?\b(?=[^.\w]|$)
    """,
    re.VERBOSE,
)
_TRAILING_PUNCT = ".,;:)]}”’"


def _protected_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _PROTECTED.finditer(text):
        start, end = match.span()
        # A sentence may end right after a URL: its full stop or bracket is not part of it.
        while end > start and text[end - 1] in _TRAILING_PUNCT:
            end -= 1
        spans.append((start, end))
    return spans


def thai_digits(text: str) -> str:
    """Arabic digits to Thai digits, except inside URLs and e-mail addresses."""
    out: list[str] = []
    last = 0
    for start, end in _protected_spans(text):
        out.append(text[last:start].translate(_TO_THAI))
        out.append(text[start:end])
        last = end
    out.append(text[last:].translate(_TO_THAI))
    return "".join(out)


def arabic_digits(text: str) -> str:
    """Thai digits to Arabic digits (for reading what a clerk typed)."""
    return text.translate(_TO_ARABIC)


def has_ascii_digit_outside_links(text: str) -> bool:
    """True when the text shows an ASCII digit that is not part of a URL or e-mail address."""
    return any(ch.isascii() and ch.isdigit() for ch in _strip_protected(text))


def _strip_protected(text: str) -> str:
    parts = []
    last = 0
    for start, end in _protected_spans(text):
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return "".join(parts)


def buddhist_year(year: int) -> int:
    return year + BUDDHIST_ERA_OFFSET


THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)

# A letter's year of 2400 or more is a Buddhist-era year (พ.ศ. 2400 is ค.ศ. 1857): no
# letter written with this tool is dated in the Christian era's 25th century.
BUDDHIST_YEAR_FROM = 2400
# The years a letter may be dated in (ค.ศ.): the Thai year has begun in January since
# พ.ศ. ๒๔๘๔ (1941), and a DOCX (a zip file) cannot record a date after 2107.
EARLIEST_YEAR, LATEST_YEAR = 1941, 2099

_ISO_TYPED = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_MONTH_NAMES = {name: i for i, name in enumerate(THAI_MONTHS, 1)} | {
    name: i for i, name in enumerate(THAI_MONTHS_SHORT, 1)
}
_LONG_TYPED = re.compile(
    r"([0-9]{1,2}) ?("
    + "|".join(re.escape(m) for m in sorted(_MONTH_NAMES, key=len, reverse=True))
    + r") ?(?:(พ\.ศ\.|ค\.ศ\.) ?)?([0-9]{4})"
)
DATE_FORMS = "2018-12-11, 2561-12-11 (ปี พ.ศ.) หรือ ๑๑ ธันวาคม ๒๕๖๑"


@dataclass(frozen=True)
class TypedDate:
    """A date as the clerk typed it: the day meant, and whether its year was พ.ศ."""

    day: _dt.date
    typed: str
    buddhist: bool  # the year was typed in the Buddhist era and converted

    @property
    def understood(self) -> str:
        """What was read: ``พ.ศ. ๒๕๖๑ = ค.ศ. 2018`` (or ``ค.ศ. 2018 = พ.ศ. ๒๕๖๑``)."""
        year, buddhist = self.day.year, thai_number(buddhist_year(self.day.year))
        if self.buddhist:
            return f"พ.ศ. {buddhist} = ค.ศ. {year}"
        return f"ค.ศ. {year} = พ.ศ. {buddhist}"


def typed_date(text: str) -> TypedDate:
    """The date a clerk typed, in a directive or after ``--on``: ``2018-12-11``, the same with
    a Buddhist-era year (``2561-12-11``: a year of 2400 or more is พ.ศ.), Thai digits
    (``๒๕๖๑-๑๒-๑๑``) or the long form (``๑๑ ธันวาคม ๒๕๖๑``, ``11 ธ.ค. 2561``, with or without
    ``พ.ศ.``). Raises ``ValueError`` with a message for the clerk.

    pythainlp's ``thai_strptime`` is not used: it reads no Thai digits, takes ``11 12 2561``
    for 11 January, ignores text after the year and fails with ``IndexError`` on a date
    without one.
    """
    cleaned = " ".join(arabic_digits(text).split())
    iso = _ISO_TYPED.fullmatch(cleaned)
    long = None if iso else _LONG_TYPED.fullmatch(cleaned)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        era = None
    elif long:
        day, month, year = int(long[1]), _MONTH_NAMES[long[2]], int(long[4])
        era = long[3]
    else:
        raise ValueError(f"วันที่ไม่ถูกต้อง (invalid date): เขียนแบบ {DATE_FORMS}")
    buddhist = year >= BUDDHIST_YEAR_FROM if era is None else era == "พ.ศ."
    if buddhist != (year >= BUDDHIST_YEAR_FROM):
        raise ValueError(
            f"ปี {era} {thai_number(year)} ไม่ใช่ปีที่ใช้ได้ (impossible year): "
            "ปี พ.ศ. ตั้งแต่ ๒๔๐๐ ขึ้นไป ปี ค.ศ. ต่ำกว่านั้น"
        )
    try:
        meant = _dt.date(year - BUDDHIST_ERA_OFFSET if buddhist else year, month, day)
    except ValueError:
        raise ValueError(f"ไม่มีวันที่นี้ในปฏิทิน (no such date): วันที่ {day} เดือน {month} ปี {year}") from None
    if not EARLIEST_YEAR <= meant.year <= LATEST_YEAR:
        raise ValueError(
            f"ปีนอกช่วงที่ใช้ได้ (year out of range): ใช้ปี พ.ศ. "
            f"{thai_number(buddhist_year(EARLIEST_YEAR))}-{thai_number(buddhist_year(LATEST_YEAR))}"
            f" (ค.ศ. {EARLIEST_YEAR}-{LATEST_YEAR})"
        )
    return TypedDate(meant, text, buddhist)


def years_apart(day: _dt.date, today: _dt.date) -> bool:
    """True when ``day`` is more than a year before or after ``today``."""
    return not _same_day_in(today, -1) <= day <= _same_day_in(today, 1)


def _same_day_in(day: _dt.date, years: int) -> _dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def thai_date(day: _dt.date) -> str:
    """``๑๑ ธันวาคม ๒๕๖๑``: day, full month name, Buddhist year, no พ.ศ."""
    return thai_digits(f"{day.day} {THAI_MONTHS[day.month - 1]} {buddhist_year(day.year)}")


def thai_date_short(day: _dt.date) -> str:
    """``๑๑/๑๒/๒๕๖๑``: for tables and registers."""
    return thai_digits(f"{day.day}/{day.month}/{buddhist_year(day.year)}")


def thai_number(value: int) -> str:
    return thai_digits(str(value))


def item_number(index: int) -> str:
    """Item label for the 1-based ``index``: ``๑.``."""
    if index < 1:
        raise ValueError(f"item numbers start at 1, not {index}")
    return thai_digits(f"{index}.")


def first_word(text: str, keep_whole: Sequence[str] = ()) -> str:
    """The first word of ``text`` (the catch-word of the page before it).

    An item number belongs to the word after it: ``๒. เน้นย้ำ...`` gives ``๒. เน้น``. Names of
    ``keep_whole`` and @handles are never cut. Otherwise the word ends at the first place
    where a line may break, as the layout itself finds it (Pango with libthai's dictionary):
    no dictionary of our own is loaded for one word a page. Leading punctuation (an opening
    quote or bracket) goes with the word after it.
    """
    text = text.strip()
    number = _ITEM_PREFIX.match(text)
    if number:
        rest = first_word(text[number.end() :], keep_whole)
        return f"{number.group(1)} {rest}".strip()
    if not text:
        return ""
    kept: list[tuple[int, int]] = []
    at = 0
    for run, keep in split_names(text, keep_whole):
        if keep:
            kept.append((at, at + len(run)))
        at += len(run)
    for end in _breaks(text):
        inside = any(start < end < stop for start, stop in kept)
        if not inside and any(ch.isalnum() for ch in text[:end]):
            return text[:end].strip()
    return text


def _breaks(text: str) -> list[int]:
    """The places after the start of ``text`` where a line may break, and its end."""
    from weasyprint.text.line_break import get_log_attrs

    attrs = get_log_attrs(text, "th")
    return [i for i in range(1, len(text)) if attrs[i].is_line_break] + [len(text)]


_ITEM_PREFIX = re.compile(r"([0-9๐-๙]+\.)\s*")


# A handle such as @มหาดไทย is one word: no line may break after its @.
_HANDLE = r"@[0-9A-Za-z_.\u0E00-\u0E7F]+"


@lru_cache(maxsize=16)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled pattern for a directory's names (a country's: ~1,750), built once."""
    wanted = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile("|".join([*(re.escape(n) for n in wanted), _HANDLE]))


_SPACES = re.compile(r"( +)")


def split_names(text: str, names: Sequence[str]) -> list[tuple[str, bool]]:
    """Cut ``text`` into runs, marking those never to be split: directory names, @handles.

    Longer names win over shorter ones they contain (นายอำเภอเมืองหนองคาย over หนองคาย). A
    name with spaces may break at them (a long title must still fit the line): each of its
    words is kept whole.
    """
    if not text:
        return []
    pattern = _names_pattern(tuple(names))
    runs: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            runs.append((text[last : match.start()], False))
        for part in _SPACES.split(match.group(0)):
            if part:
                runs.append((part, not part.isspace()))
        last = match.end()
    if last < len(text):
        runs.append((text[last:], False))
    return runs


# The head of a district office and the office's own name: นายอำเภอท่าบ่อ heads อำเภอท่าบ่อ,
# ผู้อำนวยการเขตพระนคร (Bangkok) heads เขตพระนคร.
AMPHOE_CHIEF, AMPHOE = "นายอำเภอ", "อำเภอ"
KHET_CHIEF, KHET = "ผู้อำนวยการเขต", "เขต"
_HEADS = ((AMPHOE_CHIEF, AMPHOE), (KHET_CHIEF, KHET))


def office_name(name: str, title: str) -> str:
    """The office a recipient is, as a form names it: ``อำเภอท่าบ่อ`` for the district
    ``ท่าบ่อ`` whose head is ``นายอำเภอท่าบ่อ``; the name as it is for any other office."""
    for head, office in _HEADS:
        if title.startswith(head) and not name.startswith(office):
            return f"{office}{name}"
    return name
