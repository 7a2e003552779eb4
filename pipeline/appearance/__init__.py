"""How people look: figure styles as materials, and colours taken from the paintings."""

from pipeline.appearance.colour import ciede2000, delta_e_rgb, lab_to_srgb, srgb_to_lab
from pipeline.appearance.painted import PaintedView, RegionColour, colours_from_paintings
from pipeline.appearance.styles import (
    COLOUR_SOURCES, REGIONS, STYLE_LABELS, STYLES, Material, check_style, outfit_colours, person_colour,
    region_materials,
)

__all__ = [
    "COLOUR_SOURCES", "Material", "PaintedView", "REGIONS", "RegionColour", "STYLES", "STYLE_LABELS",
    "check_style", "ciede2000", "colours_from_paintings", "delta_e_rgb", "lab_to_srgb", "outfit_colours",
    "person_colour", "region_materials", "srgb_to_lab",
]
