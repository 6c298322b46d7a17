"""Query understanding learnt from the letter itself.

- Abbreviations the letter defines ("ORR, overall response rate" on its Abbreviations lines, "progression-free
  survival (PFS)" in its prose), so "D-Kd" and "daratumumab carfilzomib dexamethasone" meet.
- Brand and generic names: the brand is the title's capitalised product word, the generic the drug name
  (an INN stem: -mab, -zomib, -lidomide, …) its reference list uses most.
- Study profiles: each study's author, co-authors, year, acronyms and the proper nouns (sites, countries)
  found in no other study, so a question naming "Freiburg" or "EMMY" is steered to that study.
Nothing here names a question; everything is read from the parsed letter.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qa.drugs import other_drug_names
from qa.letter import Bullet, Letter, Paragraph, Study, Table
from qa.parse import normalise
from qa.places import PLACES, site_names
from qa.thesaurus import (
    communication_nouns,
    letter_compounds,
    letter_glosses,
    letter_pertainyms,
    letter_synonyms,
    medical_nouns,
    own_synonyms,
    person_nouns,
    wording_forms,
)
from qa.venues import Venue, reference_venues

COMPOUND = re.compile(r"[-/+]")  # joins the parts of a compound word: anti-CD38, D-Kd, IMiD+PI, D1/D2
TOKEN = re.compile(r"[^\W_](?:[\w\-+/.]*[^\W_+])?\+?")
ABBR_ENTRY = re.compile(r"^\s*(?P<abbr>[^,;]{1,15}?),\s*(?P<long>[^;]+?)\s*$")
# "(PFS)" and "[HR]": the letter defines terms in parentheses and, inside parentheses, in brackets.
WORD_RUN = re.compile(r"[A-Za-z][A-Za-z\- ]*")  # words only: no brackets, digits or clause punctuation
PAREN_ABBR = re.compile(r"[(\[]\s*(?P<abbr>[A-Za-z][A-Za-z0-9\-]{0,9}[A-Za-z0-9]?)\s*[;)\]]")
INN_STEM = re.compile(r"\b[a-z]+(?:mab|zomib|lidomide|tinib|ciclib|parib|lisib|clax|nexor|inostat)\b")
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be been before being between both but by
    can could did do does doing during each few for from had has have having he her here hers how i if
    in into is it its itself just me more most my no nor not of off on once only or other our out over
    own same she should so some such than that the their them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you
    your yours was were tell show give find know please list any many much patients patient study
    studies data letter information report reported versus vs per among
    """.split()  # noqa: SIM905
)


# Two drugs one after the other: "dara then isa", "dara-then-dara", "dara->isa", "dara → isa", "dara followed by isa".
SEQUENCE = re.compile(r"\b([A-Za-z]{3,})(?:-then-|\s+then\s+|\s*-*>\s*|\s*→\s*|\s+followed\s+by\s+)([A-Za-z]{3,})\b")

# Stems of international nonproprietary names (WHO, "The use of stems in the selection of INNs") and the words
# of the drug class each names: a letter naming daratumumab speaks of a monoclonal antibody, one naming
# bortezomib of a proteasome inhibitor, whether or not it says so.
INN_STEMS = {
    "mab": "monoclonal antibody antibodies",
    "zomib": "proteasome inhibitor inhibitors",
    "tinib": "tyrosine kinase inhibitor inhibitors",
    "clax": "bcl-2 inhibitor inhibitors",
}


NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> str:
    """Accents folded ('naïve' -> 'naive') so spellings meet."""
    if text.isascii():  # nothing to fold: most questions
        return text
    # Character by character: decomposing each alone and dropping the combining marks is the same as decomposing
    # the whole text (only the order of the marks, which all go, can differ), and the letter's few distinct
    # non-ASCII characters are each folded once.
    return NON_ASCII.sub(lambda match: _fold(match.group()), text)


