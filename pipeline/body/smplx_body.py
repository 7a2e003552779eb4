"""SMPL-X behind the ``BodyModel`` interface, from model files the user downloaded.

The model files are never shipped or fetched (MPI licence). ``.npz`` files are read without
unpickling (object entries such as ``joint2num`` are skipped); ``.pkl`` files are Python
pickles, which can run arbitrary code when loaded, so one is only opened when the caller
names its SHA-256 in ``trusted_pickles``: the user's consent to that exact content (given on
the command line or in a dialog, never read from a project or run file). The bytes that are
hashed are the bytes that are unpickled, so the file cannot change in between.

Conventions, the same as :mod:`pipeline.body.anny_body`:

* World Z-up, metres; at identity orientation the body stands upright facing -Y (SMPL-X's
  Y-up, +Z-facing canonical frame is turned by +90 deg about x).
* ``translation`` (B, 3): world position of the pelvis joint; ``orientation`` (B, 6): 6D
  global rotation about the pelvis; ``pose`` (B, 21, 6): 6D local rotations of the 21 body
  joints (SMPL-X order, hips first); ``shape`` (B, num_betas) betas (unbounded, as in SMPL-X).
  Hands rest at the model's mean (relaxed) hand pose; jaw, eyes and expression at zero.
* Keypoints (the 23 ``KEYPOINT_NAMES``): shoulders, elbows, wrists, hips, knees and ankles
  are SMPL-X joints (16-21, 1-2, 4-5, 7-8: the paper's section-5 correspondences); nose,
  eyes, ears, big/small toes and heels are the SMPL-X surface vertices that ``smplx`` itself
  uses for them (``smplx.vertex_ids``). ``paper_correspondences=True`` instead uses the
  paper's head joint (15) for the nose and the foot joints (10, 11) for the big toes.
* Skinning uses each vertex's four strongest joints (renormalised), in the forward and in
  the export, so a glTF skin reproduces the forward exactly; pose correctives are baked into
  the exported bind mesh of the fitted pose.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel, BodyOutput, SkinnedMesh
from pipeline.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_rot6d, rot6d_to_matrix

SMPLX_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "jaw", "left_eye_smplhf", "right_eye_smplhf",
) + tuple(f"{s}_{f}{i}" for s in ("left", "right") for f in ("index", "middle", "pinky", "ring", "thumb") for i in (1, 2, 3))  # fmt: skip

# keypoint -> ("joint", index) or ("vertex", smplx vertex-id key)
KEYPOINT_SOURCES: dict[str, tuple[str, int | str]] = {
    "nose": ("vertex", "nose"), "left_eye": ("vertex", "leye"), "right_eye": ("vertex", "reye"),
    "left_ear": ("vertex", "lear"), "right_ear": ("vertex", "rear"),
    "left_shoulder": ("joint", 16), "right_shoulder": ("joint", 17),
    "left_elbow": ("joint", 18), "right_elbow": ("joint", 19),
    "left_wrist": ("joint", 20), "right_wrist": ("joint", 21),
    "left_hip": ("joint", 1), "right_hip": ("joint", 2),
    "left_knee": ("joint", 4), "right_knee": ("joint", 5),
    "left_ankle": ("joint", 7), "right_ankle": ("joint", 8),
    "left_big_toe": ("vertex", "LBigToe"), "left_small_toe": ("vertex", "LSmallToe"),
    "left_heel": ("vertex", "LHeel"), "right_big_toe": ("vertex", "RBigToe"),
    "right_small_toe": ("vertex", "RSmallToe"), "right_heel": ("vertex", "RHeel"),
}  # fmt: skip
PAPER_OVERRIDES = {"nose": ("joint", 15), "left_big_toe": ("joint", 10), "right_big_toe": ("joint", 11)}

REQUIRED_KEYS = (
    "v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f",
    "hands_componentsl", "hands_componentsr", "hands_meanl", "hands_meanr",
    "lmk_faces_idx", "lmk_bary_coords",
)  # fmt: skip
OPTIONAL_KEYS = ("dynamic_lmk_faces_idx", "dynamic_lmk_bary_coords")
# Y-up, +Z-facing canonical frame -> Z-up, -Y-facing world (+90 deg about x)
Y_UP_TO_Z_UP = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


class PickleNotAllowedError(PermissionError):
    """A ``.pkl`` model file was given without the user's consent to unpickle it."""


