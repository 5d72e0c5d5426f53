"""E-mail dispatch: one message per recipient, each sent once, every outcome told as it happens.

``send_all`` walks the recipients not yet sent, hands each to a ``Mailer`` and passes every
``Outcome`` to a callback the moment it is known (the outgoing register records it there, so a
run killed after the fifth message keeps the first five). A recipient whose code is already
sent is skipped: however often the clerk runs the command, each district gets one copy.

The ``Mailer`` speaks SMTP as ``dispatch.email`` in config.yaml says: STARTTLS or implicit
TLS with the certificate checked, or no encryption only to a loopback address. The user name
and password come from the environment variables the config names and the password never
appears in an outcome, an error message or a log line (server replies are scrubbed too).

Failures:

* temporary (a 4xx reply, a dropped connection, a refused or reset connection, a timeout):
  retried ``retries`` times with exponential back-off, on a new connection;
* permanent (a 5xx reply, such as 550 for one address): that recipient's outcome is a
  failure and the run goes on with the others;
* the server cannot be reached at all, its certificate is not trusted, or it refuses the
  login: ``DispatchError`` (nothing more can be sent; the outcomes told so far stand).

Duplicates. When the connection drops after the message's body went out but before the
server's reply to it, the message may or may not have been accepted: nobody can know. That
doubt is told at once (``Outcome.uncertain``, with the message's Message-ID), before any
reconnect, so the register keeps it even when the run ends there. The tool then sends it
again in the same run (at least once, never silently lost: a district missing an official
letter costs more than a district holding it twice) under the same Message-ID, so the two
copies are recognisably one message, and the outcome says that a copy may be doubled. When
that retry does not go through either, the district stays uncertain: later runs list it and
send it nothing until the clerk, having asked the district, names it with ``--resend CODE``;
it is then sent under the Message-ID it had (``Outgoing.message_id``), so the district's mail
system can drop the copy it may already hold. A connection that drops anywhere else (before
the body, or between messages) cannot double a message, and its retry is silent.

Addresses. A recipient's address must be one plain address (``saraban@amphoe.go.th``): no
display name, no second address, no space or control character, ASCII only (the SMTP
commands are ASCII). ``letters check`` refuses others; one that reaches ``send_all`` anyway
(config.yaml edited since) fails its recipient alone, with the reason, and the run goes on.
"""

from __future__ import annotations

import email.errors
import email.policy
import email.utils
import html
import ipaddress
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from letters import thai
from letters.config import Email, Member
from letters.content import number_line, unit_lines
from letters.directive import Letter
from letters.errors import DispatchError

if TYPE_CHECKING:
    from letters.register import Register

log = logging.getLogger(__name__)

_MASK = "********"


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient."""

    code: str
    name: str
    to: str  # the recipient's e-mail address (config.yaml: recipients.<group>.members[].email)
    subject: str  # the letter's ที่ and เรื่อง
    attachment: Path  # the bundle PDF
    cover_text: str
    cover_html: str
    # The Message-ID of an earlier attempt that may have reached the recipient (an uncertain
    # outcome in the register): sent again under it. None: a new Message-ID.
    message_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one recipient's message.

    ``uncertain``: the connection dropped after the body went and before the server's reply,
    so the recipient may hold the message (``message_id``) or not; ``ok`` is then False.
    """

    code: str
    ok: bool
    message_id: str | None  # ours, when the server accepted (or may have accepted) the message
    detail: str  # Thai, for the register's การปฏิบัติ/หมายเหตุ and the run's summary
    at: datetime
    attempts: int
    uncertain: bool = False


def subject_line(number: str, subject: str) -> str:
    """``ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ...``: the letter's number line and its subject."""
    number = number.strip()
    if not number.startswith("ที่"):
        number = f"ที่ {number}"
    return thai.thai_digits(f"{number} เรื่อง {subject.strip()}")


