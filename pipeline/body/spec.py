"""Which body model a run uses, and one bounded cache of the models built.

A :class:`BodySpec` is everything needed to build the same model again later (the kind,
SMPL-X's file, the user's consent to open a pickle, Anny's fixed shape values), so the run,
the exporters and the desktop all rebuild a run's body the same way through :func:`load_body`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pipeline.body import BodyModel, load_body_model

CACHE_SIZE = 3  # Anny takes seconds to build; a few models fit in memory, an unbounded cache does not


@dataclass(frozen=True)
class BodySpec:
    kind: str = "anny"  # "anny" or "smplx"
    path: str | None = None  # SMPL-X: the user's model file (.npz, or .pkl with allow_pickle) or its folder
    allow_pickle: bool = False
    fixed_shape: tuple[tuple[str, float], ...] = ()  # Anny phenotype values held fixed, sorted by name

    @classmethod
    def of(cls, kind: str = "anny", path: Any = None, allow_pickle: bool = False,
           fixed_shape: dict[str, float] | None = None) -> "BodySpec":
        return cls(str(kind).lower().replace("-", ""), str(path) if path else None, bool(allow_pickle),
                   tuple(sorted((str(k), float(v)) for k, v in (fixed_shape or {}).items())))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "allow_pickle": self.allow_pickle,
                "fixed_shape": dict(self.fixed_shape) or None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BodySpec":
        return cls.of(data.get("kind", "anny"), data.get("path"), data.get("allow_pickle", False),
                      data.get("fixed_shape"))


_CACHE: OrderedDict[tuple[BodySpec, str], BodyModel] = OrderedDict()


def load_body(spec: BodySpec, device: str = "cpu") -> BodyModel:
    """The body model of ``spec`` on ``device``; the :data:`CACHE_SIZE` most recently used
    models are kept. SMPL-X without its file raises ValueError saying what to give."""
    key = (spec, str(device))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    extra: dict[str, Any] = {"fixed_phenotypes": dict(spec.fixed_shape)} if spec.fixed_shape else {}
    body = load_body_model(spec.kind, spec.path, device=device, allow_pickle=spec.allow_pickle, **extra)
    _CACHE[key] = body
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return body
