"""Edits stay undoable: each person keeps their own undo history across switches (Edit > Undo
and Ctrl+Z follow the selected person), and unticking a view in the gallery is an undo step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from gui_support import SAMPLE, SOFA_SEAT, gui_settings, message_boxes, sample_scene, window  # noqa: F401 - fixtures
from pipeline.scene.targets import Target

pytestmark = pytest.mark.gui

UP = (0.0, 0.0, 1.0)


def _point(window) -> list | None:
    target = window.design.target
    return None if target is None else np.round(target.point_array, 3).tolist()


def test_each_person_keeps_their_undo_history_across_switches(window, qtbot, sample_scene):
    c = window.generation
    window.set_scene(sample_scene, SAMPLE)
    first, second = SOFA_SEAT, SOFA_SEAT + np.array([0.3, 0.0, 0.0])
    window.set_target(Target(first, UP))
    window.set_target(Target(second, UP), "Move target")
    c.results.add_person()  # person B: a new, empty history
    assert window.design.target is None and not window.undo_stack.canUndo()
    assert not window.act_undo.isEnabled()
    elsewhere = SOFA_SEAT + np.array([-0.5, 0.2, 0.0])
    window.set_target(Target(elsewhere, UP))

    c.results.activate_person(0)  # back to A: their edits are still there to undo
    assert _point(window) == np.round(second, 3).tolist()
    assert window.act_undo.isEnabled() and window.act_undo.text() == "&Undo Move target"
    assert window.act_undo.shortcut() == QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Undo)
    with qtbot.waitActive(window):  # shortcuts need the active window
        window.activateWindow()
    window.viewport.plotter.setFocus()
    qtbot.keyClick(window.viewport.plotter, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert _point(window) == np.round(first, 3).tolist()

    c.results.activate_person(1)  # B's history is B's: one step, their own target
    assert c.project.people[0].target["point"] == pytest.approx(list(first))  # A keeps the undone state
    assert _point(window) == np.round(elsewhere, 3).tolist() and window.undo_stack.count() == 1
    window.act_undo.trigger()
    assert window.design.target is None and not window.act_undo.isEnabled()
    window.act_redo.trigger()
    assert _point(window) == np.round(elsewhere, 3).tolist()

    c.results.activate_person(0)
    window.act_redo.trigger()  # A's redo is still A's
    assert _point(window) == np.round(second, 3).tolist()

    # a removed person's history goes with them (removing cannot be undone)
    assert len(window.histories.stacks()) == 2
    c.results.remove_person(1)
    assert len(window.histories.stacks()) == 1 and window.undo_stack.count() == 2
    # a new project starts with one empty history
    c.projects.new_project()
    assert len(window.histories.stacks()) == 1 and not window.undo_stack.canUndo()


def _fill_gallery(gallery) -> None:
    """Two views with two painted images each, as a run streams them in."""
    rng = np.random.default_rng(0)
    for view in ("view_00", "view_01"):
        gallery.on_view_rendered(view, rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))
        for sample in (0, 1):
            gallery.on_inpaint_done(view, sample, rng.integers(0, 255, (48, 48, 3), dtype=np.uint8), None, 1)


def _ticks(gallery) -> dict:
    return {v: (row.check.isChecked(), [row.tiles[s].check.isChecked() for s in sorted(row.tiles)])
            for v, row in gallery.rows.items()}


def test_unticking_a_gallery_view_is_an_undo_step(window, qtbot):
    c = window.generation
    person, gallery = c.project.person, c.gallery
    _fill_gallery(gallery)
    all_ticked = {"view_00": (True, [True, True]), "view_01": (True, [True, True])}
    assert _ticks(gallery) == all_ticked and person.excluded_images == []
    steps = window.undo_stack.count()

    gallery.rows["view_01"].check.click()  # the user leaves a view out: one step, not one per image
    assert window.undo_stack.count() == steps + 1 and window.undo_stack.undoText() == "Leave out view_01"
    assert person.excluded_images == ["*/*/view_01"] == gallery.excluded()
    assert _ticks(gallery)["view_01"] == (False, [False, False])

    window.act_undo.trigger()  # back in the model and in the widget
    assert person.excluded_images == [] and gallery.excluded() == []
    assert _ticks(gallery) == all_ticked
    window.act_redo.trigger()
    assert person.excluded_images == ["*/*/view_01"] and _ticks(gallery)["view_01"] == (False, [False, False])
    window.act_undo.trigger()

    gallery.rows["view_00"].tiles[1].check.click()  # a single image
    key = "round_1/images/set_1/view_00.png"
    assert person.excluded_images == [key] == gallery.excluded()
    window.act_undo.trigger()
    assert person.excluded_images == [] and _ticks(gallery) == all_ticked
    # the undos pushed nothing themselves: the tile step replaced the undone view step
    assert window.undo_stack.count() == steps + 1 and window.undo_stack.index() == steps


def test_removing_another_person_keeps_the_active_persons_edits_and_history(window, sample_scene):
    c = window.generation
    window.set_scene(sample_scene, SAMPLE)
    c.results.add_person()  # B
    c.results.add_person()  # C
    c.results.activate_person(1)  # B is active
    window.set_target(Target(SOFA_SEAT, UP))
    c.results.remove_person(0)  # A goes; B stays the one shown, target and history intact
    assert c.project.person.name == "Person 2"
    assert _point(window) == np.round(SOFA_SEAT, 3).tolist()
    assert window.undo_stack.undoText() == "Place target"
    window.act_undo.trigger()
    assert window.design.target is None
