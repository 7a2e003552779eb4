"""Flatten a scene into named world-space meshes (Z-up metres) for the exporters."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _flatten_trimesh_scene(scene) -> list[tuple[str, object]]:
    import trimesh

    out = []
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue  # points and paths have no place in a mesh file
        mesh = geom.copy()
        mesh.apply_transform(np.asarray(transform, dtype=np.float64))
        out.append((str(node), mesh))
    return out


def scene_meshes(scene) -> list[tuple[str, object]]:
    """``[(name, trimesh.Trimesh)]`` in world Z-up metres, visuals kept.

    Accepts a pipeline :class:`~pipeline.scene.scene.Scene`, a ``trimesh.Scene`` or
    ``trimesh.Trimesh`` already in the pipeline's frame, or a scene file's path (loaded with
    :func:`pipeline.scene.scene.load_scene`, which normalises its unit and up axis).
    """
    import trimesh

    from pipeline.scene.scene import Scene, load_scene

    if scene is None:
        return []
    if isinstance(scene, (str, Path)):
        path = Path(scene)
        if not path.is_file():
            raise FileNotFoundError(f"Scene file not found: {path}. Check the path in the run's config.json.")
        scene = load_scene(path)
    if isinstance(scene, trimesh.Trimesh):
        return [("scene", scene)]
    if isinstance(scene, trimesh.Scene):
        return _flatten_trimesh_scene(scene)
    if isinstance(scene, Scene):
        return [(name, mesh) for name, mesh in zip(scene.names, scene.geometries) if len(mesh.faces)]
    raise TypeError(
        f"Cannot read meshes from a {type(scene).__name__}: pass a pipeline Scene, a trimesh "
        "Scene/Trimesh in Z-up metres, or the scene file's path."
    )
