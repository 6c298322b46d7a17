"""Hybrid retrieval as a pipeline of stages over one analysed question (`qa.query.Query`):

1. candidates: every chunk (a flat index) or each side's best (HNSW), with its cosine (the chunk or its best
   sentence / row line) and its BM25 score over the letter's canonical terms;
2. features and fusion: a weighted sum of cosine and max-normalised BM25, plus the study the question names,
   the passage kind it asks for, the table structure (how much of a row's own label the question names, a
   number where a number is asked), and term coverage (the share of the question's rarer terms a passage
   holds at all);
3. the learned ranker (`qa.rank`): the fused top `ranker_depth` re-ordered by weights learned on the training
   questions over the fusion's parts and a few more features, mixed with the fused score;
4. ranking and a highlight per passage;
5. answerability: whether the letter answers the question at all.

Each stage past the first can be switched off in `RetrievalSettings`, so `qa eval --ablate` measures it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Collection
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from qa.chunk import Chunk
from qa.config import RetrievalSettings
from qa.embed import Encoder
from qa.index import LoadedIndex
from qa.lexicon import (
    COMPARISONS,
    COMPOUND,
    GRAMMAR_ZIPF,
    REPEAT,
    STOPWORDS,
    Lexicon,
    content_words,
    lexical_tokens,
    thresholds,
    words,
    written_english,
    zipf,
)
from qa.places import PLACES
from qa.query import (
    GUIDELINE_ASKED,
    HAZARD_RATIO,
    ORDINALS,
    ROLE_WORD,
    STATUS_ASKED,
    Query,
    analyse,
    asked_sentences,
    asks_the_label,
    grade_sets,
    landmarks,
    lay_measures,
)
from qa.rank import FEATURES, KINDS, Ranker, load_ranker, mixed
from qa.venues import CONTACT_FIELDS, SEARCH_FIELDS, fields_asked, fields_given, venue_words

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"\d")
COMPARISON_TERMS = frozenset(term for _, term in COMPARISONS)  # "≥", "or better", "at least" -> atleast, …
FIGURE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)")  # a number standing alone: not the 38 of "anti-CD38"
RANGE = re.compile(r"\d+-\d+")  # a span of numbers a row stands for ("75-79" years, "0-1" ECOG)
LABEL = re.compile(r"[a-z]\d{1,2}")  # a label of a group or a time ("d1", "p1", "t0"), lower-cased
# Two labels as a pair (Souren et al's rows "D1 and D2", "D2 and D3"), and as a question asks what lies between two
# ("the time between D1 and D3").
_PAIRED = r"([A-Za-z]\d{1,2})\s*(?:and|to|-|–|&)\s*([A-Za-z]\d{1,2})\b"
LABEL_PAIR = re.compile(rf"\b{_PAIRED}")
BETWEEN_LABELS = re.compile(rf"\b(?:between|from)\s+{_PAIRED}", re.IGNORECASE)
CI_ASKED = re.compile(r"\b(?:CIs?|confidence intervals?)\b", re.I)  # a confidence interval asked
CI_STEMS = frozenset(lexical_tokens("CI confidence"))  # … and given, as a statement's stems
# The sub-sections where a study reports what it measured: its population, its results.
REPORTED_SECTIONS = ("Patient Characteristics", "Efficacy", "Safety")
OUTCOME_SECTIONS = ("Efficacy", "Safety")  # where it reports its results
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# A calendar date as letters write them: a month and a year (with a day or not), or day/month/year in digits.
CALENDAR_DATE = re.compile(rf"\b{MONTH}\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d\b|\b\d{{1,2}}\s+{MONTH}\s+(?:19|20)\d\d\b|"
                           r"\b\d{1,2}/\d{1,2}/(?:19|20)\d\d\b", re.I)


@lru_cache(maxsize=65_536)
def _quote_words(quote: str) -> frozenset[str]:
    """A quote's content words, memoised: folding every quote of every passage again on each request cost
    ~0.1 ms of the ~1.2 ms a search takes besides encoding. Only the letter's quotes are cached (a bounded
    set); questions are not, or every distinct question asked would stay in memory until the cache fills."""
    return frozenset(content_words(quote))


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
    refused_by: str | None = None  # the rule that refused it and what it found missing ("grade_scope_check: grade 4")


@dataclass(frozen=True, slots=True)
class StudyWords:
    """What one study's passages say, for the study-scope check."""

    stems: frozenset[str]  # every passage's stemmed words, abbreviations spelled out (and back)
    reported: frozenset[str]  # the same of the passages that report figures: baseline and results, tables
    phrases: frozenset[str]  # runs of 3-5 words as written, for the initialisms a reader forms
    reported_measures: frozenset[str]  # the measures of time (`TIME_MEASURE`) its figure-reporting passages name
    dated: bool  # some passage gives a calendar date ("January 1, 2018", "May 2016", "06/11/2025")
    landmarks: frozenset[int]  # the time points its rates are given at, in months ("6-month PFS": 6)
    intervals: bool = False  # some passage states a time between two treatments (`INTERVAL_STATED`)
    interval_required: bool = False  # some passage states a least time off treatment (`INTERVAL_REQUIRED_STATED`)
    time_on_treatment: bool = False  # some passage states how long a treatment lasted (`TIME_ON_TREATMENT_STATED`)
    retreatment_duration: bool = False  # … a retreatment (a passage of that duration speaks of retreatment)
    sited: bool = False  # some passage names where the study was done (`SITE_STATED`)
    partnered: bool = False  # some row of it counts patients by what was combined with the antibody (`COMBINATION_ROW`)
    centred: bool = False  # some passage says at how many centers (`CENTRES_STATED`)
    defines: bool = False  # some passage defines a term (`DEFINITION_STATED`)
    sourced: bool = False  # some passage says where its data came from (`SOURCE_STATED`)
    trial_named: bool = False  # some passage names a trial or study by its acronym (`TRIAL_NAMED`)
    death_causes: bool = False  # some passage says what patients died of (`DEATH_CAUSE_STATED`)
    deaths: bool = False  # some passage counts deaths or patients alive (`DEATHS_STATED`)
    # the results (response, survival) it gives of patients by a therapy in between, as stems: EMMY's {"os"}
    intervening_results: frozenset[str] = frozenset()
    reasons: bool = False  # some passage gives a reason for what happened (`REASON_STATED`)
    results_explained: bool = False  # some sentence gives a reason for a survival or response it reports
    aberrations: bool = False  # some passage names a cytogenetic aberration (`ABERRATION`)
    stops_counted: bool = False  # some passage counts the patients who stopped, by cause (`STOPS_COUNTED`)
    exclusions_counted: bool = False  # some sentence on exclusions gives two figures or more
    instituted: bool = False  # some passage names the institution it was done at (`INSTITUTION_STATED`)
    others_listed: bool = False  # some passage lists what its "other" group holds (`OTHERS_LISTED`)
    next_therapy: bool = False  # some passage tells what followed a retreatment (`NEXT_THERAPY_STATED`)
    retreatment_orders: frozenset[int] = frozenset()  # the retreatments it numbers (`RETREATMENT_ORDINAL`): {2}
    retreatment_lines: frozenset[str] = frozenset()  # the label of the line it retreated in (`RETREATMENT_LINE`)
    safety: bool = False  # some passage speaks of safety (`SAFETY`)
    stop_reasons: bool = False  # some sentence gives a reason for stopping (`STOP_REASON_STATED`)
    noted_rows: frozenset[str] = frozenset()  # the stems of the labels of rows with a note, but the drug's names
    # whom it excluded, when it gives no reason for it: the rarer stems of its exclusion criteria ("… initial
    # DARZALEX-based treatment in the newly diagnosed multiple myeloma (NDMM) setting")
    excluded_unexplained: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()  # the details of its method some passage states (`METHODS`)
    # The passages that give adverse-event grades: their stems, and the grades each names ({1}, {3, 4} …)
    graded: tuple[tuple[frozenset[str], frozenset[frozenset[int]]], ...] = ()
    # What each statement giving a test statistic (a P value, a hazard ratio, "no significant difference") holds:
    # the words of a sentence, or of a table passage, abbreviations spelled out and back; and whether it gives
    # a hazard ratio
    tested: tuple[tuple[frozenset[str], bool], ...] = ()


@dataclass(slots=True)
class Scores:
    """One search's candidates and their scores, as parallel arrays (index i: chunk `positions[i]`)."""

    positions: np.ndarray
    cosine: np.ndarray  # the higher of the chunk's and its best quote's
    chunk_cosine: np.ndarray
    quote_cosine: np.ndarray
    bm25: np.ndarray
    fused: np.ndarray  # the fusion with its boosts (-inf: a letter not asked for)
    final: np.ndarray  # what passages are ordered by: the fused score, moved by the learned ranker
    reranked: np.ndarray  # re-ordered by the learned ranker (these come first)
    in_named_study: np.ndarray  # by chunk position (not candidate): of a study the question names
    structure: np.ndarray
    coverage: np.ndarray
    top_dense: float


# A statement giving a test statistic: a P value, a hazard ratio, or whether a difference was significant.
STATISTIC_GIVEN = re.compile(r"\bP\s*(?:value|[=<>≤≥])|\bHR\b|hazard ratio|\bsignifican", re.I)
# The statistics' own abbreviations, which are not what was compared (hazard ratio, confidence interval).
STATISTIC_TERMS = frozenset({"hr", "ci"})
# Whether something made a difference to an outcome, asked yes or no: "did being refractory change how long they
# lived", "was there any difference in OS by …", "does it matter for PFS whether …".
DIFFERENCE_ASKED = re.compile(r"^(?:[^?]*?[.:;-]\s+)?(?:did|does|do|was|were|is)\b[^?]*?\b(?:chang\w*|affect\w*|"
                              r"alter\w*|influenc\w*|impact\w*|matter\w*|differ\w*|make\s+(?:a|any)\s+(?:\w+\s+)?"
                              r"(?:difference|odds))\b", re.I)

# The intents that ask the letter about itself: its literature search, its notice.
APPARATUS_ASKED = frozenset({"literature_search", "disclaimer"})

# The units a row label gives its figures in.
TIME_UNITS = frozenset(lexical_tokens("days weeks months years"))

# A figure quoted back with the question what it is: "'9/13 (41/59)' - what is being counted there?", "says '100
# of 119' - what does that refer to?". The passage that prints the figure answers, whatever its words.
FIGURE_MEANING = re.compile(r"\b(?:what\s+(?:does|do|is|are)\s+(?:that|this|it|they|these|those|the\s+figures?|"
                            r"the\s+numbers?)?\s*(?:refer(?:ring)?\s+to|mean|represent|measure|stand\s+for|describe)|"
                            r"what\s+(?:is|are)\s+being\s+(?:counted|measured|described|reported)|refers?\s+to|"
                            r"what\s+(?:is|was|were)\s+(?:that|this|it)\s+(?:a\s+)?(?:count|measure|figure)\s+of)\b",
                            re.I)
# A figure as a question quotes it: two digits or more, or a ratio or decimal ("9/13", "41.6").
QUOTED_FIGURE = re.compile(r"(?<![\w./])\d+(?:[./]\d+)+(?![\w/])|(?<![\w./])\d{2,}(?![\w./])")


def _prints_figures(query: Query, text: str) -> bool:
    """Whether a question quotes figures, asks what they are, and `text` prints every one of them."""
    figures = QUOTED_FIGURE.findall(query.topic)
    return bool(figures and FIGURE_MEANING.search(query.topic)) and all(
        re.search(rf"(?<![\w./]){re.escape(f)}(?![\w/])", text) for f in figures)


# A statistical method, as a question asks it and as a study would name it: "which statistical test", "log-rank",
# "Cox regression", "Kaplan-Meier".
STATISTICAL_METHOD = re.compile(r"\b(?:statistical|stats?)\s+(?:tests?|methods?|analys[ie]s|approach(?:es)?|models?)\b"
                                r"|\b(?:log-?rank|cox|kaplan[- ]meier|chi-?squared?|fisher'?s exact|wilcoxon|"
                                r"mann-whitney|t-tests?|multivariate|multivariable|regression|covariates?|"
                                r"confounders?|propensity|adjusted (?:for|by))\b", re.I)

# What names a grade rather than the event graded ("grade 3/4", "all grades", "any grade").
GRADE_STEMS = frozenset(lexical_tokens("grade grades any all"))
# A statement that every event of a kind had one grade ("All IRRs were of grade 1."): it answers whatever grade is
# asked of them (none was grade 3).
EVERY_ONE_GRADE = re.compile(r"\ball\b[^.;]*?\b(?:were|was)\s+(?:of\s+)?grades?\s*\d", re.I)

# Words as the letter's initialisms are read from it (`qa.lexicon.initialisms`): letters and hyphens.
PHRASE_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")


# A measure of time as endpoints are named ("time to next treatment", "time to first response", "duration of
# response"): its words are everyday English, so only the phrase tells one measure from another.
TIME_MEASURE = re.compile(r"\b(?:time to (?:(?:first|next) )?|duration of )(?!(?:months|weeks|days|years)\b)"
                          r"[a-z][a-z-]*")
# Whether a study assessed something ("did the Freiburg study assess how long responses lasted?"): its design.
ASSESSED_ASKED = re.compile(r"\b(?:did|do|does|was|were|is|are)\b[^?]*?\b(?:assess|measur|evaluat|analy[sz]|"
                            r"look\w*\s+at|track|collect|record|captur)\w*", re.IGNORECASE)
# Whether a measure was an endpoint, asked ("was DUR an endpoint", "which endpoints"), not said in a scene.
_ENDPOINT = r"(?:end-?\s?points?|outcome\s+measures?|objectives?)"
ENDPOINT_ASKED = re.compile(rf"(?:\b(?:was|were|is|are)\b|['’]s\b)[^?]*?\b{_ENDPOINT}\b|"
                            rf"\b(?:what|which)\s+(?:\w+\s+){{0,3}}?{_ENDPOINT}\b", re.IGNORECASE)


def figure_asked(query: Query) -> bool:
    """Whether a question asks a measure's figure ("Souren - duration of response for each line?"), not whether it
    was assessed ("did they measure how long responses lasted"), an endpoint ("was DUR an endpoint"; a number
    word asks the figure after all: "DUR was an endpoint - what was the median DUR?") or what its abbreviation
    stands for ("what does DUR mean in Souren?")."""
    asking = asked_sentences(query.topic) or query.topic
    return not ASSESSED_ASKED.search(asking) and not STANDS_FOR.search(asking) and (
        query.quantity or not ENDPOINT_ASKED.search(asking))


# The same measure asked in everyday words: "how long did the responses last" is the duration of response.
# "How long did it take them to respond" and "how long before they responded" are the time to response.
RESPONDING_ASKED = re.compile(r"\bhow\s+(?:quickly|fast|soon|rapidly)\b[^?.]*?\brespon\w*"
                              r"|\bhow\s+long\s+(?:did\s+it\s+take|does\s+it\s+take|it\s+took|before|until|till)\b"
                              r"[^?.]*?\brespon(?:d|ded|ding|se)\b", re.IGNORECASE)
LASTING_ASKED = re.compile(r"\bhow\s+long\b[^?.]*?\b(response|remission)s?\b[^?.]*?\b(?:last|lasted|persist(?:ed)?|"
                           r"held|hold\s+up|held\s+up|maintained|endure[d]?)\b", re.IGNORECASE)


# A group of patients by its size, as a question names it: "the 100 patients who …", "among the 29 patients".
SIZED_GROUP = re.compile(r"\b(?:the|those|these|of|in|among|all)\s+(\d+)\s+"
                         r"(?:(?:[\w-]+\s+)?(?:patients|pts|people)|who)\b"
                         r"|\(\s*n\s*=\s*(\d+)\s*\)|\b(\d+)-(?:pts?|patients?|people|person)\b", re.IGNORECASE)

# A group a study's baseline prose counts by a compound: "Of the 119 patients who were DARZALEX-refractory, …".
COUNTED_GROUP = re.compile(r"\b\d+\s+(?:\(\d+(?:\.\d+)?%\)\s+)?patients\s+(?:who\s+)?(?:were|had)\s+([\w]+(?:-[\w]+)+)",
                           re.IGNORECASE)

# What a number asked counts: "how many cycles", "the median number of DARZALEX cycles".
NUMBER_OF = re.compile(r"\b(?:(?:median |mean |average )?(?:number of|how many)|median|mean|average)\s+"
                       r"((?:[\w-]+\s+)?[\w-]+)", re.IGNORECASE)

# What a study required of its patients: its criteria, which its design gives.
CRITERIA_ASKED = re.compile(r"\b(?:criteri(?:a|on)|inclu(?:sion|ded|de)|eligib\w*|requir\w*|minimum|at least)\b",
                            re.IGNORECASE)

# The size of a group as the letter gives it: a column's "N=474", a row's "(n=29)".
GROUP_SIZE = re.compile(r"\b[nN]\s*=\s*(\d+)\b")

# What a paper found or advised, as a question asks it: its conclusions, outcomes, results, recommendations,
# advice, whether the treatment worked and how well patients did. A paper the letter only lists gives none of
# them, only its reference entry. Where or when it was shown is where it appeared, which its entry gives.
FINDINGS = re.compile(r"\b(?:conclu(?:de|ded|sion|sions)|findings?|finds?|found|outcomes?|results?|show(?:s|ed|n)?|"
                      r"demonstrat(?:e|es|ed)|suggest(?:s|ed)?|recommend(?:s|ed|ations?)?|report(?:s|ed)?|"
                      r"say|says|said|advi(?:ce|se|sed|ses)|tips?|guidance|lessons?|take-?aways?|"
                      r"work(?:s|ed)?|how well|(?:do|does|did) (?:well|better|worse)|far(?:e|es|ed))\b", re.IGNORECASE)
# (where or when a paper appeared: "when was it presented", not "when daratumumab was started")
VENUE_ASKED = re.compile(r"\b(?:where|when)\b(?=[^?.;]*\b(?:publish|present|appear|print))"
                         r"|\bwhich (?:meeting|journal|conference|congress|year)\b", re.IGNORECASE)

# The time between two treatments, as a question asks it ("median gap between consecutive lines", "how soon
# after finishing the first line") and as a study states it ("Median time interval between", "Median time to
# retreatment from the end of …", "Time from diagnosis to T0"): a study stating none gives no such interval.
INTERVAL_ASKED = re.compile(r"\b(?:time|duration|interval|gap|how long|how soon|how many (?:months|weeks|days))\b"
                            r"[^?]*?\b(?:between|from (?:the )?end|after (?:finishing|stopping|the end))\b"
                            r"|\btime (?:to|until) retreatment\b"
                            r"|\btime from\b[^?]*?\bto (?:(?:the |their |first |start of )*)(?:re-?treatment|"
                            r"retreat\w*|treatment|therapy|t0)\b", re.IGNORECASE)
# How long patients stayed on a treatment, as a question asks it ("how long did pts stay on their first dara
# regimen", "how long did the first retreatment line last", "median treatment duration"; not how long responses
# lasted or patients stayed free of progression) and as a study states it (Souren et al's "Median duration (range)
# [weeks]" of each line, Szabo et al's "Duration of index regimen"; not a duration of follow-up, of response or
# between lines).
TIME_ON_TREATMENT_ASKED = re.compile(
    r"\bhow\s+long\b[^?]*?\b(?:stay(?:ed)?|remain(?:ed)?|spen[dt]|kept|continued)\s+on\b|"
    r"\bhow\s+long\s+(?:were|was)\b[^?]*?\bon\s+(?:their|the|this|that|each|his|her)\b|"
    r"\bhow\s+long\b[^?]*?\b(?:line|regimen|course|treatment|therapy)\b[^?]*?\blast(?:ed)?\b|"
    r"\b(?:treatment|therapy)\s+duration\b|\btime\s+on\s+(?:treatment|therapy)\b|"
    r"\bduration\s+of\s+(?:the\s+)?(?:(?:first|initial|index|retreatment|re-treatment)\s+)?"
    r"(?:treatment|therapy|regimen|line|course)\b", re.IGNORECASE)
TIME_ON_TREATMENT_STATED = re.compile(r"(?<!follow-up )\bduration\b(?!\s+(?:of\s+(?:response|follow-up)|between))",
                                      re.IGNORECASE)
# A least time off treatment a study required before retreatment, as a question asks it ("was a minimum dara-free
# interval required", "what washout did they require") and as a criterion would state it ("at least 3 months").
_GAP = r"(?:intervals?|gaps?|time\s+off|breaks?|washouts?|[\w-]+-free\s+(?:intervals?|periods?))"
INTERVAL_REQUIRED_ASKED = re.compile(rf"\bwashouts?\b|\b(?:minimum|minimal|least|required|requires?|mandatory|needed)\b"
                                     rf"[^?]*?\b{_GAP}\b|\b{_GAP}\b[^?]*?\b(?:required|needed|mandated|minimum)\b",
                                     re.IGNORECASE)
INTERVAL_REQUIRED_STATED = re.compile(r"\b(?:at\s+least|minimum\s+of|≥)\s*\d+\s*(?:days|weeks|months)\b|\bwashout\b",
                                      re.IGNORECASE)
INTERVAL_STATED = re.compile(r"\b(?:time|duration|interval)\b[^\n]*?\bbetween\b|\btime (?:from|to retreatment)\b",
                             re.IGNORECASE)

