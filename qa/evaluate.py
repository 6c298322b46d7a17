"""`qa eval`: run a question set through the same code path as /v1/ask and score it.

A passage answers a question as `qa.questions.matches` says. Two baselines run in the same pass
on the same questions: the tutorial pipeline (RecursiveCharacterTextSplitter 1000/200, the same model,
FAISS, top k) and BM25 + dense rank fusion over those same fixed-size chunks.

Every run is paired with the accepted run of the same split (evals/baseline.json, see qa/ratchet.py): the
questions that went from right to wrong and back, with an exact McNemar p-value, tell a real change from noise.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import REPO_ROOT
from qa.paired import Comparison, Outcome, compare
from qa.questions import EvalQuestion, Gold, load_questions, matches
from qa.ratchet import BASELINE, accepted_outcomes
from qa.retrieve import Retriever
from qa.service import QAService

logger = logging.getLogger(__name__)

DEFAULT_SET = REPO_ROOT / "evals" / "questions.jsonl"
FLOORS = REPO_ROOT / "evals" / "floors.json"
@dataclass
class Ranked:
    """One system's answer to one question: passage texts/studies/citations in rank order."""

    texts: list[str]
    studies: list[str | None]
    citations: list[list[int]]
    answerable: bool = True
    advice: bool = False
    latency: float = 0.0
    relevant_total: int = 1
    refused_by: str | None = None  # the rule that refused it (`Retrieval.refused_by`)

    def first_hit(self, gold: Gold) -> int | None:
        for rank, (text, study) in enumerate(zip(self.texts, self.studies, strict=True), start=1):
            if matches(gold, text, study):
                return rank
        return None


@dataclass
class SystemScore:
    name: str
    per_question: dict[str, Ranked] = field(default_factory=dict)


def counts(questions: list[EvalQuestion], system: SystemScore) -> dict[str, tuple[int, int]]:
    """The measures that are shares of questions, as (questions counted, out of how many): what the scores
    and their confidence intervals are computed from."""
    scored = [q for q in questions if q.scored]
    ranks = [system.per_question[q.id].first_hit(q.gold) for q in scored]  # type: ignore[arg-type]
    cited = [q for q in scored if q.gold and q.gold.citations]
    unanswerable = [q for q in questions if not q.answerable]
    answerable = [q for q in questions if q.answerable]
    refused = {q.id for q in questions if not system.per_question[q.id].answerable}
    found = {f"hit@{cut}": (sum(1 for r in ranks if r is not None and r <= cut), len(ranks)) for cut in (1, 3, 5)}
    return {
        **found,
        "citation_accuracy": (sum(1 for q in cited if _top_cites(system.per_question[q.id], q.gold)), len(cited)),
        "refusal_recall": (sum(1 for q in unanswerable if q.id in refused), len(unanswerable)),
        "answerable_refused": (sum(1 for q in answerable if q.id in refused), len(answerable)),
    }


