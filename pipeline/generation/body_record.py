"""Which body model a run folder's bodies were fitted with, so they can be rebuilt later.

``genzi generate`` records it in ``config.json`` (its request); ``genzi fit`` writes
``body_model.json``. Exporters and the desktop read it back with :func:`body_spec_of_run`
instead of guessing, so an SMPL-X run is rebuilt from the user's own model file.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.body.spec import BodySpec
from pipeline.generation.run_folder import read_json, write_json_atomic

BODY_FILE = "body_model.json"


def write_body_spec(run_dir: str | Path, spec: BodySpec) -> Path:
    path = Path(run_dir) / BODY_FILE
    write_json_atomic(path, spec.to_dict())
    return path


def body_spec_of_run(run_dir: str | Path) -> BodySpec | None:
    """The body model recorded in ``run_dir``; None when the folder records none (older runs)."""
    run_dir = Path(run_dir)
    config = run_dir / "config.json"
    if config.is_file():
        request = read_json(config).get("request") or {}
        if request.get("body_model"):
            return BodySpec.of(request["body_model"], request.get("body_model_path"), request.get("fixed_shape"))
    if (run_dir / BODY_FILE).is_file():
        return BodySpec.from_dict(read_json(run_dir / BODY_FILE))
    return None
