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

**Schema versions.** ``schema_version`` holds the number of migrations applied; opening a
file applies the missing ones from ``MIGRATIONS`` in order, in one transaction. A change to
the schema is one more function appended to that list, never an edit of an earlier one.

Collaborators at the edge are parameters: the file's path, today's date, the clock of an
action. Every failure a clerk can cause is a ``RegisterError`` naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from letters import thai
from letters.config import Member, OfficeConfig
from letters.content import number_line
from letters.errors import InputError, Problem, RegisterError

if TYPE_CHECKING:
    from letters.checklist import RecipientProgress
    from letters.directive import Letter
    from letters.fonts import FontSet

REGISTER_NAME = "register.sqlite3"
CIRCULAR_SERIES = "ว"

# Form ๑๔: the columns of the outgoing register, in order.
COLUMNS = ("เลขทะเบียนส่ง", "ที่", "ลงวันที่", "จาก", "ถึง", "เรื่อง", "การปฏิบัติ", "หมายเหตุ")

# What ``record_action`` knows how to describe; any other text is shown as given.
EMAIL = "email"
PRINT = "print"
_ACTION_WORDS = {EMAIL: "ส่งทางไปรษณีย์อิเล็กทรอนิกส์", PRINT: "พิมพ์ส่งทางไปรษณีย์"}

# A checklist cell meaning "done" (letters.checklist.DONE).
DONE_WORD = "ดำเนินการแล้ว"

Migration = Callable[[sqlite3.Connection], None]
Hook = Callable[[str], None]  # called inside the numbering transaction: "numbered", "written"
TaskState = Literal["done", "open", "overdue"]


def _sql(*statements: str) -> Migration:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return apply


_V1 = _sql(
    """CREATE TABLE directive (
        id TEXT PRIMARY KEY,
        parent_id TEXT REFERENCES directive(id),
        kind TEXT NOT NULL CHECK (kind IN ('external', 'circular')),
        content_hash TEXT NOT NULL,
        due TEXT,
        tasks TEXT NOT NULL DEFAULT '[]'
    )""",
    """CREATE TABLE number (
        year INTEGER NOT NULL,
        series TEXT NOT NULL CHECK (series IN ('', 'ว')),
        n INTEGER NOT NULL CHECK (n >= 1),
        directive_id TEXT NOT NULL REFERENCES directive(id),
        PRIMARY KEY (year, series, n)
    )""",
    """CREATE TABLE entry (
        year INTEGER NOT NULL,
        serial INTEGER NOT NULL CHECK (serial >= 1),
        directive_id TEXT NOT NULL REFERENCES directive(id),
        code TEXT NOT NULL,
        series TEXT NOT NULL,
        n INTEGER,
        literal TEXT,
        number_line TEXT NOT NULL,
        letter_date TEXT NOT NULL,
        sender TEXT NOT NULL,
        addressee TEXT NOT NULL,
        subject TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        cancelled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (year, serial),
        FOREIGN KEY (year, series, n) REFERENCES number(year, series, n),
        CHECK ((n IS NULL) <> (literal IS NULL))
    )""",
    "CREATE UNIQUE INDEX entry_live ON entry(directive_id, code) WHERE cancelled = 0",
    """CREATE TABLE action (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        serial INTEGER NOT NULL,
        action TEXT NOT NULL,
        at TEXT NOT NULL,
        message_id TEXT,
        ok INTEGER NOT NULL,
        detail TEXT,
        FOREIGN KEY (year, serial) REFERENCES entry(year, serial)
    )""",
    "CREATE INDEX action_entry ON action(year, serial)",
    """CREATE TABLE task (
        directive_id TEXT NOT NULL REFERENCES directive(id),
        code TEXT NOT NULL,
        task INTEGER NOT NULL CHECK (task >= 1),
        done_on TEXT NOT NULL,
        note TEXT,
        PRIMARY KEY (directive_id, code, task)
    )""",
    """CREATE TABLE reply (
        directive_id TEXT NOT NULL REFERENCES directive(id),
        code TEXT NOT NULL,
        replied_on TEXT NOT NULL,
        PRIMARY KEY (directive_id, code)
    )""",
    "CREATE TABLE build (directive_id TEXT PRIMARY KEY, folder TEXT NOT NULL)",
)

