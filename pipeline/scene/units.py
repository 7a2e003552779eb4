"""Length units and up axes: the two things a mesh file often does not say.

The pipeline works in Z-up metres (right-handed). Files arrive in other units and with other
up axes; these helpers turn a user's (or a guess's) choice into one rigid 4x4 transform.
"""

from __future__ import annotations

import numpy as np

#: Metres per file unit for every unit a user can pick.
UNIT_TO_METRES: dict[str, float] = {
    "m": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "in": 0.0254,
    "ft": 0.3048,
}

UNIT_NAMES: dict[str, str] = {
    "m": "metres",
    "cm": "centimetres",
    "mm": "millimetres",
    "in": "inches",
    "ft": "feet",
}

#: The up axes a user can pick ("+y" is accepted as "y").
UP_AXES: tuple[str, ...] = ("z", "y", "x", "-z", "-y", "-x")

# Rotation (3x3, right-handed, det +1) that maps the named file axis onto +Z.
_UP_TO_Z: dict[str, np.ndarray] = {
    "z": np.eye(3),
    # Y-up (glTF, most DCC tools): (x, y, z) -> (x, -z, y), +90 degrees about X.
    "y": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=float),
    # -Y up: (x, y, z) -> (x, z, -y), -90 degrees about X.
    "-y": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=float),
    # X-up: (x, y, z) -> (-z, y, x), -90 degrees about Y.
    "x": np.array([[0, 0, -1], [0, 1, 0], [1, 0, 0]], dtype=float),
    # -X up: (x, y, z) -> (z, y, -x), +90 degrees about Y.
    "-x": np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=float),
    # Upside down: 180 degrees about X.
    "-z": np.array([[1, 0, 0], [0, -1, 0], [0, 0, -1]], dtype=float),
}


def normalize_up_axis(up_axis: str) -> str:
    """Return the canonical spelling ("z", "-y", ...) or raise ValueError with the choices."""
    key = str(up_axis).strip().lower().replace(" ", "")
    if key.startswith("+"):
        key = key[1:]
    if key not in _UP_TO_Z:
        raise ValueError(f"Unknown up axis {up_axis!r}: choose one of {', '.join(UP_AXES)}.")
    return key


def normalize_unit(unit: str) -> str:
    """Return the canonical unit key ("m", "mm", ...) or raise ValueError with the choices."""
    aliases = {
        "meter": "m", "meters": "m", "metre": "m", "metres": "m",
        "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
        "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
        "inch": "in", "inches": "in", '"': "in",
        "foot": "ft", "feet": "ft", "'": "ft",
    }
    key = str(unit).strip().lower()
    key = aliases.get(key, key)
    if key not in UNIT_TO_METRES:
        raise ValueError(f"Unknown unit {unit!r}: choose one of {', '.join(UNIT_TO_METRES)}.")
    return key


def up_axis_rotation(up_axis: str) -> np.ndarray:
    """3x3 rotation that turns the file's up axis into +Z."""
    return _UP_TO_Z[normalize_up_axis(up_axis)].copy()


def import_transform(up_axis: str, unit: str) -> np.ndarray:
    """4x4 transform from file coordinates to the pipeline's Z-up metres."""
    matrix = np.eye(4)
    matrix[:3, :3] = up_axis_rotation(up_axis) * UNIT_TO_METRES[normalize_unit(unit)]
    return matrix


def declared_unit(metres_per_unit: float, name: str) -> tuple[float, str, str]:
    """How to take a unit a file declares: ``(scale, unit key, reason)``.

    A unit the app knows keeps the geometry in file units (``scale`` 1) under its key, so a
    user's override means what it says; any other unit (decimetres, yards, kilometres, a
    custom factor) is scaled to metres here and reported as such.
    """
    for key, metres in UNIT_TO_METRES.items():
        if abs(metres - metres_per_unit) <= 1e-9 * max(metres, 1.0):
            return 1.0, key, f"the file declares its unit: {name}"
    return float(metres_per_unit), "m", (
        f"the file declares its unit: {name} ({metres_per_unit:g} m), converted to metres"
    )
