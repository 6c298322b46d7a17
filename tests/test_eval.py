"""`qa eval` end to end on the fixed set's dev and test splits: the ratchet against evals/baseline.json, and
the accuracy floors of evals/floors.json.

The service fixture reads QA_* settings from the environment, so an ablation runs through the suite too:
`QA_RETRIEVAL__QUOTE_VECTORS=false pytest tests/test_eval.py` must fail the ratchet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluate import DEFAULT_SET, FLOORS, check_floors, evaluate, floor_verdict, wilson
from qa.paired import Comparison
from qa.questions import Gold, load_questions, matches
from qa.ratchet import regressions, staleness

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(service, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("eval")
    floors = json.loads(FLOORS.read_text())
    result = evaluate(service, DEFAULT_SET, floors["split"], floors["k"], out, baselines=True, progress=False)
    return out, result


@pytest.fixture(scope="module")
def dev_report(service, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The dev split, without the baselines (they run once, on test)."""
    out = tmp_path_factory.mktemp("eval-dev")
    return out, evaluate(service, DEFAULT_SET, "dev", 5, out, baselines=False, progress=False)


def _hold_the_ratchet(result) -> None:  # type: ignore[no-untyped-def]
    assert result["paired"], f"no accepted run of split {result['split']} in evals/baseline.json"
    comparison = Comparison.model_validate(result["paired"])
    stale = staleness(comparison)
    assert stale is None, stale
    failed = regressions(comparison)
    assert not failed, f"split {result['split']} fell behind its accepted run:\n" + "\n".join(failed)


def test_the_test_split_holds_the_accepted_level(report) -> None:  # type: ignore[no-untyped-def]
    _hold_the_ratchet(report[1])


def test_the_dev_split_holds_the_accepted_level(dev_report) -> None:  # type: ignore[no-untyped-def]
    _hold_the_ratchet(dev_report[1])


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
    assert "## Against the accepted run" in text and "## Per category" in text
    assert set(result["groups"]["category"]) == {q.category for q in load_questions(DEFAULT_SET, "test")}
    assert set(result["paired"]["measures"]) == {"hit@1", "hit@5", "refusal_recall", "answerable_refused"}


@pytest.mark.parametrize(("counted", "n"), [(212, 248), (35, 47), (7, 256), (0, 30), (30, 30), (1, 1)])
def test_the_wilson_interval_is_scipys(counted: int, n: int) -> None:
    from scipy.stats import binomtest

    expected = binomtest(counted, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(counted, n)
    assert low == pytest.approx(expected.low, abs=1e-6) and high == pytest.approx(expected.high, abs=1e-6)
    assert low <= counted / n <= high
    assert wilson(0, 0) == (0.0, 1.0)


def test_a_floor_verdict_reads_the_interval() -> None:
    assert floor_verdict(0.855, 0.806, 0.893, 0.90, at_least=True) == "missed, floor outside the interval"
    assert floor_verdict(0.976, 0.948, 0.989, 0.98, at_least=True) == "missed, floor within the interval"
    assert floor_verdict(0.992, 0.970, 0.998, 0.95, at_least=True) == "met"
    assert floor_verdict(0.92, 0.88, 0.95, 0.90, at_least=True) == "met, floor within the interval"
    assert floor_verdict(0.027, 0.013, 0.055, 0.01, at_least=False) == "missed, floor outside the interval"
    assert floor_verdict(0.004, 0.001, 0.02, 0.01, at_least=False) == "met, floor within the interval"


def test_the_report_gives_each_share_its_count_interval_and_floor(report) -> None:  # type: ignore[no-untyped-def]
    out, result = report
    ours = next(iter(result["metrics"].values()))
    floors = json.loads(FLOORS.read_text())
    for key, row in result["intervals"].items():
        assert row["of"] > 0 and row["low"] <= ours[key] <= row["high"], (key, row)
        assert ours[key] == pytest.approx(row["counted"] / row["of"], abs=1e-4)
    assert set(result["intervals"]) >= set(floors["min"]) | set(floors["max"])
    text = (Path(out) / "report.md").read_text()
    assert "## Uncertainty and floors" in text
    hit1 = result["intervals"]["hit@1"]
    row = f"| hit@1 | {ours['hit@1']:.3f} | {hit1['counted']}/{hit1['of']} | {hit1['low']:.3f}–{hit1['high']:.3f} | ≥ "
    assert row in text


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="retrieval is below the floors on the test split; see evals/README.md")
def test_the_test_split_meets_the_floors(report) -> None:  # type: ignore[no-untyped-def]
    _, result = report
    missed = check_floors(next(iter(result["metrics"].values())))
    assert not missed, "; ".join(missed)


def test_variants_take_the_service_path_and_the_ablation_covers_every_switch(service) -> None:  # type: ignore[no-untyped-def]
    from qa.ablate import ablation, switches
    from qa.evaluate import outcomes, run_service, score
    from qa.retrieve import Retriever

    questions = load_questions(DEFAULT_SET, "dev")[:15]
    own = run_service(service, questions, 5, progress=False)
    same = Retriever(service.index, service.encoder, service.retriever.settings)
    assert outcomes(questions, run_service(service, questions, 5, False, same)) == outcomes(questions, own)
    full = {"metrics": {own.name: score(questions, own, 5)},
            "outcomes": {q: o.model_dump() for q, o in outcomes(questions, own).items()}}
    rows = ablation(service, questions, 5, full, progress=False)
    on = switches(service.retriever.settings)
    assert on, "no retrieval switch is on: nothing to ablate"
    assert [r["setting"] for r in rows] == ["as configured"] + [f"{name}=False" for name in on]
    assert all(r["hit@1_vs_full"]["b"] <= 15 for r in rows[1:])


def test_the_report_says_which_rule_refused_each_refused_question(dev_report) -> None:  # type: ignore[no-untyped-def]
    """Every refused question is counted under the first rule that refused it, and its row says which."""
    out, result = dev_report
    refusals = result["refusals"]
    outcomes = result["outcomes"].values()
    assert sum(row["out_of_scope"] + row["answerable"] for row in refusals.values()) == sum(
        1 for o in outcomes if o["refused"])
    assert sum(row["out_of_scope"] for row in refusals.values()) == sum(
        1 for o in outcomes if o["refused"] and not o["answerable"])
    assert {"study_scope_check", "label_topic_check"} <= set(refusals)
    text = (Path(out) / "report.md").read_text()
    assert "## Refusals by rule" in text and "| no (label_topic_check: " in text


@pytest.mark.parametrize(("question", "rule"), [
    ("What is the recommended dosage of DARZALEX?", "label_topic_check: dosage"),
    ("What was the overall response rate in the EMMY study?", "study_scope_check: orr"),
    ("Souren et al: what was the 18-month PFS of the first retreatment?", "landmark_scope_check: 18 months"),
    ("Souren et al: how many D2 patients had grade 4 anaemia?", "grade_scope_check: grade 4"),
    ("What is the capital of France?", "names nothing of the letter"),
    ("What was the median OS of the DARZALEX retreatment cohort in Abdallah et al?", None),
])
def test_a_search_names_the_rule_that_refused_it(service, question: str, rule: str | None) -> None:  # type: ignore[no-untyped-def]
    found = service.retriever.search(question)
    assert found.refused_by == rule
    assert found.answerable is (rule is None)
