"""The detected person's mask: BlazePose's segmentation around the person's keypoints.

The crop is the keypoints' box grown by half its size, scaled to 512 pixels as the detector's
own crop look does, so a small person far from the camera is segmented at a useful size and
another person elsewhere in the image stays out of the mask.
"""

from __future__ import annotations

import threading

import numpy as np

_local = threading.local()
CROP_PIXELS = 512


def _segmenter(model_complexity: int = 1):
    pose = getattr(_local, "pose", None)
    if pose is None:
        import mediapipe as mp

        pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=model_complexity,
                                      enable_segmentation=True)
        _local.pose = pose
    return pose


def person_mask(image: np.ndarray, keypoints: np.ndarray, conf: np.ndarray, min_conf: float = 0.3) -> np.ndarray | None:
    """(H, W) bool mask of the person whose keypoints (23, 2) are given, or None when the
    segmenter finds nobody in the crop."""
    import cv2

    image = np.ascontiguousarray(np.asarray(image)[..., :3], dtype=np.uint8)
    h, w = image.shape[:2]
    good = np.isfinite(keypoints).all(1) & (np.asarray(conf) > min_conf)
    if good.sum() < 3:
        return None
    lo, hi = keypoints[good].min(0), keypoints[good].max(0)
    centre, side = (lo + hi) / 2, max(float((hi - lo).max()) * 1.5, 64.0)
    x0, y0 = (np.floor(centre - side / 2)).astype(int)
    x1, y1 = x0 + int(side), y0 + int(side)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 - cx0 < 8 or cy1 - cy0 < 8:
        return None
    crop = image[cy0:cy1, cx0:cx1]
    scale = CROP_PIXELS / max(crop.shape[:2])
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    result = _segmenter().process(big)
    if result.segmentation_mask is None:
        return None
    small = cv2.resize(np.asarray(result.segmentation_mask, dtype=np.float32), (cx1 - cx0, cy1 - cy0),
                       interpolation=cv2.INTER_LINEAR)
    mask = np.zeros((h, w), bool)
    mask[cy0:cy1, cx0:cx1] = small > 0.5
    return mask
