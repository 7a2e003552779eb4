"""The clothes, shoes and hair the app ships, and the outfit a prompt asks for.

An outfit is one suit (top and bottom in one mesh), one pair of shoes and a hair style.
Prompt words pick the suit ("suit" -> elegant, "jogger" -> sports wear) and the body's sex
and age; without a cue the seed picks a plausible combination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.body.prompt_shape import CHILD_AGE, phenotypes_from_prompt

GARMENT_DIR = Path(__file__).resolve().parents[3] / "resources" / "garments"


@dataclass(frozen=True)
class Asset:
    name: str
    kind: str  # "suit", "shoes", "hair", "eyebrows"
    sex: str | None  # "male", "female" or None (either)
    style: str | None  # "casual", "elegant", "sport", "work"

    @property
    def path(self) -> Path:
        folder = {"suit": "clothes", "shoes": "clothes", "hair": "hair", "eyebrows": "eyebrows"}[self.kind]
        return GARMENT_DIR / folder / self.name / f"{self.name}.mhclo"


ASSETS: dict[str, Asset] = {a.name: a for a in (
    Asset("male_casualsuit01", "suit", "male", "casual"),
    Asset("male_casualsuit04", "suit", "male", "casual"),
    Asset("male_elegantsuit01", "suit", "male", "elegant"),
    Asset("male_worksuit01", "suit", "male", "work"),
    Asset("female_casualsuit01", "suit", "female", "casual"),
    Asset("female_casualsuit02", "suit", "female", "casual"),
    Asset("female_elegantsuit01", "suit", "female", "elegant"),
    Asset("female_sportsuit01", "suit", None, "sport"),
    Asset("shoes01", "shoes", None, None),
    Asset("shoes02", "shoes", None, None),
    Asset("shoes05", "shoes", None, None),
    Asset("short02", "hair", "male", None),
    Asset("bob01", "hair", "female", None),
    Asset("ponytail01", "hair", "female", None),
    Asset("eyebrow001", "eyebrows", None, None),
)}  # fmt: skip

NO_HAIR = "none"


@dataclass(frozen=True)
class Outfit:
    suit: str | None
    shoes: str | None
    hair: str | None
    sex: str = "male"  # the body the outfit was chosen for
    age: str = "adult"  # "adult" or "child"

    def asset_names(self) -> list[str]:
        return [n for n in (self.suit, self.shoes, self.hair) if n and n != NO_HAIR]

    def to_dict(self) -> dict:
        return {"suit": self.suit, "shoes": self.shoes, "hair": self.hair, "sex": self.sex, "age": self.age}

    @classmethod
    def from_dict(cls, d: dict) -> "Outfit":
        return cls(d.get("suit"), d.get("shoes"), d.get("hair"), d.get("sex", "male"), d.get("age", "adult"))


_WORDS = {
    "female": r"\b(woman|women|girl|lady|she|her|female|mother|grandmother)\b",
    "male": r"\b(man|men|boy|guy|he|his|male|father|grandfather|gentleman)\b",
    "elegant": r"\b(suit|business|elegant|formal|office|manager|dress)\b",
    "sport": r"\b(jog\w*|run\w*|sport\w*|gym|athlet\w*|yoga|exercis\w*|fitness)\b",
    "work": r"\b(work\w*|builder|mechanic|overall\w*|construction|craftsman|cleaner)\b",
}


def _has(kind: str, text: str) -> bool:
    return re.search(_WORDS[kind], text) is not None


def names_of(kind: str) -> list[str]:
    return [a.name for a in ASSETS.values() if a.kind == kind]


def outfit_for_prompt(prompt: str, seed: int = 0) -> Outfit:
    """The outfit (and body sex/age) a prompt asks for; varied by ``seed`` where it says nothing."""
    text = prompt.lower()
    rng = np.random.default_rng(seed)
    if _has("female", text) and not _has("male", text):
        sex = "female"
    elif _has("male", text) and not _has("female", text):
        sex = "male"
    else:
        sex = "female" if rng.random() < 0.5 else "male"
    style = next((s for s in ("sport", "elegant", "work") if _has(s, text)), None)
    if style == "work" and sex == "female":
        style = "casual"  # the work overall is cut for a male body
    suits = [a.name for a in ASSETS.values() if a.kind == "suit" and a.sex in (sex, None)]
    if style is not None:
        suits = [n for n in suits if ASSETS[n].style == style] or suits
    else:  # no cue: everyday wear
        suits = [n for n in suits if ASSETS[n].style == "casual"] or suits
    hair = [n for n in names_of("hair") if ASSETS[n].sex in (sex, None)]
    return Outfit(
        suit=str(rng.choice(suits)),
        shoes=str(rng.choice(names_of("shoes"))),
        hair=str(rng.choice(hair)),
        sex=sex,
        age="child" if phenotypes_from_prompt(text).get("age", 0.5) <= CHILD_AGE else "adult",
    )


def phenotypes_for(outfit: Outfit) -> dict[str, float]:
    """Body phenotypes (Anny's names) that match an outfit's sex and age."""
    values = {"gender": 0.0 if outfit.sex == "female" else 1.0}
    if outfit.age == "child":
        values["age"] = 0.15
    return values


def with_choice(outfit: Outfit, *, suit: str | None = None, hair: str | None = None,
                shoes: str | None = None) -> Outfit:
    """``outfit`` with the user's choices; unknown names raise ValueError with the choices."""
    for value, kind in ((suit, "suit"), (hair, "hair"), (shoes, "shoes")):
        if value is not None and value != NO_HAIR and (value not in ASSETS or ASSETS[value].kind != kind):
            raise ValueError(f"Unknown {kind} {value!r}; choose one of {', '.join(names_of(kind))}"
                             + (f" or {NO_HAIR}" if kind == "hair" else "") + ".")
    return replace(outfit, suit=suit or outfit.suit, hair=hair or outfit.hair, shoes=shoes or outfit.shoes)
