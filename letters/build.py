"""``letters build``: directive to a folder of letters, all or nothing.

Everything is written to a temporary folder beside the output and moved into place only
when every file is complete, so a failed build leaves the previous output as it was.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from letters import thai
from letters.config import Member
from letters.content import Copy, copy_for
from letters.directive import Letter, load_letter
from letters.errors import InputError, OutputError, Problem
from letters.fonts import letter_fonts

if TYPE_CHECKING:
    from letters.render import PdfRenderer, Rendered

FORMATS = ("pdf",)
Progress = Callable[[int, int, str], None]


@dataclass
class BuiltLetter:
    code: str
    name: str
    number: str
    files: dict[str, Path]  # format -> path inside the output folder
    pages: int


@dataclass
class BuildResult:
    folder: Path
    letters: list[BuiltLetter]
    warnings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(b.pages for b in self.letters)


def parse_formats(value: str) -> tuple[str, ...]:
    """``pdf,docx`` to a tuple; an unknown format is a usage problem of the command line."""
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


def default_out(letter: Letter, cwd: Path | None = None) -> Path:
    return (cwd or Path.cwd()) / "out" / letter.name


def safe_name(text: str) -> str:
    """A file name part: no path separators or characters file systems refuse."""
    return "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip()


def build(
    directive: Path,
    config: Path | None = None,
    *,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    only: Sequence[str] = (),
    draft: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    letter = load_letter(directive, config)
    recipients = _chosen(letter, only)
    folder = (out or default_out(letter)).resolve()
    warnings = _warnings(letter)
    number = None if letter.directive.auto_number else thai.thai_digits(letter.directive.number)

    from letters.render import PdfRenderer

    renderer = PdfRenderer(
        letter.config.model.layout,
        letter_fonts(letter.config.folder),
        author=letter.config.model.office.name,
        keep_whole=letter.directory_names,
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(folder)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.{os.getpid()}.", suffix=".tmp", dir=folder.parent)
    )
    try:
        built = _write_letters(letter, recipients, number, draft, renderer, staging, progress)
        _keep_others(folder, staging, only, built)
        _manifest(letter, staging, built, draft)
        _replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(folder, built, warnings)


def _remove_abandoned(folder: Path) -> None:
    """Clean up after builds that were killed (their process is gone).

    Their staging folders go. A build killed in the instant between moving the previous
    output aside and moving the new one in left the previous output as ``.old``: it is put
    back, so the folder always holds the last complete build.
    """
    for stale in sorted(folder.parent.glob(f".{glob.escape(folder.name)}.*.*")):
        pid, _, rest = stale.name[len(folder.name) + 2 :].partition(".")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if rest.endswith(".old") and not folder.exists():
            stale.rename(folder)
        elif rest.endswith((".tmp", ".old")):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _chosen(letter: Letter, only: Sequence[str]) -> list[Member]:
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
    emblem = letter.config.emblem
    if emblem is None or not emblem.is_file():
        where = emblem or "office.emblem"
        return [
            f"คำเตือน (warning): ไม่พบภาพตราครุฑ '{where}' หนังสือจะมีกรอบแทนตราครุฑ; "
            f"วางไฟล์ภาพไว้ตามที่ office.emblem ใน {letter.config.path.name} ระบุ"
        ]
    return []


def _write_letters(
    letter: Letter,
    recipients: list[Member],
    number: str | None,
    draft: bool,
    renderer: PdfRenderer,
    staging: Path,
    progress: Progress | None,
) -> list[BuiltLetter]:
    (staging / "letters").mkdir()
    cache: dict[tuple[object, ...], Rendered] = {}
    built: list[BuiltLetter] = []
    for i, member in enumerate(recipients, 1):
        copy: Copy = copy_for(letter, member, number, draft=draft)
        key = copy.identity()
        rendered = cache.get(key)
        if rendered is None:
            rendered = cache[key] = renderer.render(copy, letter.directive.date)
        stem = f"{copy.recipient.code}-{safe_name(copy.recipient.name)}"
        path = staging / "letters" / f"{stem}.pdf"
        try:
            path.write_bytes(rendered.pdf)
        except OSError as exc:
            raise OutputError(f"{path}: เขียนไฟล์ไม่ได้ (cannot write): {exc.strerror}") from None
        built.append(
            BuiltLetter(
                copy.recipient.code,
                copy.recipient.name,
                copy.number,
                {"pdf": Path("letters") / path.name},
                rendered.pages,
            )
        )
        if progress:
            progress(i, len(recipients), copy.recipient.name)
    return built


def _keep_others(
    folder: Path, staging: Path, only: Sequence[str], built: list[BuiltLetter]
) -> None:
    """With ``--only``, the other recipients' files of the previous build stay as they were."""
    if not only or not (folder / "manifest.json").is_file():
        return
    previous = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    done = {b.code for b in built}
    for entry in previous.get("recipients", []):
        if entry["code"] in done:
            continue
        files = {f["format"]: Path(f["path"]) for f in entry["files"]}
        for relative in files.values():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
        built.append(
            BuiltLetter(entry["code"], entry["name"], entry["number"], files, entry["pages"])
        )
    order = {code: i for i, code in enumerate(e["code"] for e in previous["recipients"])}
    built.sort(key=lambda b: order.get(b.code, len(order)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(letter: Letter, staging: Path, built: list[BuiltLetter], draft: bool) -> None:
    d = letter.directive
    manifest = {
        "directive": str(letter.path.resolve()),
        "kind": d.kind,
        "subject": d.subject,
        "date": d.date.isoformat(),
        "date_th": thai.thai_date(d.date),
        "draft": draft,
        "recipients": [
            {
                "code": b.code,
                "name": b.name,
                "number": b.number,
                "pages": b.pages,
                "files": [
                    {"format": fmt, "path": str(path), "sha256": sha256(staging / path)}
                    for fmt, path in b.files.items()
                ],
            }
            for b in built
        ],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (staging / "manifest.json").write_text(text, encoding="utf-8")


def _replace(staging: Path, folder: Path) -> None:
    """Swap the finished folder in; the previous output goes only once the new one is there."""
    old = None
    if folder.exists():
        old = Path(
            tempfile.mkdtemp(
                prefix=f".{folder.name}.{os.getpid()}.", suffix=".old", dir=folder.parent
            )
        )
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
