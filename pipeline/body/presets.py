"""Posture presets (parameter sets) and placing a posed body on a floor or seat.

Presets are written as anatomical angles of Anny's main bones in degrees (the components of
:mod:`pipeline.body.priors`: x/y/z rest axes for spine and legs, where hip flexion is
negative x and knee flexion positive x; flexion/back-axis/twist for arms, flexion positive);
a bone name without side applies to both sides mirrored. A whole-body rotation lays the
body down for the lying postures. ``place_body`` then turns the body
to face a direction and moves it so that its contact region meets a target surface point:

* standing, crouching, leaning, walking_step, reaching: the soles on the target (floor) height, the
  pelvis above the target point;
* sitting_chair, sitting_floor: the lowest point of the buttocks/thighs on the target
  (seat or floor) height, the pelvis above the target point;
* lying_back, lying_side: the lowest body point on the target height, pelvis above target.

Yaw convention: ``facing_yaw_deg`` rotates the body about +Z; 0 faces -Y (Anny's rest
direction), 90 faces +X, 180 faces +Y. :func:`yaw_facing` converts a direction.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from pipeline.core.rotations import axis_angle_to_matrix, euler_matrix, matrix_to_rot6d, rot6d_to_matrix

ARMS_DOWN = {"upperarm01": (0, 30, 0), "lowerarm01": (-20, 0, 0)}  # Anny rests with elbows ~43 deg bent

POSTURES: dict[str, dict] = {
    "standing": {"bones": dict(ARMS_DOWN), "body": ("x", (0,)), "contact": "feet"},
    "sitting_chair": {
        "bones": {
            "upperleg01": (-90, 4, 0), "lowerleg01": (90, 0, 0),
            "spine03": (4, 0, 0), "spine01": (3, 0, 0), "neck01": (5, 0, 0),
            "upperarm01": (25, 30, 0), "lowerarm01": (45, 0, 0),
        },
        "body": ("x", (0,)),
        "contact": "seat",
    },
    "sitting_floor": {
        "bones": {
            "upperleg01": (-85, -8, 0), "lowerleg01": (15, 0, 0),
            "spine04": (4, 0, 0), "spine02": (4, 0, 0),
            "upperarm01": (-25, 20, 0), "lowerarm01": (5, 0, 0),
        },
        "body": ("x", (-8,)),
        "contact": "lowest",
    },
    "crouching": {
        "bones": {
            "upperleg01": (-115, 12, 0), "lowerleg01": (135, 0, 0), "foot": (-20, 0, 0),
            "spine05": (6, 0, 0), "spine04": (6, 0, 0), "spine03": (6, 0, 0), "spine02": (6, 0, 0),
            "spine01": (6, 0, 0), "neck01": (-10, 0, 0),
            "upperarm01": (50, 20, 0), "lowerarm01": (40, 0, 0),
        },
        "body": ("x", (0,)),
        "contact": "feet",
    },
    "lying_back": {
        "bones": {"upperarm01": (0, 25, 0), "lowerarm01": (-30, 0, 0), "lowerleg01": (5, 0, 0)},
        "body": ("x", (-90,)),
        "contact": "lowest",
    },
    "lying_side": {
        "bones": {
            "upperleg01": (-40, 0, 0), "lowerleg01": (55, 0, 0),
            "upperarm01": (50, 30, 0), "lowerarm01": (40, 0, 0), "neck01": (5, 0, 0),
        },
        "body": ("y", (90,)),
        "contact": "lowest",
    },
    "leaning": {
        "bones": {
            "upperleg01": (-25, 0, 0),
            "spine05": (8, 0, 0), "spine04": (8, 0, 0), "spine03": (8, 0, 0),
            "spine02": (6, 0, 0), "spine01": (4, 0, 0), "neck01": (-10, 0, 0), "head": (-10, 0, 0),
            "upperarm01": (55, 25, 0), "lowerarm01": (20, 0, 0),
        },
        "body": ("x", (0,)),
        "contact": "feet",
    },
    "walking_step": {
        "bones": {
            "upperleg01.L": (-25, 0, 0), "lowerleg01.L": (10, 0, 0), "foot.L": (-10, 0, 0),
            "upperleg01.R": (15, 0, 0), "lowerleg01.R": (25, 0, 0), "foot.R": (15, 0, 0),
            "upperarm01.L": (-20, 30, 0), "upperarm01.R": (25, 30, 0),
            "lowerarm01.L": (15, 0, 0), "lowerarm01.R": (35, 0, 0),
        },
        "body": ("x", (0,)),
        "contact": "feet",
    },
    "reaching": {
        "bones": {
            "upperarm01.R": (95, -25, 0), "lowerarm01.R": (-35, 0, 0),
            "upperarm01.L": (0, 30, 0), "lowerarm01.L": (-20, 0, 0),
            "spine02": (3, 4, 0), "spine01": (3, 4, 0), "head": (-10, 0, 0),
        },
        "body": ("x", (0,)),
        "contact": "feet",
    },
}  # fmt: skip

PRESET_NAMES: tuple[str, ...] = tuple(POSTURES)
_SEAT_BONES = ("root", "pelvis.L", "pelvis.R", "upperleg01.L", "upperleg01.R", "upperleg02.L",
               "upperleg02.R", "spine05")


def yaw_facing(direction_xy) -> float:
    """The ``facing_yaw_deg`` that makes the body face ``direction_xy`` (x, y)."""
    dx, dy = float(direction_xy[0]), float(direction_xy[1])
    # Rz(yaw) applied to (0, -1) gives (sin yaw, -cos yaw).
    return math.degrees(math.atan2(dx, -dy))


def preset_params(body, posture: str, batch: int = 1, shape: torch.Tensor | None = None) -> dict:
    """Parameters of ``body`` in ``posture`` at the origin (pelvis at 0), rest-facing (-Y)."""
    if posture not in POSTURES:
        raise ValueError(f"Unknown posture {posture!r}; choose from {PRESET_NAMES}.")
    spec = POSTURES[posture]
    params = body.init_params(batch)
    if shape is not None:
        params["shape"] = torch.as_tensor(shape, dtype=torch.float32, device=body.device).expand_as(params["shape"]).clone()
    for bone, angles in spec["bones"].items():
        sides = [bone] if bone.endswith((".L", ".R")) or bone in body.main_bones else [f"{bone}.L", f"{bone}.R"]
        for b in sides:
            body.set_bone_anatomical(params, b, angles)
    axes, degs = spec["body"]
    r = euler_matrix(axes, degs).to(body.device)
    params["orientation"] = matrix_to_rot6d(r).expand(batch, 6).clone()
    return params


def contact_kind(posture: str) -> str:
    return POSTURES[posture]["contact"]


def _seat_vertex_mask(body) -> np.ndarray:
    names = body.bone_names
    seat = [names.index(b) for b in _SEAT_BONES if b in names]
    return np.isin(body.dominant_bones(), seat)


def place_body(
    params: dict,
    body,
    target_point,
    facing_yaw_deg: float = 0.0,
    posture: str = "standing",
) -> dict:
    """A copy of ``params`` turned to ``facing_yaw_deg`` and moved onto ``target_point``.

    The posture's own orientation (lying down) is kept and the yaw applied on top; the
    pelvis ends up above ``target_point`` (x, y) and the contact region (see module doc) at
    ``target_point``'s height.
    """
    target = np.asarray(target_point, dtype=np.float64).reshape(3)
    out = {k: v.detach().clone() for k, v in params.items()}
    yaw = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.radians(facing_yaw_deg)])).to(body.device)
    r = rot6d_to_matrix(out["orientation"])
    out["orientation"] = matrix_to_rot6d(yaw @ r)
    out["translation"] = torch.zeros_like(out["translation"])
    with torch.no_grad():
        verts = body(out).vertices.cpu().numpy()
    kind = contact_kind(posture)
    for i in range(verts.shape[0]):
        v = verts[i]
        if kind == "seat":
            mask = _seat_vertex_mask(body)
            z_contact = v[mask, 2].min() if mask.any() else v[:, 2].min()
        else:
            z_contact = v[:, 2].min()
        out["translation"][i] = torch.tensor([target[0], target[1], target[2] - z_contact], dtype=torch.float32)
    return out


def posed_body(body, posture: str, target_point, facing_yaw_deg: float = 0.0, shape=None) -> dict:
    """Shortcut: ``place_body(preset_params(body, posture), ...)``."""
    return place_body(preset_params(body, posture, shape=shape), body, target_point, facing_yaw_deg, posture)
