"""Following up a letter: who has done what was asked, and follow-up letters for the rest.

``track`` records what a district reported (by hand or from the checklist the clerk filled
in Excel), ``status`` shows recipients x tasks, and ``remind`` writes หนังสือติดตาม to the
recipients with tasks still open after the due date: a new letter with its own number,
referring to the original (its ที่ and date), listing only that district's open tasks, with
a new due date; written, numbered and registered like any other letter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from letters import thai
from letters.build import (
    BuildResult,
    Item,
    Progress,
    check_out,
    default_out,
    register_path,
    write_folder,
)
from letters.config import Member
from letters.directive import FollowUp, Letter, Paragraph, To, load_letter
from letters.errors import InputError, Problem, RegisterError
from letters.register import Register, RegisterRow

DEFAULT_DAYS = 7  # a follow-up letter's new due date: this many days after its date


def _open(letter: Letter, register: Path | None, *, create: bool = False) -> Register:
    return Register(register_path(letter.config, register), create=create)


def _numbered(reg: Register, letter: Letter) -> str:
    """The directive's identity in the register; it must have been built (not as a draft)."""
    did = reg.identity(letter.path)
    if reg.numbers(letter, did) is None:
        raise RegisterError(
            f"{reg.path}: '{letter.path}' ยังไม่ได้ออกเลข (not in the register): "
            "สร้างหนังสือด้วย letters build (ไม่ใช่ --draft) ก่อน"
        )
    return did


def _tasks(letter: Letter) -> tuple[list[str], dt.date | None]:
    follow = letter.directive.follow_up
    if follow is None:
        raise InputError(
            [
                letter.source.problem(
                    ("follow_up",),
                    "หนังสือนี้ไม่มี follow_up (no follow-up tasks): เพิ่ม follow_up.due และ "
                    "follow_up.tasks ก่อนติดตามผล",
                )
            ]
        )
    return list(follow.tasks), follow.due


def track(
    directive: Path,
    config: Path | None = None,
    *,
    register: Path | None = None,
    recipient: str | None = None,
    task: int | None = None,
    done: bool = True,
    replied: bool = False,
    on: dt.date | None = None,
    note: str | None = None,
    checklist: Path | None = None,
    today: dt.date | None = None,
) -> str:
    """Record a recipient's task (or reply) by hand, or import the filled-in checklist."""
    letter = load_letter(directive, config)
    _tasks(letter)
    today = today or dt.date.today()
    with _open(letter, register) as reg:
        did = _numbered(reg, letter)
        if checklist is not None:
            if not checklist.is_file():
                raise InputError([Problem(str(checklist), 0, 0, "", "ไม่พบไฟล์ (no such file)")])
            result = reg.import_checklist(did, checklist, today=today)
            lines = [
                f"นำเข้าแล้ว (imported): งานที่ทำแล้ว {result.marked} รายการ, "
                f"วันที่ตอบ {result.replied} ราย จาก {len(result.codes)} ราย"
            ]
            if result.unknown:
                lines.append("ข้ามรหัสที่ไม่ใช่ผู้รับหนังสือนี้ (unknown codes): " + ", ".join(result.unknown))
            return "\n".join(lines)
        code = _recipient(letter, recipient)
        when = on or today
        if replied:
            reg.mark_replied(did, code, when)
            return f"บันทึกแล้ว (recorded): {code} ตอบกลับเมื่อ {thai.thai_date(when)}"
        if task is None:
            raise InputError([Problem("--task", 0, 0, "", "ระบุงานที่ --task N (which task)")])
        if done:
            reg.mark_done(did, code, task, when, note)
            return (
                f"บันทึกแล้ว (recorded): {code} ทำงานที่ {thai.thai_number(task)} แล้ว "
                f"เมื่อ {thai.thai_date(when)}"
            )
        reg.mark_open(did, code, task)
        return f"บันทึกแล้ว (recorded): {code} งานที่ {thai.thai_number(task)} ยังไม่ได้ทำ"


def _recipient(letter: Letter, code: str | None) -> str:
    if code is None:
        raise InputError(
            [Problem("--recipient", 0, 0, "", "ระบุรหัสผู้รับ --recipient CODE (which recipient)")]
        )
    wanted = thai.arabic_digits(code.strip())
    if wanted not in {m.code for m in letter.recipients}:
        codes = ", ".join(m.code for m in letter.recipients)
        raise InputError(
            [
                Problem(
                    "--recipient",
                    0,
                    0,
                    "",
                    f"ไม่มีผู้รับรหัส '{code}' ในหนังสือนี้ (unknown recipient); ที่มี: {codes}",
                )
            ]
        )
    return wanted


_STATE = {"done": "ทำแล้ว", "open": "ยังไม่ทำ", "overdue": "เกินกำหนด"}


