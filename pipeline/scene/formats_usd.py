"""USD stages (``.usd``, ``.usda``, ``.usdc``, ``.usdz``: Omniverse, Vectorworks, Apple) read with
Pixar's ``usd-core``.

Every visible ``UsdGeom.Mesh`` is read with its world transform; skinned meshes (UsdSkel,
as this app's own USD export writes people) are posed with UsdSkel's own skinning, so a
re-opened export shows what was exported, not the rest pose. Colours come from
``displayColor`` or a bound ``UsdPreviewSurface``. Up axis and ``metersPerUnit`` are the
stage's; when the stage does not author a unit, USD's own fallback (centimetres) applies
and the note says so. References to layers that are missing are listed, the rest loads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.raw import (
    Declared, FormatInfo, RawScene, Report, SceneLoadError, coloured_mesh, polygons_to_triangles,
)
from pipeline.scene.units import declared_unit


def _open(path: Path):
    from pxr import Tf, Usd

    try:
        stage = Usd.Stage.Open(str(path))
    except Tf.ErrorException as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise SceneLoadError(
            f"'{path.name}' could not be read as USD ({first}). Export it again as .usdc or .usdz."
        ) from exc
    if stage is None:
        raise SceneLoadError(f"'{path.name}' could not be opened as a USD stage. Export it again as .usdc or .usdz.")
    return stage


def missing_layers(stage) -> list[str]:
    """Asset paths of sublayers/references/payloads that could not be found."""
    errors = stage.GetCompositionErrors() if hasattr(stage, "GetCompositionErrors") else []
    missing = []
    for error in errors:
        text = str(getattr(error, "GetMessage", lambda: error)() if hasattr(error, "GetMessage") else error)
        missing.append(text)
    return missing


def _colour(prim, mesh) -> tuple[float, float, float, float]:
    from pxr import UsdShade

    material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
    if material:
        shader = material.ComputeSurfaceSource()[0]
        if shader:
            diffuse = shader.GetInput("diffuseColor")
            opacity = shader.GetInput("opacity")
            if diffuse and diffuse.Get() is not None:
                alpha = float(opacity.Get()) if opacity and opacity.Get() is not None else 1.0
                return (*[float(c) for c in diffuse.Get()], alpha)
    colours = mesh.GetDisplayColorAttr().Get()
    if colours is not None and len(colours):
        return (*[float(c) for c in colours[0]], 1.0)
    return (0.8, 0.8, 0.8, 1.0)


def _skinned_points(stage, time) -> dict[str, np.ndarray]:
    """World-space posed points of every skinned mesh, by prim path (UsdSkel's skinning)."""
    from pxr import Usd, UsdGeom, UsdSkel

    posed: dict[str, np.ndarray] = {}
    cache = UsdSkel.Cache()
    xforms = UsdGeom.XformCache(time)
    for prim in stage.Traverse():
        if not prim.IsA(UsdSkel.Root):
            continue
        root = UsdSkel.Root(prim)
        cache.Populate(root, Usd.PrimDefaultPredicate)
        for binding in cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate):
            skel_query = cache.GetSkelQuery(binding.GetSkeleton())
            skinning = skel_query.ComputeSkinningTransforms(time)
            skel_world = np.array(xforms.GetLocalToWorldTransform(binding.GetSkeleton().GetPrim()))
            for target in binding.GetSkinningTargets():
                mesh = UsdGeom.Mesh(target.GetPrim())
                points = mesh.GetPointsAttr().Get(time)
                if points is None or not target.ComputeSkinnedPoints(skinning, points, time):
                    continue
                p = np.asarray(points, dtype=np.float64)
                posed[str(target.GetPrim().GetPath())] = p @ skel_world[:3, :3] + skel_world[3, :3]
    return posed


def read_usd(path: Path, fmt: FormatInfo, report: Report) -> RawScene:
    """Visible meshes in stage units and up axis; skinned meshes posed."""
    from pxr import Usd, UsdGeom

    report(0.02, f"Reading {path.name} (USD)")
    stage = _open(path)
    time = stage.GetStartTimeCode() if stage.HasAuthoredTimeCodeRange() else Usd.TimeCode.Default()
    up = str(UsdGeom.GetStageUpAxis(stage)).lower()
    metres = float(UsdGeom.GetStageMetersPerUnit(stage))
    if UsdGeom.StageHasAuthoredMetersPerUnit(stage):
        scale, unit_key, unit_reason = declared_unit(metres, f"metersPerUnit {metres:g}")
    else:
        scale, unit_key, unit_reason = declared_unit(metres, "none authored, USD's default centimetres")
    posed = _skinned_points(stage, time)
    xforms = UsdGeom.XformCache(time)
    meshes: list[trimesh.Trimesh] = []
    names: list[str] = []
    prims = [p for p in Usd.PrimRange.Stage(stage, Usd.TraverseInstanceProxies()) if p.IsA(UsdGeom.Mesh)]
    for i, prim in enumerate(prims):
        mesh = UsdGeom.Mesh(prim)
        if UsdGeom.Imageable(prim).ComputeVisibility(time) == UsdGeom.Tokens.invisible:
            continue
        if UsdGeom.Imageable(prim).ComputePurpose() in (UsdGeom.Tokens.guide, UsdGeom.Tokens.proxy):
            continue
        counts = mesh.GetFaceVertexCountsAttr().Get(time)
        indices = mesh.GetFaceVertexIndicesAttr().Get(time)
        points = mesh.GetPointsAttr().Get(time)
        if not counts or not indices or points is None:
            continue
        key = str(prim.GetPath())
        if key in posed:
            vertices = posed[key]
        else:
            world = np.array(xforms.GetLocalToWorldTransform(prim))  # row vectors: p' = p M
            vertices = np.asarray(points, dtype=np.float64) @ world[:3, :3] + world[3, :3]
        faces = polygons_to_triangles(np.asarray(counts), np.asarray(indices))
        meshes.append(coloured_mesh(vertices * scale, faces, _colour(prim, mesh)))
        names.append(key)
        if i % 100 == 0:
            report(0.1 + 0.8 * i / max(len(prims), 1), f"Read {i + 1:,} of {len(prims):,} USD meshes")
    notes = []
    missing = missing_layers(stage)
    warnings = []
    if missing:
        warnings.append(f"{len(missing)} referenced file(s) could not be loaded ({missing[0]}); the rest of the "
                     "stage is shown. Put the referenced files beside the stage or fix the paths.")
    if posed:
        notes.append(f"{len(posed)} skinned mesh(es) shown in their posed state.")
    declared = Declared(up, unit_key, (f"the stage declares {up.upper()}-up", unit_reason))
    return RawScene(meshes, names, fmt, generator=None, notes=notes, warnings=warnings, declared=declared)
