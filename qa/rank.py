"""The learned ranker: what each of a search's best candidates looks like, and the weights trained to order them.

The fusion in `qa.retrieve` adds hand-set weights: cosine, BM25, the named study, the table structure, term
coverage. `qa train-ranker` learns how much each should count from the training questions
(`evals/train.jsonl`, never an evaluation question): a pairwise logistic regression over the features of the
fused top `ranker_depth` candidates, each answering passage against each wrong one of the same question. At
search time its score is mixed with the fused one (`ranker_weight`) to re-order them. (LightGBM lambdarank
over the same features was measured too: it did not beat the linear model on dev, so the simpler one is kept.)

The encoder is tuned on those same training questions, so its cosines for them are better than for any
question it has not seen, and a model fitted on them would trust the cosine too much. So the features are
cross-fitted: the questions are split into halves, an encoder is tuned on each half by the recipe of the
committed patch (`qa train-encoder`, same options and seed), and each half is scored by the encoder tuned on
the other one.

The ranker is one file, `index/ranker/ranker.json`, versioned with the code: a weight per named feature, and
what trained them (the training set's hash, the encoder patch the features were fitted for, every option and
the seed) under a fingerprint of the weights that loading checks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import numpy as np
from pydantic import BaseModel

from qa.chunk import Kind
from qa.errors import IndexCorrupt
from qa.training import RankerOptions, read_manifest

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.questions import EvalQuestion
    from qa.retrieve import Retriever

logger = logging.getLogger(__name__)

MANIFEST = "ranker.json"
KINDS: tuple[str, ...] = get_args(Kind)
# What the ranker sees of a candidate, in this order: the fusion's score and its parts before their weights,
# and what the fusion does not weigh. (Anything equal for all of a question's candidates, such as whether
# it names a study, cannot order them, so it is not a feature.)
FEATURES: tuple[str, ...] = (
    "fused",  # the hand-set fusion's score, boosts included
    "cosine",  # the chunk's or its best sentence / row line's cosine, whichever is higher
    "chunk_cosine",
    "quote_cosine",  # the best sentence / row line's
    "bm25",  # max-normalised over the letter
    "coverage",  # share of the question's term rarity (IDF over the letter) the passage holds
    "study_coverage",  # the same with rarity measured among the named studies' passages
    "structure",  # own-label share and number-where-asked, as the fusion weighs them
    "number_asked",  # the passage holds a number and the question asks for a quantity
    "in_named_study",
    "kind_asked",  # of the kind the question asks for (references, the disclaimer, …)
    "log_rank",  # its place in the fused order
    "log_tokens",  # its length
    "own_label_named",  # share of a row's own (innermost) label the question names
    "parent_label_named",  # the question names a word of a row's parent labels
    "terms_missing",  # share of the question's terms the passage lacks
    "own_label_unnamed",  # a row none of whose own label the question names
    *(f"kind_{k}" for k in KINDS),
)


class RankerManifest(BaseModel):
    """The ranker: its weights, and what trained them (enough to retrain it and to tell it from any other)."""

    format: int = 1
    weights: dict[str, float]  # per feature, in the feature's own units
    fingerprint: str  # sha256 of the weights, checked on load
    options: RankerOptions
    questions: str
    questions_sha256: str
    questions_used: int
    pairs: int  # (answering, wrong) candidate pairs it was fitted on
    tuning: str | None  # sha256 of the encoder patch whose recipe the features were cross-fitted with
    chunker_version: str
    seconds: float
    created_at: str
    sklearn: str


def fingerprint(weights: dict[str, float]) -> str:
    return hashlib.sha256(json.dumps(weights, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Ranker:
    weights: np.ndarray  # in the order of FEATURES
    manifest: RankerManifest

    def score(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights


def load_ranker(folder: Path) -> Ranker:
    """The ranker in `folder`, checked against its fingerprint and this code's features."""
    manifest = read_manifest(RankerManifest, folder / MANIFEST, f"no learned ranker in {folder}: run `qa "
                             "train-ranker`, or set QA_RETRIEVAL__LEARNED_RANKER=false")
    if fingerprint(manifest.weights) != manifest.fingerprint:
        raise IndexCorrupt(f"the weights in {folder / MANIFEST} do not match their fingerprint")
    if list(manifest.weights) != list(FEATURES):
        raise IndexCorrupt(f"the ranker in {folder} was trained on other features: retrain it (`qa train-ranker`)")
    return Ranker(np.array([manifest.weights[f] for f in FEATURES]), manifest)


