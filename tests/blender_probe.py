"""Run inside Blender's Python (the ``bpy`` wheel): import one file with Blender's own importer
and write what Blender sees as JSON; optionally render it to a PNG with Cycles on the CPU.

Usage: ``python blender_probe.py FILE OUT.json [RENDER.png]``. Needs only bpy and the
standard library, so it runs in a separate virtual environment from the app's.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import bpy
from mathutils import Vector


def import_file(path: Path) -> None:
    ext = path.suffix.lower()
    if ext == ".obj":
        bpy.ops.wm.obj_import(filepath=str(path))
    elif ext in (".usd", ".usda", ".usdc", ".usdz"):
        bpy.ops.wm.usd_import(filepath=str(path))
    elif ext == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    elif ext in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=str(path))
    elif ext == ".ply":
        bpy.ops.wm.ply_import(filepath=str(path))
    else:
        raise SystemExit(f"no Blender importer for {ext}")


def describe() -> dict:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    meshes = {}
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH":
            continue
        evaluated = obj.evaluated_get(depsgraph)  # armature deformation applied
        mesh = evaluated.to_mesh()
        points = [evaluated.matrix_world @ v.co for v in mesh.vertices]
        lo = [min(p[i] for p in points) for i in range(3)] if points else [0, 0, 0]
        hi = [max(p[i] for p in points) for i in range(3)] if points else [0, 0, 0]
        meshes[obj.name] = {"vertices": len(mesh.vertices), "faces": len(mesh.polygons), "min": lo, "max": hi,
                            "uv_layers": len(mesh.uv_layers), "armature": any(m.type == "ARMATURE" for m in obj.modifiers)}
        evaluated.to_mesh_clear()
    return {"meshes": meshes, "armatures": sum(o.type == "ARMATURE" for o in bpy.context.scene.objects),
            "images": len([i for i in bpy.data.images if i.type == "IMAGE"])}


def render(png: Path, info: dict) -> None:
    lo = Vector([min(m["min"][i] for m in info["meshes"].values()) for i in range(3)])
    hi = Vector([max(m["max"][i] for m in info["meshes"].values()) for i in range(3)])
    centre, size = (lo + hi) / 2, max((hi - lo).length, 0.5)
    scene = bpy.context.scene
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    height = hi.z - lo.z
    camera.location = Vector((centre.x, centre.y - 0.3 * size, hi.z + 0.9 * size))
    camera.rotation_euler = (centre - camera.location).to_track_quat("-Z", "Y").to_euler()
    camera.data.lens = 24
    if height > 2.0:  # a room: leave out what hangs under the ceiling, and the ceiling, to look inside
        for name, mesh in info["meshes"].items():
            if mesh["min"][2] > lo.z + 0.9 * height:
                bpy.data.objects[name].hide_render = True
    camera.data.clip_end = 10 * size
    scene.camera = camera
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.rotation_euler = (math.radians(40), 0, math.radians(30))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("World")
    world.color = (0.8, 0.8, 0.85)
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 8
    scene.render.resolution_x, scene.render.resolution_y = 640, 480
    scene.render.filepath = str(png)
    bpy.ops.render.render(write_still=True)


def main() -> None:
    path, out = Path(sys.argv[1]), Path(sys.argv[2])
    bpy.ops.wm.read_factory_settings(use_empty=True)
    import_file(path)
    info = describe()
    if len(sys.argv) > 3 and info["meshes"]:
        render(Path(sys.argv[3]), info)
    out.write_text(json.dumps(info))


if __name__ == "__main__":
    main()
