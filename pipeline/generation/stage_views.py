"""The ``views`` stage: choose the cameras around the target and render the scene from each."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipeline.core.events import Progress, ViewRendered
from pipeline.generation import stages
from pipeline.generation.errors import GenerationError
from pipeline.generation.run_folder import write_png_atomic

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

log = logging.getLogger("pipeline.generation")


def render_views(run: Run) -> str:
    """Select (or read the given) views, render each, write ``views/``; a view that cannot be
    rendered is left out with a warning."""
    req, settings = run.request, run.settings
    views_file = run.imagination.views_file if run.imagination is not None else None
    if views_file is not None:  # images painted for exported views: use exactly those cameras
        selection = stages.views_from_file(views_file)
    else:
        selection = stages.select_views(run.scene, req.target, req.normal, settings, req.radius, req.prompt)
    for message in selection.warnings:
        run.warn(message, "views")
    total = len(selection.cameras)
    cameras, visibility = [], []
    for i, (camera, vis) in enumerate(zip(selection.cameras, selection.visibility)):
        run.cancel.check()
        try:
            image = stages.render_rgb(run.renderer, camera)
        except Exception as exc:  # noqa: BLE001 - drop this view, keep the others
            log.exception("rendering %s failed", camera.name)
            run.warn(f"{camera.name} could not be rendered ({exc}); the view is left out", "views")
            continue
        write_png_atomic(run.folder.views_dir / f"{camera.name}.png", image)
        cameras.append(camera)
        visibility.append(vis)
        run.emit(ViewRendered(camera.name, image))
        run.emit(Progress("views", i + 1, total, camera.name))
    if not cameras:
        raise GenerationError("None of the selected views could be rendered; see the log for the renderer's error.")
    stages.write_views(
        run.folder.views_dir / "views.json", cameras, selection.target, selection.normal, visibility,
        selection.relaxed,
    )
    run.forget_views()
    return f"{len(cameras)} views" + (f" (relaxed: {', '.join(selection.relaxed)})" if selection.relaxed else "")
