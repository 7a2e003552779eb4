"""Opening scenes in the main window: file dialog, import options (up axis, unit), loading in
a worker, recent files and drag-and-drop."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from genzi_desktop.dialogs.errors import describe_exception, show_error, show_warning
from genzi_desktop.dialogs.import_options import ImportOptionsDialog
from genzi_desktop.model import scene_io
from genzi_desktop.workers.tasks import start_task

log = logging.getLogger("genzi_desktop")


def scene_summary(scene, path: Path | None) -> str:
    size = np.asarray(scene.size, float)
    name = path.name if path is not None else "scene"
    return f"{name}  —  {size[0]:.2f} × {size[1]:.2f} × {size[2]:.2f} m  —  {scene.triangle_count:,} triangles"


class SceneLoading:
    """Main-window part: File > Open scene, recent files and drops."""

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

    def open_scene(self, path: str | Path, options=None, *, for_project: bool = False) -> None:
        """Load ``path`` in the background; asks for up axis/unit for OBJ/PLY/STL/FBX, and first
        whether to save unsaved bodies of another scene (not when ``for_project`` opens it)."""
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
                f"Open one of: {scene_io.supported_formats_text()} (export one from your modelling tool).")
            return
        if not for_project and self.generation is not None:
            from genzi_desktop.controllers.unsaved import confirm_scene_change

            if not confirm_scene_change(self.generation.projects, path):
                return
        remembered = self.settings.import_options(path) if options is None else None
        if remembered is not None and not scene_io.needs_import_options(path):
            options = scene_io.SceneImportOptions(**remembered)  # chosen with File > Reopen with…
        if options is None and scene_io.needs_import_options(path):
            if remembered is not None:
                initial = scene_io.SceneImportOptions(**remembered)
                self._confirm_options_and_load(path, initial, "Your earlier choice for this file.")
            else:
                self.show_progress(f"Reading {path.name}…")

                def guess(report, cancel):
                    return scene_io.guess_import_options(path)

                self._load_task = start_task(
                    self, guess, name="guess-options",
                    on_finished=lambda opts: self._guess_done(path, opts),
                    on_failed=lambda exc: self._load_failed(path, exc), on_progress=self.report_progress)
            return
        self._start_load(path, options)

    @QtCore.Slot()
    def reopen_with_options(self) -> None:
        """File > Reopen with up axis and unit: the same file in a frame the user picks."""
        if self.scene is None or self.scene_path is None:
            self.statusBar().showMessage("Open a scene first (File > Open).", 5000)
            return
        why = "Now: " + self.scene.options.describe()
        self._confirm_options_and_load(self.scene_path, self.scene.options, why)

    def _guess_done(self, path: Path, options) -> None:
        self.hide_progress()
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
        self.show_progress(f"Loading {path.name}…")
        log.info("Loading %s", path)

        def job(report, cancel):
            def progress(fraction, message):
                cancel.check()
                report(message, int(100 * fraction), 100)

            scene = scene_io.load_scene(path, options, progress)
            report("Preparing the display…", 100, 100)
            for g in scene.geometries:  # trimesh caches the display normals here; VTK objects are made on the GUI thread (see set_scene)
                g.vertex_normals
            return scene

        self._load_task = start_task(self, job, name="load-scene",
                                     on_finished=lambda scene: self._load_done(path, scene),
                                     on_failed=lambda exc: self._load_failed(path, exc),
                                     on_progress=self.report_progress, on_cancelled=self._task_cancelled)

    def _load_done(self, path: Path, scene) -> None:
        self.hide_progress()
        self._load_task = None
        self.set_scene(scene, path)

    def set_scene(self, scene, path: Path | None) -> None:
        """Show a loaded scene; the old target, cameras and undo history go with the old scene.
        The same file again (Reopen with up axis and unit) keeps the parts the user hid.

        The display meshes are made here, on the GUI thread: VTK objects built in a worker while
        a window draws can hang both threads (seen with two windows under Xvfb)."""
        kept = self.outline_changes() if path is not None and path == self.scene_path else None
        old_renderer, self._renderer = self._renderer, None
        if old_renderer is not None:
            try:
                old_renderer.close()
            except Exception:  # pragma: no cover
                pass
        self.scene, self.scene_path = scene, path
        self.histories.clear()
        self.design.target = None
        self.design.cameras = []
        self.viewport.set_target(None)
        self.viewport.set_cameras([])
        self.viewport.set_scene(scene)
        self.show_outline_of(scene, kept)
        self.target_panel.set_target(None)
        self.camera_panel.set_cameras([])
        self.scene_label.setText(scene_summary(scene, path))
        title = path.name if path is not None else "scene"
        self.setWindowTitle(f"{title} — GenZI Desktop")
        if path is not None:
            self.settings.add_recent_file(path)
            self.settings.set_last_folder(str(Path(path).resolve().parent))
            self.rebuild_recent_menu()
        if scene.warnings:  # parts missing: say which and what to do; what could be read is shown
            show_warning(self, f"{title} opened with parts missing", "\n\n".join(scene.warnings))
        log.info("Loaded %s: %s", title, scene.options.describe())
        self.statusBar().showMessage(f"Loaded {title}. Click a surface to place the target.", 8000)
        self.update_actions()
        self.sceneLoaded.emit(scene)

    def _load_failed(self, path: Path, exc: BaseException) -> None:
        self.hide_progress()
        self._load_task = None
        advice = ("The previous scene stays open. Check that the file is a complete 3D model "
                  f"(re-export it from your modelling tool as one of: {scene_io.supported_formats_text()}) "
                  "and try again.")
        if isinstance(exc, MemoryError):
            advice = "The scene is too large for this computer's memory. Simplify it and try again."
        self._load_failed_message(path, f"Could not open {path.name}: {describe_exception(exc)}", advice)

    def _load_failed_message(self, path: Path, message: str, advice: str) -> None:
        self.sceneLoadFailed.emit(message)
        show_error(self, "Could not open the scene", message, advice)

    # ------------------------------------------------------------------ recent files / drops
    def rebuild_recent_menu(self) -> None:
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
        self.rebuild_recent_menu()

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

