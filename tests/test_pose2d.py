"""BlazePose keypoints on rendered Anny bodies: detection, reasons, several people, JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.body.base import KEYPOINT_NAMES
from pipeline.views.cameras import Camera
from pipeline.keypoints.blazepose import (
    LIMB_GROUP,
    PAPER_JOINTS,
    REASON_CUT_OFF,
    REASON_NO_PERSON,
    TORSO_GROUP,
    KeypointDetector,
    Keypoints2D,
)

pytest.importorskip("mediapipe")
SCENE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"
KP = {n: i for i, n in enumerate(KEYPOINT_NAMES)}


@pytest.fixture(scope="module")
def body():
    from pipeline.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def detector():
    d = KeypointDetector()
    yield d
    d.close()


@pytest.fixture(scope="module")
def renderer():
    from pipeline.views.render import BodyRenderer

    with BodyRenderer() as r:
        yield r


def mesh(body, posture, target, yaw):
    from pipeline.body.presets import posed_body

    out = body(posed_body(body, posture, target, yaw))
    return out.vertices[0].detach().numpy(), out.keypoints[0].detach().numpy()


def test_groups_follow_the_paper():
    assert len(PAPER_JOINTS) == 17 and len(TORSO_GROUP) + len(LIMB_GROUP) == 15
    assert set(TORSO_GROUP + LIMB_GROUP) <= set(KEYPOINT_NAMES)


def test_blank_and_bad_images_give_reasons_not_exceptions(detector):
    k = detector.detect(np.full((256, 256, 3), 128, np.uint8))
    assert not k.valid and k.reason == REASON_NO_PERSON
    assert np.isnan(k.keypoints).all() and (k.conf == 0).all() and k.keypoints.shape == (23, 2)
    k = detector.detect(np.zeros((64, 64), np.uint8))
    assert not k.valid and "RGB" in k.reason


def test_standing_person_is_found_where_the_body_projects(body, detector, renderer):
    v, kp = mesh(body, "standing", [0, 0, 0], 20.0)
    cam = Camera.looking_at([0.6, -2.8, 1.1], [0, 0, 0.85])
    k = detector.detect(renderer.render_bodies(cam, [(v, body.faces)]).rgb)
    assert k.valid and k.reason == "" and k.num_confident >= 15
    uv, _ = cam.project(kp)
    err = np.linalg.norm(k.keypoints - uv, axis=1)
    assert np.nanmedian(err) < 10.0
    # left is left: the detected left hip is nearer the body's left hip than its right one
    assert err[KP["left_hip"]] < np.linalg.norm(k.keypoints[KP["left_hip"]] - uv[KP["right_hip"]])
    assert np.isnan(k.keypoints[KP["left_small_toe"]]).all() and k.conf[KP["left_small_toe"]] == 0
    assert k.found and k.as_array().shape == (23, 3)
    from pipeline.keypoints.blazepose import draw_keypoints

    img = renderer.render_bodies(cam, [(v, body.faces)]).rgb
    drawn = draw_keypoints(img, k)
    assert drawn.shape == img.shape and (drawn != img).any(axis=2).sum() > 500


def test_person_cut_off_by_the_border_is_reported(body, detector, renderer):
    v, _ = mesh(body, "standing", [0, 0, 0], 0.0)
    cam = Camera.looking_at([0.0, -1.1, 1.35], [0, 0, 1.3], fov_y_deg=50)  # head and chest only
    k = detector.detect(renderer.render_bodies(cam, [(v, body.faces)]).rgb)
    assert not k.valid and k.reason == REASON_CUT_OFF and "cut_off" in k.flags
    assert k.num_confident < 13
    ankles = k.keypoints[[KP["left_ankle"], KP["right_ankle"]]]
    assert (ankles[:, 1] > 512).all() and (k.conf[[KP["left_ankle"], KP["right_ankle"]]] == 0).all()


def test_several_people_pick_the_one_at_the_target(body, detector, renderer):
    a, _ = mesh(body, "standing", [-0.7, 0, 0], 0.0)
    b, kp_b = mesh(body, "standing", [0.7, 0, 0], 0.0)
    cam = Camera.looking_at([0, -3.6, 1.0], [0, 0, 0.85])
    img = renderer.render_bodies(cam, [(a, body.faces), (b, body.faces)]).rgb
    near, _ = cam.project(np.array([[0.7, 0.0, 0.9]]))
    k = detector.detect(img, near=near[0])
    assert "several_people" in k.flags
    uv_b, _ = cam.project(kp_b)
    assert np.nanmedian(np.linalg.norm(k.keypoints - uv_b, axis=1)) < 12.0


def test_json_round_trip_keeps_missing_points():
    k = Keypoints2D(
        keypoints=np.array([[1.5, 2.0]] * 22 + [[np.nan, np.nan]]), conf=np.linspace(0, 1, 23),
        valid=False, reason="person cut off by the image border", flags=("cut_off",),
        image_size=(512, 512), landmarks=np.ones((33, 4)), view="view_03",
    )  # fmt: skip
    back = Keypoints2D.from_json(k.to_json())
    assert np.array_equal(np.isnan(back.keypoints), np.isnan(k.keypoints))
    assert np.allclose(back.keypoints[:22], k.keypoints[:22]) and np.allclose(back.conf, k.conf)
    assert (back.valid, back.reason, back.flags, back.view) == (False, k.reason, ("cut_off",), "view_03")
    assert back.image_size == (512, 512) and back.landmarks.shape == (33, 4)


@pytest.mark.slow
def test_bodies_in_the_sample_scene_are_detected_in_the_selected_views(body, detector):
    """Anny on the sofa, on the stool and standing on the floor, seen from the selected views."""
    from pipeline.views.render import SceneRenderer
    from pipeline.scene.source import as_scene
    from pipeline.views.selection import select_views

    scene = as_scene(SCENE)
    from pipeline.body.presets import yaw_facing

    cases = [("sitting_chair", [0.0, -2.35, 0.5]), ("sitting_chair", [1.77, 1.63, 0.58]), ("standing", [0.5, 0.3, 0.0])]
    found, total, errors = 0, 0, []
    with SceneRenderer(scene) as r:
        for posture, target in cases:
            cams = select_views(scene, target).cameras[:6]
            # the person faces the cameras' side, as a painted person usually does
            towards = np.mean([c.position for c in cams], axis=0) - np.asarray(target)
            v, kp = mesh(body, posture, target, yaw_facing(towards[:2]))
            for cam in cams:
                img = r.composite(cam, [(v, body.faces)])
                near, _ = cam.project(np.asarray([target], float))
                k = detector.detect(img, near=near[0])
                total += 1
                found += k.reason != REASON_NO_PERSON
                if k.valid:
                    uv, _ = cam.project(kp)
                    errors.append(np.nanmedian(np.linalg.norm(k.keypoints - uv, axis=1)))
    assert total >= 12
    assert found >= 0.9 * total
    assert len(errors) >= 0.75 * total
    assert np.median(errors) < 10.0