@functools.lru_cache(maxsize=4096)  # bounded: questions may bring any character
def _fold(character: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [t.lower() for t in TOKEN.findall(fold(normalise(text)))]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


@dataclass(slots=True)
class StudyProfile:
    id: str
    label: str
    names: set[str] = field(default_factory=set)  # lower-cased single-word aliases
    phrases: set[str] = field(default_factory=set)  # lower-cased multi-word aliases

    @property
    def author(self) -> str:
        """The first author's surname, lower-cased: the first word of the label ("Tan et al (2024)")."""
        return words(self.label)[0]


@dataclass(slots=True)
class Lexicon:
    abbreviations: dict[str, str]  # "orr" -> "overall response rate" (keys lower-case)
    synonyms: dict[str, str]  # surface form -> the form the letter uses ("daratumumab" -> "DARZALEX")
    studies: list[StudyProfile]
    vocabulary: set[str]
    initialisms: dict[str, str] = field(default_factory=dict)  # "chf" -> "congestive heart failure"
    thesaurus: dict[str, str] = field(default_factory=dict)  # stem of a word it lacks -> its synonym it uses
    kin: dict[str, list[str]] = field(default_factory=dict)  # stem of its word -> stems of its synonyms it uses
    compounds: dict[str, str] = field(default_factory=dict)  # "back-to-back" -> "consecutive": its synonym of one
    # stem of an adjective it lacks -> stems of the nouns it uses that the adjective pertains to ("racial": race)
    pertains: dict[str, list[str]] = field(default_factory=dict)
    # English nouns for a piece of writing (WordNet's noun.communication: letter, document, advertisement …)
    document_nouns: frozenset[str] = frozenset()
    venues: tuple[Venue, ...] = ()  # where its referenced papers were published or presented: names of them
    # English nouns for an illness or a drug it does not name (WordNet): a topic however common ("diabetes")
    medical_nouns: frozenset[str] = frozenset()
    # English nouns for a person it does not use (WordNet: colleague, caregiver): who asks, or for whom
    person_nouns: frozenset[str] = frozenset()
    # English word forms WordNet reads as a verb, adjective or adverb, never a noun ("combed", "upfront")
    wording: frozenset[str] = frozenset()
    # another name of a drug it names -> its name ("kyprolis" -> "carfilzomib"): brand names, from a drug dictionary
    drug_names: dict[str, str] = field(default_factory=dict)
    # words its row labels qualify with an initialism -> the initialism ("performance status" -> "ECOG")
    qualified: dict[str, str] = field(default_factory=dict)
    _stem_cache: set[str] | None = None
    _rare_stem_cache: dict[float, set[str]] = field(default_factory=dict)
    _run_together: dict[str, str] | None = None  # "followup" -> "follow-up": its compounds, hyphen left out
    _negated: re.Pattern[str] | None = None  # "not refractory", "never sensitive": its non- compounds in words
    _synonym_pattern: re.Pattern[str] | None = None
    _compound_pattern: re.Pattern[str] | None = None
    _short_form_table: dict[str, str] | None = None
    _open_compounds: re.Pattern[str] | None = None  # its hyphenated expansions, written with spaces
    _open_forms: dict[str, str] = field(default_factory=dict)
    _qualified_pattern: re.Pattern[str] | None = None
    _spellings: list[str] | None = None
    _rare_spellings: list[str] | None = None  # those of them rare in English (Zipf < 3), for completions
    _combination_parts: dict[str, frozenset[str]] | None = None
    _shared_parts: frozenset[str] = frozenset()  # the parts most of those combinations share
    _long_forms: list[tuple[str, str]] | None = None  # (abbreviation, its words) of the multi-word ones
    _class_words: frozenset[str] | None = None
    _sequence_compounds: list[str] | None = None
    _word_parts: list[str] | None = None  # the letter's words and compound parts of 5+ letters, sorted

    def class_words(self) -> frozenset[str]:
        """The words of the drug classes the letter's drugs belong to by their names' stems ("antibody")."""
        if self._class_words is None:
            self._class_words = frozenset(
                w for stem, words in INN_STEMS.items()
                if any(v.endswith(stem) and len(v) > len(stem) + 3 for v in self.vocabulary) for w in words.split())
        return self._class_words

    def compound_at(self, tokens: list[str], i: int) -> bool:
        """Whether word i of a question, with the word before or after it, is a compound the letter writes
        hyphenated ("high dose" for "high-dose")."""
        return (i > 0 and f"{tokens[i - 1]}-{tokens[i]}" in self.vocabulary) or (
            i + 1 < len(tokens) and f"{tokens[i]}-{tokens[i + 1]}" in self.vocabulary)

    def read_sequences(self, text: str) -> str:
        """Two drugs given one after the other, written as the letter's compound for the sequence ("dara then
        dara", "daratumumab-then-daratumumab", "dara->isa", "dara followed by isatuximab" as EMMY's
        "Daratumumab-Isatuximab"), when the letter writes that compound. A word names a drug by any of its names
        ("dara") or, when no name of the letter's drug, as the start of one ("isa")."""
        def names(word: str, name: str) -> bool:
            if word in self.synonyms:
                return name in self.synonyms and self.synonyms[name] == self.synonyms[word]
            return word == name or (len(word) >= 3 and name.startswith(word))

        def joined(m: re.Match[str]) -> str:
            first, second = m.group(1).lower(), m.group(2).lower()
            return next((c for c in self._sequences() if names(first, c.split("-")[0])
                         and names(second, c.split("-")[1])), m.group(0))
        return SEQUENCE.sub(joined, text)

    def read_compounds(self, text: str) -> str:
        """An English compound the letter does not write, as the letter's one word for it ("back-to-back" and
        "back to back" as "consecutive", "in-between" as "middle"). Written apart, only a compound of three words
        or more: two ("in between", "add on") are as often two words of their own."""
        if not self.compounds:
            return text
        if self._compound_pattern is None:
            self._compound_pattern = written_apart_or_joined(self.compounds, apart=lambda c: c.count("-") > 1)
        return self._compound_pattern.sub(
            lambda m: self.compounds.get(re.sub(r"[\s-]+", "-", m.group().lower()), m.group()), text)

    def _sequences(self) -> list[str]:
        """The letter's compounds of two drug names: the drug's own, or antibodies' ("Isatuximab-Daratumumab")."""
        if self._sequence_compounds is None:
            self._sequence_compounds = sorted(
                v for v in self.vocabulary if v.count("-") == 1
                and all(p in self.synonyms or p.endswith("mab") for p in v.split("-")))
        return self._sequence_compounds

    def written_apart(self, tokens: list[str]) -> list[str]:
        """The compounds the letter writes hyphenated that `tokens` write as two words ("follow up")."""
        return [joined for a, b in itertools.pairwise(tokens) if (joined := f"{a}-{b}") in self.vocabulary]

    def detect_studies(self, question: str) -> list[str]:
        """Ids of the studies a question names, best first; [] when it names none or ties. A name may be
        misspelt by an edit or two ("Abdulah", "Szbo")."""
        tokens = set(words(question))
        text = " ".join(words(question))
        scores: dict[str, float] = {}
        for profile in self.studies:
            named = self.names_in(tokens, profile) or {t for t in tokens - self.vocabulary if zipf(t) < 3.0
                                                       and _near(t, profile.names)}
            # The first author's surname names a study most surely, and an everyday word among its names ("method"
            # of Tan et al's "Kaplan-Meier Method") least: "Freiburg" names Souren et al in "what method did the
            # Freiburg study use", "Tan" Tan et al in "the Tan cohort's combinations" (EMMY's heading word).
            score = sum(2 if t == profile.author else 0.5 if zipf(t) >= EVERYDAY_ZIPF and t not in PLACES else 1
                        for t in named) + sum(2 for p in profile.phrases if p in text)
            if score:
                scores[profile.id] = score
        if not scores:
            return []
        best = max(scores.values())
        return [s for s, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v == best]

    def expand(self, question: str) -> str:
        """The question with the letter's own forms appended: abbreviations spelled out (and back), the
        brand for the generic name. Used for lexical search and, shorter, for the dense query."""
        extra: list[str] = []
        lowered = " ".join(words(question))
        for token in dict.fromkeys(words(question)):
            if token in self.abbreviations:
                extra.append(self.abbreviations[token])
            elif token.endswith("s") and token[:-1] in self.abbreviations:  # a plural: TEAEs, IRRs
                extra.append(self.abbreviations[token[:-1]])
            elif COMPOUND.sub("", token) in self.abbreviations:  # "HDM-ASCT" for HDMASCT
                extra.append(self.abbreviations[COMPOUND.sub("", token)])
            if token in self.synonyms:
                extra.append(self.synonyms[token])
            extra.extend(self.drug_names[p] for p in COMPOUND.split(token) if p in self.drug_names)
            if token in self.initialisms and token not in self.vocabulary:
                extra.append(self.initialisms[token])
        for abbr, long in self.abbreviations.items():
            if len(long.split()) >= 2 and long.lower() in lowered:
                extra.append(abbr.upper())
        # (a word of another long form before it says which: "partial response rate" is no ORR)
        extra.extend(abbr.upper() for tail, abbr in self._short_forms().items()
                     if (m := re.search(rf"(?<!\w){re.escape(tail)}s?(?!\w)", lowered))
                     and not set(lowered[:m.start()].split()[-1:]) & self._long_form_words())
        extra.extend(a.upper() for a in self.combinations_named(question))
        for surface, canonical in self.synonyms.items():
            if " " in surface and surface in lowered:
                extra.append(canonical)
        # What the question already says, as whole words ("DUR" is not said by "duration").
        extra = [e for e in dict.fromkeys(extra) if not re.search(rf"(?<!\w){re.escape(e.lower())}(?!\w)", lowered)]
        return f"{question} ({'; '.join(extra)})" if extra else question

    def _short_forms(self) -> dict[str, str]:
        """An abbreviation's long form without its first word, where that word is an everyday one ("response rate"
        for ORR, "overall response rate"; "Myeloma Working Group" for IMWG): readers leave it out. Not a compound
        first word, which says which kind ("high-risk" of HRCA), nor a tail opening on a grammar word or one that
        is another abbreviation's long form."""
        if self._short_form_table is None:
            longs = {long.lower() for long in self.abbreviations.values()}
            table: dict[str, str] = {}
            for abbr, long in self.abbreviations.items():
                first, *rest = long.lower().split()
                tail = " ".join(rest)
                if len(rest) >= 2 and first.isalpha() and zipf(first) >= TERM_ZIPF and rest[0] not in STOPWORDS \
                        and tail not in longs:
                    table[" ".join(words(tail))] = abbr
            self._short_form_table = table
        return self._short_form_table

    def _long_form_words(self) -> set[str]:
        return {w for long in self.abbreviations.values() for w in words(long) if w not in STOPWORDS}

    def abbreviations_spelled_out(self, text: str) -> list[str]:
        """The abbreviations of two or more words whose words `text` writes in full, as whole words: "duration
        of response" spells out DUR, whether the letter or a question's spelled-out initialism ("DOR") says it."""
        if self._long_forms is None:
            self._long_forms = [(abbr, f" {' '.join(words(long))} ") for abbr, long in self.abbreviations.items()
                                if len(long.split()) >= 2]
        said = f" {' '.join(words(text))} "
        return [abbr for abbr, long in self._long_forms if long in said]

    def combinations_named(self, question: str) -> list[str]:
        """Abbreviations of combinations ("D-Pd, DARZALEX + pomalidomide + dexamethasone") whose every
        component the question names, in any order and joined any way ("pomalidomide plus dexamethasone with
        daratumumab", "dara-pom-dex" spelled out, "dara-Kd"), or every one but those most combinations share; only the
        fullest: D-Pd, not also Pd."""
        at: dict[str, list[int]] = {}  # each drug (or word) named -> where, by word
        for i, w in enumerate(words(question)):
            for p in [w, *COMPOUND.split(w)]:
                if p:
                    at.setdefault(self.synonyms.get(p, self.drug_names.get(p, p)).lower(), []).append(i)
        asked = set(at)
        combinations = self.combination_parts()
        # A combination written as the drug joined to another's abbreviation ("dara-Kd": DARZALEX + carfilzomib +
        # dexamethasone).
        joined = {p.lower() for w in words(question) if COMPOUND.search(w)
                  and any(p.lower() in self.synonyms for p in COMPOUND.split(w)) for p in COMPOUND.split(w)}
        asked |= {part for abbr, parts in combinations.items() if abbr.lower() in joined for part in parts}
        found = {abbr: parts for abbr, parts in combinations.items() if parts <= asked}
        if not found:
            # A part most of the letter's combinations share (its drug, dexamethasone) may go unsaid:
            # "DARZALEX + pomalidomide" is D-Pd, when the question names two of its parts, one of them its own,
            # together (not "a dara retreatment order set … how many had been on pomalidomide before").
            shared = self._shared_parts

            def together(parts: frozenset[str]) -> bool:
                return any(abs(i - j) <= COMBINED_WITHIN for a, b in itertools.combinations(sorted(parts), 2)
                           for i in at.get(a, ()) for j in at.get(b, ()))
            found = {abbr: parts for abbr, parts in combinations.items()
                     if parts - asked <= shared and len(parts & asked) >= 2 and parts & asked - shared
                     and together(parts & asked)}
        return [a for a, parts in found.items() if not any(parts < other for other in found.values())]

    def shared_parts(self) -> frozenset[str]:
        """The drugs most of its combinations share (DARZALEX, dexamethasone)."""
        self.combination_parts()
        return self._shared_parts

    def combination_parts(self) -> dict[str, frozenset[str]]:
        """Each combination's abbreviation (lower-case) -> the drugs it is of, by the letter's names."""
        if self._combination_parts is None:
            self._combination_parts = {}
            for abbr, long in self.abbreviations.items():
                components = [c for c in re.split(r"\s*\+\s*", long) if c.strip()]
                if len(components) < 2:
                    continue
                parts = {self.synonyms.get(w, w).lower() for c in components for w in content_words(c)}
                self._combination_parts[abbr] = frozenset(parts)
            every = self._combination_parts.values()
            self._shared_parts = frozenset(p for p in set().union(*every)
                                           if 2 * sum(p in parts for parts in every) > len(every))
        return self._combination_parts

    def regimen_letters(self) -> frozenset[str]:
        """The letters the letter's combinations are written with, one per drug ("D-Kd": DARZALEX, carfilzomib,
        dexamethasone gives d and k)."""
        letters: set[str] = set()
        for abbr, long in self.abbreviations.items():
            code = abbr.replace("-", "")
            components = [c for c in re.split(r"\s*\+\s*", long) if c.strip()]
            if len(components) >= 2 and len(code) == len(components) and code.isalpha():
                letters.update(code)
        return frozenset(letters)

    def codes_a_regimen(self, word: str) -> bool:
        """Whether a word is a regimen written in the letter's drug letters, dexamethasone last, as clinics write
        combinations the letter does not give ("VRd", "KPd"): drugs it names, not an unknown topic."""
        letters = self.regimen_letters()
        return 3 <= len(word) <= 5 and word.endswith("d") and len(set(word)) >= 2 and set(word) <= letters

    def canonical(self, text: str) -> str:
        """Generic names, short forms and other drugs' brand names replaced by the form the letter uses ("dara" ->
        "DARZALEX", "Kyprolis" -> "carfilzomib"), so a rare spelling does not outweigh the rest of a question in
        BM25."""
        forms = {**self.drug_names, **self.synonyms}
        if not forms:
            return text
        if self._synonym_pattern is None:  # built once: this runs for every question
            names = sorted(forms, key=len, reverse=True)
            self._synonym_pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in names) + r")\b", re.I)
        return self._synonym_pattern.sub(lambda m: forms[m.group(1).lower()], text)

    def unknown_terms(self, question: str, common_zipf: float = 4.5, synonyms: bool = True,
                      parts_of_speech: bool = True) -> list[str]:
        """Content words of a question that neither the letter (by stem, compounds split, or within an edit
        or two), its abbreviations and study names, nor everyday English account for. Everyday English is a
        general word-frequency list: a word used at least `common_zipf` (log10 per billion words) is wording,
        not a topic the letter would have to cover. With `synonyms`, a word is also accounted for when the
        letter uses a WordNet synonym of it (`thesaurus`). With `parts_of_speech`, a word WordNet reads only as a
        verb, an adjective or an adverb ("combed", "upfront", "statistically") is wording: it names no thing the
        letter would have to cover."""
        stems = self.stems()
        unknown = []
        for word in content_words(question):
            if self.letter_tagged(word, stems):
                unknown.append(word)
                continue
            for part in [p for p in COMPOUND.split(word) if p] or [word]:
                if re.fullmatch(r"[\d.,%]+", part) or part in self.abbreviations or self.names_a_drug(part):
                    continue
                if part.endswith("s") and part[:-1] in self.abbreviations:  # a plural: "PIs", "IMiDs"
                    continue
                stem = _stem(part)
                if stem in stems or any(part in p.names for p in self.studies):
                    continue
                if (everyday(part, common_zipf) and not self.names_a_medical_topic(part)) or part in self.initialisms \
                        or self.closest_spelling(part):
                    continue
                if self.clips(part) or self.codes_a_regimen(part):
                    continue
                if self.repeats(part, stems, common_zipf):
                    continue
                if self.misspells_a_study(part) or (synonyms and stem in self.thesaurus) or part in self.class_words():
                    continue
                if parts_of_speech and part in self.wording:
                    continue
                unknown.append(part)
        return unknown

    def letter_tagged(self, word: str, stems: set[str]) -> bool:
        """Whether a word is an everyday word the letter lacks tagged with a single letter ("CAR-T"): a name of its
        own, not the everyday word and the letter's "t" (of "t(4;14)") apart."""
        parts = [p for p in COMPOUND.split(word) if p]
        if len(parts) < 2 or word in self.vocabulary or word in self.abbreviations:
            return False
        letters = [p for p in parts if len(p) == 1 and p.isalpha()]
        rest = [p for p in parts if len(p) > 1]
        return bool(letters and rest) and all(p.isalpha() and _stem(p) not in stems for p in rest)

    def names_a_drug(self, word: str) -> bool:
        """Whether a word is a name of a drug the letter names: its own drug's ("dara"), a partner's brand
        ("kyprolis")."""
        return word in self.synonyms or word in self.drug_names

    def names_a_medical_topic(self, word: str) -> bool:
        """Whether a word is an illness or a drug the letter does not name ("diabetes", "aspirins"): however
        common in English, it is what a question is about, not its wording."""
        return word in self.medical_nouns or (word.endswith("s") and word[:-1] in self.medical_nouns)

    def names_a_person(self, word: str) -> bool:
        """Whether a word is a common noun for a person ("colleague", "caregivers"): who asks or for whom."""
        return word in self.person_nouns or (word.endswith("s") and word[:-1] in self.person_nouns)

    def repeats(self, word: str, stems: set[str], common_zipf: float) -> bool:
        """Whether a word is the prefix re- on a word the letter or everyday English has ("rechallenged",
        "restarting"): doing again what the letter reports done once is its subject, retreatment."""
        rest = word[len(REPEAT):] if word.startswith(REPEAT) else ""
        return len(rest) >= 4 and (_stem(rest) in stems or everyday(rest, common_zipf))

    def misspells_a_study(self, word: str) -> bool:
        """A word neither the letter nor English has, within an edit or two of a study's name ("Szab")."""
        return zipf(word) < 3.0 and word not in self.vocabulary and any(_near(word, p.names) for p in self.studies)

    def names_a_study(self, question: str, common_zipf: float = 4.5) -> bool:
        """Whether a question names a study by a name of its own (an author, a site, an acronym), not by a
        common word that happens to be one of its names ("cancer" of "… Cancer Center"); its first author's
        surname names it however common the word ("Tan")."""
        tokens = set(words(question))
        text = " ".join(words(question))
        return any(any(zipf(t) < common_zipf or t in PLACES or t == p.author for t in self.names_in(tokens, p))
                   or any(ph in text for ph in p.phrases) for p in self.studies)

    def study_kinds(self, question: str) -> set[str]:
        """Words the letter lacks that follow a word naming one of its studies: what a question calls the study
        ("the French registry", "the real-world dataset"), not a topic the letter would have to cover. An illness
        or a drug is still a topic ("EMMY amyloidosis patients"), and so is an initialism the letter does not
        define ("Souren MRD negativity"): a kind of study is a word, not a measure's capitals."""
        written = TOKEN.findall(fold(normalise(question)))
        tokens = [w.lower() for w in written]
        return {word for before, word, as_written in zip(tokens, tokens[1:], written[1:], strict=False)
                if word not in self.vocabulary and not self.names_a_medical_topic(word)
                and not (len(as_written) > 1 and as_written.isupper())
                and any(self.names_in({before}, p) for p in self.studies)}

    @staticmethod
    def names_in(tokens: set[str], profile: StudyProfile) -> set[str]:
        """The words of a question that name a study: its names, and compounds of them alone ("chart-review",
        of the chart review's two names; not "anti-CD38", whose "anti" is no name)."""
        return (tokens & profile.names) | {t for t in tokens if COMPOUND.search(t) and len(
            parts := [p for p in COMPOUND.split(t) if p]) > 1 and all(p in profile.names for p in parts)}

    def anchored(self, question: str, common_zipf: float = 4.5) -> bool:
        """Whether a question names something of the letter: a word the letter uses that everyday English
        rarely does (a drug, an endpoint, a design word), an abbreviation it defines, its drugs' class, or a
        study. Greetings, small talk and questions made only of everyday words name nothing the letter could
        answer."""
        stems = self.stems()
        rare = self.rare_stems(common_zipf)
        asked = content_words(question)
        named = False
        for word in asked:
            if word in self.abbreviations or self.names_a_drug(word) or word in self.class_words():
                return True  # "the antibody" is the letter's drug, named by its class
            if self.misspells_a_study(word):
                return True
            if any(self.names_in({word}, p) for p in self.studies):
                if zipf(word) < common_zipf:
                    return True
                named = True  # a study named by a common word ("France") anchors only beside another letter word
                continue
            parts = [p for p in COMPOUND.split(word) if p] or [word]
            if any(_stem(p) in rare and zipf(p) < common_zipf and not p.isdigit() for p in parts):
                return True
        # … or beside what it calls the study ("the French registry"): a place and a kind of study name one.
        return named and (any(_stem(w) in stems for w in asked if not any(self.names_in({w}, p) for p in self.studies))
                          or bool(self.study_kinds(question)))

    def stems(self) -> set[str]:
        """Stems of every word of the letter, compounds split."""
        if self._stem_cache is None:
            self._stem_cache = vocabulary_stems(self.vocabulary)
        return self._stem_cache

    def rare_stems(self, common_zipf: float) -> set[str]:
        """Stems of the letter's words (compounds split) that everyday English uses less than `common_zipf`: a
        rare word of a question names the letter by one of these, not by the stem of a common word it shares
        ("onc" and the letter's "once" both stem to "onc")."""
        if common_zipf not in self._rare_stem_cache:
            parts = {p for w in self.vocabulary for p in [w, *COMPOUND.split(w)] if p}
            self._rare_stem_cache[common_zipf] = {_stem(p) for p in parts if zipf(p) < common_zipf}
        return self._rare_stem_cache[common_zipf]

    def closest_spelling(self, word: str) -> str | None:
        """The letter's word (or study name) a rare word misspells or cuts short: the one rare word of the
        letter it begins ("dex" for dexamethasone, "pom" for pomalidomide: clinicians clip drug names; the
        clipped word may be a little more common, "dex" being a word of its own), or one edit away for words
        of 5-7 letters, two for longer ones; or its American spelling of a British one. None for a word the
        letter has, a word under 3 letters or a common English word the letter does not spell otherwise."""
        self._read_spellings()
        if len(word) < 3 or not word.isalpha() or word in self.vocabulary:
            return None
        if len(word) >= 6 and zipf(word) < EVERYDAY_ZIPF and (author := self._author_near(word)):
            return author  # "Abdullah", a name of its own, for the letter's Abdallah
        if (us := american_spelling(word)) and (us in self.vocabulary or _stem(us) in self.stems()):
            return us  # "centres" for the letter's "centers", "anaemia" for its "anemia"
        if self._run_together is None:
            self._run_together = {w.replace("-", ""): w for w in self.vocabulary
                                  if w.count("-") == 1 and all(p.isalpha() for p in w.split("-"))}
        if joined := self._run_together.get(word):
            return joined  # "followup" for the letter's "follow-up"
        if zipf(word) >= CLIPPED_ZIPF or _stem(word) in self.stems():  # common, or a form of the letter's word
            return None
        completions = self._completions(word)
        if len(completions) == 1:
            return completions[0]
        if len(word) < 5 or zipf(word) >= 3.0:
            return None
        from rapidfuzz import distance, process

        limit = 1 if len(word) < 8 else 2
        found = process.extractOne(word, self._spellings or [], scorer=distance.Levenshtein.distance,
                                   score_cutoff=limit)
        if not found or (word.endswith(found[0]) and len(word) >= len(found[0]) + 2):
            return None  # a prefix makes another word: "bispecific" is not a misspelt "specific"
        return found[0]

    def _read_spellings(self) -> list[str]:
        """The letter's words and study names of 4+ letters, sorted (read once), and those rare in English."""
        if self._spellings is None:
            names = {n for p in self.studies for n in p.names}
            self._spellings = sorted({w for w in self.vocabulary | names if len(w) >= 4 and w.isalpha()})
            self._rare_spellings = [w for w in self._spellings if zipf(w) < 3.0]
        return self._rare_spellings or []

    def _author_near(self, word: str) -> str | None:
        """The first author's surname a word is one edit from: another spelling of the name."""
        from rapidfuzz.distance import Levenshtein

        return next((p.author for p in self.studies if len(p.author) >= 6
                     and Levenshtein.distance(word, p.author, score_cutoff=1) <= 1), None)

    def clips(self, word: str) -> bool:
        """Whether a word of 4+ letters the letter lacks is the start of one of its words or compound parts
        ("quad" of its "Quadri-refractory" and "quadruple", "cytogen" of "cytogenetics"): chat clips words, and
        the clipped word names the letter's whole word, however many of them it could begin (unlike a spelling
        correction, which needs the one word meant)."""
        if len(word) < 4 or not word.isalpha():
            return False
        if self._word_parts is None:
            self._word_parts = sorted({p for w in self.vocabulary for p in [w, *COMPOUND.split(w)]
                                       if len(p) >= 5 and p.isalpha()})
        i = bisect.bisect_right(self._word_parts, word)
        return i < len(self._word_parts) and self._word_parts[i].startswith(word)

    def _completions(self, word: str) -> list[str]:
        """The letter's rare words (sorted) that begin with `word` and run at least 3 letters longer."""
        rare = self._rare_spellings or []
        found = []
        for w in rare[bisect.bisect_left(rare, word):]:
            if not w.startswith(word):
                break
            if len(w) >= len(word) + 3:
                found.append(w)
        return found

    def correct_spelling(self, text: str) -> str:
        """Misspelt words of the letter replaced by its spelling ("daratumamab" -> "daratumumab")."""
        def fix(m: re.Match[str]) -> str:
            found = self.closest_spelling(fold(m.group()).lower())
            return found if found else m.group()

        text = re.sub(r"(?<![\w\-/+])[^\W\d_]{3,}(?![\w\-/+])", fix, self.join_split_names(text))
        return CHAIN.sub(self._spell_chain, text)

    def join_split_names(self, text: str) -> str:
        """A rare name of the letter dictation or a slip of the space bar cut into words ("dara tumor mab",
        "dars alex", "sour in") joined back: two or three short words (5 letters at most: "Is rituximab" is no
        misspelt isatuximab) that together, and only together, spell one of its rare words or study names (an edit
        away, two from 8 letters), one of them a word it does not use."""
        spans = [m for m in re.finditer(r"(?<![\w\-/+])[^\W\d_]{2,}(?![\w\-/+])", text)]
        out, last, i = [], 0, 0
        while i < len(spans):
            for n in (3, 2):
                run = spans[i:i + n]
                if len(run) < n or any(text[a.end():b.start()] != " " for a, b in itertools.pairwise(run)):
                    continue
                pieces = [fold(m.group()).lower() for m in run]
                if all(p in self.vocabulary for p in pieces) or max(map(len, pieces)) > 5 \
                        or not (name := self._name_spelled("".join(pieces))):
                    continue
                out += [text[last:run[0].start()], name]
                last, i = run[-1].end(), i + n
                break
            else:
                i += 1
        return "".join([*out, text[last:]])

    def _name_spelled(self, joined: str) -> str | None:
        """The letter's rare word or study name a string no English word spells is one or two edits from."""
        if len(joined) < 6 or zipf(joined) > 0 or joined in self.vocabulary:
            return None
        from rapidfuzz import distance, process

        limit = 1 if len(joined) < 8 else 2
        names = [*self._read_spellings(), *(p.author for p in self.studies)]
        found = process.extractOne(joined, names, scorer=distance.Levenshtein.distance, score_cutoff=limit)
        return found[0] if found and found[0][0] == joined[0] else None

    def _spell_chain(self, m: re.Match[str]) -> str:
        """A chain of clipped drug names ("dara-pom-dex", "dara/pom/dex"), each part spelled as the letter's drug,
        when every part names one of the drugs its combinations are of."""
        drugs = set().union(*self.combination_parts().values())
        pieces = re.split(r"([-/])", m.group())
        spelled = [p if i % 2 or p.lower() in drugs or p.lower() in self.synonyms
                   else self.closest_spelling(fold(p).lower()) or p for i, p in enumerate(pieces)]
        if all(self.synonyms.get(p.lower(), p).lower() in drugs for p in spelled[::2]):
            return "".join(spelled)
        return m.group()

    def name_qualified(self, text: str) -> str:
        """Words a row label of the letter qualifies with an initialism, asked without it, with it: "how fit by
        performance status" as "… by ECOG performance status"."""
        if not self.qualified:
            return text
        if self._qualified_pattern is None:
            self._qualified_pattern = re.compile(r"(?<![\w-])(\S+\s+)?(" + "|".join(
                map(re.escape, sorted(self.qualified, key=len, reverse=True))) + r")\b", re.IGNORECASE)

        def named(m: re.Match[str]) -> str:
            initialism = self.qualified[m.group(2).lower()]
            if m.group(1) and m.group(1).strip().lower() == initialism.lower():
                return m.group()
            return f"{m.group(1) or ''}{initialism} {m.group(2)}"
        return self._qualified_pattern.sub(named, text)

    def join_open_compounds(self, text: str) -> str:
        """The letter's spelled-out abbreviations that hyphenate a compound, written open ("progression free
        survival", "infusion related reactions"), as the letter writes them: what names its measures."""
        if self._open_compounds is None:
            forms = {v.lower() for v in self.abbreviations.values() if re.search(r"[a-z]-[a-z]", v, re.I)}
            self._open_compounds = written_apart_or_joined(forms, plural=True)
            self._open_forms = {re.sub(r"[\s-]+", " ", f): f for f in forms}

        def joined(m: re.Match[str]) -> str:
            plural = m.group(1)
            form = self._open_forms.get(re.sub(r"[\s-]+", " ", m.group()[:len(m.group()) - len(plural)].lower()))
            return form + plural if form else m.group()
        return self._open_compounds.sub(joined, text)

    def negated_compounds(self, text: str) -> list[str]:
        """The letter's own negated compounds a text says in words: 'not refractory' is its "non-refractory"
        (a row: "Median PFS in anti-CD38 non-refractory patients"), 'not sensitive' its "non-sensitive"."""
        if self._negated is None:
            negated = sorted(w[4:] for w in self.vocabulary if w.startswith("non-") and w[4:].isalpha())
            self._negated = re.compile(r"\b(?:not|never)\s+(" + "|".join(map(re.escape, negated)) + r")\b"
                                       if negated else r"(?!)", re.I)
        return [f"non-{m.lower()}" for m in self._negated.findall(text)]


