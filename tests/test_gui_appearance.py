"""The Results panel's appearance choices: undoable, remembered, shown in the viewport."""

from __future__ import annotations

import uuid

import pytest
import trimesh

from gui_support import SOFA_SEAT, gui_settings, message_boxes, sample_scene, window  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


def _add_result(window):
    from genzi_desktop.model.project import ResultEntry

    c = window.generation
    body = trimesh.creation.capsule(height=1.2, radius=0.2, count=[16, 16])
    body.apply_translation(SOFA_SEAT - [0.0, 0.0, body.bounds[0][2]])
    rid = uuid.uuid4().hex[:8]
    path = c.project.root / "results" / f"{rid}.obj"
    path.parent.mkdir(parents=True, exist_ok=True)
    body.export(path)
    c.project.person.results.append(ResultEntry(id=rid, name="Sitter", prompt="a man in a suit", score=0.9,
                                                mesh=c.project.relative(path)))
    c.results.show_results(select=(0, rid))
    return rid


def _pick(box, key, value):
    combo = box.combos[key]
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def test_style_outfit_and_hair_choices_are_undoable_remembered_and_shown(window, qtbot):
    rid = _add_result(window)
    c = window.generation
    box = c.results_panel.appearance
    c.results_panel.select_result(0, rid)
    assert box.isEnabled() and box.combos["style"].currentData() == "clothed"
    entry = c.results.find_result(0, rid)

    _pick(box, "style", "glass")
    _pick(box, "outfit", "male_worksuit01")
    _pick(box, "hair", "none")
    assert entry.appearance == {"style": "glass", "outfit": "male_worksuit01", "hair": "none", "colours": "paintings"}
    actor = window.viewport.plotter.actors[f"body-p0-{rid}"]
    assert actor.prop.opacity < 0.5  # glass is see-through in the viewport too
    assert window.settings.figure_style() == "glass"  # the next body starts in the last style

    window.undo_stack.undo()
    assert entry.appearance.get("hair") is None and entry.appearance["outfit"] == "male_worksuit01"
    assert box.combos["hair"].currentData() == ""  # the panel follows undo
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert entry.appearance == {}
    assert box.combos["style"].currentData() == "glass"  # no own choice left: the remembered default
    window.settings.set_figure_style("white")
    c.appearance.show_selected()
    assert actor.prop.opacity == pytest.approx(1.0) and actor.prop.color[0] > 0.9
    window.undo_stack.redo()
    assert entry.appearance["style"] == "glass"

    saved = window.generation.project.to_dict()  # the choice is part of the project file
    assert saved["people"][0]["results"][-1]["appearance"]["style"] == "glass"
