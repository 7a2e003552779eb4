"""Dressed people as pyvista actors: each piece with its material or its baked texture.

Shared by the desktop viewport, the README pictures and the texture tests, so the person
looks the same everywhere. Silhouettes are unlit; glass is translucent.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pipeline.scene.normals import vertex_normals
from pipeline.views.look import pyvista_module


def piece_polydata(piece) -> Any:
    """PolyData of a piece in its fitted pose, with normals and (when textured) UVs."""
    pv = pyvista_module()
    v = np.asarray(piece.vertices, dtype=np.float64)
    f = np.asarray(piece.faces, dtype=np.int64)
    poly = pv.PolyData.from_regular_faces(v, f)
    poly.point_data["Normals"] = vertex_normals(v, f)
    poly.point_data.active_normals_name = "Normals"
    if piece.texture is not None and piece.uv is not None:
        poly.active_texture_coordinates = np.asarray(piece.uv, dtype=np.float64)
    return poly


def add_people_actors(plotter: Any, pieces: Sequence, *, lighting: bool = True, name: str | None = None) -> list[Any]:
    """Add ``pieces`` to ``plotter``; textures are made here, on the drawing thread.
    ``name``: actor names ``{name}:{k}`` so a viewport can find and replace them."""
    pv = pyvista_module()
    textures: dict[int, Any] = {}
    actors = []
    for k, piece in enumerate(pieces):
        m = piece.material
        kwargs: dict[str, Any] = dict(smooth_shading=True, show_scalar_bar=False, pickable=False,
                                      reset_camera=False, render=False, lighting=lighting and not m.unlit,
                                      specular=0.15 if m.alpha < 1 else 0.05, ambient=0.15, diffuse=0.85)
        if name is not None:
            kwargs["name"] = f"{name}:{k}"
        poly = piece_polydata(piece)
        if piece.texture is not None:
            key = id(piece.texture)
            if key not in textures:
                texture = pv.Texture(np.ascontiguousarray(piece.texture))  # row 0 at v = 1
                texture.interpolate = True
                textures[key] = texture
            actor = plotter.add_mesh(poly, texture=textures[key], opacity=m.alpha, **kwargs)
        else:
            actor = plotter.add_mesh(poly, color=m.rgb, opacity=m.alpha, **kwargs)
        actors.append(actor)
    return actors


def _read_rgb(plotter) -> np.ndarray:
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

    w, h = plotter.ren_win.GetSize()
    data = vtkUnsignedCharArray()
    plotter.ren_win.GetPixelData(0, 0, w - 1, h - 1, 0, data, 0)
    return np.ascontiguousarray(vtk_to_numpy(data).reshape(h, w, -1)[::-1, :, :3])


def render_pieces(camera, pieces: Sequence, *, lighting: bool = False, background=(1.0, 1.0, 1.0)) -> np.ndarray:
    """(H, W, 3) uint8 of ``pieces`` alone from ``camera`` (unlit by default: the texture's
    own colours, as a flat-shaded painting would show them)."""
    from pipeline.views.look import apply_camera, apply_default_lighting

    pv = pyvista_module()
    plotter = pv.Plotter(off_screen=True, window_size=(int(camera.width), int(camera.height)), lighting="none")
    try:
        plotter.set_background(background)
        plotter.ren_win.SetMultiSamples(0)
        apply_default_lighting(plotter)
        add_people_actors(plotter, pieces, lighting=lighting)
        apply_camera(plotter, camera)
        plotter.renderer.SetUseFXAA(False)
        plotter.ren_win.Render()  # not screenshot(): pyvista's first render resets the camera
        return _read_rgb(plotter)
    finally:
        plotter.close()
