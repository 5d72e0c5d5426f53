"""letters: Thai official letters (หนังสือราชการ) from one YAML directive."""

from __future__ import annotations

__version__ = "0.1.0"
