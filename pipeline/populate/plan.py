"""A populate plan: where people go, how many, doing what, with which seeds.

The same JSON drives the desktop's Populate panel, ``genzi populate`` and the project
file. A plan is a list of placements; each placement is a point (with an optional radius),
a polygon drawn on the floor, or "the seats in this polygon", with a prompt or a list of
prompts to draw from, a count and a seed. Every problem a user can make in a plan gets a
message that says what to change (:class:`PlanError`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.populate.regions import area, circle_polygon, polygons_overlap

FORMAT = "genzi-populate-plan/1"
KINDS = ("point", "region", "seats")
PAINTERS = ("diffusion", "known_body")
MAX_PER_PLACEMENT = 1000
MAX_PEOPLE = 5000


class PlanError(ValueError):
    """A plan that cannot be populated; the message says what to change."""


@dataclass
class Placement:
    """One group of people: a place, what they do, how many, and the seed they start from."""

    name: str
    kind: str  # "point", "region" or "seats"
    prompts: list[str]
    count: int | None = 1  # None with kind "seats": every seat in the polygon
    seed: int = 0
    point: list[float] | None = None  # kind "point": (x, y, z)
    radius: float = 0.0  # kind "point": people are spread within this radius (0: exactly there)
    polygon: list[list[float]] | None = None  # kinds "region" and "seats": (x, y) corners

    def outline(self) -> np.ndarray:
        """The floor-plan shape as an (M, 2) polygon (a point's circle is a 24-gon)."""
        if self.kind == "point":
            return circle_polygon(self.point[:2], max(self.radius, 0.3))
        return np.asarray(self.polygon, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: v for k, v in out.items() if v is not None or k == "count"}

    @classmethod
    def from_dict(cls, data: dict[str, Any], index: int = 0) -> "Placement":
        if not isinstance(data, dict):
            raise PlanError(f"placement {index + 1} is not an object with kind, prompts and count.")
        name = str(data.get("name") or f"placement {index + 1}")
        prompts = data.get("prompts", data.get("prompt"))
        if isinstance(prompts, str):
            prompts = [prompts]
        try:
            return cls(
                name=name, kind=str(data.get("kind", "point")), prompts=[str(p) for p in prompts or []],
                count=None if data.get("count", 1) is None else int(data.get("count", 1)), seed=int(data.get("seed", 0)),
                point=None if data.get("point") is None else [float(v) for v in data["point"]],
                radius=float(data.get("radius", 0.0) or 0.0),
                polygon=None if data.get("polygon") is None else [[float(v) for v in p[:2]] for p in data["polygon"]],
            )
        except (TypeError, ValueError) as exc:
            raise PlanError(f"{name!r}: {exc}; count and seed are whole numbers, point is x y z, polygon a list of "
                            "x y corners.") from exc


@dataclass
class PopulatePlan:
    """Placements plus how each person is made (preset, model, painter, spacing)."""

    placements: list[Placement]
    preset: str = "fast"
    model: str | None = None  # None: the default inpainting model
    painter: str = "diffusion"  # "known_body": renders a posed body instead of painting (tests, demos)
    min_spacing: float = 0.7  # metres between two people's targets
    overrides: dict[str, Any] = field(default_factory=dict)
    name: str = "plan"

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "name": self.name, "preset": self.preset, "model": self.model,
                "painter": self.painter, "min_spacing": self.min_spacing, "overrides": dict(self.overrides),
                "placements": [p.to_dict() for p in self.placements]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PopulatePlan":
        if not isinstance(data, dict) or "placements" not in data:
            raise PlanError("This is not a populate plan: it needs a 'placements' list (see `genzi populate --example`).")
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise PlanError(f"Unknown plan format {fmt!r}; this version reads {FORMAT}.")
        placements = [Placement.from_dict(p, i) for i, p in enumerate(data["placements"] or [])]
        return cls(placements=placements, preset=str(data.get("preset") or "fast"), model=data.get("model"),
                   painter=str(data.get("painter") or "diffusion"), min_spacing=float(data.get("min_spacing", 0.7)),
                   overrides=dict(data.get("overrides") or {}), name=str(data.get("name") or "plan"))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def load(cls, path: str | Path) -> "PopulatePlan":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise PlanError(f"Plan file not found: {path}. Write one with `genzi populate --example > plan.json`.") from exc
        except json.JSONDecodeError as exc:
            raise PlanError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg}).") from exc
        return cls.from_dict(data)

    @property
    def requested(self) -> int:
        return sum(p.count or 0 for p in self.placements)

    def check(self) -> None:
        """Raise :class:`PlanError` on what can be told without the scene."""
        if not self.placements:
            raise PlanError("The plan has no placements: add a point or a region with a prompt and a count.")
        if self.painter not in PAINTERS:
            raise PlanError(f"Unknown painter {self.painter!r}; choose one of {', '.join(PAINTERS)}.")
        if not 0.3 <= self.min_spacing <= 5.0:
            raise PlanError(f"min_spacing {self.min_spacing} m is outside 0.3-5 m; people need about 0.6 m each.")
        for p in self.placements:
            _check_placement(p)
        total = self.requested
        if total > MAX_PEOPLE:
            raise PlanError(f"The plan asks for {total} people; one plan holds at most {MAX_PEOPLE}. "
                            "Split the design into several plans.")
        outlines = [p.outline() for p in self.placements]
        for i in range(len(outlines)):
            for j in range(i + 1, len(outlines)):
                if polygons_overlap(outlines[i], outlines[j]):
                    a, b = self.placements[i].name, self.placements[j].name
                    raise PlanError(f"Regions {a!r} and {b!r} overlap; people would be placed twice in the shared "
                                    "area. Move or redraw one of them, or merge them into one placement.")


