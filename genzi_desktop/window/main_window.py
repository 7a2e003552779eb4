"""The main window: menus, docks, the viewport, the undo stack and remembered settings.

It wires panels to the design: every change of the target or cameras goes through
``apply_edit`` (an undoable ``genzi_desktop.model.edits.Edit``); slow work (loading, view selection,
thumbnails) runs in worker threads (``workers.start_task``) so the window never freezes.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.views.cameras import Camera
from pipeline.scene.picking import pick_surface
from genzi_desktop.model.edits import ChangeCamera, Design, Edit, SetCameras, SetTarget
from pipeline.scene.targets import Target
from pipeline.views.geometry import camera_under_ray, orbit_camera

from genzi_desktop.model import scene_io
from genzi_desktop.dialogs.errors import describe_exception, show_error
from genzi_desktop.dialogs.import_options import ImportOptionsDialog
from genzi_desktop.panels.camera_panel import CameraPanel
from genzi_desktop.panels.log_panel import LogPanel
from genzi_desktop.panels.target_panel import TargetPanel
from genzi_desktop.settings import AppSettings
from genzi_desktop.window.undo import EditCommand
from genzi_desktop.viewport.view import SceneViewport
from genzi_desktop.workers.tasks import TaskHandle, start_task, stop_all_tasks

log = logging.getLogger("genzi_desktop")

THUMBNAIL_MAX_SIDE = 128
NEW_CAMERA_SIZE = 512
CAMERA_DRAG_DEG_PER_PX = 0.4


def _scene_summary(scene, path: Path | None) -> str:
    size = np.asarray(scene.size, float)
    name = path.name if path is not None else "scene"
    return f"{name}  —  {size[0]:.2f} × {size[1]:.2f} × {size[2]:.2f} m  —  {scene.triangle_count:,} triangles"


class MainWindow(QtWidgets.QMainWindow):
    sceneLoaded = QtCore.Signal(object)
    sceneLoadFailed = QtCore.Signal(str)
    viewsSelected = QtCore.Signal(int)
    viewSelectionFailed = QtCore.Signal(str)
    thumbnailsReady = QtCore.Signal()

    def __init__(self, settings: AppSettings | None = None, *, interactive: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("GenZI Desktop")
        self.settings = settings or AppSettings()
        self.interactive = interactive  # False: never ask questions (scripted screenshots)
        self.design = Design()
        self.scene = None
        self.scene_path: Path | None = None
        self.undo_stack = QtGui.QUndoStack(self)
        self._load_task: TaskHandle | None = None
        self._views_task: TaskHandle | None = None
        self._renderer = None  # off-screen SceneRenderer for thumbnails, made in a worker
        self._thumb_queue: list = []
        self._camera_drag_start = None  # (drag id, camera index, camera at the press)
        self._thumb_timer = QtCore.QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(200)
        self._thumb_timer.timeout.connect(self._queue_thumbnails)
        #: Hook for tests and scripts: (path, initial options, why) -> options or None (cancel).
        self.import_options_provider = self._ask_import_options

        self.viewport = SceneViewport(self)
        self.setCentralWidget(self.viewport)
        self.target_panel = TargetPanel(self)
        self.camera_panel = CameraPanel(self)
        self.log_panel = LogPanel(self)
        self.log_panel.attach(logging.getLogger())
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._add_dock("Target", self.target_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("Cameras", self.camera_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("Log", self.log_panel, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.docks["Log"].hide()
        history = QtWidgets.QUndoView(self.undo_stack, self)
        history.setEmptyLabel("(scene opened)")
        self._add_dock("History", history, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.docks["History"].hide()

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        from genzi_desktop.controllers.generation import GenerationController  # issue 8: prompt, runs, results, projects

        self.generation = GenerationController(self)
        from genzi_desktop.controllers.export import ExportController  # issue 9: bodies and images out

        self.exporter = ExportController(self)
        self._restore_window()
        self._restore_antialiasing()
        self._update_actions()

    # ------------------------------------------------------------------ construction
    def _add_dock(self, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.scene_label = QtWidgets.QLabel("No scene", self)
        self.progress_bar = QtWidgets.QProgressBar(self)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.cancel_button = QtWidgets.QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.scene_label)

    def _action(self, text: str, slot=None, shortcut=None, tip: str = "", checkable: bool = False) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_actions(self) -> None:
        SK = QtGui.QKeySequence.StandardKey
        self.act_open = self._action("&Open scene…", self.open_dialog, SK.Open, "Open a 3D scene file")
        self.act_screenshot = self._action("Save &screenshot…", self.save_screenshot_dialog, "Ctrl+Shift+S")
        self.act_quit = self._action("&Quit", self.close, SK.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QtGui.QKeySequence(SK.Undo))
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QtGui.QKeySequence(SK.Redo))
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_clear_target = self._action("Clear &target", self.clear_target, None)
        self.act_view = {
            "iso": self._action("&Isometric", lambda: self.viewport.view_preset("iso"), "Ctrl+0"),
            "top": self._action("&Top", lambda: self.viewport.view_preset("top"), "Ctrl+1"),
            "front": self._action("&Front", lambda: self.viewport.view_preset("front"), "Ctrl+2"),
            "side": self._action("&Side", lambda: self.viewport.view_preset("side"), "Ctrl+3"),
            "reset": self._action("&Reset view", lambda: self.viewport.view_preset("reset"), "Ctrl+R"),
        }
        self.act_grid = self._action("Floor &grid", self.viewport.set_grid_visible, None, checkable=True)
        self.act_grid.setChecked(True)
        self.act_culling = self._action("See into rooms from outside", self.viewport.set_backface_culling,
                                        None, "Hide walls that face away from the view", checkable=True)
        self.act_culling.setChecked(True)
        self.act_antialiasing = self._action("Smooth &edges (anti-aliasing)", self._set_antialiasing, None,
                                             "Multisampling: sharp on graphics cards, slow with software OpenGL",
                                             checkable=True)
        self.act_select_views = self._action("&Select views", self.select_views, "Ctrl+Shift+V",
                                             "Choose cameras around the target automatically")
        self.act_add_camera = self._action("&Add camera from view", self.add_camera_from_view, "Ctrl+Shift+A")
        self.act_delete_camera = self._action("&Delete camera", self.delete_current_camera, SK.Delete)
        self.act_camera_from_view = self._action(
            "Set camera from &view", self.set_current_camera_from_view, "Ctrl+Shift+U",
            "Move and aim the selected camera to where the viewport looks from now")
        self.act_look_through = self._action("&Look through camera", self.look_through_current, "Ctrl+L")
        self.act_generate = self._action("&Generate", self.generate, "Ctrl+Return",
                                         "Paint people into the views and lift them to 3D")
        self.act_cancel = self._action("&Cancel", self.cancel_running, "Esc")
        self.act_about = self._action("&About GenZI Desktop", self.show_about)
        self.act_controls = self._action("&Mouse and keys", self.show_controls, SK.HelpContents)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self._rebuild_recent_menu()
        m.addSeparator()
        m.addAction(self.act_screenshot)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addAction(self.act_undo)
        m.addAction(self.act_redo)
        m.addSeparator()
        m.addAction(self.act_clear_target)
        m = mb.addMenu("&View")
        for key in ("iso", "top", "front", "side", "reset"):
            m.addAction(self.act_view[key])
        m.addSeparator()
        m.addAction(self.act_grid)
        m.addAction(self.act_culling)
        m.addAction(self.act_antialiasing)
        m.addSeparator()
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Cameras")
        for a in (self.act_select_views, self.act_add_camera, self.act_look_through, self.act_camera_from_view,
                  self.act_delete_camera):
            m.addAction(a)
        m = mb.addMenu("&Generate")
        m.addAction(self.act_generate)
        m.addAction(self.act_cancel)
        m = mb.addMenu("&Help")
        m.addAction(self.act_controls)
        m.addAction(self.act_about)

    def _connect(self) -> None:
        self.viewport.surfaceClicked.connect(self.on_surface_clicked)
        self.viewport.targetDragged.connect(self.on_target_dragged)
        self.viewport.cameraDragged.connect(self.on_camera_dragged)
        self.viewport.cameraClicked.connect(self.on_camera_clicked)
        self.target_panel.targetEdited.connect(self.on_target_edited)
        self.target_panel.clearRequested.connect(self.clear_target)
        cp = self.camera_panel
        cp.selectionChanged.connect(self.viewport.set_selected_camera)
        cp.selectionChanged.connect(lambda _i: self._update_actions())
        cp.lookThroughRequested.connect(self.look_through)
        cp.selectViewsRequested.connect(self.select_views)
        cp.addFromViewRequested.connect(self.add_camera_from_view)
        cp.deleteRequested.connect(self.delete_camera)
        cp.cameraEdited.connect(self.on_camera_edited)
        self.cancel_button.clicked.connect(self.cancel_running)
        self.undo_stack.indexChanged.connect(lambda _i: self._update_actions())

    def _restore_antialiasing(self) -> None:
        from genzi_desktop.viewport.gl_info import antialiasing_by_default

        on = self.settings.antialiasing(default=antialiasing_by_default())
        self.act_antialiasing.setChecked(on)
        self.viewport.set_antialiasing(on)

    def _set_antialiasing(self, on: bool) -> None:
        self.viewport.set_antialiasing(on)
        self.settings.set_antialiasing(on)

    def _restore_window(self) -> None:
        # scripted runs (screenshots, tests) always use the default layout, so they are repeatable
        geometry = self.settings.window_geometry() if self.interactive else None
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            screen = QtGui.QGuiApplication.primaryScreen()
            avail = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1400, 900)
            self.resize(min(1600, int(avail.width() * 0.9)), min(1000, int(avail.height() * 0.9)))
        state = self.settings.window_state() if self.interactive else None
        if state is not None:
            self.restoreState(state)
        self._needs_dock_layout = state is None

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._needs_dock_layout:  # first run: narrow side bars, the viewport gets the room
            self._needs_dock_layout = False
            QtCore.QTimer.singleShot(0, self._default_dock_layout)

    def _default_dock_layout(self) -> None:
        side = [self.docks["Target"], self.docks["Cameras"]]
        self.resizeDocks(side, [max(330, self.width() // 5)] * 2, QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks(side, [185, max(300, self.height() - 265)], QtCore.Qt.Orientation.Vertical)
        left = [self.docks[t] for t in ("Prompt", "Models", "Results") if t in self.docks]
        if left:
            for dock in left[1:]:
                self.tabifyDockWidget(left[0], dock)
            left[0].raise_()
            self.resizeDocks([left[0]], [max(280, self.width() // 6)], QtCore.Qt.Orientation.Horizontal)
        if "Gallery" in self.docks:
            self.resizeDocks([self.docks["Gallery"]], [max(200, self.height() // 4)], QtCore.Qt.Orientation.Vertical)

    def _update_actions(self) -> None:
        has_scene = self.scene is not None
        has_target = self.design.target is not None
        busy = self._views_task is not None and self._views_task.is_running()
        self.act_select_views.setEnabled(has_scene and has_target and not busy)
        self.act_select_views.setText("&Select views again" if self.design.cameras else "&Select views")
        self.camera_panel.select_button.setEnabled(has_scene and has_target and not busy)
        self.camera_panel.set_select_label(bool(self.design.cameras))
        self.act_add_camera.setEnabled(has_scene)
        self.camera_panel.add_button.setEnabled(has_scene)
        has_cam = 0 <= self.camera_panel.current_index() < len(self.design.cameras)
        self.act_delete_camera.setEnabled(has_cam)
        self.act_look_through.setEnabled(has_cam)
        self.act_camera_from_view.setEnabled(has_cam)
        self.act_clear_target.setEnabled(has_target)
        generation = getattr(self, "generation", None)  # issue 8 adds the generation controller
        self.act_generate.setEnabled(generation is not None and generation.can_generate())
        self.act_cancel.setEnabled(self.progress_bar.isVisible())

    # ------------------------------------------------------------------ edits (undoable)
    def apply_edit(self, edit: Edit) -> None:
        """Run ``edit`` through the undo stack (merging drags into one step)."""
        self.undo_stack.push(EditCommand(self.design, edit, self._design_changed))

    def _design_changed(self, kind: str) -> None:
        if kind == "target":
            self.viewport.set_target(self.design.target)
            self.target_panel.set_target(self.design.target)
        elif kind == "cameras":
            self.camera_panel.set_cameras(self.design.cameras)
            self.viewport.set_cameras(self.design.cameras, self.camera_panel.current_index())
            self._render_thumbnails()
        self._update_actions()

    def set_target(self, target: Target | None, text: str = "Place target", merge_key=None) -> None:
        if target != self.design.target:
            self.apply_edit(SetTarget(self.design.target, target, text, merge_key))

    @QtCore.Slot()
    def clear_target(self) -> None:
        if self.design.target is not None:
            self.set_target(None, "Clear target")

    @QtCore.Slot(object, object)
    def on_target_edited(self, target: Target, merge_key) -> None:
        self.set_target(target, "Edit target", merge_key)

    # ------------------------------------------------------------------ picking
    def pick_at(self, x: int, y: int):
        """(point, normal) under VTK display pixel (x, y), or None for the sky."""
        origin, direction = self.viewport.ray_at(x, y)
        return pick_surface(self.scene, origin, direction, front_faces_only=self.viewport.backface_culling)

    @QtCore.Slot(int, int)
    def on_surface_clicked(self, x: int, y: int) -> None:
        if self.scene is None:
            self.statusBar().showMessage("Open a scene first (File > Open).", 5000)
            return
        hit = self.pick_at(x, y)
        if hit is None:
            self.statusBar().showMessage("No surface under the cursor (sky or empty space): click on a surface to place the target.", 6000)
            return
        point, normal = hit
        old = self.design.target
        radius = old.radius if old is not None else 0.0
        self.set_target(Target(point, normal, radius), "Place target")
        p = np.round(point, 3)
        self.statusBar().showMessage(f"Target at ({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}) m", 5000)

    @QtCore.Slot(int, int, int, bool)
    def on_target_dragged(self, x: int, y: int, drag_id: int, finished: bool) -> None:
        if self.scene is None:
            return
        hit = self.pick_at(x, y)
        if hit is None:
            return
        old = self.design.target
        radius = old.radius if old is not None else 0.0
        self.set_target(Target(hit[0], hit[1], radius), "Move target", ("drag", drag_id))

    # ------------------------------------------------------------------ cameras
    def _camera_name(self, existing: list[Camera]) -> str:
        names = {c.name for c in existing}
        i = len(existing)
        while f"view_{i:02d}" in names:
            i += 1
        return f"view_{i:02d}"

    @QtCore.Slot()
    def add_camera_from_view(self) -> None:
        if self.scene is None:
            return
        cams = self.design.cameras
        camera = self.viewport.current_camera(name=self._camera_name(cams), width=NEW_CAMERA_SIZE,
                                              height=NEW_CAMERA_SIZE)
        self.apply_edit(SetCameras(cams, cams + [camera], "Add camera"))
        self.camera_panel.list.setCurrentRow(len(self.design.cameras) - 1)

    @QtCore.Slot(int, int)
    def on_camera_clicked(self, x: int, y: int) -> None:
        """Ctrl+click on a frustum selects that camera."""
        if not self.design.cameras:
            return
        origin, direction = self.viewport.ray_at(x, y)
        index = camera_under_ray(self.design.cameras, origin, direction, self.viewport.frustum_depth)
        if index is None:
            self.statusBar().showMessage("No camera there: Ctrl+click on a camera's frustum to select it.", 5000)
            return
        self.camera_panel.list.setCurrentRow(index)
        self.statusBar().showMessage(f"Selected {self.design.cameras[index].name}; Ctrl+drag swings it.", 5000)

    @QtCore.Slot(float, float, int, bool)
    def on_camera_dragged(self, dx: float, dy: float, drag_id: int, finished: bool) -> None:
        """Ctrl+drag swings the selected camera around its look-at point; one drag = one undo step."""
        index = self.camera_panel.current_index()
        if not 0 <= index < len(self.design.cameras):
            if finished:
                self.statusBar().showMessage("Select a camera in the Cameras panel, then Ctrl+drag to move it.", 5000)
            return
        if dx == 0 and dy == 0:
            return
        start = self._camera_drag_start
        if start is None or start[0] != drag_id or start[1] != index:
            start = self._camera_drag_start = (drag_id, index, self.design.cameras[index])
        camera = start[2]
        pivot = camera.look_at if camera.look_at is not None else (
            self.design.target.point_array if self.design.target is not None else None)
        if pivot is None:
            return
        moved = orbit_camera(camera, pivot, -CAMERA_DRAG_DEG_PER_PX * dx, CAMERA_DRAG_DEG_PER_PX * dy)
        self.apply_edit(ChangeCamera(index, self.design.cameras[index], moved, f"Move {camera.name or 'camera'}",
                                     ("camera-drag", drag_id)))
        if finished:
            self._camera_drag_start = None

    @QtCore.Slot()
    def set_current_camera_from_view(self) -> None:
        """Look through a camera, orbit/pan/zoom, then take the new pose (one undo step)."""
        index = self.camera_panel.current_index()
        if not 0 <= index < len(self.design.cameras):
            return
        old = self.design.cameras[index]
        new = self.viewport.current_camera(name=old.name, width=old.width, height=old.height)
        new.fov_y_deg = old.fov_y_deg
        new.extra = {k: v for k, v in (old.extra or {}).items() if k != "visibility"}
        self.apply_edit(ChangeCamera(index, old, new, f"Move {old.name or 'camera'} to the view"))

    @QtCore.Slot(int)
    def delete_camera(self, index: int) -> None:
        cams = self.design.cameras
        if 0 <= index < len(cams):
            self.apply_edit(SetCameras(cams, cams[:index] + cams[index + 1:], f"Delete {cams[index].name or 'camera'}"))

    @QtCore.Slot()
    def delete_current_camera(self) -> None:
        self.delete_camera(self.camera_panel.current_index())

    @QtCore.Slot(int, object, object)
    def on_camera_edited(self, index: int, camera: Camera, merge_key) -> None:
        if 0 <= index < len(self.design.cameras):
            self.apply_edit(ChangeCamera(index, self.design.cameras[index], camera, "Edit camera", merge_key))

    @QtCore.Slot(int)
    def look_through(self, index: int) -> None:
        if 0 <= index < len(self.design.cameras):
            self.viewport.look_through(self.design.cameras[index], index)
            self.statusBar().showMessage(f"Looking through {self.design.cameras[index].name}", 4000)

    @QtCore.Slot()
    def look_through_current(self) -> None:
        self.look_through(self.camera_panel.current_index())

    @QtCore.Slot()
    def select_views(self) -> None:
        """Run GenZI's automatic view selection for the target in a worker thread."""
        if self.scene is None or self.design.target is None:
            self.statusBar().showMessage("Place a target first: click on a surface in the view.", 6000)
            return
        if self._views_task is not None and self._views_task.is_running():
            return
        from pipeline.generation.stages import select_views

        try:
            settings = self.generation.job_settings()
        except ValueError as exc:
            show_error(self, "Cannot select views", str(exc), "Correct the Advanced settings in the Prompt panel.")
            return
        scene, target, prompt = self.scene, self.design.target, self._current_prompt()
        radius = target.radius if target.is_region else None

        def job(report, cancel):
            report("Selecting views…", 0, 0)
            # the job's settings: its preset's number of views, image size and framing, the region radius
            return select_views(scene, target.point_array, target.normal_array, settings, radius, prompt)

        self._show_progress("Selecting views…")
        self._views_task = start_task(self, job, name="select-views",
                                      on_finished=lambda sel: self._views_done(sel, scene),
                                      on_failed=self._views_failed, on_progress=self._on_progress,
                                      on_cancelled=self._task_cancelled)
        self._views_task.done.connect(self._update_actions)  # the thread has really ended
        self._update_actions()

    def _current_prompt(self) -> str | None:
        panel = getattr(getattr(self, "generation", None), "prompt_panel", None)
        try:
            return panel.values().prompt if panel is not None else None
        except Exception:  # a half-typed prompt must not stop view selection
            return None

    def _views_done(self, selection, scene=None) -> None:
        self._views_task = None
        self._hide_progress()
        if scene is not None and scene is not self.scene:  # another scene was opened meanwhile
            log.info("View selection finished for a scene that is no longer open; ignored.")
            return
        cameras = []
        for cam, vis in zip(selection.cameras, selection.visibility):
            cam.extra = dict(cam.extra or {}, visibility=float(vis))
            cameras.append(cam)
        again = bool(self.design.cameras)
        self.apply_edit(SetCameras(self.design.cameras, cameras, "Select views again" if again else "Select views"))
        for rule in selection.relaxed:
            log.warning("View selection relaxed: %s", rule)
        for w in selection.warnings:
            log.warning("View selection: %s", w)
        msg = f"Selected {len(cameras)} views"
        if selection.relaxed:
            msg += " (rules relaxed: " + "; ".join(selection.relaxed) + ")"
        self.statusBar().showMessage(msg, 8000)
        log.info(msg)
        self._update_actions()
        self.viewsSelected.emit(len(cameras))

    def _views_failed(self, exc: BaseException) -> None:
        self._views_task = None
        self._hide_progress()
        self._update_actions()
        message = describe_exception(exc)
        self.viewSelectionFailed.emit(message)
        show_error(self, "No views found", f"Could not choose cameras for this target: {message}",
                   "Move the target to an open surface (a seat, the floor, a table top), or add "
                   "cameras by hand with Cameras > Add camera from view.")

    # ------------------------------------------------------------------ thumbnails
    # Rendered in the GUI thread, one per event-loop turn: an off-screen VTK render in a worker
    # thread while the Qt viewport paints deadlocks here (both wait for the GIL / GL locks).
    def _render_thumbnails(self) -> None:
        """Debounced: a drag changes a camera many times; render once it rests."""
        self._thumb_timer.start()

    @QtCore.Slot()
    def _queue_thumbnails(self) -> None:
        if self.scene is None:
            return
        self._thumb_queue = []
        for i, cam in enumerate(self.design.cameras):
            if self.camera_panel.needs_thumbnail(i):
                scale = THUMBNAIL_MAX_SIDE / max(cam.width, cam.height)
                small = Camera(max(1, round(cam.width * scale)), max(1, round(cam.height * scale)),
                               cam.fov_y_deg, cam.world_to_camera, name=cam.name)
                self._thumb_queue.append((i, cam.to_json(), small))
        if self._thumb_queue:
            QtCore.QTimer.singleShot(0, self._render_next_thumbnail)

    @QtCore.Slot()
    def _render_next_thumbnail(self) -> None:
        if not self._thumb_queue or self.scene is None or getattr(self, "_shut_down", False):
            return
        index, key, small = self._thumb_queue.pop(0)
        try:
            if self._renderer is None or self._renderer.scene is not self.scene:
                from pipeline.views.render import SceneRenderer

                self._renderer = SceneRenderer(self.scene)
            self.camera_panel.set_thumbnail(index, key, self._renderer.rgb(small))
        except Exception as exc:  # a missing thumbnail must not stop the work
            log.warning("Thumbnail of %s failed: %s", small.name, describe_exception(exc))
            self._thumb_queue.clear()
        if self._thumb_queue:
            QtCore.QTimer.singleShot(0, self._render_next_thumbnail)
        else:
            self.thumbnailsReady.emit()

    # ------------------------------------------------------------------ loading
    @QtCore.Slot()
    def open_dialog(self) -> None:
        folder = self.settings.last_folder() or str(Path.home())
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open scene", folder, scene_io.file_filter())
        if path:
            self.open_scene(path)

    def _ask_import_options(self, path: Path, initial, why: str):
        if not self.interactive:
            return initial
        dialog = ImportOptionsDialog(path, initial, why, self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return None
        return dialog.options()

    def open_scene(self, path: str | Path, options=None) -> None:
        """Load ``path`` in the background; asks for up axis/unit for OBJ/PLY/STL/FBX."""
        path = Path(path).expanduser()
        if self._load_task is not None and self._load_task.is_running():
            self.statusBar().showMessage("A scene is still loading; wait or press Cancel.", 5000)
            return
        if not path.is_file():
            self._load_failed_message(path, f"The file {path} does not exist.",
                                      "Check the name, or choose the file again with File > Open.")
            return
        if not scene_io.is_scene_file(path):
            self._load_failed_message(
                path, f"{path.name} is not a scene format GenZI Desktop can open.",
                "Open a GLB/glTF, OBJ, PLY, STL or FBX file (export one from your modelling tool).")
            return
        if options is None and scene_io.needs_import_options(path):
            remembered = self.settings.import_options(path)
            if remembered is not None:
                initial = scene_io.SceneImportOptions(**remembered)
                self._confirm_options_and_load(path, initial, "Your earlier choice for this file.")
            else:
                self._show_progress(f"Reading {path.name}…")

                def guess(report, cancel):
                    return scene_io.guess_import_options(path)

                self._load_task = start_task(
                    self, guess, name="guess-options",
                    on_finished=lambda opts: self._guess_done(path, opts),
                    on_failed=lambda exc: self._load_failed(path, exc), on_progress=self._on_progress)
            return
        self._start_load(path, options)

    def _guess_done(self, path: Path, options) -> None:
        self._hide_progress()
        self._load_task = None
        why = "Best guess: " + options.describe()
        self._confirm_options_and_load(path, options, why)

    def _confirm_options_and_load(self, path: Path, initial, why: str) -> None:
        chosen = self.import_options_provider(path, initial, why)
        if chosen is None:
            self.statusBar().showMessage(f"Opening {path.name} cancelled.", 4000)
            return
        self.settings.set_import_options(path, chosen.up_axis, chosen.unit)
        self._start_load(path, chosen)

    def _start_load(self, path: Path, options) -> None:
        self._show_progress(f"Loading {path.name}…")
        log.info("Loading %s", path)

        def job(report, cancel):
            def progress(fraction, message):
                cancel.check()
                report(message, int(100 * fraction), 100)

            scene = scene_io.load_scene(path, options, progress)
            report("Preparing the display…", 100, 100)
            from pipeline.views.render import scene_to_pyvista

            return scene, scene_to_pyvista(scene)  # display meshes too: no GL needed, so off the GUI thread

        self._load_task = start_task(self, job, name="load-scene",
                                     on_finished=lambda result: self._load_done(path, *result),
                                     on_failed=lambda exc: self._load_failed(path, exc),
                                     on_progress=self._on_progress, on_cancelled=self._task_cancelled)

    def _load_done(self, path: Path, scene, parts=None) -> None:
        self._hide_progress()
        self._load_task = None
        self.set_scene(scene, path, parts)

    def set_scene(self, scene, path: Path | None, parts: list | None = None) -> None:
        """Show a loaded scene; the old target, cameras and undo history go with the old scene."""
        old_renderer, self._renderer = self._renderer, None
        if old_renderer is not None:
            try:
                old_renderer.close()
            except Exception:  # pragma: no cover
                pass
        self.scene, self.scene_path = scene, path
        self.undo_stack.clear()
        self.design.target = None
        self.design.cameras = []
        self.viewport.set_target(None)
        self.viewport.set_cameras([])
        self.viewport.set_scene(scene, parts)
        self.target_panel.set_target(None)
        self.camera_panel.set_cameras([])
        self.scene_label.setText(_scene_summary(scene, path))
        title = path.name if path is not None else "scene"
        self.setWindowTitle(f"{title} — GenZI Desktop")
        if path is not None:
            self.settings.add_recent_file(path)
            self.settings.set_last_folder(str(Path(path).resolve().parent))
            self._rebuild_recent_menu()
        for w in getattr(scene, "warnings", []) or []:
            log.warning("%s", w)
        options = getattr(scene, "options", None)
        if options is not None and hasattr(options, "describe"):
            log.info("Loaded %s: %s", title, options.describe())
        self.statusBar().showMessage(f"Loaded {title}. Click a surface to place the target.", 8000)
        self._update_actions()
        self.sceneLoaded.emit(scene)

    def _load_failed(self, path: Path, exc: BaseException) -> None:
        self._hide_progress()
        self._load_task = None
        advice = ("The previous scene stays open. Check that the file is a complete 3D model "
                  "(re-export it from your modelling tool as GLB, OBJ, PLY, STL or FBX) and try again.")
        if isinstance(exc, MemoryError):
            advice = "The scene is too large for this computer's memory. Simplify it and try again."
        self._load_failed_message(path, f"Could not open {path.name}: {describe_exception(exc)}", advice)

    def _load_failed_message(self, path: Path, message: str, advice: str) -> None:
        self.sceneLoadFailed.emit(message)
        show_error(self, "Could not open the scene", message, advice)

    # ------------------------------------------------------------------ progress
    def _show_progress(self, text: str) -> None:
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(text)
        self.progress_bar.show()
        self.cancel_button.show()
        self.statusBar().showMessage(text)
        self._update_actions()

    def _hide_progress(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.statusBar().clearMessage()
        self._update_actions()

    def _on_progress(self, message: str, step: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(step)
        if message:
            self.progress_bar.setFormat(f"{message} %p%" if total > 0 else message)
            self.statusBar().showMessage(message)

    def _task_cancelled(self) -> None:
        self._hide_progress()
        self.statusBar().showMessage("Cancelled.", 4000)

    @QtCore.Slot()
    def cancel_running(self) -> None:
        for task in (self._load_task, self._views_task):
            if task is not None and task.is_running():
                task.cancel()
        if getattr(self, "generation", None) is not None:
            self.generation.cancel()

    def is_busy(self) -> bool:
        generating = getattr(self, "generation", None) is not None and self.generation.is_busy()
        return generating or any(t is not None and t.is_running() for t in (self._load_task, self._views_task))

    # ------------------------------------------------------------------ recent files / drops
    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_scene(f))
        if not files:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent_files()
        self._rebuild_recent_menu()

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and scene_io.is_scene_file(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile() and scene_io.is_scene_file(url.toLocalFile()):
                event.acceptProposedAction()
                self.open_scene(url.toLocalFile())
                return
        event.ignore()

    # ------------------------------------------------------------------ screenshots
    def grab_window_image(self) -> QtGui.QImage:
        """The whole window (viewport included) as an image."""
        self.viewport.plotter.render()
        QtWidgets.QApplication.processEvents()
        return self.grab().toImage()

    def save_screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        image = self.grab_window_image()
        if not image.save(str(path)):
            raise OSError(f"Could not write the screenshot to {path}; check the folder is writable.")
        return path

    @QtCore.Slot()
    def save_screenshot_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "screenshot.png", "PNG (*.png)")
        if path:
            try:
                self.save_screenshot(path)
            except OSError as exc:
                show_error(self, "Screenshot not saved", str(exc))

    # ------------------------------------------------------------------ generate (issue 8)
    @QtCore.Slot()
    def generate(self) -> None:
        if getattr(self, "generation", None) is not None:
            self.generation.generate()
        else:
            self.statusBar().showMessage("Generation is not wired into the window yet.", 5000)

    # ------------------------------------------------------------------ help
    def show_about(self) -> None:
        import pyvista
        import PySide6

        from genzi_desktop import __name__ as pkg

        text = (f"<b>GenZI Desktop</b><br>Put people into 3D designs from a sentence.<br><br>"
                f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
                f"pyvista {pyvista.__version__}<br>Package: {pkg}<br>"
                "Sample scene: CC0 (Poly Haven, TRI via RobotLocomotion/models).<br><br>"
                + (self.generation.about_html() if getattr(self, "generation", None) is not None else ""))
        QtWidgets.QMessageBox.about(self, "About GenZI Desktop", text)

    def show_controls(self) -> None:
        QtWidgets.QMessageBox.information(
            self, "Mouse and keys",
            "Left-drag: orbit   Middle-drag: pan   Wheel / right-drag: zoom\n"
            "Click a surface: place the target   Shift+drag: move the target along surfaces\n"
            "Ctrl+click a frustum: select that camera   Ctrl+drag: swing it around the point it looks at\n"
            "Ctrl+0..3: iso/top/front/side view   Ctrl+R: reset view\n"
            "Ctrl+Z / Ctrl+Shift+Z: undo / redo\n"
            "Ctrl+Shift+V: select views   Ctrl+Shift+A: add camera from view   Ctrl+L: look through\n"
            "Ctrl+Shift+U: move the selected camera to the current view   Delete: delete the camera")

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        runner = getattr(getattr(self, "generation", None), "runner", None)
        if runner is not None and runner.is_running():
            # Cancel and close once the job has stopped: some steps (building the body model)
            # cannot be interrupted, and destroying a running QThread aborts the whole process.
            self.generation.cancel()
            if not runner.wait(2000):
                self.statusBar().showMessage("Closing as soon as the running job has stopped…")
                runner.done.connect(self.close)
                event.ignore()
                return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop workers, remember the window, free the render windows (idempotent)."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        if getattr(self, "generation", None) is not None:
            self.generation.shutdown()
        stop_all_tasks()
        try:
            if self.interactive:
                self.settings.save_window(self.saveGeometry(), self.saveState())
            self.settings.sync()
        except RuntimeError:  # pragma: no cover
            pass
        if self._renderer is not None:
            try:
                self._renderer.close()
            except Exception:  # pragma: no cover
                pass
            self._renderer = None
        self.log_panel.detach(logging.getLogger())
        self.viewport.close_plotter()
