"""Automatic camera selection around a target point, the first step of GenZI.

Why: the inpainting model needs views from which the surface the person interacts with is
clearly visible, and the keypoint detector needs the whole person inside the image. This
module samples Fibonacci directions around the target, frames each candidate, measures how
much of the surface patch at the target it really sees (ray casts against the whole scene,
so occluders count) and keeps the best views. When nothing passes it relaxes the rules step
by step and says so; when even that fails it raises :class:`NoViewsError` with advice.

Every number is a field of :class:`ViewSelectionSettings`; the defaults are the paper's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import trimesh

from pipeline.core.posture_words import posture_from_prompt
from pipeline.views.cameras import WORLD_UP, Camera
from pipeline.scene.source import as_scene


# ------------------------------------------------------------------------------------------
# settings, results, errors
# ------------------------------------------------------------------------------------------
@dataclass
class ViewSelectionSettings:
    """All numbers of the view selection; defaults follow the paper's configuration."""

    num_directions: int = 256  # Fibonacci sphere samples
    min_elevation_deg: float = 0.0  # camera direction above the horizontal through the aim point (exclusive)
    max_elevation_deg: float = 30.0  # (exclusive)
    use_normal: bool = True
    max_normal_angle_deg: float = 135.0  # keep directions strictly closer than this to the surface normal
    distance: float = 2.0  # metres from the aim point
    fov_y_deg: float = 60.0
    image_size: int = 512  # square images
    patch_radius: float = 0.15  # metres: the connected surface patch around the target
    subdivide_max_edge: float = 0.04  # local subdivision so the patch has enough vertices
    min_visibility: float = 0.4  # keep views that see more than this share of the patch area
    max_views: int = 16
    min_views: int = 1  # fewer passing views than this triggers relaxation
    occlusion_tolerance: float = 0.002  # metres: the patch counts as seen when no surface is this much nearer
    visibility_method: str = "samples"  # "samples" (rays to points on patch faces) or "pixels" (face-id raster)
    # surfaces
    snap_distance: float = 0.10  # a target farther than this from every surface is "in the air"
    # framing for a standing person
    floor_tolerance: float = 0.15  # target this close above the lowest surface under it is "on the floor"
    person_height: float = 1.9
    person_width: float = 0.9
    framing_margin: float = 0.05  # share of the image width kept free on every side of the person
    max_standing_distance: float = 6.0
    min_person_visible: float = 0.6  # share of the standing person's axis a standing-framed view must see
    # relaxation steps, tried in this order (each keeps the previous ones)
    relax_distances: tuple[float, ...] = (1.5, 1.0)
    relax_elevation_deg: tuple[float, float] = (-10.0, 60.0)
    relax_min_visibility: tuple[float, ...] = (0.25, 0.1)


