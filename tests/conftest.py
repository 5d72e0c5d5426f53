"""Shared fixtures: the repository, the shared reference folder, and the real command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "line-at"


def shared_path(*parts: str) -> Path:
    """A file of ../shared; CI always has it, elsewhere the test is skipped with a reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI runs beside a copy of shared/")
        pytest.skip(f"{path} is not here (the shared reference folder sits beside the checkout)")
    return path


@pytest.fixture(scope="session", autouse=True)
def shared_stays_untouched() -> Iterator[None]:
    """No test may write into ../shared (CI lays it read-only beside the checkout)."""
    before = tree(SHARED) if SHARED.is_dir() else {}
    yield
    after = tree(SHARED) if SHARED.is_dir() else {}
    assert after == before, f"tests wrote into {SHARED}: {sorted(set(after) ^ set(before))}"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


Runner = Callable[..., Result]


@pytest.fixture
def letters() -> Runner:
    """Run the real ``letters`` command (as ``python -m letters``) in a folder."""

    def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Result:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("LETTERS_DEBUG", None)
        proc = subprocess.run(
            [sys.executable, "-m", "letters", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=600,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh office folder: the project's config.yaml and the example directive with its PR."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(EXAMPLE, tmp_path / "line-at")
    return tmp_path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes: to show that nothing was written."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
