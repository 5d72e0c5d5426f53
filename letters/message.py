"""One recipient's e-mail: its subject line, the Thai cover note (text and HTML), the MIME
message with the bundle attached, and its Message-ID.

Addresses. A recipient's address must be one plain address (``saraban@amphoe.go.th``): no
display name, no second address, no space or control character, ASCII only (the SMTP
commands are ASCII). ``letters check`` refuses others; one that reaches ``send_all`` anyway
(config.yaml edited since) fails its recipient alone, with the reason, and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import errno
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from letters import thai
from letters.content import number_line, unit_lines
from letters.errors import DispatchError

if TYPE_CHECKING:
    from letters.config import Member
    from letters.directive import Letter


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient."""

    code: str
    name: str
    to: str  # the recipient's e-mail address (config.yaml: recipients.<group>.members[].email)
    subject: str  # the letter's speed (when not ปกติ), ที่ and เรื่อง
    attachment: Path  # the bundle PDF
    cover_text: str
    cover_html: str
    # The Message-ID of an earlier attempt that may have reached the recipient (an uncertain
    # outcome in the register): sent again under it. None: a new Message-ID.
    message_id: str | None = None
    filename: str = ""  # the attachment's name in the message (else the file's own name)
    reply_to: str = ""  # where a reply goes (the owning unit's address), when not the sender

    @property
    def attachment_name(self) -> str:
        return self.filename or self.attachment.name


def _with_ti(number: str) -> str:
    number = number.strip()
    return number if number.startswith("ที่") else f"ที่ {number}"


def subject_line(number: str, subject: str, speed: str = "ปกติ") -> str:
    """``ด่วนที่สุด ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ...``: the letter's speed unless ปกติ, its
    number line and its subject."""
    urgent = f"{speed.strip()} " if speed.strip() not in ("", "ปกติ") else ""
    return thai.thai_digits(f"{urgent}{_with_ti(number)} เรื่อง {subject.strip()}")


# A file name part of the letter's words: no path separator, nothing Windows refuses.
_UNSAFE = re.compile(r'[\\:*?"<>|\x00-\x1f\x7f]')
NAME_BYTES = 200  # the attachment's name at most, in UTF-8 (a Thai character takes three)


def attachment_name(number: str, subject: str) -> str:
    """The bundle's name in the e-mail, after the letter: ``นค ๐๐๑๙.๔-ว ๑๙๓ <subject>.pdf``
    (the ``/`` of the number as ``-``), cut to ``NAME_BYTES`` between whole characters."""
    line = _with_ti(number).removeprefix("ที่").strip().replace("/", "-")
    text = _UNSAFE.sub("_", thai.thai_digits(f"{line} {' '.join(subject.split())}"))
    text = text.replace("/", "-").strip(" .")
    if len(f"{text}.pdf".encode()) <= NAME_BYTES:
        return f"{text}.pdf"
    while len(f"{text}….pdf".encode()) > NAME_BYTES:
        text = text[:-1]
        while text and unicodedata.category(text[-1]) == "Mn":  # a vowel or tone mark
            text = text[:-2] if len(text) > 1 else ""
    return f"{text.rstrip(' .')}….pdf"


