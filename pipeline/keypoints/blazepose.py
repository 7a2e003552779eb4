"""2D keypoints of the painted person: mediapipe 0.10.21 BlazePose (legacy ``solutions.pose``).

Per image: the 33 BlazePose landmarks with visibility, mapped to the body models' 23
``KEYPOINT_NAMES`` (small toes have no BlazePose counterpart: NaN, confidence 0; BlazePose's
``foot_index`` stands in for the big toe). Problems are reported per view in ``reason``,
never raised: no person, a person cut off by the image border, too few confident joints;
``flags`` notes "several_people" when a second person was found.

Several people. The legacy API returns one person. When a target pixel (``near``, the
projection of the 3D target) is given and the person found lies far from it, the image is
searched again in a crop around the target and that person is used if found; with
``check_several_people`` the found person is greyed out and the image searched once more to
detect a second person (flag only; the person nearest to ``near`` is kept).

Validity follows the paper: of its 17 joints (hips, mid-hip, neck = mid-shoulder,
shoulders, knees, ankles, big toes, nose, elbows, wrists) at least ``min_valid_joints``
(13) must have a score >= ``min_score`` (0.25). Mid-points take the lower of their two
scores. A mediapipe ``Pose`` is not thread-safe: each thread gets its own.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, fields
from typing import Iterable, Protocol, Sequence

import numpy as np

from pipeline.body.base import KEYPOINT_NAMES

# BlazePose landmark index for each of the 23 body keypoints (None: not detected).
BLAZEPOSE_INDEX: dict[str, int | None] = {
    "nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
    "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
    "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
    "left_big_toe": 31, "left_small_toe": None, "left_heel": 29,
    "right_big_toe": 32, "right_small_toe": None, "right_heel": 30,
}  # fmt: skip

# The paper's torso/limb split in KEYPOINT_NAMES terms; pelvis and neck are the
# mid-points of the hips and shoulders.
TORSO_GROUP: tuple[str, ...] = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
LIMB_GROUP: tuple[str, ...] = (
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_big_toe", "right_big_toe",
    "nose", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)  # fmt: skip
PAPER_JOINTS: tuple[str, ...] = ("pelvis", "neck") + TORSO_GROUP + LIMB_GROUP  # 17

REASON_NO_PERSON = "no person found"
REASON_CUT_OFF = "person cut off by the image border"
REASON_FEW_JOINTS = "too few confident joints"


@dataclass
class PoseSettings:
    min_score: float = 0.25
    min_valid_joints: int = 13
    model_complexity: int = 1
    min_detection_confidence: float = 0.5
    check_several_people: bool = True
    # a person whose keypoint box misses ``near`` by more than this fraction of the image
    # size triggers a second search in a crop around ``near``
    far_fraction: float = 0.15
    crop_fraction: float = 0.6
    # a person not found upright is looked for in the image turned by +-90 degrees
    # (pipeline.keypoints.rotated): people lying across the image
    try_turned: bool = True
    # also look at every image mirrored and average the two answers (pipeline.keypoints.mirrored):
    # about 10 % less pixel error, twice the detector time, but no better 3D fits on the hold-out
    # tuning half (mean MPJPE over clean seeds 0, 1 and outliers 24.7 -> 26.0 mm), so off
    mirror_average: bool = False


@dataclass
class Keypoints2D:
    """One view's person. ``keypoints`` (23, 2) pixels (NaN: missing), ``conf`` (23,)."""

    keypoints: np.ndarray
    conf: np.ndarray
    valid: bool
    reason: str = ""
    flags: tuple[str, ...] = ()
    image_size: tuple[int, int] = (0, 0)  # (width, height)
    landmarks: np.ndarray | None = None  # (33, 4): x px, y px, z (relative), visibility
    names: tuple[str, ...] = KEYPOINT_NAMES
    view: str = ""
    num_confident: int = 0  # of the paper's 17 joints
    extra: dict = field(default_factory=dict)

    @property
    def xy(self) -> np.ndarray:
        return self.keypoints

    @property
    def confidence(self) -> np.ndarray:
        return self.conf

    @property
    def found(self) -> bool:
        """A person was found (even if too little of it for the fit)."""
        return self.landmarks is not None

    def as_array(self) -> np.ndarray | None:
        """(23, 3) pixels + confidence (the ``KeypointsDetected`` event layout), None if nobody."""
        if not self.found:
            return None
        return np.concatenate([self.keypoints, self.conf[:, None]], axis=1)

    def group_mask(self, group: Sequence[str]) -> np.ndarray:
        return np.array([n in group for n in self.names])

    def to_dict(self) -> dict:
        def arr(a):
            return None if a is None else np.where(np.isfinite(a), a, None).tolist()

        return {
            "names": list(self.names), "keypoints": arr(self.keypoints), "conf": arr(self.conf),
            "valid": bool(self.valid), "reason": self.reason, "flags": list(self.flags),
            "image_size": list(self.image_size), "landmarks": arr(self.landmarks),
            "view": self.view, "num_confident": int(self.num_confident), "extra": self.extra,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> "Keypoints2D":
        def arr(a):
            return None if a is None else np.array(a, dtype=np.float64)  # None -> nan

        return cls(
            keypoints=arr(d["keypoints"]), conf=arr(d["conf"]), valid=bool(d["valid"]),
            reason=d.get("reason", ""), flags=tuple(d.get("flags", ())),
            image_size=tuple(d.get("image_size", (0, 0))), landmarks=arr(d.get("landmarks")),
            names=tuple(d.get("names", KEYPOINT_NAMES)), view=d.get("view", ""),
            num_confident=int(d.get("num_confident", 0)), extra=d.get("extra", {}),
        )  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, s: str) -> "Keypoints2D":
        return cls.from_dict(json.loads(s))


