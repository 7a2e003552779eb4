"""Figure styles, CIEDE2000 and colours recovered from painted views with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.appearance import (
    STYLES, Material, PaintedView, colours_from_paintings, ciede2000, delta_e_rgb, lab_to_srgb, region_materials,
    srgb_to_lab,
)
from pipeline.appearance.pieces import dressed_pieces
from pipeline.body.garments import Outfit, fit_outfit, posed_part_vertices
from pipeline.views.cameras import Camera

# Sharma, Wu and Dalal (2005), Table 1: pairs 1, 7, 12, 16, 17, 25 and 34.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, -0.001, 2.49), (50.0, 0.0009, -2.49), 4.8045),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]
TRUTH = {"skin": (0.80, 0.60, 0.50), "top": (0.70, 0.10, 0.10), "bottom": (0.10, 0.20, 0.50),
         "shoes": (0.10, 0.10, 0.10), "hair": (0.50, 0.35, 0.10)}


def test_ciede2000_matches_the_published_test_pairs():
    for lab1, lab2, expected in SHARMA:
        assert float(ciede2000(lab1, lab2)) == pytest.approx(expected, abs=1e-4)
        assert float(ciede2000(lab2, lab1)) == pytest.approx(expected, abs=1e-4)
    rgb = np.random.default_rng(0).random((50, 3))
    np.testing.assert_allclose(lab_to_srgb(srgb_to_lab(rgb)), rgb, atol=1e-6)


def test_every_style_gives_materials_for_every_region():
    for style in STYLES:
        mats = region_materials(style, person_index=2)
        assert set(mats) == {"skin", "top", "bottom", "shoes", "hair"}
    assert region_materials("glass")["top"].alpha < 0.5
    assert region_materials("silhouette")["skin"].unlit
    assert region_materials("white")["top"].rgb == region_materials("white")["skin"].rgb
    colours = [region_materials("by-person", person_index=i)["skin"].rgb for i in range(6)]
    gaps = [delta_e_rgb(a, b) for i, a in enumerate(colours) for b in colours[i + 1:]]
    assert min(gaps) > 10  # diagram colours tell people apart
    clothed = region_materials("clothed", colours={"top": (0.2, 0.4, 0.6)})
    assert clothed["top"].rgb == (0.2, 0.4, 0.6) and clothed["top"].rgb != clothed["bottom"].rgb
    with pytest.raises(ValueError, match="choose one of"):
        region_materials("neon")


@pytest.fixture(scope="module")
def painted_person():
    """A dressed Anny body, its posed parts, and renders of it in known colours from 10 views."""
    from pipeline.body import load_body_model
    from pipeline.views.render import BodyRenderer

    anny = load_body_model("anny")
    params = anny.init_params()
    anny.set_bone_anatomical(params, "upperarm01.R", [40, 0, 0])
    skin = anny.skinned_mesh(params)
    dressed = fit_outfit(skin, anny.hm08_vertex_indices(), Outfit("male_casualsuit01", "shoes01", "short02"))
    pieces = dressed_pieces(dressed, {r: Material(r, c) for r, c in TRUTH.items()})
    parts = [(posed_part_vertices(skin, p.rest_vertices, p.joint_indices, p.joint_weights), p.faces, p.face_region)
             for p in dressed.parts()]
    cams = [Camera.looking_at([2.6 * np.cos(a), 2.6 * np.sin(a), 0.2 + 0.4 * (k % 2)], [0, 0, 0], fov_y_deg=50,
                              width=200, height=240, name=f"view_{k:02d}")
            for k, a in enumerate(np.linspace(0, 2 * np.pi, 10, endpoint=False))]
    renders = {}
    with BodyRenderer() as renderer:
        for k, cam in enumerate(cams):
            for variant in ("true", "green_top"):
                colours = [(0.1, 0.65, 0.15) if variant == "green_top" and p.material.name == "top" else p.material.rgb
                           for p in pieces]
                out = renderer.render_bodies(cam, [(p.vertices, p.faces) for p in pieces], colors=colours)
                renders[(k, variant)] = out.rgb
    return parts, cams, renders


def _errors(found):
    return {r: float(delta_e_rgb(found[r].rgb, TRUTH[r])) for r in TRUTH}


def test_colours_projected_back_from_painted_views_match_the_known_colours(painted_person):
    parts, cams, renders = painted_person
    views = [PaintedView(cam, renders[(k, "true")]) for k, cam in enumerate(cams)]
    found = colours_from_paintings(parts, views)
    errors = _errors(found)
    assert max(errors.values()) < 10.0, errors  # CIEDE2000 per region, lit renders
    assert all(found[r].views >= 8 for r in TRUTH)


def test_the_majority_of_views_wins_when_30_percent_show_another_colour(painted_person):
    parts, cams, renders = painted_person
    odd = {1, 4, 8}  # 30 % of the views paint the top green
    views = [PaintedView(cam, renders[(k, "green_top" if k in odd else "true")]) for k, cam in enumerate(cams)]
    found = colours_from_paintings(parts, views)
    errors = _errors(found)
    assert errors["top"] < 10.0, errors
    assert delta_e_rgb(found["top"].rgb, (0.1, 0.65, 0.15)) > 40
    # and a confidence weight can turn the vote: the same views, the odd ones trusted 10x
    trusted = [PaintedView(v.camera, v.image, 10.0 if k in odd else 1.0) for k, v in enumerate(views)]
    assert delta_e_rgb(colours_from_paintings(parts, trusted)["top"].rgb, (0.1, 0.65, 0.15)) < 15
