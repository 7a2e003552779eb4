"""CC0 MakeHuman clothes, shoes and hair fitted to the body, skinned to its skeleton."""

from pipeline.body.garments.catalogue import ASSETS, NO_HAIR, Outfit, names_of, outfit_for_prompt, phenotypes_for, with_choice
from pipeline.body.garments.fitting import DressedBody, SkinnedPart, fit_outfit
from pipeline.body.garments.mhclo import BindingError, read_mhclo
from pipeline.body.garments.posing import posed_part_vertices

__all__ = [
    "ASSETS", "NO_HAIR", "BindingError", "DressedBody", "Outfit", "SkinnedPart", "fit_outfit",
    "names_of", "outfit_for_prompt", "phenotypes_for", "posed_part_vertices", "read_mhclo", "with_choice",
]
