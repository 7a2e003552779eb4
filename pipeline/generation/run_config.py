"""``config.json``: what a run was asked to do, and the check that a resumed run is the same run.

Written once when the run folder is made (by the orchestrator, or by
:mod:`pipeline.generation.user_cameras` for cameras the user chose); a resumed run must match
its identity fields and settings, or it is refused with the names of what differs.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pipeline.generation import stages
from pipeline.generation.config import GenerationRequest
from pipeline.generation.errors import RunFolderMismatchError
from pipeline.generation.run_folder import RunFolder, read_json, write_json_atomic
from pipeline.generation.settings import GenerationSettings, flatten, recorded_values

FORMAT = "genzi-generation-run/1"

# Request fields that change what a run computes; a resumed run must match them.
IDENTITY_FIELDS = (
    "scene", "target", "prompt", "normal", "radius", "negative_prompt", "subject_words", "seed",
    "model", "body_model", "body_model_path", "fixed_shape",
)  # fmt: skip


def config_dict(request: GenerationRequest, settings: GenerationSettings, imagination: dict,
                **extra: Any) -> dict[str, Any]:
    """The ``config.json`` of a run; ``extra`` adds keys (the cameras the user chose)."""
    return {
        "format": FORMAT,
        "scene": str(request.scene),  # top level too: exporters look for it here
        "request": request.to_dict(),
        "settings": settings.to_dict(),
        "imagination": dict(imagination),
        "seeds": {
            "run_seed": request.seed,
            "rule": "image seed = pipeline.generation.seeds.image_seed(run_seed, round, set_index, view_index)",
        },
        "versions": stages.package_versions(),
        **extra,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def check_or_write_config(folder: RunFolder, fresh: dict[str, Any], resume: bool) -> bool:
    """Write ``fresh`` into a new folder, or check that the folder's run is the same one.

    True when this call wrote a fresh config.json (so a run that then makes nothing can take it back)."""
    path = folder.config_path
    if path.exists():
        if not resume:
            raise RunFolderMismatchError(
                f"{folder.root} already holds a run; resume it (--resume) or choose another output folder."
            )
        differences = config_differences(read_json(path), fresh)
        if differences:
            raise RunFolderMismatchError(
                f"{folder.root} holds a different run ({', '.join(differences)} differ); "
                "use the same inputs to resume it, or choose another output folder."
            )
        return False
    if folder.root.exists() and any(p for p in folder.root.iterdir() if p.name != "run.log"):
        raise RunFolderMismatchError(
            f"{folder.root} is not empty and is not a generation run folder; choose an empty or new folder."
        )
    write_json_atomic(path, fresh)
    return True


def config_differences(old: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Names of what differs between a recorded run and the one asked for now."""
    differences = [
        name for name in IDENTITY_FIELDS if _norm(old.get("request", {}).get(name)) != _norm(fresh["request"].get(name))
    ]
    old_settings = _norm(recorded_values(old.get("settings") or {}))  # older folders: flat names
    new_settings = _norm(flatten(fresh["settings"]))
    # new knobs keep defaults; how the bodies are exported later does not change what the run computes
    changed = [k for k, v in new_settings.items() if old_settings.get(k, v) != v and not k.startswith("export.")]
    if changed:
        differences.append("settings " + ", ".join(changed))
    if old.get("imagination", {}).get("kind") != fresh["imagination"].get("kind"):
        differences.append("imagination")
    return differences


def _norm(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
