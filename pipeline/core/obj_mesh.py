"""Meshes as OBJ files: the bodies a run and a fit write, read back fast, and the polygon
meshes with texture coordinates of the clothing assets and the base mesh they bind to.

Exports with materials, several objects or a scene live in :mod:`pipeline.export`; this is
the one reader and writer of the plain files every stage and the desktop exchange.
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
    verts = _rows(lines, "v ", 3)
    f_lines = [line[2:] for line in lines if line.startswith("f ")]
    if not f_lines:
        return verts, np.zeros((0, 3), dtype=np.int64)
    tokens = " ".join(f_lines).split()
    if len(tokens) != 3 * len(f_lines):
        raise ValueError(f"{path}: only triangle faces are supported")
    if any("/" in line for line in f_lines):
        tokens = [t.split("/", 1)[0] for t in tokens]
    faces = np.array(tokens, dtype=np.int64).reshape(-1, 3) - 1
    return verts, faces


def read_obj_polygons(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Vertices, triangles (quads and polygons fan-triangulated), one texture coordinate per
    vertex (the first a face gives it; 0 where none) and, when every corner has one, the
    per-corner texture coordinates (F, 3, 2) that seams need; else None."""
    lines = Path(path).read_text(errors="replace").splitlines()
    verts, uvs = _rows(lines, "v ", 3), _rows(lines, "vt ", 2)
    faces, face_uv = [], []
    for line in lines:
        if not line.startswith("f "):
            continue
        corners = [c.split("/") for c in line.split()[1:]]
        vi = [int(c[0]) - 1 for c in corners]
        ti = [int(c[1]) - 1 if len(c) > 1 and c[1] else -1 for c in corners]
        for k in range(1, len(vi) - 1):
            faces.append([vi[0], vi[k], vi[k + 1]])
            face_uv.append([ti[0], ti[k], ti[k + 1]])
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    uv = np.zeros((len(verts), 2))
    corners = None
    if len(uvs):
        fu = np.asarray(face_uv, dtype=np.int64).reshape(-1, 3)
        ok = fu >= 0
        uv[f[ok]] = uvs[fu[ok]]
        if ok.all():
            corners = uvs[fu]
    return verts, f, uv, corners


def _rows(lines: list[str], key: str, width: int) -> np.ndarray:
    """The first ``width`` numbers of every line starting with ``key`` ("v ", "vt "), in one numpy pass."""
    rows = [line[len(key):].split()[:width] for line in lines if line.startswith(key)]
    return np.asarray(rows, dtype=np.float64).reshape(-1, width) if rows else np.zeros((0, width))
