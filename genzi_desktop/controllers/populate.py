"""The Populate dock: checks the plan, runs the job in a worker, follows every person.

Finished people join the project as people with their body as a result (shown in the
Results panel and the viewport as they finish); the plan is kept in the project folder.
Where the job runs (this machine or a Ray cluster address) is remembered. The queue stops,
retries, accepts or rejects one person; a lost cluster offers to finish the job here.
"""

from __future__ import annotations

import logging
import time

from PySide6 import QtCore, QtWidgets

from pipeline.core.atomic import read_json
from pipeline.core.events import InpaintDone, StageStarted, Warning
from pipeline.generation.errors import GenerationError
from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice
from pipeline.populate.jobs import person_dir_name, read_outcome
from pipeline.populate.person_cancel import PersonCancels
from pipeline.populate.plan import Placement, PlanError
from pipeline.populate.runner import ClusterLost, read_review, set_review

from genzi_desktop.model.populate_store import (
    add_finished_person, job_dir, load_plan, remove_populated_person, save_plan,
)
from genzi_desktop.panels.image_tile import rgb_to_qimage
from genzi_desktop.panels.populate_panel import PopulatePanel
from genzi_desktop.workers.populate import PopulateFeed, start_populate, start_reexport

log = logging.getLogger("genzi_desktop.populate")
RAY_ADVICE = " Check the address, or choose Run on: This machine and press Populate again."


