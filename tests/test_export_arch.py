"""People written to USD/USDZ (UsdSkel), Collada, and back into copies of IFC and Rhino designs,
each re-read with the format's own library (pxr, pycollada, ifcopenshell, rhino3dm) and
with this app's scene loader: vertex counts, posed positions, units, up axis, skinning."""

from __future__ import annotations

import hashlib
from pathlib import Path
import json
import zipfile

import numpy as np
import pytest

from pipeline.export import AxesUnits, ExportBody, ExportError, export_bodies, posed_vertices
from pipeline.scene.scene import load_scene
from tests.arch_files import write_3dm, write_ifc
from tests.test_export import bar_skin


@pytest.fixture
def skins():
    return [bar_skin(60.0), bar_skin(30.0, offset=(1.0, 1.0, 0.0))]


@pytest.fixture
def people(skins):
    return [ExportBody.from_skin(s, name=n) for s, n in zip(skins, ["a woman reading", "a man standing"])]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def skinned_points_with_pxr(path) -> dict[str, np.ndarray]:
    """Posed points per mesh, baked by UsdSkel itself (no code of this app)."""
    from pxr import Usd, UsdGeom, UsdSkel

    stage = Usd.Stage.Open(str(path))
    assert UsdSkel.BakeSkinning(stage.Traverse())
    out = {}
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh):
            time = stage.GetStartTimeCode()  # the frame the pose is stored at; baking writes points there
            world = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(time))
            points = np.asarray(UsdGeom.Mesh(prim).GetPointsAttr().Get(time), dtype=np.float64)
            out[str(prim.GetPath())] = points @ world[:3, :3] + world[3, :3]
    return out


@pytest.mark.parametrize("suffix, up", [(".usda", "z"), (".usdc", "z"), (".usdz", "y")])
def test_usd_people_are_skinned_posed_and_read_back(tmp_path, people, skins, suffix, up):
    import trimesh
    from pxr import Usd, UsdGeom, UsdSkel

    room = trimesh.creation.box(extents=(4.0, 3.0, 2.5))
    path = export_bodies(people, tmp_path / f"people{suffix}", scene=room)[0]
    if suffix == ".usdz":
        with zipfile.ZipFile(path) as z:
            assert [n for n in z.namelist() if n.endswith(".usdc")]
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == up.upper() and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    skeletons = [UsdSkel.Skeleton(p) for p in stage.Traverse() if p.IsA(UsdSkel.Skeleton)]
    assert len(skeletons) == 2 and all(len(s.GetJointsAttr().Get()) == 3 for s in skeletons)
    body = UsdSkel.BindingAPI(stage.GetPrimAtPath("/World/People/a_woman_reading/Body"))
    assert body.GetJointIndicesPrimvar().GetElementSize() == 4
    frame = AxesUnits(up, "m")
    baked = skinned_points_with_pxr(path)
    for name, skin in zip(["a_woman_reading", "a_man_standing"], skins):
        np.testing.assert_allclose(baked[f"/World/People/{name}/Body"], frame.points(posed_vertices(skin)), atol=1e-5)
    # and this app opens its own export in the fitted pose, Z-up metres
    scene = load_scene(path)
    opened = dict(zip(scene.names, scene.geometries))
    np.testing.assert_allclose(opened["/World/People/a_man_standing/Body"].vertices, posed_vertices(skins[1]), atol=1e-5)
    np.testing.assert_allclose(opened["/World/Scene/scene"].bounds, room.bounds, atol=1e-6)


