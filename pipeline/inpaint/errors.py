"""Errors the inpainting stage raises, each with a message that tells the user what to do."""

from __future__ import annotations


class InpaintError(Exception):
    """Base class of every error of the inpainting stage."""


class ModelNotFoundError(InpaintError, FileNotFoundError):
    """The model path or hub id does not point at a usable model."""


class ModelOfflineError(InpaintError):
    """The model is not cached locally and downloading is not allowed (offline mode)."""


class NotAnInpaintingModelError(InpaintError, ValueError):
    """The model loads but its UNet does not take the 9 inpainting input channels."""


class InpaintSettingsError(InpaintError, ValueError):
    """Settings or requests that cannot work together (sizes, steps, tokens...)."""