# An e-mail whose connection dropped after its body and before the server's reply: it may
# have been delivered (ok = 0, uncertain = 1, with the Message-ID it went under).
_V2 = _sql(
    "ALTER TABLE action ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1))"
)

# Applied in order from the first release on; the schema's version is how many were applied.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)


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
    action: str  # การปฏิบัติ, one line per thing done
    note: str  # หมายเหตุ
    cancelled: bool

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
class ImportResult:
    marked: int  # task cells read as done
    replied: int  # reply dates read
    codes: tuple[str, ...]  # recipients found in the file
    unknown: tuple[str, ...]  # codes in the file that are not recipients of the directive


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
    d = letter.directive
    literal = None if n is not None else d.number
    printed = thai.thai_number(n) if n is not None else thai.thai_digits(d.number)
    return (
        literal,
        number_line(letter, printed),
        d.date.isoformat(),
        letter.config.model.office.name,
        member.title,
        d.subject,
    )


def _series(letter: Letter) -> str:
    return CIRCULAR_SERIES if letter.directive.kind == "circular" else ""


def _year_text(year: int) -> str:
    return thai.thai_number(thai.buddhist_year(year))


def _gregorian(year: int) -> int:
    """A year the clerk typed: Buddhist (2561) or Gregorian (2018)."""
    return year - thai.BUDDHIST_ERA_OFFSET if year >= 2400 else year


