"""On request every image is also looked at mirrored, and the two answers are averaged."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.keypoints.blazepose import KeypointDetector, map_landmarks
from pipeline.keypoints.mirrored import MIRROR_ORDER, average_with_mirrored, mirror_back, same_sides
from pipeline.views.cameras import Camera

pytest.importorskip("mediapipe")


def test_mirroring_twice_gives_the_landmarks_back_and_swaps_sides_once():
    rng = np.random.default_rng(0)
    lm = np.column_stack([rng.uniform(0, 512, (33, 3)), rng.uniform(0, 1, 33)])
    once = mirror_back(lm, 512)
    assert np.allclose(mirror_back(once, 512), lm)
    assert sorted(MIRROR_ORDER) == list(range(33))
    # the left shoulder (11) of the mirrored answer is its right shoulder (12), x flipped
    assert np.allclose(once[11, :2], [512 - lm[12, 0], lm[12, 1]])


def test_an_answer_with_left_and_right_swapped_is_not_averaged_in():
    rng = np.random.default_rng(1)
    lm = np.column_stack([rng.uniform(100, 400, (33, 3)), np.full(33, 0.9)])
    mirrored_as_found = lm.copy()
    mirrored_as_found[:, 0] = 512 - mirrored_as_found[:, 0]  # seen in the mirror, but sides not swapped
    back = mirror_back(mirrored_as_found, 512)
    assert not same_sides(lm, back)
    assert np.array_equal(average_with_mirrored(lm, mirrored_as_found, 512), lm)
    agreeing = mirror_back(lm + np.array([2.0, -2.0, 0.0, 0.0]), 512)  # its own mirror, 2 px off
    avg = average_with_mirrored(lm, agreeing, 512)
    assert np.allclose(avg[:, :2], lm[:, :2] + np.array([1.0, -1.0]))


@pytest.fixture(scope="module")
def standing_render():
    """A standing body seen from the side and front, and its true keypoints in the image."""
    from pipeline.body import load_body_model
    from pipeline.body.presets import posed_body
    from pipeline.views.render import BodyRenderer

    body = load_body_model("anny")
    out = body(posed_body(body, "standing", [0, 0, 0], 35.0))
    v, kp = out.vertices[0].detach().numpy(), out.keypoints[0].detach().numpy()
    cam = Camera.looking_at([0.9, -2.7, 1.2], [0, 0, 0.85])
    with BodyRenderer() as r:
        img = r.render_bodies(cam, [(v, body.faces)]).rgb
    return img, cam.project(kp)[0]


def test_the_averaged_answer_of_an_image_is_the_mirror_of_its_mirror_images(standing_render):
    image, truth = standing_render
    det = KeypointDetector(mirror_average=True)
    try:
        plain = KeypointDetector().landmarks(image)
        here = det.landmarks(image)
        mirrored = det.landmarks(np.ascontiguousarray(image[:, ::-1]))
    finally:
        det.close()
    assert here is not None and mirrored is not None and plain is not None
    assert not np.allclose(here[:, :2], plain[:, :2])  # the mirror look changed something
    assert np.allclose(mirror_back(mirrored, image.shape[1])[:, :2], here[:, :2], atol=1e-3)
    # and it lands on the body at least as well as one look does
    err = lambda lm: np.nanmedian(np.linalg.norm(map_landmarks(lm)[0] - truth, axis=1))  # noqa: E731
    assert err(here) < 8.0
    assert err(here) <= err(plain) + 0.5
