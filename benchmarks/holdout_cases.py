"""Hold-out lifting cases: new room layouts, bodies, postures and render styles.

The sample-room benchmark (``lifting_cases.py``) is what the fit was tuned on. These cases
differ on purpose: the CC0 pieces of ``shared/scenes/assets`` are arranged in two new rooms,
the bodies range from a child (~1.1 m) to 1.95 m with varied weight, the postures include a
counter, a crouch, lying on the floor and reaching up, and the ground-truth bodies are
rendered with other lights, skin colours and a camera-like finish (colour cast, noise,
JPEG) than the fit's own renders. Outlier sets replace 30 % of the views with a different
person (other shape, posture and place).

The cases are split by a fixed rule: in the order listed, even positions are the tuning
half and odd positions the report half (neighbours are similar, so both halves see every
kind of posture). Used by ``benchmarks/lifting_holdout.py``.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ASSETS_CANDIDATES = (ROOT.parent / "shared" / "scenes" / "assets", Path("/work/shared/scenes/assets"))

# piece, translation (x, y, z), yaw about +Z in degrees; every piece's front faces its local -Y
LAYOUTS: dict[str, list[tuple[str, tuple[float, float, float], float]]] = {
    "kitchen": [
        ("room_shell", (0.0, 0.0, 0.0), 0.0),
        ("curtains", (0.0, 0.0, 0.0), 0.0),
        ("table", (-1.0, 0.5, 0.0), 90.0),
        ("stool", (1.2, -0.8, 0.0), 0.0),
        ("cabinet", (-2.65, -1.3, 0.0), 90.0),
        ("tall_cabinet", (1.6, 2.66, 0.0), 0.0),
        ("bookshelf", (-1.2, -2.70, 0.0), 180.0),
        ("sofa", (2.53, 0.3, 0.0), -90.0),
        ("tea_set", (-1.0, 0.8, 0.80), 0.0),
    ],
    "study": [
        ("room_shell", (0.0, 0.0, 0.0), 0.0),
        ("sofa", (0.0, 1.2, 0.0), 0.0),
        ("table", (0.6, -0.9, 0.0), 0.0),
        ("stool", (-1.6, -1.2, 0.0), 45.0),
        ("bookshelf", (-2.71, 1.0, 0.0), 90.0),
        ("tall_cabinet", (1.5, -2.68, 0.0), 180.0),
        ("cabinet", (2.67, 1.2, 0.0), -90.0),
    ],
}  # fmt: skip

# Extra postures: a preset of pipeline.body.presets plus bone overrides (same angle
# convention), and the preset whose contact rule places the body (feet / seat / lowest).
EXTRA_POSTURES: dict[str, tuple[str, dict, str]] = {
    "counter": ("standing", {"upperarm01": (45, 25, 0), "lowerarm01": (55, 0, 0), "spine03": (6, 0, 0),
                             "neck01": (8, 0, 0)}, "standing"),
    "crouching": ("standing", {"upperleg01": (-105, 10, 0), "lowerleg01": (125, 0, 0), "spine03": (10, 0, 0),
                               "spine01": (8, 0, 0), "upperarm01": (40, 25, 0), "lowerarm01": (30, 0, 0)},
                  "sitting_floor"),
}  # fmt: skip


@dataclass
class HoldoutCase:
    name: str
    layout: str
    posture: str  # a preset of pipeline.body.presets or a key of EXTRA_POSTURES
    spot: tuple[float, float, float]  # support point under the pelvis (floor, seat)
    facing_yaw_deg: float  # presets convention: 0 faces -Y, 90 faces +X, 180 faces +Y
    prompt: str
    phenotypes: dict
    kind: str  # "seated", "lying", "standing", "other"
    style: str  # key of STYLES: how the ground-truth body is rendered
    outlier_posture: str = "standing"
    outlier_phenotypes: dict = field(default_factory=lambda: {"height": 0.45, "weight": 0.6, "gender": 0.2})
    outlier_offset: tuple[float, float] = (0.25, 0.0)  # the other person stands/sits beside


def _h(metres: float) -> float:
    """Anny's adult height phenotype for a standing height (measured: 1.117 m + 1.019 m * h)."""
    return (metres - 1.117) / 1.019


CHILD = {"age": 0.2, "height": 0.5}  # about 1.11 m

