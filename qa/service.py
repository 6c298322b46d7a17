"""The question-answering service: the one code path behind /v1/ask, `qa ask` and `qa eval`."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from qa.config import Settings
from qa.errors import IndexMismatch, IndexMissing, InvalidQuestion, UnknownDocument
from qa.index import LoadedIndex, build_index, load_index
from qa.retrieve import Retrieval, Retriever, normalise_question
from qa.schemas import AskResponse, DocumentOut, DocumentSummary, PassageOut, ReferenceOut

logger = logging.getLogger(__name__)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls (and DEL) but tab and newline
SURROGATE = re.compile(r"[\ud800-\udfff]")  # only reachable through a JSON escape such as "\\ud800"


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
        return retriever.search(question, k, document)

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
