"""Typed access to the app's QSettings (INI): recent files, last folder, per-file import choices,
window and viewport switches, and how the outline was left (filter, open rows per file)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6 import QtCore

MAX_RECENT = 10


class AppSettings:
    """Thin typed wrapper; every value is read with a type so INI strings come back right."""

    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.qs = settings if settings is not None else QtCore.QSettings()

    # ---- recent files ---------------------------------------------------------------
    def recent_files(self, existing_only: bool = True) -> list[str]:
        files = self.qs.value("recentFiles", [], type=list) or []
        files = [str(f) for f in files if f]
        if existing_only:
            files = [f for f in files if Path(f).exists()]
        return files[:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files(existing_only=False) if f != path]
        files = [path] + files
        self.qs.setValue("recentFiles", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def clear_recent_files(self) -> None:
        self.qs.setValue("recentFiles", [])

    # ---- folders --------------------------------------------------------------------
    def last_folder(self) -> str:
        return str(self.qs.value("lastFolder", "", type=str) or "")

    def set_last_folder(self, folder: str | Path) -> None:
        self.qs.setValue("lastFolder", str(folder))

    # ---- per-file import options ------------------------------------------------------
    @staticmethod
    def _digest(path: str | Path) -> str:
        """A file's key in the INI (paths hold characters INI keys cannot)."""
        return hashlib.sha1(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:16]

    def _file_key(self, path: str | Path) -> str:
        return f"importOptions/{self._digest(path)}"

    def import_options(self, path: str | Path) -> dict | None:
        key = self._file_key(path)
        up = self.qs.value(key + "/up_axis", "", type=str)
        unit = self.qs.value(key + "/unit", "", type=str)
        if not up or not unit:
            return None
        return {"up_axis": up, "unit": unit}

    def set_import_options(self, path: str | Path, up_axis: str, unit: str) -> None:
        key = self._file_key(path)
        self.qs.setValue(key + "/path", str(Path(path).resolve()))
        self.qs.setValue(key + "/up_axis", up_axis)
        self.qs.setValue(key + "/unit", unit)

    # ---- window -------------------------------------------------------------------------
    def window_geometry(self) -> QtCore.QByteArray | None:
        value = self.qs.value("window/geometry", None)
        return value if isinstance(value, QtCore.QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QtCore.QByteArray | None:
        value = self.qs.value("window/state", None)
        return value if isinstance(value, QtCore.QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QtCore.QByteArray, state: QtCore.QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    # ---- viewport ---------------------------------------------------------------------------
    def figure_style(self) -> str:
        """The figure style new bodies get (the last one the user picked); clothed at first."""
        return str(self.qs.value("appearance/style", "clothed"))

    def set_figure_style(self, style: str) -> None:
        self.qs.setValue("appearance/style", style)

    def antialiasing(self, default: bool) -> bool:
        """The user's anti-aliasing choice; ``default`` until they made one."""
        return bool(self.qs.value("viewport/antialiasing", default, type=bool))

    def set_antialiasing(self, on: bool) -> None:
        self.qs.setValue("viewport/antialiasing", bool(on))

    def view_option(self, name: str, default: bool) -> bool:
        """A View menu switch (``grid``, ``culling``): the user's last choice, ``default`` before."""
        return bool(self.qs.value(f"viewport/{name}", default, type=bool))

    def set_view_option(self, name: str, on: bool) -> None:
        self.qs.setValue(f"viewport/{name}", bool(on))

    # ---- outline ------------------------------------------------------------------------------
    def outline_filter(self) -> str:
        """The text the outline was last filtered by (kept like a search box's)."""
        return str(self.qs.value("outline/filter", "", type=str) or "")

    def set_outline_filter(self, text: str) -> None:
        self.qs.setValue("outline/filter", str(text))

    def outline_expanded(self, scene: str | Path) -> list[tuple[str, ...]] | None:
        """The rows (by path) the user left open in ``scene``'s outline; None before any."""
        text = str(self.qs.value(f"outlineExpanded/{self._digest(scene)}", "", type=str) or "")
        try:
            rows = json.loads(text) if text else None
        except ValueError:  # a damaged entry: the outline opens as for a new file
            return None
        return [tuple(str(p) for p in row) for row in rows if isinstance(row, list)] if isinstance(rows, list) else None

    def set_outline_expanded(self, scene: str | Path, rows) -> None:
        self.qs.setValue(f"outlineExpanded/{self._digest(scene)}", json.dumps(sorted(list(r) for r in rows)))

    def sync(self) -> None:
        self.qs.sync()


def app_data_dir() -> Path:
    """Where workspaces and autosaves live: the user's app data folder, or $GENZI_DESKTOP_DATA."""
    override = os.environ.get("GENZI_DESKTOP_DATA")
    base = override or QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    path = Path(base or Path.home() / ".genzi-desktop")
    path.mkdir(parents=True, exist_ok=True)
    return path
