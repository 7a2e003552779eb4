"""The real window remembers with the project what the user chose: export options and the parts
hidden in the Outline dock come back after a save and reopen (hiding is undoable), and an older
version's export keys reach the export dialog; the View menu's switches last to the next start;
hiding, renaming and deleting kept bodies are undoable. Screenshots go to test-artifacts/."""

from __future__ import annotations

import uuid

import pytest
import trimesh
from PySide6 import QtCore

from tests.arch_files import write_ifc
from tests.gui_support import *  # noqa: F401,F403 - fixtures
from tests.gui_support import SAMPLE, SOFA_SEAT, save_artifact

pytestmark = pytest.mark.gui


def _row(window, label_start: str) -> int:
    return next(n.node_id for n in window.outline.nodes if n.label.startswith(label_start))


def _add_body(window, name="Sitter", shift=0.0) -> str:
    """A capsule on the sofa as a kept result (a fitted body takes minutes here)."""
    from genzi_desktop.model.project import ResultEntry

    c = window.generation
    body = trimesh.creation.capsule(height=1.2, radius=0.2, count=[8, 8])
    body.apply_translation(SOFA_SEAT - [shift, 0.0, body.bounds[0][2]])
    rid = uuid.uuid4().hex[:8]
    path = c.project.root / "results" / f"{rid}.obj"
    path.parent.mkdir(parents=True, exist_ok=True)
    body.export(path)
    c.project.person.results.append(ResultEntry(id=rid, name=name, prompt="sitting", score=0.9,
                                                mesh=c.project.relative(path)))
    c.results.show_results(select=(0, rid))
    return rid


def _dialog_shows(window, pick=None):
    """Open File > Export bodies…, optionally change it with ``pick(dialog)``; returns what it
    showed (format, application, up, units, scene) and accepts only when ``pick`` is given."""
    ex = window.exporter
    seen = []

    def run_dialog(dialog):
        c = dialog.choice()
        seen.append((c.format, c.app, c.up, c.units, c.with_scene))
        if pick is None:
            return False
        pick(dialog)
        dialog.accept_choice()
        return True

    ex.run_dialog = run_dialog
    ex.save_path_provider = lambda fmt: None  # the file dialog cancelled: the choice alone counts
    ex.export_bodies_dialog()
    return seen[0]


def _blender_obj_cm(dialog):
    dialog.set_format("obj")
    dialog.set_app("blender")
    dialog.units_combo.setCurrentIndex(dialog.units_combo.findData("cm"))
    dialog.scene_check.setChecked(True)


def _plain_glb(dialog):
    dialog.set_format("glb")
    dialog.set_app("")


def _open(window, qtbot, saved):
    projects = window.generation.projects
    with qtbot.waitSignal(projects.projectOpened, timeout=120_000):
        assert projects.open_project(saved)