class PopulateController(QtCore.QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.generation = window.generation
        self.panel = PopulatePanel(window)
        scroll = QtWidgets.QScrollArea(window)  # the panel's tables must not set the window's minimum height
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        window.add_dock("Populate", scroll, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        window.menus["view"].addAction(window.docks["Populate"].toggleViewAction())
        self.feed = PopulateFeed(self)
        self.feed.placed.connect(self.on_placed)
        self.feed.event.connect(self.on_event)
        self.task = None
        self.export_task = None
        self.out_dir = None
        self.cancels: PersonCancels | None = None
        self.retry_queue: list[int] = []
        self.started: dict[int, float] = {}
        self.ticker = QtCore.QTimer(self)  # running people's time, once a second
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        qs = window.settings.qs
        self.panel.set_backend(str(qs.value("populate/backend", "local", type=str)),
                               str(qs.value("populate/address", "auto", type=str)))
        self.panel.backendChanged.connect(self.remember_backend)
        self.panel.populateRequested.connect(self.populate)
        self.panel.cancelRequested.connect(self.cancel)
        self.panel.addPointRequested.connect(self.add_point_at_target)
        self.panel.personAction.connect(self.person_action)
        self.panel.resumeLocallyRequested.connect(self.resume_locally)
        self.generation.projects.projectOpened.connect(lambda _p: self.load_saved_plan())
        from genzi_desktop.controllers.region_drawing import RegionDrawing

        self.drawing = RegionDrawing(window, self.panel, lambda: self.generation.prompt_panel.values().prompt)
        self.load_saved_plan()

    @property
    def project(self):
        return self.generation.project

    def is_busy(self) -> bool:
        return self.task is not None

    # ---- plans -------------------------------------------------------------------------
    def load_saved_plan(self) -> None:
        try:
            plan = load_plan(self.project)
        except (PlanError, OSError, ValueError) as exc:
            self.panel.set_message(f"The project's populate plan could not be read: {exc}", error=True)
            return
        if plan is not None:
            self.panel.set_plan(plan)

    @QtCore.Slot()
    def remember_backend(self) -> None:
        kind, address, _ = self.panel.backend()
        self.window.settings.qs.setValue("populate/backend", kind)
        self.window.settings.qs.setValue("populate/address", address)

    @QtCore.Slot()
    def add_point_at_target(self) -> None:
        target = self.window.design.target
        if target is None:
            self.panel.set_message("Click a surface first: the new placement goes to the target point.", error=True)
            return
        n = self.panel.table.rowCount() + 1
        self.panel.add_placement(Placement(f"spot {n}", "point", [self.generation.prompt_panel.values().prompt], 1, n,
                                           point=list(target.point), radius=float(target.radius)))

    # ---- the job -----------------------------------------------------------------------
    @QtCore.Slot()
    def populate(self) -> None:
        self.start()

    @QtCore.Slot()
    def resume_locally(self) -> None:
        """After a lost cluster: the people it did not finish run here (finished ones are kept)."""
        self.panel.set_backend("local", self.panel.backend()[1])
        self.start()

    def start(self, only: list[int] | None = None) -> None:
        """Run the panel's plan (``only``: just these people, e.g. a retry)."""
        if self.is_busy():
            return
        if self.window.scene_path is None:
            self.panel.set_message("Open a scene first (File > Open).", error=True)
            return
        try:
            plan = self.panel.plan()
            plan.check()
        except PlanError as exc:
            self.panel.set_message(str(exc), error=True)
            return
        if plan.painter == "diffusion" and not plan.model:
            plan.model = self.generation.model_panel.values()["model"]
        save_plan(self.project, plan)
        self.remember_backend()
        kind, address, workers = self.panel.backend()
        cluster = (address or "auto", workers or None) if kind == "ray" else None
        self.out_dir = job_dir(self.project, plan)
        self.started.clear()
        self.cancels = PersonCancels()
        self.panel.set_running(True)
        self.panel.set_message(f"Placing {plan.requested} people…" if only is None
                               else f"Running person {', '.join(str(i + 1) for i in only)} again…")
        device = self.generation.model_panel.values().get("device") or "auto"
        self.task = start_populate(self, plan, str(self.window.scene_path), self.out_dir, cluster, self.feed,
                                   device=device, on_finished=self.on_finished, on_failed=self.on_failed,
                                   on_cancelled=self.on_cancelled, cancels=self.cancels, only=only)
        self.ticker.start()

    @QtCore.Slot()
    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.panel.set_message("Stopping every person…")

    @QtCore.Slot(object)
    def on_placed(self, people) -> None:
        self.panel.show_people(people)
        self.show_saved_states()
        self.panel.set_message(f"{len(people)} people placed; painting and fitting them…")

    def show_saved_states(self) -> None:
        """Rows of people finished in an earlier run (or kept out of this one) as they are on disk."""
        status = self.out_dir / "status.json"
        saved = read_json(status)["people"] if status.is_file() else []
        review = read_review(self.out_dir)
        for row in saved:
            i, state = int(row["index"]), row["status"]
            if state != "pending":
                self.panel.set_cell(i, "Status", review.get(i, state) if state == "done" else f"{state}: {row['message']}")
                self.panel.set_cell(i, "Stage", "finished")

    @QtCore.Slot()
    def tick(self) -> None:
        now = time.monotonic()
        for i, t0 in self.started.items():
            if self.panel.cell(i, "Status") in ("running", "cancelling…"):
                self.panel.set_cell(i, "Time", f"{now - t0:.0f} s")

    # ---- one person ----------------------------------------------------------------------
    @QtCore.Slot(str, int)
    def person_action(self, action: str, index: int) -> None:
        out = self.out_dir or job_dir(self.project, self.panel.plan())
        folder = out / "people" / person_dir_name(index)
        if action == "cancel" and self.cancels is not None and self.is_busy():
            self.cancels.cancel(index)
            self.panel.set_cell(index, "Status", "cancelling…")
        elif action == "retry":
            if self.is_busy():
                self.retry_queue.append(index)
                self.panel.set_cell(index, "Status", "retry queued")
            else:
                self.out_dir = out
                self.start(only=[index])
        elif action in ("accept", "reject"):
            outcome = read_outcome(folder)
            if outcome is None or outcome.get("status") != "done":
                return
            verdict = "accepted" if action == "accept" else "rejected"
            set_review(out, index, verdict)
            self.panel.set_cell(index, "Status", verdict)
            self.generation.store_design()
            if verdict == "rejected":
                remove_populated_person(self.project, folder)
            elif not any(self.project.relative(folder) in p.runs for p in self.project.people):
                add_finished_person(self.project, folder, outcome)  # accepted again after a reject
            self.generation.restore_design()
            self.generation.results.show_results()
            if not self.is_busy():  # a running job exports at its end anyway
                self.export_task = start_reexport(self, out, on_finished=self._exported,
                                                  on_failed=self._export_failed)

    def _exported(self, path) -> None:
        self.export_task = None
        self.panel.set_message(f"The scene with everyone kept: {path}" if path else "No person is kept, so there is "
                               "no combined scene.")

    @QtCore.Slot(object)
    def on_event(self, event) -> None:
        if isinstance(event, PersonEvent):
            inner = event.event
            self.started.setdefault(event.person, time.monotonic())
            if isinstance(inner, StageStarted):
                self.panel.set_cell(event.person, "Stage", inner.stage + (f" (round {inner.round})" if inner.round else ""))
                if self.panel.cell(event.person, "Status") != "cancelling…":
                    self.panel.set_cell(event.person, "Status", "running")
            elif isinstance(inner, InpaintDone):
                self.panel.set_thumbnail(event.person, rgb_to_qimage(inner.image))
            elif isinstance(inner, Warning):
                log.warning("person %d: %s", event.person + 1, inner.message)
        elif isinstance(event, PersonFinished):
            self.person_finished(event.person, event.outcome)
        elif isinstance(event, PopulateNotice):
            self.panel.set_message(event.message)
            self.window.statusBar().showMessage(event.message, 10000)

    def person_finished(self, index: int, outcome: dict) -> None:
        status = outcome.get("status", "")
        self.panel.set_cell(index, "Stage", "finished")
        self.panel.set_cell(index, "Time", f"{outcome.get('seconds', 0):.0f} s")
        self.panel.set_cell(index, "Status", "done" if status == "done" else f"{status}: {outcome.get('message', '')}")
        if status != "done":
            return
        active = self.project.active_person
        self.generation.store_design()
        person = add_finished_person(self.project, self.out_dir / "people" / f"person_{index:03d}", outcome)
        self.project.active_person = active
        if person is not None:
            self.generation.results.show_results()

    def _done(self) -> None:
        self.task = None
        self.ticker.stop()
        self.panel.set_running(False)
        self.project.write_json()

    def on_finished(self, result) -> None:
        self._done()
        total = len(result.people)
        text = f"{len(result.finished)} of {total} people have a body."
        if result.export_path:
            text += f" The scene with everyone: {result.export_path}"
        if result.notices:
            text = " ".join(result.notices) + " " + text
        self.panel.set_message(text)
        if self.retry_queue:
            queued, self.retry_queue = sorted(set(self.retry_queue)), []
            self.start(only=queued)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_task = None
        self.panel.set_message(f"Could not rewrite the combined scene: {exc}. Your verdicts are kept; the next "
                               "Populate writes it.", error=True)

    def on_failed(self, exc: BaseException) -> None:
        self._done()
        from pipeline.populate.ray_backend import ClusterError

        if isinstance(exc, ClusterLost):
            self.panel.set_message(f"{exc} The people finished so far are kept. Press Resume on this machine to "
                                   "finish the others here, or Populate to try the cluster again.", error=True)
            self.panel.resume_button.show()
        elif isinstance(exc, ClusterError):
            self.panel.set_message(str(exc).replace(" or run on this machine (desktop: Populate > Run on > This machine; "
                                                    "CLI: leave out --cluster).", "") + RAY_ADVICE, error=True)
        elif isinstance(exc, (PlanError, GenerationError, OSError, ValueError)):
            self.panel.set_message(f"{exc} Finished people are kept; press Populate to resume.", error=True)
        else:
            log.error("populate failed: %r", exc)
            self.panel.set_message(f"Populate stopped: {exc}. Finished people are kept; press Populate to resume.",
                                   error=True)

    def on_cancelled(self) -> None:
        self._done()
        self.panel.set_message("Stopped. Finished people are kept; press Populate to go on with the rest.")
