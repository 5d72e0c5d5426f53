from __future__ import annotations

from letters.cli import main

main()
