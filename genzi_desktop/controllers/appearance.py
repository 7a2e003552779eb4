"""The selected body's figure style, outfit, hair and colours: undoable, remembered, shown.

Choices are stored on the kept result (saved with the project) and used by every export;
the viewport shows the style's colour and opacity on the body. The last style picked
becomes the default for bodies that have none yet.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from genzi_desktop.model.appearance import SetAppearance
from pipeline.appearance.styles import region_materials


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
