"""Up axis and unit: given choices are applied exactly, missing ones are guessed from the shape."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pipeline.scene.scene import SceneImportOptions, SceneLoadError, guess_import_options, load_scene
from pipeline.scene.units import UP_AXES, import_transform, up_axis_rotation
from scene_files import ROOM_BOUNDS, room_mesh, to_file_frame, write_plain, write_textured_obj


@pytest.mark.parametrize("up", UP_AXES)
def test_rotations_are_proper_and_map_up_to_z(up):
    r = up_axis_rotation(up)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    axis = np.zeros(3)
    axis["xyz".index(up[-1])] = -1.0 if up.startswith("-") else 1.0
    np.testing.assert_allclose(r @ axis, [0, 0, 1], atol=1e-12)


def test_mm_y_up_obj_comes_out_z_up_metres(tmp_path):
    path = write_textured_obj(tmp_path, up_axis="y", unit="mm")
    raw = trimesh.load(path, process=False)
    assert np.ptp(raw.vertices[:, 1]) == pytest.approx(2500.0)  # stored Y-up millimetres
    scene = load_scene(path)
    assert (scene.options.up_axis, scene.options.unit) == ("y", "mm")
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)
    text = scene.options.describe()
    assert "millimetres" in text and "Y" in text


def test_1700_unit_tall_room_is_millimetres():
    mesh = room_mesh()
    mesh.apply_scale([1.0, 1.0, 1.7 / 2.5])  # a 1.7 m tall space
    guess = guess_import_options(to_file_frame(mesh, "z", "mm"))
    assert guess.unit == "mm"
    assert any("1700" in r for r in guess.reasons)


@pytest.mark.parametrize("up", ["y", "-y", "x", "-z"])
@pytest.mark.parametrize("unit", ["m", "cm", "mm"])
def test_guess_recovers_up_axis_and_unit(up, unit):
    guess = guess_import_options(to_file_frame(room_mesh(), up, unit))
    assert (guess.up_axis, guess.unit) == (up, unit), guess.describe()


@pytest.mark.parametrize("up,unit", [("x", "in"), ("-y", "ft"), ("z", "cm")])
def test_explicit_options_win_over_the_guess(tmp_path, up, unit):
    path = write_plain(tmp_path, "stl", up_axis=up, unit=unit)
    scene = load_scene(path, SceneImportOptions(up_axis=up, unit=unit))
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)
    assert scene.options.reasons == ["chosen by the user"]


def test_only_up_axis_given_still_guesses_unit(tmp_path):
    path = write_plain(tmp_path, "ply", up_axis="-x", unit="cm")
    scene = load_scene(path, SceneImportOptions(up_axis="-x"))
    assert scene.options.unit == "cm"
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)


def test_wrong_choice_is_applied_as_told(tmp_path):
    # The user is always right: telling a Z-up file it is Y-up turns the room on its side.
    path = write_plain(tmp_path, "stl")
    scene = load_scene(path, SceneImportOptions(up_axis="y", unit="m"))
    np.testing.assert_allclose(scene.size, [4.0, 2.5, 3.0], atol=1e-6)


def test_options_round_trip_and_reject_nonsense():
    opts = SceneImportOptions(up_axis="+Y", unit="millimetres")
    assert (opts.up_axis, opts.unit) == ("y", "mm")
    assert SceneImportOptions.from_dict(opts.to_dict()) == opts
    with pytest.raises(SceneLoadError, match="up axis"):
        SceneImportOptions(up_axis="w")
    with pytest.raises(SceneLoadError, match="unit"):
        SceneImportOptions(unit="furlong")


def test_import_transform_scales_and_rotates():
    m = import_transform("y", "cm")
    np.testing.assert_allclose(m[:3, :3] @ [0, 100, 0], [0, 0, 1.0], atol=1e-12)


@pytest.mark.parametrize("up", ["z", "-z", "y"])
def test_floor_slab_decides_the_sign_not_the_detailed_lamp(up):
    # A closed floor slab (up and down areas balance) and a finely meshed lamp up high:
    # the horizontal area sits low, so up is away from the slab, whatever the triangle count says.
    slab = trimesh.creation.box(extents=(4.0, 3.0, 0.02))
    slab.apply_translation((0.0, 0.0, -0.01))
    lamp = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    lamp.apply_translation((0.0, 0.0, 2.2))
    scene = to_file_frame(trimesh.util.concatenate([slab, lamp]), up, "m")
    assert guess_import_options(scene).up_axis == up
