"""One analysis of a question, made once and read by every stage of retrieval.

`analyse` turns what a person typed into a `Query`: the text normalised; the words that carry its topic
(greetings and "I'm a pharmacist, a colleague asked…" set aside, chat shorthand read, misspellings of the
letter's own words corrected); the letter's expansions; the BM25 terms; the studies it names; what kind of
passage it asks for; whether it asks for a quantity or for patient advice; and the topic words the letter
does not account for. Everything here comes from the letter (through its `Lexicon`) or from general
resources of the language and of US drug labels, never from any question set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

from qa.lexicon import Lexicon, content_words, lexical_tokens, words
from qa.venues import read_venues

# Patient-specific advice ("should I retreat my patient…"): general wording of a request for a recommendation.
ADVICE = re.compile(  # (how a paper "should I cite" is no advice on treating anyone)
    r"\b(should (i|we|my|our|he|she|they)(?! (?:cite|quote|reference)\b)|(my|our) ([\w-]+ ){0,4}patients?|"
    r"(would|do) you (recommend|suggest|advise|use|go|choose|pick|switch|try|give|start|retreat|rechallenge|consider)|"
    r"is it (safe|ok|okay|reasonable) (for|to)|can (i|we) (give|use|retreat|restart|start|switch)|"
    r"what (dose|regimen) should|recommend (for|to) (my|a|this)|this patient|advice|(i|we) should)\b",
    re.I,
)
# A patient the scene introduced, referred back to in the question it asks ("My patient is dara-refractory after
# D-Vd; would you put her on D-Kd or D-Pd next?").
REFERRED_BACK = re.compile(r"\b(she|he|her|him|his)\b", re.I)

# What a question asks for, by the kind of passage that answers it: general wording of questions about a
# letter's apparatus (its references, its disclaimer, its literature search, its summary).
INTENTS: dict[str, re.Pattern[str]] = {
    "references": re.compile(
        r"\b(journal|published|publication|cite[sd]?|citation|reference[sd]?|author(s|ed)?|poster|abstract|"
        r"presented (at|by)|congress|meeting|conference|workshop|supplement|volume|pages?|"
        r"who (wrote|authored)(?! (this|it)\b)|written by)\b", re.I),
    "disclaimer": re.compile(
        r"\b(promotional|medical advice|intended for|who (prepared|is this)|who wrote (this|it)|disclaimer|"
        r"last updated|updated|audience|healthcare professionals)\b", re.I),
    "literature_search": re.compile(r"\b(literature search(es)?|search(es|ing)? (of |in |through )?(the )?"
                                   r"(medical |published )?literature|searched|databases?|medline|embase)\b", re.I),
    "summary": re.compile(r"\b(overview|summar(y|ise|ize)|in brief|key (findings|points)|other (relevant )?"
                          r"literature|(which|what) stud(y|ies)|"
                          # … whose notice says what the company cannot recommend: use beyond the labeling
                          r"off[- ]label|(beyond|outside|deviat\w* from)\b[^?.]{0,40}\blabel(s|ed|ing)?)\b", re.I),
}

# "this" before a noun for a piece of writing, in a question naming nothing else of the letter, points at the
# letter itself ("Is this document promotional?", "Is this an advertisement?"): the question asks the letter's
# account of itself, its disclaimer. "this" before anything else ("Is this covered by insurance?") points at
# something the letter does not say, most often the drug.
THIS = re.compile(r"\bthis (?:(?:a|an|the) )?([\w-]+)(?: ([\w-]+))?", re.I)


def points_at_letter(topic: str, lexicon: Lexicon) -> bool:
    """'this' before a noun for a piece of writing, with an article or one word between at most: "this
    document", "is this an advertisement", "this promotional piece"."""
    return any(w and w.lower() in lexicon.document_nouns for m in THIS.finditer(topic) for w in m.groups())


# A question asking for dates: when something ran, a period or a span of dates ("over what dates", "which
# years", "what time frame"). Not "when" alone, which as often asks how long after something ("when did they
# respond"), nor "what year", which a study's label answers ("Szabo et al (2022)").
DATES_ASKED = re.compile(
    r"\b(?:what|which|over what|during what|between what|between which) (?:calendar )?(?:dates?|years|"
    r"(?:time )?(?:period|frame|window|span)s?)\b|\bbetween which\b|\btime ?(?:frame|window)\b", re.I)

