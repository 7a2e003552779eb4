"""How a file's up axis and unit are chosen: what the user picked, what the file declares, or a
guess from the geometry with reasons the user can read and correct."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.guess import guess_from_geometry
from pipeline.scene.raw import RawScene, SceneLoadError, merge_parts
from pipeline.scene.units import UNIT_NAMES, normalize_unit, normalize_up_axis


@dataclass
class SceneImportOptions:
    """How to read a file that does not say its up axis or unit. ``None`` means: guess."""

    up_axis: str | None = None  # "z", "y", "-y", "x", ... None = guess
    unit: str | None = None  # "m", "cm", "mm", "in", "ft"; None = guess
    reasons: list[str] = field(default_factory=list, compare=False)  # why, when guessed

    def __post_init__(self) -> None:
        try:
            if self.up_axis is not None:
                self.up_axis = normalize_up_axis(self.up_axis)
            if self.unit is not None:
                self.unit = normalize_unit(self.unit)
        except ValueError as exc:
            raise SceneLoadError(str(exc)) from None

    def describe(self) -> str:
        """One short paragraph for the status bar or an import dialog."""
        up = (self.up_axis or "?").upper()
        unit = UNIT_NAMES.get(self.unit or "", "unknown unit")
        text = f"Up axis {up}, {unit}."
        if self.reasons:
            text += " Why: " + "; ".join(self.reasons) + "."
        return text

    def to_dict(self) -> dict:
        """For remembering the choice per file (settings, JSON)."""
        return {"up_axis": self.up_axis, "unit": self.unit}

    @classmethod
    def from_dict(cls, data: dict | None) -> "SceneImportOptions":
        data = data or {}
        return cls(up_axis=data.get("up_axis"), unit=data.get("unit"))


def require_area(mesh: trimesh.Trimesh, name: str) -> None:
    """Refuse a scene whose every face has zero area: nothing to see, pick or stand on."""
    extent = max(float(np.ptp(mesh.vertices, axis=0).max()) if len(mesh.vertices) else 0.0, 1e-9)
    if not len(mesh.faces) or not np.any(mesh.area_faces > 1e-12 * extent**2):
        raise SceneLoadError(f"{name} has no usable triangles: every face has zero area (its corners lie on "
                             "one line or point). Re-export the model with its surfaces.")


def options_for(raw: RawScene, options: SceneImportOptions | None, merged: trimesh.Trimesh | None = None) -> SceneImportOptions:
    """Fill in whatever the user left as None with the geometric guess."""
    given = options or SceneImportOptions()
    if merged is None:
        merged, _ = merge_parts(raw.geometries)
    require_area(merged, "The scene")
    if given.up_axis is not None and given.unit is not None:
        return SceneImportOptions(up_axis=given.up_axis, unit=given.unit, reasons=["chosen by the user"])
    declared = raw.declared
    if declared is not None:  # IFC, 3dm, Collada, USD, FBX headers: the file says; the user may override
        reasons = list(declared.reasons)
        if given.up_axis is not None:
            reasons = [r for r in reasons if "up" not in r] + ["up axis chosen by the user"]
        if given.unit is not None:
            reasons = [r for r in reasons if "unit" not in r] + ["unit chosen by the user"]
        return SceneImportOptions(up_axis=given.up_axis or declared.up_axis, unit=given.unit or declared.unit,
                                  reasons=reasons)
    fmt = raw.format
    prior_up, prior_unit = fmt.up_axis, fmt.unit
    up, unit, reasons = guess_from_geometry(merged.vertices, merged.faces, prior_up, prior_unit, fmt.declared)
    final_reasons = []
    if given.up_axis is not None:
        # The unit guess depends on which axis is the height: redo it for the given axis.
        up = given.up_axis
        final_reasons.append("up axis chosen by the user")
        if given.unit is None:
            from pipeline.scene.guess import guess_unit
            from pipeline.scene.units import up_axis_rotation

            h = merged.vertices @ up_axis_rotation(up).T
            unit, unit_reasons = guess_unit(float(np.ptp(h[:, 2])), prior_unit, fmt.declared)
            final_reasons += unit_reasons
    elif given.unit is not None:
        final_reasons += [r for r in reasons if "tall" not in r]
        final_reasons.append("unit chosen by the user")
        unit = given.unit
    else:
        final_reasons = reasons
    return SceneImportOptions(up_axis=up, unit=unit, reasons=final_reasons)


def guess_import_options(path_or_mesh) -> SceneImportOptions:
    """Best guess of up axis and unit for a file path, a trimesh mesh or a trimesh scene.

    The result has ``reasons`` and ``describe()`` so the user can see why and correct it.
    In-memory meshes are judged like an OBJ (no declared convention).
    """
    if isinstance(path_or_mesh, (str, os.PathLike)):
        from pipeline.scene.formats import read_raw

        raw = read_raw(path_or_mesh)
    else:
        from pipeline.scene.formats import FORMATS, to_triangle_meshes

        meshes, names, _ = to_triangle_meshes(path_or_mesh, Path("mesh"), FORMATS[".obj"])
        if not meshes or sum(len(m.faces) for m in meshes) == 0:
            raise SceneLoadError("The mesh has no triangles, so its up axis and unit cannot be guessed.")
        raw = RawScene(geometries=meshes, names=names, format=FORMATS[".obj"])
    return options_for(raw, None)
