"""Projects of the main window: open, save, the recent-projects menu, autosave and recovery.

The :class:`ProjectController` owns the open project and its file; the generation
controller reads it (``generation.project``) and this controller asks the generation
controller, through its public methods, to store and show the active person's design.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from genzi_desktop.model.autosave import AutosaveSlot, discard_autosave, new_session_id, recoverable_autosaves
from genzi_desktop.model.project import SUFFIX, Project, ProjectError, new_project
from genzi_desktop.model.project_files import open_project, save_project

from genzi_desktop.controllers.unsaved import confirm_discard
from genzi_desktop.dialogs.errors import show_error
from genzi_desktop.viewport.view_state import set_view_state, view_state
from genzi_desktop.window.actions import name_actions

log = logging.getLogger("genzi_desktop.generation")

MAX_RECENT_PROJECTS = 10
#: The recovery copy is at most this far behind the window (seconds); $GENZI_AUTOSAVE_SECONDS overrides.
AUTOSAVE_SECONDS_DEFAULT = 30


class ProjectController(QtCore.QObject):
    """File > New/Open/Save project, recent projects, autosave and recovery of the window's project."""

    projectOpened = QtCore.Signal(str)
    projectSaved = QtCore.Signal(str)
    autosaved = QtCore.Signal(str)

    def __init__(self, generation, data_dir: Path) -> None:
        super().__init__(generation)
        self.generation = generation
        self.window = generation.window
        self.qs = self.window.settings.qs
        self.workspace = data_dir / "workspaces"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.autosave_slot = AutosaveSlot(data_dir / "autosave", new_session_id())
        self.autosave_slot.claim()
        self.project: Project = new_project(self.workspace)
        self.window.histories.follow(self.project.people, self.project.person)
        self.project_path: Path | None = None
        self._opening: Project | None = None
        self._shut_down = False
        #: Hooks for tests and scripts (they replace dialogs).
        self.recovery_provider = self._ask_recovery
        self.project_path_provider = self._ask_project_path
        self._autosaved_state: str | None = None
        self.saved_state: str | None = None  # state_text() when last saved or opened
        self.autosave_timer = QtCore.QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave_if_changed)
        seconds = os.environ.get("GENZI_AUTOSAVE_SECONDS") or self.qs.value(
            "autosave/seconds", AUTOSAVE_SECONDS_DEFAULT, type=int)
        self.set_autosave_seconds(int(seconds))
        self._build_actions()
        self.window.sceneLoaded.connect(self._on_scene_loaded)

    def _build_actions(self) -> None:
        w = self.window
        SK = QtGui.QKeySequence.StandardKey
        self.act_new_project = w.add_action("&New project", self.new_project, SK.New)
        self.act_open_project = w.add_action("Open &project…", self.open_project_dialog, "Ctrl+Shift+O")
        self.act_save_project = w.add_action("Save project", self.save_project_action, SK.Save)
        self.act_save_project_as = w.add_action("Save project &as…", self.save_project_as_dialog, "Ctrl+Alt+S")
        name_actions(self)
        file_menu = w.menus["file"]
        first = file_menu.actions()[0]
        for a in (self.act_new_project, self.act_open_project):
            file_menu.insertAction(first, a)
        self.recent_projects_menu = QtWidgets.QMenu("Recent projects", file_menu)
        self.recent_projects_menu.setObjectName("menu-recent-projects")
        file_menu.insertMenu(first, self.recent_projects_menu)
        for a in (self.act_save_project, self.act_save_project_as):
            file_menu.insertAction(first, a)
        file_menu.insertSeparator(first)
        self.recent_projects_menu.aboutToShow.connect(self._rebuild_recent_projects)

    def shutdown(self) -> None:
        """Drop the autosave (a clean exit) and the working folder (saved projects live elsewhere)."""
        self._shut_down = True
        self.autosave_timer.stop()
        from genzi_desktop.workers.tasks import running_tasks

        for task in running_tasks():  # a background autosave must not outlive the release
            if task.name == "autosave":
                task.wait(60000)
        self.autosave_slot.release()
        self._discard_working_folder(self.project)

    @QtCore.Slot(object)
    def _on_scene_loaded(self, scene) -> None:
        opening, self._opening = self._opening, None
        path = self.window.scene_path
        if opening is not None:
            self.generation.restore_design()
            self.window.restore_outline(self.project.scene.outline)
            set_view_state(self.window.viewport.plotter, self.project.view)
            self.store_window()
            self.saved_state = self.state_text()
            self.generation.results_panel.show_project(self.project)
            count = sum(len(p.results) for p in self.project.people)
            name = self.project_path.name if self.project_path else "the recovered project"
            self.window.statusBar().showMessage(
                f"Opened {name}: {len(self.project.people)} people, {count} bodies.", 8000)
            self.projectOpened.emit(str(self.project_path or ""))
            return
        if self.project.scene.path and path is not None and Path(self.project.scene.path) == Path(path).resolve():
            return
        if any(p.results for p in self.project.people):
            # a different scene: a new project (the old one stays in its autosave/workspace)
            self._replace_project(new_project(self.workspace))
            self.project_path = None
            self.generation.gallery.clear()
            self.generation.results.show_results()
        self.project.scene.path = str(Path(path).resolve()) if path is not None else None
        self.project.scene.options = {"up_axis": scene.options.up_axis, "unit": scene.options.unit}

    def store_window(self) -> None:
        """The window's state into the project: the active person's design, the rows hidden
        or shown in the outline, and where the viewport looks from."""
        self.generation.store_design()
        self.project.scene.outline = self.window.outline_changes()
        if self.window.scene is not None:
            self.project.view = view_state(self.window.viewport.plotter)

    @QtCore.Slot()
    def new_project(self) -> None:
        if self.generation.is_busy() or not confirm_discard(self, "starting a new one"):
            return
        self._replace_project(new_project(self.workspace))
        self.project.scene.path = str(self.window.scene_path.resolve()) if self.window.scene_path else None
        self.project_path = None
        self.generation.restore_design()
        self._update_title()

    def save_project(self, path: str | Path, *, embed_scene: bool = False, as_folder: bool | None = None) -> Path:
        """Save to ``path`` (a .genzi zip, or a folder); raises ProjectError with advice."""
        self.store_window()
        if embed_scene and self.window.scene_path is not None and not self.project.scene.embedded:
            self.project.embed_scene(self.window.scene_path)
        saved = save_project(self.project, path, as_folder=as_folder)
        self.saved_state = self.state_text()
        self.project_path = saved
        self._add_recent_project(saved)
        self._update_title()
        self.window.statusBar().showMessage(f"Saved {saved.name}", 5000)
        self.projectSaved.emit(str(saved))
        return saved

    @QtCore.Slot()
    def save_project_action(self) -> bool:
        """File > Save project; True when it was saved."""
        if self.project_path is None:
            return self.save_project_as_dialog()
        return self._save_with_errors(self.project_path)

    @QtCore.Slot()
    def save_project_as_dialog(self) -> bool:
        choice = self.project_path_provider(save=True)
        if not choice:
            return False
        path, embed = choice if isinstance(choice, tuple) else (choice, False)
        return self._save_with_errors(path, embed)

    def _save_with_errors(self, path, embed: bool = False) -> bool:
        try:
            self.save_project(path, embed_scene=embed)
        except ProjectError as exc:
            show_error(self.window, "Project not saved", str(exc))
            return False
        return True

    @QtCore.Slot()
    def open_project_dialog(self) -> None:
        choice = self.project_path_provider(save=False)
        if choice:
            self.open_project(choice if not isinstance(choice, tuple) else choice[0])

    def open_project(self, path: str | Path, *, recovered: bool = False) -> bool:
        """Open a .genzi project: its scene loads in the background, then its people and results show."""
        if self.generation.is_busy():
            self.window.statusBar().showMessage("Wait for the generation to finish (or cancel it) first.", 5000)
            return False
        if not recovered and not confirm_discard(self, "opening another"):
            return False
        try:
            project = open_project(path, self.workspace)
        except ProjectError as exc:
            show_error(self.window, "Project not opened", str(exc))
            return False
        scene = project.scene_file()
        if scene is None or not scene.exists():
            rel = Path(path).parent / Path(project.scene.path or "").name
            if project.scene.path and rel.exists():
                scene = rel  # the scene moved along with the project
            else:
                show_error(self.window, "Scene not found",
                           f"The project's scene {project.scene.path} is missing.",
                           "Put the scene file back, or save the project with an embedded scene next time.")
                return False
        self._replace_project(project)
        self.project_path = None if recovered else Path(path)
        if not recovered:
            self._add_recent_project(path)
        if project.settings:
            self.generation.model_panel.set_values(project.settings)
        self._opening = project
        options = None
        if project.scene.options:
            from genzi_desktop.model.scene_io import SceneImportOptions

            options = SceneImportOptions(**project.scene.options)
        self.window.open_scene(scene, options, for_project=True)
        self._update_title()
        return True

    def _update_title(self) -> None:
        name = self.project_path.name if self.project_path else "unsaved project"
        scene = self.window.scene_path.name if self.window.scene_path else "no scene"
        self.window.setWindowTitle(f"{name} — {scene} — GenZI Desktop")

    def _ask_project_path(self, save: bool):
        w = self.window
        folder = self.window.settings.last_folder() or str(Path.home())
        if save:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(w, "Save project", str(Path(folder) / f"project{SUFFIX}"),
                                                            f"GenZI project (*{SUFFIX})")
            if not path:
                return None
            embed = QtWidgets.QMessageBox.question(
                w, "Embed the scene?", "Put a copy of the scene file into the project? (Bigger file, but it "
                "opens on any computer.)") == QtWidgets.QMessageBox.StandardButton.Yes
            return path, embed
        path, _ = QtWidgets.QFileDialog.getOpenFileName(w, "Open project", folder, f"GenZI project (*{SUFFIX})")
        return path or None

    # ---- recent projects ----------------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        files = [str(f) for f in (self.qs.value("recentProjects", [], type=list) or []) if f]
        return [f for f in files if Path(f).exists()][:MAX_RECENT_PROJECTS]

    def _add_recent_project(self, path) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_projects() if f != path]
        self.qs.setValue("recentProjects", files[:MAX_RECENT_PROJECTS])

    def _rebuild_recent_projects(self) -> None:
        m = self.recent_projects_menu
        m.clear()
        for f in self.recent_projects():
            action = m.addAction(Path(f).name)
            action.setToolTip(f)
            action.setData(f)
            action.triggered.connect(self._open_recent)
        if m.isEmpty():
            m.addAction("(no recent projects)").setEnabled(False)

    @QtCore.Slot()
    def _open_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QtGui.QAction) and action.data():
            self.open_project(action.data())

    # ---- autosave and recovery --------------------------------------------------------------------
    def set_autosave_seconds(self, seconds: int) -> None:
        """Check every ``seconds`` whether the project changed and autosave it then (0: never)."""
        seconds = max(0, int(seconds))
        if not os.environ.get("GENZI_AUTOSAVE_SECONDS"):
            self.qs.setValue("autosave/seconds", seconds)
        if seconds:
            self.autosave_timer.start(seconds * 1000)
        else:
            self.autosave_timer.stop()

    def state_text(self) -> str:
        """The project's content as text (without its save time): equal text, nothing to autosave."""
        data = self.project.to_dict()
        data.pop("saved_at", None)
        data.pop("view", None)  # orbiting alone does not rewrite the recovery copy
        return json.dumps(data, sort_keys=True, default=str)

    @QtCore.Slot()
    def autosave_if_changed(self) -> None:
        """The timer's autosave: only when the design or results changed since the last one, and
        in a worker thread (a project with many runs takes a moment to pack)."""
        if self.window.scene_path is None or self._shut_down:
            return
        from genzi_desktop.workers.tasks import running_tasks

        if any(task.name == "autosave" for task in running_tasks()):
            return  # the previous one is still writing; the next tick catches up
        self.store_window()
        if self.state_text() != self._autosaved_state:
            self.autosave(background=True)

    @QtCore.Slot()
    def autosave(self, background: bool = False) -> Path | None:
        """Save a recovery copy. ``background``: write the zip in a worker thread (after each
        result, so the window does not stall); the JSON is always written here first.
        Nothing after shutdown: its slot is released, and a late queued result must not start
        a thread that outlives the window."""
        if self.window.scene_path is None or self._shut_down:
            return None
        try:
            self.store_window()
            self.project.write_json()
            self._autosaved_state = self.state_text()
            if background:
                from genzi_desktop.workers.tasks import start_task

                slot, project = self.autosave_slot, self.project
                start_task(self, lambda report, cancel: slot.save(project, json_written=True), name="autosave",
                           on_finished=self._autosaved, on_failed=self._autosave_failed)
                return None
            path = self.autosave_slot.save(self.project, json_written=True)
        except (ProjectError, OSError) as exc:
            self._autosave_failed(exc)
            return None
        self._autosaved(path)
        return path

    def _autosaved(self, path) -> None:
        log.debug("Autosaved to %s", path)
        self.autosaved.emit(str(path))

    def _autosave_failed(self, exc: BaseException) -> None:
        log.warning("Autosave failed: %s", exc)

    def check_recovery(self) -> bool:
        """Offer to restore a project left by a session that ended without closing; True if restored."""
        found = recoverable_autosaves(self.autosave_slot.folder)
        if not found:
            return False
        newest = found[0]
        choice = self.recovery_provider(newest)
        if choice == "restore":
            ok = self.open_project(newest, recovered=True)
            if ok:
                discard_autosave(newest)
                self.window.statusBar().showMessage("Restored the project from the last session.", 8000)
            return ok
        if choice == "discard":
            for f in found:
                discard_autosave(f)
        return False

    def _ask_recovery(self, path: Path) -> str:
        if not self.window.interactive:
            return "keep"
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question, "Restore your work?",
            "GenZI Desktop did not close properly last time. Restore the project it autosaved?",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No
            | QtWidgets.QMessageBox.StandardButton.Discard, self.window)
        box.setInformativeText(str(path))
        answer = box.exec()
        if answer == QtWidgets.QMessageBox.StandardButton.Yes:
            return "restore"
        if answer == QtWidgets.QMessageBox.StandardButton.Discard:
            return "discard"
        return "keep"

    # ---- the working folder ---------------------------------------------------------------
    def _discard_working_folder(self, project: Project | None) -> None:
        if project is None:
            return
        root = Path(project.root).resolve()
        if self.workspace.resolve() in root.parents:
            shutil.rmtree(root, ignore_errors=True)

    def _replace_project(self, project: Project) -> None:
        """Open ``project`` in the window; the old one's working folder and undo histories go."""
        old, self.project = self.project, project
        self.window.histories.follow(project.people, project.person)
        if old is not project:
            self._discard_working_folder(old)
