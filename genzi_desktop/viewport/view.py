"""The 3D viewport: the textured scene, floor grid, target marker, camera frustums and bodies.

Only drawing and mouse plumbing lives here. Picking asks ``pipeline.views.geometry`` for the
ray through the clicked pixel and leaves the ray cast to the scene (see ``MainWindow``).
Mouse: left-drag orbits, middle-drag pans, wheel/right-drag zooms, a left click (no drag)
reports the pixel, Shift+left-drag drags the target along the surfaces, Ctrl+left-drag
swings the selected camera around the point it looks at, Ctrl+click selects a camera.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Sequence

import numpy as np
import pyvista as pv
from PySide6 import QtCore, QtWidgets

from genzi_desktop.viewport.mouse import MouseFilter
from genzi_desktop.viewport.outline_layer import OutlineLayer
from genzi_desktop.viewport.people import DressedPeople
from genzi_desktop.viewport.pyvistaqt_adapter import QtInteractor, forget_gl_context
from pipeline.views.cameras import Camera
from pipeline.scene.targets import Target
from pipeline.views.geometry import camera_from_view, display_pixel_ray, frustum_points, viewer_pose

from pipeline.scene.normals import vertex_normals
from pipeline.views.render import add_scene_actors, apply_default_lighting

log = logging.getLogger(__name__)

MSAA_SAMPLES = 8  # with hardware OpenGL; software GL gets none unless the user asks
BACKGROUND_TOP = "#dfe6ee"
BACKGROUND_BOTTOM = "#ffffff"
TARGET_COLOR = "#e8412c"
CAMERA_COLOR = "#1f6fd1"
SELECTED_CAMERA_COLOR = "#f0a000"
BODY_COLOR = "#d9a27c"


class SceneViewport(QtWidgets.QWidget):
    """A pyvistaqt viewport that shows a loaded scene and the user's design on top of it."""

    #: A left click without drag at VTK display pixel (x, y), origin bottom-left.
    surfaceClicked = QtCore.Signal(int, int)
    #: Shift+drag on the scene: (x, y, drag_id, finished).
    targetDragged = QtCore.Signal(int, int, int, bool)
    #: Ctrl+click without drag at VTK display pixel (x, y): select the camera drawn there.
    cameraClicked = QtCore.Signal(int, int)
    #: Ctrl+drag: (dx, dy) in logical pixels since the press, drag_id, finished.
    cameraDragged = QtCore.Signal(float, float, int, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)  # see set_antialiasing
        layout.addWidget(self.plotter)
        self.plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
        self.plotter.enable_terrain_style(mouse_wheel_zooms=True, shift_pans=False)
        self.plotter.add_axes(interactive=False)
        self.mouse = MouseFilter(self)  # also reports region drawing (its sketch signals)
        self.plotter.installEventFilter(self.mouse)
        self._drag_id = 0
        self._scene = None
        self._scene_actors: list = []
        self._culling = True
        self._show_grid = True
        self._cameras: list[Camera] = []
        self._selected_camera = -1
        self._through_camera: int | None = None
        self._target: Target | None = None
        self._bodies: dict[str, tuple] = {}
        self.people = DressedPeople(self.plotter)  # results drawn dressed hide their plain body
        self._closed = False
        self.outline_layer = OutlineLayer(self.plotter)

    # ---- lifetime ---------------------------------------------------------------------
    def close_plotter(self) -> None:
        """Release the render window (always call before the widget goes away)."""
        if not self._closed:
            self._closed = True
            try:
                self.plotter.close()
            except Exception:  # pragma: no cover - teardown best effort
                log.debug("plotter close failed", exc_info=True)
            forget_gl_context(self.plotter)  # stale GL wrappers must not outlive the widget

    # ---- helpers ----------------------------------------------------------------------
    @contextmanager
    def batch(self):
        """Change many actors with one render at the end (software GL renders are slow)."""
        p = self.plotter
        outer = p.suppress_rendering
        p.suppress_rendering = True
        try:
            yield
        finally:
            p.suppress_rendering = outer
            if not outer and not self._closed:
                p.render()

    @property
    def scene_scale(self) -> float:
        """Diagonal of the scene's bounding box in metres (1.0 with no scene)."""
        if self._scene is None:
            return 1.0
        return max(float(np.linalg.norm(np.asarray(self._scene.size, float))), 1e-3)

    def render_size(self) -> tuple[int, int]:
        w, h = self.plotter.ren_win.GetSize()
        return int(w), int(h)

    def to_display(self, pos: QtCore.QPointF) -> tuple[int, int]:
        """Qt widget coordinates (logical, top-left) -> VTK display pixels (bottom-left)."""
        ratio = self.plotter.devicePixelRatioF()
        _, h = self.render_size()
        x = int(pos.x() * ratio)
        y = h - int(pos.y() * ratio) - 1
        return x, y

    def display_from_widget(self, x: float, y: float) -> tuple[int, int]:
        return self.to_display(QtCore.QPointF(x, y))

    def widget_from_display(self, x: int, y: int) -> QtCore.QPoint:
        """VTK display pixel -> logical widget position (for simulated clicks)."""
        ratio = self.plotter.devicePixelRatioF()
        _, h = self.render_size()
        return QtCore.QPoint(int((x + 0.5) / ratio), int((h - y - 1 + 0.5) / ratio))

    # ---- drag plumbing (the mouse filter calls these) -------------------------------------
    def begin_drag(self, x: int, y: int) -> None:
        self._drag_id += 1
        self.targetDragged.emit(x, y, self._drag_id, False)

    def camera_drag(self, delta: QtCore.QPointF, begin: bool = False, finished: bool = False) -> None:
        if begin:
            self._drag_id += 1
        self.cameraDragged.emit(float(delta.x()), float(delta.y()), self._drag_id, finished)

    def continue_drag(self, x: int, y: int) -> None:
        self.targetDragged.emit(x, y, self._drag_id, False)

    def end_drag(self, x: int, y: int) -> None:
        self.targetDragged.emit(x, y, self._drag_id, True)

    # ---- camera of the view -------------------------------------------------------------
    def current_camera(self, name: str = "", width: int | None = None, height: int | None = None) -> Camera:
        """The viewport's current view as a pipeline ``Camera`` (image size = window size by default)."""
        cam = self.plotter.camera
        w, h = self.render_size()
        return camera_from_view(cam.position, cam.focal_point, cam.up, cam.view_angle,
                                width or w, height or h, name=name)

    def ray_at(self, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
        """World ray through VTK display pixel (x, y)."""
        return display_pixel_ray(self.current_camera(), x, y)

    def look_through(self, camera: Camera, index: int | None = None) -> None:
        """Make the view the camera's view; camera ``index``'s own frustum hides until the view moves."""
        position, focal, up = viewer_pose(camera, distance=max(1.0, 0.25 * self.scene_scale))
        self._through_camera = index
        with self.batch():
            self._draw_cameras()
            cam = self.plotter.camera
            cam.position = tuple(position)
            cam.focal_point = tuple(focal)
            cam.up = tuple(up)
            cam.view_angle = float(camera.fov_y_deg)
            self.plotter.reset_camera_clipping_range()

    def view_preset(self, name: str) -> None:
        """'top', 'front', 'side', 'iso' or 'reset'."""
        p = self.plotter
        if name not in ("top", "front", "side", "iso", "reset"):
            raise ValueError(f"Unknown view preset {name!r}")
        with self.batch():
            p.camera.view_angle = 30.0
            if name == "top":
                p.view_xy()
            elif name == "front":
                p.view_xz()
            elif name == "side":
                p.view_yz()
            else:
                p.view_isometric()
            if self._scene is not None:  # frame the scene, not the (larger) floor grid
                lo, hi = np.asarray(self._scene.bounds, float)
                p.reset_camera(bounds=(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
            p.camera.zoom(1.3 if name in ("iso", "reset") else 1.15)
            p.reset_camera_clipping_range()

    # ---- scene --------------------------------------------------------------------------
    def set_scene(self, scene) -> None:
        """Show ``scene`` (replacing the previous one) with lighting and a floor grid."""
        p = self.plotter
        with self.batch():
            for actor in self._scene_actors:
                p.remove_actor(actor, render=False)
            self.outline_layer.clear()
            self._scene = scene
            self._scene_actors = add_scene_actors(p, scene)
            self.outline_layer.reset(scene, self._scene_actors)
            for actor in self._scene_actors:
                actor.SetPickable(False)
                actor.prop.culling = "back" if self._culling else "none"
            apply_default_lighting(p)
            self._draw_grid()
            self.view_preset("iso")
            self._draw_target()
            self._draw_cameras()

    @property
    def backface_culling(self) -> bool:
        return self._culling

    def set_backface_culling(self, on: bool) -> None:
        """On: walls facing away are hidden, so one can look into a room from outside."""
        self._culling = bool(on)
        for actor in self._scene_actors:
            actor.prop.culling = "back" if on else "none"
        self.plotter.render()

    def set_antialiasing(self, on: bool) -> None:
        """Multisampled edges (costly with software OpenGL, see :mod:`.gl_info`)."""
        self.plotter.ren_win.SetMultiSamples(MSAA_SAMPLES if on else 0)
        self.plotter.render()

    def antialiasing(self) -> bool:
        return self.plotter.ren_win.GetMultiSamples() > 0

    def set_grid_visible(self, on: bool) -> None:
        self._show_grid = bool(on)
        with self.batch():
            self._draw_grid()

    def _draw_grid(self) -> None:
        p = self.plotter
        p.remove_actor("floor-grid", render=False)
        if self._scene is None or not self._show_grid:
            return
        lo, hi = np.asarray(self._scene.bounds, float)
        span = float(max(hi[0] - lo[0], hi[1] - lo[1]))
        step = 0.5 if span < 20 else 10 ** np.floor(np.log10(span / 10))
        cells = int(np.ceil((span + 4 * step) / step))
        size = cells * step
        centre = (np.round((lo[0] + hi[0]) / 2 / step) * step, np.round((lo[1] + hi[1]) / 2 / step) * step,
                  lo[2] - 0.002 * max(span, 1.0))
        grid = pv.Plane(center=centre, direction=(0, 0, 1), i_size=size, j_size=size,
                        i_resolution=cells, j_resolution=cells)
        p.add_mesh(grid, name="floor-grid", style="wireframe", color="#8a96a3", opacity=0.45,
                   line_width=1, pickable=False, lighting=False, reset_camera=False, render=False)

    # ---- target ---------------------------------------------------------------------------
    def set_target(self, target: Target | None) -> None:
        self._target = target
        with self.batch():
            self._draw_target()

    def _draw_target(self) -> None:
        p = self.plotter
        for name in ("target-marker", "target-normal", "target-region"):
            p.remove_actor(name, render=False)
        t = self._target
        if t is None:
            return
        s = self.scene_scale
        marker = pv.Sphere(radius=0.008 * s, center=t.point)
        p.add_mesh(marker, name="target-marker", color=TARGET_COLOR, pickable=False,
                   reset_camera=False, render=False)
        arrow = pv.Arrow(start=t.point, direction=t.normal, scale=0.06 * s, tip_length=0.3,
                         tip_radius=0.08, shaft_radius=0.025)
        p.add_mesh(arrow, name="target-normal", color=TARGET_COLOR, pickable=False,
                   reset_camera=False, render=False)
        if t.radius > 0:
            disc = pv.Disc(center=t.point, inner=0.0, outer=t.radius, normal=t.normal, c_res=64)
            disc.translate(t.normal_array * 0.01, inplace=True)  # float just above the surface
            p.add_mesh(disc, name="target-region", color=TARGET_COLOR, opacity=0.45, pickable=False,
                       lighting=False, reset_camera=False, render=False)

    # ---- cameras --------------------------------------------------------------------------
    def set_cameras(self, cameras: Sequence[Camera], selected: int = -1) -> None:
        self._cameras = list(cameras)
        self._selected_camera = selected
        self._through_camera = None
        with self.batch():
            self._draw_cameras()

    def leave_camera(self) -> None:
        if self._through_camera is not None:
            self._through_camera = None
            with self.batch():
                self._draw_cameras()

    def set_selected_camera(self, index: int) -> None:
        self._selected_camera = index
        with self.batch():
            self._draw_cameras()

    @property
    def frustum_depth(self) -> float:
        """How deep camera frustums are drawn, in metres."""
        return 0.35 if self.scene_scale < 30 else 0.02 * self.scene_scale

    def _draw_cameras(self) -> None:
        p = self.plotter
        for name in ("camera-frustums", "camera-selected", "camera-labels", "camera-labels-labels"):
            p.remove_actor(name, render=False)
        if not self._cameras:
            return
        depth = self.frustum_depth
        normal_pts, normal_lines, sel_pts, sel_lines, label_pts = [], [], [], [], []
        shown = [i for i in range(len(self._cameras)) if i != self._through_camera]
        for i in shown:
            cam = self._cameras[i]
            pts = frustum_points(cam, depth)
            label_pts.append(pts[0])
            target_pts, target_lines = (sel_pts, sel_lines) if i == self._selected_camera else (normal_pts, normal_lines)
            base = len(target_pts) * 5
            target_pts.append(pts)
            for a, b in ((0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 1)):
                target_lines.extend([2, base + a, base + b])
        if normal_pts:
            mesh = pv.PolyData(np.vstack(normal_pts), lines=np.asarray(normal_lines))
            p.add_mesh(mesh, name="camera-frustums", color=CAMERA_COLOR, line_width=2, lighting=False,
                       pickable=False, reset_camera=False, render=False)
        if sel_pts:
            mesh = pv.PolyData(np.vstack(sel_pts), lines=np.asarray(sel_lines))
            p.add_mesh(mesh, name="camera-selected", color=SELECTED_CAMERA_COLOR, line_width=4,
                       lighting=False, pickable=False, reset_camera=False, render=False)
        # short labels keep 16 cameras readable; the selected one shows its full name
        labels = [(self._cameras[i].name or f"camera {i + 1}") if i == self._selected_camera
                  else (self._cameras[i].name or str(i + 1)).replace("view_", "") for i in shown]
        if not labels:
            return
        p.add_point_labels(np.asarray(label_pts), labels, name="camera-labels", font_size=11,
                           point_size=1, shape_opacity=0.6, show_points=False, always_visible=True,
                           reset_camera=False, render=False)

    # ---- bodies ---------------------------------------------------------------------------
    def set_body(self, key: str, vertices: np.ndarray | None, faces: np.ndarray | None = None,
                 visible: bool = True, selected: bool = False) -> None:
        """Show (or with ``vertices=None`` remove) a body mesh under ``key``; cheap to call live."""
        name = f"body-{key}"
        if vertices is None:
            self.plotter.remove_actor(name, render=False)
            self._bodies.pop(key, None)
            self.people.remove(key)
            self.plotter.render()
            return
        existing = self._bodies.get(key)
        same_mesh = existing is not None and existing[0].n_points == len(vertices) and (
            faces is None or np.array_equal(faces, existing[1]))
        if same_mesh:  # move the points only: rebuilding the actor cost ~50 ms per live update
            mesh, f = existing
            mesh.points = np.asarray(vertices, dtype=np.float32)
            mesh.point_data["Normals"] = vertex_normals(vertices, f).astype(np.float32)
        else:
            if faces is None:
                raise ValueError("A new body needs its faces.")
            f = np.asarray(faces, dtype=np.int64)
            mesh = pv.PolyData(np.asarray(vertices, np.float32),
                               np.hstack([np.full((len(f), 1), 3), f]).ravel())
            # our own normals, not smooth_shading=True: its normals filter re-ran on every live update
            mesh.point_data["Normals"] = vertex_normals(vertices, f).astype(np.float32)
            mesh.point_data.active_normals_name = "Normals"
            actor = self.plotter.add_mesh(mesh, name=name, color=BODY_COLOR, pickable=False,
                                          reset_camera=False, render=False)
            actor.prop.interpolation = "gouraud"
            self._bodies[key] = (mesh, f)
        self.style_body(key, visible=visible, selected=selected)

    def style_body(self, key: str, visible: bool = True, selected: bool = False) -> bool:
        """Show/hide and highlight the body under ``key``; False when there is none."""
        actor = self.plotter.actors.get(f"body-{key}")
        if actor is None or key not in self._bodies:
            return False
        dressed = self.people.set_visible(key, visible)
        actor.visibility = bool(visible) and not dressed
        actor.prop.color = SELECTED_CAMERA_COLOR if selected else BODY_COLOR
        self.plotter.render()
        return True

    # ---- pixels -----------------------------------------------------------------------------
    def grab_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8 of what the viewport shows now."""
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(return_img=True))[..., :3]

