"""The e-saraban exchange file: one letter, for one recipient, as the ECMS letter document.

Thai e-saraban systems exchange official letters as the TH e-GIF "ECMS" messages
(มาตรฐานแลกเปลี่ยนข้อมูลระหว่างระบบสารบรรณอิเล็กทรอนิกส์). Their transport (SOAP, the
notifiers, the organisation and code lists) belongs to a system that runs the exchange;
what a letter generator writes is the letter document, which a receiving office loads into
its system instead of retyping the number, date, subject, speed and secrecy::

    CorrespondenceLetterOutboundRequest
      rsm:GovernmentDocument
        ram:CorrespondenceLetter
          ram:ID                       ที่ as printed: นค ๐๐๑๙.๔/ว ๑๙๓
          ram:CorrespondenceDate       the letter's date, ISO, Christian era: 2018-12-11
          ram:Subject                  เรื่อง
          ram:SecretCode               001 ปกติ, 002 ลับ, 003 ลับมาก, 004 ลับที่สุด
          ram:SpeedCode                001 ปกติ, 002 ด่วน, 003 ด่วนมาก, 004 ด่วนที่สุด
          ram:SenderParty              GivenName, FamilyName, JobTitle,
                                       MinistryOrganization/ID, DepartmentOrganization/ID
          ram:ReceiverParty            the same, for the addressee
          ram:ReferenceCorrespondence* ID, CorrespondenceDate, Subject (อ้างถึง)
          ram:Attachment*              an enclosure's title (สิ่งที่ส่งมาด้วย)
          ram:SendDate
          ram:Description
          ram:MainLetterBinaryObject   @mimeCode="application/pdf": the letter PDF, base64
          ram:AttachmentBinaryObject*  @mimeCode: an enclosure file, base64
        ram:GovernmentSignature
          ram:TypeCode                 PAdES (the PDF is digitally signed) or NONE
          ram:SignerParty              GivenName, FamilyName, Title, MinistryCode, DepartmentCode

``rsm`` is ``urn:th:gov:egif:data:standard:GovernmentDocument:1.0`` and ``ram``
``urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1``. No official
XSD is published with the standard; the project ships one written from its tables
(``letters/schemas/correspondence-letter.xsd`` and the two it imports: package data, which
the wheel carries), and every file written here validates against it. Element names and
order are the standard's.

Organisation codes (the government's codes of ministries and departments) come from
config.yaml. A code the office has not recorded is written as an empty element, and
``missing_codes`` says which, as warnings: the receiving system can still load the letter.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from letters import thai

if TYPE_CHECKING:
    from lxml import etree

    from letters.config import Member
    from letters.directive import Letter

RSM = "urn:th:gov:egif:data:standard:GovernmentDocument:1.0"
RAM = "urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1"
ROOT = "CorrespondenceLetterOutboundRequest"

# The directive's words (letters.directive.Secrecy / Speed) and their ECMS codes.
SECRET_CODES = {"ปกติ": "001", "ลับ": "002", "ลับมาก": "003", "ลับที่สุด": "004"}
SPEED_CODES = {"ปกติ": "001", "ด่วน": "002", "ด่วนมาก": "003", "ด่วนที่สุด": "004"}


@dataclass(frozen=True)
class Party:
    """A sender, receiver or signer. ``where`` names the place in config.yaml its codes come
    from (``office``, ``recipients.amphoe.members[4302]``), for the warnings."""

    given_name: str
    family_name: str
    job_title: str  # JobTitle of a sender or receiver; Title of the signer
    ministry_code: str | None
    department_code: str | None
    where: str


@dataclass(frozen=True)
class Reference:
    """อ้างถึง: an earlier letter. ``subject`` is required; the number and date when known."""

    subject: str
    number: str = ""
    date: dt.date | None = None


@dataclass(frozen=True)
class EnclosureFile:
    """สิ่งที่ส่งมาด้วย: its title and its file's bytes (None: a title only, no file)."""

    title: str
    data: bytes | None = None
    filename: str = ""  # the file's name, given to the receiver ("" for none)
    mime: str = ""  # its media type; "" to take it from ``filename`` (``mime_type``)


