"""The one place where generation calls the other stages' modules.

Each function here adapts one stage (scene, views, rendering, inpainting, keypoints, body,
lifting, metrics) to the small, stable shapes the orchestrator uses, so a change in a stage's
API is absorbed here and nowhere else. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from pipeline.views import views_io
from pipeline.views.cameras import Camera
from pipeline.generation.errors import GenerationError

log = logging.getLogger("pipeline.generation")


# =========================================================================================
# environment
# =========================================================================================
def package_versions() -> dict[str, str]:
    """Versions of the packages that decide what a run computes (for ``config.json``)."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("genzi-desktop", "torch", "diffusers", "transformers", "anny", "mediapipe", "numpy",
                 "trimesh", "warp-lang", "vtk", "pyvista"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


# =========================================================================================
# scene, views, rendering
# =========================================================================================
def load_scene(path: str):
    from pipeline.scene.scene import load_scene as _load

    try:
        return _load(path)
    except FileNotFoundError as exc:
        raise GenerationError(f"Scene file not found: {path}. Give the path of a GLB/glTF, OBJ, PLY, STL or FBX file.") from exc


@dataclass
class SelectedViews:
    cameras: list[Camera]
    visibility: list[float]
    target: np.ndarray
    normal: np.ndarray
    relaxed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def select_views(scene, target, normal, settings, radius, prompt) -> SelectedViews:
    from pipeline.views.run_settings import select_target_views
    from pipeline.views.selection import ViewSelectionError
    try:
        sel = select_target_views(scene, target, settings.views, radius=radius, normal=normal, prompt=prompt)
    except ViewSelectionError as exc:
        raise GenerationError(str(exc)) from exc
    return SelectedViews(
        cameras=list(sel.cameras),
        visibility=[float(v) for v in sel.visibility],
        target=np.asarray(sel.target, dtype=np.float64),
        normal=np.asarray(sel.normal, dtype=np.float64),
        relaxed=list(sel.relaxed),
        warnings=list(sel.warnings),
    )


def views_from_file(path: Path) -> SelectedViews:
    """Cameras of an exported ``views.json`` (for images painted for those views)."""
    from pipeline.generation.run_folder import read_json

    cameras = read_views(path)
    meta = read_json(path)
    return SelectedViews(
        cameras=cameras,
        visibility=[float(v.get("visibility", 1.0)) for v in meta["views"]],
        target=np.asarray(meta.get("target", cameras[0].look_at), dtype=np.float64),
        normal=np.asarray(meta.get("normal", (0.0, 0.0, 1.0)), dtype=np.float64),
        relaxed=list(meta.get("relaxed", [])),
        warnings=[],
    )


def write_views(path: Path, cameras: Sequence[Camera], target, normal, visibility, relaxed=()) -> None:
    """``views.json`` in the shared shape (see ``genzi views``)."""
    views_io.write_views(path, cameras, target=target, normal=normal, visibility=visibility, relaxed=list(relaxed))


def read_views(path: Path) -> list[Camera]:
    return list(views_io.load_views(path).cameras)


def make_renderer(scene):
    from pipeline.views.render import SceneRenderer

    return SceneRenderer(scene)


def render_rgb(renderer, camera: Camera) -> np.ndarray:
    image = renderer.rgb(camera)
    return _to_uint8_rgb(image)


def render_body_in_scene(renderer, camera: Camera, vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RGB of the body composited into the scene view, full body silhouette as a bool mask)."""
    out = renderer.render_bodies(camera, [(np.asarray(vertices), np.asarray(faces))])
    return _to_uint8_rgb(out.rgb), np.asarray(out.masks[0], dtype=bool)


def render_body_silhouette(renderer, camera: Camera, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(H, W) bool silhouette of the body alone (ignoring the scene)."""
    return np.asarray(renderer.silhouettes(camera, [(np.asarray(vertices), np.asarray(faces))])[0], dtype=bool)


def round2_mask(renderer, camera: Camera, vertices, faces, settings) -> np.ndarray:
    """The seed body's silhouette in this view, dilated (11x11 kernel, 8 times by default)."""
    from pipeline.inpaint.masks import silhouette_mask

    sil = render_body_silhouette(renderer, camera, vertices, faces)
    return np.asarray(silhouette_mask(sil, kernel=int(settings.inpaint.silhouette_kernel),
                                      iterations=int(settings.inpaint.silhouette_iterations))) > 0.5


def _to_uint8_rgb(image) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    return np.ascontiguousarray(arr[..., :3])


# =========================================================================================
# scene distance
# =========================================================================================
def build_sdf(scene, target, half_extent: float, cell: float, progress=None):
    """(grid, from_cache): the scene distance grid, from the user cache when it was built before."""
    from pipeline.scene.sdf_cache import cached_sdf_grid

    return cached_sdf_grid(scene, np.asarray(target, dtype=np.float64), float(half_extent), float(cell), progress=progress)


def save_sdf(grid, path: Path) -> None:
    """Write through a temporary file so a stop never leaves half a grid."""
    from pipeline.core.atomic import write_file_atomic

    write_file_atomic(path, grid.save, suffix=".npz")


def load_sdf(path: Path):
    from pipeline.scene.sdf import SDFGrid

    return SDFGrid.load(path)


# =========================================================================================
# body
# =========================================================================================
def params_from_json(body, params: dict) -> dict:
    import torch

    if isinstance(next(iter(params.values())), torch.Tensor):
        return {k: v.to(body.device) for k, v in params.items()}
    return body.params_from_json(params)