def test_collada_for_sketchup_states_its_frame(tmp_path, people, skins):
    import collada

    path = export_bodies(people, tmp_path / "people.dae")[0]
    doc = collada.Collada(str(path))
    assert doc.assetInfo.upaxis == "Z_UP" and doc.assetInfo.unitmeter == 1.0
    assert sorted(g.name for g in doc.geometries) == ["a_man_standing", "a_woman_reading"]
    triangles = [p for g in doc.geometries for p in g.primitives]
    assert [len(t) for t in triangles] == [len(s.faces) for s in skins]
    # assimp, a third reader: both meshes, every triangle
    from tests.test_export import _assimp_json

    dump = _assimp_json(tmp_path, path)
    assert sorted(len(m["faces"]) for m in dump["meshes"]) == sorted(len(s.faces) for s in skins)
    scene = load_scene(path)
    opened = dict(zip(scene.names, scene.geometries))
    assert set(opened) == {"a_woman_reading", "a_man_standing"}
    np.testing.assert_allclose(np.sort(opened["a_woman_reading"].vertices, axis=0),
                               np.sort(posed_vertices(skins[0]), axis=0), atol=1e-5)


def add_storey(path, name: str, elevation_mm: float) -> None:
    import ifcopenshell
    import ifcopenshell.api as api

    model = ifcopenshell.open(str(path))
    storey = api.run("root.create_entity", model, ifc_class="IfcBuildingStorey", name=name)
    storey.Elevation = elevation_mm
    matrix = np.eye(4)
    matrix[2, 3] = elevation_mm / 1000.0
    api.run("geometry.edit_object_placement", model, product=storey, matrix=matrix, is_si=True)
    api.run("aggregate.assign_object", model, relating_object=model.by_type("IfcBuilding")[0], products=[storey])
    model.write(str(path))


def ifc_geometry(path, element) -> np.ndarray:
    import ifcopenshell.geom

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)  # metres
    shape = ifcopenshell.geom.create_shape(settings, element)
    return np.asarray(shape.geometry.verts, dtype=np.float64).reshape(-1, 3)


@pytest.mark.parametrize("schema", ["IFC4", "IFC2X3"])
def test_people_written_into_a_copy_of_the_ifc_in_their_storey(tmp_path, people, skins, schema):
    import ifcopenshell
    import ifcopenshell.util.element as element_util

    original = write_ifc(tmp_path / "design.ifc", unit="MILLIMETRE", schema=schema)
    add_storey(original, "Level 2", 3000.0)
    before = digest(original)
    upstairs = ExportBody(people[1].name, people[1].vertices + [0.0, 0.0, 3.0], people[1].faces, people[1].skin)
    out = export_bodies([people[0], upstairs], tmp_path / "design_people.ifc", into=original)[0]
    assert digest(original) == before
    model = ifcopenshell.open(str(out))
    proxies = {p.Name: p for p in model.by_type("IfcBuildingElementProxy")}
    assert set(proxies) == {"a woman reading", "a man standing"}
    assert all(p.ObjectType == "Person" for p in proxies.values())
    assert element_util.get_container(proxies["a woman reading"]).Name == "Level 1"
    assert element_util.get_container(proxies["a man standing"]).Name == "Level 2"
    assert len(model.by_type("IfcWall")) == 3  # the design itself is all there
    woman = ifc_geometry(out, proxies["a woman reading"])
    np.testing.assert_allclose(woman.min(axis=0), posed_vertices(skins[0]).min(axis=0), atol=1e-4)
    np.testing.assert_allclose(woman.max(axis=0), posed_vertices(skins[0]).max(axis=0), atol=1e-4)
    scene = load_scene(out)
    assert scene.options.unit == "mm"
    man = [g for n, g in zip(scene.names, scene.geometries) if "a man standing" in n][0]
    np.testing.assert_allclose(man.bounds[0], posed_vertices(skins[1]).min(axis=0) + [0, 0, 3.0], atol=1e-4)
    np.testing.assert_allclose(man.visual.face_colors[0, :3], (204, 158, 133), atol=1)


