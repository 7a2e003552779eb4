"""Start a generation run from cameras the user chose, instead of the automatic view selection.

The desktop app lets the user pick, add and edit cameras before generating. A run folder
whose ``views`` stage is already finished is resumed without selecting views again
(see :mod:`pipeline.generation.orchestrator`), so this module writes that stage's output
(``views/views.json``, one rendered PNG per camera, the stage marker) and the run's
``config.json`` in the orchestrator's shape; ``run_generation(..., resume=True)`` then goes
on from there.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from pipeline.views.cameras import Camera, camera_with_longest_side
from pipeline.core.events import CancelToken, Progress, StageFinished, StageStarted, ViewRendered, Warning, null_sink
from pipeline.generation.config import GenerationRequest
from pipeline.generation.errors import GenerationError
from pipeline.views.run_settings import ViewSettings
from pipeline.generation.run_config import config_dict
from pipeline.generation.run_folder import RunFolder, write_json_atomic, write_png_atomic


def camera_at_image_size(camera: Camera, image_size: int) -> Camera:
    """The camera with its longest image side = ``image_size``, both sides multiples of 8
    (the inpainting model's latent grid), same pose and vertical field of view."""
    return camera_with_longest_side(camera, image_size, multiple=8)


def cameras_for_run(cameras: Sequence[Camera], views: ViewSettings) -> list[Camera]:
    """The cameras as a run uses them: the first ``views.num_views`` (a run never paints
    more views than its settings say), at the run's image size, named ``view_XX`` (the run
    folder's file names; other names are replaced by their position)."""
    used, names = [], set()
    image_size = int(views.image_size)
    for i, cam in enumerate(list(cameras)[: int(views.num_views)]):
        name = cam.name or f"view_{i:02d}"
        if not name.startswith("view_") or name in names:
            name = f"view_{i:02d}"
        names.add(name)
        c = camera_at_image_size(cam, image_size)
        c.name = name
        used.append(c)
    return used


def prepare_run_with_cameras(
    request: GenerationRequest,
    run_dir: str | Path,
    cameras: Sequence[Camera],
    *,
    imagination_description: dict[str, Any],
    normal: Sequence[float] | None = None,
    renderer: Any = None,
    scene: Any = None,
    images: Sequence[np.ndarray] | None = None,
    emit: Callable = null_sink,
    cancel: CancelToken | None = None,
) -> list[Camera]:
    """Write the ``views`` stage for ``cameras`` into an empty ``run_dir``; returns the cameras
    as used (resized to the run's image size). ``images`` are the views already rendered at
    that size (see :func:`cameras_for_run`); otherwise ``renderer`` (a ``SceneRenderer``) or
    ``scene`` renders them. ``imagination_description`` is ``Imagination.describe()`` of the
    source that will paint, so the resumed run accepts the folder."""
    if not cameras:
        raise GenerationError("No cameras: select views (Cameras > Select views) or add a camera first.")
    cancel = cancel or CancelToken()
    folder = RunFolder(run_dir)
    if folder.config_path.exists():
        raise GenerationError(f"{folder.root} already holds a run; choose a new folder.")
    folder.root.mkdir(parents=True, exist_ok=True)
    settings = request.settings()
    used = cameras_for_run(cameras, settings.views)
    if len(used) < len(cameras):
        emit(Warning(f"{len(cameras)} cameras but the settings ask for at most {len(used)} views: "
                     f"the first {len(used)} are used (raise Views in Advanced to use them all)", "views"))
    if images is not None and len(images) != len(used):
        raise GenerationError(f"{len(images)} rendered views for {len(used)} cameras.")
    config = config_dict(request, settings, imagination_description, cameras="chosen by the user",
                         views_written=[cam.name for cam in used])
    write_json_atomic(folder.config_path, config)
    if renderer is None and images is None:
        from pipeline.views.render import SceneRenderer
        from pipeline.scene.scene import load_scene

        renderer = SceneRenderer(scene if scene is not None else load_scene(request.scene))
    emit(StageStarted("views", "your cameras", 0))
    t0 = time.perf_counter()
    for i, cam in enumerate(used):
        cancel.check()
        rgb = np.asarray(images[i] if images is not None else renderer.rgb(cam))
        if rgb.dtype != np.uint8:
            rgb = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
        rgb = np.ascontiguousarray(rgb[..., :3])
        write_png_atomic(folder.views_dir / f"{cam.name}.png", rgb)
        emit(ViewRendered(cam.name, rgb))
        emit(Progress("views", i + 1, len(used), cam.name))
    from pipeline.generation import stages

    target = np.asarray(request.target, float)
    n = np.asarray(normal if normal is not None else (request.normal or (0.0, 0.0, 1.0)), float)
    stages.write_views(folder.views_dir / "views.json", used, target, n, [1.0] * len(used), ["cameras chosen by the user"])
    seconds = time.perf_counter() - t0
    folder.mark_done("views", seconds=seconds, detail=f"{len(used)} views chosen by the user")
    emit(StageFinished("views", f"{len(used)} views", 0, seconds))
    return used
