"""Closest-point and inside/outside queries on triangle meshes with warp's BVH (CPU or CUDA).

One job: answer "where is the nearest surface and am I inside?" for many points at once.
Kernels are compiled once per process (warp caches them on disk across runs).
"""

from __future__ import annotations

import threading

import numpy as np

_lock = threading.Lock()
_kernels = None
_warp_ready = False


def _warp():
    global _warp_ready
    import warp as wp

    if not _warp_ready:
        wp.config.log_level = max(wp.config.log_level, wp.LOG_WARNING)  # no per-module load chatter
        wp.init()
        _warp_ready = True
    return wp


def kernels():
    """Compile (once) and return the warp kernels used by this module and by ``pipeline.scene.sdf``."""
    global _kernels
    with _lock:
        if _kernels is not None:
            return _kernels
        wp = _warp()

        @wp.kernel
        def closest_kernel(
            mesh: wp.uint64,
            points: wp.array(dtype=wp.vec3),
            max_dist: float,
            out_points: wp.array(dtype=wp.vec3),
            out_dist: wp.array(dtype=float),
            out_face: wp.array(dtype=wp.int32),
        ):
            tid = wp.tid()
            p = points[tid]
            q = wp.mesh_query_point_no_sign(mesh, p, max_dist)
            if q.result:
                c = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
                out_points[tid] = c
                out_dist[tid] = wp.length(p - c)
                out_face[tid] = q.face
            else:
                out_points[tid] = p
                out_dist[tid] = max_dist
                out_face[tid] = -1

        @wp.kernel
        def winding_kernel(
            mesh: wp.uint64,
            points: wp.array(dtype=wp.vec3),
            max_dist: float,
            threshold: float,
            out_dist: wp.array(dtype=float),
            out_inside: wp.array(dtype=wp.int32),
        ):
            # Unsigned distance to the mesh, and inside = winding number above threshold.
            tid = wp.tid()
            p = points[tid]
            q = wp.mesh_query_point_sign_winding_number(mesh, p, max_dist, 2.0, threshold)
            if q.result:
                c = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
                out_dist[tid] = wp.length(p - c)
            else:
                out_dist[tid] = max_dist
            if q.sign < 0.0:
                out_inside[tid] = 1
            else:
                out_inside[tid] = 0

        @wp.kernel
        def side_kernel(
            mesh: wp.uint64,
            points: wp.array(dtype=wp.vec3),
            max_dist: float,
            out_dist: wp.array(dtype=float),
            out_inside: wp.array(dtype=wp.int32),
        ):
            # Unsigned distance, and inside = behind the closest surface (angle-weighted normal).
            tid = wp.tid()
            p = points[tid]
            q = wp.mesh_query_point_sign_normal(mesh, p, max_dist)
            if q.result:
                c = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
                out_dist[tid] = wp.length(p - c)
                if q.sign < 0.0:
                    out_inside[tid] = 1
                else:
                    out_inside[tid] = 0
            else:
                out_dist[tid] = max_dist
                out_inside[tid] = 0

        @wp.kernel
        def ray_kernel(
            mesh: wp.uint64,
            origins: wp.array(dtype=wp.vec3),
            directions: wp.array(dtype=wp.vec3),
            max_t: float,
            out_t: wp.array(dtype=float),
            out_face: wp.array(dtype=wp.int32),
        ):
            # First hit along each (unit) ray; face -1 for a miss.
            tid = wp.tid()
            q = wp.mesh_query_ray(mesh, origins[tid], directions[tid], max_t)
            if q.result:
                out_t[tid] = q.t
                out_face[tid] = q.face
            else:
                out_t[tid] = -1.0
                out_face[tid] = -1

        class K:
            pass

        K.closest = closest_kernel
        K.winding = winding_kernel
        K.side = side_kernel
        K.ray = ray_kernel
        _kernels = K
        return K


class MeshQuery:
    """A warp BVH over one triangle mesh (vertices (V,3), faces (F,3)) on ``device``."""

    def __init__(self, mesh_or_vertices, faces=None, device: str = "cpu", winding: bool = True) -> None:
        wp = _warp()
        if faces is None:
            vertices, faces = mesh_or_vertices.vertices, mesh_or_vertices.faces
        else:
            vertices = mesh_or_vertices
        vertices = np.ascontiguousarray(vertices, dtype=np.float32)
        faces = np.ascontiguousarray(faces, dtype=np.int32)
        if len(faces) == 0:
            raise ValueError("MeshQuery needs at least one triangle")
        self.device = device
        self.vertices = vertices
        self.faces = faces
        self._points = wp.array(vertices, dtype=wp.vec3, device=device)
        self._indices = wp.array(faces.reshape(-1), dtype=wp.int32, device=device)
        self.mesh = wp.Mesh(points=self._points, indices=self._indices, support_winding_number=winding)
        diag = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
        self.far = 10.0 * diag + 1e3

    def _points_array(self, points: np.ndarray):
        wp = _warp()
        return wp.array(np.ascontiguousarray(points, dtype=np.float32).reshape(-1, 3), dtype=wp.vec3, device=self.device)

    def first_hits(self, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance along each unit ray to its first hit (-1 for a miss) and the face hit (-1).

        Used for very large scenes: warp builds and queries its BVH without holding Python's
        GIL, so a GUI thread keeps running while a worker prepares the scene."""
        wp = _warp()
        k = kernels()
        n = len(origins)
        out_t = wp.zeros(n, dtype=float, device=self.device)
        out_face = wp.zeros(n, dtype=wp.int32, device=self.device)
        wp.launch(
            k.ray,
            dim=n,
            inputs=[self.mesh.id, self._points_array(origins), self._points_array(directions), float(self.far)],
            outputs=[out_t, out_face],
            device=self.device,
        )
        return out_t.numpy().astype(np.float64), out_face.numpy().astype(np.int64)

    def closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(closest points (N,3), distances (N,), face ids (N,)) for (N,3) query points."""
        wp = _warp()
        k = kernels()
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        n = len(points)
        p = self._points_array(points)
        out_p = wp.empty(n, dtype=wp.vec3, device=self.device)
        out_d = wp.empty(n, dtype=float, device=self.device)
        out_f = wp.empty(n, dtype=wp.int32, device=self.device)
        wp.launch(k.closest, dim=n, inputs=[self.mesh.id, p, self.far], outputs=[out_p, out_d, out_f], device=self.device)
        return out_p.numpy().astype(np.float64), out_d.numpy().astype(np.float64), out_f.numpy().astype(np.int64)

    def distance_and_inside(self, points: np.ndarray, mode: str = "winding", threshold: float = 0.5, max_dist: float | None = None):
        """(unsigned distance (N,), inside (N,) bool). ``mode``: "winding" or "side"."""
        wp = _warp()
        k = kernels()
        points = np.asarray(points).reshape(-1, 3)
        n = len(points)
        p = self._points_array(points)
        out_d = wp.empty(n, dtype=float, device=self.device)
        out_i = wp.empty(n, dtype=wp.int32, device=self.device)
        md = float(self.far if max_dist is None else max_dist)
        if mode == "winding":
            wp.launch(k.winding, dim=n, inputs=[self.mesh.id, p, md, float(threshold)], outputs=[out_d, out_i], device=self.device)
        elif mode == "side":
            wp.launch(k.side, dim=n, inputs=[self.mesh.id, p, md], outputs=[out_d, out_i], device=self.device)
        else:
            raise ValueError(f"mode must be 'winding' or 'side', not {mode!r}")
        return out_d.numpy().astype(np.float64), out_i.numpy().astype(bool)
