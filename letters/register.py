"""The outgoing register (ทะเบียนหนังสือส่ง, form ๑๔): letter numbers, dispatch, follow-up.

One SQLite file per office (``register.sqlite3`` beside config.yaml unless the command line
names another). It holds:

- the directives it has numbered, each under an identity (below), with the hash of its
  content when numbered, its follow-up tasks and due date, and the original it follows up;
- the numbers taken from each series: one series per calendar year of the letter's date
  (printed as the Buddhist year), the ว series of circulars apart from the ordinary one;
- one row per letter and recipient with the columns of form ๑๔ (เลขทะเบียนส่ง, a running
  serial per year; ที่; ลงวันที่; จาก; ถึง; เรื่อง; การปฏิบัติ; หมายเหตุ);
- what dispatch did for each row (การปฏิบัติ: done, failed, or uncertain, an e-mail that may
  or may not have arrived, with its Message-ID), the tasks each recipient has done and the
  day its reply came in (typed by the clerk or imported from the checklist), and the
  output folder of each directive's last build.

**The same directive.** A directive's identity is its file: the path of ``directive.yaml``
relative to the register's folder (the absolute path when it lies elsewhere), so the office
folder can be moved or copied as a whole. Rebuilding a directive at the same path keeps its
numbers, also after its text was edited: the register then says it changed since it was
numbered (``Numbering.changed``), and rows not yet dispatched take the new subject, date and
addressee. A clerk who wants the corrected letter to go out under a new number runs
``letters renumber DIRECTIVE`` (``Register.renumber``): new numbers are allocated and the old
rows stay in the register marked cancelled, with a note naming the new number. A number is
never given twice and never skipped. A letter whose date moved to another year, whose kind
changed between circular and external, or which switched between ``auto`` and a literal
number cannot keep its numbers: building it asks for ``renumber``.

**Numbers.** ``number: auto``: a circular takes one number for all its copies, an external
letter one number per recipient, consecutive in the order of its recipients. A literal
number (``number: "193"``) is recorded as given and takes nothing from the series. Numbers
and the letter's rows are written in one ``BEGIN IMMEDIATE`` transaction: builds running at
the same time wait for each other, and a build killed at any point leaves both or neither.
Drafts allocate nothing (the build does not call ``allocate``).

The file, its tables and their migrations are ``letters.registerfile``'s; what recipients
did of a letter's follow-up tasks is ``letters.tracking``'s. ``Register`` is all of it.

Collaborators at the edge are parameters: the file's path, today's date, the clock of an
action. Every failure a clerk can cause is a ``RegisterError`` naming the file and what to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from letters import thai
from letters.actions import EMAIL as EMAIL
from letters.actions import PRINT as PRINT
from letters.actions import Attempt, latest
from letters.config import Member, OfficeConfig
from letters.content import number_line
from letters.errors import RegisterError
from letters.tracking import Tracking

if TYPE_CHECKING:
    from letters.directive import Letter

REGISTER_NAME = "register.sqlite3"
CIRCULAR_SERIES = "ว"

# Form ๑๔: the columns of the outgoing register, in order.
COLUMNS = ("เลขทะเบียนส่ง", "ที่", "ลงวันที่", "จาก", "ถึง", "เรื่อง", "การปฏิบัติ", "หมายเหตุ")


Hook = Callable[[str], None]  # called inside the numbering transaction: "numbered", "written"


@dataclass(frozen=True)
class Numbering:
    """The numbers of one directive's letters, as ``allocate`` and ``numbers`` give them."""

    directive_id: str
    numbers: dict[str, str]  # recipient code -> the number as printed after the series: "๑"
    lines: dict[str, str]  # recipient code -> the whole ที่ line: "ที่ นค ๐๐๑๙.๔/ว ๑"
    new: bool  # this call allocated numbers or wrote rows
    changed: bool  # the directive's content differs from what was numbered