def wilson(counted: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a share (95% by default): unlike the normal approximation it stays inside
    [0, 1] and keeps its width at 0 or n of n, where a floor check needs it most. No questions: [0, 1]."""
    if n == 0:
        return 0.0, 1.0
    share = counted / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def intervals(questions: list[EvalQuestion], system: SystemScore) -> dict[str, dict[str, float]]:
    """Each share measure with its count and its 95% Wilson interval."""
    out = {}
    for key, (counted, n) in counts(questions, system).items():
        low, high = wilson(counted, n)
        out[key] = {"counted": counted, "of": n, "low": round(low, 4), "high": round(high, 4)}
    return out


def score(questions: list[EvalQuestion], system: SystemScore, k: int) -> dict[str, float]:
    scored = [q for q in questions if q.scored]
    ranks = [system.per_question[q.id].first_hit(q.gold) for q in scored]  # type: ignore[arg-type]
    shares = counts(questions, system)
    out: dict[str, float] = {"questions": float(len(questions)), "scored": float(len(scored))}
    for cut in (1, 3, 5):
        counted, n = shares[f"hit@{cut}"]
        out[f"hit@{cut}"] = counted / n if n else 0.0
    out["mrr"] = _mean([1.0 / r if r else 0.0 for r in ranks])
    ndcg = []
    for q in scored:
        ranked = system.per_question[q.id]
        gains = [1.0 if matches(q.gold, t, s) else 0.0  # type: ignore[arg-type]
                 for t, s in zip(ranked.texts[:5], ranked.studies[:5], strict=True)]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(5, max(1, ranked.relevant_total))))
        ndcg.append(dcg / ideal)
    out["ndcg@5"] = _mean(ndcg)
    counted, n = shares["citation_accuracy"]
    out["citation_accuracy"] = counted / n if n else 0.0
    refused = [q for q in questions if not system.per_question[q.id].answerable]
    true_refusals, unanswerable = shares["refusal_recall"]
    out["refusal_precision"] = true_refusals / len(refused) if refused else 1.0
    out["refusal_recall"] = true_refusals / unanswerable if unanswerable else 1.0
    counted, n = shares["answerable_refused"]
    out["answerable_refused"] = counted / n if n else 0.0
    advice = [q for q in questions if q.advice_request]
    flagged = [q for q in questions if system.per_question[q.id].advice]
    out["advice_recall"] = sum(1 for q in advice if system.per_question[q.id].advice) / len(advice) if advice else 1.0
    out["advice_precision"] = sum(1 for q in flagged if q.advice_request) / len(flagged) if flagged else 1.0
    latencies = sorted(system.per_question[q.id].latency for q in questions)
    out["latency_p50_ms"] = 1000 * _percentile(latencies, 50)
    out["latency_p95_ms"] = 1000 * _percentile(latencies, 95)
    return {key: round(v, 4) for key, v in out.items()}


def _top_cites(ranked: Ranked, gold: Gold | None) -> bool:
    return bool(gold and ranked.citations and set(ranked.citations[0]) & set(gold.citations))


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    return float(np.percentile(np.array(values), pct))


# ---- the systems ----------------------------------------------------------------------------------


def run_service(service: QAService, questions: list[EvalQuestion], k: int, progress: bool,
                retriever: Retriever | None = None, name: str = "qa (this system)") -> SystemScore:
    """The questions through `service.ask`'s code path; with `retriever`, through that one instead of the
    service's own (a variant of the settings over the same index and encoder)."""
    from tqdm import tqdm

    system = SystemScore(name)
    chunks = service.index.chunks
    for q in tqdm(questions, desc=name, disable=not progress, unit="q"):
        start = time.perf_counter()
        if retriever is None:
            response = service.ask(q.question, k)
        else:
            response = service.respond(service.retrieve(q.question, k, None, retriever), retriever.index)
        elapsed = time.perf_counter() - start
        relevant = sum(1 for c in chunks if q.gold and matches(q.gold, c.text, c.study)) if q.scored else 1
        # Why it was refused: the search again, outside the timing (the response does not say).
        refused_by = None if response.answerable else (retriever or service.retriever).search(
            q.question, k, response.document.id).refused_by
        system.per_question[q.id] = Ranked(
            texts=[p.text for p in response.passages],
            studies=[p.study for p in response.passages],
            citations=[p.citations for p in response.passages],
            answerable=response.answerable,
            advice=response.advice_request,
            latency=elapsed,
            relevant_total=relevant,
            refused_by=refused_by,
        )
    return system


def refusals_by_rule(questions: list[EvalQuestion], system: SystemScore) -> dict[str, dict[str, int]]:
    """How many questions each rule refused (its setting's name, what it found missing left out), out of
    scope ones and answerable ones apart."""
    found: dict[str, dict[str, int]] = {}
    for q in questions:
        reason = system.per_question[q.id].refused_by
        if reason is None:
            continue
        row = found.setdefault(reason.split(":")[0], {"out_of_scope": 0, "answerable": 0})
        row["answerable" if q.answerable else "out_of_scope"] += 1
    return dict(sorted(found.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


class TutorialPipeline:
    """The common tutorial RAG retriever: fixed 1000/200 character chunks, the same model, FAISS, top k.
    Its chunks know only their character offsets, so a chunk's study is the study whose span it starts in."""

    def __init__(self, service: QAService) -> None:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from qa.lexicon import lexical_tokens
        from qa.parse import parse_letter

        self.encoder = service.encoder
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        self.texts: list[str] = []
        self.studies: list[str | None] = []
        self.citations: list[list[int]] = []
        settings = service.settings
        for path in sorted(settings.corpus_dir.glob("*.txt")):
            letter = parse_letter(path)
            for doc in splitter.create_documents([letter.raw]):
                start = int(doc.metadata["start_index"])
                study = next((s for s in letter.studies if s.span.start <= start < s.span.end), None)
                self.texts.append(doc.page_content)
                self.studies.append(study.label if study else None)
                self.citations.append(study.citations if study else [])
        vectors = self.encoder.encode(self.texts)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)
        import bm25s

        self.bm25 = bm25s.BM25()
        self.bm25.index([lexical_tokens(t) for t in self.texts], show_progress=False)
        self.tokens = lexical_tokens

    def dense(self, question: str, depth: int) -> list[int]:
        vector = self.encoder.encode([question])
        _, ids = self.index.search(vector, min(depth, len(self.texts)))
        return [int(i) for i in ids[0] if i >= 0]

    def hybrid(self, question: str, depth: int, rrf_k: int = 60) -> list[int]:
        dense = self.dense(question, max(depth, 20))
        ids, scores = self.bm25.retrieve([self.tokens(question)], k=min(20, len(self.texts)), show_progress=False)
        lexical = [int(i) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, i in enumerate(ranking, start=1):
                fused[i] = fused.get(i, 0.0) + 1.0 / (rrf_k + rank)
        return sorted(fused, key=lambda i: -fused[i])[:depth]

    def run(self, name: str, questions: list[EvalQuestion], k: int, hybrid: bool, progress: bool) -> SystemScore:
        from tqdm import tqdm

        system = SystemScore(name)
        for q in tqdm(questions, desc=name, disable=not progress, unit="q"):
            start = time.perf_counter()
            ids = self.hybrid(q.question, k) if hybrid else self.dense(q.question, k)
            elapsed = time.perf_counter() - start
            relevant = sum(1 for t, s in zip(self.texts, self.studies, strict=True) if q.gold and matches(q.gold, t, s))
            system.per_question[q.id] = Ranked(
                texts=[self.texts[i] for i in ids],
                studies=[self.studies[i] for i in ids],
                citations=[self.citations[i] for i in ids],
                latency=elapsed,
                relevant_total=relevant if q.scored else 1,
            )
        return system


def outcomes(questions: list[EvalQuestion], system: SystemScore) -> dict[str, Outcome]:
    """Each question's outcome, the unit the paired comparison and the ratchet work on."""
    out = {}
    for q in questions:
        ranked = system.per_question[q.id]
        out[q.id] = Outcome(
            rank=ranked.first_hit(q.gold) if q.scored and q.gold else None,
            refused=not ranked.answerable, advice=ranked.advice, scored=q.scored, answerable=q.answerable,
            fingerprint=q.fingerprint,
        )
    return out


def breakdown(questions: list[EvalQuestion], results: dict[str, Outcome]) -> dict[str, dict[str, dict[str, float]]]:
    """hit@1 and hit@5 per category and per tag (and refusal recall where a group has unanswerable questions),
    with the counts they are shares of: a group of four moves 0.25 a question."""
    groups: dict[str, dict[str, list[EvalQuestion]]] = {"category": {}, "tag": {}}
    for q in questions:
        groups["category"].setdefault(q.category or "-", []).append(q)
        for tag in q.tags:
            groups["tag"].setdefault(tag, []).append(q)
    table: dict[str, dict[str, dict[str, float]]] = {"category": {}, "tag": {}}
    for kind, members in groups.items():
        for name, qs in sorted(members.items()):
            ranks = [results[q.id].rank for q in qs if q.scored]
            row: dict[str, float] = {"questions": len(qs), "scored": len(ranks)}
            if ranks:
                row["hit@1"] = round(_mean([1.0 if r is not None and r <= 1 else 0.0 for r in ranks]), 4)
                row["hit@5"] = round(_mean([1.0 if r is not None and r <= 5 else 0.0 for r in ranks]), 4)
            unanswerable = [q for q in qs if not q.answerable]
            if unanswerable:
                row["unanswerable"] = len(unanswerable)
                row["refusal_recall"] = round(_mean([1.0 if results[q.id].refused else 0.0 for q in unanswerable]), 4)
            table[kind][name] = row
    return table


# ---- the run --------------------------------------------------------------------------------------


def evaluate(service: QAService, set_path: Path, split: str | None, k: int, out: Path,
             baselines: bool = True, progress: bool = True, accepted: Path | None = BASELINE) -> dict[str, Any]:
    """Run, score, pair with the accepted run of the split (from `accepted`; None: no pairing) and write
    metrics.json, report.md and report.png into `out`."""
    questions = load_questions(set_path, split)
    if not questions:
        raise ValueError(f"{set_path}: no questions in split {split!r}")
    systems = [run_service(service, questions, k, progress)]
    if baselines:
        tutorial = TutorialPipeline(service)
        systems.append(tutorial.run("tutorial (1000/200, dense)", questions, k, hybrid=False, progress=progress))
        systems.append(tutorial.run("tutorial chunks + BM25 fusion", questions, k, hybrid=True, progress=progress))
    metrics = {s.name: score(questions, s, k) for s in systems}
    current = outcomes(questions, systems[0])
    result: dict[str, Any] = {
        "set": str(set_path),
        "split": split or "all",
        "k": k,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "index": service.index.manifest.build_id,
        "model": service.settings.embedding.model,
        "retrieval": service.retriever.settings.model_dump(mode="json"),
        "metrics": metrics,
        "intervals": intervals(questions, systems[0]),
        "groups": breakdown(questions, current),
        "refusals": refusals_by_rule(questions, systems[0]),
        "paired": None,
        "outcomes": {q: o.model_dump(mode="json") for q, o in current.items()},
    }
    if accepted is not None:
        before, runs = accepted_outcomes(split or "all", k, accepted)
        if runs:
            result["paired"] = {
                "accepted": [{"accepted_at": r.accepted_at, "commit": r.commit} for r in runs],
                **compare(before, current).model_dump(mode="json"),
            }
        else:
            logger.warning("no accepted run of split %s at k=%d in %s: nothing to pair with", split, k, accepted)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report_markdown(result, questions, systems[0], k), encoding="utf-8")
    chart(metrics, out / "report.png", f"{Path(set_path).name} · split {result['split']} · k={k}")
    return result


def report_markdown(result: dict[str, Any], questions: list[EvalQuestion], system: SystemScore, k: int) -> str:
    names = list(result["metrics"])
    keys = ["hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "citation_accuracy", "refusal_precision", "refusal_recall",
            "answerable_refused", "advice_recall", "latency_p50_ms", "latency_p95_ms"]
    lines = [
        f"# Retrieval evaluation — split `{result['split']}`, k={k}",
        "",
        f"Set `{result['set']}`, index `{result['index']}`, model `{result['model']}`, {result['created_at']}.",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(f"{result['metrics'][n].get(key, 0):.3f}" for n in names) + " |")
    lines += intervals_markdown(result.get("intervals") or {}, result["split"])
    lines += paired_markdown(result.get("paired"))
    lines += groups_markdown(result.get("groups") or {})
    lines += refusals_markdown(result.get("refusals") or {})
    lines += ["", "## Questions (misses first)", "",
              "| id | question | gold | rank found | answerable | top passage |", "|---|---|---|---|---|---|"]
    rows = []
    for q in questions:
        ranked = system.per_question[q.id]
        rank = ranked.first_hit(q.gold) if q.scored and q.gold else None
        miss = (q.scored and rank != 1) or (ranked.answerable != q.answerable)
        gold = "refuse" if not q.answerable else (
            f"{q.gold.study or '-'}: {' / '.join(q.gold.answer) or '(advice)'} [{','.join(map(str, q.gold.citations))}]"
            if q.gold else "-"
        )
        top = ranked.texts[0].replace("\n", " ")[:140] if ranked.texts else ""
        cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        said = "yes" if ranked.answerable else f"no ({ranked.refused_by})" if ranked.refused_by else "no"
        rows.append((not miss, q.id, f"| {q.id} | {cell(q.question)} | {cell(gold)} | {rank or '-'} | "
                     f"{cell(said)} | {cell(top)} |"))
    lines += [r[2] for r in sorted(rows, key=lambda r: (r[0], r[1]))]
    return "\n".join(lines) + "\n"


def floor_verdict(value: float, low: float, high: float, floor: float, at_least: bool) -> str:
    """Whether a measure meets its floor, and, where it misses, whether the miss is beyond its uncertainty."""
    if (value >= floor) if at_least else (value <= floor):
        return "met" if ((low >= floor) if at_least else (high <= floor)) else "met, floor within the interval"
    return "missed, floor within the interval" if low <= floor <= high else "missed, floor outside the interval"


def intervals_markdown(shares: dict[str, dict[str, float]], split: str, floors_path: Path = FLOORS) -> list[str]:
    """Each share with its count, its 95% Wilson interval and, where evals/floors.json sets one, its floor."""
    floors = json.loads(floors_path.read_text(encoding="utf-8"))
    lines = ["", "## Uncertainty and floors", "",
             f"95% Wilson intervals of this system's shares. The floors are the {floors['split']} split's"
             + ("." if split == floors["split"] else f"; this is the {split} split, shown for reading only."), "",
             "| measure | value | counted | 95% interval | floor | verdict |", "|---|---:|---:|---|---|---|"]
    for key, row in shares.items():
        value = row["counted"] / row["of"] if row["of"] else 0.0
        at_least = key in floors.get("min", {})
        floor = floors.get("min", {}).get(key, floors.get("max", {}).get(key))
        verdict = "-" if floor is None else floor_verdict(value, row["low"], row["high"], floor, at_least)
        bound = "-" if floor is None else f"{'≥' if at_least else '≤'} {floor}"
        lines.append(f"| {key} | {value:.3f} | {int(row['counted'])}/{int(row['of'])} | "
                     f"{row['low']:.3f}–{row['high']:.3f} | {bound} | {verdict} |")
    return lines


def paired_markdown(paired: dict[str, Any] | None) -> list[str]:
    """The paired comparison with the accepted run: per measure, the counts before and now, the questions
    lost (b) and gained (c) and the exact McNemar p."""
    lines = ["", "## Against the accepted run", ""]
    if not paired:
        return lines + ["No accepted run of this split and k in evals/baseline.json: nothing to pair with."]
    comparison = Comparison.model_validate(paired)
    when = ", ".join(f"{a['accepted_at']} at {(a['commit'] or 'unknown commit')[:12]}" for a in paired["accepted"])
    lines += [f"Accepted {when}. Paired over {comparison.paired} questions; left out: {len(comparison.new)} new "
              f"({', '.join(comparison.new) or '-'}), {len(comparison.changed)} changed "
              f"({', '.join(comparison.changed) or '-'}).", "",
              "| measure | counted | accepted | now | b (lost) | c (gained) | McNemar p | lost | gained |",
              "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for change in comparison.measures.values():
        lines.append(f"| {change.measure} | {change.counts} | {change.before}/{change.n} | {change.now}/{change.n} | "
                     f"{change.b} | {change.c} | {change.p:.3g} | {', '.join(change.lost) or '-'} | "
                     f"{', '.join(change.gained) or '-'} |")
    return lines


def groups_markdown(groups: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines: list[str] = []
    for kind, rows in groups.items():
        if not rows:
            continue
        lines += ["", f"## Per {kind}", "", f"| {kind} | questions | hit@1 | hit@5 | refusal recall |",
                  "|---|---:|---:|---:|---:|"]
        for name, row in rows.items():
            hits = [_count_share(row, key, "scored") for key in ("hit@1", "hit@5")]
            lines.append(f"| {name} | {int(row['questions'])} | {hits[0]} | {hits[1]} | "
                         f"{_count_share(row, 'refusal_recall', 'unanswerable')} |")
    return lines


def refusals_markdown(refusals: dict[str, dict[str, int]]) -> list[str]:
    if not refusals:
        return []
    lines = ["", "## Refusals by rule", "", "The first rule that refused each refused question; one named by its "
             "setting is switched off with `--set retrieval.<name>=false`.", "",
             "| rule | out of scope refused | answerable refused |", "|---|---:|---:|"]
    lines += [f"| {rule} | {row['out_of_scope']} | {row['answerable']} |" for rule, row in refusals.items()]
    return lines


def _count_share(row: dict[str, float], key: str, of: str) -> str:
    if key not in row:
        return "–"
    return f"{row[key]:.3f} ({round(row[key] * row[of])}/{int(row[of])})"


def chart(metrics: dict[str, dict[str, float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cuts = ["hit@1", "hit@3", "hit@5"]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    width = 0.8 / len(metrics)
    for n, (name, m) in enumerate(metrics.items()):
        xs = [i + n * width for i in range(len(cuts))]
        bars = ax.bar(xs, [m[c] for c in cuts], width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([i + width * (len(metrics) - 1) / 2 for i in range(len(cuts))], cuts)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("share of questions")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def check_floors(metrics: dict[str, float], floors_path: Path = FLOORS) -> list[str]:
    """The floors the test split must meet; returns the ones missed."""
    floors = json.loads(floors_path.read_text(encoding="utf-8"))
    unknown = sorted((set(floors.get("min", {})) | set(floors.get("max", {}))) - set(metrics))
    if unknown:  # a misspelt floor would read as 0 and be missed for ever, an expected failure that never ends
        raise KeyError(f"{floors_path}: no metric named {', '.join(unknown)}")
    missed = []
    for key, floor in floors.get("min", {}).items():
        if metrics[key] < floor:
            missed.append(f"{key} {metrics[key]:.3f} < {floor}")
    for key, ceiling in floors.get("max", {}).items():
        if metrics[key] > ceiling:
            missed.append(f"{key} {metrics[key]:.3f} > {ceiling}")
    return missed


def summary(result: dict[str, Any]) -> str:
    names = list(result["metrics"])
    keys = ["hit@1", "hit@5", "mrr", "ndcg@5", "citation_accuracy", "refusal_recall", "answerable_refused",
            "latency_p50_ms"]
    width = max(len(n) for n in names) + 2
    lines = [f"split {result['split']}, k={result['k']}, {int(result['metrics'][names[0]]['questions'])} questions",
             "system".ljust(width) + "".join(k.rjust(max(len(k), 6) + 2) for k in keys)]
    for n in names:
        values = result["metrics"][n]
        lines.append(n.ljust(width) + "".join(f"{values.get(k, 0):{max(len(k), 6) + 2}.3f}" for k in keys))
    shares = result.get("intervals")
    if shares:
        lines.append("95% intervals: " + ", ".join(
            f"{key} {row['low']:.3f}–{row['high']:.3f}" for key, row in shares.items() if key != "hit@3"))
    paired = result.get("paired")
    if paired:
        comparison = Comparison.model_validate(paired)
        lines.append(f"against the accepted run ({comparison.paired} paired, {len(comparison.new)} new, "
                     f"{len(comparison.changed)} changed):")
        for c in comparison.measures.values():
            lines.append(f"  {c.measure:<19} accepted {c.before}/{c.n}, now {c.now}/{c.n}; lost {c.b} "
                         f"({', '.join(c.lost) or '-'}), gained {c.c} ({', '.join(c.gained) or '-'}); "
                         f"McNemar p={c.p:.3g}")
    else:
        lines.append("no accepted run of this split to pair with (evals/baseline.json)")
    return "\n".join(lines)
