"""File > Export bodies… and File > Export image… in the real window: a body on the sofa goes
through the export dialog to GLB and OBJ files that trimesh reads back in the chosen frame, a
full disk ends in a clear error dialog, and the presentation image is a real, non-blank PNG."""

from __future__ import annotations

import dataclasses
import errno
import uuid

import numpy as np
import pytest
import trimesh
from PySide6 import QtWidgets

from gui_support import (  # noqa: F401 - fixtures
    SAMPLE, SOFA_SEAT, gui_settings, message_boxes, sample_scene, save_artifact, window,
)

pytestmark = pytest.mark.gui


def _add_result(window, name="Sitter"):
    """Put a body-sized capsule on the sofa into the project as a kept result (cheap stand-in
    for a fitted body: a generation run takes minutes on this machine)."""
    from genzi_desktop.model.project import ResultEntry

    c = window.generation
    body = trimesh.creation.capsule(height=1.2, radius=0.2, count=[16, 16])
    body.apply_translation(SOFA_SEAT - [0.0, 0.0, body.bounds[0][2]])  # standing on the seat
    rid = uuid.uuid4().hex[:8]
    path = c.project.root / "results" / f"{rid}.obj"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.writelines(f"v {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in body.vertices)
        f.writelines(f"f {a + 1} {b + 1} {d + 1}\n" for a, b, d in body.faces)
    c.project.person.results.append(ResultEntry(id=rid, name=name, prompt="sitting", score=0.9,
                                                mesh=c.project.relative(path)))
    c.results.show_results(select=(0, rid))
    return body, rid


def _export_through_dialog(window, qtbot, monkeypatch, path, fmt, *, up=None, units=None, scene=False, shot=None):
    ex = window.exporter
    seen = []

    def run_dialog(dialog):
        dialog.show()
        dialog.set_format(fmt)
        if up is not None:
            dialog.up_combo.setCurrentIndex(dialog.up_combo.findData(up))
        if units is not None:
            dialog.units_combo.setCurrentIndex(dialog.units_combo.findData(units))
        dialog.scene_check.setChecked(scene)
        seen.append((dialog.up_combo.isEnabled(), dialog.units_combo.isEnabled(), dialog.choice()))
        if shot:
            qtbot.waitExposed(dialog)
            save_artifact(dialog.grab().toImage(), shot)
        dialog.accept_choice()  # what the Export… button does: remember, accept
        return True

    ex.run_dialog = run_dialog
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(ex.exported, timeout=60_000) as blocker:
        assert ex.export_bodies_dialog()
    qtbot.waitUntil(lambda: ex.task is None, timeout=10_000)
    return blocker.args[0], seen[0]


def test_export_bodies_glb_and_obj_through_the_dialog(window, qtbot, sample_scene, tmp_path, monkeypatch, gui_settings):
    window.set_scene(sample_scene, SAMPLE)
    body, _rid = _add_result(window)
    assert window.generation.results_panel.export_button.isEnabled()
    lo, hi = body.bounds

    # GLB: glTF fixes Y-up metres, so the dialog shows them disabled
    files, (up_on, units_on, choice) = _export_through_dialog(
        window, qtbot, monkeypatch, tmp_path / "out" / "people.glb", "glb", shot="gui_export_dialog_glb.png")
    assert not up_on and not units_on and (choice.up, choice.units) == ("y", "m")
    assert files == [str(tmp_path / "out" / "people.glb")]
    glb = trimesh.load(files[0], force="mesh", process=False)
    assert len(glb.vertices) == len(body.vertices)
    # Z-up (x, y, z) -> Y-up (x, z, -y)
    np.testing.assert_allclose(glb.bounds[0], [lo[0], lo[2], -hi[1]], atol=1e-4)
    np.testing.assert_allclose(glb.bounds[1], [hi[0], hi[2], -lo[1]], atol=1e-4)
    assert "Exported people.glb" in window.statusBar().currentMessage()

    # OBJ in Y-up centimetres: the dialog enables the frame; the choice is remembered for OBJ
    files, (up_on, units_on, choice) = _export_through_dialog(
        window, qtbot, monkeypatch, tmp_path / "out" / "people_cm.obj", "obj", up="y", units="cm",
        shot="gui_export_dialog_obj.png")
    assert up_on and units_on and (choice.up, choice.units) == ("y", "cm")
    obj = trimesh.load(files[0], force="mesh", process=False)
    assert len(obj.vertices) == len(body.vertices)
    np.testing.assert_allclose(obj.bounds[0], 100 * np.array([lo[0], lo[2], -hi[1]]), atol=1e-2)
    np.testing.assert_allclose(obj.bounds[1], 100 * np.array([hi[0], hi[2], -lo[1]]), atol=1e-2)
    from genzi_desktop.dialogs.export import ExportDialog

    again = ExportDialog(None, gui_settings.qs, has_selection=True, has_scene=True)
    assert again.format() == "obj" and again.choice().up == "y" and again.choice().units == "cm"
    again.set_format("ply")  # PLY keeps its own defaults (Z-up metres)
    assert (again.choice().up, again.choice().units) == ("z", "m")
    again.deleteLater()

    # OBJ with the scene: the sofa and room come along in metres, Z-up
    files, _ = _export_through_dialog(window, qtbot, monkeypatch, tmp_path / "out" / "room.obj", "obj",
                                      up="z", units="m", scene=True)
    both = trimesh.load(files[0], force="mesh", process=False)
    assert len(both.vertices) > len(body.vertices) + 1000
    scene_lo, scene_hi = np.asarray(sample_scene.bounds, float)
    np.testing.assert_allclose(both.bounds[0], np.minimum(scene_lo, lo), atol=1e-3)
    np.testing.assert_allclose(both.bounds[1], np.maximum(scene_hi, hi), atol=1e-3)


def test_export_to_a_full_disk_shows_a_clear_error(window, qtbot, tmp_path, monkeypatch, message_boxes):
    import genzi_desktop.dialogs.errors as errors
    import pipeline.export.obj_ply as obj_ply

    monkeypatch.setattr(errors, "_interactive", True)
    _add_result(window)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(obj_ply, "write_obj", full_disk)
    ex = window.exporter
    ex.run_dialog = lambda dialog: dialog.set_format("obj") or True
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "x.obj"), ""))
    with qtbot.waitSignal(ex.exportFailed, timeout=30_000) as blocker:
        assert ex.export_bodies_dialog()
    assert "disk is full" in blocker.args[0]
    assert any("disk is full" in text for text in message_boxes)
    qtbot.waitUntil(lambda: ex.task is None, timeout=10_000)
    assert not window.progress_bar.isVisible()


