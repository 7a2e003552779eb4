"""Export fitted bodies (optionally with the scene) to OBJ, PLY, GLB, FBX, USD/USDZ and Collada,
or write them back into a copy of the architect's IFC or Rhino file.

One entry point, :func:`export_bodies`, plus :data:`FORMATS`, the per-format facts and
defaults the GUI shows and remembers. All inputs are in the pipeline's frame (Z-up metres);
each file gets the up axis and unit chosen for it.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pipeline.export.axes_units import UNITS, UP_AXES, AxesUnits
from pipeline.export.bodies import ExportBody, as_export_body, posed_vertices
from pipeline.export.errors import ExportError


@dataclass(frozen=True)
class FormatInfo:
    """What a format can hold and the frame it is written in unless the user says otherwise."""

    key: str
    suffix: str
    label: str
    rigged: bool  # keeps skeleton + weights
    default_up: str
    default_units: str
    frame_fixed: bool  # the format's specification fixes axes and unit
    note: str
    into_original: bool = False  # writes people into a copy of the opened design (``into=``)


FORMATS: dict[str, FormatInfo] = {
    "obj": FormatInfo(
        "obj", ".obj", "Wavefront OBJ (+MTL)", False, "z", "m", False,
        "Posed mesh; bodies and scene as separate objects. Rhino, SketchUp, Blender: Z-up.",
    ),
    "ply": FormatInfo(
        "ply", ".ply", "Stanford PLY (binary)", False, "z", "m", False,
        "Posed mesh merged into one, with vertex colours (MeshLab, CloudCompare).",
    ),
    "glb": FormatInfo(
        "glb", ".glb", "glTF 2.0 binary, rigged", True, "y", "m", True,
        "glTF fixes +Y up and metres; every importer converts to its own frame from that.",
    ),
    "fbx": FormatInfo(
        "fbx", ".fbx", "FBX 7.5 binary, rigged", True, "y", "cm", False,
        "Armature + skin in the fitted pose over the body's rest pose (as in GLB and USD); the header records the chosen axes/unit "
        "(default Y-up cm, Maya's; Blender and 3ds Max convert on import).",
    ),
    "usd": FormatInfo(
        "usd", ".usd", "USD (UsdSkel), rigged", True, "z", "m", False,
        "Skinned, posed people and the scene with colours; the stage records its up axis and unit "
        "(Omniverse, Blender, Houdini, Vectorworks).",
    ),
    "usdz": FormatInfo(
        "usdz", ".usdz", "USDZ for Apple Quick Look, rigged", True, "y", "m", True,
        "One zipped USD file, Y-up metres as Apple's viewers expect.",
    ),
    "dae": FormatInfo(
        "dae", ".dae", "Collada (SketchUp)", False, "z", "m", False,
        "Posed meshes with colours; the file records up axis and unit, SketchUp imports at real size.",
    ),
    "ifc": FormatInfo(
        "ifc", ".ifc", "Into a copy of the IFC design", False, "z", "m", True,
        "People as IfcBuildingElementProxy in their storey, in the project's unit; the original "
        "file is not changed.", into_original=True,
    ),
    "3dm": FormatInfo(
        "3dm", ".3dm", "Into a copy of the Rhino design", False, "z", "m", True,
        "People as meshes on a 'People' layer, one sub-layer each, in the model's unit; the "
        "original file is not changed.", into_original=True,
    ),
}

def format_for_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".usda", ".usdc"):  # USD's text and crate spellings
        return "usd"
    for key, info in FORMATS.items():
        if info.suffix == suffix:
            return key
    raise ExportError(
        f"Cannot tell the export format from {Path(path).name!r}: use a name ending in "
        + ", ".join(f.suffix for f in FORMATS.values())
        + " or pass format=..."
    )


def resolve_frame(fmt: str, up: str | None = None, units: str | None = None) -> AxesUnits:
    """The frame a file of ``fmt`` is written in: the user's choice or the format default.
    For GLB only glTF's own frame (Y-up metres) is accepted."""
    info = FORMATS[fmt]
    frame = AxesUnits(up or info.default_up, units or info.default_units)
    if info.frame_fixed and (frame.up, frame.units) != (info.default_up, info.default_units):
        if info.into_original:
            raise ExportError(
                f"{info.label}: the people take the design's own unit and up axis. Leave up axis "
                "and unit at their defaults."
            )
        raise ExportError(
            f"{info.label} is always {info.default_up.upper()}-up metres (the format fixes it; Blender, "
            "Maya, Rhino and 3ds Max convert on import). Leave up axis and unit at their defaults, or "
            "choose OBJ, PLY, FBX or USD for another frame."
        )
    return frame


def friendly_os_error(exc: OSError, path: Path) -> ExportError:
    if exc.errno == errno.ENOSPC:
        what = "the disk is full. Free some space or choose another drive, then export again."
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "this location is not writable. Choose a folder you can write to (e.g. your Documents)."
    elif exc.errno == errno.ENOENT:
        what = "the folder does not exist. Create it or choose another one."
    else:
        what = f"{exc.strerror or exc}. Check the path and free disk space, then try again."
    return ExportError(f"Could not write {path}: {what}")


def export_bodies(
    bodies: Sequence,
    path: str | Path,
    *,
    format: str | None = None,  # noqa: A002 - mirrors the CLI's --format
    up: str | None = None,
    units: str | None = None,
    scene=None,
    into: str | Path | None = None,
) -> list[Path]:
    """Write ``bodies`` (SkinnedMesh, ExportBody, trimesh.Trimesh or (V, F) pairs; world
    Z-up metres) to ``path``; with ``scene`` (pipeline Scene, trimesh Scene or path) the
    scene's meshes go into the same file. ``format`` defaults to the file suffix; ``up``
    ("z"/"y") and ``units`` ("m"/"cm"/"mm") default per format (:data:`FORMATS`).

    ``ifc`` and ``3dm`` need ``into``, the opened design: it is copied to ``path`` with the
    people added, and never modified itself.

    Returns the files written (OBJ also writes its .mtl and any textures). Raises
    ExportError with a message for the user on a full disk, an unwritable folder or a
    missing FBX converter, and ValueError for bad options.
    """
    from pipeline.export.scene_meshes import scene_meshes
    from pipeline.export.writers import body_writer

    path = Path(path)
    fmt = (format or format_for_path(path)).lower()
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    frame = resolve_frame(fmt, up, units)
    items = [as_export_body(b, i) for i, b in enumerate(bodies)]
    if not items and scene is None:
        raise ValueError("Nothing to export: select at least one body.")
    if FORMATS[fmt].into_original:
        return [_write_into(fmt, items, path, into)]
    static = scene_meshes(scene) if scene is not None else []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = body_writer(fmt)(items, path, frame=frame, static_meshes=static)
    except OSError as exc:
        raise friendly_os_error(exc, path) from exc
    return list(written) if isinstance(written, list) else [written]


def _write_into(fmt: str, items, path: Path, into) -> Path:
    from pipeline.export.writers import design_writer

    if into is None:
        raise ExportError(
            f"{FORMATS[fmt].label}: give the opened design to copy (--into DESIGN{FORMATS[fmt].suffix}); "
            "the people are written into a copy of it."
        )
    try:
        return design_writer(fmt)(items, Path(into), path)
    except OSError as exc:
        raise friendly_os_error(exc, path) from exc


__all__ = [
    "FORMATS",
    "UNITS",
    "UP_AXES",
    "AxesUnits",
    "ExportBody",
    "ExportError",
    "FormatInfo",
    "export_bodies",
    "format_for_path",
    "posed_vertices",
    "resolve_frame",
]
