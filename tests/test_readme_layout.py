"""The README's architecture section draws every package once, and only packages that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _drawn() -> dict[str, list[str]]:
    text = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = text[text.index("## Architecture"):]
    block = re.search(r"\n((?:    .*\n)+)", section).group(1)  # the indented picture
    drawn: dict[str, list[str]] = {}
    top = None
    for line in block.splitlines():
        name = line.strip().split()[0]
        if line.startswith("    ") and not line.startswith("      "):
            top = name.rstrip("/")
        elif top and name.endswith("/"):
            drawn.setdefault(top, []).append(name.rstrip("/"))
    return drawn


def test_the_readme_draws_each_package_once():
    drawn = _drawn()
    for top in ("pipeline", "genzi_desktop"):
        real = sorted(p.name for p in (ROOT / top).iterdir() if (p / "__init__.py").is_file())
        assert sorted(drawn[top]) == real, top
        assert len(drawn[top]) == len(set(drawn[top])), top
