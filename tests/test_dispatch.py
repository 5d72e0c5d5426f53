"""E-mail dispatch against a real SMTP server on 127.0.0.1 (aiosmtpd, see smtpserver.py).

Every message is parsed back from the bytes the server received. Time is a fake clock the
mailer sleeps on, so back-off and the rate limit cost no waiting; the server notes each
message's arrival on the same clock.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import logging
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import CONFIG, EXAMPLE, Prebuilt
from pypdf import PdfWriter
from smtpserver import HOST, Certificate, Mailbox, certificate, free_port, smtp_server

from letters.config import Email, Member, load_config
from letters.directive import Letter, load_letter
from letters.dispatch import dry_run, exit_status, send_all, summary
from letters.errors import DispatchError
from letters.mailer import Mailer, Outcome
from letters.message import Outgoing, outgoing

USER = "saraban@cd.nongkhai.example"
PASSWORD = "Zebra-7731-quokka-PW"  # distinctive: grepped for in everything shown
ENV = {"LETTERS_SMTP_USER": USER, "LETTERS_SMTP_PASSWORD": PASSWORD}
NUMBER = "ที่ นค ๐๐๑๙.๔/ว ๑๙๓"
SUBJECT = (
    "ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง การปฏิบัติการสื่อสารของกระทรวงมหาดไทยผ่านแอปพลิเคชันไลน์แอด (Line@) @มหาดไทย"
)


@dataclass
class FakeTime:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Office:
    letter: Letter
    members: list[Member]
    items: list[Outgoing]
    email: Email

    def address(self, code: str) -> str:
        return next(m.email for m in self.members if m.code == code) or ""


def _pdf(path: Path, title: str) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """The example directive and the office's config; one small bundle PDF per district, Thai
    names."""
    config = load_config(CONFIG)
    letter = load_letter(EXAMPLE / "directive.yaml", config.path)
    members = list(config.model.recipients["amphoe"].members)
    assert len(members) == 9
    folder = tmp_path / "bundles"
    folder.mkdir()
    items = []
    for member in members:
        path = folder / f"{member.code}-{member.name}.pdf"
        _pdf(path, f"bundle {member.code}")
        items.append(outgoing(letter, member, NUMBER, path))
    email = config.model.dispatch.email
    assert email is not None
    return Office(letter, members, items, email)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return certificate(tmp_path_factory.mktemp("cert"))


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mailbox(clock: FakeTime) -> Mailbox:
    return Mailbox(clock=clock.clock)


@pytest.fixture
def server(mailbox: Mailbox, cert: Certificate) -> Iterator[int]:
    """STARTTLS required, then AUTH required: the reference config's way of sending."""
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        yield port


def _mailer(
    office: Office,
    port: int,
    clock: FakeTime,
    cert: Certificate | None,
    **changes: Any,
) -> Mailer:
    settings = office.email.model_copy(update={"port": port, **changes})
    return Mailer(
        settings,
        environ=ENV,
        sleep=clock.sleep,
        clock=clock.clock,
        ssl_context=cert.client_context() if cert else None,
    )


def _send(
    office: Office, mailer: Mailer, already_sent: set[str] | None = None
) -> tuple[list[Outcome], list[Outcome]]:
    told: list[Outcome] = []
    returned = send_all(
        office.items, mailer, already_sent=already_sent or set(), on_outcome=told.append
    )
    return told, returned


def _copies(office: Office, mailbox: Mailbox) -> dict[str, int]:
    """How many messages each district holds on the server."""
    counts = Counter(r.rcpt_tos[0] for r in mailbox.received)
    return {m.code: counts[m.email or ""] for m in office.members}


def _one_each(office: Office) -> dict[str, int]:
    return {m.code: 1 for m in office.members}


def _decoded(raw: bytes, name: str) -> str:
    """A header decoded by RFC 2047's rule: the space between adjacent encoded words goes.

    (Python 3.11's address-header parser keeps that space inside display names, CPython
    gh-128110; the older ``decode_header`` follows the RFC.)
    """
    value = email.message_from_bytes(raw, policy=email.policy.compat32)[name]
    return str(make_header(decode_header(value)))


def _parts(message: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_content_type(): part for part in message.walk()}