@dataclass(frozen=True)
class Correspondence:
    """Everything one recipient's ECMS file holds, as plain values."""

    number: str  # ที่, as printed on the letter
    date: dt.date
    subject: str
    secrecy: str  # ปกติ | ลับ | ลับมาก | ลับที่สุด
    speed: str  # ปกติ | ด่วน | ด่วนมาก | ด่วนที่สุด
    sender: Party
    receiver: Party
    signer: Party
    letter_pdf: bytes  # the letter as built (signed when signing is set up), byte for byte
    send_date: dt.date
    signed: bool = False  # the PDF carries the signer's PAdES signature
    references: Sequence[Reference] = ()
    enclosures: Sequence[EnclosureFile] = ()
    description: str = ""
    letter_name: str = field(default="")  # the PDF's file name, given to the receiver


def split_name(full: str) -> tuple[str, str]:
    """``("นายวิฑูรย์", "แสนใจวุฒิ")`` from ``นายวิฑูรย์ แสนใจวุฒิ``: given name (with its
    title, as Thai writes it) and family name; a name of one word has no family name."""
    given, _, family = " ".join(full.split()).partition(" ")
    return given, family


_REFERENCE = re.compile(r"ที่\s+(?P<number>.+?)\s+ลงวันที่\s+(?P<date>.+?)\s*$")


def reference(text: str) -> Reference:
    """A directive's อ้างถึง line as a reference: the number and date read from
    ``... ที่ มท ๐๒๑๑.๓/ว ๑๒๓ ลงวันที่ ๕ ธันวาคม ๒๕๖๑`` when it is written so, the whole line
    as its subject."""
    text = " ".join(text.split())
    found = _REFERENCE.search(text)
    if found is None:
        return Reference(text)
    try:
        day: dt.date | None = thai.typed_date(found["date"]).day
    except ValueError:
        day = None
    return Reference(text, found["number"], day)


def mime_type(filename: str) -> str:
    """The media type of a file by its name: ``application/pdf``, ``image/png``, ..."""
    known = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}
    guessed = known.get(Path(filename).suffix.lower()) or mimetypes.guess_type(filename)[0]
    return guessed or "application/octet-stream"


