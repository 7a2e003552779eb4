"""Docstrings and comments speak of the project: no issue numbers, no documents outside the
repository, no other project's code named as a source."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = re.compile(
    r"\bissues?\s*#?\d+|\bthe issue\b|\(#\d+\)|\.\./shared|shared/docs|paper authors|authors' (repository|code)",
    re.IGNORECASE,
)


def offences(text: str, name: str = "") -> list[str]:
    return [f"{name}:{number}: {line.strip()}" for number, line in enumerate(text.splitlines(), 1)
            if FORBIDDEN.search(line)]


def test_the_check_finds_outside_references():
    probe = '"""Fixes issue 14 (see ../shared/docs/architecture.md)."""\n# as in the paper authors\' code (#16)\nx = "#1"\n'
    assert len(offences(probe)) == 2


def test_product_and_benchmark_code_mention_no_issue_or_outside_document():
    found = []
    for folder in ("pipeline", "genzi_desktop", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "\n".join(found)
