"""Studies named by the country their site is in: GeoNames places a city the letter names."""

from __future__ import annotations

from qa.places import site_names


def test_a_city_gives_its_country_and_its_peoples_adjective() -> None:
    assert site_names({"freiburg"}) == {"germany", "german"}
    assert site_names({"france"}) == {"french"}  # a country the letter names gives its adjective


def test_small_places_sharing_a_sites_words_and_long_country_names_are_left_out() -> None:
    # Kettering (of Memorial Sloan Kettering) and University (Florida) are towns of under 100,000; Chicago's
    # country has a name of two words, which no study is named by alone
    assert site_names({"kettering", "memorial", "sloan", "university", "chicago"}) == set()


def test_a_study_is_named_by_its_sites_country(service) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons["darzalex-retreatment"]
    souren = next(p for p in lexicon.studies if p.id == "souren-2025")
    assert {"germany", "german"} <= souren.names  # "the Medical Center – University of Freiburg"
    result = service.retriever.search("How many patients did the German single-center study include?")
    assert result.answerable is True
    assert service.retriever.analyse("Was the German study retrospective?").studies == ("souren-2025",)
    # where a meeting its poster was shown at is no site: Tan et al are not named by Chicago's country
    tan = next(p for p in lexicon.studies if p.id == "tan-2024")
    assert not tan.names & {"american", "united", "states"}
