"""A kept result dressed for showing: its pieces (body, clothes, hair) with the chosen style,
the prompt's outfit and the colours or textures of its paintings, rebuilt from the stored
pose parameters, so the desktop shows what an export will hold without refitting."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pipeline.export.bodies import ExportBody


def dressed_result(spec, params: dict, choices: dict, *, prompt: str, seed: int, person_index: int,
                   run_dir: str | Path | None, set_name: str, default_style: str = "clothed",
                   trusted: Collection[str] = (), cancel=None) -> tuple[list, list[str]]:
    """(pieces, warnings) of one kept result; ``spec`` is the body model that fitted it;
    ``cancel``: a CancelToken the texture bake checks."""
    from pipeline.body.spec import load_body
    from pipeline.export.run_appearance import appearance_for_result
    from pipeline.export.styling import styled_body

    model = load_body(spec, "cpu", trusted)
    body = ExportBody.from_skin(model.skinned_mesh(model.params_from_json(params)), name="person")
    hm08 = model.hm08_vertex_indices()
    appearance = appearance_for_result(choices, prompt=prompt, seed=seed, person_index=person_index, body=body,
                                       hm08_index=hm08, run_dir=run_dir, set_name=set_name,
                                       default_style=default_style, cancel=cancel)
    styled, warnings = styled_body(body, appearance, hm08)
    return styled.pieces, warnings
