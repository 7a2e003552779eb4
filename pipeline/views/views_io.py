"""``views.json``: the cameras of a view set on disk, shared by ``genzi views``, ``genzi fit``,
the generation run folder and the desktop app.

Shape (keys are a contract; other tools read them)::

    {"convention": "opencv", "pixel_centers": "integer+0.5",
     "target": [x, y, z], "normal": [x, y, z], "image_size": [w, h],
     "views": [{"name": "view_00", "K": 3x3, "world_to_camera": 4x4,
                "visibility": r, "look_at": [x, y, z]}, ...],
     "relaxed": ["distance 2 -> 1.5 m", ...]}

OpenCV camera axes (x right, y down, z forward), Z-up world in metres, the centre of pixel
(i, j) at (i + 0.5, j + 0.5). Floats are written with ``repr`` precision, so a write/read
round trip gives back bit-identical matrices.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np

from pipeline.core.atomic import write_json_atomic
from pipeline.views.cameras import Camera

VIEWS_FILE = "views.json"


class ViewsFileError(ValueError):
    """views.json is missing or malformed."""


class LoadedViews(NamedTuple):
    """What :func:`load_views` returns; unpacks as ``cameras, meta``."""

    cameras: list[Camera]
    meta: dict  # the whole file as read (target, normal, image_size, views, relaxed, ...)


def views_to_dict(
    cameras: Sequence[Camera],
    *,
    target: Sequence[float],
    normal: Sequence[float],
    visibility: Sequence[float] | None = None,
    relaxed: Sequence[str] = (),
) -> dict:
    """The views.json content for ``cameras`` (all must share one image size)."""
    if not cameras:
        raise ValueError("no cameras to write; select views first")
    sizes = {(int(c.width), int(c.height)) for c in cameras}
    if len(sizes) != 1:
        raise ValueError(f"all views must have the same image size to share views.json, got {sorted(sizes)}")
    (w, h), = sizes
    if visibility is None:
        visibility = [float(c.extra.get("visibility", float("nan"))) for c in cameras]
    if len(visibility) != len(cameras):
        raise ValueError("give one visibility value per camera")
    views = []
    for k, (cam, vis) in enumerate(zip(cameras, visibility)):
        look_at = cam.look_at if cam.look_at is not None else cam.position + cam.forward
        views.append({
            "name": cam.name or f"view_{k:02d}",
            "K": cam.K.tolist(),
            "world_to_camera": cam.world_to_camera.tolist(),
            "visibility": float(vis),
            "look_at": [float(x) for x in look_at],
        })
    return {
        "convention": "opencv",
        "pixel_centers": "integer+0.5",
        "target": [float(x) for x in np.asarray(target, dtype=np.float64).reshape(3)],
        "normal": [float(x) for x in np.asarray(normal, dtype=np.float64).reshape(3)],
        "image_size": [w, h],
        "views": views,
        "relaxed": [str(r) for r in relaxed],
    }


def _views_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path / VIEWS_FILE if path.is_dir() or path.suffix.lower() != ".json" else path


def write_views(
    path: str | os.PathLike,
    cameras: Sequence[Camera],
    *,
    target: Sequence[float],
    normal: Sequence[float],
    visibility: Sequence[float] | None = None,
    relaxed: Sequence[str] = (),
) -> Path:
    """Write views.json (``path`` is the file or its folder) atomically; returns the file."""
    data = views_to_dict(cameras, target=target, normal=normal, visibility=visibility, relaxed=relaxed)
    return write_json_atomic(_views_path(path), data)


def write_selection(path: str | os.PathLike, selection: Any) -> Path:
    """Write a :class:`pipeline.views.selection.ViewSelection` as views.json."""
    return write_views(path, selection.cameras, target=selection.target, normal=selection.normal,
                       visibility=selection.visibility, relaxed=selection.relaxed)


def _fov_for_focal(focal: float, height: int) -> float:
    """Vertical field of view whose ``Camera.focal`` reproduces ``focal`` bit for bit."""
    fov = math.degrees(2.0 * math.atan(0.5 * height / focal))

    def focal_of(v: float) -> float:
        return 0.5 * height / math.tan(math.radians(v) / 2.0)

    for digits in range(0, 13):  # prefer the short value a person typed (60, 47.5)
        if focal_of(round(fov, digits)) == focal:
            return round(fov, digits)
    for _ in range(64):  # atan/tan can be one or two ulps off: walk to the exact value
        f = 0.5 * height / math.tan(math.radians(fov) / 2.0)
        if f == focal:
            break
        fov = math.nextafter(fov, math.inf if f > focal else -math.inf)
    return fov


def camera_from_entry(entry: dict, width: int, height: int) -> Camera:
    """One views.json entry as a :class:`Camera` (K must be a centred pinhole with fx = fy)."""
    if not isinstance(entry, dict):
        raise ViewsFileError(f"each view must be an object with K and world_to_camera, got {str(entry)[:40]!r}")
    name = str(entry.get("name", "?"))
    try:
        K = np.asarray(entry["K"], dtype=np.float64).reshape(3, 3)
        w2c = np.asarray(entry["world_to_camera"], dtype=np.float64).reshape(4, 4)
    except (KeyError, ValueError, TypeError) as exc:
        raise ViewsFileError(f"view {name}: needs K (3x3) and world_to_camera (4x4): {exc}") from None
    if not (np.all(np.isfinite(K)) and np.all(np.isfinite(w2c))):
        raise ViewsFileError(f"view {name}: K and world_to_camera must be finite numbers (found NaN or infinity)")
    if K[1, 1] <= 0:
        raise ViewsFileError(f"view {name}: the focal length K[1][1] must be above 0, got {K[1, 1]}")
    rotation = w2c[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-4) or np.linalg.det(rotation) < 0:
        raise ViewsFileError(f"view {name}: world_to_camera's 3x3 part must be a rotation (orthonormal, det +1)")
    if not np.isclose(K[0, 0], K[1, 1], rtol=1e-6) or not np.allclose(K[:2, 2], [width / 2.0, height / 2.0], atol=1e-6):
        raise ViewsFileError(
            f"view {name}: K must have equal focal lengths and the principal point at the "
            f"image centre ({width / 2:g}, {height / 2:g}); got {K.tolist()}"
        )
    look_at = entry.get("look_at")
    if look_at is not None:
        try:
            look_at = np.asarray(look_at, dtype=np.float64).reshape(3)
        except (ValueError, TypeError):
            raise ViewsFileError(f"view {name}: look_at must be three numbers") from None
        if not np.all(np.isfinite(look_at)):
            raise ViewsFileError(f"view {name}: look_at must be finite numbers")
    camera = Camera(int(width), int(height), _fov_for_focal(float(K[1, 1]), int(height)), w2c,
                    name=str(entry.get("name", "")), look_at=look_at)
    if "visibility" in entry:
        try:
            camera.extra["visibility"] = float(entry["visibility"])
        except (TypeError, ValueError):
            raise ViewsFileError(f"view {name}: visibility must be a number") from None
    return camera


def _vector3(meta: dict, key: str, file: Path) -> None:
    if meta.get(key) is None:
        return
    try:
        value = np.asarray(meta[key], dtype=np.float64).reshape(3)
    except (ValueError, TypeError):
        raise ViewsFileError(f"{file}: '{key}' must be three numbers [x, y, z]") from None
    if not np.all(np.isfinite(value)):
        raise ViewsFileError(f"{file}: '{key}' must be finite numbers, got {meta[key]}")


def load_views(path: str | os.PathLike) -> LoadedViews:
    """Read views.json (``path`` is the file or its folder): ``(cameras, meta)``; a file of the
    wrong shape raises :class:`ViewsFileError` saying what is wrong."""
    file = _views_path(path)
    if not file.is_file():
        raise ViewsFileError(f"no {VIEWS_FILE} at {file}; run `genzi views --out {file.parent}` first")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ViewsFileError(f"{file} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ViewsFileError(f"{file}: must hold an object with 'image_size' and 'views'")
    if meta.get("convention", "opencv") != "opencv":
        raise ViewsFileError(f"{file}: only the 'opencv' camera convention is supported, got {meta.get('convention')!r}")
    try:
        width, height = (int(v) for v in meta["image_size"])
        entries = meta["views"]
    except (KeyError, TypeError, ValueError):
        raise ViewsFileError(f"{file}: needs 'image_size': [w, h] and a 'views' list") from None
    if width < 1 or height < 1 or width > 16384 or height > 16384:
        raise ViewsFileError(f"{file}: image_size must be between 1 and 16384 pixels, got {[width, height]}")
    if not isinstance(entries, list):
        raise ViewsFileError(f"{file}: 'views' must be a list")
    _vector3(meta, "target", file)
    _vector3(meta, "normal", file)
    cameras = [camera_from_entry(e, width, height) for e in entries]
    return LoadedViews(cameras, meta)


def read_views(path: str | os.PathLike) -> LoadedViews:
    """Alias of :func:`load_views`."""
    return load_views(path)