# How a study defined a term, as a question asks it ("how did EMMY define refractory status") and as a study gives
# one: "defined as", "classified into", inclusion "criteria", a label set against its meaning ("D1 – First
# DARZALEX treatment"). A study giving none (EMMY) defines nothing the letter can quote.
DEFINITION_ASKED = re.compile(r"\b(?:define[ds]?|defining|definitions?|classif(?:y|ied|ies|ying|ication))\b|"
                              r"\bcount(?:s|ed)?\s+(?:\w+\s+){0,3}?(?:as|toward|towards)\b|"
                              # how a study told one group from another ("how did EMMY decide who was
                              # 'sensitive' - what cutoff?", "what criterion separated responsive patients")
                              r"\bdecide[ds]?\s+(?:who|whether|which|if)\s+(?:\w+\s+){0,2}?(?:was|were|is|are)\b|\bcut-?\s?offs?\b|"
                              r"\bthresholds?\b|\bcriteri(?:on|a)\b[^?]*?\b(?:count|call|decid|judg|separat|distinguish|"
                              r"consider|deem|designat)\w*|\bcriteri(?:on|a)\b[^?]*?\blabel(?:l?ed|l?ing|s)?\s+"
                              r"(?:someone|somebody|patients?|them|people|a\s+patient)\b|"
                              # what a group is made of ("which drug classes make up tri-refractory", "quadri-
                              # refractory - which four drugs does that refer to", "refractory to which drugs")
                              r"\b(?:make|makes|made|making)\s+up\b|\brefers?\s+to\b|\bmeant?\s+by\b|"
                              r"\b(?:refractory|exposed)\s+to\s+which\b", re.IGNORECASE)
DEFINITION_STATED = re.compile(r"\bdefin\w*|\bclassified\b|\bcriteria\b|^\s*(?:•\s*)?[A-Z]\w{0,3} – ",
                               re.IGNORECASE | re.MULTILINE)

# The term a definition question asks of ("how did Tan et al define DARZALEX-refractory", "what definition of
# extramedullary disease", "how was high risk defined"): up to three words after the asking verb, or between "how
# was" and "defined".
TERM_DEFINED = re.compile(r"\b(?:define[ds]?|defining|definitions?\s+of|classif(?:y|ied|ies|ying))\s+"
                          r"(?:the\s+|their\s+|a\s+|an\s+)?(?:terms?\s+)?(?P<after>[^?.,;:()]+)|\bhow\s+(?:was|were|is|are)\s+"
                          r"(?P<between>(?:[\w'’+/-]+\s+){1,3}?)(?:defined|classified)\b|"
                          # … or after whom a study's criteria name so ("what criteria did they use to call someone
                          # dara-refractory")
                          r"\b(?:call|label|deem|designate|count|consider)(?:l?ed|s)?\s+(?:someone|somebody|patients?|"
                          r"them|people|a\s+patient)\s+(?:as\s+)?(?:(?:having|being)\s+(?:become\s+|been\s+|gone\s+)?)?"
                          r"(?P<called>[^?.,;:()]+)"
                          # … what counted as one, or what a study means by it
                          r"|\b(?:what|which)\s+(?:\w+\s+)?(?:counted|counts|was\s+counted|qualified)\s+as\s+"
                          r"(?:an?\s+|the\s+)?(?P<counted>[^?.,;:()]+)|\bmeant?\s+by\s+(?:an?\s+|the\s+)?(?P<meant>[^?.,;:()]+)"
                          # … or the cutoff of one ("the M-protein drop cutoff for MR")
                          r"|(?<!data\s)(?<!data-)\b(?:cut-?offs?|thresholds?)\s+(?:for|of)\s+(?:an?\s+|the\s+)?(?P<cutoff>[^?.,;:()]+)",
                          re.IGNORECASE)

# Where a study's data came from, as a question asks it ("which registry", "where did they get their data from")
# and as a study states it ("The clinics medical information and documentation system was utilized to collect all
# disease specific data", a chart review). A study stating none does not say.
SOURCE_ASKED = re.compile(r"\b(?:which|what)\s+(?!(?:proportion|share|percentage|percent|fraction|number)\b)"
                          r"(?:[\w-]+\s+){0,3}?(?:registr(?:y|ies)|databases?|data\s?sources?|"
                          r"datasets?)\b|\bwhere\b[^?]*\bdata\b[^?]*\bfrom\b", re.IGNORECASE)
SOURCE_STATED = re.compile(r"\b(?:registry|registries|databases?|documentation system|(?:medical|health) records|"
                           r"chart review|data (?:were|was) (?:collected|obtained|extracted))\b", re.IGNORECASE)

# Safety in general words ("any toxicity data", "AE / tox", "side effects", "how well tolerated"), as a question asks
# it and as a study reports it. A study using none of them (EMMY, Tan et al) reports no safety; one that names
# toxicity only as a reason for stopping (Szabo et al) is asked of what it says.
SAFETY = re.compile(r"\b(?:safety|safe|toxicit(?:y|ies)|tox|side[- ]?effects?|T?AEs?|tolerab\w*|tolerated|"
                    r"adverse\s+(?:events?|effects?|reactions?))\b", re.IGNORECASE)

# What patients died of, as a question asks it ("what did they die of", "the causes of death") and as a study would
# give it ("died of progressive disease", "deaths were due to infection"). A count of patients alive, or a sentence
# that no treatment-related deaths were reported, gives no cause.
DEATH_CAUSE_ASKED = re.compile(r"\bcauses?\s+of\s+(?:the\s+)?deaths?\b|\bwhat\s+(?:did|do)\s+(?:[\w-]+\s+){1,8}?die\s+"
                               r"(?:of|from)\b|\bwhy\s+did\s+(?:[\w-]+\s+){1,8}?die\b|\bwhat\s+(?:did|do)\s+(?:[\w-]+\s+){1,8}?"
                               r"pass\s+away\s+(?:of|from)\b", re.IGNORECASE)
DEATH_CAUSE_STATED = re.compile(r"\bcauses?\s+of\s+death\b|\bdied\s+(?:of|from)\b|\bdeaths?\s+(?:was|were)\s+"
                                r"(?:due|attributed|related)\s+to\b", re.IGNORECASE)
# A therapy given between two courses of the drug, as a question names patients by it ("another therapy in between",
# "slotted in between the two courses", "straight back on it"; "back-to-back" is read as "consecutive"); and the
# words of a response or survival result. A study that only counts those patients ("Therapy line in between
# yes/no") gives no result of theirs.
INTERVENING = re.compile(r"\b(?:in\s+between|intervening|slotted|straight\s+back|(?:non-?)?consecutive|"
                         r"middle\s+lines?|(?:given|had|received)\s+between)\b", re.IGNORECASE)
RESULT_STEMS = frozenset(lexical_tokens("ORR PFS OS DUR response responded survival progression-free"))
RESULT_MEASURES = frozenset(lexical_tokens("ORR PFS OS DUR"))  # which result, when a question names one

# How many died, as a question asks it, and as a study gives it (deaths, or the patients alive); not death as part
# of an endpoint ("before progressing or dying": PFS; "the risk of dying": OS's hazard ratio).
DEATHS_ASKED = re.compile(r"\b(?:died|dead|deaths?|passed\s+away|dying)\b", re.IGNORECASE)
DEATH_IN_ENDPOINT = re.compile(r"\b(?:progress\w*|relaps\w*)\s+or\s+(?:dying|death|died)\b"
                               r"|\brisk\s+of\s+(?:dying|death)\b|\b(?:dying|death|died)\s+or\s+(?:progress\w*|relaps\w*)",
                               re.IGNORECASE)
DEATHS_STATED = re.compile(r"\b(?:deaths?|died|alive)\b", re.IGNORECASE)

# What a group the letter labels "other" is made of, as a question asks it ("which races make up the 'Other/unknown'
# group", "which drugs were combined with daratumumab in D-other", "which partners were counted under DARZALEX/Other"):
# the label as a table writes it, and a verb or determiner of membership. A study listing its "other" ("Other
# includes cyclophosphamide, venetoclax …") answers it; one that only counts the group does not.
OTHER_LABEL = re.compile(r"[\w+]\s*[/+-]\s*other\b|\bother\s*/\s*\w|['\"‘“]others?\b|"
                         r"\bother['\"’”]?\s+(?:group|category|cohort|arm|bucket|row)\b|"
                         r"(?<!\w)['\"‘“][^'\"‘“’”?]{0,30}\bother\b[^'\"‘“’”?]{0,30}['\"’”](?!\w)", re.IGNORECASE)
MEMBERSHIP_ASKED = re.compile(r"\b(?:which|what)\b[^?]*?(?:\bmakes?\s+up\b|\bmade\s+up\b|\bcompris\w*|\bconsist\w*|"
                              r"\binclud\w*|\bcounted\b|\bcombined\b|\bgrouped\b|\blumped\b|\bclassed\b|"
                              r"\bcategori[sz]ed\b|\bf[ae]ll\s+(?:under|into|in)\b|\b(?:were|are|was|is)\s+in\s+(?:that|this|the)\b|"
                              r"\b(?:were|are)\s+(?:they|these|those)\b|\b(?:were|are|was|is)\s+(?:\w+\s+)?in\s+it\b|"
                              r"\bexactly\b|\b(?:go|went|given|paired)\s+with\b)|\bwhat\s+were\s+the\s+other\b|"
                              r"\b(?:which|what)\s+"
                              r"(?:specific|exact|particular|individual)\b|\bwhat(?:'s|\s+is|\s+was|\s+were|\s+are)\s+in\b",
                              re.IGNORECASE)

# What patients were given once a retreatment failed, as a question asks it ("after progressing on dara retreatment,
# what did they get next?", "once the retreatment line failed, what did they go on to?"), and as a study would tell
# it: a therapy received after the retreatment. A study that reports the retreatment's outcomes and the lines before
# it does not say what came after.
_FAILED = r"\b(?:progress\w*|fail\w*|relaps\w*|stopp\w*)\b"
_RETREATED = r"\b(?:re-?treat\w*|re-?challeng\w*)"
_NEXT = (r"\b(?:next|subsequent\w*|go(?:ne)?\s+on\s+to|went\s+on\s+to|mov(?:e|ed)\s+on\s+to|switch\w*\s+to|"
         r"afterwards?)\b")
NEXT_THERAPY_ASKED = re.compile(
    rf"\b(?:after|once|following|when)\b[^?]*?(?:{_FAILED}[^?]*?{_RETREATED}|{_RETREATED}[^?]*?{_FAILED})[^?]*?{_NEXT}"
    rf"|\bwhat\b[^?]*?(?:{_NEXT}|\b(?:get|got|receive[d]?|given)\b)[^?]*?\b(?:after|once|following)\b[^?]*?"
    rf"(?:{_FAILED}[^?]*?{_RETREATED}|{_RETREATED}[^?]*?{_FAILED})"
    rf"|\b(?:go(?:ne)?|went|mov(?:e|ed))\s+on\s+to\b[^?]*?\bafter\s+(?:the\s+|their\s+)?(?:[\w-]+\s+)?{_RETREATED}"
    # … the line after it ("those retreated, what did they get in the next line after that?", "the next therapy
    # after dara retreatment"), and what they went on to after it
    rf"|{_RETREATED}[^?]*?\b(?:next|subsequent)\s+(?:line|therap|treatment|regimen)\w*\s+(?:after|following)\b"
    rf"|\b(?:next|subsequent)\s+(?:line|therap|treatment|regimen)\w*\s+(?:after|following)\s+(?:the\s+|their\s+)?"
    rf"(?:[\w-]+\s+)?{_RETREATED}"
    rf"|\bafter\s+(?:the\s+|their\s+)?(?:[\w-]+\s+)?{_RETREATED}[^?]*?\b(?:go(?:ne)?|went|mov(?:e|ed))\s+on\s+to\b"
    # … and the line after it, by the label a study gives its retreatment line ("the line after P1" of Szabo et al)
    rf"|\b(?:line|therap\w*|treatment|regimens?)\s+after\s+(?:the\s+|their\s+)?{_RETREATED}",
    re.IGNORECASE)
# The label a study gives the line its patients were retreated in ("… retreated with a DARZALEX-containing
# regimen in P1").
RETREATMENT_LINE = re.compile(r"\bre-?treat\w*\b[^.]*?\bin\s+([A-Z]\d)\b")
# A retreatment by its order ("the second DARZALEX retreatment", "a 3rd dara re-challenge"), as asked and as a
# study writes it: a study writing none past the first reports one retreatment.
RETREATMENT_ORDINAL = re.compile(rf"\b({'|'.join(ORDINALS)})\s+(?:[\w-]+\s+){{0,2}}?{_RETREATED}", re.IGNORECASE)


def retreatment_orders(text: str) -> frozenset[int]:
    return frozenset(ORDINALS[m.group(1).lower()] for m in RETREATMENT_ORDINAL.finditer(text))


NEXT_THERAPY_STATED = re.compile(r"\b(?:after|following)\s+(?:[\w-]+\s+){0,2}?re-?treatment\b[^.\n]*?\b(?:received|"
                                 r"went on|switched|were treated)\b|\bsubsequent\s+(?:lines?|therap\w+|treatments?)\s+"
                                 r"(?:after|following)\s+(?:[\w-]+\s+){0,2}?re-?treatment\b", re.IGNORECASE)

# A detail of a study's method, as a question asks it and as a study states it: how its survival was estimated or
# compared ("which statistical method", "was it Kaplan-Meier?"), and by which criteria responses were assessed. A
# study stating none (its design bullets name no test and no criteria) does not say.
METHODS = {
    "statistical method": (
        re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:statistical|survival|estimation|analytic(?:al)?)\s+"
                   r"(?:methods?|tests?|analys[ie]s|approach)\b|\bhow\s+(?:were|was|did\s+they)\s+(?:[\w-]+\s+){0,3}?"
                   r"(?:estimated|calculated)\b|\bkaplan|\blog-?rank\b|\bcox\b", re.IGNORECASE),
        re.compile(r"\bkaplan|\blog-?rank\b|\bcox\b|\bregression\b|\bstatistical(?:ly)?\b", re.IGNORECASE)),
    "response criteria": (
        re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:response|remission)\s+criteria\b|\bcriteria\b[^?]*?"
                   r"\b(?:assess|evaluat|judg|grad|measur)\w*\s+(?:the\s+)?(?:response|remission)", re.IGNORECASE),
        re.compile(r"\b(?:response|remission)\s+criteria\b|\bIMWG\b", re.IGNORECASE)),
    # what a score or index is made of ("which comorbidities go into the R-MCI score", "how is it worked out")
    "score components": (
        re.compile(r"\b(?:which|what)\b[^?]*?\b(?:go(?:es)?\s+into|make[s]?\s+up|compris\w*|components?|items?)\b"
                   r"[^?]*?\b(?:scores?|index|indices|scales?)\b|\bhow\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?"
                   r"(?:score|index|scale)\s+(?:worked\s+out|calculated|computed|derived|scored|determined)\b",
                   re.IGNORECASE),
        re.compile(r"\b(?:score|index|scale)\b[^.\n]*?\b(?:includes?|consists?\s+of|compris\w+|based\s+on|calculated)\b",
                   re.IGNORECASE)),
}

# A cytogenetic aberration by its notation ("del(17p)", "del17p", "t(4;14)", "1q+", "monosomy 17"), and which
# aberrations a question asks ("which abnormalities did the high-risk patients have"). A study counting its
# high-risk patients and naming no aberration does not say which they had.
ABERRATION = re.compile(r"\bdel\s*\(?\s*\d{1,2}\s*[pq]\s*\)?|\bt\s*\(\s*\d{1,2}\s*;\s*\d{1,2}\s*\)|"
                        r"(?<![\w(])\d{1,2}[pq]\s*(?:\+|-|gain|loss|del\w*|amp\w*)|\b(?:gain|amp\w*)\s*(?:of\s*)?\(?\d{1,2}[pq]|"
                        r"\b(?:mono|tri)somy\s*\d{1,2}\b|\b(?:1q|17p|13q)\b", re.IGNORECASE)
ABERRATIONS_ASKED = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:abnormalit\w+|aberrations?|translocations?|"
                               r"deletions?|lesions?|mutations?)\b", re.IGNORECASE)
# An aside in parentheses after a word ("high-risk cytogenetics (del17p, t(4;14))"): it glosses, it does not ask.
GLOSS = re.compile(r"\s\((?:[^()]|\([^()]*\))*\)")

# Which members of a group, as a question asks them ("which BCMA therapies", "what kinds of infections", "what were
# the toxicities?", "what were those toxicities?"): its plural noun, with up to two words before it.
KINDS_ASKED = re.compile(r"\bwhat\s+were\s+(?:the|those|these)\s+((?:[\w/+-]+\s+){0,2}?[\w/+-]*[a-z]s)\s*\?|"
                         r"\b(?:which|what)\s+(?:(?:specific|particular|exact)\s+)?"
                         r"(?:(?:kinds?|types?|sorts?|classes|forms?)\s+of\s+)?"
                         r"((?:[\w/+-]+\s+){0,2}?[\w/+-]*[a-z]s)\b", re.IGNORECASE)
AUXILIARIES = frozenset(["is", "are", "was", "were", "do", "does", "did", "has", "have", "had"])
# A word a figure follows in a sentence: "toxicity (11%)", "progressive disease (PD; 42%)".
COUNTED = re.compile(r"([\w-]+)\s*\((?:[A-Z]{1,5};\s*)?[\d.]+%\)")

# Why something happened, as a question asks it ("why did patients stop their previous line", "what led to …"),
# and as a study gives a reason ("discontinuations occurred due to …", "the most common reasons for …", "excluded
# due to …", "this is why …", its exclusion criteria). A study stating none does not say why. Why a study was
# done is its aim, which every study states.
_REASON_WORDS = (r"\bfor what reasons?\b|\bwhat\s+(?:were\s+the\s+)?reasons?\b|\bwhat\s+(?:led|caused|prompted|made)\b|"
                 r"\b(?:rationale|explanation)\b")
REASON_ASKED = re.compile(r"\bwhy\b(?![^?]*?\b(?:study|trial|analysis|review|registry|research)\s+(?:was\s+|were\s+)?"
                          rf"(?:done|conducted|run|performed|undertaken|carried out)\b)|{_REASON_WORDS}", re.IGNORECASE)
# Why a result came out as it did ("why did the D-other group do so badly", "why do they think retreated patients
# lived longer", "any explanation for the shortest survival"), and a study explaining one: a reason given in the
# sentence that reports a survival or a response. The reasons the studies give are for stopping and for excluding.
_RESULT = (r"\b(?:badly|poorly|worse|better|well|longer|shorter|shortest|longest|lived|survived|survival|responded|"
           r"respond|outcomes?|benefit\w*|pfs|os|orr)\b")
RESULT_EXPLANATION_ASKED = re.compile(rf"\bwhy\b[^?]*?{_RESULT}|\b(?:explanation|rationale|reasons?)\b[^?]*?{_RESULT}",
                                      re.IGNORECASE)
_REASON_GIVEN = r"due to|because|reasons?|this is why|led to|owing to|as a result of"
REASON_STATED = re.compile(rf"\b(?:{_REASON_GIVEN}|criteria)\b", re.IGNORECASE)
# A reason given in so many words ("excluded due to not fulfilling …"), where a criterion only says who.
REASON_GIVEN = re.compile(rf"\b(?:{_REASON_GIVEN})\b", re.IGNORECASE)
# Two things a question asks the reason for, each of which a study explains only in so many words: why patients
# stopped a treatment (a reason stated in a sentence on stopping: "discontinuations occurred due to …"), and why
# they were given one treatment rather than another ("why did so many get D-Kd", "why weren't the others given
# dara again", "why was the other half not retreated", "put back on dara"; not "20 instead of 22"), which a study
# explains only in a note on the row of that treatment (Abdallah et al's nivolumab row: "Patients from a clinical
# trial were enrolled").
_WHY = rf"(?:\bwhy\b|{_REASON_WORDS})"
STOPPING = r"\b(?:stop\w*|discontinu\w*|d/c|c[oa]me off|quit\w*|withdr[ae]w\w*)"
_CHOSEN = (r"\b(?:get|got|given|receive[ds]?|chos\w*|choos\w*|choice|pick\w*|opt(?:ed)?|switch\w*|select\w*|"
           r"prefer\w*|rather than(?!\s+\d)|instead(?!\s+of\s+\d)|"
           r"put\s+(?:back\s+)?on|not\b[^?.]{0,60}?\b(?:re-?treat\w*|re-?challeng\w*))\b")
EXCLUDING = r"\b(?:exclu\w*|left\s+out|leav\w*\s+out|kept\s+out|keep\s+out|dropp\w*|omitt\w*)"
# A reason given for stopping: the stopping first ("discontinuations occurred due to …"), or the reason just before it
# ("the most common reasons for IR discontinuation"); not a stop named inside another reason ("excluded due to not
# fulfilling criteria defined as administration … after discontinuation of therapy").
STOP_REASON_STATED = re.compile(rf"{STOPPING}[^.;]*?\b(?:{_REASON_GIVEN}|criteria)\b|"
                                rf"\b(?:{_REASON_GIVEN}|criteria)\b(?:\s+\S+){{0,3}}?\s+{STOPPING}", re.IGNORECASE)
REASON_FOR_ASKED = re.compile(rf"{_WHY}[^?.]*?(?:(?P<stopping>{STOPPING})|(?P<choice>{_CHOSEN})|"
                              rf"(?P<exclusion>{EXCLUDING}))", re.IGNORECASE)
# What a short form stands for, asked ("what does P1 stand for", "what does the D3 group mean"): the letter says it
# by an abbreviation line or a definition, by writing the short form in brackets after what it names ("Second
# DARZALEX Retreatment (D3, n=7)"), or by a note on the row it labels.
STANDS_FOR = re.compile(r"\bwhat\s+(?:exactly\s+|actually\s+)?(?:does|do|did|is|are)\s+(?:the\s+)?"
                        r"['\"‘“]?([\w+/-]+?)['\"’”]?\s+(?:\w+\s+){0,3}?"
                        r"(?:stands?\s+for|mean|short\s+for|refer\s+to)\b", re.IGNORECASE)
BRACKETED = re.compile(r"\w\s*\(\s*([\w+/-]+)")

