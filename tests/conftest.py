"""Suite-wide fixtures.

The user cache goes to a temporary folder for the session. Every GUI test (marked ``gui`` or in a ``test_gui*`` module) keeps the app's workspaces and
autosaves in its own temporary folder via ``$GENZI_DESKTOP_DATA``, so no test writes into
the user's ~/.local/share and tests cannot see each other's autosaves.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _desktop_data_in_tmp(request, monkeypatch):
    node = request.node
    if node.get_closest_marker("gui") is None and not node.module.__name__.split(".")[-1].startswith("test_gui"):
        yield None
        return
    path = request.getfixturevalue("tmp_path") / "appdata"  # the same folder gen_gui_support.data_dir uses
    monkeypatch.setenv("GENZI_DESKTOP_DATA", str(path))
    yield path


@pytest.fixture(autouse=True, scope="session")
def _user_cache_in_tmp(tmp_path_factory):
    """The user cache (scene grids, compiled kernels) lives in one temporary folder for the
    whole session: tests never read or fill the user's own cache."""
    import os

    path = tmp_path_factory.mktemp("user_cache")
    old = os.environ.get("GENZI_CACHE_DIR")
    os.environ["GENZI_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("GENZI_CACHE_DIR", None)
    else:
        os.environ["GENZI_CACHE_DIR"] = old
