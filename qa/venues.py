"""Where each paper of a letter's reference list was published or presented, so that a question may name a paper
by it: "the American Journal of Hematology study" is Szabo et al, published in "Am J Hematol"; "the 2024 ASCO
poster" is Tan et al. And which particulars of a paper its entry gives (a volume, pages, a DOI …): a question
asking one an entry lacks is not answered by it.

A journal is named the way ISO 4 abbreviates titles: by truncating its words ("Am J Hematol" for "American
Journal of Hematology", "Ann Hematol" for "Annals of Hematology"), so a word of a question names a word of the
venue when it begins with it. A meeting is named by its name or by the short form the entry gives in brackets
("[ASCO]"). Nothing here is particular to one letter: every entry is read the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa.parse import normalise

YEAR = re.compile(r"\b(?:19|20)\d\d\b")
PRESENTED = re.compile(r"presented at:?\s*(?:the\s+)?([^;]+)", re.I)
BRACKETED = re.compile(r"\s*[\[(]([A-Za-z]{2,})[\])]\s*")
SMALL = frozenset({"of", "the", "and", "for", "in", "on"})  # left out of a venue's words, as ISO 4 leaves them
ORDINAL = re.compile(r"^(?:\d+(?:st|nd|rd|th)|annual)$", re.I)  # "17th Annual …": a question drops it
MEETING = frozenset({"annual", "meeting"})  # "… Annual Meeting": a question may say the society alone
# What may stand between two words of a venue: spaces, periods ("Am. J."), commas, and the small words ISO 4
# leaves out ("of", "the", "and").
GAP = r"[\s.,&]+(?:(?:" + "|".join(sorted(SMALL)) + r")[\s.,&]+)*"


@dataclass(frozen=True, slots=True)
class Venue:
    words: tuple[str, ...]  # lower case, small words left out: ("am", "j", "hematol"), ("asco",)
    year: str | None
    author: str  # the first author's surname as the letter writes it: the paper's name ("Szabo")

    def pattern(self) -> re.Pattern[str]:
        """Its words in a question, each written in full or cut short as the entry cuts it."""
        return re.compile(r"(?<!\w)" + GAP.join(re.escape(w) + r"[a-z]*" for w in self.words) + r"\.?(?!\w)", re.I)


def reference_venues(references: Iterable[str]) -> list[Venue]:
    """Each entry's venue: for a poster or abstract the meeting it was presented at (its name and its bracketed
    short form), else the journal, the part of the entry between the title and the year."""
    venues: list[Venue] = []
    for text in references:
        text = normalise(text).strip()
        author = text.split(None, 1)[0].strip(",.") if text else ""
        if not author.isalpha():
            continue
        forms: list[str] = []
        if meeting := PRESENTED.search(text):
            name = meeting.group(1)
            forms.extend(m.group(1) for m in BRACKETED.finditer(name))
            forms.append(BRACKETED.sub(" ", name))
            rest = text[meeting.end():]
        else:
            parts = [p.strip() for p in re.split(r"\.\s+", text)]
            dated = next((i for i, p in enumerate(parts) if i >= 2 and YEAR.match(p)), None)
            if dated is None:
                continue
            forms.append(parts[dated - 1])
            rest = " ".join(parts[dated:])
        year = YEAR.search(rest)
        for form in forms:
            tokens = [w.lower() for w in re.findall(r"[A-Za-z0-9][\w\-]*", form) if w.lower() not in SMALL]
            while tokens and ORDINAL.match(tokens[0]):
                tokens = tokens[1:]
            said = [tuple(tokens)]
            while len(tokens) > 2 and tokens[-1] in MEETING:
                tokens = tokens[:-1]
                said.append(tuple(tokens))
            venues.extend(Venue(words=w, year=year.group(0) if year else None, author=author)
                          for w in dict.fromkeys(said) if w)
    return venues


def read_venues(text: str, venues: tuple[Venue, ...]) -> str:
    """The question with each venue it names replaced by its paper's name ("in the Am J Hematol study" -> "in the
    Szabo et al study"). A venue several papers share (two posters at one meeting) names one of them only with
    its year in the question; otherwise it is left as written."""
    years = set(YEAR.findall(text))
    for pattern, shared in _readers(venues):
        papers = {v.author: v for v in shared}
        if len(papers) > 1:
            papers = {v.author: v for v in shared if v.year in years}
        if len(papers) == 1:
            text = pattern.sub(f"{next(iter(papers))} et al", text)
    return text


@functools.lru_cache(maxsize=16)  # a letter's venues, read for every question: compiled once
def _readers(venues: tuple[Venue, ...]) -> list[tuple[re.Pattern[str], list[Venue]]]:
    """Each venue form's pattern with the entries written so, the fullest form first."""
    by_words: dict[tuple[str, ...], list[Venue]] = {}
    for venue in venues:
        by_words.setdefault(venue.words, []).append(venue)
    return [(shared[0].pattern(), shared) for _, shared in sorted(by_words.items(), key=lambda item: -len(item[0]))]


