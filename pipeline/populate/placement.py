"""Choosing where each person of a plan stands or sits.

Candidates come from a grid of downward rays over a placement's region (10 cm apart):
a hit on the floor is *walkable* when nothing of the scene is within a body's half-width
from ankle to head height; a hit on a horizontal patch at seat height is a *seat* when the
patch is at least 30 cm across and there is room to sit above it. People are then picked
by farthest-point sampling, so they spread over the region and keep ``min_spacing`` from
each other and from everyone placed before them. A prompt that names sitting goes to a
seat, every other prompt to the floor.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.core.posture_words import posture_from_prompt
from pipeline.populate.plan import Placement, PlanError, PopulatePlan
from pipeline.populate.regions import inside_polygon

GRID_STEP = 0.1  # metres between candidate rays
SEAT_HEIGHT = (0.3, 0.8)  # metres above the floor
BODY_HALF_WIDTH = 0.25  # floor spots need this much free space around a standing body
CLEAR_HEIGHTS = (0.3, 0.6, 1.0, 1.4, 1.75)  # where that free space is checked (above the floor's own reach)
SEAT_ROOM_ABOVE = 0.8  # metres of free space above a seat
SEAT_PATCH = 0.15  # a seat's neighbours this far away must be seat too (a 30 cm patch)


FLOOR_PRESETS = {"lie": "lying_back", "crouch": "crouching"}  # prompt posture -> preset on the floor


@dataclass
class PersonSpec:
    """One person of a populated plan: where, what, which seed, which way they face."""

    index: int
    placement: str
    target: list[float]
    prompt: str
    surface: str  # "seat" or "floor"
    seed: int
    facing_yaw_deg: float

    @property
    def posture(self) -> str:
        """The posed-body preset that matches the prompt (used by the known-body painter)."""
        if self.surface == "seat":
            return "sitting_chair"
        return FLOOR_PRESETS.get(posture_from_prompt(self.prompt), "standing")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PersonSpec":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass
class Candidates:
    points: np.ndarray  # (N, 3) surface points
    surface: np.ndarray  # (N,) "seat" / "floor"


def floor_height(scene) -> float:
    """The height most downward rays over the scene land on (the floor)."""
    lo, hi = scene.bounds
    xs = np.linspace(lo[0], hi[0], 40)[1:-1]
    ys = np.linspace(lo[1], hi[1], 40)[1:-1]
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    z = _drop(scene, grid)[0][:, 2]
    z = z[np.isfinite(z)]
    if not len(z):
        raise PlanError("No floor found: rays from above hit nothing. Is the scene Z-up and in metres?")
    values, counts = np.unique(np.round(z, 2), return_counts=True)
    return float(values[np.argmax(counts)])


def _drop(scene, xy: np.ndarray, top: float | None = None):
    """Cast rays straight down from just under the ceiling; (points, normals), NaN for misses."""
    lo, hi = scene.bounds
    start = (top if top is not None else hi[2] - 0.1)
    origins = np.column_stack([xy, np.full(len(xy), start)])
    hits = scene.raycast(origins, np.tile([0.0, 0.0, -1.0], (len(xy), 1)))
    return hits.points, hits.normals


def candidates(scene, outline: np.ndarray, floor_z: float) -> Candidates:
    """Seat and walkable floor points inside the (M, 2) ``outline``."""
    lo, hi = outline.min(axis=0), outline.max(axis=0)
    xs = np.arange(lo[0] + GRID_STEP / 2, hi[0], GRID_STEP)
    ys = np.arange(lo[1] + GRID_STEP / 2, hi[1], GRID_STEP)
    if not len(xs) or not len(ys):
        return Candidates(np.zeros((0, 3)), np.zeros(0, dtype=object))
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1)  # (X, Y, 2)
    flat = grid.reshape(-1, 2)
    points, normals = _drop(scene, flat, top=floor_z + 2.2)
    points, normals = points.reshape(grid.shape[:2] + (3,)), normals.reshape(grid.shape[:2] + (3,))
    z = points[..., 2] - floor_z
    flat_up = np.nan_to_num(normals[..., 2]) > 0.9
    on_floor = flat_up & (np.abs(z) < 0.03)
    seatish = flat_up & (z > SEAT_HEIGHT[0]) & (z < SEAT_HEIGHT[1])
    seat = seatish.copy()
    k = int(round(SEAT_PATCH / GRID_STEP))
    for dx, dy in ((k, 0), (-k, 0), (0, k), (0, -k)):
        shifted_ok = np.zeros_like(seat)
        shifted_z = np.full_like(z, np.nan)
        src = (slice(max(dx, 0), z.shape[0] + min(dx, 0)), slice(max(dy, 0), z.shape[1] + min(dy, 0)))
        dst = (slice(max(-dx, 0), z.shape[0] + min(-dx, 0)), slice(max(-dy, 0), z.shape[1] + min(-dy, 0)))
        shifted_ok[dst] = seatish[src]
        shifted_z[dst] = z[src]
        seat &= shifted_ok & (np.abs(np.nan_to_num(shifted_z) - z) < 0.06)
    inside = inside_polygon(flat, outline).reshape(grid.shape[:2])
    floor_idx = np.flatnonzero((on_floor & inside).reshape(-1))
    seat_idx = np.flatnonzero((seat & inside).reshape(-1))
    pts = points.reshape(-1, 3)
    floor_pts = pts[floor_idx][_clear_around(scene, pts[floor_idx])]
    seat_pts = pts[seat_idx][_room_above(scene, pts[seat_idx])]
    all_pts = np.concatenate([seat_pts, floor_pts]) if len(seat_pts) or len(floor_pts) else np.zeros((0, 3))
    surface = np.array(["seat"] * len(seat_pts) + ["floor"] * len(floor_pts), dtype=object)
    return Candidates(all_pts, surface)


def _clear_around(scene, pts: np.ndarray) -> np.ndarray:
    if not len(pts):
        return np.zeros(0, dtype=bool)
    ok = np.ones(len(pts), dtype=bool)
    for h in CLEAR_HEIGHTS:
        _, d, _ = scene.closest_points(pts + [0.0, 0.0, h])
        ok &= d > BODY_HALF_WIDTH
    return ok


def _room_above(scene, pts: np.ndarray) -> np.ndarray:
    if not len(pts):
        return np.zeros(0, dtype=bool)
    hits = scene.raycast(pts + [0.0, 0.0, 0.02], np.tile([0.0, 0.0, 1.0], (len(pts), 1)))
    return ~hits.hit | (hits.distances > SEAT_ROOM_ABOVE)


def _facing(scene, point: np.ndarray, surface: str, rng: np.random.Generator) -> float:
    """Seats: towards the open side (free distance of 16 chest-high rays, summed as vectors);
    floor: a seeded random direction."""
    if surface == "floor":
        return float(rng.uniform(-180.0, 180.0))
    angles = np.linspace(0.0, 2.0 * math.pi, 16, endpoint=False)
    dirs = np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=1)
    hits = scene.raycast(np.tile(point + [0.0, 0.0, 0.3], (16, 1)), dirs)
    free = np.minimum(np.where(hits.hit, hits.distances, np.inf), 1.5)
    away = (dirs[:, :2] * free[:, None]).sum(axis=0)
    if np.linalg.norm(away) < 1e-6:
        return 0.0
    return math.degrees(math.atan2(away[0], -away[1]))  # the body's rest pose faces -Y


def _farthest(points: np.ndarray, taken: list[np.ndarray], count: int, spacing: float) -> list[int]:
    """Indices of ``count`` points, each as far as possible from the others (>= spacing)."""
    chosen: list[int] = []
    if not len(points):
        return chosen
    d = np.full(len(points), np.inf)
    for t in taken:
        d = np.minimum(d, np.linalg.norm(points[:, :2] - t[:2], axis=1))
    for _ in range(count):
        if not chosen and not taken:  # start at the edge: a row of seats then fills end, end, middle
            pick = int(np.argmax(np.linalg.norm(points[:, :2] - points[:, :2].mean(axis=0), axis=1)))
        else:
            pick = int(np.argmax(d))
            if d[pick] < spacing:
                break
        chosen.append(pick)
        d = np.minimum(d, np.linalg.norm(points[:, :2] - points[pick, :2], axis=1))
    return chosen


def place_people(plan: PopulatePlan, scene) -> list[PersonSpec]:
    """Every person of ``plan`` with a target on a seat or the floor; :class:`PlanError` if impossible."""
    plan.check()
    floor_z = floor_height(scene)
    people: list[PersonSpec] = []
    for placement in plan.placements:
        people += _place(placement, plan, scene, floor_z, [np.asarray(p.target) for p in people], len(people))
    return people


def _place(p: Placement, plan: PopulatePlan, scene, floor_z: float, taken: list, start: int) -> list[PersonSpec]:
    rng = np.random.default_rng(p.seed)
    if p.kind == "point" and p.radius == 0:
        if (p.count or 1) > 1:
            raise PlanError(f"Placement {p.name!r} is a single point but asks for {p.count} people; give it a radius "
                            "(about 0.5 m per person) or draw a region.")
        hit, _ = _drop(scene, np.asarray([p.point[:2]]), top=p.point[2] + 1.0)
        target = hit[0] if np.all(np.isfinite(hit[0])) else np.asarray(p.point, dtype=float)
        surface = "seat" if target[2] - floor_z > SEAT_HEIGHT[0] else "floor"
        return [PersonSpec(start, p.name, [float(v) for v in target], p.prompts[0], surface, p.seed,
                           _facing(scene, target, surface, rng))]
    cands = candidates(scene, p.outline(), floor_z)
    sitting = [s for s in p.prompts if p.kind == "seats" or posture_from_prompt(s) == "sit"]
    seat_spacing = min(plan.min_spacing, 0.65)  # people sit closer than they stand
    count = p.count
    if count is None:  # every seat: as many people as the seats hold
        count = len(_farthest(cands.points[cands.surface == "seat"], list(taken), MAX_FIT, seat_spacing))
    prompts = [p.prompts[k % len(p.prompts)] for k in range(count)]
    wants_seat = [p.kind == "seats" or posture_from_prompt(s) == "sit" for s in prompts]
    seats = cands.points[cands.surface == "seat"]
    floor = cands.points[cands.surface == "floor"]
    if sitting and not len(seats):
        raise PlanError(f"Placement {p.name!r} has no seat for the sitting prompt {sitting[0]!r}: no horizontal surface "
                        "at seat height with room above lies inside it. Draw the region over a sofa, chair or bench, "
                        "or change the prompt to standing.")
    if count == 0 or (p.count is None and not len(seats)):
        raise PlanError(f"Placement {p.name!r} asks for every seat, but there is no seat inside it.")
    out: list[PersonSpec] = []
    for surface, pool, need in (("seat", seats, sum(wants_seat)), ("floor", floor, count - sum(wants_seat))):
        if need == 0:
            continue
        spacing = plan.min_spacing if surface == "floor" else seat_spacing
        picked = _farthest(pool, taken + [np.asarray(o.target) for o in out], need, spacing)
        if len(picked) < need:
            fits = len(_farthest(pool, taken + [np.asarray(o.target) for o in out], MAX_FIT, spacing))
            where = "seats" if surface == "seat" else "free floor"
            raise PlanError(f"Placement {p.name!r} asks for {need} people on {where}, but only {fits} fit there "
                            f"{spacing:.2f} m apart (besides the people already placed). Lower the count to {fits}, "
                            "draw a larger region, or lower min_spacing.")
        texts = [s for s, w in zip(prompts, wants_seat) if w == (surface == "seat")]
        for j, (i, text) in enumerate(zip(picked, texts)):
            target = pool[i]
            out.append(PersonSpec(start + len(out), p.name, [float(v) for v in target], text, surface,
                                  p.seed * 1000 + len(out), _facing(scene, target, surface, rng)))
    return out


MAX_FIT = 2000
