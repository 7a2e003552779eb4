"""How a run's people look in an export: the outfit its prompt asks for, the style the
user chose, and colours taken from the run's own paintings.

Choices are recorded in ``appearance.json`` in the run folder (``genzi fit``/``generate``
write them) and read back as part of the run's export settings
(:func:`pipeline.export.options.recorded_export`); ``genzi export`` options override them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.appearance import PaintedView, colours_from_paintings
from pipeline.appearance.styles import COLOUR_SOURCES, check_style
from pipeline.body.garments import outfit_for_prompt, posed_part_vertices, with_choice
from pipeline.body.garments.fitting import fit_outfit
from pipeline.core.atomic import read_json, write_json_atomic
from pipeline.export.options import APPEARANCE_FILE, recorded_export
from pipeline.export.styling import Appearance

_LOOKS: dict[tuple, tuple[dict, dict]] = {}  # recent bakes: restyling must not bake again
_LOOKS_KEPT = 8

def record_appearance(run_dir: str | Path, style: str | None = None, outfit: str | None = None,
                      hair: str | None = None, colours: str | None = None) -> Path | None:
    """Write the user's appearance choices for a run (only the ones given)."""
    choices = {k: v for k, v in (("style", style), ("outfit", outfit), ("hair", hair), ("colours", colours)) if v}
    if not choices:
        return None
    path = Path(run_dir) / APPEARANCE_FILE
    write_json_atomic(path, choices)
    return path


def _painted_views(run_dir: Path, entry: dict) -> list[PaintedView]:
    from PIL import Image

    from pipeline.views.views_io import load_views

    cameras, _ = load_views(run_dir / "views")
    folder = run_dir / f"round_{int(entry.get('round', 1))}" / "images" / str(entry.get("set", ""))
    weights = entry.get("view_weights") or {}
    views = []
    for cam in cameras:
        path = folder / f"{cam.name}.png"
        if path.is_file():
            image = np.asarray(Image.open(path).convert("RGB"))
            views.append(PaintedView(cam, image, float(weights.get(cam.name, 1.0))))
    return views


def painted_look(run_dir: Path, entry: dict, body, hm08_index, outfit, *, bake: bool = True, cancel=None):
    """(region colours, textures by part name) from the paintings the body was fitted to;
    ({}, {}) when there are none."""
    report = Path(run_dir) / "report.json"
    key = (str(Path(run_dir).resolve()), report.stat().st_mtime_ns if report.is_file() else 0,
           str(entry.get("set", "")), int(entry.get("round", 1)),
           None if outfit is None else tuple(outfit.asset_names()),
           None if body.skin is None else hash(body.skin.posed_matrices.tobytes()), bake)
    if key in _LOOKS:
        return _LOOKS[key]
    found = _painted_look(Path(run_dir), entry, body, hm08_index, outfit, bake, cancel)
    _LOOKS[key] = found
    while len(_LOOKS) > _LOOKS_KEPT:
        _LOOKS.pop(next(iter(_LOOKS)))
    return found


def _painted_look(run_dir: Path, entry: dict, body, hm08_index, outfit, bake: bool, cancel=None):
    from pipeline.appearance.textured import bake_dressed, body_face_uv

    try:
        views = _painted_views(run_dir, entry)
    except (OSError, ValueError):
        return {}, {}
    if not views or body.skin is None:
        return {}, {}
    dressed = fit_outfit(body.skin, hm08_index, outfit, body_face_uv(hm08_index, len(body.skin.faces)))
    parts = [(posed_part_vertices(dressed.skin, p.rest_vertices, p.joint_indices, p.joint_weights), p.faces,
              p.face_region) for p in dressed.parts()]
    colours = {region: c.rgb for region, c in colours_from_paintings(parts, views).items()}
    if not bake:
        return colours, {}
    baked = bake_dressed(dressed, views, region_colours=colours, cancel=cancel)
    return colours, {name: t.image for name, t in baked.items()}