def venue_words(venues: Iterable[Venue]) -> frozenset[str]:
    """Every word the venues are written with: a short form among them ("ASCO") names a meeting, not a measure."""
    return frozenset(w for v in venues for w in v.words)


# The bibliometric indicators, asked and printed by one name each.
METRICS = re.compile(r"\bimpact factors?\b|\bcitescore\b|\bsjr\b|\beigenfactor\b|\bh-?index\b", re.I)

# Particulars of a paper, by their names in the Citation Style Language's variables (CSL 1.0.2, Appendix IV):
# how a question asks each, and how an entry in the letter's style (AMA: "Ann Hematol. 2025;104(2):1059-1067.")
# shows it …
FIELDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "volume": (re.compile(r"\bvol(?:ume)?s?\b", re.I), re.compile(r"(?:\b(?:19|20)\d\d|\.);\s*\d+")),
    "issue": (re.compile(r"\bissues?\b", re.I), re.compile(r";\s*\d+\(\w+\)")),
    "page": (re.compile(r"\bpages?\b|\bpp\b|\bpagination\b", re.I), re.compile(r"(?:\)|;\s*\d+):\s*[A-Z]?\d+")),
    "DOI": (re.compile(r"\bdoi\b", re.I), re.compile(r"\bdoi\b|\b10\.\d{4,}/", re.I)),
    "PMID": (re.compile(r"\bpmid\b|\bpubmed id\b", re.I), re.compile(r"\bpmid\b", re.I)),
    "URL": (re.compile(r"\burls?\b", re.I), re.compile(r"https?://|\bwww\.", re.I)),
    "ISSN": (re.compile(r"\bissn\b", re.I), re.compile(r"\bissn\b", re.I)),
    # a presentation's number ("number"), and the building of its event, finer than the city "event-place" is
    "number": (re.compile(r"\b(?:poster|board|abstract|presentation)\s+(?:board\s+)?(?:number|no\b|#)", re.I),
               re.compile(r"\b(?:poster|board|abstract)\s*(?:no\.?|number|#)?\s*[A-Z]?\d+\b", re.I)),
    "event venue": (re.compile(r"\b(?:(?<!publication )venue|(?:convention|conference|congress)\s+"
                               r"(?:cent(?:er|re)|hall)|exhibit(?:ion)?\s+hall|hotels?)\b", re.I),
                    re.compile(r"\b(?:convention|conference|congress)\s+(?:cent(?:er|re)|hall)|\bhotel\b", re.I)),
    # … and the parts of a paper's front and back matter no reference style prints, by their names in JATS 1.3
    # (aff, corresp, funding-group, fn-type "conflict", ack) and in HL7 FHIR's contributor summary types
    # ("author-string": the whole author list, which an entry cut short with "et al" does not give).
    "affiliation": (re.compile(r"\baffiliat\w*", re.I), re.compile(r"\baffiliat|\bdepartment of\b", re.I)),
    "correspondence": (re.compile(r"\bcorresponding\s+authors?\b|\bcorrespondence\b", re.I),
                       re.compile(r"\bcorrespond|\S@\S", re.I)),
    "funding": (re.compile(r"\bfund(?:s|ed|ing|ers?)?\b|\bsponsor\w*|\bgrants?\b", re.I),
                re.compile(r"\bfund(?:ed|ing)\b|\bsponsor|\bsupported by\b|\bgrants?\b", re.I)),
    "competing interests": (re.compile(r"\bconflicts? of interests?\b|\bcompeting interests?\b|\bdisclosures?\b",
                                       re.I), re.compile(r"\bconflicts? of interest|\bcompeting interest", re.I)),
    "acknowledgments": (re.compile(r"\backnowledg\w*", re.I), re.compile(r"\backnowledg", re.I)),
    "author list": (re.compile(r"\b(?:full|complete|whole|entire)\s+(?:list\s+of\s+)?(?:co-?)?authors\b"
                               r"|\ball\s+(?:of\s+)?(?:the\s+|its\s+)?(?:co-?)?authors\b"
                               r"|\bauthors?\s+list\b", re.I),
                    re.compile(r"^(?![\s\S]*\bet\s+al\b)", re.I)),
    # … and its journal's standing, by the names of the bibliometric indicators (Journal Impact Factor,
    # CiteScore, SJR, Eigenfactor, h-index), which no entry prints.
    "journal metrics": (METRICS, METRICS),
}


def fields_asked(question: str) -> list[str]:
    """The particulars of a paper a question asks for ("volume and page numbers": volume, page)."""
    return [name for name, (asked, _) in FIELDS.items() if asked.search(question)]


def entry_fields(text: str) -> frozenset[str]:
    """The particulars a reference entry gives."""
    return frozenset(name for name, (_, given) in FIELDS.items() if given.search(text))
