"""The names each field of the export settings may take, and the section made concrete.

:class:`pipeline.core.export_settings.ExportSettings` is the one type the dialog, the CLI and a
run's ``config.json`` share; this module knows the formats, applications and looks behind its
names. :func:`resolved` turns "unset" into the application's or the format's own frame, so the
dialog shows and the CLI writes the same file for the same section.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.appearance.styles import COLOUR_SOURCES, STYLES
from pipeline.body.garments.catalogue import NO_HAIR, names_of
from pipeline.core.atomic import read_json
from pipeline.core.export_settings import APPEARANCE_FIELDS, ExportSettings
from pipeline.export.apps import APPS
from pipeline.export.axes_units import UNITS, UP_AXES

#: Where a run records the look its people were given (``genzi fit``/``generate --style``).
APPEARANCE_FILE = "appearance.json"
BARE = "bare"  # the export-only style: the plain body


def choices() -> dict[str, tuple[str, ...]]:
    """Field name -> the names it may take (fields not listed are free or true/false)."""
    from pipeline.export import FORMATS

    return {"format": tuple(FORMATS), "app": tuple(APPS), "up": tuple(UP_AXES), "units": tuple(UNITS),
            "style": tuple(STYLES) + (BARE,), "outfit": tuple(names_of("suit")),
            "hair": tuple(names_of("hair")) + (NO_HAIR,), "colours": tuple(COLOUR_SOURCES)}


def problems(section: ExportSettings) -> list[str]:
    out = section.problems()
    for name, allowed in choices().items():
        value = vars(section)[name]
        if isinstance(value, str) and value not in allowed:
            out.append(f"export.{name} {value!r} is not one of {', '.join(allowed)}")
    return out


def resolved(section: ExportSettings, path: str | Path | None = None) -> ExportSettings:
    """``section`` with its format (from ``path``'s suffix when unset, else obj) and its frame
    (the application's, else the format's default) filled in. ValueError names a bad value,
    ExportError a frame the format cannot hold."""
    from pipeline.export import FORMATS, format_for_path, resolve_frame

    found = problems(section)
    if found:
        raise ValueError("Invalid export settings: " + "; ".join(found) + ".")
    fmt = section.format or (format_for_path(path) if path is not None else "obj")
    frame = APPS[section.app].frame_for(fmt) if section.app and not FORMATS[fmt].frame_fixed else None
    up = section.up or (frame.up if frame is not None else None)
    units = section.units or (frame.units if frame is not None else None)
    frame = resolve_frame(fmt, up, units)  # a frame the format cannot hold fails here, before any work
    return replace(section, format=fmt, up=frame.up, units=frame.units)


def recorded_export(run_dir: str | Path) -> ExportSettings:
    """The export section a run recorded: ``config.json``'s (``genzi generate --set export.*``),
    with the look ``appearance.json`` records (``genzi fit``/``generate --style ...``) over it."""
    from pipeline.generation.settings import settings_from_dict

    run_dir = Path(run_dir)
    data: dict = {}
    config = read_json(run_dir / "config.json") if (run_dir / "config.json").is_file() else {}
    settings = config.get("settings") if isinstance(config, dict) else None
    if isinstance(settings, dict) and isinstance(settings.get("export"), dict):
        data.update(settings["export"])
    look = read_json(run_dir / APPEARANCE_FILE) if (run_dir / APPEARANCE_FILE).is_file() else {}
    if isinstance(look, dict):
        data.update({k: v for k, v in look.items() if k in APPEARANCE_FIELDS and v})
    return settings_from_dict({"export": data}).export
