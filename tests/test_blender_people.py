"""One posed, clothed, textured person exported to GLB, FBX, USD, USDZ, Collada and OBJ and
opened in Blender as a user does (File > Import; Collada, which Blender 5 no longer imports,
through assimp): Blender must show our posed vertices, our materials and the same brightness
in each. Runs when ``GENZI_BPY_PYTHON`` names a Python with bpy 5.0.1.

Tolerances. Vertices: 1 mm, both ways (each of Blender's vertices to our nearest, and ours to
Blender's nearest). The files hold float32 positions (under 1 um of rounding at 2 m) and
four weights per vertex like our skinning, so a correct file is exact to a micron; an arm
in the wrong pose or a garment left in the rest pose is off by centimetres. Materials: the
Base Color image's mean within 0.02 of our texture's (JPEG inside the GLB moves it ~0.005),
metallic under 0.05 (our people are dielectrics), roughness within 0.05 of ours. Brightness:
the mean of the person's rendered pixels within 4 % of the GLB's (Cycles noise at 16
samples moves it under 1 %; the FBX's metallic skin made it 21 % darker), 8 % for Collada,
whose Lambert material has no specular reflection at all.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

BPY_PYTHON = os.environ.get("GENZI_BPY_PYTHON")
REPO = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("blender_people_probe.py")
FORMATS = (".glb", ".fbx", ".usdc", ".usdz", ".dae", ".obj")
PALETTE = np.array([[0.85, 0.20, 0.15], [0.15, 0.55, 0.20], [0.15, 0.25, 0.75], [0.90, 0.80, 0.20],
                    [0.60, 0.20, 0.60], [0.95, 0.95, 0.90], [0.20, 0.20, 0.20], [0.30, 0.70, 0.80]])

pytestmark = [
    pytest.mark.blender,
    pytest.mark.slow,
    pytest.mark.skipif(not BPY_PYTHON, reason="GENZI_BPY_PYTHON is unset: no Blender (bpy) Python to import with"),
]


def dressed_person():
    """A reaching (asymmetric arms), clothed person whose every part carries a 3D checker texture."""
    from pipeline.appearance import bake as bake_module
    from pipeline.appearance.textured import bake_parts, body_face_uv
    from pipeline.body import load_body_model
    from pipeline.body.garments import Outfit, fit_outfit
    from pipeline.body.presets import posed_body
    from pipeline.export import ExportBody
    from pipeline.export.styling import Appearance, styled_body

    anny = load_body_model("anny")
    params = posed_body(anny, "reaching", (0.0, 0.0, 0.0), 0.0, shape=anny.shape_from_phenotypes({"height": 0.6}))
    skin = anny.skinned_mesh(params)
    hm08 = anny.hm08_vertex_indices()
    outfit = Outfit("male_casualsuit04", "shoes01", "short02")
    parts = bake_parts(fit_outfit(skin, hm08, outfit, body_face_uv(hm08, len(skin.faces))))
    texels = bake_module.surface_texels(parts)
    cell = np.floor(texels.points / 0.12).astype(int)
    rgb = (PALETTE[(cell[:, 0] + 3 * cell[:, 1] + 5 * cell[:, 2]) % len(PALETTE)] * 255).astype(np.uint8)
    textures = bake_module.texel_images(parts, texels, rgb)
    styled, notes = styled_body(ExportBody.from_skin(skin, name="person"), Appearance("clothed", outfit, textures=textures),
                                hm08)
    assert not notes and len(styled.pieces) >= 5
    return styled


def export_for_blender(person, folder: Path, suffix: str) -> Path:
    from pipeline.export import export_bodies
    from pipeline.export.apps import app_preset

    options = {}
    if suffix == ".obj":  # Blender's OBJ importer takes Y up: the app preset a Blender user picks
        frame = app_preset("blender").frame_for("obj")
        options = {"up": frame.up, "units": frame.units}
    path = export_bodies([person], folder / f"person{suffix}", **options)[0]
    if suffix == ".dae":  # Blender 5 has no Collada importer: assimp, an independent reader, hands it over
        from pipeline.export.fbx import run_assimp

        run_assimp(["export", str(path), str(folder / "person_dae.glb"), "-fglb2"])
        return folder / "person_dae.glb"
    return path


def blender_sees(path: Path, box: np.ndarray, png: Path) -> tuple[dict, dict]:
    out = path.with_name(path.name + ".seen")
    args = [BPY_PYTHON, str(PROBE), str(path), str(out), ",".join(map(str, box[0])), ",".join(map(str, box[1])), str(png)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(Path(str(out) + ".json").read_text()), dict(np.load(str(out) + ".npz"))


def piece_of(blender_name: str) -> str:
    """Blender's object name -> our piece name ("person_body.001", Collada's "person_body_node"
    and USD's "body" -> "body")."""
    name = blender_name.split(".")[0].removesuffix("_node")
    return name[len("person_"):] if name.startswith("person_") else name


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people_in_blender")
    person = dressed_person()
    posed = np.concatenate([p.vertices for p in person.pieces])
    box = np.array([posed.min(axis=0), posed.max(axis=0)])
    found = {}
    for suffix in FORMATS:
        path = export_for_blender(person, folder, suffix)
        png = folder / f"blender{suffix.replace('.', '_')}.png"
        found[suffix] = (*blender_sees(path, box, png), png)
    return person, found, folder


