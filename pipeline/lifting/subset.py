"""Cheaper forward passes for the fit: compute only what a loss actually reads.

The reprojection term needs the 23 keypoints and the scene terms a subsample of the skin,
so skinning all ~14k vertices every iteration wastes most of a CPU's time. Keypoints that a
linear regressor takes from linear-blend-skinned vertices are themselves linear in the bone
transforms: kp_k = sum_j T_j [a_kj; b_kj] with per-keypoint, per-bone 4-vectors that depend
only on the rest shape (sum over vertices of regressor weight x skin weight x rest vertex).
Those are folded once per rest shape, which turns the keypoints into a 23 x bones product.

For Anny (:class:`~pipeline.body.anny_body.AnnyBody`) this module builds the subset forward
from its skinning data; any other model falls back to its full forward.
"""

from __future__ import annotations

import warnings

import torch

from pipeline.body.anny_body import AnnyBody
from pipeline.body.base import BodyModel


class SubsetForward:
    """``forward_subset`` with its caches kept for one fit: the folded keypoint weights (per
    frozen rest shape) and, for a batch of sets, the skin weights of each vertex subset as a
    sparse matrix (one sparse product serves every set; gathering four bone transforms per
    vertex and set costs several times more on a CPU)."""

    def __init__(self, body: BodyModel) -> None:
        self.body = body
        self.anny = isinstance(body, AnnyBody)
        self._rest: torch.Tensor | None = None
        self._folded: torch.Tensor | None = None
        self._sparse: dict[tuple, torch.Tensor] = {}
        self._sparse_ok = True

    def fold_keypoints(self, rest_v: torch.Tensor) -> torch.Tensor:
        """(B|1, 23, J, 4): regressor x skin weights x homogeneous rest vertices, summed per bone."""
        if not rest_v.requires_grad and self._rest is rest_v:
            return self._folded
        body = self.body
        idx = body.keypoint_vertex_index
        w_kp = body.keypoint_weights  # (23, n)
        si = body.skin_index[idx]  # (n, 4)
        sw = body.skin_weights[idx]  # (n, 4)
        rv = rest_v[:, idx]  # (b, n, 3)
        rh = torch.cat([rv, torch.ones_like(rv[..., :1])], dim=-1)  # (b, n, 4)
        b, n = rh.shape[0], rh.shape[1]
        n_bones = len(body.bone_names)
        # contribution of (vertex, slot) to each keypoint: (b, 23, n*4, 4)
        contrib = w_kp[None, :, :, None, None] * (sw[None, None, :, :, None] * rh[:, None, :, None, :])
        contrib = contrib.reshape(b, w_kp.shape[0], n * 4, 4)
        folded = rh.new_zeros(b, w_kp.shape[0], n_bones, 4).index_add_(2, si.reshape(-1), contrib)
        if not rest_v.requires_grad:
            self._rest, self._folded = rest_v, folded
        return folded

    def _sparse_weights(self, vertex_index: torch.Tensor) -> torch.Tensor:
        key = (vertex_index.data_ptr(), vertex_index.numel(), str(vertex_index.device))
        if key not in self._sparse:
            body = self.body
            n, j = vertex_index.numel(), len(body.bone_names)
            dense = torch.zeros(n, j, device=vertex_index.device)
            dense.scatter_add_(1, body.skin_index[vertex_index], body.skin_weights[vertex_index])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
                self._sparse[key] = dense.to_sparse_csr()
        return self._sparse[key]

    def _blend(self, transforms: torch.Tensor, vertex_index: torch.Tensor) -> torch.Tensor:
        """(B, n, 12): each subset vertex's skin-weighted bone transform."""
        body = self.body
        b = transforms.shape[0]
        t = transforms[..., :3, :].reshape(b, -1, 12)
        if b > 1 and self._sparse_ok:
            flat = t.permute(1, 0, 2).reshape(t.shape[1], b * 12)
            try:
                return torch.sparse.mm(self._sparse_weights(vertex_index), flat).reshape(-1, b, 12).permute(1, 0, 2)
            except (RuntimeError, NotImplementedError):  # a backend without sparse products (MPS)
                self._sparse_ok = False
        # one set: gathering the 4 bones per vertex is the fastest
        return (t[:, body.skin_index[vertex_index]] * body.skin_weights[vertex_index][None, :, :, None]).sum(2)

    def __call__(self, params: dict[str, torch.Tensor], vertex_index: torch.Tensor | None):
        """(keypoints (B, 23, 3), vertices at ``vertex_index`` (B, n, 3) or None)."""
        body = self.body
        if not self.anny:
            out = body(params)
            return out.keypoints, None if vertex_index is None else out.vertices[:, vertex_index]
        rest_v, _, transforms, _ = body.posed(params)
        b = transforms.shape[0]
        folded = self.fold_keypoints(rest_v)
        if folded.shape[0] == 1:
            keypoints = torch.einsum("bjrc,kjc->bkr", transforms[:, :, :3, :], folded[0])
        else:
            keypoints = torch.einsum("bjrc,bkjc->bkr", transforms[:, :, :3, :], folded)
        if vertex_index is None:
            return keypoints, None
        blended = self._blend(transforms, vertex_index).reshape(b, -1, 3, 4)
        rv = rest_v[:, vertex_index].expand(b, -1, -1)
        verts = (blended[..., :3] @ rv[..., None]).squeeze(-1) + blended[..., 3]
        return keypoints, verts


def forward_subset(body: BodyModel, params: dict[str, torch.Tensor], vertex_index: torch.Tensor | None):
    """(keypoints (B, 23, 3), vertices at ``vertex_index`` (B, n, 3) or None), uncached."""
    return SubsetForward(body)(params, vertex_index)
