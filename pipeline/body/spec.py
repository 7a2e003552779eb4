"""Which body model a run uses, and one bounded cache of the models built.

A :class:`BodySpec` is everything needed to build the same model again later (the kind,
SMPL-X's file, Anny's fixed shape values), so the run, the exporters and the desktop all
rebuild a run's body the same way through :func:`load_body`. The user's consent to open a
pickled model is never part of it: it is given per call (``trusted_pickles``), never stored.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Collection

from pipeline.body import BodyModel, load_body_model

CACHE_SIZE = 3  # Anny takes seconds to build; a few models fit in memory, an unbounded cache does not


@dataclass(frozen=True)
class BodySpec:
    kind: str = "anny"  # "anny" or "smplx"
    path: str | None = None  # SMPL-X: the user's model file (.npz or .pkl) or its folder
    fixed_shape: tuple[tuple[str, float], ...] = ()  # Anny phenotype values held fixed, sorted by name

    @classmethod
    def of(cls, kind: str = "anny", path: Any = None, fixed_shape: dict[str, float] | None = None) -> "BodySpec":
        return cls(str(kind).lower().replace("-", ""), str(path) if path else None,
                   tuple(sorted((str(k), float(v)) for k, v in (fixed_shape or {}).items())))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "fixed_shape": dict(self.fixed_shape) or None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BodySpec":
        return cls.of(data.get("kind", "anny"), data.get("path"), data.get("fixed_shape"))


_CACHE: OrderedDict[tuple[BodySpec, str, frozenset[str]], BodyModel] = OrderedDict()


def load_body(spec: BodySpec, device: str = "cpu", trusted_pickles: Collection[str] = ()) -> BodyModel:
    """The body model of ``spec`` on ``device``; the :data:`CACHE_SIZE` most recently used
    models are kept. SMPL-X without its file raises ValueError saying what to give;
    ``trusted_pickles``: SHA-256s of ``.pkl`` models the user consented to open."""
    key = (spec, str(device), frozenset(trusted_pickles))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    extra: dict[str, Any] = {"fixed_phenotypes": dict(spec.fixed_shape)} if spec.fixed_shape else {}
    body = load_body_model(spec.kind, spec.path, device=device, trusted_pickles=key[2], **extra)
    _CACHE[key] = body
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return body