def _check_placement(p: Placement) -> None:
    where = f"Placement {p.name!r}"
    if p.kind not in KINDS:
        raise PlanError(f"{where}: unknown kind {p.kind!r}; choose point, region or seats.")
    if not p.prompts or not all(s.strip() for s in p.prompts):
        raise PlanError(f"{where} has no prompt: describe what the people do, e.g. 'a woman reading, sitting'.")
    if p.count is None and p.kind != "seats":
        raise PlanError(f"{where}: give a count (only 'seats' placements may leave it empty to fill every seat).")
    if p.count is not None and p.count < 1:
        raise PlanError(f"{where} asks for {p.count} people; ask for at least 1, or remove the placement.")
    if p.count is not None and p.count > MAX_PER_PLACEMENT:
        raise PlanError(f"{where} asks for {p.count} people; one placement takes at most {MAX_PER_PLACEMENT} "
                        "(a large hall at 0.7 m spacing holds a few hundred). Split it into several regions.")
    if p.kind == "point":
        if p.point is None or len(p.point) != 3:
            raise PlanError(f"{where}: a point placement needs 'point': [x, y, z].")
        if p.radius < 0:
            raise PlanError(f"{where}: the radius must be 0 or more metres.")
    else:
        if not p.polygon or len(p.polygon) < 3:
            raise PlanError(f"{where}: a {p.kind} placement needs a polygon with at least 3 corners [[x, y], ...].")
        if area(np.asarray(p.polygon)) < 0.05:
            raise PlanError(f"{where}: the polygon encloses almost no floor ({area(np.asarray(p.polygon)):.2f} m²).")


def example_plan() -> PopulatePlan:
    """A plan for the sample living room that uses every field."""
    return PopulatePlan(
        name="living room, evening",
        preset="fast",
        model=None,
        painter="diffusion",
        min_spacing=0.7,
        overrides={"views.num_views": 8},
        placements=[
            Placement(name="sofa", kind="seats", prompts=["a woman reading a book, sitting on the sofa",
                                                          "a man sitting on the sofa, looking at his phone"],
                      count=2, seed=1, polygon=[[-1.2, -2.75], [1.2, -2.75], [1.2, -1.9], [-1.2, -1.9]]),
            Placement(name="by the door", kind="point", prompts=["a man standing, drinking coffee"],
                      count=1, seed=2, point=[-2.5, 0.3, 0.0], radius=0.4),
            Placement(name="room", kind="region", prompts=["a child standing", "a woman standing, talking"],
                      count=3, seed=3, polygon=[[-2.0, -1.0], [1.5, -1.0], [1.5, 0.6], [-2.0, 0.6]]),
        ],
    )
