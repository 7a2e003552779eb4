"""Presentation images: size as asked, the body where the camera projects it, PNG on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from pipeline.views.cameras import Camera
from pipeline.export import ExportError, posed_vertices
from pipeline.export.image import check_image_size, render_presentation_image
from pipeline.views.cameras import resized_camera
from test_export import RINGS, SECTIONS, bar_skin


@pytest.fixture(scope="module")
def floor():
    box = trimesh.creation.box(extents=(6.0, 6.0, 0.1))
    box.apply_translation((0.0, 0.0, -0.05))
    box.visual.face_colors = (90, 120, 160, 255)
    return box


def _is_skin(pixel) -> bool:
    r, g, b = (int(c) for c in pixel)
    return r > b + 20 and r > g + 8 and r > 100  # skin-grey, not the blue floor or white


def test_resized_camera_keeps_pose_and_aspect():
    cam = Camera.looking_at([3, 0, 1.5], [0, 0, 1], width=640, height=480)
    big = resized_camera(cam, width=1920)
    assert (big.width, big.height) == (1920, 1440)
    np.testing.assert_allclose(big.world_to_camera, cam.world_to_camera)
    with pytest.raises(ValueError, match="out of range"):
        check_image_size(resized_camera(cam, width=100_000))


@pytest.mark.parametrize("supersample", [1, 2])
def test_png_shows_the_body_where_the_camera_projects_it(tmp_path, floor, supersample):
    skin = bar_skin(45.0, offset=(0.0, 0.0, 0.0))
    cam = Camera.looking_at([3.0, -3.0, 1.8], [0.0, 0.0, 0.8], fov_y_deg=45.0, width=320, height=240)
    out = tmp_path / "shot.png"
    img = render_presentation_image(cam, out, scene=floor, bodies=[skin], width=800, supersample=supersample)
    assert img.shape == (600, 800, 3)
    on_disk = np.asarray(Image.open(out).convert("RGB"))
    np.testing.assert_array_equal(on_disk, img)

    big = resized_camera(cam, width=800)
    posed = posed_vertices(skin)
    for ring in (1, RINGS // 2, RINGS - 2):  # centres of rings along the bent tube
        centre = posed[ring * SECTIONS : (ring + 1) * SECTIONS].mean(axis=0)
        uv, _ = big.project(centre[None])
        u, v = uv[0]
        near = img[int(v) - 2 : int(v) + 3, int(u) - 2 : int(u) + 3].reshape(-1, 3)
        assert sum(_is_skin(p) for p in near) >= 20, (ring, near.mean(axis=0))
    skin_fraction = np.mean([_is_skin(p) for p in img.reshape(-1, 3)[::37]])
    assert 0.005 < skin_fraction < 0.3  # a body in a room, not a blank or a full-frame smear


def test_bodies_alone_on_a_background(tmp_path):
    cam = Camera.looking_at([3.0, 0.0, 0.8], [0.0, 0.0, 0.8], width=200, height=300)
    img = render_presentation_image(cam, tmp_path / "alone.png", bodies=[bar_skin(0.0, (0, 0, 0))], background=(1, 1, 1))
    assert img.shape == (300, 200, 3)
    assert tuple(img[5, 5]) == (255, 255, 255)
    assert _is_skin(img[150, 100])


def test_unwritable_png_path_is_explained(floor):
    cam = Camera.looking_at([3.0, 0.0, 1.0], [0.0, 0.0, 0.5], width=64, height=48)
    with pytest.raises(ExportError, match="disk is full"):
        render_presentation_image(cam, "/dev/full", scene=floor, bodies=[bar_skin()])


def test_view_from_outside_the_room_looks_in_when_back_faces_are_culled(tmp_path):
    """The viewport hides walls seen from behind; a presentation image of that view must too."""
    from pipeline.scene.scene import load_scene

    room = load_scene(Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb")
    outside = Camera.looking_at([7, 7, 8], [0, 0, 0.3], width=160, height=120)
    closed = render_presentation_image(outside, scene=room)
    open_ = render_presentation_image(outside, tmp_path / "in.png", scene=room, cull_back_faces=True)
    r, g, b = (int(c) for c in closed[60, 80])
    assert b >= r  # the grey-blue ceiling's outside hides the room
    r, g, b = (int(c) for c in open_[60, 80])
    assert r > b + 30  # the wooden floor shows through the culled ceiling