# A question asking where a study stands now or will: ClinicalTrials.gov's recruitment statuses (not yet
# recruiting, recruiting, enrolling, active — "ongoing" in its glossary —, suspended, terminated, withdrawn) and
# plans, said of a trial, study or cohort: "ongoing trials of retreatment", "is the cohort still enrolling",
# "planning a phase 3 trial". A letter reports what was published.
_STUDY = r"(?:trials?|stud(?:y|ies)|cohorts?|registr(?:y|ies))"
STATUS_ASKED = re.compile(
    r"\b(?:ongoing|upcoming|planned|planning|future|recruiting|suspended|terminated|withdrawn)(?:\W+[\w-]+){0,3}?\W+"
    + _STUDY + r"\b|\b" + _STUDY + r"(?:\W+[\w-]+){0,3}?\W+(?:still|currently|now)\s+(?:recruiting|enrolling|accruing|"
    r"open|ongoing|active)\b"
    # … the status said after the trial ("a randomized trial of retreatment planned or ongoing")
    r"|\b" + _STUDY + r"(?:\W+[\w-]+){0,3}?\W+(?:planned|ongoing|underway|under\s+way|in\s+progress)\b"
    # … who runs one now, and when results yet to come are expected
    r"|\b(?:running|conducting|sponsoring|launching)(?:\W+[\w-]+){0,3}?\W+" + _STUDY + r"\b"
    r"|\b(?:results?|data|readouts?|updates?)\W+(?:\w+\W+){0,4}?(?:expected|anticipated)\b"
    r"|\bexpected to (?:report|read ?out|complete|be (?:published|presented|reported|available))\b"
    r"|\bnext\s+(?:[\w-]+\s+){0,2}?(?:updates?|analys[ie]s|data ?cut|readouts?)\b"
    r"|\bwhen\s+will\b[^?.]*?\b(?:come\s+out|be\s+out|appear|read\s?out)\b"
    r"|\bwill\b[^?.]*?\bbe\s+(?:next\s+)?(?:updated|revised|published|released)\b|\bnext\s+be\s+(?:updated|revised)\b"
    # … and what became of a paper since (a poster "since published as a full paper")
    r"|\b(?:since|yet|subsequently|later)\s+(?:been\s+)?published\b|\bpublished\s+(?:yet|since)\b"
    # (not which form it has: "a full paper or a meeting presentation?", which its reference entry says)
    r"|\bfull(?:[\s-]+(?:length|text))?\s+(?:peer[\s-]+reviewed\s+)?(?:paper|publication|manuscript|article)\b"
    r"(?!\s+or\s+(?:\w+\s+){0,3}?(?:presentation|poster|abstract)s?\b)",
    re.I)

# A question asking what a clinical practice guideline or consensus says ("the IMWG guidelines", "the NCCN
# guideline's recommendation"), not whether the company endorses practice guidelines off the label, which its
# notice answers.
GUIDELINE_ASKED = re.compile(r"(?<!practice )\bguidelines?\b|\bconsensus (?:statements?|recommendations?)\b", re.I)

# A question asking what the US label itself says ("what does the product labeling say about retreating", "per the
# prescribing information, …"), not whether the company endorses using the drug beyond it, which its notice answers.
LABEL_ASKED = re.compile(r"\b(?:label(?:ing)?|prescribing information|package insert|uspi)\s+(?:say|says|state|states|"
                         r"recommend|recommends|specify|specifies|require|requires|advise|advises|list|lists|allow|"
                         r"allows|permit|permits)\b|\b(?:per|according to) the (?:[\w-]+ ){0,3}?(?:label(?:ing)?|"
                         r"prescribing information|package insert)\b", re.I)
OFF_LABEL = re.compile(r"\b(?:beyond|outside|deviat\w*|off[- ]label|not in|aren't in|isn't in|doesn't cover|"
                       r"don't cover)\b", re.I)


def asks_the_label(text: str) -> bool:
    """Whether a text asks (or, of a passage, gives) what the label itself says."""
    return bool(LABEL_ASKED.search(text)) and not OFF_LABEL.search(text)

# A landmark: a rate at a time point, "12-month PFS", "2-year OS rate", "6-mo PFS" (not "6 months ago", nor a
# "3-month period"): the number and unit right before an outcome.
LANDMARK = re.compile(r"\b(\d{1,3}|one|two|three|four|five|six|nine|ten|twelve|eighteen)[- ]?(months?|mo|years?|yrs?)"
                      r"\b(?=[- ](?:pfs|os|progression|overall|survival|event|rate|response)\b)", re.I)
SPELLED = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "nine": 9, "ten": 10, "twelve": 12,
           "eighteen": 18, "a": 1}  # a landmark in words: "one year PFS", "two-year OS", "alive a year after"
# The same asked as a state at a time: "still alive at twelve months", "progression-free at 6 months", "alive a year
# after starting".
_AT_TIME = r"(\d{1,3}|one|two|three|four|five|six|nine|ten|twelve|eighteen|a)[- ]?(months?|mo|years?|yrs?)\b"
STATE_AT = re.compile(r"\b(?:alive|living|progression[- ]free|event[- ]free|without progression)\b[^?.;]{0,25}?"
                      rf"\b(?:at\s+|after\s+|by\s+)?{_AT_TIME}"
                      rf"|\b(?:pfs|os|survival)\s+(?:rates?\s+)?(?:at|by)\s+{_AT_TIME}", re.I)


