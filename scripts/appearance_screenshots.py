"""README pictures of the people's appearance (needs a display or Xvfb):

- docs/people_styles.png: the sample room with four people in four figure styles;
- docs/people_painted_colours.png: one person coloured from its painted views, beside them.

No diffusion weights ship with the repository, so the "painted" views here are stand-ins:
renders of the dressed person in colours the script picks, into the room's views. The colours
on the right are what ``pipeline.appearance`` recovered from those pixels.

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
    """The room plus ``pieces`` with their materials (opacity, unlit) from ``camera``."""
    import pyvista as pv

    from pipeline.scene.normals import vertex_normals
    plotter = renderer.plotter
    actors = []
    for p in pieces:
        poly = pv.PolyData.from_regular_faces(np.asarray(p.vertices, float), np.asarray(p.faces))
        poly.point_data["Normals"] = vertex_normals(p.vertices, p.faces)
        poly.point_data.active_normals_name = "Normals"
        m = p.material
        actors.append(plotter.add_mesh(poly, color=m.rgb, opacity=m.alpha, smooth_shading=True, lighting=not m.unlit,
                                       specular=0.15 if m.alpha < 1 else 0.05, show_scalar_bar=False))
    img = renderer.rgb(camera)  # the room's renderer draws the added actors too
    for a in actors:
        plotter.remove_actor(a, render=False)
    return img[..., :3].copy()


def _label(img: np.ndarray, text: str, y: int = 26) -> np.ndarray:
    import cv2

    img = img.copy()
    cv2.putText(img, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 4, cv2.LINE_AA)
    cv2.putText(img, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 2, cv2.LINE_AA)
    return img


def main() -> None:
    import cv2

    from pipeline.appearance import Material, PaintedView, colours_from_paintings, delta_e_rgb, region_materials
    from pipeline.appearance.pieces import dressed_pieces
    from pipeline.body import load_body_model
    from pipeline.body.garments import Outfit, fit_outfit, posed_part_vertices
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
    pieces = []
    for k, (case, outfit, style) in enumerate(people):
        dressed = fit_outfit(body.skinned_mesh(gt_params(body, case_by_name(case))), hm08, outfit)
        pieces += dressed_pieces(dressed, region_materials(style, person_index=k))
    cam = Camera.looking_at([-2.6, 2.7, 2.0], [0.7, -0.6, 0.6], fov_y_deg=70, width=1280, height=800)
    with SceneRenderer(scene) as r:
        img = _draw(r, cam, pieces)
        for case, _o, style in people:
            uv, _ = cam.project(np.asarray([case_by_name(case).spot]) + [0, 0, 1.25])
            x, y = int(uv[0, 0]) - 40, int(uv[0, 1])
            cv2.putText(img, style, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 5, cv2.LINE_AA)
            cv2.putText(img, style, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2, cv2.LINE_AA)
    (ROOT / "docs").mkdir(exist_ok=True)
    cv2.imwrite(str(ROOT / "docs" / "people_styles.png"), img[..., ::-1])

    # one person: stand-in paintings -> colours from them -> the person in those colours
    case = case_by_name("sofa_middle")
    skin = body.skinned_mesh(gt_params(body, case))
    outfit = Outfit("female_casualsuit02", "shoes05", "ponytail01")
    dressed = fit_outfit(skin, hm08, outfit)
    selection = select_views(scene, np.asarray(case.spot), prompt=case.prompt)
    cameras = selection.cameras[:6]
    painted_pieces = dressed_pieces(dressed, {r: Material(r, c) for r, c in PAINTED.items()})
    parts = [(posed_part_vertices(skin, p.rest_vertices, p.joint_indices, p.joint_weights), p.faces, p.face_region)
             for p in dressed.parts()]
    with SceneRenderer(scene) as r:
        views = []
        for c in cameras:
            c = Camera(320, 320, c.fov_y_deg, c.world_to_camera, name=c.name)
            views.append(PaintedView(c, _draw(r, c, painted_pieces), scene_depth=r.depth(c)))
        found = colours_from_paintings(parts, views)
        colours = {k: v.rgb for k, v in found.items()}
        result = dressed_pieces(dressed, region_materials("clothed", colours=colours))
        hero = Camera.looking_at(np.asarray(case.spot) + [0.9, 1.9, 0.8], np.asarray(case.spot) + [0, 0, 0.2],
                                 fov_y_deg=45, width=640, height=640)
        big = _draw(r, hero, result)
    errors = {k: float(delta_e_rgb(colours[k], PAINTED[k])) for k in PAINTED if k in colours}
    grid = np.concatenate([np.concatenate([v.image for v in views[i:i + 2]], 1) for i in range(0, 6, 2)], 0)
    grid = cv2.resize(grid, (640 * 640 // grid.shape[0], 640))
    sheet = np.concatenate([_label(grid, "painted views (stand-ins)"),
                            _label(big, "colours taken from them")], 1)
    swatch_y = 50
    for region, rgb in colours.items():
        c = tuple(int(255 * x) for x in rgb)
        x0 = grid.shape[1] + 10
        cv2.rectangle(sheet, (x0, swatch_y), (x0 + 28, swatch_y + 22), c, -1)
        cv2.putText(sheet, f"{region}  dE {errors.get(region, 0):.1f}", (x0 + 36, swatch_y + 17),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.55, (20, 20, 20), 1, cv2.LINE_AA)
        swatch_y += 30
    cv2.imwrite(str(ROOT / "docs" / "people_painted_colours.png"), sheet[..., ::-1])
    print("CIEDE2000 per region:", {k: round(v, 1) for k, v in errors.items()})


if __name__ == "__main__":
    main()
