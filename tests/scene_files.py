"""Small scene files for the scene-loading tests, written with trimesh at test time.

The reference scene is a 4 x 3 x 2.5 m room (box facing inwards, floor at z = 0) with a
1.2 x 0.8 x 0.75 m table, in Z-up metres. Writers can rotate it to another up axis and scale
it to another unit, so a loader must undo exactly that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from pipeline.scene.units import UNIT_TO_METRES, up_axis_rotation

ROOM_BOUNDS = np.array([[-2.0, -1.5, 0.0], [2.0, 1.5, 2.5]])
TABLE_TOP_Z = 0.75
TABLE_CENTRE_XY = (0.5, 0.2)


def room_mesh() -> trimesh.Trimesh:
    """The reference room (Z-up metres), one mesh, faces consistently oriented."""
    room = trimesh.creation.box(extents=(4.0, 3.0, 2.5))
    room.apply_translation((0.0, 0.0, 1.25))
    room.invert()  # a room is seen from inside: normals point into the room
    table = trimesh.creation.box(extents=(1.2, 0.8, 0.75))
    table.apply_translation((TABLE_CENTRE_XY[0], TABLE_CENTRE_XY[1], 0.375))
    return trimesh.util.concatenate([room, table])


def to_file_frame(mesh: trimesh.Trimesh, up_axis: str = "z", unit: str = "m") -> trimesh.Trimesh:
    """The mesh as a tool with that up axis and unit would store it."""
    out = mesh.copy()
    matrix = np.eye(4)
    matrix[:3, :3] = up_axis_rotation(up_axis).T / UNIT_TO_METRES[unit]
    out.apply_transform(matrix)
    return out


def checker_image(size: int = 16) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray((rng.random((size, size, 3)) * 255).astype(np.uint8))


def write_textured_obj(folder: Path, name: str = "room", up_axis: str = "z", unit: str = "m") -> Path:
    mesh = to_file_frame(room_mesh(), up_axis, unit)
    v = mesh.vertices
    uv = (v[:, :2] - v[:, :2].min(axis=0)) / np.ptp(v[:, :2], axis=0)
    textured = trimesh.Trimesh(v, mesh.faces, visual=trimesh.visual.TextureVisuals(uv=uv, image=checker_image()), process=False)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.obj"
    textured.export(path)
    return path


def write_coloured_ply(folder: Path, name: str = "room", up_axis: str = "z", unit: str = "m") -> Path:
    mesh = to_file_frame(room_mesh(), up_axis, unit)
    colours = np.tile(np.array([[200, 30, 40, 255]], dtype=np.uint8), (len(mesh.vertices), 1))
    colours[mesh.vertices[:, 0] > 0] = [20, 180, 60, 255]
    coloured = trimesh.Trimesh(mesh.vertices, mesh.faces, vertex_colors=colours, process=False)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ply"
    coloured.export(path)
    return path


def write_plain(folder: Path, ext: str, name: str = "room", up_axis: str = "z", unit: str = "m") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{ext}"
    to_file_frame(room_mesh(), up_axis, unit).export(path)
    return path


def write_gltf_spec(folder: Path, name: str = "room", ext: str = "glb") -> Path:
    """A glTF as the specification wants it (Y-up metres) with a material colour."""
    mesh = to_file_frame(room_mesh(), "y", "m")
    mesh.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(baseColorFactor=[40, 90, 200, 255]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{ext}"
    trimesh.Scene(mesh).export(path)
    return path
