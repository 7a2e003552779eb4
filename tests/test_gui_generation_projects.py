"""Your own images of a known body -> a fitted body in the viewport; re-fit; people; projects
saved, reopened and recovered from an autosave."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from gen_gui_support import (  # noqa: F401 - fixtures
    KNOWN_SEAT, data_dir, place_target_and_cameras, quick_overrides, render_known_body, set_panels,
)
from gui_support import (  # noqa: F401 - fixtures
    gui_settings, message_boxes, qimage_to_rgb, sample_scene, save_artifact, window,
)

pytestmark = [pytest.mark.gui, pytest.mark.slow]

IMAGE_SIZE = 384


def _import_known_body(window, qtbot, sample_scene, tmp_path, views=3):
    c = window.generation
    cameras = place_target_and_cameras(window, qtbot, sample_scene, views=views)
    set_panels(window, prompt="a man sitting on the sofa", results=1,
               overrides=quick_overrides(image_size=IMAGE_SIZE, fit_iterations=120))
    known_vertices, _faces = render_known_body(sample_scene, cameras, IMAGE_SIZE, tmp_path / "my_images")
    live = []
    c.images_folder_provider = lambda: str(tmp_path / "my_images")
    with qtbot.waitSignal(c.generationFinished, timeout=600_000) as blocker:
        c.import_images_dialog()
        assert c.is_busy() and not c.prompt_panel.generate_button.isEnabled()

        def body_is_live():
            if "body-live" in window.viewport.plotter.actors:
                live.append(True)
            return bool(live)

        qtbot.waitUntil(body_is_live, timeout=500_000)  # the body shows while it is being fitted
        save_artifact(window.grab_window_image(), "gui_import_fitting_live.png")
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=20_000)
    assert blocker.args[0] >= 1
    assert c.prompt_panel.generate_button.isEnabled()
    return cameras, known_vertices


def test_import_own_images_fit_body_refit_and_people(window, qtbot, sample_scene, tmp_path, message_boxes):
    c = window.generation
    cameras, known = _import_known_body(window, qtbot, sample_scene, tmp_path)
    person = c.project.person
    assert len(person.results) == 1
    result = person.results[0]
    mesh = c.project.path_of(result.mesh)
    assert mesh.exists()
    # the fitted body sits where the known body sat (both on the sofa)
    from pipeline.core.obj_mesh import read_obj

    vertices, faces = read_obj(mesh)
    assert np.linalg.norm(vertices.mean(0) - known.mean(0)) < 0.3
    assert abs(vertices[:, 2].max() - known[:, 2].max()) < 0.3  # head height
    # it is drawn in the viewport and listed with score, contact and penetration
    key = f"body-p0-{result.id}"
    assert key in window.viewport.plotter.actors and "body-live" not in window.viewport.plotter.actors
    rows = c.results_panel.result_rows()
    assert rows == [(0, result.id, result.name)]
    item = c.results_panel.tree.topLevelItem(0).child(0)
    assert item.text(1) and item.text(2) in ("yes", "no") and item.text(3).endswith("mm")
    assert set(result.view_weights) == {cam.name for cam in cameras}
    for row in c.gallery.rows.values():
        assert row.tiles[0].valid and row.tiles[0].confidence is not None
    window.viewport.look_through(cameras[0])
    save_artifact(window.grab_window_image(), "gui_import_fitted.png")
    save_artifact(c.gallery.grab().toImage(), "gui_import_gallery.png")

    # hide / show and rename through the list
    item.setCheckState(0, item.checkState(0).__class__.Unchecked)
    assert not result.visible and not window.viewport.plotter.actors[key].visibility
    item.setCheckState(0, item.checkState(0).__class__.Checked)
    assert window.viewport.plotter.actors[key].visibility
    item.setText(0, "Reader on the sofa")
    assert result.name == "Reader on the sofa"

    # human in the loop: leave one view out and fit again without painting
    dropped = cameras[-1].name
    c.gallery.rows[dropped].check.setChecked(False)
    assert c.gallery.excluded() == [f"*/*/{dropped}"]
    with qtbot.waitSignal(c.generationFinished, timeout=600_000):
        window.generation.act_refit.trigger()
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=20_000)
    assert len(person.results) == 1 and person.results[0].id != result.id  # replaced
    assert dropped not in person.results[0].view_weights
    run = c.project.path_of(person.runs[-1])
    assert json.loads((run / "excluded_images.json").read_text()) == [f"*/*/{dropped}"]
    save_artifact(window.grab_window_image(), "gui_refit_without_view.png")

    # a second person with their own (empty) target; switching back restores the first
    first_target = window.design.target
    c.results.add_person()
    assert len(c.project.people) == 2 and window.design.target is None and window.design.cameras == []
    c.results.activate_person(0)
    assert window.design.target == first_target and len(window.design.cameras) == len(cameras)
    save_artifact(window.grab_window_image(), "gui_two_people.png")

    # showing the results again restyles what is drawn instead of reading every mesh again
    import genzi_desktop.controllers.results as gc

    shown_key = f"body-p0-{person.results[0].id}"
    actor = window.viewport.plotter.actors[shown_key]
    reads = []
    plain_read = gc.read_obj
    gc.read_obj = lambda path: reads.append(path) or plain_read(path)
    try:
        c.results.show_results(select=(0, person.results[0].id))
    finally:
        gc.read_obj = plain_read
    assert reads == [] and window.viewport.plotter.actors[shown_key] is actor

    # delete the result
    rid = person.results[0].id
    c.results.delete_result(0, rid)
    assert person.results == [] and f"body-p0-{rid}" not in window.viewport.plotter.actors


def test_save_reopen_and_recover_project(window, qtbot, sample_scene, tmp_path, gui_settings, data_dir):
    from genzi_desktop.window.main_window import MainWindow
    from genzi_desktop.model.autosave import recoverable_autosaves

    c = window.generation
    cameras, _known = _import_known_body(window, qtbot, sample_scene, tmp_path, views=2)
    c.results.add_person()
    c.prompt_panel.prompt_edit.setPlainText("a woman standing by the window")
    c.results.activate_person(0)
    before = c.project.to_dict()
    saved = c.projects.save_project(tmp_path / "living room", embed_scene=True)
    assert saved.name == "living room.genzi" and saved.is_file()
    assert str(saved.resolve()) in c.projects.recent_projects()
    import zipfile

    names = zipfile.ZipFile(saved).namelist()
    assert "project.json" in names and "scene/living_room.glb" in names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)

    # a crash: the autosave stays behind with a lock naming a process that is gone
    autosave = c.projects.autosave()
    assert autosave is not None and autosave.exists()
    crashed = autosave.with_name("session-crashed.genzi")
    crashed.write_bytes(autosave.read_bytes())
    crashed.with_suffix(".lock").write_text(json.dumps({"pid": 2**22 + 12345}))
    assert crashed in recoverable_autosaves(autosave.parent)

    def reopened_state(win):
        p = win.generation.project
        return ([pp.name for pp in p.people], [pp.prompt.prompt for pp in p.people],
                [(r.name, round(r.score, 6)) for r in p.people[0].results], win.design.target,
                [cam.to_dict() for cam in win.design.cameras])

    expected = (
        [p["name"] for p in before["people"]], [p["prompt"]["prompt"] for p in before["people"]],
        [(r["name"], round(r["score"], 6)) for r in before["people"][0]["results"]], window.design.target,
        [cam.to_dict() for cam in window.design.cameras],
    )

    for how in ("open", "recover"):
        other = MainWindow(gui_settings, interactive=False)
        other.resize(1280, 800)
        other.show()
        qtbot.waitExposed(other)
        try:
            g = other.generation
            with qtbot.waitSignal(g.projects.projectOpened, timeout=180_000):
                if how == "open":
                    assert g.projects.open_project(saved)
                else:
                    g.projects.recovery_provider = lambda path: "restore"
                    assert g.projects.check_recovery()
            state = reopened_state(other)
            assert state[:3] == expected[:3]
            assert state[3] == expected[3]
            assert len(state[4]) == len(expected[4])
            for a, b in zip(state[4], expected[4]):
                assert a["name"] == b["name"] and np.allclose(a["world_to_camera"], b["world_to_camera"])
            result = g.project.people[0].results[0]
            assert f"body-p0-{result.id}" in other.viewport.plotter.actors
            assert sorted(g.gallery.rows) == sorted(cam.name for cam in cameras)
            assert other.scene_path.name == "living_room.glb"
            save_artifact(other.grab_window_image(), f"gui_project_{how}.png")
        finally:
            other.shutdown()
            other.close()
            other.deleteLater()
    assert not crashed.exists()  # restored autosaves are removed
    assert os.getpid()  # the test process's own autosave is not offered


def test_two_round_generation_renders_round_two_in_the_gui_thread(window, qtbot, sample_scene, tmp_path, message_boxes):
    """The paper preset's second round renders the seed bodies' silhouettes mid-job; in the
    desktop those renders are queued to the GUI thread (VTK in the worker has hung the app).
    A known body stands in for the painter, so round 2 really runs."""
    import threading

    from genzi_desktop.viewport import gui_thread_renderer
    from pipeline.generation import RenderedBodyImagination

    c = window.generation
    place_target_and_cameras(window, qtbot, sample_scene, views=3)
    set_panels(window, prompt="a man sitting on the sofa", results=1,
               overrides={**quick_overrides(image_size=256, fit_iterations=80), "rounds": 2, "inpaints_round2": 1})
    served = []
    plain_serve = gui_thread_renderer.GuiThreadRenderer._serve

    def serve(self, request):
        served.append((request["method"], threading.current_thread() is threading.main_thread()))
        return plain_serve(self, request)

    gui_thread_renderer.GuiThreadRenderer._serve = serve
    try:
        known = RenderedBodyImagination(posture="sitting_chair", at=KNOWN_SEAT, facing_yaw_deg=180.0)
        with qtbot.waitSignal(c.generationFinished, timeout=600_000):
            assert c.generate(imagination=known)
        qtbot.waitUntil(lambda: not c.is_busy(), timeout=20_000)
    finally:
        gui_thread_renderer.GuiThreadRenderer._serve = plain_serve
    run = c.project.path_of(c.project.person.runs[-1])
    assert list((run / "round_2" / "fits").glob("*.json")), "round 2 did not fit anything"
    assert ("silhouettes", True) in served and all(in_gui for _, in_gui in served)
