"""The question-answering service: the one code path behind /v1/ask, `qa ask` and `qa eval`."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import IndexMismatch, IndexMissing, InvalidQuestion, UnknownDocument
from qa.index import LoadedIndex, build_index, load_index
from qa.query import normalise_question
from qa.retrieve import Retrieval, Retriever
from qa.schemas import AskResponse, DocumentOut, DocumentSummary, PassageOut, ReferenceOut

if TYPE_CHECKING:
    from qa.embed import Encoder

logger = logging.getLogger(__name__)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls (and DEL) but tab and newline
SURROGATE = re.compile(r"[\ud800-\udfff]")  # only reachable through a JSON escape such as "\\ud800"


@dataclass
class Timing:
    seconds: float


def _ignore(stage: str, seconds: float) -> None:
    """The default stage observer: timings go nowhere unless the API wires them to its metrics."""


class QAService:
    """Holds the model and the index; `ask` is thread-safe, `reload` swaps the index atomically.

    With the onnx backend the encoder is the export the served build carries, loaded after the index."""

    def __init__(self, settings: Settings, rebuild: bool = False, progress: bool = False) -> None:
        from qa.embed import source_fingerprint, torch_encoder

        self.settings = settings
        self._encoder: Encoder | None = torch_encoder(settings) if settings.embedding.backend == "torch" else None
        self.source_fingerprint = self._encoder.fingerprint if self._encoder else source_fingerprint(settings)
        self._lock = threading.Lock()
        self.observe: Callable[[str, float], None] = _ignore  # stage timings (encode, search), for /metrics
        self.encoder: Encoder
        self.retriever: Retriever
        self._prepare(self._load(rebuild, progress))

    def _load(self, rebuild: bool, progress: bool = False) -> LoadedIndex:
        try:
            return load_index(self.settings, self.source_fingerprint)
        except (IndexMissing, IndexMismatch) as exc:
            if not rebuild:
                raise
            logger.warning("%s: building the index now", exc)
            build_index(self.settings, self._encoder, progress=progress)
            return load_index(self.settings, self.source_fingerprint)

    def _prepare(self, index: LoadedIndex) -> None:
        """The encoder that serves `index` and a retriever over it, made side by side: opening the ONNX
        session (native code, off the GIL) overlaps the retriever's tables (Python), which cuts the cold start
        by the shorter of the two (~0.2 s of ~1.5). The retriever is swapped in whole, under the lock."""
        with ThreadPoolExecutor(1, thread_name_prefix="qa-encoder") as pool:
            pending = pool.submit(self._encoder_for, index)
            retriever = Retriever(index, pending, self.settings.retrieval)
            encoder = pending.result()
        with self._lock:
            self.encoder = self._encoder = encoder
            self.retriever = retriever

    def _encoder_for(self, index: LoadedIndex) -> Encoder:
        """The encoder that serves `index`: the torch model, or the index's own export (kept when unchanged)."""
        from qa.embed_onnx import OnnxEncoder

        current = self._encoder
        if self.settings.embedding.backend == "torch" and current is not None:
            return current
        if isinstance(current, OnnxEncoder) and current.export_sha256 == index.manifest.encoder_export:
            return current
        if index.manifest.encoder_export is None:
            raise IndexMismatch(f"the index in {index.path} carries no ONNX export; rebuild it with `qa build`")
        encoder = OnnxEncoder(index.path / "encoder", self.settings.embedding)
        encoder.export_sha256 = index.manifest.encoder_export
        return encoder

    @property
    def index(self) -> LoadedIndex:
        return self.retriever.index

    def reload(self) -> str:
        """Load the current index from disk and swap it in; requests in flight finish on the old one."""
        index = load_index(self.settings, self.source_fingerprint)
        self._prepare(index)
        return index.manifest.build_id

    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(id=d.id, title=d.title, last_updated=d.last_updated, chunks=d.chunk_count,
                            references=len(d.references), disclaimer=d.disclaimer)
            for d in self.index.documents.values()
        ]

    def validate(self, question: str, k: int, document: str | None, index: LoadedIndex | None = None
                 ) -> tuple[str, int, str | None]:
        limits = self.settings.service
        documents = (index or self.index).documents
        if not isinstance(question, str):
            raise InvalidQuestion("question must be a string")
        if len(question) > limits.max_question_chars:
            raise InvalidQuestion(f"question is longer than {limits.max_question_chars} characters")
        bad = CONTROL.search(question)
        if bad:  # refused, not silently dropped: a question that carries them was not typed by a person
            raise InvalidQuestion(
                f"question contains a control character (U+{ord(bad.group()):04X} at position {bad.start()}); "
                "only tab and newline are allowed"
            )
        if SURROGATE.search(question):
            raise InvalidQuestion("question contains an unpaired surrogate; send valid Unicode")
        cleaned = normalise_question(question)
        if not cleaned:
            raise InvalidQuestion("question is empty")
        if not 1 <= k <= limits.max_k:
            raise InvalidQuestion(f"k must be between 1 and {limits.max_k}")
        document = document or self.settings.default_document
        if document is not None and document not in documents:
            known = ", ".join(sorted(documents))
            raise UnknownDocument(f"unknown document {document[:80]!r}; known documents: {known}")
        return cleaned, k, document

    def retrieve(self, question: str, k: int = 5, document: str | None = None,
                 retriever: Retriever | None = None) -> Retrieval:
        retriever = retriever or self.retriever
        question, k, document = self.validate(question, k, document, retriever.index)
        started = time.perf_counter()
        result = retriever.search(question, k, document)
        encode = retriever.encoder.last_encode_seconds()
        self.observe("encode", encode)
        self.observe("search", time.perf_counter() - started - encode)  # candidates, fusion, highlights, checks
        return result

    def ask(self, question: str, k: int = 5, document: str | None = None) -> AskResponse:
        retriever = self.retriever  # one index for the whole request, even if a reload swaps it meanwhile
        return self.respond(self.retrieve(question, k, document, retriever), retriever.index)

    def respond(self, result: Retrieval, index: LoadedIndex | None = None) -> AskResponse:
        info = (index or self.index).documents[result.document]
        passages = [
            PassageOut(
                rank=p.rank, score=p.score, chunk_id=p.chunk.id, document=p.chunk.document, study=p.chunk.study,
                section=p.chunk.section, table=p.chunk.table, kind=p.chunk.kind, citations=p.chunk.citations,
                text=p.chunk.text, highlight=p.highlight,
            )
            for p in result.passages
        ]
        cited = sorted({n for p in passages for n in p.citations if n in info.references})
        return AskResponse(
            question=result.question,
            answerable=result.answerable,
            passages=passages,
            references=[ReferenceOut(number=n, text=info.references[n]) for n in cited],
            disclaimer=info.disclaimer,
            document=DocumentOut(id=info.id, title=info.title, last_updated=info.last_updated),
            advice_request=result.advice_request,
            advice_notice=info.advice_notice if result.advice_request else None,
        )


def timed_ask(service: QAService, question: str, k: int = 5) -> tuple[AskResponse, float]:
    start = time.perf_counter()
    response = service.ask(question, k)
    return response, time.perf_counter() - start
