"""The generation workflow in the real window: tiny random models through the worker, the
gallery filling, cancelling, the panels remembering their values, the set-up dialog offline."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from gen_gui_support import (  # noqa: F401 - fixtures
    data_dir, place_target_and_cameras, quick_overrides, set_panels, tiny_model,
)
from gui_support import (  # noqa: F401 - fixtures
    gui_settings, message_boxes, qimage_to_rgb, sample_scene, save_artifact, window,
)

pytestmark = pytest.mark.gui


def test_panels_docks_and_shortcuts_exist_and_values_are_remembered(window, gui_settings):
    c = window.generation
    for title in ("Prompt", "Models", "Results", "Gallery"):
        assert title in window.docks
    keys = {s.toString() for s in window.act_generate.shortcuts()}
    assert {"Ctrl+G", "Ctrl+Return"} <= keys
    assert window.act_cancel.shortcut().toString() == "Esc"
    assert not window.act_generate.isEnabled()  # no scene, no target
    set_panels(window, prompt="a woman reading on the stool", results=3, seed=17,
               overrides={"steps": 9, "guidance_scale": 6.0, "self_penetration": True, "starts": "one"})
    assert c.prompt_panel.self_pen_check.isChecked() and c.prompt_panel.one_start_check.isChecked()
    shape = dict(c.model_panel.values(), fixed_shape={"gender": 0.2, "age": 0.6, "height": 0.7, "weight": 0.4})
    c.model_panel.set_values(shape)
    # a fresh panel on the same settings shows the same values
    from genzi_desktop.panels.model_panel import ModelPanel
    from genzi_desktop.panels.prompt_panel import PromptPanel

    again = PromptPanel(None, gui_settings.qs).values()
    assert (again.prompt, again.seed, again.num_results) == ("a woman reading on the stool", 17, 3)
    # the panel keeps settings by their path in the settings tree
    assert again.overrides == {"inpaint.steps": 9, "inpaint.guidance_scale": 6.0, "lifting.self_penetration": True,
                               "lifting.starts": "one"}
    m = ModelPanel(None, gui_settings.qs).values()
    assert m["device"] == "cpu" and m["dtype"] == "float32"
    assert m["fixed_shape"] == {"gender": 0.2, "age": 0.6, "height": 0.7, "weight": 0.4}


def test_smplx_pickle_needs_confirmation_remembered_by_content(window, tmp_path, data_dir):
    import hashlib

    panel = window.generation.model_panel
    pkl = tmp_path / "SMPLX_NEUTRAL.pkl"
    pkl.write_bytes(b"first content")
    asked = []
    panel.confirm_pickle = lambda path: asked.append(path) or False
    assert not panel.set_smplx_path(str(pkl))
    assert asked == [str(pkl)] and panel.values()["smplx_path"] == ""
    panel.confirm_pickle = lambda path: asked.append(path) or True
    assert panel.set_smplx_path(str(pkl))
    v = panel.values()
    assert v["body_model"] == "smplx" and v["smplx_path"] == str(pkl) and "allow_pickle" not in v
    # the yes is kept by the file's hash in the user's data folder: not asked again for these bytes
    panel.confirm_pickle = lambda path: asked.append(path) or False
    sha = hashlib.sha256(b"first content").hexdigest()
    assert panel.pickle_consent(str(pkl)) == {sha} and len(asked) == 2
    assert sha in (data_dir / "trusted_pickles.json").read_text()
    pkl.write_bytes(b"changed content")  # other bytes: asked again (and refused here)
    assert panel.pickle_consent(str(pkl)) is None and len(asked) == 3


def test_smplx_choice_goes_into_the_request(window, sample_scene):
    """Choosing SMPL-X in the Models panel makes runs fit it (with the user's consent to a pickle);
    the body-shape controls are Anny's and are switched off for it."""
    from gen_gui_support import SAMPLE, SOFA_SEAT
    from genzi_desktop.model.edits import SetTarget
    from pipeline.scene.targets import Target

    window.set_scene(sample_scene, SAMPLE)
    window.apply_edit(SetTarget(None, Target(np.asarray(SOFA_SEAT, float), (0, 0, 1), 0.0)))
    c = window.generation
    panel = c.model_panel
    panel.set_values(dict(panel.values(), body_model="smplx", smplx_path="",
                          fixed_shape={"gender": 0.2, "age": 0.6, "height": 0.7, "weight": 0.4}))
    assert not panel.shape_box.isEnabled()
    with pytest.raises(ValueError, match="no model file"):
        c.request()
    assert panel.set_smplx_path("/models/SMPLX_NEUTRAL.pkl")  # not there yet: asked about when used
    r = c.request()
    assert (r.body_model, r.body_model_path, r.fixed_shape) == ("smplx", "/models/SMPLX_NEUTRAL.pkl", None)
    assert "allow_pickle" not in r.to_dict()
    window.docks["Models"].raise_()
    save_artifact(window.grab_window_image(), "gui_models_smplx.png")
    panel.set_values(dict(panel.values(), body_model="anny"))
    r = c.request()
    assert panel.shape_box.isEnabled() and r.body_model == "anny" and r.body_model_path is None
    assert r.fixed_shape == {"gender": 0.2, "age": 0.6, "height": 0.7, "weight": 0.4}

@pytest.mark.slow
def test_generate_with_tiny_model_fills_gallery_then_explains(window, qtbot, sample_scene, tiny_model, message_boxes):
    c = window.generation
    cameras = place_target_and_cameras(window, qtbot, sample_scene, views=2)
    set_panels(window, tiny_model, results=2)
    assert window.act_generate.isEnabled()
    with qtbot.waitSignal(c.generationFailed, timeout=400_000) as blocker:
        window.act_generate.trigger()
        assert c.is_busy() and window.progress_bar.isVisible() and window.cancel_button.isVisible()
        assert not window.act_generate.isEnabled()  # one run at a time
        # while painting: the window still answers and the tiles show the evolving mask
        qtbot.waitUntil(lambda: any(t.mask is not None for r in c.gallery.rows.values() for t in r.tiles.values()),
                        timeout=300_000)
        assert window.statusBar().currentMessage() or window.progress_bar.format()  # stage/step progress shown
        save_artifact(window.grab_window_image(), "gui_generation_painting.png")
    # the tiny model paints noise, so nobody is found; the user is told why, nothing crashes
    assert "No view showed a detectable person" in blocker.args[0]
    assert any("No view showed a detectable person" in text for text in message_boxes)
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=10_000)
    assert not window.progress_bar.isVisible()
    g = c.gallery
    assert sorted(g.rows) == sorted(cam.name for cam in cameras)
    for row in g.rows.values():
        assert row.render_tile.image is not None and row.render_tile.image.width() == 64
        assert sorted(row.tiles) == [0, 1]  # two hypothesis sets per view
        for tile in row.tiles.values():
            assert tile.painted and tile.image is not None
            assert tile.mask is not None
            assert tile.valid is False and tile.reason  # keypoints checked and refused, with a reason
    # the painted images differ from the rendered view (the model really painted)
    row = next(iter(g.rows.values()))
    rendered = qimage_to_rgb(row.render_tile.image).astype(int)
    painted = qimage_to_rgb(row.tiles[0].image).astype(int)
    assert np.abs(rendered - painted).mean() > 2
    # the run folder sits in the project's working folder with the user's cameras
    run = c.project.path_of(c.project.person.runs[-1])
    assert (run / "views" / "views.json").exists() and (run / "stages" / "r1_keypoints.done").exists()
    assert len(list((run / "round_1" / "images").rglob("*.png"))) == 4
    window.docks["Gallery"].raise_()
    save_artifact(window.grab_window_image(), "gui_generation_gallery.png")
    save_artifact(g.grab().toImage(), "gui_generation_gallery_panel.png")


