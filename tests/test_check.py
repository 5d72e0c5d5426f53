"""``letters check`` through the command line: the summary of the letter ``load_letter``
reads, and its notes, which ``letters build`` prints too. (The refusals, each at its line,
are in tests/test_directive.py: one table for check and build alike.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Runner
from test_directive import BASE


def _office(workdir: Path, directive: str) -> None:
    (workdir / "line-at" / "directive.yaml").write_text(directive, encoding="utf-8")


AUTO = "เลขที่ (number): อัตโนมัติจากทะเบียนส่ง (auto)"
FOLLOW_UP = "ติดตามผล (follow-up): ๑ งาน ภายใน ๒๕ ธันวาคม ๒๕๖๑"


@pytest.mark.parametrize(
    ("directive", "shown", "not_shown"),
    [
        (
            BASE,
            [
                "ชนิด (kind): หนังสือเวียน (circular)",
                AUTO,
                "ลงวันที่ (date): ๑๑ ธันวาคม ๒๕๖๑",
                "เรื่อง (subject): ทดสอบระบบ",
                "ผู้รับ (recipients): ๙ ราย (นายอำเภอทุกอำเภอ)",
                "สิ่งที่ส่งมาด้วย (enclosures): ๑ รายการ",
                "  ๑. โปสเตอร์ (PDF, ๑ หน้า)",
                "ผู้ลงนาม (signer): นายวิฑูรย์ แสนใจวุฒิ",
                FOLLOW_UP,
            ],
            [],
        ),
        (
            BASE.replace(
                "  address: collective", "  address: each\n  only: ['๔๓๐๕', '4301', '4305']"
            ),
            ["ผู้รับ (recipients): ๒ ราย (ถึงแต่ละราย)"],
            [],
        ),
        (
            BASE.replace("kind: circular\nnumber: auto", "kind: external\nnumber: ' 193 '"),
            ["ชนิด (kind): หนังสือภายนอก (external)", "เลขที่ (number): ๑๙๓"],
            [AUTO],
        ),
        (
            BASE.replace("follow_up:\n  due: 2018-12-25\n  tasks:\n    - งานหนึ่ง\n", ""),
            ["สิ่งที่ส่งมาด้วย (enclosures): ๑ รายการ"],
            [FOLLOW_UP],
        ),
        (
            BASE.replace("    file: pr/line-at-poster.pdf", "    file: pr/line-at-card.png"),
            ["  ๑. โปสเตอร์ (PNG, ภาพ)"],
            ["  ๑. โปสเตอร์ (PDF, ๑ หน้า)"],
        ),
    ],
    ids=["base", "each-only", "external", "no-follow-up", "image"],
)
def test_check_summarises_the_letter(
    workdir: Path, letters: Runner, directive: str, shown: list[str], not_shown: list[str]
) -> None:
    _office(workdir, directive)
    result = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert result.code == 0, result.text
    lines = result.out.splitlines()
    for line in shown:
        assert line in lines, result.out
    for line in not_shown:
        assert line not in lines, result.out
    assert lines[-1] == "ตรวจแล้ว ถูกต้อง (OK)"
    assert result.err == ""


def test_build_prints_the_notes_check_prints(workdir: Path, letters: Runner) -> None:
    """A date read as พ.ศ. and a date years from today: check lists them with the summary,
    build warns of them before it writes (it does not refuse)."""
    _office(
        workdir,
        BASE.replace("date: 2018-12-11", "date: ๑๑ ธันวาคม ๒๕๖๑").replace(
            "due: 2018-12-25", "due: 2561-12-25"
        ),
    )
    checked = letters("check", "line-at/directive.yaml", cwd=workdir)
    assert checked.code == 0, checked.text
    read = "เป็นปี พ.ศ. ๒๕๖๑ = ค.ศ. 2018 (Buddhist-era year)"
    notes = [
        f"line-at/directive.yaml:3:7: date: หมายเหตุ (note): อ่าน '๑๑ ธันวาคม ๒๕๖๑' {read}",
        "line-at/directive.yaml:3:7: date: คำเตือน (warning): ๑๑ ธันวาคม ๒๕๖๑ ห่างจากวันนี้"
        "เกินหนึ่งปี (more than a year from today): อ่าน '๑๑ ธันวาคม ๒๕๖๑' เป็น พ.ศ. ๒๕๖๑ "
        "= ค.ศ. 2018; ถ้าไม่ใช่ แก้ปีให้ถูก",
        f"line-at/directive.yaml:21:8: follow_up.due: หมายเหตุ (note): อ่าน '2561-12-25' {read}",
    ]
    assert checked.out.splitlines()[-4:-1] == notes

    built = letters(
        "build", "line-at/directive.yaml", "--draft", "--only", "4301", "--format", "pdf",
        cwd=workdir,
    )  # fmt: skip
    assert built.code == 0, built.text
    assert built.err.splitlines()[:3] == notes
    assert "ไม่พบภาพตราครุฑ" in built.err  # the build's own warning, after them
