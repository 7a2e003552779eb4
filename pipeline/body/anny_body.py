"""Anny (NAVER, Apache-2.0 code, CC0 data) behind the ``BodyModel`` interface.

Conventions (checked by tests/test_body_anny.py):

* World frame Z-up, metres. At identity orientation the body faces -Y, its left side is +X.
* ``translation`` (B, 3) is the world position of Anny's ``root`` bone head, i.e. the pelvis
  centre (about 0.87 m above the soles for the average body). ``init_params`` puts it at the
  origin; :func:`pipeline.body.presets.place_body` puts a body on a floor or a seat.
* ``orientation`` (B, 6): 6D global rotation of the whole body about the pelvis centre.
* ``pose`` (B, J, 6): 6D local rotations of the ``MAIN_BONES`` (J = 25), in Anny's
  ``local-ref`` convention: each bone's rotation relative to its parent, expressed in the
  world-aligned axes of the rest pose (x = body left, y = back, z = up). So a rotation about
  x is flexion for legs and spine: ``upperleg01`` -90 deg about x lifts the thigh forward,
  ``lowerleg01`` +90 deg about x bends the knee. 6D was chosen over axis-angle because it is
  continuous (no wrap-around, no singular gradient at zero) and Adam moves it evenly.
  Fingers, toes, twist bones and face stay at Anny's rest pose, with gently curled fingers.
* Keypoints (B, 23, 3): by default ``keypoints="detector"``: a vertex regressor fitted so
  that the points sit where BlazePose (pipeline/keypoints/blazepose.py) detects them on renders of Anny
  (resources/body/anny_blazepose_keypoints.npz, made by benchmarks/keypoint_bias.py); with
  ``keypoints="coco"`` (or without that file) Anny's own COCO+feet regressor.
* ``shape`` (B, 6): unconstrained logits; phenotypes = sigmoid(shape) in the order
  ``PHENOTYPES`` (gender, age, muscle, weight, height, proportions), so no optimiser step can
  leave [0, 1]. ``fixed_phenotypes`` (constructor or :meth:`AnnyBody.set_fixed_phenotypes`)
  replaces chosen phenotypes by user values; their logits then have no effect.

Speed: the rest model (blendshapes + rest bone frames) only depends on the phenotypes, so it
is cached while ``shape`` does not require a gradient (frozen shape) and recomputed otherwise.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.body import anny_adapter
from pipeline.body.anny_model import (
    ProgressCallback,
    ensure_anny_cache,
    get_anny_model,
    load_detector_keypoint_weights,
)
from pipeline.body.base import KEYPOINT_NAMES, BodyModel, BodyOutput, SkinnedMesh
from pipeline.core.rotations import axis_angle_to_matrix, matrix_to_rot6d, rot6d_to_matrix

__all__ = ["MAIN_BONES", "PHENOTYPES", "AnnyBody", "ensure_anny_cache", "get_anny_model", "identity_rot6d"]

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")

# The optimised bones, in parameter order. Twist bones (*02), pelvis.L/R, fingers, toes,
# eyes and face are not in the list and keep their rest (or relaxed) rotation.
MAIN_BONES: tuple[str, ...] = (
    "spine05", "spine04", "spine03", "spine02", "spine01",
    "neck01", "neck02", "neck03", "head",
    "clavicle.L", "shoulder01.L", "upperarm01.L", "lowerarm01.L", "wrist.L",
    "clavicle.R", "shoulder01.R", "upperarm01.R", "lowerarm01.R", "wrist.R",
    "upperleg01.L", "lowerleg01.L", "foot.L",
    "upperleg01.R", "lowerleg01.R", "foot.R",
)  # fmt: skip

def identity_rot6d(*shape: int, device=None) -> torch.Tensor:
    eye = torch.eye(3, device=device)
    return matrix_to_rot6d(eye).expand(*shape, 6).clone()


class AnnyBody(BodyModel):
    """Anny with optimisable translation, orientation, main-bone pose and phenotypes."""

    name = "anny"
    phenotype_names = PHENOTYPES
    main_bones = MAIN_BONES

    def __init__(
        self,
        device: str | torch.device = "cpu",
        fixed_phenotypes: dict[str, float] | None = None,
        relaxed_fingers_deg: float = 12.0,
        progress: ProgressCallback | None = None,
        keypoints: str = "detector",
    ) -> None:
        from anny.keypoints import KeypointsRegressor
        from anny.utils import kinematics

        self._kinematics = kinematics
        self._device = torch.device(device)
        self.model = get_anny_model(self._device, progress=progress)
        m = self.model
        self.bone_names: list[str] = list(m.bone_labels)
        self.joint_names = self.bone_names
        self.parents = np.asarray([-1] + [int(p) for p in m.bone_parents[1:]], dtype=np.int64)
        missing = [b for b in MAIN_BONES if b not in self.bone_names]
        if missing:
            raise RuntimeError(f"This Anny version lacks the bones {missing}; install anny 0.6.x.")
        self.main_index = torch.tensor([self.bone_names.index(b) for b in MAIN_BONES], device=self._device)
        reg = KeypointsRegressor.coco(m, labels=list(KEYPOINT_NAMES))
        w = reg.regression_weights.to(self._device, torch.float32)
        self.keypoint_set = "coco"
        if keypoints not in ("detector", "coco"):
            raise ValueError("keypoints must be 'detector' (BlazePose-matched) or 'coco'.")
        if keypoints == "detector":
            fitted = load_detector_keypoint_weights(w.shape[1])
            if fitted is not None:
                w = fitted.to(self._device)
                self.keypoint_set = "detector"
        # Sparse gather of the few vertices each keypoint uses: much cheaper than a dense product.
        cols = torch.nonzero(w.abs().sum(0) > 0).squeeze(1)
        self.keypoint_vertex_index = cols
        self.keypoint_weights = w[:, cols].contiguous()
        self._faces = m.faces.detach().cpu().numpy().astype(np.int64)
        self._fixed: dict[str, float] = {}
        self.set_fixed_phenotypes(fixed_phenotypes or {})
        self._rest_cache: tuple[bytes, tuple[torch.Tensor, torch.Tensor]] | None = None
        self.skin_index, self.skin_weights = self._top4_weights()
        dense = torch.zeros(self.num_vertices, len(self.bone_names), device=self._device)
        self._skin_dense = dense.scatter_add_(1, self.skin_index, self.skin_weights)
        self._rest_delta = self._relaxed_rest_rotations(relaxed_fingers_deg)
        self.joint_prior = self._build_joint_prior()

    # ---- interface basics -----------------------------------------------------------------
    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def num_vertices(self) -> int:
        return int(self.model.template_vertices.shape[0])

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def num_main_bones(self) -> int:
        return len(MAIN_BONES)

    # ---- phenotypes -------------------------------------------------------------------------
    def set_fixed_phenotypes(self, values: dict[str, float]) -> None:
        """Pin phenotypes to user values in [0, 1] (e.g. ``{"height": 0.7}``); {} frees all."""
        unknown = set(values) - set(PHENOTYPES)
        if unknown:
            raise ValueError(f"Unknown phenotype(s) {sorted(unknown)}; choose from {PHENOTYPES}.")
        for k, v in values.items():
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"Phenotype {k}={v} must lie in [0, 1].")
        self._fixed = {k: float(v) for k, v in values.items()}
        mask = torch.zeros(len(PHENOTYPES), dtype=torch.bool)
        vals = torch.full((len(PHENOTYPES),), 0.5)
        for k, v in self._fixed.items():
            mask[PHENOTYPES.index(k)] = True
            vals[PHENOTYPES.index(k)] = v
        self._fixed_mask = mask.to(self._device)
        self._fixed_values = vals.to(self._device)

    @property
    def fixed_phenotypes(self) -> dict[str, float]:
        return dict(self._fixed)

    def phenotypes(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, 6) phenotype values in [0, 1] (sigmoid of ``shape``, fixed ones substituted)."""
        p = torch.sigmoid(params["shape"])
        if self._fixed:
            p = torch.where(self._fixed_mask, self._fixed_values.to(p.dtype), p)
        return p

    @staticmethod
    def shape_from_phenotypes(values: torch.Tensor | dict[str, float], batch: int = 1) -> torch.Tensor:
        """Logits for given phenotype values (a (B, 6) tensor or a dict, missing = 0.5)."""
        if isinstance(values, dict):
            v = torch.tensor([[values.get(k, 0.5) for k in PHENOTYPES]] * batch, dtype=torch.float32)
        else:
            v = torch.as_tensor(values, dtype=torch.float32)
        v = v.clamp(1e-4, 1 - 1e-4)
        return torch.log(v) - torch.log1p(-v)

    # ---- parameters -------------------------------------------------------------------------
    def init_params(self, batch: int = 1) -> dict[str, torch.Tensor]:
        d = self._device
        return {
            "translation": torch.zeros(batch, 3, device=d),
            "orientation": identity_rot6d(batch, device=d),
            "pose": identity_rot6d(batch, len(MAIN_BONES), device=d),
            "shape": torch.zeros(batch, len(PHENOTYPES), device=d),
        }

    def bone_index(self, name: str) -> int:
        """Index of ``name`` in ``pose`` (MAIN_BONES order)."""
        if name not in MAIN_BONES:
            raise KeyError(f"{name!r} is not an optimised bone; choose from {MAIN_BONES}.")
        return MAIN_BONES.index(name)

    def set_bone_rotation(self, params, name: str, rotvec_deg) -> None:
        """In place: the local rotation of bone ``name`` as a rotation vector in degrees."""
        v = torch.as_tensor(rotvec_deg, dtype=torch.float32, device=self._device) * (np.pi / 180.0)
        r = axis_angle_to_matrix(v.reshape(-1, 3)).expand(params["pose"].shape[0], 3, 3)
        with torch.no_grad():
            params["pose"][:, self.bone_index(name)] = matrix_to_rot6d(r)

    def set_bone_anatomical(self, params, name: str, angles_deg) -> None:
        """In place: bone ``name``'s rotation given as anatomical components in degrees.

        The components are those of :mod:`pipeline.body.priors` (x/y/z of the rest axes for
        spine, legs, neck, head and clavicles; flexion/back-axis/twist for arm bones), with
        right-side bones mirrored so that equal values give a symmetric pose.
        """
        frame = self.joint_prior.frames[self.bone_index(name)]
        comps = torch.as_tensor(angles_deg, dtype=torch.float32, device=frame.device) * (np.pi / 180.0)
        self.set_bone_rotation(params, name, (frame.T @ comps) * (180.0 / np.pi))

    # ---- model evaluation ---------------------------------------------------------------------
    def _relaxed_rest_rotations(self, finger_deg: float) -> torch.Tensor:
        """(104, 3, 3) fixed local rotations: a slight finger curl so hands look relaxed."""
        rots = torch.eye(3).repeat(len(self.bone_names), 1, 1)
        for i, name in enumerate(self.bone_names):
            if name.startswith("finger") and not name.startswith("finger1"):
                # local-ref x axis: curls the fingers forward/inward in the A-pose.
                sign = 1.0
                rots[i] = axis_angle_to_matrix(torch.tensor([sign * np.radians(finger_deg), 0.0, 0.0]))
        return rots.to(self._device)

    def _rest_model(self, phen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rest vertices (B, V, 3) and rest bone poses (B, 104, 4, 4) for phenotypes (B, 6)."""
        frozen = not phen.requires_grad
        if frozen and self._rest_cache is not None:
            key = phen.detach().cpu().numpy().tobytes()
            if self._rest_cache[0] == key:
                return self._rest_cache[1]
        coeffs = anny_adapter.phenotype_blendshape_coefficients(self.model, phen)
        rest = self.model.get_rest_model(coeffs)
        out = (rest["rest_vertices"], rest["rest_bone_poses"])
        if frozen:
            self._rest_cache = (phen.detach().cpu().numpy().tobytes(), out)
        return out

    def posed(self, params: dict[str, torch.Tensor]):
        """(rest vertices, rest bone poses, skinning transforms, posed bone poses) of ``params``;
        with ``skin_index``/``skin_weights`` (top-4 per vertex) and ``keypoint_vertex_index``/
        ``keypoint_weights`` it is what a fit needs to skin only the vertices it reads."""
        t = params["translation"]
        b = t.shape[0]
        phen = self.phenotypes(params)
        rest_v, rest_poses = self._rest_model(phen)
        n = len(self.bone_names)
        rot = self._rest_delta.expand(b, n, 3, 3).clone()
        rot[:, self.main_index] = rot6d_to_matrix(params["pose"])
        rot[:, 0] = rot6d_to_matrix(params["orientation"])
        delta = t.new_zeros(b, n, 4, 4)
        delta[..., :3, :3] = rot
        delta[:, 0, :3, 3] = t
        delta[..., 3, 3] = 1.0
        m = self.model
        transforms, poses = self._kinematics.forward_kinematic(
            (m.kinematic_chain_levels, m.kinematic_chain_indices),
            rest_poses.expand(b, -1, -1, -1),
            delta,
            "local-ref",
            m.reference_bone_orientations,
        )
        return rest_v, rest_poses, transforms, poses

    def forward(self, params: dict[str, torch.Tensor]) -> BodyOutput:
        rest_v, _, transforms, poses = self.posed(params)
        b = transforms.shape[0]
        verts = self._skin(rest_v, transforms)
        kp = torch.einsum("kv,bvd->bkd", self.keypoint_weights, verts[:, self.keypoint_vertex_index])
        return BodyOutput(vertices=verts, keypoints=kp, joints=poses[..., :3, 3])

    def _top4_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each vertex's four strongest bone influences, renormalised.

        Anny stores up to 9 per vertex; glTF (and most engines) take 4. The forward uses the
        same 4 so that an exported rig reproduces the fitted mesh exactly.
        """
        w = self.model.vertex_bone_weights.detach().float()
        idx = self.model.vertex_bone_indices.detach().long()
        top_w, order = torch.topk(w, k=4, dim=1)
        top_i = torch.gather(idx, 1, order)
        top_w = top_w.clamp_min(0)
        top_w = top_w / top_w.sum(1, keepdim=True).clamp_min(1e-12)
        top_i = torch.where(top_w > 0, top_i, torch.zeros_like(top_i))
        return top_i.to(self._device), top_w.to(self._device)

    def _skin(self, rest_v: torch.Tensor, transforms: torch.Tensor) -> torch.Tensor:
        """Linear blend skinning with the top-4 weights: (B|1, V, 3), (B, J, 4, 4) -> (B, V, 3)."""
        b = transforms.shape[0]
        t = transforms[..., :3, :].reshape(b, -1, 12)
        # a dense (V, J) weight matrix product is faster than gathering 4 transforms per vertex
        blended = torch.matmul(self._skin_dense, t).reshape(b, -1, 3, 4)
        return (blended[..., :3] * rest_v[:, :, None, :]).sum(-1) + blended[..., 3]

    # ---- priors ---------------------------------------------------------------------------------
    def _build_joint_prior(self):
        from pipeline.body.priors import anny_joint_limit_prior

        phen = torch.full((1, len(PHENOTYPES)), 0.5, device=self._device)
        with torch.no_grad():
            _, rest_poses = self._rest_model(phen)
        heads = {n: rest_poses[0, i, :3, 3].cpu().numpy() for i, n in enumerate(self.bone_names)}
        # the child that continues each limb bone (for its direction)
        child_of = {}
        for side in ("L", "R"):
            child_of[f"upperarm01.{side}"] = f"lowerarm01.{side}"
            child_of[f"lowerarm01.{side}"] = f"wrist.{side}"
            child_of[f"wrist.{side}"] = f"finger3-1.{side}"
        return anny_joint_limit_prior(MAIN_BONES, heads, child_of).to(self._device)

    def pose_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.joint_prior(params["pose"])

    def shape_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        from pipeline.body.priors import phenotype_prior

        return phenotype_prior(self.phenotypes(params), free_mask=~self._fixed_mask)

    # ---- export -----------------------------------------------------------------------------
    def dominant_bones(self) -> np.ndarray:
        return self.skin_index[:, 0].cpu().numpy()

    def hm08_vertex_indices(self) -> np.ndarray:
        return self.model.base_mesh_vertex_indices.detach().cpu().numpy().astype(np.int64)

    def skinned_mesh(self, params: dict[str, torch.Tensor]) -> SkinnedMesh:
        one = {k: v[:1].detach() for k, v in params.items()}
        with torch.no_grad():
            rest_v, rest_poses, _, poses = self.posed(one)
        top_i, top_w = self.skin_index, self.skin_weights
        return SkinnedMesh(
            rest_vertices=rest_v[0].cpu().numpy().astype(np.float32),
            faces=self._faces.copy(),
            bone_names=list(self.bone_names),
            parents=self.parents.copy(),
            bind_matrices=rest_poses[0].cpu().numpy().astype(np.float64),
            posed_matrices=poses[0].cpu().numpy().astype(np.float64),
            joint_indices=top_i.cpu().numpy().astype(np.int64),
            joint_weights=top_w.cpu().numpy().astype(np.float32),
        )

    def texture_coordinates(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(UV (T, 2), per-face UV indices (F, 3)) of Anny's MakeHuman layout, if present."""
        m = self.model
        if m.texture_coordinates is None or m.face_texture_coordinate_indices is None:
            return None
        return (
            m.texture_coordinates.detach().cpu().numpy(),
            m.face_texture_coordinate_indices.detach().cpu().numpy(),
        )
