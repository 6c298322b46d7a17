"""The paired comparison, the ratchet rule, per-group results and `--set` parsing, on small constructed
outcomes (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.ablate import parse_overrides, switches, variants, with_overrides
from qa.cli import main
from qa.config import RetrievalSettings
from qa.evaluate import breakdown, check_floors
from qa.paired import Outcome, compare, mcnemar_p
from qa.questions import EvalQuestion
from qa.ratchet import accept, accepted_outcomes, regressions, staleness


def test_mcnemar_exact_p_values() -> None:
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(3, 3) == 1.0
    assert mcnemar_p(0, 5) == pytest.approx(2 / 32)  # 0.0625: five flips one way is not yet evidence at 0.05
    assert mcnemar_p(6, 0) == pytest.approx(2 / 64)
    assert mcnemar_p(1, 9) == pytest.approx(22 / 1024)  # 2 * (C(10,0) + C(10,1)) / 2^10
    assert mcnemar_p(9, 1) == mcnemar_p(1, 9)
    assert mcnemar_p(4, 0) == pytest.approx(0.125)
    assert mcnemar_p(2, 10) == pytest.approx(0.03857421875)  # 2 * (1 + 12 + 66) / 4096
    with pytest.raises(ValueError):
        mcnemar_p(-1, 2)


def test_mcnemar_agrees_with_scipy_binomtest() -> None:
    stats = pytest.importorskip("scipy.stats")
    for b, c in [(1, 4), (7, 2), (10, 10), (0, 13), (25, 11)]:
        assert mcnemar_p(b, c) == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue)


def _scored(rank: int | None, fp: str = "x") -> Outcome:
    return Outcome(rank=rank, scored=True, fingerprint=fp)


def _unanswerable(refused: bool) -> Outcome:
    return Outcome(refused=refused, answerable=False, fingerprint="x")


def _runs(lost: int, gained: int = 0) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """Ten scored questions all found at rank 1, then `lost` of them missed and `gained` misses found."""
    before = {f"q{i}": _scored(1) for i in range(10)} | {f"m{i}": _scored(None) for i in range(gained)}
    now = dict(before)
    for i in range(lost):
        now[f"q{i}"] = _scored(None)
    for i in range(gained):
        now[f"m{i}"] = _scored(1)
    return before, now


def test_the_ratchet_passes_a_drop_of_one_question() -> None:
    comparison = compare(*_runs(lost=1))
    assert comparison.measures["hit@1"].b == 1 and comparison.measures["hit@1"].c == 0
    assert regressions(comparison) == []


def test_the_ratchet_fails_a_drop_of_two_questions_and_names_them() -> None:
    comparison = compare(*_runs(lost=2))
    failed = regressions(comparison)
    assert len(failed) == 2  # hit@1 and hit@5 both lost q0 and q1
    assert failed[0].startswith("hit@1: 8/10") and "lost 2: q0, q1" in failed[0]


def test_the_ratchet_counts_net_questions_so_gains_offset_losses() -> None:
    assert regressions(compare(*_runs(lost=3, gained=2))) == []
    assert regressions(compare(*_runs(lost=3, gained=1)))


def test_a_rank_slip_inside_the_top_five_is_a_hit_at_1_loss_only() -> None:
    before, now = _runs(lost=0)
    now |= {"q0": _scored(2), "q1": _scored(4)}
    measures = compare(before, now).measures
    assert (measures["hit@1"].b, measures["hit@5"].b) == (2, 0)
    assert [f.split(":")[0] for f in regressions(compare(before, now))] == ["hit@1"]


def test_the_refusal_measures() -> None:
    before = {f"u{i}": _unanswerable(True) for i in range(5)} | {f"a{i}": Outcome(fingerprint="x") for i in range(5)}
    now = before | {"u0": _unanswerable(False), "u1": _unanswerable(False)}
    assert [f.split(":")[0] for f in regressions(compare(before, now))] == ["refusal_recall"]
    now = before | {"a0": Outcome(refused=True, fingerprint="x"), "a1": Outcome(refused=True, fingerprint="x")}
    assert [f.split(":")[0] for f in regressions(compare(before, now))] == ["answerable_refused"]


def test_new_and_changed_questions_are_left_out_and_counted() -> None:
    before, now = _runs(lost=0)
    now |= {"q0": _scored(None, fp="edited"), "q1": _scored(None, fp="edited"), "n1": _scored(None)}
    comparison = compare(before, now)
    assert (comparison.paired, comparison.new, comparison.changed) == (8, ["n1"], ["q0", "q1"])
    assert regressions(comparison) == []
    assert staleness(comparison) is not None  # 3 of 11 unpaired: the baseline no longer covers the split
    assert staleness(compare(*_runs(lost=0))) is None
    assert staleness(compare({}, now)) is not None


def test_accepting_rewrites_one_split_and_keeps_the_other(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    before, now = _runs(lost=2)
    result = {"set": "evals/questions.jsonl", "k": 5, "metrics": {"qa": {"hit@1": 1.0}}, "retrieval": {}}
    accept("dev", result, before, path)
    accept("test", result, before, path)
    accept("test", result | {"metrics": {"qa": {"hit@1": 0.8}}}, now, path)
    saved = json.loads(path.read_text())["splits"]
    assert saved["dev"]["metrics"] == {"hit@1": 1.0} and saved["test"]["metrics"] == {"hit@1": 0.8}
    assert accepted_outcomes("test", 5, path)[0] == now
    assert accepted_outcomes("test", 3, path) == ({}, [])  # another k is not paired
    assert len(accepted_outcomes("all", 5, path)[1]) == 2
    with pytest.raises(ValueError):
        accept("all", result, now, path)


def _question(qid: str, category: str, tags: list[str], answerable: bool = True) -> EvalQuestion:
    gold = {"study": "Tan", "answer": ["52"], "citations": [3]} if answerable else None
    return EvalQuestion(id=qid, question=f"question {qid}", category=category, tags=tags, answerable=answerable,
                        gold=gold)  # type: ignore[arg-type]


def test_results_per_tag_and_per_category() -> None:
    questions = [_question("a", "table", ["parent_row", "typing"]), _question("b", "table", ["parent_row"]),
                 _question("c", "prose", []), _question("d", "out_of_scope", ["near_miss"], answerable=False),
                 _question("e", "out_of_scope", ["near_miss"], answerable=False)]
    results = {"a": _scored(1), "b": _scored(4), "c": _scored(None), "d": _unanswerable(True),
               "e": _unanswerable(False)}
    groups = breakdown(questions, results)
    assert groups["tag"]["parent_row"] == {"questions": 2, "scored": 2, "hit@1": 0.5, "hit@5": 1.0}
    assert groups["tag"]["typing"]["hit@1"] == 1.0
    assert groups["tag"]["near_miss"] == {"questions": 2, "scored": 0, "unanswerable": 2, "refusal_recall": 0.5}
    assert groups["category"]["table"]["hit@5"] == 1.0 and groups["category"]["prose"]["hit@5"] == 0.0
    assert set(groups["category"]) == {"table", "prose", "out_of_scope"}


def test_tags_default_to_none_and_must_come_from_the_vocabulary() -> None:
    assert EvalQuestion(id="q", question="x").tags == []
    with pytest.raises(ValueError, match="unknown tag"):
        EvalQuestion(id="q", question="x", tags=["parent-row"])


def test_a_question_fingerprint_ignores_split_and_tags_but_not_gold() -> None:
    one = _question("a", "table", [])
    assert one.model_copy(update={"split": "dev", "tags": ["typing"]}).fingerprint == one.fingerprint
    assert _question("a", "table", [], answerable=False).fingerprint != one.fingerprint


def test_set_parsing() -> None:
    assert parse_overrides(["retrieval.study_boost=0", "retrieval.fusion = rrf"]) == {
        "study_boost": "0", "fusion": "rrf"}
    changed = with_overrides(RetrievalSettings(), parse_overrides(["retrieval.quote_vectors=false",
                                                                   "retrieval.study_boost=0.25"]))
    assert changed.quote_vectors is False and changed.study_boost == 0.25 and changed.expand_dense is True
    for bad in ["study_boost=0", "retrieval.study_boost", "embedding.model=x", "retrieval.nope=1"]:
        with pytest.raises(ValueError):
            parse_overrides([bad])
    with pytest.raises(ValueError, match="retrieval.fusion"):
        with_overrides(RetrievalSettings(), {"fusion": "max"})


def test_ablation_picks_up_every_switch_that_is_on_including_new_ones() -> None:
    class More(RetrievalSettings):
        rerank: bool = True
        spare: bool = False

    settings = More(quote_vectors=False)
    assert "rerank" in switches(settings) and "spare" not in switches(settings)
    assert "quote_vectors" not in switches(settings)
    runs = variants(settings)
    assert list(runs)[0] == "as configured" and runs["rerank=False"].rerank is False
    assert all(getattr(v, name.split("=")[0]) is False for name, v in list(runs.items())[1:])
    assert sum(getattr(runs["rerank=False"], n) != getattr(settings, n) for n in type(settings).model_fields) == 1


def test_a_floor_naming_no_metric_is_an_error_not_a_miss(tmp_path: Path) -> None:
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"min": {"hit@1": 0.9}, "max": {"answerable_refusd": 0.01}}))
    with pytest.raises(KeyError, match="answerable_refusd"):
        check_floors({"hit@1": 0.95, "answerable_refused": 0.0}, floors)
    floors.write_text(json.dumps({"min": {"hit@1": 0.9}, "max": {"answerable_refused": 0.01}}))
    assert check_floors({"hit@1": 0.95, "answerable_refused": 0.0}, floors) == []
    assert check_floors({"hit@1": 0.85, "answerable_refused": 0.02}, floors) == [
        "hit@1 0.850 < 0.9", "answerable_refused 0.020 > 0.01"]


def test_the_eval_command_rejects_bad_settings_and_a_loose_accept_before_loading_anything() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["eval", "--set", "retrieval.nope=1"])
    assert result.exit_code == 2 and "no setting retrieval.nope" in result.output
    result = runner.invoke(main, ["eval", "--split", "all", "--accept"])
    assert result.exit_code == 2 and "--accept" in result.output
    result = runner.invoke(main, ["eval", "--set", "retrieval.fusion=rrf", "--accept"])
    assert result.exit_code == 2


def test_a_tiny_p_value_is_kept_not_rounded_to_zero() -> None:
    before = {f"x{i}": _scored(1) for i in range(30)} | {"y0": _scored(None), "y1": _scored(None)}
    now = {f"x{i}": _scored(None) for i in range(30)} | {"y0": _scored(1), "y1": _scored(1)}
    change = compare(before, now).measures["hit@1"]
    assert (change.b, change.c) == (30, 2) and 0 < change.p < 1e-6


def test_a_question_set_given_with_set_still_works(tmp_path: Path) -> None:
    from qa.cli import _legacy_set_path

    questions = tmp_path / "mine.jsonl"
    questions.write_text("")
    assert _legacy_set_path((str(questions), "retrieval.fusion=rrf"), None) == (("retrieval.fusion=rrf",), questions)
    assert _legacy_set_path(("retrieval.fusion=rrf",), None) == (("retrieval.fusion=rrf",), None)