CASES: list[HoldoutCase] = [
    HoldoutCase("counter_tall", "kitchen", "counter", (-0.33, 0.45, 0.0), -90, "a person standing at the counter",
                {"height": _h(1.92), "weight": 0.7}, "standing", "warm_key", "sitting_floor"),
    HoldoutCase("counter_short", "study", "counter", (0.6, -0.22, 0.0), 0, "a person standing at the table",
                {"height": _h(1.52), "weight": 0.85, "gender": 0.1}, "standing", "cool_side", "sitting_floor"),
    HoldoutCase("stool_child", "kitchen", "sitting_chair", (1.2, -0.8, 0.578), 200, "a child sitting on the stool",
                CHILD, "seated", "dim_warm", "standing", {"height": _h(1.75)}),
    HoldoutCase("stool_tall", "study", "sitting_chair", (-1.6, -1.2, 0.578), 60, "a person sitting on the stool",
                {"height": _h(1.95), "weight": 0.4, "muscle": 0.7}, "seated", "warm_key", "standing"),
    HoldoutCase("crouch_cabinet", "kitchen", "crouching", (-1.95, -1.3, 0.0), -90, "a person crouching by the cabinet",
                {"height": _h(1.75), "weight": 0.3}, "other", "cool_side", "standing"),
    HoldoutCase("crouch_child", "study", "crouching", (2.0, 1.2, 0.0), -60, "a child crouching by the cabinet",
                {**CHILD, "weight": 0.7}, "other", "dim_warm", "standing", {"height": _h(1.7)}),
    HoldoutCase("reach_tall_cabinet", "kitchen", "reaching", (1.6, 2.05, 0.0), 180,
                "a person reaching to the top of the tall cabinet", {"height": _h(1.60), "gender": 0.0},
                "standing", "warm_key", "sitting_floor"),
    HoldoutCase("reach_bookshelf", "study", "reaching", (-1.6, 1.0, 0.0), -90,
                "a person reaching up to the bookshelf", {"height": _h(1.85), "weight": 0.55},
                "standing", "cool_side", "sitting_floor"),
    HoldoutCase("sofa_heavy", "kitchen", "sitting_chair", (2.35, 0.3, 0.57), -90, "a person sitting on the sofa",
                {"height": _h(1.70), "weight": 0.95}, "seated", "cool_side", "lying_side"),
    HoldoutCase("lying_sofa_side", "study", "lying_side", (0.0, 0.95, 0.54), 0, "a person lying on the sofa",
                {"height": _h(1.65)}, "lying", "warm_key", "sitting_chair"),
    HoldoutCase("floor_bookshelf", "kitchen", "sitting_floor", (-1.2, -2.1, 0.0), 180,
                "a person sitting on the floor by the bookshelf", {"height": _h(1.55), "weight": 0.6},
                "seated", "dim_warm", "standing"),
    HoldoutCase("lying_floor", "study", "lying_back", (-0.6, 0.0, 0.0), 90, "a person lying on the floor",
                {"height": _h(1.80), "weight": 0.35}, "lying", "dim_warm", "sitting_floor"),
    HoldoutCase("lean_table", "kitchen", "leaning", (-0.25, 0.6, 0.0), -90, "a person leaning on the table",
                {"height": _h(1.85), "muscle": 0.8}, "standing", "dim_warm", "sitting_floor"),
    HoldoutCase("walk_child", "study", "walking_step", (-0.5, -1.5, 0.0), 30, "a child walking across the room",
                {**CHILD, "age": 0.3, "height": 0.4}, "standing", "warm_key", "sitting_floor", {"height": _h(1.8)}),
]  # fmt: skip


def split(cases=None) -> dict[str, list[str]]:
    """The fixed split: even positions tune, odd positions report."""
    cases = CASES if cases is None else cases
    return {"tuning": [c.name for c in cases[0::2]], "report": [c.name for c in cases[1::2]]}


def case_by_name(name: str) -> HoldoutCase:
    for c in CASES:
        if c.name == name:
            return c
    raise KeyError(f"no hold-out case {name!r}; choose from {[c.name for c in CASES]}")


def assets_dir() -> Path:
    for d in ASSETS_CANDIDATES:
        if (d / "room_shell.glb").exists():
            return d
    raise FileNotFoundError(f"the CC0 scene pieces were not found in {[str(d) for d in ASSETS_CANDIDATES]}")


def build_layout(name: str, out_path: Path) -> Path:
    """Write the layout's pieces, placed, as one GLB (cached)."""
    import trimesh

    out_path = Path(out_path)
    if out_path.exists():
        return out_path
    scene = trimesh.Scene()
    for piece, (tx, ty, tz), yaw in LAYOUTS[name]:
        part = trimesh.load(assets_dir() / f"{piece}.glb", force="scene")
        m = trimesh.transformations.rotation_matrix(math.radians(yaw), [0, 0, 1])
        m[:3, 3] = (tx, ty, tz)
        for node in part.graph.nodes_geometry:
            local, geom_name = part.graph[node]
            scene.add_geometry(part.geometry[geom_name].copy(), node_name=f"{piece}_{node}",
                               geom_name=f"{piece}_{geom_name}", transform=m @ local)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(scene.export(file_type="glb"))
    return out_path