def test_every_district_gets_its_bundle_as_sent(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    told, outcomes = _send(office, _mailer(office, server, clock, cert))
    assert told == outcomes
    assert [o.code for o in outcomes] == [m.code for m in office.members]
    assert all(o.ok and o.attempts == 1 for o in outcomes), outcomes
    assert exit_status(outcomes) == 0
    assert _copies(office, mailbox) == _one_each(office)
    by_address = {r.rcpt_tos[0]: r for r in mailbox.received}
    for item, outcome in zip(office.items, outcomes, strict=True):
        received = by_address[item.to]
        assert received.secure and received.login == USER.encode()
        assert received.mail_from == "saraban@cd.nongkhai.example"
        message = received.message
        assert message["To"] == item.to
        assert message["Subject"] == SUBJECT
        assert _decoded(received.raw, "From") == (
            "สำนักงานพัฒนาชุมชนจังหวัดหนองคาย <saraban@cd.nongkhai.example>"
        )
        assert message["Message-ID"] == outcome.message_id
        assert outcome.message_id is not None
        assert outcome.message_id.endswith("@cd.nongkhai.example>")
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        # The headers travel as 7-bit ASCII: Thai only in encoded words (RFC 2047, 2231).
        head = received.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii() and b"=?utf-8?" in head
        assert b"filename*" in received.raw
        parts = _parts(message)
        assert set(parts) >= {"multipart/alternative", "text/plain", "text/html"}
        text = parts["text/plain"].get_content()
        member = next(m for m in office.members if m.code == item.code)
        assert text.startswith(f"เรียน {member.title}")  # the district's head, by name
        assert "จังหวัดหนองคาย ขอส่งหนังสือ" in text  # from the province, not its ศาลากลาง
        assert item.attachment_name in text
        assert "โทร/โทรสาร ๐-๔๒๔๑-๑๑๘๒" in text
        assert "saraban@cd.nongkhai.example" in text
        assert "<p>" in parts["text/html"].get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        # Named after the letter (its number and subject), not after the district.
        assert attachment.get_filename() == item.attachment_name
        assert str(attachment.get_filename()).startswith("นค ๐๐๑๙.๔-ว ๑๙๓ การปฏิบัติการ")
        assert attachment.get_content() == item.attachment.read_bytes()
    assert {m.message_id for m in outcomes} == {r.message["Message-ID"] for r in mailbox.received}


def test_running_again_sends_nothing(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    _, first = _send(office, _mailer(office, server, clock, cert))
    sent = {o.code for o in first if o.ok}
    transactions = mailbox.transactions
    told, again = _send(office, _mailer(office, server, clock, cert), sent)
    assert told == again == []
    assert mailbox.transactions == transactions
    assert _copies(office, mailbox) == _one_each(office)


def test_each_outcome_is_told_before_the_next_message(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    """A run that dies after message 5 has told outcomes 1-5; the re-run sends 6-9 only."""
    recorded: list[Outcome] = []

    def register(outcome: Outcome) -> None:
        assert len(mailbox.received) == len(recorded) + 1  # this message, not the next
        recorded.append(outcome)
        if len(recorded) == 5:
            raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        send_all(
            office.items,
            _mailer(office, server, clock, cert),
            already_sent=set(),
            on_outcome=register,
        )
    assert len(recorded) == 5 and len(mailbox.received) == 5
    shown: list[tuple[int, int, str]] = []
    rest = send_all(
        office.items,
        _mailer(office, server, clock, cert),
        already_sent={o.code for o in recorded},
        on_outcome=lambda o: None,
        progress=lambda done, total, name: shown.append((done, total, name)),
    )
    assert [o.code for o in rest] == [m.code for m in office.members[5:]]
    assert shown == [(i, 4, m.name) for i, m in enumerate(office.members[5:], 1)]
    assert _copies(office, mailbox) == _one_each(office)


def test_dropped_connection_after_three_messages(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    mailbox.drop_after = 3
    _, outcomes = _send(office, _mailer(office, server, clock, cert, per_minute=6000))
    assert [o.attempts for o in outcomes] == [1, 1, 1, 2, 1, 1, 1, 1, 1]
    assert all(o.ok for o in outcomes)
    assert "ซ้ำ" not in outcomes[3].detail  # dropped before the body: no doubt about it
    assert [s for s in clock.sleeps if s > 1] == [2.0]  # the back-off before reconnecting
    mailbox.healthy()
    _, again = _send(office, _mailer(office, server, clock, cert), {o.code for o in outcomes})
    assert again == []
    assert _copies(office, mailbox) == _one_each(office)


def test_451_then_250_is_retried(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    mailbox.temporary_first = True
    _, outcomes = _send(office, _mailer(office, server, clock, cert, per_minute=6000))
    assert all(o.ok and o.attempts == 2 for o in outcomes), outcomes
    assert [s for s in clock.sleeps if s > 1] == [2.0] * 9  # one back-off per recipient
    assert _copies(office, mailbox) == _one_each(office)
    mailbox.healthy()
    _, again = _send(office, _mailer(office, server, clock, cert), {o.code for o in outcomes})
    assert again == []
    assert _copies(office, mailbox) == _one_each(office)


def test_550_for_one_address_fails_that_recipient_only(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    bad = office.address("4305")
    mailbox.reject = {bad: "550 5.1.1 Mailbox unavailable"}
    told, outcomes = _send(office, _mailer(office, server, clock, cert))
    failed = [o for o in outcomes if not o.ok]
    assert [o.code for o in failed] == ["4305"]
    assert failed[0].attempts == 1  # permanent: not retried
    assert "550 5.1.1 Mailbox unavailable" in failed[0].detail and bad in failed[0].detail
    assert failed[0].message_id is None
    assert told == outcomes and len(outcomes) == 9
    assert exit_status(outcomes) == 1
    assert "ไม่สำเร็จ (failed) 1 ฉบับ" in summary(outcomes) and "4305" in summary(outcomes)
    assert _copies(office, mailbox) == {**_one_each(office), "4305": 0}
    # The clerk has the address fixed and runs the command again: only 4305 goes.
    mailbox.healthy()
    _, again = _send(
        office, _mailer(office, server, clock, cert), {o.code for o in outcomes if o.ok}
    )
    assert [(o.code, o.ok) for o in again] == [("4305", True)]
    assert exit_status(again) == 0
    assert _copies(office, mailbox) == _one_each(office)


@dataclass
class _RefusingMailbox(Mailbox):
    """Accepts every address, then refuses some messages after their body (DATA)."""

    refuse_body: dict[str, str] = field(default_factory=dict)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        (rcpt,) = envelope.rcpt_tos
        if rcpt in self.refuse_body:
            return self.refuse_body[rcpt]
        return await super().handle_DATA(server, session, envelope)


def test_server_refusing_the_message_is_not_blamed_on_the_address(
    office: Office, clock: FakeTime, cert: Certificate
) -> None:
    """550 at RCPT is about the address; 554 or 552 after the body is the server's refusal
    of the message: the clerk is not sent to config.yaml to fix a good address."""
    mailbox = _RefusingMailbox(clock=clock.clock, reject={office.address("4301"): "550 5.1.1 no"})
    mailbox.refuse_body = {
        office.address("4302"): "554 5.7.1 Message rejected: spam score too high",
        office.address("4305"): "552 5.3.4 Message size exceeds fixed limit",
    }
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        _, outcomes = _send(office, _mailer(office, port, clock, cert))
    failed = {o.code: o for o in outcomes if not o.ok}
    assert sorted(failed) == ["4301", "4302", "4305"]
    assert all(o.attempts == 1 for o in failed.values())
    assert "แก้ที่อยู่ใน config.yaml" in failed["4301"].detail
    for code in ("4302", "4305"):
        detail = failed[code].detail
        assert "แก้ที่อยู่" not in detail and "ที่อยู่ผู้รับไม่ผิด" in detail, detail
        assert "DATA 55" in detail
    assert "server refused the message" in failed["4302"].detail
    assert "spam score too high" in failed["4302"].detail
    assert "message too large" in failed["4305"].detail and "letters print" in failed["4305"].detail
    assert "ที่อยู่ผู้รับไม่ผิด" in summary(outcomes)


def test_temporary_failures_are_retried_a_bounded_number_of_times(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    mailbox.reject = {office.address("4302"): "451 4.7.1 Greylisted, try later"}
    _, outcomes = _send(office, _mailer(office, server, clock, cert, per_minute=6000))
    failed = [o for o in outcomes if not o.ok]
    assert [(o.code, o.attempts) for o in failed] == [("4302", 4)]
    assert "451 4.7.1" in failed[0].detail
    assert [s for s in clock.sleeps if s > 1] == [2.0, 4.0, 8.0]
    assert len(mailbox.received) == 8
    mailbox.healthy()
    _, again = _send(
        office, _mailer(office, server, clock, cert), {o.code for o in outcomes if o.ok}
    )
    assert [o.code for o in again] == ["4302"]
    assert _copies(office, mailbox) == _one_each(office)


def test_connection_lost_after_the_body_resends_under_the_same_message_id(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    """The server kept the body but its "250" never came: the one case that may double.

    The tool resends (a district must not miss the letter) under the same Message-ID, so
    both copies are one message to the district's mail system, and says so in the outcome.
    """
    doubtful = office.address("4307")
    mailbox.drop_after_body = {doubtful}
    told, outcomes = _send(office, _mailer(office, server, clock, cert))
    assert all(o.ok for o in outcomes)
    outcome = next(o for o in outcomes if o.code == "4307")
    assert outcome.attempts == 2 and "ซ้ำ" in outcome.detail
    copies = mailbox.to(doubtful)
    assert len(copies) == 2
    assert {c.message["Message-ID"] for c in copies} == {outcome.message_id}
    assert _copies(office, mailbox) == {**_one_each(office), "4307": 2}
    # The doubt was told first (the register keeps it), then the copy the server confirmed.
    assert [(o.ok, o.uncertain, o.message_id) for o in told if o.code == "4307"] == [
        (False, True, outcome.message_id),
        (True, False, outcome.message_id),
    ]


def test_connection_lost_after_the_body_then_no_server_is_told_before_giving_up(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    """The server kept the body, the "250" never came, and the server is gone: the run stops,
    and the doubt about that district has been told (for the register) before the first
    reconnect, with the Message-ID the district may hold."""
    doubtful = office.address("4307")
    mailbox.drop_after_body = {doubtful}
    mailbox.down_after_drop = True
    told: list[Outcome] = []

    def register(outcome: Outcome) -> None:
        if outcome.code == "4307":
            assert [s for s in clock.sleeps if s > 1] == []  # no back-off, no reconnect yet
        told.append(outcome)

    mailer = _mailer(office, server, clock, cert, per_minute=6000)
    with pytest.raises(DispatchError) as stopped:
        send_all(office.items, mailer, already_sent=set(), on_outcome=register)
    assert [o.code for o in told] == [m.code for m in office.members[:4]]
    assert all(o.ok for o in told[:3])
    doubt = told[-1]
    assert not doubt.ok and doubt.uncertain and doubt.attempts == 1
    (copy,) = mailbox.to(doubtful)
    assert copy.message["Message-ID"] == doubt.message_id
    assert [s for s in clock.sleeps if s > 1] == [2.0, 4.0, 8.0]  # then it tried to reconnect
    message = str(stopped.value)
    assert "connection refused" in message
    assert "4307" in message and "uncertain" in message and "--resend 4307" in message


@pytest.mark.parametrize(
    "address",
    [
        "saraban@amphoe4305.nongkhai.example\r\nBcc: x@attacker.example",
        "not an address",
        "saraban@amphoe4305.nongkhai.example, other@nongkhai.example",
        "saraban@amphoe4305.nongkhai.example\x1b[2J",
        "<saraban@amphoe4305.nongkhai.example>",
        "อำเภอ@nongkhai.example",
    ],
)
def test_malformed_address_fails_that_district_alone(
    office: Office,
    server: int,
    mailbox: Mailbox,
    clock: FakeTime,
    cert: Certificate,
    address: str,
) -> None:
    """An address that is not one plain address (config.yaml edited after the check) fails
    its district with the reason; the others go; a re-run sends nothing twice."""
    items = [
        Outgoing(**{**item.__dict__, "to": address}) if item.code == "4305" else item
        for item in office.items
    ]
    told: list[Outcome] = []
    outcomes = send_all(
        items,
        _mailer(office, server, clock, cert, per_minute=6000),
        already_sent=set(),
        on_outcome=told.append,
    )
    assert told == outcomes
    assert [(o.code, o.ok) for o in outcomes if not o.ok] == [("4305", False)]
    failed = next(o for o in outcomes if not o.ok)
    assert "invalid e-mail address" in failed.detail and "config.yaml" in failed.detail
    assert failed.attempts == 0 and failed.message_id is None
    assert all(c.isprintable() for c in summary(outcomes).replace("\n", ""))
    assert _copies(office, mailbox) == {**_one_each(office), "4305": 0}
    assert len(mailbox.received) == 8 and not any(
        "attacker" in r.raw.decode("ascii", "replace") for r in mailbox.received
    )
    again = send_all(
        items,
        _mailer(office, server, clock, cert),
        already_sent={o.code for o in outcomes if o.ok},
        on_outcome=lambda o: None,
    )
    assert [(o.code, o.ok) for o in again] == [("4305", False)]
    assert len(mailbox.received) == 8


def test_message_that_cannot_be_written_fails_that_district_alone(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    """A line break in a header (a subject edited after the check) is no crash: that
    district fails with the reason, the others go."""
    items = [
        Outgoing(**{**item.__dict__, "subject": "ที่ ๑ เรื่อง ก\r\nBcc: x@attacker.example"})
        if item.code == "4302"
        else item
        for item in office.items
    ]
    outcomes = send_all(
        items,
        _mailer(office, server, clock, cert, per_minute=6000),
        already_sent=set(),
        on_outcome=lambda o: None,
    )
    assert [o.code for o in outcomes if not o.ok] == ["4302"]
    assert "cannot compose the message" in outcomes[1].detail
    assert "line break in a header" in outcomes[1].detail
    assert "linefeed" not in outcomes[1].detail  # the e-mail library's own words
    assert _copies(office, mailbox) == {**_one_each(office), "4302": 0}


def test_rate_limit_on_the_fake_clock(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    _, outcomes = _send(office, _mailer(office, server, clock, cert, per_minute=3))
    assert all(o.ok for o in outcomes)
    arrivals = mailbox.arrivals
    assert len(arrivals) == 9
    # At most 3 in any minute: every 4th message arrives a full minute after the 1st before it.
    assert all(later - first >= 60 for first, later in zip(arrivals, arrivals[3:], strict=False))
    assert arrivals[-1] - arrivals[0] == pytest.approx(8 * 20)  # evenly spaced, no more wait
    assert clock.sleeps == pytest.approx([20.0] * 8)


def test_untrusted_certificate_stops_before_anything_is_sent(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, tmp_path: Path
) -> None:
    # The default: the system's trusted authorities, which never signed the test certificate.
    with pytest.raises(DispatchError) as system:
        _send(office, _mailer(office, server, clock, None))
    other = certificate(tmp_path / "other")  # trusting another certificate for 127.0.0.1
    with pytest.raises(DispatchError) as stranger:
        _send(office, _mailer(office, server, clock, other))
    for error in (system.value, stranger.value):
        assert "ใบรับรอง" in str(error) and "certificate verify failed" in str(error)
    assert mailbox.received == [] and mailbox.transactions == 0


def test_starttls_is_never_skipped(
    office: Office, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    with smtp_server(mailbox) as port, pytest.raises(DispatchError, match="STARTTLS"):
        _send(office, _mailer(office, port, clock, cert))
    assert mailbox.received == []


def test_implicit_tls(office: Office, mailbox: Mailbox, clock: FakeTime, cert: Certificate) -> None:
    with smtp_server(mailbox, implicit_tls=cert, auth=(USER, PASSWORD)) as port:
        _, outcomes = _send(office, _mailer(office, port, clock, cert, security="ssl"))
    assert all(o.ok for o in outcomes)
    assert _copies(office, mailbox) == _one_each(office)
    assert all(r.secure and r.login == USER.encode() for r in mailbox.received)


def test_no_encryption_only_to_loopback(office: Office, mailbox: Mailbox, clock: FakeTime) -> None:
    def never(*args: object, **kwargs: object) -> Any:
        raise AssertionError("no connection may be made")

    for host in ("smtp.nongkhai.example", "10.0.0.25", "192.0.2.7"):
        settings = office.email.model_copy(update={"host": host, "security": "none"})
        with pytest.raises(DispatchError, match="loopback") as refused:
            Mailer(settings, environ=ENV, smtp_factory=never)
        assert host in str(refused.value)
    # On this machine's own address it is allowed: a local relay.
    with smtp_server(mailbox) as port:
        settings = office.email.model_copy(
            update={"port": port, "security": "none", "username_env": None, "password_env": None}
        )
        mailer = Mailer(settings, environ={}, sleep=clock.sleep, clock=clock.clock)
        _, outcomes = _send(office, mailer)
    assert all(o.ok for o in outcomes) and len(mailbox.received) == 9


def test_missing_environment_variable_is_named(office: Office) -> None:
    with pytest.raises(DispatchError) as missing:
        Mailer(office.email, environ={"LETTERS_SMTP_USER": USER})
    assert "LETTERS_SMTP_PASSWORD" in str(missing.value)
    assert USER not in str(missing.value)


def test_unreachable_server_stops_the_run(office: Office, clock: FakeTime) -> None:
    port = free_port()  # nothing listens there
    told: list[Outcome] = []
    settings = office.email.model_copy(update={"port": port})
    mailer = Mailer(settings, environ=ENV, sleep=clock.sleep, clock=clock.clock)
    with pytest.raises(DispatchError, match="connection refused") as stopped:
        send_all(office.items, mailer, already_sent=set(), on_outcome=told.append)
    assert "Connection refused" not in str(stopped.value)  # the system's own English
    assert told == []
    assert clock.sleeps == [2.0, 4.0, 8.0]


def test_silent_server_times_out(office: Office, clock: FakeTime) -> None:
    with socket.socket() as listener:  # accepts connections (the kernel does) and never speaks
        listener.bind((HOST, 0))
        listener.listen(4)
        settings = office.email.model_copy(update={"port": listener.getsockname()[1]})
        mailer = Mailer(
            settings, environ=ENV, sleep=clock.sleep, clock=clock.clock, timeout=0.2, retries=1
        )
        with pytest.raises(DispatchError, match="timeout"):
            send_all(office.items, mailer, already_sent=set(), on_outcome=lambda o: None)
    assert clock.sleeps == [2.0]


def test_password_never_shown(
    office: Office,
    server: int,
    mailbox: Mailbox,
    clock: FakeTime,
    cert: Certificate,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    # A server that echoes the password in a reply (as a careless one might): scrubbed.
    mailbox.reject = {
        office.address("4301"): f"550 5.7.1 no relay for {PASSWORD}",
        office.address("4302"): f"451 4.3.0 busy {PASSWORD}",
    }
    _, outcomes = _send(office, _mailer(office, server, clock, cert))
    assert [o.ok for o in outcomes[:2]] == [False, False] and all(o.ok for o in outcomes[2:])
    assert "********" in outcomes[0].detail
    shown = [repr(outcomes), summary(outcomes)]
    # The wrong password, refused by the server: the error names the variables, not the value.
    wrong = "Wrong-Otter-5512-PW"
    mailer = Mailer(
        office.email.model_copy(update={"port": server}),
        environ={**ENV, "LETTERS_SMTP_PASSWORD": wrong},
        sleep=clock.sleep,
        clock=clock.clock,
        ssl_context=cert.client_context(),
    )
    with pytest.raises(DispatchError) as refused:
        _send(office, mailer)
    assert "LETTERS_SMTP_PASSWORD" in str(refused.value)
    shown.append(str(refused.value))
    captured = capsys.readouterr()
    # Our log lines (the test server's own log, which quotes its replies, is not ours).
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.")]
    assert any("4302" in line for line in ours)  # the retries were logged
    shown += [captured.out, captured.err, *ours]
    for secret in (PASSWORD, wrong):
        encoded = base64.b64encode(secret.encode()).decode()
        for text in shown:
            assert secret not in text and encoded not in text


def test_dry_run_lists_every_recipient(office: Office) -> None:
    command = "letters send line-at/directive.yaml --yes"
    listing = dry_run(office.items, {"4301"}, command)
    assert listing.splitlines()[-1] == f"ส่งจริง (to send): {command}"
    assert "จะส่งอีเมล 8 ฉบับ" in listing and "ส่งไปแล้ว 1 ฉบับ" in listing
    for item in office.items:
        assert item.to in listing
        size = item.attachment.stat().st_size
        assert f"แนบ (attachment): {item.attachment_name}, {size} ไบต์ (bytes)" in listing
    assert listing.count(f"เรื่อง (subject): {SUBJECT}") == 9
    marked = [line for line in listing.splitlines() if "already sent)" in line and "]" in line]
    assert marked == ["4301 เมืองหนองคาย  [ส่งแล้ว (already sent): ไม่ส่งซ้ำ]"]


def test_recipient_without_address_fails_alone(
    office: Office, server: int, mailbox: Mailbox, clock: FakeTime, cert: Certificate
) -> None:
    first = office.items[0]
    items = [Outgoing(**{**first.__dict__, "to": ""}), *office.items[1:]]
    told: list[Outcome] = []
    outcomes = send_all(
        items, _mailer(office, server, clock, cert), already_sent=set(), on_outcome=told.append
    )
    assert [o.ok for o in outcomes] == [False] + [True] * 8
    assert "no e-mail address" in outcomes[0].detail
    assert len(mailbox.received) == 8


# -- letters send, the command: build, dry run, send, re-run, faults, the register ----------


@dataclass
class SendOffice:
    folder: Path
    env: dict[str, str]
    addresses: dict[str, str]  # code -> e-mail address


@pytest.fixture
def send_office(tmp_path: Path, prebuilt: Prebuilt, cert: Certificate) -> SendOffice:
    """The example office, built (``letters build --format pdf``) with no rate limit to speak
    of; each test points its config at the test server's port."""
    workdir = prebuilt(
        tmp_path, "--format", "pdf", config_edits={"per_minute: 30": "per_minute: 6000"}
    )
    config = workdir / "config.yaml"
    env = {
        "LETTERS_SMTP_USER": USER,
        "LETTERS_SMTP_PASSWORD": PASSWORD,
        "SSL_CERT_FILE": str(cert.cert),  # the machine trusts the throwaway certificate
    }
    members = load_config(config).model.recipients["amphoe"].members
    return SendOffice(workdir, env, {m.code: m.email or "" for m in members})


def _port(office: SendOffice, port: int) -> None:
    config = office.folder / "config.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("    port: ")
    end = text.index("\n", start)
    config.write_text(text[:start] + f"    port: {port}" + text[end:], encoding="utf-8")


def _send_cli(letters: Any, office: SendOffice, *args: str) -> Any:
    return letters("send", "line-at/directive.yaml", *args, cwd=office.folder, env=office.env)


def _per_district(office: SendOffice, mailbox: Mailbox) -> dict[str, int]:
    return {code: len(mailbox.to(address)) for code, address in office.addresses.items()}


def _register_rows(office: SendOffice) -> list[Any]:
    from letters.register import Register

    with Register(office.folder / "register.sqlite3", create=False) as reg:
        return reg.rows()


def test_send_dry_run_then_send_then_nothing_more(
    send_office: SendOffice, letters: Any, mailbox: Mailbox, cert: Certificate
) -> None:
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        _port(send_office, port)
        dry = _send_cli(letters, send_office)
        assert dry.code == 0, dry.text
        assert mailbox.received == []
        assert (
            dry.out.strip().splitlines()[-1].endswith("letters send line-at/directive.yaml --yes")
        )
        for address in send_office.addresses.values():
            assert address in dry.out

        sent = _send_cli(letters, send_office, "--yes")
        assert sent.code == 0, sent.text
        assert _per_district(send_office, mailbox) == dict.fromkeys(send_office.addresses, 1)
        bundles = send_office.folder / "out" / "line-at" / "bundles"
        codes = {address: code for code, address in send_office.addresses.items()}
        for received in mailbox.received:
            message = received.message
            (attachment,) = list(message.iter_attachments())
            name = attachment.get_filename()
            assert name is not None and name.endswith(".pdf")
            (bundle,) = bundles.glob(f"{codes[received.rcpt_tos[0]]}-*.pdf")
            assert attachment.get_content() == bundle.read_bytes()
            assert "ที่ นค ๐๐๑๙.๔/ว ๑" in str(message["Subject"])

        again = _send_cli(letters, send_office, "--yes")
        assert again.code == 0, again.text
        assert len(mailbox.received) == 9  # nothing twice
        assert "ข้ามเพราะส่งไปแล้ว (already sent) 9" in again.out

        rows = _register_rows(send_office)
        assert len(rows) == 9
        ids = {str(m.message["Message-ID"]).strip("<>") for m in mailbox.received}
        for row in rows:
            assert "ส่งทางไปรษณีย์อิเล็กทรอนิกส์" in row.action
            assert any(message_id in row.action for message_id in ids)

        resent = _send_cli(letters, send_office, "--yes", "--resend", "4302")
        assert resent.code == 0, resent.text
        assert len(mailbox.to(send_office.addresses["4302"])) == 2  # on purpose, once more
        assert len(mailbox.received) == 10

    shown = dry.text + sent.text + again.text + resent.text
    stored = (send_office.folder / "register.sqlite3").read_bytes()
    assert PASSWORD not in shown and PASSWORD.encode() not in stored
    assert base64.b64encode(PASSWORD.encode()) not in stored


def test_send_550_for_one_district_then_rerun(
    send_office: SendOffice, letters: Any, clock: Any, cert: Certificate
) -> None:
    mailbox = Mailbox(clock=clock.clock, reject={send_office.addresses["4305"]: "550 no such user"})
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        _port(send_office, port)
        first = _send_cli(letters, send_office, "--yes")
        assert first.code == 1  # something failed: the clerk is told
        assert "4305" in first.out and "ไม่สำเร็จ (failed) 1" in first.out
        mailbox.reject.clear()
        second = _send_cli(letters, send_office, "--yes")
        assert second.code == 0, second.text
    assert _per_district(send_office, mailbox) == dict.fromkeys(send_office.addresses, 1)
    # The register shows that 4305's letter went; the failure is in its history only.
    failed = next(r for r in _register_rows(send_office) if r.code == "4305")
    assert "ไม่สำเร็จ" not in failed.action and "ส่งทางไปรษณีย์อิเล็กทรอนิกส์" in failed.action
    assert failed.history.splitlines()[0].startswith("ส่งทางไปรษณีย์อิเล็กทรอนิกส์ไม่สำเร็จ")
    assert failed.history.splitlines()[1] == failed.action
    shown = letters("register", cwd=send_office.folder)
    assert shown.code == 0 and "ไม่สำเร็จ" not in shown.out
    csv = letters("register", "export", "--format", "csv", cwd=send_office.folder)
    assert csv.code == 0, csv.text
    exported = (send_office.folder / "ทะเบียนหนังสือส่ง.csv").read_text(encoding="utf-8-sig")
    assert exported.count("ไม่สำเร็จ") == 1  # 4305's history


def test_send_uncertain_district_is_held_until_resend(
    send_office: SendOffice,
    letters: Any,
    clock: FakeTime,
    cert: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The connection drops after 4307's body went, and the server is gone: the register keeps
    that 4307 may hold the letter. The next run lists 4307 and sends it nothing; only
    ``--resend 4307`` sends it again, under the Message-ID of the first copy."""
    from letters import mailer

    # The mailer's back-off on the fake clock: the reconnects cost no waiting.
    monkeypatch.setattr(mailer, "time", SimpleNamespace(sleep=clock.sleep, monotonic=clock.clock))
    doubtful = send_office.addresses["4307"]
    mailbox = Mailbox(clock=clock.clock, drop_after_body={doubtful}, down_after_drop=True)
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        _port(send_office, port)
        first = _send_cli(letters, send_office, "--yes")
    assert first.code == 1 and "Traceback" not in first.text
    assert "4307" in first.err and "--resend 4307" in first.err
    (copy,) = mailbox.to(doubtful)
    message_id = str(copy.message["Message-ID"])
    row = next(r for r in _register_rows(send_office) if r.code == "4307")
    assert "ไม่แน่ใจ" in row.action and message_id in row.action
    recorded = [r.code for r in _register_rows(send_office) if r.action]
    assert recorded == ["4301", "4302", "4305", "4307"]  # 4307 uncertain; 4308 on: nothing

    mailbox.healthy()  # the server is back
    with smtp_server(mailbox, starttls=cert, auth=(USER, PASSWORD)) as port:
        _port(send_office, port)
        dry = _send_cli(letters, send_office)
        assert dry.code == 0, dry.text
        assert "4307" in dry.out and "--resend 4307" in dry.out
        second = _send_cli(letters, send_office, "--yes")
        assert second.code == 1, second.text  # 4307 still waits for the clerk
        assert "Traceback" not in second.text
        assert "uncertain" in second.out and "--resend 4307" in second.out
        assert _per_district(send_office, mailbox) == dict.fromkeys(send_office.addresses, 1)

        third = _send_cli(letters, send_office, "--yes", "--resend", "4307")
        assert third.code == 0, third.text
        copies = mailbox.to(doubtful)
        assert len(copies) == 2
        assert [str(c.message["Message-ID"]) for c in copies] == [message_id, message_id]
        assert len(mailbox.received) == 10

        fourth = _send_cli(letters, send_office, "--yes")
        assert fourth.code == 0, fourth.text
        assert len(mailbox.received) == 10
    row = next(r for r in _register_rows(send_office) if r.code == "4307")
    assert "ส่งทางไปรษณีย์อิเล็กทรอนิกส์ " in row.action  # now recorded as sent


def test_send_before_build_or_from_a_draft_is_refused(workdir: Path, letters: Any) -> None:
    result = letters("send", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1
    assert "letters build" in result.err
    assert (
        letters("build", "line-at/directive.yaml", "--draft", "--format", "pdf", cwd=workdir).code
        == 0
    )
    result = letters("send", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 1 and "Traceback" not in result.text


def test_send_refuses_a_bundle_changed_after_the_build(
    send_office: SendOffice, letters: Any
) -> None:
    bundle = next((send_office.folder / "out" / "line-at" / "bundles").glob("4301-*.pdf"))
    bundle.write_bytes(bundle.read_bytes() + b"%tampered\n")
    result = _send_cli(letters, send_office, "--yes")
    assert result.code == 1
    assert "changed since the build" in result.err
