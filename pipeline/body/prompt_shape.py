"""Body words of a prompt ("a child", "a tall man", "a heavy person") as start phenotypes.

Only a seed for the fit's start: the fit may change the shape where the views say otherwise.
Values are Anny's phenotypes in [0, 1] (age 0.5 is an adult; a child of about 1.1 m is age
0.2). A rule a user can predict: the first matching word of each family counts.
"""

from __future__ import annotations

import re

CHILD_AGE = 0.2  # the age phenotype of a child of about 1.1 m; toddlers are younger, teens older
PERSON = r"(?:person|people|man|men|woman|women|boy|boys|girl|girls|guy|guys|lady|adult|child|kid|kids|teen|teenager)"
# age words name the person themselves; build words count only right before a person word
# ("a tall man", "a heavy, older woman"), so "the tall cabinet" seeds nothing
AGE_WORDS: list[tuple[str, dict[str, float]]] = [
    (r"\b(toddler|baby|infant)s?\b", {"age": 0.1}),
    (r"\b(child|children|kid|kids|boy|girl|boys|girls)\b", {"age": CHILD_AGE}),
    (r"\b(teen|teens|teenager|teenagers)\b", {"age": 0.35}),
]
BUILD_WORDS: list[tuple[str, dict[str, float]]] = [
    (r"tall|towering", {"height": 0.75}),
    (r"short|petite", {"height": 0.3}),
    (r"heavy|overweight|fat|obese|stout|chubby", {"weight": 0.85}),
    (r"thin|slim|skinny|slender", {"weight": 0.2}),
    (r"muscular|athletic|strong", {"muscle": 0.8}),
]
SHAPE_WORDS: list[tuple[str, dict[str, float]]] = AGE_WORDS + [
    (rf"\b(?:{adj})\b,?(?:\s+\w+,?)?\s+{PERSON}\b", values) for adj, values in BUILD_WORDS
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
