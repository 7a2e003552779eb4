"""`genzi fit` records its scene so `genzi export --with-scene` works on a fit folder."""

from __future__ import annotations

import json

from pipeline.export.run_folder import scene_path_of
from pipeline.generation.fit_sets import write_fit_outputs


def test_fit_report_names_the_scene_and_export_finds_it(tmp_path):
    scene = tmp_path / "room.glb"
    scene.write_bytes(b"glTF")
    out = tmp_path / "fit"
    report = write_fit_outputs(out, body=None, fits=[], scene=scene)
    data = json.loads(report.read_text())
    assert data["scene"] == str(scene.resolve())
    assert scene_path_of(out) == scene.resolve()


def test_fit_report_without_scene_gives_none(tmp_path):
    out = tmp_path / "fit"
    write_fit_outputs(out, body=None, fits=[])
    assert scene_path_of(out) is None


def test_generation_config_scene_wins_over_report(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"scene": {"path": "/data/a.glb"}}))
    (run / "report.json").write_text(json.dumps({"bodies": [], "scene": "/data/b.glb"}))
    assert str(scene_path_of(run)) == "/data/a.glb"