def painted_colours(run_dir: Path, entry: dict, body, hm08_index, outfit) -> dict[str, tuple[float, float, float]]:
    """Region colours from the paintings the body was fitted to ({} when there are none)."""
    return painted_look(run_dir, entry, body, hm08_index, outfit, bake=False)[0]


def run_appearance(run_dir: str | Path, index: int, entry: dict, body, hm08_index, *, style: str | None = None,
                   outfit: str | None = None, hair: str | None = None, colours: str | None = None) -> Appearance:
    """The appearance of body ``index`` of a run: options, else the recorded choices, else
    the prompt's outfit, ``clothed`` and colours from the paintings."""
    run_dir = Path(run_dir)
    recorded = recorded_export(run_dir)
    config = read_json(run_dir / "config.json") if (run_dir / "config.json").is_file() else {}
    style = check_style(style or recorded.style or "clothed")
    colours = colours or recorded.colours or "paintings"
    if colours not in COLOUR_SOURCES:
        raise ValueError(f"Unknown colour source {colours!r}; choose one of {', '.join(COLOUR_SOURCES)}.")
    request = config.get("request", config)
    chosen = outfit_for_prompt(str(request.get("prompt", "")), int(request.get("seed", 0) or 0) + index)
    chosen = with_choice(chosen, suit=outfit or recorded.outfit, hair=hair or recorded.hair)
    found, textures = {}, {}
    if style == "clothed" and colours == "paintings" and hm08_index is not None:
        found, textures = painted_look(run_dir, entry, body, hm08_index, chosen)
    return Appearance(style=style, outfit=chosen, colours=found, person_index=index, textures=textures)


def styled_run_bodies(run_dir: str | Path, bodies: list, indices: list[int] | None, **choices) -> tuple[list, list[str]]:
    """``bodies`` (from :func:`pipeline.export.run_folder.bodies_of_run`) dressed and styled."""
    from pipeline.body.spec import BodySpec, load_body
    from pipeline.export.run_folder import read_report
    from pipeline.export.styling import styled_body

    entries = read_report(run_dir)["bodies"]
    indices = list(range(len(entries))) if indices is None else list(indices)
    out, warnings = [], []
    hm08: dict[str, np.ndarray | None] = {}
    for index, body in zip(indices, bodies):
        entry = entries[index]
        kind = str(entry.get("model") or "anny")
        if kind not in hm08:
            hm08[kind] = load_body(BodySpec.of(kind)).hm08_vertex_indices() if kind == "anny" else None
        look = run_appearance(run_dir, index, entry, body, hm08[kind], **choices)
        styled, notes = styled_body(body, look, hm08[kind])
        out.append(styled)
        warnings.extend(f"body {index}: {n}" for n in notes)
    return out, warnings


def appearance_for_result(choices: dict, *, prompt: str, seed: int, person_index: int, body, hm08_index,
                          run_dir: str | Path | None = None, set_name: str = "", default_style: str = "clothed",
                          cancel=None) -> Appearance:
    """A kept result's appearance from the user's ``choices`` (style, outfit, hair, colours;
    missing = automatic): the prompt's outfit, and colours from the run's paintings."""
    style = check_style(choices.get("style") or default_style)
    outfit = with_choice(outfit_for_prompt(prompt, seed), suit=choices.get("outfit"), hair=choices.get("hair"))
    found, textures = {}, {}
    if style == "clothed" and choices.get("colours", "paintings") == "paintings" and run_dir and hm08_index is not None:
        from pipeline.export.run_folder import read_report

        try:
            entries = read_report(run_dir)["bodies"]
        except (OSError, ValueError, KeyError):
            entries = []
        entry = next((e for e in entries if e.get("set") == set_name), None)
        if entry is not None:
            found, textures = painted_look(Path(run_dir), entry, body, hm08_index, outfit, cancel=cancel)
    return Appearance(style=style, outfit=outfit, colours=found, person_index=person_index, textures=textures)