@dataclass
class SurfacePatch:
    """The connected surface within ``patch_radius`` of the target (subdivided locally)."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3)
    face_normals: np.ndarray  # (F, 3)
    face_areas: np.ndarray  # (F,)
    target: np.ndarray  # (3,) the target actually used (after snapping onto the surface)
    normal: np.ndarray  # (3,) unit vertex normal nearest the target

    @property
    def area(self) -> float:
        return float(self.face_areas.sum())

    @property
    def face_count(self) -> int:
        return int(len(self.faces))

    def info(self) -> dict:
        return {"faces": self.face_count, "vertices": int(len(self.vertices)), "area_m2": self.area}


@dataclass
class ViewSelection:
    """Chosen cameras (``view_00`` ...), best first, and how they were chosen."""

    cameras: list[Camera]
    visibility: list[float]  # share of the patch area seen, per camera
    target: np.ndarray
    normal: np.ndarray
    patch: SurfacePatch
    framing: str  # "target" (aim at the target) or "standing" (aim above it, person fits)
    relaxed: list[str] = field(default_factory=list)  # rules relaxed to find views, in order
    warnings: list[str] = field(default_factory=list)
    candidates: int = 0  # candidate directions tested in the last stage
    settings: ViewSelectionSettings = field(default_factory=ViewSelectionSettings)


class ViewSelectionError(ValueError):
    """Base class: the target or scene does not allow choosing views."""


class NoViewsError(ViewSelectionError):
    """No camera sees the surface at the target, even after relaxing the rules."""


class TargetNotOnSurfaceError(ViewSelectionError):
    """The target point is not on (or near) any surface of the scene."""

    def __init__(self, message: str, nearest: np.ndarray | None = None, distance: float = math.inf):
        super().__init__(message)
        self.nearest = nearest
        self.distance = distance


# ------------------------------------------------------------------------------------------
# geometry helpers
# ------------------------------------------------------------------------------------------
def fibonacci_directions(n: int) -> np.ndarray:
    """``n`` unit vectors spread evenly on the sphere (golden-angle spiral), deterministic."""
    i = np.arange(n, dtype=np.float64) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    phi = math.pi * (3.0 - math.sqrt(5.0)) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def _faces_in_box(triangles: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    tmin = triangles.min(axis=1)
    tmax = triangles.max(axis=1)
    return np.nonzero(np.all(tmax >= lo, axis=1) & np.all(tmin <= hi, axis=1))[0]


def nearest_surface_point(scene: Any, point: Sequence[float]) -> tuple[np.ndarray, float, int]:
    """Closest point on the scene surface to ``point``: (point, distance, face index)."""
    mesh = as_scene(scene).mesh
    p = np.asarray(point, dtype=np.float64).reshape(3)
    triangles = mesh.triangles
    best = (None, math.inf, -1)
    for reach in (0.25, 1.0, 4.0, math.inf):  # grow the search box until something is found
        if math.isinf(reach):
            idx = np.arange(len(triangles))
        else:
            idx = _faces_in_box(triangles, p - reach, p + reach)
        if len(idx) == 0:
            continue
        closest = trimesh.triangles.closest_point(triangles[idx], np.repeat(p[None], len(idx), axis=0))
        d = np.linalg.norm(closest - p, axis=1)
        k = int(np.argmin(d))
        if d[k] <= reach or math.isinf(reach):
            best = (closest[k], float(d[k]), int(idx[k]))
            break
    if best[0] is None:
        raise ViewSelectionError("the scene has no triangles; load a scene with surfaces in it")
    return best


def build_patch(mesh: trimesh.Trimesh, target: np.ndarray, settings: ViewSelectionSettings) -> SurfacePatch:
    """Connected surface patch within ``patch_radius`` of ``target``.

    The scene near the target is cropped to a small box and subdivided so the patch has
    vertices even on large flat triangles; patch faces touch a vertex within the radius,
    are joined through shared edges, single faces are dropped, and the component closest to
    the target wins. The normal is the vertex normal nearest the target.
    """
    r = settings.patch_radius
    reach = r + 2.0 * settings.subdivide_max_edge
    lo, hi = target - reach, target + reach
    idx = _faces_in_box(mesh.triangles, lo, hi)
    if len(idx) == 0:
        raise TargetNotOnSurfaceError(f"no surface within {r:g} m of the target {np.round(target, 3).tolist()}")
    local = trimesh.Trimesh(mesh.vertices, mesh.faces[idx], process=False)
    local.remove_unreferenced_vertices()
    verts, faces = local.vertices, local.faces
    for axis in range(3):  # crop to the box so large triangles do not explode when subdivided
        for sign, origin in ((1.0, lo), (-1.0, hi)):
            plane_normal = np.zeros(3)
            plane_normal[axis] = sign
            verts, faces, _ = trimesh.intersections.slice_faces_plane(verts, faces, plane_normal, origin)
            if len(faces) == 0:
                raise TargetNotOnSurfaceError(f"no surface within {r:g} m of the target {np.round(target, 3).tolist()}")
    verts, faces = trimesh.remesh.subdivide_to_size(verts, faces, settings.subdivide_max_edge, max_iter=12)
    dense = trimesh.Trimesh(verts, faces, process=True)  # merges split (seam) vertices by position
    dense.update_faces(dense.nondegenerate_faces())
    dense.remove_unreferenced_vertices()

    dist = np.linalg.norm(dense.vertices - target, axis=1)
    near = dist <= r
    if not near.any():
        raise TargetNotOnSurfaceError(f"no surface vertex within {r:g} m of the target {np.round(target, 3).tolist()}")
    face_in = np.nonzero(near[dense.faces].any(axis=1))[0]
    in_set = np.zeros(len(dense.faces), dtype=bool)
    in_set[face_in] = True
    adjacency = dense.face_adjacency
    pairs = adjacency[in_set[adjacency[:, 0]] & in_set[adjacency[:, 1]]]
    components = trimesh.graph.connected_components(pairs, nodes=face_in, min_len=2)
    if len(components) == 0:  # only isolated faces: keep them all rather than nothing
        components = [face_in]
    best = min(components, key=lambda comp: dist[np.unique(dense.faces[comp])].min())
    best = np.sort(np.asarray(best, dtype=np.int64))

    used = np.unique(dense.faces[best])
    remap = np.full(len(dense.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    normal = dense.vertex_normals[int(np.argmin(dist))]
    return SurfacePatch(
        vertices=dense.vertices[used].copy(),
        faces=remap[dense.faces[best]],
        face_normals=dense.face_normals[best].copy(),
        face_areas=dense.area_faces[best].copy(),
        target=np.asarray(target, dtype=np.float64).copy(),
        normal=np.asarray(normal, dtype=np.float64) / max(np.linalg.norm(normal), 1e-12),
    )


def _flipped(patch: SurfacePatch) -> SurfacePatch:
    """The same patch seen from its other side (for surfaces with inverted triangles)."""
    return replace(patch, faces=patch.faces[:, ::-1].copy(), face_normals=-patch.face_normals, normal=-patch.normal)


def _intersector(scene_or_mesh: Any):
    """The scene's cached ray intersector (Embree when available), or a mesh's own."""
    if isinstance(scene_or_mesh, trimesh.Trimesh):
        return scene_or_mesh.ray
    return getattr(scene_or_mesh, "intersector", None) or scene_or_mesh.mesh.ray


def lowest_surface_below(scene: Any, point: np.ndarray, lift: float = 0.05) -> float:
    """Height of the lowest surface straight below ``point`` (its own height if none)."""
    origin = np.asarray(point, dtype=np.float64) + np.array([0.0, 0.0, lift])
    locations, _, _ = _intersector(scene).intersects_location(origin[None], np.array([[0.0, 0.0, -1.0]]), multiple_hits=True)
    if len(locations) == 0:
        return float(point[2])
    return float(min(locations[:, 2].min(), point[2]))


def prompt_implies_standing(prompt: str | None) -> bool:
    """True when the prompt asks for a standing or walking person (and no other posture)."""
    return posture_from_prompt(prompt) == "stand"


# ------------------------------------------------------------------------------------------
# candidates and visibility
# ------------------------------------------------------------------------------------------
def _camera_rotation(forward: np.ndarray) -> np.ndarray:
    """World-to-camera rotation (OpenCV rows x, y, z) looking along ``forward`` with Z up."""
    z = forward / np.linalg.norm(forward)
    x = np.cross(z, WORLD_UP)
    if np.linalg.norm(x) < 1e-9:
        x = np.cross(z, np.array([0.0, 1.0, 0.0]))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def _standing_distance(
    look_at: np.ndarray, direction: np.ndarray, points: np.ndarray, settings: ViewSelectionSettings
) -> float:
    """Smallest distance from ``look_at`` along ``direction`` at which all ``points`` fit.

    The camera orientation does not depend on the distance, so a point's camera coordinates
    are R (X - L) + (0, 0, D) and the fit condition |x| <= t z is linear in D.
    """
    R = _camera_rotation(-direction)
    c = (points - look_at) @ R.T
    f = 0.5 * settings.image_size / math.tan(math.radians(settings.fov_y_deg) / 2.0)
    t = (0.5 - settings.framing_margin) * settings.image_size / f
    need = np.maximum(np.abs(c[:, 0]), np.abs(c[:, 1])) / t - c[:, 2]
    return float(need.max())


# barycentric sample points per patch face for the "samples" visibility test
_FACE_SAMPLES = np.array([[1 / 3, 1 / 3, 1 / 3], [2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]])


def _project_np(cam: Camera, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and depths of world points (plain numpy; same maths as ``project_points``)."""
    c = points @ cam.rotation.T + cam.world_to_camera[:3, 3]
    f = cam.focal
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = np.stack([f * c[:, 0] / c[:, 2] + cam.width / 2.0, f * c[:, 1] / c[:, 2] + cam.height / 2.0], axis=1)
    return uv, c[:, 2]


