"""Following up a letter: the tasks it asked for, and follow-up letters for the late.

``write_follow_ups`` writes หนังสือติดตาม to the recipients with tasks still open after the
due date: a new letter with its own number, referring to the original (its ที่ and date),
at the original's speed, listing only that recipient's open tasks (its reply form too), with
a new due date; written, numbered and registered like any other letter, as follow-up set N
(``<directive id>/remind/N`` in the register, ``out/<name>-remind-N/``). Without ``yes`` it
numbers nothing and writes drafts to look at (``out/<name>-remind-N-draft/``). A recipient
an earlier set already reminded is not reminded again unless ``again``.

``follow_up_set`` is follow-up set N as ``letters send --remind N`` and ``letters print
--remind N`` send it. What each recipient did is the register's (``letters.tracking``); the
commands ``track``, ``status`` and ``remind`` are ``letters.commands``'.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from letters import thai
from letters.build import BuildResult, Item, Progress, check_out, default_out, write_folder
from letters.config import Member
from letters.directive import FollowUp, Letter, Paragraph, To
from letters.errors import DispatchError, InputError
from letters.register import Register, RegisterRow

if TYPE_CHECKING:
    from letters.signing import LetterSigner

DEFAULT_DAYS = 7  # a follow-up letter's new due date: this many days after its date
REMIND = "remind"  # a follow-up set's identity: ``<directive id>/remind/<n>``


def follow_up_tasks(letter: Letter) -> tuple[list[str], dt.date]:
    """The letter's follow-up tasks and due date; InputError when it asks for none."""
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


@dataclass(frozen=True)
class Late:
    """A recipient with tasks still open after the due date."""

    member: Member
    tasks: tuple[tuple[int, str], ...]  # the open tasks: (1-based index, text)


@dataclass(frozen=True)
class Reminded:
    """A late recipient that an earlier follow-up set already reminded."""

    member: Member
    number: int  # the set: ``letters send --remind N``
    folder: Path | None  # where that set was written


@dataclass
class RemindResult:
    original: str  # the directive's identity
    follow_up: str | None  # the identity of the set numbered now; None when none was
    built: BuildResult | None  # the letters written: numbered, or drafts (``follow_up`` None)
    late: list[Late] = field(default_factory=list)  # the recipients written to
    reminded: list[Reminded] = field(default_factory=list)  # late, left out: reminded before
    command: str = "letters remind DIRECTIVE"  # the command run, without --yes
    directive: str = "DIRECTIVE"  # as the clerk named it
    yes: bool = False  # numbered: ``--yes`` was given

    @property
    def number(self) -> int | None:
        """The set written now (numbered or not): ``--remind N``."""
        return set_number(self.follow_up) if self.follow_up else None

    def summary(self) -> str:
        """What the clerk reads: who is late and for what, what was written, what next."""
        if self.built is None and not self.reminded:
            return "ไม่มีผู้รับที่เกินกำหนด (nobody is late): ไม่ต้องออกหนังสือติดตาม"
        lines: list[str] = []
        if self.reminded:
            lines.append("ออกหนังสือติดตามถึงผู้รับเหล่านี้ไปแล้ว ไม่ออกซ้ำ (already reminded, not again):")
            for r in self.reminded:
                where = str(r.folder) if r.folder else "-"
                lines.append(f"  {r.member.code} {r.member.name}: ชุดที่ {r.number} ({where})")
            again = f"{self.command} --again" + (" --yes" if self.yes else "")
            lines.append(f"ออกหนังสือติดตามถึงผู้รับเหล่านี้อีกครั้งโดยตั้งใจ (to remind again): {again}")
        if self.built is None:
            return "\n".join(lines)
        numbered = self.follow_up is not None
        head = "หนังสือติดตาม" + (
            f"ชุดที่ {self.number} (follow-up set {self.number})"
            if numbered
            else "ฉบับร่าง ยังไม่ได้ออกเลข (drafts, not numbered)"
        )
        lines.append(f"{head}: ผู้รับที่เกินกำหนด {len(self.late)} ราย (late)")
        numbers = {b.code: b.number for b in self.built.letters}
        for late in self.late:
            number = f" {numbers[late.member.code]}" if numbered else ""
            lines.append(f"  {late.member.code} {late.member.name}{number}")
            lines += [f"      งานที่ {thai.thai_number(i)} {task}" for i, task in late.tasks]
        lines.append(self.built.summary())
        if numbered:
            lines.append(
                f"ส่งทางอีเมล (to e-mail): letters send {self.directive} --remind {self.number} "
                f"--yes; พิมพ์ (to print): letters print {self.directive} --remind {self.number}"
            )
        else:
            lines.append(f"ออกเลขและสร้างหนังสือติดตาม (to number and write): {self.command} --yes")
        return "\n".join(lines)