def _near(token: str, names: set[str]) -> bool:
    """A token of 4+ letters within one edit of a name (two for names of 8+ letters): a misspelt or clipped
    author or site ("Tann", "Szab", "Abdala"). Callers pass only words the letter and English lack."""
    if len(token) < 4 or not token.isalpha():
        return False
    from rapidfuzz.distance import Levenshtein

    return any(len(n) >= 3 and Levenshtein.distance(token, n, score_cutoff=1 if len(n) < 8 else 2)
               <= (1 if len(n) < 8 else 2) for n in names)


# English words this common are wording: grammar (without, within, among) rather than what a study measured,
# and never a study's name (group 5.6, life 5.9).
GRAMMAR_ZIPF = 5.5
# From this on a word of a study's names is an everyday word rather than a name of its own ("method" 4.8, "review"
# 5.1; "emmy" 3.7, "freiburg" 2.7).
EVERYDAY_ZIPF = 4.0
# A word at least this common in the large list is written English (trawled 1.9, formulary 2.3); the drugs the
# letter lacks are rarer (pembrolizumab 1.6, teclistamab 0).
WRITTEN_ZIPF = 1.75
# A word rarer than this in English is a term, not wording (the default of the settings' `common_zipf`): one a
# WordNet definition of a term of the letter uses stands for it ("resistant" 3.99, of "refractory").
TERM_ZIPF = 4.0
# Two drugs named this many words apart or closer are named together ("dara plus pom", "daratumumab with the
# pomalidomide"): a combination of them.
COMBINED_WITHIN = 3
# A drug's other name as common as this is an English word too ("nor" names a drug): not read as the drug.
DRUG_NAME_ZIPF = 3.0
CLIPPED_ZIPF = 3.75  # a clipped drug name may be this common ("dex" 3.3, "len" 3.4, "isa" 3.6); not "med" 3.9


