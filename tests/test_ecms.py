"""The e-saraban exchange file (letters.ecms): the reference directive's letter as the ECMS
CorrespondenceLetter document, checked against the shipped XSD with lxml, and read back."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE, ROOT, Prebuilt, Runner
from lxml import etree

from letters import ecms
from letters.directive import SECRECIES, SPEEDS, Letter, load_letter

NS = {"rsm": ecms.RSM, "ram": ecms.RAM}
MINISTRY, DEPARTMENT = "0015", "0015.05"  # made-up codes of the office (config.yaml has none yet)


@pytest.fixture(scope="module")
def letter() -> Letter:
    return load_letter(EXAMPLE / "directive.yaml", CONFIG)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    """Bytes standing for the built letter: a real PDF, with every byte value in it."""
    return (EXAMPLE / "pr" / "line-at-poster.pdf").read_bytes() + bytes(range(256))


def correspondence(letter: Letter, pdf: bytes, member: int = 1) -> ecms.Correspondence:
    """What the build will feed ``ecms_letter`` for one recipient of the reference letter."""
    office = letter.config.model.office
    given, family = ecms.split_name(letter.signer.name)
    title = " ".join(letter.signer.position)
    sender = ecms.Party(given, family, title, MINISTRY, DEPARTMENT, "office")
    to = letter.recipients[member]
    receiver = ecms.Party(
        "", "", to.title, "0015", None, f"recipients.{letter.directive.to.group}.members[{to.code}]"
    )
    return ecms.Correspondence(
        number=f"{office.code}/ว ๑๙๓",
        date=letter.directive.date,
        subject=letter.directive.subject,
        secrecy=letter.directive.secrecy,
        speed=letter.directive.speed,
        sender=sender,
        receiver=receiver,
        signer=sender,
        letter_pdf=pdf,
        letter_name="letter.pdf",
        send_date=dt.date(2018, 12, 12),
        signed=True,
        references=[
            ecms.reference("หนังสือกระทรวงมหาดไทย ที่ มท ๐๒๑๑.๓/ว ๖๗๘๙ ลงวันที่ ๓ ธันวาคม ๒๕๖๑"),
            ecms.reference("โทรสารกระทรวงมหาดไทย ด่วนที่สุด"),
        ],
        enclosures=[
            ecms.EnclosureFile(e.title, e.file.data, e.file.path.name) for e in letter.enclosures
        ],
        description=letter.directive.closing,
    )


def parsed(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(huge_tree=True))


def text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, NS)
    assert found is not None, path
    return found.text


LETTER = "rsm:GovernmentDocument/ram:CorrespondenceLetter"


def test_the_document_validates_against_the_shipped_xsd(letter: Letter, pdf: bytes) -> None:
    xml = ecms.ecms_letter(correspondence(letter, pdf))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert ecms.schema_errors(xml) == []
    # The same, checked with the XSD files as lxml reads them (no help from letters.ecms).
    schema = etree.XMLSchema(etree.parse(str(ROOT / "letters/schemas/correspondence-letter.xsd")))
    schema.assertValid(parsed(xml))


def test_the_fields_a_receiving_office_would_retype(letter: Letter, pdf: bytes) -> None:
    root = parsed(ecms.ecms_letter(correspondence(letter, pdf)))
    assert root.tag == "CorrespondenceLetterOutboundRequest"
    body = root.find(LETTER, NS)
    assert body is not None
    assert [etree.QName(c).localname for c in body] == [
        "ID",
        "CorrespondenceDate",
        "Subject",
        "SecretCode",
        "SpeedCode",
        "SenderParty",
        "ReceiverParty",
        "ReferenceCorrespondence",
        "ReferenceCorrespondence",
        "Attachment",
        "Attachment",
        "SendDate",
        "Description",
        "MainLetterBinaryObject",
        "AttachmentBinaryObject",
        "AttachmentBinaryObject",
    ]
    assert text(root, f"{LETTER}/ram:ID") == "นค 0019.4/ว ๑๙๓"
    assert text(root, f"{LETTER}/ram:CorrespondenceDate") == "2018-12-11"
    assert text(root, f"{LETTER}/ram:Subject") == (
        "การปฏิบัติการสื่อสารของกระทรวงมหาดไทยผ่านแอปพลิเคชันไลน์แอด (Line@) @มหาดไทย"
    )
    assert text(root, f"{LETTER}/ram:SendDate") == "2018-12-12"
    assert text(root, f"{LETTER}/ram:ReceiverParty/ram:JobTitle") == "นายอำเภอท่าบ่อ"
    assert text(root, f"{LETTER}/ram:SenderParty/ram:GivenName") == "นายวิฑูรย์"
    assert text(root, f"{LETTER}/ram:SenderParty/ram:FamilyName") == "แสนใจวุฒิ"
    assert text(root, f"{LETTER}/ram:SenderParty/ram:MinistryOrganization/ram:ID") == MINISTRY
    assert [a.text for a in root.findall(f"{LETTER}/ram:Attachment", NS)] == [
        "สื่อประชาสัมพันธ์ไลน์แอด @มหาดไทย",
        "ภาพเชิญชวนเข้าร่วมเป็นสมาชิกไลน์แอด @มหาดไทย",
    ]
    first, second = root.findall(f"{LETTER}/ram:ReferenceCorrespondence", NS)
    assert [c.text or "" for c in first] == [
        "มท ๐๒๑๑.๓/ว ๖๗๘๙",
        "2018-12-03",
        "หนังสือกระทรวงมหาดไทย ที่ มท ๐๒๑๑.๓/ว ๖๗๘๙ ลงวันที่ ๓ ธันวาคม ๒๕๖๑",
    ]
    assert [c.text or "" for c in second] == ["", "", "โทรสารกระทรวงมหาดไทย ด่วนที่สุด"]
    signature = "rsm:GovernmentDocument/ram:GovernmentSignature"
    assert text(root, f"{signature}/ram:TypeCode") == "PAdES"
    assert text(root, f"{signature}/ram:SignerParty/ram:GivenName") == "นายวิฑูรย์"
    assert text(root, f"{signature}/ram:SignerParty/ram:Title") == (
        "พัฒนาการจังหวัด ปฏิบัติราชการแทน ผู้ว่าราชการจังหวัดหนองคาย"
    )
    assert text(root, f"{signature}/ram:SignerParty/ram:DepartmentCode") == DEPARTMENT


def test_the_letter_and_enclosures_decode_byte_for_byte(letter: Letter, pdf: bytes) -> None:
    root = parsed(ecms.ecms_letter(correspondence(letter, pdf)))
    main = root.find(f"{LETTER}/ram:MainLetterBinaryObject", NS)
    assert main is not None and main.text is not None
    assert main.get("mimeCode") == "application/pdf"
    assert main.get("filename") == "letter.pdf"
    assert base64.b64decode(main.text, validate=True) == pdf
    attached = root.findall(f"{LETTER}/ram:AttachmentBinaryObject", NS)
    assert [(a.get("mimeCode"), a.get("filename")) for a in attached] == [
        ("application/pdf", "line-at-poster.pdf"),
        ("image/png", "line-at-card.png"),
    ]
    for node, enclosure in zip(attached, letter.enclosures, strict=True):
        assert base64.b64decode(node.text or "", validate=True) == enclosure.file.data


@pytest.mark.parametrize("level", range(4))
def test_speed_and_secrecy_codes(letter: Letter, pdf: bytes, level: int) -> None:
    """ปกติ 001, then ด่วน/ลับ 002, ด่วนมาก/ลับมาก 003, ด่วนที่สุด/ลับที่สุด 004."""
    given = dataclasses.replace(
        correspondence(letter, pdf), speed=SPEEDS[level], secrecy=SECRECIES[level]
    )
    xml = ecms.ecms_letter(given)
    assert ecms.schema_errors(xml) == []
    root = parsed(xml)
    assert text(root, f"{LETTER}/ram:SpeedCode") == f"00{level + 1}"
    assert text(root, f"{LETTER}/ram:SecretCode") == f"00{level + 1}"
    # The other way round too: a speed and a secrecy of different levels stay apart.
    other = dataclasses.replace(given, secrecy=SECRECIES[3 - level])
    assert text(parsed(ecms.ecms_letter(other)), f"{LETTER}/ram:SecretCode") == f"00{4 - level}"


def test_every_word_of_the_directive_has_a_code() -> None:
    assert set(ecms.SPEED_CODES) == set(SPEEDS)
    assert set(ecms.SECRET_CODES) == set(SECRECIES)


def test_a_missing_organisation_code_is_an_empty_element_and_a_warning(
    letter: Letter, pdf: bytes
) -> None:
    given = correspondence(letter, pdf)
    assert ecms.missing_codes(given) == [
        "คำเตือน (warning): config.yaml ไม่มี recipients.amphoe.members[4302].department_code "
        "(organisation code); ไฟล์ ECMS จึงเว้นช่องรหัสนี้ว่างไว้ "
        "เพิ่มรหัสหน่วยงานใน config.yaml หากระบบสารบรรณของผู้รับต้องใช้"
    ]
    xml = ecms.ecms_letter(given)
    assert ecms.schema_errors(xml) == []
    root = parsed(xml)
    empty = root.find(f"{LETTER}/ram:ReceiverParty/ram:DepartmentOrganization/ram:ID", NS)
    assert empty is not None and not empty.text

    # No codes at all: every code element is there, empty; one warning per place and code.
    bare = dataclasses.replace(given.sender, ministry_code=None, department_code="")
    unsigned = dataclasses.replace(given, sender=bare, signer=bare, signed=False)
    warnings = ecms.missing_codes(unsigned)
    assert [re.search(r"ไม่มี (\S+)", w)[1] for w in warnings] == [  # type: ignore[index]
        "office.ministry_code",
        "office.department_code",
        "recipients.amphoe.members[4302].department_code",
    ]
    xml = ecms.ecms_letter(unsigned)
    assert ecms.schema_errors(xml) == []
    root = parsed(xml)
    signer = "rsm:GovernmentDocument/ram:GovernmentSignature/ram:SignerParty"
    assert text(root, f"{signer}/ram:MinistryCode") is None
    assert text(root, "rsm:GovernmentDocument/ram:GovernmentSignature/ram:TypeCode") == "NONE"


def test_the_xsd_refuses_what_the_standard_does_not_allow(letter: Letter, pdf: bytes) -> None:
    """The tests above would pass against an XSD that accepts anything: this one cannot."""
    good = ecms.ecms_letter(correspondence(letter, pdf)).decode("utf-8")
    broken = {
        "a speed code outside 001-004": good.replace(
            "<ram:SpeedCode>001</ram:SpeedCode>", "<ram:SpeedCode>005</ram:SpeedCode>"
        ),
        "a Buddhist-era date written as it is printed": good.replace(
            "<ram:CorrespondenceDate>2018-12-11<", "<ram:CorrespondenceDate>๑๑ ธันวาคม ๒๕๖๑<"
        ),
        "Subject before ID": re.sub(
            r"(<ram:ID>[^<]*</ram:ID>)(\s*<ram:CorrespondenceDate>[^<]*</ram:CorrespondenceDate>)"
            r"(\s*<ram:Subject>[^<]*</ram:Subject>)",
            r"\3\2\1",
            good,
            count=1,
        ),
        "no letter PDF": re.sub(
            r"<ram:MainLetterBinaryObject[^>]*>[^<]*</ram:MainLetterBinaryObject>", "", good
        ),
        "a letter that is not a PDF": good.replace(
            'MainLetterBinaryObject mimeCode="application/pdf"',
            'MainLetterBinaryObject mimeCode="image/png"',
        ),
        "text that is not base64": re.sub(r'(filename="letter\.pdf">..).', r"\1!", good),
        "the sender outside the ram namespace": good.replace(
            "<ram:SenderParty>", '<SenderParty xmlns="urn:other">'
        ).replace("</ram:SenderParty>", "</SenderParty>"),
    }
    for why, xml in broken.items():
        assert xml != good, why
        assert ecms.schema_errors(xml.encode("utf-8")), why


def test_references_as_clerks_write_them() -> None:
    ref = ecms.reference("หนังสือจังหวัดหนองคาย ที่ นค ๐๐๑๙.๔/ว ๑๕ ลงวันที่ 5 ม.ค. 2562")
    assert (ref.number, ref.date) == ("นค ๐๐๑๙.๔/ว ๑๕", dt.date(2019, 1, 5))
    unreadable = ecms.reference("หนังสือ ที่ นค ๑ ลงวันที่ เมื่อวาน")
    assert (unreadable.number, unreadable.date) == ("นค ๑", None)
    assert ecms.reference("  ประกาศ   จังหวัด ").subject == "ประกาศ จังหวัด"


def test_the_schema_ships_inside_the_package() -> None:
    """``letters/schemas/`` is package data: the wheel carries it as it carries the code."""
    path = ecms.schema_path()
    assert path == ROOT / "letters" / "schemas" / "correspondence-letter.xsd"
    for name in ("government-document.xsd", "reusable-aggregate.xsd"):
        assert (path.parent / name).is_file()


def test_export_ecms_writes_one_valid_file_a_district_of_the_built_letter(
    tmp_path: Path, prebuilt: Prebuilt, letters: Runner
) -> None:
    """``letters export ecms`` after ``letters build``: 9 XML files beside the build, valid
    against the shipped XSD, each carrying its district's built PDF byte for byte."""
    office = prebuilt(tmp_path)
    result = letters("export", "ecms", "line-at/directive.yaml", cwd=office)
    assert result.code == 0, result.text
    assert "organisation code" in result.err  # the project's config records none: a warning
    folder = office / "out" / "line-at"
    files = sorted((folder / "ecms").glob("*.xml"))
    assert [f.stem for f in files] == sorted(p.stem for p in (folder / "letters").glob("*.pdf"))
    assert len(files) == 9
    listed = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["ecms"]
    for path in files:
        xml = path.read_bytes()
        assert ecms.schema_errors(xml) == []
        document = etree.fromstring(xml)
        main = document.find(".//ram:MainLetterBinaryObject", NS)
        assert main is not None and main.text is not None
        pdf = folder / "letters" / f"{path.stem}.pdf"
        assert base64.b64decode(main.text) == pdf.read_bytes()
        assert document.findtext(".//ram:SpeedCode", namespaces=NS) == "001"  # ปกติ
        assert document.findtext(".//ram:SecretCode", namespaces=NS) == "001"
        assert document.findtext(".//ram:ID", namespaces=NS) == "นค ๐๐๑๙.๔/ว ๑"
        code = path.stem.split("-")[0]
        title = document.findtext(".//ram:ReceiverParty/ram:JobTitle", namespaces=NS)
        assert title is not None and title.startswith("นายอำเภอ") and code in path.name
        enclosures = document.findall(".//ram:AttachmentBinaryObject", NS)
        assert len(enclosures) == 2
    assert {e["path"]: e["sha256"] for e in listed} == {
        f"ecms/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }
    # The folder is still one the build may replace: the exchange files are the build's.
    again = letters("build", "line-at/directive.yaml", cwd=office)
    assert again.code == 0, again.text