def test_export_image_of_viewport_and_camera(window, qtbot, sample_scene, tmp_path, monkeypatch):
    from PIL import Image

    from genzi_desktop.dialogs.export import ImageChoice
    from genzi_desktop.model.edits import SetCameras
    from pipeline.views.geometry import camera_from_view

    window.set_scene(sample_scene, SAMPLE)
    body, _rid = _add_result(window)
    # a camera inside the room, in front of the sofa (the iso view only sees walls and ceiling)
    cam = camera_from_view([0.3, 0.2, 1.5], SOFA_SEAT + [0, 0, 0.4], [0, 0, 1], 60.0, 640, 480, name="presentation")
    window.apply_edit(SetCameras([], [cam], "one camera"))
    ex = window.exporter
    shots = []

    def run_dialog(dialog):
        dialog.show()
        qtbot.waitExposed(dialog)
        shots.append(save_artifact(dialog.grab().toImage(), "gui_export_image_dialog.png"))
        dialog.width_combo.setCurrentIndex(dialog.width_combo.findData(1280))
        dialog.view_combo.setCurrentIndex(dialog.view_combo.findData(0))  # the camera
        dialog.accept_choice()
        return True

    ex.run_dialog = run_dialog
    out = tmp_path / "camera.png"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(ex.imageExported, timeout=60_000):
        assert ex.export_image_dialog()
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (round(1280 * cam.height / cam.width), 1280, 3)
    assert image.std() > 10  # a rendered room, not a blank canvas
    # the body shows where the camera sees it: hidden, that spot of the image changes
    big = dataclasses.replace(cam, width=image.shape[1], height=image.shape[0])
    uv, depth = big.project(np.asarray(body.vertices.mean(0))[None])
    assert depth[0] > 0
    u, v = np.floor(uv[0]).astype(int)
    window.generation.results.set_result_visible(0, _rid, False)
    assert ex.export_image(ImageChoice(camera=0, width=1280, supersample=1), tmp_path / "no_body.png")
    empty = np.asarray(Image.open(tmp_path / "no_body.png").convert("RGB"))
    patch = (slice(v - 5, v + 6), slice(u - 5, u + 6))
    assert np.abs(image[patch].astype(int) - empty[patch].astype(int)).mean() > 20
    window.generation.results.set_result_visible(0, _rid, True)
    save_artifact(window.grab_window_image(), "gui_export_image_window.png")

    # the viewport at another size, straight through the controller
    window.viewport.look_through(cam)
    assert ex.export_image(ImageChoice(camera=-1, width=640, supersample=2), tmp_path / "viewport")
    vp = np.asarray(Image.open(tmp_path / "viewport.png").convert("RGB"))
    w, h = window.viewport.render_size()
    assert vp.shape == (round(640 * h / w), 640, 3) and vp.std() > 10
    Image.fromarray(image).save(shots[0].parent / "gui_export_image_camera.png")
    assert "Saved viewport.png" in window.statusBar().currentMessage()


