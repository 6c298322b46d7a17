"""Compliance invariants on real answers (tests/compliance.py): the disclaimer verbatim, the letter's title
and date, citations that resolve, passages in the letter's own words, out-of-scope questions flagged, and
requests for patient-specific advice answered with the letter's own "cannot recommend" sentence, through
the API and the CLI."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from click.testing import CliRunner
from compliance import assert_compliant, missing_words

from qa.config import REPO_ROOT

pytestmark = pytest.mark.slow

IN_SCOPE = [
    "What was the median age at anti-CD38 retreatment in the EMMY cohort?",
    "What was the ORR with DARZALEX retreatment in the Souren study?",
    "What grade 3/4 adverse events occurred with retreatment in Abdallah?",
    "What was the median PFS after retreatment in the Tan study?",
    "How long did patients live after discontinuing their first daratumumab-containing regimen (Szabo)?",
]
OUT_OF_SCOPE = [
    "What is the capital of France?",
    "hello",
    "Can you tell me a joke?",
    "what's the weather in Chicago today?",
    "How do I bake sourdough bread?",
    "asdfghjkl qwerty",
]
ADVICE = [
    "Should I retreat my patient who progressed on DARZALEX?",
    "should I retreat my patient who had a partial response to D-Pd last year?",
    "My patient had an infusion reaction the first time around; should I rechallenge him with daratumumab?",
]


def ask(client: Any, question: str) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("question", IN_SCOPE)
def test_answers_are_compliant(client, letter, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = ask(client, question)
    assert_compliant(answer, letter, answerable=True)
    assert answer["passages"] and answer["references"]


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_are_flagged(client, letter, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = ask(client, question)
    assert_compliant(answer, letter, answerable=False)  # still the disclaimer, still only the letter's words


@pytest.mark.parametrize("question", ADVICE)
def test_advice_requests_carry_the_letters_notice(client, letter, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = ask(client, question)
    assert_compliant(answer, letter)
    assert answer["advice_request"] is True
    assert answer["advice_notice"] == letter.summary[0].text  # the letter's own sentence, verbatim
    assert answer["advice_notice"].startswith("Janssen cannot recommend")
    assert answer["passages"]  # still answered with the evidence


def test_a_plain_question_carries_no_advice_notice(client, letter) -> None:  # type: ignore[no-untyped-def]
    answer = ask(client, IN_SCOPE[1])
    assert answer["advice_request"] is False and answer["advice_notice"] is None


def run_cli(monkeypatch: pytest.MonkeyPatch, service: Any, *args: str) -> str:
    """`qa ask …` in-process, on the session's service (no second model load)."""
    from qa import cli

    monkeypatch.setattr("qa.service.QAService", lambda *a, **k: service)
    result = CliRunner().invoke(cli.main, ["ask", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_prints_the_advice_note(monkeypatch, service, letter) -> None:  # type: ignore[no-untyped-def]
    out = run_cli(monkeypatch, service, ADVICE[0])
    assert f"Note: {letter.summary[0].text}" in out
    assert f"{letter.title} (last updated {letter.last_updated})" in out
    assert out.rstrip().endswith(letter.disclaimer.text)
    answer = json.loads(run_cli(monkeypatch, service, ADVICE[0], "--json"))
    assert_compliant(answer, letter)
    assert answer["advice_request"] is True and answer["advice_notice"] == letter.summary[0].text


def test_cli_prints_no_note_without_an_advice_request(monkeypatch, service, letter) -> None:  # type: ignore[no-untyped-def]
    out = run_cli(monkeypatch, service, IN_SCOPE[1])
    assert "Note:" not in out and letter.disclaimer.text in out


def test_every_evaluation_answer_is_compliant(service, letter) -> None:  # type: ignore[no-untyped-def]
    """The whole test split of the evaluation set, through the service the API and CLI share."""
    lines = (REPO_ROOT / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    questions = [q for q in questions if q.get("split", "test") == "test"]
    assert len(questions) >= 50
    for q in questions:
        answer = service.ask(q["question"], 5).model_dump(mode="json")
        try:
            assert_compliant(answer, letter)
        except AssertionError as exc:
            raise AssertionError(f"{q['id']}: {exc}") from exc


# ---- the helper itself: it must fail answers that break an invariant ----------------------------------


@pytest.fixture(scope="module")
def good(service) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer: dict[str, Any] = service.ask("What was the ORR with DARZALEX retreatment in the Souren study?", 5
                                         ).model_dump(mode="json")
    return answer


def broken(good: dict[str, Any], change: Any) -> dict[str, Any]:
    answer = copy.deepcopy(good)
    change(answer)
    return answer


def _set(path: list[Any], value: Any) -> Any:
    def change(answer: dict[str, Any]) -> None:
        target = answer
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
    return change


def _drop_reference(answer: dict[str, Any]) -> None:
    answer["references"].pop()


def _cite_unknown(answer: dict[str, Any]) -> None:
    answer["passages"][0]["citations"].append(99)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (_set(["disclaimer"], lambda d: d.replace("not intended", "intended")), "disclaimer"),
        (_set(["disclaimer"], ""), "disclaimer"),
        (_set(["document", "title"], "Another letter"), "title"),
        (_set(["document", "last_updated"], "01/01/2030"), "last-updated"),
        (_drop_reference, "references"),
        (_cite_unknown, "citation"),
        (_set(["references", 0, "text"], lambda t: t + " (retracted)"), "reference"),
        (_set(["passages", 0, "text"], lambda t: t.replace("DARZALEX", "KEYTRUDA", 1) + " Retreat everyone."),
         "letter's"),
        (_set(["passages", 0, "highlight"], "Retreatment is recommended for all patients."), "highlight"),
        (_set(["advice_notice"], "Janssen cannot recommend any practices."), "advice"),
        (_set(["advice_request"], True), "advice"),
    ],
)
def test_the_helper_catches_violations(letter, good, change: Any, why: str) -> None:  # type: ignore[no-untyped-def]
    assert_compliant(good, letter)
    with pytest.raises(AssertionError, match=why):
        assert_compliant(broken(good, change), letter)


def test_the_helper_catches_a_changed_number_in_a_table_row(service, letter) -> None:  # type: ignore[no-untyped-def]
    rows = [c for c in service.index.chunks if c.kind == "row" and "(" in c.text.split("\n")[-1]]
    assert rows
    for chunk in rows[:40]:
        assert not missing_words(chunk.text, letter, "row")
        line = chunk.text.split("\n")[1]
        digits = [i for i, ch in enumerate(line) if ch.isdigit() and i > line.index(": ")]
        i = digits[-1]
        altered = line[:i] + str((int(line[i]) + 1) % 10) + line[i + 1 :]
        assert missing_words(chunk.text.replace(line, altered), letter, "row"), altered
