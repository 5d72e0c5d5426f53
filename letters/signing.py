"""Digital signatures on letters (PAdES), and checking them (``letters verify``).

A signer in config.yaml may name a PKCS#12 file (``.p12``/``.pfx``: the key and its
certificate) and the environment variable holding its password. ``sign_pdf`` signs a finished
letter with it, as the last step that changes the file:

- PAdES B-B (``/SubFilter /ETSI.CAdES.detached``, the signer's certificate and its chain in
  the CMS); B-T when a time-stamp authority's URL is given (RFC 3161 token from that server).
- The signature field's widget lies over the signature space (``box``, in PDF points), so a
  viewer shows the signature where a pen would sign. Its appearance is blank: the page
  already prints the signer's name and position under the space, and a drawn stamp would
  need a font that PDF/A could not accept unembedded.
- An incremental update: the bytes of the file as it was stay as they were, so a PDF/A-3b
  letter stays PDF/A-3b (its XMP metadata, its Info dictionary and its output intent are
  left alone: pyHanko would otherwise rewrite the XMP Producer, out of step with the Info).

``verify_pdf`` reads the signatures back with pyHanko's validator: who signed, when, whether
the signed bytes are unchanged, whether the signature covers the whole file or something was
added after it, and whether the certificate chains to one of the given trusted roots.
``verify`` is the command: its text and its exit status (0 only when every signature is
intact and nothing that changes the letter was added after signing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.errors import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.validation.status import PdfSignatureStatus

    from letters.directive import Letter

# (page index from 0, x0, y0, x1, y1): a rectangle on a page, in PDF points from its
# bottom-left corner.
Box = tuple[int, float, float, float, float]

FIELD_NAME = "Signature"  # the signature field's name (ASCII: every viewer shows it as it is)


def _quiet() -> None:
    """pyHanko logs what it finds wrong (an unknown root, a failed request) with tracebacks;
    without a handler Python would print them to the clerk's terminal. Its findings reach the
    clerk through our report and our errors instead."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Credentials:
    """What a PKCS#12 file holds: the signer (key + certificate + chain) and the certificate."""

    signer: SimpleSigner
    certificate: x509.Certificate


def _looks_like_der(data: bytes) -> bool:
    """Whether ``data`` is one DER SEQUENCE exactly as long as the file (a PKCS#12 is one):
    tells a wrong password from a file that is not a PKCS#12 at all."""
    if len(data) < 2 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        return 2 + first == len(data)
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return False
    length = int.from_bytes(data[2 : 2 + count], "big")
    return 2 + count + length == len(data)


def load_credentials(
    certificate: Path, password: bytes, *, now: dt.datetime | None = None
) -> Credentials:
    """The signer in ``certificate`` (a PKCS#12 file), or a ``SigningError`` that names the
    file and says what to do: unreadable, not PKCS#12, wrong password, no key, expired."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = certificate.read_bytes()
    except OSError as exc:
        raise SigningError(
            f"{certificate}: อ่านไฟล์ใบรับรองไม่ได้ (cannot read certificate): {exc.strerror}; "
            "ตรวจชื่อไฟล์ที่ signers.<ชื่อ>.certificate ใน config.yaml"
        ) from None
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError:
        if _looks_like_der(data):
            raise SigningError(
                f"{certificate}: รหัสผ่านใบรับรองไม่ถูกต้อง (wrong certificate password); "
                "ตั้งรหัสผ่านที่ถูกในตัวแปรที่ certificate_password_env ระบุ แล้วรันอีกครั้ง"
            ) from None
        raise SigningError(
            f"{certificate}: ไม่ใช่ไฟล์ใบรับรอง PKCS#12 (not a PKCS#12 file, .p12/.pfx); "
            "ส่งออกใบรับรองพร้อมกุญแจเป็น .p12 แล้วระบุไฟล์นั้นใน config.yaml"
        ) from None
    if key is None or cert is None:
        raise SigningError(
            f"{certificate}: ไม่มีกุญแจหรือใบรับรองของผู้ลงนาม (no private key or certificate); "
            "ส่งออกใบรับรองพร้อมกุญแจส่วนตัว (private key) เป็น .p12 อีกครั้ง"
        )
    when = now or dt.datetime.now(dt.UTC)
    if when > cert.not_valid_after_utc:
        raise SigningError(
            f"{certificate}: ใบรับรองหมดอายุแล้ว (certificate expired) "
            f"เมื่อ {cert.not_valid_after_utc:%Y-%m-%d}; ขอใบรับรองใหม่แล้วระบุใน config.yaml"
        )
    if when < cert.not_valid_before_utc:
        raise SigningError(
            f"{certificate}: ใบรับรองยังไม่เริ่มใช้ได้ (certificate not yet valid) "
            f"จนถึง {cert.not_valid_before_utc:%Y-%m-%d}; ตรวจนาฬิกาเครื่องหรือรอถึงวันนั้น"
        )
    signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password or None)
    return Credentials(signer, cert)


def certificate_fingerprint(path: Path, password: bytes) -> str:
    """The SHA-256 of the signer's certificate (DER), in lowercase hex: for the register."""
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = load_credentials(path, password).certificate
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _field_box(box: Box) -> tuple[int, int, int, int]:
    """The field's rectangle in whole points, grown outwards to cover ``box``."""
    _, x0, y0, x1, y1 = box
    return (
        math.floor(min(x0, x1)),
        math.floor(min(y0, y1)),
        math.ceil(max(x0, x1)),
        math.ceil(max(y0, y1)),
    )


