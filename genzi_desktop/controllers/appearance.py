"""The selected body's figure style, outfit, hair and colours: undoable, remembered, shown.

Choices are stored on the kept result (saved with the project) and used by every export.
The viewport first shows the style's colour on the plain body, then, once a background
task has rebuilt the person from its stored pose (no refit) with clothes, hair and the
colours or texture baked from its paintings, the dressed person in its place. The last
style picked becomes the default for bodies that have none yet.
"""

from __future__ import annotations

import json
import logging

from PySide6 import QtCore, QtGui

from genzi_desktop.model.appearance import SetAppearance
from genzi_desktop.workers.tasks import start_task
from pipeline.appearance.styles import region_materials

log = logging.getLogger(__name__)


class AppearanceCommand(QtGui.QUndoCommand):
    def __init__(self, edit: SetAppearance, changed) -> None:
        super().__init__(edit.text)
        self.edit, self._changed = edit, changed

    def redo(self) -> None:
        self.edit.redo()
        self._changed()

    def undo(self) -> None:
        self.edit.undo()
        self._changed()


class AppearanceController(QtCore.QObject):
    def __init__(self, generation) -> None:
        super().__init__(generation)
        self.generation = generation
        self.window = generation.window
        self.box = generation.results_panel.appearance
        self.box.appearanceChosen.connect(self.choose)
        # the tree's own signal: a selection made while the list is refilled emits no resultSelected
        generation.results_panel.tree.currentItemChanged.connect(lambda *_: self.show_selected())
        self._shown: dict[str, str] = {}  # viewport key -> look drawn (or being drawn) dressed
        self._queue: list[tuple[int, str]] = []
        self._task = None

    def _selected(self):
        kind, person, rid = self.generation.results_panel.current()
        if kind != "result":
            return None, -1, ""
        return self.generation.results.find_result(person, rid), person, rid

    def _clothes_possible(self, result) -> bool:
        """Clothes bind to Anny's topology; a body fitted with SMPL-X has none."""
        from pipeline.generation.body_record import body_spec_of_run

        project = self.generation.project
        spec = body_spec_of_run(project.path_of(result.run)) if result.run else None
        kind = spec.kind if spec is not None else self.generation.model_panel.values()["body_model"]
        return kind == "anny"

    def default_style(self) -> str:
        return self.window.settings.figure_style()

    @QtCore.Slot(int, str)
    def show_selected(self, _person: int = -1, _rid: str = "") -> None:
        result, person, rid = self._selected()
        if result is None:
            self.box.show_appearance(None, self.default_style())
            return
        self.box.show_appearance(result.appearance, self.default_style(), clothes=self._clothes_possible(result))
        self.restyle(person, rid)

    @QtCore.Slot(dict)
    def choose(self, values: dict) -> None:
        result, person, rid = self._selected()
        if result is None:
            return
        edit = SetAppearance(result, values, text=f"Appearance of {result.name}")
        if edit.new == edit.old:
            return
        if "style" in edit.new:
            self.window.settings.set_figure_style(edit.new["style"])
        self.window.undo_stack.push(AppearanceCommand(edit, lambda: self._changed(person, rid)))

    def _changed(self, person: int, rid: str) -> None:
        result = self.generation.results.find_result(person, rid)
        if result is None:
            return
        current = self._selected()
        if current[0] is result:
            self.box.show_appearance(result.appearance, self.default_style(), clothes=self._clothes_possible(result))
        self.restyle(person, rid)

    def restyle(self, person: int, rid: str) -> None:
        """The body's colour and opacity in the viewport for its style."""
        from genzi_desktop.controllers.results import body_key

        result = self.generation.results.find_result(person, rid)
        actor = self.window.viewport.plotter.actors.get(f"body-{body_key(person, rid)}")
        if result is None or actor is None:
            return
        style = result.appearance.get("style", self.default_style())
        colours = region_materials(style, person_index=person)
        material = colours["top"] if style == "clothed" else colours["skin"]
        actor.prop.color = material.rgb
        actor.prop.opacity = material.alpha
        self.window.viewport.plotter.render()
        self.dress(person, rid)

    # ---- dressed people in the viewport ------------------------------------------------
    def _look(self, person: int, result):
        """(body spec, signature) of how a result should be drawn; None when it cannot be
        rebuilt (no stored pose, or a body model without clothes)."""
        from pipeline.body.spec import BodySpec
        from pipeline.generation.body_record import body_spec_of_run

        if not result.params:
            return None
        run = self.generation.project.path_of(result.run) if result.run else None
        spec = body_spec_of_run(run) if run is not None and run.is_dir() else None
        spec = spec or BodySpec.of("anny")
        if spec.kind != "anny":
            return None
        signature = json.dumps([result.appearance, self.default_style(), result.run, result.set_name, person,
                                result.params], sort_keys=True, default=str)
        return spec, signature

    def dress(self, person: int, rid: str) -> None:
        """Draw a result dressed (in the background; the plain body stays until it is ready)."""
        from genzi_desktop.controllers.results import body_key

        result = self.generation.results.find_result(person, rid)
        look = None if result is None else self._look(person, result)
        if look is None or self._shown.get(body_key(person, rid)) == look[1]:
            return
        if (person, rid) not in self._queue:
            self._queue.append((person, rid))
        self._next()

    def dress_shown(self) -> None:
        """Dress every kept result (after a run ends, a project opens, people change)."""
        for pi, p in enumerate(self.generation.project.people):
            for r in p.results:
                self.dress(pi, r.id)

    def is_dressing(self) -> bool:
        return self._task is not None or bool(self._queue)

    def _next(self) -> None:
        from genzi_desktop.controllers.results import body_key
        from pipeline.export.result_look import dressed_result

        while self._task is None and self._queue:
            person, rid = self._queue.pop(0)
            result = self.generation.results.find_result(person, rid)
            look = None if result is None else self._look(person, result)
            if look is None:
                continue
            spec, signature = look
            key = body_key(person, rid)
            project = self.generation.project
            args = dict(choices=dict(result.appearance), prompt=result.prompt, seed=int(result.seed),
                        person_index=person, run_dir=project.path_of(result.run) if result.run else None,
                        set_name=result.set_name, default_style=self.default_style())
            params = dict(result.params)
            self._shown[key] = signature
            self.window.statusBar().showMessage(f"Dressing {result.name}: clothes and colours from its paintings...")

            def work(report, cancel, spec=spec, params=params, args=args):
                report("Dressing", 0, 1)
                return dressed_result(spec, params, cancel=cancel, **args)

            self._task = start_task(self, work, name="dress",
                                    on_finished=lambda out, k=key, s=signature, p=person, r=rid: self._dressed(k, s, p, r, out),
                                    on_failed=lambda exc, k=key: self._failed(k, exc),
                                    on_cancelled=lambda k=key: self._failed(k, None))

    def _dressed(self, key: str, signature: str, person: int, rid: str, out) -> None:
        self._task = None
        result = self.generation.results.find_result(person, rid)
        if result is not None and self._shown.get(key) == signature:
            pieces, warnings = out
            vp = self.window.viewport
            vp.people.set(key, pieces, visible=result.visible)
            vp.plotter.render()
            self.window.statusBar().showMessage("; ".join(warnings) or f"{result.name} dressed.", 6000)
        self._next()

    def _failed(self, key: str, exc: BaseException | None) -> None:
        self._task = None
        self._shown.pop(key, None)
        if exc is None:  # cancelled: the window is closing
            self._queue.clear()
        else:
            log.warning("could not dress %s: %s", key, exc)
            self.window.statusBar().showMessage(f"Could not show clothes: {exc}. The plain body is shown.", 8000)
        self._next()

    def wait(self, ms: int = 120000) -> bool:
        """Wait for the queued dressing to finish (tests, closing)."""
        deadline = QtCore.QDeadlineTimer(ms)
        while self.is_dressing() and not deadline.hasExpired():
            if self._task is not None:
                self._task.wait(100)
            QtCore.QCoreApplication.processEvents()
        return not self.is_dressing()
