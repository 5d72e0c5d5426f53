"""``letters build``: directive to a folder of letters, bundles and checklist, all or nothing.

The pipeline: validated ``Letter`` -> numbers from the register -> one ``Copy`` per
recipient -> PDF and DOCX letters -> bundles (letter, enclosures, reply form) -> the
office's checklist. Everything is written to a temporary folder beside the output and moved
into place only when every file is complete, so a failed or killed build leaves the previous
output as it was. ``letters.workers`` renders the files; ``letters.manifest`` lists them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import glob
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from letters import manifest, thai
from letters.config import Member
from letters.directive import Letter
from letters.errors import InputError, OutputError, Problem
from letters.manifest import BuiltLetter
from letters.register import register_file
from letters.workers import Item as Item
from letters.workers import Progress as Progress
from letters.workers import write_files

if TYPE_CHECKING:
    from letters.checklist import RecipientProgress
    from letters.register import Register
    from letters.signing import LetterSigner

FORMATS = ("pdf", "docx")


@dataclass
class BuildResult:
    folder: Path
    letters: list[BuiltLetter]
    warnings: list[str] = field(default_factory=list)
    checklist: list[Path] = field(default_factory=list)
    directive_id: str | None = None  # in the register; None for drafts
    numbers: list[str] = field(default_factory=list)  # ที่ lines of the copies built, once each
    numbered_now: bool = False  # the register gave these numbers in this build

    @property
    def pages(self) -> int:
        return sum(b.pages for b in self.letters)

    def summary(self) -> str:
        formats = sorted({fmt.upper() for b in self.letters for fmt in b.files if fmt != "bundle"})
        bundles = sum(1 for b in self.letters if "bundle" in b.files)
        lines = [
            f"เสร็จ (done): หนังสือ {len(self.letters)} ฉบับ ({', '.join(formats)}), {self.pages} หน้า",
        ]
        if bundles:
            pages = sum(b.bundle_pages for b in self.letters)
            lines.append(f"ชุดส่ง (bundles): {bundles} ชุด, {pages} หน้า")
        if self.checklist:
            lines.append(f"แบบติดตาม (checklist): {', '.join(p.name for p in self.checklist)}")
        if self.numbers:
            taken = "ออกเลขแล้ว (numbered)" if self.numbered_now else "เลขเดิม (numbers kept)"
            numbers = self.numbers
            if len(numbers) > 3:
                count = thai.thai_number(len(numbers))
                numbers = [f"{numbers[0]} ถึง {numbers[-1]} ({count} เลข)"]
            lines.append(f"{taken}: {', '.join(numbers)}")
        lines.append(f"ที่ (folder): {self.folder}")
        return "\n".join(lines)


def parse_formats(value: str) -> tuple[str, ...]:
    """``pdf,docx`` to a tuple; an unknown format is a problem of the command line."""
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in value.split(",") if p.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InputError(
            [
                Problem(
                    "--format",
                    0,
                    0,
                    "",
                    f"ไม่รู้จักรูปแบบ '{','.join(unknown) or value}' (unknown format); "
                    f"ใช้ได้: {', '.join(FORMATS)}",
                )
            ]
        )
    return chosen


def default_out(letter: Letter, *, draft: bool = False, cwd: Path | None = None) -> Path:
    """``out/<directive name>/``; drafts ``out/<directive name>-draft/``, never mixed in."""
    name = f"{letter.name}-draft" if draft else letter.name
    return (cwd or Path.cwd()) / "out" / name


def check_out(folder: Path, letter: Letter, register: Path | None = None) -> None:
    """Refuse an output folder a build may not replace (``OutputError``), before anything is
    numbered or written.

    A build replaces its output folder whole. It may use a new folder, an empty one, or one
    a build made (its manifest.json says ``"tool": "letters"``) holding only the files that
    build wrote, unchanged (and ``letters print --file-only``'s print files). Never the root,
    the current folder or a folder above it, one holding the directive, config.yaml, the
    register or a file they name, nor a folder whose parent cannot be made or written.
    """
    name = f"out/{letter.name}"
    if folder.parent == folder:
        raise OutputError(
            f"{folder}: ใช้โฟลเดอร์รากเป็นโฟลเดอร์ผลลัพธ์ไม่ได้ (--out cannot be the root folder); "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    for what, path in _inputs(letter, register):
        if path == folder or path.is_relative_to(folder):
            raise OutputError(
                f"{folder}: ใช้เป็นโฟลเดอร์ผลลัพธ์ไม่ได้ เพราะ{what}: {path}; "
                "letters build แทนที่โฟลเดอร์ผลลัพธ์ทั้งโฟลเดอร์: "
                f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
            )
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(
            f"{folder}: มีไฟล์ชื่อนี้อยู่แล้ว ไม่ใช่โฟลเดอร์ (--out is a file); "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    if folder.is_dir():
        _replaceable(folder, name)
    _writable_parent(folder, name)


def _inputs(letter: Letter, register: Path | None) -> list[tuple[str, Path]]:
    """What a build reads, or works in, and must never replace: (why not, resolved path)."""
    config = letter.config
    try:
        cwd: Path | None = Path.cwd()
    except OSError:  # the current folder was removed
        cwd = None
    found: list[tuple[str, Path | None]] = [
        ("เป็นหรือครอบโฟลเดอร์ที่ทำงานอยู่ (--out holds the current folder)", cwd),
        ("มีไฟล์คำสั่งอยู่ในนั้น (--out holds the directive)", letter.path),
        (f"มี {config.path.name} อยู่ในนั้น (--out holds the config)", config.path),
        (
            "มีทะเบียนหนังสือส่งอยู่ในนั้น (--out holds the register)",
            register_file(config, register),
        ),
        ("มีฟอนต์ของสำนักงานอยู่ในนั้น (--out holds the office fonts)", config.folder / "fonts"),
    ]
    found += [
        ("มีสิ่งที่ส่งมาด้วยอยู่ในนั้น (--out holds an enclosure)", e.file.path) for e in letter.enclosures
    ]
    if config.emblem is not None:
        found.append(("มีภาพตราครุฑอยู่ในนั้น (--out holds the emblem)", config.emblem))
    for signer in config.model.signers.values():
        if signer.signature:
            found.append(
                ("มีภาพลายมือชื่ออยู่ในนั้น (--out holds a signature)", config.resolve(signer.signature))
            )
    return [(why, path.resolve()) for why, path in found if path is not None]


def _replaceable(folder: Path, name: str) -> None:
    """An existing folder: empty, or a build's output holding only its own files."""
    try:
        if next(folder.iterdir(), None) is None:
            return
        made = manifest.read(folder)
        ours = made is not None and made.ours
        # Only a build's folder is looked through (never a home folder given by mistake).
        found = manifest.foreign(folder, made) if made is not None and made.ours else []
    except OSError as exc:
        raise OutputError(
            f"{folder}: อ่านโฟลเดอร์ผลลัพธ์ไม่ได้ (cannot read --out): {exc.strerror or exc}; "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        ) from None
    if not ours:
        raise OutputError(
            f"{folder}: มีไฟล์อยู่แล้ว และไม่ใช่โฟลเดอร์ที่ letters build สร้าง "
            "(not empty, not a build's output: no manifest.json of letters); "
            "letters build แทนที่ทั้งโฟลเดอร์ จึงไม่เขียนทับ: "
            f"เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name} หรือย้ายหรือลบโฟลเดอร์นี้เอง"
        )
    if found:
        shown = ", ".join(found[:5]) + (f" และอีก {len(found) - 5} ไฟล์" if len(found) > 5 else "")
        raise OutputError(
            f"{folder}: มีไฟล์ที่ letters build ไม่ได้เขียน หรือแก้ไขหลังสร้าง "
            f"(files a build did not write, or changed since): {shown}; "
            "letters build แทนที่ทั้งโฟลเดอร์: ย้ายไฟล์เหล่านี้ออกไปก่อน หรือเลือก --out อื่น"
        )


def _writable_parent(folder: Path, name: str) -> None:
    """The folder above ``folder`` is made (as the build would) and a folder is made in it
    and removed again: a parent that is a file, a read-only folder, one this user may not
    write in are found now, before anything is numbered. Folders made for a failed probe
    are removed again."""
    parent, missing = folder.parent, []
    while not parent.exists() and not parent.is_symlink() and parent.parent != parent:
        missing.append(parent)
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(
            f"{folder}: สร้างโฟลเดอร์ผลลัพธ์ไม่ได้ เพราะ {parent} เป็นไฟล์ ไม่ใช่โฟลเดอร์ "
            f"(a parent of --out is a file); เลือก --out เป็นโฟลเดอร์ใหม่ เช่น {name}"
        )
    made: list[Path] = []
    try:
        for missed in reversed(missing):
            missed.mkdir()
            made.append(missed)
        _new_beside(folder, ".tmp").rmdir()
    except OSError as exc:
        for madeone in reversed(made):
            with contextlib.suppress(OSError):
                madeone.rmdir()
        where = made[-1] if made else parent
        raise OutputError(
            f"{folder}: เขียนในโฟลเดอร์ {where} ไม่ได้ (cannot write there: "
            f"{exc.strerror or exc}); เลือก --out ที่เขียนได้ เช่น {name} "
            "หรือขอสิทธิ์เขียนจากผู้ดูแลเครื่อง"
        ) from None


def build_letters(
    letter: Letter,
    recipients: Sequence[Member],
    folder: Path,
    formats: Sequence[str],
    *,
    register: Register | None,
    directive: Path,
    only: Sequence[str] = (),
    progress: Progress | None = None,
    today: dt.date | None = None,
    workers: int | None = None,
    signer: LetterSigner | None = None,
) -> BuildResult:
    """Number ``recipients``' copies of ``letter`` in ``register`` (None: a draft, numbered
    only as the directive writes it) and write them into ``folder``, which ``check_out`` has
    allowed. ``directive`` is the path as the clerk named it, for the warnings.

    ``workers``: see ``letters.workers.write_files`` (None chooses by the number of letters).
    """
    warnings = _warnings(letter)
    today = today or dt.date.today()
    if register is None:
        literal = None if letter.directive.auto_number else letter.directive.number
        numbers: Mapping[str, str | None] = {
            m.code: thai.thai_digits(literal) if literal else None for m in letter.recipients
        }
        items = [Item(letter, m, numbers[m.code], draft=True) for m in recipients]
        built = write_folder(
            letter,
            items,
            folder,
            formats,
            only=only,
            progress=progress,
            workers=workers,
            checked=True,
        )
        return BuildResult(folder, built.letters, warnings, built.checklist)
    numbering = register.allocate(letter)
    if numbering.changed:
        warnings.append(
            "คำเตือน (warning): directive แก้ไขหลังออกเลขแล้ว จึงใช้เลขเดิม; "
            f"ถ้าต้องการเลขใหม่ใช้ letters renumber {directive}"
        )
    items = [Item(letter, m, numbering.numbers[m.code]) for m in recipients]
    directive_id = numbering.directive_id
    sent = register.sent(directive_id) & {m.code for m in recipients}
    if sent:
        warnings.append(
            f"คำเตือน (warning): หนังสือถึง {', '.join(sorted(sent))} ส่งไปแล้ว (already sent); "
            "ฉบับที่สร้างใหม่จะไม่ส่งซ้ำเอง: ถ้าแก้ไขเนื้อหา ใช้ letters renumber แล้วส่งใหม่"
        )
    built = write_folder(
        letter,
        items,
        folder,
        formats,
        only=only,
        progress=progress,
        checklist_progress=register.progress(directive_id, today),
        today=today,
        register=register,
        directive_id=directive_id,
        workers=workers,
        checked=True,
        signer=signer,
    )
    register.record_signature(
        directive_id, [b.code for b in built.letters], signer.fingerprint if signer else None
    )
    taken = list(dict.fromkeys(numbering.lines[m.code] for m in recipients))
    return BuildResult(
        folder, built.letters, warnings, built.checklist, directive_id, taken, numbering.new
    )


def chosen(letter: Letter, only: Sequence[str]) -> list[Member]:
    """The recipients ``--only`` names (all when none), each once; InputError for a code
    the letter does not have."""
    if not only:
        return list(letter.recipients)
    by_code = {m.code: m for m in letter.recipients}
    problems = [
        Problem("--only", 0, 0, "", f"ไม่มีผู้รับรหัส '{code}' ในหนังสือนี้ (unknown recipient)")
        for code in only
        if thai.arabic_digits(code) not in by_code
    ]
    if problems:
        raise InputError(problems)
    return [by_code[thai.arabic_digits(code)] for code in dict.fromkeys(only)]


def _warnings(letter: Letter) -> list[str]:
    """How the directive was read (``letter.notes``: พ.ศ. years, far dates), a missing Garuda."""
    emblem = letter.config.emblem
    if emblem is None or not emblem.is_file():
        where = emblem or "office.emblem"
        return [
            *letter.notes,
            f"คำเตือน (warning): ไม่พบภาพตราครุฑ '{where}' หนังสือจะมีกรอบแทนตราครุฑ; "
            f"วางไฟล์ภาพไว้ตามที่ office.emblem ใน {letter.config.path.name} ระบุ",
        ]
    return list(letter.notes)


@dataclass
class _Written:
    letters: list[BuiltLetter]
    checklist: list[Path]


def write_folder(
    letter: Letter,
    items: Sequence[Item],
    folder: Path,
    formats: Sequence[str],
    *,
    only: Sequence[str] = (),
    progress: Progress | None = None,
    checklist: bool = True,
    checklist_progress: Mapping[str, RecipientProgress] | None = None,
    today: dt.date | None = None,
    register: Register | None = None,
    directive_id: str | None = None,
    workers: int | None = None,
    bundles: bool = True,
    checked: bool = False,
    signer: LetterSigner | None = None,
) -> _Written:
    """Render ``items`` into ``folder``, atomically.

    ``letter`` is the directive as a whole: its enclosures go into every bundle and its
    recipients make the checklist. The register, when given, learns the folder.
    ``workers``: processes that render (see ``letters.workers.write_files``); the files are the
    same bytes. ``bundles`` False writes the letters alone (no reply forms, no bundles).
    ``folder`` is replaced only when ``check_out`` allows it (``checked``: the caller has
    asked it already, before numbering). ``signer``: each PDF letter and bundle written is
    signed, last, once nothing else will change it.
    """
    if not checked:
        check_out(folder, letter, register.path if register is not None else None)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(folder)
        staging = _new_beside(folder, ".tmp")
    except OSError as exc:
        raise OutputError(
            f"{folder}: เขียนผลลัพธ์ไม่ได้ (cannot write output): {exc.strerror or exc}; "
            "ตรวจสิทธิ์ของโฟลเดอร์หรือเลือก --out อื่นแล้วสั่งใหม่"
        ) from None
    listed = checklist and letter.directive.follow_up is not None
    try:
        built, written = write_files(
            letter,
            items,
            formats,
            staging,
            progress=progress,
            workers=workers,
            checklist=(checklist_progress, today) if listed else None,
            bundles=bundles,
        )
        if signer is not None:
            for written_letter in built:
                for fmt in ("pdf", "bundle"):
                    if fmt in written_letter.files:
                        path = staging / written_letter.files[fmt]
                        signer.sign_file(path, pages=written_letter.pages)
        content = content_of(letter)
        previous = manifest.read(folder)
        if only:
            _keep_others(previous, folder, staging, built, directive_id)
        _keep_formats(previous, folder, staging, built, directive_id, content)
        manifest.write(letter, staging, built, written, directive_id, content)
        _replace(staging, folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"{folder}: เขียนผลลัพธ์ไม่ได้ (cannot write output): {exc.strerror or exc}; "
            "ผลลัพธ์ครั้งก่อนยังอยู่ครบ ตรวจพื้นที่ดิสก์หรือสิทธิ์ของโฟลเดอร์แล้วสั่งใหม่"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if register is not None and directive_id is not None:
        register.set_last_build(directive_id, folder)
    return _Written(built, [folder / p.name for p in written])


def _remove_abandoned(folder: Path) -> None:
    """Clean up after builds that were killed (their process is gone).

    Their staging folders go. A build killed in the instant between moving the previous
    output aside and moving the new one in left the previous output as ``.old``: it is put
    back, so the folder always holds the last complete build.
    """
    for stale in sorted(folder.parent.glob(f".{glob.escape(folder.name)}.*.*")):
        named = _BESIDE.fullmatch(stale.name[len(folder.name) + 2 :])
        if named is None or not stale.is_dir() or stale.is_symlink():
            continue  # not a folder a build made
        if _alive(int(named.group(1))):
            continue
        if named.group(2) == "old" and not folder.exists():
            stale.rename(folder)
        else:
            shutil.rmtree(stale, ignore_errors=True)


# The folders a build makes beside its output: ``.<name>.<pid>.<8 characters>.tmp`` (being
# written) and ``.old`` (the previous output, for the instant of the swap).
_BESIDE = re.compile(r"([0-9]+)\.[a-z0-9_]{8}\.(tmp|old)")


def _new_beside(folder: Path, suffix: str) -> Path:
    """A new empty folder ``.<name>.<pid>.<random>.<suffix>`` beside ``folder``, made with
    the user's umask (``tempfile.mkdtemp`` makes 0700: others could not read the letters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    for _ in range(100):
        random = "".join(secrets.choice(alphabet) for _ in range(8))
        path = folder.parent / f".{folder.name}.{os.getpid()}.{random}{suffix}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free name for a temporary folder", str(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_others(
    previous: manifest.Manifest | None,
    folder: Path,
    staging: Path,
    built: list[BuiltLetter],
    directive_id: str | None,
) -> None:
    """With ``--only``, the other recipients' files of the ``previous`` build in ``folder``
    stay as they were."""
    if previous is None or previous.draft != (directive_id is None):
        return  # drafts and numbered letters are never mixed in one folder
    done = {b.code for b in built}
    for entry in previous.letters:
        if entry.code in done:
            continue
        for relative in entry.files.values():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
        built.append(entry)
    order = {entry.code: i for i, entry in enumerate(previous.letters)}
    built.sort(key=lambda b: order.get(b.code, len(order)))


def content_of(letter: Letter) -> str:
    """What a build's letters say: the directive's values, its enclosures and the config."""
    from letters.register import content_hash

    config = hashlib.sha256(letter.config.path.read_bytes()).hexdigest()
    return hashlib.sha256(f"{content_hash(letter)} {config}".encode()).hexdigest()


def _keep_formats(
    previous: manifest.Manifest | None,
    folder: Path,
    staging: Path,
    built: list[BuiltLetter],
    directive_id: str | None,
    content: str,
) -> None:
    """A build of some formats (``--format docx``) keeps the ``previous`` build's other files
    (PDF letters, bundles) of the same letters: same directive, numbers and content."""
    if previous is None or previous.content != content or previous.register_id != directive_id:
        return
    before = {entry.code: entry for entry in previous.letters}
    for now in built:
        entry = before.get(now.code)
        if entry is None or entry.number != now.number:
            continue
        for fmt, relative in entry.files.items():
            if fmt in now.files or not (folder / relative).is_file():
                continue
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
            now.files[fmt] = relative
            if fmt == "bundle":
                now.bundle_pages = entry.bundle_pages
            if fmt == "pdf":
                now.pages = entry.pages


def _replace(staging: Path, folder: Path) -> None:
    """Swap the finished folder in; the previous output goes only once the new one is there."""
    old = None
    if folder.exists():
        old = _new_beside(folder, ".old")
        old.rmdir()
        folder.rename(old)
    try:
        staging.rename(folder)
    except OSError:
        if old is not None:
            old.rename(folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