def write_follow_ups(
    register: Register,
    letter: Letter,
    directive_id: str,
    *,
    on: dt.date,
    days: int = DEFAULT_DAYS,
    yes: bool = False,
    again: bool = False,
    out: Path | None = None,
    formats: Sequence[str] = ("pdf", "docx"),
    progress: Progress | None = None,
    workers: int | None = None,
    command: str = "letters remind DIRECTIVE",
    directive: str = "DIRECTIVE",
    signer: LetterSigner | None = None,
) -> RemindResult:
    """Follow-up letters dated ``on`` for the recipients with tasks still open after the due
    date, due ``days`` later, written to ``out`` (by default ``out/<directive name>-remind-N/``).

    ``yes``: numbered in ``register`` as follow-up set N; else drafts, numbering nothing
    (``out/<name>-remind-N-draft/``). Recipients an earlier set reminded are left out unless
    ``again``. ``command`` (the command run, without ``--yes``) and ``directive`` (as the
    clerk named it) are for the texts that tell the clerk what to run next. ``signer``: the
    numbered letters are signed (drafts never are).
    """
    tasks, due = follow_up_tasks(letter)
    overdue = register.overdue(directive_id, on)
    result = RemindResult(directive_id, None, None, command=command, directive=directive, yes=yes)
    earlier = {} if again else _reminded(register, directive_id)
    for member in letter.recipients:
        if member.code not in overdue:
            continue
        if member.code in earlier:
            result.reminded.append(Reminded(member, *earlier[member.code]))
        else:
            open_tasks = tuple((i, tasks[i - 1]) for i in overdue[member.code])
            result.late.append(Late(member, open_tasks))
    if not result.late:
        return result
    members = [late.member for late in result.late]
    base = _follow_up_letter(letter, members, on, on + dt.timedelta(days=days))
    follow_up_id = register.follow_up_id(directive_id)
    name = f"{letter.name}-{REMIND}-{set_number(follow_up_id)}" + ("" if yes else "-draft")
    folder = (out or default_out(letter).with_name(name)).resolve()
    check_out(folder, base, register.path)  # before the follow-up is numbered
    numbers: dict[str, str] = {}
    if yes:
        numbering = register.allocate(base, directive_id=follow_up_id, parent=directive_id)
        numbers = numbering.numbers
    items = []
    for late in result.late:
        code = late.member.code
        original = register.entry(directive_id, code)
        assert original is not None  # every recipient of a numbered directive has a row
        own = _for_member(base, late.member, original, [t for _, t in late.tasks], due)
        items.append(Item(own, late.member, numbers.get(code), draft=not yes))
    written = write_folder(
        base,
        items,
        folder,
        formats,
        progress=progress,
        checklist=False,
        register=register if yes else None,
        directive_id=follow_up_id if yes else None,
        workers=workers,
        checked=True,
        signer=signer if yes else None,
    )
    if yes:
        fingerprint = signer.fingerprint if signer else None
        register.record_signature(follow_up_id, [b.code for b in written.letters], fingerprint)
    numbered = follow_up_id if yes else None
    result.follow_up = numbered
    result.built = BuildResult(folder, written.letters, [], written.checklist, numbered)
    return result


def set_number(follow_up_id: str) -> int:
    """``line-at/directive.yaml/remind/2`` -> 2."""
    return int(follow_up_id.rsplit("/", 1)[1])