REPEAT = "re"
# WordNet's detachment rules (morphy) for nouns, verbs and adjectives: an inflected form is rarer than its base
# form ("commonest": "common").
DETACHMENTS = (("ies", "y"), ("es", "e"), ("es", ""), ("s", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
               ("er", ""), ("est", ""), ("er", "e"), ("est", "e"))


def everyday(word: str, common_zipf: float) -> bool:
    """Whether a word, or the base form it inflects ("challenged": "challenge"), is everyday English."""
    forms = [word] + [word[: -len(end)] + base for end, base in DETACHMENTS
                      if word.endswith(end) and len(word) - len(end) >= 3]
    return any(zipf(f) >= common_zipf for f in forms)


def american_spelling(word: str) -> str | None:
    """The American spelling of a British one ("centres" -> "centers", "anaemia" -> "anemia"), from the
    British-American spelling pairs of `breame`; None for any other word."""
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    return BRITISH_ENGLISH_SPELLINGS.get(word)


@functools.lru_cache(maxsize=65_536)
def written_english(word: str) -> bool:
    """Whether a word is written in English at all, however rarely ("trawl", "formulary", "PubMed"), by the large
    word-frequency list: the names of drugs new or rare enough for the letter to lack are not."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en", wordlist="large") >= WRITTEN_ZIPF


def zipf(word: str) -> float:
    """How common a word is in English, on the Zipf scale (a general word-frequency list, wordfreq)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en", wordlist="small"))


def _initials(phrase: str) -> list[str]:
    return [w[0].lower() for w in re.split(r"[\s\-/]+", phrase) if w]


def _is_subsequence(needle: str, hay: list[str]) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def _spells(letters: str, phrase: str) -> bool:
    """Whether an abbreviation's letters occur in order in a phrase, the first at the start of a word: the
    long-form test of Schwartz and Hearst (2003), which reads 'duration of response' as DUR."""
    text = phrase.lower()
    at = len(text) - 1
    for i in range(len(letters) - 1, -1, -1):
        while at >= 0 and (text[at] != letters[i] or (i == 0 and at > 0 and text[at - 1].isalnum())):
            at -= 1
        if at < 0:
            return False
        at -= 1
    return True


def parenthetical_definitions(text: str) -> dict[str, str]:
    """'progression-free survival (PFS)' -> {'PFS': 'progression-free survival'} (also 'hazard ratio [HR]'):
    the shortest phrase before the brackets whose word initials spell the abbreviation; failing that, the
    shortest run of words before them that spells its letters in order (`_spells`: 'duration of response
    (DUR)'). A plural's 's' is no letter of it: 'adverse events (AEs)'."""
    found: dict[str, str] = {}
    for m in PAREN_ABBR.finditer(text):
        abbr = m.group("abbr")
        letters = re.sub(r"[^a-z]", "", re.sub(r"(?<=[A-Z])s$", "", abbr).lower())
        if len(letters) < 2 or not any(c.isupper() for c in abbr):
            continue
        before = re.split(r"[\s]+", text[: m.start()].strip())
        candidates = [" ".join(before[-k:]).strip(" ,;:(") for k in range(1, min(len(before), 10) + 1)]
        initials = [_initials(c) for c in candidates]
        truncation = candidates[0].lower().startswith(abbr.lower()) if candidates else False  # "daratumumab (DARA)"
        by_initials = (c for k, (c, i) in enumerate(zip(candidates, initials, strict=True)) if i and i[0] == letters[0]
                       and (_is_subsequence(letters, i) or (k == 0 and truncation)))
        spelled = (c for c in candidates if c[:1].lower() == letters[0] and WORD_RUN.fullmatch(c)
                   and _spells(letters, c))
        long = next(by_initials, None) or next(spelled, None)
        if long and not long.lower().startswith(("the ", "a ", "an ")):
            found.setdefault(abbr, long)
    return found


def abbreviation_lines(letter: Letter) -> dict[str, str]:
    found: dict[str, str] = {}
    for table in letter.tables:
        if not table.abbreviations:
            continue
        body = table.abbreviations.split(":", 1)[1]
        for entry in body.rstrip(".").split(";"):
            m = ABBR_ENTRY.match(entry)
            if m:
                found.setdefault(m.group("abbr").strip(), m.group("long").strip())
    return found


def brand_and_generic(letter: Letter) -> dict[str, str]:
    """{'daratumumab': 'DARZALEX', 'dara': 'DARZALEX', …}: generic names and short forms to the brand."""
    brands = [w for w in re.findall(r"\b[A-Z]{4,}\b", letter.title)]
    if not brands:
        return {}
    brand = brands[0]
    refs = " ".join(r.text.lower() for r in letter.references.values())
    generics = Counter(INN_STEM.findall(refs))
    if not generics:
        return {}
    generic = generics.most_common(1)[0][0]
    synonyms = {generic: brand, brand.lower(): brand}
    for abbr, long in parenthetical_definitions(" ".join(r.text for r in letter.references.values())).items():
        if long.lower() == generic:
            synonyms[abbr.lower()] = brand
    return synonyms


def _proper_nouns(texts: list[str], lowercase_words: set[str]) -> set[str]:
    """Capitalised words inside sentences that the letter never writes in lower case: places, centres."""
    found = set()
    for text in texts:
        for sentence in re.split(r"(?<=[.;:])\s+", normalise(text)):
            for token in TOKEN.findall(sentence)[1:]:
                if token[0].isupper() and len(token) > 2 and token.lower() not in lowercase_words:
                    found.add(token.lower())
    return found


def _acronyms(texts: list[str], lowercase_words: set[str]) -> set[str]:
    """'Memorial Sloan Kettering Cancer Center' -> {'msk', 'mskc', 'mskcc'}: how sites are abbreviated."""
    found: set[str] = set()
    for text in texts:
        for run in re.findall(r"(?:\b[A-Z][a-z]+(?:\s+|$)){3,}", normalise(text)):
            words_ = run.split()
            core = list(words_)
            while core and core[-1].lower() in lowercase_words:  # "… Cancer Center": generic tail words
                core.pop()
            if len(core) < 3 or any(w.lower() in lowercase_words for w in core):
                continue  # a run of ordinary words ("Key Baseline Patient"), not a name
            for name in (core, words_):
                initials = "".join(w[0] for w in name).lower()
                found.update(initials[:n] for n in range(3, len(initials) + 1))
    return found


def _prose(letter: Letter, study: Study, references: bool = True) -> list[str]:
    texts = [study.intro.text] if study.intro else []
    for section in study.sections:
        for block in section.blocks:
            if isinstance(block, Bullet):
                texts.extend(b.text for b in block.walk())
            elif isinstance(block, Paragraph):
                texts.append(block.text)
    if references:
        texts.extend(letter.references[n].text for n in study.citations if n in letter.references)
    return texts


def study_profiles(letter: Letter, shared: set[str], expansions: Iterable[str]) -> list[StudyProfile]:
    """Each study's names: its authors, acronyms, site and the design words no other study uses. `expansions`
    are the long forms of the letter's abbreviations, whose words name a term, not a study."""
    lowercase_words = {t for t in TOKEN.findall(normalise(letter.body)) if t.islower()}
    frequency = Counter(words(letter.body))

    def rare(word: str) -> bool:  # a word the letter uses a handful of times can name a study
        return frequency[word] <= 4 and word not in shared and not word.isdigit()

    # A capitalised word of a name the letter abbreviates ("International Myeloma Working Group (IMWG)") is a
    # term's, not a site's: "working" names no study.
    termed = {w for long in expansions for w in words(long)}
    nouns = {s.id: _proper_nouns(_prose(letter, s), lowercase_words) - termed for s in letter.studies}
    # The places its own text names, not its references' (where a meeting was held is no site of it).
    sites = {s.id: _proper_nouns(_prose(letter, s, references=False), lowercase_words) for s in letter.studies}
    noun_counts = Counter(n for found in nouns.values() for n in found)
    acronyms = {s.id: _acronyms(_prose(letter, s), lowercase_words) for s in letter.studies}
    acronym_counts = Counter(a for found in acronyms.values() for a in found)
    # How each study describes itself: words of its heading and opening sentence no other study uses there.
    design = {s.id: set(content_words(f"{s.heading} {s.intro.text if s.intro else ''}")) for s in letter.studies}
    design_counts = Counter(w for found in design.values() for w in found)
    profiles = []
    for study in letter.studies:
        profile = StudyProfile(id=study.id, label=study.label)
        profile.names.add(study.author.lower())
        profile.phrases.add(f"{study.author.lower()} et al")
        # A table quoted as a table names the study it belongs to ("the Most Common TEAEs in DARZALEX Retreated
        # Patients table", "Table: PFS and OS Outcomes").
        for title in {b.title for section in study.sections for b in section.blocks if isinstance(b, Table)}:
            profile.phrases.update({f"{' '.join(words(title))} table", f"table {' '.join(words(title))}"})
        profile.names.update(_coauthors(letter, study))
        profile.names.update(a.lower() for a in re.findall(r"\b[A-Z]{3,}\b", study.heading) if a.lower() not in shared)
        profile.names.update(n for n in nouns[study.id] if noun_counts[n] == 1 and rare(n))
        profile.names.update(site_names(profile.names | sites[study.id]))
        profile.names.update(a for a in acronyms[study.id] if acronym_counts[a] == 1 and a not in frequency)
        profile.names.update(w for w in design[study.id] if design_counts[w] == 1 and rare(w))
        # A word this common in English is wording, whoever's heading it is in ("group", "life", "working").
        profile.names = {n for n in profile.names if n == study.author.lower() or zipf(n) < GRAMMAR_ZIPF}
        profiles.append(profile)
    return profiles


def _coauthors(letter: Letter, study: Study) -> set[str]:
    names = set()
    for n in study.citations:
        ref = letter.references.get(n)
        if ref:
            for m in re.finditer(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) [A-Z]{1,3}\b", ref.text.split(".")[0]):
                names.add(m.group(1).lower())
    return names


INITIALISM_GLUE = frozenset({"of", "to"})  # the small words an initialism may spell or skip: TTNT, DOR


def initialisms(text: str) -> dict[str, str]:
    """Short forms a reader may use for the letter's phrases of 3-5 words that it never abbreviates itself:
    'congestive heart failure' -> chf, 'time to next treatment' -> ttnt, 'duration of response' -> dor. Only
    phrases of content words (with "of"/"to" inside) count, and only initials that are no English word."""
    found: dict[str, str] = {}
    for sentence in re.split(r"(?<=[.;:!?])\s+|\n", normalise(text)):
        tokens = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]*", sentence)]
        for n in range(3, 6):
            for i in range(len(tokens) - n + 1):
                phrase = [w.lower() for w in tokens[i:i + n]]
                inner = phrase[1:-1]
                if any(w in STOPWORDS for w in (phrase[0], phrase[-1])) or any(
                        w in STOPWORDS and w not in INITIALISM_GLUE for w in inner):
                    continue
                spelled = "".join(w[0] for w in phrase)
                skipped = "".join(w[0] for w in phrase if w not in INITIALISM_GLUE)
                for short in {spelled, skipped}:
                    if len(short) >= 3 and zipf(short) < 3.0:
                        found.setdefault(short, " ".join(phrase))
    return found


