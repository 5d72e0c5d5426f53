"""Batch rendering: the worker processes write the very bytes one process writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import changed_files, tree

from letters.commands import build
from letters.directory import country_members, write_group


def _national(workdir: Path, count: int, address: str) -> Path:
    """The example directive sent to the first ``count`` district offices of the country."""
    write_group(workdir / "config.yaml", "amphoe", country_members()[:count])
    directive = workdir / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8")
    directive.write_text(text.replace("address: collective", f"address: {address}"), "utf-8")
    return directive


@pytest.mark.parametrize(("address", "count"), [("each", 20), ("collective", 14)])
def test_parallel_build_writes_the_same_files(workdir: Path, address: str, count: int) -> None:
    directive = _national(workdir, count, address)
    register = workdir / "register.sqlite3"
    seen: list[tuple[int, int, str]] = []
    serial = build(directive, out=workdir / "serial", register=register, workers=1)
    parallel = build(
        directive,
        out=workdir / "parallel",
        register=register,
        workers=2,
        progress=lambda done, total, name: seen.append((done, total, name)),
    )
    a, b = tree(workdir / "serial"), tree(workdir / "parallel")
    assert len([p for p in a if p.startswith("bundles/")]) == count
    assert changed_files(a, b) == []  # every file and the manifest, byte for byte
    manifest = json.loads(a["manifest.json"])
    assert [r["code"] for r in manifest["recipients"]] == [
        m.code for m in country_members()[:count]
    ]
    assert [b.code for b in parallel.letters] == [b.code for b in serial.letters]
    # The bar counts every letter as it is done, up to the whole.
    assert [done for done, _, _ in seen] == list(range(1, count + 1))
    assert {total for _, total, _ in seen} == {count}
    assert sorted(name for _, _, name in seen) == sorted(b.name for b in serial.letters)
    letters = {p: data for p, data in a.items() if p.startswith("letters/") and p.endswith(".pdf")}
    distinct = len(set(letters.values()))
    assert distinct == (count if address == "each" else 1)
