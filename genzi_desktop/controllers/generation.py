"""The generation workflow of the main window: prompt, models, runs, gallery, results, projects.

The main window creates one :class:`GenerationController`; it adds the Prompt, Models,
Gallery and Results docks and the project/generation menu entries, keeps the project
(``genzi_desktop.model.project.Project``: people, each with target, cameras, prompt and results) in step
with the window's design, runs jobs through :class:`GenerationRunner` (a QThread worker) and
autosaves through :class:`~genzi_desktop.controllers.project.ProjectController`; people and
results live in :class:`~genzi_desktop.controllers.results.ResultsController`.
All slots here run in the GUI thread; the worker only sends values.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.views.cameras import Camera
from genzi_desktop.model.project import Project
from pipeline.scene.targets import Target

from genzi_desktop.dialogs.errors import show_error
from genzi_desktop.settings import app_data_dir
from genzi_desktop.window.actions import name_actions
from genzi_desktop.viewport.gui_thread_renderer import GuiThreadRenderer, SceneRenders
from genzi_desktop.model.pickle_consent import PickleConsentStore
from genzi_desktop.workers.generation import GenerationJob, GenerationRunner
from genzi_desktop.panels.gallery_panel import GalleryPanel
from genzi_desktop.panels.model_panel import ModelPanel
from genzi_desktop.panels.prompt_panel import PromptPanel
from genzi_desktop.panels.results_panel import ResultsPanel
from genzi_desktop.controllers.appearance import AppearanceController
from genzi_desktop.controllers.project import ProjectController
from genzi_desktop.controllers.results import ResultsController
from genzi_desktop.controllers.requests import consent_to_pickles, request_from_panels, settings_from_prompt
from genzi_desktop.controllers.run_feed import RunFeed

log = logging.getLogger("genzi_desktop.generation")


class GenerationController(QtCore.QObject):
    """Owns the generation docks and actions and the running job; ``projects`` owns the
    project file, ``results`` the people and their bodies, ``feed`` the live view of a run."""

    generationFinished = QtCore.Signal(int)  # number of new results
    generationFailed = QtCore.Signal(str)
    generationCancelled = QtCore.Signal()

    def __init__(self, window, data_dir: str | Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.qs = window.settings.qs
        self.data_dir = Path(data_dir) if data_dir is not None else app_data_dir()
        self.runner: GenerationRunner | None = None
        self._job: GenerationJob | None = None
        self._job_person = 0
        self.scene_renders = SceneRenders(window)
        self._generate_after_views = False
        #: Hooks for tests and scripts (they replace dialogs).
        self.images_folder_provider = self._ask_images_folder

        self.prompt_panel = PromptPanel(window, self.qs)
        self.model_panel = ModelPanel(window, self.qs, PickleConsentStore(self.data_dir / "trusted_pickles.json"))
        self.gallery = GalleryPanel(window)
        self.results_panel = ResultsPanel(window)
        area = QtCore.Qt.DockWidgetArea
        window.add_dock("Prompt", self.prompt_panel, area.LeftDockWidgetArea)
        window.add_dock("Models", self.model_panel, area.LeftDockWidgetArea)
        window.add_dock("Results", self.results_panel, area.LeftDockWidgetArea)
        window.add_dock("Gallery", self.gallery, area.BottomDockWidgetArea)
        window.tabifyDockWidget(window.docks["Prompt"], window.docks["Models"])
        window.docks["Prompt"].raise_()
        self.projects = ProjectController(self, self.data_dir)
        self.results = ResultsController(self)
        self.appearance = AppearanceController(self)
        self.feed = RunFeed(window, self.gallery)
        self._build_actions()
        self._connect()
        self.results_panel.show_project(self.project)

    @property
    def project(self) -> Project:
        """The open project (``projects`` replaces it on File > New/Open project)."""
        return self.projects.project

    # ------------------------------------------------------------------ construction
    def _build_actions(self) -> None:
        w = self.window
        w.act_generate.setShortcuts([QtGui.QKeySequence("Ctrl+G"), QtGui.QKeySequence("Ctrl+Return")])
        self.act_import_images = w.add_action("&Import my images…", self.import_images_dialog, "Ctrl+I",
                                           "Fit bodies to your own painted images of the current cameras")
        self.act_refit = w.add_action("&Re-fit without painting", self.refit_from_gallery, "Ctrl+Shift+R")
        self.act_more = w.add_action("&More like this", self.more_like_selected, "Ctrl+M")
        self.act_add_person = w.add_action("Add &person", self.results.add_person, "Ctrl+Shift+P")
        self.act_setup = w.add_action("Set up &models…", self.show_model_setup)
        name_actions(self)
        gen_menu = w.menus["generate"]
        gen_menu.addSeparator()
        for a in (self.act_import_images, self.act_refit, self.act_more, self.act_add_person):
            gen_menu.addAction(a)
        help_menu = w.menus["help"]
        help_menu.addAction(self.act_setup)
        view_menu = w.menus["view"]
        for title in ("Prompt", "Models", "Results", "Gallery"):
            view_menu.addAction(w.docks[title].toggleViewAction())

    def _connect(self) -> None:
        self.prompt_panel.generateRequested.connect(self.generate)
        self.gallery.refitRequested.connect(self.refit)
        self.gallery.importRequested.connect(self.import_images_dialog)
        self.results_panel.moreLikeThisRequested.connect(self.more_like_this)
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

    def restore_design(self) -> None:
        """Show the active person's target, cameras, prompt and gallery in the window."""
        w = self.window
        person = self.project.person
        w.design.target = Target.from_dict(person.target) if person.target else None
        w.design.cameras = [Camera.from_dict(c) for c in person.cameras]
        w.histories.follow(self.project.people, person)  # the person's own undo history
        w.design_changed("target")
        w.design_changed("cameras")
        self.prompt_panel.set_values(person.prompt)
        self.gallery.clear()
        if person.runs:
            run = self.project.path_of(person.runs[-1])
            if run.is_dir():
                self.gallery.load_run(run)
                self.gallery.set_excluded(person.excluded_images)
        self.results.show_results()

    # ------------------------------------------------------------------ generating
    def request(self, seed: int | None = None):
        """The run the panels describe now (ValueError with advice for a missing SMPL-X file)."""
        w = self.window
        p = self.prompt_panel.values()
        seed = int(p.seed if seed is None else seed)
        return request_from_panels(p, self.model_panel.values(), w.scene_path, w.design.target, seed)

    def job_settings(self):
        """The settings a job started now runs with: the Prompt panel's preset and Advanced values."""
        return settings_from_prompt(self.prompt_panel.values())

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
            request = self.request(seed)
        except ValueError as exc:
            show_error(self.window, "Cannot generate", str(exc))
            return False
        return self._start(GenerationJob("generate", Path(), request=request, imagination=imagination))

    @QtCore.Slot(str)
    def _views_failed(self, _message: str) -> None:
        self._generate_after_views = False

    @QtCore.Slot(int)
    def _views_selected(self, count: int) -> None:
        if self._generate_after_views:
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
            from pipeline.generation.image_checks import check_images
            from pipeline.generation.imagination import scan_user_images

            sizes = {c.name: (c.width, c.height) for c in self.window.design.cameras}
            for images in scan_user_images(folder).values():  # whole, readable, the cameras' size
                check_images({k: v for k, v in images.items() if k in sizes}, sizes, exact=False)
            request = self.request()
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
        r = self.results.find_result(person, result_id)
        if r is None:
            return False
        if person != self.project.active_person:
            self.results.activate_person(person)
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

    def _start(self, job: GenerationJob, new_run: bool = True) -> bool:
        w = self.window
        if not consent_to_pickles(job, self.model_panel, w):
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
                    w.show_progress("Rendering views…")
                    job.view_images = self.scene_renders.views(job.cameras, job.request.settings().views)
                except Exception as exc:  # noqa: BLE001 - a bad camera or settings
                    show_error(w, "Cannot render the views", str(exc))
                    return False
            self.project.person.runs.append(self.project.relative(job.run_dir))
            self.gallery.clear()
        if self.window.scene is not None:
            job.renderer = GuiThreadRenderer(self.scene_renders.renderer, parent=self)
        self._job, self._job_person = job, person_index
        runner = GenerationRunner(job, self)
        wk = runner.worker
        self.feed.follow(wk)
        wk.finished.connect(self.on_finished)
        wk.failed.connect(self.on_failed)
        wk.cancelled.connect(self.on_cancelled)
        runner.done.connect(self.on_runner_done)
        self.runner = runner
        verb = {"generate": "Generating", "import": "Fitting your images", "refit": "Re-fitting"}[job.kind]
        w.show_progress(f"{verb}…")
        log.info("%s for %s into %s", verb, self.project.person.name, job.run_dir)
        runner.start()
        w.update_actions()
        self.prompt_panel.generate_button.setEnabled(False)  # the menu action follows can_generate()
        return True

    def cancel(self) -> None:
        if self.runner is not None and self.runner.is_running():
            self.runner.cancel()
            self.window.statusBar().showMessage("Cancelling after the current step…")

    def wait(self, ms: int = 60000) -> bool:
        return self.runner.wait(ms) if self.runner is not None else True

    # ---- the run's outcome (GUI thread) -----------------------------------------------------------
    @QtCore.Slot(object)
    def on_finished(self, result) -> None:
        job, person_index = self._job, self._job_person
        person = self.project.people[person_index] if person_index < len(self.project.people) else self.project.person
        run_rel = self.project.relative(result.run_dir)
        if job is not None and job.kind == "generate" and run_rel not in person.runs:
            person.runs.append(run_rel)  # the pipeline chose the views
        if job is not None and job.kind == "refit":  # the re-fit replaces that run's bodies
            self.results.drop_run(person_index, run_rel)
        count = self.results.keep(result, person_index)
        self.feed.clear_live_body()
        best = result.bodies[0] if result.bodies else None
        self.results.show_results()
        if best is not None:
            self.gallery.set_confidences(best.set_name.split("/")[-1], best.view_weights)
        self.gallery.fitting_finished()
        msg = f"{count} bod{'y' if count == 1 else 'ies'} ready"
        if result.warnings:
            msg += f" ({len(result.warnings)} warnings, see View > Log)"
        self.window.statusBar().showMessage(msg, 10000)
        log.info("%s in %s", msg, result.run_dir)
        self.projects.autosave(background=True)
        self.generationFinished.emit(count)

    @QtCore.Slot(str)
    def on_failed(self, message: str) -> None:
        self.feed.clear_live_body()
        log.error("Generation failed: %s", message)
        self.window.statusBar().showMessage("Generation failed — " + message[:160], 15000)
        self.gallery.fitting_finished()
        show_error(self.window, "No body generated", message)
        self.generationFailed.emit(message)

    @QtCore.Slot()
    def on_cancelled(self) -> None:
        self.feed.clear_live_body()
        self.window.statusBar().showMessage("Generation cancelled; the images made so far are kept in the gallery.", 8000)
        log.info("Generation cancelled")
        self.generationCancelled.emit()

    @QtCore.Slot()
    def on_runner_done(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.deleteLater()
        msg = self.window.statusBar().currentMessage()  # the outcome; hiding the progress clears it
        self.window.hide_progress()
        self.window.update_actions()
        self.prompt_panel.generate_button.setEnabled(True)  # idle without a target it says what is missing
        if msg:
            self.window.statusBar().showMessage(msg, 10000)

    def _ask_images_folder(self):
        return QtWidgets.QFileDialog.getExistingDirectory(
            self.window, "Folder with your images (view_00.png, view_01.png, … for the current cameras)") or None

    # ---- first run ---------------------------------------------------------------------------
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

    # ---- closing ---------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the job, drop the autosave (a clean exit) and the working folder (saved projects live elsewhere)."""
        self._shut_down = True
        if self.runner is not None and self.runner.is_running():
            self.runner.cancel()
            self.runner.wait(60000)
        self.projects.shutdown()
        self.scene_renders.close()
