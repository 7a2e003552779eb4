"""A person BlazePose misses upright is looked for in the image turned by a quarter."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.keypoints.blazepose import KeypointDetector
from pipeline.keypoints.rotated import turn_back, turn_point
from pipeline.views.cameras import Camera

pytest.importorskip("mediapipe")


class UprightOnly(KeypointDetector):
    """Real BlazePose that, like BlazePose on cluttered scenes, misses people lying across
    the image: landmarks whose box is wider than tall are dropped."""

    def landmarks(self, image):
        lm = super().landmarks(image)
        if lm is None:
            return None
        span = lm[:, :2].max(0) - lm[:, :2].min(0)
        return lm if span[1] > span[0] else None


@pytest.mark.parametrize("k", [1, 3])
def test_turn_point_and_turn_back_agree_with_numpy_rot90(k):
    h, w = 6, 9
    img = np.arange(h * w).reshape(h, w)
    turned = np.rot90(img, k)
    for y in range(h):
        for x in range(w):
            xr, yr = turn_point(np.array([x + 0.5, y + 0.5]), k, w, h)
            assert turned[int(np.floor(yr)), int(np.floor(xr))] == img[y, x]
            back = turn_back(np.array([[xr, yr, 0.0, 1.0]]), k, w, h)[0]
            assert np.allclose(back[:2], [x + 0.5, y + 0.5])


@pytest.fixture(scope="module")
def lying_across():
    """A standing body's render turned by 90 degrees (the person lies across the image) and
    the true keypoints in that image."""
    from pipeline.body import load_body_model
    from pipeline.body.presets import posed_body
    from pipeline.views.render import BodyRenderer

    body = load_body_model("anny")
    out = body(posed_body(body, "standing", [0, 0, 0], 20.0))
    v, kp = out.vertices[0].detach().numpy(), out.keypoints[0].detach().numpy()
    cam = Camera.looking_at([0.6, -2.8, 1.1], [0, 0, 0.85])
    with BodyRenderer() as r:
        img = r.render_bodies(cam, [(v, body.faces)]).rgb
    uv, _ = cam.project(kp)
    h, w = img.shape[:2]
    turned = np.ascontiguousarray(np.rot90(img, 3))
    return turned, np.array([turn_point(p, 3, w, h) for p in uv])


def test_a_person_missed_upright_is_found_turned_at_the_right_pixels(lying_across):
    image, truth = lying_across
    upright = UprightOnly(try_turned=False).detect(image)
    assert not upright.valid
    found = UprightOnly().detect(image, near=truth[11])
    assert found.valid and "turned" in found.flags and found.num_confident >= 15
    err = np.linalg.norm(found.keypoints - truth, axis=1)
    assert np.nanmedian(err) < 8.0
    # left stays left after turning back
    li, ri = 11, 12  # left_hip, right_hip
    assert err[li] < np.linalg.norm(found.keypoints[li] - truth[ri])
