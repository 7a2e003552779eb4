"""Populating a design: many people in one job, on this machine or on a Ray cluster.

A :class:`PopulatePlan` says where people go and what they do; :func:`place_people` turns it
into one :class:`PersonSpec` per person on seats and walkable floor; :func:`populate` runs
them (``LocalBackend`` here, ``pipeline.populate.ray_backend.RayBackend`` on a cluster) into
one run folder per person plus the scene with everyone in it.
"""

from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice
from pipeline.populate.local_backend import LocalBackend
from pipeline.populate.placement import PersonSpec, place_people
from pipeline.populate.plan import Placement, PlanError, PopulatePlan, example_plan
from pipeline.populate.runner import ClusterLost, PopulateResult, populate

__all__ = [
    "ClusterLost", "LocalBackend", "PersonEvent", "PersonFinished", "PersonSpec", "Placement", "PlanError",
    "PopulateNotice", "PopulatePlan", "PopulateResult", "example_plan", "place_people", "populate",
]  # fmt: skip
