"""Loss terms of the multi-view fit, as plain differentiable functions."""

from __future__ import annotations

import torch

from pipeline.views.cameras import project_points


def gmof(residual: torch.Tensor, rho: float) -> torch.Tensor:
    """Geman-McClure: rho^2 r^2 / (r^2 + rho^2). Quadratic near 0, saturates at rho^2."""
    r2 = residual * residual
    return (rho * rho) * r2 / (r2 + rho * rho)


def per_view_reprojection(
    keypoints3d: torch.Tensor,
    K: torch.Tensor,
    world_to_camera: torch.Tensor,
    observed_xy: torch.Tensor,
    weights: torch.Tensor,
    image_scale: torch.Tensor,
    rho: float,
) -> torch.Tensor:
    """Per view and joint, a_vj * [GMoF(dx) + GMoF(dy)] in image-size units.

    keypoints3d (J, 3), or (V, J, 3) one set per view; K (V, 3, 3); world_to_camera (V, 4, 4); observed_xy (V, J, 2) pixels
    (ignored entries may hold anything finite); weights (V, J) = detector score x group mask,
    zero where a keypoint is missing; image_scale (V,) pixels per unit (the paper divides by
    512, the image size). Returns (V, J). A joint behind a camera gets no weight.
    """
    uv, depth = project_points(keypoints3d, K, world_to_camera)
    d = (uv - observed_xy) / image_scale[:, None, None]
    e = gmof(d, rho).sum(-1)
    in_front = (depth > 1e-3).to(e.dtype)
    return weights * in_front * e


def normalised_view_weights(logits: torch.Tensor, active: torch.Tensor, view_mask: torch.Tensor):
    """(s, s / sum s) per set with s = sigmoid(logits); uniform weights for the sets whose
    confidences are off (``active`` False). logits, view_mask (N, M); active (N,) bool.
    Padded views (mask 0) weigh nothing."""
    s = torch.where(active[:, None], torch.sigmoid(logits), torch.ones_like(logits)) * view_mask
    return s, s / s.sum(-1, keepdim=True).clamp(min=1e-8)


def view_hinge(s: torch.Tensor, floor: torch.Tensor) -> torch.Tensor:
    """max(0, floor - sum s) per set: keeps enough views trusted so the weights cannot all shrink."""
    return torch.relu(floor - s.sum(-1))


def batched_reprojection(keypoints3d: torch.Tensor, batch, rho: float) -> torch.Tensor:
    """(N, M, J) robust reprojection of each set's keypoints (N, J, 3) into its M views."""
    n, m = batch.xy.shape[:2]
    j = keypoints3d.shape[1]
    points = keypoints3d[:, None].expand(n, m, j, 3).reshape(n * m, j, 3)
    e = per_view_reprojection(points, batch.K.reshape(-1, 3, 3), batch.w2c.reshape(-1, 4, 4),
                              batch.xy.reshape(n * m, j, 2), batch.conf.reshape(n * m, j),
                              batch.scale.reshape(-1), rho)
    return e.reshape(n, m, j)


def scene_terms(sdf_values: torch.Tensor, tau: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Penetration and contact from SDF samples at the body vertices (paper terms 5 and 6).

    Penetration: mean of (tau - sdf) over the vertices deeper than tau, zero if none.
    Contact: if no vertex is below tau, the gap (min sdf - tau) that pulls the body onto the
    nearest surface; zero as soon as something touches.
    Written without a data-dependent branch, so a GPU fit never waits to read ``n_inside``.
    ``sdf_values`` (..., n): leading dimensions (hypothesis sets) are kept, one value each.
    """
    inside = (sdf_values < tau).to(sdf_values.dtype)
    n_inside = inside.sum(-1)
    penetration = ((tau - sdf_values) * inside).sum(-1) / n_inside.clamp(min=1.0)  # 0 when nothing is inside
    contact = (sdf_values.amin(-1) - tau) * (n_inside == 0).to(sdf_values.dtype)  # 0 once something touches
    return penetration, contact
