"""The export sections the app remembers between sessions, in QSettings: one per format (the
receiving tools differ: Rhino wants Z-up, Maya Y-up centimetres), the format last used, and
whether the user exports the selected bodies or all of them.

Each section is the settings tree's own :class:`~pipeline.core.export_settings.ExportSettings`,
stored as JSON and read back through the tree. Versions before the export section wrote loose
keys (``export/format``, ``export/app``, ``export/<format>/up|units|with_scene``);
:func:`migrate_old_keys` moves them into sections once and removes them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, fields, replace

from PySide6 import QtCore

from pipeline.core.export_settings import ExportSettings
from pipeline.export import FORMATS, ExportError
from pipeline.export.options import problems, resolved
from pipeline.generation.settings import settings_from_dict

log = logging.getLogger("genzi_desktop")

#: QSettings keys: the export section last used per format (JSON), and that format.
SECTION_KEY, LAST_KEY = "exportSettings", "exportSettings/last"
#: True when the user last chose "All bodies" over "Selected bodies".
ALL_BODIES_KEY = "exportSettings/allBodies"
#: The group older versions kept their export choices in.
OLD_GROUP = "export"


def remembered(qs: QtCore.QSettings, fmt: str | None) -> ExportSettings:
    """The section last used with ``fmt``, resolved (the tree's defaults before the first export;
    a stale or damaged entry also gives the defaults)."""
    fmt = fmt if fmt in FORMATS else None
    text = str(qs.value(f"{SECTION_KEY}/{fmt}", "", type=str) or "") if fmt else ""
    try:
        section = settings_from_dict({"export": json.loads(text)}).export if text else ExportSettings()
        return resolved(replace(section, format=fmt) if fmt else section)
    except (ValueError, TypeError, ExportError):
        return resolved(replace(ExportSettings(), format=fmt) if fmt else ExportSettings())


def last_format(qs: QtCore.QSettings) -> str | None:
    fmt = str(qs.value(LAST_KEY, "", type=str) or "")
    return fmt if fmt in FORMATS else None


def remember(qs: QtCore.QSettings, section: ExportSettings) -> None:
    """Keep ``section`` for its format, and that format as the last one used."""
    qs.setValue(f"{SECTION_KEY}/{section.format}", json.dumps(asdict(section)))
    qs.setValue(LAST_KEY, section.format)


def all_bodies(qs: QtCore.QSettings) -> bool | None:
    """Whether the user last exported all bodies (True) or the selected ones; None before."""
    return bool(qs.value(ALL_BODIES_KEY, False, type=bool)) if qs.contains(ALL_BODIES_KEY) else None


def remember_all_bodies(qs: QtCore.QSettings, on: bool) -> None:
    qs.setValue(ALL_BODIES_KEY, bool(on))


def _old_section(qs: QtCore.QSettings, fmt: str, app: str | None) -> ExportSettings:
    """What an older version remembered for ``fmt``; values this version does not accept are left
    at the tree's defaults."""
    section = replace(ExportSettings(), format=fmt)
    values = {"app": app, "up": qs.value(f"{OLD_GROUP}/{fmt}/up", None),
              "units": qs.value(f"{OLD_GROUP}/{fmt}/units", None)}
    if qs.contains(f"{OLD_GROUP}/{fmt}/with_scene"):
        values["with_scene"] = bool(qs.value(f"{OLD_GROUP}/{fmt}/with_scene", False, type=bool))
    known = {f.name for f in fields(ExportSettings)}
    for name, value in values.items():
        if name not in known or value in (None, ""):
            continue
        candidate = replace(section, **{name: value if isinstance(value, bool) else str(value)})
        if not problems(candidate):
            section = candidate
    return section


def migrate_old_keys(qs: QtCore.QSettings) -> list[str]:
    """Move an older version's export keys into the per-format sections, once: a format that
    already has a section keeps it; the old keys are removed either way. Returns the formats
    migrated."""
    if not any(k.startswith(OLD_GROUP + "/") for k in qs.allKeys()):
        return []
    app = str(qs.value(f"{OLD_GROUP}/app", "", type=str) or "") or None
    last = str(qs.value(f"{OLD_GROUP}/format", "", type=str) or "")
    qs.beginGroup(OLD_GROUP)
    formats = [g for g in qs.childGroups() if g in FORMATS]
    qs.endGroup()
    if last in FORMATS and last not in formats:
        formats.append(last)
    migrated = []
    for fmt in formats:
        if qs.contains(f"{SECTION_KEY}/{fmt}"):
            continue  # chosen in this version already: newer than the old keys
        qs.setValue(f"{SECTION_KEY}/{fmt}", json.dumps(asdict(_old_section(qs, fmt, app))))
        migrated.append(fmt)
    if last in FORMATS and not qs.contains(LAST_KEY):
        qs.setValue(LAST_KEY, last)
    qs.remove(OLD_GROUP)
    qs.sync()
    if migrated:
        log.info("Export choices of an earlier version kept for: %s", ", ".join(migrated))
    return migrated
