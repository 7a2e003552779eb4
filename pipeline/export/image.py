"""Presentation images: any camera (the viewport's, a selected view) rendered to a PNG.

Uses the pipeline's own off-screen renderer (:mod:`pipeline.views.render`) so the image looks like
the viewport and the views the method rendered. Resolution is independent of the camera's:
the vertical field of view and pose are kept and the aspect follows the requested size.
Optional supersampling renders larger and downsizes for smoother edges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.views.cameras import Camera
from pipeline.views.cameras import resized_camera
from pipeline.export.bodies import as_export_body
from pipeline.export.errors import ExportError

MAX_SIDE = 8192  # off-screen GL buffers beyond this fail on many drivers


def check_image_size(camera: Camera) -> Camera:
    """``camera``, refused when its image would be too small to see anything or too large for
    an off-screen buffer (resize with :func:`pipeline.views.cameras.resized_camera`)."""
    if not (16 <= camera.width <= MAX_SIDE and 16 <= camera.height <= MAX_SIDE):
        raise ValueError(f"Image size {camera.width} x {camera.height} is out of range: each side must be "
                         f"16..{MAX_SIDE} pixels.")
    return camera


def render_presentation_image(
    camera: Camera,
    path: str | Path | None = None,
    *,
    scene=None,
    bodies: Sequence = (),
    width: int | None = None,
    height: int | None = None,
    supersample: int = 1,
    background: Sequence[float] = (1.0, 1.0, 1.0),
    body_colors: Sequence[Sequence[float]] | None = None,
    renderer=None,
    cull_back_faces: bool = False,
) -> np.ndarray:
    """Render ``bodies`` (anything :func:`pipeline.export.export_bodies` takes) in ``scene``
    (pipeline Scene, trimesh or path; None for bodies alone) from ``camera`` at
    ``width`` x ``height`` and save a PNG to ``path`` when given.

    ``renderer``: an existing :class:`pipeline.views.render.SceneRenderer` to reuse (its scene is
    used and ``background`` ignored). ``cull_back_faces`` matches the viewport's "see into
    rooms from outside" look. Returns the (H, W, 3) uint8 image.
    Raises ExportError when the PNG cannot be written (full disk, no permission)."""
    from PIL import Image

    from pipeline.export import friendly_os_error
    from pipeline.views.render import BodyRenderer, SceneRenderer

    supersample = int(supersample)
    if supersample not in (1, 2, 3, 4):
        raise ValueError("supersample must be 1, 2, 3 or 4.")
    target = check_image_size(resized_camera(camera, width, height))
    big = check_image_size(resized_camera(target, target.width * supersample, target.height * supersample))
    meshes = [(b.vertices, b.faces) for b in (as_export_body(x, i) for i, x in enumerate(bodies))]

    own = renderer is None
    if own:
        renderer = SceneRenderer(scene, background=background, cull_back_faces=cull_back_faces) if scene is not None else BodyRenderer(background)
    try:
        if isinstance(renderer, SceneRenderer):
            rgb = renderer.composite(big, meshes, colors=body_colors) if meshes else renderer.rgb(big)
        else:
            if not meshes:
                raise ValueError("Nothing to render: give a scene, bodies, or both.")
            rgb = renderer.render_bodies(big, meshes, colors=body_colors).rgb
    finally:
        if own:
            renderer.close()

    image = Image.fromarray(np.ascontiguousarray(rgb))
    if supersample > 1:
        image = image.resize((target.width, target.height), Image.Resampling.LANCZOS)
    if path is not None:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            image.save(path, format="PNG", optimize=False)
        except OSError as exc:
            raise friendly_os_error(exc, path) from exc
    return np.asarray(image)