@functools.cache
def _grammar_stems() -> frozenset[str]:
    return frozenset(_stem(w) for w in STOPWORDS)


def _topical(word: str) -> bool:
    """A word that can carry a topic: not a grammar word, nor a word sharing its stem ("afters", "after")."""
    return len(word) > 2 and word not in STOPWORDS and _stem(word) not in _grammar_stems()


# The rearrangements of the International System for Human Cytogenomic Nomenclature (ISCN 2020) by their symbols:
# "t(4;14)" is a translocation, "del(17p)" or "del17p" a deletion, "1q+" a gain.
ISCN_SYMBOLS = {"t": "translocation", "del": "deletion", "inv": "inversion", "dup": "duplication",
                "ins": "insertion", "amp": "amplification", "add": "addition"}
ISCN_NOTATION = re.compile(r"\b(t|del|inv|dup|ins|amp|add)\(?\d{1,2}[pq;]|\b\d{1,2}[pq]\+", re.IGNORECASE)


def cytogenetic_words(text: str) -> set[str]:
    """The names of the rearrangements a text writes in cytogenetic notation, singular and plural."""
    names = {ISCN_SYMBOLS[m.group(1).lower()] if m.group(1) else "gain" for m in ISCN_NOTATION.finditer(text)}
    return names | {f"{n}s" for n in names}