def cover_note(
    *,
    addressee: str,
    office: str,
    number: str,
    subject: str,
    attachment_name: str,
    contact: Sequence[str],
) -> tuple[str, str]:
    """The short Thai cover note, as plain text and as HTML: what is attached, whom to ask.

    ``number`` is the printed number line (``ที่ ...``), ``contact`` the owning unit's lines as
    the letter prints them (``letters.content.unit_lines``). The attachment's file name is
    shown as it is on disk; every other digit is Thai.
    """
    greeting = thai.thai_digits(f"เรียน {addressee}")
    number = number.strip()
    if not number.startswith("ที่"):
        number = f"ที่ {number}"
    body = thai.thai_digits(
        f"{office} ขอส่งหนังสือ{number} เรื่อง {subject.strip()} มาพร้อมนี้ รายละเอียดตามไฟล์ที่แนบ"
    )
    attached = f"ไฟล์ที่แนบ (attachment): {attachment_name}"
    ask = "หากมีข้อสงสัย โปรดติดต่อ"
    contact_lines = [thai.thai_digits(line) for line in contact]
    text = "\n".join([greeting, "", body, attached, "", ask, *contact_lines, ""])
    esc = html.escape
    contact_html = "<br>\n".join(esc(line) for line in contact_lines)
    page = (
        '<!DOCTYPE html>\n<html lang="th">\n<head><meta charset="utf-8"></head>\n'
        "<body style=\"font-family: 'TH Sarabun New', Sarabun, sans-serif; font-size: 16pt\">\n"
        f"<p>{esc(greeting)}</p>\n"
        f"<p>{esc(body)}</p>\n"
        f"<p>ไฟล์ที่แนบ (attachment): <b>{esc(attachment_name)}</b></p>\n"
        f"<p>{esc(ask)}<br>\n{contact_html}</p>\n"
        "</body>\n</html>\n"
    )
    return text, page


def outgoing(letter: Letter, member: Member, number: str | None, attachment: Path) -> Outgoing:
    """The message for one recipient of a built letter.

    ``number`` is the number allotted to this copy (``"๑๙๓"``; None when not yet allotted),
    or its printed line (``"ที่ นค ๐๐๑๙.๔/ว ๑๙๓"``, as the build's manifest keeps it). A member
    without an e-mail address gets an empty ``to``: ``send_all`` records that as a failure.
    """
    line = number if number and number.strip().startswith("ที่") else number_line(letter, number)
    subject = letter.directive.subject
    text, page = cover_note(
        addressee=letter.addressee(member),
        office=letter.config.model.office.name,
        number=line,
        subject=subject,
        attachment_name=attachment.name,
        contact=unit_lines(letter),
    )
    return Outgoing(
        code=member.code,
        name=member.name,
        to=member.email or "",
        subject=subject_line(line, subject),
        attachment=attachment,
        cover_text=text,
        cover_html=page,
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
    msg["Subject"] = item.subject
    msg["Date"] = email.utils.format_datetime(date or _local_now())
    msg["Message-ID"] = message_id
    # base64 keeps the Thai text 7-bit clean: no server needs 8BITMIME.
    msg.set_content(item.cover_text, cte="base64")
    msg.add_alternative(item.cover_html, subtype="html", cte="base64")
    try:
        data = item.attachment.read_bytes()
    except OSError as exc:
        raise DispatchError(
            f"{item.attachment}: อ่านไฟล์แนบไม่ได้ (cannot read attachment): {exc.strerror}; "
            "สร้างชุดเอกสารใหม่ด้วย letters build แล้วส่งอีกครั้ง"
        ) from None
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=item.attachment.name)
    msg["Content-Language"] = "th"
    return msg


