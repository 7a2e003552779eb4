"""Off-screen renders: camera agreement with project_points, depth, bodies, threads."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from pipeline.views.cameras import Camera
from pipeline.views.render import BodyRenderer, SceneRenderer, scene_to_pyvista
from pipeline.scene.source import as_scene

sys.path.insert(0, str(Path(__file__).parent))

from views_helpers import SAMPLE_SCENE, box, scene_of, sofa_seat_point  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "render"


@pytest.fixture(scope="module")
def room():
    return as_scene(SAMPLE_SCENE)


@pytest.fixture(scope="module")
def room_renderer(room):
    with SceneRenderer(room) as renderer:
        yield renderer


def _save(name: str, image: np.ndarray) -> None:
    from PIL import Image

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(ARTIFACTS / name)


def _marker(centre, radius=0.01):
    m = trimesh.creation.icosphere(subdivisions=2, radius=radius)
    m.apply_translation(centre)
    return m.vertices, m.faces


@pytest.mark.parametrize("size", [(512, 512), (320, 200)])
def test_rendered_pixels_match_project_points(size):
    """Small spheres at known points land where project_points puts them (< 1 px)."""
    w, h = size
    cam = Camera.looking_at([1.0, -2.5, 1.4], [0.1, 0.2, 0.7], fov_y_deg=55.0, width=w, height=h)
    rng = np.random.default_rng(3)
    # points spread over the whole image, at several depths
    R, t = cam.rotation, cam.world_to_camera[:3, 3]
    points = []
    for _ in range(6):
        u, v = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
        z = rng.uniform(1.5, 4.0)
        c = np.array([(u - w / 2) / cam.focal * z, (v - h / 2) / cam.focal * z, z])
        points.append(R.T @ (c - t))
    points = np.array(points)
    expected, _ = cam.project(points)
    with BodyRenderer() as renderer:
        depths = cam.project(points)[1]
        masks = renderer.silhouettes(cam, [_marker(p, 5.0 * d / cam.focal) for p, d in zip(points, depths)])
    for mask, uv in zip(masks, expected):
        assert mask.shape == (h, w)
        jj, ii = np.nonzero(mask)
        assert len(ii) > 3
        centre = np.array([ii.mean() + 0.5, jj.mean() + 0.5])  # pixel (i, j) has its centre at i + 0.5
        assert np.abs(centre - uv).max() < 1.0, (centre, uv)


def test_depth_of_a_known_plane_is_right():
    floor = box([-20, -20, -0.5], [20, 20, 0.0])
    cam = Camera.looking_at([0.3, -1.0, 1.6], [0.0, 2.0, 0.0], width=256, height=192, fov_y_deg=60)
    with SceneRenderer(scene_of(floor)) as renderer:
        depth = renderer.depth(cam)
    assert depth.shape == (192, 256) and depth.dtype == np.float32
    # analytic depth: intersect every pixel-centre ray with z = 0
    jj, ii = np.mgrid[0:192, 0:256]
    rays_cam = np.stack([(ii + 0.5 - 128) / cam.focal, (jj + 0.5 - 96) / cam.focal, np.ones_like(ii, float)], -1)
    rays_world = rays_cam @ cam.rotation
    eye = cam.position
    with np.errstate(divide="ignore"):
        s = -eye[2] / rays_world[..., 2]  # along the ray scaled so camera z = s
    hit = (s > 0) & (s < 30)
    valid = hit & np.isfinite(depth)
    assert valid.sum() > 0.6 * hit.sum()
    err = np.abs(depth[valid] - s[valid])
    assert err.max() < 0.01, err.max()
    assert np.isinf(depth[0, 0])  # looking above the horizon: nothing there


def test_scene_render_is_textured_lit_and_deterministic(room, room_renderer):
    seat = sofa_seat_point(room)
    cam = Camera.looking_at(seat + [0.4, 1.9, 0.5], seat)
    image = room_renderer.rgb(cam)
    _save("sofa_view.png", image)
    assert image.shape == (512, 512, 3) and image.dtype == np.uint8
    assert image.std() > 20  # not blank
    assert 40 < image.mean() < 220  # neither black nor blown out
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 5000  # textures, not flat colours
    again = room_renderer.rgb(cam)
    assert np.array_equal(image, again)
    depth = room_renderer.depth(cam)
    assert abs(depth[256, 256] - np.linalg.norm(cam.position - seat)) < 0.03  # the target at the centre


def test_scene_parts_keep_their_textures(room):
    from pipeline.views.look import TextureImage

    parts = scene_to_pyvista(room)
    assert len(parts) == len(room.geometries)
    textured = [p for p, look in parts if isinstance(look, TextureImage)]
    assert len(textured) >= 10
    assert all(p.active_texture_coordinates is not None for p in textured)


def test_bodies_in_the_scene_are_depth_tested(room, room_renderer):
    seat = sofa_seat_point(room)
    cam = Camera.looking_at(seat + [0.0, 2.0, 0.4], seat)
    in_front = box(seat + [-0.2, 0.3, 0.0], seat + [0.2, 0.6, 0.9])  # between camera and sofa
    behind = box(seat + [-0.2, -1.2, 0.0], seat + [0.2, -0.9, 0.9])  # behind the sofa back / wall
    bodies = [(in_front.vertices, in_front.faces), (behind.vertices, behind.faces)]
    result = room_renderer.render_bodies(cam, bodies)
    _save("bodies_in_scene.png", result.rgb)
    full_front, full_behind = result.masks
    vis_front, vis_behind = result.visible_masks
    assert full_front.sum() > 1000 and full_behind.sum() > 500
    assert vis_front.sum() >= 0.99 * full_front.sum()
    assert vis_behind.sum() < 0.3 * full_behind.sum()  # mostly hidden by the sofa
    scene_only = room_renderer.rgb(cam)
    changed = np.abs(result.rgb.astype(int) - scene_only.astype(int)).sum(axis=2) > 30
    assert changed[vis_front].mean() > 0.9
    from scipy.ndimage import binary_dilation

    near_any = binary_dilation(vis_front | vis_behind, iterations=3)
    assert changed[~near_any].mean() < 0.001  # the rest of the view is untouched


def test_body_only_render_and_silhouettes():
    body = box([-0.2, -0.15, 0.0], [0.2, 0.15, 1.8])
    cam = Camera.looking_at([0.0, -3.0, 1.0], [0.0, 0.0, 0.9], width=200, height=300)
    with BodyRenderer(background=(1.0, 1.0, 1.0)) as renderer:
        result = renderer.render_bodies(cam, [(body.vertices, body.faces)])
    mask = result.masks[0]
    assert mask.shape == (300, 200)
    assert (result.rgb[~mask] == 255).all()  # plain background outside
    assert (result.rgb[mask].mean(axis=1) < 250).mean() > 0.95
    # the silhouette's height matches the projected box height
    uv, _ = cam.project(np.array([[0.0, -0.15, 0.0], [0.0, -0.15, 1.8]]))
    rows = np.nonzero(mask.any(axis=1))[0]
    assert abs((rows.max() + 1 - rows.min()) - (uv[0, 1] - uv[1, 1])) < 2.0


def test_bodies_alone_from_the_scene_renderer(room, room_renderer):
    seat = sofa_seat_point(room)
    cam = Camera.looking_at(seat + [0.0, 2.0, 0.4], seat, width=160, height=160)
    body = box(seat + [-0.2, 0.3, 0.0], seat + [0.2, 0.6, 0.9])
    alone = room_renderer.render_bodies(cam, [(body.vertices, body.faces)], with_scene=False)
    background = np.round(np.array(room_renderer.background) * 255).astype(np.uint8)
    from scipy.ndimage import binary_dilation

    outside = ~binary_dilation(alone.masks[0], iterations=2)  # anti-aliasing softens the edge
    assert (alone.rgb[outside] == background).all()  # no scene behind the body
    assert room_renderer.rgb(cam).std() > 20  # and the scene is back afterwards


def test_renderer_works_from_a_worker_thread(room, room_renderer):
    seat = sofa_seat_point(room)
    cam = Camera.looking_at(seat + [1.5, 1.2, 0.6], seat, width=128, height=128)
    here = room_renderer.rgb(cam)
    out = {}

    def work():
        try:
            out["image"] = room_renderer.rgb(cam)
            with SceneRenderer(room) as own:  # one made and used inside the thread
                out["own"] = own.rgb(cam)
        except Exception as exc:  # pragma: no cover - reported below
            out["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert "error" not in out, out.get("error")
    assert np.array_equal(out["image"], here)
    assert np.array_equal(out["own"], here)


def test_closed_renderer_says_so(room):
    renderer = SceneRenderer(scene_of(box([-1, -1, -0.1], [1, 1, 0])))
    renderer.close()
    renderer.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        renderer.rgb(Camera.looking_at([0, -2, 1], [0, 0, 0]))