# The words of a criterion that say whom it excludes ("newly diagnosed", Zipf 4.1-4.4), rarer than the words any
# question on excluded patients uses ("patients", "analysis", "treatment": 4.9-5.0).
CRITERION_ZIPF = 4.75


def reason_for(text: str) -> str | None:
    """What a question asks the reason for, by the first of its verbs after "why": "stopping", "choice",
    "exclusion" or None."""
    return found.lastgroup if (found := REASON_FOR_ASKED.search(text)) else None


def _sentences(text: str) -> list[str]:
    """A passage's sentences and lines."""
    return re.split(r"(?<=\.)\s+|\n", text)


def drug_names(lexicons: dict[str, Lexicon]) -> frozenset[str]:
    """The stems of the names of the drugs the letters are about ("dara", "DARZALEX")."""
    return frozenset(t for lex in lexicons.values() for w in [*lex.synonyms, *lex.synonyms.values()]
                     for t in lexical_tokens(w))


# A row's note: a footnote letter and a sentence, on a line of its own under the row ("a Patients from a …").
ROW_NOTE = re.compile(r"^[a-z]{1,2} [A-Z][^\n]*\.$", re.MULTILINE)

# How many stopped a treatment for a given cause, as a question asks it ("how many discontinued because of
# neutropenia", "what share stopped for toxicity"), and as a study counts it: a figure in a sentence on
# discontinuation ("reasons for IR discontinuation were progressive disease (PD; 42%), toxicity (11%)"). A study
# naming the causes without counting them ("discontinuations occurred due to congestive heart failure,
# neutropenia, and thrombocytopenia") does not say how many stopped for each.
STOP_CAUSE_ASKED = re.compile(r"\b(?:stop\w*|discontinu\w*|c[oa]me off|quit\w*|withdr[ae]w\w*)\b[^?]*?"
                              r"\b(?:because|due to|owing to|for|as a result of)\b", re.IGNORECASE)
STOPS_COUNTED = re.compile(r"\bdiscontinu\w*[^.\n]*?\d+(?:\.\d+)?\s*%|\b\d+\s+(?:patients?\s+)?"
                           r"(?:discontinued|stopped)\b", re.IGNORECASE)

# A group referred back to: "that sequence group", "those patients", "them".
REFERRED_GROUP = re.compile(r"\b(?:that|those|these|such)\s+(?:[\w-]+\s+){0,2}?(?:groups?|cohorts?|subgroups?|"
                            r"patients|pts|people|ones)\b|\bthem\b", re.IGNORECASE)

# The patients a study left out, named as a group ("those excluded patients", "the patients who were excluded"):
# a study reports results of the patients it analysed.
EXCLUDED_GROUP = re.compile(r"\b(?:excluded|left[- ]out|dropped)\s+(?:patients|pts|people|ones|group|cohort)\b|"
                            r"\b(?:patients|pts|people|those|ones)\s+(?:who\s+were\s+|that\s+were\s+)?"
                            r"(?:excluded|left\s+out|dropped)\b", re.IGNORECASE)
# Some of those patients, asked ("of the seventeen patients excluded, how many …", "how many of the excluded"), and
# a study breaking its exclusions down: a sentence on them with two figures or more. Souren et al give one
# ("Seventeen patients were excluded due to …").
EXCLUDED_SUBSET = re.compile(r"\b(?:of|among)\s+(?:the|those|these)\s+(?:[\w-]+\s+){0,3}?(?:(?:patients|pts|people)\s+"
                             r"(?:who\s+were\s+)?)?(?:excluded|left[- ]out|dropped)\b|\bhow\s+many\s+of\s+(?:the|those|"
                             r"these)\s+(?:[\w-]+\s+){0,2}?excluded\b|\b(?:excluded|left\s+out|dropped|did(?:n't|\s+not)\s+"
                             r"count)\b[^?]*?\bhow\s+many\b[^?]*?\b(?:because|due\s+to|owing\s+to|for|vs|versus)\b",
                             re.IGNORECASE)
EXCLUSION_SENTENCE = re.compile(r"[^.\n]*\bexclu\w*[^.\n]*", re.IGNORECASE)

# Which trial, by name ("which trial were the nivolumab patients from"), and a trial or study named by its
# acronym ("EMMY Study"): a study naming none does not say which.
TRIAL_ASKED = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?trials?\b|\bname of the (?:[\w-]+\s+)?trial\b",
                         re.IGNORECASE)
TRIAL_NAMED = re.compile(r"\b[A-Z][A-Z0-9-]{2,}\b(?:\s+\w+)?\s+(?:[Tt]rial|[Ss]tudy)\b")

# Where a study was done, as a question asks it ("at which institution", "how many centers", "where was it
# conducted") and as a study states it: an institution's proper name ("Memorial Sloan Kettering Cancer Center",
# "University of Freiburg") or a country ("73 centers in France"). A study stating none ("a single-center chart
# review") does not say where it was done.
SITE_ASKED = re.compile(r"\b(?:which|what|whose|how many)\s+(?:[\w-]+\s+){0,2}?"
                        r"(?:institutions?|hospitals?|cent(?:er|re)s?|sites?|universit(?:y|ies)|clinics?|countr(?:y|ies)"
                        r"|cit(?:y|ies))\b"
                        r"|\bwhere\b[^?.]*?\b(?:conducted|done|performed|carried out|based|run|located)\b",
                        re.IGNORECASE)
INSTITUTION_STATED = re.compile(r"\b[A-Z][a-z]+ (?:Cent(?:er|re)|University|Hospital|Institute|Clinic)\b"
                                r"|\b(?:University|Hospital|Institute) of [A-Z]")
SITE_STATED = re.compile(INSTITUTION_STATED.pattern
                         + r"|\b(?:" + "|".join(sorted(p.capitalize() for p in PLACES)) + r")\b")
# At one center or several, asked ("did the data come from one hospital or several?", "was it multicentre?") and
# stated ("a single-center study", "73 centers"; the institution a study names is one).
CENTRES_ASKED = re.compile(r"\b(?:one|a\s+single|single)\s+(?:[\w-]+\s+)?(?:hospitals?|cent(?:er|re)s?|sites?|"
                           r"institutions?|clinics?)\s+or\s+(?:several|many|multiple|more|multi)"
                           r"|\b(?:single|multi)[- ]?(?:cent(?:er|re)|site|institution)(?:al|ic)?\b", re.IGNORECASE)
CENTRES_STATED = re.compile(r"(?i:\b(?:single|multi)-?cent(?:er|re)\b|\b\d+\s+cent(?:er|re)s\b)|"
                            + INSTITUTION_STATED.pattern)
# A row counting patients by what was given with the antibody ("DARZALEX + IMiD", "DARZALEX/PI", "D-Kd",
# "DARZALEX monotherapy"), and a partner asked ("pomalidomide as the partner drug", "Pomalyst vs Kyprolis with the
# anti-CD38", "retreatments combined with an immunomodulatory drug").
COMBINATION_ROW = re.compile(r"\+|/|\bD-[A-Za-z]|\bmonotherapy\b|\bcombination\b", re.IGNORECASE)
PARTNER_WORD = re.compile(r"(?:\+|/)\s*([A-Za-z][\w-]*)")
PARTNER_ASKED = re.compile(r"\bpartner\w*|\bbackbone|\bcombined\s+with|\bcombinations?\b|\bcombos?\b|\bpaired\s+with|"
                           r"\bwith\s+(?:the\s+|an?\s+)?anti-?\s?CD38\b|\s\+\s|-based\b", re.IGNORECASE)


def partner_stems(chunks: list[Chunk], lexicons: dict[str, Lexicon], common_zipf: float) -> frozenset[str]:
    """The stems of what the letter's rows give with the antibody: the drugs of its combinations but those most of
    them share (dexamethasone, the antibody itself), and the classes its rows join on ("+ IMiD", "/PI": their
    rare words spelled out, "immunomodulatory", "proteasome")."""
    found: set[str] = set()
    for lexicon in lexicons.values():
        parts = set().union(*lexicon.combination_parts().values()) - lexicon.shared_parts()
        found |= set(lexical_tokens(" ".join(parts)))
    for c in chunks:
        for word in (m.group(1) for label in c.row or [] if re.search(r"DARZALEX|\+", label)
                     for m in PARTNER_WORD.finditer(label)):
            long = lexicons[c.document].abbreviations.get(word.lower())
            if long and "+" not in long:
                found |= set(lexical_tokens(" ".join([word, *(w for w in content_words(long)
                                                               if zipf(w) < common_zipf)])))
            elif not long and zipf(word) < common_zipf:
                found |= set(lexical_tokens(word))
    return frozenset(found)


# Which of several was the commonest: a count of each, asked without a number.
MOST_COMMON = re.compile(r"\b(?:most|least)\s+(?:common(?:ly)?|frequent(?:ly)?|often|usual|prevalent)\b|\bcommonest\b",
                         re.IGNORECASE)
# Which institutions, by name ("which hospitals", "which of the 73 centers"): a country or a count of centers ("73
# centers in France") does not say.
INSTITUTION_ASKED = re.compile(r"\b(?:which|what|whose)\s+(?:of\s+the\s+)?(?:[\w-]+\s+){0,2}?"
                               r"(?:institutions?|hospitals?|cent(?:er|re)s?|sites?|universit(?:y|ies)|clinics?)\b",
                               re.IGNORECASE)


def time_measures(text: str) -> dict[str, str]:
    """The measures of time a text names, each as written, by its form without "first" (the time to a
    response is the time to the first response)."""
    found = TIME_MEASURE.findall(" ".join(w.lower() for w in PHRASE_WORD.findall(text)))
    found += [f"duration of {m.group(1).lower()}" for m in LASTING_ASKED.finditer(text)]
    found += ["time to response" for _ in RESPONDING_ASKED.finditer(text)]
    return {m.replace("to first ", "to "): m for m in found}


def graded_lines(chunk: Chunk) -> list[str]:
    """The row lines or sentences of a passage that give an adverse-event grade, each under the passage's
    title line ("… › Most Common TEAEs in DARZALEX Retreated Patients"): a grade speaks of the event on its
    own line ("Grade 3/4" under Thrombocytopenia says nothing of the next row, "Infection", which has none)."""
    title = chunk.text.split("\n", 1)[0]
    return [unit if unit == chunk.text else f"{title}\n{unit}"
            for unit in chunk.quotes or [chunk.text] if "gr" in unit.casefold() and grade_sets(unit)]


def phrases(text: str) -> set[str]:
    """Every run of 3 to 5 words of a text, lowercased: the phrases an initialism can stand for."""
    tokens = [w.lower() for w in PHRASE_WORD.findall(text)]
    return {" ".join(tokens[i:i + n]) for n in range(3, 6) for i in range(len(tokens) - n + 1)}


# A characteristic taken at a moment: "Age at retreatment with anti-CD38", "ISS at diagnosis", "age at the time of
# initial diagnosis". The moment a study's start is (baseline, entry) is no other moment.
AT_MOMENT = re.compile(r"\b([a-z][\w-]*)\s+at\s+(?:the\s+time\s+of\s+)?(?:the\s+|their\s+)?([a-z][\w-]*(?:\s+"
                       + r"(?!(?:" + "|".join(sorted(STOPWORDS)) + r")\b)[a-z][\w-]*){0,2})", re.IGNORECASE)
AT_MOMENT_REST = re.compile(AT_MOMENT.pattern + r"([^\n]*)", re.IGNORECASE)
STUDY_START = frozenset(lexical_tokens("baseline start entry enrollment inclusion index") + ["least"])  # "at least"
# Which of two moments something was taken at or counted from, asked ("was the ECOG score recorded at diagnosis or at
# the start of retreatment?", "measured from the start of each line or from initial diagnosis?").
MOMENT_CHOICE = re.compile(r"\b(?:at|from)\s+(?:the\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*){0,4}?)\s+or\s+(?:at|from)\s+"
                           r"(?:the\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*){0,4})", re.IGNORECASE)
# A table note giving the moment of the row it marks ("a At the time of diagnosis of multiple myeloma."), and the
# words of a row label that are not the characteristic ("Median age (range), years": age).
AT_TIME_NOTE = re.compile(r"^[a-z]?\s*At the time of\s+(.+?)\.?$", re.MULTILINE)
LABEL_WORDING = frozenset(lexical_tokens("median mean range years months n IQR"))


def moments(chunks: list[Chunk], lexicons: dict[str, Lexicon]) -> dict[str, dict[str, frozenset[str]]]:
    """Each study's characteristics its tables' rows give at a moment, as stem -> the stems of the moments (EMMY:
    age -> retreatment with anti-CD38, ISS -> diagnosis; Souren et al: age -> ID, initial diagnosis)."""
    found: dict[str, dict[str, frozenset[str]]] = {}
    for c in chunks:
        if c.row:
            lexicon = lexicons[c.document]
            # the moment as the label goes on to name it, to its comma ("at retreatment with anti-CD38, years")
            given = [(lexical_tokens(what), f"{when} {rest.split(',')[0]}") for label in c.row
                     for what, when, rest in AT_MOMENT_REST.findall(label)]
            given += [([t for t in lexical_tokens(c.row[0].split(",")[0]) if t not in LABEL_WORDING], when)
                      for when in AT_TIME_NOTE.findall(c.text)]
            for stems, when in given:
                if stems and (at := frozenset(lexical_tokens(lexicon.expand(when)))):
                    for study in c.related_studies:
                        held = found.setdefault(study, {})
                        held[stems[0]] = held.get(stems[0], frozenset()) | at
    return found


# Two things a row or column gives together ("sCR/CR", "D-Pd/D-Rd", "D2 + D3"), and a question asking one of them
# apart ("sCR on its own", "D-Rd separately").
COMBINED = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)\s*(?:/|\s\+\s)\s*([A-Za-z][\w-]*)(?![\w-])")
APART = re.compile(r"\b(?:on (?:its|their) own|separately|separate from|specifically|by (?:itself|themselves)|"
                   r"individually|broken out|not combined)\b", re.I)  # not "alone": "DARZALEX alone" is monotherapy


def combined_only(chunks: list[Chunk]) -> dict[str, frozenset[str]]:
    """Each study's words that its tables' row labels and columns give only together with another, lower case:
    Tan et al's "sCR/CR", who give no sCR on a row of its own (Abdallah et al's "D-Pd/D-Rd" columns do not count:
    their other tables give D-Pd alone)."""
    together: dict[str, set[str]] = {}
    alone: dict[str, set[str]] = {}
    for c in chunks:
        labels = [*(c.row or []), *(h for line in COLUMNS.findall(c.text) for h in line.split(" | "))]
        for study in c.related_studies:
            for label in labels:
                pairs = [w.lower() for m in COMBINED.finditer(label) for w in m.groups()]
                together.setdefault(study, set()).update(pairs)
                alone.setdefault(study, set()).update(
                    w.lower() for w in re.findall(r"[A-Za-z][\w-]*", COMBINED.sub(" ", label)))
    return {study: frozenset(found - alone.get(study, set())) for study, found in together.items()}


def abbreviated_within(chunks: list[Chunk], lexicons: dict[str, Lexicon]) -> dict[str, dict[str, frozenset[str]]]:
    """Each study's abbreviations of the letter that it writes only inside a longer one, hyphenated ("ISS" of
    Abdallah et al's "R-ISS"), each -> the words the longer ones' spellings add before it ("revised"): a question
    naming the ISS of that study asks what it does not give, unless it says "revised ISS"."""
    within: dict[str, dict[str, set[str]]] = {}
    written: dict[str, set[str]] = {}
    for c in chunks:
        abbreviations = lexicons[c.document].abbreviations
        found = set(words(c.text))
        for study in c.related_studies:
            written.setdefault(study, set()).update(found)
            for longer in (w for w in found if "-" in w and w in abbreviations):
                for part in (p for p in longer.split("-") if p in abbreviations):
                    adds = set(words(abbreviations[longer])) - set(words(abbreviations[part]))
                    within.setdefault(study, {}).setdefault(part, set()).update(adds)
    return {study: {part: frozenset(adds) for part, adds in parts.items() if part not in written[study]}
            for study, parts in within.items()}


def characteristics(chunks: list[Chunk], lexicons: dict[str, Lexicon]) -> dict[str, frozenset[str]]:
    """The patient characteristics the baseline tables name in one word ("Sex, n (%)", "Gender", "Race"),
    however common the word, each as its stem -> the stems of it and of its WordNet synonyms the letter uses:
    a study may name one by another (Souren et al's "Gender" for the others' "Sex"). A one-word value under it
    ("Male", "White") asks for it too, and is answered by a study that names the characteristic or the value:
    Szabo et al, who give neither sex nor male, do not say how many patients were male."""
    found = {}
    for c in chunks:
        if c.section == "Patient Characteristics" and c.row and len(c.row) >= 2:
            label = c.row[0].split(",")[0].strip()
            if label.isalpha() and not label.isupper() and (stems := lexical_tokens(label)):
                found[stems[0]] = frozenset([stems[0], *lexicons[c.document].kin.get(stems[0], ())])
                value = c.row[1].split(",")[0].strip()
                if value.isalpha() and value.lower() not in STOPWORDS and (values := lexical_tokens(value)):
                    found[values[0]] = found.get(values[0], frozenset(values[:1])) | found[stems[0]]
    # An adjective asks for the characteristic it pertains to ("the racial breakdown": race).
    for lexicon in lexicons.values():
        for adjective, nouns in lexicon.pertains.items():
            if asked := [found[n] for n in nouns if n in found]:
                found.setdefault(adjective, frozenset().union(*asked))
    return found


def followers(chunks: list[Chunk], stems: set[str], lexicons: dict[str, Lexicon]) -> dict[str, set[str]]:
    """The outcome words the letter writes only as the first word of a term it defines, with the word after it:
    "advers" -> {"event"} (its "adverse events (AEs)", "treatment-emergent adverse event"). Written before another
    word, such a word is another term."""
    defined = {pair for lexicon in lexicons.values() for long in lexicon.abbreviations.values()
               for pair in itertools.pairwise(lexical_tokens(long))}
    after: dict[str, set[str | None]] = {}
    for c in chunks:
        tokens = lexical_tokens(c.text)
        for i, t in enumerate(tokens):
            if t in stems:
                after.setdefault(t, set()).add(tokens[i + 1] if i + 1 < len(tokens) else None)
    return {t: {n for n in found if n} for t, found in after.items()
            if found and all(n is not None and (t, n) in defined for n in found)}


def outcome_stems(chunks: list[Chunk], common_zipf: float, lexicons: dict[str, Lexicon] | None = None) -> set[str]:
    """What the studies report, as stems: the rarer words (Zipf below `common_zipf`) of the rows of their
    Patient Characteristics, Efficacy and Safety tables and of those tables' titles (cytogenetics, VGPR,
    neutropenia …), and the words of the Efficacy and Safety rows and titles that no passage of another
    sub-section uses, however common in English (grade, infection …), but for the commonest words of English,
    which are grammar (without, within), and what their passages give medians of when it is rarer than everyday
    English (follow-up). A question naming a study and one of them is outside the letter when none of that
    study's passages uses it."""
    labels = {section: [w for c in chunks if c.section == section and c.row for w in [*c.row, c.table or ""]]
              for section in REPORTED_SECTIONS}
    # A compound's parts count as its words ("DARZALEX-cycles": cycles).
    parts = [p for ws in labels.values() for w in words(" ".join(ws)) for p in [w, *COMPOUND.split(w)]]
    rare = {p for p in parts if p.isalpha() and zipf(p) < common_zipf}
    stems = set(lexical_tokens(" ".join(sorted(rare))))
    used: dict[str | None, set[str]] = {}
    for c in chunks:
        used.setdefault(c.section, set()).update(lexical_tokens(c.text))
    for section, own in labels.items():
        if section not in OUTCOME_SECTIONS:
            continue
        elsewhere = set().union(*(found for other, found in used.items() if other != section))
        content = [w for w in words(" ".join(own)) if any(ch.isalpha() for ch in w) and zipf(w) < GRAMMAR_ZIPF]
        stems |= set(lexical_tokens(" ".join(content))) - elsewhere
    # And what the studies give medians of, in their sentences as in their rows ("median follow-up duration"):
    # the word after "median" when it is a compound or rarer than everyday English (not "time", "age").
    for c in chunks:
        if c.section in REPORTED_SECTIONS:
            tokens = words(c.text)
            after = [t for m, t in itertools.pairwise(tokens) if m == "median" and t not in STOPWORDS]
            stems |= {lexical_tokens(t)[0] for t in after if any(ch.isalpha() for ch in t) and
                      (COMPOUND.search(t) or zipf(t) < common_zipf)}
    # And the rarer words of what the safety rows' abbreviations stand for: "IRRs" are infusion-related
    # reactions, however a question words them ("infusion reactions").
    for c in chunks:
        if lexicons and c.section == "Safety" and c.row:
            abbreviations = lexicons[c.document].abbreviations
            for w in words(" ".join(c.row)):
                if (long := abbreviations.get(w) or abbreviations.get(w.rstrip("s"))) is not None:
                    stems |= {t for p in COMPOUND.split(" ".join(words(long))) for part in p.split()
                              if part.isalpha() and zipf(part) < common_zipf for t in lexical_tokens(part)}
    return stems


def bound_parts(chunks: list[Chunk]) -> dict[str, frozenset[str]]:
    """The stems of the compound parts the letter never writes as words of their own, with their spellings:
    "Tri-" of "Tri-refractory", "Nivolumab" of "DARZALEX/Nivolumab". A part's stem may be an everyday word's
    too ("trying" stems to "tri"), so a question names such a part only by spelling it."""
    every = {w for c in chunks for w in words(c.text)}
    standalone = {t for w in every if not COMPOUND.search(w) for t in lexical_tokens(w)}
    found: dict[str, set[str]] = {}
    for part in {p for w in every if COMPOUND.search(w) for p in COMPOUND.split(w)}:
        for stem in lexical_tokens(part):
            if stem not in standalone:
                found.setdefault(stem, set()).add(part.lower())
    return {stem: frozenset(spellings) for stem, spellings in found.items()}


