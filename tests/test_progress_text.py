"""The generation progress line names the stage once, with the worker's detail after it."""

from genzi_desktop.controllers.run_feed import stage_progress_text


def test_detail_that_repeats_the_stage_label_is_dropped():
    assert stage_progress_text("body", "preparing body model") == "Preparing the body model"
    assert stage_progress_text("body", "") == "Preparing the body model"


def test_new_detail_follows_the_label():
    assert stage_progress_text("body", "building the cache") == "Preparing the body model: building the cache"
    assert stage_progress_text("inpaint", "view 3 of 8") == "Painting people: view 3 of 8"
    assert stage_progress_text("custom", "step") == "custom: step"