def vocabulary_stems(vocabulary: set[str]) -> set[str]:
    """Stems of every word of a vocabulary, compounds split."""
    return {_stem(p) for w in vocabulary for p in [w, *COMPOUND.split(w)] if p}


def written_apart_or_joined(compounds: Iterable[str], apart: Callable[[str], bool] = lambda c: True,
                            plural: bool = False) -> re.Pattern[str]:
    """One pattern for compounds as questions write them: hyphenated, or (where `apart` says) with spaces for the
    hyphens or spaces ("back to back", "progression free survival"); longest first; `plural` takes an "s" after,
    as group 1."""
    forms = [r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", c))) if apart(c) else re.escape(c)
             for c in sorted(compounds, key=len, reverse=True)]
    if not forms:
        return re.compile(r"(?!)")
    return re.compile(rf"(?<![\w-])(?:{'|'.join(forms)}){'(s?)' if plural else ''}(?![\w-])", re.IGNORECASE)


# A hyphenated or slashed chain of words ("dara-pom-dex").
CHAIN = re.compile(r"(?<![\w\-/+])[^\W\d_]{2,}(?:[-/][^\W\d_]{2,})+(?![\w\-/+])")


def build_lexicon(letter: Letter) -> Lexicon:
    abbreviations = {k.lower(): v for k, v in abbreviation_lines(letter).items()}
    for abbr, long in parenthetical_definitions(normalise(letter.body)).items():
        abbreviations.setdefault(abbr.lower(), long)
    synonyms = brand_and_generic(letter)
    for abbr in list(abbreviations):
        abbreviations.pop(abbr) if abbr in synonyms else None
    clean = [r.label + " " + " ".join(r.cells) for t in letter.tables for r in t.rows]
    vocabulary = set(words(letter.body)) | set(words(" ".join(clean)))
    # The rearrangements its cytogenetic notation names ("t(4;14)", "del(17p)"): "which translocations" asks them.
    vocabulary |= cytogenetic_words(letter.body)
    # The letter's parts by the names a reader gives them, though the text never calls them so: the paragraph
    # above its title is its disclaimer ("what does the disclaimer say?").
    vocabulary |= {"disclaimer"} if letter.disclaimer.text.strip() else set()
    # A word the letter writes only in a journal's or a meeting's name ("Clinical Lymphoma, Myeloma and
    # Leukemia") is not a topic it covers: "is daratumumab used for lymphoma?" asks what it does not say. The
    # venue names its paper instead (`read_venues`).
    venues = tuple(reference_venues(r.text for r in letter.references.values()))
    entries = sorted((r.span.start, r.span.end) for r in letter.references.values())
    starts, ends = [0, *(end for _, end in entries)], [*(start for start, _ in entries), len(letter.body)]
    body = set(words(" ".join(letter.body[a:b] for a, b in zip(starts, ends, strict=True))))
    venue_only = {w for v in venues for w in v.words} - body
    vocabulary -= venue_only
    stems = vocabulary_stems(vocabulary)
    # Words too common across the letter to identify a study: anything in the title, summary or
    # abbreviations, and the brand names.
    shared = set(words(letter.title)) | set(abbreviations) | set(synonyms) | {s.lower() for s in synonyms.values()}
    return Lexicon(
        abbreviations=abbreviations,
        synonyms=synonyms,
        # a journal names its paper as a whole (`read_venues`)
        studies=study_profiles(letter, shared | venue_only, abbreviations.values()),
        vocabulary=vocabulary,
        initialisms={k: v for k, v in initialisms(letter.body).items()
                     if k not in abbreviations and k not in vocabulary},
        thesaurus={**letter_glosses(vocabulary, stems, _stem, _topical, lambda w: zipf(w) < TERM_ZIPF),
                   **letter_synonyms(stems, _stem, _topical)},
        kin=own_synonyms(stems, _stem, _topical),
        compounds=letter_compounds(vocabulary, stems, _stem, _topical),
        pertains=letter_pertainyms(stems, _stem, _topical),
        document_nouns=communication_nouns(),
        venues=venues,
        medical_nouns=frozenset(w for w in medical_nouns() if _stem(w) not in stems),
        person_nouns=frozenset(w for w in person_nouns() if _stem(w) not in stems),
        wording=frozenset(w for w in wording_forms() if _stem(w) not in stems),
        drug_names=other_drug_names(vocabulary, lambda w: everyday(w, DRUG_NAME_ZIPF)),
        qualified=qualified_labels((r.label for t in letter.tables for r in t.rows), abbreviations),
    )


