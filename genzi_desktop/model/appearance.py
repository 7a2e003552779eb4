"""How a kept body looks (figure style, outfit, hair, colour source), and its undoable change.

Qt-free: the desktop wraps :class:`SetAppearance` in a ``QUndoCommand``. A choice left out
means "automatic" (the prompt's outfit, the project's style, colours from the paintings).
"""

from __future__ import annotations

from typing import Any

from pipeline.appearance.styles import COLOUR_SOURCES, STYLES
from pipeline.body.garments.catalogue import NO_HAIR, names_of

AUTO = ""
KEYS = ("style", "outfit", "hair", "colours")


def choices() -> dict[str, list[str]]:
    """What the user may pick for each key ("" = automatic)."""
    return {
        "style": list(STYLES),
        "outfit": [AUTO, *names_of("suit")],
        "hair": [AUTO, *names_of("hair"), NO_HAIR],
        "colours": list(COLOUR_SOURCES),
    }


def clean(values: dict[str, Any]) -> dict[str, str]:
    """Only known keys with allowed values; a bad value raises ValueError naming the choices."""
    allowed = choices()
    out = {}
    for key, value in values.items():
        if key not in allowed:
            raise ValueError(f"Unknown appearance setting {key!r}; use one of {', '.join(KEYS)}.")
        if value not in allowed[key]:
            raise ValueError(f"{value!r} is not a {key}; choose one of {', '.join(v or 'automatic' for v in allowed[key])}.")
        if value != AUTO:
            out[key] = value
    return out


class SetAppearance:
    """Change one result's appearance; undo restores the previous one."""

    def __init__(self, result, new: dict[str, Any], text: str = "Change appearance") -> None:
        self.result = result
        self.old = dict(result.appearance)
        self.new = clean(new)
        self.text = text

    def redo(self) -> None:
        self.result.appearance = dict(self.new)

    def undo(self) -> None:
        self.result.appearance = dict(self.old)