def empty_keypoints(width: int, height: int, reason: str, view: str = "") -> Keypoints2D:
    k = len(KEYPOINT_NAMES)
    return Keypoints2D(
        keypoints=np.full((k, 2), np.nan), conf=np.zeros(k), valid=False, reason=reason,
        image_size=(width, height), view=view,
    )  # fmt: skip


def map_landmarks(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(33, 4) BlazePose landmarks (px, px, z, visibility) -> (23, 2) pixels, (23,) scores."""
    k = len(KEYPOINT_NAMES)
    xy = np.full((k, 2), np.nan)
    conf = np.zeros(k)
    for i, name in enumerate(KEYPOINT_NAMES):
        j = BLAZEPOSE_INDEX[name]
        if j is not None:
            xy[i] = landmarks[j, :2]
            conf[i] = landmarks[j, 3]
    return xy, conf


def paper_joint_scores(names: Sequence[str], conf: np.ndarray) -> np.ndarray:
    """Scores of the paper's 17 joints (mid-points take the lower of their two scores)."""
    idx = {n: i for i, n in enumerate(names)}
    c = lambda n: float(conf[idx[n]])  # noqa: E731
    scores = [min(c("left_hip"), c("right_hip")), min(c("left_shoulder"), c("right_shoulder"))]
    scores += [c(n) for n in TORSO_GROUP + LIMB_GROUP]
    return np.array(scores)


class PersonDetector(Protocol):
    """The keypoint detector's role: the person nearest ``near`` (pixels) in one image."""

    def detect(self, image: np.ndarray, near: Sequence[float] | None = None, view: str = "") -> Keypoints2D: ...


class KeypointDetector:
    """BlazePose on single images; one mediapipe ``Pose`` per thread, reused across images."""

    def __init__(self, settings: PoseSettings | None = None, **overrides) -> None:
        self.settings = settings or PoseSettings()
        for k, v in overrides.items():
            if k not in {f.name for f in fields(self.settings)}:
                raise TypeError(f"Unknown keypoint setting {k!r}")
            setattr(self.settings, k, v)
        self._local = threading.local()

    def _pose(self):
        pose = getattr(self._local, "pose", None)
        if pose is None:
            try:
                import mediapipe as mp
            except ImportError as exc:  # pragma: no cover - install problem
                raise RuntimeError(
                    "mediapipe 0.10.21 is required for keypoints: pip install mediapipe==0.10.21"
                ) from exc
            pose = mp.solutions.pose.Pose(
                static_image_mode=True,
                model_complexity=self.settings.model_complexity,
                enable_segmentation=False,
                min_detection_confidence=self.settings.min_detection_confidence,
            )
            self._local.pose = pose
        return pose

    def close(self) -> None:
        pose = getattr(self._local, "pose", None)
        if pose is not None:
            pose.close()
            self._local.pose = None

    # ---- raw --------------------------------------------------------------------------------
    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        """(33, 4) landmarks in pixels of ``image`` (H, W, 3) uint8 RGB, or None; with
        ``mirror_average``, averaged with the answer for the mirrored image."""
        image = np.asarray(image)
        lm = self._one_look(image)
        if lm is None or not self.settings.mirror_average:
            return lm
        from pipeline.keypoints.mirrored import average_with_mirrored

        return average_with_mirrored(lm, self._one_look(image[:, ::-1]), image.shape[1])

    def _one_look(self, image: np.ndarray) -> np.ndarray | None:
        img = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        h, w = img.shape[:2]
        result = self._pose().process(img)
        if result.pose_landmarks is None:
            return None
        lm = result.pose_landmarks.landmark
        return np.array([[p.x * w, p.y * h, p.z * w, p.visibility] for p in lm], dtype=np.float64)

    def _landmarks_in_crop(self, image: np.ndarray, centre: np.ndarray) -> np.ndarray | None:
        import cv2

        h, w = image.shape[:2]
        side = int(round(self.settings.crop_fraction * max(h, w)))
        x0 = int(np.clip(centre[0] - side / 2, 0, max(w - side, 0)))
        y0 = int(np.clip(centre[1] - side / 2, 0, max(h - side, 0)))
        crop = image[y0 : y0 + side, x0 : x0 + side]
        scale = 512.0 / max(crop.shape[:2])
        big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        lm = self.landmarks(big)
        if lm is None:
            return None
        lm[:, :3] /= scale
        lm[:, 0] += x0
        lm[:, 1] += y0
        return lm

    # ---- one image --------------------------------------------------------------------------
    def detect(self, image: np.ndarray, near: Sequence[float] | None = None, view: str = "") -> Keypoints2D:
        """Keypoints of the person in ``image`` (nearest to pixel ``near`` when given); with no
        valid person upright (and ``try_turned``), also in the image turned by +-90 degrees."""
        found = self.detect_upright(image, near, view)
        if self.settings.try_turned and not found.valid and np.asarray(image).ndim == 3:
            from pipeline.keypoints.rotated import detect_turned

            found = detect_turned(self, np.asarray(image), near, view, found)
        return found

    def detect_upright(self, image: np.ndarray, near: Sequence[float] | None = None, view: str = "") -> Keypoints2D:
        """Keypoints of the person in ``image`` as it stands, never turned."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] < 3:
            h, w = image.shape[:2] if image.ndim >= 2 else (0, 0)
            return empty_keypoints(w, h, "not an RGB image", view)
        h, w = image.shape[:2]
        s = self.settings
        try:
            lm = self.landmarks(image)
        except Exception as exc:  # mediapipe failure on odd input: report, never raise
            return empty_keypoints(w, h, f"keypoint detector failed: {exc}", view)
        flags: list[str] = []
        near_xy = None if near is None else np.asarray(near, dtype=np.float64).reshape(2)
        if near_xy is not None and np.all(np.isfinite(near_xy)):
            if lm is None or _box_distance(lm, near_xy, s.min_score) > s.far_fraction * max(h, w):
                alt = self._landmarks_in_crop(image, near_xy)
                if alt is not None and (
                    lm is None or _box_distance(alt, near_xy, s.min_score) < _box_distance(lm, near_xy, s.min_score)
                ):
                    if lm is not None:
                        flags.append("several_people")
                    lm = alt
        if lm is None:
            return empty_keypoints(w, h, REASON_NO_PERSON, view)
        if s.check_several_people and "several_people" not in flags and self._another_person(image, lm):
            flags.append("several_people")
        return self.finish(lm, w, h, flags, view)

    def _another_person(self, image: np.ndarray, lm: np.ndarray) -> bool:
        h, w = image.shape[:2]
        good = lm[:, 3] >= self.settings.min_score
        pts = lm[good, :2] if good.sum() >= 3 else lm[:, :2]
        lo, hi = pts.min(0), pts.max(0)
        pad = 0.25 * (hi - lo) + 0.03 * max(h, w)
        x0, y0 = np.clip(lo - pad, 0, [w, h]).astype(int)
        x1, y1 = np.clip(hi + pad, 0, [w, h]).astype(int)
        masked = image[..., :3].copy()
        masked[y0:y1, x0:x1] = np.median(image[..., :3].reshape(-1, 3), axis=0).astype(np.uint8)
        other = self._one_look(masked)  # only whether someone is there: one look is enough
        if other is None:
            return False
        return int((other[:, 3] >= 0.5).sum()) >= 12

    def finish(self, lm: np.ndarray, w: int, h: int, flags: list[str], view: str) -> Keypoints2D:
        """Keypoints2D from (33, 4) landmarks in pixels of a w x h image (validity, cut-off)."""
        s = self.settings
        xy, conf = map_landmarks(lm)
        known = np.isfinite(xy).all(1)
        inside = ~known | ((xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h))
        conf = np.where(inside, conf, 0.0)
        scores = paper_joint_scores(KEYPOINT_NAMES, conf)
        n_ok = int((scores >= s.min_score).sum())
        valid = n_ok >= s.min_valid_joints
        reason = ""
        if not valid:
            cut = (~inside[[KEYPOINT_NAMES.index(n) for n in TORSO_GROUP + LIMB_GROUP]]).any()
            if cut:
                reason = REASON_CUT_OFF
                flags.append("cut_off")
            else:
                reason = f"{REASON_FEW_JOINTS} ({n_ok} of {len(PAPER_JOINTS)}, need {s.min_valid_joints})"
        elif not inside.all():
            flags.append("cut_off")
        return Keypoints2D(
            keypoints=xy, conf=conf, valid=valid, reason=reason, flags=tuple(flags),
            image_size=(w, h), landmarks=lm, view=view, num_confident=n_ok,
        )  # fmt: skip

    # ---- many images ------------------------------------------------------------------------
    def detect_many(
        self,
        images: Iterable[np.ndarray],
        nears: Iterable[Sequence[float] | None] | None = None,
        views: Iterable[str] | None = None,
    ) -> list[Keypoints2D]:
        images = list(images)
        nears = list(nears) if nears is not None else [None] * len(images)
        views = list(views) if views is not None else [""] * len(images)
        return [self.detect(im, near=n, view=v) for im, n, v in zip(images, nears, views)]


def _box_distance(lm: np.ndarray, point: np.ndarray, min_score: float) -> float:
    """Pixel distance from ``point`` to the box of the confident landmarks (0 inside)."""
    good = lm[:, 3] >= min_score
    pts = lm[good, :2] if good.sum() >= 3 else lm[:, :2]
    lo, hi = pts.min(0), pts.max(0)
    d = np.maximum(np.maximum(lo - point, point - hi), 0.0)
    return float(np.hypot(*d))


SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
    ("left_ankle", "left_big_toe"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"), ("right_ankle", "right_big_toe"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)  # fmt: skip


def draw_keypoints(image: np.ndarray, kp: Keypoints2D, min_score: float = 0.25, color=(0, 255, 0)) -> np.ndarray:
    """A copy of ``image`` with ``kp``'s skeleton drawn (left side in ``color``, right in red)."""
    import cv2

    out = np.ascontiguousarray(image[..., :3]).copy()
    idx = {n: i for i, n in enumerate(kp.names)}
    scale = max(1, round(max(out.shape[:2]) / 512))
    for a, b in SKELETON:
        i, j = idx[a], idx[b]
        if min(kp.conf[i], kp.conf[j]) < min_score or not np.isfinite(kp.keypoints[[i, j]]).all():
            continue
        c = (255, 64, 64) if a.startswith("right") or b.startswith("right") else color
        p, q = kp.keypoints[i].round().astype(int), kp.keypoints[j].round().astype(int)
        cv2.line(out, tuple(map(int, p)), tuple(map(int, q)), c, 2 * scale, cv2.LINE_AA)
    for i, (x, y) in enumerate(kp.keypoints):
        if kp.conf[i] >= min_score and np.isfinite(x) and np.isfinite(y):
            cv2.circle(out, (int(round(x)), int(round(y))), 3 * scale, (255, 255, 0), -1, cv2.LINE_AA)
    return out


_DEFAULT: KeypointDetector | None = None


def detect_keypoints(image: np.ndarray, near=None, view: str = "") -> Keypoints2D:
    """Module-level convenience using one shared detector (per-thread ``Pose`` inside)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KeypointDetector()
    return _DEFAULT.detect(image, near=near, view=view)


# Backwards-friendly alias some callers look for.
PoseDetector = KeypointDetector
