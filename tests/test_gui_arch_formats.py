"""The window opens an architect's IFC through the usual scene-open path (no up-axis question:
the file says), writes a person back into a copy of it through File > Export bodies…, and
names every openable format when a file cannot be opened."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PySide6 import QtWidgets

from gui_support import gui_settings, message_boxes, save_artifact, window  # noqa: F401
from pipeline.scene.formats import SUPPORTED_EXTENSIONS
from tests.arch_files import write_ifc
from tests.test_gui_export import _add_result

pytestmark = pytest.mark.gui


def test_open_ifc_then_write_a_person_into_a_copy(window, qtbot, tmp_path, monkeypatch):
    import ifcopenshell

    design = write_ifc(tmp_path / "house.ifc")
    before = hashlib.sha256(design.read_bytes()).hexdigest()
    asked = []
    window.import_options_provider = lambda *a: asked.append(a)
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(design)
    assert not asked, "an IFC says its unit and up axis: nothing to ask"
    np.testing.assert_allclose(window.scene.size, [4.0, 6.2, 2.5], atol=1e-6)
    assert "millimetres" in window.scene.options.describe()
    window.viewport.plotter.render()
    save_artifact(window.grab().toImage(), "gui_open_ifc.png")

    body, _rid = _add_result(window, name="Reader")
    ex = window.exporter
    offered = []

    def run_dialog(dialog):
        model = dialog.format_combo.model()
        offered.extend((dialog.format_combo.itemData(i), model.item(i).isEnabled())
                       for i in range(dialog.format_combo.count()))
        dialog.set_format("ifc")
        assert not dialog.up_combo.isEnabled() and not dialog.scene_check.isEnabled()
        dialog.accept_choice()
        return True

    ex.run_dialog = run_dialog
    saved = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda _w, _t, suggested, _f: saved.append(suggested) or (suggested, ""))
    with qtbot.waitSignal(ex.exported, timeout=60_000) as blocker:
        assert ex.export_bodies_dialog()
    qtbot.waitUntil(lambda: ex.task is None, timeout=10_000)
    assert dict(offered)["ifc"] and not dict(offered)["3dm"]  # only the opened design's own format
    assert saved[0].endswith("house_people.ifc")
    assert hashlib.sha256(design.read_bytes()).hexdigest() == before
    model = ifcopenshell.open(blocker.args[0][0])
    proxies = model.by_type("IfcBuildingElementProxy")
    assert [p.Name for p in proxies] == ["Reader"] and len(model.by_type("IfcWall")) == 3


def test_a_file_that_is_no_scene_names_every_format(window, qtbot, tmp_path, message_boxes):
    path = tmp_path / "model.skp"
    path.write_bytes(b"SketchUp model")
    window.open_scene(path)
    assert message_boxes
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in message_boxes[-1]


def test_export_dialog_target_application_sets_the_importers_frame(qtbot, gui_settings):
    from genzi_desktop.dialogs.export import ExportDialog

    dialog = ExportDialog(None, gui_settings.qs, has_selection=True, has_scene=True)
    qtbot.addWidget(dialog)
    dialog.set_format("obj")
    dialog.set_app("blender")  # Blender's OBJ importer reads Y-up
    assert (dialog.choice().up, dialog.choice().units) == ("y", "m") and "Blender" in dialog.note.text()
    dialog.set_app("rhino")
    assert (dialog.choice().up, dialog.choice().units) == ("z", "mm")
    dialog.set_format("fbx")
    assert (dialog.choice().up, dialog.choice().units) == ("z", "mm")
    dialog.set_format("glb")  # glTF's frame is fixed: the application cannot change it
    assert not dialog.app_combo.isEnabled() and (dialog.choice().up, dialog.choice().units) == ("y", "m")
    dialog.accept_choice()
    again = ExportDialog(None, gui_settings.qs, has_selection=True, has_scene=True)
    qtbot.addWidget(again)
    assert again.app_combo.currentData() == "rhino"


def test_own_fbx_opens_posed_where_exported_without_asking(window, qtbot, tmp_path):
    """A body-only FBX has nothing to judge its axes by; the header this app wrote says them."""
    from pipeline.export import export_bodies, posed_vertices
    from tests.test_export import bar_skin

    skins = [bar_skin(60.0), bar_skin(30.0, offset=(1.0, 1.0, 0.0))]
    path = export_bodies(skins, tmp_path / "people.fbx", up="z", units="cm")[0]
    asked = []
    window.import_options_provider = lambda *a: asked.append(a)
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(path)
    assert not asked
    expected = np.concatenate([posed_vertices(s) for s in skins])
    np.testing.assert_allclose(window.scene.bounds, [expected.min(axis=0), expected.max(axis=0)], atol=1e-5)
    assert sorted(n.label for n in window.outline.nodes if not n.children) == ["body_0", "body_1"]


def test_missing_texture_is_said_and_the_unit_can_be_corrected_by_reopening(window, qtbot, tmp_path, message_boxes):
    """Whatever could be read loads, a box says what is missing and what to do; File > Reopen
    with up axis and unit overrides the file's own frame and is remembered for the file."""
    from pipeline.scene.scene import SceneImportOptions
    from tests.arch_files import write_collada
    from tests.scene_files import ROOM_BOUNDS

    path = write_collada(tmp_path / "room.dae", texture="room_textures/wood.jpg")
    with qtbot.waitSignal(window.sceneLoaded, timeout=60_000):
        window.open_scene(path)
    np.testing.assert_allclose(window.scene.bounds, ROOM_BOUNDS, atol=1e-5)
    assert any("room_textures/wood.jpg" in m and "beside the .dae" in m for m in message_boxes)
    asked = []
    window.import_options_provider = lambda p, initial, why: asked.append((initial.unit, why)) or \
        SceneImportOptions(up_axis="z", unit="m")
    with qtbot.waitSignal(window.sceneLoaded, timeout=60_000):
        window.act_reopen.trigger()
    assert asked[0][0] == "in" and "inches" in asked[0][1]
    np.testing.assert_allclose(window.scene.size, (ROOM_BOUNDS[1] - ROOM_BOUNDS[0]) / 0.0254, rtol=1e-5)
    with qtbot.waitSignal(window.sceneLoaded, timeout=60_000):
        window.open_scene(path)  # remembered: no question, the user's unit
    assert len(asked) == 1 and window.scene.options.unit == "m"