def test_gui_tests_keep_app_data_in_a_temp_folder(window, tmp_path):
    from pathlib import Path

    data = Path(window.generation.data_dir).resolve()
    assert data == (tmp_path / "appdata").resolve()
    assert (data / "workspaces").is_dir() and Path(window.generation.project.root).resolve().is_relative_to(data)


@pytest.mark.slow
def test_rigged_glb_export_rebuilds_the_fitted_anny_body(window, qtbot, tmp_path, monkeypatch):
    """A result with Anny parameters goes out rebuilt from them, with skeleton and weights
    (the skinning itself is checked in tests/test_export*.py)."""
    import pygltflib

    from pipeline.body import load_body_model
    from pipeline.body.presets import posed_body, yaw_facing

    body = load_body_model("anny")
    params = posed_body(body, "sitting_chair", SOFA_SEAT - [0, 0, 0.06], yaw_facing(np.array([0.0, 1.0])))
    from pipeline.export import AxesUnits

    rest = AxesUnits("y", "m").points(body.skinned_mesh(params).rest_vertices)  # glTF frame
    _capsule, rid = _add_result(window)
    entry = window.generation.results.find_result(0, rid)
    entry.params = body.params_to_json(params)
    files, _ = _export_through_dialog(window, qtbot, monkeypatch, tmp_path / "rigged.glb", "glb")
    gltf = pygltflib.GLTF2().load(files[0])
    assert len(gltf.skins) == 1 and len(gltf.skins[0].joints) > 20
    # the body is dressed (the default style is clothed): body and garments share the one skin
    skinned = [n for n in gltf.nodes if n.mesh is not None]
    assert len(skinned) >= 4 and all(n.skin == 0 for n in skinned)
    glb = trimesh.load(files[0], force="mesh", process=False)
    # trimesh ignores skins and sees the bind pose: the dressed Anny body, not the kept capsule
    np.testing.assert_allclose(glb.bounds, [rest.min(0), rest.max(0)], atol=0.06)


def test_fbx_export_through_the_dialog_uses_its_remembered_frame(window, qtbot, tmp_path, monkeypatch):
    from pipeline.export import fbx as fbx_module
    from pipeline.export import ExportError

    try:
        fbx_module.find_assimp()
    except ExportError:
        pytest.skip("assimp 6 CLI not installed")
    body, _rid = _add_result(window)
    window.docks["Results"].raise_()
    save_artifact(window.generation.results_panel.grab().toImage(), "gui_export_results_panel.png")
    files, (up_on, units_on, choice) = _export_through_dialog(
        window, qtbot, monkeypatch, tmp_path / "people", "fbx", up="z", units="mm")  # no suffix typed
    assert up_on and units_on and files[0].endswith("people.fbx")
    header = fbx_module.read_frame_label(files[0])
    assert header["UpAxis"] == 2 and header["UnitScaleFactor"] == pytest.approx(0.1)  # Z-up millimetres
    info = fbx_module.run_assimp(["info", files[0]]).stdout
    counts = {line.split(":")[0]: line.split(":")[1].strip() for line in info.splitlines()
              if line.startswith(("Vertices:", "Faces:"))}
    assert counts == {"Vertices": str(len(body.vertices)), "Faces": str(len(body.faces))}


def test_rigged_glb_export_of_an_smplx_result_has_a_skin(window, qtbot, tmp_path, monkeypatch):
    """A result fitted with the user's SMPL-X model goes out rigged: the export loads the body
    model with the path the run recorded (the Models panel may have moved on to Anny)."""
    import json

    import pygltflib

    pytest.importorskip("smplx")
    from test_body_smplx import make_model

    from pipeline.body import load_body_model
    from pipeline.generation import GenerationRequest

    model_file = tmp_path / "SMPLX_NEUTRAL.npz"
    make_model(model_file)
    body = load_body_model("smplx", model_file)
    _capsule, rid = _add_result(window)
    c = window.generation
    entry = c.results.find_result(0, rid)
    entry.params = body.params_to_json(body.init_params())
    run_dir = c.project.root / "runs" / "smplx-run"
    run_dir.mkdir(parents=True)
    request = GenerationRequest(scene=str(SAMPLE), target=list(SOFA_SEAT), prompt="a man sitting",
                                body_model="smplx", body_model_path=str(model_file))
    (run_dir / "config.json").write_text(json.dumps({"request": request.to_dict()}))
    entry.run = c.project.relative(run_dir)
    files, _ = _export_through_dialog(window, qtbot, monkeypatch, tmp_path / "smplx.glb", "glb")
    gltf = pygltflib.GLTF2().load(files[0])
    assert len(gltf.skins) >= 1 and len(gltf.skins[0].joints) >= 22
    assert len(trimesh.load(files[0], force="mesh", process=False).vertices) == body.num_vertices
