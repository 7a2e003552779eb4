"""Textures baked from painted views, with a known answer, and the textures in exported files.

The "paintings" are unlit VTK renders of a dressed person whose every part carries a known
pattern: a 3D checker (12 cm cells, 8 colours) laid on the posed surface, so neighbouring
texels on the surface share a colour whatever the UV layout. They are rendered from the
views ``genzi views`` selects for the sample room's standing spot and baked back.

Threshold: a median CIEDE2000 under 2.0 per part, below the just-noticeable difference
(about 2.3): an unlit render reproduces the texture exactly inside each checker cell, so the
only expected losses are texels within a pixel or two of a cell edge or a silhouette, which
a median over all seen texels must not notice. A bake that misplaces texels by a fraction
of a cell, flips v, or lets one part take another's colour fails it by a wide margin
(wrong cells differ by 20-80).
"""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pygltflib
import pytest
from PIL import Image

from benchmarks.lifting_cases import SCENE, case_by_name, gt_params, outlier_views
from pipeline.appearance import Material, PaintedView, delta_e_rgb
from pipeline.appearance import bake as bake_module
from pipeline.appearance.pieces import dressed_pieces
from pipeline.appearance.textured import bake_dressed, bake_parts, body_face_uv
from pipeline.appearance.uv_layout import grid_atlas, overlap_share, part_layout, split_seams
from pipeline.body.garments import Outfit, fit_outfit

PALETTE = np.array([[0.85, 0.20, 0.15], [0.15, 0.55, 0.20], [0.15, 0.25, 0.75], [0.90, 0.80, 0.20],
                    [0.60, 0.20, 0.60], [0.95, 0.95, 0.90], [0.20, 0.20, 0.20], [0.30, 0.70, 0.80]])
OUTFIT = Outfit("male_casualsuit04", "shoes01", "short02")
MAX_MEDIAN_DE = 2.0


def test_layouts_keep_own_uvs_replace_overlapping_ones_and_split_seams():
    atlas = grid_atlas(1001, 512)
    assert overlap_share(atlas, 512) == 0.0 and atlas.min() > 0 and atlas.max() < 1
    from pipeline.body.garments import read_mhclo
    from pipeline.body.garments.catalogue import ASSETS

    suit = read_mhclo(ASSETS["male_casualsuit04"].path)
    uv, size = part_layout("male_casualsuit04", suit.faces, suit.face_uv, "suit")
    assert np.array_equal(uv, suit.face_uv) and size == 512  # MakeHuman's own layout kept
    shoes = read_mhclo(ASSETS["shoes01"].path)
    assert overlap_share(shoes.face_uv) > 0.5  # both shoes share texels in MakeHuman's layout
    uv, _ = part_layout("shoes01", shoes.faces, shoes.face_uv)
    assert overlap_share(uv, 512) < 1e-3
    # dealt onto layers, not cut into a triangle atlas: seams stay where MakeHuman put them
    assert len(split_seams(shoes.faces, uv)[0]) == len(split_seams(shoes.faces, shoes.face_uv)[0])
    src, vuv, faces = split_seams(suit.faces, suit.face_uv)
    np.testing.assert_allclose(vuv[faces], suit.face_uv, atol=1e-6)  # every corner keeps its UV
    assert np.array_equal(src[faces], suit.faces)  # ... and its position
    assert len(src) > len(np.unique(suit.faces))  # seams did split vertices


@pytest.fixture(scope="module")
def painted():
    """The dressed person, its known textures, and unlit renders of it from the run's views
    (plus the same views with 30 % of them painting another pattern)."""
    from pipeline.body import load_body_model
    from pipeline.scene.source import as_scene
    from pipeline.views.people_look import render_pieces
    from pipeline.views.selection import select_views

    anny = load_body_model("anny")
    case = case_by_name("standing_floor")
    params = gt_params(anny, case)
    skin = anny.skinned_mesh(params)
    hm08 = anny.hm08_vertex_indices()
    dressed = fit_outfit(skin, hm08, OUTFIT, body_face_uv(hm08, len(skin.faces)))
    assert dressed.body.face_uv is not None and all(g.face_uv is not None for g in dressed.garments)
    parts = bake_parts(dressed)
    texels = bake_module.surface_texels(parts)

    def pattern(shift: int) -> dict[str, np.ndarray]:
        cell = np.floor(texels.points / 0.12).astype(int)
        rgb = (PALETTE[(cell[:, 0] + 3 * cell[:, 1] + 5 * cell[:, 2] + shift) % len(PALETTE)] * 255).astype(np.uint8)
        return bake_module.texel_images(parts, texels, rgb)

    truth, other = pattern(0), pattern(4)
    white = {r: Material(r, (1.0, 1.0, 1.0)) for r in ("skin", "top", "bottom", "shoes", "hair")}
    selection = select_views(as_scene(str(SCENE)), np.asarray(case.spot, float), prompt=case.prompt)
    cameras = selection.cameras
    odd = set(outlier_views(len(cameras), 0.3))
    clean = [render_pieces(c, dressed_pieces(dressed, white, truth)) for c in cameras]
    wrong = [render_pieces(c, dressed_pieces(dressed, white, other)) if k in odd else clean[k]
             for k, c in enumerate(cameras)]
    return dict(anny=anny, params=params, dressed=dressed, truth=truth, other=other, cameras=cameras,
                clean=clean, wrong=wrong, odd=odd)