def landmarks(text: str) -> frozenset[int]:
    """The landmarks a text names, in months ("2-year OS" and "two-year OS" are 24)."""
    return frozenset((int(n) if n.isdigit() else SPELLED[n.lower()]) * (12 if unit.lower().startswith("y") else 1)
                     for n, unit in [*LANDMARK.findall(text),
                                     *((m[0] or m[2], m[1] or m[3]) for m in STATE_AT.findall(text))])


# An adverse event's grade (CTCAE): "grade 3/4", "gr 3-4", "grades 3 and 4", "grade ≥3", "grade 3 or higher",
# "Grade 1"; "any grade" and "all grades" name none. A number with a share after it is a table's count under an
# "All Grades" column ("All Grades 3 (50)"), not a grade.
_GRADE_NUMBER = r"([1-5]|iv|v|i{1,3})\b(?!\s*\(\d)"
GRADE = re.compile(
    rf"(?:(≥|>=|>)\s*)?\b(?:grades?|gr\.?)\s*(≥|>=|>)?\s*{_GRADE_NUMBER}"
    rf"(?:\s*(?:/|-|–|to|or|and|,)\s*(?:grade\s*)?{_GRADE_NUMBER}(?!\s*(?:months?|weeks?|days?|years?)))?"
    r"(\s*\+|\s+or (?:higher|above|greater|worse|more)\b|\s+and (?:higher|above)\b)?", re.I)
GRADE_MARKER = re.compile(rf"\bgr(?![a-z])\.?(?=\s*(?:≥|>=|>)?\s*{_GRADE_NUMBER})", re.I)  # "gr 3", "gr3": grade
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def _grade(number: str) -> int:
    return int(number) if number.isdigit() else ROMAN[number.lower()]


def grade_sets(text: str) -> frozenset[frozenset[int]]:
    """The grades a text names, each as the set it spans: "Grade 3/4" is {3, 4}, "grade ≥3" {3, 4, 5}."""
    found = set()
    for before, after, low, high, upward in GRADE.findall(text):
        first = _grade(low)
        last = _grade(high) if high else first
        if before or after or upward:
            last = 5
        found.add(frozenset(range(min(first, last), max(first, last) + 1)))
    return frozenset(found)


def grades(text: str) -> frozenset[int]:
    """Every grade a question asks, as one set ("any grade and grade 3/4": {3, 4}); empty when it names none."""
    return frozenset().union(*grade_sets(text))


# A question asking a test statistic: a P value, a hazard ratio, whether a difference was significant.
STATISTIC = re.compile(r"\b(?:p[- ]?values?|hazard ratios?|hrs?|significan(?:t|tly|ce))\b", re.I)
HAZARD_RATIO = re.compile(r"\b(?:hazard ratios?|hrs?)\b", re.I)

# A question asking for a number: counts, rates, shares, medians, durations.
QUANTITY = re.compile(
    r"\b(how (many|much|long|often|quickly)|what (percentage|proportion|share|fraction|number|rate|median|mean)|"
    r"median|mean|average|rate|percent(age)?|proportion|number of|hazard ratio|p[- ]?value)\b|%", re.I)

# Who is asking and why, which is not what is asked: greetings, self-introductions, a colleague's request,
# thanks. Healthcare roles are the US medical-information audience's own (physician, pharmacist, nurse, …).
ROLES = (r"(?:physician|doctor|oncologist|hematologist|haematologist|pharmacist|nurse(?: practitioner)?|np|pa|"
         r"fellow|resident|clinician|prescriber|provider|msl|medical science liaison|coordinator|student|specialist|"
         r"consultant|registrar|technician|navigator|educator|librarian|reviewer|analyst|researcher|scientist|"
         r"attending)")
ROLE_WORD = re.compile(rf"{ROLES}s?", re.I)  # one word naming who asks: never the topic asked
COURTESY = re.compile(
    r"\b(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)|thanks?(?: you)?|thank you|please|"
    r"quick question|question for you|i have a question|i was wondering|wondering|i'?d like to know|"
    rf"(?:i'?m|i am|this is) (?:a|an|the) (?:[\w-]+ ){{0,3}}?{ROLES}s?(?: at [\w\s-]+?)?|"
    rf"(?:for|from) (?:a|an|the|my|our) (?:[\w-]+ ){{0,2}}?{ROLES}s?\b(?= *[:,;.?!-])|"
    rf"(?:a|my|our) (?:[\w-]+ )?(?:colleague|co-?worker|{ROLES})s? (?:asked|asks|is asking|wants to know|"
    r"wanted to know|would like to know)(?: me)?(?: about| whether| if)?|can you (?:tell|help) me(?: with)?)\b",
    re.I,
)

