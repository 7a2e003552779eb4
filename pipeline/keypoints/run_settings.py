"""The keypoints section of a run's settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class KeypointSettings:
    min_valid_joints: int | None = None  # None: the detector's default (13 of 17)

    def problems(self) -> list[str]:
        if self.min_valid_joints is not None and not 1 <= self.min_valid_joints <= 17:
            return ["keypoints.min_valid_joints must lie between 1 and 17"]
        return []
