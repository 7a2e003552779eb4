"""Flags of the export section of the settings tree, made from its fields.

Each field of :class:`pipeline.core.export_settings.ExportSettings` is one flag
(``with_scene`` -> ``--with-scene``), with the field's help and the names
:func:`pipeline.export.options.choices` allows, stored under the field's dotted path in the
tree (``export.with_scene``); nothing is copied or renamed on the way. ``genzi export`` takes
them all; ``genzi fit`` and ``generate`` take the look (style, outfit, hair, colours) and
record it in the run folder.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import Any

from pipeline.core.export_settings import APPEARANCE_FIELDS, ExportSettings

PREFIX = "export."


def add_export_arguments(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None, *,
                         bare: bool = True) -> None:
    """One flag per field of the export section (only ``names`` when given); every default is
    "not given", so the run's recorded section and the tree's defaults show through."""
    from pipeline.export.options import BARE, choices

    allowed = choices()
    for f in fields(ExportSettings):
        if names is not None and f.name not in names:
            continue
        flag, dest, help_text = "--" + f.name.replace("_", "-"), PREFIX + f.name, f.metadata["help"]
        if isinstance(f.default, bool):
            parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=help_text)
            continue
        options = [c for c in allowed.get(f.name, ()) if bare or c != BARE] or None
        parser.add_argument(flag, dest=dest, choices=options, default=None, help=help_text)


def add_appearance_arguments(parser: argparse.ArgumentParser, *, bare: bool = False) -> None:
    """The look's flags (``--style``, ``--outfit``, ``--hair``, ``--colours``)."""
    add_export_arguments(parser, APPEARANCE_FIELDS, bare=bare)


def export_values(args: argparse.Namespace) -> dict[str, Any]:
    """``{dotted path: value}`` of the export flags given on the command line."""
    return {name: value for name, value in vars(args).items() if name.startswith(PREFIX) and value is not None}


def record_appearance_choices(args: argparse.Namespace, out: str | Path) -> None:
    """Write the look given into the run folder, where exports and the desktop find it."""
    from pipeline.export.run_appearance import record_appearance

    given = {path[len(PREFIX):]: value for path, value in export_values(args).items()}
    record_appearance(out, **{name: given.get(name) for name in APPEARANCE_FIELDS})
