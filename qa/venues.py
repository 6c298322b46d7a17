"""Where each paper of a letter's reference list was published or presented, so that a question may name a paper
by it: "the American Journal of Hematology study" is Szabo et al, published in "Am J Hematol"; "the 2024 ASCO
poster" is Tan et al. And which particulars of a paper its entry gives (a volume, pages, a DOI …): a question
asking one an entry lacks is not answered by it.

A journal is named the way ISO 4 abbreviates titles: by truncating its words ("Am J Hematol" for "American
Journal of Hematology", "Ann Hematol" for "Annals of Hematology"), so a word of a question names a word of the
venue when it begins with it, or by the initials of its words ("AJH"; of three words or more, as two letters
are too often a word). A meeting is named by its name or by the short form the entry gives in brackets
("[ASCO]"). Nothing here is particular to one letter: every entry is read the same way.

The same reading serves two more kinds of particulars a letter may or may not give: those of its literature
search (search terms, limits …, by PRISMA-S) and how to reach its sender (a telephone number …, by vCard).
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
            if not meeting and len(tokens) >= 3 and all(w.isalpha() for w in tokens):
                said.append(("".join(w[0] for w in tokens),))  # a journal by its initials: "AJH" for "Am J Hematol"
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


# A kind of particulars: each by name -> (how a question asks it, how a text gives it).
Particulars = dict[str, tuple[re.Pattern[str], re.Pattern[str]]]

# The bibliometric indicators, asked and printed by one name each.
METRICS = re.compile(r"\bimpact factors?\b|\bcitescore\b|\bsjr\b|\beigenfactor\b|\bh-?index\b", re.I)

# Particulars of a paper, by their names in the Citation Style Language's variables (CSL 1.0.2, Appendix IV):
# how a question asks each, and how an entry in the letter's style (AMA: "Ann Hematol. 2025;104(2):1059-1067.")
# shows it …
FIELDS: Particulars = {
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
    "funding": (re.compile(r"\bfund(?:s|ed|ing|ers?)?\b|\bsponsor\w*|\bgrants?\b|\bwho\s+(?:paid\s+for|financed)\b"
                           r"|\bfinancial\s+support\b", re.I),
                re.compile(r"\bfund(?:ed|ing)\b|\bsponsor|\bsupported by\b|\bgrants?\b", re.I)),
    "competing interests": (re.compile(r"\bconflicts? of interests?\b|\bcompeting interests?\b|\bdisclosures?\b",
                                       re.I), re.compile(r"\bconflicts? of interest|\bcompeting interest", re.I)),
    "acknowledgments": (re.compile(r"\backnowledg\w*", re.I), re.compile(r"\backnowledg", re.I)),
    "author list": (re.compile(r"\b(?:full|complete|whole|entire)\s+(?:list\s+of\s+)?(?:co-?)?authors\b"
                               r"|\ball\s+(?:of\s+)?(?:the\s+|its\s+)?(?:co-?)?authors\b"
                               r"|\b(?:last|senior)\W+(?:(?:or|and|/)\W*)?(?:(?:last|senior)\W+)?authors?\b"
                               r"|\b(?:other|remaining)\s+(?:co-?)?authors\b|\brest of the (?:co-?)?authors\b"
                               r"|\bauthors?\s+list\b", re.I),
                    re.compile(r"^(?![\s\S]*\bet\s+al\b)", re.I)),
    # … and its journal's standing, by the names of the bibliometric indicators (Journal Impact Factor,
    # CiteScore, SJR, Eigenfactor, h-index), which no entry prints.
    "journal metrics": (METRICS, METRICS),
}


# Particulars of a literature search, by the items of PRISMA-S (Rethlefsen et al, 2021) beyond the databases
# (item 1) and the date (item 13) a letter's search line gives: how a question asks each, and how a search line
# would state it.
SEARCH_FIELDS: Particulars = {
    # item 8, full search strategies
    "search strategy": (re.compile(r"\bsearch\s+(?:terms?|strateg(?:y|ies)|strings?|quer(?:y|ies)|syntax|words?)\b"
                                   r"|\bkey\s?words?\b|\bmesh\s+(?:terms?|headings?)\b|\bboolean\b", re.I),
                        re.compile(r"\bsearch\s+(?:terms?|strateg|strings?)|\bkey\s?words?\b|\bMeSH\b", re.I)),
    # items 9 and 10, limits, restrictions and filters
    "limits": (re.compile(r"\b(?:language|date|publication[- ]type|species)\s+(?:limits?|restrictions?|filters?)\b"
                          r"|\b(?:limits?|restrictions?|filters?)\b[^?]*?\b(?:applied|used|placed|set)\b"
                          r"|\b(?:limited|restricted)\s+to\b|\benglish[- ]language\b", re.I),
               re.compile(r"\b(?:limited|restricted)\s+to\b|\bfilters?\b|\bEnglish\b", re.I)),
    # the period of publication searched, which a date of searching does not give
    "period searched": (re.compile(r"\b(?:date|time|year|publication)\s+(?:range|span|window|period)\b"
                                   r"|\bhow far back\b|\bpublished\s+(?:between|since|after|from)\b"
                                   r"|\b(?:start(?:ing)?|earliest|beginning)\s+year\b|\bfrom\s+(?:what|which)\s+year\b",
                                   re.I),
                        re.compile(r"\b(?:from|between|since)\s+(?:\d{4}|inception)\b", re.I)),
    # items 15 and 16, the records found and the screening of them
    "records": (re.compile(r"\bhow many\s+(?:records|articles|papers|hits|abstracts|publications|results|studies)\b"
                           r"[^?]*?\b(?:found|retrieved|identified|screened|returned|yield(?:ed)?|turn(?:ed)? up)\b"
                           r"|\bnumber of (?:records|hits|articles)\b|\bscreen(?:ed|ing)\b|\bdeduplicat\w*\b"
                           r"|\bprisma\b", re.I),
                re.compile(r"\b\d+\s+(?:records|articles|citations|hits|publications)\b", re.I)),
    # item 14, peer review, and who searched
    "searcher": (re.compile(r"\bwho\s+(?:performed|conducted|ran|did|carried out|searched)\b|\bpeer[- ]review\w*\b"
                            r"|\blibrarians?\b|\binformation specialists?\b", re.I),
                 re.compile(r"\bby\s+(?:a|an|the)\s+(?:medical\s+)?(?:librarian|information specialist)"
                            r"|\bpeer[- ]review", re.I)),
}


# How to reach whoever sent a letter, by the properties of vCard (RFC 6350: TEL, EMAIL, ADR, URL) and when, by
# schema.org's ContactPoint: how a question asks each, and how a letter would print it.
CONTACT_FIELDS: Particulars = {
    "telephone": (re.compile(r"\b(?:tele)?phone\b|\bhotline\b|\btoll[- ]free\b|\bfax\b"
                             r"|\b(?:what|which) number (?:do|should|can|to) (?:i |we )?call\b", re.I),
                  re.compile(r"\b1-8\d\d-\d{3}-\d{4}\b|\(\d{3}\)\s*\d{3}-\d{4}\b|\b\d{3}[-.]\d{3}[-.]\d{4}\b")),
    "email": (re.compile(r"\be-?mail\b", re.I), re.compile(r"\S@\S+\.\w")),
    "postal address": (re.compile(r"\b(?:mailing|postal|street|office)\s+address\b", re.I),
                       re.compile(r"\b\d+\s+(?:\w+\s+){1,3}(?:street|st|avenue|ave|road|rd|drive|boulevard|blvd)\b",
                                  re.I)),
    "website": (re.compile(r"\bwebsites?\b|\bweb\s?(?:site|page)s?\b", re.I),
                re.compile(r"https?://|\bwww\.", re.I)),
    # … and when it answers, schema.org's ContactPoint.hoursAvailable
    "hours": (re.compile(r"\b(?:open|available|staffed|answered)\b[^?]*?\b(?:weekends?|saturdays?|sundays?|"
                         r"holidays?|overnight|after[- ]hours|24/7)\b|\b(?:business|opening|office) hours\b"
                         r"|\bhours of operation\b", re.I),
              re.compile(r"\b(?:mon(?:day)?|weekdays?)\b[^.\n]*\b(?:fri(?:day)?|\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.))",
                         re.I)),
}


# … and where to report an adverse event (a pharmacovigilance line, MedWatch), which a letter would print with a
# channel beside it
CONTACT_FIELDS["adverse event reporting"] = (
    re.compile(r"\bhow\s+(?:do|can|should|would)\s+(?:i|we)\s+report\b|\bwhere\s+(?:do|can|should)\s+(?:i|we)\s+"
               r"report\b|\bpharmacovigilance\b|\bmedwatch\b", re.I),
    re.compile(r"\breport\w*\s+(?:an?\s+|any\s+)?(?:suspected\s+)?(?:adverse|side)\b[^.\n]*"
               r"\b(?:call|contact|visit|fda|medwatch)\b", re.I))


# … and any way at all ("how can I contact them"): a letter printing any of vCard's channels gives one.
CONTACT_FIELDS["contact"] = (
    re.compile(r"\bhow (?:can|do|should|would|could|might) (?:i|we) (?:contact|reach|get in touch with)\b"
               r"|\bcontact (?:details|information|info)\b", re.I),
    re.compile("|".join(f"(?:{given.pattern})" for name, (_, given) in CONTACT_FIELDS.items() if name != "hours"),
               re.I))


# … and a copy of a paper it cites (a reprint, the full text, a PDF), which a letter offers in so many words
# ("copies of the articles are available on request").
COPY = r"(?:cop(?:y|ies)|reprints?|pdfs?|full[- ]?texts?|full\s+(?:paper|article)s?)"
CONTACT_FIELDS["copy of a paper"] = (
    re.compile(rf"\b(?:send|e-?mail|mail|post|fax|forward|share|provide|attach)\b[^?.]{{0,40}}\b{COPY}\b"
               rf"|\b(?:get|obtain|request|order)\s+(?:a\s+|the\s+)?(?:\w+\s+){{0,2}}{COPY}\b", re.I),
    re.compile(rf"\b{COPY}\b[^.\n]{{0,60}}\b(?:available|on request|upon request|can be (?:requested|obtained))\b"
               rf"|\b(?:request|order)\s+(?:a\s+)?{COPY}\b", re.I))


def fields_asked(question: str, particulars: Particulars = FIELDS) -> list[str]:
    """The particulars a question asks for: of a paper by default ("volume and page numbers": volume, page), of a
    literature search (`SEARCH_FIELDS`), or of how to reach a letter's sender (`CONTACT_FIELDS`)."""
    return [name for name, (asked, _) in particulars.items() if asked.search(question)]


def fields_given(text: str, particulars: Particulars = FIELDS) -> frozenset[str]:
    """The particulars a text gives: a reference entry by default, a literature search line, a letter."""
    return frozenset(name for name, (_, given) in particulars.items() if given.search(text))
