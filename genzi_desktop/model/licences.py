"""What each model in use is, where it comes from, and what its licence allows (shown to users)."""

from __future__ import annotations

from importlib import metadata

MODEL_LICENCES = [
    {
        "name": "Stable Diffusion 2 inpainting",
        "id": "stabilityai/stable-diffusion-2-inpainting",
        "licence": "CreativeML Open RAIL++-M",
        "allows": "Commercial and non-commercial use, including of the images; you must pass the use "
                  "restrictions (no illegal, harmful or deceptive uses, …) on to anyone you share the model with.",
        "package": "diffusers",
    },
    {
        "name": "Anny body model",
        "id": "naver/anny",
        "licence": "CC0 1.0 (model data) + Apache-2.0 (code)",
        "allows": "Any use, commercial included, no attribution required for the data; keep the Apache "
                  "notice when you redistribute the code.",
        "package": "anny",
    },
    {
        "name": "MediaPipe BlazePose (keypoints)",
        "id": "google/mediapipe pose landmarker",
        "licence": "Apache-2.0",
        "allows": "Any use, commercial included; keep the licence notice when you redistribute it.",
        "package": "mediapipe",
    },
    {
        "name": "SMPL-X body model (optional)",
        "id": "smpl-x.is.tue.mpg.de (you download it yourself)",
        "licence": "SMPL-X model licence: non-commercial research only",
        "allows": "Non-commercial scientific research only; commercial use needs a licence from Meshcapade. "
                  "GenZI Desktop never ships or downloads it.",
        "package": "smplx",
    },
]


def package_version(name: str | None) -> str:
    if not name:
        return "—"
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def runs_on(model: dict) -> str:
    """The software that runs a model, named with its version: the version belongs to the package
    (diffusers for the SD-2 weights), not to the model, so both are said."""
    if not model["package"]:
        return "—"
    version = package_version(model["package"])
    return f"{model['package']} {version}" if version != "not installed" else f"{model['package']} (not installed)"


def licences_html(models_in_use: dict[str, str] | None = None) -> str:
    """An HTML table of the models, the software that runs them and their licences (About box,
    set-up dialog)."""
    rows = []
    for m in MODEL_LICENCES:
        rows.append(
            f"<tr><td><b>{m['name']}</b><br><small>{m['id']}</small></td>"
            f"<td>{runs_on(m)}</td><td>{m['licence']}</td><td><small>{m['allows']}</small></td></tr>"
        )
    in_use = ""
    if models_in_use:
        in_use = "<p><b>In use now:</b> " + "; ".join(f"{k}: {v}" for k, v in models_in_use.items()) + "</p>"
    return (in_use + "<table border='1' cellspacing='0' cellpadding='3'>"
            "<tr><th>Model</th><th>Runs on (package, version)</th><th>Licence</th><th>What it allows</th></tr>"
            + "".join(rows) + "</table>")
