"""How much the fit trusts each detected keypoint: BlazePose's measured reliability.

Why: BlazePose is not equally precise everywhere. On styled renders of bodies the fit never
saw (the hold-out benchmark's tuning half), its median error against the true projected
keypoints was about 3 px on the face, 4 px on shoulders, wrists and ankles, but 6-7 px on
hips and knees and 5-8 px on the toes. A keypoint with twice the noise carries a quarter of
the information, so the reprojection term weights each keypoint by (reference / its median
error) ** ``power``, left and right measured together, clipped to [``low``, ``high``].
"""

from __future__ import annotations

import numpy as np

from pipeline.body.base import KEYPOINT_NAMES

# median pixel error per keypoint (left/right pooled), median over the hold-out tuning cases
# (benchmarks/results/blazepose_bias.json, per_case_median_px of the tuning half)
BLAZEPOSE_MEDIAN_PX: dict[str, float] = {
    "nose": 3.2, "eye": 2.8, "ear": 2.4, "shoulder": 3.9, "elbow": 3.9, "wrist": 3.4,
    "hip": 6.3, "knee": 6.7, "ankle": 4.2, "big_toe": 6.8, "heel": 4.8,
}  # fmt: skip
REFERENCE_PX = 3.9  # the median over keypoints: weight 1


def _part(name: str) -> str:
    for side in ("left_", "right_"):
        if name.startswith(side):
            return name[len(side):]
    return name


def reliability_weights(
    power: float = 1.0, low: float = 0.25, high: float = 2.0, names=KEYPOINT_NAMES
) -> np.ndarray:
    """Per keypoint weight (len(names),); 1 for keypoints without a measurement."""
    out = []
    for n in names:
        px = BLAZEPOSE_MEDIAN_PX.get(_part(n))
        out.append(1.0 if px is None else float(np.clip((REFERENCE_PX / px) ** power, low, high)))
    return np.asarray(out, dtype=np.float64)
