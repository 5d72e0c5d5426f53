"""Signed letters (letters.signing): a throwaway CA and signer made with ``cryptography``, a real
PDF/A-3b from WeasyPrint, signed with pyHanko, and checked by two verifiers that are not ours:
poppler's ``pdfsig`` and pyHanko's validator. A time-stamp authority for B-T runs on
127.0.0.1 (pyHanko's test TSA behind a real HTTP server); an e-mail goes through aiosmtpd."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import email
import email.policy
import gc
import hashlib
import http.server
import io
import re
import shutil
import smtplib
import subprocess
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from conftest import Runner, tree
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree
from pdfa import archive_problems
from smtpserver import HOST, Mailbox, smtp_server

from letters import commands, signing
from letters.errors import SigningError
from letters.message import Outgoing, compose

PASSWORD = b"correct horse"
SIGNER = "นายสมชาย ใจดี"
BOX: signing.Box = (1, 300.4, 180.2, 480.6, 240.9)  # page 2: where the pen would sign


def verify(path: Path, trust: Sequence[Path] = ()) -> tuple[str, int]:
    """``letters verify PATH --trust ...``: what it prints and its exit status."""
    result = commands.verify(path, None, trust)
    return result.text, result.exit_code


# --- a throwaway PKI -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca: Path  # the root certificate (PEM)
    signer: Path  # PKCS#12: key, certificate, the root
    signer_cert: x509.Certificate
    expired: Path  # PKCS#12 whose certificate ran out yesterday
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey  # pyHanko's test TSA signs with RSA only


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    name: str,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    *,
    days: tuple[int, int],
    usage: x509.KeyUsage,
    ca: bool = False,
    eku: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "สำนักงานทดสอบ"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer if not ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue(
        "ทดสอบ Root CA",
        x509.Name([]),
        ca_key,
        ca_key,
        days=(-2, 30),
        usage=_usage(ca=True),
        ca=True,
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def p12(name: str, days: tuple[int, int]) -> tuple[Path, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(name, ca.subject, ca_key, key, days=days, usage=_usage(sign=True))
        path = folder / f"{days[1]}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"signer", key, cert, [ca], serialization.BestAvailableEncryption(PASSWORD)
            )
        )
        return path, cert

    signer, signer_cert = p12(SIGNER, (-1, 30))
    expired, _ = p12(SIGNER, (-30, -1))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = _issue(
        "ทดสอบ TSA",
        ca.subject,
        ca_key,
        tsa_key,
        days=(-1, 30),
        usage=_usage(sign=True),
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
    )
    return Pki(folder / "ca.pem", signer, signer_cert, expired, tsa_cert, tsa_key)


# --- the letter --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def letter() -> bytes:
    """A two-page PDF/A-3b from WeasyPrint, as the archive setting writes letters."""
    import weasyprint

    html = (
        "<html lang='th'><head><title>หนังสือทดสอบ</title></head><body>"
        "<p>Letter, page one.</p><p style='break-before: page'>Page two, signature space.</p>"
        "</body></html>"
    )
    with warnings.catch_warnings():
        # WeasyPrint 70 leaves its sRGB output profile's file open until the document goes.
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
        gc.collect()
    return pdf


@pytest.fixture(scope="module")
def signed(pki: Pki, letter: bytes) -> bytes:
    return signing.sign_pdf(
        letter,
        certificate=pki.signer,
        password=PASSWORD,
        box=BOX,
        reason="ลงนามหนังสือราชการ",
        location="หนองคาย",
        name=SIGNER,
    )


def pdfsig(path: Path) -> str:
    """poppler's report on ``path``'s signatures."""
    tool = shutil.which("pdfsig")
    assert tool, "pdfsig is missing: bash tools/setup-system.sh --test installs poppler-utils"
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    return run.stdout + run.stderr


def written(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- signing -----------------------------------------------------------------------------------


def test_signed_letter_is_valid_for_pdfsig_and_pyhanko(
    signed: bytes, pki: Pki, tmp_path: Path
) -> None:
    path = written(tmp_path, "letter.pdf", signed)
    poppler = pdfsig(path)
    assert "Signature is Valid." in poppler
    assert "Total document signed" in poppler
    assert "ETSI.CAdES.detached" in poppler
    assert SIGNER in poppler

    checked = signing.verify_pdf(path, trust_roots=[pki.ca])
    assert checked.intact
    (check,) = checked.signatures
    assert check.signer == f"{SIGNER}, สำนักงานทดสอบ"
    assert check.whole_file and not check.changed_after_signing
    assert check.trusted
    assert not check.timestamped
    assert check.signed_at is not None
    assert abs(check.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)

    text, code = verify(path, [pki.ca])
    assert code == 0
    assert f"ผู้ลงนาม (signer): {SIGNER}, สำนักงานทดสอบ" in text
    assert "(intact)" in text and "เชื่อถือได้ (trusted)" in text
    assert "signature covers the whole file" in text


def test_an_unknown_root_is_intact_but_not_trusted(signed: bytes, tmp_path: Path) -> None:
    text, code = verify(written(tmp_path, "letter.pdf", signed))
    assert code == 0  # intact: the receiving office may not hold our CA
    assert "ไม่อยู่ในรายการที่เชื่อถือ (not trusted" in text


def test_signing_is_an_incremental_update_that_keeps_pdfa(letter: bytes, signed: bytes) -> None:
    assert signed.startswith(letter)
    with pikepdf.open(io.BytesIO(letter)) as before, pikepdf.open(io.BytesIO(signed)) as after:
        meta = after.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert before.Root.Metadata.read_bytes() == after.Root.Metadata.read_bytes()
        assert dict(before.docinfo.items()) == dict(after.docinfo.items())
        (intent,) = after.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        # The file's permanent identifier stays; the second part marks the new revision.
        assert bytes(after.trailer.ID[0]) == bytes(before.trailer.ID[0])

        assert len(after.pages) == 2 and "/Annots" not in after.pages[0]
        (widget,) = after.pages[1].Annots
        assert widget.FT == "/Sig" and widget.Subtype == "/Widget"
        assert [float(v) for v in widget.Rect] == [300, 180, 481, 241]
        assert int(widget.F) & 4  # printed: PDF/A wants it
        appearance = widget.AP.N
        assert isinstance(appearance, pikepdf.Stream)
        x0, y0, x1, y1 = (float(v) for v in appearance.BBox)
        assert (abs(x1 - x0), abs(y1 - y0)) == (181, 61)  # as large as the widget
        # PDF/A: every font an appearance uses is embedded (a viewer's stamp font would not be).
        fonts = appearance.get("/Resources", pikepdf.Dictionary()).get("/Font", {})
        for font in dict(fonts).values():
            descriptor = font.get("/FontDescriptor", pikepdf.Dictionary())
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
        assert widget.V.SubFilter == "/ETSI.CAdES.detached"
        assert str(widget.V.Name) == SIGNER
        assert str(widget.V.Location) == "หนองคาย"
        assert after.Root.AcroForm.SigFlags == 3


def test_one_changed_byte_is_seen_by_both_verifiers(signed: bytes, tmp_path: Path) -> None:
    at = signed.index(b"stream\n") + 100  # inside the first stream: in the signed range
    tampered = bytearray(signed)
    tampered[at] ^= 0x01
    path = written(tmp_path, "tampered.pdf", bytes(tampered))

    poppler = pdfsig(path)
    assert "Signature is Valid." not in poppler
    assert "Digest Mismatch" in poppler or "Signature is Invalid" in poppler

    checked = signing.verify_pdf(path)
    assert not checked.intact and not checked.signatures[0].intact
    text, code = verify(path)
    assert code == 1
    assert "NOT intact" in text


def test_a_change_added_after_signing_is_reported(signed: bytes, tmp_path: Path) -> None:
    """A new revision drawing on the page: the signed bytes are intact, the letter is not."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    stroke = writer.add_object(generic.StreamObject(stream_data=b"0 0 m 400 400 l S"))
    writer.add_stream_to_page(0, stroke)
    out = io.BytesIO()
    writer.write(out)
    path = written(tmp_path, "changed.pdf", out.getvalue())

    assert "Not total document signed" in pdfsig(path)
    (check,) = signing.verify_pdf(path).signatures
    assert check.intact and check.changed_after_signing and not check.allowed_changes
    text, code = verify(path)
    assert code == 1
    assert "มีการแก้ไขหลังลงนาม (changed after signing)" in text


