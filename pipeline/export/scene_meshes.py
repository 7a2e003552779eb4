"""Flatten a scene into named world-space meshes (Z-up metres) for the exporters."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _flatten_trimesh_scene(scene) -> list[tuple[str, object]]:
    out = []
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry[geom_name]
        if not hasattr(geom, "faces") or len(geom.faces) == 0:
            continue  # points and paths have no place in a mesh file
        mesh = geom.copy()
        mesh.apply_transform(np.asarray(transform, dtype=np.float64))
        out.append((str(node), mesh))
    return out


def scene_meshes(scene) -> list[tuple[str, object]]:
    """``[(name, trimesh.Trimesh)]`` in world Z-up metres, visuals kept.

    Accepts a pipeline ``Scene`` (anything with a ``trimesh_scene`` / ``scene`` /
    ``geometries`` attribute), a ``trimesh.Scene`` or ``trimesh.Trimesh`` already in the
    pipeline's frame, or a path (loaded with ``pipeline.scene.scene.load_scene`` when it exists).
    """
    import trimesh

    if scene is None:
        return []
    if isinstance(scene, (str, Path)):
        scene = load_scene_any(scene)
    if isinstance(scene, trimesh.Trimesh):
        return [("scene", scene)]
    if isinstance(scene, trimesh.Scene):
        return _flatten_trimesh_scene(scene)
    for attr in ("trimesh_scene", "scene", "tm_scene"):
        inner = getattr(scene, attr, None)
        if isinstance(inner, (trimesh.Scene, trimesh.Trimesh)):
            return scene_meshes(inner)
    geometries = getattr(scene, "geometries", None)
    if geometries is not None:
        if isinstance(geometries, dict):
            items = list(geometries.items())
        else:
            names = list(getattr(scene, "names", None) or [])
            items = [(names[i] if i < len(names) else f"part_{i}", g) for i, g in enumerate(geometries)]
        out = []
        for key, geom in items:
            mesh = getattr(geom, "mesh", geom)
            name = str(key)
            if isinstance(mesh, trimesh.Trimesh) and len(mesh.faces):
                out.append((name, mesh))
        if out:
            return out
    mesh = getattr(scene, "mesh", None)
    if isinstance(mesh, trimesh.Trimesh):
        return [("scene", mesh)]
    raise TypeError(
        f"Cannot read meshes from a {type(scene).__name__}: pass a pipeline Scene, a trimesh "
        "Scene/Trimesh in Z-up metres, or the scene file's path."
    )


def load_scene_any(path: str | Path):
    """Load a scene file through ``pipeline.scene.scene.load_scene`` (which normalises units and
    up axis); without it, trimesh keeps the file's own coordinates (the sample scene is
    stored Z-up metres)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Scene file not found: {path}. Check the path in the run's config.json.")
    try:
        from pipeline.scene.scene import load_scene  # type: ignore[attr-defined]
    except ImportError:
        load_scene = None
    if load_scene is not None:
        return load_scene(path)
    import trimesh

    return trimesh.load(str(path), force="scene")