def _blank_stamp_style() -> Any:
    """A pyHanko stamp style that draws nothing: the widget gets an empty appearance stream
    (PDF/A wants one on every widget; a drawn text needs an embedded font)."""
    from pyhanko.stamp.base import BaseStamp, BaseStampStyle

    class BlankStamp(BaseStamp):
        def _render_inner_content(self) -> list[bytes]:
            return []

    class BlankStampStyle(BaseStampStyle):
        def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> BaseStamp:
            return BlankStamp(writer=writer, style=self, box=box)

    return BlankStampStyle(border_width=0, background=None)


def _writer(data: bytes) -> Any:
    """An incremental writer over ``data`` that leaves the document's metadata alone."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class KeepMetadata(IncrementalPdfFileWriter):
        def _update_meta(self) -> None:
            return None

    return KeepMetadata(io.BytesIO(data), strict=False)


def sign_pdf(
    data: bytes,
    *,
    certificate: Path,
    password: bytes,
    box: Box,
    reason: str | None = None,
    location: str | None = None,
    name: str | None = None,
    timestamp_url: str | None = None,
) -> bytes:
    """``data`` (a finished PDF) signed as PAdES B-B, or B-T with ``timestamp_url``: one
    incremental update adding a signature field whose widget covers ``box``."""
    return sign_with(
        data,
        load_credentials(certificate, password),
        certificate=certificate,
        box=box,
        reason=reason,
        location=location,
        name=name,
        timestamp_url=timestamp_url,
    )


def sign_with(
    data: bytes,
    credentials: Credentials,
    *,
    certificate: Path,
    box: Box,
    reason: str | None = None,
    location: str | None = None,
    name: str | None = None,
    timestamp_url: str | None = None,
) -> bytes:
    """``sign_pdf`` with the signer already read from ``certificate`` (named in errors): a
    build reads its certificate once and signs every letter with it."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError as HankoSigningError
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    _quiet()
    page, *_ = box
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=name,
    )
    spec = fields.SigFieldSpec(FIELD_NAME, on_page=page, box=_field_box(box))
    timestamper = HTTPTimeStamper(timestamp_url, timeout=30) if timestamp_url else None
    signer = signers.PdfSigner(
        meta,
        credentials.signer,
        timestamper=timestamper,
        new_field_spec=spec,
        stamp_style=_blank_stamp_style(),
    )
    try:
        out = signer.sign_pdf(_writer(data))
    except TimestampRequestError as exc:
        raise SigningError(
            f"{timestamp_url}: ขอประทับเวลาไม่ได้ (time-stamp request failed): {exc}; "
            "ตรวจ timestamp_url และการเชื่อมต่อ แล้วรันอีกครั้ง"
        ) from None
    except (HankoSigningError, PdfReadError) as exc:
        raise SigningError(
            f"{certificate}: ลงนามไม่สำเร็จ (signing failed): {exc}; "
            "ตรวจใบรับรองและไฟล์หนังสือ แล้วรันอีกครั้ง"
        ) from None
    signed: bytes = out.getvalue()
    return signed


# --- signing a build's letters ----------------------------------------------------------