def mixed(fused: np.ndarray, learned: np.ndarray, weight: float) -> np.ndarray:
    """The fused scores moved by the ranker's: ordering by the result is ordering by
    (1 - weight) * z(fused) + weight * z(learned), while the scores stay on the fusion's scale."""
    if weight <= 0 or len(fused) < 2:
        return fused
    spread = float(learned.std())
    if spread == 0:
        return fused
    z = (learned - learned.mean()) / spread
    return fused + weight / (1 - weight) * float(fused.std()) * z


def _labelled(retriever: Retriever, questions: list[EvalQuestion], depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each scored question's candidate features with which of them answer it (only questions with both an
    answering and a wrong candidate teach the ranker anything)."""
    from qa.questions import matches

    chunks = retriever.index.chunks
    out = []
    for q in questions:
        if not q.scored or q.gold is None:
            continue
        positions, x = retriever.candidate_features(q.question, depth)
        labels = np.array([matches(q.gold, chunks[p].text, chunks[p].study) for p in positions])
        if labels.any() and not labels.all():
            out.append((x, labels))
    return out


def fit(groups: list[tuple[np.ndarray, np.ndarray]], c: float) -> tuple[dict[str, float], int]:
    """Weights that order each question's answering candidates above its wrong ones: a logistic regression on
    the differences of every (answering, wrong) pair, both ways round, the features scaled to unit spread for
    the fit and the weights brought back to the features' own units. Returns them with the pair count."""
    from sklearn.linear_model import LogisticRegression

    pairs = np.array([x[i] - x[j] for x, answers in groups for i in np.flatnonzero(answers)
                      for j in np.flatnonzero(~answers)])
    scale = pairs.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(np.vstack([pairs, -pairs]) / scale, np.r_[np.ones(len(pairs)), np.zeros(len(pairs))])
    return {f: round(float(w), 6) for f, w in zip(FEATURES, model.coef_[0] / scale, strict=True)}, len(pairs)


def train_ranker(settings: Settings, questions_path: Path, split: str, out: Path,
                 options: RankerOptions) -> RankerManifest:
    """Fit the weights on cross-fitted features of the questions of `split` and write them, with what
    trained them, to `out/ranker.json`."""
    from qa.service import QAService
    from qa.tune import provenance, read_tuning, train, training_questions

    questions = training_questions(questions_path, split)
    import sklearn  # training only (the build extra)

    started = time.perf_counter()
    rng = random.Random(options.seed)
    fold_of = {q.id: rng.randrange(options.folds) for q in questions}
    tuning = read_tuning(settings.embedding.tuning) if settings.embedding.tuning is not None else None
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    with tempfile.TemporaryDirectory(prefix="qa-ranker-") as scratch_dir:
        scratch = Path(scratch_dir)
        for fold in range(options.folds if tuning else 1):
            held = [q for q in questions if fold_of[q.id] == fold] if tuning else questions
            fold_settings = settings.model_copy(update={
                "index_dir": scratch / f"index-{fold}",
                "retrieval": settings.retrieval.model_copy(update={"learned_ranker": False})})
            if tuning is not None:
                # An encoder tuned, by the committed patch's recipe, on the other folds only.
                rest = scratch / f"questions-{fold}.jsonl"
                rest.write_text("".join(q.model_dump_json() + "\n" for q in questions if fold_of[q.id] != fold),
                                encoding="utf-8")
                patch = scratch / f"tuning-{fold}"
                train(settings, rest, split, patch, tuning.options)
                fold_settings = fold_settings.model_copy(update={
                    "embedding": settings.embedding.model_copy(update={"tuning": patch})})
            service = QAService(fold_settings, rebuild=True)
            groups += _labelled(service.retriever, held, options.depth)
            logger.info("fold %d: %d questions with features", fold, len(groups))
    weights, pairs = fit(groups, options.c)
    manifest = RankerManifest(
        weights=weights,
        fingerprint=fingerprint(weights),
        options=options,
        questions_used=len(groups),
        pairs=pairs,
        tuning=tuning.patch_sha256 if tuning else None,
        sklearn=sklearn.__version__,
        **provenance(questions_path, started),
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest

