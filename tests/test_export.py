"""Exports re-imported with independent readers: trimesh (OBJ/PLY/GLB), the Khronos glTF
validator (GLB), assimp (FBX). The bodies are small synthetic rigs so the expected posed
geometry follows from plain trigonometry."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from pipeline.body.base import SkinnedMesh
from pipeline.export import (
    FORMATS,
    AxesUnits,
    ExportError,
    export_bodies,
    posed_vertices,
    resolve_frame,
)
from pipeline.export import fbx as fbx_module

REPO = Path(__file__).resolve().parents[1]
RINGS, SECTIONS, RADIUS, SEGMENT = 7, 16, 0.1, 0.5


def bar_skin(bend_deg: float = 60.0, offset=(0.5, -1.0, 0.0)) -> SkinnedMesh:
    """A 1.5 m vertical tube (Z-up) with three 0.5 m bones; each child bone is bent by
    ``bend_deg`` about x relative to its parent. Rings at bone heads blend two bones."""
    offset = np.asarray(offset, dtype=float)
    verts, faces = [], []
    for k in range(RINGS):
        z = 3 * SEGMENT * k / (RINGS - 1)
        for s in range(SECTIONS):
            a = 2 * math.pi * s / SECTIONS
            verts.append([RADIUS * math.cos(a), RADIUS * math.sin(a), z])
    for k in range(RINGS - 1):
        for s in range(SECTIONS):
            a, b = k * SECTIONS + s, k * SECTIONS + (s + 1) % SECTIONS
            faces += [[a, b, b + SECTIONS], [a, b + SECTIONS, a + SECTIONS]]
    verts = np.asarray(verts) + offset
    heads = np.array([[0, 0, 0], [0, 0, SEGMENT], [0, 0, 2 * SEGMENT]]) + offset
    parents = np.array([-1, 0, 1])
    bind = np.tile(np.eye(4), (3, 1, 1))
    bind[:, :3, 3] = heads
    bend = np.eye(4)
    bend[:3, :3] = Rotation.from_euler("x", bend_deg, degrees=True).as_matrix()
    posed = np.zeros((3, 4, 4))
    for j in range(3):
        local = np.eye(4)
        local[:3, 3] = heads[j] - (heads[parents[j]] if parents[j] >= 0 else 0)
        if j > 0:
            local = local @ bend
        posed[j] = local if parents[j] < 0 else posed[parents[j]] @ local
    z = verts[:, 2] - offset[2]
    seg = np.clip(z / SEGMENT, 0, 2.999)
    j0 = np.floor(seg).astype(int)
    t = seg - j0
    idx = np.stack([j0, np.minimum(j0 + 1, 2), np.zeros_like(j0), np.zeros_like(j0)], 1)
    w = np.stack([1 - 0.5 * t, 0.5 * t, 0 * t, 0 * t], 1)
    w[j0 == 2] = [1, 0, 0, 0]
    return SkinnedMesh(verts, np.asarray(faces), ["root", "mid", "top"], parents, bind, posed, idx, w)


@pytest.fixture
def bodies():
    return [bar_skin(60.0), bar_skin(30.0, offset=(1.0, 1.0, 0.0))]


def posed_bounds(skins, frame: AxesUnits):
    pts = np.concatenate([frame.points(posed_vertices(s)) for s in skins])
    return pts.min(axis=0), pts.max(axis=0)


def test_posed_vertices_follow_the_bent_bones():
    skin = bar_skin(60.0, offset=(0, 0, 0))
    v = posed_vertices(skin)
    top_ring = v[-SECTIONS:].mean(axis=0)
    # centre of the top ring: mid head + 0.5 m along 60 deg + 0.5 m along 120 deg about x
    expected = np.array([0.0, 0.0, SEGMENT])
    for deg in (60.0, 120.0):
        expected += SEGMENT * np.array([0.0, -math.sin(math.radians(deg)), math.cos(math.radians(deg))])
    np.testing.assert_allclose(top_ring, expected, atol=1e-9)
    np.testing.assert_allclose(v[:SECTIONS], skin.rest_vertices[:SECTIONS])  # root ring stays


def test_format_defaults_are_data_for_the_gui():
    assert (resolve_frame("glb").up, resolve_frame("glb").units) == ("y", "m")
    assert (resolve_frame("fbx").up, resolve_frame("fbx").units) == ("y", "cm")
    assert resolve_frame("obj").up == "z" and FORMATS["glb"].frame_fixed
    assert FORMATS["fbx"].rigged and not FORMATS["obj"].rigged


@pytest.mark.parametrize("up,units", [("z", "m"), ("y", "cm"), ("y", "mm")])
def test_obj_reimports_with_chosen_axes_and_units(tmp_path, bodies, up, units):
    written = export_bodies(bodies, tmp_path / "people.obj", up=up, units=units)
    assert {p.suffix for p in written} == {".obj", ".mtl"}
    assert "newmtl body_skin" in (tmp_path / "people.mtl").read_text()
    loaded = trimesh.load(tmp_path / "people.obj", force="scene", process=False, split_object=True, group_material=False)
    assert len(loaded.geometry) == 2
    assert sum(len(g.vertices) for g in loaded.geometry.values()) == 2 * RINGS * SECTIONS
    lo, hi = posed_bounds(bodies, AxesUnits(up, units))
    np.testing.assert_allclose(loaded.bounds, [lo, hi], rtol=1e-6, atol=1e-6 * AxesUnits(up, units).scale)
    height_axis = 2 if up == "z" else 1
    assert loaded.extents[height_axis] == pytest.approx((hi - lo)[height_axis])


def test_obj_with_scene_holds_bodies_and_scene(tmp_path, bodies):
    scene_file = REPO / "resources" / "scenes" / "living_room.glb"
    scene = trimesh.load(scene_file, force="scene")
    written = export_bodies(bodies[:1], tmp_path / "room.obj", scene=scene)
    textures = [p for p in written if p.suffix == ".png"]
    assert textures and all(p.name.startswith("room_") and p.is_file() for p in textures)
    assert f"map_Kd {textures[0].name}" in (tmp_path / "room.mtl").read_text()
    loaded = trimesh.load(tmp_path / "room.obj", force="scene", process=False, split_object=True, group_material=False)
    assert "body_0" in loaded.geometry and len(loaded.geometry) > 10
    np.testing.assert_allclose(loaded.bounds, scene.bounds, atol=1e-4)  # body lies inside the room
    # every face's texture index points at a texture coordinate that exists (bodies without
    # UVs once shifted every scene face's index past the end, and Blender dropped them all)
    text = (tmp_path / "room.obj").read_text().splitlines()
    uv_count = sum(1 for line in text if line.startswith("vt "))
    uv_refs = [int(corner.split("/")[1]) for line in text if line.startswith("f ")
               for corner in line.split()[1:] if corner.count("/") >= 1 and corner.split("/")[1]]
    assert uv_refs and max(uv_refs) <= uv_count and min(uv_refs) >= 1


def test_ply_reimports_in_millimetres_y_up(tmp_path, bodies):
    export_bodies(bodies, tmp_path / "people.ply", up="y", units="mm")
    mesh = trimesh.load(tmp_path / "people.ply", process=False)
    assert len(mesh.vertices) == 2 * RINGS * SECTIONS
    assert len(mesh.faces) == 2 * len(bodies[0].faces)
    lo, hi = posed_bounds(bodies, AxesUnits("y", "mm"))
    np.testing.assert_allclose(mesh.bounds, [lo, hi], atol=1e-3)  # float32 in mm
    assert mesh.bounds[1, 1] > 1000  # over a metre tall, in millimetres, along +Y


def _gltf_world(gltf: pygltflib.GLTF2) -> list[np.ndarray]:
    """Node world matrices from the file's TRS values (glTF spec, column vectors)."""
    local = []
    for node in gltf.nodes:
        m = np.eye(4)
        m[:3, :3] = Rotation.from_quat(node.rotation or [0, 0, 0, 1]).as_matrix() * np.asarray(node.scale or [1, 1, 1])
        m[:3, 3] = node.translation or [0, 0, 0]
        local.append(m)
    parent = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    world = []
    for i in range(len(gltf.nodes)):
        m, j = local[i], i
        while j in parent:
            j = parent[j]
            m = local[j] @ m
        world.append(m)
    return world