def patch_visibility(
    scene: Any,
    patch: SurfacePatch,
    cameras: Sequence[Camera],
    tolerance: float = 0.002,
    method: str = "samples",
) -> np.ndarray:
    """Share of the patch area each camera sees, occlusion included (method step 5).

    A patch face counts as seen when it faces the camera and some part of it is visible
    inside the image; the ratio is the seen faces' area over the patch area.

    ``method="samples"`` (default, fast): rays from the camera to four points on every
    facing patch face, cast against the whole scene; a point is visible when nothing is
    hit more than ``tolerance`` before it. ``method="pixels"``: the paper's face-id
    rasterisation emulated exactly, one ray through every pixel centre that can fall on the
    patch, cast against the scene and the patch; a face is seen when it owns a pixel.
    """
    if method not in ("samples", "pixels"):
        raise ValueError(f"visibility method must be 'samples' or 'pixels', not {method!r}")
    ratios = np.zeros(len(cameras))
    if not cameras:
        return ratios
    tri_pts = patch.vertices[patch.faces]  # (F, 3, 3)
    centroids = tri_pts.mean(axis=1)
    origins, directions, owners, lengths, face_of = [], [], [], [], []
    samples = np.einsum("sk,fkj->fsj", _FACE_SAMPLES, tri_pts)  # (F, S, 3)
    for k, cam in enumerate(cameras):
        eye = cam.position
        if method == "samples":
            facing = np.einsum("ij,ij->i", patch.face_normals, eye - centroids) > 0
            faces = np.repeat(np.nonzero(facing)[0], len(_FACE_SAMPLES))
            points = samples[facing].reshape(-1, 3)
            uv, depth = _project_np(cam, points)
            inside = (depth > 1e-3) & (uv[:, 0] >= 0) & (uv[:, 0] <= cam.width) & (uv[:, 1] >= 0) & (uv[:, 1] <= cam.height)
            points, faces = points[inside], faces[inside]
            rays = points - eye
            length = np.linalg.norm(rays, axis=1)
            rays = rays / np.maximum(length[:, None], 1e-12)
            lengths.append(length)
            face_of.append(faces)
        else:
            uv, depth = _project_np(cam, patch.vertices)
            front = depth > 1e-3
            if not front.any():
                continue
            u0, v0 = uv[front].min(axis=0)
            u1, v1 = uv[front].max(axis=0)
            if not front.all():  # patch straddles the camera plane: test the whole image
                u0, v0, u1, v1 = 0.0, 0.0, cam.width, cam.height
            i0, i1 = max(0, math.floor(u0 - 0.5)), min(cam.width - 1, math.ceil(u1 - 0.5))
            j0, j1 = max(0, math.floor(v0 - 0.5)), min(cam.height - 1, math.ceil(v1 - 0.5))
            if i1 < i0 or j1 < j0:
                continue
            ii, jj = np.meshgrid(np.arange(i0, i1 + 1) + 0.5, np.arange(j0, j1 + 1) + 0.5)
            f = cam.focal
            rays_cam = np.stack([(ii.ravel() - cam.width / 2.0) / f, (jj.ravel() - cam.height / 2.0) / f,
                                 np.ones(ii.size)], axis=1)
            rays = rays_cam @ cam.rotation  # camera -> world rotation is R^T
            rays /= np.linalg.norm(rays, axis=1, keepdims=True)
        origins.append(np.repeat(eye[None], len(rays), axis=0))
        directions.append(rays)
        owners.append(np.full(len(rays), k))
    if not origins or sum(len(o) for o in origins) == 0:
        return ratios
    origins = np.concatenate(origins)
    directions = np.concatenate(directions)
    owners = np.concatenate(owners)

    d_scene = np.full(len(origins), np.inf)
    _, ray, loc = _intersector(scene).intersects_id(origins, directions, multiple_hits=False, return_locations=True)
    d_scene[ray] = np.linalg.norm(loc - origins[ray], axis=1)
    if method == "samples":
        lengths = np.concatenate(lengths)
        seen_face = np.concatenate(face_of)
        visible = d_scene >= lengths - tolerance
        seen_face, seen_owner = seen_face[visible], owners[visible]
    else:
        patch_mesh = trimesh.Trimesh(patch.vertices, patch.faces, process=False)
        ptri, pray, ploc = patch_mesh.ray.intersects_id(origins, directions, multiple_hits=False, return_locations=True)
        d_patch = np.linalg.norm(ploc - origins[pray], axis=1)
        visible = d_patch <= d_scene[pray] + tolerance
        seen_face, seen_owner = ptri[visible], owners[pray[visible]]

    total = patch.area
    for k, cam in enumerate(cameras):
        faces = np.unique(seen_face[seen_owner == k])
        if len(faces) == 0:
            continue
        facing = np.einsum("ij,ij->i", patch.face_normals[faces], cam.position - centroids[faces]) > 0
        ratios[k] = patch.face_areas[faces[facing]].sum() / total
    return ratios


