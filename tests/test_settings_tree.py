"""The one settings tree: presets, dotted paths, old flat config files, and the views it selects."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.generation.settings import (
    DEFAULT_PRESET,
    GenerationSettings,
    setting_paths,
    settings_for,
    settings_from_dict,
)
from pipeline.scene.source import as_scene
from pipeline.views.run_settings import select_target_views

sys.path.insert(0, str(Path(__file__).parent))

from views_helpers import SAMPLE_SCENE, sofa_seat_point  # noqa: E402


def test_dotted_paths_and_flat_names_reach_the_same_leaf():
    a = settings_for("paper", {"views.num_views": 5, "inpaint.steps": 7, "lifting.self_penetration": True})
    b = settings_for("paper", {"num_views": 5, "steps": 7, "self_penetration": True})
    assert a == b
    assert (a.views.num_views, a.inpaint.steps, a.lifting.self_penetration) == (5, 7, True)
    assert "keypoints.min_valid_joints" in setting_paths()
    with pytest.raises(ValueError, match="Unknown setting 'views.num_view'"):
        settings_for("paper", {"views.num_view": 5})
    with pytest.raises(ValueError, match="views.framing"):
        settings_for("paper", {"views.framing": "sideways"})


def test_config_json_round_trips_and_old_flat_configs_still_load():
    fast = settings_for("fast", {"inpaint.extra": {"vae_batch": 2}})
    again = settings_from_dict(json.loads(json.dumps(fast.to_dict())))
    assert again == fast
    # a config.json written before the tree: every setting at the top level
    old = {"num_views": 8, "image_size": 256, "rounds": 1, "inpaints_round1": 2, "steps": 25,
           "fit_iterations": 600, "min_valid_joints": 11, "inpaint_overrides": {"vae_batch": 2},
           "a_knob_removed_since": 3}
    tree = settings_from_dict(old)
    assert (tree.views.num_views, tree.views.image_size, tree.inpaint.steps, tree.lifting.fit_iterations,
            tree.keypoints.min_valid_joints, tree.inpaint.extra) == (8, 256, 25, 600, 11, {"vae_batch": 2})
    assert tree.rounds == 1 and tree.clip_model == GenerationSettings().clip_model


def test_the_starts_setting_chooses_the_fits_starts_and_refuses_others():
    from pipeline.lifting.starts import DEFAULT_STARTS, StartOptions

    assert settings_for("fast", {}).lifting.start_options() == DEFAULT_STARTS
    one = settings_for("fast", {"starts": "one"})
    assert one.lifting.starts == "one" and one.lifting.start_options() == StartOptions()
    with pytest.raises(ValueError, match="lifting.starts must be one of all, one"):
        settings_for("fast", {"lifting.starts": "many"}).validate()


def test_one_default_preset_for_request_and_project():
    from pipeline.generation.config import GenerationRequest

    assert DEFAULT_PRESET == "fast"
    request = GenerationRequest(scene="s.glb", target=(0, 0, 0), prompt="a man sitting")
    assert request.preset == DEFAULT_PRESET and request.settings().views.num_views == 8


@pytest.fixture(scope="module")
def room():
    return as_scene(SAMPLE_SCENE)


def test_fast_preset_selects_eight_views(room):
    views = settings_for("fast").views
    selection = select_target_views(room, sofa_seat_point(room), views)
    assert len(selection.cameras) == 8
    assert {(c.width, c.height) for c in selection.cameras} == {(views.image_size, views.image_size)}


def test_region_radius_changes_what_the_selection_judges(room):
    views = settings_for("fast").views
    point = sofa_seat_point(room)
    small = select_target_views(room, point, views, radius=0)
    wide = select_target_views(room, point, views, radius=0.6)
    assert wide.settings.patch_radius == pytest.approx(0.6)
    assert wide.patch.area > 4 * small.patch.area  # a 0.6 m region, not the 0.15 m default patch
    assert not np.allclose(wide.visibility, small.visibility)


def test_hand_made_cameras_are_capped_at_the_presets_view_count(tmp_path):
    from pipeline.generation.config import GenerationRequest
    from pipeline.generation.run_folder import read_json
    from pipeline.generation.user_cameras import prepare_run_with_cameras
    from pipeline.views.cameras import Camera

    cams = [Camera(640, 480, 60.0, np.eye(4), name=f"cam {i}") for i in range(11)]
    request = GenerationRequest(scene=str(SAMPLE_SCENE), target=(0, -2.41, 0.57), prompt="a man sitting",
                                preset="fast", overrides={"views.image_size": 64})
    images = [np.full((48, 64, 3), i, np.uint8) for i in range(8)]
    events = []
    used = prepare_run_with_cameras(request, tmp_path / "run", cams, imagination_description={"kind": "test"},
                                    images=images, emit=events.append)
    assert [c.name for c in used] == [f"view_{i:02d}" for i in range(8)]
    written = sorted(p.name for p in (tmp_path / "run" / "views").glob("*.png"))
    assert written == [f"view_{i:02d}.png" for i in range(8)]
    config = read_json(tmp_path / "run" / "config.json")
    assert config["settings"]["views"]["num_views"] == 8
    assert config["views_written"] == [c.name for c in used]
    assert any("11 cameras" in getattr(e, "message", "") for e in events)
