"""What dispatch did with a copy, in the register's words (การปฏิบัติ of form ๑๔).

``letters.register`` keeps every attempt (the ``action`` table): each is an ``Attempt``;
``latest`` gives a copy's state (a failure retried with success is history) and
``action_text`` the line the register shows. Text a clerk reads never carries a Python
exception's words: ``plain_words`` says them in Thai and English (``[Errno 2] ...`` as
``ไม่พบไฟล์ (file not found)``), for notes written by older versions too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import NamedTuple

from letters import thai

# What ``Register.record_action`` knows how to describe; any other text is shown as given.
EMAIL = "email"
PRINT = "print"
_ACTION_WORDS = {EMAIL: "ส่งทางไปรษณีย์อิเล็กทรอนิกส์", PRINT: "พิมพ์ส่งทางไปรษณีย์"}


class Attempt(NamedTuple):
    """One thing dispatch did with a copy, as the ``action`` table keeps it."""

    action: str  # EMAIL, PRINT or a short text
    at: str  # ISO date and time
    message_id: str | None
    ok: int
    detail: str | None
    uncertain: int

    def text(self, *, brief: bool = False) -> str:
        """One line of การปฏิบัติ; ``brief``: the reason of a failure without its advice."""
        detail = self.detail
        if detail and brief:
            detail = detail.split("; ")[0]
        return action_text(
            self.action,
            dt.datetime.fromisoformat(self.at),
            self.message_id,
            bool(self.ok),
            detail,
            uncertain=bool(self.uncertain),
        )


def latest(attempts: Sequence[Attempt]) -> list[Attempt]:
    """The state of a copy: for each way it went (e-mail, post), its latest success, else
    its latest attempt; in the order they happened. A failure retried with success is past."""
    chosen: dict[str, tuple[int, Attempt]] = {}
    for index, attempt in enumerate(attempts):
        kept = chosen.get(attempt.action)
        if kept is None or attempt.ok or not kept[1].ok:
            chosen[attempt.action] = (index, attempt)
    return [attempt for _, attempt in sorted(chosen.values(), key=lambda pair: pair[0])]


# What the system said of a file or a connection, in words a clerk reads (errno -> words).
_ERRNO_WORDS = {
    1: "ไม่ได้รับอนุญาต (not permitted)",
    2: "ไม่พบไฟล์ (file not found)",
    13: "ไม่มีสิทธิ์เข้าถึง (permission denied)",
    28: "พื้นที่ดิสก์เต็ม (disk full)",
    101: "เครือข่ายใช้ไม่ได้ (network unreachable)",
    104: "การเชื่อมต่อถูกตัด (connection reset)",
    110: "หมดเวลารอ (timed out)",
    111: "เซิร์ฟเวอร์ไม่รับการเชื่อมต่อ (connection refused)",
    113: "ไม่พบเส้นทางไปยังเซิร์ฟเวอร์ (no route to host)",
}
_PYTHON_ERROR = re.compile(
    r"\(?\b[A-Z][A-Za-z]*(?:Error|Exception)\b\)?:?\s*"  # (FileNotFoundError) or OSError:
    r"|\[Errno (\d+)\][^:;]*(?::\s*)?"  # [Errno 2] No such file or directory:
)


def plain_words(text: str) -> str:
    """``text`` without a Python exception's words: its class name goes, ``[Errno n] ...``
    becomes what it means in Thai and English (a note written by an older version)."""

    def plain(found: re.Match[str]) -> str:
        if found.group(1) is None:
            return ""
        number = int(found.group(1))
        words = _ERRNO_WORDS.get(number, f"ระบบแจ้งข้อผิดพลาด (system error {number})")
        return f"{words}: " if found.group(0).rstrip().endswith(":") else f"{words} "

    return " ".join(_PYTHON_ERROR.sub(plain, text).split())


def action_text(
    action: str,
    at: dt.datetime,
    message_id: str | None,
    ok: bool,
    detail: str | None,
    *,
    uncertain: bool = False,
) -> str:
    """One line of การปฏิบัติ: what was done, when, and the Message-ID or the failure."""
    words = _ACTION_WORDS.get(action, action)
    when = f"{thai.thai_date_short(at.date())}\u00a0{at:%H:%M}\u00a0น."  # kept on one line
    if ok:
        text = f"{words} {when}"
    elif uncertain:
        text = f"{words}ไม่แน่ใจว่าถึง {when}"
    else:
        text = f"{words}ไม่สำเร็จ {when}"
    if detail:
        text += f" {plain_words(detail)}"
    if message_id:
        text += f" {message_id}"
    return thai.thai_digits(text)
