"""One seed per painted image, derived from the run's seed, so any image can be redrawn alone."""

from __future__ import annotations

import numpy as np


def image_seed(run_seed: int, round_index: int, set_index: int, view_index: int) -> int:
    """A stable 31-bit seed for one (round, hypothesis set, view) image.

    Independent of how images are batched and of which other images exist, so a resumed or
    partial run repaints exactly the same picture.
    """
    seq = np.random.SeedSequence([int(run_seed) & 0xFFFFFFFF, round_index, set_index, view_index])
    return int(seq.generate_state(1, dtype=np.uint32)[0] & 0x7FFFFFFF)
