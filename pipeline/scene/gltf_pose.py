"""Posed vertices of skinned glTF meshes, which trimesh loads in their rest pose.

A rigged GLB (this app's own export, or a character from a DCC tool) stores the bind pose
as POSITION and the pose in the joint nodes; without skinning, a re-opened export shows the
body straight, at the wrong place. Here the glTF skinning model is applied with pygltflib:
``sum_k w_k * world(joint_k) @ inverseBind_k @ position``, for every node with a mesh and
a skin, keyed by the node's name (the name trimesh gives the part).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

_COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _accessor(gltf, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype = np.dtype(_COMPONENTS[acc.componentType])
    width = _WIDTH[acc.type]
    stride = view.byteStride or dtype.itemsize * width
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    raw = np.frombuffer(blob, dtype=np.uint8, count=stride * (acc.count - 1) + dtype.itemsize * width, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, shape=(acc.count, dtype.itemsize * width), strides=(stride, 1))
    out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, width)
    if acc.normalized and dtype.kind in "ui":
        out = out.astype(np.float64) / np.iinfo(dtype).max
    return out


def _local(node) -> np.ndarray:
    if node.matrix:
        return np.asarray(node.matrix, dtype=np.float64).reshape(4, 4).T  # column-major in the file
    m = np.eye(4)
    if node.rotation:
        m[:3, :3] = Rotation.from_quat(node.rotation).as_matrix()
    if node.scale:
        m[:3, :3] = m[:3, :3] @ np.diag(node.scale)
    if node.translation:
        m[:3, 3] = node.translation
    return m


def _world_matrices(gltf) -> list[np.ndarray]:
    parent = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    world: dict[int, np.ndarray] = {}

    def of(i: int) -> np.ndarray:
        if i not in world:
            world[i] = (of(parent[i]) if i in parent else np.eye(4)) @ _local(gltf.nodes[i])
        return world[i]

    return [of(i) for i in range(len(gltf.nodes))]


def posed_skinned_meshes(path: Path) -> dict[str, np.ndarray]:
    """Node name -> (V, 3) posed vertices (world, file frame) of each single-primitive skinned mesh."""
    import pygltflib

    gltf = pygltflib.GLTF2().load(str(path))
    if not gltf.skins:
        return {}
    blob = gltf.binary_blob()
    if blob is None:
        return {}  # a .gltf with external buffers: left to trimesh's rest pose
    world = _world_matrices(gltf)
    out: dict[str, np.ndarray] = {}
    for node in gltf.nodes:
        if node.mesh is None or node.skin is None or len(gltf.meshes[node.mesh].primitives) != 1:
            continue
        skin = gltf.skins[node.skin]
        primitive = gltf.meshes[node.mesh].primitives[0]
        attrs = primitive.attributes
        if attrs.JOINTS_0 is None or attrs.WEIGHTS_0 is None:
            continue
        positions = _accessor(gltf, blob, attrs.POSITION).astype(np.float64)
        joints = _accessor(gltf, blob, attrs.JOINTS_0).astype(np.int64)
        weights = _accessor(gltf, blob, attrs.WEIGHTS_0).astype(np.float64)
        if skin.inverseBindMatrices is not None:
            inverse = _accessor(gltf, blob, skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
        else:
            inverse = np.tile(np.eye(4), (len(skin.joints), 1, 1))
        skinning = np.stack([world[j] for j in skin.joints]) @ inverse  # (J, 4, 4)
        blended = np.einsum("vk,vkij->vij", weights / np.maximum(weights.sum(1, keepdims=True), 1e-12),
                            skinning[joints])
        out[node.name or f"node_{gltf.nodes.index(node)}"] = (
            np.einsum("vij,vj->vi", blended[:, :3, :3], positions) + blended[:, :3, 3])
    return out


def asset_generator(path: Path) -> str | None:
    """The ``asset.generator`` of a .glb/.gltf, read from its JSON alone (trimesh drops it)."""
    import json
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(20)
            if head[:4] == b"glTF":
                length, kind = struct.unpack_from("<II", head, 12)
                text = f.read(length) if kind == 0x4E4F534A else b"{}"
            else:
                text = head + f.read()
        return json.loads(text).get("asset", {}).get("generator")
    except (OSError, ValueError, struct.error, AttributeError):
        return None
