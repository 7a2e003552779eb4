"""Read a MakeHuman asset: its ``.obj`` mesh and the ``.mhclo`` binding to the hm08 base mesh.

A binding line ``a b c wa wb wc ox oy oz`` places asset vertex i at
``wa*base[a] + wb*base[b] + wc*base[c] + (ox*sx, oy*sy, oz*sz)``, where the scale factors
come from the ``x_scale``/``y_scale``/``z_scale`` reference distances, so the asset follows
the body's proportions. ``delete_verts`` lists base vertices the asset hides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.core.obj_mesh import read_obj_polygons


class BindingError(ValueError):
    """An asset whose files cannot be read or bound (skipped with a warning by callers)."""


@dataclass
class MhcloAsset:
    name: str
    tags: tuple[str, ...]
    z_depth: int
    vertices: np.ndarray  # (N, 3) the asset's own mesh (MakeHuman frame, decimetres)
    faces: np.ndarray  # (F, 3) triangles
    uv: np.ndarray  # (N, 2) one UV per vertex (first seen)
    bind_index: np.ndarray  # (N, 3) base-mesh vertex indices
    bind_weight: np.ndarray  # (N, 3)
    bind_offset: np.ndarray  # (N, 3) MakeHuman frame, before scaling
    scales: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # axis -> (a, b, reference)
    delete_verts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    face_uv: np.ndarray | None = None  # (F, 3, 2) UV of each face corner (seams kept), for textures

    def base_positions(self, base: np.ndarray) -> np.ndarray:
        """(N, 3) asset vertices placed on base-mesh vertices ``base`` (MakeHuman frame)."""
        if int(self.bind_index.max(initial=0)) >= len(base):
            raise BindingError(
                f"{self.name} binds to base-mesh vertex {int(self.bind_index.max())}, but the base "
                f"mesh has only {len(base)}; it needs the hm08 mesh with its helper geometry."
            )
        scale = np.ones(3)
        for axis, (a, b, ref) in self.scales.items():
            k = "xyz".index(axis)
            scale[k] = abs(base[a, k] - base[b, k]) / ref
        p = np.einsum("nk,nkd->nd", self.bind_weight, base[self.bind_index])
        return p + self.bind_offset * scale


def _ints(tokens: list[str]) -> list[int]:
    out: list[int] = []
    k = 0
    while k < len(tokens):
        if k + 2 < len(tokens) and tokens[k + 1] == "-":
            out.extend(range(int(tokens[k]), int(tokens[k + 2]) + 1))
            k += 3
        else:
            out.append(int(tokens[k]))
            k += 1
    return out


def read_mhclo(path: str | Path) -> MhcloAsset:
    """Parse ``path`` (.mhclo) and the ``obj_file`` it names; BindingError when broken."""
    path = Path(path)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise BindingError(f"Cannot read {path}: {exc}") from exc
    name, obj_file, tags, z_depth = path.stem, path.with_suffix(".obj").name, [], 50
    scales: dict[str, tuple[int, int, float]] = {}
    idx, wts, offs, deleted = [], [], [], []
    section = None
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        key = parts[0]
        if key[0].isdigit() or key[0] == "-":
            if section == "verts":
                if len(parts) == 1:
                    idx.append([int(parts[0])] * 3)
                    wts.append([1.0, 0.0, 0.0])
                    offs.append([0.0, 0.0, 0.0])
                else:
                    idx.append([int(x) for x in parts[:3]])
                    wts.append([float(x) for x in parts[3:6]])
                    offs.append([float(x) for x in parts[6:9]])
            elif section == "delete":
                deleted.extend(_ints(parts))
            continue
        # keyword lines may sit between ``verts 0`` and its numbers; only another list ends it
        if key == "name" and len(parts) > 1:
            name = parts[1]
        elif key == "obj_file" and len(parts) > 1:
            obj_file = parts[1]
        elif key == "tag":
            tags.append(" ".join(parts[1:]).lower())
        elif key == "z_depth":
            z_depth = int(parts[1])
        elif key in ("x_scale", "y_scale", "z_scale") and len(parts) == 4:
            scales[key[0]] = (int(parts[1]), int(parts[2]), float(parts[3]))
        elif key == "verts":
            section = "verts"
        elif key == "delete_verts":
            section = "delete"
    obj_path = path.parent / obj_file
    if not obj_path.is_file():
        raise BindingError(f"{name}: its mesh {obj_path.name} is missing next to {path.name}.")
    vertices, faces, uv, face_uv = read_obj_polygons(obj_path)
    if len(idx) != len(vertices):
        raise BindingError(
            f"{name}: the binding lists {len(idx)} vertices but {obj_path.name} has {len(vertices)}; "
            "the files do not belong together."
        )
    return MhcloAsset(
        name=name, tags=tuple(tags), z_depth=z_depth, vertices=vertices, faces=faces, uv=uv,
        bind_index=np.asarray(idx, dtype=np.int64).reshape(-1, 3),
        bind_weight=np.asarray(wts, dtype=np.float64).reshape(-1, 3),
        bind_offset=np.asarray(offs, dtype=np.float64).reshape(-1, 3),
        scales=scales, delete_verts=np.unique(np.asarray(deleted, dtype=np.int64)), face_uv=face_uv,
    )
