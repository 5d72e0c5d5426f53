"""Shared libraries found from one reading of the linker's cache (letters/libraries.py)."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from letters import libraries


@pytest.mark.parametrize(
    "name", ["gobject-2.0", "pango-1.0", "harfbuzz", "fontconfig", "pangoft2-1.0", "c", "m"]
)
def test_answers_as_ctypes_does(name: str) -> None:
    assert libraries._original is not None, "installed when the package is imported"
    assert ctypes.util.find_library is libraries.find_library
    assert libraries.find_library(name) == libraries._original(name) is not None


@pytest.mark.parametrize("name", ["harfbuzz-vector", "libgobject-2.0-0", "no-such-library"])
def test_no_library_is_none(name: str) -> None:
    assert libraries.find_library(name) is None


def test_importing_weasyprint_starts_at_most_one_process() -> None:
    """Without the cache, cffi's look-ups for WeasyPrint's libraries ran 54 processes
    (ldconfig, gcc, ld): 0.3 to 0.5 s of every build's start."""
    code = (
        "import subprocess\n"
        "started = []\n"
        "real = subprocess.Popen.__init__\n"
        "def counted(self, *args, **kwargs):\n"
        "    started.append(args[0] if args else kwargs.get('args'))\n"
        "    real(self, *args, **kwargs)\n"
        "subprocess.Popen.__init__ = counted\n"
        "import letters, weasyprint\n"
        "print(len(started))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) <= 1
