"""The one look of the scene in renders and in the viewport: materials, lighting, textures, camera.

The desktop viewport and the pipeline must show the same picture (what the user sees is what
the diffusion model sees), so the conversion of scene meshes to pyvista
(:func:`scene_to_pyvista`, :func:`add_scene_actors`), the material and the lighting
(:func:`apply_default_lighting`) live here and both use them.

Cameras follow :mod:`pipeline.views.cameras` (OpenCV). The VTK camera is set so a world point
lands on exactly the pixel :func:`pipeline.views.cameras.project_points` gives: view angle =
vertical field of view, position = camera centre, view up = camera -y, window centre 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.views.cameras import Camera

BACKGROUND = (0.5, 0.5, 0.5)  # the paper's render background grey
SCENE_MATERIAL = {"ambient": 0.45, "diffuse": 0.65, "specular": 0.0}
BODY_COLOR = (0.80, 0.68, 0.60)  # light skin-grey: reads as a person, not as scene material
BODY_MATERIAL = {"ambient": 0.3, "diffuse": 0.75, "specular": 0.1, "specular_power": 15.0}
HEADLIGHT_INTENSITY = 0.85
NEAR_CLIP = 0.02  # metres


def pyvista_module():
    import pyvista as pv  # heavy: imported on first use only

    from pipeline.views.gl_window import choose_offscreen_window

    choose_offscreen_window()  # every off-screen plotter is made after this
    return pv


# ------------------------------------------------------------------------------------------
# the shared look
# ------------------------------------------------------------------------------------------
def apply_default_lighting(plotter: Any) -> None:
    """The one lighting used by renders and the viewport: a light at the camera, no shadows.

    Like the paper's head-light: every visible surface facing the camera is lit, so views
    from any direction have comparable exposure; ambient terms in the materials lift the
    surfaces seen at grazing angles.
    """
    pv = pyvista_module()
    plotter.remove_all_lights()
    plotter.add_light(pv.Light(light_type="headlight", intensity=HEADLIGHT_INTENSITY))


@dataclass(eq=False)
class TextureImage:
    """A part's base-colour image (H, W, 3) uint8, already times its material's colour factor.

    The VTK texture is made from it in :func:`add_scene_actors`, once per image and per
    plotter (a VTK texture holds GL resources of the window that drew it).
    """

    rgb: np.ndarray


def _texture_for(image: Any, factor: np.ndarray | None, cache: dict) -> TextureImage:
    """The texture image of a PIL image times the material's colour factor (deduplicated
    within one conversion through ``cache``)."""
    key = (id(image), tuple(np.round(factor, 4)) if factor is not None else ())
    if key in cache:
        return cache[key]
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if factor is not None and not np.allclose(factor[:3], 1.0):
        rgb = np.clip(rgb.astype(np.float32) * factor[None, None, :3], 0, 255).astype(np.uint8)
    cache[key] = TextureImage(np.ascontiguousarray(rgb))
    return cache[key]


def _vtk_texture(image: TextureImage) -> Any:
    """A pyvista texture of ``image``; textures are never shared between plotters (a VTK
    texture holds GL resources of the window that drew it)."""
    texture = pyvista_module().Texture(image.rgb)  # pyvista puts image row 0 at v = 1 (glTF/trimesh convention)
    texture.interpolate = True
    texture.repeat = True
    return texture


def trimesh_to_polydata(mesh: Any) -> Any:
    """A pyvista PolyData of a trimesh with smooth vertex normals (and UVs when textured)."""
    pv = pyvista_module()
    poly = pv.PolyData.from_regular_faces(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64))
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64)
    if normals.shape == poly.points.shape:
        poly.point_data["Normals"] = normals
        poly.point_data.active_normals_name = "Normals"
    return poly


def scene_to_pyvista(scene: Any) -> list[tuple[Any, Any]]:
    """Scene geometries as (PolyData, appearance) pairs.

    appearance is a :class:`TextureImage` (the mesh has texture coordinates), an RGB or RGBA
    tuple of floats in 0..1, or the string ``"vertex"`` (colours are in point data "RGBA").
    """
    from trimesh.visual import TextureVisuals

    from pipeline.scene.materials import base_colour, vertex_colours
    from pipeline.scene.source import as_scene

    parts: list[tuple[Any, Any]] = []
    textures: dict = {}
    for g in as_scene(scene).geometries:
        if len(g.faces) == 0:
            continue
        poly = trimesh_to_polydata(g)
        appearance: Any = (0.7, 0.7, 0.7)
        if isinstance(g.visual, TextureVisuals):
            colour, uv = base_colour(g.visual.material), g.visual.uv
            if colour.image is not None and uv is not None and len(uv) == len(g.vertices):
                poly.active_texture_coordinates = np.asarray(uv, dtype=np.float64)
                appearance = _texture_for(colour.image, colour.factor, textures)
            elif colour.factor is not None:
                opaque = colour.alpha_mode != "BLEND"
                appearance = tuple(float(c) for c in (colour.factor[:3] if opaque else colour.factor[:4]))
        else:
            colours = vertex_colours(g)
            if colours is not None:
                poly.point_data["RGBA"] = colours
                appearance = "vertex"
        parts.append((poly, appearance))
    return parts


def add_scene_actors(plotter: Any, scene: Any) -> list[Any]:
    """Add the scene to a plotter with the shared material; returns the actors. Call it on the
    plotter's own thread: it makes the VTK objects."""
    actors = []
    textures: dict[int, Any] = {}  # one VTK texture per image shared by several parts
    for poly, appearance in scene_to_pyvista(scene):
        kwargs = dict(SCENE_MATERIAL, smooth_shading=True, show_scalar_bar=False)
        if isinstance(appearance, str):
            actor = plotter.add_mesh(poly, scalars="RGBA", rgba=True, **kwargs)
        elif isinstance(appearance, tuple):
            opacity = appearance[3] if len(appearance) == 4 else 1.0
            actor = plotter.add_mesh(poly, color=appearance[:3], opacity=opacity, **kwargs)
        else:
            if id(appearance) not in textures:
                textures[id(appearance)] = _vtk_texture(appearance)
            actor = plotter.add_mesh(poly, texture=textures[id(appearance)], **kwargs)
        actors.append(actor)
    return actors


# ------------------------------------------------------------------------------------------
# camera
# ------------------------------------------------------------------------------------------
def apply_camera(plotter: Any, camera: Camera, near: float = NEAR_CLIP, far: float = 100.0) -> None:
    """Make the plotter's VTK camera identical to ``camera`` (pixel-exact, see module doc)."""
    w, h = int(camera.width), int(camera.height)
    if tuple(plotter.window_size) != (w, h):
        plotter.window_size = (w, h)
    eye = camera.position
    forward = camera.forward
    focus = 1.0
    if camera.look_at is not None:
        focus = max(float(np.dot(camera.look_at - eye, forward)), 1e-3)
    vtk_cam = plotter.renderer.GetActiveCamera()
    vtk_cam.SetParallelProjection(False)
    vtk_cam.SetUseHorizontalViewAngle(False)
    vtk_cam.SetPosition(*eye)
    vtk_cam.SetFocalPoint(*(eye + focus * forward))
    vtk_cam.SetViewUp(*camera.up)
    vtk_cam.SetViewAngle(float(camera.fov_y_deg))
    vtk_cam.SetWindowCenter(0.0, 0.0)
    vtk_cam.SetClippingRange(near, far)
