"""The one OBJ reader for polygon meshes: quads fan into triangles, texture coordinates land on their vertices."""

from __future__ import annotations

import numpy as np

from pipeline.core.obj_mesh import read_obj, read_obj_polygons


def test_polygons_are_fanned_and_uvs_follow_their_vertices(tmp_path):
    path = tmp_path / "quad.obj"
    path.write_text("# a unit quad and a triangle\nv 0 0 0\nv 1 0 0\nv 1 1 0 0.5 0.5 0.5\nv 0 1 0\nv 2 0 0\n"
                    "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvn 0 0 1\nf 1/1/1 2/2/1 3/3/1 4/4/1\nf 2//1 5//1 3//1\n")
    vertices, faces, uv, _ = read_obj_polygons(path)
    np.testing.assert_allclose(vertices[2], [1, 1, 0])  # extra vertex colours are not coordinates
    assert faces.tolist() == [[0, 1, 2], [0, 2, 3], [1, 4, 2]]
    np.testing.assert_allclose(uv[:4], [[0, 0], [1, 0], [1, 1], [0, 1]])
    assert uv[4].tolist() == [0.0, 0.0]  # no texture coordinate given
    tri = tmp_path / "tri.obj"
    tri.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    v, f = read_obj(tri)
    v2, f2, _, _ = read_obj_polygons(tri)
    np.testing.assert_array_equal(v, v2)
    np.testing.assert_array_equal(f, f2)
