"""One recipient's e-mail, written and parsed back: subject, cover note, attachment, Message-ID."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import CONFIG, EXAMPLE

from letters.directive import load_letter
from letters.errors import DispatchError
from letters.message import (
    attachment_name,
    compose,
    new_message_id,
    outgoing,
    plain_address,
    sender_address,
    subject_line,
)

SENDER = "สำนักงานจังหวัดหนองคาย <saraban@cd.nongkhai.example>"


def test_subject_line_makes_digits_thai() -> None:
    assert subject_line("นค 0019.4/ว 193", "ประชุม 2 ครั้ง") == ("ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ประชุม ๒ ครั้ง")
    assert subject_line("นค 0019.4/ว 193", "ประชุม", "ด่วน") == "ด่วน ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ประชุม"


def test_message_reads_back_as_written(tmp_path: Path) -> None:
    letter = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    member = letter.recipients[0]
    bundle = tmp_path / f"{member.code}-{member.name}.pdf"
    bundle.write_bytes(b"%PDF-1.7\n% a bundle\n")
    item = outgoing(letter, member, "๑๙๓", bundle)
    message_id = new_message_id(SENDER)
    parsed = email.message_from_bytes(
        compose(item, SENDER, message_id).as_bytes(), policy=email.policy.default
    )
    assert isinstance(parsed, EmailMessage)
    assert str(parsed["Subject"]) == item.subject
    assert item.subject.startswith("ที่ นค ๐๐๑๙.๔/ว ๑๙๓ เรื่อง ")  # ปกติ: no speed
    assert str(parsed["Message-ID"]) == message_id
    assert message_id.endswith("@cd.nongkhai.example>")
    assert str(parsed["To"]) == member.email
    text = parsed.get_body(("plain",))
    page = parsed.get_body(("html",))
    assert text is not None and page is not None
    # To the district's head, from the province (the office sits in its ศาลากลาง).
    assert text.get_content().startswith("เรียน นายอำเภอเมืองหนองคาย")
    assert "จังหวัดหนองคาย ขอส่งหนังสือที่ นค ๐๐๑๙.๔/ว ๑๙๓ ลงวันที่ ๑๑ ธันวาคม ๒๕๖๑" in (text.get_content())
    assert "ศาลากลาง" not in text.get_content()
    (attachment,) = list(parsed.iter_attachments())
    name = attachment.get_filename()
    assert name is not None and name.startswith("นค ๐๐๑๙.๔-ว ๑๙๓ การปฏิบัติการสื่อสาร")
    assert name.endswith(".pdf") and len(name.encode()) <= 200
    assert "เมืองหนองคาย" not in name  # named after the letter, not the district
    assert f"ไฟล์ที่แนบ (attachment): {name}" in text.get_content()
    assert f"<b>{name}</b>" in page.get_content() and '<html lang="th">' in page.get_content()
    assert attachment.get_content() == bundle.read_bytes()


URGENT = """\
kind: external
number: auto
date: 2569-03-02
speed: ด่วนที่สุด
subject: ขอข้อมูลผู้ประสบภัย/ผู้ได้รับผลกระทบ รอบที่ 2
to:
  group: amphoe
  address: each
enclosures:
  - title: แบบสำรวจ
    quantity: 1 ชุด
    file: pr/line-at-poster.pdf
body:
  - ย่อหน้าแรก
closing: จึงเรียนมาเพื่อโปรดดำเนินการ
signer: provincial-cd-officer
owner: cd-informatics
follow_up:
  due: 2569-03-16
  tasks:
    - ส่งแบบสำรวจ
"""


def test_urgent_external_letter_reads_as_a_letter(workdir: Path) -> None:
    """The subject carries the speed, the number and the subject; the body the date, what is
    attached, the due date and how to reply; the attachment is named after the letter."""
    directive = workdir / "line-at" / "urgent.yaml"
    directive.write_text(URGENT, encoding="utf-8")
    letter = load_letter(directive)
    member = letter.recipients[1]
    bundle = workdir / f"{member.code}-{member.name}.pdf"
    bundle.write_bytes(b"%PDF-1.7\n")
    item = outgoing(letter, member, "ที่ นค ๐๐๑๙.๔/๔๑", bundle)
    assert item.subject == ("ด่วนที่สุด ที่ นค ๐๐๑๙.๔/๔๑ เรื่อง ขอข้อมูลผู้ประสบภัย/ผู้ได้รับผลกระทบ รอบที่ ๒")
    parsed = email.message_from_bytes(
        compose(item, SENDER, new_message_id(SENDER)).as_bytes(), policy=email.policy.default
    )
    assert isinstance(parsed, EmailMessage)
    assert str(parsed["Subject"]) == item.subject
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == ("นค ๐๐๑๙.๔-๔๑ ขอข้อมูลผู้ประสบภัย-ผู้ได้รับผลกระทบ รอบที่ ๒.pdf")
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert text.startswith("เรียน นายอำเภอท่าบ่อ\n")
    assert "ลงวันที่ ๒ มีนาคม ๒๕๖๙" in text
    assert "๑. หนังสือที่ นค ๐๐๑๙.๔/๔๑\n๒. สิ่งที่ส่งมาด้วย: แบบสำรวจ (๑ ชุด)\n" in text
    assert "๓. แบบรายงานผลการดำเนินการ (reply form)" in text
    assert "โปรดดำเนินการและแจ้งผลภายในวันที่ ๑๖ มีนาคม ๒๕๖๙" in text
    assert "วิธีตอบ (how to reply): ตอบกลับอีเมลนี้ (reply)" in text
    assert "saraban@cd.nongkhai.example" in text
    assert "\nขอแสดงความนับถือ\nจังหวัดหนองคาย\n" in text  # signed by the sending office


def test_attachment_name_is_cut_between_whole_characters() -> None:
    name = attachment_name("ที่ นค 0019.4/ว 193", "การปฏิบัติ" * 30 + ' <a>:"b"|c?')
    assert len(name.encode()) <= 200 and name.endswith("….pdf")
    assert name.startswith("นค ๐๐๑๙.๔-ว ๑๙๓ การปฏิบัติ")
    short = attachment_name("นค 1/2", 'a\\b:c*d?e"f<g>h|i\x07')
    assert short == "นค ๑-๒ a_b_c_d_e_f_g_h_i_.pdf"


def test_missing_attachment_says_to_build_again(tmp_path: Path) -> None:
    letter = load_letter(EXAMPLE / "directive.yaml", CONFIG)
    item = outgoing(letter, letter.recipients[0], "๑๙๓", tmp_path / "gone.pdf")
    with pytest.raises(DispatchError, match="letters build"):
        compose(item, SENDER, new_message_id(SENDER))


@pytest.mark.parametrize(
    ("address", "plain"),
    [
        ("saraban@amphoe.go.th", True),
        ("อำเภอ <saraban@amphoe.go.th>", False),
        ("a@amphoe.go.th, b@amphoe.go.th", False),
        ("saraban@amphoe.go.th\r\nBcc: x@y.z", False),
        ("สารบรรณ@amphoe.go.th", False),
    ],
)
def test_only_one_plain_address_is_sent_to(address: str, plain: bool) -> None:
    assert plain_address(address) is plain


def test_sender_must_be_one_address() -> None:
    assert sender_address(SENDER) == "saraban@cd.nongkhai.example"
    with pytest.raises(DispatchError, match="not one e-mail address"):
        sender_address("a@x.example, b@x.example")
