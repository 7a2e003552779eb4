"""Off-screen renders of the scene and of bodies with pyvista/VTK (no display needed).

The look (materials, lighting, scene conversion, camera) is :mod:`pipeline.views.look`, shared
with the desktop viewport. A renderer keeps one off-screen plotter; calls are serialised by a
lock and the GL context is released after every call, so a renderer can be made in one thread
and used in another.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from pipeline.scene.normals import vertex_normals
from pipeline.views.cameras import Camera
from pipeline.views.look import (
    BACKGROUND,
    BODY_COLOR,
    BODY_MATERIAL,
    NEAR_CLIP,
    add_scene_actors,
    apply_camera,
    apply_default_lighting,
    pyvista_module,
    scene_to_pyvista,
    trimesh_to_polydata,
)

__all__ = [
    "BACKGROUND", "BodyRender", "BodyRenderer", "SceneRenderer", "add_scene_actors", "apply_camera",
    "apply_default_lighting", "scene_to_pyvista", "trimesh_to_polydata",
]  # fmt: skip


# ------------------------------------------------------------------------------------------
# renderers
# ------------------------------------------------------------------------------------------
@dataclass
class BodyRender:
    """Bodies rendered from one camera.

    rgb: (H, W, 3) uint8, bodies in the scene (or on the background when rendered alone).
    masks: per body, (H, W) bool full silhouette ignoring the scene.
    visible_masks: per body, the part of the silhouette not hidden by the scene.
    """

    rgb: np.ndarray
    masks: list[np.ndarray]
    visible_masks: list[np.ndarray]


def _visible(masks: list[np.ndarray], depths: list[np.ndarray], scene_depth: np.ndarray) -> list[np.ndarray]:
    """Per body: silhouette pixels where it is nearer than the scene and than other bodies."""
    nearest = scene_depth.copy()
    for d in depths:
        nearest = np.minimum(nearest, d)
    eps = 1e-4
    return [m & (d < scene_depth - eps) & (d <= nearest + eps) for m, d in zip(masks, depths)]


class BodyRenderer:
    """Renders body meshes on a plain background: cheap silhouettes and previews.

    Use as a context manager or call :meth:`close`; one instance can serve any thread,
    calls are serialised.
    """

    def __init__(self, background: Sequence[float] = BACKGROUND):
        pv = pyvista_module()
        self._lock = threading.RLock()
        self.background = tuple(float(c) for c in background)
        self.plotter = pv.Plotter(off_screen=True, window_size=(512, 512), lighting="none")
        self.plotter.set_background(self.background)
        self.plotter.ren_win.SetMultiSamples(0)
        apply_default_lighting(self.plotter)
        self._far = 100.0
        self._closed = False

    # ---- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self.plotter.close()
                self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- low level --------------------------------------------------------------------
    def _render(self, camera: Camera, *, antialias: bool) -> None:
        if self._closed:
            raise RuntimeError("this renderer was closed; make a new one")
        apply_camera(self.plotter, camera, NEAR_CLIP, self._far)
        self.plotter.renderer.SetUseFXAA(bool(antialias))
        self.plotter.ren_win.Render()

    def _read_rgb(self) -> np.ndarray:
        from vtkmodules.util.numpy_support import vtk_to_numpy
        from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

        w, h = self.plotter.ren_win.GetSize()
        data = vtkUnsignedCharArray()
        self.plotter.ren_win.GetPixelData(0, 0, w - 1, h - 1, 0, data, 0)
        img = vtk_to_numpy(data).reshape(h, w, -1)[:, :, :3]
        return np.ascontiguousarray(img[::-1])

    def _read_depth(self) -> np.ndarray:
        from vtkmodules.util.numpy_support import vtk_to_numpy
        from vtkmodules.vtkCommonCore import vtkFloatArray

        w, h = self.plotter.ren_win.GetSize()
        data = vtkFloatArray()
        self.plotter.ren_win.GetZbufferData(0, 0, w - 1, h - 1, data)
        zb = vtk_to_numpy(data).reshape(h, w)[::-1].astype(np.float64)
        near, far = self.plotter.renderer.GetActiveCamera().GetClippingRange()
        ndc = 2.0 * zb - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            z = 2.0 * near * far / (far + near - ndc * (far - near))
        z[zb >= 1.0] = np.inf
        return z.astype(np.float32)

    @contextlib.contextmanager
    def _session(self):
        """Hold the renderer for one job and release the GL context afterwards, so another
        thread (or the GUI's own window) can make its context current next."""
        with self._lock:
            try:
                yield
            finally:
                if self.plotter.ren_win is not None:  # None once the renderer is closed
                    self.plotter.ren_win.ReleaseCurrent()

    def _add_bodies(self, meshes, colors, *, flat: bool) -> list[Any]:
        pv = pyvista_module()
        actors = []
        for k, (vertices, faces) in enumerate(meshes):
            v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
            f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
            poly = pv.PolyData.from_regular_faces(v, f)
            if flat:
                actor = self.plotter.add_mesh(poly, color=((k + 1) / 255.0, 0.0, 0.0), lighting=False,
                                              show_scalar_bar=False)
            else:
                poly.point_data["Normals"] = vertex_normals(v, f)
                poly.point_data.active_normals_name = "Normals"
                color = colors[k] if colors is not None else BODY_COLOR
                actor = self.plotter.add_mesh(poly, color=color, smooth_shading=True, show_scalar_bar=False,
                                              **BODY_MATERIAL)
            actors.append(actor)
        return actors

    def _remove(self, actors) -> None:
        for actor in actors:
            self.plotter.remove_actor(actor, render=False)

    def _set_scene_visible(self, visible: bool) -> bool:
        """Show or hide the scene; returns whether it was shown (no scene here)."""
        return False

    def _silhouettes(self, camera: Camera, meshes) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Full silhouette and depth of every body alone (one flat-colour render per body)."""
        was_shown = self._set_scene_visible(False)
        background = self.plotter.background_color
        self.plotter.set_background((0.0, 0.0, 0.0))
        masks, depths = [], []
        try:
            for mesh in meshes:
                actors = self._add_bodies([mesh], None, flat=True)
                try:
                    self._render(camera, antialias=False)
                    masks.append(self._read_rgb()[:, :, 0] == 1)
                    depths.append(self._read_depth())
                finally:
                    self._remove(actors)
        finally:
            self.plotter.set_background(background)
            self._set_scene_visible(was_shown)
        return masks, depths

    # ---- public -----------------------------------------------------------------------
    def silhouettes(self, camera: Camera, meshes: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """(H, W) bool silhouette of every (vertices, faces) body seen by ``camera``."""
        with self._session():
            return self._silhouettes(camera, list(meshes))[0]

    def render_bodies(
        self,
        camera: Camera,
        meshes: Sequence[tuple[np.ndarray, np.ndarray]],
        *,
        colors: Sequence[Sequence[float]] | None = None,
    ) -> BodyRender:
        """Shaded bodies on the plain background plus their silhouettes."""
        with self._session():
            meshes = list(meshes)
            masks, depths = self._silhouettes(camera, meshes)
            actors = self._add_bodies(meshes, colors, flat=False)
            try:
                self._render(camera, antialias=True)
                rgb = self._read_rgb()
            finally:
                self._remove(actors)
            scene_depth = np.full(rgb.shape[:2], np.inf, dtype=np.float32)
            return BodyRender(rgb=rgb, masks=masks, visible_masks=_visible(masks, depths, scene_depth))


class SceneRenderer(BodyRenderer):
    """Renders the scene (RGB, depth) and bodies placed in it, from any :class:`Camera`.

    >>> with SceneRenderer(scene) as r:
    ...     image = r.rgb(camera); depth = r.depth(camera)
    """

    def __init__(self, scene: Any, background: Sequence[float] = BACKGROUND, *, cull_back_faces: bool = False):
        """``cull_back_faces``: hide faces seen from behind, as the viewport does, so a view from
        outside a room looks in through its walls (off for the method's own renders, as in the paper)."""
        from pipeline.scene.source import as_scene

        super().__init__(background)
        self.scene = as_scene(scene)
        self._scene_actors = add_scene_actors(self.plotter, self.scene)
        if cull_back_faces:
            for actor in self._scene_actors:
                actor.prop.culling = "back"
        self._scene_shown = True
        bounds = np.asarray(self.scene.bounds, dtype=np.float64)
        self._scene_extent = float(np.linalg.norm(bounds[1] - bounds[0]))
        self._bounds = bounds

    def _set_far(self, camera: Camera) -> None:
        corners = np.array([[x, y, z] for x in self._bounds[:, 0] for y in self._bounds[:, 1] for z in self._bounds[:, 2]])
        self._far = float(np.linalg.norm(corners - camera.position, axis=1).max()) * 1.05 + 1.0

    def _set_scene_visible(self, visible: bool) -> bool:
        was_shown = self._scene_shown
        for actor in self._scene_actors:
            actor.SetVisibility(bool(visible))
        self._scene_shown = bool(visible)
        return was_shown

    def rgb(self, camera: Camera) -> np.ndarray:
        """(H, W, 3) uint8 view of the scene."""
        with self._session():
            self._set_far(camera)
            self._render(camera, antialias=True)
            return self._read_rgb()

    def depth(self, camera: Camera) -> np.ndarray:
        """(H, W) float32 depth along the camera z axis in metres; ``inf`` where nothing is hit."""
        with self._session():
            self._set_far(camera)
            self._render(camera, antialias=False)
            return self._read_depth()

    def rgb_and_depth(self, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
        """Both from one render (depth is unaffected by anti-aliasing)."""
        with self._session():
            self._set_far(camera)
            self._render(camera, antialias=True)
            return self._read_rgb(), self._read_depth()

    def render_bodies(
        self,
        camera: Camera,
        meshes: Sequence[tuple[np.ndarray, np.ndarray]],
        *,
        colors: Sequence[Sequence[float]] | None = None,
        with_scene: bool = True,
    ) -> BodyRender:
        """Bodies composited into the scene view (depth-tested), with full and visible masks.

        ``with_scene=False`` renders the bodies alone on the background.
        """
        if not with_scene:
            with self._lock:
                self._set_scene_visible(False)
                try:
                    return super().render_bodies(camera, meshes, colors=colors)
                finally:
                    self._set_scene_visible(True)
        with self._session():
            meshes = list(meshes)
            self._set_far(camera)
            masks, depths = self._silhouettes(camera, meshes)
            self._render(camera, antialias=False)
            scene_depth = self._read_depth()
            actors = self._add_bodies(meshes, colors, flat=False)
            try:
                self._render(camera, antialias=True)
                rgb = self._read_rgb()
            finally:
                self._remove(actors)
            return BodyRender(rgb=rgb, masks=masks, visible_masks=_visible(masks, depths, scene_depth))

    def composite(self, camera: Camera, meshes, *, colors=None) -> np.ndarray:
        """(H, W, 3) uint8 scene view with the bodies in it (for ranking and hypothesis images)."""
        return self.render_bodies(camera, meshes, colors=colors, with_scene=True).rgb
