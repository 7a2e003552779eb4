"""The frame each receiving application's importer expects, per format.

OBJ says nothing about axes or unit, so it must be written the way the target's OBJ importer
reads it by default (Blender's and 3ds Max's assume Y-up and would lay a Z-up body on its
back; Rhino, SketchUp and Revit read Z-up). FBX records its axes, but each tool still has a
native unit it imports best. GLB is always Y-up metres. One table, read by the CLI's
``--app`` and the export dialog's "Target application" list.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.export.axes_units import AxesUnits


@dataclass(frozen=True)
class AppPreset:
    key: str
    label: str
    obj: AxesUnits
    fbx: AxesUnits
    note: str

    def frame_for(self, fmt: str) -> AxesUnits | None:
        """The frame for ``fmt`` ("obj", "fbx", "glb", ...); None where the format's own default holds."""
        if fmt in ("obj", "ply"):
            return self.obj
        if fmt == "fbx":
            return self.fbx
        return None


APPS: dict[str, AppPreset] = {
    "blender": AppPreset("blender", "Blender", AxesUnits("y", "m"), AxesUnits("y", "m"),
                         "Blender's OBJ importer assumes Y-up (forward -Z); metres."),
    "rhino": AppPreset("rhino", "Rhino", AxesUnits("z", "mm"), AxesUnits("z", "mm"),
                       "Rhino is Z-up; architectural templates are in millimetres."),
    "sketchup": AppPreset("sketchup", "SketchUp", AxesUnits("z", "m"), AxesUnits("z", "m"),
                          "SketchUp is Z-up; choose metres in its OBJ import options (or use Collada)."),
    "3dsmax": AppPreset("3dsmax", "3ds Max", AxesUnits("y", "cm"), AxesUnits("z", "cm"),
                        "3ds Max's OBJ importer flips Y-up to Z-up by default; centimetres."),
    "unreal": AppPreset("unreal", "Unreal Engine", AxesUnits("y", "cm"), AxesUnits("z", "cm"),
                        "Unreal is Z-up centimetres; its OBJ import treats files as Y-up."),
    "unity": AppPreset("unity", "Unity", AxesUnits("y", "m"), AxesUnits("y", "m"),
                       "Unity is Y-up metres."),
    "revit": AppPreset("revit", "Revit", AxesUnits("z", "mm"), AxesUnits("z", "mm"),
                       "Revit reads OBJ Z-up; pick millimetres in its import dialog."),
}


def app_preset(key: str) -> AppPreset:
    try:
        return APPS[str(key).lower()]
    except KeyError:
        raise ValueError(f"Unknown application {key!r}: choose one of {', '.join(APPS)}.") from None
