"""Best guess of a file's up axis and unit from its geometry, with reasons a user can read.

Why geometry: OBJ, PLY, STL and FBX do not reliably say which way is up or what a unit is, and
even glTF files (Y-up metres by specification) are often written by tools that copy Z-up data
unchanged (the bundled sample was written that way by trimesh). Indoor scenes carry a strong
signal: floors, ceilings, seats, shelves and table tops are horizontal, so the up axis is the
axis along which most surface area faces. The unit then follows from the height along that
axis: a room or a piece of furniture is between about 0.4 and 4 m tall.

Rules (documented, deterministic, always overridable by the user):

- Up axis: ``share[i]`` = fraction of the surface area whose normal is within ~25 degrees of
  axis ``i`` (either sign), plus 0.1 for the bounding box's smallest extent when it is at most
  90 % of the middle one (rooms are wider than tall). The geometry decides when the best
  score beats the runner-up by 20 % (glTF: 50 %, because the specification says Y);
  otherwise the format's convention holds (glTF/OBJ/FBX: Y-up, PLY/STL: Z-up).
- Sign of the up axis: more area facing + than - (floors and seats face up; ceilings are
  often missing); when balanced, the side where most horizontal area sits (floor, seats and
  table tops are low, only a ceiling is high; glTF keeps its + direction on this weaker
  evidence); otherwise +.
- Unit: glTF keeps metres unless the height is absurd (< 1 cm or > 200 m). Other formats take
  the metric unit (m, cm, mm) whose height in metres is closest to [0.4 m, 4 m]; metres win
  ties. Inches and feet are never guessed; the user picks them.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.scene.units import UNIT_NAMES, UNIT_TO_METRES, up_axis_rotation

_AXIS_NAMES = ("x", "y", "z")
_FACING_COS = math.cos(math.radians(25.0))
_HEIGHT_WINDOW_M = (0.4, 4.0)
_FLAT_BONUS = 0.1
_CHUNK = 1_000_000  # faces per pass: bounded memory for scenes of millions of triangles


def _area_evidence(vertices: np.ndarray, faces: np.ndarray):
    """Area shares facing either way, +axis and -axis (float32 is plenty for shares), and per
    face: centroid, area, unit normal."""
    v32 = np.asarray(vertices, dtype=np.float32)
    up = np.zeros(3)
    down = np.zeros(3)
    total = 0.0
    centroids, areas, normal_parts = [], [], []
    for start in range(0, len(faces), _CHUNK):
        tri = v32[faces[start:start + _CHUNK]]
        cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        area2 = np.sqrt(np.einsum("ij,ij->i", cross, cross))
        ok = area2 > 0
        normals = cross[ok] / area2[ok, None]
        area = area2[ok].astype(np.float64)
        total += float(area.sum())
        for i in range(3):
            up[i] += area[normals[:, i] > _FACING_COS].sum()
            down[i] += area[normals[:, i] < -_FACING_COS].sum()
        centroids.append(tri[ok].mean(axis=1))
        areas.append(area.astype(np.float32))
        normal_parts.append(normals)
    total = max(total, 1e-30)
    return (
        (up + down) / total, up / total, down / total,
        np.concatenate(centroids).astype(np.float64), np.concatenate(areas), np.concatenate(normal_parts),
    )


def guess_up_axis(vertices: np.ndarray, faces: np.ndarray, convention: str = "y", declared: bool = False) -> tuple[str, list[str]]:
    """Return (up axis such as "z" or "-y", reasons)."""
    reasons: list[str] = []
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    extents = hi - lo
    if len(faces) == 0 or not np.all(np.isfinite(extents)) or extents.max() <= 0:
        return convention, ["no usable geometry; kept the format's convention"]
    share, up, down, centroids, areas, normals = _area_evidence(vertices, faces)
    # A room is wider than it is tall: a small bonus for a clearly smallest bounding-box extent.
    e_order = np.argsort(extents)
    small, mid = int(e_order[0]), int(e_order[1])
    score = share.copy()
    flat = extents[small] <= 0.9 * extents[mid]
    if flat:
        score[small] += _FLAT_BONUS
    order = np.argsort(score)[::-1]
    best, second = int(order[0]), int(order[1])
    need = 1.5 if declared else 1.2
    share_txt = ", ".join(f"{_AXIS_NAMES[i].upper()} {share[i]:.0%}" for i in range(3))
    dims = " x ".join(f"{e:.4g}" for e in extents)
    if not (score[best] >= 0.1 and score[best] >= need * max(score[second], 1e-9)):
        reasons.append(
            f"the geometry is not conclusive (area facing each axis: {share_txt}; size {dims}); "
            f"kept the format's convention ({convention.upper()}-up)"
        )
        return convention, reasons
    axis = best
    text = (
        f"most surface area (floors, seats, shelves) faces along {_AXIS_NAMES[best].upper()} "
        f"(area facing each axis: {share_txt})"
    )
    if flat and small == best:
        text += f" and {_AXIS_NAMES[best].upper()} is the smallest extent ({dims}), as a room's height is"
    reasons.append(text)
    # Sign.
    u, d = up[axis], down[axis]
    sign = 1
    if u > 1.1 * d and u - d > 0.005:
        reasons.append(f"more area faces +{_AXIS_NAMES[axis].upper()} than -{_AXIS_NAMES[axis].upper()} ({u:.0%} vs {d:.0%})")
    elif d > 1.1 * u and d - u > 0.005:
        sign = -1
        reasons.append(f"more area faces -{_AXIS_NAMES[axis].upper()} than +{_AXIS_NAMES[axis].upper()} ({d:.0%} vs {u:.0%}), so the model is upside down")
    else:
        # Where does the horizontal area sit? Floors and furniture tops are low, only a
        # ceiling is high: the area-weighted median height of horizontal faces.
        horizontal = np.abs(normals[:, axis]) > _FACING_COS
        h = centroids[horizontal, axis] if horizontal.any() else centroids[:, axis]
        w = areas[horizontal] if horizontal.any() else np.ones(len(h))
        order_h = np.argsort(h)
        cumulative = np.cumsum(w[order_h])
        median_h = h[order_h][np.searchsorted(cumulative, 0.5 * cumulative[-1])]
        rel = (median_h - lo[axis]) / max(extents[axis], 1e-30)
        if rel < 0.45:
            reasons.append(f"up- and down-facing areas balance; most horizontal area sits low along +{_AXIS_NAMES[axis].upper()} (floors, seats, table tops)")
        elif rel > 0.55 and declared:
            reasons.append("most horizontal area sits high, but glTF's up direction is kept without stronger evidence")
        elif rel > 0.55:
            sign = -1
            reasons.append(f"up- and down-facing areas balance; most horizontal area sits high along +{_AXIS_NAMES[axis].upper()}, so the model looks upside down")
        else:
            reasons.append("no clear sign; assumed the positive direction")
    name = _AXIS_NAMES[axis]
    if declared and (sign, name) != (1, convention):
        reasons.append(
            f"glTF says {convention.upper()}-up, but this file's data are {('-' if sign < 0 else '')}{name.upper()}-up "
            "(its writer copied coordinates without converting)"
        )
    return ("-" if sign < 0 else "") + name, reasons


def guess_unit(height: float, default: str = "m", declared: bool = False) -> tuple[str, list[str]]:
    """Return (unit, reasons) for a scene whose extent along its up axis is ``height`` file units."""
    if not math.isfinite(height) or height <= 0:
        return default, ["the scene has no height; kept the default unit"]
    lo, hi = _HEIGHT_WINDOW_M
    if declared and 0.01 <= height * UNIT_TO_METRES[default] <= 200.0:
        return default, [f"glTF stores {UNIT_NAMES[default]}; the scene is {height * UNIT_TO_METRES[default]:.3g} m tall"]

    def distance(unit: str) -> float:
        h = height * UNIT_TO_METRES[unit]
        if lo <= h <= hi:
            return 0.0
        return abs(math.log10(h / (lo if h < lo else hi)))

    candidates = ["m", "cm", "mm"]
    best = min(candidates, key=lambda u: (distance(u), candidates.index(u)))
    h_m = height * UNIT_TO_METRES[best]
    if best == "m":
        reason = f"the scene is {height:.4g} units tall, a plausible height in metres"
    else:
        reason = (
            f"the scene is {height:.4g} units tall: {height:.4g} m is implausible for a room or "
            f"furniture, {h_m:.3g} m ({UNIT_NAMES[best]}) is plausible"
        )
    return best, [reason]


def guess_from_geometry(vertices: np.ndarray, faces: np.ndarray, convention_up: str, convention_unit: str, declared: bool) -> tuple[str, str, list[str]]:
    """(up_axis, unit, reasons) for merged raw geometry in file coordinates."""
    up_axis, reasons = guess_up_axis(vertices, faces, convention_up, declared)
    rotated = np.asarray(vertices, dtype=np.float64) @ up_axis_rotation(up_axis).T
    height = float(rotated[:, 2].max() - rotated[:, 2].min()) if len(rotated) else 0.0
    unit, unit_reasons = guess_unit(height, convention_unit, declared)
    return up_axis, unit, reasons + unit_reasons