class Register:
    """An open register file. Use as a context manager, or call ``close``.

    ``timeout`` is how long to wait for another build holding the register before giving up.
    ``create`` False refuses to make a new file (for commands that only read).
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = 30.0,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.path = path
        self.timeout = timeout
        if not create and not path.is_file():
            raise RegisterError(
                f"{path}: ยังไม่มีทะเบียนหนังสือส่ง (no register yet): "
                "สร้างหนังสือด้วย letters build ก่อน หรือระบุไฟล์ด้วย --register PATH"
            )
        try:
            self._conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            with self._guard():
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._migrate(migrations)
        except BaseException:
            self._conn.close()
            raise

    # -- the file --------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        row = self._conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        if self._read_version() == len(migrations):
            return
        with self._write():
            found = self._read_version()
            if found > len(migrations):
                raise RegisterError(
                    f"{self.path}: ทะเบียนนี้สร้างโดย letters รุ่นใหม่กว่า (register schema "
                    f"version {found}, this letters knows {len(migrations)}): "
                    "ปรับรุ่นโปรแกรม (pip install -U letters) แล้วรันใหม่; อย่าแก้ไฟล์นี้ด้วยรุ่นเก่า"
                )
            if found == 0:
                self._conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                self._conn.execute("INSERT INTO schema_version VALUES (0)")
            for version in range(found, len(migrations)):
                migrations[version](self._conn)
            self._conn.execute("UPDATE schema_version SET version = ?", (len(migrations),))
            problems = self._conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RegisterError(
                    f"{self.path}: ปรับรุ่นทะเบียนไม่สำเร็จ (migration broke references): "
                    "ไฟล์ไม่ถูกแก้ไข; ส่งไฟล์นี้ให้ผู้ดูแลโปรแกรม"
                )

    def _read_version(self) -> int:
        tables = {
            row[0]
            for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "schema_version" in tables:
            return self.version
        if tables:
            raise RegisterError(
                f"{self.path}: ไฟล์นี้เป็น SQLite แต่ไม่ใช่ทะเบียนหนังสือส่งของ letters "
                "(not a letters register): ระบุไฟล์ทะเบียนที่ถูกต้องด้วย --register PATH"
            )
        return 0

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (other writers wait up to ``timeout``)."""
        with self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _error(self, exc: sqlite3.Error) -> RegisterError:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return RegisterError(
                f"{self.path}: ทะเบียนหนังสือส่งถูกคำสั่งอื่นใช้อยู่นานเกิน "
                f"{thai.thai_digits(f'{self.timeout:g}')} วินาที (register locked): "
                "รอให้คำสั่ง letters ที่กำลังทำงานอยู่เสร็จ แล้วรันคำสั่งนี้ใหม่"
            )
        if "not a database" in text or "malformed" in text or "encrypted" in text:
            return RegisterError(
                f"{self.path}: ไฟล์นี้ไม่ใช่ทะเบียนหนังสือส่ง หรือเสียหาย (not an SQLite register): "
                "ระบุไฟล์ทะเบียนที่ถูกต้องด้วย --register PATH หรือย้ายไฟล์นี้ออกแล้วรันใหม่"
            )
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            return RegisterError(
                f"{self.path}: เปิดหรือเขียนทะเบียนหนังสือส่งไม่ได้ (cannot open or write): "
                "ตรวจว่าโฟลเดอร์มีอยู่และมีสิทธิ์เขียน แล้วรันใหม่"
            )
        return RegisterError(
            f"{self.path}: ทะเบียนหนังสือส่งทำงานผิดพลาด (register error: {exc}): "
            "ส่งข้อความนี้และไฟล์ทะเบียนให้ผู้ดูแลโปรแกรม"
        )

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
        did = directive_id or self.identity(letter.path)
        with self._guard():
            stored = self._stored_hash(did)
            live = self._live(did)
        if stored is None or not live:
            return None
        return self._numbering(did, live, new=False, changed=stored != content_hash(letter))

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
        did = directive_id or self.identity(letter.path)
        digest = content_hash(letter)
        due, tasks = _follow_up(letter)
        with self._write() as conn:
            stored = self._stored_hash(did)
            live = self._live(did)
            if stored is None:
                conn.execute(
                    "INSERT INTO directive (id, parent_id, kind, content_hash, due, tasks) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (did, parent, letter.directive.kind, digest, due, tasks),
                )
            else:
                self._check_compatible(did, letter, live)
                self._refresh(letter, live)
                conn.execute(
                    "UPDATE directive SET due = ?, tasks = ? WHERE id = ?", (due, tasks, did)
                )
            missing = [m for m in letter.recipients if m.code not in live]
            if missing:
                self._add_rows(did, letter, missing, live, note, parent, hook)
                live = self._live(did)
        changed = stored is not None and stored != digest
        return self._numbering(did, live, new=bool(missing), changed=changed)

    def renumber(
        self,
        letter: Letter,
        today: dt.date,
        *,
        directive_id: str | None = None,
        hook: Hook | None = None,
    ) -> Numbering:
        """New numbers for a corrected letter; the old rows stay, cancelled, pointing to them."""
        did = directive_id or self.identity(letter.path)
        due, tasks = _follow_up(letter)
        with self._write() as conn:
            old = self._live(did)
            if not old:
                raise RegisterError(
                    f"{self.path}: '{did}' ยังไม่มีเลขในทะเบียน (not numbered yet): "
                    "ใช้ letters build เพื่อออกเลขครั้งแรก"
                )
            parent = conn.execute("SELECT parent_id FROM directive WHERE id = ?", (did,))
            parent_id: str | None = parent.fetchone()[0]
            conn.execute(
                "UPDATE entry SET cancelled = 1 WHERE directive_id = ? AND cancelled = 0", (did,)
            )
            conn.execute(
                "UPDATE directive SET kind = ?, content_hash = ?, due = ?, tasks = ? WHERE id = ?",
                (letter.directive.kind, content_hash(letter), due, tasks, did),
            )
            self._add_rows(did, letter, letter.recipients, {}, None, parent_id, hook)
            fresh = self._live(did)
            for code, row in old.items():
                note = f"ยกเลิกเมื่อ {thai.thai_date_short(today)}"
                if code in fresh:
                    note += f" ออกเลขใหม่ {fresh[code].line}"
                conn.execute(
                    "UPDATE entry SET note = trim(note || ' ' || ?) WHERE year = ? AND serial = ?",
                    (note, row.year, row.serial),
                )
        return self._numbering(did, fresh, new=True, changed=False)

    def _stored_hash(self, did: str) -> str | None:
        row = self._conn.execute("SELECT content_hash FROM directive WHERE id = ?", (did,))
        found = row.fetchone()
        return str(found[0]) if found else None

    def _live(self, did: str) -> dict[str, _Live]:
        """Recipient code -> its row, for the rows not cancelled, in register order."""
        found = self._conn.execute(
            "SELECT code, year, serial, series, number_line, n, literal FROM entry "
            "WHERE directive_id = ? AND cancelled = 0 ORDER BY year, serial",
            (did,),
        ).fetchall()
        return {row[0]: _Live(*row[1:]) for row in found}

    @staticmethod
    def _numbering(did: str, live: dict[str, _Live], *, new: bool, changed: bool) -> Numbering:
        numbers = {code: row.printed for code, row in live.items()}
        lines = {code: row.line for code, row in live.items()}
        return Numbering(did, numbers, lines, new, changed)

    def _check_compatible(self, did: str, letter: Letter, live: dict[str, _Live]) -> None:
        if not live:
            return
        row = next(iter(live.values()))
        d = letter.directive
        if (row.year, row.series, row.n is not None) == (
            d.date.year,
            _series(letter),
            d.auto_number,
        ):
            return
        if row.year != d.date.year:
            why = (
                f"วันที่ของหนังสืออยู่ปี {_year_text(d.date.year)} แต่เลขที่ได้ไว้เป็นของปี {_year_text(row.year)}"
            )
        elif row.series != _series(letter):
            why = "ชนิดหนังสือเปลี่ยนระหว่างหนังสือเวียนกับหนังสือภายนอก"
        else:
            why = "เลขที่เปลี่ยนระหว่าง auto กับเลขที่กำหนดเอง"
        raise RegisterError(
            f"{self.path}: '{did}' มีเลขในทะเบียนแล้ว แต่{why} (numbers no longer fit): "
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
        did: str,
        letter: Letter,
        members: Sequence[Member],
        live: dict[str, _Live],
        note: str | None,
        parent: str | None,
        hook: Hook | None,
    ) -> None:
        """Take the numbers (unless literal), then write one row per member."""
        d = letter.directive
        year, series = d.date.year, _series(letter)
        numbers: dict[str, int | None] = {m.code: None for m in members}
        if d.auto_number:
            # A circular's copies share one number: the one it has, or one taken now.
            shared = next((row.n for row in live.values()), None) if series else None
            for member in members:
                if shared is None:
                    taken = self._take_number(year, series, did)
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
                    did,
                    member.code,
                    series,
                    n,
                    *_entry_words(letter, member, n),
                    note if note is not None else self._follow_note(parent, member.code),
                ),
            )
        if hook:
            hook("written")

    def _take_number(self, year: int, series: str, did: str) -> int:
        """The next number of the series, recorded as the directive's (never given again)."""
        found = self._conn.execute(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM number WHERE year = ? AND series = ?",
            (year, series),
        )
        n = int(found.fetchone()[0])
        self._conn.execute(
            "INSERT INTO number (year, series, n, directive_id) VALUES (?, ?, ?, ?)",
            (year, series, n, did),
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

    # -- tracking --------------------------------------------------------------------------

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
        codes = list(self._live(directive_id))
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
        return {
            s.code: RecipientProgress(
                sent_on=s.sent_on,
                done={t.index - 1: t.done_on for t in s.tasks if t.done_on is not None},
                replied_on=s.replied_on,
            )
            for s in self.status(directive_id, tasks, due, today)
        }

    def import_checklist(self, directive_id: str, path: Path, *, today: dt.date) -> ImportResult:
        """Read the clerk's filled-in checklist XLSX and record what it shows done.

        The layout is ``letters.checklist``'s (sheet ``ติดตามผล``; else the first sheet): a
        header row with ``รหัส`` (the recipient code, Thai or Arabic digits), one column per
        task headed ``<n>. <task>`` (or the task's text), and ``วันที่ตอบ`` (the date replied).
        A task cell marks the task done when it holds ``ดำเนินการแล้ว`` (on the date in the
        cell's note, else ``today``) or a date. Other cells change nothing: importing never
        takes back what was marked before (``mark_open`` does).
        """
        table = read_checklist(path)
        with self._write():
            _due, tasks = self._directive(directive_id)
            columns = _task_columns(table.headers, tasks, path)
            replied_column = _find(table.headers, REPLIED_HEADER)
            live = set(self._live(directive_id))
            marked = replied = 0
            unknown = []
            for code, cells in table.rows:
                if code not in live:
                    unknown.append(code)
                    continue
                for column, task_index in columns.items():
                    on = _done_on(_at(cells, column), today)
                    if on is not None:
                        self._mark(directive_id, code, task_index, on, None)
                        marked += 1
                if replied_column is not None:
                    cell = _at(cells, replied_column)
                    day = _date_of(cell.value) if cell else None
                    if day is not None:
                        self._reply(directive_id, code, day)
                        replied += 1
        codes = tuple(code for code, _ in table.rows)
        return ImportResult(marked, replied, codes, tuple(unknown))

    # -- listing ---------------------------------------------------------------------------

    def rows(self, year: int | None = None, directive_id: str | None = None) -> list[RegisterRow]:
        """The register's rows in order; ``year`` Gregorian (2018) or Buddhist (2561)."""
        where: list[str] = []
        params: list[object] = []
        if year is not None:
            where.append("e.year = ?")
            params.append(_gregorian(year))
        if directive_id is not None:
            where.append("e.directive_id = ?")
            params.append(directive_id)
        query = (
            "SELECT e.year, e.serial, e.directive_id, e.code, e.number_line, e.letter_date, "
            "e.sender, e.addressee, e.subject, e.note, e.cancelled FROM entry e"
        )
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY e.year, e.serial"
        with self._guard():
            found = self._conn.execute(query, params).fetchall()
            actions: dict[tuple[int, int], list[str]] = {}
            for a in self._conn.execute(
                "SELECT year, serial, action, at, message_id, ok, detail, uncertain FROM action "
                "ORDER BY id"
            ):
                actions.setdefault((a[0], a[1]), []).append(
                    action_text(
                        a[2],
                        dt.datetime.fromisoformat(a[3]),
                        a[4],
                        bool(a[5]),
                        a[6],
                        uncertain=bool(a[7]),
                    )
                )
        return [
            RegisterRow(
                year=r[0],
                serial=r[1],
                directive_id=r[2],
                code=r[3],
                number_line=r[4],
                date=dt.date.fromisoformat(r[5]),
                sender=r[6],
                addressee=r[7],
                subject=r[8],
                action="\n".join(actions.get((r[0], r[1]), [])),
                note=r[9],
                cancelled=bool(r[10]),
            )
            for r in found
        ]

    def entry(self, directive_id: str, code: str) -> RegisterRow | None:
        """The live row of one recipient's letter (its ที่ and date for อ้างถึง)."""
        for row in self.rows(directive_id=directive_id):
            if row.code == code and not row.cancelled:
                return row
        return None


def action_text(
    action: str,
    at: dt.datetime,
    message_id: str | None,
    ok: bool,
    detail: str | None,
    *,
    uncertain: bool = False,
) -> str:
    """One line of การปฏิบัติ: what was done, when, and the Message-ID or the failure."""
    words = _ACTION_WORDS.get(action, action)
    when = f"{thai.thai_date_short(at.date())} {at:%H:%M}\u00a0น."
    if ok:
        text = f"{words} {when}"
    elif uncertain:
        text = f"{words}ไม่แน่ใจว่าถึง {when}"
    else:
        text = f"{words}ไม่สำเร็จ {when}"
    if detail:
        text += f" {detail}"
    if message_id:
        text += f" {message_id}"
    return thai.thai_digits(text)


# -- the checklist ---------------------------------------------------------------------------

CODE_HEADER = "รหัส"
REPLIED_HEADER = "วันที่ตอบ"
CHECKLIST_SHEET = "ติดตามผล"
_ITEM = re.compile(r"^\s*(\d+)\s*\.?\s*(.*)$", re.DOTALL)
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class ChecklistCell:
    value: object
    note: str | None  # the cell's comment (the checklist writes a done task's date there)


@dataclass(frozen=True)
class ChecklistTable:
    headers: list[str]
    rows: list[tuple[str, list[ChecklistCell]]]  # (recipient code, the row's cells)


def read_checklist(path: Path) -> ChecklistTable:
    """The header row (the first with ``รหัส`` in a cell) and the recipients' rows below it."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():  # what openpyxl says of Excel's extensions
            warnings.simplefilter("ignore")
            book = load_workbook(path, data_only=True)
    except FileNotFoundError:
        raise _checklist_error(path, "ไม่พบไฟล์ (no such file)") from None
    except Exception as exc:
        raise _checklist_error(
            path,
            f"อ่านไฟล์ Excel ไม่ได้ (not a readable XLSX: {type(exc).__name__}): "
            "บันทึกเป็น .xlsx จาก Excel แล้วนำเข้าใหม่",
        ) from None
    try:
        names = book.sheetnames
        sheet = book[CHECKLIST_SHEET] if CHECKLIST_SHEET in names else book.worksheets[0]
        grid = [
            [ChecklistCell(c.value, c.comment.text if c.comment else None) for c in row]
            for row in sheet.iter_rows()
        ]
    finally:
        book.close()
    for index, row in enumerate(grid):
        texts = [_cell_text(c.value) for c in row]
        if CODE_HEADER in texts:
            column = texts.index(CODE_HEADER)
            rows = []
            for cells in grid[index + 1 :]:
                code = _cell_text(cells[column].value) if column < len(cells) else ""
                if code:
                    rows.append((thai.arabic_digits(code), cells))
            return ChecklistTable(texts, rows)
    raise _checklist_error(
        path,
        f"ไม่พบแถวหัวตารางที่มีคอลัมน์ '{CODE_HEADER}' (no header row with the code column): "
        "ใช้แบบติดตามผล (checklist.xlsx) ที่ letters build สร้าง แล้วนำเข้าใหม่",
    )


def _checklist_error(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), 0, 0, "", message)])


def _cell_text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _at(cells: list[ChecklistCell], column: int) -> ChecklistCell | None:
    return cells[column] if column < len(cells) else None


def _find(headers: list[str], wanted: str) -> int | None:
    return headers.index(wanted) if wanted in headers else None


def _task_columns(headers: list[str], tasks: list[str], path: Path) -> dict[int, int]:
    """Column -> 1-based task: a header ``<n>. ...`` or ``<n>``, or the task's own text."""
    texts = {" ".join(thai.arabic_digits(t).split()): i for i, t in enumerate(tasks, 1)}
    columns: dict[int, int] = {}
    for column, header in enumerate(headers):
        label = thai.arabic_digits(header)
        item = _ITEM.match(label)
        if label in texts:
            columns[column] = texts[label]
        elif item and 1 <= int(item.group(1)) <= len(tasks):
            columns[column] = int(item.group(1))
    if not columns:
        raise _checklist_error(
            path,
            "ไม่พบคอลัมน์ของงานที่ติดตาม (no task columns): หัวคอลัมน์ต้องขึ้นต้นด้วยเลขงาน "
            "(๑. ๒. ...) หรือเป็นข้อความงานตาม follow_up.tasks ของหนังสือนี้",
        )
    return columns


def _done_on(cell: ChecklistCell | None, today: dt.date) -> dt.date | None:
    """A task cell: a date, or ``ดำเนินการแล้ว`` (on the date its note gives, else today)."""
    if cell is None:
        return None
    day = _date_of(cell.value)
    if day is not None:
        return day
    if DONE_WORD not in _cell_text(cell.value):
        return None
    return _date_of(cell.note) or today


def _date_of(value: object) -> dt.date | None:
    """A date cell, or a date in text: ``2018-12-20``, ``20/12/2561``, ``๒๐/๑๒/๒๕๖๑``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = thai.arabic_digits(value).strip()
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(text)
    found = _DAY.search(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        with contextlib.suppress(ValueError):
            return dt.date(_gregorian(year), month, day)
    return None


# -- export ----------------------------------------------------------------------------------


def export_csv(rows: Sequence[RegisterRow]) -> bytes:
    """The register as CSV, UTF-8 with a byte-order mark so that Excel reads the Thai."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue().encode("utf-8-sig")


XLSX_FONT = "TH Sarabun New"
_XLSX_WIDTHS = (12, 26, 12, 24, 26, 48, 34, 26)  # characters


def export_xlsx(rows: Sequence[RegisterRow], office: str | None = None) -> bytes:
    """The register as an Excel workbook: one row per letter and recipient, ready to print."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "ทะเบียนหนังสือส่ง"
    title = "ทะเบียนหนังสือส่ง" + (f" {office}" if office else "")
    sheet.append([title])
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row.cells()))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet["A1"].font = Font(name=XLSX_FONT, size=18, bold=True)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            header = cell.row == 2
            cell.font = Font(name=XLSX_FONT, size=16, bold=header)
            cell.border = border
            cell.alignment = Alignment(
                wrap_text=True, vertical="top", horizontal="center" if header else None
            )
    for index, width in enumerate(_XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_NAMED = (3, 4, 5)  # จาก, ถึง, เรื่อง: the cells where directory names stand


def export_pdf(
    rows: Sequence[RegisterRow],
    office: str,
    fonts: FontSet,
    *,
    year: int | None = None,
    keep_whole: Sequence[str] = (),
) -> bytes:
    """The register on A4 landscape in the layout of form ๑๔, header row on every page.

    ``keep_whole``: names never split across lines in a cell (the districts' names).
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters.fonts import FAMILY
    from letters.render import DeclaredFiles, template_environment
    from letters.resources import resource_dir

    years = {r.year for r in rows}
    shown = _gregorian(year) if year is not None else (years.pop() if len(years) == 1 else None)
    names = list(keep_whole)
    html = (
        template_environment()
        .get_template("register.html.j2")
        .render(
            columns=COLUMNS,
            rows=[
                [
                    thai.split_names(c, names) if i in _NAMED else [(c, False)]
                    for i, c in enumerate(r.cells())
                ]
                for r in rows
            ],
            cancelled=[r.cancelled for r in rows],
            office=thai.thai_digits(office),
            year=_year_text(shown) if shown is not None else None,
            fonts=fonts.faces,
            family=FAMILY,
        )
    )
    fetcher = DeclaredFiles.of_fonts(fonts)  # the fonts, nothing else
    document = HTML(string=html, base_url=str(resource_dir("templates")), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(font_config=FontConfiguration())
    return pdf


def display_width(text: str) -> int:
    """Terminal columns of ``text``: Thai marks above and below take none."""
    from wcwidth import wcswidth

    return max(int(wcswidth(text)), 0)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if display_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


_TABLE_LIMITS = (6, 24, 10, 18, 20, 36, 30, 24)


def format_table(rows: Sequence[RegisterRow]) -> str:
    """The register for the terminal: form ๑๔'s columns, long texts clipped, Thai aligned."""
    table = [list(COLUMNS)] + [
        [_clip(cell, limit) for cell, limit in zip(r.cells(), _TABLE_LIMITS, strict=True)]
        for r in rows
    ]
    widths = [max(display_width(line[i]) for line in table) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    out = [line(table[0]), "  ".join("-" * w for w in widths)]
    out += [line(cells) for cells in table[1:]]
    return "\n".join(out)


# -- the commands' entry points -------------------------------------------------------------


def _office_register(config: Path | None, register: Path | None) -> tuple[OfficeConfig, Path]:
    from letters.build import register_path
    from letters.config import find_config, load_config

    office = load_config(find_config(Path.cwd() / "directive.yaml", config))
    return office, register_path(office, register)


def show_register(config: Path | None, register: Path | None, year: int | None) -> str:
    """``letters register``: the register as a table for the terminal."""
    _office, path = _office_register(config, register)
    with Register(path, create=False) as reg:
        rows = reg.rows(year)
    if not rows:
        return "ยังไม่มีหนังสือในทะเบียน (the register is empty)" + (
            f" ปี {thai.thai_number(year)}" if year else ""
        )
    return format_table(rows)


def export_register(
    config: Path | None, register: Path | None, year: int | None, fmt: str, out: Path | None
) -> Path:
    """``letters register export``: the register as CSV, XLSX or a form ๑๔ PDF."""
    from letters.fonts import letter_fonts

    office, path = _office_register(config, register)
    with Register(path, create=False) as reg:
        rows = reg.rows(year)
    name = office.model.office.name
    if fmt == "csv":
        data = export_csv(rows)
    elif fmt == "xlsx":
        data = export_xlsx(rows, name)
    else:
        keep = [m.name for g in office.model.recipients.values() for m in g.members]
        data = export_pdf(rows, name, letter_fonts(office.folder), year=year, keep_whole=keep)
    suffix = f"-{year}" if year else ""
    target = out or Path.cwd() / f"ทะเบียนหนังสือส่ง{suffix}.{fmt}"
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise RegisterError(f"{target}: เขียนไฟล์ไม่ได้ (cannot write): {exc.strerror}") from None
    return target


def renumber_directive(
    directive: Path, config: Path | None, register: Path | None, today: dt.date
) -> str:
    """``letters renumber``: new numbers for a corrected letter, the old ones cancelled."""
    from letters.build import register_path
    from letters.directive import load_letter

    letter = load_letter(directive, config)
    with Register(register_path(letter.config, register), create=False) as reg:
        numbering = reg.renumber(letter, today)
    lines = sorted(set(numbering.lines.values()))
    return (
        f"ออกเลขใหม่แล้ว (renumbered): {', '.join(lines)}; เลขเดิมบันทึกว่ายกเลิก\n"
        f"สร้างหนังสือใหม่ด้วย: letters build {directive}"
    )