@dataclass(frozen=True)
class RegisterRow:
    """One row of form ๑๔: one letter to one recipient."""

    year: int  # of the letter's date, Gregorian
    serial: int  # เลขทะเบียนส่ง
    directive_id: str
    code: str
    number_line: str  # ที่, as printed
    date: dt.date  # ลงวันที่
    sender: str  # จาก
    addressee: str  # ถึง
    subject: str  # เรื่อง
    action: str  # การปฏิบัติ: the latest state of each way the copy went (e-mail, post)
    note: str  # หมายเหตุ
    cancelled: bool
    history: str = ""  # every attempt, oldest first, one line each (the CSV export's)
    signature: str = ""  # the signer certificate's SHA-256 when the copy was signed

    def cells(self) -> tuple[str, ...]:
        """The eight columns as printed: every digit Thai (URLs and addresses kept)."""
        return tuple(
            thai.thai_digits(value)
            for value in (
                str(self.serial),
                self.number_line,
                thai.thai_date_short(self.date),
                self.sender,
                self.addressee,
                self.subject,
                self.action,
                self.note,
            )
        )


class _Live(NamedTuple):
    """A register row not cancelled, as numbering needs it."""

    year: int
    serial: int
    series: str
    line: str  # ที่, as printed
    n: int | None  # from the series
    literal: str | None  # as given in the directive

    @property
    def printed(self) -> str:
        return thai.thai_digits(str(self.n) if self.n is not None else str(self.literal))


def _follow_up(letter: Letter) -> tuple[str | None, str]:
    """The directive's due date and tasks as the register stores them."""
    follow = letter.directive.follow_up
    if follow is None:
        return None, "[]"
    return follow.due.isoformat(), json.dumps(list(follow.tasks), ensure_ascii=False)


def content_hash(letter: Letter) -> str:
    """What the letter says: the validated directive and its enclosures' bytes.

    Comments and layout of the YAML file do not count; any change of a value does.
    """
    digest = hashlib.sha256()
    digest.update(letter.directive.model_dump_json().encode("utf-8"))
    for enclosure in letter.enclosures:
        digest.update(hashlib.sha256(enclosure.file.data).digest())
    return digest.hexdigest()


def _entry_words(
    letter: Letter, member: Member, n: int | None
) -> tuple[str | None, str, str, str, str, str]:
    """What a register row says of one copy: literal number (None when auto-numbered),
    ที่ as printed, date, sender, addressee, subject."""
    directive = letter.directive
    literal = None if n is not None else directive.number
    printed = thai.thai_number(n) if n is not None else thai.thai_digits(directive.number)
    return (
        literal,
        number_line(letter, printed),
        directive.date.isoformat(),
        letter.config.model.office.name,
        member.title,
        directive.subject,
    )


def _series(letter: Letter) -> str:
    return CIRCULAR_SERIES if letter.directive.kind == "circular" else ""


def year_text(year: int) -> str:
    """A Gregorian year as printed: the Buddhist year in Thai digits (2018 -> ๒๕๖๑)."""
    return thai.thai_number(thai.buddhist_year(year))


def gregorian_year(year: int) -> int:
    """A year the clerk typed: Buddhist (2561) or Gregorian (2018)."""
    return year - thai.BUDDHIST_ERA_OFFSET if year >= thai.BUDDHIST_YEAR_FROM else year


def register_file(config: OfficeConfig, explicit: Path | None = None) -> Path:
    """``--register PATH``, else ``register.sqlite3`` beside config.yaml."""
    return explicit if explicit is not None else config.folder / REGISTER_NAME


