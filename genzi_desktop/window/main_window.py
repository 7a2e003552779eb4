"""The main window: menus, docks, the viewport, the undo histories and remembered settings.

It wires panels to the design: every change of the target or cameras goes through
``apply_edit`` (an undoable ``genzi_desktop.model.edits.Edit``); slow work (loading, view selection,
thumbnails) runs in worker threads (``workers.start_task``) so the window never freezes.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from genzi_desktop.model.edits import Design
from genzi_desktop.dialogs.errors import show_error
from genzi_desktop.panels.camera_panel import CameraPanel
from genzi_desktop.panels.log_panel import LogPanel
from genzi_desktop.panels.target_panel import TargetPanel
from genzi_desktop.settings import AppSettings
from genzi_desktop.viewport.view import SceneViewport
from genzi_desktop.window.actions import build_actions, build_menus, name_actions
from genzi_desktop.window.design_edits import DesignEditing
from genzi_desktop.window.outline_view import OutlineView
from genzi_desktop.window.scene_loading import SceneLoading
from genzi_desktop.window.undo import PersonHistories
from genzi_desktop.window.view_selection import ViewSelection
from genzi_desktop.workers.tasks import TaskHandle, stop_all_tasks

log = logging.getLogger("genzi_desktop")


class MainWindow(SceneLoading, DesignEditing, ViewSelection, OutlineView, QtWidgets.QMainWindow):
    """The window: docks, status bar, progress, closing; its parts live in
    ``window.scene_loading``, ``window.design_edits``, ``window.view_selection``,
    ``window.outline_view`` and ``window.actions``; controllers own the prompt, runs, results and export."""

    sceneLoaded = QtCore.Signal(object)
    sceneLoadFailed = QtCore.Signal(str)
    viewsSelected = QtCore.Signal(int)
    viewSelectionFailed = QtCore.Signal(str)
    thumbnailsReady = QtCore.Signal()

    def __init__(self, settings: AppSettings | None = None, *, interactive: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("GenZI Desktop")
        self.settings = settings or AppSettings()
        self._shut_down = False
        self.interactive = interactive  # False: never ask questions (scripted screenshots)
        self.design = Design()
        self.generation = None  # the generation controller, made once the window's actions and menus exist
        self.exporter = None
        self.scene = None
        self.scene_path: Path | None = None
        self.histories = PersonHistories(self)  # one undo stack per person; the active one is ``undo_stack``
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
        self.add_dock("Target", self.target_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_dock("Cameras", self.camera_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_dock("Log", self.log_panel, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.docks["Log"].hide()
        history = QtWidgets.QUndoView(self.histories.group, self)
        history.setEmptyLabel("(scene opened)")
        self.add_dock("History", history, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.docks["History"].hide()
        self.build_outline_dock()

        self._build_status_bar()
        self.menus: dict[str, QtWidgets.QMenu] = {}
        build_actions(self)
        build_menus(self)
        name_actions(self)
        self._connect()
        self.setAcceptDrops(True)
        from genzi_desktop.controllers.generation import GenerationController
        from genzi_desktop.controllers.export import ExportController

        from genzi_desktop.controllers.populate import PopulateController

        self.generation = GenerationController(self)
        self.exporter = ExportController(self)
        self.populate = PopulateController(self)
        self._restore_window()
        self._restore_view_options()
        self.update_actions()

    @property
    def undo_stack(self) -> QtGui.QUndoStack:
        """The selected person's undo history: where edits go and what Ctrl+Z undoes."""
        return self.histories.active

    # ------------------------------------------------------------------ construction
    def add_dock(self, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
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

    def add_action(self, text: str, slot=None, shortcut=None, tip: str = "", checkable: bool = False) -> QtGui.QAction:
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

    def _connect(self) -> None:
        self.viewport.surfaceClicked.connect(self.on_surface_clicked)
        self.viewport.targetDragged.connect(self.on_target_dragged)
        self.viewport.cameraDragged.connect(self.on_camera_dragged)
        self.viewport.cameraClicked.connect(self.on_camera_clicked)
        self.target_panel.targetEdited.connect(self.on_target_edited)
        self.target_panel.clearRequested.connect(self.clear_target)
        cp = self.camera_panel
        cp.selectionChanged.connect(self.viewport.set_selected_camera)
        cp.selectionChanged.connect(lambda _i: self.update_actions())
        cp.lookThroughRequested.connect(self.look_through)
        cp.selectViewsRequested.connect(self.select_views)
        cp.addFromViewRequested.connect(self.add_camera_from_view)
        cp.deleteRequested.connect(self.delete_camera)
        cp.cameraEdited.connect(self.on_camera_edited)
        self.cancel_button.clicked.connect(self.cancel_running)
        self.histories.group.indexChanged.connect(lambda _i: self.update_actions())

    def _restore_view_options(self) -> None:
        """The View menu's switches as the user left them (anti-aliasing, floor grid, culling)."""
        from genzi_desktop.viewport.gl_info import antialiasing_by_default

        on = self.settings.antialiasing(default=antialiasing_by_default())
        self.act_antialiasing.setChecked(on)
        self.viewport.set_antialiasing(on)
        for action, name, apply in ((self.act_grid, "grid", self.viewport.set_grid_visible),
                                    (self.act_culling, "culling", self.viewport.set_backface_culling)):
            on = self.settings.view_option(name, action.isChecked())
            action.setChecked(on)
            apply(on)
            action.toggled.connect(lambda checked, name=name: self.settings.set_view_option(name, checked))

    def set_antialiasing(self, on: bool) -> None:
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
        side = [self.docks["Target"], self.docks["Cameras"], self.docks["Outline"]]
        self.splitDockWidget(side[1], side[2], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks(side, [max(330, self.width() // 5)] * 3, QtCore.Qt.Orientation.Horizontal)
        rest = max(500, self.height() - 265)
        self.resizeDocks(side, [185, rest // 2, rest - rest // 2], QtCore.Qt.Orientation.Vertical)
        left = [self.docks[t] for t in ("Prompt", "Models", "Results", "Populate") if t in self.docks]
        if left:
            for dock in left[1:]:
                self.tabifyDockWidget(left[0], dock)
            left[0].raise_()
            self.resizeDocks([left[0]], [max(280, self.width() // 6)], QtCore.Qt.Orientation.Horizontal)
        if "Gallery" in self.docks:
            self.resizeDocks([self.docks["Gallery"]], [max(200, self.height() // 4)], QtCore.Qt.Orientation.Vertical)

    def update_actions(self) -> None:
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
        generation = self.generation
        self.act_generate.setEnabled(generation is not None and generation.can_generate())
        self.act_cancel.setEnabled(self.progress_bar.isVisible())

    # ------------------------------------------------------------------ progress
    def show_progress(self, text: str) -> None:
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(text)
        self.progress_bar.show()
        self.cancel_button.show()
        self.statusBar().showMessage(text)
        self.update_actions()

    def hide_progress(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.statusBar().clearMessage()
        self.update_actions()

    def report_progress(self, message: str, step: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(step)
        if message:
            self.progress_bar.setFormat(f"{message} %p%" if total > 0 else message)
            self.statusBar().showMessage(message)

    def _task_cancelled(self) -> None:
        self.hide_progress()
        self.statusBar().showMessage("Cancelled.", 4000)

    @QtCore.Slot()
    def cancel_running(self) -> None:
        for task in (self._load_task, self._views_task):
            if task is not None and task.is_running():
                task.cancel()
        if self.generation is not None:
            self.generation.cancel()

    def is_busy(self) -> bool:
        generating = self.generation is not None and self.generation.is_busy()
        return generating or any(t is not None and t.is_running() for t in (self._load_task, self._views_task))

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

    # ------------------------------------------------------------------ generate
    @QtCore.Slot()
    def generate(self) -> None:
        if self.generation is not None:
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
                + (self.generation.model_panel.about_html() if self.generation is not None else ""))
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
        if not self._shut_down and self.generation is not None:
            from genzi_desktop.controllers.unsaved import confirm_discard

            if not confirm_discard(self.generation.projects, "quitting"):
                event.ignore()  # the user cancelled, or the save did not happen
                return
        runner = self.generation.runner if self.generation is not None else None
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
        if self._shut_down:
            return
        self._shut_down = True
        if self.generation is not None:
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
