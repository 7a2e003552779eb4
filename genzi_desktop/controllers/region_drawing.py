"""Drawing a populate region on the floor in the viewport, and showing the plan's regions.

Draw region / Draw seats region puts the viewport into drawing mode: each click adds a corner
on the floor under the cursor, double-click or Enter closes the region, Backspace (or Ctrl+Z)
removes the last corner and Esc cancels. The closed region becomes a placement of the plan
through the undo stack, so Edit > Undo takes it out again. The math (click -> floor corner,
valid polygon) lives in ``pipeline.populate.regions`` and ``genzi_desktop.model.region_sketch``.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from pipeline.populate.placement import floor_height
from pipeline.populate.plan import Placement, PlanError
from pipeline.populate.regions import floor_point

from genzi_desktop.model.region_sketch import LIFT_M, RegionSketch
from genzi_desktop.viewport.outlines import REGION_COLOR, show_outline

HELP = "double-click or Enter closes the region, Backspace removes the last corner, Esc cancels"


class AddPlacementCommand(QtGui.QUndoCommand):
    """Adds a drawn placement as the plan's last row; undo removes that row."""

    def __init__(self, panel, placement: Placement, changed) -> None:
        super().__init__(f"Draw {placement.kind} {placement.name!r}")
        self.panel, self.placement, self.changed = panel, placement, changed
        self.row = -1

    def redo(self) -> None:
        self.row = self.panel.table.rowCount()
        self.panel.add_placement(self.placement)
        self.changed()

    def undo(self) -> None:
        self.panel.remove_placement(self.row)
        self.changed()


class RegionDrawing(QtCore.QObject):
    """Owns the drawing mode of the viewport for the Populate panel."""

    def __init__(self, window, panel, prompt) -> None:
        super().__init__(window)
        self.window, self.panel, self.prompt = window, panel, prompt  # prompt(): the default prompt text
        self.sketch: RegionSketch | None = None
        self.floor: tuple[object, float] | None = None  # (scene, floor height) of the scene it was measured on
        mouse = window.viewport.mouse
        mouse.sketchClicked.connect(self.add_corner)
        mouse.sketchClosed.connect(self.close)
        mouse.sketchUndo.connect(self.undo_corner)
        mouse.sketchCancelled.connect(self.cancel)
        panel.drawRequested.connect(self.start)
        model = panel.table.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged):
            signal.connect(lambda *_: self.show_plan_regions())
        window.sceneLoaded.connect(lambda _s: self.show_plan_regions())

    @property
    def drawing(self) -> bool:
        return self.sketch is not None

    def floor_z(self) -> float:
        scene = self.window.scene
        if self.floor is None or self.floor[0] is not scene:
            self.floor = (scene, floor_height(scene))
        return float(self.floor[1])

    def say(self, text: str, error: bool = False) -> None:
        self.panel.set_message(text, error=error)
        self.window.statusBar().showMessage(text, 10000)

    # ---- drawing mode ------------------------------------------------------------------
    @QtCore.Slot(str)
    def start(self, kind: str) -> None:
        if self.window.scene is None:
            self.say("Open a scene first (File > Open), then draw the region on its floor.", error=True)
            return
        try:
            self.sketch = RegionSketch(kind, self.floor_z())
        except PlanError as exc:
            self.say(str(exc), error=True)
            return
        self.window.viewport.mouse.sketching = True
        self.window.viewport.plotter.setFocus()
        what = "the seats region" if kind == "seats" else "the region"
        self.say(f"Click the corners of {what} on the floor; {HELP}. Dragging still turns the view.")

    @QtCore.Slot(int, int)
    def add_corner(self, x: int, y: int) -> None:
        if self.sketch is None:
            return
        origin, direction = self.window.viewport.ray_at(x, y)
        hit = self.window.pick_at(x, y)
        xy = floor_point(origin, direction, None if hit is None else hit[0], self.sketch.floor_z)
        if xy is None:
            self.say(f"That click does not reach the floor; click on the floor or on furniture ({HELP}).", error=True)
            return
        if self.sketch.add(xy):
            self._redraw()
            self.say(f"{len(self.sketch.corners)} corners; {HELP}.")

    @QtCore.Slot()
    def undo_corner(self) -> None:
        if self.sketch is not None and self.sketch.undo():
            self._redraw()
            self.say(f"{len(self.sketch.corners)} corners; {HELP}.")

    @QtCore.Slot()
    def cancel(self) -> None:
        if self.sketch is not None:
            self._end()
            self.say("Region drawing cancelled; nothing was added to the plan.")

    @QtCore.Slot()
    def close(self) -> None:
        if self.sketch is None:
            return
        try:
            polygon = self.sketch.finish()
        except PlanError as exc:
            self.say(f"{exc} (Esc cancels.)", error=True)
            return
        kind = self.sketch.kind
        n = self.panel.table.rowCount() + 1
        prompt = self.prompt() or ("a person sitting" if kind == "seats" else "a person standing")
        placement = Placement(f"{'seats' if kind == 'seats' else 'region'} {n}", kind, [prompt],
                              None if kind == "seats" else 2, n, polygon=polygon)
        self._end()
        self.window.undo_stack.push(AddPlacementCommand(self.panel, placement, self.show_plan_regions))
        count = "every seat inside it" if kind == "seats" else "2 people (edit the Count cell)"
        self.say(f"Added {placement.name!r} with {len(polygon)} corners: {count}. Edit > Undo removes it.")

    def _end(self) -> None:
        self.sketch = None
        self.window.viewport.mouse.sketching = False
        show_outline(self.window.viewport, "sketch", None)

    def _redraw(self) -> None:
        show_outline(self.window.viewport, "sketch", self.sketch.outline())

    # ---- the plan's regions --------------------------------------------------------------
    def show_plan_regions(self) -> None:
        """Each readable placement's outline on the floor (a point's radius as a circle)."""
        vp = self.window.viewport
        for key in [k for k in list(vp.plotter.actors) if str(k).startswith("outline-plan-")]:
            vp.plotter.remove_actor(key, render=False)
        if self.window.scene is None:
            vp.plotter.render()
            return
        z = self.floor_z() + LIFT_M
        with vp.batch():
            for row in range(self.panel.table.rowCount()):
                try:
                    outline = self.panel.placement_at(row).outline()
                except (PlanError, IndexError, TypeError, ValueError):
                    continue  # a cell being edited; its outline comes back when it reads again
                pts = np.column_stack([outline, np.full(len(outline), z)])
                show_outline(vp, f"plan-{row}", np.vstack([pts, pts[:1]]), REGION_COLOR, corners=False)
