"""The scene distance grid is built once per scene, box and cell and then read from the user cache."""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.core.user_cache import cache_root, content_key, prune
from pipeline.scene.sdf_cache import cached_sdf_grid


def _box_scene(offset=0.0):
    return trimesh.creation.box(extents=(1.0, 1.0, 0.5)).apply_translation((offset, 0.0, 0.25))


def test_second_build_comes_from_the_cache_and_equals_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZI_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache"
    steps = []
    first, hit1 = cached_sdf_grid(_box_scene(), (0.0, 0.0, 0.3), 0.6, 0.05, progress=lambda f, m: steps.append(m))
    second, hit2 = cached_sdf_grid(_box_scene(), (0.0, 0.0, 0.3), 0.6, 0.05, progress=lambda f, m: steps.append(m))
    assert (hit1, hit2) == (False, True)
    assert "from the cache" in steps[-1]
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_allclose(first.origin, second.origin)
    # inside the box negative, above it positive: the cached grid is a real distance grid
    assert second.sample_numpy(np.array([[0.0, 0.0, 0.25]]))[0] < -0.1
    assert second.sample_numpy(np.array([[0.0, 0.0, 0.75]]))[0] > 0.1
    assert len(list((tmp_path / "cache" / "sdf").glob("*.npz"))) == 1


def test_a_changed_scene_box_or_cell_is_a_new_grid(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZI_CACHE_DIR", str(tmp_path / "cache"))
    cached_sdf_grid(_box_scene(), (0.0, 0.0, 0.3), 0.6, 0.05)
    moved, hit = cached_sdf_grid(_box_scene(offset=0.1), (0.0, 0.0, 0.3), 0.6, 0.05)
    assert not hit and moved.sample_numpy(np.array([[0.55, 0.0, 0.25]]))[0] < 0  # the moved box covers x=0.55
    assert not cached_sdf_grid(_box_scene(), (0.0, 0.0, 0.3), 0.6, 0.04)[1]
    assert not cached_sdf_grid(_box_scene(), (0.1, 0.0, 0.3), 0.6, 0.05)[1]
    assert cached_sdf_grid(_box_scene(), (0.0, 0.0, 0.3), 0.6, 0.05)[1]


def test_content_key_and_prune(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZI_CACHE_DIR", str(tmp_path))
    a = np.arange(6.0)
    assert content_key(a, "x") == content_key(a.copy(), "x") != content_key(a.astype(np.float32), "x")
    folder = tmp_path / "things"
    folder.mkdir()
    for i in range(4):
        f = folder / f"{i}.bin"
        f.write_bytes(b"0" * 1000)
        import os

        os.utime(f, (1000 + i, 1000 + i))
    assert prune("things", 2500) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["2.bin", "3.bin"]  # the oldest went first
