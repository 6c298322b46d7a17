"""The index: a folder of plain files with a manifest that fingerprints what built it.

    index/
      current -> builds/<build id>     (a symlink, swapped atomically when a build finishes)
      builds/<build id>/
        manifest.json    corpus hashes, model, chunker code hash and settings, counts, file hashes
        chunks.jsonl     one Chunk per line (ids, provenance, text)
        dense.faiss      FAISS index of the chunk embeddings (inner product on normalised vectors)
        quotes.npy       embeddings of the sentences / row lines a highlight is picked from
        documents.json   per letter: title, date, disclaimer, references, advice notice, lexicon
                         (with the WordNet synonyms of words the letter lacks)
        bm25/            the bm25s lexical index
        lexical.json     per chunk, by position: its text with the letter's abbreviations spelled out, and the
                         terms of that text and of what BM25 indexes (read at start instead of recomputed)
        encoder/         the ONNX export of the model (onnx backend): model.onnx, tokenizer.json, export.json
      .lock            held while a build runs

A build writes a new folder and only then moves `current`, so a failed or killed build leaves the old
index serving, and two builds cannot interleave (the lock). Loading checks the manifest against what the
settings would build now and the file hashes against the manifest, and refuses a mismatch.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from qa.chunk import Chunk, chunk_letter
from qa.config import Settings
from qa.errors import DocumentFormatError, IndexCorrupt, IndexLocked, IndexMismatch, IndexMissing
from qa.letter import Letter
from qa.lexicon import Lexicon, StudyProfile, build_lexicon, lexical_tokens
from qa.parse import parse_letter
from qa.venues import Venue

if TYPE_CHECKING:
    import bm25s
    import faiss

    from qa.embed import Encoder

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: every file of the build folder is hashed in the manifest, bm25/ included
KEEP_BUILDS = 2
MANIFEST = "manifest.json"


class Manifest(BaseModel):
    format_version: int
    build_id: str
    created_at: str
    corpus: dict[str, str]  # letter file name -> sha256
    corpus_hash: str
    model: str
    model_fingerprint: str
    tuning: str | None = None  # sha256 of the tuned encoder's patch the model was built with (qa.tune)
    chunker_version: str  # hash of the code that turns letters into chunks and lexicons
    chunking: dict[str, Any]
    chunk_count: int
    quote_count: int
    dimension: int
    index_type: str
    encoder_backend: str = "torch"  # torch, onnx-fp32 or onnx-int8-<quantisation> (qa.embed.backend_label)
    encoder_export: str | None = None  # sha256 of encoder/model.onnx, the graph that serves questions
    files: dict[str, str]  # file name -> sha256 (the export's files included)
    build_seconds: float


class DocumentInfo(BaseModel):
    """What a response needs from its letter, kept in the index so serving needs no re-parse."""

    id: str
    title: str
    last_updated: str
    disclaimer: str
    references: dict[int, str]
    advice_notice: str | None
    chunk_count: int
    abbreviations: dict[str, str]
    synonyms: dict[str, str]
    studies: list[dict[str, Any]]
    vocabulary: list[str]
    initialisms: dict[str, str] = {}
    thesaurus: dict[str, str] = {}  # stem of a word the letter lacks -> its WordNet synonym the letter uses
    kin: dict[str, list[str]] = {}  # stem of a word the letter uses -> stems of its synonyms the letter uses
    compounds: dict[str, str] = {}  # an English compound the letter lacks -> its one synonym the letter uses
    pertains: dict[str, list[str]] = {}  # stem of an adjective the letter lacks -> stems of its nouns it uses
    document_nouns: list[str] = []  # English nouns for a piece of writing, with which a question points at it
    venues: list[dict[str, Any]] = []  # where each referenced paper was published or presented
    medical_nouns: list[str] = []  # English nouns for an illness or a drug the letter does not name
    person_nouns: list[str] = []  # English nouns for a person the letter does not use: who asks, or for whom
    wording: list[str] = []  # English words WordNet reads as no noun ("combed", "upfront"): how a question asks
    drug_names: dict[str, str] = {}  # another name of a drug the letter names -> its name ("velcade" -> "bortezomib")
    qualified: dict[str, str] = {}  # words its row labels qualify with an initialism -> it ("performance status")

    def lexicon(self) -> Lexicon:
        return Lexicon(
            abbreviations=self.abbreviations,
            synonyms=self.synonyms,
            studies=[StudyProfile(id=s["id"], label=s["label"], names=set(s["names"]), phrases=set(s["phrases"]))
                     for s in self.studies],
            vocabulary=set(self.vocabulary),
            initialisms=self.initialisms,
            thesaurus=self.thesaurus,
            kin=self.kin,
            compounds=self.compounds,
            pertains=self.pertains,
            document_nouns=frozenset(self.document_nouns),
            venues=tuple(Venue(words=tuple(v["words"]), year=v["year"], author=v["author"]) for v in self.venues),
            medical_nouns=frozenset(self.medical_nouns),
            person_nouns=frozenset(self.person_nouns),
            wording=frozenset(self.wording),
            drug_names=self.drug_names,
            qualified=self.qualified,
        )


@dataclass
class LexicalForms:
    """Each chunk's lexical forms, by position: computed at build, read at start."""

    spelled: list[str]  # the text with the letter's abbreviations spelled out (`spelled_out`)
    spelled_terms: list[list[str]]  # its terms
    terms: list[list[str]]  # the terms BM25 indexes (`lexical_text`): the spelled text and the study's names


