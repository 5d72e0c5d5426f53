"""Following up in the register: which tasks of a letter each recipient has done, and the
day its reply came in, typed by the clerk (``letters track``) or read from the checklist.

A task is overdue when it is not done and the day asked about is after the directive's due
date. Task indexes count from 1, as ``follow_up.tasks`` and the checklist number them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from letters import thai
from letters.errors import RegisterError
from letters.registerfile import RegisterFile

if TYPE_CHECKING:
    from letters.checklist import RecipientProgress

TaskState = Literal["done", "open", "overdue"]


@dataclass(frozen=True)
class TaskStatus:
    index: int  # 1-based, as in follow_up.tasks and the checklist
    text: str
    state: TaskState
    done_on: dt.date | None
    note: str | None


@dataclass(frozen=True)
class RecipientStatus:
    code: str
    addressee: str
    number_line: str
    sent_on: dt.date | None  # the first successful dispatch
    replied_on: dt.date | None  # when the recipient's reply came in
    tasks: tuple[TaskStatus, ...]


@dataclass(frozen=True)
class Reported:
    """What one recipient reported: the tasks it did (1-based index -> day) and its reply."""

    code: str
    done: Mapping[int, dt.date]
    replied_on: dt.date | None
    note: str | None = None  # the row's หมายเหตุ


@dataclass(frozen=True)
class ImportResult:
    marked: int  # task cells read as done
    replied: int  # reply dates read
    codes: tuple[str, ...]  # recipients found in the file
    unknown: tuple[str, ...]  # codes in the file that are not recipients of the directive
    notes: int = 0  # หมายเหตุ read


class Tracking(RegisterFile):
    """The register's tables of what recipients did (``task``, ``reply``)."""

    def _directive(self, directive_id: str) -> tuple[dt.date | None, list[str]]:
        row = self._conn.execute(
            "SELECT due, tasks FROM directive WHERE id = ?", (directive_id,)
        ).fetchone()
        if row is None:
            raise RegisterError(
                f"{self.path}: '{directive_id}' ยังไม่อยู่ในทะเบียน (not registered): "
                "สร้างหนังสือด้วย letters build (ไม่ใช่ --draft) ก่อนติดตามผล"
            )
        due = dt.date.fromisoformat(row[0]) if row[0] else None
        return due, list(json.loads(row[1]))

    def _recipients(self, directive_id: str) -> list[str]:
        """The codes of the directive's rows not cancelled, in register order."""
        found = self._conn.execute(
            "SELECT code FROM entry WHERE directive_id = ? AND cancelled = 0 ORDER BY year, serial",
            (directive_id,),
        )
        return [str(row[0]) for row in found]

    def mark_done(
        self,
        directive_id: str,
        code: str,
        task_index: int,
        on: dt.date,
        note: str | None = None,
    ) -> None:
        """Record that recipient ``code`` did task ``task_index`` (1-based) on ``on``."""
        with self._write():
            self._mark(directive_id, code, task_index, on, note)

    def mark_open(self, directive_id: str, code: str, task_index: int) -> None:
        """Take back a task marked done by mistake."""
        with self._write() as conn:
            self._check_task(directive_id, code, task_index)
            conn.execute(
                "DELETE FROM task WHERE directive_id = ? AND code = ? AND task = ?",
                (directive_id, code, task_index),
            )

    def mark_replied(self, directive_id: str, code: str, on: dt.date) -> None:
        """Record the day recipient ``code``'s reply came in."""
        with self._write():
            self._reply(directive_id, code, on)

    def _check_task(self, directive_id: str, code: str, task_index: int | None) -> None:
        _due, tasks = self._directive(directive_id)
        codes = self._recipients(directive_id)
        if code not in codes:
            raise RegisterError(
                f"{self.path}: หนังสือ '{directive_id}' ไม่มีผู้รับรหัส '{code}' "
                f"(unknown recipient); ที่มี: {', '.join(codes) or '-'}"
            )
        if task_index is not None and not 1 <= task_index <= len(tasks):
            raise RegisterError(
                f"{self.path}: ไม่มีงานที่ {thai.thai_number(task_index)} (unknown task): "
                f"หนังสือนี้มีงานที่ติดตาม {thai.thai_number(len(tasks))} งาน"
            )

    def _mark(
        self, directive_id: str, code: str, task_index: int, on: dt.date, note: str | None
    ) -> None:
        self._check_task(directive_id, code, task_index)
        self._conn.execute(
            "INSERT INTO task (directive_id, code, task, done_on, note) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (directive_id, code, task) DO UPDATE "
            "SET done_on = excluded.done_on, note = COALESCE(excluded.note, note)",
            (directive_id, code, task_index, on.isoformat(), note),
        )

    def _reply(self, directive_id: str, code: str, on: dt.date) -> None:
        self._check_task(directive_id, code, None)
        self._conn.execute(
            "INSERT INTO reply (directive_id, code, replied_on) VALUES (?, ?, ?) "
            "ON CONFLICT (directive_id, code) DO UPDATE SET replied_on = excluded.replied_on",
            (directive_id, code, on.isoformat()),
        )

    def status(
        self,
        directive_id: str,
        tasks: Sequence[str],
        due: dt.date | None,
        today: dt.date,
    ) -> list[RecipientStatus]:
        """Per recipient: when it was sent and replied, and each task done, open, or overdue.

        A task is overdue when it is not done and ``today`` is after ``due``.
        """
        with self._guard():
            self._directive(directive_id)
            found = self._conn.execute(
                "SELECT code, task, done_on, note FROM task WHERE directive_id = ?",
                (directive_id,),
            )
            done = {(r[0], r[1]): (dt.date.fromisoformat(r[2]), r[3]) for r in found}
            found = self._conn.execute(
                "SELECT code, replied_on FROM reply WHERE directive_id = ?", (directive_id,)
            )
            replies = {r[0]: dt.date.fromisoformat(r[1]) for r in found}
            recipients = self._conn.execute(
                "SELECT e.code, e.addressee, e.number_line, "
                "(SELECT MIN(a.at) FROM action a "
                " WHERE a.year = e.year AND a.serial = e.serial AND a.ok = 1) "
                "FROM entry e WHERE e.directive_id = ? AND e.cancelled = 0 "
                "ORDER BY e.year, e.serial",
                (directive_id,),
            ).fetchall()
        late = due is not None and today > due
        result = []
        for code, addressee, line, sent_at in recipients:
            states = []
            for index, text in enumerate(tasks, 1):
                mark = done.get((code, index))
                if mark is not None:
                    states.append(TaskStatus(index, text, "done", mark[0], mark[1]))
                else:
                    states.append(
                        TaskStatus(index, text, "overdue" if late else "open", None, None)
                    )
            sent_on = dt.datetime.fromisoformat(sent_at).date() if sent_at else None
            result.append(
                RecipientStatus(code, addressee, line, sent_on, replies.get(code), tuple(states))
            )
        return result

    def overdue(self, directive_id: str, today: dt.date) -> dict[str, list[int]]:
        """Recipients with tasks still open after the directive's due date: code -> tasks."""
        with self._guard():
            due, tasks = self._directive(directive_id)
        late: dict[str, list[int]] = {}
        for recipient in self.status(directive_id, tasks, due, today):
            open_tasks = [t.index for t in recipient.tasks if t.state == "overdue"]
            if open_tasks:
                late[recipient.code] = open_tasks
        return late

    def progress(self, directive_id: str, today: dt.date) -> dict[str, RecipientProgress]:
        """What ``letters.checklist`` shows for each recipient (its task indexes are 0-based)."""
        from letters.checklist import RecipientProgress

        with self._guard():
            due, tasks = self._directive(directive_id)
        remarks = self.remarks(directive_id)
        return {
            s.code: RecipientProgress(
                sent_on=s.sent_on,
                done={t.index - 1: t.done_on for t in s.tasks if t.done_on is not None},
                replied_on=s.replied_on,
                number=s.number_line,
                note=remarks.get(s.code, ""),
            )
            for s in self.status(directive_id, tasks, due, today)
        }

    def follow_up(self, directive_id: str) -> tuple[dt.date | None, list[str]]:
        """The due date and follow-up tasks of a numbered directive, as numbered."""
        with self._guard():
            return self._directive(directive_id)

    def tasks(self, directive_id: str) -> list[str]:
        """The follow-up tasks of a numbered directive, as its last build recorded them."""
        with self._guard():
            return self._directive(directive_id)[1]

    def record_reports(self, directive_id: str, reports: Sequence[Reported]) -> ImportResult:
        """Record, in one transaction, what recipients reported done and when they replied
        (``letters.workbook.read_checklist`` reads them from the filled-in checklist).

        Reports of codes that are not recipients of the directive are skipped and named.
        Nothing is taken back: a task not reported done keeps its mark (``mark_open`` takes
        it back).
        """
        with self._write():
            self._directive(directive_id)
            live = set(self._recipients(directive_id))
            marked = replied = notes = 0
            unknown = []
            for report in reports:
                if report.code not in live:
                    unknown.append(report.code)
                    continue
                for task_index, on in report.done.items():
                    self._mark(directive_id, report.code, task_index, on, None)
                    marked += 1
                if report.replied_on is not None:
                    self._reply(directive_id, report.code, report.replied_on)
                    replied += 1
                if report.note is not None:
                    self._remark(directive_id, report.code, report.note)
                    notes += 1
        codes = tuple(report.code for report in reports)
        return ImportResult(marked, replied, codes, tuple(unknown), notes)

    def _remark(self, directive_id: str, code: str, note: str) -> None:
        """The recipient's หมายเหตุ as the checklist last gave it (empty: none)."""
        if note:
            self._conn.execute(
                "INSERT INTO remark (directive_id, code, note) VALUES (?, ?, ?) "
                "ON CONFLICT (directive_id, code) DO UPDATE SET note = excluded.note",
                (directive_id, code, note),
            )
        else:
            self._conn.execute(
                "DELETE FROM remark WHERE directive_id = ? AND code = ?", (directive_id, code)
            )

    def remarks(self, directive_id: str) -> dict[str, str]:
        """Each recipient's หมายเหตุ from the checklist, by code."""
        with self._guard():
            found = self._conn.execute(
                "SELECT code, note FROM remark WHERE directive_id = ?", (directive_id,)
            )
            return {str(code): str(note) for code, note in found}