def _accessor(gltf, blob, index):
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype = {pygltflib.FLOAT: np.float32, pygltflib.UNSIGNED_SHORT: np.uint16, pygltflib.UNSIGNED_INT: np.uint32}
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}[acc.type]
    start = view.byteOffset + (acc.byteOffset or 0)
    return np.frombuffer(blob, dtype[acc.componentType], acc.count * width, start).reshape(acc.count, width)


def test_glb_is_rigged_and_shows_the_fitted_pose(tmp_path, bodies):
    path = export_bodies(bodies, tmp_path / "people.glb")[0]
    frame = AxesUnits("y", "m")
    # trimesh ignores skins: it sees the bind-pose mesh, converted to Y-up metres
    loaded = trimesh.load(path, force="scene")
    rest = np.concatenate([frame.points(s.rest_vertices) for s in bodies])
    assert sum(len(g.vertices) for g in loaded.geometry.values()) == len(rest)
    np.testing.assert_allclose(loaded.bounds, [rest.min(0), rest.max(0)], atol=1e-6)
    # skinning the file's own data by the glTF rules gives the posed bodies
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()
    assert len(gltf.skins) == 2
    world = _gltf_world(gltf)
    for body_index, skin_def in enumerate(gltf.skins):
        node = next(n for n in gltf.nodes if n.skin == body_index)
        prim = gltf.meshes[node.mesh].primitives[0]
        pos = _accessor(gltf, blob, prim.attributes.POSITION).astype(float)
        joints = _accessor(gltf, blob, prim.attributes.JOINTS_0).astype(int)
        weights = _accessor(gltf, blob, prim.attributes.WEIGHTS_0).astype(float)
        ibm = _accessor(gltf, blob, skin_def.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
        joint_mats = np.stack([world[n] for n in skin_def.joints]) @ ibm
        mats = np.einsum("vk,vkij->vij", weights, joint_mats[joints])
        skinned = np.einsum("vij,vj->vi", mats[:, :3, :3], pos) + mats[:, :3, 3]
        np.testing.assert_allclose(skinned, frame.points(posed_vertices(bodies[body_index])), atol=1e-5)
        assert [gltf.nodes[n].name for n in skin_def.joints] == [f"body_{body_index}_{b}" for b in ("root", "mid", "top")]


def test_glb_with_scene_keeps_the_scene_textures(tmp_path, bodies):
    """An exported room keeps its look: every textured scene mesh comes back with its image and UVs."""
    from pipeline.export.scene_meshes import _flatten_trimesh_scene, scene_meshes

    scene = REPO / "resources" / "scenes" / "living_room.glb"
    path = export_bodies(bodies, tmp_path / "room.glb", scene=scene)[0]
    back = dict(_flatten_trimesh_scene(trimesh.load(path, force="scene")))
    textured = 0
    for name, mesh in scene_meshes(scene):
        image = getattr(mesh.visual.material, "baseColorTexture", None)
        if image is None:
            continue
        textured += 1
        again = back[name]
        assert again.visual.kind == "texture", name
        np.testing.assert_allclose(again.visual.uv, mesh.visual.uv, atol=1e-6)  # v flipped there and back
        a = np.asarray(image.convert("RGB"), float)
        b = np.asarray(again.visual.material.baseColorTexture.convert("RGB"), float)
        assert a.shape == b.shape and np.abs(a - b).mean() < 4.0, name  # JPEG at quality 92
    assert textured >= 10
    gltf = pygltflib.GLTF2().load(str(path))
    assert 1 <= len(gltf.images) == len(gltf.textures) <= textured  # an image shared by meshes is stored once


def test_glb_refuses_a_frame_gltf_does_not_allow(tmp_path, bodies):
    with pytest.raises(ExportError, match="Y-up metres"):
        export_bodies(bodies, tmp_path / "people.glb", up="z")


def _validator_cmd():
    node = shutil.which("node")
    script = REPO / "tools" / "validate_gltf.mjs"
    if node is None:
        pytest.skip("node is not installed: install Node.js and run `npm install --prefix tools`")
    if not (REPO / "tools" / "node_modules" / "gltf-validator").is_dir():
        pytest.skip("gltf-validator missing: run `npm install --prefix tools` (scripts/install.sh --test does)")
    return [node, str(script)]


@pytest.mark.parametrize("with_scene", [False, True])
def test_khronos_validator_reports_no_errors(tmp_path, bodies, with_scene):
    cmd = _validator_cmd()
    scene = REPO / "resources" / "scenes" / "living_room.glb" if with_scene else None
    path = export_bodies(bodies, tmp_path / "people.glb", scene=scene)[0]
    out = subprocess.run([*cmd, str(path)], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    assert report["info"]["animationCount"] == 0 and report["info"]["drawCallCount"] >= 2


def _assimp_json(tmp_path: Path, fbx: Path) -> dict:
    out = tmp_path / "dump.json"
    fbx_module.run_assimp(["export", str(fbx), str(out), "-fassjson"])
    return json.loads(out.read_text())


def same_points(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance from a point of either set to the other set."""
    from scipy.spatial import cKDTree

    return float(max(cKDTree(b).query(a)[0].max(), cKDTree(a).query(b)[0].max()))


@pytest.mark.parametrize("up,units", [("y", "cm"), ("z", "m")])
def test_fbx_has_mesh_bones_weights_and_frame(tmp_path, bodies, up, units):
    path = export_bodies(bodies, tmp_path / "people.fbx", up=up, units=units)[0]
    assert path.read_bytes().startswith(b"Kaydara FBX Binary")
    info = fbx_module.run_assimp(["info", str(path)]).stdout
    assert "Bones:              6" in info
    assert "(body_0): [" in info and "/ 3 /" in info
    header = fbx_module.read_frame_label(path)
    assert header["UpAxis"] == (1 if up == "y" else 2)
    assert header["UnitScaleFactor"] == {"cm": 1.0, "m": 100.0}[units]
    dump = _assimp_json(tmp_path, path)
    assert [m["name"] for m in dump["meshes"]] == ["body_0", "body_1"]
    for mesh in dump["meshes"]:
        n = len(mesh["vertices"]) // 3
        total = np.zeros(n)
        for bone in mesh["bones"]:
            for vertex, weight in bone["weights"]:
                total[vertex] += weight
        assert {b["name"].split("_", 2)[-1] for b in mesh["bones"]} == {"root", "mid", "top"}
        np.testing.assert_allclose(total, 1.0, atol=1e-5)
    # the mesh is stored in the model's rest pose, as in GLB and USD, in the chosen axes and unit
    # (the bones pose it: test_own_fbx_reopens_... and the Blender tests check the fitted pose;
    # assimp lists vertices per face corner, so the sets are compared)
    frame = AxesUnits(up, units)
    rest = np.concatenate([np.asarray(m["vertices"]).reshape(-1, 3) for m in dump["meshes"]])
    assert same_points(rest, np.concatenate([frame.points(s.rest_vertices) for s in bodies])) < 1e-4 * frame.scale


def test_fbx_with_scene_embeds_the_scene_textures(tmp_path, bodies):
    scene = REPO / "resources" / "scenes" / "living_room.glb"
    path = export_bodies(bodies, tmp_path / "room.fbx", scene=scene)[0]
    dump = _assimp_json(tmp_path, path)
    textured = [m for m in dump["materials"] if any(p.get("semantic") == 1 for p in m["properties"])]
    # every textured material keeps its texture (1 = diffuse / base colour), and each of the
    # source's 8 images is stored once, not once per loaded copy
    source_images = len(pygltflib.GLTF2().load(str(scene)).images)
    assert len(dump.get("textures", [])) == source_images == 8 and len(textured) >= 10


def test_scene_glb_stores_each_image_once(tmp_path, bodies):
    scene = REPO / "resources" / "scenes" / "living_room.glb"
    path = export_bodies(bodies, tmp_path / "room.glb", scene=scene)[0]
    assert len(pygltflib.GLTF2().load(str(path)).images) == len(pygltflib.GLTF2().load(str(scene)).images) == 8


def test_own_glb_and_fbx_reopen_posed(tmp_path, bodies):
    """trimesh ignores skins: a re-opened rigged export must still show the fitted pose."""
    from pipeline.scene.scene import load_scene

    expected = np.concatenate([posed_vertices(s) for s in bodies])
    glb = load_scene(export_bodies(bodies, tmp_path / "people.glb")[0])
    assert glb.options.up_axis == "y" and "written by GenZI Desktop" in glb.options.describe()
    np.testing.assert_allclose(glb.bounds, [expected.min(axis=0), expected.max(axis=0)], atol=1e-5)


@pytest.mark.parametrize("up,units", [("z", "cm"), ("y", "m"), ("z", "mm")])
def test_own_fbx_reopens_where_it_was_exported_from_its_header_not_a_guess(tmp_path, bodies, up, units):
    """A body-only FBX has no floor or walls to judge by (it was guessed X-up); its header says."""
    from pipeline.scene.scene import load_scene
    from pipeline.scene.formats import frame_declared

    path = export_bodies(bodies, tmp_path / "people.fbx", up=up, units=units)[0]
    assert frame_declared(path)  # the desktop opens it without asking for axes and unit
    scene = load_scene(path)  # no import options given
    assert (scene.options.up_axis, scene.options.unit) == ("y", units)
    reasons = " ".join(scene.options.reasons)
    assert f"header names {up.upper()}-up" in reasons and "GenZI Desktop declares the unit" in reasons
    assert sorted(scene.names) == ["body_0", "body_1"]
    for name, skin in zip(("body_0", "body_1"), bodies):
        mesh = scene.geometries[scene.names.index(name)]
        np.testing.assert_allclose(np.sort(mesh.vertices, axis=0), np.sort(posed_vertices(skin), axis=0), atol=1e-5)


def test_an_fbx_assimp_wrote_is_judged_from_its_geometry(tmp_path, bodies):
    """assimp labels every FBX Y-up centimetres whatever it holds: only a header from a tool that
    writes its true frame (or this app) is taken as said; the desktop asks for the others."""
    from pipeline.scene.fbx_header import OWN_CREATOR_PREFIX, creator
    from pipeline.scene.formats import frame_declared
    from pipeline.scene.scene import load_scene

    path = export_bodies(bodies, tmp_path / "people.fbx", up="z", units="m")[0]
    ours = creator(path)
    assert ours.startswith(OWN_CREATOR_PREFIX)
    theirs = ("Open Asset Import Library (Assimp) 6.0.9" + " " * len(ours))[: len(ours)]
    plain = tmp_path / "plain.fbx"
    plain.write_bytes(path.read_bytes().replace(ours.encode(), theirs.encode()))
    assert not frame_declared(plain)
    scene = load_scene(plain)
    assert any("judged from the geometry" in n for n in scene.notes)
    assert not any("header" in r for r in scene.options.reasons)


def test_fbx_without_assimp_says_how_to_get_it(tmp_path, bodies, monkeypatch):
    monkeypatch.setattr(fbx_module.assimp_cli, "_candidates", lambda: [])
    with pytest.raises(ExportError, match="cmeel-assimp"):
        export_bodies(bodies, tmp_path / "people.fbx")
    assert not (tmp_path / "people.fbx").exists()


def test_full_disk_gives_a_message_not_a_traceback(bodies):
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is not available on this system")
    with pytest.raises(ExportError, match="disk is full"):
        export_bodies(bodies, "/dev/full", format="ply")


def test_unwritable_folder_gives_a_message(bodies):
    target = Path("/sys/genzi_export_test.obj")
    try:
        target.write_bytes(b"")
    except OSError:
        pass
    else:  # pragma: no cover - /sys writable: nothing to test here
        target.unlink()
        pytest.skip("/sys is writable here")
    with pytest.raises(ExportError, match="not writable"):
        export_bodies(bodies, target)


def test_unknown_suffix_is_explained(tmp_path, bodies):
    with pytest.raises(ExportError, match=r"\.obj"):
        export_bodies(bodies, tmp_path / "people.stl")


def test_genzi_export_falls_back_to_the_run_mesh_without_params(tmp_path, bodies, capsys):
    from pipeline.cli.main import main as genzi

    run = tmp_path / "run"
    run.mkdir()
    posed = posed_vertices(bodies[0])
    trimesh.Trimesh(posed, bodies[0].faces, process=False).export(run / "body_0.obj")
    (run / "report.json").write_text(json.dumps({"bodies": [{"set": "set_0", "mesh": "body_0.obj"}]}))

    assert genzi(["export", str(run), "--out", str(tmp_path / "b.ply"), "--up", "y", "--units", "cm"]) == 0
    mesh = trimesh.load(tmp_path / "b.ply", process=False)
    np.testing.assert_allclose(mesh.vertices, AxesUnits("y", "cm").points(posed), atol=1e-4)
    with pytest.warns(UserWarning, match="without a skeleton"):
        assert genzi(["export", str(run), "--out", str(tmp_path / "b.glb")]) == 0
    gltf = pygltflib.GLTF2().load(str(tmp_path / "b.glb"))
    assert not gltf.skins and len(gltf.meshes) == 1
    assert genzi(["export", str(run), "--with-scene", "--out", str(tmp_path / "c.obj")]) == 1
    assert "names no scene" in capsys.readouterr().err
    assert genzi(["export", str(tmp_path), "--out", str(tmp_path / "d.obj")]) == 1
    assert "no report.json" in capsys.readouterr().err


def test_genzi_export_rejects_a_frame_the_format_cannot_hold_before_reading_the_run(tmp_path, capsys):
    """GLB is Y-up metres by specification: asking for Z-up fails at once, with that reason,
    even before the run folder (here: not a run at all) is read and its bodies rebuilt."""
    from pipeline.cli.main import main as genzi

    assert genzi(["export", str(tmp_path / "no-run-here"), "--out", str(tmp_path / "x.glb"), "--up", "z"]) == 1
    err = capsys.readouterr().err
    assert "Y-up metres" in err and "no-run-here" not in err
    assert not (tmp_path / "x.glb").exists()
