"""The encoder tuned to the letters: a seeded training command, and the patch of weights it leaves.

The packaged MiniLM learned from general web pairs. A clinician's paraphrase ("why were people left out") and
the letter's words for it ("Patients were excluded if …") are further apart for it than for a model that has
seen such pairs. `qa train-encoder` fine-tunes the top layers of the packaged model on training questions
written from the letter (`evals/train.jsonl`: no evaluation question, never the test split), each question
against the passages and sentences that answer it, with the passages the untuned system ranks above them as
hard negatives and the batch's other answers as easy ones.

It writes only the layers it trained (the patch, fp16 safetensors) and a manifest (`tuning.json`: the base
weights' fingerprint, the training set's hash, every setting and the seed, the patch's sha256) into
`index/tuning/`, which is versioned with the code. With `embedding.tuning` set, the model a build embeds with
is the packaged model with the patch applied, materialised once beside the patch (`.model-<patch hash>/`);
its fingerprint covers the patch, so an index built with other weights is stale and rebuilt.
"""

from __future__ import annotations

import logging
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from qa.errors import IndexCorrupt, ModelUnavailable
from qa.training import TrainOptions, read_manifest

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.questions import EvalQuestion
    from qa.service import QAService

logger = logging.getLogger(__name__)

PATCH = "patch.safetensors"
TRAIN_SET = Path(__file__).resolve().parent.parent / "evals" / "train.jsonl"
MANIFEST = "tuning.json"
LAYER = re.compile(r".*\.encoder\.layer\.\d+\.")  # a transformer layer's parameter-name prefix


class TuningManifest(BaseModel):
    """What trained a patch: enough to retrain it and to tell it from any other."""

    format: int = 1
    base_model: str
    base_fingerprint: str
    parameters: list[str]
    options: TrainOptions
    questions: str
    questions_sha256: str
    questions_used: int
    examples: int
    chunker_version: str
    losses: list[float]
    seconds: float
    created_at: str
    torch: str
    patch_sha256: str


@dataclass(frozen=True, slots=True)
class Example:
    question: str  # the text the retriever embeds for it
    positive: str
    negatives: tuple[str, ...]
    group: int  # the question it came from: its other positives are not negatives


def read_tuning(folder: Path) -> TuningManifest:
    """The manifest of the patch in `folder`, checked against the patch's bytes."""
    manifest = read_manifest(TuningManifest, folder / MANIFEST, f"no tuned encoder in {folder}: run `qa "
                             "train-encoder`, or unset QA_EMBEDDING__TUNING to use the packaged weights")
    from qa.index import sha256_file

    try:
        actual = sha256_file(folder / PATCH)
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"{folder / PATCH} is missing") from exc
    if actual != manifest.patch_sha256:
        raise IndexCorrupt(f"{folder / PATCH} does not match its manifest (sha256 {actual[:16]}…, "
                           f"expected {manifest.patch_sha256[:16]}…)")
    return manifest


def tuned_model(base_path: str, folder: Path) -> str:
    """The packaged model with the patch in `folder` applied, as a model folder (made once, then reused)."""
    from qa.embed import model_fingerprint

    manifest = read_tuning(folder)
    installed = model_fingerprint(base_path)
    if installed != manifest.base_fingerprint:
        raise ModelUnavailable(f"the patch in {folder} was trained on other base weights "
                               f"({manifest.base_fingerprint}, installed {installed})")
    target = folder / f".model-{manifest.patch_sha256[:16]}"
    if (target / MANIFEST).is_file():
        return str(target)
    from qa.embed_torch import load_sentence_transformer

    model = load_sentence_transformer(base_path)
    _apply_patch(model, folder / PATCH)
    staging = Path(tempfile.mkdtemp(prefix=".model-", dir=folder))
    try:
        model.save(str(staging))
        # The manifest goes in last: it marks the folder complete, and the fingerprint (which reads every
        # .json file) covers the patch's hash through it.
        shutil.copy2(folder / MANIFEST, staging / MANIFEST)
        try:
            staging.rename(target)
        except OSError:  # another process made it first
            if not (target / MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for old in folder.glob(".model-*"):  # models of earlier patches
        if old != target and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    logger.info("applied the tuned encoder's patch (%s) to %s", manifest.patch_sha256[:16], base_path)
    return str(target)


def _apply_patch(model: Any, patch: Path) -> None:
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(patch))
    params = dict(model.named_parameters())
    unknown = sorted(set(weights) - set(params))
    if unknown:
        raise IndexCorrupt(f"{patch} holds weights the model does not have: {', '.join(unknown[:3])}")
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value.to(params[name].dtype))


def training_examples(service: QAService, questions: list[EvalQuestion], options: TrainOptions) -> list[Example]:
    """Each answerable question against up to `positives` passages that answer it (and each one's answering
    sentence or row line), with the passages the system ranks above them as hard negatives."""
    from qa.questions import matches, normalised

    retriever = service.retriever
    chunks = retriever.index.chunks
    examples = []
    for group, q in enumerate(questions):
        if not q.scored or q.gold is None:
            continue
        answering = [c for c in chunks if matches(q.gold, c.text, c.study)]
        if not answering:
            logger.warning("%s: no passage answers it; skipped", q.id)
            continue
        query = retriever.analyse(q.question)
        ranked = retriever.search(q.question, k=10).passages
        negatives = tuple(p.chunk.text for p in ranked if not matches(q.gold, p.chunk.text, p.chunk.study))
        negatives = negatives[: options.hard_negatives]
        text = retriever.dense_text(query)
        answers = [normalised(a) for a in q.gold.answer]
        for chunk in answering[: options.positives]:
            examples.append(Example(text, chunk.text, negatives, group))
            quote = next((s for s in chunk.quotes if all(a in normalised(s) for a in answers)), None)
            if quote and quote != chunk.text:
                examples.append(Example(text, quote, negatives, group))
    return examples


