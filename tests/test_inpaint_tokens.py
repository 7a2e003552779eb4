"""Subject-token search and prompt assembly, with the tiny CLIP BPE tokenizer."""

import pytest

from inpaint_fixtures import one_cpu_thread, tiny_model_dir  # noqa: F401
from pipeline.inpaint.errors import InpaintSettingsError
from pipeline.inpaint.prompts import assemble_prompts, default_negatives, default_prefix
from pipeline.inpaint.tokens import SUBJECT_WORDS, find_subject_tokens, token_words


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(str(tiny_model_dir / "tokenizer"))


def words_at(tokenizer, prompt, indices):
    ids = tokenizer(prompt).input_ids
    return "".join(tokenizer.convert_ids_to_tokens([ids[i] for i in indices])).replace("</w>", " ").split()


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("a photo, a person sitting on the sofa", ["person"]),
        ("a woman reading a book, sitting", ["woman"]),
        ("two children sitting on the bed", ["children"]),
        ("A MAN standing at the table", ["man"]),
        ("kids lying on the bed", ["kids"]),
        ("a lady and a gentleman holding a cup", ["lady", "gentleman"]),
        ("an old fisherman sitting", None),  # 'fisherman' is not a subject word
    ],
)
def test_subject_words_are_found_in_several_phrasings(tokenizer, prompt, expected):
    if expected is None:
        with pytest.raises(InpaintSettingsError, match="No word for the person"):
            find_subject_tokens(tokenizer, prompt)
        return
    indices = find_subject_tokens(tokenizer, prompt)
    assert words_at(tokenizer, prompt, indices) == expected
    assert 0 not in indices  # never the start token


def test_word_spelled_out_in_several_tokens_is_selected_whole(tokenizer):
    # 'teenager' is not a whole token of the tiny vocabulary: it becomes several pieces
    prompt = "a teenager sitting"
    words, _ = token_words(tokenizer, prompt)
    pieces = dict(words)["teenager"]
    assert len(pieces) > 1
    assert find_subject_tokens(tokenizer, prompt) == pieces


def test_overrides_by_word_and_by_index(tokenizer):
    prompt = "a woman sitting on the sofa"
    n = len(tokenizer(prompt).input_ids)
    assert words_at(tokenizer, prompt, find_subject_tokens(tokenizer, prompt, ["sofa"])) == ["sofa"]
    assert find_subject_tokens(tokenizer, prompt, [2]) == [2]
    assert find_subject_tokens(tokenizer, prompt, [-2]) == [n - 2]  # counted with start and end tokens
    with pytest.raises(InpaintSettingsError, match="not in the prompt"):
        find_subject_tokens(tokenizer, prompt, ["dog"])
    with pytest.raises(InpaintSettingsError, match="outside"):
        find_subject_tokens(tokenizer, prompt, [200])


def test_plural_forms_are_subject_words():
    for singular, plural in [("person", "people"), ("woman", "women"), ("child", "children"), ("lady", "ladies")]:
        assert singular in SUBJECT_WORDS and plural in SUBJECT_WORDS


def test_prompt_assembly_follows_the_paper_order():
    texts = assemble_prompts("a man sitting", "hat", prefix="a photo", suffix="full body", global_negatives=["blurry", "text"])
    assert texts.diffusion == "a photo, a man sitting, full body"
    assert texts.negative == "hat, blurry, text"
    assert texts.ranking == "a photo, a man sitting"
    bare = assemble_prompts("sitting on the sofa", prefix="", suffix="", global_negatives=[])
    assert bare.diffusion == "a person sitting on the sofa" and bare.negative == ""
    kept = assemble_prompts("sitting", prefix="a photo of a woman", suffix="")
    assert kept.diffusion == "a photo of a woman, sitting"  # the prefix already names the subject


def test_default_prompt_resources_are_read():
    assert default_prefix()
    negatives = default_negatives()
    assert "blurry" in negatives and not any(n.startswith("#") for n in negatives)
    assert assemble_prompts("a man").negative.startswith("multiple people")