@dataclass
class _Stage:
    cameras: list[Camera]
    ratios: np.ndarray
    candidates: int
    capped: int  # standing views where the person could not be fitted within max distance


def _evaluate(scene, patch, target, normal, framing, base_z, settings: ViewSelectionSettings) -> _Stage:
    dirs = fibonacci_directions(settings.num_directions)
    elevation = np.degrees(np.arcsin(np.clip(dirs @ WORLD_UP, -1.0, 1.0)))
    keep = (elevation > settings.min_elevation_deg) & (elevation < settings.max_elevation_deg)
    if settings.use_normal:
        angle = np.degrees(np.arccos(np.clip(dirs @ normal, -1.0, 1.0)))
        keep &= angle < settings.max_normal_angle_deg
    dirs = dirs[keep]

    if framing == "standing":
        look_at = np.array([target[0], target[1], base_z + 0.5 * settings.person_height])
        w = 0.5 * settings.person_width
        corners = np.array(
            [[target[0] + sx * w, target[1] + sy * w, base_z + sz * settings.person_height]
             for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)]
        )
        must_fit = np.vstack([corners, target[None]])
    else:
        look_at = target.copy()

    cameras, capped = [], 0
    for d in dirs:
        dist = settings.distance
        if framing == "standing":
            need = _standing_distance(look_at, d, must_fit, settings)
            if need > settings.max_standing_distance:
                capped += 1
                need = settings.max_standing_distance
            dist = max(dist, need)
        cam = Camera.looking_at(
            look_at + dist * d, look_at, fov_y_deg=settings.fov_y_deg,
            width=settings.image_size, height=settings.image_size,
        )
        cameras.append(cam)
    ratios = patch_visibility(scene, patch, cameras, settings.occlusion_tolerance, settings.visibility_method)
    if framing == "standing" and cameras:
        # the person, not only the floor patch, must be in sight: drop cameras that see
        # too little of the standing person's axis (e.g. stepped back into furniture)
        axis = np.array([[target[0], target[1], base_z + h * settings.person_height] for h in (0.15, 0.35, 0.55, 0.75, 0.95)])
        seen = person_axis_visibility(scene, axis, cameras)
        ratios = np.where(seen >= settings.min_person_visible, ratios, 0.0)
    return _Stage(cameras, ratios, len(dirs), capped)


def person_axis_visibility(scene: Any, points: np.ndarray, cameras: Sequence[Camera]) -> np.ndarray:
    """Share of ``points`` each camera sees without anything in between."""
    eyes = np.stack([c.position for c in cameras])
    origins = np.repeat(eyes, len(points), axis=0)
    targets = np.tile(points, (len(cameras), 1))
    rays = targets - origins
    length = np.linalg.norm(rays, axis=1)
    rays /= length[:, None]
    d = np.full(len(origins), np.inf)
    _, ray, loc = _intersector(scene).intersects_id(origins, rays, multiple_hits=False, return_locations=True)
    d[ray] = np.linalg.norm(loc - origins[ray], axis=1)
    return (d >= length - 1e-3).reshape(len(cameras), len(points)).mean(axis=1)


def _relaxation_steps(settings: ViewSelectionSettings, framing: str):
    """(description, settings) pairs, each step keeping the previous relaxations."""
    current = settings
    if framing != "standing":  # a standing person must fit, so its distance is not shortened
        for d in settings.relax_distances:
            if d < current.distance:
                yield f"distance {current.distance:g} -> {d:g} m", (current := replace(current, distance=d))
    lo, hi = settings.relax_elevation_deg
    if lo < current.min_elevation_deg or hi > current.max_elevation_deg:
        text = (f"elevation band {current.min_elevation_deg:g}..{current.max_elevation_deg:g}"
                f" -> {lo:g}..{hi:g} deg")
        yield text, (current := replace(current, min_elevation_deg=lo, max_elevation_deg=hi))
    for v in settings.relax_min_visibility:
        if v < current.min_visibility:
            yield f"visibility threshold {current.min_visibility:g} -> {v:g}", (current := replace(current, min_visibility=v))