COLUMNS = re.compile(r"^Columns: (.+)$", re.M)
LISTED_AUTHOR = re.compile(r"^References › \d+ ([^\W\d_][\w'-]+)")  # "References › 7 Ciardiello A, …"
COHORT = "cohort"
SCOPED = re.compile(rf"\bin the ([^:.,;]{{3,60}}?) {COHORT}\b", re.I)  # "In the DARZALEX-naive cohort: …"
TABLE_POINTER = re.compile(r"\b(?:in|within) Table:")
WHOLE = frozenset({"entire", "whole", "overall", "total", "full", "study"})  # a scope that is everyone


PATIENTS_QUALIFIED = re.compile(r"\bpatients?\b(.+)", re.I)  # "Median OS in patients with 1 non-consecutive line"
NO_VALUE = r"[-–—](?:\s*(?:\||$))"  # a cell holding a dash alone: no value given


class Statement(NamedTuple):
    """A results statement of a study, as the cohort check reads it."""

    terms: set[str]
    several: bool  # holds several cohorts side by side
    one: frozenset[str]  # the cohort words of the one cohort it holds, when a table's columns are all one's
    months: frozenset[int]  # the time points it gives rates at
    absent: frozenset[str] = frozenset()  # a row's: the words of the columns it gives no value for
    columns: frozenset[str] = frozenset()  # a table note's: the words of its table's columns, each its own
    figured: bool = True  # gives a figure ("no significant differences in PFS or OS" gives none)


class Cohorts:
    """Which results each study reports for which of its cohorts.

    A result is an outcome word or an abbreviation of the Efficacy and Safety rows and tables (OS, VGPR,
    neutropenia); a cohort word is a word of a table's columns (DARZALEX-Naive, D2, Initial) or of a results
    sentence's "in the … cohort". A results passage either holds several cohorts side by side (a row of a
    table with two or more cohort columns, or a table whose rows are cohorts) or speaks of one cohort
    ("In the DARZALEX retreatment cohort: The median OS was …"), sentence by sentence. A subgroup is what
    the other tables' rows describe patients by (D-Kd, R-ISS, high-risk, an age band 75-79, an open-ended
    band however a question writes it: "≥6", "6 or more"). A question naming a study, a result and a cohort
    or subgroup word is unreported when none of that study's results rows or sentences holds the result for
    several cohorts or for one whose words include every cohort word asked, and names every subgroup asked;
    a result none of them holds at all is asked of something else (the study's design), not of a cohort. A
    rate at a time point is held where that time point is given; a row holds no column it leaves a dash in
    (Souren et al's 24-month PFS of D3), and a table's note only the columns it names (their 9-month PFS,
    of D3)."""

    def __init__(self, chunks: list[Chunk], spelled: list[frozenset[str]], outcome_stems: set[str],
                 lexicons: dict[str, Lexicon], common_zipf: float, bound: Collection[str] = ()) -> None:
        """`spelled`: the stems of each chunk's text with the letter's abbreviations spelled out, by position;
        `bound`: the stems of the compound parts the letter never writes alone (prefixes: "non", "tri")."""
        results = [c for c in chunks if c.section in OUTCOME_SECTIONS]
        terms = {c.id: set(spelled[pos]) | thresholds(c.text) for pos, c in enumerate(chunks)
                 if c.section in OUTCOME_SECTIONS}
        every = [set().union(*(terms[c.id] for c in results if sid in c.related_studies))
                 for sid in {sid for c in results for sid in c.related_studies}]
        # What is measured: the outcome words and the abbreviations of the results rows and tables, but for the
        # drug's names, the words every study's results use ("retreatment") and those that describe patients
        # and treatments in the other tables (drugs, regimens, stages).
        shared = set.intersection(*every) if every else set()
        names = self.drug_names = drug_names(lexicons)
        described = {t for c in chunks if c.row and c.section not in OUTCOME_SECTIONS
                     for t in lexical_tokens(" ".join([*c.row, c.table or ""]))}
        # A row label the results of two or more studies use is a result, though a baseline table describes
        # patients by it too ("ORR" of the response to the index regimen, a baseline of Szabo et al).
        labelled = Counter(t for sid, found in _row_label_stems(results).items() for t in found)
        described -= {t for t, n in labelled.items() if n >= 2}
        # A describing word with a prefix describes as well: the results rows' "non-refractory" patients are
        # those a baseline table calls "Refractory PI: No".
        described |= {t for c in results for w in words(" ".join(c.row or [])) if COMPOUND.search(w)
                      for t in lexical_tokens(w)[:1]
                      if (parts := [p for p in lexical_tokens(" ".join(COMPOUND.split(w))) if p not in bound])
                      and set(parts) <= described}
        measured = {w for c in results for w in words(" ".join([*(c.row or []), c.table or ""]))}
        found = {t for c in results for w in measured if w in lexicons[c.document].abbreviations
                 for t in lexical_tokens(w)}
        found |= {t for t in outcome_stems if any(t in terms[c.id] for c in results)}
        # And the letter's abbreviations whose words a results sentence spells out in full: DUR, defined in one
        # study's Study Design, is the "duration of response" another study's Efficacy bullets give per cohort.
        found |= {t for c in results for abbr in lexicons[c.document].abbreviations_spelled_out(c.text)
                  for t in lexical_tokens(abbr)}
        self.results = {t for t in found if len(t) > 1} - shared - names - described - set(lexical_tokens(COHORT))
        self.lexicons = lexicons
        self.common_zipf = common_zipf
        # Who: the columns of every table but the first (its row labels), unless a column is a measure
        # ("Median OS (95% CI), months"), and the scopes of results sentences.
        columns: dict[str | None, list[str]] = {}
        headers: dict[str | None, list[str]] = {}  # every table's columns but the first, measures or not
        by_rows: set[str | None] = set()  # tables whose rows are the cohorts ("Patient Cohort | Median OS …")
        for c in chunks:
            if c.kind == "table":
                for line in COLUMNS.findall(c.text):
                    first, *rest = line.split(" | ")
                    # The first column holds the row labels, unless the rows give values under it too ("PFS ›
                    # 24-month PFS, %: First DARZALEX Treatment (D1, n=22) 28 …": a table with no label heading).
                    if any(c.table == r.table and r.row and f": {first} " in r.text for r in chunks):
                        first, rest = "", [first, *rest]
                    headers[c.table] = rest
                    if COHORT in first.lower():
                        by_rows.add(c.table)
                    if not any(set(lexical_tokens(h)) & self.results for h in rest):
                        columns[c.table] = rest
        scopes = {c.id: SCOPED.findall(c.text) for c in results}
        said = [w for w in words(" ".join([*(h for hs in columns.values() for h in hs),
                                           *(m for found in scopes.values() for m in found)]))
                if zipf(w) < GRAMMAR_ZIPF]
        cohort = {t for t in lexical_tokens(" ".join(said))
                  if len(t) > 1 and not NUMBER.search(t) and not COMPOUND.search(t)} - names
        # A word every study's results use is wording, unless a sentence scopes its results by it: "In the
        # DARZALEX retreatment cohort:" reports for the retreated and not for the naive.
        scoped = set(lexical_tokens(" ".join(m for found in scopes.values() for m in found)))
        self.cohort_stems = cohort - (shared - scoped)
        # Each study's own: the cohort words of its tables' columns and its results sentences' scopes.
        # A word every column of a table has ("Initial DARZALEX-based Treatment | DARZALEX-based Retreatment") tells
        # none of them apart, unless a results sentence scopes by it.
        self.study_cohorts: dict[str, set[str]] = {}
        alike: dict[str, set[str]] = {}
        for c in chunks:
            lines = [line.split(" | ")[1:] for line in COLUMNS.findall(c.text)]
            headings = [*(h for hs in lines for h in hs), *scopes.get(c.id, [])]
            for study in c.related_studies:
                self.study_cohorts.setdefault(study, set()).update(
                    set(lexical_tokens(" ".join(headings))) & self.cohort_stems)
                alike.setdefault(study, set()).update(*(set.intersection(*(set(lexical_tokens(h)) for h in hs))
                                                        for hs in lines if len(hs) >= 2))
        for study, words_alike in alike.items():
            self.study_cohorts[study] -= words_alike - scoped
        # Each study's results statements (a row, or a sentence of a bullet with the cohort the bullet opens
        # with): their terms, and whether they hold several cohorts.
        # A table's columns may be one cohort's, split by grade or regimen ("All Retreated Patients (n=43): All
        # Grades | … Grade 3/4 | D-Kd (n=17): …"): its rows hold that cohort's results only. The columns that
        # name a cohort, each by the heading it spans (before the colon), count the cohorts a table holds.
        column_cohorts = {t: {h.split(":")[0] for h in hs if set(lexical_tokens(h.split(":")[0])) & self.cohort_stems}
                          for t, hs in headers.items()}
        # Each statement: its terms, whether it holds several cohorts, the cohort words of the one it holds
        # when that is a table's one cohort (a question asking another of its words asks another cohort), the
        # cohort words of the columns it leaves without a value, and the time points it gives.
        # A column's own words are those no other column of its table has: "Second … Retreatment (D3, n=7)" is
        # second and D3 beside "DARZALEX Retreatment (D2, n=22)".
        own_words = {t: {h: frozenset(w for w in lexical_tokens(h) if not w.isdigit() and len(w) > 1) - frozenset(
            lexical_tokens(" ".join(o for o in hs if o != h))) for h in hs}
            for t, hs in column_cohorts.items() if len(hs) >= 2 and t not in by_rows}
        # The cohorts a study's baseline tables describe. Each baseline row: the stems of its label path, and of
        # its table's title and columns ("… of the Total Cohort (D2 + D3)"). Each cohort column of a results
        # table: the rare words its heading has alone ("D1" of "First DARZALEX Treatment (D1, n=22)"), by which
        # a question names that cohort. The results tables' wording ("Median") asks no characteristic.
        self.wording = {t for c in results for t in lexical_tokens(" ".join([*(c.row or []), c.table or ""]))}
        self.baseline: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
        self.cohort_columns: dict[str, list[frozenset[str]]] = {}
        table_words = {(c.document, c.study_id, c.table): " ".join([c.table or "", *COLUMNS.findall(c.text)])
                       for c in chunks if c.kind == "table" and c.row is None}  # (two studies' tables share a title)
        for c in chunks:
            if c.section == "Patient Characteristics" and c.row and (c.document, c.study_id, c.table) in table_words:
                # (a unit, "Median age (range), years", is no characteristic: "over which years" asks no age)
                row_label = frozenset(lexical_tokens(lexicons[c.document].expand(" ".join(c.row)))) - TIME_UNITS
                describing = frozenset(lexical_tokens(table_words[c.document, c.study_id, c.table]))
                for study in c.related_studies:
                    self.baseline.setdefault(study, []).append((row_label, describing))
            if c.kind == "table" and c.row is None and c.table in own_words:
                for heading, alone in own_words[c.table].items():
                    rare = alone & {t for w in words(heading) if zipf(w) < common_zipf for t in lexical_tokens(w)}
                    for study in c.related_studies:
                        self.cohort_columns.setdefault(study, []).append(rare)
        self.passages: dict[str, list[Statement]] = {}
        for c in results:
            scope = [w for m in scopes[c.id] for w in words(m)]
            one: frozenset[str] = frozenset()
            columns_of = own_words.get(c.table, {})
            if c.table in headers and len(headers[c.table]) >= 2 and c.table not in by_rows:  # its rows, or itself
                several = len(column_cohorts[c.table]) >= 2
                one = frozenset(lexical_tokens(" ".join(column_cohorts[c.table]))) & self.cohort_stems
            else:
                several = (c.row is not None and c.table in by_rows) or not scope or bool(WHOLE & set(scope))
            lexicon = lexicons[c.document]
            # A sentence pointing to a table ("TEAEs … are summarized in Table: …") reports nothing itself.
            sentences = [q for q in c.quotes or [c.text] if not TABLE_POINTER.search(q)]
            if c.row is not None:
                statements = [(terms[c.id], c.text)]
            elif not sentences:
                statements = []
            elif len(c.quotes) < 2:
                statements = [(terms[c.id], c.text)]
            else:
                statements = [(set(lexical_tokens(lexicon.expand(q))) | thresholds(q)
                               | set(lexical_tokens(" ".join(scope))), q) for q in sentences]
            if c.row is not None and c.table:
                # A row's results are its label path's, when its table's title names several and the path some of
                # them: "PFS and OS Outcomes › OS, months › Median OS in …" gives no PFS (whatever else the path
                # names: "… in all anti-CD38-retreated patients").
                titled = set(lexical_tokens(lexicon.expand(c.table))) & self.results
                path = set(lexical_tokens(lexicon.expand(" ".join(c.row)))) & self.results
                if path & titled and titled - path:
                    statements = [(held - (titled - path), text) for held, text in statements]
            for held, text in statements:
                # a row's time points are its own line's, not those of the notes its cells carry
                statement = Statement(held, several, one, landmarks(c.quotes[0] if c.row and c.quotes else text),
                                      figured=bool(FIGURE.search(text)))
                if c.row is not None:
                    # A column whose cell is a dash gives no value: "24-month PFS … (D3, n=7) -".
                    statement = statement._replace(absent=frozenset().union(*(
                        own for h, own in columns_of.items() if re.search(rf"{re.escape(h)}\s+{NO_VALUE}", text))))
                elif several and (named := [h for h, own in columns_of.items() if own and own & held]) \
                        and len(named) < len(columns_of):
                    # A note of the table naming some of its cohort columns speaks of those, by their headings'
                    # words: "D3 9-month PFS was 55.6%" is the 9-month PFS of the "Second DARZALEX Retreatment
                    # (D3, n=7)", none of D1.
                    one = frozenset(lexical_tokens(" ".join(named))) & self.cohort_stems
                    statement = statement._replace(several=False, one=one.union(*(columns_of[h] for h in named)),
                                                   columns=frozenset().union(*columns_of.values()))
                for study in c.related_studies:
                    self.passages.setdefault(study, []).append(statement)
        # Subgroups: the rarer words and compounds of the other tables' rows (regimens, risk groups, stages) and
        # their spans of numbers (age bands; a single number is a count, not a group of patients). A
        # result is reported for a subgroup only where a statement names it. The words the letter's
        # abbreviations spell out (drugs, the disease) are wording that statements vary, unless no statement
        # of any study names them and not every study speaks of them (cytogenetics, transplant).
        # (in the letter's canonical names, as a question's terms are: "Isatuximab-Daratumumab" is isatuximab-darzalex)
        rows = [w for c in chunks if c.row and c.section not in OUTCOME_SECTIONS
                for w in words(lexicons[c.document].canonical(" ".join(c.row)))]
        def drug(part: str) -> bool:
            return bool(stems := lexical_tokens(part)) and set(stems) <= names

        def subgroup(word: str) -> bool:
            """A span of numbers ("75-79"); a compound ("D-Kd", "R-ISS", "high-risk"), unless it is a drug's
            name with everyday words ("DARZALEX-based"), but a sequence of the drug's names is a group
            ("Daratumumab-Daratumumab": given after itself); a rare word. Not a single number."""
            if RANGE.fullmatch(word):
                return True
            if NUMBER.search(word):
                return False
            if not COMPOUND.search(word):
                return zipf(word) < common_zipf
            parts = [p for p in COMPOUND.split(word) if p]
            return not any(drug(p) for p in parts) or any(not drug(p) and zipf(p) < common_zipf for p in parts) or (
                len(parts) > 1 and all(drug(p) for p in parts))

        self.subgroup_stems = {stems[0] for w in rows if subgroup(w) and (stems := lexical_tokens(w))}
        # A row whose own label is one word names a group of patients however common the word ("Black",
        # "Female" under Race and Sex).
        self.subgroup_stems |= {stems[0] for c in chunks if c.row and c.section not in OUTCOME_SECTIONS
                                and len(own := words(c.row[-1])) == 1 and own[0].isalpha() and len(own[0]) > 3
                                and own[0] not in STOPWORDS and (stems := lexical_tokens(own[0]))}
        # And a word a figure follows in a sentence outside the results: the patients it counts ("the most common
        # reasons for IR discontinuation were … toxicity (11%)").
        self.subgroup_stems |= {t for c in chunks if not c.row and c.section not in OUTCOME_SECTIONS
                                for m in COUNTED.finditer(c.text) for t in lexical_tokens(m.group(1))}
        stated = {t for found in self.passages.values() for statement in found for t in statement.terms}
        by_study: dict[str, set[str]] = {}
        for pos, c in enumerate(chunks):
            for study in c.related_studies:
                by_study.setdefault(study, set()).update(spelled[pos])
        everywhere = set.intersection(*by_study.values()) if by_study else set()
        spelled_words = {t for lex in lexicons.values() for long in lex.abbreviations.values()
                         for t in lexical_tokens(long) if t in stated or t in everywhere}
        self.subgroup_stems -= self.results | shared | names | self.cohort_stems | spelled_words
        # And the open-ended groups those rows bound ("≥6" previous lines: "atleast6"), which a question may
        # write "6 or more"; a results row for "≥2 middle lines" is no result for them.
        self.subgroup_stems |= {t for c in chunks if c.row and c.section not in OUTCOME_SECTIONS
                                for t in thresholds(" ".join(c.row))}
        # The groups of patients a results table gives one result for and not another: two words in a row of its
        # label after "patients" ("Median OS in patients with anti-CD38 in a consecutive line") where every row
        # they are in gives the same results, and another row of the table others ("Median PFS in …"). Asking
        # another result of that group ("PFS … in a consecutive line") asks what the table does not give.
        self.tables: dict[str, list[Chunk]] = {}  # each study's results tables (their header chunks)
        for c in results:
            if c.kind == "table" and c.row is None and c.table:
                for study in c.related_studies:
                    self.tables.setdefault(study, []).append(c)
        self.qualifiers: dict[str, dict[tuple[str, str], frozenset[str]]] = {}
        by_table: dict[tuple[str, str], list[tuple[frozenset[str], set[tuple[str, str]]]]] = {}
        for c in results:
            if c.row and c.table and (group := PATIENTS_QUALIFIED.search(c.row[-1])):
                given = frozenset(lexical_tokens(lexicons[c.document].expand(" ".join(c.row)))) & self.results
                for study in c.related_studies:
                    by_table.setdefault((study, c.table), []).append((given, _word_pairs(group.group(1))))
        for (study, _), table_rows in by_table.items():
            # the words its results share are none of them ("survival" of PFS and OS)
            givens = [g for g, _ in table_rows if g]
            common = frozenset.intersection(*givens) if givens else frozenset()
            table_rows = [(g - common, p) for g, p in table_rows]
            by_pair: dict[tuple[str, str], set[frozenset[str]]] = {}
            for row_results, row_pairs in table_rows:
                for pair in row_pairs:
                    by_pair.setdefault(pair, set()).add(row_results)
            for pair, pair_results in by_pair.items():
                only = next(iter(pair_results))
                if len(pair_results) == 1 and only and any(g - only for g, _ in table_rows if g):
                    self.qualifiers.setdefault(study, {})[pair] = only
        # The sizes of the groups each study gives ("N=474", "(n=29)").
        self.sizes: dict[str, set[str]] = {}
        for c in chunks:
            for study in c.related_studies:
                self.sizes.setdefault(study, set()).update(GROUP_SIZE.findall(c.text))
        # The groups each study's baseline prose counts by a compound, but its own cohorts (Tan et al's
        # "DARZALEX-refractory", 119 of their 157): a subgroup of that study, whose results are of all 157.
        self.counted_groups: dict[str, set[str]] = {}
        for c in chunks:
            if c.section == "Patient Characteristics" and not c.row:
                lexicon = lexicons[c.document]
                for study in c.related_studies:
                    self.counted_groups.setdefault(study, set()).update(
                        counted[0] for m in COUNTED_GROUP.finditer(c.text)
                        if (counted := lexical_tokens(lexicon.canonical(m.group(1))))
                        and counted[0] not in self.study_cohorts.get(study, set()))

    def unreported(self, query: Query, studies: list[str]) -> bool:
        # What the asking sentences ask: a scene set before them ("progressed on dara-pom-dex, thinking of dara
        # with carfilzomib. In Tan et al, what median PFS …?") names no cohort.
        # An asking sentence that names no result asks the one its scene names ("The Abdallah study gives duration
        # of response for the naive cohort; what was it in the retreatment cohort?").
        bounds = thresholds(query.topic)
        asking = asked_sentences(query.topic)
        # Who asks is no result asked: the scene's "staff hematologist here" asks no hematologic event.
        typed = words(query.topic)
        persons = [bool(ROLE_WORD.fullmatch(w)) or any(lex.names_a_person(w) for lex in self.lexicons.values())
                   for w in typed]
        who = ({t for w, p in zip(typed, persons, strict=True) if p for t in lexical_tokens(w)}
               - {t for w, p in zip(typed, persons, strict=True) if not p for t in lexical_tokens(w)})
        # Doing again in other words what the letter reports done again ("re-challenge") names the study's cohort
        # of that kind ("DARZALEX retreatment cohort").
        again = {t for sid in studies for t in self.study_cohorts.get(sid, ()) if t.startswith(REPEAT)} if any(
            not set(lexical_tokens(w)) <= lex.stems() and lex.repeats(w.replace("-", ""), lex.stems(), self.common_zipf)
            for w in typed for lex in self.lexicons.values()) else set()
        for terms, text in [(query.asking, asking), (query.terms, None)] if asking else [(query.asking, None)]:
            asked = set(terms) - who | bounds | again
            # A measure asked by an initialism the letter never writes ("DOR"), which the analysis spells out, or
            # by how long something lasted ("how long did responses last": the duration of response).
            lasting = time_measures(text or query.topic)
            asked |= {t for lex in self.lexicons.values()
                      for abbr in lex.abbreviations_spelled_out(
                          " . ".join([lex.expand(text) if text else query.expanded, *lasting]))
                      for t in lexical_tokens(abbr)}
            # A part of a compound the question writes is no result of its own: the Pd of D-Pd is not PD.
            parts = {p for t in asked if COMPOUND.search(t) for p in COMPOUND.split(t) if p}
            if results := asked & self.results - parts:
                break
        # An asking sentence referring back to a group ("What median PFS did that sequence group have?") asks the
        # groups its scene names ("19 patients got Isatuximab-Daratumumab.").
        if asking and REFERRED_GROUP.search(asking):
            asked |= set(query.terms) & self.subgroup_stems
        # A table quoted by its title names the table: "In the PFS and OS Outcomes table, … PFS" asks PFS alone.
        text = " ".join(words(query.topic))
        for table in (c for sid in studies for c in self.tables.get(sid, ())):
            title = " ".join(words(table.table or ""))
            if re.search(rf"\btable {re.escape(title)}\b|\b{re.escape(title)} table\b", text):
                text = text.replace(title, " ")
                lexicon = self.lexicons[table.document]
                results -= set(lexical_tokens(lexicon.expand(title))) - set(lexical_tokens(lexicon.expand(text)))
        # (a cohort word of another study is wording here: Szabo et al's "Discontinued IR" is no cohort of Abdallah
        # et al's, whose "treatment discontinuations" are events)
        cohort = asked & set().union(*(self.study_cohorts.get(sid, set()) for sid in studies)) - results
        # A bound on a number asked is a group of patients ("aged 75 or older"), whether or not a table bounds it.
        subgroup = (asked & self.subgroup_stems | bounds) - results
        # (a compound group written as two words: "high risk" of "High-risk cytogenetics", "dara refractory")
        joined = {"-".join(pair) for lex in self.lexicons.values()
                  for pair in _word_pairs(lex.canonical(asking or query.topic))}
        subgroup |= joined & self.subgroup_stems
        # So is a group counted ("the 100 patients who were refractory at the start"), unless the study gives a
        # cohort of that size ("N=474": all its patients; "n=29": a group its results rows give).
        subgroup |= {n for found in SIZED_GROUP.findall(query.topic) for n in found
                     if n and not any(n in self.sizes.get(sid, ()) for sid in studies)}
        # And a group the study's baseline prose counts ("the patients already DARZALEX-refractory at retreatment"),
        # also by its words but the drug's name, which a question on the drug leaves out or says elsewhere ("already
        # refractory when retreatment began"), written out (not the "refractory" RRMM stands for).
        subgroup |= {t for t in asked | joined
                     if studies and all(t in self.counted_groups.get(sid, ()) for sid in studies)}
        # (not the disease's state: "relapsed/refractory myeloma", the letter's RRMM, is no refractory group)
        written = set(lexical_tokens(DISEASE_STATE.sub(" ", asking or query.topic)))
        subgroup |= {g for sid in studies[:1] for g in self.counted_groups.get(sid, ())
                     if all(g in self.counted_groups.get(other, ()) for other in studies)
                     and (words_of := set(COMPOUND.split(g)) - self.drug_names) and words_of <= written}
        # A group a results table gives other results for ("… in a consecutive line": OS, not PFS).
        # (in either order, and a compound's parts as two words: "anti-CD38-refractory" asks the group "refractory to
        # anti-CD38")
        said = _word_pairs(query.topic) | {
            (left[0], right[0]) for w in words(query.topic) if w.count("-") for i in range(1, w.count("-") + 1)
            if (left := lexical_tokens("-".join(w.split("-")[:i]))) and (right := lexical_tokens("-".join(
                w.split("-")[i:])))}
        said |= {(b, a) for a, b in said}
        subgroup |= {t for sid in studies for pair, given in self.qualifiers.get(sid, {}).items()
                     if pair in said and not results & given for t in pair}
        held = [statement for sid in studies for statement in self.passages.get(sid, []) if results & statement.terms]
        # A confidence interval asked of a group a results table names, where the group's own statement (of those
        # with figures, the one saying least else: its row, not the rows around it) gives the value alone: EMMY's
        # median OS "in patients with anti-CD38 in a consecutive line" is "22.3".
        if CI_ASKED.search(query.topic) and (group := {t for sid in studies for pair in self.qualifiers.get(sid, {})
                                                       if pair in said for t in pair}):
            own = min((s for s in held if group <= s.terms and s.figured), key=lambda s: len(s.terms), default=None)
            if own and not CI_STEMS & own.terms:
                return True
        # The words a column of a cohort table has alone, asked ("D3", "second" of "Second … Retreatment (D3, n=7)").
        columns = {t for s in held for t in asked & (s.absent | s.columns)}
        if not studies or not results or not (cohort or subgroup or columns):
            return False
        if not held:
            return False  # no results passage of the study holds it: asked of its design ("cycles required")
        # A rate at a time point is held where that time point is given ("24-month PFS" by its row).
        # (the time points the asking sentences ask: "… reported 6-month PFS for D3; what was its 24-month PFS?")
        months = (landmarks(asking) or query.landmarks) if asking else query.landmarks
        held = [s for s in held if months <= s.months] or held
        # A number asked is given by a statement with figures, where the study has one: EMMY's sentence that OS
        # did not differ by refractory status gives no median OS of refractory patients.
        # (whether a group's outcome differed, "did being refractory change how long they lived", is answered by a
        # statement that it did not, figures or none)
        if query.quantity and not DIFFERENCE_ASKED.search(asking or query.topic):
            held = [s for s in held if s.figured] or held
        # A row holds no column it leaves a dash in; a table's note holds only the columns it names.
        return not any((s.several or cohort <= s.terms or bool(cohort & s.one)) and not asked & s.absent
                       and not asked & s.columns - s.one and all(_named(t, s.terms) for t in subgroup) for s in held)


    def undescribed(self, query: Query, studies: list[str]) -> str | None:
        """A patient characteristic (no result) asked of a cohort the study's baseline tables do not describe:
        the median age of Souren et al's D1, whose baseline table is the Total Cohort (D2 + D3). A baseline
        table describes the cohorts its title or columns name; one naming none of them ("N=286") any cohort."""
        asked = set(query.asking or query.terms)
        if asked & self.results:
            return None  # a result of a cohort: `unreported` reads it
        sized = {n for found in SIZED_GROUP.findall(query.topic) for n in found if n}
        for sid in studies:
            columns = [own for own in self.cohort_columns.get(sid, []) if own]
            named = [own for own in columns if own & asked]
            what = asked - self.wording - set().union(*columns)
            rows = [(label, described) for label, described in self.baseline.get(sid, []) if label & what]
            if named and rows and all(any(own & described for own in columns)
                                      and any(not own & (described | label) for own in named)
                                      for label, described in rows):
                return " ".join(sorted(set().union(*named) & asked))
            # A group named by its size ("the 192 pts who got dara again", "the whole 293-pt population") that no
            # baseline table of the study is of (Szabo et al's describes all 474, Souren et al's D2 + D3).
            if rows and sized and not any(n in described for _, described in rows for n in sized):
                return f"{' '.join(sorted(sized))} patients"
            # A cohort of the study set against the patients outside it ("the Szabo patients who got dara
            # retreatment vs those who didn't"), where its baseline tables describe all of them as one ("Discontinued
            # IR (N=474)"), naming neither.
            # (a characteristic its results give for the cohorts, the response after retreatment, is theirs)
            contrasted = asked & self.study_cohorts.get(sid, set())
            characteristic = what & set().union(*(label for label, _ in rows))
            if contrasted and rows and COHORT_CONTRASTED.search(query.topic) and not any(
                    contrasted & described for _, described in rows) and not any(
                    characteristic & statement.terms for statement in self.passages.get(sid, [])):
                return " ".join(sorted(contrasted)) + " against the rest"
        return None


