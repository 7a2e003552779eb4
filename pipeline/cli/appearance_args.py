"""The appearance options shared by ``genzi fit``, ``generate`` and ``export``."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.appearance.styles import COLOUR_SOURCES, STYLES
from pipeline.body.garments.catalogue import NO_HAIR, names_of


def add_appearance_arguments(parser: argparse.ArgumentParser, *, bare: bool = False) -> None:
    styles = list(STYLES) + (["bare"] if bare else [])
    parser.add_argument("--style", choices=styles,
                        help="figure style (default: the run's recorded style, else clothed)"
                        + ("; bare: the plain body" if bare else ""))
    parser.add_argument("--outfit", choices=names_of("suit"), help="suit to wear instead of the prompt's choice")
    parser.add_argument("--hair", choices=names_of("hair") + [NO_HAIR], help="hair style instead of the prompt's choice")
    parser.add_argument("--colours", choices=list(COLOUR_SOURCES),
                        help="clothed colours from the run's paintings (default) or the outfit's own")


def record_appearance_choices(args: argparse.Namespace, out: str | Path) -> None:
    """Write the options given into the run folder, where exports and the desktop find them."""
    from pipeline.export.run_appearance import record_appearance

    record_appearance(out, style=args.style, outfit=args.outfit, hair=args.hair, colours=args.colours)
