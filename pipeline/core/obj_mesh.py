"""Plain triangle meshes as OBJ files: the bodies a run and a fit write, read back fast.

Exports with materials, several objects or a scene live in :mod:`pipeline.export`; this is
only the vertices-and-triangles file every stage and the desktop exchange.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from pipeline.core.atomic import write_bytes_atomic


def write_obj(path: str | Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """A triangle mesh as OBJ, written atomically (a stopped run leaves no half mesh)."""
    buf = io.StringIO()
    buf.write("# GenZI body, world metres, Z up\n")
    np.savetxt(buf, np.asarray(vertices, dtype=np.float64), fmt="v %.6f %.6f %.6f")
    np.savetxt(buf, np.asarray(faces, dtype=np.int64) + 1, fmt="f %d %d %d")
    write_bytes_atomic(path, buf.getvalue().encode())


def read_obj(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of a triangle OBJ (the bodies this app writes; ``f a/b/c`` tokens
    keep their vertex index). Parsed with numpy in one pass per kind of line: the per-line
    Python loop took ~240 ms for one body, in the GUI thread when a run finished."""
    lines = Path(path).read_text().splitlines()
    v_text = " ".join(line[2:] for line in lines if line.startswith("v "))
    f_lines = [line[2:] for line in lines if line.startswith("f ")]
    verts = np.array(v_text.split(), dtype=np.float64).reshape(-1, 3) if v_text else np.zeros((0, 3))
    if not f_lines:
        return verts, np.zeros((0, 3), dtype=np.int64)
    tokens = " ".join(f_lines).split()
    if len(tokens) != 3 * len(f_lines):
        raise ValueError(f"{path}: only triangle faces are supported")
    if any("/" in line for line in f_lines):
        tokens = [t.split("/", 1)[0] for t in tokens]
    faces = np.array(tokens, dtype=np.int64).reshape(-1, 3) - 1
    return verts, faces
