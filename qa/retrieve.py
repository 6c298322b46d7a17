"""Hybrid retrieval: dense (FAISS) and BM25 candidates fused by reciprocal rank, steered by the letter's
own vocabulary (abbreviations, brand/generic names, the study a question names), with a highlight per
passage and a judgement of whether the letter answers the question at all."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.chunk import Chunk
from qa.config import RetrievalSettings
from qa.embed import Encoder
from qa.index import LoadedIndex
from qa.lexicon import Lexicon, content_words, lexical_tokens, words

logger = logging.getLogger(__name__)

ADVICE = re.compile(
    r"\b(should (i|we|my|our|he|she|they)|(my|our) ([\w-]+ ){0,4}patients?|"
    r"(would|do) you (recommend|suggest|advise|use)|"
    r"is it (safe|ok|okay|reasonable) (for|to)|can (i|we) (give|use|retreat|restart|start|switch)|"
    r"what (dose|regimen) should|recommend (for|to) (my|a|this)|this patient|advice)\b",
    re.I,
)


# What a question asks for, by the kind of passage that answers it. General wording of questions about a
# letter's apparatus (its references, its disclaimer, its literature search), not of any one question.
INTENTS: dict[str, re.Pattern[str]] = {
    "references": re.compile(
        r"\b(journal|published|publication|cite[sd]?|citation|reference[sd]?|author(s|ed)?|poster|abstract|"
        r"presented (at|by)|congress|meeting|conference|workshop|supplement|volume|pages?)\b", re.I),
    "disclaimer": re.compile(
        r"\b(promotional|medical advice|intended for|who (prepared|wrote|is this)|disclaimer|last updated|"
        r"updated|audience|healthcare professionals)\b", re.I),
    "literature_search": re.compile(r"\b(literature search|searched|databases?|medline|embase)\b", re.I),
    "summary": re.compile(r"\b(overview|summar(y|ise|ize)|in brief|key (findings|points)|other (relevant )?"
                          r"literature|(which|what) stud(y|ies))\b", re.I),
}


@lru_cache(maxsize=65_536)
def _quote_words(quote: str) -> frozenset[str]:
    """A quote's (or question's) content words, memoised: folding every quote of every passage again on
    each request cost ~0.1 ms of the ~1.2 ms a search takes besides encoding."""
    return frozenset(content_words(quote))


def normalise_question(text: str) -> str:
    """NFKC; invisible format characters (zero-width space and joiners, direction marks, BOM, soft hyphen)
    removed, since they sit inside words; other control characters made spaces; white space collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join("" if cat == "Cf" else " " if cat[0] == "C" else ch
                   for ch, cat in ((ch, unicodedata.category(ch)) for ch in text))
    return re.sub(r"\s+", " ", text).strip()


@dataclass(slots=True)
class Passage:
    chunk: Chunk
    score: float
    rank: int
    highlight: str | None
    dense: float  # cosine similarity to the question
    lexical: float  # BM25 score


@dataclass(slots=True)
class Retrieval:
    question: str
    document: str
    passages: list[Passage]
    answerable: bool
    advice_request: bool
    studies: list[str] = field(default_factory=list)
    top_dense: float = 0.0
    coverage: float = 0.0


def fuse(dense: np.ndarray, lexical: np.ndarray, settings: RetrievalSettings) -> np.ndarray:
    """One fused score per candidate: a weighted sum of cosine and max-normalised BM25 ("linear"), or
    reciprocal rank fusion of each side's ranking over its positive scores ("rrf")."""
    s = settings
    if s.fusion == "linear":
        return s.dense_weight * dense + s.lexical_weight * lexical / (float(lexical.max(initial=0.0)) or 1.0)
    fused = np.zeros(len(dense))
    for weight, scores in ((s.dense_weight, dense), (s.lexical_weight, lexical)):
        ranks = np.empty(len(scores))
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
        fused += np.where(scores > 0, weight / (s.rrf_k + ranks), 0.0)
    return fused


