"""The desktop's door to scene loading: which files it offers and which need import options."""

from __future__ import annotations

from pathlib import Path

from pipeline.scene.scene import SceneImportOptions, SceneLoadError, guess_import_options, load_scene

__all__ = [
    "SCENE_SUFFIXES", "NEEDS_IMPORT_OPTIONS", "SceneImportOptions", "SceneLoadError",
    "guess_import_options", "load_scene", "is_scene_file", "needs_import_options", "file_filter",
]

SCENE_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl", ".fbx")
#: Formats that do not say their up axis or unit: the user confirms or corrects the guess.
NEEDS_IMPORT_OPTIONS = (".obj", ".ply", ".stl", ".fbx")


def is_scene_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def needs_import_options(path: str | Path) -> bool:
    return Path(path).suffix.lower() in NEEDS_IMPORT_OPTIONS


def file_filter() -> str:
    patterns = " ".join(f"*{s}" for s in SCENE_SUFFIXES)
    return f"3D scenes ({patterns});;All files (*)"
