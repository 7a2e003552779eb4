"""A run that fits the user's SMPL-X model shows the body in the viewport while it is fitted
(the live preview loads the job's own body model, file path included)."""

from __future__ import annotations

import pytest

from gen_gui_support import (  # noqa: F401 - fixtures
    data_dir, place_target_and_cameras, quick_overrides, render_known_body, set_panels,
)
from gui_support import gui_settings, message_boxes, sample_scene, save_artifact, window  # noqa: F401 - fixtures

pytestmark = [pytest.mark.gui, pytest.mark.slow]
pytest.importorskip("smplx")

IMAGE_SIZE = 256


def test_live_body_appears_during_an_smplx_run(window, qtbot, sample_scene, tmp_path):
    from test_body_smplx import N_VERTS, make_model

    model_file = tmp_path / "SMPLX_NEUTRAL.npz"
    make_model(model_file)
    c = window.generation
    cameras = place_target_and_cameras(window, qtbot, sample_scene, views=2)
    set_panels(window, results=1, overrides=quick_overrides(image_size=IMAGE_SIZE, fit_iterations=60))
    assert c.model_panel.set_smplx_path(str(model_file))
    assert c.model_panel.values()["body_model"] == "smplx"
    render_known_body(sample_scene, cameras, IMAGE_SIZE, tmp_path / "my_images")
    warnings = []
    c.images_folder_provider = lambda: str(tmp_path / "my_images")
    c.import_images_dialog()
    assert c.is_busy()
    c.runner.worker.warning.connect(lambda message, stage: warnings.append(message))
    qtbot.waitUntil(lambda: "body-live" in window.viewport.plotter.actors, timeout=300_000)
    shown = window.viewport.plotter.actors["body-live"].mapper.dataset
    assert shown.n_points == N_VERTS  # the SMPL-X mesh, not Anny's
    save_artifact(window.grab_window_image(), "gui_live_smplx_body.png")
    c.cancel()
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=60_000)
    assert not [w for w in warnings if "cannot be shown" in w]
