"""Checks on the user's own images before any work: each one opens, is whole, is not huge,
and has the size of the view it was painted for. A wrong image is named with what to do,
instead of the view being dropped later with the reason buried in report.json."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

MAX_PIXELS = 64_000_000  # 8000 x 8000: far above any view, far below what exhausts memory


class ImageInputError(ValueError):
    """A user image cannot be used; the message says which and why."""


def check_image(path: Path, size: tuple[int, int] | None = None, exact: bool = True) -> str | None:
    """None if ``path`` is a readable image (of ``size`` = (width, height) when given), else why not.
    ``exact=False``: only the shape must match (the caller rescales the image to the view)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                return f"is {w}x{h} pixels, too large to be a view"
            if size is not None and exact and (w, h) != tuple(size):
                return f"is {w}x{h}, the view is {size[0]}x{size[1]}"
            if size is not None and not exact and abs(w * size[1] - h * size[0]) > 0.01 * w * size[1]:
                return f"is {w}x{h}, not the shape of the {size[0]}x{size[1]} view (it would be stretched)"
            im.load()  # a truncated or corrupt file fails here, not in the middle of a run
    except Image.DecompressionBombError:
        return "is too large to open safely"
    except UnidentifiedImageError:
        return "is not an image PIL can read"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"is damaged ({exc})"
    return None


def check_images(images: Mapping[str, Path], sizes: Mapping[str, tuple[int, int]] | tuple[int, int] | None,
                 exact: bool = True) -> None:
    """Check every image (view name -> file); ``sizes``: one (w, h) for all, or per view;
    ``exact=False`` accepts any size of the view's shape. Raises :class:`ImageInputError`
    listing every bad image."""
    problems = []
    for view, path in sorted(images.items()):
        size = sizes.get(view) if isinstance(sizes, Mapping) else sizes
        why = check_image(Path(path), size, exact)
        if why:
            problems.append(f"{Path(path).name} {why}")
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise ImageInputError(
            f"{len(problems)} of {len(images)} images cannot be used: {shown}. Paint into copies of the renders "
            "without cropping or stretching them, and save them as PNG or JPEG.")