# ------------------------------------------------------------------------------------------
# main entry
# ------------------------------------------------------------------------------------------
def select_views(
    scene: Any,
    target: Sequence[float],
    *,
    normal: Sequence[float] | None = None,
    settings: ViewSelectionSettings | None = None,
    framing: str = "auto",
    prompt: str | None = None,
) -> ViewSelection:
    """Choose cameras around ``target`` from which the surface there is well visible.

    ``scene``: a loaded scene (``geometries``/``mesh``) or a scene file path.
    ``framing``: "target" aims at the target (the paper; seats, beds); "standing" aims above
    it and steps back until a ``person_height`` x ``person_width`` person standing at the
    target fits; "auto" picks "standing" for floor targets or prompts that imply standing.
    Raises :class:`TargetNotOnSurfaceError` for a point in empty air and :class:`NoViewsError`
    when no view passes even after relaxation.
    """
    settings = settings or ViewSelectionSettings()
    if framing not in ("auto", "target", "standing"):
        raise ValueError(f"framing must be 'auto', 'target' or 'standing', not {framing!r}")
    scene = as_scene(scene)
    mesh = scene.mesh
    p = np.asarray(target, dtype=np.float64).reshape(-1)
    if p.shape != (3,) or not np.all(np.isfinite(p)):
        raise ValueError(f"the target must be three finite numbers x y z (metres), got {target!r}")
    warnings: list[str] = []

    nearest, gap, _ = nearest_surface_point(scene, p)
    if gap > settings.snap_distance:
        raise TargetNotOnSurfaceError(
            f"the target {np.round(p, 3).tolist()} is not on a surface: the nearest surface is "
            f"{gap:.2f} m away at {np.round(nearest, 3).tolist()}. Pick a point on a surface "
            f"(a seat, the floor, a table top) or use that nearest point.",
            nearest=nearest, distance=gap,
        )
    if gap > 1e-3:
        warnings.append(f"target moved {gap:.3f} m onto the nearest surface at {np.round(nearest, 3).tolist()}")
        p = nearest

    patch = build_patch(mesh, p, settings)
    if normal is not None:
        n = np.asarray(normal, dtype=np.float64).reshape(3)
        if not np.all(np.isfinite(n)) or np.linalg.norm(n) < 1e-9:
            raise ValueError(f"the normal must be a non-zero vector x y z, got {normal!r}")
        n = n / np.linalg.norm(n)
    else:
        n = patch.normal

    base_z = lowest_surface_below(scene, p)
    on_floor = p[2] - base_z <= settings.floor_tolerance
    if framing == "auto":
        framing = "standing" if (on_floor or prompt_implies_standing(prompt)) else "target"
    if on_floor:
        base_z = float(p[2])  # the person stands at the target; otherwise on the floor below it

    relaxed: list[str] = []
    stage = _evaluate(scene, patch, p, n, framing, base_z, settings)
    used = settings
    passing = np.nonzero(stage.ratios > used.min_visibility)[0]
    if len(passing) < settings.min_views:
        # triangles facing into the object (inverted winding) look like a hidden surface:
        # try the other side before relaxing any rule
        other = _flipped(patch)
        other_n = other.normal if normal is None else n  # a normal the user gave is kept
        other_stage = _evaluate(scene, other, p, other_n, framing, base_z, settings)
        other_passing = np.nonzero(other_stage.ratios > used.min_visibility)[0]
        if len(other_passing) > len(passing):
            patch, n, stage, passing = other, other_n, other_stage, other_passing
            warnings.append("the surface at the target faces into its object (inverted triangles?); "
                            "used its other side")
    if len(passing) < settings.min_views:
        for text, step_settings in _relaxation_steps(settings, framing):
            relaxed.append(text)
            used = step_settings
            stage = _evaluate(scene, patch, p, n, framing, base_z, used)
            passing = np.nonzero(stage.ratios > used.min_visibility)[0]
            if len(passing) >= settings.min_views:
                break
    if len(passing) == 0:
        raise NoViewsError(
            f"no camera sees the surface at the target {np.round(p, 3).tolist()} well enough, even after "
            f"relaxing ({'; '.join(relaxed) or 'nothing to relax'}). The spot is probably enclosed or "
            f"hidden (inside a cupboard, under furniture, against a wall). Move the target onto an open "
            f"surface that can be seen from around it, or place the cameras by hand."
        )
    if relaxed:
        warnings.append("no view passed the paper's rules; relaxed: " + "; ".join(relaxed))

    order = passing[np.argsort(-stage.ratios[passing], kind="stable")][: settings.max_views]
    cameras = []
    for k, i in enumerate(order):
        cam = stage.cameras[i]
        cam.name = f"view_{k:02d}"
        cameras.append(cam)
    if framing == "standing" and stage.capped:
        warnings.append(
            f"a standing person does not fully fit in some candidate views within {settings.max_standing_distance:g} m"
        )
    if len(cameras) < settings.max_views and len(cameras) < 8:
        warnings.append(f"only {len(cameras)} views see the target well; results may be less reliable")
    return ViewSelection(
        cameras=cameras,
        visibility=[float(stage.ratios[i]) for i in order],
        target=p,
        normal=n,
        patch=patch,
        framing=framing,
        relaxed=relaxed,
        warnings=warnings,
        candidates=stage.candidates,
        settings=used,
    )