def brightness(png: Path) -> float:
    rgba = np.asarray(Image.open(png).convert("RGBA")).astype(float)
    return float(rgba[..., :3][rgba[..., 3] > 128].mean())


@pytest.mark.parametrize("suffix", FORMATS)
def test_blender_shows_our_posed_person_with_its_materials(seen, suffix):
    from pipeline.scene.normals import vertex_normals

    person, found, _ = seen
    info, arrays, _ = found[suffix]
    ours = {p.name: p for p in person.pieces}
    shown = {piece_of(n): n for n in info["meshes"]}
    assert set(ours) <= set(shown), f"{suffix}: Blender shows {sorted(shown)}, we wrote {sorted(ours)}"
    for name, piece in ours.items():
        blender = shown[name]
        v = arrays[f"{blender}|vertices"]
        to_ours = cKDTree(piece.vertices).query(v)
        to_blender = cKDTree(v).query(piece.vertices)[0]
        assert max(to_ours[0].max(), to_blender.max()) < 1e-3, (
            f"{suffix} {name}: posed vertices off by up to {1000 * max(to_ours[0].max(), to_blender.max()):.1f} mm")
        # shading normals point the way ours do (flipped or missing normals render dark)
        normals = vertex_normals(piece.vertices, piece.faces)[to_ours[1][arrays[f"{blender}|corner_vertex"]]]
        agree = np.einsum("ij,ij->i", normals, arrays[f"{blender}|normals"])
        assert np.median(agree) > 0.95, f"{suffix} {name}: normals agree {np.median(agree):.2f}"
        material = info["meshes"][blender]["materials"][0]
        assert material["Metallic"] < 0.05, f"{suffix} {name}: metallic {material['Metallic']}"
        if suffix != ".dae":  # Collada's Lambert has no roughness (fully diffuse)
            assert abs(material["Roughness"] - piece.material.roughness) < 0.05, (suffix, name, material)
        assert "image_mean" in material, f"{suffix} {name}: no image feeds Base Color"
        expected = piece.texture.reshape(-1, 3).mean(axis=0) / 255.0
        np.testing.assert_allclose(material["image_mean"], expected, atol=0.02, err_msg=f"{suffix} {name}")
    if suffix not in (".obj", ".dae"):  # posed meshes without a rig
        assert all(info["meshes"][shown[n]]["armature"] for n in ours), f"{suffix}: pieces not skinned"


def test_every_format_renders_as_bright_as_the_glb(seen):
    _, found, _ = seen
    levels = {suffix: brightness(png) for suffix, (_, _, png) in found.items()}
    pictures = [Image.open(found[s][2]).convert("RGBA") for s in FORMATS]
    sheet = Image.new("RGB", (sum(p.width for p in pictures), pictures[0].height), (255, 255, 255))
    x = 0
    for picture in pictures:
        sheet.paste(picture, (x, 0), picture)
        x += picture.width
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    sheet.save(REPO / "test-artifacts" / "people_formats_in_blender.png")
    for suffix, level in levels.items():
        # Collada's Lambert has no specular term (assimp hands it over with IOR 1), so the white
        # world's reflection, 5-6 % of the others' brightness, is missing there by definition
        assert abs(level / levels[".glb"] - 1.0) < (0.08 if suffix == ".dae" else 0.04), " ".join(f"{k}={v:.1f}" for k, v in levels.items())


def test_posing_a_bone_moves_the_fbx_as_it_moves_the_glb(seen):
    """The FBX was bound in the fitted pose (its rest pose = the fitted pose) while GLB and USD
    keep the model's rest pose, so the same bone rotation in Blender left the FBX's arm hanging
    where the GLB's rose (0.23 m against 0.56 m). Both now share the rest pose."""
    _, _, folder = seen
    check = Path(__file__).with_name("blender_pose_check.py")
    moved = {}
    for suffix in (".glb", ".fbx"):
        out = subprocess.run([BPY_PYTHON, str(check), "--", str(folder / f"person{suffix}"), "upperarm01.L"],
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        moved[suffix] = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    for key in ("body_moved", "garment_moved"):
        assert moved[".glb"][key] > 0.1 and abs(moved[".fbx"][key] - moved[".glb"][key]) < 1e-3, (key, moved)
