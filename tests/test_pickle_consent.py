"""A malicious SMPL-X pickle planted wherever a model path is accepted is never opened without
the user's consent: project settings, a run's config.json on re-fit, QSettings, the CLI without
--allow-pickle. Its payload would write a marker file; the marker must never appear."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from gen_gui_support import data_dir  # noqa: F401 - fixture
from gui_support import SAMPLE, SOFA_SEAT, gui_settings, message_boxes, sample_scene, window  # noqa: F401


class _Payload:
    """Unpickling this runs ``exec``: it writes the marker file."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('payload ran')",))


@pytest.fixture
def evil(tmp_path):
    """(the planted .pkl, the marker its payload would write)."""
    marker = tmp_path / "PAYLOAD_RAN"
    path = tmp_path / "shared models" / "SMPLX_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps(_Payload(marker)))
    return path, marker


def test_the_payload_is_real(evil):
    path, marker = evil
    pickle.loads(path.read_bytes())  # what an unguarded loader would do
    assert marker.exists()


def test_cli_generate_and_fit_refuse_without_the_flag(evil, tmp_path, capsys):
    from pipeline.cli.main import main

    path, marker = evil
    out = tmp_path / "run"
    code = main(["generate", "--scene", str(SAMPLE), "--at", *map(str, SOFA_SEAT), "--prompt", "a man sitting",
                 "--body-model", "smplx", "--body-model-path", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "pickle" in err and "--allow-pickle" in err and "Traceback" not in err
    assert not out.exists()  # refused before the run folder was made
    code = main(["fit", "--scene", str(SAMPLE), "--views", str(tmp_path), "--hypotheses", str(tmp_path),
                 "--out", str(tmp_path / "fit"), "--model", "smplx", "--model-path", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "--allow-pickle" in err and str(path) in err
    assert not marker.exists()


def test_pipeline_refuses_a_pickle_named_only_by_a_run_folder(evil, tmp_path):
    from pipeline.body import load_body_model
    from pipeline.body.smplx_body import PickleNotAllowedError
    from pipeline.generation import GenerationRequest

    path, marker = evil
    config = {"body_model": "smplx", "body_model_path": str(path), "allow_pickle": True, "scene": str(SAMPLE),
              "target": list(SOFA_SEAT), "prompt": "a man sitting"}
    request = GenerationRequest.from_dict(config)  # an old config.json's flag means nothing
    assert "allow_pickle" not in request.to_dict()
    with pytest.raises(PickleNotAllowedError, match="consent"):
        load_body_model("smplx", path)
    with pytest.raises(PickleNotAllowedError):  # consent to other bytes does not cover these
        load_body_model("smplx", path, trusted_pickles={"0" * 64})
    assert not marker.exists()


def _place_target(window, sample_scene):
    """The sample scene, a target on the sofa and one camera: ready to generate."""
    from genzi_desktop.model.edits import SetCameras, SetTarget
    from pipeline.scene.targets import Target
    from pipeline.views.cameras import Camera

    window.set_scene(sample_scene, SAMPLE)
    window.apply_edit(SetTarget(None, Target(np.asarray(SOFA_SEAT, float), (0, 0, 1), 0.0)))
    camera = Camera(width=64, height=64, fov_y_deg=60.0, world_to_camera=np.eye(4), name="view_00")
    window.apply_edit(SetCameras(list(window.design.cameras), [camera], "One camera"))


def test_desktop_asks_naming_the_file_wherever_the_path_came_from(window, sample_scene, evil, tmp_path,
                                                                   gui_settings, message_boxes):
    from genzi_desktop.panels.model_panel import ModelPanel

    path, marker = evil
    c = window.generation
    _place_target(window, sample_scene)
    asked = []
    c.model_panel.confirm_pickle = lambda p: asked.append(p) or False

    # 1. a project file whose settings name the pickle and claim consent
    saved = c.projects.save_project(tmp_path / "shared.genzi", as_folder=True)
    doc = json.loads((saved / "project.json").read_text())
    doc["settings"].update(body_model="smplx", smplx_path=str(path), allow_pickle=True)
    (saved / "project.json").write_text(json.dumps(doc))
    assert c.projects.open_project(saved)
    _place_target(window, sample_scene)
    assert not c.generate()
    assert asked == [str(path)] and any("did not allow" in m for m in message_boxes)

    # 2. a run's config.json naming the pickle, re-fitted
    run = c.project.new_run_dir(0)
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps({"request": {
        "scene": str(SAMPLE), "target": list(SOFA_SEAT), "prompt": "a man sitting", "body_model": "smplx",
        "body_model_path": str(path), "allow_pickle": True}}))
    c.project.person.runs.append(c.project.relative(run))
    assert not c.refit([])
    assert asked == [str(path)] * 2

    # 3. QSettings that name the pickle and claim consent, read by a fresh panel
    gui_settings.qs.setValue("model/values", json.dumps({"body_model": "smplx", "smplx_path": str(path),
                                                         "allow_pickle": True}))
    fresh = ModelPanel(None, gui_settings.qs, c.model_panel.consent_store)
    fresh.confirm_pickle = lambda p: asked.append(p) or False
    assert fresh.values()["smplx_path"] == str(path) and fresh.pickle_consent(str(path)) is None
    assert len(asked) == 3

    # nothing that was saved keeps a consent flag, and the payload never ran
    c.projects.save_project(saved, as_folder=True)
    assert "allow_pickle" not in (saved / "project.json").read_text()
    assert "allow_pickle" not in gui_settings.qs.value("model/values", "", type=str)
    assert not marker.exists()