def cover_note(
    *,
    addressee: str,
    office: str,
    number: str,
    subject: str,
    attachment_name: str,
    contact: Sequence[str],
    date: dt.date | None = None,
    contents: Sequence[str] = (),
    due: dt.date | None = None,
    reply_to: str | None = None,
    close: str = "ขอแสดงความนับถือ",
) -> tuple[str, str]:
    """The cover note, as plain text and as HTML: a short letter from one office to another.

    It says who sends which letter of which date, what the attachment holds (``contents``,
    one line each), the due date and how to reply (to ``reply_to``); it closes with ``close``
    and the office's name, and says whom to ask.
    ``number`` is the printed number line (``ที่ ...``), ``contact`` the owning unit's lines as
    the letter prints them (``letters.content.unit_lines``). The attachment's file name is
    shown as it is sent; every other digit is Thai.
    """
    greeting = thai.thai_digits(f"เรียน {addressee}")
    dated = f" ลงวันที่ {thai.thai_date(date)}" if date else ""
    body = thai.thai_digits(
        f"{office} ขอส่งหนังสือ{_with_ti(number)}{dated} เรื่อง {subject.strip()} มาพร้อมนี้"
    )
    attached = f"ไฟล์ที่แนบ (attachment): {attachment_name}"
    inside = [
        thai.thai_digits(f"{thai.item_number(i)} {line}") for i, line in enumerate(contents, 1)
    ]
    asked: list[str] = []
    if due is not None:
        asked.append(f"โปรดดำเนินการและแจ้งผลภายในวันที่ {thai.thai_date(due)}")
    if reply_to:
        how = "ตอบกลับอีเมลนี้ (reply)"
        if due is not None:
            how += " พร้อมแนบแบบรายงานผลที่กรอกแล้ว"
        asked.append(f"วิธีตอบ (how to reply): {how} ถึง {reply_to}")
    signed = [close, thai.thai_digits(office)]
    ask = "หากมีข้อสงสัย โปรดติดต่อ"
    contact_lines = [thai.thai_digits(line) for line in contact]
    head = [attached, "ประกอบด้วย", *inside] if inside else [attached]
    parts = [greeting, "", body, *head, ""]
    if asked:
        parts += [*asked, ""]
    text = "\n".join([*parts, *signed, "", ask, *contact_lines, ""])
    esc = html.escape
    contact_html = "<br>\n".join(esc(line) for line in contact_lines)
    listed = "".join(f"<br>\n{esc(line)}" for line in inside)
    page = (
        '<!DOCTYPE html>\n<html lang="th">\n<head><meta charset="utf-8"></head>\n'
        "<body style=\"font-family: 'TH Sarabun New', Sarabun, sans-serif; font-size: 16pt\">\n"
        f"<p>{esc(greeting)}</p>\n"
        f"<p>{esc(body)}</p>\n"
        f"<p>ไฟล์ที่แนบ (attachment): <b>{esc(attachment_name)}</b>"
        + (f"<br>\nประกอบด้วย{listed}" if inside else "")
        + "</p>\n"
        + ("<p>" + "<br>\n".join(esc(line) for line in asked) + "</p>\n" if asked else "")
        + "<p>"
        + "<br>\n".join(esc(line) for line in signed)
        + "</p>\n"
        + f"<p>{esc(ask)}<br>\n{contact_html}</p>\n"
        "</body>\n</html>\n"
    )
    return text, page


def sending_office(name: str) -> str:
    """The office that sends, from ``office.name``: a provincial or district office's name
    is where it sits (ศาลากลางจังหวัดหนองคาย, ที่ว่าการอำเภอท่าบ่อ); the office is the
    province or district (จังหวัดหนองคาย, อำเภอท่าบ่อ)."""
    for place in ("ศาลากลาง", "ที่ว่าการ"):
        if name.startswith(place) and name[len(place) :].startswith(("จังหวัด", "อำเภอ")):
            return name[len(place) :]
    return name


def contents(letter: Letter, number: str) -> list[str]:
    """What the bundle of ``letter`` holds, one line each: the letter, each enclosure, the
    reply form (``letters.bundle`` puts them in this order)."""
    from letters.bundle import REPLY_FORM_TITLE

    lines = [f"หนังสือ{_with_ti(number)}"]
    for enclosure in letter.directive.enclosures:
        amount = f" ({enclosure.quantity})" if enclosure.quantity else ""
        lines.append(f"สิ่งที่ส่งมาด้วย: {enclosure.title}{amount}")
    if letter.directive.follow_up is not None:
        lines.append(f"{REPLY_FORM_TITLE} (reply form) สำหรับตอบกลับ")
    return lines


