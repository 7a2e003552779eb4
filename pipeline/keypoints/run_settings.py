"""The keypoints section of a run's settings."""

from __future__ import annotations

from dataclasses import dataclass

WHILE_PAINTING = ("auto", "on", "off")


@dataclass
class KeypointSettings:
    min_valid_joints: int | None = None  # None: the detector's default (13 of 17)
    # detect a painted set's keypoints while the next sets are painted: "auto" when painting
    # runs on a GPU (the detector then uses the otherwise idle CPU), "on", "off"
    while_painting: str = "auto"

    def problems(self) -> list[str]:
        out = []
        if self.min_valid_joints is not None and not 1 <= self.min_valid_joints <= 17:
            out.append("keypoints.min_valid_joints must lie between 1 and 17")
        if self.while_painting not in WHILE_PAINTING:
            out.append(f"keypoints.while_painting must be one of {', '.join(WHILE_PAINTING)}")
        return out
