"""Paired comparison of two runs over the same questions.

Two runs on one question set are not two samples: each question is answered by both, so what tells progress
from noise is the questions whose outcome changed. The exact McNemar test asks whether the b questions lost
and the c questions gained are more lopsided than fair coin flips would make them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import BaseModel


class Outcome(BaseModel):
    """What one run did with one question, with enough of the question to know what counted as right."""

    rank: int | None = None  # rank of the first passage that answers it, None for a miss or an unscored question
    refused: bool = False  # the service said the letter does not answer it
    advice: bool = False  # the service flagged a request for patient-specific advice
    scored: bool = False  # the question has gold answer strings to find
    answerable: bool = True
    fingerprint: str = ""  # of the question's text and gold: a changed question is not paired with its old self


def mcnemar_p(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value: the binomial probability, with p = 1/2 over the b + c discordant
    questions, of a split at least as lopsided as b : c."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts cannot be negative")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


# name → (who is counted, is this outcome the good one); the four measures the ratchet guards
MEASURES: dict[str, tuple[Callable[[Outcome], bool], Callable[[Outcome], bool], str]] = {
    "hit@1": (lambda o: o.scored, lambda o: o.rank is not None and o.rank <= 1, "scored questions found at rank 1"),
    "hit@5": (lambda o: o.scored, lambda o: o.rank is not None and o.rank <= 5, "scored questions found in the top 5"),
    "refusal_recall": (lambda o: not o.answerable, lambda o: o.refused, "unanswerable questions refused"),
    "answerable_refused": (lambda o: o.answerable, lambda o: not o.refused, "answerable questions not refused"),
}


class Change(BaseModel):
    """One measure over the paired questions: how many were right before and now, and which changed."""

    measure: str
    counts: str
    n: int  # paired questions this measure counts
    before: int  # of them right in the baseline
    now: int  # right now
    b: int  # right in the baseline, wrong now
    c: int  # wrong in the baseline, right now
    p: float  # exact McNemar, two-sided
    lost: list[str]  # ids of the b questions
    gained: list[str]  # ids of the c questions

    @property
    def net_loss(self) -> int:
        return self.b - self.c


class Comparison(BaseModel):
    """The current run against an accepted one, over the questions both answered."""

    paired: int
    new: list[str]  # ids not in the baseline: left out of the pairing
    changed: list[str]  # ids whose question or gold changed since the baseline: left out too
    measures: dict[str, Change]


def compare(baseline: dict[str, Outcome], current: dict[str, Outcome]) -> Comparison:
    """Pair the runs question by question; the population of each measure is read from the current run."""
    new = sorted(q for q in current if q not in baseline)
    changed = sorted(q for q in current if q in baseline and baseline[q].fingerprint != current[q].fingerprint)
    ids = sorted(q for q in current if q in baseline and q not in changed)
    measures = {}
    for name, (counted, good, words) in MEASURES.items():
        population = [q for q in ids if counted(current[q])]
        lost = [q for q in population if good(baseline[q]) and not good(current[q])]
        gained = [q for q in population if not good(baseline[q]) and good(current[q])]
        measures[name] = Change(
            measure=name, counts=words, n=len(population),
            before=sum(good(baseline[q]) for q in population), now=sum(good(current[q]) for q in population),
            b=len(lost), c=len(gained), p=mcnemar_p(len(lost), len(gained)), lost=lost, gained=gained,
        )
    return Comparison(paired=len(ids), new=new, changed=changed, measures=measures)