def resolve_model_file(path: str | Path, gender: str = "neutral") -> Path:
    """The model file itself: ``path``, or ``SMPLX_<GENDER>.npz`` (or ``.pkl``) in the folder ``path``."""
    p = Path(path).expanduser()
    if p.is_dir():
        for ext in ("npz", "pkl"):
            cand = p / f"SMPLX_{gender.upper()}.{ext}"
            if cand.exists():
                return cand
        raise FileNotFoundError(f"No SMPLX_{gender.upper()}.npz (or .pkl) in {p}; point to the model file itself.")
    if not p.exists():
        raise FileNotFoundError(f"SMPL-X model file {p} does not exist.")
    return p


def _sanitised_npz(path: Path, out_dir: str) -> str:
    """Copy the numeric arrays smplx needs into a pickle-free ``.npz`` (object entries skipped)."""
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable .npz file ({exc}).") from exc
    arrays = {}
    with data:
        missing = [k for k in REQUIRED_KEYS if k not in data.files]
        if missing:
            raise ValueError(f"{path.name} is not an SMPL-X model file: it lacks {missing}.")
        for key in REQUIRED_KEYS + OPTIONAL_KEYS:
            if key not in data.files:
                continue
            try:
                arrays[key] = np.asarray(data[key])
            except ValueError as exc:  # an object array needs unpickling
                raise ValueError(f"{path.name}: entry {key!r} is pickled data; refusing to unpickle it.") from exc
    out = os.path.join(out_dir, "SMPLX_MODEL.npz")
    np.savez(out, **arrays)
    return out