def ecms_letter(letter: Correspondence) -> bytes:
    """The CorrespondenceLetter document of ``letter`` (UTF-8 XML, with its declaration)."""
    from lxml import etree

    def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        node = etree.SubElement(parent, f"{{{RAM}}}{name}")
        if text is not None:
            node.text = text
        return node

    def party(parent: etree._Element, name: str, who: Party) -> None:
        node = sub(parent, name)
        sub(node, "GivenName", who.given_name)
        sub(node, "FamilyName", who.family_name)
        sub(node, "JobTitle", who.job_title)
        sub(sub(node, "MinistryOrganization"), "ID", who.ministry_code or "")
        sub(sub(node, "DepartmentOrganization"), "ID", who.department_code or "")

    def binary(name: str, data: bytes, mime: str, filename: str) -> None:
        node = sub(body, name, base64.b64encode(data).decode("ascii"))
        node.set("mimeCode", mime)
        if filename:
            node.set("filename", filename)

    root = etree.Element(ROOT, nsmap={"rsm": RSM, "ram": RAM})
    document = etree.SubElement(root, f"{{{RSM}}}GovernmentDocument")
    body = sub(document, "CorrespondenceLetter")
    sub(body, "ID", letter.number)
    sub(body, "CorrespondenceDate", letter.date.isoformat())
    sub(body, "Subject", letter.subject)
    sub(body, "SecretCode", SECRET_CODES[letter.secrecy])
    sub(body, "SpeedCode", SPEED_CODES[letter.speed])
    party(body, "SenderParty", letter.sender)
    party(body, "ReceiverParty", letter.receiver)
    for ref in letter.references:
        node = sub(body, "ReferenceCorrespondence")
        sub(node, "ID", ref.number)
        sub(node, "CorrespondenceDate", ref.date.isoformat() if ref.date else "")
        sub(node, "Subject", ref.subject)
    for enclosure in letter.enclosures:
        sub(body, "Attachment", enclosure.title)
    sub(body, "SendDate", letter.send_date.isoformat())
    sub(body, "Description", letter.description)
    binary("MainLetterBinaryObject", letter.letter_pdf, "application/pdf", letter.letter_name)
    for enclosure in letter.enclosures:
        if enclosure.data is not None:
            mime = enclosure.mime or mime_type(enclosure.filename)
            binary("AttachmentBinaryObject", enclosure.data, mime, enclosure.filename)
    signature = sub(document, "GovernmentSignature")
    sub(signature, "TypeCode", "PAdES" if letter.signed else "NONE")
    signer = sub(signature, "SignerParty")
    sub(signer, "GivenName", letter.signer.given_name)
    sub(signer, "FamilyName", letter.signer.family_name)
    sub(signer, "Title", letter.signer.job_title)
    sub(signer, "MinistryCode", letter.signer.ministry_code or "")
    sub(signer, "DepartmentCode", letter.signer.department_code or "")
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def missing_codes(letter: Correspondence) -> list[str]:
    """A warning for each organisation code config.yaml does not give (once a place)."""
    warnings: list[str] = []
    seen: set[tuple[str, str]] = set()
    for who in (letter.sender, letter.receiver, letter.signer):
        for key, code in (
            ("ministry_code", who.ministry_code),
            ("department_code", who.department_code),
        ):
            if code or (who.where, key) in seen:
                continue
            seen.add((who.where, key))
            warnings.append(
                f"คำเตือน (warning): config.yaml ไม่มี {who.where}.{key} "
                "(organisation code); ไฟล์ ECMS จึงเว้นช่องรหัสนี้ว่างไว้ "
                "เพิ่มรหัสหน่วยงานใน config.yaml หากระบบสารบรรณของผู้รับต้องใช้"
            )
    return warnings


def schema_path() -> Path:
    """The shipped XSD of the document (it imports the rsm and ram schemas beside it)."""
    return Path(__file__).resolve().parent / "schemas" / "correspondence-letter.xsd"


@functools.cache
def _schema() -> etree.XMLSchema:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(schema_path())))