# Who is asking, named at the start by a role ("Oncology pharmacist here -", "Haematology fellow asking:", "Hematology
# fellow prepping a journal club on …"): the role and its field, not what is asked. A gerund after it keeps its
# clause (what they are doing may name a study).
WHO_ASKS = re.compile(rf"^(?:(?:[\w/&-]+\s+){{0,2}}?{ROLES}s?\s+(?:here|asking|writing|again)\b\s*[:,;.!\-–—]*"
                      rf"|(?:[\w/&-]+\s+){{0,2}}?{ROLES}s?(?=\s+\w+ing\b))", re.I)

# Who is asking, said in a clause of its own: "I'm a hem/onc pharmacist.", "I'm a medical information agent
# handling a call from a hematologist: …", "I work in a myeloma clinic and …" (up to a clause's end or a dash).
# "We're" with its apostrophe: "were" is a verb ("…, were counted toward …").
INTRODUCTION = re.compile(r"(?:^|(?<=[.!?;:,]\s))(?:i['’]?m|i am|i work|this is|we['’]re|we are|we work)\b[^.!?;:]*?"
                          r"(?:[.!?;:]|\s[-–—]\s)", re.I)


def set_introductions_aside(topic: str, lexicon: Lexicon, common_zipf: float) -> str:
    """A self-introduction that names nothing of the letter set aside (its words are who asks, not what)."""
    kept = topic
    for clause in INTRODUCTION.findall(topic):
        rest = kept.replace(clause, " ", 1)
        if not lexicon.anchored(clause, common_zipf=common_zipf) and lexicon.anchored(rest, common_zipf=common_zipf):
            kept = rest
    return re.sub(r"\s+", " ", kept).strip()


# A patient's scene before a dash, then the question: "Seeing a 71-year-old woman tomorrow who relapsed on dara - in
# EMMY what was …?", "Have a patient on isa-Kd - …".
PATIENT_SCENE = re.compile(r"^(?:seeing|treating|i(?:'m| am)\s+seeing|i\s+have|i've\s+got|have|got|my|our)\b[^?]*?"
                           r"\b(?:\d+-year-old|patients?|man|woman|gentleman|lady|guy)\b[^?]*?\s[-–—]+\s+(?=\S)", re.I)


# What the letter gives, said before a dash, then the question: "The EMMY table gives median OS for a consecutive line -
# what was their median PFS?", "Abdallah only shows TEAEs in retreated patients - what were …?".
STATED_SCENE = re.compile(r"^[^?]*?\b(?:gives?|gave|reports?|reported|lists?|listed|shows?|showed|says?|said|states?|"
                          r"provides?|provided|breaks?\s+down)\b[^?]*?\s[-–—]+\s+"
                          r"(?=(?:what|how|which|who|when|where|why|and|but|so|any|is|was|were|did|do|does)\b)", re.I)


def asked_sentences(topic: str) -> str | None:
    """The sentences of a text that ask (end in a question mark), when others set a scene before or around
    them; None when every sentence asks or none does. A patient's scene, or what the letter gives, before a dash
    is a sentence of its own."""
    if scene := PATIENT_SCENE.match(topic) or STATED_SCENE.match(topic):
        return asked_sentences(topic[scene.end():]) or topic[scene.end():]
    sentences = [s for s in re.split(r"(?<=[.?!;])\s+", topic) if s.strip()]
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(sentences) else None


# Shorthand of clinical chat and notes, read as the words they stand for.
SHORTHAND = {
    "pt": "patient", "pts": "patients", "tx": "treatment", "txs": "treatments", "dx": "diagnosis",
    "hx": "history", "rx": "therapy", "sx": "symptoms", "f/u": "follow-up", "fu": "follow-up",
    "yo": "year-old", "y/o": "year-old", "yrs": "years", "yr": "year", "mo": "months", "mos": "months",
    "wks": "weeks", "wk": "week", "w/": "with", "w/o": "without", "b/c": "because", "approx": "approximately",
    "re-tx": "retreatment", "retx": "retreatment", "re-treatment": "retreatment", "re-treated": "retreated",
    "resp": "response", "pop": "population", "tox": "toxicity", "eff": "efficacy", "abt": "about",
    "med": "medical", "meds": "medications", "pls": "please", "plz": "please", "thx": "thanks",
    "info": "information", "lit": "literature", "ref": "reference", "refs": "references", "combo": "combination",
    "combos": "combinations", "chemo": "chemotherapy", "mel": "melphalan", "dz": "disease", "trt": "treatment",
    "avg": "average", "pct": "percent", "prev": "previous", "w/in": "within", "r/r": "relapsed/refractory",
    "subq": "subcutaneous", "sub-q": "subcutaneous", "subcut": "subcutaneous", "admin": "administration",
    "mpfs": "median PFS", "grp": "group", "grps": "groups", "cyto": "cytogenetics",
    "hcp": "healthcare professional", "hcps": "healthcare professionals", "ppl": "people",
    "medinfo": "medical information", "med-info": "medical information", "rxn": "reaction", "rxns": "reactions",
    "tmrw": "tomorrow", "tmw": "tomorrow", "hep": "hepatitis", "premed": "premedication", "premeds": "premedications",
    "pre-med": "premedication", "pre-meds": "premedications",
}
# "mono" for monotherapy, standing alone ("dara mono"): in a label ("D-mono") it is the label's.
MONO = re.compile(r"(?<![\w/-])mono(?![\w/-])", re.I)
SHORTHAND_PATTERN = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w/])",
    re.I,
)