class _Temporary(Exception):
    """Worth trying again: a 4xx reply, a dropped or refused connection, a timeout."""

    def __init__(self, detail: str, *, connecting: bool = False, after_body: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.connecting = connecting
        self.after_body = after_body


class _Permanent(Exception):
    """A 5xx reply for this message: trying again gives the same answer."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Mailer:
    """One SMTP client for a run: connects on first use, keeps the connection, paces sends."""

    def __init__(
        self,
        settings: Email,
        *,
        environ: Mapping[str, str],
        smtp_factory: Callable[..., smtplib.SMTP] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        retries: int = 3,
        timeout: float = 30,
        backoff: float = 2.0,
        now: Callable[[], datetime] = _local_now,
    ) -> None:
        if settings.security == "none" and not _is_loopback(settings.host):
            raise DispatchError(
                f"dispatch.email: security: none ส่งได้เฉพาะเซิร์ฟเวอร์ในเครื่องนี้ (loopback only), "
                f"ไม่ใช่ '{settings.host}'; ตั้ง security: starttls หรือ ssl ใน config.yaml"
            )
        self.settings = settings
        self.sender = settings.sender
        self.envelope_from = sender_address(settings.sender)
        self._login = _credentials(settings, environ)
        self._secrets = tuple(s for s in [self._login[1] if self._login else ""] if s)
        self._factory = smtp_factory
        # Default: the time module's, looked up now (a test may put a fake clock there).
        self._sleep = sleep if sleep is not None else time.sleep
        self._clock = clock if clock is not None else time.monotonic
        self._ssl_context = ssl_context
        self.retries = max(0, retries)
        self.timeout = timeout
        self.backoff = backoff
        self.now = now
        self._interval = 60.0 / settings.per_minute
        self._last_start: float | None = None
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close; quietly, as the messages are already sent or failed."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def scrub(self, text: str) -> str:
        """``text`` with the password masked: for everything shown, logged or recorded."""
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text

    def send(
        self, item: Outgoing, *, on_uncertain: Callable[[Outcome], None] | None = None
    ) -> Outcome:
        """Send one message, retrying temporary failures; the outcome of this recipient.

        ``item.message_id``, when set, is the Message-ID to send under (else a new one). When
        the connection drops after the body and before the server's reply, ``on_uncertain``
        is told at once, before any reconnect; the final outcome is then uncertain too
        unless a retry is accepted. Raises ``DispatchError`` when nothing more can be sent (no
        connection, untrusted certificate, login refused): the caller stops the run.
        """
        message_id = item.message_id or new_message_id(self.sender)
        try:
            data = compose(item, self.sender, message_id, date=self.now()).as_bytes()
        except (ValueError, email.errors.MessageError) as exc:  # a line break in a header
            return self._outcome(
                item,
                False,
                None,
                f"เขียนอีเมลถึง {item.code} {item.name} ไม่ได้ (cannot compose the message): "
                f"{visible(str(exc))}; แก้เรื่อง (subject) ใน directive หรือ email ใน config.yaml "
                "แล้วรันคำสั่งเดิมอีกครั้ง",
                0,
            )
        attempts = 0
        doubled = False
        while True:
            attempts += 1
            try:
                reply = self._attempt(item.to, data)
            except _Permanent as exc:
                return self._failure(
                    item,
                    message_id if doubled else None,
                    f"ส่งไม่ได้ (rejected): ถึง {item.to}: {exc.detail}",
                    "แก้ที่อยู่ใน config.yaml หรือสอบถามผู้ดูแลเซิร์ฟเวอร์ แล้วรันคำสั่งเดิมอีกครั้ง",
                    attempts,
                )
            except _Temporary as exc:
                self._drop()
                log.info("%s: temporary failure, attempt %d: %s", item.code, attempts, exc.detail)
                if exc.after_body and not doubled:
                    doubled = True
                    if on_uncertain is not None:
                        on_uncertain(
                            self._outcome(
                                item,
                                False,
                                message_id,
                                f"การเชื่อมต่อหลุดหลังส่งเนื้อความ ก่อนเซิร์ฟเวอร์ตอบ (uncertain: "
                                f"connection dropped after the message was sent) ถึง {item.to}: "
                                f"{exc.detail}",
                                attempts,
                                uncertain=True,
                            )
                        )
                if attempts > self.retries:
                    if exc.connecting:
                        raise DispatchError(
                            self.scrub(
                                f"เชื่อมต่อเซิร์ฟเวอร์อีเมล {self.where} ไม่ได้ (cannot connect) "
                                f"หลังลอง {attempts} ครั้ง: {exc.detail}; ฉบับที่ส่งแล้วบันทึกไว้แล้ว "
                                "ตรวจ dispatch.email ใน config.yaml หรือเครือข่าย แล้วรันคำสั่งเดิมอีกครั้ง"
                                + (_uncertain_note(item) if doubled else "")
                            )
                        ) from None
                    return self._failure(
                        item,
                        message_id if doubled else None,
                        f"ส่งไม่ได้ชั่วคราว (temporary failure) หลังลอง {attempts} ครั้ง: {exc.detail}",
                        "รันคำสั่งเดิมอีกครั้งภายหลัง",
                        attempts,
                    )
                self._sleep(self.backoff * 2 ** (attempts - 1))
                continue
            return self._outcome(
                item,
                True,
                message_id,
                f"ส่งทางอีเมลแล้ว (sent) ถึง {item.to}: {reply}{self._doubled_note(doubled)}",
                attempts,
            )

    def _failure(
        self, item: Outgoing, doubted: str | None, reason: str, advice: str, attempts: int
    ) -> Outcome:
        """A failed message: ``reason; advice``. Uncertain instead (under the Message-ID
        ``doubted``) when an earlier attempt of it may have been accepted: trying again is
        then the clerk's decision, not the advice's."""
        if doubted is None:
            return self._outcome(item, False, None, f"{reason}; {advice}", attempts)
        return self._outcome(
            item,
            False,
            doubted,
            "ไม่แน่ใจว่าผู้รับได้รับแล้วหรือไม่ (uncertain): การเชื่อมต่อหลุดหลังส่งเนื้อความ "
            f"ก่อนเซิร์ฟเวอร์ตอบ แล้ว{reason}{_uncertain_note(item)}",
            attempts,
            uncertain=True,
        )

    @staticmethod
    def _doubled_note(doubled: bool) -> str:
        if not doubled:
            return ""
        return (
            " (การเชื่อมต่อหลุดหลังส่งเนื้อความ ก่อนเซิร์ฟเวอร์ตอบ: ส่งใหม่ด้วย Message-ID เดิม "
            "ผู้รับอาจได้ฉบับเดียวกันซ้ำ)"
        )

    def _outcome(
        self,
        item: Outgoing,
        ok: bool,
        message_id: str | None,
        detail: str,
        attempts: int,
        *,
        uncertain: bool = False,
    ) -> Outcome:
        return Outcome(
            item.code, ok, message_id, self.scrub(detail), self.now(), attempts, uncertain
        )

    def _pace(self) -> None:
        """At most ``per_minute`` transactions a minute: each 60/per_minute after the last."""
        now = self._clock()
        if self._last_start is not None:
            wait = self._last_start + self._interval - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_start = now

    def _attempt(self, to: str, data: bytes) -> str:
        """One SMTP transaction; its final reply, or ``_Temporary``/``_Permanent``."""
        smtp = self._connection()
        self._pace()
        try:
            self._expect(smtp.mail(self.envelope_from), "MAIL FROM", (250,), smtp)
            self._expect(smtp.rcpt(to), "RCPT TO", (250, 251), smtp)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Temporary(self._describe(exc)) from None
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPResponseException as exc:  # the DATA command itself, before the body
            self._expect((exc.smtp_code, exc.smtp_error), "DATA", (354,), smtp)
            raise _Permanent(self._reply("DATA", exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Temporary(self._describe(exc), after_body=True) from None
        self._expect((code, reply), "DATA", (250,), smtp)
        return self._reply("DATA", code, reply)

    def _expect(
        self, answer: tuple[int, bytes | str], step: str, good: tuple[int, ...], smtp: smtplib.SMTP
    ) -> None:
        code, reply = answer
        if code in good:
            return
        detail = self._reply(step, code, reply)
        if 400 <= code < 500 or code < 0:
            raise _Temporary(detail)
        try:
            smtp.rset()  # the next recipient starts a clean transaction
        except (smtplib.SMTPException, OSError):
            self._drop()
        raise _Permanent(detail)

    def _reply(self, step: str, code: int, reply: bytes | str) -> str:
        return self.scrub(f"เซิร์ฟเวอร์ตอบ {step} {code} {_text(reply)}")

    def _describe(self, exc: BaseException) -> str:
        # smtplib reports a timeout while reading a reply as a disconnection caused by it.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            what = "หมดเวลารอเซิร์ฟเวอร์ (timeout)"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            what = "การเชื่อมต่อหลุด (connection dropped)"
        elif isinstance(exc, ConnectionRefusedError):
            what = "เซิร์ฟเวอร์ไม่รับการเชื่อมต่อ (connection refused)"
        elif isinstance(exc, ConnectionResetError):
            what = "การเชื่อมต่อถูกตัด (connection reset)"
        else:
            what = "การเชื่อมต่อขัดข้อง (connection error)"
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return self.scrub(f"{what}: {text}" if text else what)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        context = self._ssl_context or ssl.create_default_context()
        s = self.settings
        with self._connecting("greeting"):
            if self._factory is not None:
                extra = {"context": context} if s.security == "ssl" else {}
                smtp = self._factory(s.host, s.port, timeout=self.timeout, **extra)
            elif s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        with self._closing_on_error(smtp):
            self._greet(smtp, context)
        self._smtp = smtp
        return smtp

    @contextmanager
    def _connecting(self, step: str) -> Iterator[None]:
        """A failure while connecting, as the send loop handles it: 4xx, a dropped or refused
        connection are temporary (tried again); 5xx is refused; TLS is its own message."""
        try:
            yield
        except smtplib.SMTPResponseException as exc:
            detail = self._reply(step, exc.smtp_code, exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise _Temporary(detail, connecting=True) from None
            raise self._refused(detail) from None
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Temporary(self._describe(exc), connecting=True) from None

    @contextmanager
    def _closing_on_error(self, smtp: smtplib.SMTP) -> Iterator[None]:
        try:
            yield
        except BaseException:
            smtp.close()
            raise

    def _greet(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        """EHLO, STARTTLS when configured (never falling back to plain text), then AUTH."""
        s = self.settings
        with self._connecting("EHLO/STARTTLS/AUTH"):
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise DispatchError(
                            f"เซิร์ฟเวอร์อีเมล {self.where} ไม่รองรับ STARTTLS (STARTTLS not offered): "
                            "ไม่ส่งแบบไม่เข้ารหัส; "
                            "ตรวจ port และ security ใน dispatch.email ของ config.yaml"
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self._login is not None:
                    smtp.login(*self._login)
            except smtplib.SMTPAuthenticationError as exc:
                user_env, password_env = s.username_env, s.password_env
                raise DispatchError(
                    self.scrub(
                        f"เซิร์ฟเวอร์อีเมล {self.where} ไม่รับการเข้าสู่ระบบ (login refused): "
                        f"{exc.smtp_code} {_text(exc.smtp_error)}; ตรวจตัวแปรสภาพแวดล้อม "
                        f"{user_env} และ {password_env}"
                    )
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise DispatchError(
                    f"เซิร์ฟเวอร์อีเมล {self.where} ไม่รองรับการเข้าสู่ระบบ (AUTH not supported); "
                    "ตรวจ port และ security ใน dispatch.email ของ config.yaml"
                ) from None

    def _refused(self, detail: str) -> DispatchError:
        return DispatchError(
            self.scrub(
                f"เซิร์ฟเวอร์อีเมล {self.where} ปฏิเสธการเชื่อมต่อ (refused): {detail}; "
                "ตรวจ dispatch.email ใน config.yaml"
            )
        )

    def _tls_error(self, exc: ssl.SSLError) -> DispatchError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = exc.verify_message or exc.reason or str(exc)
            return DispatchError(
                f"ใบรับรองของเซิร์ฟเวอร์อีเมล {self.where} ไม่ผ่านการตรวจ "
                f"(certificate verify failed: {reason}): ไม่ได้ส่งอะไร; "
                "ตรวจชื่อ host ใน dispatch.email ของ config.yaml หรือติดต่อผู้ดูแลเซิร์ฟเวอร์"
            )
        return DispatchError(
            f"เชื่อมต่อแบบเข้ารหัสกับ {self.where} ไม่สำเร็จ (TLS failed: {exc.reason or exc}); "
            "ตรวจ port และ security ใน dispatch.email ของ config.yaml"
        )


def _uncertain_note(item: Outgoing) -> str:
    return (
        f"; {item.code} {item.name} อาจได้รับแล้ว (uncertain) บันทึกไว้ในทะเบียนแล้ว ไม่ส่งซ้ำเอง: "
        f"สอบถามผู้รับก่อน ถ้ายังไม่ได้รับ รันคำสั่งเดิมโดยเพิ่ม --resend {item.code} "
        "(ส่งด้วย Message-ID เดิม)"
    )


def _credentials(settings: Email, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """User name and password from the environment variables config.yaml names, or none."""
    names = [n for n in (settings.username_env, settings.password_env) if n]
    if not names:
        return None
    if not (settings.username_env and settings.password_env):
        raise DispatchError(
            "dispatch.email: ต้องระบุทั้ง username_env และ password_env (both or neither) "
            "ใน config.yaml"
        )
    missing = [n for n in names if not environ.get(n)]
    if missing:
        raise DispatchError(
            f"ไม่พบตัวแปรสภาพแวดล้อม (environment variable) {', '.join(missing)}: "
            "ตั้งค่าก่อนส่ง เช่น export " + "=... ".join(missing) + "=... แล้วรันคำสั่งเดิมอีกครั้ง"
        )
    return environ[settings.username_env], environ[settings.password_env]


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


C = TypeVar("C", bound=_Coded)


def pending(items: Sequence[C], done: AbstractSet[str]) -> list[C]:
    """The items still to do: each recipient's first item, unless its code is in ``done``.

    Sending and printing both rely on it for "each recipient once, however often it runs".
    """
    todo: list[C] = []
    seen = set(done)
    for item in items:
        if item.code not in seen:
            seen.add(item.code)
            todo.append(item)
    return todo


def send_all(
    items: Sequence[Outgoing],
    mailer: Mailer,
    *,
    already_sent: set[str],
    on_outcome: Callable[[Outcome], None],
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Send every item whose code is not in ``already_sent``; each outcome as it happens.

    ``on_outcome`` is called before the next message goes, and also, before any reconnect,
    with the uncertain outcome of a message whose connection dropped after its body (the
    returned list holds each item's final outcome only). If it raises (the register cannot be
    written), the run stops there. A missing or malformed address fails its item alone. The
    connection is closed at the end, whatever happens.
    """
    todo = pending(items, already_sent)
    missing = [str(i.attachment) for i in todo if not i.attachment.is_file()]
    if missing:
        raise DispatchError(
            "ไม่พบไฟล์แนบ (missing attachment): "
            + ", ".join(missing)
            + "; สร้างชุดเอกสารใหม่ด้วย letters build แล้วส่งอีกครั้ง ยังไม่ได้ส่งฉบับใด"
        )
    outcomes: list[Outcome] = []
    try:
        for n, item in enumerate(todo, 1):
            if not item.to.strip():
                outcome = Outcome(
                    item.code,
                    False,
                    None,
                    f"ไม่มีที่อยู่อีเมล (no e-mail address) ของ {item.code} {item.name} "
                    "ใน config.yaml: เพิ่ม email แล้วรันคำสั่งเดิมอีกครั้ง หรือพิมพ์ส่งทางไปรษณีย์",
                    mailer.now(),
                    0,
                )
            elif not plain_address(item.to):
                outcome = Outcome(
                    item.code,
                    False,
                    None,
                    f"ที่อยู่อีเมลไม่ถูกต้อง (invalid e-mail address) ของ {item.code} {item.name} "
                    f"ใน config.yaml: '{visible(item.to)}' ไม่ใช่ที่อยู่เดียว; แก้ email ให้เป็น "
                    "ที่อยู่เดียว เช่น saraban@amphoe.go.th แล้วรันคำสั่งเดิมอีกครั้ง",
                    mailer.now(),
                    0,
                )
            else:
                outcome = mailer.send(item, on_uncertain=on_outcome)
            on_outcome(outcome)
            outcomes.append(outcome)
            if progress is not None:
                progress(n, len(todo), item.name)
    finally:
        mailer.close()
    return outcomes


def exit_status(outcomes: Sequence[Outcome]) -> int:
    """0 when every message went, 1 when any failed."""
    return 0 if all(o.ok for o in outcomes) else 1


def summary(
    outcomes: Sequence[Outcome],
    skipped: int = 0,
    *,
    held: Sequence[Outgoing] = (),
    command: str = "letters send DIRECTIVE --yes",
) -> str:
    """The run's last words: how many went, which failed and why, which are uncertain.

    ``held``: recipients not sent because an earlier run left them uncertain; ``command``
    the command that sends, for the ``--resend`` it tells the clerk to add.
    """
    sent = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok and not o.uncertain]
    uncertain = [o for o in outcomes if o.uncertain]
    counts = f"ส่งแล้ว (sent) {len(sent)} ฉบับ, ไม่สำเร็จ (failed) {len(failed)} ฉบับ, "
    if uncertain:
        counts += f"ไม่แน่ใจว่าได้รับ (uncertain) {len(uncertain)} ฉบับ, "
    lines = [counts + f"ข้ามเพราะส่งไปแล้ว (already sent) {skipped} ฉบับ"]
    lines += [f"  {o.code}: {visible(o.detail, 2000)}" for o in failed + uncertain]
    if failed:
        lines.append("รันคำสั่งเดิมอีกครั้งเพื่อส่งเฉพาะฉบับที่ยังไม่สำเร็จ")
    if held:
        lines.append(_held_lines(held))
    if uncertain or held:
        codes = sorted({o.code for o in uncertain} | {i.code for i in held})
        lines.append(_resend_hint(codes, command))
    return "\n".join(lines)


