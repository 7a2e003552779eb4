"""Body models behind one interface (Anny by default, SMPL-X when the user supplies it)."""

from pipeline.body.base import KEYPOINT_NAMES, BodyModel, BodyOutput, SkinnedMesh

__all__ = ["KEYPOINT_NAMES", "BodyModel", "BodyOutput", "SkinnedMesh"]