# The disease's state, as the letter spells out RRMM and readers write it.
DISEASE_STATE = re.compile(r"\brelapsed\s*(?:/|-|\bor\b|\band\b)?\s*refractory\b", re.IGNORECASE)

# Patients of a group set against the rest: "… who received retreatment compared with those who did not", "with
# vs without retreatment", "retreated or not".
COHORT_CONTRASTED = re.compile(
    r"\b(?:vs\.?|versus|compared\s+(?:with|to)|and|or|than)\s+(?:(?:those|patients|pts|people|the\s+ones|ones)\s+)?"
    r"(?:who\s+|that\s+)?(?:did\s+not|didn'?t|were\s+not|weren'?t|had\s+not|hadn'?t|not|without|never)\b",
    re.IGNORECASE)


def _word_pairs(text: str) -> set[tuple[str, str]]:
    """The stems of each two content words next to each other ("anti-CD38 in a consecutive line": anti-cd38
    consecut, consecut line)."""
    stems = [found[0] for w in content_words(text) if (found := lexical_tokens(w))]
    return set(itertools.pairwise(stems))


# A note listing what a group holds ("Other includes cyclophosphamide, venetoclax …", "HRCAs are defined as one or
# more of the following: 1q+, del(1p) …"), from its verb to the end of its sentence.
MEMBER_VERBS = r"(?:includes?|defined (?:as|by)|consists? of)"
MEMBERS = re.compile(rf"\b{MEMBER_VERBS}\b.*?(?:\.(?=\s|$)|$)", re.I | re.S)
# Such a note on a group labelled "other" ("aOther includes cyclophosphamide, …"): the study lists its "other".
OTHERS_LISTED = re.compile(rf"other\s+(?:(?:is|was|were)\s+)?{MEMBER_VERBS}\b", re.IGNORECASE)


def _listed(note: str, common_zipf: float) -> set[str]:
    """The stems of the rarer words of a note's list, up to the first comma followed by a grammar word (", each
    detected with a cutoff of 10%")."""
    items: list[str] = []
    for i, part in enumerate(note.split(",")):
        first = next((w for w in words(part) if w not in ("and", "or")), "")
        if i and (not first or (first.isalpha() and zipf(first) >= GRAMMAR_ZIPF)):
            break
        items.append(part)
    # (and each member written whole, as a question writes it: "del(17p)" as del17p, "1q+" as 1q)
    whole = [j for raw in re.split(r"[\s,/]+", " ".join(items))
             if ";" not in raw and (j := re.sub(r"[()\[\]+.]", "", raw).lower()) != raw.lower().rstrip(".")]
    return {t for w in [*words(" ".join(items)), *whole] if zipf(w) < common_zipf
            for t in lexical_tokens(w) if len(t) > 1 and not t.isdigit()}


def members_only(chunks: list[Chunk], common_zipf: float, terms: list[frozenset[str]]) -> dict[str, frozenset[str]]:
    """Each study's words that it writes only as members of a group (Tan et al's venetoclax, one of the "DARZALEX +
    other" regimens; Szabo et al's del17p, one of their high-risk aberrations): it gives no figure for them alone.
    `terms`: each chunk's terms, by position (those of a chunk with no such note are all outside one)."""
    inside: dict[str, set[str]] = {}
    outside: dict[str, set[str]] = {}
    for pos, c in enumerate(chunks):
        notes = list(MEMBERS.finditer(c.text))
        listed = {t for m in notes for t in _listed(m.group(0), common_zipf)}
        rest = set(lexical_tokens(MEMBERS.sub(" ", c.text))) if notes else terms[pos]
        for study in c.related_studies:
            inside.setdefault(study, set()).update(listed)
            outside.setdefault(study, set()).update(rest)
    return {study: frozenset(found - outside.get(study, set())) for study, found in inside.items()}


# Patients put into groups, which the lines after it define: "Patients were divided into 3 subgroups:".
DIVIDED = re.compile(r"\b(?:divided|grouped|categori[sz]ed|stratified|split)\s+(?:into|by|according)\b", re.IGNORECASE)


def defining_units(chunks: list[Chunk], lexicons: dict[str, Lexicon]) -> dict[str, list[frozenset[str]]]:
    """Each study's defining sentences (`DEFINITION_STATED`, a note listing a group's members, patients divided into
    groups), as their stems in the letter's canonical names, with the spelled-out words of an abbreviation before
    the defining verb ("aHRCAs are defined as …": high-risk cytogenetic abnormality). Not the abbreviations after
    it: "Patients with RRMM" in inclusion criteria defines no kind of refractoriness."""
    units: dict[str, list[frozenset[str]]] = {}
    for c in chunks:
        lexicon = lexicons[c.document]
        for line in c.text.split("\n"):
            for sentence in re.split(r"(?<=\.)\s+", line):
                if not (m := DEFINITION_STATED.search(sentence) or MEMBERS.search(sentence)
                        or DIVIDED.search(sentence)):
                    continue
                subject = [a for w in words(sentence[:m.start()]) for a in dict.fromkeys(
                    (w, w.rstrip("s"), w[1:], w[1:].rstrip("s"))) if a in lexicon.abbreviations]
                unit = frozenset(lexical_tokens(lexicon.canonical(sentence))) | frozenset(
                    lexical_tokens(" ".join(lexicon.abbreviations[a] for a in subject)))
                for study in c.related_studies:
                    units.setdefault(study, []).append(unit)
    return units


def counted_only(chunks: list[Chunk]) -> dict[str, frozenset[str]]:
    """Each study's words that it gives a count of and never its members: the own label of a row no row is under
    (Abdallah et al's "Post-BCMA exposure 11 (26)", Souren et al's "Nonhematologic Infection 7 (32)") and a word a
    figure follows in a sentence (Szabo et al's "toxicity (11%)"), when the study writes it nowhere else. Which
    BCMA therapies, which infections, which toxicities: the letter does not list them."""
    paths = {tuple(c.row) for c in chunks if c.row}
    parents = {path[:n] for path in paths for n in range(1, len(path))}
    counted: dict[str, set[str]] = {}
    elsewhere: dict[str, set[str]] = {}
    for c in chunks:
        if c.row:
            own = lexical_tokens(c.row[-1]) if tuple(c.row) not in parents else []
            rest = lexical_tokens(" ".join([*c.row[:-1], c.table or ""] + ([] if own else [c.row[-1]])))
        else:  # a passage's own words; an abbreviation line defines a term, it counts nothing
            said = " ".join(q for q in (c.quotes or [c.text]) if not q.startswith("Abbreviations:"))
            own = [t for m in COUNTED.finditer(said) for t in lexical_tokens(m.group(1))]
            rest = lexical_tokens(COUNTED.sub(" ", said))
        for study in c.related_studies:
            counted.setdefault(study, set()).update(own)
            elsewhere.setdefault(study, set()).update(rest)
    return {study: frozenset(found - elsewhere.get(study, set())) for study, found in counted.items()}


# The subject of a Safety sentence that reports no table: "No treatment-related deaths were reported",
# "Treatment discontinuations occurred due to …".
SAFETY_SUBJECT = re.compile(r"^(?:no\s+)?((?:[\w-]+\s+){0,2}[\w-]+?)\s+(?:were|was|occurred|led)\b", re.I)


@dataclass(frozen=True, slots=True)
class SafetyReports:
    """What the Safety sections report besides their tables, read once from the letters."""

    events: tuple[tuple[str, frozenset[str]], ...]  # each sentence's subject: its head's stem, its other words'
    words: frozenset[str]  # the rarer words of the Safety tables' titles: a question about safety (TEAE, adverse)
    said: dict[str, frozenset[str]]  # each study's Safety passages' stems
    unnumbered: dict[str, frozenset[str]]  # each study's events reported without a number ("discontinuations
    # occurred due to …"; "No … deaths were reported" is a number, none)


def safety_reports(chunks: list[Chunk], lexicons: dict[str, Lexicon], common_zipf: float) -> SafetyReports:
    """Each Safety sentence's subject as the stem of its head noun and of its other words (deaths: treatment,
    related; discontinuations: treatment). A study with a Safety section that reports no such event (Souren et
    al: a TEAE table) does not give it; one reporting it without a number gives no number of it."""
    events: list[tuple[str, frozenset[str]]] = []
    titles: set[str] = set()
    other_titles: set[str] = set()  # (the other tables' words: "DARZALEX", "Retreated")
    said: dict[str, set[str]] = {}
    unnumbered: dict[str, set[str]] = {}
    for c in chunks:
        lexicon = lexicons[c.document]
        if c.kind == "table" and c.table:
            found = {w for w in words(lexicon.expand(c.table)) if zipf(w) < common_zipf}
            (titles if c.section == "Safety" else other_titles).update(found)
        if c.section != "Safety":
            continue
        for study in c.related_studies:
            said.setdefault(study, set()).update(lexical_tokens(lexicon.expand(c.text)))
        if c.row is None and c.kind != "table":
            for sentence in c.quotes or [c.text]:
                if not TABLE_POINTER.search(sentence) and (m := SAFETY_SUBJECT.match(sentence)):
                    *others, head = words(m.group(1))
                    events.append((lexical_tokens(head)[0], frozenset(lexical_tokens(" ".join(others)))))
                    if not FIGURE.search(sentence) and not re.match(r"no\b", sentence, re.I):
                        for study in c.related_studies:
                            unnumbered.setdefault(study, set()).add(events[-1][0])
    return SafetyReports(tuple(events), frozenset(lexical_tokens(" ".join(titles - other_titles))),
                         {k: frozenset(v) for k, v in said.items()}, {k: frozenset(v) for k, v in unnumbered.items()})


# A row standing for a count ("2", "≥6", "0-1" under "Previous lines of treatment, n (%)"), and a count a question
# asks of ("only 1 previous line", "one line of therapy").
COUNT_ROW = re.compile(r"([≥>]?)\s*(\d+)(?:-(\d+))?\+?")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
# A summary statistic asked of a characteristic ("the median number of previous lines").
SUMMARY_ASKED = re.compile(r"\b(median|mean|average)\s+((?:[a-z][\w-]*\s+){0,3}[a-z][\w-]*)", re.I)
SUMMARY_STATED = re.compile(r"\b(?:median|mean|average)\b", re.I)
COUNT_ASKED = re.compile(r"\b(\d+|" + "|".join(NUMBER_WORDS) + r")\s+((?:[a-z][\w-]*\s+){0,3}[a-z][\w-]*)", re.I)


def count_rows(chunks: list[Chunk]) -> dict[str, list[tuple[frozenset[str], frozenset[int], int | None]]]:
    """Each study's rows of counts, by their parent label: its stems, the counts its rows give one by one, and the
    least a "≥" row gives onwards (EMMY's previous lines: 2, 3, 4, 5 and ≥6; no row of 1)."""
    found: dict[tuple[str, str], tuple[set[int], list[int]]] = {}
    for c in chunks:
        if c.row and len(c.row) >= 2 and c.section not in OUTCOME_SECTIONS and (
                m := COUNT_ROW.fullmatch(c.row[-1].strip())):
            for study in c.related_studies:
                counts, onwards = found.setdefault((study, c.row[-2].split(",")[0]), (set(), []))
                low, high = int(m.group(2)), int(m.group(3) or m.group(2))
                if m.group(1):
                    onwards.append(low + (m.group(1) == ">"))
                else:
                    counts.update(range(low, high + 1))
    rows: dict[str, list[tuple[frozenset[str], frozenset[int], int | None]]] = {}
    for (study, parent), (counts, onwards) in found.items():
        rows.setdefault(study, []).append(
            (frozenset(lexical_tokens(parent)), frozenset(counts), min(onwards, default=None)))
    return rows


def _row_label_stems(chunks: list[Chunk]) -> dict[str, set[str]]:
    """Each study's stems of the row labels of `chunks`."""
    found: dict[str, set[str]] = {}
    for c in chunks:
        if c.row and c.study_id:
            found.setdefault(c.study_id, set()).update(lexical_tokens(" ".join(c.row)))
    return found


def _without_notices(text: str, notices: list[str]) -> str:
    """`text` with the letters' notices declining to recommend practice taken out."""
    for notice in notices:
        text = text.replace(notice, " ")
    return text


# A row whose label is a bin of a measure: "0-1", "75-79, n (%)", "≥6", ">2", "<65", "3".
BIN_LABEL = re.compile(r"^\s*(?:(?P<lo>\d+)\s*[-–]\s*(?P<hi>\d+)|(?P<op>[≥>≤<])\s*(?P<bound>\d+)|(?P<one>\d+))"
                       r"\s*(?:,\s*n\s*\(%\)|lines?)?\s*$")
# A value asked of a measure by its name ("ECOG 3", "ECOG score of 0", "aged 77"); not a count or a time ("3 months",
# "12%"). An open threshold ("8 or more", "≥8", "at least 8") is read by `thresholds`.
VALUE_OF = re.compile(r"\b(ecog|aged?)\s+(?:score\s+|status\s+|of\s+)?(\d+)\b"
                      r"(?!\s*(?:[-–%]|months?|years?|mg|(?:to|or|and|through)\s+\d))", re.IGNORECASE)


def row_bins(chunks: list[Chunk]) -> dict[str, list[tuple[frozenset[str], list[tuple[float, float]]]]]:
    """Each study's tables of a measure in bins, by the stems of the measure's label: its rows' spans, [lo, hi]
    ("0-1": 0 to 1, "≥6": 6 on, "<65": up to 64)."""
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for c in chunks:
        if c.kind != "row" or not c.row or len(c.row) < 2 or not (m := BIN_LABEL.match(c.row[-1])):
            continue
        if m.group("lo"):
            span = (float(m.group("lo")), float(m.group("hi")))
        elif m.group("op"):
            bound = float(m.group("bound"))
            span = {"≥": (bound, math.inf), ">": (bound + 1, math.inf), "≤": (-math.inf, bound),
                    "<": (-math.inf, bound - 1)}[m.group("op")]
        else:
            span = (float(m.group("one")), float(m.group("one")))
        for study in c.related_studies:
            found.setdefault((study, c.row[-2]), []).append(span)  # by its measure: the row's parent
    bins: dict[str, list[tuple[frozenset[str], list[tuple[float, float]]]]] = {}
    for (study, parent), spans in found.items():
        if len(spans) > 1:
            words = [w for w in content_words(parent) if w != "n"]
            bins.setdefault(study, []).append((frozenset(lexical_tokens(" ".join(words))), spans))
    return bins


