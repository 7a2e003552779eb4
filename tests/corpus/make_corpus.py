"""The bad-input corpus: files a new user or an attacker might hand GenZI, made by code.

``make_corpus(root)`` writes every input under ``root`` and returns the cases: which entry
point takes the input (the ``genzi`` command line, the desktop's open-scene, open-project or
import-images path), the arguments, and the outcome expected (exit status, a pattern of the
message). Run ``python tests/corpus/make_corpus.py OUT`` to look at the files.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "scenes" / "living_room.glb"
SEAT = (0.0, -2.41, 0.566)  # the middle sofa cushion of the sample scene
VIEW_SIZE = 64

# outcome classes: the exit status and what kind of message the user sees
REFUSED = "refused"  # exit 2: the input is refused before any work, with what to do
NO_RESULT = "no-result"  # exit 1 or 3: the work ran and says why nothing came of it
WORKS = "works"  # exit 0: a hard but valid input is handled


@dataclass
class Case:
    name: str
    entry: str  # "cli", "scene" (desktop open scene), "project" (desktop open project), "images" (desktop import)
    args: list[str] = field(default_factory=list)  # cli: the genzi arguments ({out} = the case's output folder)
    path: str = ""  # desktop: the file or folder given
    outcome: str = REFUSED
    message: str = ""  # regular expression the message must match (case-insensitive)
    protected: list[str] = field(default_factory=list)  # files that must stay byte for byte the same
    slow: bool = False


# ---- small writers ------------------------------------------------------------------------
def _obj(path: Path, vertices, faces) -> Path:
    lines = [f"v {x} {y} {z}" for x, y, z in vertices] + [f"f {a} {b} {c}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n")
    return path


def _png(path: Path, array: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(array).save(path)
    return path


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares ``width`` x ``height`` (a decompression bomb in a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def _views(folder: Path, size: int = VIEW_SIZE, n: int = 2) -> Path:
    from pipeline.views.geometry import camera_from_view
    from pipeline.views.views_io import write_views

    folder.mkdir(parents=True, exist_ok=True)
    cams = []
    for k in range(n):
        angle = math.radians(-90 + 40 * k)
        pos = (SEAT[0] + 2 * math.cos(angle), SEAT[1] + 2 * math.sin(angle), SEAT[2] + 1.0)
        cams.append(camera_from_view(pos, SEAT, (0, 0, 1), 60.0, size, size, name=f"view_{k:02d}"))
    write_views(folder, cams, target=SEAT, normal=(0, 0, 1))
    return folder


def _project(doc: dict, extra: dict[str, bytes] | None = None) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.json", json.dumps(doc))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _doc(**changes) -> dict:
    doc = {"format": "genzi-project/1", "scene": {"path": str(SAMPLE)},
           "people": [{"name": "P", "target": {"point": list(SEAT), "normal": [0, 0, 1], "radius": 0.0}}]}
    doc.update(changes)
    return doc


# ---- the corpus ---------------------------------------------------------------------------
def make_corpus(root: str | Path, with_slow: bool = True) -> list[Case]:
    """Write the inputs under ``root``; ``with_slow=False`` skips the large files of slow cases."""
    root = Path(root)
    s, m, p, i, v = (root / d for d in ("scenes", "models", "projects", "images", "views"))
    for d in (s, m, p, i, v):
        d.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    seat = [str(x) for x in SEAT]

    def views_cli(scene, at=seat, outcome=REFUSED, message="", **kw):
        return dict(entry="cli", args=["views", "--scene", str(scene), "--at", *at, "--out", "{out}", "--views", "2",
                                       "--size", str(VIEW_SIZE)], outcome=outcome, message=message, **kw)

    # scene files: through `genzi views` and the desktop's File > Open scene
    raw = SAMPLE.read_bytes()
    scene_files = {
        "empty.glb": (b"", "empty|no geometry|cannot load|not a"),
        "truncated.glb": (raw[:2000], "cannot load|truncated|damaged|corrupt|not a"),
        "glb_named.obj": (raw, "cannot load|no geometry|not a|OBJ"),
        "notes.txt": (b"just some notes", "cannot load|not a scene|format|suffix|extension"),
        "garbage.ply": (os.urandom(4096), "cannot load|not a|PLY|damaged"),
    }
    for name, (data, message) in scene_files.items():
        path = s / name
        path.write_bytes(data)
        cases.append(Case(f"scene-{name}", **views_cli(path, message=message)))
        cases.append(Case(f"desktop-scene-{name}", "scene", path=str(path), message=message))
    nan = _obj(s / "nan_vertices.obj", [(0, 0, 0), (1, 0, float("nan")), (0, 1, 0)], [(1, 2, 3)])
    inf = _obj(s / "inf_vertices.obj", [(0, 0, 0), (1, 0, float("inf")), (0, 1, 0)], [(1, 2, 3)])
    oob = _obj(s / "faces_out_of_range.obj", [(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(1, 2, 9)])
    flat = _obj(s / "zero_area.obj", [(0, 0, 0), (1, 0, 0), (2, 0, 0)], [(1, 2, 3), (1, 1, 1)])
    for path in (nan, inf, oob, flat):
        cases.append(Case(f"scene-{path.name}", **views_cli(path, message="cannot load|no usable|not finite|NaN|face|triangle|empty|no geometry")))
        cases.append(Case(f"desktop-scene-{path.name}", "scene", path=str(path),
                          message="no usable|not finite|NaN|face|triangle|empty|no geometry|cannot"))
    folder = s / "a_folder.glb"
    folder.mkdir(exist_ok=True)
    cases.append(Case("scene-directory", **views_cli(folder, message="folder|directory|not a file|cannot load")))
    cases.append(Case("desktop-scene-directory", "scene", path=str(folder), message="folder|directory|not a file|cannot"))
    cases.append(Case("scene-missing", **views_cli(s / "missing.glb", message="does not exist|no such|not found")))
    # hard but valid scenes: they load and give views
    import trimesh

    odd = s / "räume mit leerzeichen"
    odd.mkdir(exist_ok=True)
    unicode_scene = odd / "wohnzimmer ü.glb"
    unicode_scene.write_bytes(raw)
    cases.append(Case("scene-unicode-path", **views_cli(unicode_scene, outcome=WORKS, message="wrote")))
    mm_room = s / "room_mm.obj"
    room = trimesh.creation.box(extents=(4000.0, 3000.0, 2500.0))
    room.apply_translation((0, 0, 1250.0))
    room.export(mm_room)
    cases.append(Case("scene-millimetres", **views_cli(mm_room, at=["0", "0", "0.0"], outcome=WORKS, message="wrote")))
    torus = trimesh.creation.torus(1.0, 0.3)
    nonmanifold = trimesh.util.concatenate([torus, trimesh.Trimesh(torus.vertices, torus.faces[:10])])
    nonmanifold.export(s / "non_manifold.ply")
    cases.append(Case("scene-non-manifold", **views_cli(s / "non_manifold.ply", at=["1.0", "0", "0.3"],
                                                         outcome=WORKS, message="wrote")))
    if with_slow:
        n = 1000  # a 1000 x 1000 quad floor: 2 M triangles
        xs = np.linspace(-5, 5, n + 1)
        grid = np.stack(np.meshgrid(xs, xs, indexing="ij"), -1).reshape(-1, 2)
        vertices = np.column_stack([grid, 0.01 * np.sin(grid[:, 0] * 7) * np.cos(grid[:, 1] * 5)])
        idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
        a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
        faces = np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
        trimesh.Trimesh(vertices, faces, process=False).export(s / "two_million.ply")
    cases.append(Case("scene-2M-triangles", **views_cli(s / "two_million.ply", at=["0.3", "0.2", "0.0"],
                                                         outcome=WORKS, message="wrote"), slow=True))

    # targets
    for name, at, message in [("far-away", ["100", "0", "0.5"], "outside the scene"),
                              ("nan", ["nan", "0", "0.5"], "finite"),
                              ("infinite", ["0", "inf", "0.5"], "finite")]:
        cases.append(Case(f"target-{name}", **views_cli(SAMPLE, at=at, message=message)))
    cases.append(Case("target-empty-air", **views_cli(SAMPLE, at=["0", "-1.0", "2.2"], outcome=NO_RESULT,
                                                       message="not on a surface.*nearest surface")))
    cases.append(Case("target-inside-solid", **views_cli(SAMPLE, at=["0", "-2.41", "0.3"], outcome=NO_RESULT,
                                                          message="inside|not on a surface")))

    # views.json for `genzi fit`
    good_views = _views(v / "good")
    hyp = i / "blank"
    hyp.mkdir(exist_ok=True)
    for k in range(2):
        _png(hyp / f"view_{k:02d}.png", np.full((VIEW_SIZE, VIEW_SIZE, 3), 255, np.uint8))

    def fit_cli(views=good_views, hypotheses=hyp, outcome=REFUSED, message="", extra=(), **kw):
        return dict(entry="cli", args=["fit", "--scene", str(SAMPLE), "--views", str(views), "--hypotheses",
                                       str(hypotheses), "--out", "{out}", "--iterations", "8", "--no-scene", *extra],
                    outcome=outcome, message=message, **kw)

    bad_views = {
        "not_json": "{ not json",
        "a_list": "[1, 2, 3]",
        "views_are_text": json.dumps({"image_size": [64, 64], "views": ["view_00"]}),
        "size_is_text": json.dumps({"image_size": ["wide", "tall"], "views": []}),
        "zero_focal": None,
        "nan_camera": None,
        "skewed_rotation": None,
    }
    good = json.loads((good_views / "views.json").read_text())
    for name, text in bad_views.items():
        folder = v / name
        folder.mkdir(exist_ok=True)
        if text is None:
            doc = json.loads(json.dumps(good))
            if name == "zero_focal":
                doc["views"][0]["K"] = [[0, 0, 32], [0, 0, 32], [0, 0, 1]]
            elif name == "nan_camera":
                doc["views"][0]["world_to_camera"][0][3] = float("nan")
            else:
                doc["views"][0]["world_to_camera"][0][:3] = [3.0, 0.0, 0.0]
            text = json.dumps(doc)
        (folder / "views.json").write_text(text)
        cases.append(Case(f"views-{name}", **fit_cli(views=folder, message="views.json|view_00|JSON|K|world_to_camera")))

    # images for `genzi fit` and the desktop's Import my images
    def image_set(name: str, make) -> Path:
        folder = i / name
        folder.mkdir(exist_ok=True)
        make(folder)
        return folder

    sets = {
        "other_size": (lambda f: [_png(f / f"view_{k:02d}.png", np.zeros((32, 48, 3), np.uint8)) for k in range(2)],
                       "is 48x32"),
        "mixed_sizes": (lambda f: [_png(f / "view_00.png", np.zeros((64, 64, 3), np.uint8)),
                                   _png(f / "view_01.png", np.zeros((96, 128, 3), np.uint8))], "1 of 2 images.*128x96"),
        "truncated_png": (lambda f: (f / "view_00.png").write_bytes(
            _png(f / "tmp.png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).read_bytes()[:900])
            and (f / "tmp.png").unlink(), "damaged|truncated"),
        "huge_png": (lambda f: _png_header_only(f / "view_00.png", 15000, 15000), "too large"),
        "text_as_png": (lambda f: (f / "view_00.png").write_text("not an image"), "not an image"),
        "wrong_names": (lambda f: _png(f / "photo.png", np.zeros((64, 64, 3), np.uint8)), "no hypothesis images"),
    }
    for name, (make, message) in sets.items():
        folder = image_set(name, make)
        cases.append(Case(f"images-{name}", **fit_cli(hypotheses=folder, message=message)))
        cases.append(Case(f"desktop-images-{name}", "images", path=str(folder),
                          message=message if name != "wrong_names" else "no hypothesis images"))
    more = image_set("more_than_views", lambda f: [_png(f / f"view_{k:02d}.png",
                                                         np.full((64, 64, 3), 255, np.uint8)) for k in range(5)])
    cases.append(Case("images-blank-and-more-than-views", **fit_cli(hypotheses=more, outcome=NO_RESULT,
                                                                     message="not fitted|no usable|person"), slow=True))

    # body and inpainting models
    evil = m / "SMPLX_NEUTRAL.pkl"
    evil.write_bytes(b"cos\nsystem\n(S'touch " + str(root / "PWNED").encode() + b"'\ntR.")
    cases.append(Case("model-smplx-pickle-without-consent", **fit_cli(extra=("--model", "smplx", "--model-path", str(evil)),
                                                                       message="pickle|--allow-pickle")))
    cases.append(Case("model-smplx-missing", **fit_cli(extra=("--model", "smplx", "--model-path", str(m / "none.npz")),
                                                        message="does not exist|not found|no such")))
    empty_npz = m / "empty.npz"
    np.savez(empty_npz, nothing=np.zeros(1))
    cases.append(Case("model-smplx-wrong-contents", **fit_cli(extra=("--model", "smplx", "--model-path", str(empty_npz)),
                                                               message="SMPL-X|missing|not a|lacks|key")))

    def generate_cli(model, message, outcome=REFUSED, **kw):
        return dict(entry="cli", args=["generate", "--scene", str(SAMPLE), "--at", *seat, "--prompt",
                                       "a person sitting", "--out", "{out}", "--model", str(model), "--device", "cpu"],
                    outcome=outcome, message=message, **kw)

    empty_model = m / "empty_folder"
    empty_model.mkdir(exist_ok=True)
    corrupt = m / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header" + os.urandom(64))
    ckpt = m / "model.ckpt"
    ckpt.write_bytes(evil.read_bytes())
    wrong = m / "wrong_architecture"
    wrong.mkdir(exist_ok=True)
    (wrong / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionXLPipeline"}))
    for name, model, message in [("missing-folder", m / "no_such_model", "not found|does not exist|no such|cannot find"),
                                 ("empty-folder", empty_model, "model_index|not a diffusers|empty|cannot|no model"),
                                 ("corrupt-safetensors", corrupt, "safetensors|damaged|corrupt|cannot|header"),
                                 ("pickle-ckpt", ckpt, "pickle|ckpt|safetensors|not load"),
                                 ("wrong-architecture", wrong, "inpaint|architecture|pipeline|not|cannot")]:
        cases.append(Case(f"model-{name}", **generate_cli(model, message)))

    # project files through the desktop's File > Open project
    def project_file(name: str, data: bytes | None) -> Path:
        path = p / name
        if data is not None:
            path.write_bytes(data)
        return path

    secret = root / "secret.txt"
    secret.write_text("not for sharing")
    link_project = p / "links.genzi"
    link_project.mkdir(exist_ok=True)
    (link_project / "project.json").write_text(json.dumps(_doc(people=[{"name": "P", "runs": ["runs/p0_0"]}])))
    if not (link_project / "runs").exists():
        (link_project / "runs").mkdir()
        os.symlink(root, link_project / "runs" / "p0_0")
    no_json = p / "folder_without_json.genzi"
    no_json.mkdir(exist_ok=True)
    project_cases = {
        "corrupt_json": (_project({}).replace(b"{}", b"{ "), "damaged|not a GenZI"),
        "not_a_zip": (b"PK\x03\x04 but not really", "not a GenZI project"),
        "missing_scene": (_project(_doc(scene={"path": str(root / "gone" / "scene.glb")})), "missing|not found"),
        "escaping_run": (_project(_doc(people=[{"name": "P", "runs": ["../../../etc"]}])), "leads out"),
        "absolute_run": (_project(_doc(people=[{"name": "P", "runs": [str(root)]}])), "absolute path"),
        "absolute_embedded_scene": (_project(_doc(scene={"embedded": str(SAMPLE)})), "absolute path"),
        "zip_slip": (_project(_doc(), {"../../escaped.txt": b"x"}), "unsafe path"),
        "newer_version": (_project(_doc(format="genzi-project/9")), "newer GenZI Desktop"),
        "wrong_types": (_project(_doc(people=["x"])), r"people\[0\]: expected an object"),
        "nan_camera": (_project(_doc(people=[{"name": "P", "cameras": [{
            "name": "v", "width": 64, "height": 64, "fov_y_deg": 60,
            "world_to_camera": [[math.nan] * 4] * 4}]}])).replace(b"NaN", b"NaN"), "finite"),
        "bad_target": (_project(_doc(people=[{"name": "P", "target": {"point": [0, 0]}}])), "target.point"),
        "zip_bomb": (None, "far more than a project packs"),
    }
    for name, (data, message) in project_cases.items():
        path = project_file(f"{name}.genzi", data)
        if name == "zip_bomb":
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
                zf.writestr("project.json", json.dumps(_doc()))
                zf.writestr("runs/p0_0/zeros.bin", b"\0" * (64 * 1024**2))
        cases.append(Case(f"project-{name}", "project", path=str(path), message=message, protected=[str(path)]))
    cases.append(Case("project-folder-with-links", "project", path=str(link_project), outcome=WORKS,
                      message="", protected=[str(link_project / "project.json"), str(secret)]))
    cases.append(Case("project-folder-without-json", "project", path=str(no_json), message="not a GenZI project"))

    # export: the run's own files are never overwritten
    run = root / "run"
    run.mkdir(exist_ok=True)
    (run / "report.json").write_text(json.dumps({"bodies": [{"set": "set_0", "mesh": "body_0.obj"}]}))
    _obj(run / "body_0.obj", [(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(1, 2, 3)])
    cases.append(Case("export-onto-the-report", "cli", ["export", str(run), "--format", "obj", "--out",
                                                         str(run / "report.json")],
                      outcome="no-result", message="does not end in .obj", protected=[str(run / "report.json")]))
    cases.append(Case("export-onto-a-run-mesh", "cli", ["export", str(run), "--out", str(run / "body_0.obj")],
                      outcome="no-result", message="run's own files", protected=[str(run / "body_0.obj")]))
    cases.append(Case("export-not-a-run", "cli", ["export", str(s), "--out", "{out}/bodies.obj"],
                      outcome="no-result", message="report|run folder|not"))
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    made = make_corpus(out)
    for case in made:
        print(f"{case.entry:8} {case.outcome:9} {case.name}")
    print(f"{len(made)} cases in {out}")
