"""Retrieval variants for the evaluation: settings changed by hand (`--set`) and stage ablations (`--ablate`).

Every boolean field of RetrievalSettings is a stage switch. An ablation turns each one that is on off, alone,
and measures the split again over the same loaded index and encoder (a new Retriever, no rebuild), so each
stage's worth is read off one table. Switches added to RetrievalSettings are picked up as they appear.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from qa.config import RetrievalSettings
from qa.evaluate import outcomes, run_service, score
from qa.paired import Change, Outcome, compare
from qa.questions import EvalQuestion
from qa.retrieve import Retriever
from qa.service import QAService

logger = logging.getLogger(__name__)

GROUP = "retrieval"
COLUMNS = ("hit@1", "hit@5", "mrr", "refusal_recall", "answerable_refused")


def switches(settings: BaseModel) -> list[str]:
    """The boolean fields that are on, in declaration order."""
    return [name for name in type(settings).model_fields if getattr(settings, name) is True]


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`retrieval.FIELD=VALUE` items as {FIELD: VALUE}; values stay text for the settings model to validate."""
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        group, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise ValueError(f"{item!r}: write {GROUP}.FIELD=VALUE")
        if group != GROUP:
            raise ValueError(f"{item!r}: only {GROUP}.* settings can change without rebuilding the index")
        if name not in RetrievalSettings.model_fields:
            known = ", ".join(RetrievalSettings.model_fields)
            raise ValueError(f"{item!r}: no setting {GROUP}.{name}; known: {known}")
        overrides[name] = value.strip()
    return overrides


def with_overrides(settings: RetrievalSettings, overrides: dict[str, Any]) -> RetrievalSettings:
    """A validated copy of `settings` with `overrides` applied (text converted as the environment would be)."""
    try:
        return type(settings).model_validate({**settings.model_dump(), **overrides})
    except ValidationError as exc:
        problems = "; ".join(f"{GROUP}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(problems) from exc


def variants(settings: RetrievalSettings) -> dict[str, RetrievalSettings]:
    """The ablation: the settings as they are, then one variant per switch that is on, with it off."""
    runs = {"as configured": settings}
    for name in switches(settings):
        runs[f"{name}=False"] = with_overrides(settings, {name: False})
    return runs


def ablation(service: QAService, questions: list[EvalQuestion], k: int, full: dict[str, Any],
             progress: bool = True) -> list[dict[str, Any]]:
    """One row for the run `full` (the settings as they are, from `evaluate`), then one per switch that is on,
    run with it off over the service's index and encoder; hit@1 of each is paired with the full system's."""
    settings = service.retriever.settings
    reference = {q: Outcome.model_validate(o) for q, o in full["outcomes"].items()}
    rows = [_row("as configured", next(iter(full["metrics"].values())), None)]
    for name, variant in list(variants(settings).items())[1:]:
        logger.info("ablation: %s", name)
        retriever = Retriever(service.index, service.encoder, variant)
        system = run_service(service, questions, k, progress, retriever, name=name)
        change = compare(reference, outcomes(questions, system)).measures["hit@1"]
        rows.append(_row(name, score(questions, system, k), change))
    return rows


def _row(setting: str, metrics: dict[str, float], change: Change | None) -> dict[str, Any]:
    row: dict[str, Any] = {"setting": setting, **{key: metrics[key] for key in COLUMNS}}
    row["hit@1_vs_full"] = None if change is None else {"b": change.b, "c": change.c, "p": change.p}
    return row


def write_ablations(rows: list[dict[str, Any]], result: dict[str, Any], out: Path) -> None:
    """ablations.json, and the table appended to report.md."""
    (out / "ablations.json").write_text(json.dumps({"split": result["split"], "k": result["k"], "rows": rows},
                                                   indent=2), encoding="utf-8")
    lines = ["", "## Ablations", "",
             "Each switch of RetrievalSettings that is on, turned off alone, over the same index and encoder. "
             "b: questions the full system finds at rank 1 and the variant does not; c: the reverse.", "",
             "| setting | hit@1 | hit@5 | MRR | refusal recall | answerable refused | hit@1 b / c vs full | "
             "McNemar p |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        paired = row["hit@1_vs_full"]
        vs = "–" if paired is None else f"{paired['b']} / {paired['c']}"
        p = "–" if paired is None else f"{paired['p']:.3g}"
        lines.append(f"| {row['setting']} | " + " | ".join(f"{row[key]:.3f}" for key in COLUMNS) + f" | {vs} | {p} |")
    with (out / "report.md").open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")


def ablation_summary(rows: list[dict[str, Any]]) -> str:
    lines = ["ablation".ljust(30) + "".join(key.rjust(20) for key in COLUMNS) + "  hit@1 b/c vs full, p"]
    for row in rows:
        paired = row["hit@1_vs_full"]
        vs = f"  {paired['b']}/{paired['c']}, p={paired['p']:.3g}" if paired else ""
        lines.append(row["setting"].ljust(30) + "".join(f"{row[key]:20.3f}" for key in COLUMNS) + vs)
    return "\n".join(lines)
