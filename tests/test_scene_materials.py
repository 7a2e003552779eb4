"""The trimesh material adapter: glTF's PBR materials and OBJ's simple materials give the same
answers through one module, and a trimesh change that breaks them fails here."""

from __future__ import annotations

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial, SimpleMaterial

from pipeline.scene.materials import base_colour, main_colour, textured, vertex_colours


def test_pbr_and_simple_materials_give_image_factor_and_alpha():
    image = Image.new("RGB", (4, 4), (200, 10, 10))
    pbr = base_colour(PBRMaterial(baseColorTexture=image, baseColorFactor=[0.5, 0.25, 1.0, 0.5], alphaMode="BLEND"))
    assert pbr.image is image and pbr.alpha_mode == "BLEND"
    np.testing.assert_allclose(pbr.factor, [0.5, 0.25, 1.0, 0.5], atol=1 / 255)
    simple = base_colour(SimpleMaterial(image=image, diffuse=[255, 0, 0, 255]))
    assert simple.image is image and simple.alpha_mode == "OPAQUE"
    np.testing.assert_allclose(simple.factor, [1, 0, 0, 1])
    nothing = base_colour(None)
    assert nothing.image is None and nothing.factor is None


def test_textured_vertex_coloured_and_main_colour_of_meshes():
    box = trimesh.creation.box()
    uv = np.random.default_rng(0).random((len(box.vertices), 2))
    box.visual = TextureVisuals(uv=uv, material=PBRMaterial(baseColorFactor=[0, 255, 0, 255]))
    colour, got = textured(box)
    np.testing.assert_allclose(got, uv)
    np.testing.assert_allclose(colour.factor, [0, 1, 0, 1])
    assert vertex_colours(box) is None
    np.testing.assert_allclose(main_colour(box), [0, 1, 0, 1])
    painted = trimesh.creation.box(face_colors=[10, 20, 30, 255])
    assert textured(painted) is None
    assert vertex_colours(painted).shape == (len(painted.vertices), 4)
    np.testing.assert_allclose(main_colour(painted), np.array([10, 20, 30, 255]) / 255)