def train(settings: Settings, questions_path: Path, split: str, out: Path, options: TrainOptions) -> TuningManifest:
    """Train the patch on the questions of `split` in `questions_path` and write it, with its manifest, to `out`.

    The hard negatives come from the untuned system, built afresh in a temporary folder, so the same
    questions, letters, options and seed give the same patch whatever index is current."""
    from qa.index import sha256_file
    from qa.service import QAService

    questions = training_questions(questions_path, split)
    started = time.perf_counter()
    # The untuned system: the packaged weights, ranked by the fusion alone (a learned ranker is trained for a
    # tuned encoder's features, and on this one's).
    base = settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"tuning": None}),
                                       "retrieval": settings.retrieval.model_copy(update={"learned_ranker": False})})
    base_path = base.model_path()
    with tempfile.TemporaryDirectory(prefix="qa-train-") as scratch:
        service = QAService(base.model_copy(update={"index_dir": Path(scratch)}), rebuild=True)
        examples = training_examples(service, questions, options)
    logger.info("%d examples from %d questions", len(examples), len(questions))
    parameters, losses = train_patch(base_path, examples, options, out)

    import torch

    from qa.embed import model_fingerprint

    manifest = TuningManifest(
        base_model=settings.embedding.model,
        base_fingerprint=model_fingerprint(base_path),
        parameters=parameters,
        options=options,
        questions_used=len({e.group for e in examples}),
        examples=len(examples),
        losses=[round(x, 4) for x in losses],
        torch=torch.__version__,
        **provenance(questions_path, started),
        patch_sha256=sha256_file(out / PATCH),
    )
    (out / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def train_patch(base_path: str, examples: list[Example], options: TrainOptions, out: Path) -> tuple[list[str],
                                                                                                   list[float]]:
    """Train the top `options.layers` layers of the model in `base_path` on `examples` and write them, fp16,
    to `out/patch.safetensors`. Returns the trained weights' names and the loss of each epoch."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    from qa.embed_torch import load_sentence_transformer

    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    model = load_sentence_transformer(base_path)
    model.max_seq_length = options.max_pieces  # training only; the patched model keeps the base's length
    layers = _top_layers(model, options.layers)
    trained = {n: p for n, p in model.named_parameters() if any(n.startswith(prefix) for prefix in layers)}
    for name, p in model.named_parameters():
        p.requires_grad = name in trained
    losses = _fit(model, list(trained.values()), examples, options)
    out.mkdir(parents=True, exist_ok=True)
    save_file({n: p.detach().to(torch.float16).contiguous() for n, p in sorted(trained.items())}, str(out / PATCH))
    return sorted(trained), losses


def training_questions(path: Path, split: str) -> list[EvalQuestion]:
    """The questions of `split` in `path` to train on: never the test split, and not none."""
    from qa.questions import load_questions

    if split == "test":
        raise ValueError("the test split is only for reporting: train on `train` or `dev`")
    questions = load_questions(path, split)
    if not questions:
        raise ValueError(f"no {split} questions in {path}")
    return questions


def provenance(questions_path: Path, started: float) -> dict[str, Any]:
    """What the manifest of anything trained on questions records of the run: the questions (path and
    sha256), the chunking code it saw the letters through, how long it took and when."""
    from qa.index import chunker_version, sha256_file

    return {"questions": _relative(questions_path), "questions_sha256": sha256_file(questions_path),
            "chunker_version": chunker_version(), "seconds": round(time.perf_counter() - started, 1),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _relative(path: Path) -> str:
    from qa.config import REPO_ROOT

    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _top_layers(model: Any, count: int) -> list[str]:
    """Parameter-name prefixes of the transformer's top `count` layers ("….encoder.layer.5.")."""
    layers = {m.group() for n, _ in model.named_parameters() if (m := LAYER.match(n))}
    ordered = sorted(layers, key=lambda prefix: int(prefix.rstrip(".").rsplit(".", 1)[1]))
    if count > len(ordered):
        raise ValueError(f"the model has {len(ordered)} layers; cannot train {count}")
    return ordered[-count:]


def _fit(model: Any, params: list[Any], examples: list[Example], options: TrainOptions) -> list[float]:
    """Contrastive training: each question's answer against the batch's other answers and hard negatives
    (a batch's other examples of the same question are not counted against it)."""
    import torch

    order = list(range(len(examples)))
    batches_per_epoch = (len(examples) + options.batch_size - 1) // options.batch_size
    steps = options.epochs * batches_per_epoch
    warmup = max(1, steps // 10)
    optimiser = torch.optim.AdamW(params, lr=options.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
    rng = random.Random(options.seed)

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.preprocess(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    losses = []
    for epoch in range(options.epochs):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), options.batch_size):
            batch = [examples[i] for i in order[start:start + options.batch_size]]
            negatives = [n for e in batch for n in e.negatives]
            queries = embed([e.question for e in batch])
            candidates = embed([e.positive for e in batch] + negatives)
            scores = queries @ candidates.T * options.scale
            groups = torch.tensor([e.group for e in batch])
            same = groups[:, None] == groups[None, :]
            same.fill_diagonal_(False)
            mask = torch.cat([same, torch.zeros(len(batch), len(negatives), dtype=torch.bool)], dim=1)
            loss = torch.nn.functional.cross_entropy(scores.masked_fill(mask, -1e4), torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        losses.append(total / max(1, batches_per_epoch))
        logger.info("epoch %d: loss %.3f", epoch + 1, losses[-1])
    model.eval()
    return losses

