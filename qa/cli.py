"""The `qa` command: a thin layer over the library. Heavy imports live inside the commands."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from qa.errors import QAError
from qa.training import RankerOptions, TrainOptions


def _settings(**overrides: Any) -> Any:
    """The settings, or a one-line error naming each bad variable (never a traceback)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from qa.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"QA_{'__'.join(str(x) for x in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from None
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}; {exc.__cause__ or ''}".rstrip("; ")) from None


def _fail(exc: QAError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if exc.status < 500 else 1)


@click.group()
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="qa")
def main(verbose: int) -> None:
    """Grounded answers from medical-information response letters."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    handler = logging.StreamHandler()
    handler.setLevel(level)  # libraries that set their own logger to DEBUG (bm25s) stay quiet too
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


@main.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), envvar="QA_CORPUS_DIR", help="Letters folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="QA_INDEX_DIR", help="Index folder.")
def build(corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Parse, chunk and embed the corpus into a new index."""
    from qa.index import build_index

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    try:
        manifest = build_index(settings, progress=True)
    except QAError as exc:
        _fail(exc)
    click.echo(
        f"built {manifest.chunk_count} chunks from {len(manifest.corpus)} letter(s) into "
        f"{settings.index_dir} (build {manifest.build_id}, {manifest.build_seconds:.1f}s)"
    )


