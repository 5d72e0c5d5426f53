"""SMTP delivery: one ``Mailer`` for a run sends one message at a time and says what
happened to it (``Outcome``).

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
"""

from __future__ import annotations

import email.errors
import errno
import ipaddress
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from letters.config import Email
from letters.errors import DispatchError
from letters.message import Outgoing, compose, local_now, new_message_id, sender_address

log = logging.getLogger(__name__)

_MASK = "********"


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


class _Temporary(Exception):
    """Worth trying again: a 4xx reply, a dropped or refused connection, a timeout."""

    def __init__(self, detail: str, *, connecting: bool = False, after_body: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.connecting = connecting
        self.after_body = after_body


class _Permanent(Exception):
    """A 5xx reply for this message: trying again gives the same answer.

    ``step``: the command answered (``MAIL FROM``, ``RCPT TO``, ``DATA``); ``code`` the reply's.
    """

    def __init__(self, detail: str, step: str = "", code: int = 0, reply: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.step = step
        self.code = code
        self.reply = reply

    @property
    def about_recipient(self) -> bool:
        """Whether the server refused the address (RCPT TO, or an X.1.X status: RFC 3463)."""
        return self.step == "RCPT TO" or self.reply.startswith(("5.1.", "4.1."))


def _rejected(item: Outgoing, exc: _Permanent) -> tuple[str, str]:
    """The reason and the advice for a refused message, blaming the address only when the
    server refused the address."""
    if exc.about_recipient:
        return (
            f"ส่งไม่ได้ (rejected): ถึง {item.to}: {exc.detail}",
            "แก้ที่อยู่ใน config.yaml หรือสอบถามผู้ดูแลเซิร์ฟเวอร์ แล้วรันคำสั่งเดิมอีกครั้ง",
        )
    if exc.step == "MAIL FROM":
        return (
            f"เซิร์ฟเวอร์อีเมลไม่รับผู้ส่ง (sender refused) ถึง {item.to}: {exc.detail}",
            "ตรวจ dispatch.email.sender ใน config.yaml หรือสอบถามผู้ดูแลเซิร์ฟเวอร์ แล้วรันคำสั่งเดิมอีกครั้ง",
        )
    if exc.code == 552 or exc.reply.startswith("5.3.4"):
        return (
            f"เซิร์ฟเวอร์อีเมลไม่รับ เพราะไฟล์แนบใหญ่เกิน (message too large) ถึง {item.to}: {exc.detail}",
            "ที่อยู่ผู้รับไม่ผิด: ลดขนาดสิ่งที่ส่งมาด้วยแล้ว letters build ใหม่ หรือพิมพ์ส่งทางไปรษณีย์ด้วย letters print",
        )
    return (
        f"เซิร์ฟเวอร์อีเมลไม่รับหนังสือฉบับนี้ (server refused the message) ถึง {item.to}: {exc.detail}",
        "ที่อยู่ผู้รับไม่ผิด: แจ้งข้อความของเซิร์ฟเวอร์นี้ให้ผู้ดูแลเซิร์ฟเวอร์อีเมลของสำนักงาน แล้วรันคำสั่งเดิมอีกครั้ง",
    )


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
        now: Callable[[], datetime] = local_now,
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
                f"{_header_fault(exc)}; แก้เรื่อง (subject) ใน directive หรือ email ใน config.yaml "
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
                reason, advice = _rejected(item, exc)
                return self._failure(
                    item, message_id if doubled else None, reason, advice, attempts
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
            raise _Permanent(
                self._reply("DATA", exc.smtp_code, exc.smtp_error),
                "DATA",
                exc.smtp_code,
                _text(exc.smtp_error),
            ) from None
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
        raise _Permanent(detail, step, code, _text(reply))

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
            number = exc.errno if isinstance(exc, OSError) else None
            name = errno.errorcode.get(number or 0)
            what = f"การเชื่อมต่อขัดข้อง (connection error{': ' + name if name else ''})"
        # The words above say it: no exception's own text (English, Python's) for a clerk.
        return what

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


def _header_fault(exc: Exception) -> str:
    """Why the message could not be written, in words (not the e-mail library's English)."""
    if "linefeed" in str(exc) or "carriage return" in str(exc):
        return "หัวอีเมลมีการขึ้นบรรทัดใหม่ (line break in a header)"
    return "หัวอีเมลมีอักขระที่ใช้ไม่ได้ (invalid character in a header)"


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
