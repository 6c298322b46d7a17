"""Brand names of the drugs a letter names by their generic names, from the drug dictionary read at build."""

from __future__ import annotations

from qa.drugs import other_drug_names
from qa.lexicon import zipf


def _everyday(word: str) -> bool:
    return zipf(word) >= 3.0


def test_a_drug_the_letter_names_gets_its_brand_names() -> None:
    names = other_drug_names({"carfilzomib", "pomalidomide", "isatuximab", "response"}, _everyday)
    assert names["kyprolis"] == "carfilzomib"
    assert names["pomalyst"] == "pomalidomide"
    # a biologic's US suffix ("isatuximab-irfc", whose brand is Sarclisa) is the same drug
    assert names["sarclisa"] == "isatuximab"
    # only the letter's drugs: no brand of a drug it does not name
    assert "velcade" not in names and "revlimid" not in names
    assert set(names.values()) <= {"carfilzomib", "pomalidomide", "isatuximab"}


def test_everyday_words_and_the_letters_own_words_are_no_other_names() -> None:
    # "nor" is a drug of the dictionary (and an English word): a letter's "nor" names no drug
    assert other_drug_names({"nor", "neither"}, _everyday) == {}
    # a name the letter itself writes is its own word, not another name of one
    assert "velcade" not in other_drug_names({"bortezomib", "velcade"}, _everyday)


def test_a_brand_name_is_read_as_the_drug_the_letter_names(service) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons["darzalex-retreatment"]
    assert lexicon.drug_names["kyprolis"] == "carfilzomib"
    assert "carfilzomib" in lexicon.expand("EMMY - how many had seen Kyprolis previously?")
    assert lexicon.canonical("dara-Kyprolis-dex") == "DARZALEX-carfilzomib-dex"
    assert lexicon.combinations_named("dara + Kyprolis + dex") == ["d-kd"]
    # EMMY's treatment history counts carfilzomib exposure
    result = service.retriever.search("EMMY - how many had seen Kyprolis previously?")
    assert result.answerable is True and "Carfilzomib" in result.passages[0].chunk.text
    # two brand names are not two words the letter lacks
    named = "Szabo: how many went on Kyprolis-Pomalyst-dex without dara after stopping the first dara regimen?"
    assert service.retriever.analyse(named).unknown == ()
    assert service.retriever.search(named).answerable is True