def signature_box(data: bytes, name: str, height_pt: float, *, pages: int | None = None) -> Box:
    """Where a pen would sign: the space of ``height_pt`` above the signer's printed name,
    found on the last page (of the first ``pages``) that shows it, as wide as the name and
    at least 6 cm."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        last = min(len(document), pages or len(document))
        words = [w for w in (name, name.split()[-1] if name.split() else name) if w]
        for index in range(last - 1, -1, -1):
            text = document[index].get_textpage()
            for word in words:
                found = text.search(word).get_next()
                if found is None:
                    continue
                start, count = found
                boxes = [text.get_charbox(i) for i in range(start, start + count)]
                left = min(b[0] for b in boxes)
                right = max(b[2] for b in boxes)
                top = max(b[3] for b in boxes)
                middle, half = (left + right) / 2, max(right - left + 24.0, 170.0) / 2
                return (index, middle - half, top + 2.0, middle + half, top + 2.0 + height_pt)
    finally:
        document.close()
    raise SigningError(
        f"ไม่พบชื่อผู้ลงนาม '{name}' ในหนังสือ (signer's name not found): ลงนามไม่ได้; "
        "แจ้งผู้ดูแลระบบพร้อมไฟล์ directive"
    )


@dataclass(frozen=True)
class LetterSigner:
    """The signer of a build's letters: the certificate as read with its password (from
    the environment), where the time comes from, and the name to sign over."""

    certificate: Path
    credentials: Credentials  # read once, checked before anything was numbered
    name: str
    height_pt: float  # the signature space above the name
    timestamp_url: str | None
    fingerprint: str  # SHA-256 of the certificate, for the register
    reason: str = "ลงนามในหนังสือราชการ"

    def sign_file(self, path: Path, *, pages: int | None = None) -> None:
        """Sign the PDF at ``path`` in place (an incremental update: nothing else changes)."""
        data = path.read_bytes()
        box = signature_box(data, self.name, self.height_pt, pages=pages)
        signed = sign_with(
            data,
            self.credentials,
            certificate=self.certificate,
            box=box,
            reason=self.reason,
            name=self.name,
            timestamp_url=self.timestamp_url,
        )
        path.write_bytes(signed)


def letter_signer(letter: Letter, environ: Mapping[str, str]) -> LetterSigner | None:
    """The signer of ``letter`` when its config names a certificate (None: no digital
    signature). The password must be in the environment variable the config names, and the
    certificate must open with it: checked here, before anything is numbered."""
    from cryptography.hazmat.primitives.serialization import Encoding

    signer = letter.signer
    if not signer.certificate:
        return None
    config = letter.config
    variable = signer.certificate_password_env or ""
    password = environ.get(variable)
    if password is None:
        raise SigningError(
            f"{config.path}: ไม่พบรหัสผ่านใบรับรองในตัวแปร {variable} (password not set): "
            f"ตั้งค่าก่อน เช่น export {variable}=... แล้วสั่ง letters build อีกครั้ง; ยังไม่ได้ออกเลข"
        )
    certificate = config.resolve(signer.certificate)
    credentials = load_credentials(certificate, password.encode())
    fingerprint = hashlib.sha256(credentials.certificate.public_bytes(Encoding.DER)).hexdigest()
    height = config.model.layout.signature_height_cm * 72 / 2.54
    return LetterSigner(
        certificate,
        credentials,
        signer.name,
        height,
        config.model.signing.timestamp_url,
        fingerprint,
    )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a file, as the validator saw it."""

    field: str
    signer: str  # the certificate's subject, as a reader would write it
    fingerprint: str  # SHA-256 of the signer's certificate
    signed_at: dt.datetime | None  # the time-stamp's time if there is one, else the signer's
    timestamped: bool  # signed_at comes from a valid time-stamp token (B-T)
    intact: bool  # the signed bytes are unchanged and the signature matches the certificate
    whole_file: bool  # the signature covers every byte of the file
    changed_after_signing: bool  # something was added or changed after this signature
    allowed_changes: bool  # what came after (if anything) does not change the letter
    trusted: bool  # the certificate chains to a trusted root
    trust_problem: str  # why not trusted ("" when trusted)

    @property
    def ok(self) -> bool:
        return self.intact and self.allowed_changes


@dataclass(frozen=True)
class Verification:
    """The signatures of one PDF file."""

    path: Path
    signatures: tuple[SignatureCheck, ...]

    @property
    def intact(self) -> bool:
        """The file is signed, and every signature is intact with nothing forbidden after it."""
        return bool(self.signatures) and all(s.ok for s in self.signatures)


def _subject(cert: Any) -> str:
    """``CN, O`` of an asn1crypto certificate (the parts a clerk recognises)."""
    native = cert.subject.native
    parts = [native.get("common_name"), native.get("organization_name")]
    text = ", ".join(str(p) for p in parts if p)
    return text or str(cert.subject.human_friendly)


