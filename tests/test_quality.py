"""Lint, format and strict typing are part of the test command."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = _run("ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    proc = _run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def imported_packages(folder: Path) -> dict[str, str]:
    """Every top-level module that a file of ``folder`` imports, also inside functions and
    ``if TYPE_CHECKING:``, with the first place that imports it; the standard library and the
    project itself left out."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == folder.name:
                    continue
                found.setdefault(top, f"{path.relative_to(folder.parent)}:{node.lineno}")
    return found


def declared_distributions() -> set[str]:
    """The distributions pyproject.toml's [project] dependencies name (normalised)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match, requirement
        names.add(_normal(match.group(0)))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def undeclared(folder: Path) -> list[str]:
    """``module (file:line): distribution`` for every import no declared distribution gives."""
    providers = importlib.metadata.packages_distributions()
    declared = declared_distributions()
    missing = []
    for module, where in imported_packages(folder).items():
        dists = {_normal(d) for d in providers.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} ({where}): {', '.join(sorted(dists)) or 'not installed'}")
    return missing


def test_every_imported_package_is_declared() -> None:
    assert undeclared(ROOT / "letters") == []


def test_an_undeclared_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "letters"
    package.mkdir()
    (package / "a.py").write_text(
        "import click\nfrom letters import thai\n\n\ndef f():\n    import tabulate\n",
        encoding="utf-8",
    )
    assert [m.split(" ")[0] for m in undeclared(package)] == ["tabulate"]