def test_people_written_into_a_copy_of_the_3dm_on_a_people_layer(tmp_path, people, skins):
    import rhino3dm

    original = write_3dm(tmp_path / "design.3dm", unit="Millimeters")
    before = digest(original)
    out = export_bodies(people, tmp_path / "design_people.3dm", into=original)[0]
    assert digest(original) == before
    model = rhino3dm.File3dm.Read(str(out))
    layers = {model.Layers[i].FullPath: i for i in range(len(model.Layers))}
    assert {"People", "People::a woman reading", "People::a man standing", "Architecture::Room"} <= set(layers)
    meshes = {o.Attributes.Name: o.Geometry for o in model.Objects if isinstance(o.Geometry, rhino3dm.Mesh)}
    woman = meshes["a woman reading"]
    assert len(woman.Vertices) == len(skins[0].rest_vertices)
    box = woman.GetBoundingBox()
    np.testing.assert_allclose([box.Min.X, box.Min.Y, box.Min.Z], posed_vertices(skins[0]).min(axis=0) * 1000, atol=0.1)
    assert [o.Attributes.LayerIndex for o in model.Objects if o.Attributes.Name == "a man standing"] == [
        layers["People::a man standing"]]


def test_write_back_never_overwrites_the_design(tmp_path, people):
    original = write_3dm(tmp_path / "design.3dm")
    before = digest(original)
    with pytest.raises(ExportError, match="design itself"):
        export_bodies(people, original, into=original)
    with pytest.raises(ExportError, match="--into"):
        export_bodies(people, tmp_path / "copy.3dm")
    with pytest.raises(ExportError, match="own unit and up axis"):
        export_bodies(people, tmp_path / "copy.3dm", into=original, units="cm")
    assert digest(original) == before


def test_genzi_export_into_ifc_names_people_by_prompt_and_app_presets(tmp_path, skins):
    import ifcopenshell
    import trimesh

    from pipeline.cli.main import main as genzi

    run = tmp_path / "run"
    run.mkdir()
    for i, skin in enumerate(skins):
        trimesh.Trimesh(posed_vertices(skin), skin.faces, process=False).export(run / f"body_{i}.obj")
    (run / "report.json").write_text(json.dumps({"prompt": "a woman reading", "bodies": [
        {"mesh": "body_0.obj"}, {"mesh": "body_1.obj"}]}))
    design = write_ifc(tmp_path / "design.ifc")
    out = tmp_path / "copy.ifc"
    assert genzi(["export", str(run), "--format", "ifc", "--into", str(design), "--out", str(out)]) == 0
    names = sorted(p.Name for p in ifcopenshell.open(str(out)).by_type("IfcBuildingElementProxy"))
    assert names == ["a woman reading 1", "a woman reading 2"]
    # Blender's OBJ importer reads Y-up: --app blender writes Y-up so the body stands
    assert genzi(["export", str(run), "--app", "blender", "--bodies", "0", "--out", str(tmp_path / "b.obj")]) == 0
    mesh = trimesh.load(tmp_path / "b.obj", process=False, force="mesh")
    np.testing.assert_allclose(mesh.vertices, AxesUnits("y", "m").points(posed_vertices(skins[0])), atol=1e-5)
    assert genzi(["export", str(run), "--app", "rhino", "--bodies", "0", "--out", str(tmp_path / "r.obj")]) == 0
    mesh = trimesh.load(tmp_path / "r.obj", process=False, force="mesh")
    np.testing.assert_allclose(mesh.vertices, posed_vertices(skins[0]) * 1000, atol=1e-2)


def test_usdz_of_the_textured_room_carries_each_image_once(tmp_path, people):
    from pxr import Usd, UsdShade

    room = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"
    path = export_bodies(people, tmp_path / "room.usdz", scene=room)[0]
    with zipfile.ZipFile(path) as z:
        images = [n for n in z.namelist() if n.endswith((".png", ".jpg"))]
    assert len(images) == 8  # the source's 8 pictures, once each
    stage = Usd.Stage.Open(str(path))
    files = {str(UsdShade.Shader(p).GetInput("file").Get().path) for p in stage.Traverse()
             if p.IsA(UsdShade.Shader) and UsdShade.Shader(p).GetIdAttr().Get() == "UsdUVTexture"}
    assert {f.lstrip("./") for f in files} == set(images)
