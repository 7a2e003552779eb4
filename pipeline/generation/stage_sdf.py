"""The ``sdf`` stage: the signed distance grid around the target that the fit and metrics sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.core.events import Progress
from pipeline.generation import stages
from pipeline.generation.obstacles import merge_into_grid

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run


def build_scene_distance(run: Run) -> str:
    """Build the grid (half extent and cell from the lifting settings) and save it."""
    settings = run.settings
    grid, cached = stages.build_sdf(
        run.scene, run.request.target, settings.lifting.sdf_half_extent, settings.lifting.sdf_cell,
        progress=lambda f, message: run.emit(Progress("sdf", int(round(100 * f)), 100, message)),
    )
    grid = merge_into_grid(grid, run.obstacles)
    stages.save_sdf(grid, run.folder.sdf_path)
    run.forget_sdf()
    source = "from the cache" if cached else "built"
    return f"{source}: half extent {settings.lifting.sdf_half_extent} m, cell {settings.lifting.sdf_cell} m"
