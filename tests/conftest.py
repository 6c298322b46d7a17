"""Shared fixtures: the real model and a real index of the corpus, built once per test session into a
temporary folder (never the repo's index/), and an app wired to that service.

The settings are read from QA_* environment variables like the service's own, so an ablation runs through
the whole suite (`QA_RETRIEVAL__FUSION=rrf pytest`); the session header lists what differs from the defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
LETTER = REPO / "corpus" / "darzalex-retreatment.txt"
FICTIONAL = DATA / "fictional-letter.txt"


def pytest_report_header() -> str | None:
    from qa.config import RetrievalSettings, Settings

    changed = Settings().retrieval.model_dump(exclude_defaults=True)
    if not changed:
        return None
    defaults = RetrievalSettings()
    return "retrieval settings from the environment: " + ", ".join(
        f"{name}={value!r} (default {getattr(defaults, name)!r})" for name, value in changed.items())


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from qa.config import Settings

    tmp = tmp_path_factory.mktemp("qa")
    return Settings(
        index_dir=tmp / "index",
        service={"audit_log": tmp / "audit.jsonl", "rate_limit_per_minute": 0},  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def packaged_model(settings) -> str:  # type: ignore[no-untyped-def]
    """The packaged model's folder, for its tokenizer and sequence length: a tuned patch changes weights only."""
    return str(settings.model_copy(update={"embedding": settings.embedding.model_copy(
        update={"tuning": None})}).model_path())


@pytest.fixture(scope="session")
def service(settings):  # type: ignore[no-untyped-def]
    """The real service: real parser, real model, real FAISS and BM25 indexes."""
    from qa.service import QAService

    return QAService(settings, rebuild=True)


@pytest.fixture(scope="session")
def letter():  # type: ignore[no-untyped-def]
    from qa.parse import parse_letter

    return parse_letter(LETTER)


@pytest.fixture()
def client(settings, service) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from qa.api.app import create_app

    app = create_app(settings, load=False)
    app.state.service = service
    with TestClient(app) as test_client:
        yield test_client
