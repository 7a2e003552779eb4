"""The generation workflow of the main window: prompt, models, runs, gallery, results, projects.

The main window creates one :class:`GenerationController`; it adds the Prompt, Models,
Gallery and Results docks and the project/generation menu entries, keeps the project
(``genzi_desktop.model.project.Project``: people, each with target, cameras, prompt and results) in step
with the window's design, runs jobs through :class:`GenerationRunner` (a QThread worker) and
autosaves (saving, opening, recent projects and autosave live in :mod:`.project_controller`).
All slots here run in the GUI thread; the worker only sends values.
"""

from __future__ import annotations

import logging
import os
import random
import time
import shutil
import uuid
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.generation.config import GenerationRequest
from pipeline.generation.run_folder import read_json
from pipeline.views.cameras import Camera
from genzi_desktop.model.project import AutosaveSlot, Project, ResultEntry, new_project, new_session_id
from pipeline.scene.targets import Target

from genzi_desktop.dialogs.errors import show_error
from genzi_desktop.workers.generation import GenerationJob, GenerationRunner
from genzi_desktop.model.licences import licences_html
from genzi_desktop.model.pickle_consent import PickleConsentStore
from genzi_desktop.panels.gallery_panel import GalleryPanel
from genzi_desktop.panels.model_panel import ModelPanel
from genzi_desktop.panels.prompt_panel import PromptPanel
from genzi_desktop.panels.results_panel import ResultsPanel
from genzi_desktop.controllers.project import MAX_RECENT_PROJECTS, ProjectActions  # noqa: F401 - re-exported
from genzi_desktop.viewport.view import BODY_COLOR, SELECTED_CAMERA_COLOR

log = logging.getLogger("genzi_desktop.generation")

LIVE_BODY = "live"
# Share of the GUI thread that live body updates may take. A live update blocks the event loop
# for its render (5 ms on a GPU, 50-100 ms with software OpenGL); spacing them by
# render time / share keeps 10-plus updates a second on a GPU and keeps the window's p99
# latency under 50 ms with software OpenGL (benchmarks/results/gui_latency.json).
LIVE_RENDER_SHARE = 0.04
AUTOSAVE_MINUTES_DEFAULT = 5
STAGE_NAMES = {
    "body": "Preparing the body model", "views": "Rendering views", "sdf": "Measuring the scene", "inpaint": "Painting people",
    "keypoints": "Finding keypoints", "lifting": "Fitting bodies", "ranking": "Ranking", "export": "Writing results",
}


def stage_progress_text(stage: str, detail: str) -> str:
    """The stage's label plus the worker's detail, without repeating the label
    ("Preparing the body model", not "Preparing the body model preparing body model")."""
    label = STAGE_NAMES.get(stage, stage)
    detail = (detail or "").strip()
    if not detail or set(detail.lower().split()) <= set(label.lower().split()):
        return label
    return f"{label}: {detail}"


def app_data_dir() -> Path:
    """Where workspaces and autosaves live: the user's app data folder, or $GENZI_DESKTOP_DATA."""
    override = os.environ.get("GENZI_DESKTOP_DATA")
    base = override or QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    path = Path(base or Path.home() / ".genzi-desktop")
    path.mkdir(parents=True, exist_ok=True)
    return path


