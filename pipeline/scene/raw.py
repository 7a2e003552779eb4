"""What a format reader hands back: geometry in the file's own frame, and what the file says.

Shared by every reader (``formats`` and the ``formats_*`` modules) so a reader never imports
another; unit and up-axis handling happen afterwards in ``pipeline.scene.scene``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import trimesh

Report = Callable[[float, str], None]


class SceneLoadError(Exception):
    """A scene file could not be loaded. The message says what went wrong and what to do."""


@dataclass(frozen=True)
class FormatInfo:
    """What a file format says (or usually means) about its up axis and unit."""

    name: str
    up_axis: str  # the convention of the format or of the tools that usually write it
    unit: str
    declared: bool  # True when the format's specification fixes up axis and unit (glTF)
    reads_own_frame: bool = False  # the file records its own up axis and unit (IFC, 3dm, USD, Collada)


@dataclass(frozen=True)
class Declared:
    """Up axis and unit read from the file itself, with the reasons to show the user."""

    up_axis: str
    unit: str
    reasons: tuple[str, ...]


@dataclass
class HiddenPart:
    """A part listed in the outline but hidden by default and kept out of the scene's surfaces."""

    mesh: trimesh.Trimesh
    name: str
    group: tuple[str, ...] = ()


@dataclass
class RawScene:
    """Geometry as the file has it: node transforms applied, no unit or axis change."""

    geometries: list[trimesh.Trimesh]
    names: list[str]
    format: FormatInfo
    generator: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # parts missing: what and what to do
    declared: Declared | None = None  # set by readers of formats that record their frame
    #: where each part sits in the file's own hierarchy (storey and class, layer path, node
    #: parents), for the scene outline; None: derived from the part names
    groups: list[tuple[str, ...]] | None = None
    group_colours: dict[tuple[str, ...], tuple[float, float, float]] = field(default_factory=dict)
    #: parts the file holds that are listed but not surfaces of the design (IFC spaces and
    #: openings): never rendered, picked or fitted against unless the user shows them
    hidden: list[HiddenPart] = field(default_factory=list)

    @property
    def triangle_count(self) -> int:
        return int(sum(len(g.faces) for g in self.geometries))


def polygons_to_triangles(counts: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Fan-triangulate polygons given as (vertex counts, flat indices); (T, 3) int64."""
    counts = np.asarray(counts, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tris = []
    for k in range(3, int(counts.max(initial=0)) + 1):
        sel = starts[counts == k]
        for j in range(1, k - 1):
            tris.append(np.stack([indices[sel], indices[sel + j], indices[sel + j + 1]], axis=1))
    return np.concatenate(tris) if tris else np.zeros((0, 3), dtype=np.int64)


def coloured_mesh(vertices: np.ndarray, faces: np.ndarray, rgba) -> trimesh.Trimesh:
    """A plain triangle mesh with one colour (floats 0..1, or per-face (F, 4) floats)."""
    mesh = trimesh.Trimesh(vertices=np.asarray(vertices, dtype=np.float64),
                           faces=np.asarray(faces, dtype=np.int64), process=False, validate=False)
    colours = np.asarray(rgba, dtype=np.float64)
    if colours.ndim == 1:
        colours = np.broadcast_to(colours, (len(mesh.faces), len(colours)))
    if colours.shape[1] == 3:
        colours = np.concatenate([colours, np.ones((len(colours), 1))], axis=1)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, face_colors=np.clip(np.round(colours * 255.0), 0, 255).astype(np.uint8))
    return mesh


def merge_parts(geometries: list[trimesh.Trimesh]) -> tuple[trimesh.Trimesh, np.ndarray]:
    """One plain mesh (no visuals) of all parts, and each face's part index."""
    offsets = np.cumsum([0] + [len(g.vertices) for g in geometries])
    vertices = np.concatenate([np.asarray(g.vertices, dtype=np.float64) for g in geometries])
    faces = np.concatenate([np.asarray(g.faces, dtype=np.int64) + o for g, o in zip(geometries, offsets[:-1])])
    part = np.concatenate([np.full(len(g.faces), i, dtype=np.int32) for i, g in enumerate(geometries)])
    return trimesh.Trimesh(vertices=vertices, faces=faces, process=False, validate=False), part
