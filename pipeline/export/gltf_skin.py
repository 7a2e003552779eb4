"""Rigged GLB writer (pygltflib): skeleton, weights, inverse bind matrices, fitted pose.

trimesh drops ``skins`` and ``JOINTS_0``/``WEIGHTS_0`` on export, so the rigged file is
written here directly. Layout per body: one node per bone whose local TRS is the fitted
pose, a root-level mesh node that carries the skin (glTF ignores a skinned mesh node's own
transform), rest-pose vertices as POSITION and the bind pose as inverse bind matrices, so
a glTF viewer shows the fitted pose and a DCC tool gets a posable armature.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
import pygltflib as gl
from scipy.spatial.transform import Rotation

from pipeline.core.atomic import write_file_atomic
from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody
from pipeline.export.gltf_pieces import add_pieces
from pipeline.export.scene_textures import encoded, texture_of
from pipeline.scene.normals import vertex_normals

GLTF_FRAME = AxesUnits(up="y", units="m")  # what the glTF 2.0 specification fixes
BODY_COLOR = (0.80, 0.62, 0.52, 1.0)

_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963


class _Builder:
    """Accumulates one binary buffer and the glTF objects that point into it."""

    def __init__(self) -> None:
        self.gltf = gl.GLTF2(asset=gl.Asset(version="2.0", generator="GenZI Desktop"))
        self.gltf.scenes = [gl.Scene(nodes=[])]
        self.gltf.scene = 0
        self.blob = bytearray()
        self._textures: dict[str, int] = {}  # image content digest -> texture index

    def view(self, data: np.ndarray, target: int | None) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        raw = np.ascontiguousarray(data).tobytes()
        self.gltf.bufferViews.append(
            gl.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=len(raw), target=target)
        )
        self.blob.extend(raw)
        return len(self.gltf.bufferViews) - 1

    def accessor(self, data: np.ndarray, kind: str, target: int | None, with_bounds: bool = False) -> int:
        ctype = {
            np.dtype(np.float32): gl.FLOAT,
            np.dtype(np.uint32): gl.UNSIGNED_INT,
            np.dtype(np.uint16): gl.UNSIGNED_SHORT,
        }[data.dtype]
        acc = gl.Accessor(bufferView=self.view(data, target), componentType=ctype, count=len(data), type=kind)
        if with_bounds:
            flat = data.reshape(len(data), -1)
            acc.min = [float(v) for v in flat.min(axis=0)]
            acc.max = [float(v) for v in flat.max(axis=0)]
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def material(self, name: str, rgba: Sequence[float], double_sided: bool = False, texture: int | None = None,
                 alpha_mode: str | None = None) -> int:
        rgba = [float(np.clip(c, 0.0, 1.0)) for c in rgba]
        self.gltf.materials.append(
            gl.Material(
                name=name,
                pbrMetallicRoughness=gl.PbrMetallicRoughness(
                    baseColorFactor=rgba, metallicFactor=0.0, roughnessFactor=0.8,
                    baseColorTexture=None if texture is None else gl.TextureInfo(index=texture),
                ),
                doubleSided=double_sided,
                alphaMode=alpha_mode or (gl.BLEND if rgba[3] < 0.999 else gl.OPAQUE),
            )
        )
        return len(self.gltf.materials) - 1

    def texture(self, image) -> int:
        """A texture of a PIL image, stored once however many materials (or loaded copies of
        the same picture) use it: keyed by the pixels, not by the Python object."""
        key = image_digest(image)
        if key not in self._textures:
            data, mime = encoded(image)
            view = self.view(np.frombuffer(data, dtype=np.uint8), None)
            self.gltf.images.append(gl.Image(bufferView=view, mimeType=mime))
            if not self.gltf.samplers:
                self.gltf.samplers.append(gl.Sampler(magFilter=gl.LINEAR, minFilter=gl.LINEAR_MIPMAP_LINEAR,
                                                     wrapS=gl.REPEAT, wrapT=gl.REPEAT))
            self.gltf.textures.append(gl.Texture(sampler=0, source=len(self.gltf.images) - 1))
            self._textures[key] = len(self.gltf.textures) - 1
        return self._textures[key]

    def node(self, node: gl.Node, root: bool) -> int:
        self.gltf.nodes.append(node)
        index = len(self.gltf.nodes) - 1
        if root:
            self.gltf.scenes[0].nodes.append(index)
        return index

    def mesh(self, name: str, vertices: np.ndarray, faces: np.ndarray, material: int, extra: dict | None = None) -> int:
        attrs = gl.Attributes(
            POSITION=self.accessor(vertices.astype(np.float32), gl.VEC3, _ARRAY_BUFFER, with_bounds=True),
            NORMAL=self.accessor(vertex_normals(vertices, faces, fallback=(0.0, 1.0, 0.0)).astype(np.float32), gl.VEC3, _ARRAY_BUFFER),
        )
        for key, value in (extra or {}).items():
            setattr(attrs, key, value)
        index_type = np.uint16 if len(vertices) < 65535 else np.uint32
        indices = self.accessor(
            np.asarray(faces, dtype=index_type).reshape(-1), gl.SCALAR, _ELEMENT_ARRAY_BUFFER, with_bounds=True
        )
        self.gltf.meshes.append(
            gl.Mesh(name=name, primitives=[gl.Primitive(attributes=attrs, indices=indices, material=material)])
        )
        return len(self.gltf.meshes) - 1

    def save(self, path: Path) -> None:
        while len(self.blob) % 4:
            self.blob.append(0)
        self.gltf.buffers = [gl.Buffer(byteLength=len(self.blob))]
        self.gltf.set_binary_blob(bytes(self.blob))
        write_file_atomic(path, lambda tmp: self.gltf.save_binary(str(tmp)), suffix=".glb")


def image_digest(image) -> str:
    """A digest of a PIL image's size, mode and pixels."""
    digest = hashlib.sha1(f"{image.mode}{image.size}".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _trs(matrix: np.ndarray) -> tuple[list[float], list[float], list[float]]:
    """Translation, unit quaternion (x, y, z, w) and scale of a 4x4 transform."""
    scale = np.linalg.norm(matrix[:3, :3], axis=0)
    rot = Rotation.from_matrix(matrix[:3, :3] / scale).as_quat()
    rot = rot / np.linalg.norm(rot)
    return [float(x) for x in matrix[:3, 3]], [float(x) for x in rot], [float(x) for x in scale]


def colour_of(mesh) -> tuple[float, float, float, float]:
    """Main colour of a trimesh mesh (vertex/face colours or material), as floats."""
    from pipeline.scene.materials import main_colour

    try:
        return main_colour(mesh)
    except Exception:  # noqa: BLE001 - a colour is cosmetic; never fail an export for it
        return (0.7, 0.7, 0.7, 1.0)


def _add_skinned_body(b: _Builder, body: ExportBody, frame: AxesUnits, material: int, prefix: str) -> None:
    skin = body.skin
    assert skin is not None
    bind = frame.rigid(skin.bind_matrices)
    posed = frame.rigid(skin.posed_matrices)
    parents = np.asarray(skin.parents, dtype=np.int64)
    n_bones = len(parents)
    first = len(b.gltf.nodes)
    nodes: list[gl.Node] = []
    for j in range(n_bones):
        p = parents[j]
        local = posed[j] if p < 0 else np.linalg.inv(posed[p]) @ posed[j]
        t, r, s = _trs(local)
        nodes.append(gl.Node(name=f"{prefix}{skin.bone_names[j]}", translation=t, rotation=r, scale=s, children=[]))
    for j in range(n_bones):
        if parents[j] >= 0:
            nodes[parents[j]].children.append(first + j)
    for j in range(n_bones):
        b.node(nodes[j], root=parents[j] < 0)
    for node in nodes:
        if not node.children:
            node.children = None

    inverse_bind = np.linalg.inv(bind).transpose(0, 2, 1).astype(np.float32)  # column-major
    ibm = b.accessor(inverse_bind.reshape(n_bones, 16), gl.MAT4, None)
    roots = [first + j for j in range(n_bones) if parents[j] < 0]
    b.gltf.skins.append(
        gl.Skin(
            name=f"{body.name}_skin",
            joints=list(range(first, first + n_bones)),
            inverseBindMatrices=ibm,
            skeleton=roots[0] if len(roots) == 1 else None,
        )
    )
    if body.pieces:  # the pieces carry their own weights; the whole body's would be dead weight
        add_pieces(b, body, frame, skin_index=len(b.gltf.skins) - 1, clean_weights=_clean_weights)
        return
    joints, weights = _clean_weights(skin.joint_indices, skin.joint_weights)
    extra = {
        "JOINTS_0": b.accessor(joints, gl.VEC4, _ARRAY_BUFFER),
        "WEIGHTS_0": b.accessor(weights, gl.VEC4, _ARRAY_BUFFER),
    }
    rest = frame.points(skin.rest_vertices)
    mesh = b.mesh(body.name, rest, np.asarray(skin.faces), material, extra)
    b.node(gl.Node(name=body.name, mesh=mesh, skin=len(b.gltf.skins) - 1), root=True)


def _clean_weights(indices: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint16 joints and float32 weights that sum to 1; unused slots point at joint 0
    with weight 0, and repeated joints in one vertex are merged (the validator rejects them)."""
    idx = np.asarray(indices, dtype=np.int64).copy()
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None).copy()
    for a in range(4):
        for c in range(a + 1, 4):
            same = (idx[:, a] == idx[:, c]) & (w[:, c] > 0)
            w[same, a] += w[same, c]
            w[same, c] = 0.0
    idx[w <= 0] = 0
    total = w.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("Some vertices have no skinning weight; the body's rig is incomplete.")
    w = (w / total).astype(np.float32)
    # float32 rounding: push the remainder onto the largest weight so each row sums to 1
    w[np.arange(len(w)), w.argmax(axis=1)] += 1.0 - w.sum(axis=1)
    return idx.astype(np.uint16), w


def write_glb(
    bodies: Sequence[ExportBody],
    path: str | Path,
    *,
    frame: AxesUnits = GLTF_FRAME,
    static_meshes: Sequence[tuple[str, object]] = (),
) -> Path:
    """Write bodies (rigged when they carry a skin) and optional static scene meshes
    (``(name, trimesh.Trimesh)`` in world Z-up metres) to one binary glTF file."""
    path = Path(path)
    b = _Builder()
    body_material = b.material("body", BODY_COLOR)
    rigged = [body for body in bodies if body.skin is not None]
    for body in bodies:
        if body.skin is not None:
            prefix = f"{body.name}_" if len(rigged) > 1 else ""
            _add_skinned_body(b, body, frame, body_material, prefix)
        elif body.pieces:
            add_pieces(b, body, frame, skin_index=None)
        else:
            mesh = b.mesh(body.name, frame.points(body.vertices), np.asarray(body.faces), body_material)
            b.node(gl.Node(name=body.name, mesh=mesh), root=True)
    for name, mesh in static_meshes:
        if len(mesh.faces) == 0:
            continue
        texture = texture_of(mesh)
        if texture is None:
            material = b.material(f"{name}_material", colour_of(mesh), double_sided=True)
            extra = None
        else:
            material = b.material(f"{name}_material", texture.factor, double_sided=True,
                                  texture=b.texture(texture.image), alpha_mode=texture.alpha_mode)
            extra = {"TEXCOORD_0": b.accessor(texture.uv, gl.VEC2, _ARRAY_BUFFER)}
        index = b.mesh(name, frame.points(mesh.vertices), np.asarray(mesh.faces), material, extra)
        b.node(gl.Node(name=name, mesh=index), root=True)
    b.save(path)
    return path
