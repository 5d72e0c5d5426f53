"""letters: Thai official letters (หนังสือราชการ) from one YAML directive."""

from __future__ import annotations

from letters import libraries

__version__ = "0.1.0"

libraries.install()  # before anything loads WeasyPrint: see letters/libraries.py
