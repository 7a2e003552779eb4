"""Whatever trimesh loaded (a scene, a mesh, a list of them) as world-space triangle meshes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.raw import FormatInfo, SceneLoadError


def to_triangle_meshes(loaded, path: Path, fmt: FormatInfo) -> tuple[list[trimesh.Trimesh], list[str], list[str]]:
    """Flatten whatever trimesh returned into world-space triangle meshes (visuals kept)."""
    notes: list[str] = []
    if isinstance(loaded, trimesh.Scene):
        names = []
        meshes = []
        skipped = set()
        for node in loaded.graph.nodes_geometry:
            transform, geom_name = loaded.graph[node]
            geom = loaded.geometry[geom_name]
            if not isinstance(geom, trimesh.Trimesh):
                skipped.add(type(geom).__name__)
                continue
            mesh = geom.copy()
            if not np.allclose(transform, np.eye(4)):
                mesh.apply_transform(transform)
            meshes.append(mesh)
            names.append(str(node))
        if skipped:
            notes.append(f"Ignored non-triangle parts ({', '.join(sorted(skipped))}).")
        return meshes, names, notes
    if isinstance(loaded, trimesh.Trimesh):
        return [loaded], [path.stem], notes
    if isinstance(loaded, (list, tuple)):
        meshes, names = [], []
        for i, item in enumerate(loaded):
            sub, sub_names, sub_notes = to_triangle_meshes(item, path, fmt)
            meshes += sub
            names += [f"{n}_{i}" for n in sub_names]
            notes += sub_notes
        return meshes, names, notes
    kind = type(loaded).__name__
    if isinstance(loaded, trimesh.PointCloud):
        raise SceneLoadError(
            f"'{path.name}' holds only points or lines ({len(loaded.vertices)} vertices), no triangles. "
            "Open a surface mesh instead (for a scan, reconstruct a mesh first, e.g. Poisson "
            "reconstruction in MeshLab)."
        )
    raise SceneLoadError(
        f"'{path.name}' holds no triangle mesh (found {kind}). Open a surface mesh instead."
    )
