"""``--set PATH=VALUE`` pairs from the command line, as ``{path: value}`` for the settings tree."""

from __future__ import annotations

import json


def parse_overrides(pairs: list[str]) -> dict:
    """``PATH=VALUE`` pairs of ``--set`` flags; values are read as JSON when they parse, else kept as text."""
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        try:
            overrides[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            overrides[name.strip()] = value
    return overrides
