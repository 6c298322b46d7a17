"""What the training commands take and leave (`qa train-encoder`, `qa train-ranker`): their options, each
recorded in the manifest of what it trains, and how such a manifest is read back. Kept apart from the
training code so the CLI can show the options without importing it."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from qa.errors import IndexCorrupt, ModelUnavailable

M = TypeVar("M", bound=BaseModel)


def read_manifest(model: type[M], path: Path, missing: str) -> M:
    """The manifest at `path` as `model`: missing, the artifact is unavailable (`missing` says what to do);
    unreadable, it is corrupt."""
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelUnavailable(missing) from exc
    except ValueError as exc:
        raise IndexCorrupt(f"{path} is not a {model.__name__} ({exc.__class__.__name__})") from exc


class TrainOptions(BaseModel):
    """How `qa train-encoder` trains; every field is recorded in the manifest."""

    layers: int = Field(2, ge=1, le=12, description="Top transformer layers trained; the rest stay as packaged")
    epochs: int = Field(3, ge=1, le=50)
    learning_rate: float = Field(5e-5, gt=0)
    batch_size: int = Field(16, ge=2, le=512)
    scale: float = Field(20.0, gt=0, description="Cosine scale of the contrastive loss (softmax temperature 1/scale)")
    max_pieces: int = Field(128, ge=16, le=512, description="Word pieces a training text is cut to")
    hard_negatives: int = Field(1, ge=0, le=5, description="Passages the untuned system ranks above the answer, "
                                "per example")
    positives: int = Field(2, ge=1, le=10, description="Answering passages used per question (each also with its "
                           "answering sentence or row line)")
    seed: int = 20261126
    threads: int = Field(2, ge=1, le=64, description="torch threads while training (the result depends on it)")


class RankerOptions(BaseModel):
    """How `qa train-ranker` trains; every field is recorded in the manifest."""

    c: float = Field(1.0, gt=0, description="Inverse L2 regularisation of the logistic regression. Chosen on dev "
                     "(2026-11-26) of 0.03-10: from 0.3 up within a question of each other")
    depth: int = Field(30, ge=2, le=200, description="Fused candidates per question the ranker learns to order")
    folds: int = Field(2, ge=2, le=10, description="Cross-fitting: one tuned encoder per fold of the questions")
    seed: int = 20261126
