"""Enclosures come only from the directive's folder (and below) and the folders config.yaml
names in ``limits.enclosure_folders``: an absolute path, ``../`` or a link leading out is
refused by ``letters check`` and ``letters build`` at the enclosure's line, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Runner, changed_files, make_office, tree

POSTER = "pr/line-at-poster.pdf"


def _office(tmp_path: Path, enclosure: str, *, config_edits: dict[str, str] | None = None) -> Path:
    """An office whose directive names ``enclosure`` for its first enclosure, with a PDF the
    directive may not reach: ``outside/secret.pdf`` beside the office's folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    office = tmp_path / "office"
    make_office(office, emblem=False, config_edits=config_edits)
    example = office / "line-at" / POSTER
    shutil.copy(example, outside / "secret.pdf")
    (office / "shared").mkdir()
    shutil.copy(example, office / "shared" / "circular.pdf")
    pr = office / "line-at" / "pr"
    (pr / "link-out.pdf").symlink_to(outside / "secret.pdf")
    (pr / "folder-out").symlink_to(outside, target_is_directory=True)
    (pr / "link-in.pdf").symlink_to("line-at-poster.pdf")
    directive = office / "line-at" / "directive.yaml"
    text = directive.read_text(encoding="utf-8").replace(POSTER, enclosure)
    directive.write_text(text, encoding="utf-8")
    return directive


def _line(directive: Path, enclosure: str) -> int:
    rows = directive.read_text(encoding="utf-8").splitlines()
    return next(i for i, row in enumerate(rows, 1) if f"file: {enclosure}" in row)


@pytest.mark.parametrize(
    ("enclosure", "message"),
    [
        ("{outside}/secret.pdf", "outside the directive's folder"),
        ("../../outside/secret.pdf", "outside the directive's folder"),
        ("../shared/circular.pdf", "outside the directive's folder"),
        ("pr/link-out.pdf", "a link leading outside the directive's folder"),
        ("pr/folder-out/secret.pdf", "outside the directive's folder"),
        ("/etc/passwd", "outside the directive's folder"),
    ],
)
def test_an_enclosure_from_outside_is_refused_at_its_line(
    tmp_path: Path, letters: Runner, enclosure: str, message: str
) -> None:
    enclosure = enclosure.format(outside=tmp_path / "outside")
    directive = _office(tmp_path, enclosure)
    office = directive.parent.parent
    before = tree(tmp_path)
    line = _line(directive, enclosure)
    for command in ("check", "build"):
        result = letters(command, "line-at/directive.yaml", cwd=office)
        assert result.code == 1, result.text
        assert f"line-at/directive.yaml:{line}:11: enclosures[0].file: " in result.err
        assert message in result.err and "limits.enclosure_folders" in result.err
        assert "Traceback" not in result.text
        assert changed_files(before, tree(tmp_path)) == []  # no register, no output


def test_enclosures_inside_and_from_the_folders_config_names(
    tmp_path: Path, letters: Runner
) -> None:
    """A link that stays inside the directive's folder is followed; a folder config.yaml names
    (relative to it) may hold enclosures too, and they travel in the bundles."""
    directive = _office(tmp_path, "pr/link-in.pdf")
    office = directive.parent.parent
    result = letters("check", "line-at/directive.yaml", cwd=office)
    assert result.code == 0, result.text
    shared = "../shared/circular.pdf"
    directive.write_text(
        directive.read_text(encoding="utf-8").replace("pr/link-in.pdf", shared), encoding="utf-8"
    )
    assert letters("check", "line-at/directive.yaml", cwd=office).code == 1
    config = office / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nlimits:\n  enclosure_folders: [shared]\n",
        encoding="utf-8",
    )
    result = letters("check", "line-at/directive.yaml", cwd=office)
    assert result.code == 0, result.text
    result = letters("build", "line-at/directive.yaml", "--only", "4301", cwd=office)
    assert result.code == 0, result.text
    assert "ชุดส่ง (bundles): 1 ชุด" in result.out
