"""Body words of a prompt ("a child", "a tall man", "a heavy person") as start phenotypes.

Only a seed for the fit's start: the fit may change the shape where the views say otherwise.
Values are Anny's phenotypes in [0, 1] (age 0.5 is an adult; a child of about 1.1 m is age
0.2). A rule a user can predict: the first matching word of each family counts.
"""

from __future__ import annotations

import re

SHAPE_WORDS: list[tuple[str, dict[str, float]]] = [
    (r"\b(toddler|baby|infant)s?\b", {"age": 0.1}),
    (r"\b(child|children|kid|kids|boy|girl|boys|girls)\b", {"age": 0.2}),
    (r"\b(teen|teenager|teenagers)\b", {"age": 0.35}),
    (r"\b(tall|towering)\b", {"height": 0.75}),
    (r"\b(short|petite)\b", {"height": 0.3}),
    (r"\b(heavy|overweight|fat|obese|stout|chubby)\b", {"weight": 0.85}),
    (r"\b(thin|slim|skinny|slender)\b", {"weight": 0.2}),
    (r"\b(muscular|athletic|strong)\b", {"muscle": 0.8}),
]


def phenotypes_from_prompt(prompt: str | None) -> dict[str, float]:
    """Phenotype values named by the prompt's words ({} when it names none)."""
    if not prompt:
        return {}
    text = prompt.lower()
    out: dict[str, float] = {}
    for pattern, values in SHAPE_WORDS:
        if re.search(pattern, text):
            for k, v in values.items():
                out.setdefault(k, v)
    return out
