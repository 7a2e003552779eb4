"""Inside/outside for artist-made scenes that are not watertight.

Why not one winding number over the whole scene: a room shell faces inwards, so the winding
number is about -1 everywhere in the room and the inside of a sofa sums to 0 (outside). A
single floor plane gives +0.5 under it, which is no clear answer either. So each part of the
scene is classified once:

Each part's own generalised winding number w jumps by 1 across its surface, from a typical
value just in front of its faces to one just behind. Sampling both sides of ~200 faces tells
the part's kind, and so the threshold that separates its inside from its outside:

- **solid** (closed object facing outwards: sofa, stool, cabinets): front 0, behind 1;
  inside = w > 0.5, checked only inside the part's bounding box.
- **sheet** (a single open surface: a floor plane, a wall tube, cushion tops without a bottom):
  front about -0.5, behind about +0.5; inside = w > 0.15, i.e. close behind the sheet (under a
  floor, behind a wall), fading away beside it instead of covering a whole half-space.
- **shell** (a closed shell facing inwards: a room box): front -1, behind 0; inside = w > -0.5.
- anything else (inconsistent normals): inside = behind its closest face (pseudo-normal).

A point is inside the scene if it is inside any part (union), so the room's air is outside
and a sofa inside a room shell is still solid.

Parts are the connected components of the scene after merging coincident vertices (not the
file's objects): walls, floor and ceiling stored as separate objects but sharing corners join
into one closed shell, whose inside is then everything behind the walls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from pipeline.scene.mesh_query import MeshQuery

_AGREE = 0.8
_PROBE_FACES = 200
#: winding-number threshold per kind of part (see module docstring)
THRESHOLDS = {"solid": 0.5, "sheet": 0.15, "shell": -0.5}
#: A sheet of bounding-box diagonal D covers less than 0.06 of the sphere of directions from
#: points farther than 1.5 D from its box, so its winding number there stays below 0.15.
_SHEET_REACH = 1.5


@dataclass
class _Part:
    faces: np.ndarray  # indices into the merged mesh's faces
    lo: np.ndarray
    hi: np.ndarray
    kind: str  # "solid", "sheet", "shell" or "other"
    query: MeshQuery | None = None

    @property
    def solid(self) -> bool:
        return self.kind == "solid"


@dataclass
class SceneSign:
    """Per-part sign oracle for one merged mesh, restricted to a region of interest."""

    mesh: trimesh.Trimesh
    parts: list[_Part]
    surface_query: MeshQuery | None
    device: str = "cpu"
    stats: dict = field(default_factory=dict)

    def inside(self, points: np.ndarray) -> np.ndarray:
        """(N,) bool: inside any solid, or behind the nearest surface part."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        inside = np.zeros(len(points), dtype=bool)
        for part in self.parts:
            if part.kind == "other":
                continue
            mask = ~inside
            if part.kind != "shell":  # a shell's inside is unbounded (everything behind the walls)
                reach = 0.0 if part.kind == "solid" else _SHEET_REACH * float(np.linalg.norm(part.hi - part.lo))
                mask &= np.all((points >= part.lo - reach) & (points <= part.hi + reach), axis=1)
            if mask.any():
                inside[mask] = part.query.distance_and_inside(points[mask], "winding", THRESHOLDS[part.kind])[1]
        if self.surface_query is not None:
            rest = ~inside
            if rest.any():
                inside[rest] = self.surface_query.distance_and_inside(points[rest], "side")[1]
        return inside


def _part_labels(mesh: trimesh.Trimesh) -> np.ndarray:
    """Connected components of the mesh after merging coincident vertices (per face)."""
    merged = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False, validate=False)
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    return trimesh.graph.connected_component_labels(merged.face_adjacency, node_count=len(merged.faces))


def _classify(vertices: np.ndarray, faces: np.ndarray, query: MeshQuery, rng: np.random.Generator) -> str:
    """'solid', 'sheet', 'shell' or 'other' from winding numbers just behind / in front of faces."""
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area2 = np.linalg.norm(cross, axis=1)
    ok = np.flatnonzero(area2 > 1e-12)
    if len(ok) == 0:
        return "other"
    pick = rng.choice(ok, size=min(_PROBE_FACES, len(ok)), replace=False, p=area2[ok] / area2[ok].sum())
    centres = tri[pick].mean(axis=1)
    normals = cross[pick] / area2[pick, None]
    size = float(np.linalg.norm(np.ptp(tri.reshape(-1, 3), axis=0)))
    eps = float(np.clip(1e-3 * size, 1e-5, 1e-3))
    behind_pts, front_pts = centres - eps * normals, centres + eps * normals
    for kind, level in (("solid", 0.5), ("sheet", 0.0), ("shell", -0.5)):
        behind = query.distance_and_inside(behind_pts, "winding", level)[1].mean()
        front = query.distance_and_inside(front_pts, "winding", level)[1].mean()
        if behind >= _AGREE and front <= 1.0 - _AGREE:
            return kind
    return "other"


def build_scene_sign(mesh_or_scene, lo=None, hi=None, device: str = "cpu") -> SceneSign:
    """Classify the parts that reach the box [lo, hi] (all parts when None) and build queries."""
    if not isinstance(mesh_or_scene, trimesh.Trimesh):  # a pipeline Scene: compute the parts once and keep them
        mesh = mesh_or_scene.mesh
        if "sign_part_labels" not in mesh_or_scene.derived:
            mesh_or_scene.derived["sign_part_labels"] = _part_labels(mesh)
        labels = mesh_or_scene.derived["sign_part_labels"]
    else:
        mesh = mesh_or_scene
        labels = _part_labels(mesh)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    splits = np.flatnonzero(np.diff(labels[order])) + 1
    rng = np.random.default_rng(0)
    parts: list[_Part] = []
    surface_faces: list[np.ndarray] = []
    for face_idx in np.split(order, splits):
        if len(face_idx) == 0:
            continue
        pv = vertices[faces[face_idx].reshape(-1)]
        p_lo, p_hi = pv.min(axis=0), pv.max(axis=0)
        if lo is not None and (np.any(p_hi < np.asarray(lo)) or np.any(p_lo > np.asarray(hi))):
            continue  # cannot contain any point of the region; its distance comes from the full mesh
        used, local = np.unique(faces[face_idx], return_inverse=True)
        local_faces = local.reshape(-1, 3)
        local_vertices = vertices[used]
        query = MeshQuery(local_vertices, local_faces, device=device, winding=True)
        kind = _classify(local_vertices, local_faces, query, rng)
        pad = 1e-6 * max(1.0, float(np.abs(p_hi).max()))
        parts.append(_Part(faces=face_idx, lo=p_lo - pad, hi=p_hi + pad, kind=kind, query=query if kind != "other" else None))
        if kind == "other":
            surface_faces.append(face_idx)
    surface_query = None
    if surface_faces:
        sf = np.concatenate(surface_faces)
        used, local = np.unique(faces[sf], return_inverse=True)
        surface_query = MeshQuery(vertices[used], local.reshape(-1, 3), device=device, winding=False)
    stats = {
        "parts": len(parts),
        **{f"{k}_parts": int(sum(p.kind == k for p in parts)) for k in ("solid", "sheet", "shell", "other")},
    }
    return SceneSign(mesh=mesh, parts=parts, surface_query=surface_query, device=device, stats=stats)