def _check(field: str, status: PdfSignatureStatus) -> SignatureCheck:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    ts = status.timestamp_validity
    signed_at = status.signer_reported_dt
    timestamped = False
    if ts is not None and ts.intact and ts.valid:
        timestamped, signed_at = True, ts.timestamp
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    allowed = whole or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
        and status.docmdp_ok is not False
    )
    problem = ""
    if not status.trusted:
        indic = status.trust_problem_indic
        problem = str(indic.standard_name) if indic is not None else "UNKNOWN"
    return SignatureCheck(
        field=field,
        signer=_subject(status.signing_cert),
        fingerprint=status.signing_cert.sha256.hex(),
        signed_at=signed_at,
        timestamped=timestamped,
        intact=bool(status.intact and status.valid),
        whole_file=whole,
        changed_after_signing=not whole,
        allowed_changes=allowed,
        trusted=bool(status.trusted),
        trust_problem=problem,
    )


def _unreadable(path: Path, why: str) -> SigningError:
    return SigningError(
        f"{path}: อ่านไฟล์ PDF ไม่ได้ (cannot read PDF): {why}; ตรวจว่าเป็นไฟล์หนังสือที่ได้รับมา"
    )


def verify_pdf(path: Path, *, trust_roots: Sequence[Path] = ()) -> Verification:
    """The signatures of the PDF at ``path``; a certificate is trusted when it chains to one of
    ``trust_roots`` (PEM or DER files: the roots an office accepts for signed letters, such as
    the national root CA), never to the TLS roots of the system. Nothing is fetched."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    _quiet()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, str(exc.strerror)) from None
    roots = []
    for root in trust_roots:
        try:
            roots += list(load_certs_from_pemder_data(root.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SigningError(
                f"{root}: อ่านใบรับรอง root CA ไม่ได้ (cannot read trust root): {exc}; "
                "ระบุไฟล์ .pem หรือ .cer ของ root CA ที่สำนักงานเชื่อถือ"
            ) from None
    # Either digital signature or non-repudiation: certificates for signing documents carry
    # one or both.
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    checks: list[SignatureCheck] = []
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        for embedded in reader.embedded_signatures:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(
                embedded, signer_validation_context=context, key_usage_settings=usage
            )
            checks.append(_check(str(embedded.field_name), status))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise _unreadable(path, str(exc)) from None
    return Verification(path, tuple(checks))


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "ไม่ระบุ (not given)"
    return moment.astimezone().isoformat(sep=" ", timespec="seconds")


def report(verification: Verification) -> str:
    """What ``letters verify`` prints: per signature, signer, time, integrity, changes, trust."""
    lines = [str(verification.path)]
    if not verification.signatures:
        lines.append("  ไม่มีลายมือชื่ออิเล็กทรอนิกส์ (not signed)")
    for number, check in enumerate(verification.signatures, 1):
        source = "ประทับเวลา (time-stamp)" if check.timestamped else "นาฬิกาผู้ลงนาม (signer's clock)"
        integrity = (
            "ถูกต้อง ข้อมูลที่ลงนามไม่ถูกแก้ (intact)"
            if check.intact
            else "ไม่ถูกต้อง ข้อมูลถูกแก้หลังลงนาม (NOT intact: changed after signing)"
        )
        if not check.changed_after_signing:
            after = "ไม่มี ลายมือชื่อครอบคลุมทั้งไฟล์ (none: signature covers the whole file)"
        elif check.allowed_changes:
            after = "มีการเพิ่มข้อมูลตรวจสอบหลังลงนาม ไม่กระทบเนื้อหา (validation data added)"
        else:
            after = "มีการแก้ไขหลังลงนาม (changed after signing)"
        trust = (
            "เชื่อถือได้ (trusted)"
            if check.trusted
            else f"ไม่อยู่ในรายการที่เชื่อถือ (not trusted: {check.trust_problem})"
        )
        lines += [
            f"  ลายมือชื่อที่ {number} (signature {number})",
            f"    ผู้ลงนาม (signer): {check.signer}",
            f"    เวลาลงนาม (signing time): {_when(check.signed_at)} ตาม{source}",
            f"    ความถูกต้อง (integrity): {integrity}",
            f"    การแก้ไขหลังลงนาม (after signing): {after}",
            f"    ใบรับรอง (certificate): {trust}",
            f"    SHA-256: {check.fingerprint}",
        ]
    verdict = (
        "ผล: ลายมือชื่อถูกต้อง (signature intact)"
        if verification.intact
        else "ผล: ลายมือชื่อใช้ไม่ได้หรือไม่มี (signature NOT intact); อย่ารับหนังสือฉบับนี้เป็นต้นฉบับ"
    )
    lines.append(verdict)
    return "\n".join(lines)
