"""The Populate dock: checks the plan, runs the job in a worker, follows every person.

Finished people join the project as people with their body as a result (shown in the
Results panel and the viewport as they finish); the plan is kept in the project folder.
Where the job runs (this machine or a Ray cluster address) is remembered.
"""

from __future__ import annotations

import logging
import time

from PySide6 import QtCore, QtWidgets

from pipeline.core.events import InpaintDone, StageStarted, Warning
from pipeline.generation.errors import GenerationError
from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice
from pipeline.populate.plan import Placement, PlanError

from genzi_desktop.model.populate_store import add_finished_person, job_dir, load_plan, save_plan
from genzi_desktop.panels.image_tile import rgb_to_qimage
from genzi_desktop.panels.populate_panel import PopulatePanel
from genzi_desktop.workers.populate import PopulateFeed, start_populate

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
        self.out_dir = None
        self.started: dict[int, float] = {}
        qs = window.settings.qs
        self.panel.set_backend(str(qs.value("populate/backend", "local", type=str)),
                               str(qs.value("populate/address", "auto", type=str)))
        self.panel.backendChanged.connect(self.remember_backend)
        self.panel.populateRequested.connect(self.populate)
        self.panel.cancelRequested.connect(self.cancel)
        self.panel.addPointRequested.connect(self.add_point_at_target)
        self.generation.projects.projectOpened.connect(lambda _p: self.load_saved_plan())
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
        backend = None
        if kind == "ray":
            from pipeline.populate.ray_backend import RayBackend

            backend = RayBackend(address=address or "auto", workers=workers or None)
        self.out_dir = job_dir(self.project, plan)
        self.started.clear()
        self.panel.set_running(True)
        self.panel.set_message(f"Placing {plan.requested} people…")
        device = self.generation.model_panel.values().get("device") or "auto"
        self.task = start_populate(self, plan, str(self.window.scene_path), self.out_dir, backend, self.feed,
                                   device=device, on_finished=self.on_finished, on_failed=self.on_failed,
                                   on_cancelled=self.on_cancelled)

    @QtCore.Slot()
    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.panel.set_message("Stopping every person…")

    @QtCore.Slot(object)
    def on_placed(self, people) -> None:
        self.panel.show_people(people)
        self.panel.set_message(f"{len(people)} people placed; painting and fitting them…")

    @QtCore.Slot(object)
    def on_event(self, event) -> None:
        if isinstance(event, PersonEvent):
            inner = event.event
            self.started.setdefault(event.person, time.monotonic())
            if isinstance(inner, StageStarted):
                self.panel.set_cell(event.person, "Stage", inner.stage + (f" (round {inner.round})" if inner.round else ""))
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

    def on_failed(self, exc: BaseException) -> None:
        self._done()
        from pipeline.populate.ray_backend import ClusterError

        if isinstance(exc, ClusterError):
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
