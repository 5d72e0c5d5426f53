"""The one error tree of the tool. Every error a user can cause is a ``LettersError``.

Errors carry their location as a prefix (``FILE:LINE:COLUMN: field.path: message``) and are
caught once, in the command-line interface, which prints them and exits with ``exit_code``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a place a clerk can find."""

    file: str
    line: int  # 1-based; 0 when the whole file is meant
    column: int  # 1-based
    field: str  # dotted path such as ``enclosures[1].file``; "" for the file itself
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
        return shown(text)


# Characters never printed as they are: control characters (a terminal obeys them: ESC can
# rewrite the screen), lone surrogates, line separators and the bidirectional overrides.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` safe to print on one line of a terminal: each character a terminal would
    obey, or that would break the line, written as its escape (``\\x1b``, ``\\u202e``)."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class LettersError(Exception):
    """Base of every error the tool reports to its user (exit status 1)."""

    exit_code = 1


class InputError(LettersError):
    """The directive or the config is wrong; holds every problem found, sorted by place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        lines = [str(p) for p in self.problems]
        lines.append(
            f"พบ {len(self.problems)} จุดที่ต้องแก้ (problems); ยังไม่ได้เขียนไฟล์ใด: "
            "แก้ตามบรรทัดที่บอกแล้วรันคำสั่งเดิมอีกครั้ง"
        )
        super().__init__("\n".join(lines))


class OutputError(LettersError):
    """Writing the letters failed (disk, permissions, a renderer refusing its input)."""


class RegisterError(LettersError):
    """The outgoing register cannot be read or written."""


class DispatchError(LettersError):
    """Sending or printing failed."""


class SigningError(LettersError):
    """A letter cannot be signed or its signature read: the certificate file, its password,
    its validity, the time-stamp server, or a file that is not a signed PDF."""