def _held_lines(held: Sequence[Outgoing]) -> str:
    lines = [
        f"ไม่ได้ส่ง (not sent) {len(held)} ฉบับ: ครั้งก่อนการเชื่อมต่อหลุดหลังส่งเนื้อความ "
        "ไม่แน่ใจว่าผู้รับได้รับแล้วหรือไม่ (uncertain)"
    ]
    lines += [f"  {i.code} {i.name}: Message-ID {i.message_id}" for i in held]
    return "\n".join(lines)


def _resend_hint(codes: Sequence[str], command: str) -> str:
    resend = "".join(f" --resend {code}" for code in codes)
    return (
        "สอบถามผู้รับว่าได้รับหนังสือแล้วหรือไม่; ถ้ายังไม่ได้รับ ส่งอีกครั้ง (ด้วย Message-ID เดิม "
        f"ระบบของผู้รับจึงตัดฉบับซ้ำได้): {command}{resend}"
    )


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} ไบต์ (bytes)"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} กิโลไบต์ (KB)"
    return f"{n / (1024 * 1024):.1f} เมกะไบต์ (MB)"


def dry_run(
    items: Sequence[Outgoing],
    already_sent: set[str],
    command: str,
    held: AbstractSet[str] = frozenset(),
) -> str:
    """What ``--yes`` would send, recipient by recipient, and the command that sends it.

    ``held``: codes an earlier run left uncertain, which ``--yes`` does not send.
    """
    pending = [i for i in items if i.code not in already_sent and i.code not in held]
    done = sum(1 for i in items if i.code in already_sent)
    waiting = [i for i in items if i.code in held and i.code not in already_sent]
    head = f"ยังไม่ได้ส่ง (dry run): จะส่งอีเมล {len(pending)} ฉบับ, ส่งไปแล้ว {done} ฉบับ (already sent)"
    if waiting:
        head += f", ไม่แน่ใจว่าได้รับ {len(waiting)} ฉบับ (uncertain): ไม่ส่ง"
    lines = [head]
    for item in items:
        if item.code in already_sent:
            mark = "  [ส่งแล้ว (already sent): ไม่ส่งซ้ำ]"
        elif item.code in held:
            mark = f"  [ไม่แน่ใจว่าได้รับ (uncertain): ไม่ส่ง เว้นแต่ --resend {item.code}]"
        elif item.message_id:
            mark = "  [ส่งอีกครั้งด้วย Message-ID เดิม (resend, same Message-ID)]"
        else:
            mark = ""
        try:
            size = _size(item.attachment.stat().st_size)
        except OSError:
            size = "ไม่พบไฟล์ (missing): สร้างใหม่ด้วย letters build"
        if not item.to.strip():
            to = "ไม่มีที่อยู่อีเมล (no e-mail address) ใน config.yaml"
        elif not plain_address(item.to):
            to = f"'{visible(item.to)}' ที่อยู่ไม่ถูกต้อง (invalid e-mail address): แก้ใน config.yaml"
        else:
            to = item.to
        lines += [
            f"{item.code} {item.name}{mark}",
            f"    ถึง (to): {to}",
            f"    เรื่อง (subject): {item.subject}",
            f"    แนบ (attachment): {item.attachment.name}, {size}",
        ]
    if waiting:
        lines.append(_held_lines(waiting))
        lines.append(_resend_hint([i.code for i in waiting], command))
    lines.append(f"ส่งจริง (to send): {command}")
    return "\n".join(lines)