def _set_id(directive_id: str, number: int) -> str:
    return f"{directive_id}/{REMIND}/{number}"


def _reminded(register: Register, directive_id: str) -> dict[str, tuple[int, Path | None]]:
    """Recipient code -> the last follow-up set of the directive that reminded it, and where
    that set was written."""
    found: dict[str, tuple[int, Path | None]] = {}
    for follow_up_id in register.follow_ups(directive_id):
        folder = register.last_build(follow_up_id)
        for row in register.rows(directive_id=follow_up_id):
            if not row.cancelled:
                found[row.code] = (set_number(follow_up_id), folder)
    return found


def follow_up_set(
    register: Register, letter: Letter, directive_id: str, number: int, directive: str
) -> tuple[Letter, str]:
    """Follow-up set ``number`` of the letter, as ``write_follow_ups`` numbered it: the letter
    as a whole (to its recipients, dated and due as numbered) and its identity in the
    register. ``DispatchError`` naming the sets there are when there is no such set."""
    follow_up_id = _set_id(directive_id, number)
    made = register.follow_ups(directive_id)
    if follow_up_id not in made:
        if not made:
            there = f"ยังไม่ได้ออกหนังสือติดตาม: letters remind {directive} --yes"
        else:
            there = "มีชุดที่ " + ", ".join(str(set_number(i)) for i in made)
        raise DispatchError(
            f"{directive}: ไม่มีหนังสือติดตามชุดที่ {number} (no follow-up set {number}); {there}"
        )
    rows = [row for row in register.rows(directive_id=follow_up_id) if not row.cancelled]
    codes = {row.code for row in rows}
    members = [m for m in letter.recipients if m.code in codes]
    day = rows[0].date if rows else letter.directive.date
    due, _tasks = register.follow_up(follow_up_id)
    follow_up = _follow_up_letter(letter, members, day, due or day)
    if rows:  # as numbered and printed, whatever the directive says since
        subject = follow_up.directive.model_copy(update={"subject": rows[0].subject})
        follow_up = dataclasses.replace(follow_up, directive=subject)
    return follow_up, follow_up_id


def _follow_up_letter(letter: Letter, members: list[Member], on: dt.date, due: dt.date) -> Letter:
    """The follow-up as a whole: an external letter to each late recipient, numbered apart,
    at the speed of the letter it follows up."""
    original = letter.directive
    directive = original.model_copy(
        update={
            "kind": "external",
            "number": "auto",
            "date": on,
            "subject": f"ติดตามผลการดำเนินการ เรื่อง {original.subject}",
            "to": To(group=original.to.group, only=[m.code for m in members], address="each"),
            "references": [],
            "enclosures": [],
            "copies": [],
            "follow_up": FollowUp(
                due=due, tasks=list(original.follow_up.tasks) if original.follow_up else []
            ),
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
    """One recipient's follow-up: อ้างถึง the original, body and reply form listing only its
    open tasks."""
    office = base.config.model.office.name
    common = base.directive
    new_due = common.follow_up.due if common.follow_up else common.date
    reference = f"หนังสือ{office} {original.number_line} ลงวันที่ {thai.thai_date(original.date)}"
    asked = "ได้ขอให้ดำเนินการและรายงานผล"
    if original_due is not None:
        asked += f"ภายในวันที่ {thai.thai_date(original_due)}"
    body = [
        Paragraph(text=f"ตามหนังสือที่อ้างถึง {office} {asked} นั้น"),
        Paragraph(text="บัดนี้ ยังไม่ได้รับรายงานผลการดำเนินการในเรื่องดังต่อไปนี้", items=open_tasks),
    ]
    closing = f"จึงเรียนมาเพื่อโปรดดำเนินการและรายงานผลให้ทราบภายในวันที่ {thai.thai_date(new_due)}"
    directive = common.model_copy(
        update={
            "references": [reference],
            "body": body,
            "closing": closing,
            "follow_up": FollowUp(due=new_due, tasks=open_tasks),
        }
    )
    return dataclasses.replace(base, directive=directive, recipients=(member,))