def test_export_options_come_back_with_the_project(window, qtbot, tmp_path, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    _add_body(window)
    projects = window.generation.projects
    before = _dialog_shows(window)
    assert before[:2] == ("obj", None)  # the app's first export: the tree's defaults
    _dialog_shows(window, _blender_obj_cm)
    saved = projects.save_project(tmp_path / "room.genzi")
    # the app's memory moves on (another project exports plain GLB); the project keeps its own
    _dialog_shows(window, _plain_glb)
    projects.new_project()
    _add_body(window)
    assert _dialog_shows(window)[:2] == ("glb", None)
    _open(window, qtbot, saved)
    assert _dialog_shows(window) == ("obj", "blender", "y", "cm", True)


def test_an_older_versions_export_choices_reach_the_dialog(qtbot, gui_settings, request, sample_scene):
    qs = gui_settings.qs  # as the version before the export section left them
    qs.setValue("export/format", "ply")
    qs.setValue("export/app", "rhino")
    qs.setValue("export/ply/units", "cm")
    qs.sync()
    window = request.getfixturevalue("window")
    assert not [k for k in window.settings.qs.allKeys() if k.startswith("export/")]
    window.set_scene(sample_scene, SAMPLE)
    _add_body(window)
    assert _dialog_shows(window) == ("ply", "rhino", "z", "cm", False)


def test_hidden_parts_are_undoable_and_come_back_hidden_after_reopen(window, qtbot, tmp_path):
    ifc = write_ifc(tmp_path / "house.ifc", opening=True)
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(ifc)
    panel, layer = window.outline_panel, window.viewport.outline_layer
    wall2 = _row(window, "Wall 2 #")
    panel.set_row_visible(wall2, False)
    assert not layer.part_visible(2)
    assert window.undo_stack.undoText().startswith("Hide Wall 2")
    window.act_undo.trigger()
    assert layer.part_visible(2) and panel.tree.findItems("Wall 2", QtCore.Qt.MatchFlag.MatchStartsWith
                                                          | QtCore.Qt.MatchFlag.MatchRecursive)[0].checkState(0) \
        == QtCore.Qt.CheckState.Checked
    window.act_redo.trigger()
    assert not layer.part_visible(2)
    panel.set_row_visible(_row(window, "IfcSpace"), True)
    assert layer.extras_shown == [1]
    window.viewport.view_preset("top")
    cam = window.viewport.plotter.camera
    cam.zoom(1.7)  # and closer: not a preset the reopened window could fall back on
    saved_view = [*cam.position, *cam.focal_point, cam.view_angle]
    saved = window.generation.projects.save_project(tmp_path / "house.genzi")

    # change everything back (and more) before reopening: what comes back is the file's
    window.act_undo.trigger()
    window.act_undo.trigger()
    panel.set_row_visible(_row(window, "Wall 0 #"), False)
    assert layer.part_visible(2) and not layer.part_visible(0) and layer.extras_shown == []
    window.viewport.view_preset("iso")
    _open(window, qtbot, saved)
    cam = window.viewport.plotter.camera  # the viewport looks from where it did when saved
    assert [*cam.position, *cam.focal_point, cam.view_angle] == pytest.approx(saved_view, abs=1e-6)
    assert not layer.part_visible(2) and layer.part_visible(0) and layer.part_visible(1)
    assert layer.extras_shown == [1]
    item = panel.tree.findItems("Wall 2", QtCore.Qt.MatchFlag.MatchStartsWith | QtCore.Qt.MatchFlag.MatchRecursive)[0]
    assert item.checkState(0) == QtCore.Qt.CheckState.Unchecked
    assert sorted(int(p) for p in window.hidden_surfaces()) == [2]  # clicks pass through it again
    item.parent().setExpanded(True)
    window.viewport.view_preset("iso")
    save_artifact(window.grab_window_image(), "gui_outline_reopened_window.png")
    save_artifact(window.docks["Outline"].grab().toImage(), "gui_outline_reopened_dock.png")
    # the reopened state is where undo starts, not a step of its own
    assert not window.undo_stack.canUndo()


def test_view_menu_switches_are_remembered_for_the_next_window(window, qtbot, gui_settings, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    assert window.act_grid.isChecked() and "floor-grid" in window.viewport.plotter.actors
    window.act_grid.trigger()
    window.act_culling.trigger()
    assert "floor-grid" not in window.viewport.plotter.actors and not window.viewport.backface_culling
    window.shutdown()

    from genzi_desktop.window.main_window import MainWindow

    second = MainWindow(gui_settings, interactive=False)  # the next start of the app
    try:
        second.show()
        qtbot.waitExposed(second)
        second.set_scene(sample_scene, SAMPLE)
        assert not second.act_grid.isChecked() and not second.act_culling.isChecked()
        assert "floor-grid" not in second.viewport.plotter.actors and not second.viewport.backface_culling
        second.act_grid.trigger()
        assert "floor-grid" in second.viewport.plotter.actors and gui_settings.view_option("grid", False)
    finally:
        second.shutdown()
        second.close()
        second.deleteLater()


def test_hiding_renaming_and_deleting_a_kept_body_are_undoable(window, qtbot, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    first = _add_body(window, "Left", 0.6)
    second = _add_body(window, "Right", -0.6)
    c = window.generation

    def actors():
        return window.viewport.plotter.actors
    panel = c.results_panel

    def item(rid):
        from genzi_desktop.panels.results_panel import ROLE_RESULT

        top = panel.tree.topLevelItem(0)
        return next(top.child(j) for j in range(top.childCount()) if top.child(j).data(0, ROLE_RESULT) == rid)

    item(first).setCheckState(0, QtCore.Qt.CheckState.Unchecked)
    assert not actors()[f"body-p0-{first}"].visibility and window.undo_stack.undoText() == "Hide Left"
    window.act_undo.trigger()
    assert actors()[f"body-p0-{first}"].visibility and item(first).checkState(0) == QtCore.Qt.CheckState.Checked
    assert c.project.person.results[0].visible

    item(first).setText(0, "Seated left")
    assert c.project.person.results[0].name == "Seated left"
    window.act_undo.trigger()
    assert c.project.person.results[0].name == "Left" and item(first).text(0) == "Left"

    panel.select_result(0, second)
    panel.delete_button.click()
    assert [r.id for r in c.project.person.results] == [first] and f"body-p0-{second}" not in actors()
    window.act_undo.trigger()  # the body comes back, in its place in the list
    assert [r.id for r in c.project.person.results] == [first, second] and f"body-p0-{second}" in actors()
    assert [row[2] for row in panel.result_rows()] == ["Left", "Right"]
    window.act_redo.trigger()
    assert [r.id for r in c.project.person.results] == [first] and f"body-p0-{second}" not in actors()


def test_removing_a_person_with_bodies_asks_first(window, qtbot, sample_scene, monkeypatch):
    from PySide6 import QtWidgets

    window.set_scene(sample_scene, SAMPLE)
    c = window.generation
    c.results.add_person()
    _add_body(window, "Second's body")
    assert len(c.project.people) == 2 and c.project.people[1].results
    answers, asked = [QtWidgets.QMessageBox.StandardButton.No, QtWidgets.QMessageBox.StandardButton.Yes], []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda parent, title, text, *a: asked.append(text) or answers.pop(0))
    monkeypatch.setattr(window, "interactive", True)
    c.results_panel.tree.setCurrentItem(c.results_panel.tree.topLevelItem(1))
    c.results_panel.delete_button.click()
    assert len(c.project.people) == 2 and "their 1 body" in asked[0]  # No: nothing lost
    c.results_panel.tree.setCurrentItem(c.results_panel.tree.topLevelItem(1))
    c.results_panel.delete_button.click()
    assert len(c.project.people) == 1 and len(asked) == 2


def test_unsaved_bodies_are_not_dropped_without_asking(window, qtbot, sample_scene, tmp_path, monkeypatch):
    from PySide6 import QtWidgets

    buttons = QtWidgets.QMessageBox.StandardButton
    window.set_scene(sample_scene, SAMPLE)
    projects = window.generation.projects
    _add_body(window, "Keeper")
    answers, asked = [], []
    monkeypatch.setattr(QtWidgets.QMessageBox, "exec", lambda box: asked.append(box.text()) or answers.pop(0))
    monkeypatch.setattr(window, "interactive", True)

    answers.append(buttons.Cancel)  # File > New project, then Cancel: the body stays
    projects.act_new_project.trigger()
    assert "not saved" in asked[-1] and [r.name for r in projects.project.person.results] == ["Keeper"]
    answers.append(buttons.Cancel)  # closing the window, then Cancel: it stays open
    assert not window.close() and window.isVisible()

    answers.append(buttons.Save)  # Save: the project is written first, then the new one starts
    projects.project_path_provider = lambda save: (str(tmp_path / "kept.genzi"), False)
    projects.act_new_project.trigger()
    assert (tmp_path / "kept.genzi").is_file() and not projects.project.person.results
    from genzi_desktop.model.project_files import open_project

    assert [r.name for r in open_project(tmp_path / "kept.genzi", tmp_path / "w").person.results] == ["Keeper"]

    _add_body(window, "Dropped")
    answers.append(buttons.Discard)  # Discard: gone, as asked
    projects.act_new_project.trigger()
    assert not projects.project.person.results and len(asked) == 4

    # a saved, unchanged project does not ask
    _add_body(window, "Saved")
    projects.save_project(tmp_path / "saved.genzi")
    projects.act_new_project.trigger()
    assert len(asked) == 4 and not projects.project.person.results
    _open(window, qtbot, tmp_path / "kept.genzi")  # nor does a project just opened
    assert [r.name for r in projects.project.person.results] == ["Keeper"]
    projects.act_new_project.trigger()
    assert len(asked) == 4 and not projects.project.person.results


def test_opening_another_scene_asks_about_unsaved_bodies(window, qtbot, sample_scene, tmp_path, monkeypatch):
    from PySide6 import QtWidgets

    window.set_scene(sample_scene, SAMPLE)
    _add_body(window, "Keeper")
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "exec",
                        lambda box: asked.append(box.text()) or QtWidgets.QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(window, "interactive", True)
    window.open_scene(write_ifc(tmp_path / "other.ifc"))
    assert "opening another scene" in asked[0] and window.scene_path == SAMPLE
    assert [r.name for r in window.generation.project.person.results] == ["Keeper"]