# A row label of an initialism and the words it qualifies ("ECOG performance status, n (%)", "ISS disease stage").
QUALIFIED_LABEL = re.compile(r"^([A-Z][A-Z0-9-]{1,7}) ([a-z]{3,}(?: [a-z]{3,}){1,2})\b(?![ -][a-z])")


def qualified_labels(labels: Iterable[str], abbreviations: dict[str, str]) -> dict[str, str]:
    """The words of the letter's row labels that an initialism of it qualifies, to that initialism: a table
    giving "ECOG performance status" gives the "performance status" a question asks without naming ECOG."""
    found = {}
    for label in labels:
        if (m := QUALIFIED_LABEL.match(label)) and m.group(1).lower() in abbreviations and not any(
                w in STOPWORDS for w in m.group(2).split()):
            found[m.group(2)] = m.group(1)
    return found


# Comparisons, which tables write as symbols ("≥CR", "<65") and questions as words ("CR or better", "under 65"),
# meet as one BM25 term each. The symbols are not word characters, so without this "≥CR" indexes as "CR".
COMPARISONS = (
    (re.compile(r"≥|=>|\b(?:or|and) (?:better|more|higher|greater|above|older|over)\b|\bat least\b", re.I), "atleast"),
    (re.compile(r"≤|=<|\b(?:or|and) (?:less|fewer|lower|below|younger|under)\b|\b(?:at most|no more than)\b", re.I),
     "atmost"),
    # "over"/"under" before a number only: "over 70", not "over time"
    (re.compile(r"<|\b(?:less|fewer|lower|younger) than\b|\bbelow\b|\bunder\b(?=\s*\d)", re.I), "lessthan"),
    (re.compile(r">|\b(?:more|greater|higher|older) than\b|\babove\b|\bover\b(?=\s*\d)", re.I), "morethan"),
)


