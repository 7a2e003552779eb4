"""Where the viewport looks from, as plain numbers a project keeps (position, focal point, up,
vertical view angle), so a reopened project shows the design as it was left."""

from __future__ import annotations

import math
from typing import Any

KEYS = ("position", "focal_point", "up")


def view_state(plotter) -> dict[str, Any]:
    cam = plotter.camera
    return {"position": [float(v) for v in cam.position], "focal_point": [float(v) for v in cam.focal_point],
            "up": [float(v) for v in cam.up], "view_angle": float(cam.view_angle)}


def set_view_state(plotter, state: dict[str, Any] | None) -> bool:
    """Look as ``state`` says; False (the view unchanged) when it is missing or unusable."""
    if not state:
        return False
    try:
        values = {k: [float(v) for v in state[k]] for k in KEYS}
        angle = float(state["view_angle"])
    except (KeyError, TypeError, ValueError):
        return False
    numbers = [v for k in KEYS for v in values[k]] + [angle]
    if any(len(values[k]) != 3 for k in KEYS) or not all(math.isfinite(v) for v in numbers) or not 0 < angle < 180:
        return False
    if values["position"] == values["focal_point"]:
        return False
    cam = plotter.camera
    cam.position, cam.focal_point, cam.up = (tuple(values[k]) for k in KEYS)
    cam.view_angle = angle
    plotter.reset_camera_clipping_range()
    plotter.render()
    return True