class SmplxBody(BodyModel):
    name = "smplx"

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        *,
        trusted_pickles: Collection[str] = (),
        gender: str = "neutral",
        num_betas: int = 10,
        paper_correspondences: bool = False,
    ) -> None:
        try:
            import smplx
            from smplx import lbs as smplx_lbs
            from smplx.vertex_ids import vertex_ids
        except ImportError as exc:  # pragma: no cover - install problem
            raise RuntimeError("The smplx package is needed for SMPL-X: pip install smplx==0.1.28") from exc
        self._lbs = smplx_lbs
        self._device = torch.device(device)
        file = resolve_model_file(path, gender)
        if file.suffix.lower() == ".pkl":
            content = file.read_bytes()
            if hashlib.sha256(content).hexdigest() not in set(trusted_pickles):
                raise PickleNotAllowedError(
                    f"{file} is a Python pickle; loading a pickle can run arbitrary code, so it is only "
                    "opened with your consent: on the command line add --allow-pickle, in the app confirm "
                    "the question that names the file. Better: use the .npz version of the SMPL-X model."
                )
            with tempfile.TemporaryDirectory() as tmp:  # unpickle exactly the bytes that were checked
                copy = Path(tmp) / "SMPLX_MODEL.pkl"
                copy.write_bytes(content)
                model = smplx.SMPLX(str(copy), ext="pkl", num_betas=num_betas, use_pca=False, flat_hand_mean=False)
        elif file.suffix.lower() == ".npz":
            with tempfile.TemporaryDirectory() as tmp:
                clean = _sanitised_npz(file, tmp)
                model = smplx.SMPLX(clean, ext="npz", num_betas=num_betas, use_pca=False, flat_hand_mean=False)
        else:
            raise ValueError(f"Unsupported SMPL-X model file {file.name}: use the .npz (or .pkl) file.")
        self.model = model.to(self._device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.num_betas = int(self.model.shapedirs.shape[-1])
        self._faces = np.asarray(self.model.faces, dtype=np.int64)
        self.parents = self.model.parents.cpu().numpy().astype(np.int64).copy()
        self.parents[0] = -1
        n_joints = len(self.parents)
        self.bone_names = list(SMPLX_JOINT_NAMES[:n_joints]) + [f"joint{i}" for i in range(len(SMPLX_JOINT_NAMES), n_joints)]
        self.joint_names = self.bone_names
        sources = dict(KEYPOINT_SOURCES)
        if paper_correspondences:
            sources.update(PAPER_OVERRIDES)
        ids = vertex_ids["smplx"]
        n_verts = int(self.model.v_template.shape[0])
        self._kp_sources = []
        for name in KEYPOINT_NAMES:
            kind, ref = sources[name]
            index = int(ids[ref]) if kind == "vertex" else int(ref)
            if kind == "vertex" and index >= n_verts:
                raise ValueError(f"The model has {n_verts} vertices; SMPL-X keypoint vertex {index} is missing.")
            self._kp_sources.append((kind, index))
        self._kp_is_vertex = torch.tensor([k == "vertex" for k, _ in self._kp_sources], device=self._device)
        self._kp_index = torch.tensor([i for _, i in self._kp_sources], device=self._device)
        w = self.model.lbs_weights.detach().float()
        top_w, top_i = torch.topk(w, k=min(4, w.shape[1]), dim=1)
        top_w = top_w.clamp_min(0)
        top_w = top_w / top_w.sum(1, keepdim=True).clamp_min(1e-12)
        self._skin_index, self._skin_weights = top_i.to(self._device), top_w.to(self._device)
        self._hand_pose = torch.cat([self.model.left_hand_mean, self.model.right_hand_mean]).reshape(-1, 3).float().to(self._device)
        self._fix = Y_UP_TO_Z_UP.to(self._device)

    # ---- interface basics ------------------------------------------------------------------
    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def num_vertices(self) -> int:
        return int(self.model.v_template.shape[0])

    @property
    def device(self) -> torch.device:
        return self._device

    def init_params(self, batch: int = 1) -> dict[str, torch.Tensor]:
        d = self._device
        eye6 = matrix_to_rot6d(torch.eye(3, device=d))
        return {
            "translation": torch.zeros(batch, 3, device=d),
            "orientation": eye6.expand(batch, 6).clone(),
            "pose": eye6.expand(batch, 21, 6).clone(),
            "shape": torch.zeros(batch, self.num_betas, device=d),
        }

    # ---- evaluation ------------------------------------------------------------------------
    def _posed(self, params):
        lbs = self._lbs
        m = self.model
        t = params["translation"]
        b = t.shape[0]
        betas = params["shape"]
        v_shaped = m.v_template[None] + lbs.blend_shapes(betas, m.shapedirs)
        joints = lbs.vertices2joints(m.J_regressor, v_shaped)
        n = len(self.parents)
        rots = torch.eye(3, device=self._device).expand(b, n, 3, 3).clone()
        rots[:, 1:22] = rot6d_to_matrix(params["pose"])
        hand = axis_angle_to_matrix(self._hand_pose)
        rots[:, 25 : 25 + hand.shape[0]] = hand
        ident = torch.eye(3, device=self._device)
        pose_feature = (rots[:, 1:] - ident).reshape(b, -1)
        v_posed = v_shaped + torch.matmul(pose_feature, m.posedirs).reshape(b, -1, 3)
        j_posed, rel = lbs.batch_rigid_transform(rots, joints.expand(b, -1, -1), m.parents)
        # world: rotate about the pelvis, then move the pelvis to ``translation``
        g = rot6d_to_matrix(params["orientation"]) @ self._fix
        pelvis = j_posed[:, :1]
        world = torch.zeros(b, 4, 4, device=self._device)
        world[:, :3, :3] = g
        world[:, :3, 3] = t - (g @ pelvis[:, 0, :, None])[..., 0]
        world[:, 3, 3] = 1.0
        transforms = world[:, None] @ rel  # (B, J, 4, 4): rest (model frame) -> world
        return v_posed, joints, transforms, world, j_posed

    def _skin(self, v_posed, transforms):
        b = transforms.shape[0]
        t = transforms[..., :3, :].reshape(b, -1, 12)
        blended = (t[:, self._skin_index] * self._skin_weights[None, :, :, None]).sum(2).reshape(b, -1, 3, 4)
        return (blended[..., :3] @ v_posed[..., None]).squeeze(-1) + blended[..., 3]

    def forward(self, params: dict[str, torch.Tensor]) -> BodyOutput:
        v_posed, _, transforms, world, j_posed = self._posed(params)
        verts = self._skin(v_posed, transforms)
        joints_world = (world[:, None, :3, :3] @ j_posed[..., None])[..., 0] + world[:, None, :3, 3]
        kp_v = verts[:, self._kp_index.clamp(max=verts.shape[1] - 1)]
        kp_j = joints_world[:, self._kp_index.clamp(max=joints_world.shape[1] - 1)]
        kp = torch.where(self._kp_is_vertex[None, :, None], kp_v, kp_j)
        return BodyOutput(vertices=verts, keypoints=kp, joints=joints_world)

    # ---- priors ----------------------------------------------------------------------------
    def pose_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        from pipeline.body.priors import smplx_angle_prior

        return smplx_angle_prior(matrix_to_axis_angle(rot6d_to_matrix(params["pose"])))

    def shape_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        betas = params["shape"]
        w = torch.ones(betas.shape[-1], device=betas.device)
        w[0] = 0.5
        return ((w * betas) ** 2).mean()

    # ---- export ----------------------------------------------------------------------------
    def dominant_bones(self) -> np.ndarray:
        return self._skin_index[:, 0].cpu().numpy()

    def skinned_mesh(self, params: dict[str, torch.Tensor]) -> SkinnedMesh:
        one = {k: v[:1].detach() for k, v in params.items()}
        with torch.no_grad():
            v_posed, joints, transforms, _, _ = self._posed(one)
        n = len(self.parents)
        bind = np.tile(np.eye(4), (n, 1, 1))
        bind[:, :3, 3] = joints[0].cpu().numpy()
        posed = transforms[0].cpu().numpy().astype(np.float64) @ bind
        return SkinnedMesh(
            rest_vertices=v_posed[0].cpu().numpy().astype(np.float32),
            faces=self._faces.copy(),
            bone_names=list(self.bone_names),
            parents=self.parents.copy(),
            bind_matrices=bind,
            posed_matrices=posed,
            joint_indices=self._skin_index.cpu().numpy().astype(np.int64),
            joint_weights=self._skin_weights.cpu().numpy().astype(np.float32),
        )


def model_file_sha256(path: str | Path, gender: str = "neutral") -> str:
    """SHA-256 of the model file ``path`` names (what consent to a ``.pkl`` is given for)."""
    return hashlib.sha256(resolve_model_file(path, gender).read_bytes()).hexdigest()


def pickle_consent(path: str | Path | None, allowed: bool, gender: str = "neutral") -> frozenset[str]:
    """``trusted_pickles`` for the model at ``path`` when the user said ``allowed`` (a command-line
    flag: consent for this invocation); raises :class:`PickleNotAllowedError` for a ``.pkl``
    without it, before anything else runs."""
    if path is None:
        return frozenset()
    file = resolve_model_file(path, gender)
    if file.suffix.lower() != ".pkl":
        return frozenset()
    if not allowed:
        raise PickleNotAllowedError(
            f"{file} is a Python pickle; loading a pickle can run arbitrary code. Add --allow-pickle "
            "only if you downloaded this file yourself from the official SMPL-X site, or use its .npz version."
        )
    return frozenset({model_file_sha256(file)})