def _median_errors(baked, truth) -> dict[str, float]:
    out = {}
    for name, tex in baked.items():
        seen = tex.views >= 1
        out[name] = float(np.median(delta_e_rgb(tex.image[seen] / 255.0, truth[name][seen] / 255.0)))
    return out


@pytest.mark.slow
def test_baked_texture_matches_the_known_pattern_on_every_seen_texel(painted):
    views = [PaintedView(c, im) for c, im in zip(painted["cameras"], painted["clean"])]
    assert len(views) >= 8
    baked = bake_dressed(painted["dressed"], views)
    assert set(baked) == {"body", *OUTFIT.asset_names()}
    errors = _median_errors(baked, painted["truth"])
    assert max(errors.values()) < MAX_MEDIAN_DE, errors
    for name in OUTFIT.asset_names():  # the clothes face the cameras: most of them is seen
        tex = baked[name]
        assert (tex.views[tex.covered] >= 1).mean() > 0.5, name
    # unseen texels are filled with the region's colour, never left black
    body = baked["body"]
    assert body.covered.sum() > (body.views >= 1).sum() and body.image[body.covered].max(axis=1).min() > 0
    painted["baked"] = {name: t.image for name, t in baked.items()}


@pytest.mark.slow
def test_bake_follows_the_majority_when_30_percent_of_views_paint_another_pattern(painted):
    assert len(painted["odd"]) / len(painted["cameras"]) == pytest.approx(0.3, abs=0.05)
    views = [PaintedView(c, im) for c, im in zip(painted["cameras"], painted["wrong"])]
    baked = bake_dressed(painted["dressed"], views)
    errors = _median_errors(baked, painted["truth"])
    assert max(errors.values()) < MAX_MEDIAN_DE, errors
    against_odd = _median_errors(baked, painted["other"])
    assert min(against_odd.values()) > 20.0, against_odd


@pytest.mark.slow
def test_textures_are_embedded_in_glb_and_fbx_and_beside_obj(painted, tmp_path):
    from pipeline.export import ExportBody, export_bodies
    from pipeline.export import fbx as fbx_module
    from pipeline.export.styling import Appearance, styled_body

    textures = painted.get("baked") or painted["truth"]
    skin = painted["anny"].skinned_mesh(painted["params"])
    bare = ExportBody.from_skin(skin, name="person")
    hm08 = painted["anny"].hm08_vertex_indices()
    styled, notes = styled_body(bare, Appearance("clothed", OUTFIT, textures=textures), hm08)
    assert not notes and all(p.texture is not None for p in styled.pieces)

    glb = export_bodies([styled], tmp_path / "person.glb")[0]
    gltf = pygltflib.GLTF2().load(str(glb))
    blob = gltf.binary_blob()
    assert len(gltf.images) == len(textures)
    for image in gltf.images:
        view = gltf.bufferViews[image.bufferView]
        decoded = Image.open(io.BytesIO(blob[view.byteOffset:view.byteOffset + view.byteLength]))
        assert decoded.size[0] in (256, 512, 1024)
    for mesh in gltf.meshes:
        prim = mesh.primitives[0]
        assert prim.attributes.TEXCOORD_0 is not None and prim.attributes.JOINTS_0 is not None
        assert gltf.materials[prim.material].pbrMetallicRoughness.baseColorTexture is not None
        acc = gltf.accessors[prim.attributes.TEXCOORD_0]
        assert acc.count == gltf.accessors[prim.attributes.POSITION].count
    # the body's texture, read back, is the one baked (JPEG inside the GLB: small error only)
    body_mesh = next(m for m in gltf.meshes if m.name == "person_body")
    tex_index = gltf.materials[body_mesh.primitives[0].material].pbrMetallicRoughness.baseColorTexture.index
    view = gltf.bufferViews[gltf.images[gltf.textures[tex_index].source].bufferView]
    decoded = np.asarray(Image.open(io.BytesIO(blob[view.byteOffset:view.byteOffset + view.byteLength])).convert("RGB"))
    assert np.median(delta_e_rgb(decoded[::7, ::7] / 255.0, textures["body"][::7, ::7] / 255.0)) < 2.0

    fbx = export_bodies([styled], tmp_path / "person.fbx")[0]
    dump = tmp_path / "person.json"
    fbx_module.run_assimp(["export", str(fbx), str(dump), "-fassjson"])
    data = json.loads(dump.read_text())
    assert len(data.get("textures", [])) == len(textures)  # embedded in the FBX
    files = [p["value"] for m in data["materials"] for p in m["properties"] if p["key"] == "$tex.file"]
    assert len(files) >= len(textures)
    assert all(m.get("texturecoords") for m in data["meshes"]) and all(len(m.get("bones", [])) > 5 for m in data["meshes"])

    written = export_bodies([styled], tmp_path / "person.obj")
    mtl = next(p for p in written if p.suffix == ".mtl").read_text()
    maps = [line.split(None, 1)[1].strip() for line in mtl.splitlines() if line.startswith("map_Kd")]
    assert len(set(maps)) == len(textures)  # one PNG per part (a suit's top and bottom share theirs)
    assert mtl.count("newmtl ") == len(maps)  # every material the OBJ uses has its map
    for name in maps:
        png = tmp_path / name
        assert png.is_file() and png.suffix == ".png"
        assert any(np.array_equal(np.asarray(Image.open(png).convert("RGB")), t) for t in textures.values())
    obj_text = (tmp_path / "person.obj").read_text()
    assert obj_text.count("\nvt ") >= sum(len(p.vertices) for p in styled.pieces)

    # USD and Collada carry the same pictures (files beside them, each picture once)
    usd = export_bodies([styled], tmp_path / "person.usdc")[0]
    assert len(list((tmp_path / "person_textures").iterdir())) == len(textures)
    from pxr import Usd, UsdShade

    stage = Usd.Stage.Open(str(usd))
    shaders = [UsdShade.Shader(p) for p in stage.Traverse() if p.GetTypeName() == "Shader"]
    assert sum(s.GetIdAttr().Get() == "UsdUVTexture" for s in shaders) >= len(textures)
    dae = export_bodies([styled], tmp_path / "person.dae")
    pngs = [p for p in dae if p.suffix == ".png"]
    assert len(pngs) == len(textures)
    assert all(any(np.array_equal(np.asarray(Image.open(png).convert("RGB")), t) for t in textures.values()) for png in pngs)

    # size: the clothed, textured GLB without its images stays within 2x of the bare body's
    plain = export_bodies([bare], tmp_path / "bare.glb")[0]
    image_bytes = sum(gltf.bufferViews[i.bufferView].byteLength for i in gltf.images)
    ratio = (glb.stat().st_size - image_bytes) / plain.stat().st_size
    assert ratio < 2.0, ratio


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("GENZI_BPY_PYTHON"),
                    reason="set GENZI_BPY_PYTHON to a Python with bpy 5.0.1 (pip install bpy==5.0.1)")