def posed(body, posture: str, spot, yaw: float, phenotypes: dict) -> dict:
    """Parameters of ``body`` in a preset or extra posture, placed on ``spot``."""
    from pipeline.body.presets import place_body, preset_params

    shape = body.shape_from_phenotypes(phenotypes)
    if posture in EXTRA_POSTURES:
        base, bones, contact = EXTRA_POSTURES[posture]
        params = preset_params(body, base, shape=shape)
        for bone, angles in bones.items():
            sides = [bone] if bone.endswith((".L", ".R")) or bone in body.main_bones else [f"{bone}.L", f"{bone}.R"]
            for b in sides:
                body.set_bone_anatomical(params, b, angles)
        return place_body(params, body, spot, yaw, contact)
    return place_body(preset_params(body, posture, shape=shape), body, spot, yaw, posture)


def gt_params(body, case: HoldoutCase, outlier: bool = False) -> dict:
    if not outlier:
        return posed(body, case.posture, case.spot, case.facing_yaw_deg, case.phenotypes)
    yaw = math.radians(case.facing_yaw_deg)
    dx, dy = case.outlier_offset
    spot = (case.spot[0] + dx * math.cos(yaw) - dy * math.sin(yaw), case.spot[1] + dx * math.sin(yaw) + dy * math.cos(yaw),
            0.0 if case.outlier_posture in ("standing", "sitting_floor") else case.spot[2])
    return posed(body, case.outlier_posture, spot, case.facing_yaw_deg + 40.0, case.outlier_phenotypes)


# ---- render styles: not the fit's headlight-only, skin-grey, clean renders ----------------
STYLES: dict[str, dict] = {
    # lights: (kind, position, focal point, colour, intensity); finish: colour gains, gamma, noise sd, JPEG quality
    "warm_key": {"lights": [("scene", (1.5, -1.0, 2.9), (0, 0, 0), (1.0, 0.86, 0.7), 0.9),
                            ("headlight", None, None, (1.0, 1.0, 1.0), 0.35)],
                 "body_color": (0.55, 0.38, 0.28), "gains": (1.06, 1.0, 0.88), "gamma": 0.9, "noise": 3.0, "jpeg": 80},
    "cool_side": {"lights": [("scene", (-2.5, 2.0, 1.6), (0, 0, 0.8), (0.8, 0.9, 1.0), 0.8),
                             ("headlight", None, None, (1.0, 1.0, 1.0), 0.45)],
                  "body_color": (0.93, 0.80, 0.72), "gains": (0.92, 1.0, 1.08), "gamma": 1.1, "noise": 2.0, "jpeg": 85},
    "dim_warm": {"lights": [("headlight", None, None, (1.0, 0.92, 0.8), 0.6),
                            ("scene", (0.0, 0.0, 3.0), (0, 0, 0), (1.0, 1.0, 1.0), 0.35)],
                 "body_color": (0.36, 0.24, 0.18), "gains": (1.0, 0.97, 0.9), "gamma": 1.2, "noise": 4.0, "jpeg": 75},
}  # fmt: skip


def apply_style_lights(renderer, style: str) -> None:
    """Replace the renderer's headlight with the style's lights."""
    import pyvista as pv

    plotter = renderer.plotter
    plotter.remove_all_lights()
    for kind, pos, focal, color, intensity in STYLES[style]["lights"]:
        if kind == "headlight":
            light = pv.Light(light_type="headlight", intensity=intensity, color=color)
        else:
            light = pv.Light(position=pos, focal_point=focal, color=color, intensity=intensity, light_type="scene light")
            light.positional = False
        plotter.add_light(light)


def finish(img: np.ndarray, style: str, seed: int) -> np.ndarray:
    """A camera-like finish: colour cast, gamma, sensor noise and JPEG compression."""
    from PIL import Image

    s = STYLES[style]
    x = img.astype(np.float64) / 255.0
    x = np.clip(x * np.asarray(s["gains"]), 0, 1) ** s["gamma"]
    x = x * 255.0 + np.random.default_rng(seed).normal(0, s["noise"], x.shape)
    out = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=int(s["jpeg"]))
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        return np.asarray(im.convert("RGB"))


