"""USD and USDZ export with Pixar's ``usd-core``: people as UsdSkel (skinned, posed, with a
preview material), the scene as plain meshes with their colours.

Per person: a ``SkelRoot`` holding a ``Skeleton`` (bind and rest transforms), a
``SkelAnimation`` with the fitted pose as its default value, and the rest-pose mesh bound
with four joint weights per vertex, so Omniverse, Blender, Houdini and Quick Look show the
fitted pose and keep a posable rig. Vertices and bone matrices go through the same
``AxesUnits`` conversion as every other exporter; the stage records the frame it is in
(USD: Z-up metres; USDZ: Y-up metres, what Apple's viewers expect).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.spatial.transform import Rotation

from pipeline.core.atomic import write_file_atomic
from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody
from pipeline.export.gltf_skin import BODY_COLOR, colour_of
from pipeline.export.scene_textures import texture_of
from pipeline.export.usd_textures import TextureFiles, add_texture, feed_texture

USD_FRAME = AxesUnits(up="z", units="m")
POSE_TIME = 1.0  # the one frame the fitted pose is also stored at
USDZ_FRAME = AxesUnits(up="y", units="m")


def prim_name(text: str, used: set[str]) -> str:
    """A valid, unique USD prim name for ``text`` ("woman reading, 2" -> "woman_reading_2")."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", str(text)).strip("_") or "item"
    if name[0].isdigit():
        name = "_" + name
    base, k = name, 1
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


def _matrix(m: np.ndarray):
    """A column-vector 4x4 as USD's row-vector Gf.Matrix4d."""
    from pxr import Gf

    return Gf.Matrix4d(np.asarray(m, dtype=np.float64).T.tolist())


def _material(stage, path: str, rgba) -> object:
    from pxr import Gf, Sdf, UsdShade

    material = UsdShade.Material.Define(stage, path)
    shader = UsdShade.Shader.Define(stage, f"{path}/Surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*[float(c) for c in rgba[:3]]))
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.8)
    if len(rgba) > 3 and rgba[3] < 0.999:
        shader.CreateInput("opacity", Sdf.ValueTypeNames.Float).Set(float(rgba[3]))
    material.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    return material, shader


def _mesh(stage, path: str, vertices: np.ndarray, faces: np.ndarray, material, rgba):
    from pxr import Gf, UsdGeom, UsdShade, Vt

    mesh = UsdGeom.Mesh.Define(stage, path)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(np.asarray(vertices, dtype=np.float32)))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, dtype=np.int32)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(faces, dtype=np.int32).reshape(-1)))
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreateDisplayColorAttr([Gf.Vec3f(*[float(c) for c in rgba[:3]])])
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    return mesh


def _joint_paths(bone_names: Sequence[str], parents: np.ndarray) -> list[str]:
    """UsdSkel joint tokens: each joint's path from its root ("hips/spine/neck")."""
    used: set[str] = set()
    names = [prim_name(n, used) for n in bone_names]
    paths: list[str] = []
    for j, parent in enumerate(parents):
        paths.append(names[j] if parent < 0 else f"{paths[parent]}/{names[j]}")
    return paths


def _local(world: np.ndarray, parents: np.ndarray) -> np.ndarray:
    out = np.array(world, dtype=np.float64)
    for j, p in enumerate(parents):
        if p >= 0:
            out[j] = np.linalg.inv(world[p]) @ world[j]
    return out


