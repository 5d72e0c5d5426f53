"""templates/ and fonts/ are found from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from letters.resources import resource_dir


def test_checkout_finds_top_level_folders() -> None:
    assert resource_dir("templates") == ROOT / "templates"
    assert (resource_dir("templates") / "letter.html.j2").is_file()
    assert resource_dir("fonts") == ROOT / "fonts"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, once for this module."""
    folder = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    proc = subprocess.run([*command, "-w", str(folder), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = folder.glob("letters-*.whl")
    return built


def test_wheel_carries_templates_and_fonts_inside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = ROOT / "templates"
    for template in (p for p in templates.rglob("*") if p.is_file()):
        assert f"letters/templates/{template.relative_to(templates).as_posix()}" in names
    assert "letters/templates/office/config.yaml.j2" in names  # letters init's files too
    assert "letters/fonts/README.md" in names
    assert "letters/cli.py" in names
    assert "letters/schemas/correspondence-letter.xsd" in names  # the e-saraban XSD


def test_installed_wheel_prefers_its_own_copy(wheel: Path, tmp_path: Path) -> None:
    """Unpacked as site-packages would hold it: resource_dir finds letters/templates."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from letters.resources import resource_dir; print(resource_dir('templates'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == site / "letters" / "templates"