def prepare(case: HoldoutCase, out_dir: Path, body, scene, *, outlier_fraction: float = 0.3) -> dict:
    """Views (as ``genzi views`` selects them, default settings), the styled renders of the
    true body (``hyp/set_0``) and the outlier set (``hyp/set_1``), and ``case.json`` (cached);
    through :func:`lifting_cases.prepare_views_and_renders`."""
    import torch
    from lifting_cases import RenderStyle, prepare_views_and_renders

    from pipeline.views.selection import ViewSelectionSettings, select_views

    meta_path = Path(out_dir) / "case.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    gt = gt_params(body, case)
    with torch.no_grad():
        v_gt = body(gt).vertices[0].numpy()
    selection = select_views(scene, case.spot, settings=ViewSelectionSettings(), prompt=case.prompt)
    style = RenderStyle(lights=lambda r: apply_style_lights(r, case.style), body_color=STYLES[case.style]["body_color"],
                        other_color=(0.7, 0.55, 0.45), finish=lambda rgb, seed: finish(rgb, case.style, seed))
    meta = {"case": asdict(case), "kind": case.kind, "prompt": case.prompt,
            "height_m": float(v_gt[:, 2].max() - v_gt[:, 2].min()) if case.kind == "standing" else None}  # fmt: skip
    meta = prepare_views_and_renders(out_dir, body, scene, gt, gt_params(body, case, outlier=True), selection, meta,
                                     outlier_fraction=outlier_fraction, outlier_seed=1, style=style)
    meta["framing"] = selection.framing
    meta_path.write_text(json.dumps(meta))
    return meta


# ---- clothed renders: the true body dressed in the app's CC0 clothes ---------------------
# Colours per region, picked by the case's position: other than the skin and each other.
CLOTHES_PALETTE: dict[str, list[tuple[float, float, float]]] = {
    "top": [(0.16, 0.22, 0.38), (0.62, 0.12, 0.12), (0.86, 0.85, 0.80), (0.25, 0.42, 0.25), (0.80, 0.62, 0.18)],
    "bottom": [(0.12, 0.12, 0.14), (0.45, 0.38, 0.28), (0.20, 0.25, 0.45), (0.55, 0.55, 0.55)],
    "shoes": [(0.08, 0.08, 0.08), (0.50, 0.32, 0.20), (0.90, 0.90, 0.90)],
    "hair": [(0.10, 0.07, 0.05), (0.45, 0.30, 0.15), (0.80, 0.70, 0.45)],
}  # fmt: skip
CLOTHED_SET = "set_2"


def clothed_meshes(body, params: dict, case: HoldoutCase) -> tuple[list, list, object]:
    """The case's true body dressed as its prompt asks (the app's outfit choice, varied by the
    case's position): one (vertices, faces) per region, their colours, and the outfit."""
    from pipeline.body.garments import fit_outfit
    from pipeline.body.garments.catalogue import outfit_for_prompt
    from pipeline.body.garments.posing import posed_part_vertices

    k = [c.name for c in CASES].index(case.name)
    outfit = outfit_for_prompt(case.prompt, seed=k)
    dressed = fit_outfit(body.skinned_mesh(params), body.hm08_vertex_indices(), outfit)
    meshes, colours = [], []
    for part in dressed.parts():
        vertices = posed_part_vertices(dressed.skin, part.rest_vertices, part.joint_indices, part.joint_weights)
        for region in part.regions():
            meshes.append((vertices, np.asarray(part.faces)[part.face_region == region]))
            palette = CLOTHES_PALETTE.get(region)
            colours.append(STYLES[case.style]["body_color"] if palette is None else palette[k % len(palette)])
    return meshes, colours, outfit


def prepare_clothed(case: HoldoutCase, out_dir: Path, body, scene) -> None:
    """``hyp/set_2``: the clean views again with the true body clothed, in the case's style
    (cached). Why: BlazePose places hips and feet differently on clothes and shoes than on
    the bare renders the fit's keypoints were matched to, as it will on painted people."""
    from PIL import Image

    from pipeline.views.render import SceneRenderer
    from pipeline.views.views_io import load_views

    out_dir = Path(out_dir)
    cameras, _ = load_views(out_dir / "views")
    folder = out_dir / "hyp" / CLOTHED_SET
    if all((folder / f"{c.name}.png").exists() for c in cameras):
        return
    meta = json.loads((out_dir / "case.json").read_text())
    meshes, colours, _ = clothed_meshes(body, body.params_from_json(meta["gt_params"]), case)
    folder.mkdir(parents=True, exist_ok=True)
    with SceneRenderer(scene) as r:
        apply_style_lights(r, case.style)
        for i, cam in enumerate(cameras):
            rgb = r.render_bodies(cam, meshes, colors=colours).rgb
            Image.fromarray(finish(rgb, case.style, 200 + i)).save(folder / f"{cam.name}.png")
