"""Evaluation metrics: physical plausibility against the scene SDF, 2D agreement, 3D pose
error and the diversity of a set of results."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch

from pipeline.core.rotations import procrustes_align


def sdf_at(sdf, points: np.ndarray) -> np.ndarray:
    """Signed distances (metres, positive outside) of (N, 3) points from an SDF object."""
    with torch.no_grad():
        pts = torch.as_tensor(np.asarray(points, dtype=np.float32).reshape(-1, 3))
        return sdf.sample(pts).detach().cpu().numpy().astype(np.float64)


def non_collision(sdf, vertices: np.ndarray) -> float:
    """Fraction of body vertices outside or on the scene surface (sdf >= 0)."""
    return float((sdf_at(sdf, vertices) >= 0.0).mean())


def contact(sdf, vertices: np.ndarray, tolerance: float = 0.02) -> bool:
    """Whether any vertex lies within ``tolerance`` metres of the surface or inside it.

    The paper uses tolerance 0 (a vertex at or below the surface); a small positive tolerance
    counts a body resting a centimetre above a seat as touching it.
    """
    return bool((sdf_at(sdf, vertices) <= tolerance).any())


def penetration_depth(sdf, vertices: np.ndarray) -> tuple[float, float]:
    """(max, mean) depth in metres of the vertices inside the scene; (0, 0) when none are."""
    d = sdf_at(sdf, vertices)
    inside = d < 0
    if not inside.any():
        return 0.0, 0.0
    return float(-d[inside].min()), float(-d[inside].mean())


def scene_metrics(sdf, vertices: np.ndarray, contact_tolerance: float = 0.02) -> dict:
    """The per-body physical numbers written to reports."""
    d = sdf_at(sdf, vertices)
    inside = d < 0
    return {
        "non_collision": float((d >= 0).mean()),
        "contact": bool((d <= contact_tolerance).any()),
        "max_penetration_m": float(-d[inside].min()) if inside.any() else 0.0,
        "mean_penetration_m": float(-d[inside].mean()) if inside.any() else 0.0,
        "min_distance_m": float(d.min()),
    }


def reprojection_errors(keypoints3d: np.ndarray, observations: Sequence) -> dict[str, float]:
    """Mean pixel distance per view between projected 3D keypoints and the confident
    (finite, score > 0) detections of that view; NaN for a view without any."""
    out = {}
    for obs in observations:
        uv, depth = obs.camera.project(np.asarray(keypoints3d, dtype=np.float64))
        xy = np.asarray(obs.keypoints, dtype=np.float64)
        conf = np.asarray(obs.conf, dtype=np.float64)
        ok = np.isfinite(xy).all(1) & np.isfinite(conf) & (conf > 0) & (depth > 0)
        out[obs.name] = float(np.linalg.norm(uv[ok] - xy[ok], axis=1).mean()) if ok.any() else float("nan")
    return out


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error in metres, no alignment (world coordinates)."""
    return float(np.linalg.norm(np.asarray(pred) - np.asarray(gt), axis=-1).mean())


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after the best similarity transform (rotation, translation, scale)."""
    aligned = procrustes_align(np.asarray(pred, float), np.asarray(gt, float))
    return mpjpe(aligned, gt)


def diversity(pose_vectors: Iterable[np.ndarray], clusters: Sequence[int] = (20, 50), seed: int = 1) -> dict:
    """The PLACE/COINS diversity protocol: k-means (scipy, numpy seed 1) with 20 and 50
    clusters over pose vectors; entropy (natural log) of the cluster occupancy and mean
    distance of samples to their centroid ("cluster size"). With fewer samples than
    clusters, max(1, N // 10) clusters are used. Higher is more diverse."""
    from scipy.cluster.vq import kmeans, vq

    x = np.asarray([np.ravel(v) for v in pose_vectors], dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError("diversity needs at least one pose vector")
    out = {}
    for k in clusters:
        kk = k if len(x) >= k else max(1, len(x) // 10)
        np.random.seed(seed)
        codebook, _ = kmeans(x, kk)
        labels, dist = vq(x, codebook)
        counts = np.bincount(labels, minlength=len(codebook)).astype(np.float64)
        p = counts[counts > 0] / counts.sum()
        out[f"entropy_{k}"] = float(-(p * np.log(p)).sum())
        out[f"cluster_size_{k}"] = float(dist.mean())
    return out
