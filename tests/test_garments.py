"""Clothes, shoes and hair fitted to Anny bodies of any shape, posed with the skeleton."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from pipeline.body.garments import ASSETS, BindingError, Outfit, fit_outfit, outfit_for_prompt, posed_part_vertices, read_mhclo
from pipeline.body.garments import catalogue
from pipeline.body.garments.binding import bind_to_template, hm08_base_vertices, to_body_frame
from pipeline.scene.mesh_query import MeshQuery

pytestmark = pytest.mark.slow  # loads Anny


@pytest.fixture(scope="module")
def anny():
    from pipeline.body import load_body_model

    return load_body_model("anny")


def _measure(skin, dressed, posed_matrices=None):
    """(% garment vertices inside the posed body, mean garment-body distance in mm)."""
    body = posed_part_vertices(skin, skin.rest_vertices, skin.joint_indices, skin.joint_weights, posed_matrices)
    query = MeshQuery(body, skin.faces)
    inside, dist = [], []
    for g in dressed.garments:
        v = posed_part_vertices(skin, g.rest_vertices, g.joint_indices, g.joint_weights, posed_matrices)
        d, i = query.distance_and_inside(v)
        inside.append(i)
        dist.append(d)
    return 100 * np.concatenate(inside).mean(), 1000 * np.concatenate(dist).mean()


def test_every_shipped_asset_reads_and_its_transfer_reproduces_the_makehuman_placement(anny):
    hm08 = anny.hm08_vertex_indices()
    base = hm08_base_vertices()
    template = to_body_frame(base[hm08])
    for name, asset_info in ASSETS.items():
        asset = read_mhclo(asset_info.path)
        assert len(asset.bind_index) == len(asset.vertices) > 50, name
        binding = bind_to_template(asset, hm08, anny.faces)
        expected = to_body_frame(asset.base_positions(base))
        np.testing.assert_allclose(binding.place(template, anny.faces), expected, atol=1e-6, err_msg=name)
        if asset_info.kind == "suit":
            assert len(asset.delete_verts) > 1000, name  # a suit hides the skin it covers


@pytest.mark.parametrize("phenotypes", [{}, {"gender": 0.0, "weight": 0.9, "height": 0.2},
                                        {"age": 0.15}, {"gender": 1.0, "muscle": 0.9, "height": 0.9}])
def test_outfits_fit_any_body_shape_without_skin_through_or_floating(anny, phenotypes):
    params = anny.init_params()
    params["shape"] = anny.shape_from_phenotypes(phenotypes)
    anny.set_bone_anatomical(params, "upperleg01.L", [-70, 0, 0])
    anny.set_bone_anatomical(params, "lowerleg01.L", [80, 0, 0])
    skin = anny.skinned_mesh(params)
    for suit in ("male_elegantsuit01", "female_casualsuit02", "female_sportsuit01"):
        dressed = fit_outfit(skin, anny.hm08_vertex_indices(), Outfit(suit, "shoes02", "bob01"))
        assert [g.name for g in dressed.garments][-1] in ("bob01", suit)  # sorted by layer
        assert len(dressed.garments) == 3 and not dressed.warnings
        inside, mean_mm = _measure(skin, dressed)
        assert inside < 1.5, (suit, inside)
        assert 2.0 < mean_mm < 25.0, (suit, mean_mm)  # on the body, not floating
        assert len(dressed.body.faces) < 0.8 * len(skin.faces)  # covered skin hidden


def test_posing_a_bone_moves_body_and_garments_together(anny):
    params = anny.init_params()
    skin = anny.skinned_mesh(params)
    dressed = fit_outfit(skin, anny.hm08_vertex_indices(), Outfit("male_casualsuit01", "shoes01", "short02"))
    moved = {k: v.clone() for k, v in params.items()}
    anny.set_bone_anatomical(moved, "upperarm01.L", [80, 0, 0])
    anny.set_bone_anatomical(moved, "lowerarm01.L", [90, 0, 0])
    anny.set_bone_anatomical(moved, "upperleg01.R", [-90, 0, 0])
    posed = anny.skinned_mesh(moved).posed_matrices
    inside, mean_mm = _measure(skin, dressed, posed)
    assert inside < 4.0 and mean_mm < 25.0  # a new, extreme pose: measured 2.6 %
    suit = dressed.garments[[g.name for g in dressed.garments].index("male_casualsuit01")]
    before = posed_part_vertices(skin, suit.rest_vertices, suit.joint_indices, suit.joint_weights)
    after = posed_part_vertices(skin, suit.rest_vertices, suit.joint_indices, suit.joint_weights, posed)
    assert np.linalg.norm(after - before, axis=1).max() > 0.3  # the sleeve went with the arm
    expected = anny(moved).vertices[0].detach().numpy()
    body_after = posed_part_vertices(skin, skin.rest_vertices, skin.joint_indices, skin.joint_weights, posed)
    np.testing.assert_allclose(body_after, expected, atol=1e-4)


def test_a_garment_that_fails_to_bind_is_skipped_with_a_warning(anny, tmp_path, monkeypatch):
    folder = tmp_path / "clothes" / "broken"
    shutil.copytree(ASSETS["shoes01"].path.parent, folder)
    src = folder / "shoes01.mhclo"
    text = src.read_text().replace("verts 0\n", "verts 0\n99999 99998 99997 0.3 0.3 0.4 0 0 0\n", 1)
    (folder / "broken.mhclo").write_text(text.replace("obj_file shoes01.obj", "obj_file shoes01.obj"))
    monkeypatch.setattr(catalogue, "GARMENT_DIR", tmp_path)
    monkeypatch.setitem(ASSETS, "broken", catalogue.Asset("broken", "shoes", None, None))
    with pytest.raises(BindingError):
        read_mhclo(folder / "broken.mhclo")
    skin = anny.skinned_mesh(anny.init_params())
    dressed = fit_outfit(skin, anny.hm08_vertex_indices(), Outfit(None, "broken", None))
    assert dressed.garments == [] and "Skipped broken" in dressed.warnings[0]
    bare = fit_outfit(skin, None, Outfit("male_casualsuit01", None, None))  # e.g. SMPL-X: no hm08 topology
    assert bare.garments == [] and "MakeHuman" in bare.warnings[0]


def test_the_prompt_picks_the_outfit_and_the_seed_varies_it():
    suit = outfit_for_prompt("a man in a suit reading", seed=3)
    assert suit.suit == "male_elegantsuit01" and suit.sex == "male"
    assert outfit_for_prompt("a jogger resting on the bench", seed=1).suit == "female_sportsuit01"
    assert outfit_for_prompt("a child sitting on the sofa", seed=2).age == "child"
    # one list of age words for the outfit and the body shape: a baby is a child, a teenager is not
    assert outfit_for_prompt("a baby on the rug").age == "child"
    assert outfit_for_prompt("a teenager reading").age == "adult"
    woman = outfit_for_prompt("a woman sitting", seed=0)
    assert woman.sex == "female" and ASSETS[woman.hair].sex == "female"
    picks = {outfit_for_prompt("sitting on the sofa", seed=s) for s in range(12)}
    assert len({p.suit for p in picks}) >= 3 and {p.sex for p in picks} == {"male", "female"}
    assert all(ASSETS[p.suit].style == "casual" for p in picks)


def test_skin_through_cloth_is_rare_and_the_measure_sees_it_when_it_happens(anny):
    import dataclasses

    from pipeline.body.garments.metrics import garment_body_distance, skin_through_share

    params = anny.init_params()
    anny.set_bone_anatomical(params, "upperleg01.L", [-80, 0, 0])
    anny.set_bone_anatomical(params, "lowerleg01.L", [90, 0, 0])
    skin = anny.skinned_mesh(params)
    dressed = fit_outfit(skin, anny.hm08_vertex_indices(), Outfit("female_casualsuit02", "shoes05", "ponytail01"))
    assert skin_through_share(dressed) < 0.01
    mean, inside = garment_body_distance(dressed)
    assert 0.002 < mean < 0.025 and inside < 0.015
    # sink the suit 1 cm into the body and show the skin it hid: the measure must notice
    suit = dressed.garments[[g.name for g in dressed.garments].index("female_casualsuit02")]
    closest, _, _ = MeshQuery(skin.rest_vertices, skin.faces).closest(suit.rest_vertices)
    direction = closest - suit.rest_vertices
    direction /= np.linalg.norm(direction, axis=1, keepdims=True).clip(1e-9)
    sunk = dataclasses.replace(suit, rest_vertices=closest + 0.01 * direction)
    full_body = dataclasses.replace(dressed.body, faces=np.asarray(skin.faces),
                                    face_region=np.full(len(skin.faces), "skin", dtype=object))
    broken = dataclasses.replace(dressed, body=full_body, garments=[sunk])
    assert skin_through_share(broken) > 0.2