def test_a_large_ifc_shows_tessellation_progress_and_cancel_keeps_the_open_scene(window, qtbot, tmp_path):
    """Loading runs in a worker with stage-named progress; Cancel during tessellation stops it."""
    from tests.arch_files import write_ifc

    first = write_ifc(tmp_path / "small.ifc", walls=2)
    with qtbot.waitSignal(window.sceneLoaded, timeout=60_000):
        window.open_scene(first)
    kept = window.scene
    big = write_ifc(tmp_path / "big.ifc", walls=450)
    seen: list[tuple[str, int, int]] = []
    shown = window.report_progress

    def record(message, step, total):
        seen.append((message, step, total))
        shown(message, step, total)
        if "Tessellated" in message:
            assert window.progress_bar.isVisible() and window.act_cancel.isEnabled()
            window.act_cancel.trigger()

    window.report_progress = record
    window.open_scene(big)
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=120_000)
    qtbot.wait(100)
    messages = [m for m, _, _ in seen]
    assert any(m.startswith("Tessellating 45") and "IFC elements" in m for m in messages)
    assert any(m.startswith("Tessellated 200 IFC elements") for m in messages)
    steps = [s for _, s, t in seen if t == 100]
    assert steps == sorted(steps) and 0 < steps[-1] < 100
    assert window.scene is kept and window.outline.nodes[0].label == "Level 1"
    assert "Cancelled" in window.statusBar().currentMessage()
    assert not window.progress_bar.isVisible()