def body_mesh(body, params: dict) -> tuple[np.ndarray, np.ndarray]:
    import torch

    with torch.no_grad():
        out = body(params_from_json(body, params))
    return out.vertices[0].cpu().numpy().astype(np.float64), np.asarray(body.faces)


def body_keypoints(body, params: dict) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = body(params_from_json(body, params))
    return out.keypoints[0].cpu().numpy().astype(np.float64)


# =========================================================================================
# keypoints
# =========================================================================================
def make_detector(settings):
    """The run's keypoint detector (BlazePose), with the keypoints section's settings."""
    from pipeline.keypoints.blazepose import KeypointDetector

    min_joints = settings.keypoints.min_valid_joints
    return KeypointDetector(**({} if min_joints is None else {"min_valid_joints": int(min_joints)}))


def detect_person(detector, image: np.ndarray, camera: Camera, target: np.ndarray):
    """(keypoints (23, 3) pixels + confidence or None, valid, reason) for one image;
    ``detector`` plays the :class:`pipeline.keypoints.blazepose.PersonDetector` role."""
    uv, _ = camera.project(np.asarray(target, dtype=np.float64)[None])
    result = detector.detect(image, near=uv[0])
    kp = np.concatenate([np.asarray(result.keypoints, np.float64), np.asarray(result.conf, np.float64)[:, None]], axis=1)
    return kp, bool(result.valid), str(result.reason or "")


# =========================================================================================
# lifting
# =========================================================================================
def lifting_settings(settings, body=None, fixed_shape: dict | None = None):
    """The fit's schedule for this run and body (see :meth:`FitSettings.schedule`)."""
    return settings.lifting.schedule(body.phenotype_names if body is not None else (), fixed_shape)


# =========================================================================================
# inpainting
# =========================================================================================
def check_model_available(model: str) -> None:
    """Raise GenerationError when ``model`` is a missing path, or a hub id that is neither
    cached nor downloadable now (downloads off, or the hub unreachable): the user learns it
    before the views are rendered, not minutes later when painting starts."""
    import os

    text = str(model).strip()
    path = Path(text).expanduser()
    if path.exists():
        from pipeline.inpaint import InpaintError
        from pipeline.inpaint.loading import check_model_path

        try:
            check_model_path(path)
        except InpaintError as exc:
            raise GenerationError(str(exc)) from exc
        return
    from pipeline.inpaint.download import hub_problem
    from pipeline.inpaint.loading import looks_like_path

    if looks_like_path(text):
        raise GenerationError(
            f"No such model file or folder: {path}. Choose an existing diffusers folder or a .safetensors "
            "checkpoint, or give a hub id such as 'stabilityai/stable-diffusion-2-inpainting'."
        )
    try:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(text, "model_index.json"), str):
            return
    except Exception:  # noqa: BLE001 - an unusual id: let the loader give its own message
        return
    if os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"):
        raise GenerationError(
            f"The model '{text}' is not in the local cache and downloads are off (HF_HUB_OFFLINE=1). "
            "Connect to the internet once (unset HF_HUB_OFFLINE) to download it, or pass --model with a "
            "local diffusers folder or .safetensors file."
        )
    problem = hub_problem(text)
    if problem:
        raise GenerationError(problem)


def load_inpainter(model: str, *, device: str, dtype: str, components: Any = None, emit=None):
    """The inpainter for ``model`` (hub id, folder or single file), with clear errors; a model
    loaded by an earlier run of this process is reused (pipeline.inpaint.warm). Loading is
    its own ``model`` stage for ``emit`` (StageStarted/StageFinished with its seconds), so the
    first, slow load shows by name."""
    import time

    from pipeline import inpaint
    from pipeline.core.events import StageFinished, StageStarted
    from pipeline.inpaint.warm import warm_inpaint_model

    if components is not None:
        return inpaint.Inpainter(components)
    if emit is not None:
        emit(StageStarted("model", str(model)))
    t0 = time.perf_counter()
    try:
        loaded, warm = warm_inpaint_model(model, device=device, dtype=dtype)
    except inpaint.InpaintError as exc:
        raise GenerationError(str(exc)) from exc
    if emit is not None:
        emit(StageFinished("model", "kept warm from an earlier run" if warm else "loaded", 0, time.perf_counter() - t0))
    return inpaint.Inpainter(loaded)


def inpaint_batch(inpainter, items, request, settings, *, emit, cancel):
    """Paint a batch of items in one inpainter call; returns one PaintResult per item.

    The inpainter streams InpaintStep/InpaintDone events itself (``sample`` = set index).
    """
    from pipeline import inpaint
    from pipeline.generation.paint_types import PaintResult

    requests = [
        inpaint.InpaintRequest(
            view_name=item.view, image=item.view_image, sample=item.set_index, seed=item.seed,
            fixed_mask=item.fixed_mask,
        )
        for item in items
    ]
    rounds = {item.round for item in items}
    results = inpainter.run(requests, inpaint_settings_for(request, settings, max(rounds)), emit=emit, cancel=cancel)
    out = []
    for res in results:
        info = {"prompt": res.prompt, "token_indices": list(res.token_indices)}
        out.append(PaintResult(np.asarray(res.image), np.asarray(res.mask), info=info))
    return out


def inpaint_settings_for(request, settings, round_index: int = 1):
    """The inpainter's settings for one round of this run."""
    return settings.inpaint.for_call(request.prompt, request.negative_prompt, request.subject_words, round_index)
