"""Static mesh exports: OBJ (+MTL, optionally with the scene in the same file) and PLY.

These formats carry no skeleton, so bodies are written in their fitted pose. OBJ and PLY
do not record an up axis or unit, which is why the caller chooses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core.atomic import write_bytes_atomic
from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody

BODY_RGBA = (204, 158, 133, 255)


def _body_trimesh(body: ExportBody, frame: AxesUnits, textured: bool):
    import trimesh

    mesh = trimesh.Trimesh(frame.points(body.vertices), np.asarray(body.faces), process=False)
    if textured:
        # A material needs UVs in OBJ: without them trimesh's writer shifts every later part's
        # "vt" indices past the end of the list and Blender drops those faces.
        mesh.visual = trimesh.visual.TextureVisuals(
            uv=np.zeros((len(mesh.vertices), 2)),
            material=trimesh.visual.material.SimpleMaterial(name="body_skin", diffuse=BODY_RGBA),
        )
    else:
        mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.tile(BODY_RGBA, (len(mesh.vertices), 1)))
    return mesh


def _piece_trimeshes(body: ExportBody, frame: AxesUnits, textured: bool):
    """(name, trimesh) per piece of a dressed body, coloured by its material."""
    import trimesh

    out = []
    for piece in body.pieces:
        mesh = trimesh.Trimesh(frame.points(piece.vertices), np.asarray(piece.faces), process=False)
        rgba = np.round(np.asarray(piece.material.rgba) * 255).astype(np.uint8)
        if textured and piece.texture is not None:  # baked from the paintings: a PNG beside the OBJ
            from PIL import Image

            mesh.visual = trimesh.visual.TextureVisuals(
                uv=np.asarray(piece.uv, dtype=np.float64),
                material=trimesh.visual.material.SimpleMaterial(
                    name=f"{body.name}_{piece.name}", image=Image.fromarray(piece.texture),
                    diffuse=(255, 255, 255, rgba[3])))
        elif textured:
            mesh.visual = trimesh.visual.TextureVisuals(
                material=trimesh.visual.material.SimpleMaterial(name=piece.material.name, diffuse=rgba))
        elif piece.texture is not None:  # PLY: vertex colours sampled from the texture
            mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=_texture_colours(piece))
        else:
            mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.tile(rgba, (len(mesh.vertices), 1)))
        out.append((f"{body.name}_{piece.name}", mesh))
    return out


def _texture_colours(piece) -> np.ndarray:
    """(N, 4) uint8 colour of the texture under each vertex's UV."""
    size = piece.texture.shape[0]
    uv = np.asarray(piece.uv, dtype=np.float64)
    col = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    row = np.clip(((1.0 - uv[:, 1]) * size).astype(int), 0, size - 1)
    rgb = piece.texture[row, col]
    return np.column_stack([rgb, np.full(len(rgb), 255, dtype=np.uint8)])


def _with_alpha(mtl: str, bodies: Sequence[ExportBody]) -> str:
    """Add the ``d`` (opacity) line MTL readers expect to translucent materials, and give each
    person's material its roughness: ``Pr`` (the PBR extension Blender reads) and the Phong
    exponent ``Ns`` = 1000 (1 - r)^2 that Blender and 3ds Max turn back into r (trimesh's
    default Ns 1 imported as roughness 0.97 whatever the material)."""
    looks = {}
    for body in bodies:
        for piece in body.pieces:
            looks[piece.material.name] = looks[f"{body.name}_{piece.name}"] = piece.material
    lines, current = [], None
    for line in mtl.splitlines():
        if current in looks and line.startswith("Ns "):
            line = f"Ns {1000.0 * (1.0 - looks[current].roughness) ** 2:.4f}"
        lines.append(line)
        if line.startswith("newmtl "):
            current = line.split(None, 1)[1].strip()
            if current in looks:
                lines.append(f"Pr {looks[current].roughness:.3f}")
                if looks[current].alpha < 0.999:
                    lines.append(f"d {looks[current].alpha:.3f}")
    return "\n".join(lines) + "\n"


def _converted(mesh, frame: AxesUnits):
    out = mesh.copy()
    out.apply_transform(frame.matrix)
    return out


def write_obj(
    bodies: Sequence[ExportBody],
    path: str | Path,
    *,
    frame: AxesUnits,
    static_meshes: Sequence[tuple[str, object]] = (),
) -> list[Path]:
    """Write ``path`` (.obj) and its ``.mtl`` (plus any scene textures) next to it.
    Each body and scene piece is its own ``o`` object with its own material.
    Returns every file written."""
    import trimesh
    from trimesh.exchange.obj import export_obj

    path = Path(path)
    scene = trimesh.Scene()
    for body in bodies:
        if body.pieces:
            for name, mesh in _piece_trimeshes(body, frame, textured=True):
                scene.add_geometry(mesh, geom_name=name, node_name=name)
            continue
        scene.add_geometry(_body_trimesh(body, frame, textured=True), geom_name=body.name, node_name=body.name)
    for name, mesh in static_meshes:
        scene.add_geometry(_converted(mesh, frame), geom_name=name, node_name=name)
    mtl_name = path.with_suffix(".mtl").name
    text, extra_files = export_obj(scene, include_normals=True, return_texture=True, mtl_name=mtl_name)
    # scene textures get the OBJ's name as prefix so two exports in one folder never
    # overwrite each other's images (trimesh names them material_N.png)
    renames = {name: f"{path.stem}_{name}" for name in extra_files if name != mtl_name}
    written = [path]
    write_bytes_atomic(path, text.encode())
    for name, data in extra_files.items():
        raw = data if isinstance(data, bytes) else str(data).encode()
        if name == mtl_name:
            mtl = raw.decode("utf-8", errors="replace")
            for old, new in renames.items():
                mtl = mtl.replace(f" {old}", f" {new}")
            raw = _with_alpha(mtl, bodies).encode()
        target = path.parent / renames.get(name, name)
        write_bytes_atomic(target, raw)
        written.append(target)
    return written


def write_ply(
    bodies: Sequence[ExportBody],
    path: str | Path,
    *,
    frame: AxesUnits,
    static_meshes: Sequence[tuple[str, object]] = (),
) -> list[Path]:
    """Binary PLY of all bodies (and scene pieces) merged into one mesh with vertex colours;
    PLY has no objects, so bodies stay apart only by their connectivity."""
    import trimesh

    path = Path(path)
    parts = []
    for body in bodies:
        if body.pieces:
            parts.extend(mesh for _name, mesh in _piece_trimeshes(body, frame, textured=False))
        else:
            parts.append(_body_trimesh(body, frame, textured=False))
    for _name, mesh in static_meshes:
        piece = _converted(mesh, frame)
        try:
            colors = piece.visual.to_color().vertex_colors
        except Exception:  # noqa: BLE001 - colour is cosmetic
            colors = np.tile((180, 180, 180, 255), (len(piece.vertices), 1))
        piece.visual = trimesh.visual.ColorVisuals(piece, vertex_colors=colors)
        parts.append(piece)
    merged = trimesh.util.concatenate(parts)
    write_bytes_atomic(path, trimesh.exchange.ply.export_ply(merged, encoding="binary", include_attributes=False))
    return [path]
