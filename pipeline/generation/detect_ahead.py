"""Keypoints of a painted set found while the next sets are painted.

On a GPU the painter keeps the device busy while the detector needs only the CPU: as soon as
every view of a set is on disk, one background thread detects the person in it and writes
the set's keypoint file, which the keypoints stage then finds done. Only sets painted in
full by this stage are taken; a set with a failed image is left to the keypoints stage, so a
resumed run that paints the missing image also detects it.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Sequence

from pipeline.core.device import pick_device
from pipeline.core.events import Cancelled
from pipeline.generation.stage_keypoints import detect_set

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

log = logging.getLogger("pipeline.generation")


def wanted(run: Run) -> bool:
    """The run's ``keypoints.while_painting``: "on", "off", or "auto" = painting on a GPU."""
    choice = run.settings.keypoints.while_painting
    if choice != "auto":
        return choice == "on"
    try:
        return pick_device(run.request.device).type != "cpu"
    except Exception:  # noqa: BLE001 - no usable device: the painter reports it
        return False


class DetectAhead:
    """Hand it each painted image (:meth:`painted`); :meth:`close` waits for the detections."""

    def __init__(self, run: Run, round_index: int, plan: Sequence[dict], items: Sequence) -> None:
        self.run = run
        self.round_index = round_index
        self.entries = {e["set"]: e for e in plan}
        self.remaining = Counter(item.set_name for item in items)
        self.broken: set[str] = set()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="genzi-detect")
        self.futures: list[tuple[str, Future]] = []

    def painted(self, set_name: str, ok: bool) -> None:
        """One image of ``set_name`` is finished (``ok``: written); a complete set is detected."""
        if not ok:
            self.broken.add(set_name)
        self.remaining[set_name] -= 1
        if self.remaining[set_name] == 0 and set_name not in self.broken and set_name in self.entries:
            self.futures.append((set_name, self.pool.submit(self._detect, self.entries[set_name])))

    def _detect(self, entry: dict) -> None:
        if not self.run.cancel.cancelled:
            detect_set(self.run, self.round_index, entry)

    def close(self) -> int:
        """Wait for every detection; returns how many sets were detected. A failure only
        leaves its set to the keypoints stage."""
        self.pool.shutdown(wait=True)
        done = 0
        for set_name, future in self.futures:
            exc = future.exception()
            if exc is None:
                done += 1
            elif not isinstance(exc, Cancelled):
                log.warning("detection of %s while painting failed (%s); the keypoints stage retries it", set_name, exc)
        return done
