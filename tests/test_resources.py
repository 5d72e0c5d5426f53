"""templates/ and fonts/ are found from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

from letters.resources import resource_dir


def test_checkout_finds_top_level_folders() -> None:
    assert resource_dir("templates") == ROOT / "templates"
    assert (resource_dir("templates") / "letter.html.j2").is_file()
    assert resource_dir("fonts") == ROOT / "fonts"


def test_wheel_carries_templates_and_fonts_inside_the_package(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("letters-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").iterdir():
        assert f"letters/templates/{template.name}" in names
    assert "letters/fonts/README.md" in names
    assert "letters/cli.py" in names


def test_installed_wheel_prefers_its_own_copy(tmp_path: Path) -> None:
    """Unpacked as site-packages would hold it: resource_dir finds letters/templates."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("letters-*.whl")
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
