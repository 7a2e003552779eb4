"""views.json round trip and the `genzi views` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.cli.main import main
from pipeline.scene.source import as_scene
from pipeline.views.selection import select_views
from pipeline.views.views_io import ViewsFileError, load_views, write_selection, write_views

sys.path.insert(0, str(Path(__file__).parent))

from views_helpers import SAMPLE_SCENE, box, scene_of, sofa_seat_point  # noqa: E402

VIEW_KEYS = {"name", "K", "world_to_camera", "visibility", "look_at"}
TOP_KEYS = {"convention", "pixel_centers", "target", "normal", "image_size", "views", "relaxed"}


@pytest.fixture(scope="module")
def small_selection():
    scene = scene_of(box([-5, -5, -0.02], [5, 5, 0]), box([-0.5, -0.5, 0], [0.5, 0.5, 0.45]))
    return select_views(scene, [0.05, -0.1, 0.45])


def test_round_trip_is_exact(tmp_path, small_selection):
    sel = small_selection
    path = write_selection(tmp_path, sel)
    assert path == tmp_path / "views.json"
    cameras, meta = load_views(tmp_path)
    assert set(meta) == TOP_KEYS
    assert meta["convention"] == "opencv" and meta["pixel_centers"] == "integer+0.5"
    assert meta["image_size"] == [512, 512]
    assert meta["target"] == sel.target.tolist() and meta["normal"] == sel.normal.tolist()
    assert len(cameras) == len(sel.cameras)
    for a, b, entry, vis in zip(sel.cameras, cameras, meta["views"], sel.visibility):
        assert set(entry) == VIEW_KEYS
        assert b.name == a.name
        assert np.array_equal(b.world_to_camera, a.world_to_camera)
        assert np.array_equal(b.K, a.K)
        assert b.fov_y_deg == a.fov_y_deg
        assert np.array_equal(b.look_at, a.look_at)
        assert entry["visibility"] == vis
        assert (b.width, b.height) == (a.width, a.height)
    # and writing what was read gives the same bytes
    again = write_views(tmp_path / "copy.json", cameras, target=meta["target"], normal=meta["normal"],
                        visibility=[v["visibility"] for v in meta["views"]], relaxed=meta["relaxed"])
    assert again.read_text() == path.read_text()


def test_odd_fields_of_view_round_trip_exactly(tmp_path, small_selection):
    cams = []
    for k, fov in enumerate([33.3, 47.123456789, 71.1, 89.99]):
        cam = small_selection.cameras[0]
        cams.append(type(cam)(640, 480, fov, cam.world_to_camera, name=f"view_{k:02d}", look_at=cam.look_at))
    write_views(tmp_path, cams, target=[0, 0, 0], normal=[0, 0, 1], visibility=[1.0] * 4)
    loaded, _ = load_views(tmp_path / "views.json")
    for a, b in zip(cams, loaded):
        assert np.array_equal(a.K, b.K)


def test_loader_explains_problems(tmp_path):
    with pytest.raises(ViewsFileError, match="genzi views"):
        load_views(tmp_path)
    (tmp_path / "views.json").write_text("{not json")
    with pytest.raises(ViewsFileError, match="not valid JSON"):
        load_views(tmp_path)
    (tmp_path / "views.json").write_text(json.dumps({"convention": "opengl", "views": [], "image_size": [1, 1]}))
    with pytest.raises(ViewsFileError, match="opencv"):
        load_views(tmp_path)
    bad_k = {"convention": "opencv", "image_size": [100, 100],
             "views": [{"name": "v", "K": [[50, 0, 10], [0, 50, 50], [0, 0, 1]], "world_to_camera": np.eye(4).tolist()}]}
    (tmp_path / "views.json").write_text(json.dumps(bad_k))
    with pytest.raises(ViewsFileError, match="principal point"):
        load_views(tmp_path)


def test_genzi_views_writes_images_and_json(tmp_path, capsys):
    room = as_scene(SAMPLE_SCENE)
    seat = sofa_seat_point(room)
    out = tmp_path / "views"
    code = main(["views", "--scene", str(SAMPLE_SCENE), "--at", *map(str, seat), "--views", "3",
                 "--size", "128", "--out", str(out), "--export"])
    assert code == 0, capsys.readouterr().err
    cameras, meta = load_views(out)
    assert len(cameras) == 3 and meta["image_size"] == [128, 128]
    for cam in cameras:
        image = np.asarray(Image.open(out / f"{cam.name}.png"))
        assert image.shape == (128, 128, 3) and image.std() > 10
        uv, _ = cam.project(np.asarray(meta["target"])[None])
        assert np.abs(uv[0] - 64.0).max() < 1.0
    readme = (out / "README.txt").read_text()
    assert "view_00.png" in readme and "genzi fit" in readme


def test_genzi_views_reports_a_target_in_the_air(tmp_path, capsys):
    code = main(["views", "--scene", str(SAMPLE_SCENE), "--at", "0", "0", "1.6", "--out", str(tmp_path / "v")])
    assert code == 1
    err = capsys.readouterr().err
    assert "not on a surface" in err and "Traceback" not in err
    assert not (tmp_path / "v" / "views.json").exists()


def test_genzi_views_reports_a_missing_scene(tmp_path, capsys):
    code = main(["views", "--scene", str(tmp_path / "nope.glb"), "--at", "0", "0", "0", "--out", str(tmp_path)])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_genzi_views_reads_the_settings_tree(tmp_path, capsys):
    """The default preset (fast: 8 views) applies, and --set and the short flags name tree paths."""
    room = as_scene(SAMPLE_SCENE)
    seat = sofa_seat_point(room)
    base = ["views", "--scene", str(SAMPLE_SCENE), "--at", *map(str, seat), "--size", "64"]
    assert main([*base, "--out", str(tmp_path / "fast")]) == 0, capsys.readouterr().err
    assert len(load_views(tmp_path / "fast")[0]) == 8
    assert main([*base, "--set", "views.num_views=5", "--out", str(tmp_path / "five")]) == 0
    assert len(load_views(tmp_path / "five")[0]) == 5
    assert main([*base, "--set", "views.num_view=5", "--out", str(tmp_path / "typo")]) == 2
    assert "views.num_views" in capsys.readouterr().err  # the message lists the paths that exist