def lexical_forms(chunks: list[Chunk], lexicons: dict[str, Lexicon]) -> LexicalForms:
    spelled = [spelled_out(c, lexicons[c.document]) for c in chunks]
    return LexicalForms(
        spelled=spelled,
        spelled_terms=[lexical_tokens(text) for text in spelled],
        terms=[lexical_tokens(lexical_text(c, lexicons[c.document], spelled[pos])) for pos, c in enumerate(chunks)],
    )


@dataclass
class LoadedIndex:
    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    dense: faiss.Index
    quote_vectors: np.ndarray
    quote_offsets: np.ndarray  # chunk position -> first quote row (len = chunks + 1)
    bm25: bm25s.BM25
    documents: dict[str, DocumentInfo]
    lexicons: dict[str, Lexicon]
    lexical: LexicalForms


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_files(build: Path) -> list[str]:
    """Every file of a build folder but the manifest, as sorted paths relative to it ('bm25/vocab.index.json')."""
    return sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file() and p.name != MANIFEST)


def verify_files(build: Path, manifest: Manifest) -> None:
    """Every file the manifest lists hashes as listed, and no file is there that it does not list."""
    present = build_files(build)
    for name in sorted(set(manifest.files) | set(present)):
        path = build / name
        if name not in manifest.files:
            raise IndexCorrupt(f"{path} is not in the manifest's file hashes; rebuild with `qa build`")
        if not path.is_file() or sha256_file(path) != manifest.files[name]:
            raise IndexCorrupt(f"{path} is missing or differs from its manifest hash; rebuild with `qa build`")


def corpus_files(settings: Settings) -> list[Path]:
    files = sorted(p for p in settings.corpus_dir.glob("*.txt") if p.is_file())
    if not files:
        raise DocumentFormatError(str(settings.corpus_dir), 0, "no letters (*.txt) in the corpus folder")
    return files


# The modules whose output an index stores: a change to any of them makes a built index stale.
CHUNKER_MODULES = ("letter.py", "parse.py", "chunk.py", "lexicon.py", "thesaurus.py", "tokens.py", "venues.py",
                   "places.py", "drugs.py")