class Retriever:
    def __init__(self, index: LoadedIndex, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings
        by_document: dict[str, list[int]] = {}
        for pos, chunk in enumerate(index.chunks):
            by_document.setdefault(chunk.document, []).append(pos)
        self.positions_by_document = {d: np.array(p, dtype=np.int64) for d, p in by_document.items()}
        # One query per search: FAISS's OpenMP team gains nothing, and its idle thread spinning after each
        # search took a core from the encoder (mean encode 18 ms vs 57 ms right after a search, busy 2 cores).
        import faiss

        faiss.omp_set_num_threads(1)
        # Likewise numpy's BLAS for the flat path's matrix-vector products: from ~1,000 chunks on, OpenBLAS
        # splits them over 2 threads, which cost 8.3 ms instead of 1.5 at 1,000 chunks while other work held
        # the cores (as concurrent requests do), and no difference on a quiet machine (qa bench).
        with contextlib.suppress(ImportError):  # threadpoolctl comes with scikit-learn (sentence-transformers)
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
        # A flat index is scored exhaustively: every chunk, and every sentence or row line inside it.
        self.chunk_vectors: np.ndarray | None = None
        self.all_positions = np.arange(len(index.chunks), dtype=np.int64)
        if index.manifest.index_type == "flat":
            self.chunk_vectors = index.dense.reconstruct_n(0, index.dense.ntotal)
        self._stems: dict[str, set[str]] = {}
        self._stems_lock = threading.Lock()
        self.kinds = np.array([c.kind for c in index.chunks])
        self.documents_of = np.array([c.document for c in index.chunks])
        studies = sorted({sid for c in index.chunks for sid in c.related_studies})
        self.study_masks = {sid: np.array([sid in c.related_studies for c in index.chunks]) for sid in studies}

    @property
    def documents(self) -> list[str]:
        return list(self.index.documents)

    def search(self, question: str, k: int = 5, document: str | None = None) -> Retrieval:
        question = normalise_question(question)
        docs = [document] if document else self.documents
        lexicon = self.index.lexicons[docs[0]] if len(docs) == 1 else None
        expanded = lexicon.expand(question) if lexicon else question
        query = self.encoder.encode_query(expanded if self.settings.expand_dense else question)
        n = len(self.index.chunks)
        depth = min(n, self.settings.candidates)

        terms = lexical_tokens(lexicon.canonical(expanded) if lexicon else expanded)
        s = self.settings
        intents = [kind for kind, pattern in INTENTS.items() if pattern.search(question)]
        studies = [sid for d in docs for sid in self.index.lexicons[d].detect_studies(question)]
        boost = np.zeros(n)
        for kind in intents:
            boost[self.kinds == kind] += s.kind_boost
        if studies:
            boost[np.logical_or.reduce([self.study_masks[sid] for sid in studies if sid in self.study_masks]
                                       or [np.zeros(n, dtype=bool)])] += s.study_boost
        if len(docs) == 1 and len(self.documents) > 1:
            boost[self.documents_of != docs[0]] = -np.inf  # another letter than the one asked for
        fused, dense, lexical, top_dense = self._score(query, terms, boost, depth, max(depth, k))

        ranked = sorted(fused, key=lambda p: (-fused[p], p))[:k]
        if document is None and ranked:
            document = self.index.chunks[ranked[0]].document
            ranked = [p for p in ranked if self.index.chunks[p].document == document]
        document = document or docs[0]
        lex = self.index.lexicons[document]
        coverage = lex.coverage(question)
        passages = [
            Passage(
                chunk=self.index.chunks[pos],
                score=round(fused[pos], 6),
                rank=r,
                highlight=self._highlight(pos, query, question),
                dense=round(dense[pos], 6),
                lexical=round(lexical.get(pos, 0.0), 6),
            )
            for r, pos in enumerate(ranked, start=1)
        ]
        advice = bool(ADVICE.search(question))
        # Advice requests are answered with the letter's passages (and flagged), never refused.
        answerable = advice or (self._answerable(question, top_dense, lex)
                                and not self._outside_studies(question, studies, lex))
        return Retrieval(
            question=question,
            document=document,
            passages=passages,
            answerable=answerable,
            advice_request=advice,
            studies=studies,
            top_dense=round(top_dense, 6),
            coverage=round(coverage, 4),
        )

    def _score(self, query: np.ndarray, terms: list[str], boost: np.ndarray, depth: int,
               pool: int) -> tuple[dict[int, float], dict[int, float], dict[int, float], float]:
        """Dense and BM25 scores fused and boosted; only the best `pool` leave, as dicts by chunk position:
        fused, cosine, BM25 (where positive), and the best cosine among the chunks allowed."""
        positions, sims, bm25 = self._candidates(query, terms, depth)
        fused = fuse(sims, bm25, self.settings) + boost[positions]
        allowed = np.isfinite(fused)
        top_dense = float(sims[allowed].max()) if allowed.any() else 0.0
        pool = min(pool, int(allowed.sum()))
        top = np.argpartition(-fused, pool - 1)[:pool] if 0 < pool < len(fused) else np.flatnonzero(allowed)
        best = [int(i) for i in top if allowed[i]]
        at = positions.tolist()
        return ({at[i]: float(fused[i]) for i in best}, {at[i]: float(sims[i]) for i in best},
                {at[i]: float(bm25[i]) for i in best if bm25[i] > 0}, top_dense)

    def _candidates(self, query: np.ndarray, terms: list[str], depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Chunk positions with their cosine and BM25 scores. A flat index scores every chunk in numpy (a
        chunk counting as the best of itself and the sentences or rows inside it); an HNSW index scores the
        union of `depth` candidates from each side."""
        if self.chunk_vectors is not None:
            sims = self.chunk_vectors @ query
            if self.settings.quote_vectors:
                quote_sims = self.index.quote_vectors @ query
                sims = np.maximum(sims, np.maximum.reduceat(quote_sims, self.index.quote_offsets[:-1]))
            bm25 = np.asarray(self.index.bm25.get_scores(terms), dtype=np.float64) if terms else np.zeros(len(sims))
            return self.all_positions, sims, bm25
        scores, ids = self.index.dense.search(query[None, :], depth)
        dense = {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}
        lexical: dict[int, float] = {}
        if terms:
            # n_threads=0 scores in this thread; any other value starts a thread pool per call (~0.3 ms).
            found, bm = self.index.bm25.retrieve([terms], k=depth, show_progress=False, n_threads=0)
            lexical = {int(i): float(s) for i, s in zip(found[0], bm[0], strict=True) if s > 0}
        positions = sorted(set(dense) | set(lexical))
        sims = np.array([dense[p] if p in dense else self._cosine(p, query) for p in positions])
        bm25 = np.array([lexical.get(p, 0.0) for p in positions])
        return np.array(positions, dtype=np.int64), sims, bm25

    def _cosine(self, pos: int, query: np.ndarray) -> float:
        return float(self.index.dense.reconstruct(pos) @ query)

    def _highlight(self, pos: int, query: np.ndarray, question: str) -> str | None:
        """The quote (sentence or row line) of the chunk closest to the question, ties to shared words."""
        chunk = self.index.chunks[pos]
        quotes = chunk.quotes or [chunk.text]
        if len(quotes) == 1:
            return quotes[0]
        start, end = self.index.quote_offsets[pos], self.index.quote_offsets[pos + 1]
        sims = self.index.quote_vectors[start:end] @ query
        asked = _quote_words(question)
        bonus = np.array([0.02 * len(asked & _quote_words(q)) for q in quotes])
        return quotes[int(np.argmax(sims + bonus))]

    def _study_stems(self, study: str) -> set[str]:
        """The stemmed words of a study's passages, its abbreviations spelled out (built on first use)."""
        with self._stems_lock:
            if study not in self._stems:
                lexicons = self.index.lexicons
                self._stems[study] = {
                    term for c in self.index.chunks if study in c.related_studies
                    for term in lexical_tokens(lexicons[c.document].expand(c.text))
                }
            return self._stems[study]

    def _outside_studies(self, question: str, studies: list[str], lexicon: Lexicon) -> bool:
        """A question that names a study but asks for an outcome none of that study's passages mention
        ("ORR in the EMMY study" when EMMY reports no ORR): the letter does not answer it."""
        if not studies or not self.settings.study_scope_check:
            return False
        # Only the letter's own defined terms count (ORR, OS, PFS, TEAE …, asked by name or spelled out):
        # everyday wording varies too much to demand it from one study's text.
        asked = {w for w in words(lexicon.expand(question)) if w in lexicon.abbreviations}
        wanted = set(lexical_tokens(" ".join(sorted(asked))))
        known = set().union(*(self._study_stems(sid) for sid in studies))
        return bool(wanted - known)

    def _answerable(self, question: str, top_dense: float, lexicon: Lexicon) -> bool:
        """Supported when the question has substance, every topic word of it occurs in the letter (one may
        be missing from a long question), and some passage is semantically close enough."""
        s = self.settings
        asked = content_words(question)
        if not asked or top_dense < s.min_dense:
            return False
        allowed = s.max_unknown_terms + (1 if s.long_question_words and len(asked) >= s.long_question_words else 0)
        return len(lexicon.unknown_terms(question)) <= allowed
