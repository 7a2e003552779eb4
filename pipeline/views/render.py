"""Off-screen renders of the scene and of bodies with pyvista/VTK (no display needed).

Why one module: the desktop viewport and the pipeline must show the same picture (what the
user sees is what the diffusion model sees), so the conversion of scene meshes to pyvista
(:func:`scene_to_pyvista`, :func:`add_scene_actors`), the material and the lighting
(:func:`apply_default_lighting`) live here and both use them.

Cameras follow :mod:`pipeline.views.cameras` (OpenCV). The VTK camera is set so a world point
lands on exactly the pixel :func:`pipeline.views.cameras.project_points` gives: view angle =
vertical field of view, position = camera centre, view up = camera -y, window centre 0.

A renderer keeps one off-screen plotter; calls are serialised by a lock and the GL context
is released after every call, so a renderer can be made in one thread and used in another.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from pipeline.views.cameras import Camera
from pipeline.scene.normals import vertex_normals

BACKGROUND = (0.5, 0.5, 0.5)  # the paper's render background grey
SCENE_MATERIAL = {"ambient": 0.45, "diffuse": 0.65, "specular": 0.0}
BODY_COLOR = (0.80, 0.68, 0.60)  # light skin-grey: reads as a person, not as scene material
BODY_MATERIAL = {"ambient": 0.3, "diffuse": 0.75, "specular": 0.1, "specular_power": 15.0}
HEADLIGHT_INTENSITY = 0.85
NEAR_CLIP = 0.02  # metres


def _pv():
    import pyvista as pv  # heavy: imported on first use only

    from pipeline.views.gl_window import choose_offscreen_window

    choose_offscreen_window()  # every off-screen plotter is made after this
    return pv


# ------------------------------------------------------------------------------------------
# the shared look
# ------------------------------------------------------------------------------------------
def apply_default_lighting(plotter: Any) -> None:
    """The one lighting used by renders and the viewport: a light at the camera, no shadows.

    Like the paper's head-light: every visible surface facing the camera is lit, so views
    from any direction have comparable exposure; ambient terms in the materials lift the
    surfaces seen at grazing angles.
    """
    pv = _pv()
    plotter.remove_all_lights()
    plotter.add_light(pv.Light(light_type="headlight", intensity=HEADLIGHT_INTENSITY))


def _texture_for(image: Any, factor: np.ndarray | None, cache: dict) -> Any:
    """A pyvista texture of a PIL image times the material's colour factor.

    ``cache`` dedupes textures within one conversion; textures are never shared between
    plotters (a VTK texture holds GL resources of the window that drew it).
    """
    pv = _pv()
    key = (id(image), tuple(np.round(factor, 4)) if factor is not None else ())
    if key in cache:
        return cache[key]
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if factor is not None and not np.allclose(factor[:3], 1.0):
        rgb = np.clip(rgb.astype(np.float32) * factor[None, None, :3], 0, 255).astype(np.uint8)
    texture = pv.Texture(np.ascontiguousarray(rgb))  # pyvista puts image row 0 at v = 1 (glTF/trimesh convention)
    texture.interpolate = True
    texture.repeat = True
    cache[key] = texture
    return texture


def _color_factor(material: Any) -> np.ndarray | None:
    factor = getattr(material, "baseColorFactor", None)
    if factor is None:
        factor = getattr(material, "diffuse", None)
    if factor is None:
        return None
    factor = np.asarray(factor, dtype=np.float64).reshape(-1)
    if factor.max() > 1.0:
        factor = factor / 255.0
    if len(factor) == 3:
        factor = np.append(factor, 1.0)
    return factor


def trimesh_to_polydata(mesh: Any) -> Any:
    """A pyvista PolyData of a trimesh with smooth vertex normals (and UVs when textured)."""
    pv = _pv()
    poly = pv.PolyData.from_regular_faces(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64))
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64)
    if normals.shape == poly.points.shape:
        poly.point_data["Normals"] = normals
        poly.point_data.active_normals_name = "Normals"
    return poly


def scene_to_pyvista(scene: Any) -> list[tuple[Any, Any]]:
    """Scene geometries as (PolyData, appearance) pairs.

    appearance is a ``pyvista.Texture`` (the mesh has texture coordinates), an RGB or RGBA
    tuple of floats in 0..1, or the string ``"vertex"`` (colours are in point data "RGBA").
    """
    from pipeline.scene.source import as_scene

    parts: list[tuple[Any, Any]] = []
    textures: dict = {}
    for g in as_scene(scene).geometries:
        if len(g.faces) == 0:
            continue
        poly = trimesh_to_polydata(g)
        visual = getattr(g, "visual", None)
        kind = getattr(visual, "kind", None)
        appearance: Any = (0.7, 0.7, 0.7)
        if kind == "texture":
            material = visual.material
            factor = _color_factor(material)
            image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
            uv = visual.uv
            if image is not None and uv is not None and len(uv) == len(g.vertices):
                poly.active_texture_coordinates = np.asarray(uv, dtype=np.float64)
                appearance = _texture_for(image, factor, textures)
            elif factor is not None:
                opaque = getattr(material, "alphaMode", None) != "BLEND"
                appearance = tuple(float(c) for c in (factor[:3] if opaque else factor[:4]))
        elif kind in ("vertex", "face"):
            colors = np.asarray(visual.vertex_colors, dtype=np.uint8)
            if len(colors) == len(g.vertices):
                poly.point_data["RGBA"] = colors
                appearance = "vertex"
        parts.append((poly, appearance))
    return parts


def add_scene_actors(plotter: Any, scene_or_parts: Any) -> list[Any]:
    """Add the scene to a plotter with the shared material; returns the actors."""
    parts = scene_or_parts if isinstance(scene_or_parts, list) else scene_to_pyvista(scene_or_parts)
    actors = []
    for poly, appearance in parts:
        kwargs = dict(SCENE_MATERIAL, smooth_shading=True, show_scalar_bar=False)
        if isinstance(appearance, str):
            actor = plotter.add_mesh(poly, scalars="RGBA", rgba=True, **kwargs)
        elif isinstance(appearance, tuple):
            opacity = appearance[3] if len(appearance) == 4 else 1.0
            actor = plotter.add_mesh(poly, color=appearance[:3], opacity=opacity, **kwargs)
        else:
            actor = plotter.add_mesh(poly, texture=appearance, **kwargs)
        actors.append(actor)
    return actors


# ------------------------------------------------------------------------------------------
# camera
# ------------------------------------------------------------------------------------------
def apply_camera(plotter: Any, camera: Camera, near: float = NEAR_CLIP, far: float = 100.0) -> None:
    """Make the plotter's VTK camera identical to ``camera`` (pixel-exact, see module doc)."""
    w, h = int(camera.width), int(camera.height)
    if tuple(plotter.window_size) != (w, h):
        plotter.window_size = (w, h)
    eye = camera.position
    forward = camera.forward
    focus = 1.0
    if camera.look_at is not None:
        focus = max(float(np.dot(camera.look_at - eye, forward)), 1e-3)
    vtk_cam = plotter.renderer.GetActiveCamera()
    vtk_cam.SetParallelProjection(False)
    vtk_cam.SetUseHorizontalViewAngle(False)
    vtk_cam.SetPosition(*eye)
    vtk_cam.SetFocalPoint(*(eye + focus * forward))
    vtk_cam.SetViewUp(*camera.up)
    vtk_cam.SetViewAngle(float(camera.fov_y_deg))
    vtk_cam.SetWindowCenter(0.0, 0.0)
    vtk_cam.SetClippingRange(near, far)


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
        pv = _pv()
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
                release = getattr(self.plotter.ren_win, "ReleaseCurrent", None)
                if release is not None:
                    release()

    def _add_bodies(self, meshes, colors, *, flat: bool) -> list[Any]:
        pv = _pv()
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
