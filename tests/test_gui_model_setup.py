"""The model set-up dialog offline, at two window sizes: the whole message shows, nothing draws
over it, and the version column names the package it belongs to."""

from __future__ import annotations

import re

import pytest

from gui_support import gui_settings, message_boxes, save_artifact, window  # noqa: F401

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("size", [(720, 520), (1100, 820)])
def test_offline_message_is_whole_and_not_overlapped(window, qtbot, size):
    from genzi_desktop.dialogs.model_setup import OFFLINE_MESSAGE

    dialog = window.generation.show_model_setup()
    qtbot.waitExposed(dialog)
    dialog.reachable = lambda: False
    with qtbot.waitSignal(dialog.downloadFailed, timeout=30_000):
        dialog.download_button.click()
    dialog.resize(*size)
    qtbot.waitUntil(lambda: dialog.width() >= size[0] - 1, timeout=5_000)
    qtbot.wait(100)
    status, anny = dialog.status, dialog.anny_label
    assert status.text() == OFFLINE_MESSAGE
    needed = status.heightForWidth(status.width())
    assert needed > status.fontMetrics().height() * (2 if size[0] < 900 else 1)  # it really wraps
    assert status.height() >= needed - 2, f"message cut off: {status.height()} px shown of {needed}"
    assert status.geometry().bottom() < anny.geometry().top(), "the Anny row overlaps the message"
    assert anny.height() >= anny.heightForWidth(anny.width()) - 2
    save_artifact(dialog.grab().toImage(), f"gui_model_setup_offline_{size[0]}x{size[1]}.png")
    dialog.close()


def test_version_column_names_the_package():
    from genzi_desktop.model.licences import licences_html

    html = licences_html()
    assert "Runs on (package, version)" in html and "Package version" not in html
    sd2_row = re.search(r"<tr><td><b>Stable Diffusion 2 inpainting</b>.*?</tr>", html).group(0)
    assert re.search(r"<td>diffusers (\d|\()", sd2_row)
    anny_row = re.search(r"<tr><td><b>Anny body model</b>.*?</tr>", html).group(0)
    assert re.search(r"<td>anny (\d|\()", anny_row)