def schema_errors(xml: bytes) -> list[str]:
    """What in ``xml`` the shipped XSD refuses (``line N: message``); empty when valid."""
    from lxml import etree

    schema = _schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        document = etree.fromstring(xml, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# --- from a built letter ----------------------------------------------------------------


def _party(
    name: str, title: str, ministry: str | None, department: str | None, where: str
) -> Party:
    given, family = split_name(name)
    return Party(given, family, title, ministry, department, where)


def correspondence(
    letter: Letter,
    member: Member,
    number: str,
    letter_pdf: bytes,
    *,
    send_date: dt.date,
    signed: bool,
    letter_name: str,
) -> Correspondence:
    """One recipient's ECMS document of a built ``letter``: ``number`` is its ที่ as printed
    (without the word ที่), ``letter_pdf`` the letter file as built."""
    d = letter.directive
    office = letter.config.model.office
    group = next(k for k, g in letter.config.model.recipients.items() if g is letter.group)
    position = " ".join(letter.signer.position)
    sender = _party(
        letter.signer.name, position, office.ministry_code, office.department_code, "office"
    )
    receiver = Party(
        "",
        "",
        member.title,
        member.ministry_code,
        member.department_code,
        f"recipients.{group}.members[{member.code}]",
    )
    enclosures = [EnclosureFile(e.title, e.file.data, e.file.path.name) for e in letter.enclosures]
    return Correspondence(
        number=number,
        date=d.date,
        subject=d.subject,
        secrecy=d.secrecy,
        speed=d.speed,
        sender=sender,
        receiver=receiver,
        signer=sender,
        letter_pdf=letter_pdf,
        send_date=send_date,
        signed=signed,
        references=[reference(text) for text in d.references],
        enclosures=enclosures,
        description=letter.group.collective if d.kind == "circular" else "",
        letter_name=letter_name,
    )


def missing_summary(letters: Sequence[Correspondence]) -> list[str]:
    """One warning for the organisation codes a set of documents lacks: the office's by
    name, the recipients' by count (``missing_codes`` says them one by one)."""
    own: list[str] = []
    recipients: set[str] = set()
    for letter in letters:
        for who in (letter.sender, letter.signer, letter.receiver):
            for key, code in (
                ("ministry_code", who.ministry_code),
                ("department_code", who.department_code),
            ):
                if code:
                    continue
                if who is letter.receiver:
                    recipients.add(who.where)
                elif f"{who.where}.{key}" not in own:
                    own.append(f"{who.where}.{key}")
    if not own and not recipients:
        return []
    parts = own + (
        [f"ministry_code/department_code ของผู้รับ {thai.thai_number(len(recipients))} ราย"]
        if recipients
        else []
    )
    return [
        f"คำเตือน (warning): config.yaml ไม่มีรหัสหน่วยงาน (organisation code): {', '.join(parts)}; "
        "ไฟล์ ECMS เว้นช่องนี้ว่างไว้: เพิ่มรหัสใน config.yaml ถ้าระบบสารบรรณของผู้รับต้องใช้"
    ]


def write_exchange(
    letter: Letter, lines: Mapping[str, str], folder: Path, *, today: dt.date | None = None
) -> tuple[list[Path], list[str]]:
    """``ecms/<code>-<district>.xml`` in the build ``folder`` of ``letter``, one document
    for each PDF letter its manifest lists (``lines``: each recipient's ที่ line), checked
    against the shipped XSD and added to the manifest; the folder's earlier exchange files
    replaced at once. The files written (relative to ``folder``) and the warnings."""
    import hashlib
    import shutil

    from letters import manifest
    from letters.errors import OutputError

    built = manifest.read(folder)
    assert built is not None  # the caller checked the build (manifest.last_build)
    members = {m.code: m for m in letter.recipients}
    documents: dict[Path, bytes] = {}
    letters: list[Correspondence] = []
    for entry in built.letters:
        pdf = entry.files.get("pdf")
        member = members.get(entry.code)
        if pdf is None or member is None:
            continue
        data = (folder / pdf).read_bytes()
        if hashlib.sha256(data).hexdigest() != built.files[str(pdf)]:
            raise OutputError(
                f"{folder / pdf}: ไฟล์ไม่ตรงกับที่สร้างไว้ (changed since the build): "
                "สั่ง letters build ใหม่แล้ว export อีกครั้ง"
            )
        document = correspondence(
            letter,
            member,
            lines[entry.code].removeprefix("ที่").strip(),
            data,
            send_date=today or dt.date.today(),
            signed=b"/ByteRange" in data,
            letter_name=pdf.name,
        )
        letters.append(document)
        xml = ecms_letter(document)
        problems = schema_errors(xml)
        assert not problems, problems  # the writer makes only what its schema allows
        documents[Path("ecms") / f"{pdf.stem}.xml"] = xml
    if not documents:
        raise OutputError(
            f"{folder}: ไม่มีหนังสือ PDF ในผลการสร้าง (no PDF letters): "
            "สั่ง letters build --format pdf ก่อน"
        )
    staging = folder / ".ecms.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for relative, xml in documents.items():
        (staging / relative.name).write_bytes(xml)
    shutil.rmtree(folder / "ecms", ignore_errors=True)
    staging.rename(folder / "ecms")
    manifest.list_exchange(folder, list(documents))
    return list(documents), missing_summary(letters)
