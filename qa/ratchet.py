"""The ratchet: the last accepted evaluation of each split, and the rule a new run must keep to.

Floors say where the system must get to; the ratchet says it may not slide back from where it is. A run may
lose at most one question net on each guarded measure (counted over the questions both runs answered), so
one noisy flip passes and a real regression does not. Accepting a run (`qa eval --accept`) is a deliberate,
reviewed change to evals/baseline.json.
"""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qa.config import REPO_ROOT
from qa.paired import Comparison, Outcome

logger = logging.getLogger(__name__)

BASELINE = REPO_ROOT / "evals" / "baseline.json"
TOLERANCE = 1  # questions a guarded measure may lose net before the ratchet fails
MAX_UNPAIRED = 0.10  # share of a split's questions that may be new or changed before the baseline is stale
ABOUT = (
    "The last accepted `qa eval` of each split: its metrics and every question's outcome (rank of the first "
    "hit or null, refused, advice flag). tests/test_eval.py fails when a run loses more than one question net "
    "on hit@1, hit@5, refusal recall or answerable refused. Rewrite an entry only with `qa eval --split SPLIT "
    "--accept`, after reading its paired comparison."
)


class AcceptedRun(BaseModel):
    accepted_at: str
    commit: str | None
    set: str
    k: int
    retrieval: dict[str, Any]
    metrics: dict[str, float]
    questions: dict[str, Outcome]


def load_accepted(path: Path = BASELINE) -> dict[str, AcceptedRun]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {split: AcceptedRun.model_validate(entry) for split, entry in data.get("splits", {}).items()}


def accepted_outcomes(split: str, k: int, path: Path = BASELINE) -> tuple[dict[str, Outcome], list[AcceptedRun]]:
    """The accepted outcomes to pair a run of `split` with ('all' joins dev and test); runs at another k
    are left out, since hit@k would not mean the same."""
    runs = load_accepted(path)
    chosen = [run for name, run in sorted(runs.items()) if (split == "all" or name == split) and run.k == k]
    outcomes: dict[str, Outcome] = {}
    for run in chosen:
        outcomes.update(run.questions)
    return outcomes, chosen


def accept(split: str, result: dict[str, Any], outcomes: dict[str, Outcome], path: Path = BASELINE) -> AcceptedRun:
    """Record a run as the split's new accepted level; the other splits' entries stay as they were."""
    if split not in ("dev", "test"):
        raise ValueError(f"accept a run of the dev or the test split, not {split!r}")
    run = AcceptedRun(
        accepted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        commit=git_commit(),
        set=_relative(Path(result["set"])),
        k=int(result["k"]),
        retrieval=result.get("retrieval", {}),
        metrics=next(iter(result["metrics"].values())),
        questions=outcomes,
    )
    runs = load_accepted(path)
    runs[split] = run
    path.write_text(_dumps(runs), encoding="utf-8")
    logger.info("accepted %s at %s into %s", split, run.commit, path)
    return run


def _dumps(runs: dict[str, AcceptedRun]) -> str:
    """Indented JSON with one line per question, so a review of an accepted run reads as the questions whose
    outcome changed."""
    entries = []
    for split, run in sorted(runs.items()):
        head = json.dumps(run.model_dump(mode="json", exclude={"questions"}), indent=2, ensure_ascii=False)
        questions = ",\n".join(f"    {json.dumps(q)}: {json.dumps(o.model_dump(mode='json'))}"
                                for q, o in run.questions.items())
        head = head[:-2] + ',\n  "questions": {\n' + questions + "\n  }\n}"
        entries.append(f"{json.dumps(split)}: " + head.replace("\n", "\n  "))
    return '{\n "about": ' + json.dumps(ABOUT) + ',\n "splits": {\n  ' + ",\n  ".join(entries) + "\n }\n}\n"


def regressions(comparison: Comparison, tolerance: int = TOLERANCE) -> list[str]:
    """The guarded measures on which the run lost more than `tolerance` questions net, each with the ids
    of the questions that went from right to wrong."""
    failed = []
    for change in comparison.measures.values():
        if change.net_loss > tolerance:
            failed.append(
                f"{change.measure}: {change.now}/{change.n} {change.counts}, accepted {change.before}/{change.n} "
                f"(lost {change.b}: {', '.join(change.lost)}; gained {change.c}: {', '.join(change.gained) or '-'}; "
                f"McNemar p={change.p:.3g})"
            )
    return failed


def staleness(comparison: Comparison, max_unpaired: float = MAX_UNPAIRED) -> str | None:
    """Why the accepted run no longer covers the split, if it does not: a ratchet that pairs almost nothing
    guards nothing."""
    total = comparison.paired + len(comparison.new) + len(comparison.changed)
    unpaired = len(comparison.new) + len(comparison.changed)
    if total and unpaired / total <= max_unpaired:
        return None
    return (f"{unpaired} of {total} questions are not in the accepted baseline ({len(comparison.new)} new, "
            f"{len(comparison.changed)} changed); review the run and accept it with `qa eval --accept`")


def git_commit() -> str | None:
    """The commit the run was made at, marked '-dirty' when qa/ or evals/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa", "evals/questions.jsonl"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
