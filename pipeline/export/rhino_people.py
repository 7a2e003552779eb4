"""People written back into a copy of the architect's Rhino ``.3dm`` with rhino3dm.

Each person is a mesh object named by its prompt on its own sub-layer of a "People" layer
(made once, reused when the file already has one), coloured by the layer, in the model's
unit (Rhino is Z-up, like the app). The copy keeps the file's archive version, so a Rhino 7
user can open it. The original is only read; the copy is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core.atomic import write_file_atomic
from pipeline.export.bodies import ExportBody
from pipeline.export.errors import ExportError
from pipeline.export.gltf_skin import BODY_COLOR
from pipeline.export.ifc_people import check_copy_target
from pipeline.scene.formats_3dm import RHINO_UNITS

PEOPLE_LAYER = "People"


def _layer(model, name: str, rgba, parent_id=None) -> int:
    import rhino3dm

    for i in range(len(model.Layers)):
        layer = model.Layers[i]
        if layer.Name == name and (parent_id is None or str(layer.ParentLayerId) == str(parent_id)):
            return i
    layer = rhino3dm.Layer()
    layer.Name = name
    layer.Color = tuple(int(round(255 * float(c))) for c in (*rgba[:3], 1.0))
    if parent_id is not None:
        layer.ParentLayerId = parent_id
    return model.Layers.Add(layer)


def rhino_mesh(vertices: np.ndarray, faces: np.ndarray):
    """A rhino3dm.Mesh from arrays (in model units)."""
    import rhino3dm

    mesh = rhino3dm.Mesh()
    for x, y, z in np.asarray(vertices, dtype=np.float64):
        mesh.Vertices.Add(float(x), float(y), float(z))
    for a, b, c in np.asarray(faces, dtype=np.int64):
        mesh.Faces.AddFace(int(a), int(b), int(c))
    mesh.Normals.ComputeNormals()
    mesh.Compact()
    return mesh


def add_people(model, bodies: Sequence[ExportBody]) -> list[int]:
    """Add the bodies to an open File3dm; returns the layer index of each person."""
    import rhino3dm

    unit = model.Settings.ModelUnitSystem.name
    metres = RHINO_UNITS.get(unit, 1.0)
    people = _layer(model, PEOPLE_LAYER, BODY_COLOR)
    people_id = model.Layers[people].Id
    layers = []
    for body in bodies:
        index = _layer(model, body.name, BODY_COLOR, parent_id=people_id)
        attributes = rhino3dm.ObjectAttributes()
        attributes.LayerIndex = index
        attributes.Name = body.name
        model.Objects.AddMesh(rhino_mesh(np.asarray(body.vertices) / metres, body.faces), attributes)
        layers.append(index)
    return layers


def write_people_into_3dm(bodies: Sequence[ExportBody], original: str | Path, out: str | Path) -> Path:
    """Copy ``original`` with the people added to ``out`` (atomic; the original is only read)."""
    import rhino3dm

    original, out = Path(original), Path(out)
    check_copy_target(original, out, ".3dm")
    if not bodies:
        raise ExportError("No people to write into the Rhino file: select at least one person.")
    model = rhino3dm.File3dm.Read(str(original))
    if model is None:
        raise ExportError(f"{original.name} could not be read as a Rhino file; open the design again.")
    version = rhino3dm.File3dm.ReadArchiveVersion(str(original))
    version = version // 10 if version >= 50 else version  # the archive says 70/80, Write wants 7/8
    add_people(model, bodies)

    def write(tmp: Path) -> None:
        if not model.Write(str(tmp), int(min(max(version, 6), 8))):
            raise OSError(f"rhino3dm could not write {out.name}")

    return write_file_atomic(out, write, suffix=".3dm")