# -- letters send ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """What the last build of a directive left, as its manifest lists it."""

    folder: Path
    bundles: dict[str, tuple[Path, str, str]]  # code -> (bundle path, sha256, number line)


def last_built(folder: Path, directive_id: str) -> Built:
    """Read the build's manifest; refuse drafts, other directives, and altered bundles."""
    import hashlib
    import json

    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DispatchError(
            f"{manifest_path}: ไม่พบผลการสร้างหนังสือ (no build found): สั่ง letters build ก่อนส่ง"
        ) from None
    if manifest.get("draft") or manifest.get("register_id") != directive_id:
        raise DispatchError(
            f"{folder}: ไม่ใช่หนังสือฉบับจริงของ directive นี้ (a draft or another letter): "
            "สั่ง letters build (ไม่ใช่ --draft) แล้วส่งใหม่"
        )
    bundles = {}
    for entry in manifest["recipients"]:
        for file in entry["files"]:
            if file["format"] != "bundle":
                continue
            path = folder / file["path"]
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                digest = ""
            if digest != file["sha256"]:
                raise DispatchError(
                    f"{path}: ไฟล์ไม่ตรงกับที่สร้างไว้ (missing or changed since the build): "
                    "สั่ง letters build ใหม่แล้วส่งอีกครั้ง ยังไม่ได้ส่งฉบับใด"
                )
            bundles[entry["code"]] = (path, file["sha256"], entry["number"])
    return Built(folder, bundles)


