"""What a run returns and what it writes as ``report.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class FitRecord:
    """One fitted hypothesis set, as stored in ``round_R/fits/set_K.json``."""

    set_name: str
    round: int
    params: dict[str, Any]  # JSON form of the body parameters
    keypoints3d: dict[str, list[float]]
    view_weights: dict[str, float]
    reprojection_px: dict[str, float]
    metrics: dict[str, Any]
    used_views: list[str]
    model: str = "anny"
    seed_set: str | None = None  # round 2: the round-1 set this fit started from
    score: float | None = None
    score_method: str = ""
    warnings: list[str] = field(default_factory=list)
    vertices: np.ndarray | None = None  # (V, 3), kept in memory and in the OBJ only
    faces: np.ndarray | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "set": self.set_name,
            "round": self.round,
            "model": self.model,
            "params": self.params,
            "keypoints3d": self.keypoints3d,
            "metrics": self.metrics,
            "view_weights": self.view_weights,
            "reprojection_px": self.reprojection_px,
            "used_views": self.used_views,
            "seed_set": self.seed_set,
            "score": self.score,
            "score_method": self.score_method,
            "warnings": self.warnings,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "FitRecord":
        return cls(
            set_name=d["set"],
            round=int(d["round"]),
            params=d["params"],
            keypoints3d=d["keypoints3d"],
            view_weights=d.get("view_weights", {}),
            reprojection_px=d.get("reprojection_px", {}),
            metrics=d.get("metrics", {}),
            used_views=list(d.get("used_views", [])),
            model=d.get("model", "anny"),
            seed_set=d.get("seed_set"),
            score=d.get("score"),
            score_method=d.get("score_method", ""),
            warnings=list(d.get("warnings", [])),
        )


@dataclass
class FinalBody:
    """One final body of a run, best first."""

    rank: int
    set_name: str
    round: int
    score: float
    score_method: str
    params: dict[str, Any]
    keypoints3d: dict[str, list[float]]
    metrics: dict[str, Any]
    view_weights: dict[str, float]
    mesh_path: Path
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None


@dataclass
class GenerationResult:
    """The outcome of :func:`run_generation` / :func:`refit_from_images`."""

    run_dir: Path
    bodies: list[FinalBody]
    report_path: Path
    ranking_method: str
    warnings: list[str] = field(default_factory=list)
    stages_run: list[str] = field(default_factory=list)
    stages_skipped: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> FinalBody | None:
        return self.bodies[0] if self.bodies else None
