"""A second look at a person BlazePose missed: the image turned by a quarter.

Why: BlazePose is trained on upright people. A person lying across the image (on a floor
or a sofa, seen from the side) is often not found at all, or with too few joints; the same
image turned by 90 degrees shows them upright, and the landmarks found there are turned
back into the image's own pixels. Only a person whose torso lies across the image is taken
from the turned image: an upright person missed upright was missed for another reason
(hidden by furniture, cut off), and the turned image then gives worse points, not better.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def turn_point(xy: np.ndarray, k: int, w: int, h: int) -> np.ndarray:
    """Pixel (x, y) of an image w x h -> its pixel in ``np.rot90(image, k)`` (k = 1 or 3)."""
    x, y = float(xy[0]), float(xy[1])
    return np.array([y, w - x]) if k == 1 else np.array([h - y, x])


def turn_back(landmarks: np.ndarray, k: int, w: int, h: int) -> np.ndarray:
    """Landmarks (N, >=2) found in ``np.rot90(image, k)`` -> pixels of the w x h image."""
    out = np.array(landmarks, dtype=np.float64, copy=True)
    xr, yr = landmarks[:, 0], landmarks[:, 1]
    if k == 1:
        out[:, 0], out[:, 1] = w - yr, xr
    else:
        out[:, 0], out[:, 1] = yr, h - xr
    return out


# BlazePose landmark indices of the shoulders and hips
_SHOULDERS, _HIPS = (11, 12), (23, 24)


def lies_across(landmarks: np.ndarray) -> bool:
    """Whether the torso (mid-hips to mid-shoulders) runs more across the image than up."""
    axis = landmarks[list(_SHOULDERS), :2].mean(0) - landmarks[list(_HIPS), :2].mean(0)
    return bool(abs(axis[0]) > abs(axis[1]))


def detect_turned(detector, image: np.ndarray, near: Sequence[float] | None, view: str, first):
    """The better of ``first`` (a Keypoints2D) and the detections in the image turned by
    +-90 degrees of a person lying across the image (more confident joints wins; ties keep
    ``first``)."""
    h, w = image.shape[:2]
    best = first
    for k in (1, 3):
        turned = np.ascontiguousarray(np.rot90(image, k))
        near_k = None if near is None else turn_point(np.asarray(near, dtype=np.float64).reshape(2), k, w, h)
        found = detector.detect_upright(turned, near=near_k, view=view)
        if found.landmarks is None or found.num_confident <= best.num_confident:
            continue
        lm = turn_back(found.landmarks, k, w, h)
        if not lies_across(lm):
            continue
        flags = [f for f in found.flags if f != "cut_off"] + ["turned"]
        best = detector.finish(lm, w, h, flags, view)
    return best