def outgoing(letter: Letter, member: Member, number: str | None, attachment: Path) -> Outgoing:
    """The message for one recipient of a built letter.

    ``number`` is the number allotted to this copy (``"๑๙๓"``; None when not yet allotted),
    or its printed line (``"ที่ นค ๐๐๑๙.๔/ว ๑๙๓"``, as the build's manifest keeps it). A member
    without an e-mail address gets an empty ``to``: ``send_all`` records that as a failure.
    The message goes to the district's head (``member.title``), from the sending office.
    """
    line = number if number and number.strip().startswith("ที่") else number_line(letter, number)
    directive = letter.directive
    subject = directive.subject
    filename = attachment_name(line, subject)
    model = letter.config.model
    email_settings = model.dispatch.email
    follow = directive.follow_up
    reply_to = letter.unit.email or (
        sender_address(email_settings.sender) if email_settings else None
    )
    text, page = cover_note(
        addressee=member.title,
        office=sending_office(model.office.name),
        number=line,
        subject=subject,
        attachment_name=filename,
        contact=unit_lines(letter),
        date=directive.date,
        contents=contents(letter, line),
        due=follow.due if follow is not None else None,
        reply_to=reply_to,
        close=letter.group.complimentary_close,
    )
    return Outgoing(
        code=member.code,
        name=member.name,
        to=member.email or "",
        subject=subject_line(line, subject, directive.speed),
        attachment=attachment,
        cover_text=text,
        cover_html=page,
        filename=filename,
        reply_to=reply_to or "",
    )


# One plain address: a dot-atom local part, an ASCII host name (RFC 5321's Mailbox, without
# quoted local parts and address literals, which no district uses).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


def plain_address(address: str) -> bool:
    """Whether ``address`` is one plain e-mail address, safe in an SMTP command and a header."""
    return len(address) <= 254 and _PLAIN_ADDRESS.fullmatch(address) is not None


def visible(text: str, limit: int = 120) -> str:
    """``text`` safe to show on a terminal: control and format characters as escapes
    (``\\r``, ``\\x1b``, ``\\u202e``), cut to ``limit`` characters."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def sender_address(sender: str) -> str:
    """The bare address of ``dispatch.email.sender`` (which may carry a Thai display name)."""
    header = email.policy.default.header_factory("From", sender)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise DispatchError(
            f"dispatch.email.sender: '{sender}' ไม่ใช่ที่อยู่อีเมลเดียว (not one e-mail address); "
            "เขียนเป็น ชื่อสำนักงาน <saraban@...> ใน config.yaml"
        )
    return str(addresses[0].addr_spec)


def new_message_id(sender: str) -> str:
    """A Message-ID of our own, ``<...@sender-domain>``."""
    domain = sender_address(sender).rpartition("@")[2]
    return email.utils.make_msgid(domain=domain)


def compose(
    item: Outgoing, sender: str, message_id: str, *, date: datetime | None = None
) -> EmailMessage:
    """The message: Thai subject (RFC 2047), text and HTML cover note, the PDF (RFC 2231 name)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = Address(addr_spec=item.to)
    if item.reply_to and plain_address(item.reply_to) and item.reply_to != sender_address(sender):
        msg["Reply-To"] = Address(addr_spec=item.reply_to)
    msg["Subject"] = item.subject
    msg["Date"] = email.utils.format_datetime(date or local_now())
    msg["Message-ID"] = message_id
    # base64 keeps the Thai text 7-bit clean: no server needs 8BITMIME.
    msg.set_content(item.cover_text, cte="base64")
    msg.add_alternative(item.cover_html, subtype="html", cte="base64")
    try:
        data = item.attachment.read_bytes()
    except OSError as exc:
        why = (
            "ไม่พบไฟล์ (file not found)"
            if isinstance(exc, FileNotFoundError)
            else "ไม่มีสิทธิ์อ่าน (permission denied)"
            if isinstance(exc, PermissionError)
            else f"ระบบแจ้งข้อผิดพลาด (system error {errno.errorcode.get(exc.errno or 0, '?')})"
        )
        raise DispatchError(
            f"{item.attachment}: อ่านไฟล์แนบไม่ได้ (cannot read attachment): {why}; "
            "สร้างชุดเอกสารใหม่ด้วย letters build แล้วส่งอีกครั้ง"
        ) from None
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=item.attachment_name)
    msg["Content-Language"] = "th"
    return msg


def local_now() -> datetime:
    """Now, in the machine's time zone: a message's Date and an outcome's time."""
    return datetime.now().astimezone()
