"""Up-axis and unit conversion from the pipeline's frame (Z-up, metres) to a file's frame.

Receiving tools disagree: Blender, Rhino, SketchUp and 3ds Max are Z-up; Maya, Unity and
glTF are Y-up; CAD users often want millimetres. Every exporter applies one similarity
transform ``C = scale * A`` to the posed geometry (and conjugates bone matrices by it), so
the conversion lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UP_AXES = ("z", "y")
UNITS = {"m": 1.0, "cm": 100.0, "mm": 1000.0}

# Z-up -> Y-up keeping a right-handed frame: x stays, world up (+z) becomes +y and the
# world's +y (away from the viewer in a Z-up top view) becomes -z (glTF's "forward" is +z).
_Z_TO_Y = np.array(
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
)


def check_up(up: str) -> str:
    up = str(up).lower()
    if up not in UP_AXES:
        raise ValueError(f"Unknown up axis {up!r}: choose one of {', '.join(UP_AXES)}.")
    return up


def check_units(units: str) -> str:
    units = str(units).lower()
    if units not in UNITS:
        raise ValueError(f"Unknown unit {units!r}: choose one of {', '.join(UNITS)}.")
    return units


@dataclass(frozen=True)
class AxesUnits:
    """Target frame of an exported file."""

    up: str = "z"
    units: str = "m"

    def __post_init__(self) -> None:
        object.__setattr__(self, "up", check_up(self.up))
        object.__setattr__(self, "units", check_units(self.units))

    @property
    def scale(self) -> float:
        """File units per metre."""
        return UNITS[self.units]

    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) rotation from Z-up world axes to the file's axes."""
        return _Z_TO_Y.copy() if self.up == "y" else np.eye(3)

    @property
    def matrix(self) -> np.ndarray:
        """(4, 4) similarity transform taking world points (Z-up, m) to file points."""
        m = np.eye(4)
        m[:3, :3] = self.scale * self.rotation
        return m

    def points(self, xyz: np.ndarray) -> np.ndarray:
        """Convert (N, 3) world points to file coordinates."""
        xyz = np.asarray(xyz, dtype=np.float64)
        return (xyz @ self.rotation.T) * self.scale

    def rigid(self, transforms: np.ndarray) -> np.ndarray:
        """Conjugate (..., 4, 4) rigid bone-to-world transforms into the file's frame.

        ``C T C^-1`` keeps the rotation orthonormal (the scale cancels) and scales the
        translation, so skinning in the file frame gives exactly the converted vertices.
        """
        t = np.array(transforms, dtype=np.float64)
        r = self.rotation
        out = t.copy()
        out[..., :3, :3] = r @ t[..., :3, :3] @ r.T
        out[..., :3, 3] = (t[..., :3, 3] @ r.T) * self.scale
        return out