def _named(term: str, terms: set[str]) -> bool:
    """Whether `terms` name a stem, a compound by its parts ("D-Pd" by a column "D-Pd/D-Rd", "high-risk" by
    "High risk"), grammar words aside."""
    return all(part in terms for part in COMPOUND.split(term) if part and part not in STOPWORDS)


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
    def __init__(self, index: LoadedIndex, encoder: Encoder | Future[Encoder], settings: RetrievalSettings) -> None:
        """`encoder` may still be loading (a future): the tables below do not need it, only a search does."""
        self.index = index
        self._encoder = encoder
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
        self._stems: dict[str, StudyWords] = {}
        self._stems_lock = threading.Lock()
        self.drug_names = drug_names(index.lexicons)
        # The short forms the letter explains beside them: in brackets after what they name, or by a note on a row
        # they label ("Daratumumab-Isatuximab" with "Daratumumab administered after Isatuximab").
        self.explained = frozenset(m.lower() for c in index.chunks for m in BRACKETED.findall(c.text)) | frozenset(
            c.row[-1].lower() for c in index.chunks if c.row and ROW_NOTE.search(c.text))
        # The stems every study's passages use ("myeloma", "patients"), which tell no study's passages apart.
        by_study = [frozenset().union(*(lexical_tokens(c.text) for c in index.chunks if sid in c.related_studies))
                    for sid in {sid for c in index.chunks for sid in c.related_studies}]
        self.every_study_says = frozenset.intersection(*by_study) if by_study else frozenset()
        self.kinds = np.array([c.kind for c in index.chunks])
        self.documents_of = np.array([c.document for c in index.chunks])
        studies = sorted({sid for c in index.chunks for sid in c.related_studies})
        self.study_masks = {sid: np.array([sid in c.related_studies for c in index.chunks]) for sid in studies}
        # Table structure: the stems of each row's own label (the innermost one of its path), and whether a
        # passage holds a number at all (a row's cells, a sentence's figures).
        self.label_size = np.zeros(len(index.chunks))
        self.rows_by_label_stem: dict[str, list[int]] = {}
        self.label_stems: list[tuple[frozenset[str], frozenset[str]]] = []  # each row's own and parent labels'
        for pos, chunk in enumerate(index.chunks):
            own = frozenset(lexical_tokens(chunk.row[-1])) if chunk.row else frozenset()
            self.label_stems.append((own, frozenset(lexical_tokens(" ".join(chunk.row))) - own if chunk.row
                                     else frozenset()))
            self.label_size[pos] = len(own)
            for stem in own:
                self.rows_by_label_stem.setdefault(stem, []).append(pos)
        # Term coverage: which chunks hold each BM25 term at all, and the term's rarity (IDF) over the chunks.
        holding: dict[str, list[int]] = {}
        self.chunk_terms = [frozenset(terms) for terms in index.lexical.terms]
        for pos, held in enumerate(self.chunk_terms):
            for term in held:
                holding.setdefault(term, []).append(pos)
        n = len(index.chunks)
        self.chunks_by_term = {t: np.array(p, dtype=np.int64) for t, p in holding.items()}
        self.idf = {t: float(np.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))) for t, p in self.chunks_by_term.items()}
        self.outcome_stems = outcome_stems(index.chunks, settings.common_zipf, index.lexicons)
        self.followers = followers(index.chunks, self.outcome_stems, index.lexicons)
        self.characteristics = characteristics(index.chunks, index.lexicons)
        self.moments = moments(index.chunks, index.lexicons)
        self.combined = combined_only(index.chunks)
        self.bins = row_bins(index.chunks)
        self.within_longer = abbreviated_within(index.chunks, index.lexicons)
        # The letter's graded lines, by passage: their stems (abbreviations spelled out) and the grades each
        # gives; and the words most of them share (their tables' column headings: "DARZALEX Retreatment"),
        # which do not tell one graded event from another.
        self._graded = {c.id: lines for c in index.chunks if (lines := tuple(
            (frozenset(lexical_tokens(index.lexicons[c.document].expand(unit))),
             grade_sets(unit) | ({frozenset[int]()} if EVERY_ONE_GRADE.search(unit) else set()))
            for unit in graded_lines(c)))}
        graded = [stems for lines in self._graded.values() for stems, _ in lines]
        self.graded_headings = frozenset(t for t, n in Counter(t for stems in graded for t in stems).items()
                                         if n > len(graded) / 2)
        # Papers the letter only lists (its other relevant literature): no section reports them, so their
        # reference entry is all the letter says of them. The first author's surname -> the entry's chunk id.
        self.listed_papers = {m.group(1).lower(): c.id for c in index.chunks
                              if c.kind == "references" and not c.related_studies
                              and (m := LISTED_AUTHOR.search(c.text))}
        self._listed_positions = {c.id: pos for pos, c in enumerate(index.chunks) if c.id in
                                  self.listed_papers.values()}
        self.venue_words = {doc: venue_words(lexicon.venues) for doc, lexicon in index.lexicons.items()}
        # What each reference entry gives (volume, pages, DOI …), by its chunk, with the studies it cites.
        self.entries = {c.id: (frozenset(c.related_studies), fields_given(c.text))
                        for c in index.chunks if c.kind == "references"}
        # What the letter's literature search line gives beyond its databases and date (search terms …).
        self.search_given = frozenset().union(*(fields_given(c.text, SEARCH_FIELDS) for c in index.chunks
                                                 if c.kind == "literature_search"))
        # How the letters' senders may be reached (a telephone number, an email address …), where they print it.
        self.contact_given = frozenset().union(*(fields_given(c.text, CONTACT_FIELDS) for c in index.chunks))
        self.bound_parts = bound_parts(index.chunks)
        self.members_only = members_only(index.chunks, settings.common_zipf, self.chunk_terms)
        self.partner_stems = partner_stems(index.chunks, index.lexicons, settings.common_zipf)
        self.defining_units = defining_units(index.chunks, index.lexicons)
        self.counted_only = counted_only(index.chunks)
        self.count_rows = count_rows(index.chunks)
        # each study's sentences and row lines that give a median, mean or average, as stems
        self.summary_lines: dict[str, list[frozenset[str]]] = {}
        for chunk in index.chunks:
            stated = [frozenset(lexical_tokens(q)) for q in chunk.quotes if SUMMARY_STATED.search(q)]
            for study in chunk.related_studies:
                self.summary_lines.setdefault(study, []).extend(stated)
        self.safety = safety_reports(index.chunks, index.lexicons, settings.common_zipf)
        self.time_measures: dict[str, set[str]] = {}
        for c in index.chunks:
            for measure, written in time_measures(c.text).items():
                self.time_measures.setdefault(measure, set()).add(written)
        expansions = {long.lower() for lexicon in index.lexicons.values() for long in lexicon.abbreviations.values()}
        rare_sets = Counter(self._rare_stems_of(long) for long in expansions)
        self._ambiguous_expansions = {stems for stems, n in rare_sets.items() if n > 1 and stems}
        self.landmarks_given = frozenset().union(*(landmarks(c.text) for c in index.chunks))
        self.status_given = any(STATUS_ASKED.search(c.text) for c in index.chunks)
        # The letters' labels of a letter and a number (Souren et al's D1-D3, Szabo et al's P1 and T0), and the
        # letters they use: "P2" is no label of the letter, though "P1" is.
        self.label_letters = {w[0] for lexicon in index.lexicons.values() for w in lexicon.vocabulary
                              if LABEL.fullmatch(w)}
        self.label_pairs = {frozenset((a.lower(), b.lower()))
                            for c in index.chunks for a, b in LABEL_PAIR.findall(c.text)}
        # The passages naming a statistical method (Tan et al's Kaplan-Meier), and the studies they speak of.
        methods = [c for c in index.chunks if STATISTICAL_METHOD.search(c.text)]
        self.method_named = {sid for c in methods for sid in c.related_studies}
        self.method_anywhere = bool(methods)
        # (the letter's notice declining to recommend "practice guidelines" reports none)
        notices = [d.advice_notice for d in index.documents.values() if d.advice_notice]
        self.guideline_given = any(GUIDELINE_ASKED.search(_without_notices(c.text, notices)) for c in index.chunks)
        self.label_given = any(asks_the_label(_without_notices(c.text, notices)) for c in index.chunks)
        # The letter's measures a reader may write as initials though the letter never does ("DOR" for its
        # "duration of response"): initialisms of phrases its results passages use.
        reported: dict[str, set[str]] = {}
        for c in index.chunks:
            if c.section in OUTCOME_SECTIONS:
                reported.setdefault(c.document, set()).update(phrases(c.text))
        self.measure_initialisms = {doc: {short: long for short, long in lex.initialisms.items()
                                          if long in reported.get(doc, set())}
                                    for doc, lex in index.lexicons.items()}
        # What the letter's structure takes up (its sections, table titles and row labels): a label topic a
        # question asks is covered only when a study gives it a section, a table or a row.
        self.structure_stems = {t for c in index.chunks for t in lexical_tokens(
            " ".join([c.section or "", c.table or "", *(c.row or [])]))}
        spelled_terms = [frozenset(terms) for terms in index.lexical.spelled_terms]
        self.cohorts = Cohorts(index.chunks, spelled_terms, self.outcome_stems, index.lexicons, settings.common_zipf,
                               self.bound_parts)
        self.has_number = np.array([c.kind != "table" and bool(NUMBER.search(
            c.quotes[0].split(":", 1)[-1] if c.kind == "row" and c.quotes else " ".join(c.quotes or [c.text])))
            for c in index.chunks])
        self.log_tokens = np.log1p([c.tokens for c in index.chunks])
        # What each passage shows a reader: its sentences or row lines, in their study and table.
        self.shown = [frozenset((c.study_id, c.table, q) for q in (c.quotes or [c.text])) for c in index.chunks]
        self.ranker = self._ranker(index)

    @property
    def encoder(self) -> Encoder:
        if isinstance(self._encoder, Future):
            self._encoder = self._encoder.result()
        return self._encoder

    def _ranker(self, index: LoadedIndex) -> Ranker | None:
        """The learned ranker, when on and trained for the encoder this index was built with."""
        s = self.settings
        if not s.learned_ranker or s.ranker is None:
            return None
        ranker = load_ranker(s.ranker)
        built_with = index.manifest.tuning
        if ranker.manifest.tuning != built_with:
            logger.warning("the learned ranker in %s was trained for the encoder patch %s, the index was built "
                           "with %s: ranking by the fusion alone (retrain with `qa train-ranker`)", s.ranker,
                           (ranker.manifest.tuning or "none")[:16], (built_with or "none")[:16])
            return None
        return ranker

    @property
    def documents(self) -> list[str]:
        return list(self.index.documents)

    def analyse(self, question: str, document: str | None = None) -> Query:
        """The question analysed against the letter asked (or the only one); several letters: no lexicon."""
        docs = [document] if document else self.documents
        lexicon = self.index.lexicons[docs[0]] if len(docs) == 1 else None
        s = self.settings
        return analyse(question, lexicon, shorthand=s.read_shorthand, courtesy=s.set_courtesy_aside,
                       spelling=s.correct_spelling, common_zipf=s.common_zipf, synonyms=s.wordnet_synonyms,
                       parts_of_speech=s.wording_by_part_of_speech,
                       self_reference=s.read_self_reference)

    def dense_text(self, query: Query) -> str:
        """What is embedded for a question: its topic, with the letter's expansions when `expand_dense`."""
        return query.expanded if self.settings.expand_dense else query.topic

    def search(self, question: str, k: int = 5, document: str | None = None) -> Retrieval:
        query, vector, studies, scores = self._scored(question, document)
        docs = [document] if document else self.documents
        if self.ranker is not None:
            self._rerank(query, scores, studies)

        order = np.flatnonzero(np.isfinite(scores.final))
        # The candidates the learned ranker re-ordered stay ahead of the rest.
        order = order[np.lexsort((scores.positions[order], -scores.final[order], ~scores.reranked[order]))]
        order = self._distinct(order, scores.positions, k) if self.settings.distinct_passages else order[:k]
        if document is None and len(order):
            document = self.index.chunks[scores.positions[order[0]]].document
            order = np.array([i for i in order if self.index.chunks[scores.positions[i]].document == document],
                             dtype=np.int64)
        document = document or docs[0]
        order = self._figure_first(query, order, scores.positions)
        asked = frozenset(query.content)
        passages = [
            Passage(
                chunk=self.index.chunks[pos],
                score=round(float(scores.final[i]), 6),
                rank=r,
                highlight=self._highlight(pos, vector, asked),
                dense=round(float(scores.cosine[i]), 6),
                lexical=round(float(scores.bm25[i]), 6),
            )
            for r, i in enumerate(order.tolist(), start=1)
            for pos in [int(scores.positions[i])]
        ]
        # Advice requests are answered with the letter's passages (and flagged), unless the letter does not
        # speak of what they ask about at all ("adjust metformin for an eGFR of 25").
        refused_by = self._unsupported(query, scores.top_dense, advice=True) if query.advice else self._refusal(
            query, scores.top_dense, studies, document, passages)
        return Retrieval(
            question=query.text,
            document=document,
            passages=passages,
            answerable=refused_by is None,
            advice_request=query.advice,
            studies=studies,
            top_dense=round(scores.top_dense, 6),
            refused_by=refused_by,
        )

    def _distinct(self, order: np.ndarray, positions: np.ndarray, k: int) -> np.ndarray:
        """The first `k` candidates of `order` that each show something those before them do not. A table's
        row-group passage and the passage of one of its rows hold the same row lines: the one ranked lower
        is left out when every line of it is already shown, and the next candidate takes its place."""
        kept: list[int] = []
        shown: set[tuple[str | None, str | None, str]] = set()
        for i in order.tolist():
            lines = self.shown[int(positions[i])]
            if lines <= shown:
                continue
            kept.append(i)
            shown |= lines
            if len(kept) == k:
                break
        return np.array(kept, dtype=np.int64)

    def _scored(self, question: str, document: str | None) -> tuple[Query, np.ndarray, list[str], Scores]:
        """The question analysed and embedded, the studies it names, and every candidate's scores."""
        query = self.analyse(question, document)
        docs = [document] if document else self.documents
        vector = self.encoder.encode_query(self.dense_text(query))
        studies = list(query.studies) if len(docs) == 1 else [
            sid for d in docs for sid in self.index.lexicons[d].detect_studies(query.topic)]
        return query, vector, studies, self._score(query, vector, studies, docs)

    def _score(self, query: Query, vector: np.ndarray, studies: list[str], docs: list[str]) -> Scores:
        """Every candidate's cosine and BM25, fused, with the boosts of the question's study, the passage
        kind it asks for, the table structure and term coverage."""
        s = self.settings
        n = len(self.index.chunks)
        positions, chunk_cosine, quote_cosine, bm25 = self._candidates(vector, list(query.terms),
                                                                       min(n, s.candidates))
        cosine = np.maximum(chunk_cosine, quote_cosine)
        named = np.zeros(n, dtype=bool)
        for sid in studies:
            if sid in self.study_masks:
                named |= self.study_masks[sid]
        for word in query.content:  # a paper the letter only lists, named by its first author: its entry
            if word in self.listed_papers:
                named[self._listed_positions[self.listed_papers[word]]] = True
        structure = self._structure(query) if s.structure_features else np.zeros(n)
        coverage = self._coverage(query) if s.term_coverage else np.zeros(n)
        boost = structure + s.coverage_weight * coverage + s.study_boost * named
        for kind in query.intents:
            boost[self.kinds == kind] += s.kind_boost
        if len(docs) == 1 and len(self.documents) > 1:
            boost[self.documents_of != docs[0]] = -np.inf  # another letter than the one asked for
        fused = fuse(cosine, bm25, s) + boost[positions]
        allowed = np.isfinite(fused)
        return Scores(positions=positions, cosine=cosine, chunk_cosine=chunk_cosine, quote_cosine=quote_cosine,
                      bm25=bm25, fused=fused, final=fused.copy(), reranked=np.zeros(len(fused), dtype=bool),
                      in_named_study=named,
                      structure=structure[positions], coverage=coverage[positions],
                      top_dense=float(cosine[allowed].max()) if allowed.any() else 0.0)

    def _rerank(self, query: Query, scores: Scores, studies: list[str]) -> None:
        """The fused top `ranker_depth` re-ordered by the learned ranker's score mixed with the fused one."""
        assert self.ranker is not None
        top = self._fused_top(scores, self.settings.ranker_depth)
        if len(top) < 2:
            return
        learned = self.ranker.score(self.features(query, scores, top, studies))
        scores.final[top] = mixed(scores.fused[top], learned, self.settings.ranker_weight)
        scores.reranked[top] = True

    @staticmethod
    def _fused_top(scores: Scores, depth: int) -> np.ndarray:
        allowed = np.flatnonzero(np.isfinite(scores.fused))
        return allowed[np.lexsort((scores.positions[allowed], -scores.fused[allowed]))][:depth]

    def candidate_features(self, question: str, depth: int) -> tuple[list[int], np.ndarray]:
        """The fused top `depth` of a question (chunk positions, best first) with the learned ranker's
        features: what `qa train-ranker` learns from."""
        query, _, studies, scores = self._scored(question, None)
        top = self._fused_top(scores, depth)
        return scores.positions[top].tolist(), self.features(query, scores, top, studies)

    def features(self, query: Query, scores: Scores, top: np.ndarray, studies: list[str]) -> np.ndarray:
        """The learned ranker's view of the candidates `top` (indices into `scores`, best fused first), one
        row each, in the order of `qa.rank.FEATURES`."""
        positions = scores.positions[top]
        terms = set(query.terms)
        bm25 = scores.bm25 / (float(scores.bm25.max(initial=0.0)) or 1.0)
        study_coverage = self._study_coverage(query, scores.in_named_study)[positions]
        number = self.has_number[positions] & query.quantity
        labels = [self.label_stems[pos] for pos in positions.tolist()]
        kinds = self.kinds[positions]
        columns = {
            "fused": scores.fused[top], "cosine": scores.cosine[top], "chunk_cosine": scores.chunk_cosine[top],
            "quote_cosine": scores.quote_cosine[top], "bm25": bm25[top], "coverage": scores.coverage[top],
            "study_coverage": study_coverage, "structure": scores.structure[top], "number_asked": number,
            "in_named_study": scores.in_named_study[positions], "kind_asked": np.isin(kinds, query.intents),
            "log_rank": np.log1p(np.arange(len(top))), "log_tokens": self.log_tokens[positions],
            "own_label_named": [len(own & terms) / (len(own) or 1) for own, _ in labels],
            "parent_label_named": [bool(parent & terms) for _, parent in labels],
            "terms_missing": [len(terms - self.chunk_terms[pos]) / (len(terms) or 1) for pos in positions.tolist()],
            "own_label_unnamed": [bool(own) and not own & terms for own, _ in labels],
        }
        columns |= {f"kind_{k}": kinds == k for k in KINDS}
        return np.column_stack([np.asarray(columns[f], dtype=np.float64) for f in FEATURES])

    def _study_coverage(self, query: Query, mask: np.ndarray) -> np.ndarray:
        """Term coverage with each term's rarity measured among the named studies' passages (`mask`) only."""
        coverage = np.zeros(len(self.index.chunks))
        inside = int(mask.sum())
        if not inside:
            return coverage
        total = 0.0
        for term in set(query.terms):
            held = self.chunks_by_term.get(term)
            if held is None:
                continue
            df = int(mask[held].sum())
            idf = math.log(1 + (inside - df + 0.5) / (df + 0.5))
            coverage[held] += idf
            total += idf
        return coverage / total if total else coverage

    def _structure(self, query: Query) -> np.ndarray:
        """Table structure as a score: the share of a row's own label the question names (so the ORR row
        beats its "ORR › PR" child when only ORR is asked), a comparison the question asks that a row's own
        label makes (the share alone ties "≥CR" with "CR" for "complete response or better": both labels are
        all named), and a number where the question asks one."""
        s = self.settings
        hits = np.zeros(len(self.index.chunks))
        for stem in set(query.terms):
            for pos in self.rows_by_label_stem.get(stem, ()):
                hits[pos] += 1
        score = s.label_weight * np.divide(hits, self.label_size, out=np.zeros_like(hits),
                                           where=self.label_size > 0)
        for term in set(query.terms) & COMPARISON_TERMS:
            score[self.rows_by_label_stem.get(term, [])] += s.label_weight
        if query.quantity:
            score += s.quantity_weight * self.has_number
        return score

    def _coverage(self, query: Query) -> np.ndarray:
        """The share of the question's term rarity (IDF) each chunk holds, each term counted once however
        often a chunk repeats it."""
        coverage = np.zeros(len(self.index.chunks))
        asked = {t for t in query.terms if t in self.idf}
        for term in asked:
            coverage[self.chunks_by_term[term]] += self.idf[term]
        total = sum(self.idf[t] for t in asked)
        return coverage / total if total else coverage

    def _candidates(self, query: np.ndarray, terms: list[str],
                    depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Chunk positions with their cosine, their best sentence's or row line's cosine, and their BM25 score.
        A flat index scores every chunk in numpy (a chunk counts as the best of itself and the sentences or
        rows inside it); an HNSW index scores the union of `depth` candidates from each side, by the chunk's
        vector alone."""
        if self.chunk_vectors is not None:
            sims = self.chunk_vectors @ query
            quote_sims = sims
            if self.settings.quote_vectors:
                quote_sims = np.maximum.reduceat(self.index.quote_vectors @ query, self.index.quote_offsets[:-1])
            bm25 = np.asarray(self.index.bm25.get_scores(terms), dtype=np.float64) if terms else np.zeros(len(sims))
            return self.all_positions, sims, quote_sims, bm25
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
        return np.array(positions, dtype=np.int64), sims, sims, bm25

    def _cosine(self, pos: int, query: np.ndarray) -> float:
        return float(self.index.dense.reconstruct(pos) @ query)

    def _highlight(self, pos: int, query: np.ndarray, asked: frozenset[str]) -> str | None:
        """The quote (sentence or row line) of the chunk closest to the question, ties to shared words."""
        chunk = self.index.chunks[pos]
        quotes = chunk.quotes or [chunk.text]
        if len(quotes) == 1:
            return quotes[0]
        start, end = self.index.quote_offsets[pos], self.index.quote_offsets[pos + 1]
        sims = self.index.quote_vectors[start:end] @ query
        bonus = np.array([0.02 * len(asked & _quote_words(q)) for q in quotes])
        return quotes[int(np.argmax(sims + bonus))]

    def _study_words(self, study: str) -> StudyWords:
        """What a study's passages say (built on first use)."""
        with self._stems_lock:
            if study not in self._stems:
                lexicons = self.index.lexicons
                passages = [c for c in self.index.chunks if study in c.related_studies or c.id == study]
                stems = {c.id: frozenset(lexical_tokens(lexicons[c.document].expand(c.text))) for c in passages}
                self._stems[study] = StudyWords(
                    stems=frozenset().union(*stems.values()),
                    reported=frozenset().union(*(stems[c.id] for c in passages if c.section in REPORTED_SECTIONS
                                                 or c.kind in ("table", "row"))),
                    phrases=frozenset().union(*(phrases(c.text) for c in passages)),
                    reported_measures=frozenset(written for c in passages if c.section in REPORTED_SECTIONS
                                                or c.kind in ("table", "row")
                                                for written in time_measures(c.text).values()),
                    dated=any(CALENDAR_DATE.search(c.text) for c in passages),
                    landmarks=frozenset().union(*(landmarks(c.text) for c in passages)),
                    intervals=any(INTERVAL_STATED.search(c.text) for c in passages),
                    interval_required=any(INTERVAL_REQUIRED_STATED.search(c.text) for c in passages),
                    time_on_treatment=any(TIME_ON_TREATMENT_STATED.search(c.text) for c in passages),
                    retreatment_duration=any(TIME_ON_TREATMENT_STATED.search(c.text) and re.search(
                        _RETREATED, c.text, re.IGNORECASE) for c in passages),
                    sited=any(SITE_STATED.search(c.text) for c in passages),
                    partnered=any(c.row and COMBINATION_ROW.search(" › ".join(c.row)) for c in passages),
                    centred=any(CENTRES_STATED.search(c.text) for c in passages),
                    defines=any(DEFINITION_STATED.search(c.text) for c in passages),
                    sourced=any(SOURCE_STATED.search(c.text) for c in passages),
                    trial_named=any(TRIAL_NAMED.search(c.text) for c in passages),
                    death_causes=any(DEATH_CAUSE_STATED.search(c.text) for c in passages),
                    deaths=any(DEATHS_STATED.search(c.text) for c in passages),
                    intervening_results=frozenset().union(*(
                        RESULT_STEMS & set(lexical_tokens(lexicons[c.document].expand(unit))) for c in passages
                        for unit in ([" ".join(c.row)] if c.row else _sentences(c.text) if c.section in OUTCOME_SECTIONS
                                     else []) if INTERVENING.search(unit))),
                    reasons=any(REASON_STATED.search(c.text) for c in passages),
                    aberrations=any(ABERRATION.search(c.text) for c in passages),
                    results_explained=any(REASON_STATED.search(sentence) and re.search(_RESULT, sentence, re.I)
                                          for c in passages for sentence in _sentences(c.text)),
                    stops_counted=any(STOPS_COUNTED.search(c.text) for c in passages),
                    exclusions_counted=any(len(re.findall(r"\d+", sentence)) > 1 for c in passages
                                           for sentence in EXCLUSION_SENTENCE.findall(c.text)),
                    instituted=any(INSTITUTION_STATED.search(c.text) for c in passages),
                    others_listed=any(OTHERS_LISTED.search(c.text) for c in passages),
                    next_therapy=any(NEXT_THERAPY_STATED.search(c.text) for c in passages),
                    retreatment_orders=frozenset().union(*(retreatment_orders(c.text) for c in passages)),
                    retreatment_lines=frozenset(m.group(1) for c in passages
                                                for m in RETREATMENT_LINE.finditer(c.text)),
                    safety=any(SAFETY.search(c.text) for c in passages),
                    stop_reasons=any(STOP_REASON_STATED.search(sentence)
                                     for c in passages for sentence in _sentences(c.text)),
                    excluded_unexplained=frozenset() if any(
                        REASON_GIVEN.search(sentence) for c in passages
                        for sentence in EXCLUSION_SENTENCE.findall(c.text)) else frozenset(
                        t for c in passages for quote in c.quotes or [c.text]
                        for sentence in EXCLUSION_SENTENCE.findall(quote)
                        for w in content_words(lexicons[c.document].expand(sentence))
                        if w.isalpha() and zipf(w) < CRITERION_ZIPF
                        for t in lexical_tokens(w)) - self.drug_names - self.every_study_says
                        - set(lexical_tokens("exclusion criteria")),
                    noted_rows=frozenset(
                        t for c in passages if c.row and ROW_NOTE.search(c.text)  # (the row's own label)
                        for t in lexical_tokens(lexicons[c.document].canonical(c.row[-1]))) - self.drug_names,
                    methods=frozenset(name for name, (_, stated) in METHODS.items()
                                      if any(stated.search(c.text) for c in passages)),
                    graded=tuple(line for c in passages for line in self._graded.get(c.id, ())),
                    tested=tuple((frozenset(words(lexicons[c.document].expand(unit))),
                                  bool(HAZARD_RATIO.search(unit))) for c in passages
                                 for unit in ([c.text] if c.kind in ("table", "row") else c.quotes or [c.text])
                                 if STATISTIC_GIVEN.search(unit)),
                )
            return self._stems[study]

    def _refusal(self, query: Query, top_dense: float, studies: list[str], document: str,
                 passages: list[Passage]) -> str | None:
        """The first rule that refuses the question, as its setting's name and what it found missing; None
        when every rule lets it through."""
        if passages and _prints_figures(query, passages[0].chunk.text):
            return None  # the passage that prints the figures says what they are
        if reason := self._unsupported(query, top_dense):
            return reason
        if self.settings.cohort_scope_check and (labels := [w for w in query.unknown if LABEL.fullmatch(w)
                                                            and w[0] in self.label_letters]):
            return f"cohort_scope_check: no label {', '.join(w.upper() for w in labels)}"
        # A paper the letter only lists, named by its first author, is judged by its reference entry, as a
        # study by its passages, unless the entry itself is asked for; and an entry gives no figures. Its
        # author names it better than a study's common words do ("the Atrash chart review"), wherever the question
        # names it ("The references list Atrash et al's review - what ORR did it report?").
        listed = [] if (studies and query.study_named) or not self.settings.listed_paper_check else list(
            dict.fromkeys(self.listed_papers[w] for w in content_words(query.topic) if w in self.listed_papers))
        # A finding: a number, a word for one, or a measure the letter defines and reports (ORR, PFS) asked of it.
        measures = {w for w in words(query.topic) if w in self.index.lexicons[document].abbreviations
                    and (stems := lexical_tokens(w)) and stems[0] in self.cohorts.results}
        findings = query.quantity or bool((FINDINGS.search(query.topic) or measures)
                                          and not VENUE_ASKED.search(query.topic))
        if reason := self._unlisted_particulars(query, listed, studies):
            return reason
        if self.settings.status_scope_check and query.status and not self.status_given:
            return "status_scope_check"  # "ongoing trials of retreatment": no passage says where a study stands
        if self.settings.statistic_scope_check and STATISTICAL_METHOD.search(query.topic) and not (
                set(studies) & self.method_named if studies else self.method_anywhere):
            return "statistic_scope_check: method"  # "which statistical test compared PFS", of studies naming none
        if self.settings.label_topic_check and query.label and not self.label_given:
            return "label_topic_check: what the label says"  # "what does the product labeling say about retreating"
        if self.settings.guideline_scope_check and query.guideline and not self.guideline_given:
            return "guideline_scope_check"  # "what the IMWG guidelines say": the letter reports studies
        if listed and "references" in query.intents and not findings:
            listed = []  # its entry asked for ("Which journal published Nooka et al?"); a number is not in it
        if reason := self._outside_studies(query, listed or studies, document):
            return reason
        if not (listed or studies) and self.settings.landmark_scope_check and (
                months := query.landmarks - self.landmarks_given):
            # a time point no study of the letter gives ("5-year survival in the US")
            return f"landmark_scope_check: {', '.join(f'{m} months' for m in sorted(months))}"
        if listed and findings:
            named = dict.fromkeys(w for w in content_words(query.topic) if w in self.listed_papers)
            return f"listed_paper_check: {', '.join(named)}"
        if self._another_study_first(query, studies, passages):
            return f"top_study_check: {passages[0].chunk.study_id} first"
        # (what lies between them: two cohorts compared "between D1 and D3" are no pair)
        if self.settings.cohort_scope_check and INTERVAL_ASKED.search(query.topic) and (
                pairs := [f"{a.upper()} and {b.upper()}" for a, b in
                          BETWEEN_LABELS.findall(query.topic)
                          if frozenset((a.lower(), b.lower())) not in self.label_pairs
                          and a[0].lower() in self.label_letters]):
            return f"cohort_scope_check: no row of {pairs[0]}"  # "between D1 and D3", of Souren et al's D1-D2, D2-D3
        if self.settings.cohort_scope_check and self.cohorts.unreported(query, studies):
            return "cohort_scope_check"
        if self.settings.cohort_scope_check and studies and INTERVENING.search(query.topic) and (
                measured := (RESULT_STEMS & set(query.terms) & RESULT_MEASURES) or RESULT_STEMS & set(query.terms)
        ) and not measured & set().union(*(self._study_words(sid).intervening_results for sid in studies)):
            # of Souren et al, who count those patients; PFS of EMMY, who give OS by consecutive and middle lines
            return "cohort_scope_check: results by a therapy in between"
        if self.settings.cohort_scope_check and (count := self._uncounted(query, studies)):
            return f"cohort_scope_check: no row of {count}"
        if self.settings.cohort_scope_check and (statistic := self._unsummarised(query, studies)):
            return f"cohort_scope_check: no {statistic}"  # "median previous lines" of EMMY's rows of 2, 3, …
        if self.settings.cohort_scope_check and (cohort := self.cohorts.undescribed(query, studies)):
            return f"cohort_scope_check: baseline of {cohort}"
        return None

    def _figure_first(self, query: Query, order: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """A question quoting figures to ask what they are is answered first by the passage that prints them."""
        printing = [n for n, i in enumerate(order.tolist())
                    if _prints_figures(query, self.index.chunks[int(positions[i])].text)]
        return order if not printing or printing[0] == 0 else np.concatenate(
            ([order[printing[0]]], np.delete(order, printing[0])))

    def _unlisted_particulars(self, query: Query, listed: list[str], studies: list[str]) -> str | None:
        """A particular of a paper (volume, pages, DOI …) that the entries of the papers named (listed papers, or
        the studies' own entries; every entry when none is named) do not give: "the volume and pages of
        Talbot et al", whose entry reads "Clinical Lymphoma, Myeloma and Leukemia. 2025."."""
        if not self.settings.bibliographic_scope_check:
            return None
        if "literature_search" in query.intents and (missing := [
                f for f in fields_asked(query.topic, SEARCH_FIELDS) if f not in self.search_given]):
            return f"bibliographic_scope_check: {', '.join(missing)}"  # "which search terms were used"
        if missing := [f for f in fields_asked(query.topic, CONTACT_FIELDS) if f not in self.contact_given]:
            return f"bibliographic_scope_check: {', '.join(missing)}"  # "what number do I call", of a letter with none
        if not (asked := fields_asked(query.topic)):
            return None
        given = [fields for chunk, (cited, fields) in self.entries.items()
                 if (chunk in listed or cited & set(studies)) or not (listed or studies)]
        missing = [f for f in asked if not any(f in fields for fields in given)]
        return f"bibliographic_scope_check: {', '.join(missing)}" if missing else None

    def _outside_studies(self, query: Query, studies: list[str], document: str) -> str | None:
        """A question that names a study but asks for an outcome none of that study's passages mention
        ("ORR in the EMMY study" when EMMY reports no ORR, "grade 3 infections in Tan" when Tan reports no
        safety data, "DOR in EMMY" when only other studies give a duration of response): the letter does not
        answer it. The rule that found it so, with what is missing."""
        if not studies or not self.settings.study_scope_check:
            return None
        lexicon = self.index.lexicons[document]
        named = [self._study_words(sid) for sid in studies]
        # (the literature search's date, asked where an everyday word names a study: "evidence review")
        if self.settings.dates_scope_check and query.dates and not any(study.dated for study in named) and not (
                "literature_search" in query.intents and not query.study_named):
            return "dates_scope_check"  # dates asked of studies that give none ("which years" of Abdallah et al)
        if self.settings.landmark_scope_check and (
                months := query.landmarks - set().union(*(study.landmarks for study in named))):
            # a rate at a time point the studies do not give ("18-month PFS" of Souren: 6, 9, 12, 24)
            return f"landmark_scope_check: {', '.join(f'{m} months' for m in sorted(months))}"
        if self.settings.statistic_scope_check and query.statistic and self._untested(query, lexicon, named):
            return "statistic_scope_check"  # a P value or HR of a comparison the studies give none for
        if self.settings.grade_scope_check and self._grade_unreported(query, lexicon, named):
            # a grade the studies do not give ("grade 4 anemia" where anemia is given at grades 1-3)
            return f"grade_scope_check: grade {'/'.join(map(str, sorted(query.grades)))}"
        if self.settings.measure_initialisms:
            # A measure asked by initials the letter never writes: the study must say the phrase itself.
            initials = self.measure_initialisms[document]
            measures = [initials[w] for w in query.content
                        if w in initials and w not in lexicon.vocabulary and w not in lexicon.abbreviations]
            if missing_phrases := [m for m in measures if not any(m in study.phrases for study in named)]:
                return f"measure_initialisms: {', '.join(missing_phrases)}"
        # A figure of a measure asked of studies that name it only where their design announces it (Souren et al's
        # "Secondary endpoint: … duration of response (DUR)") is not given; whether they assessed it, is. (Asked by
        # its initials, the letter's or a reader's "DOR", it is judged below with the defined terms.)
        figure = figure_asked(query)
        if self.settings.outcome_scope_check and (missing_measures := sorted(
                m for m in time_measures(" . ".join([query.topic, *query.measures]))
                if m in self.time_measures
                and not any(w in (study.reported_measures if figure else study.phrases)
                            for study in named for w in self.time_measures[m]))):
            return f"study_scope_check: {', '.join(missing_measures)}"  # "time to next treatment" of Abdallah et al
        if self.settings.outcome_scope_check and INTERVAL_REQUIRED_ASKED.search(query.topic) and not any(
                study.interval_required for study in named):
            return "study_scope_check: time off required"  # "was a minimum dara-free interval required" of Tan et al
        if self.settings.outcome_scope_check and INTERVAL_ASKED.search(query.topic) and not any(
                study.intervals for study in named):
            return "study_scope_check: time between treatments"  # of Tan et al, who give none
        if self.settings.outcome_scope_check and TIME_ON_TREATMENT_ASKED.search(query.topic) and not (
                LASTING_ASKED.search(query.topic) or any(study.time_on_treatment for study in named)):
            return "study_scope_check: time on treatment"  # "how long did they stay on their first line", of EMMY
        if self.settings.outcome_scope_check and (events := self._safety_unreported(query, studies)):
            return f"study_scope_check: {', '.join(events)}"  # "treatment-related deaths" of Souren et al's TEAE table
        if self.settings.outcome_scope_check and query.quantity and named and not any(
                study.partnered for study in named) and PARTNER_ASKED.search(query.topic) and set(
                lexical_tokens(lexicon.canonical(query.topic))) & self.partner_stems:
            return "study_scope_check: partners"  # "how many had pomalidomide as the partner drug" of EMMY
        # (a member given in brackets as an example of the group asked is not asked: "high-risk abnormalities (1q
        # gain etc)")
        # ("which was most common" counts them too)
        tallied = query.quantity or bool(MOST_COMMON.search(query.topic))
        if self.settings.outcome_scope_check and tallied and (members := sorted(
                {t for t in lexical_tokens(lexicon.canonical(re.sub(r"\s\([^)]*\)", " ", query.topic)))
                 if all(t in self.members_only.get(sid, ()) for sid in studies)})):
            return f"study_scope_check: {', '.join(members)} of a group"  # "how many got venetoclax" of Tan et al
        if self.settings.outcome_scope_check and OTHER_LABEL.search(query.topic) and MEMBERSHIP_ASKED.search(
                query.topic) and not any(study.others_listed for study in named):
            return "study_scope_check: members of other"  # "which drugs were in D-other" of Szabo et al, who count it
        if self.settings.outcome_scope_check and (orders := sorted(
                n for n in retreatment_orders(query.topic) if n > 1
                and not any(n in study.retreatment_orders for study in named))):
            return f"study_scope_check: retreatment {orders[0]}"  # "a second retreatment" of Szabo et al
        retreated_in = "|".join(re.escape(label) for study in named for label in study.retreatment_lines)
        retreatment_named = re.sub(rf"\b(?:{retreated_in})\b", "retreatment", query.topic) if retreated_in \
            else query.topic  # the line a study retreated in, by its label ("P1"), is its retreatment
        if self.settings.outcome_scope_check and NEXT_THERAPY_ASKED.search(retreatment_named) and not any(
                study.next_therapy for study in named):
            return "study_scope_check: therapy after retreatment"  # "what did they get after it failed", of EMMY
        if self.settings.outcome_scope_check and TIME_ON_TREATMENT_ASKED.search(query.topic) and re.search(
                _RETREATED, retreatment_named, re.IGNORECASE) and not LASTING_ASKED.search(query.topic) and not any(
                study.retreatment_duration for study in named):
            return "study_scope_check: time on retreatment"  # of Szabo et al, who give their index regimen's
        if self.settings.outcome_scope_check and (details := sorted(
                name for name, (asked, _) in METHODS.items() if asked.search(query.topic)
                and not any(name in study.methods for study in named))):
            return f"study_scope_check: {', '.join(details)}"  # "which statistical method" of EMMY, which names none
        if self.settings.outcome_scope_check and (kinds := self._kinds_unlisted(query, studies)):
            return f"study_scope_check: which {', '.join(kinds)}"  # "which BCMA therapies" of a count of BCMA exposure
        if self.settings.outcome_scope_check and SOURCE_ASKED.search(query.topic) \
                and ("literature_search" not in query.intents or query.study_named) \
                and not any(study.sourced for study in named):
            return "study_scope_check: data source"  # "which national registry" of Szabo et al, who name none
        if self.settings.outcome_scope_check and SAFETY.search(query.topic) and not any(
                study.safety for study in named):
            return "study_scope_check: safety"  # "any toxicity data from the French EMMY cohort?"
        if self.settings.outcome_scope_check and DEATH_CAUSE_ASKED.search(query.topic) and not any(
                study.death_causes for study in named):
            return "study_scope_check: causes of death"  # of Souren et al, who count the patients alive
        if self.settings.outcome_scope_check and DEATHS_ASKED.search(query.topic) and not DEATH_IN_ENDPOINT.search(
                query.topic) and not any(study.deaths for study in named):
            return "study_scope_check: deaths"  # "how many died on retreatment" of EMMY, which gives survival only
        if self.settings.outcome_scope_check and EXCLUDED_GROUP.search(query.topic) and (
                results := set(query.asking) & self.cohorts.results) and not any(
                "exclud" in s.terms and results & s.terms for sid in studies
                for s in self.cohorts.passages.get(sid, [])):
            return "study_scope_check: results of excluded patients"  # "the ORR of the 17 excluded", of Souren et al
        if self.settings.outcome_scope_check and query.quantity and EXCLUDED_SUBSET.search(query.topic) and not any(
                study.exclusions_counted for study in named):
            return "study_scope_check: breakdown of excluded patients"  # "of the seventeen excluded, how many …"
        if self.settings.outcome_scope_check and RESULT_EXPLANATION_ASKED.search(query.topic) and not any(
                study.results_explained for study in named):
            return "study_scope_check: reason for a result"  # "why did the D-other group do so badly" of Szabo et al
        if self.settings.outcome_scope_check and REASON_ASKED.search(query.topic) and not any(
                study.reasons for study in named):
            return "study_scope_check: reason"  # "why did patients stop their previous line" of EMMY, which gives none
        if self.settings.outcome_scope_check and (why := reason_for(query.topic)) == "stopping" and not any(
                study.stop_reasons for study in named):
            return "study_scope_check: reason for stopping"  # "why did they stop their first line", of Tan et al
        if self.settings.outcome_scope_check and why == "choice" and not any(
                set(query.terms) & study.noted_rows for study in named):
            return "study_scope_check: reason for a treatment"  # "why did so many get D-Kd", of Abdallah et al
        if self.settings.outcome_scope_check and why == "exclusion" and named and all(
                set(query.terms) & study.excluded_unexplained for study in named):
            return "study_scope_check: reason for an exclusion"  # "why leave out frontline dara", of Tan et al
        if self.settings.outcome_scope_check and query.quantity and STOP_CAUSE_ASKED.search(
                asked_sentences(query.topic) or query.topic) and not any(study.stops_counted for study in named):
            return "study_scope_check: stops by cause"  # "how many stopped because of neutropenia" of Abdallah et al
        if self.settings.outcome_scope_check and TRIAL_ASKED.search(query.topic) and not any(
                study.trial_named for study in named):
            return "study_scope_check: trial name"  # "which trial" of Abdallah et al's "patients from a clinical trial"
        # (which hospitals "made up" a study's centers asks the institutions, not a definition)
        if self.settings.outcome_scope_check and DEFINITION_ASKED.search(query.topic) and not any(
                study.defines for study in named) and not INSTITUTION_ASKED.search(query.topic):
            return "study_scope_check: definition"  # "how did EMMY define refractory", of a study defining nothing
        if self.settings.outcome_scope_check and not any(study.aberrations for study in named) and (
                ABERRATIONS_ASKED.search(query.topic)
                or (query.quantity and ABERRATION.search(GLOSS.sub(" ", query.topic)))):
            return "study_scope_check: cytogenetic aberrations"  # "how many had del17p" of EMMY's high-risk count
        if self.settings.outcome_scope_check and (stands := STANDS_FOR.search(query.topic)) and (
                short := stands.group(1).lower()) in lexicon.vocabulary and short not in lexicon.abbreviations \
                and short not in self.explained:
            return f"study_scope_check: meaning of {stands.group(1)}"  # "what does P1 stand for", of Szabo et al
        if self.settings.outcome_scope_check and (term := self._undefined_term(query, lexicon, studies)):
            return f"study_scope_check: definition of {' '.join(term)}"  # "DARZALEX-refractory" of Tan et al
        if self.settings.outcome_scope_check and SITE_ASKED.search(query.topic) and "references" not in query.intents \
                and not any(study.sited for study in named):
            return "study_scope_check: site"  # "at which institution" of Abdallah et al, who name none
        if self.settings.outcome_scope_check and CENTRES_ASKED.search(query.topic) and named \
                and not any(study.centred for study in named):
            return "study_scope_check: centers"  # "one hospital or several" of Szabo et al, who say neither
        if self.settings.outcome_scope_check and INSTITUTION_ASKED.search(query.topic) \
                and "references" not in query.intents and not any(study.instituted for study in named):
            return "study_scope_check: institution"  # "which hospitals" of EMMY's "73 centers in France"
        if self.settings.outcome_scope_check and APART.search(query.topic) and (together := sorted(
                {w for w in words(query.topic) if zipf(w) < self.settings.common_zipf
                 and all(w in self.combined.get(sid, ()) for sid in studies)})):
            return f"study_scope_check: {', '.join(together)} alone"  # "sCR on its own" of Tan et al's "sCR/CR"
        if self.settings.outcome_scope_check and (inner := self._within_only(query, lexicon, studies)):
            return f"study_scope_check: {', '.join(inner)} apart"  # "ISS stage III" of Abdallah et al's "R-ISS"
        if self.settings.outcome_scope_check and (moment := self._other_moment(query, studies)):
            return f"study_scope_check: {moment}"  # "age at diagnosis" of EMMY, which gives age at retreatment
        if self.settings.outcome_scope_check and (moment := self._moment_unsaid(query, studies)):
            return f"study_scope_check: {moment}"  # "ECOG at diagnosis or at retreatment?" of EMMY, which says neither
        if self.settings.outcome_scope_check and (inside := self._inside_a_bin(query, studies)):
            return f"study_scope_check: {inside}"  # "how many were ECOG 3" of EMMY's "2-3" row
        # Only the letter's own defined terms (ORR, OS, PFS, TEAE …, asked by name or spelled out) and, with
        # `outcome_scope_check`, its rarer outcome words count: everyday wording varies too much to demand it
        # from one study's text.
        # A one-letter abbreviation ("Q", quartile) is more often chat ("quick q") than the term.
        # A short form a reference entry gives its meeting ("ASCO") names where a paper was presented, not a measure.
        # Those of a scene set before the question ("a patient on isa-Kd - in EMMY, …?") are not asked.
        asking = set(query.asking)

        def in_asking(w: str) -> bool:
            return query.asking == query.terms or asking.issuperset(lexical_tokens(lexicon.canonical(w)))

        asked = {w for w in words(query.expanded) if w in lexicon.abbreviations and len(w) > 1
                 and in_asking(w)} - self.venue_words[document]
        # … and the abbreviations a compound is made with ("BCMA-directed"), unless it is one itself ("D-Rd").
        asked |= {p for w in words(query.expanded) if COMPOUND.search(w) and w not in lexicon.abbreviations
                  and in_asking(w) for p in COMPOUND.split(w) if p in lexicon.abbreviations and len(p) > 1}
        known = set().union(*(study.stems for study in named))
        # A study may spell a term out in its own words and never use the abbreviation ("immunomodulatory drug"
        # for IMiD, defined elsewhere as "immunomodulatory agent"): its rarer spelled-out words are enough.
        wanted = {t for w in asked if not self._spelled_out(lexicon.abbreviations[w], known)
                  for t in lexical_tokens(w)}
        if self.settings.figures_scope_check and figure:
            # A number asked of a defined term: the study must use it where it reports figures (its baseline
            # and results sections, its tables), not only where its design announces it ("Secondary endpoint:
            # … duration of response (DUR)" in a study that reports none).
            # The term may be reported under another abbreviation of the same words ("D-mono" for "Dmono",
            # both "DARZALEX monotherapy"), or in those words.
            # A term that names no result (RRMM: the disease the study is of) is no figure asked.
            measure_stems = self.cohorts.results | self.outcome_stems
            announced = {t for w in asked for t in lexical_tokens(w)
                         if t in known and t in measure_stems and not any(t in study.reported or self._spelled_out(
                             lexicon.abbreviations[w], set(study.reported)) for study in named)}
            wanted |= announced
            known -= announced
        if self.settings.outcome_scope_check:
            # The letter's abbreviations were judged above, spelled out or not.
            plain = [w for w in query.content if not any(
                p in lexicon.abbreviations or p.rstrip("s") in lexicon.abbreviations for p in [w, *COMPOUND.split(w)])]
            plain += self._outcomes_apart(query, lexicon)
            # (and an endpoint asked in everyday words that no abbreviation stands for: "how long were they
            # observed", the follow-up)
            scene_set = asked_sentences(query.topic)
            plain += [w for name in (lay_measures(scene_set) if scene_set else query.measures)
                      if not lexicon.abbreviations_spelled_out(name) for w in content_words(name)]
            # A bound part ("Tri-") counts only when the question spells it, not by its stem ("trying").
            spelled = {p.lower() for w in plain for p in [w, *COMPOUND.split(w)]}
            plain_stems = lexical_tokens(" ".join(plain))
            # A word the letter writes only before one next word ("adverse" of "adverse events") is another term
            # before another word ("adverse chromosomal changes": high-risk cytogenetics, not an event).
            other_term = {t for t, after in itertools.pairwise(lexical_tokens(" ".join(query.content)))
                          if t in self.followers and after not in self.followers[t]}
            outcomes = {t for t in plain_stems if t in self.outcome_stems and t not in other_term
                        and (t not in self.bound_parts or self.bound_parts[t] & spelled)}
            wanted |= outcomes
            if self.settings.figures_scope_check and figure and not CRITERIA_ASKED.search(query.topic):
                # … and what a number asked counts, when the studies write it only where their design announces it
                # (the "≥1 cycle" of Tan et al's inclusion criteria gives no number of cycles; what they required
                # of patients, it does)
                counted = {t for m in NUMBER_OF.finditer(query.topic)
                           for t in lexical_tokens(lexicon.canonical(m.group(1)))}
                known -= {t for t in outcomes & counted if not any(t in study.reported for study in named)}
            # A patient characteristic one word names, by that word or a synonym ("race" of Souren et al,
            # whose table gives gender, age and stage, not race).
            wanted |= {t for t in plain_stems if t in self.characteristics and not self.characteristics[t] & known}
        # Combinations named as alternatives ("dara with a PI like Velcade or Kyprolis": D-Vd or D-Kd) are asked
        # of a study that gives either.
        alternatives = [a.lower() for a in lexicon.combinations_named(query.topic)]
        if len(alternatives) > 1 and any(a in asked and (self._spelled_out(lexicon.abbreviations[a], known) or set(
                lexical_tokens(a)) <= known) for a in alternatives):
            wanted -= {t for a in alternatives for p in [a, *COMPOUND.split(a)] if p for t in lexical_tokens(p)}
        # A compound is known when its parts are ("High risk" answers "high-risk"; "non-refractory" needs "non").
        missing = sorted(t for t in wanted - known if not _named(t, known))
        return f"study_scope_check: {', '.join(missing)}" if missing else None

    def _undefined_term(self, query: Query, lexicon: Lexicon, studies: list[str]) -> list[str]:
        """The rarer words of a term a question asks the definition of that no defining sentence of the studies
        asked of holds ("DARZALEX-refractory" of Tan et al, who define high-risk cytogenetic abnormalities and
        their inclusion criteria). A defining sentence's own words count, and the spelled-out words of an
        abbreviation it defines ("HRCAs are defined as …"); the product's names say nothing of which term."""
        for m in TERM_DEFINED.finditer(query.topic):
            term: list[str] = []
            for w in words(next(g for g in m.groups() if g)):
                if term and w.isalpha() and zipf(w) >= GRAMMAR_ZIPF and w not in lexicon.abbreviations:
                    break
                term.append(w)
                if len(term) == 3:
                    break
            wanted = {t for w in term for p in [w, *COMPOUND.split(w)] if p and zipf(p) < self.settings.common_zipf
                      for t in lexical_tokens(lexicon.canonical(p))} - self.drug_names
            # (a term of common words the letter abbreviates is its abbreviation: "minor response", MR)
            if not wanted and (short := next((a for a, long in lexicon.abbreviations.items()
                                              if " ".join(term).lower() in (a, long.lower())), None)):
                wanted = set(lexical_tokens(short))
            # (in the letter's words: "resistant" is its "refractory")
            wanted = {s for t in wanted if not COMPOUND.search(t)
                      for s in (lexical_tokens(lexicon.thesaurus[t]) if t in lexicon.thesaurus else [t])}
            # a term the studies use ("subgroups" of Souren et al, who name theirs D1-D3, is another question)
            used = all(wanted <= self._study_words(sid).stems for sid in studies)
            defined = any(wanted <= unit for sid in studies for unit in self.defining_units.get(sid, ()))
            if wanted and used and not defined:
                return sorted(wanted)
        return []

    def _inside_a_bin(self, query: Query, studies: list[str]) -> str | None:
        """A value ("ECOG 3", "aged 77") or an open threshold ("8 or more") asked of a measure whose rows, in every
        table of the studies asked of that counts it, hold it only inside a wider bin ("2-3", "≥6"); None when
        some row is that value or starts that threshold ("6 or more" of "≥6", "75 or older" summing 75-79 on)."""
        asked = set(query.terms)
        text = asked_sentences(query.topic) or query.topic  # not a scene's "my patient is ECOG 2"
        values = [(int(m.group(2)), False, {m.group(1).lower()}) for m in VALUE_OF.finditer(text)]
        values += [(int(float(t[len("atleast"):])), True, set()) for t in thresholds(text) if t.startswith("atleast")]
        for value, open_ended, measure in values:
            tables = [spans for sid in studies for parent, spans in self.bins.get(sid, ())
                      if parent & (set(lexical_tokens(" ".join(measure))) if measure else asked)]
            if tables and all(any(lo < value <= hi or (not open_ended and lo <= value < hi) for lo, hi in spans)
                              and not any(lo == value and (open_ended or hi == value) for lo, hi in spans)
                              for spans in tables):
                return f"{' '.join(sorted(measure))} {value} within a row".strip()
        return None

    def _within_only(self, query: Query, lexicon: Lexicon, studies: list[str]) -> list[str]:
        """The letter's abbreviations a question names on their own that the studies asked of write only inside a
        longer one ("ISS stage III" of Abdallah et al's "R-ISS"; not "revised ISS" or "dara + Kd", which are the
        longer ones)."""
        asked = words(lexicon.canonical(query.topic))
        within = self.within_longer
        return sorted({w for i, w in enumerate(asked) if all(
            w in within.get(sid, {}) and not (i and asked[i - 1] in within[sid][w]) for sid in studies)})

    def _kinds_unlisted(self, query: Query, studies: list[str]) -> list[str]:
        """The rarer words of a group whose members a question asks ("which BCMA therapies had they received")
        that the studies asked of only count."""
        found: list[str] = []
        for m in KINDS_ASKED.finditer(query.topic):
            group = (m.group(1) or m.group(2)).split()
            if AUXILIARIES.intersection(w.lower() for w in group):
                continue  # "which years were patients": the noun before the verb is asked, not "patients"
            found += [w for w in group if zipf(w) < self.settings.common_zipf and any(
                all(t in self.counted_only.get(sid, ()) for sid in studies) for t in lexical_tokens(w))]
        return found

    def _uncounted(self, query: Query, studies: list[str]) -> str | None:
        """A count asked of a characteristic a study gives by rows of counts, none of them that count ("only 1
        previous line" of EMMY, whose rows start at 2)."""
        for m in COUNT_ASKED.finditer(query.topic):
            n = int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS[m.group(1).lower()]
            asked = set(lexical_tokens(m.group(2)))
            given = [(counts, onwards) for sid in studies for parent, counts, onwards in self.count_rows.get(sid, ())
                     if len(parent & asked) >= 2]
            if given and not any(n in counts or (onwards is not None and n >= onwards) for counts, onwards in given):
                return f"{m.group(1)} {m.group(2)}"
        return None

    def _unsummarised(self, query: Query, studies: list[str]) -> str | None:
        """A median, mean or average asked of a characteristic a study gives by rows of counts and by no such
        figure ("the median number of previous lines" of EMMY, which counts the patients with 2, 3, 4, 5 and ≥6)."""
        for m in SUMMARY_ASKED.finditer(query.topic):
            statistic = set(lexical_tokens(m.group(1)))
            asked = set(lexical_tokens(m.group(2)))
            parents = [parent for sid in studies for parent, _, _ in self.count_rows.get(sid, ())
                       if len(parent & asked) >= 2]
            if parents and not any(statistic <= line and len(parent & line) >= 2 for parent in parents
                                   for sid in studies for line in self.summary_lines.get(sid, ())):
                return f"{m.group(1)} {m.group(2)}"
        return None

    def _safety_unreported(self, query: Query, studies: list[str]) -> list[str]:
        """An event a Safety section reports (Abdallah et al's treatment-related deaths and discontinuations), asked
        of studies whose Safety sections do not, or asked as a number of studies giving none: by its words, or by
        its head with a word of safety ("discontinued due to adverse events"). A study with no Safety section is
        the study-scope check's."""
        asked = set(query.terms)
        safety = self.safety
        if not studies or not all(sid in safety.said for sid in studies):
            return []
        events = [head for head, others in safety.events if head in asked and (others <= asked or asked & safety.words)]
        if missing := [head for head in events if not any(head in safety.said[sid] for sid in studies)]:
            return missing
        # A number asked of an event the studies report without one ("how many discontinued because of …")
        return [f"number of {head}" for head in events if query.quantity
                and all(head in safety.unnumbered.get(sid, ()) for sid in studies)]

    def _other_moment(self, query: Query, studies: list[str]) -> str | None:
        """A characteristic asked at a moment ("age at diagnosis") that the named studies give only at others
        (EMMY's "Age at retreatment with anti-CD38"); a study giving it at no moment ("Age, median") may mean any."""
        for what, when in AT_MOMENT.findall(query.topic):
            stems, at = lexical_tokens(what), set(lexical_tokens(when)) - STUDY_START
            if not stems or not at or STUDY_START & set(lexical_tokens(when)):
                continue
            given = [self.moments.get(sid, {}).get(stems[0]) for sid in studies]
            if all(g is not None and not g & at for g in given):
                return f"{what} at {when}"
        return None

    def _moment_unsaid(self, query: Query, studies: list[str]) -> str | None:
        """Which of two moments a characteristic or result was taken at or counted from, asked of studies none of
        whose row labels naming it names either moment: EMMY's "ECOG Score" and Souren et al's "6-month PFS" say
        neither; Abdallah et al's "Median time to retreatment from initial myeloma diagnosis" does."""
        if not (asked_moments := list(MOMENT_CHOICE.finditer(query.topic))):
            return None
        # the studies' row labels, whole paths (their own and parent labels' stems, read at load)
        labels = [own | parents for pos, (own, parents) in enumerate(self.label_stems)
                  if (own or parents) and any(self.study_masks[sid][pos] for sid in studies if sid in self.study_masks)]
        for m in asked_moments:
            choices = set(lexical_tokens(f"{m.group(1)} {m.group(2)}"))
            # what is asked: its outcome words and patient characteristics, not the cohorts or columns it names
            asked = {t for t in query.asking if t in self.outcome_stems or t in self.characteristics} - choices
            if asked and not any(label & asked and label & choices for label in labels):
                return f"{m.group(1)} or {m.group(2)}"
        return None

    def _outcomes_apart(self, query: Query, lexicon: Lexicon) -> list[str]:
        """The outcome words the letter hyphenates that a question writes apart: "follow up" is its "follow-up"
        (run together, "followup", spelling correction has already read it so)."""
        return [w for w in lexicon.written_apart(words(query.topic)) if lexical_tokens(w)[0] in self.outcome_stems]

    def _untested(self, query: Query, lexicon: Lexicon, named: list[StudyWords]) -> bool:
        """The question asks a test statistic, and no statement of the named studies that gives one (a hazard
        ratio, when it asks one) speaks of every measure it asks (the letter's defined terms: ORR, PFS, OS, D-Rd
        …): Szabo et al give a P value and a hazard ratio for OS, none for their ORR of 48% vs 41%, and a P
        value, no hazard ratio, for OS across index regimens."""
        asked = {w for w in words(query.expanded) if w in lexicon.abbreviations and len(w) > 1} - STATISTIC_TERMS
        return not any(asked <= statement and (hazard_ratio or not query.hazard_ratio)
                       for study in named for statement, hazard_ratio in study.tested)

    def _grade_unreported(self, query: Query, lexicon: Lexicon, named: list[StudyWords]) -> bool:
        """The question asks a grade, and no passage of the named studies that speaks of what it asks (its
        outcome words: anemia, neutropenia …; any graded passage when it names none) gives that grade or a
        part of it. "Grade 3/4" answers "grade 3 or higher" and "grade 3 or 4", not "grade 4" alone: the
        letter does not break it down. That all were of one grade answers any. An event may be asked in words
        the letter defines it by ("low lymphocyte counts": lymphopenia, "an abnormally low number of
        lymphocytes")."""
        if not query.grades:
            return False
        said = [*query.terms, *(t for term in query.terms if (word := lexicon.thesaurus.get(term))
                                for t in lexical_tokens(word))]
        events = {t for t in said if t in self.outcome_stems} - GRADE_STEMS - self.graded_headings
        # (one grade for all of an event answers only a question naming that event)
        given = [sets if events else sets - {frozenset()} for study in named for stems, sets in study.graded
                 if not events or events & stems]
        return not any(g <= query.grades for sets in given for g in sets)

    def _another_study_first(self, query: Query, studies: list[str], passages: list[Passage]) -> bool:
        """The question names a study by a name of its own, and the best passage, though that study's passages
        were boosted, is another study's (a summary or reference passage, of no one study, does not count)."""
        if not (self.settings.top_study_check and query.study_named and studies and passages):
            return False
        first = passages[0].chunk.study_id
        return first is not None and first not in studies

    def _spelled_out(self, expansion: str, known: set[str]) -> bool:
        """Whether a study's stems `known` say an abbreviation's words: its rarer words, or all of its words
        where another abbreviation has the same rarer ones ("revised International Staging System", R-ISS,
        against "International Staging System", ISS: only "revised" tells them apart)."""
        stems = self._rare_stems_of(expansion)
        if stems in self._ambiguous_expansions:
            stems = frozenset(lexical_tokens(" ".join(content_words(expansion))))
        return bool(stems) and stems <= known

    def _rare_stems_of(self, expansion: str) -> frozenset[str]:
        rare = [w for w in content_words(expansion) if zipf(w) < self.settings.common_zipf]
        return frozenset(lexical_tokens(" ".join(rare)))

    def _unsupported(self, query: Query, top_dense: float, advice: bool = False) -> str | None:
        """Supported (None) when the question names something of the letter, asks no label topic the letter's
        structure never takes up, every topic word of it is accounted for (one may be missing from a long
        question), and some passage is semantically close enough; else what is wrong with it. An `advice`
        request may ask a label topic ("what dose should I give"): it is flagged and given the letter's
        passages, not refused for it."""
        s = self.settings
        if not query.content:
            return "no topic words"
        if not query.anchored:
            return "names nothing of the letter"
        if top_dense < s.min_dense:
            return f"min_dense: best cosine {top_dense:.2f}"
        if s.label_topic_check and not advice and (topics := [w for w in query.label_topics if any(
                t not in self.structure_stems for t in lexical_tokens(w))]):
            return f"label_topic_check: {', '.join(topics)}"
        long = s.long_question_words and len(query.content) >= s.long_question_words
        # (a study named, or the letter's apparatus asked in English words, however rare: "which databases did you
        # trawl", "is this document meant as promotional material, asks a formulary committee"; not of another drug
        # or illness: "which databases list teclistamab trials")
        named = s.named_study_allowance and (query.study_named or bool(APPARATUS_ASKED & set(query.intents)) and all(
            written_english(w) and not any(lex.names_a_medical_topic(w) for lex in self.index.lexicons.values())
            for w in query.unknown))
        close = 0 < s.close_passage_cosine <= top_dense
        if len(query.unknown) > s.max_unknown_terms + (1 if long or named else 0) and not close:
            return f"unknown words: {', '.join(query.unknown)}"
        return None
