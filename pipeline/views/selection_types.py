"""What view selection works with: its settings, the surface patch it judges, its result, its errors.

Every number of the selection is a field of :class:`ViewSelectionSettings`; the defaults are
the paper's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the settings tree and ``genzi --help`` read FRAMINGS without loading torch
    from pipeline.views.cameras import Camera

#: How the cameras aim: "auto" chooses, "target" aims at it, "standing" aims above so a person fits.
FRAMINGS = ("auto", "target", "standing")


@dataclass
class ViewSelectionSettings:
    """All numbers of the view selection; defaults follow the paper's configuration."""

    num_directions: int = 256  # Fibonacci sphere samples
    min_elevation_deg: float = 0.0  # camera direction above the horizontal through the aim point (exclusive)
    max_elevation_deg: float = 30.0  # (exclusive)
    use_normal: bool = True
    max_normal_angle_deg: float = 135.0  # keep directions strictly closer than this to the surface normal
    distance: float = 2.0  # metres from the aim point
    fov_y_deg: float = 60.0
    image_size: int = 512  # square images
    patch_radius: float = 0.15  # metres: the connected surface patch around the target
    subdivide_max_edge: float = 0.04  # local subdivision so the patch has enough vertices
    min_visibility: float = 0.4  # keep views that see more than this share of the patch area
    max_views: int = 16
    min_views: int = 1  # fewer passing views than this triggers relaxation
    occlusion_tolerance: float = 0.002  # metres: the patch counts as seen when no surface is this much nearer
    visibility_method: str = "samples"  # "samples" (rays to points on patch faces) or "pixels" (face-id raster)
    # surfaces
    snap_distance: float = 0.10  # a target farther than this from every surface is "in the air"
    # framing for a standing person
    floor_tolerance: float = 0.15  # target this close above the lowest surface under it is "on the floor"
    person_height: float = 1.9
    person_width: float = 0.9
    framing_margin: float = 0.05  # share of the image width kept free on every side of the person
    max_standing_distance: float = 6.0
    min_person_visible: float = 0.6  # share of the standing person's axis a standing-framed view must see
    # relaxation steps, tried in this order (each keeps the previous ones)
    relax_distances: tuple[float, ...] = (1.5, 1.0)
    relax_elevation_deg: tuple[float, float] = (-10.0, 60.0)
    relax_min_visibility: tuple[float, ...] = (0.25, 0.1)


@dataclass
class SurfacePatch:
    """The connected surface within ``patch_radius`` of the target (subdivided locally)."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3)
    face_normals: np.ndarray  # (F, 3)
    face_areas: np.ndarray  # (F,)
    target: np.ndarray  # (3,) the target actually used (after snapping onto the surface)
    normal: np.ndarray  # (3,) unit vertex normal nearest the target

    @property
    def area(self) -> float:
        return float(self.face_areas.sum())

    @property
    def face_count(self) -> int:
        return int(len(self.faces))

    def info(self) -> dict:
        return {"faces": self.face_count, "vertices": int(len(self.vertices)), "area_m2": self.area}


@dataclass
class ViewSelection:
    """Chosen cameras (``view_00`` ...), best first, and how they were chosen."""

    cameras: list[Camera]
    visibility: list[float]  # share of the patch area seen, per camera
    target: np.ndarray
    normal: np.ndarray
    patch: SurfacePatch
    framing: str  # "target" (aim at the target) or "standing" (aim above it, person fits)
    relaxed: list[str] = field(default_factory=list)  # rules relaxed to find views, in order
    warnings: list[str] = field(default_factory=list)
    candidates: int = 0  # candidate directions tested in the last stage
    settings: ViewSelectionSettings = field(default_factory=ViewSelectionSettings)


class ViewSelectionError(ValueError):
    """Base class: the target or scene does not allow choosing views."""


class NoViewsError(ViewSelectionError):
    """No camera sees the surface at the target, even after relaxing the rules."""


class TargetNotOnSurfaceError(ViewSelectionError):
    """The target point is not on (or near) any surface of the scene."""

    def __init__(self, message: str, nearest: np.ndarray | None = None, distance: float = math.inf):
        super().__init__(message)
        self.nearest = nearest
        self.distance = distance