def built_for(reg: Register, letter: Letter, directive: Path, out: Path | None) -> Built:
    """The last numbered build of ``letter`` (``out`` names another folder)."""
    did = reg.identity(letter.path)
    folder = out or reg.last_build(did)
    if folder is None:
        raise DispatchError(
            f"{directive}: ยังไม่ได้สร้างหนังสือฉบับจริง (not built): สั่ง letters build ก่อนส่งหรือพิมพ์"
        )
    return last_built(folder, did)


@dataclass(frozen=True)
class SendResult:
    text: str
    exit_code: int


def send_directive(
    directive: Path,
    config: Path | None = None,
    *,
    register: Path | None = None,
    out: Path | None = None,
    yes: bool = False,
    resend: Sequence[str] = (),
    environ: Mapping[str, str],
    smtp_factory: Callable[..., smtplib.SMTP] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> SendResult:
    """``letters send``: a dry run listing, or (``yes``) each recipient's bundle by e-mail.

    Every outcome goes to the register as it happens; recipients the register says were sent
    are skipped, so each district gets exactly one copy however often the clerk runs this.
    Recipients the register says are uncertain (the connection dropped after the body) are
    listed and not sent. ``resend`` names recipients to send again on purpose: an uncertain
    one under the Message-ID it had, one already sent under a new one.
    """
    from letters.build import register_path
    from letters.directive import load_letter
    from letters.register import EMAIL, Register

    letter = load_letter(directive, config)
    settings = letter.config.model.dispatch.email
    if settings is None:
        raise DispatchError(
            f"{letter.config.path}: ไม่มี dispatch.email (no e-mail settings): "
            "เพิ่ม host, port, security, sender ใน config.yaml"
        )
    with Register(register_path(letter.config, register), create=False) as reg:
        did = reg.identity(letter.path)
        built = built_for(reg, letter, directive, out)
        members = {m.code: m for m in letter.recipients}
        wanted = {thai.arabic_digits(c) for c in resend}
        unknown = sorted(wanted - set(built.bundles))
        if unknown:
            raise DispatchError(
                f"--resend: ไม่มีผู้รับรหัส {', '.join(unknown)} ในหนังสือนี้ (unknown recipient)"
            )
        sent = reg.sent(did, EMAIL)
        doubtful = {c: m for c, m in reg.uncertain(did, EMAIL).items() if c not in sent}
        items = [
            replace(outgoing(letter, members[code], number, path), message_id=doubtful.get(code))
            for code, (path, _sha, number) in built.bundles.items()
            if code in members and (not wanted or code in wanted)
        ]
        already = sent - wanted
        held = {code for code in doubtful if code not in wanted}
        command = f"letters send {directive} --yes"
        if not yes:
            named = command + "".join(f" --resend {c}" for c in sorted(wanted))
            return SendResult(dry_run(items, already, named, held), 0)
        skipped = sum(1 for item in items if item.code in already)
        waiting = [item for item in items if item.code in held]

        def record(outcome: Outcome) -> None:
            reg.record_action(
                did,
                outcome.code,
                EMAIL,
                outcome.at,
                outcome.message_id,
                outcome.ok,
                detail=None if outcome.ok else outcome.detail,
                uncertain=outcome.uncertain,
            )

        mailer = Mailer(
            settings, environ=environ, smtp_factory=smtp_factory, ssl_context=ssl_context
        )
        outcomes = send_all(
            items, mailer, already_sent=already | held, on_outcome=record, progress=progress
        )
    text = summary(outcomes, skipped, held=waiting, command=command)
    return SendResult(text, 1 if waiting else exit_status(outcomes))