@main.command()
@click.option("--host", envvar="QA_SERVICE__HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="QA_SERVICE__PORT", type=int, default=8000, show_default=True)
@click.option("--no-rebuild", is_flag=True, help="Refuse a missing or stale index instead of building it.")
def serve(host: str, port: int, no_rebuild: bool) -> None:
    """Serve the API, the widget and its demo page (building the index when missing or stale)."""
    from concurrent.futures import ThreadPoolExecutor

    settings = _settings()
    audit = settings.service.audit_log
    if audit:  # an audit trail that cannot be written stops the start here, before anything loads
        from qa.audit import AuditLog

        try:
            AuditLog(audit, settings.service.audit_max_bytes, settings.service.audit_backups).close()
        except QAError as exc:
            _fail(exc)
    # The model and index start loading now, while the web stack imports (a third of the start-up time).
    pending = ThreadPoolExecutor(1, thread_name_prefix="qa-load").submit(_service, settings, not no_rebuild)
    from qa.api import server
    from qa.api.app import create_app

    shown = settings.model_dump(mode="json", exclude={"service": {"admin_token"}})
    click.echo(f"settings: {json.dumps(shown)}", err=True)
    try:
        app = create_app(settings, rebuild=not no_rebuild, pending=pending)
    except QAError as exc:
        _fail(exc)
    server.run(app, host, port)


def _service(settings: Any, rebuild: bool) -> Any:
    from qa.service import QAService

    return QAService(settings, rebuild=rebuild)


@main.command()
@click.argument("question", required=False)
@click.option("--k", default=5, show_default=True, help="Passages to return.")
@click.option("--document", default=None, help="Document id (default: the best-matching letter).")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
@click.option("--jsonl", is_flag=True, help='Read {"id", "question"} lines on stdin, write one response per line.')
@click.option("--progress", is_flag=True, help="Show progress bars (loading a model, rebuilding a stale index).")
def ask(question: str | None, k: int, document: str | None, as_json: bool, jsonl: bool, progress: bool) -> None:
    """Answer a question with grounded passages, citations, references and the disclaimer."""
    if not jsonl and not question:
        raise click.UsageError("give a QUESTION, or --jsonl with questions on stdin")
    from qa.service import QAService

    try:
        with _progress_bars(progress):  # a one-shot answer for a person or a script: stderr carries errors only
            service = QAService(_settings(), rebuild=True, progress=progress)
    except QAError as exc:
        _fail(exc)
    if jsonl:
        _ask_lines(service, k, document)
        return
    assert question is not None
    try:
        response = service.ask(question, k, document)
    except QAError as exc:
        _fail(exc)
    if as_json:
        click.echo(response.model_dump_json(indent=2))
    else:
        click.echo(render(response))


@contextlib.contextmanager
def _progress_bars(shown: bool) -> Iterator[None]:
    """Progress bars (tqdm's, and so the model loaders') on or off for the block; the environment restored."""
    names = ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS")
    saved = {n: os.environ.get(n) for n in names}
    if not shown:
        os.environ.update(dict.fromkeys(names, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _ask_lines(service: Any, k: int, document: str | None) -> None:
    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        record_id: Any = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            record_id = record.get("id", n)
            response = service.ask(
                record.get("question", ""), int(record.get("k", k)), record.get("document", document)
            )
            out = {"id": record_id, **response.model_dump()}
        except QAError as exc:
            out = {"id": record_id, "error": {"code": exc.code, "message": str(exc)}}
        except (ValueError, TypeError) as exc:
            out = {"id": record_id, "error": {"code": "invalid_request", "message": f"line {n}: {exc}"}}
        click.echo(json.dumps(out, ensure_ascii=False))
        sys.stdout.flush()


def render(response: Any) -> str:
    """Human output: numbered passages with [n] markers, the references, the disclaimer."""
    lines = [f"{response.document.title} (last updated {response.document.last_updated})", ""]
    if not response.answerable:
        lines += ["This letter does not answer that question. Closest passages:", ""]
    if response.advice_request and response.advice_notice:
        lines += [f"Note: {response.advice_notice}", ""]
    for p in response.passages:
        marks = "".join(f"[{n}]" for n in p.citations)
        where = " › ".join(x for x in (p.study, p.table or p.section) if x)
        lines.append(f"{p.rank}. {where} {marks}".rstrip())
        lines.append(f"   {p.highlight or p.text}")
        lines.append("")
    if response.references:
        lines.append("References")
        lines += [f"  [{r.number}] {r.text}" for r in response.references]
        lines.append("")
    lines.append(response.disclaimer)
    return "\n".join(lines)


@main.command(name="eval")
@click.option("--questions", "set_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A JSONL question set (default evals/questions.jsonl).")
@click.option("--split", default="test", show_default=True, help="dev, test or all.")
@click.option("--k", default=5, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report folder (default evals/reports/<split>).")
@click.option("--no-baselines", is_flag=True, help="Skip the two baseline pipelines.")
@click.option("--set", "overrides", multiple=True, metavar="retrieval.FIELD=VALUE",
              help="Evaluate with a retrieval setting changed (repeatable).")
@click.option("--ablate", is_flag=True, help="Also run with each boolean retrieval switch that is on turned off.")
@click.option("--accept", is_flag=True, help="Record this run as the split's accepted level in evals/baseline.json.")
@click.option("--check", is_flag=True,
              help="Exit 1 when a floor in evals/floors.json is missed or the run falls behind the accepted one.")
def evaluate_command(set_path: Path | None, split: str, k: int, out: Path | None, no_baselines: bool,
                     overrides: tuple[str, ...], ablate: bool, accept: bool, check: bool) -> None:
    """Score retrieval on a question set; write metrics.json, report.md and report.png."""
    from qa.ablate import ablation, ablation_summary, parse_overrides, with_overrides, write_ablations
    from qa.config import REPO_ROOT
    from qa.evaluate import DEFAULT_SET, check_floors, evaluate, summary
    from qa.paired import Comparison, Outcome
    from qa.questions import load_questions
    from qa.ratchet import accept as accept_run
    from qa.ratchet import regressions
    from qa.service import QAService

    overrides, set_path = _legacy_set_path(overrides, set_path)
    try:
        changed = parse_overrides(overrides)
        settings = _settings()
        settings = settings.model_copy(update={"retrieval": with_overrides(settings.retrieval, changed)})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from exc
    if accept and (changed or split not in ("dev", "test") or (set_path and set_path.resolve() != DEFAULT_SET)):
        raise click.UsageError("--accept records the dev or test split of evals/questions.jsonl as configured, "
                               "without --set")
    try:
        service = QAService(settings, rebuild=True)
        out = out or REPO_ROOT / "evals" / "reports" / split
        result = evaluate(service, set_path or DEFAULT_SET, split, k, out, baselines=not no_baselines)
        rows = None
        if ablate:
            rows = ablation(service, load_questions(set_path or DEFAULT_SET, split), k, result)
            write_ablations(rows, result, out)
    except QAError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary(result))
    if rows:
        click.echo(ablation_summary(rows))
    click.echo(f"report: {out}/report.md, {out}/metrics.json, {out}/report.png" + (", ablations.json" if rows else ""))
    if accept:
        changed_env = settings.retrieval.model_dump(exclude_defaults=True)
        if changed_env:  # the suite's guard runs the defaults unless its environment says otherwise
            logging.getLogger(__name__).warning("accepting a run whose retrieval settings differ from the "
                                                "defaults: %s", changed_env)
        outcomes = {q: Outcome.model_validate(o) for q, o in result["outcomes"].items()}
        run = accept_run(split, result, outcomes)
        click.echo(f"accepted as the {split} baseline at {run.commit or 'an unknown commit'}: evals/baseline.json")
    if check:
        failed = check_floors(next(iter(result["metrics"].values())))
        if result["paired"] and not accept:
            failed += regressions(Comparison.model_validate(result["paired"]))
        if failed:
            click.echo("check failed: " + "; ".join(failed), err=True)
            sys.exit(1)


def _legacy_set_path(overrides: tuple[str, ...], set_path: Path | None) -> tuple[tuple[str, ...], Path | None]:
    """`--set PATH` named the question set before `--set` changed settings; such a value still works."""
    kept = []
    for value in overrides:
        if "=" not in value and Path(value).is_file() and set_path is None:
            logging.getLogger(__name__).warning("--set %s: a question set is now given with --questions", value)
            set_path = Path(value)
        else:
            kept.append(value)
    return tuple(kept), set_path


@main.command()
@click.option("--questions", "questions_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Questions JSONL (field \"question\"; default evals/questions.jsonl).")
@click.option("--limit", default=100, show_default=True, help="Questions used, spread over the file.")
@click.option("--seconds", default=8.0, show_default=True, help="Seconds per HTTP concurrency level.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Report folder (default evals/reports/bench): <out>/<timestamp>/ and <out>/latest.json.")
@click.option("--no-http", is_flag=True, help="Skip the server phases.")
@click.option("--no-scaling", is_flag=True, help="Skip the synthetic 10^3..10^6 retrieval curve.")
@click.option("--quick", is_flag=True, help="Fewer repetitions and a smaller curve (a smoke run).")
def bench(questions_path: Path | None, limit: int, seconds: float, out: Path | None, no_http: bool,
          no_scaling: bool, quick: bool) -> None:
    """Measure latency, throughput, start-up and memory against the bare encoder; write JSON and a PNG."""
    from qa.bench import run

    try:
        run(questions_path, limit, seconds, out, http=not no_http, scaling=not no_scaling, quick=quick,
            echo=click.echo)
    except QAError as exc:
        _fail(exc)


def _training_questions(command: Callable[..., None]) -> Callable[..., None]:
    """The options saying what a training command learns from: never the test split."""
    command = click.option("--split", default="train", show_default=True,
                           help="Which split of the file to train on (never test).")(command)
    return click.option("--questions", "questions_path", default=None,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Training questions, JSONL like the evaluation set (default evals/train.jsonl).")(command)


@main.command("train-encoder")
@_training_questions
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for patch.safetensors and tuning.json (default index/tuning).")
@click.option("--layers", default=TrainOptions().layers, show_default=True, help="Top transformer layers trained.")
@click.option("--epochs", default=TrainOptions().epochs, show_default=True)
@click.option("--seed", default=TrainOptions().seed, show_default=True)
def train_encoder(questions_path: Path | None, split: str, out: Path | None, layers: int, epochs: int,
                  seed: int) -> None:
    """Fine-tune the encoder's top layers on training questions; write the patch a build applies."""
    from qa.config import REPO_ROOT
    from qa.tune import TRAIN_SET, train

    options = TrainOptions(layers=layers, epochs=epochs, seed=seed)
    out = out or REPO_ROOT / "index" / "tuning"
    try:
        manifest = train(_settings(), questions_path or TRAIN_SET, split, out, options)
    except QAError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"trained {len(manifest.parameters)} weight tensors on {manifest.questions_used} questions "
               f"({manifest.examples} examples) in {manifest.seconds:.0f}s; loss by epoch "
               f"{', '.join(f'{x:.3f}' for x in manifest.losses)}; patch {manifest.patch_sha256[:16]} in {out}")


@main.command("train-ranker")
@_training_questions
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for ranker.json (default: the `retrieval.ranker` setting, index/ranker).")
@click.option("--c", "c", default=RankerOptions().c, show_default=True, help="Inverse L2 regularisation.")
@click.option("--folds", default=RankerOptions().folds, show_default=True,
              help="Cross-fitting folds: one tuned encoder each.")
@click.option("--seed", default=RankerOptions().seed, show_default=True)
def train_ranker(questions_path: Path | None, split: str, out: Path | None, c: float, folds: int, seed: int) -> None:
    """Train the learned ranker on cross-fitted features of training questions; write what search loads."""
    from qa.config import REPO_ROOT
    from qa.rank import train_ranker as train
    from qa.tune import TRAIN_SET

    settings = _settings()
    options = RankerOptions(c=c, folds=folds, seed=seed)
    out = out or settings.retrieval.ranker or REPO_ROOT / "index" / "ranker"
    try:
        manifest = train(settings, questions_path or TRAIN_SET, split, out, options)
    except QAError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"trained {len(manifest.weights)} weights on {manifest.questions_used} questions ({manifest.pairs} "
               f"pairs) in {manifest.seconds:.0f}s; fingerprint {manifest.fingerprint[:16]} in {out}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the chunks as JSON lines.")
def parse(path: Path, as_json: bool) -> None:
    """Show how a letter parses: studies, sections, tables (rows and columns) and references."""
    from qa.chunk import chunk_letter
    from qa.parse import parse_letter
    from qa.tokens import word_piece_counter

    try:
        letter = parse_letter(path)
    except QAError as exc:
        _fail(exc)
    if as_json:
        settings = _settings()
        for chunk in chunk_letter(letter, word_piece_counter(settings.model_path())):
            click.echo(chunk.model_dump_json())
        return
    click.echo(f"{letter.title} — last updated {letter.last_updated}")
    click.echo(f"summary bullets: {len(letter.summary)}; references: {len(letter.references)}")
    for study in letter.studies:
        click.echo(f"\n{study.label} [{', '.join(map(str, study.citations))}] {study.heading}")
        for section in study.sections:
            click.echo(f"  {section.name or '(opening)'}: {len(section.blocks)} block(s)")
        for table in study.tables:
            cites = ",".join(map(str, table.citations))
            click.echo(f"  table {table.title!r} [{cites}]: {len(table.rows)} rows x {len(table.headers) - 1} columns")
    tables = letter.tables
    click.echo(f"\n{len(letter.studies)} studies, {len(tables)} tables, {sum(len(t.rows) for t in tables)} rows")


if __name__ == "__main__":
    main()
