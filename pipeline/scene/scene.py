"""Scenes in the pipeline's frame: Z-up, metres, right-handed.

``load_scene`` reads GLB/glTF, OBJ (+MTL), PLY, STL, FBX (through the assimp 6 converter) and the
architects' formats that record their own frame (IFC, Rhino 3dm, Collada, USD; see the
``formats_*`` modules), applies the up axis and unit (the file's, given, or guessed from the
geometry with reasons), and returns a
``Scene``: the parts with their visuals for display and rendering, one merged mesh for rays,
distances and the SDF grid, and ray queries (Embree through trimesh) against real geometry.

Up-axis rule for glTF: the specification says Y-up metres, but writers that copy Z-up data
unchanged are common (the bundled ``living_room.glb`` was written by trimesh with raw Z-up
vertices and no node rotation). So glTF files get the same geometric guess as other formats,
with Y-up as the prior that the geometry must beat clearly (see ``pipeline.scene.guess``).
The file's own node transforms are always applied. Positions are never re-centred: a scene's
origin means something to its author, and the floor of the sample already lies at z = 0.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import trimesh

from pipeline.scene.formats import SUPPORTED_EXTENSIONS, SceneLoadError, read_raw
from pipeline.scene.import_options import SceneImportOptions, guess_import_options, options_for
from pipeline.scene.raw import HiddenPart, merge_parts
from pipeline.scene.units import import_transform

__all__ = [
    "SceneLoadError",
    "SceneImportOptions",
    "RayHits",
    "Scene",
    "load_scene",
    "guess_import_options",
    "SUPPORTED_EXTENSIONS",
    "LARGE_SCENE_TRIANGLES",
]

#: Above this many triangles the scene still loads, with a warning that display may be slow.
LARGE_SCENE_TRIANGLES = 2_000_000
WARP_RAYS_ABOVE_TRIANGLES = 500_000

Progress = Callable[[float, str], None]


@dataclass
class RayHits:
    """First hits of N rays. Misses have ``hit`` False, NaN points/normals, inf distance, face -1."""

    hit: np.ndarray  # (N,) bool
    points: np.ndarray  # (N, 3) world metres
    distances: np.ndarray  # (N,) metres along the (normalised) ray
    face_ids: np.ndarray  # (N,) int64 index into Scene.mesh.faces
    normals: np.ndarray  # (N, 3) face normals turned to face the ray origin


class Scene:
    """A loaded scene in Z-up metres with ray and distance queries."""

    def __init__(
        self,
        geometries: list[trimesh.Trimesh],
        path: Path | None = None,
        options: SceneImportOptions | None = None,
        names: list[str] | None = None,
        warnings: list[str] | None = None,
        merged: tuple[trimesh.Trimesh, np.ndarray] | None = None,
    ) -> None:
        if not geometries:
            raise SceneLoadError("The scene has no geometry. Open a file with at least one triangle mesh.")
        self.path: Path | None = Path(path) if path is not None else None
        self.geometries: list[trimesh.Trimesh] = list(geometries)
        self.names: list[str] = list(names) if names is not None else [f"part_{i}" for i in range(len(geometries))]
        self.options: SceneImportOptions = options or SceneImportOptions(up_axis="z", unit="m")
        self.warnings: list[str] = list(warnings or [])  # problems worth showing (e.g. very large scene)
        self.notes: list[str] = []  # what was done on the way (e.g. converted from FBX)
        self.load_seconds: float = 0.0
        # merged: (mesh, face part index) when the caller already built it in world coordinates
        self.mesh, self.face_part = merged if merged is not None else merge_parts(self.geometries)
        if len(self.mesh.faces) == 0:
            raise SceneLoadError("The scene has no triangles. Open a file with surfaces, not only points or lines.")
        self._intersector = None
        self._bounds = None
        self._vertex_normals = None
        self._warp = None
        # values other modules derive from the geometry (sign parts, exact-distance oracles), kept
        # with the scene because its geometry never changes after loading; one key per kind
        self.derived: dict[str, object] = {}
        # the file's own hierarchy for the outline (see pipeline.scene.outline); None: from names
        self.groups: list[tuple[str, ...]] | None = None
        self.group_colours: dict[tuple[str, ...], tuple[float, float, float]] = {}
        #: listed, hidden by default, never part of ``mesh`` (IFC spaces and openings)
        self.hidden_parts: list[HiddenPart] = []

    # ------------------------------------------------------------------ basic facts
    @property
    def bounds(self) -> np.ndarray:
        """(2, 3): min and max corner in metres."""
        if self._bounds is None:
            v = np.asarray(self.mesh.vertices)
            self._bounds = np.stack([v.min(axis=0), v.max(axis=0)]).astype(np.float64)
        return self._bounds.copy()

    @property
    def size(self) -> np.ndarray:
        """(3,): extent along x, y, z in metres."""
        b = self.bounds
        return b[1] - b[0]

    @property
    def triangle_count(self) -> int:
        return int(len(self.mesh.faces))

    def summary(self) -> str:
        """E.g. '6.05 x 6.19 x 3.22 m, 35,447 triangles'."""
        s = self.size
        return f"{s[0]:.2f} x {s[1]:.2f} x {s[2]:.2f} m, {self.triangle_count:,} triangles"

    def __repr__(self) -> str:
        name = self.path.name if self.path else "(in memory)"
        return f"Scene({name}: {self.summary()}, {len(self.geometries)} parts)"

    # ------------------------------------------------------------------ rays
    @property
    def uses_warp_rays(self) -> bool:
        """Very large scenes cast rays with warp: Embree's build holds Python's GIL for seconds
        (measured 2 s at 1.3 M triangles), which froze the window while a worker loaded."""
        return self.triangle_count > WARP_RAYS_ABOVE_TRIANGLES

    @property
    def intersector(self):
        """Cached ray intersector (Embree when embreex is installed)."""
        if self._intersector is None:
            try:
                from trimesh.ray.ray_pyembree import RayMeshIntersector

                self._intersector = RayMeshIntersector(self.mesh)
            except Exception:  # no embreex: trimesh's slower fallback
                self._intersector = self.mesh.ray
        return self._intersector

    def raycast(self, origins, directions) -> RayHits:
        """First hit of each ray against the real geometry. Directions need not be unit length."""
        origins = np.atleast_2d(np.asarray(origins, dtype=np.float64))
        directions = np.atleast_2d(np.asarray(directions, dtype=np.float64))
        if origins.shape != directions.shape or origins.shape[-1] != 3:
            raise ValueError(f"origins and directions must both be (N, 3); got {origins.shape} and {directions.shape}")
        n = len(origins)
        length = np.linalg.norm(directions, axis=1)
        valid = (length > 0) & np.all(np.isfinite(directions), axis=1) & np.all(np.isfinite(origins), axis=1)
        unit = np.zeros_like(directions)
        unit[valid] = directions[valid] / length[valid, None]
        hit = np.zeros(n, dtype=bool)
        points = np.full((n, 3), np.nan)
        distances = np.full(n, np.inf)
        face_ids = np.full(n, -1, dtype=np.int64)
        normals = np.full((n, 3), np.nan)
        idx = np.flatnonzero(valid)
        if len(idx):
            tri, ray, loc = self._first_hits(origins[idx], unit[idx])
            if len(ray):
                rows = idx[np.asarray(ray, dtype=np.int64)]
                hit[rows] = True
                points[rows] = loc
                distances[rows] = np.einsum("ij,ij->i", loc - origins[rows], unit[rows])
                face_ids[rows] = tri
                fn = self._face_normals(np.asarray(tri, dtype=np.int64))
                flip = np.einsum("ij,ij->i", fn, unit[rows]) > 0
                fn = np.where(flip[:, None], -fn, fn)
                normals[rows] = fn
        return RayHits(hit=hit, points=points, distances=distances, face_ids=face_ids, normals=normals)

    def _first_hits(self, origins: np.ndarray, unit: np.ndarray):
        """(face ids, ray indices, hit locations) of the rays that hit, like trimesh's API."""
        if not self.uses_warp_rays:
            return self.intersector.intersects_id(origins, unit, multiple_hits=False, return_locations=True)
        t, face = self._warp_query().first_hits(origins, unit)
        ray = np.flatnonzero(face >= 0)
        return face[ray], ray, origins[ray] + t[ray, None] * unit[ray]

    def _face_normals(self, faces: np.ndarray) -> np.ndarray:
        """Unit normals of the given faces only (all normals of a huge scene cost seconds)."""
        corners = np.asarray(self.mesh.vertices)[np.asarray(self.mesh.faces)[faces]]
        n = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        length = np.linalg.norm(n, axis=1, keepdims=True)
        return np.divide(n, length, out=np.zeros_like(n), where=length > 0)

    def prepare_rays(self) -> None:
        """Build the ray acceleration structure now (seconds for millions of triangles), so the
        first click does not pay for it. ``load_scene`` calls this."""
        self.raycast(np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 1.0]]))

    def pick(self, origin, direction) -> tuple[np.ndarray, np.ndarray] | None:
        """(point, normal) where one ray first meets the scene, or None for a click on the sky."""
        hits = self.raycast(np.reshape(origin, (1, 3)), np.reshape(direction, (1, 3)))
        if not hits.hit[0]:
            return None
        return hits.points[0].copy(), hits.normals[0].copy()

    # ------------------------------------------------------------------ distances
    def _warp_query(self):
        if self._warp is None:
            from pipeline.scene.mesh_query import MeshQuery

            self._warp = MeshQuery(self.mesh)
        return self._warp

    def closest_points(self, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(closest surface points (N,3), unsigned distances (N,), face ids (N,)) for (N,3) points."""
        return self._warp_query().closest(np.atleast_2d(np.asarray(points, dtype=np.float64)))

    def part_name_at(self, point) -> str:
        """The name of the part (IFC element, Rhino object, USD prim, ...) nearest ``point``."""
        _, _, face = self.closest_points(np.reshape(point, (1, 3)))
        return self.names[int(self.face_part[int(face[0])])]

    def vertex_normal_near(self, point) -> np.ndarray:
        """Smooth (vertex-interpolated) unit normal of the surface closest to ``point``."""
        if self._vertex_normals is None:
            self._vertex_normals = np.asarray(self.mesh.vertex_normals, dtype=np.float64)
        closest, _, face = self.closest_points(np.reshape(point, (1, 3)))
        f = int(face[0])
        corners = self.mesh.vertices[self.mesh.faces[f]]
        bary = trimesh.triangles.points_to_barycentric(corners[None], closest)[0]
        bary = np.clip(bary, 0.0, 1.0)
        normal = bary @ self._vertex_normals[self.mesh.faces[f]]
        length = np.linalg.norm(normal)
        if not np.isfinite(length) or length < 1e-9:
            normal = np.asarray(self.mesh.face_normals[f], dtype=np.float64)
            length = np.linalg.norm(normal)
        return normal / length


def load_scene(
    path: str | os.PathLike,
    options: SceneImportOptions | None = None,
    progress: Progress | None = None,
) -> Scene:
    """Load a scene file into Z-up metres. Missing options are guessed (see ``scene.options``).

    Raises ``SceneLoadError`` with an actionable message for missing, empty, corrupt, non-mesh,
    unsupported or triangle-free files. ``progress(fraction, message)`` is called from the
    loading thread; it may raise (for example ``pipeline.core.events.Cancelled``) to stop loading.
    The returned Scene is meant to be read-only (bounds and ray structures are cached).
    """

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(max(float(fraction), 0.0), 1.0), message)

    start = time.perf_counter()
    path = Path(path).expanduser()
    raw = read_raw(path, progress=lambda f, m: report(0.6 * f, m))
    report(0.62, "Working out up axis and unit")
    merged_raw, part = merge_parts(raw.geometries)
    applied = options_for(raw, options, merged_raw)
    transform = import_transform(applied.up_axis, applied.unit)
    identity = np.allclose(transform, np.eye(4))
    geometries = []
    count = len(raw.geometries)
    for i, geom in enumerate(raw.geometries):
        if not identity:
            geom.apply_transform(transform)
        geometries.append(geom)
        if count > 20 and i % max(1, count // 10) == 0:
            report(0.65 + 0.25 * i / count, f"Placing part {i + 1} of {count}")
    report(0.92, "Merging geometry")
    if not identity:
        merged_raw = trimesh.Trimesh(
            vertices=trimesh.transform_points(merged_raw.vertices, transform),
            faces=merged_raw.faces, process=False, validate=False,
        )
    scene = Scene(geometries, path=path, options=applied, names=raw.names, merged=(merged_raw, part))
    scene.notes = list(raw.notes)
    scene.groups, scene.group_colours = raw.groups, dict(raw.group_colours)
    for hidden in raw.hidden:
        if not identity:
            hidden.mesh.apply_transform(transform)
    scene.hidden_parts = list(raw.hidden)
    scene.warnings.extend(raw.warnings)
    if scene.triangle_count > LARGE_SCENE_TRIANGLES:
        scene.warnings.append(
            f"The scene has {scene.triangle_count:,} triangles; display and picking may be slow. "
            "Simplify it (decimate) in your modelling tool if the viewport lags."
        )
    report(0.95, "Preparing ray queries")
    scene.prepare_rays()
    scene.load_seconds = time.perf_counter() - start
    report(1.0, f"Loaded {path.name}: {scene.summary()}")
    return scene
