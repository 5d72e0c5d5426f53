"""A build's manifest.json: every file of the folder with its SHA-256, written by the build,
read back to replace the folder, to keep other recipients' files (``--only``), and to send
and print the bundles it lists.

``"tool": "letters"`` marks a folder a build made: the only kind of folder a build replaces.
``pending`` is the rule send and print share: each recipient once, however often it runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from letters import thai
from letters.errors import DispatchError

if TYPE_CHECKING:
    from letters.directive import Letter

TOOL = "letters"  # manifest.json's "tool": this folder is a build's output
MANIFEST = "manifest.json"
# What ``letters print --file-only`` writes into a build's folder (made again from its bundles).
_PRINTED = re.compile(r"print/\.?(bundles|envelopes|labels)\.pdf(\.[0-9]+\.tmp)?")


@dataclass
class BuiltLetter:
    """One recipient's files in a build's folder, as the manifest lists them."""

    code: str
    name: str
    number: str
    files: dict[str, Path]  # "pdf", "docx", "bundle" -> path inside the output folder
    pages: int  # of the letter
    bundle_pages: int = 0


@dataclass(frozen=True)
class Manifest:
    """A build's manifest.json, read back."""

    ours: bool  # marked ``"tool": "letters"``: a folder a build made
    draft: bool
    register_id: str | None
    letters: list[BuiltLetter]  # in the recipients' order
    files: dict[str, str]  # every file it lists (letters, bundles, checklist) -> SHA-256
    content: str | None = None  # what the letters say (``letters.build.content_of``)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(
    letter: Letter,
    folder: Path,
    built: Sequence[BuiltLetter],
    checklist: Sequence[Path],
    directive_id: str | None,
    content: str | None = None,
) -> None:
    """``folder/manifest.json`` for the files ``built`` and ``checklist`` name in ``folder``;
    ``directive_id`` None marks a draft; ``content`` says what the letters say."""
    d = letter.directive
    manifest = {
        "tool": TOOL,  # the mark of a folder a build made: the only kind it replaces
        "directive": str(letter.path.resolve()),
        "register_id": directive_id,
        "kind": d.kind,
        "subject": d.subject,
        "date": d.date.isoformat(),
        "date_th": thai.thai_date(d.date),
        "draft": directive_id is None,
        "content": content,
        "recipients": [
            {
                "code": b.code,
                "name": b.name,
                "number": b.number,
                "pages": b.pages,
                "bundle_pages": b.bundle_pages,
                "files": [
                    {"format": fmt, "path": str(path), "sha256": sha256(folder / path)}
                    for fmt, path in b.files.items()
                ],
            }
            for b in built
        ],
        "checklist": [{"path": str(path), "sha256": sha256(folder / path)} for path in checklist],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def read(folder: Path) -> Manifest | None:
    """The manifest of the build in ``folder``; None when there is none, or it cannot be read
    or is not a manifest of this shape. Raises nothing."""
    try:
        data: Any = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        letters = [
            BuiltLetter(
                str(entry["code"]),
                str(entry["name"]),
                entry["number"],
                {str(f["format"]): Path(f["path"]) for f in entry["files"]},
                entry["pages"],
                entry.get("bundle_pages", 0),
            )
            for entry in data["recipients"]
        ]
        listed = [f for entry in data["recipients"] for f in entry["files"]] + data["checklist"]
        listed += data.get("ecms", [])  # written into the folder later by letters export ecms
        files = {str(f["path"]): str(f["sha256"]) for f in listed}
        ours, draft = data.get("tool") == TOOL, bool(data.get("draft"))
        content = data.get("content")
        content = content if isinstance(content, str) else None
        return Manifest(ours, draft, data.get("register_id"), letters, files, content)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def same(path: Path, digest: str) -> bool:
    """Whether the file at ``path`` is there and has the SHA-256 ``digest``."""
    try:
        return sha256(path) == digest
    except OSError:
        return False


def foreign(folder: Path, manifest: Manifest) -> list[str]:
    """The files in ``folder`` that the build did not write, or that changed since: none of
    manifest.json itself and the print files ``letters print --file-only`` adds. Raises
    ``OSError`` when the folder cannot be read."""
    found = []
    for entry in sorted(folder.rglob("*")):
        relative = entry.relative_to(folder).as_posix()
        if entry.is_dir() and not entry.is_symlink():
            continue
        if relative == MANIFEST or _PRINTED.fullmatch(relative):
            continue
        digest = manifest.files.get(relative)
        if digest is None or entry.is_symlink() or not same(entry, digest):
            found.append(relative)
    return found


# -- what send and print read -----------------------------------------------------------------


class Bundle(NamedTuple):
    path: Path  # in the build's folder
    sha256: str
    number: str  # the printed ที่ line of the recipient's letter


@dataclass(frozen=True)
class Built:
    """What the last build of a directive left, as its manifest lists it."""

    folder: Path
    bundles: dict[str, Bundle]  # recipient code -> its bundle, in the recipients' order


def last_build(directive: Path, directive_id: str, folder: Path | None) -> Built:
    """The bundles of the numbered build of ``directive`` in ``folder`` (``--out``, else the
    last build the register knows; None: never built), each checked against its SHA-256.
    Refuses drafts, another directive's folder, and a bundle missing or changed."""
    if folder is None:
        raise DispatchError(
            f"{directive}: ยังไม่ได้สร้างหนังสือฉบับจริง (not built): สั่ง letters build ก่อนส่งหรือพิมพ์"
        )
    manifest = read(folder)
    if manifest is None:
        raise DispatchError(
            f"{folder / MANIFEST}: ไม่พบผลการสร้างหนังสือ (no build found): สั่ง letters build ก่อนส่ง"
        )
    remind = f"{directive_id}/remind/"
    if not manifest.draft and (manifest.register_id or "").startswith(remind):
        number = (manifest.register_id or "").removeprefix(remind)
        raise DispatchError(
            f"{folder}: เป็นหนังสือติดตามชุดที่ {number} (a follow-up set): "
            f"สั่งด้วย --remind {number} (ไม่ต้องใส่ --out)"
        )
    if manifest.draft or manifest.register_id != directive_id:
        raise DispatchError(
            f"{folder}: ไม่ใช่หนังสือฉบับจริงของ directive นี้ (a draft or another letter): "
            "สั่ง letters build (ไม่ใช่ --draft) แล้วส่งใหม่"
        )
    bundles = {}
    for entry in manifest.letters:
        if "bundle" not in entry.files:
            continue
        relative = entry.files["bundle"]
        digest = manifest.files[str(relative)]
        if not same(folder / relative, digest):
            raise DispatchError(
                f"{folder / relative}: ไฟล์ไม่ตรงกับที่สร้างไว้ (missing or changed since the build): "
                "สั่ง letters build ใหม่แล้วส่งอีกครั้ง ยังไม่ได้ส่งฉบับใด"
            )
        bundles[entry.code] = Bundle(folder / relative, digest, entry.number)
    return Built(folder, bundles)


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


C = TypeVar("C", bound=_Coded)


def pending(items: Sequence[C], done: AbstractSet[str]) -> list[C]:
    """The items still to do: each recipient's first item, unless its code is in ``done``.

    Sending and printing both rely on it for "each recipient once, however often it runs".
    """
    todo: list[C] = []
    seen = set(done)
    for item in items:
        if item.code not in seen:
            seen.add(item.code)
            todo.append(item)
    return todo


def list_exchange(folder: Path, paths: Sequence[Path]) -> None:
    """Add the e-saraban exchange files ``paths`` (relative to ``folder``) to its manifest,
    each with its SHA-256, in place of those listed before; the manifest is replaced at once."""
    target = folder / MANIFEST
    data: Any = json.loads(target.read_text(encoding="utf-8"))
    data["ecms"] = [{"path": str(p), "sha256": sha256(folder / p)} for p in paths]
    temporary = target.with_name(f".{MANIFEST}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    temporary.replace(target)