@functools.cache
def chunker_version() -> str:
    """A hash of the parsing, chunking and lexicon code, so no version number has to be bumped by hand."""
    digest = hashlib.sha256()
    for name in CHUNKER_MODULES:
        digest.update(name.encode() + b"\0" + (Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def expected_fingerprint(settings: Settings, model_fingerprint: str | None) -> dict[str, Any]:
    """The manifest fields an index must carry to be served with these settings. Without the model's weights
    (None: a serve-only installation) the export the index carries, verified by its hash, is what serves."""
    from qa.embed import backend_label

    corpus = {p.name: sha256_file(p) for p in corpus_files(settings)}
    expected = {
        "format_version": FORMAT_VERSION,
        "corpus": corpus,
        "model": settings.embedding.model,
        "model_fingerprint": model_fingerprint,
        "tuning": tuning_hash(settings),
        "chunker_version": chunker_version(),
        "chunking": settings.chunking.model_dump(),
        "encoder_backend": backend_label(settings.embedding),
    }
    if model_fingerprint is None:
        del expected["model_fingerprint"]
    return expected


def tuning_hash(settings: Settings) -> str | None:
    """The sha256 of the tuned encoder's patch the settings apply (checked against its bytes), or None."""
    from qa.tune import read_tuning

    folder = settings.embedding.tuning
    return None if folder is None else read_tuning(folder).patch_sha256


def advice_notice(letter: Letter) -> str | None:
    """The letter's own sentence declining to recommend practice: an uncited summary bullet on it."""
    for bullet in letter.summary:
        if not bullet.citations and "recommend" in bullet.text.lower():
            return bullet.text
    return None


def document_info(letter: Letter, chunk_count: int) -> DocumentInfo:
    lexicon = build_lexicon(letter)
    return DocumentInfo(
        id=letter.id,
        title=letter.title,
        last_updated=letter.last_updated,
        disclaimer=letter.disclaimer.text,
        references={n: r.text for n, r in letter.references.items()},
        advice_notice=advice_notice(letter),
        chunk_count=chunk_count,
        abbreviations=lexicon.abbreviations,
        synonyms=lexicon.synonyms,
        studies=[{**asdict(s), "names": sorted(s.names), "phrases": sorted(s.phrases)} for s in lexicon.studies],
        vocabulary=sorted(lexicon.vocabulary),
        initialisms=lexicon.initialisms,
        thesaurus=lexicon.thesaurus,
        kin=lexicon.kin,
        compounds=lexicon.compounds,
        pertains=lexicon.pertains,
        document_nouns=sorted(lexicon.document_nouns),
        venues=[{"words": list(v.words), "year": v.year, "author": v.author} for v in lexicon.venues],
        medical_nouns=sorted(lexicon.medical_nouns),
        person_nouns=sorted(lexicon.person_nouns),
        wording=sorted(lexicon.wording),
        drug_names=lexicon.drug_names,
        qualified=lexicon.qualified,
    )


def lexical_text(chunk: Chunk, lexicon: Lexicon, spelled: str | None = None) -> str:
    """What BM25 indexes: the chunk, its abbreviations spelled out (`spelled`, when the caller has it already),
    and its study's names."""
    text = spelled if spelled is not None else spelled_out(chunk, lexicon)
    for profile in lexicon.studies:
        if profile.id in chunk.related_studies:
            text = f"{text} {' '.join(sorted(profile.names))}"
    return text


def spelled_out(chunk: Chunk, lexicon: Lexicon) -> str:
    """The chunk with the letter's abbreviations spelled out and its generic names in the letter's form."""
    return lexicon.canonical(lexicon.expand(chunk.text))


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexLocked(f"another build holds {index_dir / '.lock'}; wait for it to finish") from exc
        yield


def build_index(settings: Settings, encoder: Encoder | None = None, progress: bool = True) -> Manifest:
    """Parse every letter, chunk, embed and write a new build, then point `current` at it.

    With the onnx backend the build carries its own export of the model (linked from the encoder given or
    the current build when made the same way, else exported with torch); `encoder` must match the settings.
    The lock is held from the start, so a second build fails at once instead of after embedding."""
    with build_lock(settings.index_dir):
        return _build_locked(settings, encoder, progress)


def _build_locked(settings: Settings, encoder: Encoder | None, progress: bool) -> Manifest:
    import bm25s
    import faiss

    started = time.perf_counter()
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    # The export is staged beside the build and moved into it with the other files (a failed build's stage
    # goes with the next build's _prune of partial folders).
    staged = settings.index_dir / "builds" / f".{build_id}.encoder.partial"
    encoder = _build_encoder(settings, encoder, staged)
    fingerprint = expected_fingerprint(settings, encoder.fingerprint)
    letters = [parse_letter(p) for p in corpus_files(settings)]
    ids = [letter.id for letter in letters]
    if len(set(ids)) != len(ids):
        raise DocumentFormatError(str(settings.corpus_dir), 0, "two letters share a file name stem")
    chunks: list[Chunk] = []
    documents: dict[str, DocumentInfo] = {}
    for letter in letters:
        c = settings.chunking
        letter_chunks = chunk_letter(letter, encoder.count_pieces, min(c.max_pieces, encoder.max_pieces - 2),
                                     c.overlap_pieces, c.group_rows)
        chunks.extend(letter_chunks)
        documents[letter.id] = document_info(letter, len(letter_chunks))
    lexicons = {d: info.lexicon() for d, info in documents.items()}
    if settings.embedding.backend == "onnx" and settings.embedding.quantization == "static":
        encoder = _calibrated(settings, staged, [c.text for c in chunks])

    vectors = encoder.encode([c.text for c in chunks], progress=progress)
    quotes = [q for c in chunks for q in (c.quotes or [c.text])]
    quote_vectors = encoder.encode(quotes, progress=progress)
    index_type = "flat" if len(chunks) <= settings.retrieval.flat_index_max else "hnsw"
    dense = make_faiss_index(vectors, index_type)
    lexical = lexical_forms(chunks, lexicons)
    bm25 = bm25s.BM25()
    bm25.index(lexical.terms, show_progress=False)

    builds = settings.index_dir / "builds"
    target = builds / build_id
    partial = builds / f".{build_id}.partial"
    partial.mkdir(parents=True)
    try:
        with (partial / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(chunk.model_dump_json() + "\n")
        faiss.write_index(dense, str(partial / "dense.faiss"))
        np.save(partial / "quotes.npy", quote_vectors)
        (partial / "documents.json").write_text(
            json.dumps({d: i.model_dump() for d, i in documents.items()}, ensure_ascii=False), encoding="utf-8"
        )
        bm25.save(str(partial / "bm25"), show_progress=False)
        (partial / "lexical.json").write_text(json.dumps(asdict(lexical), ensure_ascii=False), encoding="utf-8")
        if staged.exists():
            staged.rename(partial / "encoder")
        files = {name: sha256_file(partial / name) for name in build_files(partial)}
        manifest = Manifest(
            **fingerprint,
            build_id=build_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            corpus_hash=hashlib.sha256(json.dumps(fingerprint["corpus"], sort_keys=True).encode()).hexdigest(),
            chunk_count=len(chunks),
            quote_count=len(quotes),
            dimension=encoder.dimension,
            index_type=index_type,
            encoder_export=files.get("encoder/model.onnx"),
            files=files,
            build_seconds=round(time.perf_counter() - started, 3),
        )
        (partial / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        _fsync_tree(partial)
        partial.rename(target)
        _point_current(settings.index_dir, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _prune(builds, keep=target)
    logger.info("built index %s: %d chunks in %.1fs", build_id, len(chunks), manifest.build_seconds)
    return manifest


def _build_encoder(settings: Settings, encoder: Encoder | None, folder: Path) -> Encoder:
    """The encoder a build embeds with. For onnx, the build's own export in `folder`: an earlier one made the
    same way (the given encoder's, or the current build's) linked in, else exported now with torch. Static
    int8 starts from the fp32 export: it is calibrated once the chunks exist (`_calibrated`)."""
    from qa.embed import backend_label, torch_encoder

    if encoder is not None and encoder.backend != backend_label(settings.embedding):
        raise ValueError(f"a {encoder.backend} encoder cannot build a {backend_label(settings.embedding)} index")
    if settings.embedding.backend == "torch":
        return encoder or torch_encoder(settings)
    from qa import export
    from qa.embed_onnx import OnnxEncoder

    embedding = settings.embedding
    if embedding.quantization == "static":
        embedding = embedding.model_copy(update={"quantization": "none"})
    model_path = settings.model_path()
    key = export.export_key(model_path, embedding)
    given = encoder.folder if isinstance(encoder, OnnxEncoder) else None
    if export.reuse(key, folder, [f for f in (given, settings.index_dir / "current" / "encoder") if f]):
        if isinstance(encoder, OnnxEncoder) and encoder.meta.get("key") == key:
            return encoder  # the same export, already loaded
    else:
        export.export(model_path, embedding, folder)
    return OnnxEncoder(folder, settings.embedding)


def _calibrated(settings: Settings, folder: Path, texts: list[str]) -> Encoder:
    """The fp32 export in `folder` replaced by its static int8 quantisation, calibrated on the chunk texts."""
    from qa import export
    from qa.embed_onnx import OnnxEncoder

    export.quantize_static_export(folder, settings.embedding, texts)
    return OnnxEncoder(folder, settings.embedding)


def make_faiss_index(vectors: np.ndarray, index_type: str) -> faiss.Index:
    import faiss

    dim = vectors.shape[1]
    index: faiss.Index
    if index_type == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.hnsw.efSearch = 64
        index = hnsw
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _fsync_tree(folder: Path) -> None:
    for f in folder.rglob("*"):
        if f.is_file():
            with f.open("rb") as handle:
                os.fsync(handle.fileno())


def _point_current(index_dir: Path, target: Path) -> None:
    link = index_dir / "current"
    tmp = index_dir / f".current.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target.relative_to(index_dir))
    os.replace(tmp, link)  # atomic: readers see the old build or the new one, never neither


def _prune(builds: Path, keep: Path) -> None:
    """Keep the newest builds; drop the partial folders of builds that were killed (the lock is held)."""
    for partial in builds.glob(".*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for old in done[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_build(index_dir: Path) -> Path:
    link = index_dir / "current"
    if not (link / "manifest.json").exists():
        raise IndexMissing(f"no index in {index_dir}; build it with `qa build`")
    return link.resolve()


def read_manifest(index_dir: Path) -> Manifest:
    path = current_build(index_dir) / "manifest.json"
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        problem = exc.__class__.__name__
        raise IndexCorrupt(f"{path} is not a valid manifest ({problem}); rebuild with `qa build`") from exc


def check_manifest(manifest: Manifest, settings: Settings, model_fingerprint: str | None, where: Path) -> None:
    expected = expected_fingerprint(settings, model_fingerprint)
    problems = [key for key, value in expected.items() if getattr(manifest, key) != value]
    if problems:
        raise IndexMismatch(
            f"the index in {where} was built with other {', '.join(problems)} than the current settings and "
            f"corpus; rebuild it with `qa build` (or `qa serve`, which rebuilds a stale index)"
        )


def load_index(settings: Settings, model_fingerprint: str | None, verify: bool = True) -> LoadedIndex:
    import bm25s
    import faiss

    build = current_build(settings.index_dir)
    manifest = read_manifest(settings.index_dir)
    if verify:
        check_manifest(manifest, settings, model_fingerprint, build)
    verify_files(build, manifest)
    try:
        chunks = [Chunk.model_validate_json(line) for line in (build / "chunks.jsonl").open(encoding="utf-8")]
        dense = faiss.read_index(str(build / "dense.faiss"))
        quote_vectors = np.load(build / "quotes.npy")
        raw_docs = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        documents = {d: DocumentInfo.model_validate(v) for d, v in raw_docs.items()}
        bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
        lexicons = {d: info.lexicon() for d, info in documents.items()}
        forms = build / "lexical.json"
        lexical = LexicalForms(**json.loads(forms.read_text(encoding="utf-8"))) if forms.exists() else \
            lexical_forms(chunks, lexicons)  # (a build made before the forms were stored)
    except Exception as exc:  # a file that hashes right but does not load: report, never serve half an index
        raise IndexCorrupt(f"{build} could not be loaded ({exc}); rebuild with `qa build`") from exc
    if len(chunks) != manifest.chunk_count or dense.ntotal != len(chunks) or len(lexical.spelled) != len(chunks) \
            or len(quote_vectors) != manifest.quote_count:
        raise IndexCorrupt(f"{build}: file sizes disagree with the manifest; rebuild with `qa build`")
    counts = [len(c.quotes or [c.text]) for c in chunks]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return LoadedIndex(
        path=build,
        manifest=manifest,
        chunks=chunks,
        dense=dense,
        quote_vectors=quote_vectors,
        quote_offsets=offsets,
        bm25=bm25,
        documents=documents,
        lexicons=lexicons,
        lexical=lexical,
    )
