"""A real SMTP server on 127.0.0.1 for the dispatch tests: aiosmtpd, with faults on demand.

``Mailbox`` is the handler: it keeps every accepted message as the raw bytes received, and can
misbehave the ways real servers do: drop the connection after some messages, answer 451 once
per recipient before 250, reject one address with 550, or drop the connection after receiving
a message's body without answering it (and then, if asked, refuse every new connection: the
server went down with the "250" unsaid). ``certificate`` makes a throwaway key and certificate
for 127.0.0.1 with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


@dataclass
class Received:
    peer: str
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    secure: bool
    login: bytes | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The aiosmtpd handler: accepts and stores messages; the fault switches say how to fail."""

    drop_after: int | None = None  # drop the connection at the next MAIL after this many
    temporary_first: bool = False  # 451 to the first DATA of each recipient, then 250
    reject: dict[str, str] = field(default_factory=dict)  # address -> "550 ..." at RCPT
    drop_after_body: set[str] = field(default_factory=set)  # keep the body, drop, once each
    down_after_drop: bool = False  # after such a drop, stop listening: connections refused
    listener: Any = None  # the asyncio server listening for connections (set by smtp_server)
    clock: Any = None  # a fake clock: when each message arrived, in its time
    received: list[Received] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    transactions: int = 0
    _dropped: bool = False
    _seen_data: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def healthy(self) -> None:
        """Stop every fault: the server of the clerk's next run."""
        self.drop_after = None
        self.temporary_first = False
        self.reject = {}
        self.drop_after_body = set()
        self.down_after_drop = False

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if (
            self.drop_after is not None
            and len(self.received) >= self.drop_after
            and not self._dropped
        ):
            self._dropped = True
            server.transport.abort()  # no reply: the client sees the connection go
            return "421 4.3.0 closing"  # written nowhere: the transport is gone
        self.transactions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        (rcpt,) = envelope.rcpt_tos
        if self.temporary_first and rcpt not in self._seen_data:
            self._seen_data.add(rcpt)
            return "451 4.3.0 Temporary local problem, try again"
        raw = envelope.original_content or envelope.content
        with self._lock:
            self.received.append(
                Received(
                    peer=str(session.peer),
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=bytes(raw),
                    secure=server.transport.get_extra_info("ssl_object") is not None,
                    login=session.auth_data.login
                    if isinstance(session.auth_data, LoginPassword)
                    else None,
                )
            )
            if self.clock is not None:
                self.arrivals.append(self.clock())
        if rcpt in self.drop_after_body:
            self.drop_after_body.discard(rcpt)
            server.transport.abort()  # the body is kept; the client never hears "250"
            if self.down_after_drop and self.listener is not None:
                self.listener.close()  # no new connection: the client's reconnects are refused
            return "451 4.3.0 lost"
        return "250 2.0.0 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts exactly this certificate, with host name checking on."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return context


def certificate(folder: Path, host: str = HOST) -> Certificate:
    """A throwaway self-signed certificate for ``host`` (CN and IP SAN), valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


def authenticator(user: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting exactly this user name and password."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == user.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    return check


@contextmanager
def smtp_server(
    mailbox: Mailbox,
    *,
    starttls: Certificate | None = None,
    implicit_tls: Certificate | None = None,
    auth: tuple[str, str] | None = None,
) -> Iterator[int]:
    """Run an aiosmtpd server on 127.0.0.1 for the ``with`` block; yields its port.

    ``starttls``: offer STARTTLS and require it before anything else; ``implicit_tls``: TLS
    from the first byte; ``auth``: require AUTH (only over TLS) with this user and password.
    """
    kwargs: dict[str, Any] = {"server_hostname": "smtp.test"}
    if starttls is not None:
        kwargs.update(tls_context=starttls.server_context(), require_starttls=True)
    if implicit_tls is not None:
        kwargs.update(ssl_context=implicit_tls.server_context())
    if auth is not None:
        # aiosmtpd counts only STARTTLS as TLS for AUTH: under implicit TLS it offers AUTH
        # only when not requiring TLS for it, and then cannot require AUTH without a warning.
        kwargs.update(
            authenticator=authenticator(*auth),
            auth_required=implicit_tls is None,
            auth_require_tls=implicit_tls is None,
        )
    port = free_port()
    controller = Controller(mailbox, hostname=HOST, port=port, **kwargs)
    controller.start()
    mailbox.listener = controller.server
    try:
        yield port
    finally:
        controller.stop()
