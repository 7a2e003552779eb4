"""The bind pose of assimp's skinned FBX set to the body's own rest pose.

assimp writes every skin cluster's ``TransformLink`` (the bone's world transform when the
mesh was bound) from the bone's current node transform, i.e. the fitted pose, while the
mesh keeps its rest-pose vertices: a straight mesh under bent bones. Overwriting each
cluster's ``TransformLink`` with the bone's true bind transform (and ``Transform`` to match,
keeping the mesh's own placement) gives the file glTF's and USD's layout: rest pose = the
body model's rest pose, bones posed by their ``Lcl`` transforms = the fitted pose. Blender,
Maya and 3ds Max then show the fitted pose, and clearing the pose returns every format to
the same rest pose (posing a bone means the same in FBX as in GLB). Arrays are 16 doubles
stored uncompressed, so they are rewritten in place.
"""

from __future__ import annotations

import struct
from typing import Mapping

import numpy as np

from pipeline.export.errors import ExportError
from pipeline.export.fbx_materials import read_fbx_nodes


def _matrix_at(data: bytes | bytearray, node) -> tuple[int, np.ndarray]:
    """(offset of the 16 doubles, the column-major matrix as a 4x4 column-vector transform)."""
    code, offset, _ = node.props[0]
    count, encoding, _ = struct.unpack_from("<III", data, offset)
    if code != b"d" or count != 16 or encoding != 0:
        raise ExportError("Unexpected FBX skin cluster layout from assimp; FBX not written.")
    values = np.array(struct.unpack_from("<16d", data, offset + 12))
    return offset + 12, values.reshape(4, 4).T


def set_bind_pose(data: bytearray, bind: Mapping[str, np.ndarray]) -> int:
    """Give every cluster whose bone is named in ``bind`` (bone node name -> 4x4 world bind
    transform in the file's frame and unit) that bind transform. Returns clusters changed."""
    top = {n.name: n for n in read_fbx_nodes(bytes(data))}
    objects, connections = top.get(b"Objects"), top.get(b"Connections")
    if objects is None or connections is None:
        raise ExportError("Unexpected FBX from assimp (no objects or connections); FBX not written.")
    names = {c.props[0][2]: c.props[1][2].split(b"\x00\x01")[0].decode(errors="replace")
             for c in objects.children if c.name == b"Model"}
    clusters = {c.props[0][2]: c for c in objects.children
                if c.name == b"Deformer" and len(c.props) > 2 and c.props[2][2] == b"Cluster"}
    changed = 0
    for link in connections.children:  # "OO", child id, parent id: a bone model feeds its cluster
        if len(link.props) < 3 or link.props[0][2] != b"OO":
            continue
        bone, cluster = names.get(link.props[1][2]), clusters.get(link.props[2][2])
        if cluster is None or bone not in bind:
            continue
        parts = {c.name: c for c in cluster.children}
        link_at, old_link = _matrix_at(data, parts[b"TransformLink"])
        transform_at, old_transform = _matrix_at(data, parts[b"Transform"])
        mesh_world = old_link @ old_transform  # Transform = inverse(TransformLink) @ mesh world
        new_link = np.asarray(bind[bone], dtype=np.float64)
        struct.pack_into("<16d", data, link_at, *new_link.T.reshape(-1))
        struct.pack_into("<16d", data, transform_at, *(np.linalg.inv(new_link) @ mesh_world).T.reshape(-1))
        changed += 1
    return changed
