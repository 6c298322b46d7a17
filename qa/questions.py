"""The question records of the evaluation and training sets, and what counts as a passage answering one.

A passage answers a question when its study matches the gold study (if one is given) and every gold answer
string appears in its text (case-insensitive, white space collapsed). `qa eval` scores by it, and the
training commands pick their positives by it. Kept apart from `qa.evaluate` (which runs the service) so
training code can read questions without importing the evaluation harness.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from qa.parse import normalise

# What a question tests, beyond its category: results are reported per tag, so a change can be read per kind.
TAGS = frozenset({"parent_row", "value_vs_prose", "paraphrase", "regimen_long_form", "comparison", "typing",
                  "near_miss"})


class Gold(BaseModel):
    model_config = ConfigDict(extra="ignore")

    study: str | None = None
    section: str | None = None
    table: str | None = None
    row: str | None = None
    answer: list[str] = []
    citations: list[int] = []


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    split: str = "test"
    answerable: bool = True
    advice_request: bool = False
    category: str = ""
    tags: list[str] = []
    gold: Gold | None = None

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: list[str]) -> list[str]:
        unknown = sorted(set(tags) - TAGS)
        if unknown:  # a misspelt tag would quietly become a group of its own
            raise ValueError(f"unknown tag(s) {', '.join(unknown)}; known: {', '.join(sorted(TAGS))}")
        return tags

    @property
    def scored(self) -> bool:
        """Has a gold passage to find (advice questions with no answer strings are not ranked)."""
        return self.answerable and self.gold is not None and bool(self.gold.answer)

    @property
    def fingerprint(self) -> str:
        """Identifies what is asked and what counts as right: an edited question is not paired with its old
        outcome, while a new split, category or tag leaves it paired."""
        what = self.model_dump_json(include={"question", "answerable", "advice_request", "gold"})
        return hashlib.sha256(what.encode()).hexdigest()[:12]


def load_questions(path: Path, split: str | None) -> list[EvalQuestion]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                questions.append(EvalQuestion.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not a question record ({exc.__class__.__name__})") from exc
    if split and split != "all":
        questions = [q for q in questions if q.split == split]
    return questions


def normalised(text: str) -> str:
    """Text as answers are looked for in it: the letter's normalisation, lowercased."""
    return normalise(text).lower()


def matches(gold: Gold, text: str, study: str | None) -> bool:
    if gold.study and (study is None or gold.study.lower() not in study.lower()):
        return False
    body = normalised(text)
    return all(normalised(a) in body for a in gold.answer)
