"""What the pages of ``letters serve`` share: the served office, users and roles, builds
running in the background, uploads and preview images (see ``letters.web``)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import abort, g

from letters import webform
from letters.errors import InputError
from letters.webpreview import Previews, page_png

CLERK, SIGNER = "clerk", "signer"
ROLE_NAMES = {CLERK: "เจ้าหน้าที่สารบรรณ (clerk)", SIGNER: "ผู้ลงนาม (signer)"}


@dataclass(frozen=True)
class User:
    login: str
    name: str
    roles: frozenset[str]
    signer: str | None = None  # the key of config.yaml's signers this person is, if given


@dataclass
class Job:
    """A build running in the background: its progress, then its summary or error."""

    done: int = 0
    total: int = 0
    current: str = ""
    finished: bool = False
    text: str = ""
    failed: bool = False
    files: list[str] = field(default_factory=list)
    folder: Path | None = None


@dataclass
class State:
    """The served office: its folder and config.yaml, the commands, previews, builds."""

    folder: Path
    config: Path
    host: str
    commands: ModuleType
    previews: Previews = field(default_factory=Previews)
    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def directive(self, name: str) -> Path:
        """The directive of ``name`` (one of the served folder's letters), else 404."""
        for path in webform.directives(self.folder):
            if path.parent.name == name:
                # Served from its folder (``letters serve``), the letter is named as a clerk
                # there types it: messages and notes say ``name/directive.yaml``.
                return path.relative_to(Path.cwd()) if self.folder == Path.cwd() else path
        abort(404)

    def shown(self, path: Path) -> str:
        """``path`` as a clerk in the office folder types it after ``letters check``."""
        return path.resolve().relative_to(self.folder).as_posix()


def requires(role: str) -> None:
    """403 unless the user has ``role``."""
    user: User | None = g.get("user")
    if user is None or role not in user.roles:
        abort(403, f"ต้องเป็น{ROLE_NAMES[role]} (needs the {role} role)")


def save_upload(directive: Path, storage: Any) -> str:
    """An uploaded enclosure written into the directive's folder; its name there."""
    name = webform.upload_name(storage.filename or "")
    target = (directive.parent / name).resolve()
    if target.parent != directive.parent.resolve():
        raise ValueError(f"'{name}': ต้องอยู่ในโฟลเดอร์ของหนังสือ (outside the letter's folder)")
    handle, temporary = tempfile.mkstemp(dir=directive.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(storage.stream, out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def preview_png(state: State, name: str, code: str, page: int, version: int | None) -> bytes:
    """A page of the kept preview of ``version``, else of the saved directive, as PNG."""
    preview = state.previews.kept(name, code, version)
    if preview is None:
        from letters.directive import load_letter

        try:
            letter = load_letter(state.directive(name), state.config)
        except InputError:
            abort(409, "แก้จุดที่ผิดก่อน (the letter has problems)")
        preview = state.previews.render(name, letter, code, None)
    png = page_png(preview.pdf, page)
    if png is None:
        abort(404)
    return png


def now() -> dt.datetime:
    return dt.datetime.now().astimezone()
