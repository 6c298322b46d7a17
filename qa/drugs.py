"""The other names of the drugs a letter names: brand names a reader types for its generic ones.

A letter names the drugs given with its own by their generic names ("carfilzomib", "pomalidomide"); pharmacists
and order sets name them by brand ("Kyprolis", "Pomalyst"). The names come from the drug dictionary the
`drug-named-entity-recognition` package ships (built from MeSH, DrugBank, MedlinePlus and Wikipedia), read at
build as WordNet is: the index keeps only the names of the drugs a letter names.
"""

from __future__ import annotations

import bz2
import functools
import importlib.util
import pickle
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from qa.errors import ModelUnavailable

DICTIONARY = "drug_ner_dictionary.pkl.bz2"
# The four-letter suffix the US gives a biologic's nonproprietary name ("isatuximab-irfc"): the same drug.
BIOLOGIC_SUFFIX = re.compile(r"-[a-z]{4}$")
NAME = re.compile(r"[a-z][a-z-]*[a-z]")  # one word: no doses, salts written apart, or chemical formulas


def dictionary_path() -> Path:
    """The dictionary file the package installs (read without importing the package, which loads more)."""
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("building an index reads drug names from `drug-named-entity-recognition`: "
                               "pip install '.[build]'")
    path = Path(next(iter(spec.submodule_search_locations))) / DICTIONARY
    if not path.is_file():
        raise ModelUnavailable(f"no drug dictionary at {path}: reinstall `drug-named-entity-recognition`")
    return path


@functools.cache
def _names() -> tuple[tuple[str, str], ...]:
    """(a name, the drug's canonical name), lower-cased, every one the dictionary holds."""
    with bz2.open(dictionary_path(), "rb") as fh:
        data = pickle.load(fh)  # the package's own data file, a dict of str
    return tuple((name, canonical) for name, canonicals in data["drug_variant_to_canonical"].items()
                 for canonical in canonicals[:1])


def other_drug_names(vocabulary: Iterable[str], everyday: Callable[[str], bool]) -> dict[str, str]:
    """Another one-word name of each drug the letter names -> the letter's name ("kyprolis" -> "carfilzomib"):
    not a word the letter itself uses, nor an everyday English word (`everyday`), which would read a question's
    ordinary word as a drug; nor the names of a drug whose name is an everyday word ("nor")."""
    own = {w for w in vocabulary if NAME.fullmatch(w)}
    found: dict[str, str] = {}
    for name, canonical in _names():
        drug = BIOLOGIC_SUFFIX.sub("", canonical)
        if (drug in own and not everyday(drug) and name != canonical and NAME.fullmatch(name) and name not in own
                and not everyday(name)):
            found[name] = drug
    return dict(sorted(found.items()))