class Register(Tracking):
    """The office's register, open. Use as a context manager, or call ``close``.

    ``Register(path, timeout=..., create=..., migrations=...)``: see ``RegisterFile``.
    """

    @classmethod
    def for_office(
        cls, config: OfficeConfig, explicit: Path | None = None, *, create: bool
    ) -> Register:
        """The office's register: ``explicit`` (``--register PATH``), else the one beside
        config.yaml (``register_file``). ``create`` False: it must exist (commands that
        follow a build)."""
        return cls(register_file(config, explicit), create=create)

    # -- identity --------------------------------------------------------------------------

    def identity(self, directive: Path) -> str:
        """The directive's identity: its path relative to the register's folder, else absolute."""
        resolved = directive.resolve()
        try:
            return resolved.relative_to(self.path.resolve().parent).as_posix()
        except ValueError:
            return resolved.as_posix()

    def follow_up_id(self, original_id: str) -> str:
        """The identity for a new follow-up letter of ``original_id``: ``<id>/remind/<n>``."""
        with self._guard():
            count = self._conn.execute(
                "SELECT COUNT(*) FROM directive WHERE parent_id = ?", (original_id,)
            ).fetchone()[0]
        return f"{original_id}/remind/{int(count) + 1}"

    def follow_ups(self, original_id: str) -> list[str]:
        with self._guard():
            found = self._conn.execute(
                "SELECT id FROM directive WHERE parent_id = ? ORDER BY rowid", (original_id,)
            ).fetchall()
        return [str(row[0]) for row in found]

    # -- numbers ---------------------------------------------------------------------------

    def numbers(self, letter: Letter, directive_id: str | None = None) -> Numbering | None:
        """The numbers the directive already has, allocating nothing; None when it has none."""
        directive_id = directive_id or self.identity(letter.path)
        with self._guard():
            stored = self._stored_hash(directive_id)
            live = self._live(directive_id)
        if stored is None or not live:
            return None
        return self._numbering(
            directive_id, live, new=False, changed=stored != content_hash(letter)
        )

    def allocate(
        self,
        letter: Letter,
        *,
        directive_id: str | None = None,
        parent: str | None = None,
        note: str | None = None,
        hook: Hook | None = None,
    ) -> Numbering:
        """Numbers and register rows for every recipient of ``letter``, in one transaction.

        A directive already in the register keeps its numbers; recipients added since get
        theirs (a circular's copies share its one number). ``directive_id`` defaults to the
        directive file's identity; a follow-up letter passes its own (``follow_up_id``) and
        the original as ``parent``. ``note`` goes to หมายเหตุ of new rows; a follow-up's rows
        say which letter they follow up unless a note is given. ``hook`` is called inside the
        transaction after the numbers are taken ("numbered") and after the rows are written
        ("written").
        """
        directive_id = directive_id or self.identity(letter.path)
        digest = content_hash(letter)
        due, tasks = _follow_up(letter)
        with self._write() as conn:
            stored = self._stored_hash(directive_id)
            live = self._live(directive_id)
            if stored is None:
                conn.execute(
                    "INSERT INTO directive (id, parent_id, kind, content_hash, due, tasks) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (directive_id, parent, letter.directive.kind, digest, due, tasks),
                )
            else:
                self._check_compatible(directive_id, letter, live)
                self._refresh(letter, live)
                conn.execute(
                    "UPDATE directive SET due = ?, tasks = ? WHERE id = ?",
                    (due, tasks, directive_id),
                )
            missing = [m for m in letter.recipients if m.code not in live]
            if missing:
                self._add_rows(directive_id, letter, missing, live, note, parent, hook)
                live = self._live(directive_id)
        changed = stored is not None and stored != digest
        return self._numbering(directive_id, live, new=bool(missing), changed=changed)

    def renumber(
        self,
        letter: Letter,
        today: dt.date,
        *,
        directive_id: str | None = None,
        hook: Hook | None = None,
    ) -> Numbering:
        """New numbers for a corrected letter; the old rows stay, cancelled, pointing to them."""
        directive_id = directive_id or self.identity(letter.path)
        due, tasks = _follow_up(letter)
        with self._write() as conn:
            old = self._live(directive_id)
            if not old:
                raise RegisterError(
                    f"{self.path}: '{directive_id}' ยังไม่มีเลขในทะเบียน (not numbered yet): "
                    "ใช้ letters build เพื่อออกเลขครั้งแรก"
                )
            parent = conn.execute("SELECT parent_id FROM directive WHERE id = ?", (directive_id,))
            parent_id: str | None = parent.fetchone()[0]
            conn.execute(
                "UPDATE entry SET cancelled = 1 WHERE directive_id = ? AND cancelled = 0",
                (directive_id,),
            )
            conn.execute(
                "UPDATE directive SET kind = ?, content_hash = ?, due = ?, tasks = ? WHERE id = ?",
                (letter.directive.kind, content_hash(letter), due, tasks, directive_id),
            )
            self._add_rows(directive_id, letter, letter.recipients, {}, None, parent_id, hook)
            fresh = self._live(directive_id)
            for code, row in old.items():
                note = f"ยกเลิกเมื่อ {thai.thai_date_short(today)}"
                if code in fresh:
                    note += f" ออกเลขใหม่ {fresh[code].line}"
                conn.execute(
                    "UPDATE entry SET note = trim(note || ' ' || ?) WHERE year = ? AND serial = ?",
                    (note, row.year, row.serial),
                )
        return self._numbering(directive_id, fresh, new=True, changed=False)

    def _stored_hash(self, directive_id: str) -> str | None:
        row = self._conn.execute("SELECT content_hash FROM directive WHERE id = ?", (directive_id,))
        found = row.fetchone()
        return str(found[0]) if found else None

    def _live(self, directive_id: str) -> dict[str, _Live]:
        """Recipient code -> its row, for the rows not cancelled, in register order."""
        found = self._conn.execute(
            "SELECT code, year, serial, series, number_line, n, literal FROM entry "
            "WHERE directive_id = ? AND cancelled = 0 ORDER BY year, serial",
            (directive_id,),
        ).fetchall()
        return {row[0]: _Live(*row[1:]) for row in found}

    @staticmethod
    def _numbering(
        directive_id: str, live: dict[str, _Live], *, new: bool, changed: bool
    ) -> Numbering:
        numbers = {code: row.printed for code, row in live.items()}
        lines = {code: row.line for code, row in live.items()}
        return Numbering(directive_id, numbers, lines, new, changed)

    def _check_compatible(self, directive_id: str, letter: Letter, live: dict[str, _Live]) -> None:
        if not live:
            return
        row = next(iter(live.values()))
        directive = letter.directive
        if (row.year, row.series, row.n is not None) == (
            directive.date.year,
            _series(letter),
            directive.auto_number,
        ):
            return
        if row.year != directive.date.year:
            why = (
                f"วันที่ของหนังสืออยู่ปี {year_text(directive.date.year)} "
                f"แต่เลขที่ได้ไว้เป็นของปี {year_text(row.year)}"
            )
        elif row.series != _series(letter):
            why = "ชนิดหนังสือเปลี่ยนระหว่างหนังสือเวียนกับหนังสือภายนอก"
        else:
            why = "เลขที่เปลี่ยนระหว่าง auto กับเลขที่กำหนดเอง"
        raise RegisterError(
            f"{self.path}: '{directive_id}' มีเลขในทะเบียนแล้ว แต่{why} (numbers no longer fit): "
            "ใช้ letters renumber DIRECTIVE เพื่อออกเลขใหม่ (เลขเดิมจะถูกยกเลิก ไม่นำกลับมาใช้)"
        )

    def _refresh(self, letter: Letter, live: dict[str, _Live]) -> None:
        """Rows not yet dispatched take the directive's current words (and literal number)."""
        by_code = {m.code: m for m in letter.recipients}
        for code, row in live.items():
            member = by_code.get(code)
            if member is None or self._dispatched(row.year, row.serial):
                continue
            self._conn.execute(
                "UPDATE entry SET literal = ?, number_line = ?, letter_date = ?, sender = ?, "
                "addressee = ?, subject = ? WHERE year = ? AND serial = ?",
                (*_entry_words(letter, member, row.n), row.year, row.serial),
            )

    def _dispatched(self, year: int, serial: int) -> bool:
        found = self._conn.execute(
            "SELECT 1 FROM action WHERE year = ? AND serial = ? AND (ok = 1 OR uncertain = 1)",
            (year, serial),
        )
        return found.fetchone() is not None

    def _add_rows(
        self,
        directive_id: str,
        letter: Letter,
        members: Sequence[Member],
        live: dict[str, _Live],
        note: str | None,
        parent: str | None,
        hook: Hook | None,
    ) -> None:
        """Take the numbers (unless literal), then write one row per member."""
        directive = letter.directive
        year, series = directive.date.year, _series(letter)
        numbers: dict[str, int | None] = {m.code: None for m in members}
        if directive.auto_number:
            # A circular's copies share one number: the one it has, or one taken now.
            shared = next((row.n for row in live.values()), None) if series else None
            for member in members:
                if shared is None:
                    taken = self._take_number(year, series, directive_id)
                    numbers[member.code] = taken
                    shared = taken if series else None
                else:
                    numbers[member.code] = shared
        if hook:
            hook("numbered")
        found = self._conn.execute(
            "SELECT COALESCE(MAX(serial), 0) FROM entry WHERE year = ?", (year,)
        )
        serial = int(found.fetchone()[0])
        for member in members:
            serial += 1
            n = numbers[member.code]
            self._conn.execute(
                "INSERT INTO entry (year, serial, directive_id, code, series, n, literal, "
                "number_line, letter_date, sender, addressee, subject, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    year,
                    serial,
                    directive_id,
                    member.code,
                    series,
                    n,
                    *_entry_words(letter, member, n),
                    note if note is not None else self._follow_note(parent, member.code),
                ),
            )
        if hook:
            hook("written")

    def _take_number(self, year: int, series: str, directive_id: str) -> int:
        """The next number of the series, recorded as the directive's (never given again)."""
        found = self._conn.execute(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM number WHERE year = ? AND series = ?",
            (year, series),
        )
        n = int(found.fetchone()[0])
        self._conn.execute(
            "INSERT INTO number (year, series, n, directive_id) VALUES (?, ?, ?, ?)",
            (year, series, n, directive_id),
        )
        return n

    def _follow_note(self, parent: str | None, code: str) -> str:
        if parent is None:
            return ""
        row = self._conn.execute(
            "SELECT number_line, letter_date FROM entry "
            "WHERE directive_id = ? AND code = ? AND cancelled = 0",
            (parent, code),
        ).fetchone()
        if row is None:
            return "หนังสือติดตาม"
        day = thai.thai_date_short(dt.date.fromisoformat(row[1]))
        return f"ติดตามหนังสือ{row[0]} ลงวันที่ {day}"

    # -- dispatch --------------------------------------------------------------------------

    def record_action(
        self,
        directive_id: str,
        code: str,
        action: str,
        at: dt.datetime,
        message_id: str | None = None,
        ok: bool = True,
        *,
        detail: str | None = None,
        uncertain: bool = False,
    ) -> None:
        """Write what was done with one recipient's letter (การปฏิบัติ), committed at once.

        ``action`` is ``EMAIL``, ``PRINT`` or any short text; ``detail`` says why it failed.
        ``uncertain`` (with ``ok`` False): it may have reached the recipient under
        ``message_id``, or not (``uncertain`` below).
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT year, serial FROM entry "
                "WHERE directive_id = ? AND code = ? AND cancelled = 0",
                (directive_id, code),
            ).fetchone()
            if row is None:
                raise RegisterError(
                    f"{self.path}: ไม่มีหนังสือของ '{directive_id}' ถึงผู้รับรหัส '{code}' "
                    "ในทะเบียน (not registered): สร้างหนังสือด้วย letters build ก่อนส่ง"
                )
            conn.execute(
                "INSERT INTO action (year, serial, action, at, message_id, ok, detail, uncertain) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row[0],
                    row[1],
                    action,
                    at.isoformat(),
                    message_id,
                    int(ok),
                    detail,
                    int(uncertain and not ok),
                ),
            )

    def sent(self, directive_id: str, action: str | None = None) -> set[str]:
        """Recipient codes whose current letter was dispatched successfully (of ``action``)."""
        query = (
            "SELECT DISTINCT e.code FROM entry e JOIN action a "
            "ON a.year = e.year AND a.serial = e.serial "
            "WHERE e.directive_id = ? AND e.cancelled = 0 AND a.ok = 1"
        )
        params: tuple[str, ...] = (directive_id,)
        if action is not None:
            query += " AND a.action = ?"
            params += (action,)
        with self._guard():
            return {str(row[0]) for row in self._conn.execute(query, params)}

    def uncertain(self, directive_id: str, action: str = EMAIL) -> dict[str, str]:
        """Recipient codes whose current letter may or may not have gone (``action``), none of
        its attempts known to have gone: each with the Message-ID it was sent under."""
        query = (
            "SELECT e.code, a.message_id FROM entry e JOIN action a "
            "ON a.year = e.year AND a.serial = e.serial "
            "WHERE e.directive_id = ? AND e.cancelled = 0 AND a.action = ? AND a.uncertain = 1 "
            "AND a.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM action b "
            "WHERE b.year = e.year AND b.serial = e.serial AND b.action = a.action AND b.ok = 1) "
            "ORDER BY a.id"
        )
        with self._guard():
            return {
                str(code): str(message_id)
                for code, message_id in self._conn.execute(query, (directive_id, action))
            }

    def record_signature(
        self, directive_id: str, codes: Sequence[str], fingerprint: str | None
    ) -> None:
        """Whether the live copies of ``codes`` were signed: the signer certificate's
        SHA-256, or None for copies built without a signature."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE entry SET signature = ? "
                "WHERE directive_id = ? AND code = ? AND cancelled = 0",
                [(fingerprint, directive_id, code) for code in codes],
            )

    def set_last_build(self, directive_id: str, folder: Path) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO build (directive_id, folder) VALUES (?, ?) "
                "ON CONFLICT (directive_id) DO UPDATE SET folder = excluded.folder",
                (directive_id, str(folder.resolve())),
            )

    def last_build(self, directive_id: str) -> Path | None:
        with self._guard():
            row = self._conn.execute(
                "SELECT folder FROM build WHERE directive_id = ?", (directive_id,)
            ).fetchone()
        return Path(row[0]) if row else None

    # -- listing ---------------------------------------------------------------------------

    def rows(self, year: int | None = None, directive_id: str | None = None) -> list[RegisterRow]:
        """The register's rows in order; ``year`` Gregorian (2018) or Buddhist (2561)."""
        where: list[str] = []
        params: list[object] = []
        if year is not None:
            where.append("e.year = ?")
            params.append(gregorian_year(year))
        if directive_id is not None:
            where.append("e.directive_id = ?")
            params.append(directive_id)
        query = (
            "SELECT e.year, e.serial, e.directive_id, e.code, e.number_line, e.letter_date, "
            "e.sender, e.addressee, e.subject, e.note, e.cancelled, e.signature FROM entry e"
        )
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY e.year, e.serial"
        with self._guard():
            found = self._conn.execute(query, params).fetchall()
            logged = self._conn.execute(
                "SELECT year, serial, action, at, message_id, ok, detail, uncertain FROM action "
                "ORDER BY id"
            ).fetchall()
        attempts: dict[tuple[int, int], list[Attempt]] = {}
        for year_, serial, *attempt in logged:
            attempts.setdefault((year_, serial), []).append(Attempt(*attempt))
        return [
            RegisterRow(
                year=row[0],
                serial=row[1],
                directive_id=row[2],
                code=row[3],
                number_line=row[4],
                date=dt.date.fromisoformat(row[5]),
                sender=row[6],
                addressee=row[7],
                subject=row[8],
                action="\n".join(a.text(brief=True) for a in latest(tried)),
                note=row[9],
                cancelled=bool(row[10]),
                history="\n".join(a.text() for a in tried),
                signature=row[11] or "",
            )
            for row in found
            for tried in [attempts.get((row[0], row[1]), [])]
        ]

    def entry(self, directive_id: str, code: str) -> RegisterRow | None:
        """The live row of one recipient's letter (its ที่ and date for อ้างถึง)."""
        for row in self.rows(directive_id=directive_id):
            if row.code == code and not row.cancelled:
                return row
        return None

    # -- approval (the web page's เสนอลงนาม) --------------------------------------------------

    def approve(self, letter: Letter, directive_id: str, who: str, at: dt.datetime) -> None:
        """Record that ``who`` approved the letter as it reads now."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO approval (directive_id, content_hash, approved_by, at) "
                "VALUES (?, ?, ?, ?)",
                (directive_id, content_hash(letter), who, at.isoformat(timespec="seconds")),
            )

    def approval(self, letter: Letter, directive_id: str) -> Approval | None:
        """The latest approval of the letter as it reads now (None: none, or edited since)."""
        found = [a for a in self.approvals(directive_id) if a.content_hash == content_hash(letter)]
        return found[-1] if found else None

    def approvals(self, directive_id: str | None = None) -> list[Approval]:
        query = "SELECT directive_id, content_hash, approved_by, at FROM approval"
        params: tuple[str, ...] = ()
        if directive_id is not None:
            query, params = query + " WHERE directive_id = ?", (directive_id,)
        with self._guard():
            found = self._conn.execute(query + " ORDER BY id", params).fetchall()
        return [Approval(r[0], r[1], r[2], dt.datetime.fromisoformat(r[3])) for r in found]


class Approval(NamedTuple):
    directive_id: str
    content_hash: str
    approved_by: str
    at: dt.datetime