def status(
    directive: Path,
    config: Path | None = None,
    *,
    register: Path | None = None,
    today: dt.date | None = None,
) -> str:
    """Recipients x tasks: sent date, replied date, and each task done / open / overdue."""
    letter = load_letter(directive, config)
    tasks, due = _tasks(letter)
    today = today or dt.date.today()
    with _open(letter, register) as reg:
        did = _numbered(reg, letter)
        found = reg.status(did, tasks, due, today)
    names = {m.code: m.name for m in letter.group.members}
    lines = [
        f"เรื่อง (subject): {letter.directive.subject}",
        f"ครบกำหนด (due): {thai.thai_date(due) if due else '-'}  ณ วันที่ (as of): "
        f"{thai.thai_date(today)}",
    ]
    for i, text in enumerate(tasks, 1):
        lines.append(f"  งานที่ {thai.thai_number(i)}: {text}")
    header = ["รหัส", "อำเภอ", "ส่งเมื่อ", "ตอบเมื่อ", *[f"งาน {i}" for i in range(1, len(tasks) + 1)]]
    rows = [header]
    counts = {"done": 0, "open": 0, "overdue": 0}
    for r in found:
        cells = [
            r.code,
            names.get(r.code, r.addressee),
            thai.thai_date_short(r.sent_on) if r.sent_on else "-",
            thai.thai_date_short(r.replied_on) if r.replied_on else "-",
        ]
        for t in r.tasks:
            counts[t.state] += 1
            cells.append(_STATE[t.state])
        rows.append(cells)
    lines.append(_table(rows))
    lines.append(
        f"รวม (total): ทำแล้ว {counts['done']}, ยังไม่ทำ {counts['open']}, "
        f"เกินกำหนด {counts['overdue']}"
    )
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]]) -> str:
    from letters.register import display_width

    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


@dataclass
class RemindResult:
    original: str  # the directive's identity
    follow_up: str | None  # the follow-up letter's identity; None when nobody is late
    built: BuildResult | None


def remind(
    directive: Path,
    config: Path | None = None,
    *,
    register: Path | None = None,
    on: dt.date | None = None,
    days: int = DEFAULT_DAYS,
    out: Path | None = None,
    formats: Sequence[str] = ("pdf", "docx"),
    progress: Progress | None = None,
) -> RemindResult:
    """Follow-up letters for the recipients with tasks still open after the due date."""
    letter = load_letter(directive, config)
    tasks, due = _tasks(letter)
    on = on or dt.date.today()
    with _open(letter, register) as reg:
        did = _numbered(reg, letter)
        late = reg.overdue(did, on)
        if not late:
            return RemindResult(did, None, None)
        members = [m for m in letter.recipients if m.code in late]
        base = _follow_up_letter(letter, members, on, on + dt.timedelta(days=days))
        fid = reg.follow_up_id(did)
        folder = (out or default_out(letter).with_name(f"{letter.name}-{_suffix(fid)}")).resolve()
        check_out(folder, base, reg.path)  # before the follow-up is numbered
        numbering = reg.allocate(base, directive_id=fid, parent=did)
        items = []
        for member in members:
            original = reg.entry(did, member.code)
            assert original is not None  # every recipient of a numbered directive has a row
            open_tasks = [tasks[i - 1] for i in late[member.code]]
            own = _for_member(base, member, original, open_tasks, due)
            items.append(Item(own, member, numbering.numbers[member.code]))
        written = write_folder(
            base,
            items,
            folder,
            formats,
            progress=progress,
            checklist=False,
            register=reg,
            directive_id=fid,
            checked=True,
        )
    built = BuildResult(folder, written.letters, [], written.checklist, fid)
    return RemindResult(did, fid, built)


def _suffix(follow_up_id: str) -> str:
    """``line-at/directive.yaml/remind/2`` -> ``remind-2``."""
    return "-".join(follow_up_id.rsplit("/", 2)[-2:])


def _follow_up_letter(letter: Letter, members: list[Member], on: dt.date, due: dt.date) -> Letter:
    """The follow-up as a whole: an external letter to each late recipient, numbered apart."""
    d = letter.directive
    directive = d.model_copy(
        update={
            "kind": "external",
            "number": "auto",
            "date": on,
            "subject": f"ติดตามผลการดำเนินการ เรื่อง {d.subject}",
            "to": To(group=d.to.group, only=[m.code for m in members], address="each"),
            "references": [],
            "enclosures": [],
            "copies": [],
            "speed": "ด่วน",
            "follow_up": FollowUp(due=due, tasks=list(d.follow_up.tasks) if d.follow_up else []),
        }
    )
    return dataclasses.replace(
        letter, directive=directive, recipients=tuple(members), enclosures=()
    )


def _for_member(
    base: Letter,
    member: Member,
    original: RegisterRow,
    open_tasks: list[str],
    original_due: dt.date | None,
) -> Letter:
    """One recipient's follow-up: อ้างถึง the original, body listing only its open tasks."""
    office = base.config.model.office.name
    d = base.directive
    new_due = d.follow_up.due if d.follow_up else d.date
    reference = f"หนังสือ{office} {original.number_line} ลงวันที่ {thai.thai_date(original.date)}"
    asked = "ได้ขอให้ดำเนินการและรายงานผล"
    if original_due is not None:
        asked += f"ภายในวันที่ {thai.thai_date(original_due)}"
    body = [
        Paragraph(text=f"ตามหนังสือที่อ้างถึง {office} {asked} นั้น"),
        Paragraph(text="บัดนี้ ยังไม่ได้รับรายงานผลการดำเนินการในเรื่องดังต่อไปนี้", items=open_tasks),
    ]
    closing = f"จึงเรียนมาเพื่อโปรดดำเนินการและรายงานผลให้ทราบภายในวันที่ {thai.thai_date(new_due)}"
    directive = d.model_copy(
        update={
            "references": [reference],
            "body": body,
            "closing": closing,
            "follow_up": FollowUp(due=new_due, tasks=open_tasks),
        }
    )
    return dataclasses.replace(base, directive=directive, recipients=(member,))