def _add_person(stage, root: str, body: ExportBody, frame: AxesUnits, material,
                textures: TextureFiles | None = None) -> None:
    from pxr import Gf, UsdSkel, Vt

    skin = body.skin
    if skin is None:
        _mesh(stage, f"{root}/Body", frame.points(body.vertices), body.faces, material, BODY_COLOR)
        return
    parents = np.asarray(skin.parents, dtype=np.int64)
    joints = _joint_paths(skin.bone_names, parents)
    bind = frame.rigid(skin.bind_matrices)
    posed = frame.rigid(skin.posed_matrices)
    UsdSkel.Root.Define(stage, root)
    skeleton = UsdSkel.Skeleton.Define(stage, f"{root}/Skeleton")
    skeleton.CreateJointsAttr(joints)
    skeleton.CreateBindTransformsAttr(Vt.Matrix4dArray([_matrix(m) for m in bind]))
    skeleton.CreateRestTransformsAttr(Vt.Matrix4dArray([_matrix(m) for m in _local(bind, parents)]))
    animation = UsdSkel.Animation.Define(stage, f"{root}/Skeleton/Pose")
    animation.CreateJointsAttr(joints)
    local = _local(posed, parents)
    quats = Rotation.from_matrix(local[:, :3, :3]).as_quat()  # x, y, z, w
    values = (
        (animation.CreateTranslationsAttr(), Vt.Vec3fArray([Gf.Vec3f(*map(float, t)) for t in local[:, :3, 3]])),
        (animation.CreateRotationsAttr(),
         Vt.QuatfArray([Gf.Quatf(float(q[3]), float(q[0]), float(q[1]), float(q[2])) for q in quats])),
        (animation.CreateScalesAttr(), Vt.Vec3hArray([Gf.Vec3h(1.0, 1.0, 1.0)] * len(joints))),
    )
    for attribute, value in values:  # the default value, and one frame for importers that read only samples (Blender)
        attribute.Set(value)
        attribute.Set(value, POSE_TIME)
    UsdSkel.BindingAPI.Apply(skeleton.GetPrim()).CreateAnimationSourceRel().SetTargets([animation.GetPath()])
    if not body.pieces:
        mesh = _mesh(stage, f"{root}/Body", frame.points(skin.rest_vertices), skin.faces, material, BODY_COLOR)
        _bind(mesh, skeleton, skin.joint_indices, skin.joint_weights)
        return
    looks: dict[tuple, tuple] = {}
    used: set[str] = {"Skeleton"}
    for piece in body.pieces:  # clothes, hair and skin: one mesh each, all bound to the one skeleton
        look = _piece_material(stage, f"/World/Looks/{root.rsplit('/', 1)[-1]}_", piece, looks, textures)
        mesh = _mesh(stage, f"{root}/{prim_name(piece.name, used)}", frame.points(piece.rest_vertices),
                     piece.faces, look[0], piece.material.rgba)
        if piece.texture is not None and textures is not None:
            _st(mesh, piece.uv)
        _bind(mesh, skeleton, piece.joint_indices, piece.joint_weights)


def _bind(mesh, skeleton, joint_indices, joint_weights) -> None:
    from pxr import Gf, Sdf, UsdSkel, Vt

    binding = UsdSkel.BindingAPI.Apply(mesh.GetPrim())
    binding.CreateSkeletonRel().SetTargets([skeleton.GetPath()])
    idx = np.asarray(joint_indices, dtype=np.int32)
    w = np.asarray(joint_weights, dtype=np.float32)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    binding.CreateJointIndicesPrimvar(False, 4).Set(Vt.IntArray.FromNumpy(idx.reshape(-1)))
    binding.CreateJointWeightsPrimvar(False, 4).Set(Vt.FloatArray.FromNumpy(w.reshape(-1)))
    binding.CreateGeomBindTransformAttr(Gf.Matrix4d(1.0))
    mesh.GetPrim().CreateAttribute("genzi:role", Sdf.ValueTypeNames.String).Set("person")


def _piece_material(stage, prefix: str, piece, looks: dict, textures: TextureFiles | None):
    """One UsdPreviewSurface per (material, image) of a person: colour, roughness, opacity and
    the baked texture when there is one."""
    from PIL import Image
    from pxr import Sdf

    mat = piece.material
    image = None if piece.texture is None or textures is None else Image.fromarray(piece.texture)
    key = (mat.name, None if image is None else textures.path_of(image))
    if key not in looks:
        rgba = mat.rgba if image is None else (1.0, 1.0, 1.0, mat.alpha)
        material, shader = _material(stage, f"{prefix}{prim_name(mat.name, set())}_{len(looks)}", rgba)
        shader.GetInput("roughness").Set(float(mat.roughness))
        if image is not None:
            feed_texture(stage, material, shader, key[1], (1.0, 1.0, 1.0, float(mat.alpha)))
        if mat.alpha < 0.999:
            shader.CreateInput("opacity", Sdf.ValueTypeNames.Float).Set(float(mat.alpha))
        looks[key] = (material, shader)
    return looks[key]


