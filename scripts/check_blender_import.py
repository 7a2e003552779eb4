#!/usr/bin/env python3
"""Optional check: import exported FBX/GLB files into Blender and confirm an armature with a
skinned mesh (an ARMATURE modifier and vertex groups named after bones).

Blender (``bpy``) is large and GPL, so it is never a dependency of GenZI: this script runs
it out of process, either through a Python that has the ``bpy`` module or through a
``blender`` executable.

    python scripts/check_blender_import.py FILE.fbx FILE.glb [--python /tmp/bpy-venv/bin/python]
    python scripts/check_blender_import.py FILE.glb --blender /opt/blender/blender

Exit status: 0 all files pass, 1 a file fails, 2 no Blender available (nothing checked).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

# Runs inside Blender. Prints one JSON line prefixed with RESULT.
INNER = r'''
import json, sys
import bpy
path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
if path.lower().endswith(".fbx"):
    bpy.ops.import_scene.fbx(filepath=path)
else:
    bpy.ops.import_scene.gltf(filepath=path)
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
meshes = []
for o in bpy.data.objects:
    if o.type != "MESH":
        continue
    mods = [m for m in o.modifiers if m.type == "ARMATURE" and m.object is not None]
    bones = set(b.name for m in mods for b in m.object.data.bones)
    groups = [g.name for g in o.vertex_groups]
    weighted = set()
    for v in o.data.vertices:
        for g in v.groups:
            if g.weight > 0:
                weighted.add(o.vertex_groups[g.group].name)
    meshes.append({"name": o.name, "vertices": len(o.data.vertices), "armature_modifiers": len(mods),
                   "vertex_groups": len(groups), "weighted_groups_that_are_bones": len(weighted & bones)})
bpy.context.view_layer.update()
depsgraph = bpy.context.evaluated_depsgraph_get()
def posed_extent(o):
    ev = o.evaluated_get(depsgraph)
    m = ev.to_mesh()
    pts = [ev.matrix_world @ v.co for v in m.vertices]
    ev.to_mesh_clear()
    return [max(p[i] for p in pts) - min(p[i] for p in pts) for i in range(3)]
dims = [posed_extent(o) for o in bpy.data.objects if o.type == "MESH" and o.vertex_groups]
print("RESULT " + json.dumps({"file": path, "blender": bpy.app.version_string,
      "armatures": [{"name": a.name, "bones": len(a.data.bones)} for a in arms],
      "meshes": meshes, "posed_world_extent_m": dims}))
'''


def find_runner(python: str | None, blender: str | None) -> list[str] | None:
    if blender:
        return [blender, "--background", "--factory-startup", "--python-expr", INNER]
    if python:
        return [python, "-c", INNER]
    try:
        import bpy  # noqa: F401

        return [sys.executable, "-c", INNER]
    except ImportError:
        pass
    exe = shutil.which("blender")
    if exe:
        return [exe, "--background", "--factory-startup", "--python-expr", INNER]
    return None


def check(runner: list[str], path: Path) -> tuple[bool, dict | str]:
    proc = subprocess.run([*runner, "--", str(path.resolve())], capture_output=True, text=True, timeout=600)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return False, (proc.stderr or proc.stdout)[-2000:]
    result = json.loads(line[len("RESULT "):])
    ok = bool(result["armatures"]) and any(
        m["armature_modifiers"] and m["weighted_groups_that_are_bones"] > 0 for m in result["meshes"]
    )
    return ok, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--python", help="a Python interpreter that can `import bpy`")
    parser.add_argument("--blender", help="a Blender executable")
    args = parser.parse_args(argv)
    runner = find_runner(args.python, args.blender)
    if runner is None:
        print("No Blender found: pass --python (with bpy installed) or --blender, or put blender on PATH.")
        return 2
    status = 0
    for path in args.files:
        ok, result = check(runner, path)
        print(("PASS " if ok else "FAIL ") + str(path))
        print(json.dumps(result, indent=1) if isinstance(result, dict) else result)
        status |= 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