def test_blender_imports_textured_rigged_glb_and_fbx_and_poses_body_and_clothes_together(painted, tmp_path):
    import subprocess
    from pathlib import Path

    from pipeline.export import ExportBody, export_bodies
    from pipeline.export.styling import Appearance, styled_body

    check = Path(__file__).resolve().parent / "blender_pose_check.py"
    skin = painted["anny"].skinned_mesh(painted["params"])
    styled, _ = styled_body(ExportBody.from_skin(skin, name="person"),
                            Appearance("clothed", OUTFIT, textures=painted["truth"]),
                            painted["anny"].hm08_vertex_indices())
    for suffix in (".glb", ".fbx"):
        path = export_bodies([styled], tmp_path / f"person{suffix}")[0]
        png = tmp_path / f"blender{suffix.replace('.', '_')}.png"
        out = subprocess.run([os.environ["GENZI_BPY_PYTHON"], str(check), "--", str(path), "upperarm01.L", str(png)],
                             capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-2000:]
        report = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
        assert report["armatures"] == 1 and report["skinned_meshes"] >= 5, report
        assert report["body_moved"] > 0.05 and report["garment_moved"] > 0.05, report
        assert len(report["textured"]) >= 5, report  # every piece: a UV map and its image with pixels
        rendered = np.asarray(Image.open(png).convert("RGB")).astype(int)
        assert rendered.std() > 10  # a picture, not an empty frame


@pytest.mark.slow
def test_genzi_export_bakes_the_runs_paintings_into_the_glb(painted, tmp_path):
    from pipeline.cli.main import main as genzi
    from pipeline.views.views_io import write_views

    run = tmp_path / "run"
    write_views(run / "views", painted["cameras"], target=[0.4, 0.2, 0.0], normal=[0, 0, 1])
    images = run / "round_1" / "images" / "set_0"
    images.mkdir(parents=True)
    for cam, rgb in zip(painted["cameras"], painted["clean"]):
        Image.fromarray(rgb).save(images / f"{cam.name}.png")
    body = {"set": "set_0", "round": 1, "model": "anny", "params": painted["anny"].params_to_json(painted["params"])}
    (run / "report.json").write_text(json.dumps({"bodies": [body]}))
    (run / "config.json").write_text(json.dumps({"request": {"prompt": "a man standing", "seed": 1}}))
    out = tmp_path / "person.glb"
    assert genzi(["export", str(run), "--out", str(out), "--outfit", OUTFIT.suit]) == 0
    gltf = pygltflib.GLTF2().load(str(out))
    textured = [m for m in gltf.meshes if m.primitives[0].attributes.TEXCOORD_0 is not None]
    assert len(textured) == len(gltf.meshes) >= 4 and len(gltf.images) >= 4
    assert any(OUTFIT.suit in m.name for m in textured)