def test_cancel_stops_the_worker_and_keeps_the_window_usable(window, qtbot, sample_scene, tiny_model):
    c = window.generation
    place_target_and_cameras(window, qtbot, sample_scene, views=2)
    set_panels(window, tiny_model, results=2, overrides=dict(quick_overrides(), steps=40))
    with qtbot.waitSignal(c.generationCancelled, timeout=300_000):
        assert c.generate()
        qtbot.waitUntil(lambda: any(r.tiles for r in c.gallery.rows.values()), timeout=240_000)
        save_artifact(window.grab_window_image(), "gui_generation_before_cancel.png")
        assert window.act_cancel.isEnabled()  # Esc (its shortcut is checked above) would trigger it
        window.cancel_button.click()  # the Cancel button in the status bar
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=30_000)
    assert not window.progress_bar.isVisible()
    assert "cancelled" in window.statusBar().currentMessage().lower()
    run = c.project.path_of(c.project.person.runs[-1])
    assert not (run / "stages" / "r1_inpaint.done").exists()  # stopped inside the painting stage
    assert window.act_generate.isEnabled()  # ready for the next run
    save_artifact(window.grab_window_image(), "gui_generation_cancelled.png")


def test_model_setup_dialog_offline_does_not_block(window, qtbot):
    from genzi_desktop.dialogs.model_setup import OFFLINE_MESSAGE

    dialog = window.generation.show_model_setup()
    qtbot.waitExposed(dialog)
    assert not dialog.isModal()
    dialog.reachable = lambda: False  # this machine has no network; do not wait for timeouts
    with qtbot.waitSignal(dialog.downloadFailed, timeout=30_000) as blocker:
        dialog.download_button.click()
    assert blocker.args[0] == OFFLINE_MESSAGE
    assert "Use a folder" in dialog.status.text() and dialog.download_button.isEnabled()
    save_artifact(dialog.grab().toImage(), "gui_model_setup_offline.png")
    dialog.choose_model("/data/models/sd2-inpainting")
    assert window.generation.model_panel.values()["model"] == "/data/models/sd2-inpainting"
    dialog.close()


def test_about_lists_models_versions_and_licences(window, monkeypatch):
    from PySide6 import QtWidgets

    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.show_about()
    text = shown[0]
    for needle in ("Open RAIL++-M", "CC0", "Apache-2.0", "non-commercial", "stable-diffusion-2-inpainting", "In use now"):
        assert needle in text
    doc = QtGui.QTextDocument()
    doc.setHtml(text)
    assert "PySide6" in doc.toPlainText()  # the window's own versions stay in the box


def test_more_like_this_starts_a_run_with_the_result_prompt_and_a_new_seed(window, qtbot, sample_scene, tiny_model):
    from genzi_desktop.model.project import ResultEntry

    c = window.generation
    place_target_and_cameras(window, qtbot, sample_scene, views=1)
    set_panels(window, tiny_model, prompt="someone else entirely", results=1, seed=5)
    c.project.add_result(0, ResultEntry(id="r1", name="Reader #1", prompt="a man reading on the sofa", score=0.5, seed=5))
    c.results_panel.show_project(c.project)
    c.results_panel.select_result(0, "r1")
    assert c.results_panel.more_button.isEnabled()
    with qtbot.waitSignal(c.generationCancelled, timeout=240_000):
        c.results_panel.more_button.click()
        assert c.is_busy()
        values = c.prompt_panel.values()
        assert values.prompt == "a man reading on the sofa" and values.seed != 5
        assert c.runner.worker.job.request.seed == values.seed
        c.cancel()
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=30_000)
