"""Fast checks of the generation parts that need no scene, model or renderer."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline.core.events import Warning
from pipeline.generation import GenerationRequest, settings_for
from pipeline.cli.generate import parse_overrides
from pipeline.generation.imagination import scan_user_images
from pipeline.core.oom import run_with_oom_backoff
from pipeline.generation.exclusions import is_excluded, normalise_exclusions
from pipeline.generation.ranking import fit_score, make_ranker
from pipeline.generation.results import FitRecord
from pipeline.generation.run_folder import RunFolder, read_png, write_png_atomic
from pipeline.generation.seeds import image_seed


def test_presets_match_the_paper_and_the_fast_preview():
    paper = settings_for("paper")
    assert (paper.views.num_views, paper.inpaint.inpaints_round1, paper.inpaint.inpaints_round2,
            paper.inpaint.steps, paper.rounds) == (16, 4, 2, 50, 2)
    assert paper.inpaint.mask_stop == 25
    fast = settings_for("fast")
    assert (fast.views.num_views, fast.inpaint.inpaints_round1, fast.inpaint.steps, fast.rounds) == (8, 2, 25, 1)


def test_every_setting_can_be_overridden_and_unknown_names_are_refused():
    s = settings_for("fast", {"views.num_views": 5, "steps": 3, "rounds": 2, "image_size": 128})
    assert (s.views.num_views, s.inpaint.steps, s.rounds, s.views.image_size) == (5, 3, 2, 128)
    with pytest.raises(ValueError, match="Unknown setting 'num_view'.*views.num_views"):
        settings_for("fast", {"num_view": 5})
    with pytest.raises(ValueError, match="image_size"):
        settings_for("fast", {"image_size": 100})
    with pytest.raises(ValueError, match="Unknown preset"):
        settings_for("slow")


def test_obj_round_trip_and_faces_with_texture_indices(tmp_path):
    from pipeline.core.obj_mesh import read_obj, write_obj

    rng = np.random.default_rng(0)
    v, f = rng.random((50, 3)), rng.integers(0, 50, (80, 3))
    write_obj(tmp_path / "b.obj", v, f)
    v2, f2 = read_obj(tmp_path / "b.obj")
    np.testing.assert_allclose(v2, v, atol=1e-6)
    assert (f2 == f).all() and f2.dtype == np.int64
    (tmp_path / "t.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3//1\n")
    assert read_obj(tmp_path / "t.obj")[1].tolist() == [[0, 1, 2]]
    (tmp_path / "q.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 4 3\n")
    with pytest.raises(ValueError, match="triangle"):
        read_obj(tmp_path / "q.obj")


def test_self_penetration_is_an_opt_in_setting_of_the_fit():
    from pipeline.generation.stages import lifting_settings
    from pipeline.lifting.schedule import SELF_PENETRATION_WEIGHTS

    assert max(lifting_settings(settings_for("paper")).weights["self_penetration"]) == 0.0
    on = lifting_settings(settings_for("fast", {"self_penetration": True}))
    assert on.weights["self_penetration"] == SELF_PENETRATION_WEIGHTS
    assert on.total_iterations == 600  # the preset's other fit settings are kept


def test_request_checks_its_inputs_and_round_trips():
    with pytest.raises(ValueError, match="three numbers"):
        GenerationRequest(scene="s.glb", target=[0, 1], prompt="a man sitting")
    with pytest.raises(ValueError, match="prompt is empty"):
        GenerationRequest(scene="s.glb", target=[0, 1, 2], prompt="  ")
    req = GenerationRequest(scene="s.glb", target=(0, 1, 2), prompt="a man sitting", seed=3,
                            overrides={"steps": 4}, fixed_shape={"height": 0.7})
    again = GenerationRequest.from_dict(json.loads(json.dumps(req.to_dict())))
    assert again == req
    assert again.settings().inpaint.steps == 4


def test_image_seeds_are_stable_and_distinct():
    seeds = {image_seed(7, r, s, v) for r in (1, 2) for s in range(4) for v in range(16)}
    assert len(seeds) == 2 * 4 * 16
    assert image_seed(7, 1, 2, 3) == image_seed(7, 1, 2, 3)
    assert image_seed(7, 1, 2, 3) != image_seed(8, 1, 2, 3)


def test_oom_backoff_halves_the_batch_and_reports_it():
    calls, events = [], []

    def attempt(n):
        calls.append(n)
        if n > 3:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
        return n

    result, used = run_with_oom_backoff(attempt, 16, emit=events.append, what="inpainting")
    assert calls == [16, 8, 4, 2] and used == 2 and result == 2
    assert len([e for e in events if isinstance(e, Warning)]) == 3

    def broken(n):
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        run_with_oom_backoff(broken, 8)


def test_user_image_folders_flat_and_in_sets(tmp_path):
    img = np.zeros((8, 8, 3), np.uint8)
    for v in ("view_00", "view_02"):
        write_png_atomic(tmp_path / "flat" / f"{v}.png", img)
    assert list(scan_user_images(tmp_path / "flat")) == [0]
    assert sorted(scan_user_images(tmp_path / "flat")[0]) == ["view_00", "view_02"]
    for k in (0, 1, 10):
        write_png_atomic(tmp_path / "sets" / f"set_{k}" / "view_01.png", img)
    assert list(scan_user_images(tmp_path / "sets")) == [0, 1, 10]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="view_00.png"):
        scan_user_images(tmp_path / "empty")


def test_png_and_marker_writes_are_atomic_and_exact(tmp_path):
    img = (np.arange(6 * 5 * 3) % 256).astype(np.uint8).reshape(6, 5, 3)
    write_png_atomic(tmp_path / "a" / "x.png", img)
    assert np.array_equal(read_png(tmp_path / "a" / "x.png"), img)
    mask = np.zeros((6, 5), bool)
    mask[2:4, 1:3] = True
    write_png_atomic(tmp_path / "m.png", mask)
    assert np.array_equal(read_png(tmp_path / "m.png") > 127, mask)
    folder = RunFolder(tmp_path / "run")
    assert not folder.is_done("views")
    folder.mark_done("views", seconds=1.0)
    assert folder.is_done("views")
    assert not list((tmp_path).rglob("*.tmp"))


def test_exclusions_accept_paths_tuples_and_wildcards():
    keys = normalise_exclusions(["round_1/images/set_0/view_03.png", (2, "set_1", "view_00"),
                                 {"view": "view_05"}])
    assert keys == {"1/set_0/view_03", "2/set_1/view_00", "*/*/view_05"}
    assert is_excluded(keys, 1, "set_0", "view_03")
    assert not is_excluded(keys, 2, "set_0", "view_03")
    assert is_excluded(keys, 2, "set_3", "view_05")


def _record(reproj, non_collision=1.0, pen=0.0, contact=True, used=4):
    views = [f"view_{i:02d}" for i in range(used)]
    return FitRecord("set_0", 1, {}, {}, {v: 1.0 for v in views}, {v: reproj for v in views},
                     {"non_collision": non_collision, "max_penetration_m": pen, "contact": contact}, views)


def test_fit_score_prefers_agreeing_collision_free_touching_bodies():
    good = fit_score(_record(5.0), 512, 4)
    assert good > fit_score(_record(40.0), 512, 4)
    assert good > fit_score(_record(5.0, non_collision=0.8, pen=0.1), 512, 4)
    assert good > fit_score(_record(5.0, contact=False), 512, 4)
    assert good > fit_score(_record(5.0, used=2), 512, 4)


def test_ranking_falls_back_to_the_fit_score_without_clip(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    events = []
    settings = settings_for("fast", {"clip_model": str(tmp_path / "no-clip-here")})
    req = GenerationRequest(scene="s.glb", target=[0, 0, 0], prompt="a person")
    ranker = make_ranker(settings, req, events.append)
    assert ranker.method == "fit"
    assert any("CLIP" in e.message for e in events if isinstance(e, Warning))


def test_clip_ranker_loads_a_local_model_and_scores_images(tmp_path):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    from pipeline.inpaint.testing import _write_tokenizer
    from pipeline.generation.ranking import ClipRanker

    folder = tmp_path / "tiny-clip"
    _write_tokenizer(tmp_path / "tok")
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(tmp_path / "tok" / "tokenizer")
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id}
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 16, "intermediate_size": 32,
                     "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 77, **ids},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=8,
    )
    CLIPModel(config).save_pretrained(folder)
    CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
                  tokenizer=tokenizer).save_pretrained(folder)
    ranker = ClipRanker.load(str(folder))
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (48, 48, 3), dtype=np.uint8) for _ in range(2)]
    s1 = ranker.similarity(images, "a man sitting on the sofa")
    assert -1.0 <= s1 <= 1.0
    assert s1 == pytest.approx(ranker.similarity(images, "a man sitting on the sofa"))
    assert s1 != pytest.approx(ranker.similarity(images[:1], "a man sitting on the sofa"))


def test_cli_overrides_parse_json_values():
    assert parse_overrides(["steps=3", "ranking=fit", "inpaint_overrides={\"attention_divisor\": 4}"]) == {
        "steps": 3, "ranking": "fit", "inpaint_overrides": {"attention_divisor": 4}}
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_overrides(["steps"])



def _items(n):
    from pipeline.views.cameras import Camera
    from pipeline.generation.imagination import PaintItem

    cam = Camera.looking_at([0, -2, 1], [0, 0, 1], width=8, height=8)
    return [PaintItem(1, 0, "set_0", f"view_{v:02d}", v, cam, np.zeros((8, 8, 3), np.uint8), seed=v) for v in range(n)]


def _diffusion_with(monkeypatch, fail_view):
    from types import SimpleNamespace

    from pipeline.generation import stages
    from pipeline.generation.imagination import DiffusionImagination, PaintResult

    def fake_batch(inpainter, items, request, settings, *, emit, cancel):
        if any(item.view == fail_view for item in items):
            raise RuntimeError("NaN in the latents")
        return [PaintResult(np.full((8, 8, 3), item.view_index, np.uint8)) for item in items]

    monkeypatch.setattr(stages, "inpaint_batch", fake_batch)
    painter = DiffusionImagination("unused")
    painter.context = SimpleNamespace(settings=settings_for("fast", {"batch_size": 2}),
                                      request=GenerationRequest(scene="s.glb", target=[0, 0, 0], prompt="a person"))
    return painter


def test_one_image_that_cannot_be_painted_is_reported_and_the_others_kept(monkeypatch):
    from pipeline.core.events import CancelToken

    painter = _diffusion_with(monkeypatch, "view_03")
    out = list(painter.paint(_items(5), lambda e: None, CancelToken()))
    assert [item.view for item, _ in out] == [f"view_{v:02d}" for v in range(5)]
    assert [r.image is None for _, r in out] == [False, False, False, True, False]
    assert "NaN in the latents" in out[3][1].reason
    assert out[2][1].image[0, 0, 0] == 2  # the batch partner of the failing image was painted alone


def test_painting_that_fails_from_the_start_stops_the_run(monkeypatch):
    from pipeline.core.events import CancelToken

    painter = _diffusion_with(monkeypatch, "view_00")
    with pytest.raises(RuntimeError, match="NaN"):
        list(painter.paint(_items(3), lambda e: None, CancelToken()))


def test_inpaint_batches_back_off_on_out_of_memory_and_keep_order():
    from pipeline.inpaint.batching import run_in_batches
    from pipeline.inpaint.errors import InpaintError

    calls, backoffs = [], []

    def run(chunk):
        calls.append(len(chunk))
        if len(chunk) > 2:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
        return [x * 10 for x in chunk]

    assert run_in_batches(list(range(7)), 8, run, lambda old, new: backoffs.append((old, new))) == [
        x * 10 for x in range(7)]
    assert backoffs == [(7, 3), (3, 1)] and max(calls[2:]) == 1  # the smaller size is kept
    with pytest.raises(InpaintError, match="even one image"):
        run_in_batches([1], 1, lambda chunk: (_ for _ in ()).throw(RuntimeError("out of memory")))
