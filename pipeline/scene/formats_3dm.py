"""Rhino ``.3dm`` designs read with rhino3dm (openNURBS): meshes, and the render meshes Rhino
stores with Breps and extrusions.

rhino3dm cannot tessellate NURBS itself, so a Brep saved without its render mesh has no
triangles here; those are counted and the note says how to include them. Layers give part
names ("Walls / Ground floor: Box 3") and colours (the object's own colour when it has one).
Rhino is Z-up; the unit comes from the model's settings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.raw import Declared, FormatInfo, RawScene, Report, SceneLoadError, coloured_mesh
from pipeline.scene.units import declared_unit

#: Metres per Rhino unit (rhino3dm.UnitSystem names).
RHINO_UNITS: dict[str, float] = {
    "Angstroms": 1e-10, "Nanometers": 1e-9, "Microns": 1e-6, "Millimeters": 1e-3, "Centimeters": 1e-2,
    "Decimeters": 0.1, "Meters": 1.0, "Dekameters": 10.0, "Hectometers": 100.0, "Kilometers": 1000.0,
    "Microinches": 2.54e-8, "Mils": 2.54e-5, "Inches": 0.0254, "Feet": 0.3048, "Yards": 0.9144,
    "Miles": 1609.344,
}

NO_RENDER_MESH_ADVICE = (
    "rhino3dm cannot tessellate NURBS. In Rhino, run 'Mesh' on them (or shade the viewport in "
    "Rendered mode once) and save with 'Save small' off so the render meshes are kept."
)


def mesh_arrays(mesh) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) float64 vertices and (F, 3) triangles of a rhino3dm.Mesh (quads split)."""
    vertices = np.array([(p.X, p.Y, p.Z) for p in mesh.Vertices.ToPoint3dArray()], dtype=np.float64).reshape(-1, 3)
    quads = np.array([tuple(mesh.Faces[i]) for i in range(mesh.Faces.Count)], dtype=np.int64).reshape(-1, 4)
    tris = quads[:, :3]
    is_quad = quads[:, 2] != quads[:, 3]
    second = quads[is_quad][:, [0, 2, 3]]
    return vertices, np.concatenate([tris, second])


def _render_meshes(geometry, rhino3dm) -> list | None:
    """The meshes Rhino stored with a Brep or extrusion; None when it has none."""
    if isinstance(geometry, rhino3dm.Mesh):
        return [geometry]
    if isinstance(geometry, rhino3dm.Extrusion):
        mesh = geometry.GetMesh(rhino3dm.MeshType.Any)
        return [mesh] if mesh is not None else None
    if isinstance(geometry, rhino3dm.Brep):
        found = [face.GetMesh(rhino3dm.MeshType.Any) for face in geometry.Faces]
        found = [m for m in found if m is not None]
        return found or None
    return []  # curves, points, annotations: nothing to show, nothing to report


def _colour(model, attributes, rhino3dm) -> tuple[float, float, float, float]:
    colour = None
    if attributes.ColorSource == rhino3dm.ObjectColorSource.ColorFromObject:
        colour = attributes.ObjectColor
    elif 0 <= attributes.LayerIndex < len(model.Layers):
        colour = model.Layers[attributes.LayerIndex].Color
    if colour is None:
        return (0.8, 0.8, 0.8, 1.0)
    r, g, b, a = (tuple(colour) + (255,))[:4]
    return (r / 255.0, g / 255.0, b / 255.0, (a or 255) / 255.0)


def _layer_path(model, index: int) -> str:
    if 0 <= index < len(model.Layers):
        layer = model.Layers[index]
        return str(layer.FullPath or layer.Name).replace("::", " / ")
    return "(no layer)"


def _layer_groups(model) -> dict[int, tuple[tuple[str, ...], tuple[float, float, float]]]:
    """Layer index -> (its path of names, its colour 0..1) for the outline."""
    out = {}
    for index, layer in enumerate(model.Layers):
        path = tuple(str(layer.FullPath or layer.Name).split("::"))
        r, g, b = tuple(layer.Color)[:3]
        out[index] = (path, (r / 255.0, g / 255.0, b / 255.0))
    return out


def read_3dm(path: Path, fmt: FormatInfo, report: Report) -> RawScene:
    """Meshes and stored render meshes, in the model unit, Z-up."""
    import rhino3dm

    report(0.02, f"Reading {path.name} (Rhino 3dm)")
    model = rhino3dm.File3dm.Read(str(path))
    if model is None:
        raise SceneLoadError(
            f"'{path.name}' could not be read as a Rhino 3dm file. It may be damaged or from a newer "
            "Rhino than this reader knows; in Rhino use 'Save As' with version 7 or 8."
        )
    unit = model.Settings.ModelUnitSystem.name
    warnings = []
    if unit in RHINO_UNITS:
        scale, unit_key, unit_reason = declared_unit(RHINO_UNITS[unit], unit.lower())
    else:
        scale, unit_key, unit_reason = 1.0, "m", f"the file's unit '{unit}' is not one this app knows: read as metres"
        warnings.append(f"'{path.name}' uses the unit '{unit}', which this app has not met; it is read as metres. "
                        "If the size looks wrong, pick the unit with File > Reopen with up axis and unit, or in "
                        "Rhino set Document Properties > Units to millimetres or metres and save again.")
    meshes: list[trimesh.Trimesh] = []
    names: list[str] = []
    groups: list[tuple[str, ...]] = []
    layers = _layer_groups(model)
    group_colours = {path: colour for path, colour in layers.values()}
    without_mesh: list[str] = []
    total = len(model.Objects)
    for i, obj in enumerate(model.Objects):
        found = _render_meshes(obj.Geometry, rhino3dm)
        attributes = obj.Attributes
        label = f"{_layer_path(model, attributes.LayerIndex)}: {attributes.Name or type(obj.Geometry).__name__}"
        if found is None:
            without_mesh.append(label)
            continue
        rgba = _colour(model, attributes, rhino3dm)
        for k, rmesh in enumerate(found):
            vertices, faces = mesh_arrays(rmesh)
            if len(faces) == 0:
                continue
            mesh = coloured_mesh(vertices * scale, faces, rgba)
            meshes.append(mesh)
            names.append(label if len(found) == 1 else f"{label} [{k}]")
            groups.append(layers.get(attributes.LayerIndex, (("(no layer)",), None))[0])
        if i % 50 == 0:
            report(0.05 + 0.85 * i / max(total, 1), f"Read {i + 1:,} of {total:,} Rhino objects")
    if without_mesh:
        warnings.append(f"{len(without_mesh):,} Brep/extrusion object(s) have no stored render mesh and are "
                     f"missing (e.g. {without_mesh[0]}). {NO_RENDER_MESH_ADVICE}")
    if not meshes:
        raise SceneLoadError(
            f"'{path.name}' has no meshes to show: {len(without_mesh):,} surface object(s) were saved "
            f"without render meshes. {NO_RENDER_MESH_ADVICE}"
        )
    notes = [f"{len(meshes):,} meshes read from {total:,} Rhino objects."]
    declared = Declared("z", unit_key, ("Rhino is Z-up", unit_reason))
    return RawScene(meshes, names, fmt, generator="Rhino", notes=notes, warnings=warnings, declared=declared,
                    groups=groups, group_colours=group_colours)
