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
        "import click\nfrom letters import thai\n\n\ndef f():\n    import pandas\n",
        encoding="utf-8",
    )
    assert [m.split(" ")[0] for m in undeclared(package)] == ["pandas"]


def project_imports(package: Path) -> dict[str, set[str]]:
    """For each module of ``package``, the package's modules it imports: at the top, inside
    functions and under ``if TYPE_CHECKING:`` alike."""
    name = package.name
    modules = {p.stem for p in package.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = {}
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith(f"{name}.")]
                found.update(t.split(".")[1] for t in targets)
            elif isinstance(node, ast.ImportFrom):
                whole = node.module == name if node.level == 0 else node.module is None
                if whole:
                    found.update(a.name for a in node.names if a.name in modules)
                elif node.level == 0 and node.module and node.module.startswith(f"{name}."):
                    found.add(node.module.split(".")[1])
                elif node.level == 1 and node.module:
                    found.add(node.module.split(".")[0])
        graph[path.stem] = found - {path.stem, "__init__"}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


PACKAGE = ROOT / "letters"


def test_no_import_cycle_in_letters() -> None:
    assert import_cycles(project_imports(PACKAGE)) == []


def test_an_import_cycle_is_found_even_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from pkg.high import g\n    return g\n")
    (package / "high.py").write_text("from pkg import low\n\ndef g():\n    return low\n")
    (package / "alone.py").write_text("from . import low\n")
    assert import_cycles(project_imports(package)) == [["high", "low"]]


def test_the_command_line_uses_only_the_commands_and_the_errors() -> None:
    assert project_imports(PACKAGE)["cli"] == {"commands", "errors"}


def test_no_module_is_over_700_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 700} == {}
