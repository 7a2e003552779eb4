"""The exporter's role, and which writer plays it for each format.

Every format's writer takes the bodies (and the scene's meshes) in the pipeline's frame and
writes one file in the frame asked for (:class:`BodyWriter`); the formats that write people
into a copy of the architect's design take that design instead (:class:`DesignWriter`).
:func:`pipeline.export.export_bodies` picks the writer here and never asks a writer what it
can do.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, Protocol, Sequence

from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody


class BodyWriter(Protocol):
    """Writes ``bodies`` and ``static_meshes`` (``(name, trimesh.Trimesh)``) to ``path`` in ``frame``;
    returns the file, or the files when it writes companions (OBJ's .mtl, textures)."""

    def __call__(self, bodies: Sequence[ExportBody], path: str | Path, *, frame: AxesUnits,
                 static_meshes: Sequence[tuple[str, object]] = ()) -> Path | list[Path]: ...


class DesignWriter(Protocol):
    """Copies the design ``original`` to ``out`` with ``bodies`` added; ``original`` is never changed."""

    def __call__(self, bodies: Sequence[ExportBody], original: str | Path, out: str | Path) -> Path: ...


def _module(name: str):
    return importlib.import_module(f"pipeline.export.{name}")


#: format -> its writer, loaded on first use (USD, IFC and Rhino pull in large libraries)
BODY_WRITERS: dict[str, Callable[[], BodyWriter]] = {
    "obj": lambda: _module("obj_ply").write_obj, "ply": lambda: _module("obj_ply").write_ply,
    "glb": lambda: _module("gltf_skin").write_glb, "fbx": lambda: _module("fbx").write_fbx,
    "usd": lambda: _module("usd").write_usd, "usdz": lambda: _module("usd").write_usdz,
    "dae": lambda: _module("collada").write_collada,
}
DESIGN_WRITERS: dict[str, Callable[[], DesignWriter]] = {
    "ifc": lambda: _module("ifc_people").write_people_into_ifc,
    "3dm": lambda: _module("rhino_people").write_people_into_3dm,
}


def body_writer(fmt: str) -> BodyWriter:
    return BODY_WRITERS[fmt]()


def design_writer(fmt: str) -> DesignWriter:
    return DESIGN_WRITERS[fmt]()
