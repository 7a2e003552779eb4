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

    keypoints3d (J, 3); K (V, 3, 3); world_to_camera (V, 4, 4); observed_xy (V, J, 2) pixels
    (ignored entries may hold anything finite); weights (V, J) = detector score x group mask,
    zero where a keypoint is missing; image_scale (V,) pixels per unit (the paper divides by
    512, the image size). Returns (V, J). A joint behind a camera gets no weight.
    """
    uv, depth = project_points(keypoints3d, K, world_to_camera)
    d = (uv - observed_xy) / image_scale[:, None, None]
    e = gmof(d, rho).sum(-1)
    in_front = (depth > 1e-3).to(e.dtype)
    return weights * in_front * e


def normalised_view_weights(logits: torch.Tensor, active: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, s / sum s) with s = sigmoid(logits); uniform weights when confidences are off."""
    if not active:
        s = torch.ones_like(logits)
    else:
        s = torch.sigmoid(logits)
    return s, s / s.sum().clamp(min=1e-8)


def view_hinge(s: torch.Tensor, floor: float) -> torch.Tensor:
    """max(0, floor - sum s): keeps enough views trusted so the weights cannot all shrink."""
    return torch.relu(floor - s.sum())


def scene_terms(sdf_values: torch.Tensor, tau: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Penetration and contact from SDF samples at the body vertices (paper terms 5 and 6).

    Penetration: mean of (tau - sdf) over the vertices deeper than tau, zero if none.
    Contact: if no vertex is below tau, the gap (min sdf - tau) that pulls the body onto the
    nearest surface; zero as soon as something touches.
    Written without a data-dependent branch, so a GPU fit never waits to read ``n_inside``.
    """
    inside = (sdf_values < tau).to(sdf_values.dtype)
    n_inside = inside.sum()
    penetration = ((tau - sdf_values) * inside).sum() / n_inside.clamp(min=1.0)  # 0 when nothing is inside
    contact = (sdf_values.min() - tau) * (n_inside == 0).to(sdf_values.dtype)  # 0 as soon as something touches
    return penetration, contact
