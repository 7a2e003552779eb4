"""Collada ``.dae`` (SketchUp's export, also 3ds Max, ArchiCAD) read with pycollada through trimesh.

trimesh builds the meshes, materials and node transforms; the ``<asset>`` block (up axis and
``<unit meter=...>``) and the node names (for the outline) are read here with pycollada,
because trimesh ignores them and SketchUp writes Z-up inches. Textures the file names but that are not beside it are listed in a note,
and the surfaces keep their material colour instead.
"""

from __future__ import annotations

from pathlib import Path

import trimesh

from pipeline.scene.raw import Declared, FormatInfo, RawScene, Report, SceneLoadError
from pipeline.scene.units import declared_unit

_UP = {"X_UP": "x", "Y_UP": "y", "Z_UP": "z"}


def _open(path: Path):
    import collada

    try:
        doc = collada.Collada(str(path), ignore=[collada.common.DaeUnsupportedError,
                                                 collada.common.DaeBrokenRefError])
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - lxml and pycollada raise many types
        raise SceneLoadError(
            f"'{path.name}' could not be read as Collada ({type(exc).__name__}: {exc}). Export it "
            "again (in SketchUp: File > Export > 3D Model > COLLADA, with 'Triangulate all faces')."
        ) from exc
    return doc


def read_asset(doc, path: Path) -> tuple[str, float, str, list[str], str | None]:
    """(up axis, metres per unit, unit name, missing image files, authoring tool) from pycollada."""
    asset = doc.assetInfo
    up = _UP.get(str(asset.upaxis), "y")
    metres = float(asset.unitmeter or 1.0)
    name = str(asset.unitname or "unit")
    missing = []
    for image in doc.images:
        target = path.parent / str(image.path or "")
        if image.path and not target.is_file():
            missing.append(str(image.path))
    tool = None
    for contributor in asset.contributors or []:
        tool = tool or contributor.authoring_tool
    return up, metres, name, missing, tool


def node_paths(doc) -> list[tuple[tuple[str, ...], str]]:
    """(parent node names, geometry name) of every triangle primitive, in the depth-first order
    in which trimesh's loader makes one mesh per primitive (it keeps only geometry ids)."""
    import collada

    out: list[tuple[tuple[str, ...], str]] = []

    def walk(node, path: tuple[str, ...]) -> None:
        if isinstance(node, collada.scene.GeometryNode):
            geometry = node.geometry
            label = str(geometry.name or geometry.id)
            for primitive in geometry.primitives:
                if isinstance(primitive, (collada.polylist.Polylist, collada.triangleset.TriangleSet)) \
                        and primitive.vertex is not None:
                    out.append((path[:-1] if path and path[-1] == label else path, label))
        elif isinstance(node, collada.scene.Node):
            for child in node.children or ():
                walk(child, path + (str(node.name or node.id or "node"),))

    if doc.scene is not None:
        for node in doc.scene.nodes:
            walk(node, ())
    return out


def read_collada(path: Path, fmt: FormatInfo, report: Report) -> RawScene:
    """Meshes with node transforms and materials, in the file's unit and up axis."""
    from pipeline.scene.triangle_meshes import to_triangle_meshes

    report(0.02, f"Reading {path.name} (Collada)")
    doc = _open(path)
    up, metres, unit_name, missing, tool = read_asset(doc, path)
    paths = node_paths(doc)
    scale, unit_key, unit_reason = declared_unit(metres, unit_name)
    report(0.2, "Building meshes")
    try:
        loaded = trimesh.load(str(path), process=False, force="scene")
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SceneLoadError(
            f"'{path.name}' has Collada geometry that could not be built ({type(exc).__name__}: {exc}). "
            "Export it again with 'Triangulate all faces'."
        ) from exc
    meshes, names, notes = to_triangle_meshes(loaded, path, fmt)
    groups = None
    if isinstance(loaded, trimesh.Scene) and len(paths) == len(loaded.geometry) == len(names):
        order = {key: i for i, key in enumerate(loaded.geometry)}  # made in traversal order
        found = [paths[order[n]] if n in order else None for n in names]
        if all(f is not None for f in found):
            groups = [f[0] for f in found]
            names = [f[1] for f in found]
    if scale != 1.0:
        for mesh in meshes:
            mesh.apply_scale(scale)
    warnings = []
    if missing:
        warnings.append(f"{len(missing)} texture file(s) are missing ({', '.join(missing[:3])}); those surfaces "
                     "show their plain colour. Put the textures folder SketchUp exported beside the .dae.")
    declared = Declared(up, unit_key, (f"the file declares {up.upper()}-up", unit_reason))
    return RawScene(meshes, names, fmt, generator=tool, notes=notes, warnings=warnings, declared=declared,
                    groups=groups)