# The sections of a US prescribing information (21 CFR 201.57(c)) and their usual words: topics of the label
# itself. A question on one of them that the letter's structure (its sections, tables and rows) never takes up
# asks the label, not this letter.
_LABEL_WORDS = (
    "indications dose doses dosage dosing administration forms strengths contraindications warnings precautions "
    "interactions pregnancy pregnant lactation breastfeeding reproductive contraception pediatric geriatric "
    "renal hepatic impairment overdosage overdose pharmacokinetics pharmacodynamics pharmacology toxicology "
    "carcinogenesis storage stored store handling supplied refrigerate refrigerator fridge vial vials premedication "
    "premedications counseling route routes subcutaneous subcutaneously intravenous intravenously iv sc "
    "injection injections dilute diluted dilution reconstitute reconstituted reconstitution filter filters"
)
LABEL_SECTIONS = frozenset(_LABEL_WORDS.split())
# A dose written in its units asks the dosage too ("was carfilzomib given at 56 or 70 mg/m2?"); a laboratory
# value's units (mg/dL, mL/min) do not.
DOSE_UNIT = re.compile(r"\d*(mg|mcg|µg|μg)(/(kg|m2|m²|day|d|dose|wk|week))?", re.I)
NUMBERED = frozenset({"grade", "grades", "stage", "stages", "phase", "class", "type", "cycle", "line", "part"})
# Their verbs' forms too ("dosed", "injected", "refrigerated"): the stems of the words that are verbs as well.
LABEL_VERB_STEMS = frozenset(lexical_tokens("dose dosing inject store refrigerate premedicate counsel"))

INVISIBLE = {"Cf"}  # format characters (zero-width space, joiners, direction marks, BOM): dropped, not spaced


