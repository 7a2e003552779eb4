"""The views section of a run's settings: how many cameras, how large, how framed.

The fine rules of the automatic selection stay in :class:`ViewSelectionSettings`; a run only
chooses the few numbers a user changes, and :meth:`ViewSettings.selection_settings` turns
them (plus the target's region radius) into the selection's full settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # the selection pulls in trimesh; settings are also read where no view is selected (``--help``)
    from pipeline.views.selection import ViewSelection, ViewSelectionSettings

from pipeline.views.selection_types import FRAMINGS


@dataclass
class ViewSettings:
    """Defaults are the paper's: 16 views of 512 x 512 pixels."""

    num_views: int = 16
    image_size: int = 512
    framing: str = "auto"  # "auto", "target" (aim at the target) or "standing" (a standing person fits)
    distance: float = 2.0  # metres from the aim point (a standing person may need more)
    fov_y_deg: float = 60.0  # vertical field of view

    def problems(self) -> list[str]:
        out = []
        if self.num_views < 1:
            out.append("views.num_views must be at least 1")
        if self.image_size < 64 or self.image_size % 8:
            out.append("views.image_size must be a multiple of 8 and at least 64")
        if not self.distance > 0:
            out.append("views.distance must be positive (metres)")
        if not 1.0 <= self.fov_y_deg <= 170.0:
            out.append("views.fov_y_deg must lie between 1 and 170 degrees")
        if self.framing not in FRAMINGS:
            out.append(f"views.framing must be one of {', '.join(FRAMINGS)}")
        return out

    def selection_settings(self, radius: float | None = None) -> "ViewSelectionSettings":
        """The selection's settings for this run; ``radius`` (metres, None or 0: the default
        patch) widens the surface patch whose visibility decides which views are kept."""
        from pipeline.views.selection import ViewSelectionSettings

        base = ViewSelectionSettings()
        patch = float(radius) if radius else base.patch_radius
        return replace(base, max_views=int(self.num_views), image_size=int(self.image_size), patch_radius=patch,
                       distance=float(self.distance), fov_y_deg=float(self.fov_y_deg))


def select_target_views(scene: Any, target: Sequence[float], views: ViewSettings, *, radius: float | None = None,
                        normal: Sequence[float] | None = None, prompt: str | None = None) -> "ViewSelection":
    """The automatic views of a run for ``target``: at most ``views.num_views`` cameras of
    ``views.image_size`` pixels, judged on the surface patch of ``radius`` metres (None or 0:
    the default patch). Every caller (the run, the desktop's Select views) goes through here,
    so a preset's view count and the target's region radius always apply."""
    from pipeline.views.selection import select_views

    return select_views(scene, target, normal=normal, settings=views.selection_settings(radius),
                        framing=views.framing, prompt=prompt)
