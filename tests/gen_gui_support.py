"""Helpers for the desktop generation tests: a tiny inpainting model, a window with target
and cameras on the sample sofa, quick run settings, and renders of a known Anny body."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gui_support import SAMPLE, SOFA_SEAT, click_display_pixel, display_pixel_of

#: Where the known body sits (see tests/test_pose2d.py: detected reliably from the sofa's views).
KNOWN_SEAT = np.array([0.0, -2.35, 0.5])


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Workspaces and autosaves of the app go into the test's folder."""
    path = tmp_path / "appdata"
    monkeypatch.setenv("GENZI_DESKTOP_DATA", str(path))
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from pipeline.inpaint.testing import build_tiny_components

    return build_tiny_components(tmp_path_factory.mktemp("tiny-sd-inpaint"))


def quick_overrides(image_size: int = 64, fit_iterations: int = 40) -> dict:
    """Settings that keep a run short on a CPU: small images, few steps, a fit from one start,
    a coarse SDF grid."""
    return {
        "image_size": image_size, "steps": 4, "fit_iterations": fit_iterations, "starts": "one", "sdf_cell": 0.08,
        "sdf_half_extent": 1.2, "ranking": "fit", "preview_every": 1,
        "inpaint_overrides": {"attention_divisor": 4, "dynamic_start": 0},
    }


def place_target_and_cameras(window, qtbot, scene, views: int = 2):
    """Show the sample scene, click the sofa seat, select views and keep the first ``views``."""
    from genzi_desktop.model.edits import SetCameras

    window.set_scene(scene, SAMPLE)
    window.viewport.view_preset("iso")
    x, y = display_pixel_of(window, SOFA_SEAT)
    click_display_pixel(qtbot, window, x, y)
    assert window.design.target is not None
    assert np.linalg.norm(window.design.target.point_array - SOFA_SEAT) < 0.05
    with qtbot.waitSignal(window.viewsSelected, timeout=120_000):
        window.select_views()
    cams = window.design.cameras
    assert len(cams) >= views
    window.apply_edit(SetCameras(cams, cams[:views], "Keep a few views"))
    return window.design.cameras


def set_panels(window, tiny_model=None, *, prompt="a man sitting on the sofa", results=2, overrides=None, seed=3):
    from genzi_desktop.model.project import PromptSettings

    c = window.generation
    c.prompt_panel.set_values(PromptSettings(prompt=prompt, seed=seed, num_results=results, preset="fast",
                                             overrides=overrides or quick_overrides()))
    values = c.model_panel.values()
    values.update(device="cpu", dtype="float32")
    if tiny_model is not None:
        values["model"] = str(tiny_model)
    c.model_panel.set_values(values)


def render_known_body(scene, cameras, image_size: int, folder: Path):
    """Anny sitting on the sofa rendered into each camera's view, saved as the user's images."""
    from pipeline.body import load_body_model
    from pipeline.body.presets import posed_body, yaw_facing
    from pipeline.generation.run_folder import write_png_atomic
    from pipeline.views.render import SceneRenderer
    from pipeline.generation.user_cameras import camera_at_image_size

    body = load_body_model("anny")
    towards = np.mean([c.position for c in cameras], axis=0) - KNOWN_SEAT
    out = body(posed_body(body, "sitting_chair", KNOWN_SEAT, yaw_facing(towards[:2])))
    vertices = out.vertices[0].detach().numpy()
    folder.mkdir(parents=True, exist_ok=True)
    with SceneRenderer(scene) as r:
        for i, cam in enumerate(cameras):
            c = camera_at_image_size(cam, image_size)
            name = cam.name if cam.name.startswith("view_") else f"view_{i:02d}"
            write_png_atomic(folder / f"{name}.png", r.composite(c, [(vertices, body.faces)]))
    return vertices, np.asarray(body.faces)