# What every one of those patterns holds: a text with none of it compares nothing (most texts).
COMPARISON_MARKS = ("≥", "≤", "<", ">", "better", "more", "higher", "greater", "above", "older", "over", "least",
                    "less", "fewer", "lower", "below", "younger", "under", "most", "than")


def comparisons_as_words(text: str) -> str:
    folded = text.casefold()  # as the patterns' case-insensitive matching reads it
    if not any(mark in folded for mark in COMPARISON_MARKS):
        return text
    for pattern, term in COMPARISONS:
        text = pattern.sub(f" {term} ", text)
    return text


# A bound on a number, not on a grade ("grade 3 or higher" is a grade the question asks, no group of patients).
COMPARED = re.compile(r"(?<!grade )(?<!grades )(?<!gr )\b(atleast|atmost|lessthan|morethan) (\d+(?:\.\d+)?)\b")
# "6 or more", "75 years or older", "2 prior lines or more" -> "6 atleast": the unit may stand between
NUMBER_FIRST = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*\+?\s+(?:[a-z]+\s+){0,2}?(atleast|atmost)\b")


def thresholds(text: str) -> set[str]:
    """The open-ended groups a text names, each as one term: "≥6", "6 or more" and "at least 6" are all
    "atleast6", "<65" is "lessthan65". Its words alone ("atleast", "6") do not say which number is bounded."""
    text = NUMBER_FIRST.sub(r"\2 \1", normalise(comparisons_as_words(text.lower())))
    return {f"{bound}{number}" for bound, number in COMPARED.findall(text)}


_STEMMER = None


def _stem(word: str) -> str:
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return str(_STEMMER.stemWord(word))


def lexical_tokens(text: str) -> list[str]:
    """BM25 terms: stemmed words, with compounds also split ('anti-cd38-based' -> anti, cd38, based;
    'imid+pi' -> imid, pi) and comparisons as words ('≥CR' -> atleast, cr)."""
    return list(_lexical_tokens(text))


@functools.lru_cache(maxsize=8_192)  # the start-up tables stem ~3,000 texts many times; queries add a few each
def _lexical_tokens(text: str) -> tuple[str, ...]:
    _stem("")
    assert _STEMMER is not None
    out: list[str] = []
    for word in words(comparisons_as_words(text)):
        if word in STOPWORDS:
            continue
        out.append(word)
        parts = [p for p in COMPOUND.split(word) if p]
        if len(parts) > 1:
            out.extend(p for p in parts if p not in STOPWORDS)
    return tuple(_STEMMER.stemWords(out))
