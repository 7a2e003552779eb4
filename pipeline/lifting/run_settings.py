"""The lifting section of a run's settings: how long and where the fit runs, and its scene box.

:class:`pipeline.lifting.schedule.LiftingSettings` is the fit's full schedule; a run only
chooses these few numbers and :meth:`FitSettings.schedule` builds the schedule from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from pipeline.lifting.schedule import SELF_PENETRATION_WEIGHTS, LiftingSettings

#: ``lifting.starts``: "all" fits every set from ``DEFAULT_STARTS`` (posture presets,
#: heights, a start fitted to the triangulated detections) and keeps the fit the views agree
#: with most; "one" fits it from the single placed start: a quick look in about half the time
#: (16 views, 2-core CPU: 13-17 s instead of 26-27 s, detection included), less accurate
#: (standing_floor of the lifting benchmark: 25.8 mm instead of 8.9)
START_CHOICES = ("all", "one")


@dataclass
class FitSettings:
    """Defaults are the paper's (1600 iterations, no self-penetration term)."""

    fit_iterations: int | None = None  # None: the schedule's own length (the paper's 1600)
    self_penetration: bool = False  # the optional capsule self-penetration term
    fit_device: str = "auto"  # "auto": the GPU when the run uses one (falls back to the CPU on error), else "cpu"
    sdf_half_extent: float = 1.6  # metres around the target
    sdf_cell: float = 0.03
    starts: str = "all"  # one of START_CHOICES

    def problems(self) -> list[str]:
        out = []
        if self.fit_iterations is not None and self.fit_iterations < 4:
            out.append("lifting.fit_iterations must be at least 4 (one per schedule segment)")
        if self.sdf_half_extent <= 0 or self.sdf_cell <= 0:
            out.append("lifting.sdf_half_extent and lifting.sdf_cell must be positive")
        if self.starts not in START_CHOICES:
            out.append(f"lifting.starts must be one of {', '.join(START_CHOICES)}")
        return out

    def start_options(self):
        """The :class:`pipeline.lifting.starts.StartOptions` every set is fitted from (see
        :data:`START_CHOICES`; imported here so that reading settings needs no torch)."""
        from pipeline.lifting.starts import DEFAULT_STARTS, StartOptions

        return DEFAULT_STARTS if self.starts == "all" else StartOptions()

    def schedule(self, phenotype_names: Sequence[str] = (), fixed_shape: dict | None = None) -> LiftingSettings:
        """The fit's schedule; a fully fixed shape (every phenotype name held) is not optimised
        at all: its learning rate is 0, which also spares the costly shape gradient."""
        ls = LiftingSettings()
        if self.fit_iterations is not None:
            ls = ls.with_iterations(int(self.fit_iterations))
        if self.self_penetration:
            ls = replace(ls, weights={**ls.weights, "self_penetration": SELF_PENETRATION_WEIGHTS})
        if fixed_shape and phenotype_names and not set(phenotype_names) - set(fixed_shape):
            rates = dict(ls.learning_rates)
            rates["shape"] = tuple(0.0 for _ in rates["shape"])
            ls = replace(ls, learning_rates=rates)
        return ls
