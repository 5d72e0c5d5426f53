"""Shared libraries found from one reading of the dynamic linker's cache.

WeasyPrint opens Pango, HarfBuzz, fontconfig and GObject through cffi, trying several names
for each (those of Linux, macOS and Windows). For every name that is not a file name, cffi
asks ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` and, when that finds
nothing, ``gcc`` and ``ld``: importing WeasyPrint started 54 processes and took 0.3 to 0.5 s
of a build's start. ``install`` makes ``find_library`` answer from one reading of the
linker's cache (and the folders of ``LD_LIBRARY_PATH``), the same answers without the
processes. It is installed when the package is imported, before anything loads WeasyPrint.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from functools import cache

_original: Callable[[str], str | None] | None = None


@cache
def _linker_cache() -> tuple[str, ...]:
    """The library file names (sonames) the linker's cache lists, in its order."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            listing = subprocess.run(
                [ldconfig, "-p"], capture_output=True, text=True, check=False, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        names = re.findall(r"^\s*(\S+)\s+\(", listing, re.MULTILINE)
        if names:
            return tuple(names)
    return ()


@cache
def find_library(name: str) -> str | None:
    """``ctypes.util.find_library``'s answer for ``name`` (``pango-1.0`` gives
    ``libpango-1.0.so.0``), found in the linker's cache or in ``LD_LIBRARY_PATH``."""
    pattern = re.compile(rf"lib{re.escape(name)}\.so(?:\.[0-9]+)*$")
    for soname in _linker_cache():
        if pattern.match(soname):
            return soname
    for folder in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if folder and os.path.isdir(folder):
            for entry in sorted(os.listdir(folder)):
                if pattern.match(entry):
                    return entry
    if not _linker_cache() and _original is not None:  # no ldconfig here: ask the usual way
        return _original(name)
    return None


def install() -> None:
    """Make ``ctypes.util.find_library`` answer from the linker's cache (Linux only)."""
    global _original
    import sys

    if not sys.platform.startswith("linux") or _original is not None:
        return
    import ctypes.util

    _original = ctypes.util.find_library
    ctypes.util.find_library = find_library
