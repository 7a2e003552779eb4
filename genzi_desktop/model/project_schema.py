"""The shape of ``project.json``, checked in full before anything in it is used.

A project file may come from anyone, so every field is checked for its type, every number
for being finite, and every stored path for staying inside the project: a wrong file is
refused with one message naming the field (``people[0].cameras[1].width``), instead of
failing later, somewhere, with a traceback.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from pipeline.scene.scene import SceneImportOptions

FORMAT_NAME = "genzi-project"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"


class ProjectError(RuntimeError):
    """A project could not be read or written; the message says what to do."""


class _Invalid(ValueError):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")


_NUMBER = (int, float)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _expect(value: Any, kinds: tuple, where: str, wanted: str) -> Any:
    if isinstance(value, bool) and bool not in kinds:
        raise _Invalid(where, f"expected {wanted}, found {_type_name(value)}")
    if not isinstance(value, kinds):
        raise _Invalid(where, f"expected {wanted}, found {_type_name(value)} ({str(value)[:40]!r})")
    return value


def _number(value: Any, where: str, *, positive: bool = False, integer: bool = False) -> float:
    _expect(value, (int,) if integer else _NUMBER, where, "a whole number" if integer else "a number")
    if not math.isfinite(float(value)):
        raise _Invalid(where, f"must be a finite number, found {value!r}")
    if positive and value <= 0:
        raise _Invalid(where, f"must be above 0, found {value!r}")
    return float(value)


def _vector(value: Any, where: str, size: int) -> None:
    _expect(value, (list,), where, f"a list of {size} numbers")
    if len(value) != size:
        raise _Invalid(where, f"expected {size} numbers, found {len(value)}")
    for i, v in enumerate(value):
        _number(v, f"{where}[{i}]")


def _matrix(value: Any, where: str, rows: int, cols: int) -> None:
    _expect(value, (list,), where, f"a {rows}x{cols} matrix")
    if len(value) != rows:
        raise _Invalid(where, f"expected {rows} rows, found {len(value)}")
    for i, row in enumerate(value):
        _vector(row, f"{where}[{i}]", cols)


def inside_path(value: Any, where: str) -> str:
    """A path stored in the project: relative, with no ``..``, so it stays inside the project."""
    _expect(value, (str,), where, "a path inside the project")
    if not value:
        return value
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or re.match(r"^[A-Za-z]:", value):
        raise _Invalid(where, f"{value!r} is an absolute path; a project may only name files inside itself")
    if ".." in posix.parts or ".." in windows.parts:
        raise _Invalid(where, f"{value!r} leads out of the project; a project may only name files inside itself")
    return value


def _check_target(t: Any, where: str) -> None:
    _expect(t, (dict,), where, "an object with point, normal and radius")
    if "point" not in t:
        raise _Invalid(where, "has no 'point'")
    _vector(t["point"], f"{where}.point", 3)
    if "normal" in t:
        _vector(t["normal"], f"{where}.normal", 3)
        if all(abs(float(c)) < 1e-12 for c in t["normal"]):
            raise _Invalid(f"{where}.normal", "must not be the zero vector")
    if "radius" in t:
        if _number(t["radius"], f"{where}.radius") < 0:
            raise _Invalid(f"{where}.radius", "must be 0 or more")


def _check_camera(c: Any, where: str) -> None:
    _expect(c, (dict,), where, "an object (a camera)")
    for key in ("width", "height"):
        if key not in c:
            raise _Invalid(where, f"has no {key!r}")
        _number(c[key], f"{where}.{key}", positive=True, integer=True)
    if "fov_y_deg" in c:
        if not 0 < _number(c["fov_y_deg"], f"{where}.fov_y_deg") < 180:
            raise _Invalid(f"{where}.fov_y_deg", "must be between 0 and 180 degrees")
    elif "K" in c:
        _matrix(c["K"], f"{where}.K", 3, 3)
    else:
        raise _Invalid(where, "has neither 'fov_y_deg' nor 'K'")
    if "world_to_camera" not in c:
        raise _Invalid(where, "has no 'world_to_camera'")
    _matrix(c["world_to_camera"], f"{where}.world_to_camera", 4, 4)
    if "name" in c:
        _expect(c["name"], (str,), f"{where}.name", "a text")
    if c.get("look_at") is not None:
        _vector(c["look_at"], f"{where}.look_at", 3)
    if "extra" in c:
        _expect(c["extra"], (dict,), f"{where}.extra", "an object")


def _check_prompt(p: Any, where: str) -> None:
    _expect(p, (dict,), where, "an object (the prompt settings)")
    for key in ("prompt", "negative_prompt", "subject_word", "preset"):
        if key in p:
            _expect(p[key], (str,), f"{where}.{key}", "a text")
    for key in ("seed", "num_results"):
        if key in p:
            _number(p[key], f"{where}.{key}", integer=True)
    if "overrides" in p:
        _expect(p["overrides"], (dict,), f"{where}.overrides", "an object")


def _check_result(r: Any, where: str) -> None:
    _expect(r, (dict,), where, "an object (a kept body)")
    for key in ("id", "name", "prompt", "score"):
        if key not in r:
            raise _Invalid(where, f"has no {key!r}")
    for key in ("id", "name", "prompt", "set_name"):
        if key in r:
            _expect(r[key], (str,), f"{where}.{key}", "a text")
    _expect(r["score"], _NUMBER, f"{where}.score", "a number")
    for key in ("mesh", "run"):
        if key in r:
            inside_path(r[key], f"{where}.{key}")
    for key in ("metrics", "params", "view_weights"):
        if key in r:
            _expect(r[key], (dict,), f"{where}.{key}", "an object")
    if "visible" in r:
        _expect(r["visible"], (bool,), f"{where}.visible", "true/false")
    if "seed" in r:
        _number(r["seed"], f"{where}.seed", integer=True)


def _list_of(value: Any, where: str, check) -> None:
    _expect(value, (list,), where, "a list")
    for i, item in enumerate(value):
        check(item, f"{where}[{i}]")


def _check_person(p: Any, where: str) -> None:
    _expect(p, (dict,), where, "an object (a person)")
    if "name" in p:
        _expect(p["name"], (str,), f"{where}.name", "a text")
    if p.get("target") is not None:
        _check_target(p["target"], f"{where}.target")
    if "cameras" in p:
        _list_of(p["cameras"], f"{where}.cameras", _check_camera)
    if "prompt" in p:
        _check_prompt(p["prompt"], f"{where}.prompt")
    if "runs" in p:
        _list_of(p["runs"], f"{where}.runs", inside_path)
    if "excluded_images" in p:
        _list_of(p["excluded_images"], f"{where}.excluded_images",
                 lambda v, w: _expect(v, (str,), w, "a text"))
    if "results" in p:
        _list_of(p["results"], f"{where}.results", _check_result)


def _check_outline(value: Any, where: str) -> None:
    """Rows the user hid or showed: lists of element paths, each a list of row labels."""
    _expect(value, (dict,), where, "an object with the hidden and shown rows")
    for key in ("hidden", "shown"):
        if key in value:
            _list_of(value[key], f"{where}.{key}", lambda path, w: _list_of(
                path, w, lambda label, w2: _expect(label, (str,), w2, "a row label")))


def _check_export(value: Any, where: str) -> None:
    """The export section: names or null, ``with_scene`` true/false (which names are known is
    decided when it is read: a newer version's format is dropped, not refused)."""
    _expect(value, (dict,), where, "an object (the export settings)")
    for key, v in value.items():
        if key == "with_scene":
            _expect(v, (bool,), f"{where}.{key}", "true/false")
        elif v is not None:
            _expect(v, (str,), f"{where}.{key}", "a name or null")


def _check_view(value: Any, where: str) -> None:
    """Where the viewport looked from: three points and a vertical view angle."""
    _expect(value, (dict,), where, "an object (the viewport's view)")
    for key in ("position", "focal_point", "up"):
        if key in value:
            _vector(value[key], f"{where}.{key}", 3)
    if "view_angle" in value and not 0 < _number(value["view_angle"], f"{where}.view_angle") < 180:
        raise _Invalid(f"{where}.view_angle", "must be between 0 and 180 degrees")


def check_format(data: Any) -> None:
    """Refuse a file that is not a project, or one written by a newer version of the app."""
    if not isinstance(data, dict):
        raise ProjectError(f"This is not a GenZI project: project.json holds {_type_name(data)}, not an object.")
    fmt = data.get("format")
    match = re.fullmatch(rf"{FORMAT_NAME}/(\d+)", fmt) if isinstance(fmt, str) else None
    if match is None:
        raise ProjectError(
            f"This is not a GenZI project of a known version (format {fmt!r}, expected {FORMAT!r}); "
            "open it with the GenZI Desktop version that saved it.")
    if int(match.group(1)) > FORMAT_VERSION:
        raise ProjectError(
            f"This project was saved by a newer GenZI Desktop (format {fmt}; this version reads up to "
            f"{FORMAT}). Update GenZI Desktop to open it.")


def validate_project(data: Any) -> None:
    """Check a whole ``project.json``; raises :class:`ProjectError` naming the first wrong field."""
    check_format(data)
    try:
        for key in ("created_at", "saved_at"):
            if key in data:
                _expect(data[key], (str,), key, "a text")
        scene = data.get("scene", {})
        _expect(scene, (dict,), "scene", "an object")
        if scene.get("path") is not None:
            _expect(scene["path"], (str,), "scene.path", "a file path")
        if scene.get("embedded") is not None:
            inside_path(scene["embedded"], "scene.embedded")
        if "options" in scene:
            _expect(scene["options"], (dict,), "scene.options", "an object")
            for key in ("up_axis", "unit"):
                if scene["options"].get(key) is not None:
                    _expect(scene["options"][key], (str,), f"scene.options.{key}", "a text")
            try:
                SceneImportOptions(scene["options"].get("up_axis"), scene["options"].get("unit"))
            except ValueError as exc:
                raise _Invalid("scene.options", str(exc)) from None
        if "outline" in scene:
            _check_outline(scene["outline"], "scene.outline")
        if "people" in data:
            _list_of(data["people"], "people", _check_person)
        if "active_person" in data:
            _number(data["active_person"], "active_person", integer=True)
        if "settings" in data:
            _expect(data["settings"], (dict,), "settings", "an object")
        if "export" in data:
            _check_export(data["export"], "export")
        if "view" in data:
            _check_view(data["view"], "view")
    except _Invalid as exc:
        raise ProjectError(f"The project file is damaged or was edited by hand: {exc}. "
                           "Open a saved copy of the project, or fix that entry in project.json.") from None
