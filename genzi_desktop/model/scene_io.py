"""The desktop's door to scene loading: which files it offers and which need import options."""

from __future__ import annotations

from pathlib import Path

from pipeline.scene.formats import FORMATS, SUPPORTED_EXTENSIONS, frame_declared, supported_formats_text
from pipeline.scene.scene import SceneImportOptions, SceneLoadError, guess_import_options, load_scene

__all__ = [
    "SCENE_SUFFIXES", "NEEDS_IMPORT_OPTIONS", "SceneImportOptions", "SceneLoadError",
    "guess_import_options", "load_scene", "is_scene_file", "needs_import_options", "file_filter",
    "supported_formats_text",
]

#: The pipeline's one list of openable formats.
SCENE_SUFFIXES = SUPPORTED_EXTENSIONS
#: Formats that do not say their up axis or unit: the user confirms or corrects the guess.
NEEDS_IMPORT_OPTIONS = tuple(ext for ext, info in FORMATS.items() if not info.declared)


def is_scene_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def needs_import_options(path: str | Path) -> bool:
    """Ask for up axis and unit unless the format, or this file's header, says them."""
    return Path(path).suffix.lower() in NEEDS_IMPORT_OPTIONS and not frame_declared(path)


def file_filter() -> str:
    patterns = " ".join(f"*{s}" for s in SCENE_SUFFIXES)
    by_name: dict[str, list[str]] = {}
    for ext, info in FORMATS.items():
        by_name.setdefault(info.name, []).append(f"*{ext}")
    each = ";;".join(f"{name} ({' '.join(exts)})" for name, exts in by_name.items())
    return f"3D scenes ({patterns});;{each};;All files (*)"
