"""The tuned encoder: the shipped patch is the one its manifest describes, the index is built with it, an
altered patch is refused, and training is seeded (same examples, same patch) and touches only the top layers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.config import REPO_ROOT, EmbeddingSettings, Settings
from qa.embed import model_fingerprint
from qa.errors import IndexCorrupt, ModelUnavailable
from qa.index import sha256_file
from qa.questions import load_questions
from qa.tune import (
    MANIFEST,
    PATCH,
    TRAIN_SET,
    TrainOptions,
    read_tuning,
    train,
    train_patch,
    training_examples,
    tuned_model,
)

SHIPPED = REPO_ROOT / "index" / "tuning"


def untuned(settings: Settings) -> Settings:
    return settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"tuning": None})})


def test_the_shipped_patch_is_what_its_manifest_says(settings: Settings) -> None:
    manifest = read_tuning(SHIPPED)
    assert manifest.questions_sha256 == sha256_file(TRAIN_SET)  # trained on the committed training set
    assert manifest.base_fingerprint == model_fingerprint(untuned(settings).model_path())
    layers = {int(n.split(".encoder.layer.")[1].split(".")[0]) for n in manifest.parameters}
    assert layers == set(range(6 - manifest.options.layers, 6))  # the top layers of MiniLM's six, nothing else


def test_the_index_is_built_with_the_tuned_weights(settings: Settings, service: Any) -> None:
    assert settings.embedding.tuning == SHIPPED
    assert service.index.manifest.tuning == read_tuning(SHIPPED).patch_sha256
    base = model_fingerprint(untuned(settings).model_path())
    assert service.index.manifest.model_fingerprint == model_fingerprint(settings.model_path()) != base


def test_an_index_built_without_the_patch_is_stale(settings: Settings, service: Any) -> None:
    from qa.errors import IndexMismatch
    from qa.index import check_manifest

    plain = untuned(settings)
    with pytest.raises(IndexMismatch, match="tuning"):
        check_manifest(service.index.manifest, plain, None, settings.index_dir)


def test_an_empty_setting_means_the_packaged_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "none"):
        monkeypatch.setenv("QA_EMBEDDING__TUNING", value)
        assert Settings().embedding.tuning is None
    assert EmbeddingSettings().tuning == SHIPPED


def test_an_altered_or_missing_patch_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tuning"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns(".model-*"))
    data = bytearray((folder / PATCH).read_bytes())
    data[-1] ^= 0xFF
    (folder / PATCH).write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="does not match its manifest"):
        read_tuning(folder)
    (folder / PATCH).unlink()
    with pytest.raises(ModelUnavailable, match="missing"):
        read_tuning(folder)
    with pytest.raises(ModelUnavailable, match="qa train-encoder"):
        read_tuning(tmp_path / "nowhere")


def test_a_patch_for_other_base_weights_is_refused(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "tuning"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns(".model-*"))
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["base_fingerprint"] = "0" * 16
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="other base weights"):
        tuned_model(untuned(settings).model_path(), folder)


def test_the_test_split_is_never_trained_on(settings: Settings, tmp_path: Path) -> None:
    from qa.evaluate import DEFAULT_SET

    with pytest.raises(ValueError, match="only for reporting"):
        train(settings, DEFAULT_SET, "test", tmp_path, TrainOptions())
    assert not (tmp_path / PATCH).exists()


@pytest.mark.slow
def test_training_is_seeded_and_moves_only_the_top_layers(settings: Settings, service: Any, tmp_path: Path) -> None:
    """Two runs on the same examples write the same bytes; the patch holds the top layer only, and the model
    with it applied embeds a question differently from the packaged one."""
    from safetensors.numpy import load_file

    options = TrainOptions(layers=1, epochs=1, batch_size=4, max_pieces=64, learning_rate=1e-3)
    questions = [q for q in load_questions(TRAIN_SET, "train") if q.scored][:8]
    examples = training_examples(service, questions, options)
    assert examples and {e.group for e in examples} == set(range(len(questions)))
    assert all(e.negatives for e in examples)  # the system's wrong passages above the answer
    base = untuned(settings).model_path()
    first, second = tmp_path / "a", tmp_path / "b"
    names, losses = train_patch(base, examples, options, first)
    train_patch(base, examples, options, second)
    assert sha256_file(first / PATCH) == sha256_file(second / PATCH)
    assert len(losses) == 1 and np.isfinite(losses[0])
    assert set(load_file(str(first / PATCH))) == set(names)
    assert names and all(".encoder.layer.5." in n for n in names)

    from qa.embed_torch import load_sentence_transformer
    from qa.tune import _apply_patch

    model = load_sentence_transformer(base)
    before = model.encode([questions[0].question], normalize_embeddings=True)[0]
    _apply_patch(model, first / PATCH)
    after = model.encode([questions[0].question], normalize_embeddings=True)[0]
    assert 0.5 < float(before @ after) < 0.9999
