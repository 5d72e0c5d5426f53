"""The register's SQLite file: its tables, the migrations that make them, transactions.

``letters.register.Register`` is the register a command uses; this is what lies under it.
The tables (``_V1``): ``directive`` (each numbered directive: identity, kind, content hash,
follow-up tasks and due date, the original it follows up), ``number`` (the numbers taken
from each year's series), ``entry`` (the rows of form ๑๔, one per letter and recipient),
``action`` (what dispatch did with a row), ``task`` and ``reply`` (what each recipient
reported), ``build`` (the output folder of each directive's last build).

**Schema versions.** ``schema_version`` holds the number of migrations applied; opening a
file applies the missing ones from ``MIGRATIONS`` in order, in one transaction. A change to
the schema is one more function appended to that list, never an edit of an earlier one.

Every failure a clerk can cause is a ``RegisterError`` naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Self

from letters import thai
from letters.errors import RegisterError

Migration = Callable[[sqlite3.Connection], None]


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

# A copy signed with a digital signature: the SHA-256 of the signer's certificate (NULL:
# not signed).
_V3 = _sql("ALTER TABLE entry ADD COLUMN signature TEXT")

# What a recipient's row of the filled-in checklist says in its หมายเหตุ column.
_V4 = _sql(
    """CREATE TABLE remark (
        directive_id TEXT NOT NULL REFERENCES directive(id),
        code TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (directive_id, code)
    )"""
)

# A signer's approval of a letter (เสนอลงนาม) on the web page, before it is numbered: who and
# when, and the hash of the content approved (an edit after it needs a new approval).
_V5 = _sql(
    """CREATE TABLE approval (
        id INTEGER PRIMARY KEY,
        directive_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX approval_directive ON approval(directive_id)",
)

# Applied in order from the first release on; the schema's version is how many were applied.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4, _V5)


class RegisterFile:
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

    def __enter__(self) -> Self:
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
