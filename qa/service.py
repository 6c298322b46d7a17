"""The question-answering service: the one code path behind /v1/ask, `qa ask` and `qa eval`."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from qa.config import Settings
from qa.errors import IndexMismatch, IndexMissing, InvalidQuestion, UnknownDocument
from qa.index import LoadedIndex, build_index, load_index
from qa.retrieve import Retrieval, Retriever, normalise_question
from qa.schemas import AskResponse, DocumentOut, DocumentSummary, PassageOut, ReferenceOut

logger = logging.getLogger(__name__)


@dataclass
class Timing:
    seconds: float


class QAService:
    """Holds the model and the index; `ask` is thread-safe, `reload` swaps the index atomically."""

    def __init__(self, settings: Settings, rebuild: bool = False) -> None:
        from qa.embed import Encoder

        self.settings = settings
        self.encoder = Encoder(settings.model_path(), settings.embedding)
        self._lock = threading.Lock()
        self.retriever = Retriever(self._load(rebuild), self.encoder, settings.retrieval)

    def _load(self, rebuild: bool) -> LoadedIndex:
        try:
            return load_index(self.settings, self.encoder.fingerprint)
        except (IndexMissing, IndexMismatch) as exc:
            if not rebuild:
                raise
            logger.warning("%s: building the index now", exc)
            build_index(self.settings, self.encoder, progress=False)
            return load_index(self.settings, self.encoder.fingerprint)

    @property
    def index(self) -> LoadedIndex:
        return self.retriever.index

    def reload(self) -> str:
        """Load the current index from disk and swap it in; requests in flight finish on the old one."""
        index = load_index(self.settings, self.encoder.fingerprint)
        with self._lock:
            self.retriever = Retriever(index, self.encoder, self.settings.retrieval)
        return index.manifest.build_id

    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(id=d.id, title=d.title, last_updated=d.last_updated, chunks=d.chunk_count,
                            references=len(d.references))
            for d in self.index.documents.values()
        ]

    def validate(self, question: str, k: int, document: str | None) -> tuple[str, int, str | None]:
        limits = self.settings.service
        if not isinstance(question, str):
            raise InvalidQuestion("question must be a string")
        if len(question) > limits.max_question_chars:
            raise InvalidQuestion(f"question is longer than {limits.max_question_chars} characters")
        cleaned = normalise_question(question)
        if not cleaned:
            raise InvalidQuestion("question is empty")
        if not 1 <= k <= limits.max_k:
            raise InvalidQuestion(f"k must be between 1 and {limits.max_k}")
        document = document or self.settings.default_document
        if document is not None and document not in self.index.documents:
            known = ", ".join(sorted(self.index.documents))
            raise UnknownDocument(f"unknown document {document!r}; known documents: {known}")
        return cleaned, k, document

    def retrieve(self, question: str, k: int = 5, document: str | None = None) -> Retrieval:
        question, k, document = self.validate(question, k, document)
        return self.retriever.search(question, k, document)

    def ask(self, question: str, k: int = 5, document: str | None = None) -> AskResponse:
        return self.respond(self.retrieve(question, k, document))

    def respond(self, result: Retrieval) -> AskResponse:
        info = self.index.documents[result.document]
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
