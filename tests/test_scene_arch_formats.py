"""Architects' formats opened through ``load_scene``: IFC, Rhino 3dm, Collada, USD/USDZ.

Each file is written by the format's own library in the unit and up axis a real tool uses;
the loaded scene must come back as the reference room in Z-up metres, with the unit and up
axis read from the file (not guessed), element names, colours, and clear messages for bad
input while whatever could be read still loads.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.scene.formats import SUPPORTED_EXTENSIONS, supported_formats_text
from pipeline.scene.scene import SceneImportOptions, SceneLoadError, load_scene
from tests.arch_files import ROOM_WALL_RGB, write_3dm, write_collada, write_ifc, write_usd
from tests.scene_files import ROOM_BOUNDS


@pytest.mark.parametrize("unit, schema", [("MILLIMETRE", "IFC4"), ("METRE", "IFC2X3")])
def test_ifc_walls_in_metres_with_names_and_colours_spaces_hidden(tmp_path, unit, schema):
    path = write_ifc(tmp_path / "walls.ifc", unit=unit, schema=schema)
    scene = load_scene(path)
    # three 4 x 0.2 x 2.5 m walls 3 m apart along y; the 3 m thick IfcSpace would widen x/y
    np.testing.assert_allclose(scene.bounds, [[0.0, 0.0, 0.0], [4.0, 6.2, 2.5]], atol=1e-6)
    assert scene.options.up_axis == "z"
    assert scene.options.unit == ("mm" if unit == "MILLIMETRE" else "m")
    assert any("declares its unit" in r for r in scene.options.reasons)
    assert [n.split(" #")[0] for n in scene.names] == [f"IfcWall 'Wall {i}'" for i in range(3)]
    colours = np.concatenate([g.visual.face_colors[:, :3] for g in scene.geometries]) / 255.0
    np.testing.assert_allclose(colours.mean(axis=0), ROOM_WALL_RGB, atol=0.01)
    assert "1 spaces and openings hidden" in scene.notes[0]


def test_ifc_without_geometry_says_what_to_do(tmp_path):
    path = write_ifc(tmp_path / "empty.ifc", geometry=False)
    with pytest.raises(SceneLoadError, match="no 3D geometry.*Export it again with 3D"):
        load_scene(path)


def test_3dm_room_in_millimetres_brep_without_mesh_reported(tmp_path):
    scene = load_scene(write_3dm(tmp_path / "room.3dm", unit="Millimeters"))
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)
    assert (scene.options.up_axis, scene.options.unit) == ("z", "mm")
    assert scene.names == ["Architecture / Room: Room shell"]
    np.testing.assert_array_equal(scene.geometries[0].visual.face_colors[0, :3], (20, 200, 40))
    assert any("1 Brep/extrusion object(s) have no stored render mesh" in w and "In Rhino" in w
               for w in scene.warnings)


def test_3dm_with_only_breps_and_no_render_meshes_says_how_many_and_what_to_do_in_rhino(tmp_path):
    path = write_3dm(tmp_path / "nurbs.3dm", mesh=False, breps=3)
    with pytest.raises(SceneLoadError) as info:
        load_scene(path)
    text = str(info.value)
    assert "3 surface object(s) were saved without render meshes" in text
    assert "In Rhino, run 'Mesh'" in text and "Rendered mode" in text


@pytest.mark.parametrize("unit", ["None", "CustomUnits"])
def test_3dm_in_a_unit_the_app_does_not_know_loads_with_a_message_naming_what_to_do(tmp_path, unit):
    scene = load_scene(write_3dm(tmp_path / "room.3dm", unit=unit, brep_without_mesh=False))
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)  # read as metres, as said
    assert scene.options.unit == "m"
    warning = " ".join(scene.warnings)
    assert f"uses the unit '{unit}', which this app has not met" in warning
    assert "File > Reopen with up axis and unit" in warning and "Document Properties > Units" in warning


def test_3dm_in_a_unit_the_app_has_not_met_still_loads_converted(tmp_path):
    scene = load_scene(write_3dm(tmp_path / "room.3dm", unit="Decimeters", brep_without_mesh=False))
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-6)
    assert scene.options.unit == "m" and "converted to metres" in scene.options.describe()


def test_collada_sketchup_inches_z_up_and_missing_texture(tmp_path):
    path = write_collada(tmp_path / "room.dae", texture="room_textures/wood.jpg")
    scene = load_scene(path)
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-5)
    assert (scene.options.up_axis, scene.options.unit) == ("z", "in")
    assert any("room_textures/wood.jpg" in w and "beside the .dae" in w for w in scene.warnings)


@pytest.mark.parametrize("name", ["room.usda", "room.usdc", "room.usd"])
def test_usd_y_up_centimetres(tmp_path, name):
    scene = load_scene(write_usd(tmp_path / name, up="y", metres_per_unit=0.01))
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-5)
    assert (scene.options.up_axis, scene.options.unit) == ("y", "cm")
    assert scene.names == ["/World/Room"]
    np.testing.assert_allclose(scene.geometries[0].visual.face_colors[0, :3], (0.1 * 255, 0.2 * 255, 0.9 * 255), atol=1)


def test_usdz_package_and_missing_reference(tmp_path):
    from pxr import UsdUtils

    stage = write_usd(tmp_path / "room.usdc", up="z", metres_per_unit=1.0, reference="./chair_missing.usd")
    usdz = tmp_path / "room.usdz"
    assert UsdUtils.CreateNewUsdzPackage(str(stage), str(usdz))
    scene = load_scene(usdz)
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-5)
    scene = load_scene(stage)
    assert any("chair_missing.usd" in w and "could not be loaded" in w for w in scene.warnings)


def test_user_override_applies_on_top_of_the_files_frame(tmp_path):
    scene = load_scene(write_usd(tmp_path / "room.usda", up="y", metres_per_unit=0.01),
                       SceneImportOptions(unit="m"))
    np.testing.assert_allclose(scene.size, (ROOM_BOUNDS[1] - ROOM_BOUNDS[0]) * 100, rtol=1e-5)
    assert "unit chosen by the user" in scene.options.reasons


@pytest.mark.parametrize("suffix, junk", [(".ifc", b"ISO-10303-21;\nHEADER;garbage"), (".3dm", b"x" * 64),
                                          (".dae", b"<COLLADA>"), (".usda", b"#usda 1.0\ndef Mesh \"m\" {")])
def test_damaged_files_get_a_message_naming_the_format(tmp_path, suffix, junk):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(junk)
    with pytest.raises(SceneLoadError) as info:
        load_scene(path)
    text = str(info.value)
    assert "broken" in text and ("again" in text or "Save As" in text)


def test_unsupported_extension_lists_every_format_from_the_one_list(tmp_path):
    path = tmp_path / "design.skp"
    path.write_bytes(b"SketchUp")
    with pytest.raises(SceneLoadError) as info:
        load_scene(path)
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in str(info.value) and ext in supported_formats_text()


def test_a_picked_point_names_its_ifc_element(tmp_path):
    scene = load_scene(write_ifc(tmp_path / "walls.ifc"))
    hit = scene.pick([2.0, 4.0, 1.0], [0.0, -1.0, 0.0])  # from between walls 1 and 2, towards wall 1
    assert hit is not None
    assert scene.part_name_at(hit[0]).startswith("IfcWall 'Wall 1'")


def test_loading_an_ifc_reports_progress_and_can_be_cancelled(tmp_path):
    from pipeline.core.events import Cancelled

    path = write_ifc(tmp_path / "walls.ifc", walls=3)
    seen = []
    load_scene(path, progress=lambda f, m: seen.append((f, m)))
    assert any("IFC" in m for _, m in seen) and seen[-1][0] == 1.0

    def cancel(fraction, message):
        if "Tessellating" in message:
            raise Cancelled()

    with pytest.raises(Cancelled):
        load_scene(path, progress=cancel)
