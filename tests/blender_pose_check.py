"""Run with Blender's Python (bpy): import a rigged file, bend one bone, and report how far
the body and the garments moved, whether the garments stayed on the body, and which meshes
carry a UV map and a base-colour image with pixels (the baked textures); optionally render
the posed person with Cycles to a PNG.

Usage: python blender_pose_check.py FILE BONE [RENDER.png]  -> one JSON line on stdout.
"""

import json
import sys

import bpy
import numpy as np
from mathutils import Euler
from mathutils.kdtree import KDTree


def world_vertices(obj, depsgraph):
    ev = obj.evaluated_get(depsgraph)
    mesh = ev.to_mesh()
    m = np.array(ev.matrix_world)
    v = np.array([(m @ np.array([*vert.co, 1.0]))[:3] for vert in mesh.vertices])
    ev.to_mesh_clear()
    return v


def textures(meshes):
    """{mesh name: (width, height) of the image feeding its material's Base Color} for meshes
    with a UV map and such an image that holds pixels."""
    out = {}
    for obj in meshes:
        if not obj.data.uv_layers:
            continue
        for slot in obj.material_slots:
            mat = slot.material
            if mat is None or not mat.use_nodes:
                continue
            for node in mat.node_tree.nodes:
                if node.type == "TEX_IMAGE" and node.image is not None and node.outputs["Color"].is_linked:
                    w, h = node.image.size
                    if w > 0 and h > 0 and len(node.image.pixels) == w * h * node.image.channels:
                        out[obj.name] = (w, h)
    return out


def render(meshes, png):
    """Cycles (CPU) render of the posed meshes from the front-left, lit by a sun and the world."""
    import mathutils

    pts = np.concatenate([world_vertices(o, bpy.context.evaluated_depsgraph_get()) for o in meshes])
    lo, hi = pts.min(0), pts.max(0)
    centre, size = (lo + hi) / 2, float(np.max(hi - lo))
    scene = bpy.context.scene
    cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
    scene.collection.objects.link(cam)
    eye = mathutils.Vector(centre) + mathutils.Vector((1.2, -2.2, 0.3)).normalized() * 2.4 * size
    cam.location = eye
    cam.rotation_euler = (mathutils.Vector(centre) - eye).to_track_quat("-Z", "Y").to_euler()
    cam.data.lens = 50
    scene.camera = cam
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (0.8, 0.2, 0.6)
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs[1].default_value = 0.8
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.render.resolution_x, scene.render.resolution_y = 480, 640
    scene.render.filepath = png
    bpy.ops.render.render(write_still=True)


def main(path, bone, png=None):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if path.endswith(".glb"):
        bpy.ops.import_scene.gltf(filepath=path)
    else:
        bpy.ops.import_scene.fbx(filepath=path)
    arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and any(m.type == "ARMATURE" for m in o.modifiers)]
    dg = bpy.context.evaluated_depsgraph_get()
    before = {o.name: world_vertices(o, dg) for o in meshes}
    pose_bone = next(b for b in arms[0].pose.bones if b.name.endswith(bone))
    pose_bone.rotation_mode = "XYZ"
    pose_bone.rotation_euler = Euler((0.0, 0.0, 1.2))
    bpy.context.view_layer.update()
    dg = bpy.context.evaluated_depsgraph_get()
    after = {o.name: world_vertices(o, dg) for o in meshes}
    body = next(n for n in after if n.endswith("body"))
    garments = [n for n in after if "suit" in n]
    moved_g = np.concatenate([np.linalg.norm(after[n] - before[n], axis=1) for n in garments])

    def gaps(state):
        """Mean distance of the garment vertices that moved to the nearest (visible) skin."""
        tree = KDTree(len(state[body]))
        for i, co in enumerate(state[body]):
            tree.insert(co, i)
        tree.balance()
        pts = np.concatenate([state[n] for n in garments])[moved_g > 0.02]
        return float(np.mean([tree.find(p)[2] for p in pts])) if len(pts) else 1.0
    print(json.dumps({
        "armatures": len(arms), "skinned_meshes": len(meshes),
        "body_moved": float(np.linalg.norm(after[body] - before[body], axis=1).max()),
        "garment_moved": float(moved_g.max()), "gap_before": gaps(before), "gap_after": gaps(after),
        "meshes": sorted(after), "textured": textures(meshes),
    }))
    if png:
        render(meshes, png)


args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[-2:]
main(*args)
