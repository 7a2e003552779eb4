"""Texture bake from painted views: accuracy with a known answer, time, and export sizes.

For three lifting cases (their posture and shape, one outfit each), a dressed person with a
known 3D checker texture is rendered unlit from the views ``genzi views`` selects for the
case's spot and baked back, once with clean views and once with 30 % of the views painting
a different checker. Reported per part: the median and 90th percentile CIEDE2000 on texels
seen by at least one view, the share of covered texels seen, and the bake's wall time.
Then the clothed, textured person is exported (GLB, FBX, OBJ) next to the bare body:
the clothed file minus its images against the bare file (target: within 2x).
Writes benchmarks/results/texture_bake.json. Needs a display or Xvfb (VTK renders).

    xvfb-run -a python benchmarks/texture_bake.py
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lifting_cases import SCENE, case_by_name, gt_params, outlier_views  # noqa: E402
from pipeline.appearance import Material, PaintedView, delta_e_rgb  # noqa: E402
from pipeline.appearance import bake  # noqa: E402
from pipeline.appearance.pieces import dressed_pieces  # noqa: E402
from pipeline.appearance.textured import bake_dressed, bake_parts, body_face_uv  # noqa: E402
from pipeline.body import load_body_model  # noqa: E402
from pipeline.body.garments import Outfit, fit_outfit  # noqa: E402

PALETTE = np.array([[0.85, 0.20, 0.15], [0.15, 0.55, 0.20], [0.15, 0.25, 0.75], [0.90, 0.80, 0.20],
                    [0.60, 0.20, 0.60], [0.95, 0.95, 0.90], [0.20, 0.20, 0.20], [0.30, 0.70, 0.80]])
CASES = [("standing_floor", Outfit("male_casualsuit04", "shoes01", "short02")),
         ("sofa_middle", Outfit("female_casualsuit02", "shoes05", "ponytail01")),
         ("reaching_cabinet", Outfit("male_elegantsuit01", "shoes02", "bob01"))]


def _errors(baked, truth) -> dict:
    out = {}
    for name, tex in baked.items():
        seen = tex.views >= 1
        de = delta_e_rgb(tex.image[seen] / 255.0, truth[name][seen] / 255.0)
        out[name] = {"median": round(float(np.median(de)), 2), "p90": round(float(np.percentile(de, 90)), 2),
                     "seen_share": round(float(seen.sum() / tex.covered.sum()), 3)}
    return out


def _sizes(anny, params, outfit, textures) -> dict:
    """Bare vs clothed-and-textured file sizes; images counted apart (GLB: its image buffer
    views; FBX: the same images, which assimp embeds from the GLB; OBJ: the PNGs beside it)."""
    import pygltflib

    from pipeline.export import ExportBody, export_bodies
    from pipeline.export.styling import Appearance, styled_body

    skin = anny.skinned_mesh(params)
    bare = ExportBody.from_skin(skin, name="person")
    styled, _ = styled_body(bare, Appearance("clothed", outfit, textures=textures), anny.hm08_vertex_indices())
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        glb_images = 0
        for fmt in ("glb", "fbx", "obj"):
            plain = sum(p.stat().st_size for p in export_bodies([bare], Path(tmp) / f"bare.{fmt}"))
            written = export_bodies([styled], Path(tmp) / f"dressed.{fmt}")
            total = sum(p.stat().st_size for p in written)
            if fmt == "glb":
                gltf = pygltflib.GLTF2().load(str(written[0]))
                glb_images = sum(gltf.bufferViews[i.bufferView].byteLength for i in gltf.images)
            pictures = sum(p.stat().st_size for p in written if p.suffix == ".png") if fmt == "obj" else glb_images
            out[fmt] = {"bare_bytes": plain, "clothed_bytes": total, "image_bytes": pictures,
                        "ratio_without_images": round((total - pictures) / plain, 3)}
    return out


def outfit_sweep(anny) -> dict:
    """GLB size without images over the bare body's, for every suit with every hair style
    (shoes02; flat textures, since only the geometry and UVs count here)."""
    import pygltflib

    from pipeline.body.garments import names_of
    from pipeline.export import ExportBody, export_bodies
    from pipeline.export.styling import Appearance, styled_body

    skin = anny.skinned_mesh(anny.init_params())
    bare = ExportBody.from_skin(skin, name="person")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        plain = export_bodies([bare], Path(tmp) / "bare.glb")[0].stat().st_size
        for suit in names_of("suit"):
            for hair in names_of("hair"):
                textures = {n: np.full((s, s, 3), 120, np.uint8)
                            for n, s in (("body", 1024), (suit, 512), ("shoes02", 512), (hair, 512))}
                styled, _ = styled_body(bare, Appearance("clothed", Outfit(suit, "shoes02", hair), textures=textures),
                                        anny.hm08_vertex_indices())
                path = export_bodies([styled], Path(tmp) / "dressed.glb")[0]
                gltf = pygltflib.GLTF2().load(str(path))
                images = sum(gltf.bufferViews[i.bufferView].byteLength for i in gltf.images)
                out[f"{suit}+{hair}"] = round((path.stat().st_size - images) / plain, 3)
    return out


def main() -> None:
    from pipeline.scene.source import as_scene
    from pipeline.views.people_look import render_pieces
    from pipeline.views.selection import select_views

    anny = load_body_model("anny")
    hm08 = anny.hm08_vertex_indices()
    scene = as_scene(str(SCENE))
    white = {r: Material(r, (1.0, 1.0, 1.0)) for r in ("skin", "top", "bottom", "shoes", "hair")}
    results = []
    for case_name, outfit in CASES:
        case = case_by_name(case_name)
        params = gt_params(anny, case)
        skin = anny.skinned_mesh(params)
        dressed = fit_outfit(skin, hm08, outfit, body_face_uv(hm08, len(skin.faces)))
        parts = bake_parts(dressed)
        texels = bake.surface_texels(parts)
        cell = np.floor(texels.points / 0.12).astype(int)

        def pattern(shift: int) -> dict:
            idx = (cell[:, 0] + 3 * cell[:, 1] + 5 * cell[:, 2] + shift) % len(PALETTE)
            return bake.texel_images(parts, texels, (PALETTE[idx] * 255).astype(np.uint8))

        truth, other = pattern(0), pattern(4)
        cameras = select_views(scene, np.asarray(case.spot, float), prompt=case.prompt).cameras
        odd = set(outlier_views(len(cameras), 0.3))
        clean = [render_pieces(c, dressed_pieces(dressed, white, truth)) for c in cameras]
        wrong = [render_pieces(c, dressed_pieces(dressed, white, other)) if k in odd else clean[k]
                 for k, c in enumerate(cameras)]
        row = {"case": case_name, "outfit": outfit.asset_names(), "views": len(cameras), "odd_views": len(odd)}
        for label, images in (("clean", clean), ("30pct_other_pattern", wrong)):
            t0 = time.perf_counter()
            baked = bake_dressed(dressed, [PaintedView(c, im) for c, im in zip(cameras, images)])
            row[label] = {"seconds": round(time.perf_counter() - t0, 2), "parts": _errors(baked, truth)}
            if label == "30pct_other_pattern":
                row[label]["median_vs_other_pattern"] = {k: v["median"] for k, v in _errors(baked, other).items()}
        row["export_sizes"] = _sizes(anny, params, outfit, truth)
        results.append(row)
        print(json.dumps(row))
    sweep = outfit_sweep(anny)
    out = {"machine": platform.processor() or platform.machine(), "note": "wall seconds on a shared, loaded 2-core CPU",
           "texel_median_threshold": 2.0, "cases": results,
           "glb_ratio_without_images_all_outfits": sweep, "glb_ratio_worst": max(sweep.values())}
    path = ROOT / "benchmarks" / "results" / "texture_bake.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
