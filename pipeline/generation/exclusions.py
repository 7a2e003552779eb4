"""Images the user left out of the fit: stored in ``excluded_images.json`` as ``R/set/view`` keys.

A key's round or set may be ``*`` (any), so "drop view 3 everywhere" is one entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pipeline.generation.run_folder import RunFolder, read_json


def normalise_exclusions(items: Iterable[Any]) -> set[str]:
    """Keys ``"R/set/view"`` (``*`` = any) from paths, tuples or dicts."""
    keys = set()
    for item in items or ():
        if isinstance(item, dict):
            r, s, v = item.get("round", "*"), item.get("set", "*"), item.get("view")
        elif isinstance(item, (tuple, list)):
            r, s, v = item
        else:
            parts = Path(str(item)).with_suffix("").parts
            if len(parts) >= 4 and parts[-4].startswith("round_"):
                r, s, v = parts[-4][len("round_"):], parts[-2], parts[-1]
            elif len(parts) >= 2:
                r, s, v = "*", parts[-2], parts[-1]
            else:
                r, s, v = "*", "*", parts[-1]
        r = "*" if r in (None, 0, "0", "*") else str(int(r))
        s = "*" if s in (None, "*") else str(s)
        if not v:
            raise ValueError(f"excluded image {item!r} names no view")
        keys.add(f"{r}/{s}/{v}")
    return keys


def load_excluded(folder: RunFolder) -> set[str]:
    path = folder.excluded_path()
    return set(read_json(path)) if path.exists() else set()


def is_excluded(excluded: set[str], round_index: int, set_name_: str, view: str) -> bool:
    if not excluded:
        return False
    for r in (str(round_index), "*"):
        for s in (set_name_, "*"):
            if f"{r}/{s}/{view}" in excluded:
                return True
    return False