def normalise_question(text: str) -> str:
    """NFKC; invisible format characters (zero-width space and joiners, direction marks, BOM, soft hyphen)
    removed, since they sit inside words; other control characters made spaces; white space collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join("" if unicodedata.category(ch) in INVISIBLE else " " if unicodedata.category(ch)[0] == "C"
                   else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True, slots=True)
class Query:
    """A question as every stage reads it."""

    text: str  # normalised, as asked (what responses echo and highlights compare with)
    topic: str  # courtesy set aside, shorthand read, misspellings of the letter's words corrected
    expanded: str  # topic + the letter's expansions (abbreviations both ways, brand for generic)
    terms: tuple[str, ...]  # BM25 terms of the expanded topic, in the letter's canonical names
    asking: tuple[str, ...]  # the same of its asking sentences only, when others set a scene
    content: tuple[str, ...]  # content words of what it asks (its asking sentences, when others set a scene)
    studies: tuple[str, ...]  # ids of the studies it names, best first
    study_named: bool  # names a study by a name of its own (author, site, acronym), not a common word
    intents: tuple[str, ...]  # passage kinds it asks for
    quantity: bool  # asks for a number
    dates: bool  # asks for dates: a period, a span of dates
    status: bool  # asks where a study stands now or will: recruiting, ongoing, planned
    guideline: bool  # asks what a practice guideline or consensus says
    label: bool  # asks what the US label itself says
    landmarks: frozenset[int]  # rates at time points it asks, in months ("12-month PFS": 12)
    statistic: bool  # asks a P value, a hazard ratio or whether a difference was significant
    hazard_ratio: bool  # asks a hazard ratio, which a P value alone does not give
    grades: frozenset[int]  # adverse-event grades it asks ("grade 4 anemia": {4}; "grade 3/4": {3, 4})
    measures: tuple[str, ...]  # endpoints it asks in everyday words, by name ("how long did they live": OS's words)
    advice: bool  # asks for patient-specific advice
    unknown: tuple[str, ...]  # topic words the letter, its names and everyday English do not account for
    label_topics: tuple[str, ...]  # words naming a topic of the US label (dosage, storage, pregnancy, …)
    anchored: bool  # names something of the letter: a word it uses that everyday English rarely does, an
    # abbreviation it defines, a drug, a study, or the letter's own apparatus (references, disclaimer, …)


# English contractions, read as their words so "hadn't" is not taken for a topic word "hadn".
NEGATION = re.compile(r"\b(\w+?)n['’]t\b", re.I)
CLITIC = re.compile(r"(?<=\w)['’](?:re|ve|ll|d|m)\b", re.I)
IRREGULAR_NEGATIONS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}


def read_contractions(text: str) -> str:
    text = NEGATION.sub(lambda m: f"{IRREGULAR_NEGATIONS.get(m.group(1).lower(), m.group(1))} not", text)
    return CLITIC.sub("", text)


# Oncology chat writes a median as "m" before a measure's capitals: "mOS", "mPFS", "mDOR". Only the letter's
# own abbreviations are read so ("mRNA" is not a median), and only so cased: "mos" is months.
MEDIAN_OF = re.compile(r"(?<![\w/])m([A-Z][A-Za-z-]*[A-Z])(?![\w/])")
# A route of administration or a site of disease in lay words: "into a vein", "under the skin", "disease outside
# the bone marrow" (extramedullary: outside the medulla, the marrow). Hyphenated, the words qualify a noun: "an
# under-the-skin form" is a subcutaneous form.
LAY_ROUTES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\b(?:into|in|through)([\s-]+)(?:a|the)[\s-]+vein\b", re.I), "intravenously", "intravenous"),
    (re.compile(r"\bunder([\s-]+)the[\s-]+skin\b", re.I), "subcutaneously", "subcutaneous"),
    (re.compile(r"\b(?:outside|beyond)([\s-]+)(?:of[\s-]+)?(?:the[\s-]+)?(?:bone[\s-]+)?marrow\b", re.I),
     "extramedullary", "extramedullary"),
)
# "disease outside the marrow" is extramedullary disease: the site before the thing it qualifies.
SITE_AFTER = re.compile(r"\b(disease|lesions?|plasmacytomas?|involvement|spread|relapses?)\s+(extramedullary)\b", re.I)


# Numbers in words, as dictation and spelled-out ages write them: "sixty-eight-year-old", "anti CD thirty eight",
# "seventy-five or older", a year as "twenty twenty-five". Units and "ten" alone stay words ("one of", "two
# studies"): the counts are read as words where they are asked.
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
NUMBER_VALUES = {w: n for n, w in enumerate(_UNITS, 1)} | {w: n for n, w in enumerate(_TEENS, 10)} | {
    w: n for n, w in zip(range(20, 100, 10), _TENS, strict=True)}
_TWO_DIGITS = rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS[3:])})"
SPOKEN_YEAR = re.compile(rf"\btwenty[\s-]({_TWO_DIGITS}|{'|'.join(_TEENS[:3])})\b", re.I)
SPOKEN_NUMBER = re.compile(rf"\b{_TWO_DIGITS}\b", re.I)


def _spoken_value(words: str) -> int:
    return sum(NUMBER_VALUES[w] for w in re.split(r"[\s-]+", words.lower()))


# A date's format written in place of the date: "from dd/mm/yyyy to dd/mm/yyyy" asks two dates.
DATE_TEMPLATE = re.compile(r"\b(?:(?:dd|mm)[/.-](?:mm|dd)[/.-]y{2,4}|y{4}[/.-]mm[/.-]dd|mm[/.-]y{2,4})\b", re.I)
# A patient's age and sex as clinic notes write them: "72F", "68 M", "a 59yo M".
AGE_SEX = re.compile(r"(?<![\w(;/.-])(\d{1,3})\s?(?:yo\s?)?([MF])(?![\w/])")
# A line of therapy by its number: "2L" second line, "3L+" third line or later.
LINE_OF_THERAPY = re.compile(r"(?<![\w/.-])([1-9])L(\+)?(?![\w/])", re.I)
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
# An ordinal in words or figures ("second", "2nd") -> its number.
ORDINAL_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}  # "th" otherwise
ORDINALS = {w: n for n, w in enumerate(ORDINAL_WORDS, start=1)}
ORDINALS |= {f"{n}{ORDINAL_SUFFIXES.get(n, 'th')}": n for n in ORDINALS.values()}


# An endpoint asked in everyday words, by its standard name: "how long did they live" is overall survival, "how
# long did they stay free of progression" progression-free survival, "how long until they needed the next
# treatment" the time to next treatment, "how long were they observed" the follow-up.
LAY_MEASURES = ((re.compile(r"\bhow\s+long\b[^?.]*?\b(?:live[ds]?|survived?|surviving|"
                            r"(?:stay(?:ed)?|remain(?:ed)?|were|was|kept)\s+alive)\b", re.I), "overall survival"),
                (re.compile(r"\bhow\s+long\b[^?.]*?\b(?:(?:free|without)\s+(?:of\s+|from\s+)?(?:progression|"
                            r"progressing|relapse|relapsing)|before\s+(?:progressing|progression|relapsing|relapse)|"
                            r"until\s+(?:progression|(?:they|patients|the\s+disease)\s+progressed))\b"
                            r"|\btime\s+(?:without|free\s+of|free\s+from)\s+progression\b", re.I),
                 "progression-free survival"),
                (re.compile(r"\bhow\s+long\b[^?.]*?\buntil\b[^?.]*?\b(?:needed|required|started|got|began)\s+"
                            r"(?:the|a|their)\s+next\s+(?:treatment|therapy|line)\b"
                            r"|\btime\s+until\b[^?.]*?\bnext\s+(?:treatment|therapy|line)\b", re.I),
                 "time to next treatment"),
                (re.compile(r"\bhow\s+long\b[^?.]*?\b(?:(?:were|was)\s+(?:[\w'’-]+\s+){0,4}?(?:followed|observed|tracked|"
                            r"monitored)|follow(?:ed)?\s+(?:them|patients|people)|observation\s+period)\b", re.I),
                 "follow-up"),
                (re.compile(r"\b(?:how\s+many|what\s+(?:share|proportion|percentage|fraction|percent)|what\s+%)\b"
                            r"[^?.]*?(?<!\bnot\s)(?<!\bnever\s)(?<!\blonger\s)(?<!n't\s)\b(?:responded|respond)\b",
                            re.I),
                 "overall response rate"))


def lay_measures(text: str) -> list[str]:
    return [name for asked, name in LAY_MEASURES if asked.search(text)]


def _lay_form(adverb: str, adjective: str, m: re.Match[str]) -> str:
    """The adjective for lay words hyphenated to qualify a noun, the adverb otherwise."""
    return adjective if "-" in m.group(1) else adverb


def read_shorthand(text: str, abbreviations: Collection[str] = (), vocabulary: Collection[str] = ()) -> str:
    text = MEDIAN_OF.sub(lambda m: f"median {m.group(1)}" if m.group(1).lower() in abbreviations else m.group(0),
                         text)
    for lay, adverb, adjective in LAY_ROUTES:
        text = lay.sub(partial(_lay_form, adverb, adjective), text)
    text = SITE_AFTER.sub(r"\2 \1", text)
    text = DATE_TEMPLATE.sub("date", text)
    text = SPOKEN_YEAR.sub(lambda m: str(2000 + _spoken_value(m.group(1))), text)
    # (a number the letter itself writes in words, its "Seventeen patients", stays as it writes it)
    text = SPOKEN_NUMBER.sub(lambda m: m.group() if m.group().lower() in vocabulary else str(_spoken_value(m.group())),
                             text)
    text = AGE_SEX.sub(lambda m: f"{m.group(1)}-year-old {'man' if m.group(2) == 'M' else 'woman'}", text)
    text = LINE_OF_THERAPY.sub(lambda m: f"{ORDINAL_WORDS[int(m.group(1)) - 1]} line"
                               + (" or later" if m.group(2) else ""), text)
    text = MONO.sub("monotherapy", text)
    return SHORTHAND_PATTERN.sub(lambda m: SHORTHAND[m.group(1).lower()], text)


def set_courtesy_aside(text: str) -> str:
    stripped = COURTESY.sub(" ", WHO_ASKS.sub(" ", text, count=1))
    stripped = re.sub(r"^[\s,;:.!-]+", "", re.sub(r"\s+", " ", stripped)).strip()
    return stripped or text


def analyse(question: str, lexicon: Lexicon | None, *, shorthand: bool = True, courtesy: bool = True,
            spelling: bool = True, common_zipf: float = 4.5, synonyms: bool = True,
            parts_of_speech: bool = True, self_reference: bool = True) -> Query:
    """The one analysis of a question against a letter's lexicon (None: several letters, no expansion)."""
    text = normalise_question(question)
    topic = read_shorthand(text, lexicon.abbreviations, lexicon.vocabulary) if shorthand and lexicon else \
        read_shorthand(text) if shorthand else text
    topic = set_courtesy_aside(topic) if courtesy else topic
    if lexicon is None:
        topic = read_contractions(topic)
        terms = lexical_tokens(topic)
        return Query(text=text, topic=topic, expanded=topic, terms=tuple(terms), asking=tuple(terms),
                     content=tuple(content_words(topic)), studies=(), study_named=False, intents=_intents(text),
                     **_asked(text, topic), unknown=(), label_topics=(), anchored=True)
    # A paper named by where it appeared ("the Am J Hematol study") is named by its author.
    topic = read_venues(topic, lexicon.venues)
    if courtesy:
        topic = set_introductions_aside(topic, lexicon, common_zipf)
    topic = read_contractions(topic)
    if spelling:
        topic = lexicon.name_qualified(lexicon.join_open_compounds(lexicon.correct_spelling(topic)))
    topic = lexicon.read_sequences(topic)
    if synonyms:
        topic = lexicon.read_compounds(topic)  # "back-to-back" as the letter's "consecutive" (WordNet)
    asked = _asked(text, topic)
    expanded = " ".join([lexicon.expand(" ".join([topic, *asked["measures"]])), *lexicon.negated_compounds(topic)])
    intents = tuple(dict.fromkeys(_intents(text) + _intents(topic)))  # as typed, and as read ("lit search")
    anchored = lexicon.anchored(topic, common_zipf=common_zipf)
    if self_reference and not anchored and points_at_letter(topic, lexicon) and "disclaimer" not in intents:
        intents += ("disclaimer",)
    # In a question that sets the scene before it asks ("Pharmacy resident here, building a slide for our
    # tumor board. For Tan et al, what was …?"), the words judged are those of the sentences asking, when
    # they name something of the letter themselves: the scene is who asks and why.
    judged = asked_sentences(topic) if courtesy else None
    if judged is None or not lexicon.anchored(judged, common_zipf=common_zipf):
        judged = topic
    tokens = words(judged)
    # A label word written apart from its partner in one of the letter's compounds ("high dose melphalan" for
    # the letter's "high-dose melphalan") is the letter's term, not the label's topic.
    # A prefix hyphenated or not is one word ("pre-medications").
    # "IV" after "grade" or "stage" is a Roman numeral, not the route. Words joined by a slash are each asked
    # ("dose/schedule").
    label_topics = tuple(dict.fromkeys(
        w for i, w in enumerate(tokens) if (w in LABEL_SECTIONS or w.replace("-", "") in LABEL_SECTIONS
                                            or LABEL_SECTIONS.intersection(w.split("/"))
                                            or DOSE_UNIT.fullmatch(w) or bool(
            LABEL_VERB_STEMS.intersection(lexical_tokens(w)[:1]))) and not lexicon.compound_at(tokens, i)
        and not (w in ROMAN and i > 0 and tokens[i - 1] in NUMBERED)))
    found = tuple(lexical_tokens(lexicon.canonical(expanded)))
    kinds = lexicon.study_kinds(topic)  # "the French registry": the study, by what the question calls it
    # Advice is what the question asks, not who it is asked for: a scene's "my patient is worried about side
    # effects" before "What TEAEs were seen in the MSK cohort?" asks the cohort's figures.
    asked["advice"] = asked["advice"] and (judged == topic or bool(
        ADVICE.search(judged) or REFERRED_BACK.search(judged)))
    # So are the grades: a scene's "the table gives anemia grades 1, 2 and 3" before "how many had grade 4?".
    if judged != topic and (asked_grades := grades(judged)):
        asked["grades"] = asked_grades
    return Query(
        text=text,
        topic=topic,
        expanded=expanded,
        terms=found,
        asking=found if judged == topic else tuple(lexical_tokens(lexicon.canonical(lexicon.expand(judged)))),
        content=tuple(content_words(judged)),
        studies=tuple(lexicon.detect_studies(topic)),
        study_named=lexicon.names_a_study(topic, common_zipf=common_zipf),
        intents=intents,
        **asked,
        # each word once: "resistant to PIs … resistant to one" is one word the letter lacks, not two; and
        # not who asks or for whom ("clinical pharmacist on our myeloma service here", "a colleague forwarded"),
        # nor what it calls a study ("the French registry")
        unknown=tuple(w for w in dict.fromkeys(lexicon.unknown_terms(
            GRADE_MARKER.sub("grade ", judged), common_zipf=common_zipf, synonyms=synonyms,
            parts_of_speech=parts_of_speech))
            if not (courtesy and (ROLE_WORD.fullmatch(w) or lexicon.names_a_person(w))) and w not in kinds),
        label_topics=label_topics,
        anchored=bool(intents) or anchored,
    )


def _asked(text: str, topic: str) -> dict[str, Any]:
    """What a question asks for, read the same with a lexicon or without: a number, dates, time points, grades,
    a test statistic, patient advice. A number may be asked in shorthand that only the topic spells out ("mDUR":
    the median DUR)."""
    return {"quantity": bool(QUANTITY.search(text) or QUANTITY.search(topic)), "dates": bool(DATES_ASKED.search(topic)),
            "status": bool(STATUS_ASKED.search(topic)), "guideline": bool(GUIDELINE_ASKED.search(topic)),
            "label": asks_the_label(topic),
            "landmarks": landmarks(topic), "grades": grades(topic), "statistic": bool(STATISTIC.search(topic)),
            "hazard_ratio": bool(HAZARD_RATIO.search(topic)), "advice": bool(ADVICE.search(text)),
            "measures": tuple(lay_measures(topic))}


def _intents(text: str) -> tuple[str, ...]:
    return tuple(kind for kind, pattern in INTENTS.items() if pattern.search(text))