def _st(mesh, uv: np.ndarray) -> None:
    """Per-vertex texture coordinates, v up (USD's convention and the pieces')."""
    from pxr import Sdf, UsdGeom, Vt

    primvar = UsdGeom.PrimvarsAPI(mesh.GetPrim()).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                                                UsdGeom.Tokens.vertex)
    primvar.Set(Vt.Vec2fArray.FromNumpy(np.asarray(uv, dtype=np.float32)))


def build_stage(stage, bodies: Sequence[ExportBody], frame: AxesUnits, static_meshes: Sequence[tuple[str, object]],
                textures: TextureFiles | None = None) -> None:
    """Fill an empty stage: /World/People/<person> and /World/Scene/<part> (textured when
    ``textures`` says where images go)."""
    from pxr import UsdGeom

    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y if frame.up == "y" else UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0 / frame.scale)
    stage.SetStartTimeCode(POSE_TIME)
    stage.SetEndTimeCode(POSE_TIME)
    world = UsdGeom.Xform.Define(stage, "/World")
    stage.SetDefaultPrim(world.GetPrim())
    body_material, _ = _material(stage, "/World/Looks/Body", BODY_COLOR)
    used: set[str] = set()
    UsdGeom.Scope.Define(stage, "/World/People")
    for body in bodies:
        root = f"/World/People/{prim_name(body.name, used)}"
        if body.skin is None:
            UsdGeom.Xform.Define(stage, root)
        _add_person(stage, root, body, frame, body_material, textures)
    if static_meshes:
        UsdGeom.Scope.Define(stage, "/World/Scene")
    for name, mesh in static_meshes:
        if len(mesh.faces) == 0:
            continue
        part = prim_name(name, used)
        rgba = colour_of(mesh)
        material, shader = _material(stage, f"/World/Looks/{part}", rgba)
        prim = _mesh(stage, f"/World/Scene/{part}", frame.points(mesh.vertices), np.asarray(mesh.faces), material, rgba)
        texture = texture_of(mesh) if textures is not None else None
        if texture is not None:
            add_texture(stage, material, shader, prim, texture, textures)


def write_usd(bodies: Sequence[ExportBody], path: str | Path, *, frame: AxesUnits = USD_FRAME,
              static_meshes: Sequence[tuple[str, object]] = ()) -> Path:
    """One ``.usd``/``.usda``/``.usdc`` file (crate for ``.usd``), written atomically; scene
    textures go into ``<name>_textures/`` beside it."""
    from pxr import Usd

    path = Path(path)
    suffix = ".usda" if path.suffix.lower() == ".usda" else ".usdc"

    textures = TextureFiles(path.parent / f"{path.stem}_textures")

    def write(tmp: Path) -> None:
        stage = Usd.Stage.CreateNew(str(tmp))
        build_stage(stage, bodies, frame, static_meshes, textures)
        stage.GetRootLayer().Save()

    return write_file_atomic(path, write, suffix=suffix)


def write_usdz(bodies: Sequence[ExportBody], path: str | Path, *, frame: AxesUnits = USDZ_FRAME,
               static_meshes: Sequence[tuple[str, object]] = ()) -> Path:
    """A ``.usdz`` package (Quick Look, Reality Composer): the stage as crate, zipped by USD."""
    from pxr import UsdUtils

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="genzi_usdz_") as tmp:
        inner = write_usd(bodies, Path(tmp) / f"{prim_name(path.stem, set())}.usdc", frame=frame,
                          static_meshes=static_meshes)

        def package(out: Path) -> None:
            if not UsdUtils.CreateNewUsdzPackage(str(inner), str(out)):
                raise OSError(f"USD could not package {path.name} as USDZ")

        return write_file_atomic(path, package, suffix=".usdz")