def test_an_unsigned_pdf_does_not_verify(letter: bytes, tmp_path: Path) -> None:
    text, code = verify(written(tmp_path, "plain.pdf", letter))
    assert code == 1
    assert "(not signed)" in text


def test_not_a_pdf(tmp_path: Path) -> None:
    path = written(tmp_path, "note.pdf", b"hello")
    with pytest.raises(SigningError, match=r"note\.pdf: .*\(cannot read PDF\)"):
        verify(path)


def test_the_fingerprint_is_the_signer_certificates(
    pki: Pki, signed: bytes, tmp_path: Path
) -> None:
    expected = hashlib.sha256(pki.signer_cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert signing.certificate_fingerprint(pki.signer, PASSWORD) == expected
    (check,) = signing.verify_pdf(written(tmp_path, "letter.pdf", signed)).signatures
    assert check.fingerprint == expected


# --- what a clerk sees when the certificate is wrong ------------------------------------------


def test_wrong_password(pki: Pki, letter: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        signing.sign_pdf(letter, certificate=pki.signer, password=b"wrong", box=BOX)
    assert str(caught.value).startswith(f"{pki.signer}: ")
    assert "(wrong certificate password)" in str(caught.value)
    assert "certificate_password_env" in str(caught.value)


def test_not_a_pkcs12_file(pki: Pki, letter: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        signing.sign_pdf(letter, certificate=pki.ca, password=PASSWORD, box=BOX)
    assert str(caught.value).startswith(f"{pki.ca}: ")
    assert "(not a PKCS#12 file" in str(caught.value)


def test_missing_certificate_file(tmp_path: Path, letter: bytes) -> None:
    missing = tmp_path / "nobody.p12"
    with pytest.raises(SigningError, match=r"nobody\.p12: .*\(cannot read certificate\)"):
        signing.sign_pdf(letter, certificate=missing, password=PASSWORD, box=BOX)


def test_expired_certificate(pki: Pki, letter: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        signing.sign_pdf(letter, certificate=pki.expired, password=PASSWORD, box=BOX)
    assert str(caught.value).startswith(f"{pki.expired}: ")
    assert "(certificate expired)" in str(caught.value)


# --- B-T: a time-stamp from a TSA over HTTP ----------------------------------------------------


@pytest.fixture
def tsa(pki: Pki) -> Iterator[str]:
    """A time-stamp authority on 127.0.0.1 (RFC 3161 over HTTP); yields its URL."""
    from asn1crypto import tsp
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    stamper = DummyTimeStamper(
        tsa_cert=translate_pyca_cryptography_cert_to_asn1(pki.tsa_cert),
        tsa_key=translate_pyca_cryptography_key_to_asn1(pki.tsa_key),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_timestamp_url_makes_it_b_t(pki: Pki, letter: bytes, tsa: str, tmp_path: Path) -> None:
    data = signing.sign_pdf(
        letter, certificate=pki.signer, password=PASSWORD, box=BOX, timestamp_url=tsa
    )
    path = written(tmp_path, "stamped.pdf", data)
    assert "Signature is Valid." in pdfsig(path)
    (check,) = signing.verify_pdf(path, trust_roots=[pki.ca]).signatures
    assert check.intact and check.trusted and check.timestamped
    text, code = verify(path, [pki.ca])
    assert code == 0
    assert "ตามประทับเวลา (time-stamp)" in text


def test_an_unreachable_tsa_stops_signing(pki: Pki, letter: bytes) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind((HOST, 0))
        port = closed.getsockname()[1]
    url = f"http://{HOST}:{port}/tsa"
    with pytest.raises(SigningError, match=r"\(time-stamp request failed\)"):
        signing.sign_pdf(
            letter, certificate=pki.signer, password=PASSWORD, box=BOX, timestamp_url=url
        )


# --- what the district receives ----------------------------------------------------------------


def test_a_signed_letter_still_verifies_after_e_mail(
    signed: bytes, pki: Pki, tmp_path: Path
) -> None:
    """Composed as the dispatch composes it, sent over SMTP, taken out of the message."""
    attachment = written(tmp_path, "ที่ นค 0019.4-ว 193.pdf", signed)
    outgoing = Outgoing(
        code="0001",
        name="ที่ว่าการอำเภอเมืองหนองคาย",
        to="saraban@amphoe.example",
        subject="ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ทดสอบ",
        attachment=attachment,
        cover_text="เรียน นายอำเภอ\n",
        cover_html="<p>เรียน นายอำเภอ</p>",
    )
    message = compose(outgoing, "สำนักงาน <saraban@office.example>", "<1@office.example>")
    mailbox = Mailbox()
    with smtp_server(mailbox) as port, smtplib.SMTP(HOST, port) as client:
        client.send_message(message)
    (received,) = mailbox.received
    parsed = email.message_from_bytes(received.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    (part,) = list(parsed.iter_attachments())
    body = part.get_content()
    assert body == signed
    text, code = verify(written(tmp_path, "received.pdf", body), [pki.ca])
    assert code == 0, text


# --- the reference directive, built signed ------------------------------------------------------


def test_reference_directive_built_signed_verifies_everywhere(
    pki: Pki, workdir: Path, letters: Runner, tmp_path: Path
) -> None:
    """config.yaml names the signer's certificate: every letter and bundle of the reference
    directive is signed over the signature space, valid for pdfsig and pyHanko, still PDF/A;
    one changed byte is seen by both; the register keeps the certificate's fingerprint; a
    letter taken out of its e-mail and its e-saraban file still verify."""
    shutil.copy(pki.signer, workdir / "signer.p12")
    config = workdir / "config.yaml"
    text = config.read_text(encoding="utf-8")
    signer_line = "  provincial-cd-officer:\n"
    assert signer_line in text
    text = text.replace(
        signer_line,
        signer_line + "    certificate: signer.p12\n"
        "    certificate_password_env: LETTERS_CERT_PASSWORD\n",
    )
    config.write_text(text, encoding="utf-8")
    before = tree(workdir)

    # Without the password in the environment: stopped before anything is numbered.
    refused = letters("build", "line-at/directive.yaml", cwd=workdir)
    assert refused.code == 1
    assert "LETTERS_CERT_PASSWORD" in refused.err and "password not set" in refused.err
    assert tree(workdir) == before  # no register, no output
    wrong = letters(
        "build", "line-at/directive.yaml", cwd=workdir, env={"LETTERS_CERT_PASSWORD": "nope"}
    )
    assert wrong.code == 1 and "wrong certificate password" in wrong.err
    assert tree(workdir) == before

    # A draft is never signed, and needs no password.
    draft = letters("build", "line-at/directive.yaml", "--draft", "--format", "pdf", cwd=workdir)
    assert draft.code == 0, draft.text
    drafts = sorted((workdir / "out" / "line-at-draft" / "letters").glob("*.pdf"))
    assert len(drafts) == 9 and all(b"/ByteRange" not in p.read_bytes() for p in drafts)
    assert "does not contain any signatures" in pdfsig(drafts[0])

    env = {"LETTERS_CERT_PASSWORD": PASSWORD.decode()}
    built = letters("build", "line-at/directive.yaml", cwd=workdir, env=env)
    assert built.code == 0, built.text
    folder = workdir / "out" / "line-at"
    pdfs = sorted(folder.glob("letters/*.pdf")) + sorted(folder.glob("bundles/*.pdf"))
    assert len(pdfs) == 18
    for path in pdfs:
        poppler = pdfsig(path)
        assert "Signature is Valid." in poppler, (path.name, poppler)
        assert "Total document signed" in poppler
        text, code = verify(path, [pki.ca])
        assert code == 0, text
        assert archive_problems(path.read_bytes()) == [], path.name
    # The field lies over the signature space: above the name, on the letter's last page.
    with pikepdf.open(pdfs[0]) as pdf:
        (widget,) = [
            a for page in pdf.pages for a in page.get("/Annots", []) if a.get("/FT") == "/Sig"
        ]
        x0, y0, x1, y1 = (float(v) for v in widget.Rect)
        assert x1 - x0 >= 170 and 30 <= y1 - y0 <= 60
        assert 280 < (x0 + x1) / 2 < 480  # over the signer's block, right of the middle
        assert widget.P.objgen == pdf.pages[-1].obj.objgen

    # One changed byte: both verifiers say so.
    changed = tmp_path / "changed.pdf"
    data = bytearray(pdfs[0].read_bytes())
    middle = len(data) // 3
    data[middle] = data[middle] ^ 0x01
    changed.write_bytes(bytes(data))
    assert "Signature is Valid." not in pdfsig(changed)
    assert verify(changed, [pki.ca])[1] == 1

    # The register: each copy signed, with the certificate's fingerprint.
    exported = letters(
        "register", "export", "--format", "csv", "--out", tmp_path / "r.csv", cwd=workdir
    )
    assert exported.code == 0, exported.text
    fingerprint = hashlib.sha256(
        pki.signer_cert.public_bytes(serialization.Encoding.DER)
    ).hexdigest()
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 10 and all(row[-1] == fingerprint for row in rows[1:])

    # The e-saraban file carries the signed letter byte for byte, marked PAdES.
    assert letters("export", "ecms", "line-at/directive.yaml", cwd=workdir).code == 0
    for xml in (folder / "ecms").glob("*.xml"):
        document = etree.fromstring(xml.read_bytes())
        ns = {"ram": "urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1"}
        assert document.findtext(".//ram:GovernmentSignature/ram:TypeCode", namespaces=ns) == (
            "PAdES"
        )
        main = document.findtext(".//ram:MainLetterBinaryObject", namespaces=ns) or ""
        assert base64.b64decode(main) == (folder / "letters" / f"{xml.stem}.pdf").read_bytes()

    # What a district receives by e-mail: the bundle, still signed as a whole.
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        text = config.read_text(encoding="utf-8")
        text = text.replace("port: 587", f"port: {port}")
        text = text.replace("security: starttls", "security: none")  # plain, on loopback
        text = re.sub(r"\n *(username|password)_env: .*", "", text)  # no login
        config.write_text(text, encoding="utf-8")
        sent = letters("send", "line-at/directive.yaml", "--yes", cwd=workdir)
    assert sent.code == 0, sent.text
    assert len(mailbox.received) == 9
    parsed = email.message_from_bytes(mailbox.received[0].raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    (part,) = list(parsed.iter_attachments())
    received = written(tmp_path, "received.pdf", part.get_content())
    assert "Signature is Valid." in pdfsig(received)
    assert verify(received, [pki.ca])[1] == 0

    # Follow-up letters are signed like the letter they follow.
    reminded = letters(
        "remind",
        "line-at/directive.yaml",
        "--on",
        "2018-12-27",
        "--format",
        "pdf",
        "--yes",
        cwd=workdir,
        env=env,
    )
    assert reminded.code == 0, reminded.text
    follow_ups = sorted((workdir / "out" / "line-at-remind-1" / "letters").glob("*.pdf"))
    assert len(follow_ups) == 9
    for path in follow_ups:
        assert "Signature is Valid." in pdfsig(path), path.name
