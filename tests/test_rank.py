"""The learned ranker: the fit learns what orders answers first, the shipped weights are checked like the
index (their fingerprint, their features, the encoder they were trained for), search is re-ordered by them
only when the ranker is on, and training is seeded and kept off the test split."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.config import REPO_ROOT, Settings
from qa.errors import IndexCorrupt, ModelUnavailable
from qa.index import sha256_file
from qa.questions import load_questions
from qa.rank import FEATURES, MANIFEST, RankerOptions, fingerprint, fit, load_ranker, mixed, train_ranker
from qa.retrieve import Retriever
from qa.tune import TRAIN_SET, read_tuning

SHIPPED = REPO_ROOT / "index" / "ranker"


def test_the_fit_orders_answers_above_wrong_candidates() -> None:
    """Synthetic questions where the answer is the candidate with the most of one feature and the least of
    another: the weights learn that, whatever the other features do, and say so by name."""
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    first, second = FEATURES.index("quote_cosine"), FEATURES.index("terms_missing")
    groups = []
    for _ in range(60):
        x = rng.normal(size=(12, len(FEATURES)))
        answer = int(np.argmax(x[:, first] - x[:, second]))
        groups.append((x, np.arange(12) == answer))
    weights, pairs = fit(groups, 1.0)
    assert pairs == 60 * 11 and list(weights) == list(FEATURES)
    assert weights["quote_cosine"] > 0 > weights["terms_missing"]
    others = [abs(w) for f, w in weights.items() if f not in ("quote_cosine", "terms_missing")]
    assert min(weights["quote_cosine"], -weights["terms_missing"]) > 3 * max(others)


def test_mixing_orders_by_the_weighted_z_scores() -> None:
    rng = np.random.default_rng(1)
    fused, learned = rng.normal(size=30), rng.normal(size=30)

    def z(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std()

    for weight in (0.2, 0.5, 0.8):
        expected = np.argsort(-((1 - weight) * z(fused) + weight * z(learned)))
        assert np.array_equal(np.argsort(-mixed(fused, learned, weight)), expected)
    assert np.array_equal(mixed(fused, learned, 0.0), fused)
    assert np.array_equal(mixed(fused, np.ones(30), 0.5), fused)  # a ranker with no opinion changes nothing


def test_the_shipped_ranker_is_what_its_manifest_says() -> None:
    ranker = load_ranker(SHIPPED)
    manifest = ranker.manifest
    assert list(manifest.weights) == list(FEATURES) and manifest.fingerprint == fingerprint(manifest.weights)
    assert manifest.questions_sha256 == sha256_file(TRAIN_SET)  # the training set, never the evaluation set
    assert manifest.tuning == read_tuning(REPO_ROOT / "index" / "tuning").patch_sha256
    assert manifest.options.folds >= 2  # cross-fitted
    assert manifest.questions_used > 500


def test_altered_outdated_or_missing_weights_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ranker"
    shutil.copytree(SHIPPED, folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    edited = {**manifest["weights"], "bm25": manifest["weights"]["bm25"] + 1}
    (folder / MANIFEST).write_text(json.dumps({**manifest, "weights": edited}), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="do not match their fingerprint"):
        load_ranker(folder)
    fewer = {f: w for f, w in manifest["weights"].items() if f != "bm25"}
    (folder / MANIFEST).write_text(json.dumps({**manifest, "weights": fewer, "fingerprint": fingerprint(fewer)}),
                                   encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="other features"):
        load_ranker(folder)
    (folder / MANIFEST).unlink()
    with pytest.raises(ModelUnavailable, match="qa train-ranker"):
        load_ranker(folder)


def _retriever(service: Any, settings: Settings, **changes: Any) -> Retriever:
    return Retriever(service.index, service.encoder, settings.retrieval.model_copy(update=changes))


def _order(retriever: Retriever, question: str, k: int = 10) -> list[str]:
    return [p.chunk.id for p in retriever.search(question, k=k).passages]


# Training questions (evals/train.jsonl), not evaluation ones.
QUESTIONS = [q.question for q in load_questions(TRAIN_SET, "train") if q.scored][:40]


@pytest.mark.slow
def test_search_is_reordered_by_the_ranker_only_when_it_is_on(service: Any, settings: Settings) -> None:
    assert service.retriever.ranker is not None
    # Every candidate shown, repeated lines too (distinct passages would hide different ones in each order).
    on = _retriever(service, settings, distinct_passages=False)
    off = _retriever(service, settings, learned_ranker=False, distinct_passages=False)
    unweighted = _retriever(service, settings, ranker_weight=0.0, distinct_passages=False)
    moved = 0
    for question in QUESTIONS:
        plain = _order(off, question, k=on.settings.ranker_depth)
        assert _order(unweighted, question, k=10) == plain[:10]
        ranked = _order(on, question, k=10)
        assert set(ranked) <= set(plain)  # it re-orders the fused candidates, it adds none
        plain = plain[:10]
        moved += ranked != plain
    assert moved >= 5


@pytest.mark.slow
def test_a_ranker_trained_for_another_encoder_is_not_used(service: Any, settings: Settings, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "ranker"
    shutil.copytree(SHIPPED, folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    (folder / MANIFEST).write_text(json.dumps({**manifest, "tuning": "0" * 64}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qa.retrieve"):
        retriever = _retriever(service, settings, ranker=folder)
    assert retriever.ranker is None
    assert "trained for the encoder patch 0000000000000000" in caplog.text
    assert _order(retriever, QUESTIONS[0]) == _order(_retriever(service, settings, learned_ranker=False),
                                                     QUESTIONS[0])


def test_the_test_split_is_never_trained_on(settings: Settings, tmp_path: Path) -> None:
    from qa.evaluate import DEFAULT_SET

    with pytest.raises(ValueError, match="only for reporting"):
        train_ranker(settings, DEFAULT_SET, "test", tmp_path, RankerOptions())
    assert not (tmp_path / MANIFEST).exists()


@pytest.mark.slow
def test_training_is_seeded(settings: Settings, tmp_path: Path) -> None:
    """On the packaged weights (nothing to cross-fit) and a few questions: two runs write the same trees,
    and the manifest says what trained them."""
    pytest.importorskip("sklearn")
    plain = settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"tuning": None})})
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(line + "\n" for line in TRAIN_SET.read_text(encoding="utf-8").splitlines()[:60]),
                         encoding="utf-8")
    options = RankerOptions(depth=10)
    first = train_ranker(plain, questions, "train", tmp_path / "a", options)
    second = train_ranker(plain, questions, "train", tmp_path / "b", options)
    assert first.fingerprint == second.fingerprint
    assert first.tuning is None and first.questions_used > 0 and first.pairs >= first.questions_used
    assert load_ranker(tmp_path / "a").manifest == first
