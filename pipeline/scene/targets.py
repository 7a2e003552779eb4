"""Where a person should go: a surface point, its normal and an optional region radius.

A frozen value type so undo/redo can keep old targets around safely and compare them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np


def _vec3(values: Sequence[float], what: str) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.shape != (3,):
        raise ValueError(f"The target {what} needs three numbers (x, y, z), got {arr.size}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"The target {what} must be finite numbers, got {arr.tolist()}.")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


@dataclass(frozen=True)
class Target:
    """A target point in Z-up world metres with the surface normal there.

    ``radius`` > 0 makes it a region (the point plus everything within ``radius`` metres) for
    the later stages; 0 means a single point.
    """

    point: tuple[float, float, float]
    normal: tuple[float, float, float] = (0.0, 0.0, 1.0)
    radius: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", _vec3(self.point, "point"))
        n = np.asarray(_vec3(self.normal, "normal"))
        length = float(np.linalg.norm(n))
        if length < 1e-12:
            raise ValueError("The target normal must not be the zero vector.")
        object.__setattr__(self, "normal", tuple(float(c) for c in n / length))
        r = float(self.radius)
        if not math.isfinite(r) or r < 0:
            raise ValueError(f"The region radius must be 0 or a positive number of metres, got {r}.")
        object.__setattr__(self, "radius", r)

    @property
    def point_array(self) -> np.ndarray:
        return np.asarray(self.point, dtype=np.float64)

    @property
    def normal_array(self) -> np.ndarray:
        return np.asarray(self.normal, dtype=np.float64)

    @property
    def is_region(self) -> bool:
        return self.radius > 0

    def moved(self, point: Sequence[float], normal: Sequence[float] | None = None) -> "Target":
        """The same target (radius kept) at a new point, with a new normal if given."""
        return Target(point, self.normal if normal is None else normal, self.radius)

    def with_radius(self, radius: float) -> "Target":
        return Target(self.point, self.normal, radius)

    def to_dict(self) -> dict:
        return {"point": list(self.point), "normal": list(self.normal), "radius": self.radius}

    @classmethod
    def from_dict(cls, d: dict) -> "Target":
        try:
            return cls(d["point"], d.get("normal", (0.0, 0.0, 1.0)), d.get("radius", 0.0))
        except KeyError as exc:
            raise ValueError(f"A saved target lacks its {exc.args[0]!r} entry.") from None
