"""Run with Blender's Python (bpy): import one exported person the way a user does (File >
Import), and write what Blender shows: every mesh's evaluated (posed) world vertices and
corner normals (``OUT.npz``), its material as the Principled BSDF sees it and the mean
colour of the image feeding Base Color (``OUT.json``); optionally a Cycles render from a
camera and sun fixed by the box ``LO HI``, on a transparent film so the person's pixels can
be measured.

Usage: python blender_people_probe.py FILE OUT LO_X,LO_Y,LO_Z HI_X,HI_Y,HI_Z [RENDER.png]
"""

import json
import math
import sys
from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector

IMPORTERS = {".obj": "wm.obj_import", ".usdc": "wm.usd_import", ".usdz": "wm.usd_import", ".usd": "wm.usd_import",
             ".fbx": "import_scene.fbx", ".glb": "import_scene.gltf"}
BSDF_INPUTS = ("Base Color", "Metallic", "Roughness", "Alpha", "Specular IOR Level")


def material_of(mat) -> dict | None:
    if mat is None or mat.node_tree is None:
        return None
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        return {"name": mat.name}
    out = {"name": mat.name}
    for key in BSDF_INPUTS:
        value = bsdf.inputs[key].default_value
        out[key] = list(value) if hasattr(value, "__len__") else float(value)
    base = bsdf.inputs["Base Color"]
    source = base.links[0].from_node if base.is_linked else None
    while source is not None and source.type != "TEX_IMAGE" and source.inputs and any(i.is_linked for i in source.inputs):
        source = next(i for i in source.inputs if i.is_linked).links[0].from_node  # through mix/multiply nodes
    if source is not None and source.type == "TEX_IMAGE" and source.image is not None and source.image.size[0] > 0:
        pixels = np.array(source.image.pixels[:], dtype=np.float32).reshape(-1, source.image.channels)[:, :3]
        out["image_mean"] = [float(c) for c in pixels.mean(axis=0)]  # linear floats, as Blender holds them
        out["image_colorspace"] = source.image.colorspace_settings.name
    return out


def main(path: Path, out: Path, lo: Vector, hi: Vector, png: str | None) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    module, name = IMPORTERS[path.suffix.lower()].split(".")
    getattr(getattr(bpy.ops, module), name)(filepath=str(path))
    depsgraph = bpy.context.evaluated_depsgraph_get()
    arrays, meshes = {}, {}
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH" or obj.hide_render or obj.hide_get():
            continue
        evaluated = obj.evaluated_get(depsgraph)
        mesh = evaluated.to_mesh()
        world = np.array(evaluated.matrix_world)
        co = np.array([v.co for v in mesh.vertices]).reshape(-1, 3)
        normals = np.array([n.vector for n in mesh.corner_normals]).reshape(-1, 3) @ np.linalg.inv(world[:3, :3])
        arrays[f"{obj.name}|vertices"] = co @ world[:3, :3].T + world[:3, 3]
        arrays[f"{obj.name}|normals"] = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        arrays[f"{obj.name}|corner_vertex"] = np.array([loop.vertex_index for loop in mesh.loops], dtype=np.int64)
        meshes[obj.name] = {"armature": any(m.type == "ARMATURE" for m in obj.modifiers),
                            "materials": [material_of(s.material) for s in obj.material_slots]}
        evaluated.to_mesh_clear()
    np.savez(str(out) + ".npz", **arrays)
    Path(str(out) + ".json").write_text(json.dumps({"meshes": meshes}))
    if png:
        render(lo, hi, png)


def render(lo: Vector, hi: Vector, png: str) -> None:
    scene = bpy.context.scene
    for obj in scene.objects:  # bone shapes and empties are not the person
        obj.hide_render = obj.type != "MESH" or obj.name.startswith("Icosphere")
    centre, size = (lo + hi) / 2, (hi - lo).length
    camera = bpy.data.objects.new("probe_camera", bpy.data.cameras.new("probe_camera"))
    scene.collection.objects.link(camera)
    camera.location = centre + Vector((0.9, -2.2, 0.5)).normalized() * 2.2 * size
    camera.rotation_euler = (centre - camera.location).to_track_quat("-Z", "Y").to_euler()
    camera.data.lens = 50
    scene.camera = camera
    sun = bpy.data.objects.new("probe_sun", bpy.data.lights.new("probe_sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(45), 0.0, math.radians(30))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("probe_world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs[0].default_value = (1.0, 1.0, 1.0, 1.0)
    world.node_tree.nodes["Background"].inputs[1].default_value = 0.6
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.seed = 0
    scene.render.film_transparent = True
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_x, scene.render.resolution_y = 360, 540
    scene.render.filepath = png
    bpy.ops.render.render(write_still=True)


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    main(Path(args[0]), Path(args[1]), Vector([float(x) for x in args[2].split(",")]),
         Vector([float(x) for x in args[3].split(",")]), args[4] if len(args) > 4 else None)
