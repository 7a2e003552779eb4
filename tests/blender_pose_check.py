"""Run with Blender's Python (bpy): import a rigged file, bend one bone, and report how far
the body and the garments moved and whether the garments stayed on the body.

Usage: python blender_pose_check.py FILE BONE  -> one JSON line on stdout.
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


def main(path, bone):
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
        "meshes": sorted(after),
    }))


main(sys.argv[-2], sys.argv[-1])
