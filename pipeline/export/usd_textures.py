"""Scene textures in USD: the base-colour image as a ``UsdUVTexture`` read through the mesh's
``st`` coordinates, so a room exported to USD/USDZ keeps its look, as in GLB.

Images are written once per picture (keyed by pixels) as PNG/JPEG files in a folder beside
the stage and referenced by relative path; USDZ packaging pulls them into the archive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.export.gltf_skin import image_digest
from pipeline.export.scene_textures import encoded


class TextureFiles:
    """Writes each distinct image once into ``folder``; paths come back relative to the stage."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._written: dict[str, str] = {}

    def path_of(self, image) -> str:
        key = image_digest(image)
        if key not in self._written:
            data, mime = encoded(image)
            name = f"texture_{len(self._written)}.{'png' if mime == 'image/png' else 'jpg'}"
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_bytes(data)
            self._written[key] = f"./{self.folder.name}/{name}"
        return self._written[key]


def feed_texture(stage, material, shader, file: str, factor) -> None:
    """Feed ``shader``'s diffuseColor from the image ``file`` read through the mesh's ``st``."""
    from pxr import Sdf, UsdShade

    base = material.GetPath()
    reader = UsdShade.Shader.Define(stage, base.AppendChild("st_reader"))
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.Token).Set("st")
    image = UsdShade.Shader.Define(stage, base.AppendChild("base_colour"))
    image.CreateIdAttr("UsdUVTexture")
    image.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(file)
    image.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(reader.ConnectableAPI(), "result")
    image.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(tuple(float(c) for c in factor))
    rgb = image.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    shader.GetInput("diffuseColor").ConnectToSource(rgb)


def add_texture(stage, material, shader, mesh, texture, files: TextureFiles) -> None:
    """Feed ``shader``'s diffuseColor from ``texture`` (a SceneTexture) and give ``mesh`` its st."""
    from pxr import Sdf, UsdGeom, Vt

    feed_texture(stage, material, shader, files.path_of(texture.image), texture.factor)
    st = np.asarray(texture.uv, dtype=np.float32).copy()
    st[:, 1] = 1.0 - st[:, 1]  # glTF's v points down, USD's up
    primvar = UsdGeom.PrimvarsAPI(mesh.GetPrim()).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                                                UsdGeom.Tokens.vertex)
    primvar.Set(Vt.Vec2fArray.FromNumpy(st))
