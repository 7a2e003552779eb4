"""README pictures of the people's appearance (needs a display or Xvfb):

- docs/people_styles.png: the sample room with four people in four figure styles;
- docs/people_painted_colours.png: one person textured from its painted views, beside them.

No diffusion weights ship with the repository (and the tests' tiny random models paint
noise), so the "painted" views here are stand-ins: renders of a dressed person whose
clothes carry a known pattern (a striped shirt), into the room from the views ``genzi views``
picks for that spot. The person on the right wears the texture ``pipeline.appearance`` baked
back from those pixels, seen from a viewpoint none of the paintings used.

    xvfb-run -a python scripts/appearance_screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lifting_cases import SCENE, case_by_name, gt_params  # noqa: E402

PAINTED = {"skin": (0.62, 0.45, 0.34), "top": (0.85, 0.62, 0.12), "bottom": (0.16, 0.30, 0.22),
           "shoes": (0.92, 0.92, 0.90), "hair": (0.12, 0.08, 0.06)}


def _draw(renderer, camera, pieces) -> np.ndarray:
    """The room plus ``pieces`` with their materials or textures from ``camera``."""
    from pipeline.views.people_look import add_people_actors

    actors = add_people_actors(renderer.plotter, pieces)
    img = renderer.rgb(camera)  # the room's renderer draws the added actors too
    for a in actors:
        renderer.plotter.remove_actor(a, render=False)
    return img[..., :3].copy()


def _stand_in_textures(dressed) -> dict:
    """Known textures for the stand-in paintings: striped shirt, plain trousers, skin, shoes, hair."""
    from pipeline.appearance import bake
    from pipeline.appearance.textured import bake_parts

    parts = bake_parts(dressed)
    texels = bake.surface_texels(parts)
    base = np.asarray([PAINTED[r] for r in texels.region])
    stripe = (np.floor(texels.points[:, 2] / 0.06).astype(int) % 2 == 0) & (texels.region == "top")
    base[stripe] = (0.95, 0.93, 0.88)
    return bake.texel_images(parts, texels, np.round(base * 255).astype(np.uint8))


def _label(img: np.ndarray, text: str, y: int = 26) -> np.ndarray:
    import cv2

    img = img.copy()
    cv2.putText(img, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 4, cv2.LINE_AA)
    cv2.putText(img, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 2, cv2.LINE_AA)
    return img


def main() -> None:
    import cv2

    from pipeline.appearance import Material, PaintedView, delta_e_rgb, region_materials
    from pipeline.appearance.pieces import dressed_pieces
    from pipeline.body import load_body_model
    from pipeline.body.garments import Outfit, fit_outfit
    from pipeline.scene.scene import load_scene
    from pipeline.views.cameras import Camera
    from pipeline.views.render import SceneRenderer
    from pipeline.views.selection import select_views

    body = load_body_model("anny")
    hm08 = body.hm08_vertex_indices()
    scene = load_scene(SCENE)
    people = [
        ("sofa_left", Outfit("female_casualsuit01", "shoes02", "bob01"), "clothed"),
        ("standing_floor", Outfit("male_elegantsuit01", "shoes01", "short02"), "white"),
        ("floor_against_sofa", Outfit("male_worksuit01", "shoes05", "short02"), "glass"),
        ("stool", Outfit("female_sportsuit01", "shoes02", "ponytail01"), "silhouette"),
    ]
    pieces, tops = [], []
    for k, (case, outfit, style) in enumerate(people):
        dressed = fit_outfit(body.skinned_mesh(gt_params(body, case_by_name(case))), hm08, outfit)
        mine = dressed_pieces(dressed, region_materials(style, person_index=k))
        pieces += mine
        top = max(mine, key=lambda p: p.vertices[:, 2].max())
        tops.append(top.vertices[top.vertices[:, 2].argmax()])
    cam = Camera.looking_at([-2.6, 2.7, 2.0], [0.7, -0.6, 0.6], fov_y_deg=70, width=1280, height=800)
    with SceneRenderer(scene) as r:
        img = _draw(r, cam, pieces)
        for (_case, _o, style), head in zip(people, tops):
            uv, _ = cam.project(np.asarray([head]) + [0, 0, 0.12])
            x, y = int(uv[0, 0]) - 8 * len(style), int(uv[0, 1])
            cv2.putText(img, style, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 5, cv2.LINE_AA)
            cv2.putText(img, style, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2, cv2.LINE_AA)
    (ROOT / "docs").mkdir(exist_ok=True)
    cv2.imwrite(str(ROOT / "docs" / "people_styles.png"), img[..., ::-1])

    # one person: stand-in paintings -> texture baked from them -> the person wearing it
    from pipeline.appearance.textured import bake_dressed, body_face_uv

    case = case_by_name("sofa_middle")
    skin = body.skinned_mesh(gt_params(body, case))
    outfit = Outfit("female_casualsuit02", "shoes05", "ponytail01")
    dressed = fit_outfit(skin, hm08, outfit, body_face_uv(hm08, len(skin.faces)))
    white = {r: Material(r, (1.0, 1.0, 1.0)) for r in PAINTED}
    truth = _stand_in_textures(dressed)
    selection = select_views(scene, np.asarray(case.spot), prompt=case.prompt)
    cameras = selection.cameras[:6]
    with SceneRenderer(scene) as r:
        views = []
        for c in cameras:
            c = Camera(320, 320, c.fov_y_deg, c.world_to_camera, name=c.name)
            views.append(PaintedView(c, _draw(r, c, dressed_pieces(dressed, white, truth)), scene_depth=r.depth(c)))
        baked = bake_dressed(dressed, [PaintedView(v.camera, v.image, scene_depth=v.scene_depth) for v in views])
        result = dressed_pieces(dressed, white, {name: t.image for name, t in baked.items()})
        hero = Camera.looking_at(np.asarray(case.spot) + [0.9, 1.9, 0.8], np.asarray(case.spot) + [0, 0, 0.2],
                                 fov_y_deg=45, width=640, height=640)
        big = _draw(r, hero, result)
    errors = {}
    for name, tex in baked.items():
        seen = tex.views >= 1
        errors[name] = float(np.median(delta_e_rgb(tex.image[seen] / 255.0, truth[name][seen] / 255.0)))
    grid = np.concatenate([np.concatenate([v.image for v in views[i:i + 2]], 1) for i in range(0, 6, 2)], 0)
    grid = cv2.resize(grid, (640 * 640 // grid.shape[0], 640))
    sheet = np.concatenate([_label(grid, "stand-in paintings"),
                            _label(big, "texture baked from them, seen from a new view")], 1)
    cv2.imwrite(str(ROOT / "docs" / "people_painted_colours.png"), sheet[..., ::-1])
    print("median CIEDE2000 per part on seen texels (lit paintings vs the unlit known texture):", {k: round(v, 2) for k, v in errors.items()})


if __name__ == "__main__":
    main()
