"""A second look in the mirror: BlazePose on the image flipped left to right, averaged in.

Why: BlazePose's landmarks are noisy by a few pixels, and the noise of the mirrored image is
largely its own. Mirroring the second answer back (x -> width - x, left and right landmarks
swapped) and averaging it with the first lowered the median pixel error against the true
keypoints on 19 of 21 keypoints of the hold-out benchmark's tuning half (styled renders of
bodies the fit was never tuned on; left and right pooled): hips 6.3 -> 5.7 px, knees 5.8 ->
5.2, ankles 4.1 -> 3.4, big toes 6.3 -> 5.2, heels 5.1 -> 4.5, wrists 3.8 -> 3.0 (right
shoulder and elbow 0.1 px worse; per case 6 of 7 better, crouch_cabinet 4.2 -> 4.8). The two
answers are averaged only when they give each limb the same side; when the mirrored look
swaps left and right (about 2 % of views), the first answer is kept as it is.

Off by default (``PoseSettings.mirror_average``): the better 2D points did not give better
3D fits on the same tuning half. Clean seed 0 improved (mean MPJPE 26.0 -> 24.1 mm, worst
46.0 -> 36.1), but clean seed 1 (23.5 -> 26.7) and the outlier views (24.7 -> 27.1) got worse:
those fits sit near forks where any change of the inputs moves them by about 10 mm
(benchmarks/results/lifting_holdout_round5.md).
"""

from __future__ import annotations

import numpy as np

# BlazePose's 33 landmarks: the index of each landmark's mirror image (left <-> right)
MIRROR_ORDER: tuple[int, ...] = (
    0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21,
    24, 23, 26, 25, 28, 27, 30, 29, 32, 31,
)  # fmt: skip
# left/right pairs of the limbs: shoulders, elbows, wrists, hips, knees, ankles, heels, toes
_LIMB_PAIRS = ((11, 12), (13, 14), (15, 16), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32))


def mirror_back(landmarks: np.ndarray, width: int) -> np.ndarray:
    """Landmarks (33, >=2) found in ``image[:, ::-1]`` -> landmarks of the image itself."""
    out = np.array(landmarks, dtype=np.float64, copy=True)[list(MIRROR_ORDER)]
    out[:, 0] = width - out[:, 0]
    return out


def same_sides(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two answers for one image put the limbs' left and right on the same sides
    (their limbs are closer paired as they are than swapped)."""
    kept = swapped = 0.0
    for left, right in _LIMB_PAIRS:
        kept += np.linalg.norm(a[left, :2] - b[left, :2]) + np.linalg.norm(a[right, :2] - b[right, :2])
        swapped += np.linalg.norm(a[left, :2] - b[right, :2]) + np.linalg.norm(a[right, :2] - b[left, :2])
    return bool(kept <= swapped)


def average_with_mirrored(first: np.ndarray, mirrored: np.ndarray | None, width: int) -> np.ndarray:
    """``first`` (33, 4: x, y, z, visibility) averaged with the mirrored image's answer
    (as found in the mirrored image); positions are averaged, the visibility is the lower
    of the two. ``first`` unchanged when the mirror found nobody or swaps the sides."""
    if mirrored is None:
        return first
    back = mirror_back(mirrored, width)
    if not same_sides(first, back):
        return first
    out = np.array(first, dtype=np.float64, copy=True)
    out[:, :3] = 0.5 * (first[:, :3] + back[:, :3])
    out[:, 3] = np.minimum(first[:, 3], back[:, 3])
    return out
