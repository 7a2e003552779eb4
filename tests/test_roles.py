"""One interface per role: every format's writer, the keypoint detector, the body models and the
painters fulfil the interface their callers rely on, so no caller needs to ask an object what it can do."""

from __future__ import annotations

import inspect

from pipeline.export import FORMATS
from pipeline.export.writers import BODY_WRITERS, DESIGN_WRITERS, BodyWriter, DesignWriter


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_every_format_has_one_writer_of_its_role():
    assert set(BODY_WRITERS) | set(DESIGN_WRITERS) == set(FORMATS)
    assert set(DESIGN_WRITERS) == {k for k, f in FORMATS.items() if f.into_original}
    body_role = _parameters(BodyWriter.__call__)[1:]
    for fmt, load in BODY_WRITERS.items():
        writer = load()
        params = inspect.signature(writer).parameters
        assert list(params)[:2] == body_role[:2], fmt
        assert params["frame"].kind is inspect.Parameter.KEYWORD_ONLY, fmt
        assert params["static_meshes"].kind is inspect.Parameter.KEYWORD_ONLY, fmt
    for fmt, load in DESIGN_WRITERS.items():
        assert _parameters(load()) == _parameters(DesignWriter.__call__)[1:], fmt


def test_the_keypoint_detector_plays_the_detector_role():
    from pipeline.keypoints.blazepose import KeypointDetector, PersonDetector

    assert _parameters(KeypointDetector.detect) == _parameters(PersonDetector.detect)


def test_body_models_and_painters_implement_their_interfaces():
    from pipeline.body.anny_body import AnnyBody
    from pipeline.body.base import BodyModel
    from pipeline.body.smplx_body import SmplxBody
    from pipeline.generation.imagination import (
        DiffusionImagination,
        Imagination,
        RenderedBodyImagination,
        UserImagesImagination,
    )

    for body in (AnnyBody, SmplxBody):
        assert issubclass(body, BodyModel) and not inspect.isabstract(body), body
    for painter in (DiffusionImagination, UserImagesImagination, RenderedBodyImagination):
        assert issubclass(painter, Imagination) and not inspect.isabstract(painter), painter