class GenerationController(ProjectActions, QtCore.QObject):
    """Owns the generation docks, actions, the project and the running job (project files:
    :class:`genzi_desktop.controllers.project.ProjectActions`)."""

    generationFinished = QtCore.Signal(int)  # number of new results
    generationFailed = QtCore.Signal(str)
    generationCancelled = QtCore.Signal()
    projectOpened = QtCore.Signal(str)
    projectSaved = QtCore.Signal(str)
    autosaved = QtCore.Signal(str)

    def __init__(self, window, data_dir: str | Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.qs = window.settings.qs
        self.data_dir = Path(data_dir) if data_dir is not None else app_data_dir()
        self.workspace = self.data_dir / "workspaces"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.autosave_slot = AutosaveSlot(self.data_dir / "autosave", new_session_id())
        self.autosave_slot.claim()
        self.project: Project = new_project(self.workspace)
        self.project_path: Path | None = None
        self.runner: GenerationRunner | None = None
        self._job: GenerationJob | None = None
        self._job_person = 0
        self._opening: Project | None = None
        self._live_faces = None
        self._shown_meshes: dict[str, Path] = {}  # viewport key -> result mesh file it shows
        self._stage = ""
        #: Show the body in the viewport while it is fitted (off: only the final bodies).
        self.show_live_body = True
        #: Hooks for tests and scripts (they replace dialogs).
        self.images_folder_provider = self._ask_images_folder
        self.recovery_provider = self._ask_recovery
        self.project_path_provider = self._ask_project_path

        self.prompt_panel = PromptPanel(window, self.qs)
        self.model_panel = ModelPanel(window, self.qs, PickleConsentStore(self.data_dir / "trusted_pickles.json"))
        self.gallery = GalleryPanel(window)
        self.results_panel = ResultsPanel(window)
        area = QtCore.Qt.DockWidgetArea
        window._add_dock("Prompt", self.prompt_panel, area.LeftDockWidgetArea)
        window._add_dock("Models", self.model_panel, area.LeftDockWidgetArea)
        window._add_dock("Results", self.results_panel, area.LeftDockWidgetArea)
        window._add_dock("Gallery", self.gallery, area.BottomDockWidgetArea)
        window.tabifyDockWidget(window.docks["Prompt"], window.docks["Models"])
        window.docks["Prompt"].raise_()
        self._build_actions()
        self._connect()
        self.autosave_timer = QtCore.QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self.set_autosave_minutes(self.qs.value("autosave/minutes", AUTOSAVE_MINUTES_DEFAULT, type=int))
        self.results_panel.show_project(self.project)

    # ------------------------------------------------------------------ construction
    def _build_actions(self) -> None:
        w = self.window
        w.act_generate.setShortcuts([QtGui.QKeySequence("Ctrl+G"), QtGui.QKeySequence("Ctrl+Return")])
        self.act_new_project = w._action("&New project", self.new_project, QtGui.QKeySequence.StandardKey.New)
        self.act_open_project = w._action("Open &project…", self.open_project_dialog, "Ctrl+Shift+O")
        self.act_save_project = w._action("Save project", self.save_project_action, QtGui.QKeySequence.StandardKey.Save)
        self.act_save_project_as = w._action("Save project &as…", self.save_project_as_dialog, "Ctrl+Alt+S")
        self.act_import_images = w._action("&Import my images…", self.import_images_dialog, "Ctrl+I",
                                           "Fit bodies to your own painted images of the current cameras")
        self.act_refit = w._action("&Re-fit without painting", self.refit_from_gallery, "Ctrl+Shift+R")
        self.act_more = w._action("&More like this", self.more_like_selected, "Ctrl+M")
        self.act_add_person = w._action("Add &person", self.add_person, "Ctrl+Shift+P")
        self.act_setup = w._action("Set up &models…", self.show_model_setup)
        mb = w.menuBar()
        file_menu = mb.actions()[0].menu()
        first = file_menu.actions()[0]
        for a in (self.act_new_project, self.act_open_project):
            file_menu.insertAction(first, a)
        self.recent_projects_menu = QtWidgets.QMenu("Recent projects", file_menu)
        file_menu.insertMenu(first, self.recent_projects_menu)
        for a in (self.act_save_project, self.act_save_project_as):
            file_menu.insertAction(first, a)
        file_menu.insertSeparator(first)
        self.recent_projects_menu.aboutToShow.connect(self._rebuild_recent_projects)
        gen_menu = next(a.menu() for a in mb.actions() if a.menu() is not None and "Generate" in a.text())
        gen_menu.addSeparator()
        for a in (self.act_import_images, self.act_refit, self.act_more, self.act_add_person):
            gen_menu.addAction(a)
        help_menu = next(a.menu() for a in mb.actions() if a.menu() is not None and "Help" in a.text())
        help_menu.addAction(self.act_setup)
        view_menu = next(a.menu() for a in mb.actions() if a.menu() is not None and "View" in a.text())
        for title in ("Prompt", "Models", "Results", "Gallery"):
            view_menu.addAction(w.docks[title].toggleViewAction())

    def _connect(self) -> None:
        self.prompt_panel.generateRequested.connect(self.generate)
        self.gallery.refitRequested.connect(self.refit)
        self.gallery.importRequested.connect(self.import_images_dialog)
        rp = self.results_panel
        rp.personActivated.connect(self.activate_person)
        rp.visibilityChanged.connect(self.set_result_visible)
        rp.renameRequested.connect(self.rename)
        rp.deleteRequested.connect(self.delete_result)
        rp.addPersonRequested.connect(self.add_person)
        rp.removePersonRequested.connect(self.remove_person)
        rp.moreLikeThisRequested.connect(self.more_like_this)
        rp.resultSelected.connect(self.highlight_result)
        self.window.sceneLoaded.connect(self._on_scene_loaded)
        self.window.viewsSelected.connect(self._views_selected)
        self.window.viewSelectionFailed.connect(self._views_failed)

    # ------------------------------------------------------------------ state
    def is_busy(self) -> bool:
        """True from the start of a job until its thread has finished and the GUI has tidied up."""
        return self.runner is not None

    def can_generate(self) -> bool:
        w = self.window
        return w.scene is not None and w.design.target is not None and not self.is_busy()

    def store_design(self) -> None:
        """Copy the window's target and cameras into the active person."""
        person = self.project.person
        d = self.window.design
        person.target = d.target.to_dict() if d.target is not None else None
        person.cameras = [c.to_dict() for c in d.cameras]
        person.prompt = self.prompt_panel.values()
        person.excluded_images = self.gallery.excluded()
        self.project.settings = self.model_panel.values()

    def _restore_design(self) -> None:
        """Show the active person's target, cameras, prompt and gallery in the window."""
        w = self.window
        person = self.project.person
        w.design.target = Target.from_dict(person.target) if person.target else None
        w.design.cameras = [Camera.from_dict(c) for c in person.cameras]
        w.undo_stack.clear()
        w._design_changed("target")
        w._design_changed("cameras")
        self.prompt_panel.set_values(person.prompt)
        self.gallery.clear()
        if person.runs:
            run = self.project.path_of(person.runs[-1])
            if run.is_dir():
                self.gallery.load_run(run)
                self.gallery.set_excluded(person.excluded_images)
        self._show_results()

    # ------------------------------------------------------------------ people and results
    @QtCore.Slot(int)
    def activate_person(self, index: int) -> None:
        if index == self.project.active_person or not (0 <= index < len(self.project.people)) or self.is_busy():
            return
        self.store_design()
        self.project.active_person = index
        self._restore_design()

    @QtCore.Slot()
    def add_person(self) -> None:
        if self.is_busy():
            return
        self.store_design()
        prompt = self.prompt_panel.values()
        person = self.project.add_person()
        person.prompt = prompt
        self._restore_design()
        self.window.statusBar().showMessage(f"{person.name}: click a surface to place their target.", 6000)

    @QtCore.Slot(int)
    def remove_person(self, index: int) -> None:
        if len(self.project.people) <= 1 or self.is_busy():
            return
        person = self.project.people.pop(index)
        for r in person.results:
            self.window.viewport.set_body(self._body_key(index, r.id), None)
        self.project.active_person = min(self.project.active_person, len(self.project.people) - 1)
        self._restore_design()

    def _body_key(self, person: int, result_id: str) -> str:
        return f"p{person}-{result_id}"

    def _show_results(self, select: tuple[int, str] | None = None) -> None:
        """Results list and every kept body in the viewport. Bodies already shown from the same
        file are only restyled: re-reading every result after each run stalled the window
        (0.3-1 s with three results, growing with every person added)."""
        vp = self.window.viewport
        wanted = {}
        for pi, person in enumerate(self.project.people):
            for r in person.results:
                wanted[self._body_key(pi, r.id)] = (pi, r, self.project.path_of(r.mesh))
        shown = self._shown_meshes
        with vp.batch():  # one render at the end
            for key in [k for k in list(shown) if k not in wanted or shown[k] != wanted[k][2]]:
                vp.set_body(key, None)
                shown.pop(key)
            for key, (pi, r, mesh) in wanted.items():
                if key in shown and vp.style_body(key, visible=r.visible, selected=select == (pi, r.id)):
                    continue
                if not mesh.exists():
                    log.warning("Result %s: mesh %s is missing", r.name, r.mesh)
                    continue
                vertices, faces = _read_obj(mesh)
                vp.set_body(key, vertices, faces, visible=r.visible, selected=select == (pi, r.id))
                shown[key] = mesh
        self.results_panel.show_project(self.project, select)

    def find_result(self, person: int, result_id: str) -> ResultEntry | None:
        if not (0 <= person < len(self.project.people)):
            return None
        return next((r for r in self.project.people[person].results if r.id == result_id), None)

    @QtCore.Slot(int, str, bool)
    def set_result_visible(self, person: int, result_id: str, visible: bool) -> None:
        r = self.find_result(person, result_id)
        if r is None:
            return
        r.visible = bool(visible)
        actor = self.window.viewport.plotter.actors.get(f"body-{self._body_key(person, result_id)}")
        if actor is not None:
            actor.visibility = r.visible
            self.window.viewport.plotter.render()

    @QtCore.Slot(int, str)
    def highlight_result(self, person: int, result_id: str) -> None:
        vp = self.window.viewport
        for pi, p in enumerate(self.project.people):
            for r in p.results:
                actor = vp.plotter.actors.get(f"body-{self._body_key(pi, r.id)}")
                if actor is not None:
                    selected = (pi, r.id) == (person, result_id)
                    actor.prop.color = SELECTED_CAMERA_COLOR if selected else BODY_COLOR
        vp.plotter.render()

    @QtCore.Slot(int, str, str)
    def rename(self, person: int, result_id: str, name: str) -> None:
        name = name.strip()
        if not name or not (0 <= person < len(self.project.people)):
            return
        if result_id:
            r = self.find_result(person, result_id)
            if r is not None:
                r.name = name
        else:
            self.project.people[person].name = name

    @QtCore.Slot(int, str)
    def delete_result(self, person: int, result_id: str) -> None:
        if self.project.remove_result(person, result_id) is not None:
            self.window.viewport.set_body(self._body_key(person, result_id), None)
            self.results_panel.show_project(self.project)

    # ------------------------------------------------------------------ generating
    def _request(self, seed: int | None = None):
        from pipeline.generation import GenerationRequest

        w = self.window
        p = self.prompt_panel.values()
        m = self.model_panel.values()
        smplx = m["body_model"] == "smplx"
        if smplx and not m["smplx_path"]:
            raise ValueError("SMPL-X is chosen but no model file: choose your SMPLX_NEUTRAL.npz (or its folder) "
                             "in the Models panel, or choose Anny.")
        overrides = dict(p.overrides)
        overrides.setdefault("inpaint.inpaints_round1", int(p.num_results))
        t = w.design.target
        return GenerationRequest(
            scene=str(w.scene_path), target=list(t.point), normal=list(t.normal),
            radius=t.radius if t.radius > 0 else None, prompt=p.prompt,
            negative_prompt=p.negative_prompt or None,
            subject_words=[p.subject_word] if p.subject_word else None,
            seed=int(p.seed if seed is None else seed), preset=p.preset, overrides=overrides,
            model=m["model"], device=m["device"], dtype=m["dtype"], body_model=m["body_model"],
            body_model_path=m["smplx_path"] if smplx else None,
            fixed_shape=None if smplx else m["fixed_shape"],  # the shape controls are Anny's
        )

    def _check_ready(self) -> bool:
        w = self.window
        if self.is_busy():
            w.statusBar().showMessage("A generation is running; wait or press Esc to cancel it.", 5000)
            return False
        if w.scene is None or w.scene_path is None:
            show_error(w, "No scene", "Open a scene first (File > Open scene).")
            return False
        if w.design.target is None:
            show_error(w, "No target", "Click a surface in the scene to place the target where the person should be.")
            return False
        return True

    @QtCore.Slot()
    def generate(self, seed: int | None = None, imagination=None) -> bool:
        """Paint and fit with the diffusion model (or ``imagination``, for tests); returns whether it started."""
        if not self._check_ready():
            return False
        if not self.window.design.cameras:
            # choose the views first (in the window's worker), then generate with them
            self._generate_after_views = True
            self.window.statusBar().showMessage("Selecting views around the target first…", 5000)
            self.window.select_views()
            return False
        try:
            request = self._request(seed)
        except ValueError as exc:
            show_error(self.window, "Cannot generate", str(exc))
            return False
        return self._start(GenerationJob("generate", Path(), request=request, imagination=imagination))

    @QtCore.Slot(str)
    def _views_failed(self, _message: str) -> None:
        self._generate_after_views = False

    @QtCore.Slot(int)
    def _views_selected(self, count: int) -> None:
        if getattr(self, "_generate_after_views", False):
            self._generate_after_views = False
            if count > 0:
                self.generate()

    @QtCore.Slot()
    def import_images_dialog(self) -> None:
        folder = self.images_folder_provider()
        if folder:
            self.import_images(folder)

    def import_images(self, folder: str | Path) -> bool:
        """Fit bodies to the user's own images (``view_00.png``… for the current cameras)."""
        if not self._check_ready():
            return False
        if not self.window.design.cameras:
            show_error(self.window, "No cameras", "Your images must belong to cameras: select views "
                       "(Cameras > Select views) or add cameras, export their views, paint them, then import.")
            return False
        try:
            from pipeline.generation.imagination import scan_user_images

            scan_user_images(folder)
            request = self._request()
        except (FileNotFoundError, ValueError) as exc:
            show_error(self.window, "Images not imported", str(exc))
            return False
        return self._start(GenerationJob("import", Path(), request=request, images_folder=Path(folder)))

    @QtCore.Slot(object)
    def refit(self, excluded: list[str] | None = None) -> bool:
        """Fit the last run's saved images again, leaving out the unticked ones."""
        person = self.project.person
        if self.is_busy() or not person.runs:
            self.window.statusBar().showMessage("Nothing to re-fit yet: generate or import images first.", 5000)
            return False
        excluded = self.gallery.excluded() if excluded is None else list(excluded)
        run_dir = self.project.path_of(person.runs[-1])
        return self._start(GenerationJob("refit", run_dir, excluded=excluded), new_run=False)

    @QtCore.Slot()
    def refit_from_gallery(self) -> None:
        self.refit(None)

    @QtCore.Slot(int, str)
    def more_like_this(self, person: int, result_id: str) -> bool:
        """Generate again with the chosen body's prompt and a new seed."""
        r = self.find_result(person, result_id)
        if r is None:
            return False
        if person != self.project.active_person:
            self.activate_person(person)
        p = self.prompt_panel.values()
        p.prompt = r.prompt or p.prompt
        p.seed = random.Random(f"{r.seed}-{r.id}").randrange(1, 2**31 - 1)
        self.prompt_panel.set_values(p)
        return self.generate()

    @QtCore.Slot()
    def more_like_selected(self) -> None:
        kind, person, rid = self.results_panel.current()
        if kind == "result":
            self.more_like_this(person, rid)

    def _consent_to_pickles(self, job: GenerationJob) -> bool:
        """Ask (naming the file) before a pickled SMPL-X model is opened; the run or project only names it."""
        request = job.request
        if request is None:
            try:
                request = GenerationRequest.from_dict(read_json(Path(job.run_dir) / "config.json")["request"])
            except (OSError, ValueError, KeyError, TypeError):
                return True  # not a readable run: the re-fit itself says so
        if request.body_model != "smplx" or not request.body_model_path:
            return True
        try:
            trusted = self.model_panel.pickle_consent(request.body_model_path)
        except (OSError, ValueError) as exc:
            show_error(self.window, "SMPL-X model not found", str(exc))
            return False
        if trusted is None:
            show_error(self.window, "SMPL-X model not opened",
                       f"You did not allow opening the pickle {request.body_model_path}.",
                       "Use the .npz version of the SMPL-X model, or choose Anny in the Models panel.")
            return False
        job.trusted_pickles = trusted
        return True

    def _start(self, job: GenerationJob, new_run: bool = True) -> bool:
        w = self.window
        if not self._consent_to_pickles(job):
            return False
        self.store_design()
        person_index = self.project.active_person
        if new_run:
            job.run_dir = self.project.new_run_dir(person_index)
            job.cameras = list(w.design.cameras)
            job.normal = list(w.design.target.normal)
            job.scene = w.scene
            if job.cameras:
                try:
                    job.view_images = self._render_views(job.request, job.cameras)
                except Exception as exc:  # noqa: BLE001 - a bad camera or settings
                    show_error(w, "Cannot render the views", str(exc))
                    return False
            self.project.person.runs.append(self.project.relative(job.run_dir))
            self.gallery.clear()
        if self.window.scene is not None:
            from genzi_desktop.viewport.gui_thread_renderer import GuiThreadRenderer

            job.renderer = GuiThreadRenderer(self._scene_renderer, parent=self)
        self._job, self._job_person = job, person_index
        self._live_faces = None
        self._next_live_render = 0.0
        runner = GenerationRunner(job, self)
        wk = runner.worker
        g = self.gallery
        wk.viewRendered.connect(g.on_view_rendered)
        wk.inpaintStep.connect(g.on_inpaint_step)
        wk.inpaintDone.connect(g.on_inpaint_done)
        wk.keypointsDetected.connect(g.on_keypoints)
        wk.liftingStep.connect(g.on_lifting_step)
        wk.liftingStep.connect(self.on_lifting_step)
        wk.stageStarted.connect(self.on_stage_started)
        wk.stageFinished.connect(self.on_stage_finished)
        wk.progress.connect(self.on_progress)
        wk.warning.connect(self.on_warning)
        wk.finished.connect(self.on_finished)
        wk.failed.connect(self.on_failed)
        wk.cancelled.connect(self.on_cancelled)
        runner.done.connect(self.on_runner_done)
        self.runner = runner
        verb = {"generate": "Generating", "import": "Fitting your images", "refit": "Re-fitting"}[job.kind]
        w._show_progress(f"{verb}…")
        log.info("%s for %s into %s", verb, self.project.person.name, job.run_dir)
        runner.start()
        w._update_actions()
        self.prompt_panel.generate_button.setEnabled(False)  # the menu action follows can_generate()
        return True

    def _scene_renderer(self):
        """The GUI thread's off-screen renderer of the window's scene (made again for a new scene)."""
        from pipeline.views.render import SceneRenderer

        scene = self.window.scene
        if getattr(self, "_renderer", None) is None or self._renderer.scene is not scene:
            if getattr(self, "_renderer", None) is not None:
                self._renderer.close()
            self._renderer = SceneRenderer(scene)
        return self._renderer

    def _render_views(self, request, cameras) -> list[np.ndarray]:
        """The cameras' views at the run's image size, rendered here in the GUI thread."""
        from pipeline.generation.user_cameras import cameras_for_run

        renderer = self._scene_renderer()
        self.window._show_progress("Rendering views…")
        images = []
        for cam in cameras_for_run(cameras, request.settings().views):
            images.append(np.ascontiguousarray(np.asarray(renderer.rgb(cam))[..., :3]))
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        return images

    def cancel(self) -> None:
        if self.runner is not None and self.runner.is_running():
            self.runner.cancel()
            self.window.statusBar().showMessage("Cancelling after the current step…")

    def wait(self, ms: int = 60000) -> bool:
        return self.runner.wait(ms) if self.runner is not None else True

    # ---- worker slots (GUI thread) ----------------------------------------------------------------
    @QtCore.Slot(str, str, int)
    def on_stage_started(self, stage: str, detail: str, round_index: int) -> None:
        self._stage = stage
        text = STAGE_NAMES.get(stage, stage) + (f" (round {round_index})" if round_index else "")
        self.window._on_progress(text + "…", 0, 0)
        self.window.progress_bar.setRange(0, 0)
        log.info("%s %s", text, detail)

    @QtCore.Slot(str, str, int, float)
    def on_stage_finished(self, stage: str, detail: str, round_index: int, seconds: float) -> None:
        log.info("%s done in %.1f s: %s", STAGE_NAMES.get(stage, stage), seconds, detail)
        if stage in ("lifting",):
            self.gallery.fitting_finished()

    @QtCore.Slot(str, int, int, str)
    def on_progress(self, stage: str, step: int, total: int, detail: str) -> None:
        self.window._on_progress(stage_progress_text(stage, detail), step, total)

    @QtCore.Slot(str, int, int, object, object, object, object, int)
    def on_lifting_step(self, set_name, iteration, total, vertices, faces, weights, losses, round_index) -> None:
        self.window._on_progress(f"Fitting {set_name}: step {iteration + 1} of {total}", iteration + 1, total)
        if faces is not None:
            self._live_faces = faces
        last = iteration >= total - 1
        now = time.perf_counter()
        live = self.show_live_body and vertices is not None and self._live_faces is not None
        if live and (last or now >= self._next_live_render):
            self.window.viewport.set_body(LIVE_BODY, np.asarray(vertices), self._live_faces)
            spent = time.perf_counter() - now
            self._next_live_render = time.perf_counter() + spent / LIVE_RENDER_SHARE

    @QtCore.Slot(str, str)
    def on_warning(self, message: str, stage: str) -> None:
        # the pipeline has logged it already (View > Log); the status bar shows it briefly
        self.window.statusBar().showMessage(f"Warning: {message[:160]}", 6000)

    @QtCore.Slot(object)
    def on_finished(self, result) -> None:
        job, person_index = self._job, self._job_person
        person = self.project.people[person_index] if person_index < len(self.project.people) else self.project.person
        run_rel = self.project.relative(result.run_dir)
        if job is not None and job.kind == "generate" and run_rel not in person.runs:
            person.runs.append(run_rel)  # the pipeline chose the views
        if job is not None and job.kind == "refit":  # the re-fit replaces that run's bodies
            for old in [r for r in person.results if r.run == run_rel]:
                person.results.remove(old)
                self.window.viewport.set_body(self._body_key(person_index, old.id), None)
        prompt = self.prompt_panel.values()
        count = 0
        for body in result.bodies:
            rid = uuid.uuid4().hex[:8]
            keep = self.project.root / "results" / f"{rid}.obj"
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(body.mesh_path, keep)  # run folders are rewritten by re-fits
            person.results.append(ResultEntry(
                id=rid, name=f"{person.name} #{len(person.results) + 1}", prompt=prompt.prompt,
                score=float(body.score), metrics=dict(body.metrics), mesh=self.project.relative(keep), run=run_rel,
                set_name=body.set_name, params=dict(body.params), view_weights=dict(body.view_weights),
                seed=int(prompt.seed)))
            count += 1
        self.window.viewport.set_body(LIVE_BODY, None)
        best = result.bodies[0] if result.bodies else None
        self._show_results()
        if best is not None:
            self.gallery.set_confidences(best.set_name.split("/")[-1], best.view_weights)
        self.gallery.fitting_finished()
        msg = f"{count} bod{'y' if count == 1 else 'ies'} ready"
        if result.warnings:
            msg += f" ({len(result.warnings)} warnings, see View > Log)"
        self.window.statusBar().showMessage(msg, 10000)
        log.info("%s in %s", msg, result.run_dir)
        self.autosave(background=True)
        self.generationFinished.emit(count)

    @QtCore.Slot(str)
    def on_failed(self, message: str) -> None:
        self.window.viewport.set_body(LIVE_BODY, None)
        log.error("Generation failed: %s", message)
        self.window.statusBar().showMessage("Generation failed — " + message[:160], 15000)
        self.gallery.fitting_finished()
        show_error(self.window, "No body generated", message)
        self.generationFailed.emit(message)

    @QtCore.Slot()
    def on_cancelled(self) -> None:
        self.window.viewport.set_body(LIVE_BODY, None)
        self.window.statusBar().showMessage("Generation cancelled; the images made so far are kept in the gallery.", 8000)
        log.info("Generation cancelled")
        self.generationCancelled.emit()

    @QtCore.Slot()
    def on_runner_done(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.deleteLater()
        msg = self.window.statusBar().currentMessage()  # the outcome; hiding the progress clears it
        self.window._hide_progress()
        self.window._update_actions()
        self.prompt_panel.generate_button.setEnabled(True)  # idle without a target it says what is missing
        if msg:
            self.window.statusBar().showMessage(msg, 10000)

    def _ask_images_folder(self):
        return QtWidgets.QFileDialog.getExistingDirectory(
            self.window, "Folder with your images (view_00.png, view_01.png, … for the current cameras)") or None

    # ---- first run, about ---------------------------------------------------------------------------
    def show_model_setup(self):
        from genzi_desktop.dialogs.model_setup import ModelSetupDialog

        dialog = ModelSetupDialog(self.window, self.model_panel.values()["model"])
        dialog.modelChosen.connect(self.model_panel.set_model)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.qs.setValue("setup/shown", True)
        dialog.show()
        self.setup_dialog = dialog
        return dialog

    def first_run(self) -> None:
        """Show the model set-up once, on the first start (never blocks: a modeless dialog)."""
        if not self.qs.value("setup/shown", False, type=bool):
            self.show_model_setup()

    def about_html(self) -> str:
        m = self.model_panel.values()
        in_use = {"inpainting": m["model"], "body": m["body_model"] if m["body_model"] == "anny" else
                  f"SMPL-X ({m['smplx_path'] or 'no file chosen'})", "keypoints": "MediaPipe BlazePose"}
        return licences_html(in_use)

    # ---- closing ---------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the job, drop the autosave (a clean exit) and the working folder (saved projects live elsewhere)."""
        self._shut_down = True
        self.autosave_timer.stop()
        if self.runner is not None and self.runner.is_running():
            self.runner.cancel()
            self.runner.wait(60000)
        from genzi_desktop.workers.tasks import running_tasks

        for task in running_tasks():  # a background autosave must not outlive the release
            if task.name == "autosave":
                task.wait(60000)
        self.autosave_slot.release()
        self._discard_working_folder(self.project)
        if getattr(self, "_renderer", None) is not None:
            self._renderer.close()
            self._renderer = None


def _read_obj(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from pipeline.core.obj_mesh import read_obj

    return read_obj(path)
