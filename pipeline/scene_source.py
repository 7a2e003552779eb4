"""Turn "a scene" (a loaded scene object, or a path) into the object view selection and
rendering work on.

Everything here needs only three things from a scene: ``geometries`` (a list of
``trimesh.Trimesh`` in Z-up metres with their visuals, for rendering), ``mesh`` (all of
them merged, for ray casts and distances) and ``bounds``. ``pipeline.scene.load_scene``
provides them; until that loader is available a minimal stand-in is used so the cameras
and renders can still be produced from a GLB/OBJ/PLY file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import trimesh


class _PlainScene:
    """A scene read with trimesh only: per-node geometries in world coordinates."""

    def __init__(self, geometries: list[trimesh.Trimesh]):
        if not geometries:
            raise ValueError("the scene holds no triangle meshes; load a file with surfaces in it")
        self.geometries = geometries
        self.mesh = trimesh.util.concatenate([trimesh.Trimesh(g.vertices, g.faces, process=False) for g in geometries])
        self.bounds = self.mesh.bounds


def _read_plain(path: Path) -> _PlainScene:
    loaded = trimesh.load(str(path))
    if isinstance(loaded, trimesh.Trimesh):
        return _PlainScene([loaded])
    geometries = []
    for node in loaded.graph.nodes_geometry:
        transform, name = loaded.graph[node]
        geometry = loaded.geometry[name]
        if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
            continue
        geometry = geometry.copy()
        if not np.allclose(transform, np.eye(4)):
            geometry.apply_transform(transform)
        geometries.append(geometry)
    return _PlainScene(geometries)


def as_scene(scene: Any) -> Any:
    """Return a scene object for ``scene``: an already loaded scene, a trimesh, or a path."""
    if isinstance(scene, (str, Path)):
        path = Path(scene)
        if not path.is_file():
            raise FileNotFoundError(f"scene file not found: {path}; give the path of a GLB, OBJ or PLY file")
        try:
            from pipeline.scene import load_scene  # the project's full loader, when present
        except ImportError:
            return _read_plain(path)
        return load_scene(path)
    if isinstance(scene, (trimesh.Trimesh, trimesh.Scene)):
        if isinstance(scene, trimesh.Trimesh):
            parts = [scene]
        else:
            parts = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        try:
            from pipeline.scene import Scene
        except ImportError:
            return _PlainScene(parts)
        return Scene(parts)
    if hasattr(scene, "geometries") and hasattr(scene, "mesh"):
        return scene
    raise TypeError(f"cannot use {type(scene).__name__} as a scene; pass a scene file path or a loaded scene")


def scene_mesh(scene: Any) -> trimesh.Trimesh:
    """The merged triangle mesh of a scene object (for ray casts and distances)."""
    return scene.mesh
