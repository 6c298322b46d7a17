"""Papers named by where they were published or presented: the letter's reference entries read for their venues,
and questions that name a study by its journal or meeting."""

from __future__ import annotations

from qa.retrieve import Retriever
from qa.venues import (
    CONTACT_FIELDS,
    SEARCH_FIELDS,
    Venue,
    fields_asked,
    fields_given,
    read_venues,
    reference_venues,
    venue_words,
)


def _venues(letter) -> tuple[Venue, ...]:  # type: ignore[no-untyped-def]
    return tuple(reference_venues(r.text for r in letter.references.values()))


def test_each_entry_gives_its_journal_or_its_meeting(letter) -> None:  # type: ignore[no-untyped-def]
    venues = {(v.author, v.words, v.year) for v in _venues(letter)}
    assert ("Szabo", ("am", "j", "hematol"), "2022") in venues
    assert ("Souren", ("ann", "hematol"), "2025") in venues
    assert ("Talbot", ("clinical", "lymphoma", "myeloma", "leukemia"), "2025") in venues
    # a poster: the meeting, by its bracketed short form and by its name, "Annual Meeting" or not
    assert ("Tan", ("asco",), "2024") in venues
    assert ("Tan", ("american", "society", "clinical", "oncology"), "2024") in venues
    # "17th Annual International Myeloma Workshop": a question drops the ordinal
    assert ("Kim", ("international", "myeloma", "workshop"), "2019") in venues


def test_a_journal_is_named_in_full_or_as_iso4_cuts_it(letter) -> None:  # type: ignore[no-untyped-def]
    venues = _venues(letter)
    assert read_venues("In the American Journal of Hematology study, what was the ORR?", venues) == (
        "In the Szabo et al study, what was the ORR?")
    assert read_venues("the Annals of Hematology paper", venues) == "the Souren et al paper"
    assert read_venues("the Eur. J. Haematol. chart review", venues) == "the Abdallah et al chart review"
    assert read_venues("is daratumumab used for lymphoma or leukemia", venues) == (
        "is daratumumab used for lymphoma or leukemia")  # words of a title, not the title
    # by the initials of three words or more; a two-word journal's ("AH") is too often a word
    assert read_venues("the 2022 AJH study", venues) == "the 2022 Szabo et al study"
    assert read_venues("the EJH chart review", venues) == "the Abdallah et al chart review"
    assert ("Souren", ("ah",)) not in {(v.author, v.words) for v in venues}


def test_a_meeting_two_posters_share_needs_the_year(letter) -> None:  # type: ignore[no-untyped-def]
    venues = _venues(letter)
    assert read_venues("the 2024 ASCO poster", venues) == "the 2024 Tan et al poster"
    assert read_venues("the 2022 ASCO abstract", venues) == "the 2022 Ciardiello et al abstract"
    assert read_venues("the ASCO poster", venues) == "the ASCO poster"  # Tan et al or Ciardiello et al
    assert "asco" in venue_words(venues)


def test_a_study_named_by_its_journal_is_that_study(service) -> None:  # type: ignore[no-untyped-def]
    question = ("In the American Journal of Hematology real-world study, how long did it take before patients "
                "needed their next therapy?")
    assert service.retriever.analyse(question).studies == ("szabo-2022",)
    answer = service.ask(question)
    assert answer.answerable is True
    assert answer.passages[0].study.startswith("Szabo")
    assert "TTNT" in answer.passages[0].text or "next" in answer.passages[0].text.lower()


def test_a_meeting_short_form_is_not_demanded_as_a_measure(service) -> None:  # type: ignore[no-untyped-def]
    # "ASCO" is an abbreviation the letter defines (in Tan et al's entry); asked beside a number it is where the
    # poster was shown, not a measure Tan et al's results must report.
    question = ("Hem/onc fellow here, presenting the MSKCC ASCO poster at journal club. How many patients were "
                "dara-refractory when they started retreatment?")
    result = service.retriever.search(question)
    assert result.answerable is True, result.refused_by


def test_a_word_only_a_venue_uses_is_no_topic_of_the_letter(service) -> None:  # type: ignore[no-untyped-def]
    # "Lymphoma" and "Leukemia" are in the letter only as words of EMMY's journal, "Clinical Lymphoma, Myeloma
    # and Leukemia": the letter says nothing about either disease, and neither word names EMMY on its own.
    lexicon = service.index.lexicons["darzalex-retreatment"]
    assert not {"lymphoma", "leukemia"} & lexicon.vocabulary
    talbot = next(p for p in lexicon.studies if p.id == "talbot-2025")
    assert not {"lymphoma", "leukemia"} & talbot.names
    result = service.retriever.search("is darzalex used for any other cancers like lymphoma or leukemia")
    assert result.refused_by == "unknown words: lymphoma, leukemia"
    # the journal, named in full, still names the paper
    assert service.ask("Was EMMY published in Clinical Lymphoma, Myeloma and Leukemia?").answerable is True


def test_an_entry_gives_the_particulars_its_style_prints(letter) -> None:  # type: ignore[no-untyped-def]
    given = {r.number: fields_given(r.text) for r in letter.references.values()}
    assert given[2] == {"volume", "issue", "page"}  # "Ann Hematol. 2025;104(2):1059-1067."
    assert given[1] == frozenset()  # "Clinical Lymphoma, Myeloma and Leukemia. 2025."
    assert given[9] == {"volume", "page"}  # "2019;125:2991-3000": no issue
    assert fields_asked("whats the full citation for souren ref (journal/vol/pages)") == ["volume", "page"]
    assert fields_asked("What is the DOI?") == ["DOI"]
    # front and back matter no reference style prints, and an author list an entry cuts short with "et al"
    assert fields_asked("Which company sponsored the EMMY cohort?") == ["funding"]
    assert fields_asked("Where is the first author of Souren et al affiliated?") == ["affiliation"]
    assert fields_asked("Who are all the authors of the Tan poster?") == ["author list"]
    assert fields_asked("Who are the first three authors of the Tan poster?") == []
    # a presentation's number, and the building its meeting was held in: the entry gives the city
    assert fields_asked("Which convention center hosted the meeting where Kim et al showed their poster?") == [
        "event venue"]
    assert fields_asked("What was the abstract number of the Ciardiello poster?") == ["number"]
    assert fields_asked("What publication venue printed Souren et al?") == []
    assert "author list" not in given[3] and "funding" not in given[3]
    assert fields_given("Smith J, Jones K. A study. Blood. 2020;1:2-3. Funded by a grant.") >= {
        "author list", "funding"}


def test_a_particular_the_named_papers_entries_lack_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    talbot = "What volume and page numbers is the Talbot EMMY paper published in?"
    assert service.retriever.search(talbot).refused_by == "bibliographic_scope_check: volume, page"
    assert service.retriever.search("What is the DOI of the Szabo paper?").refused_by == (
        "bibliographic_scope_check: DOI")
    assert service.retriever.search("What issue of the journal was Nooka et al in?").refused_by == (
        "bibliographic_scope_check: issue")  # a paper the letter only lists, judged by its own entry
    assert service.retriever.search("Which company sponsored the EMMY cohort?").refused_by == (
        "bibliographic_scope_check: funding")
    assert service.retriever.search("Who paid for the EMMY cohort study?").refused_by == (
        "bibliographic_scope_check: funding")
    assert service.retriever.search("Who are all the co-authors of Abdallah et al?").refused_by == (
        "bibliographic_scope_check: author list")
    assert service.ask("Who are the first three authors of the Abdallah paper?").answerable is True
    assert service.retriever.search("Which convention center hosted the meeting where Kim et al showed their "
                                    "poster?").refused_by == "bibliographic_scope_check: event venue"
    assert service.ask("Where was the Kim et al poster presented?").answerable is True
    assert service.retriever.search("Szabo et al appeared in Am J Hematol: what is that journal's impact factor?"
                                    ).refused_by == "bibliographic_scope_check: journal metrics"
    souren = service.ask("whats the full citation for souren ref (journal/vol/pages)")
    assert souren.answerable is True and "1059-1067" in souren.passages[0].text
    off = Retriever(service.index, service.encoder,
                    service.retriever.settings.model_copy(update={"bibliographic_scope_check": False}))
    assert off.search(talbot).answerable is True


def test_a_search_particular_its_line_does_not_give_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """The literature search line gives its databases and its date (PRISMA-S items 1 and 13), not its search
    terms, limits, period searched, records found or who ran it."""
    assert fields_asked("Which keywords or MeSH terms went into the literature search?", SEARCH_FIELDS) == [
        "search strategy"]
    assert fields_asked("How many articles did the database search turn up?", SEARCH_FIELDS) == ["records"]
    assert fields_asked("Was the literature search limited to English papers?", SEARCH_FIELDS) == ["limits"]
    assert fields_asked("Which databases were searched?", SEARCH_FIELDS) == []
    assert fields_asked("From what start year did the search cover MEDLINE and Embase?", SEARCH_FIELDS) == [
        "period searched"]
    assert fields_given("A search of MEDLINE using the search terms daratumumab AND retreatment, limited to "
                         "English, from 2015 to 2025 found 120 records.", SEARCH_FIELDS) >= {
        "search strategy", "limits", "period searched", "records"}
    strategy = "Which search string was used for the Embase literature search?"
    assert service.retriever.search(strategy).refused_by == "bibliographic_scope_check: search strategy"
    assert service.retriever.search("Who peer reviewed the literature search?").refused_by == (
        "bibliographic_scope_check: searcher")
    assert service.ask("Which databases did the literature search cover?").answerable is True
    assert service.ask("When was the literature search run?").answerable is True
    off = Retriever(service.index, service.encoder,
                    service.retriever.settings.model_copy(update={"bibliographic_scope_check": False}))
    assert off.search(strategy).answerable is True


def test_how_to_reach_a_sender_who_prints_none_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """vCard's TEL, EMAIL, ADR and URL: the letter prints no telephone number, address or website."""
    assert fields_asked("What phone number do I call for Medical Information?", CONTACT_FIELDS) == ["telephone"]
    assert fields_asked("Is there an email or a website for follow-up?", CONTACT_FIELDS) == ["email", "website"]
    assert fields_asked("Who should I contact with a follow-up question?", CONTACT_FIELDS) == []
    assert fields_given("Call 1-800-526-7736 or write to medinfo@example.com.", CONTACT_FIELDS) == {
        "telephone", "email", "contact"}
    # any way at all of reaching the sender, which a letter printing any channel gives
    assert fields_asked("How can I contact Medical Information directly?", CONTACT_FIELDS) == ["contact"]
    assert service.retriever.search("Who prepared this letter, and how can I contact them?").refused_by == (
        "bibliographic_scope_check: contact")
    # where to report an adverse event (a pharmacovigilance line), which the letter does not print either
    assert fields_asked("How do I report a suspected adverse reaction to J&J?", CONTACT_FIELDS) == [
        "adverse event reporting"]
    assert fields_asked("How many patients had adverse events reported?", CONTACT_FIELDS) == []
    assert service.retriever.search("How do I report an adverse event with DARZALEX to J&J?").refused_by == (
        "bibliographic_scope_check: adverse event reporting")
    phone = "Which telephone number should a pharmacist call about this retreatment letter?"
    assert service.retriever.search(phone).refused_by == "bibliographic_scope_check: telephone"
    off = Retriever(service.index, service.encoder,
                    service.retriever.settings.model_copy(update={"bibliographic_scope_check": False}))
    assert off.search(phone).refused_by != "bibliographic_scope_check: telephone"


def test_the_last_author_of_an_entry_cut_short_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """An entry cut short with "et al" names its first authors, not its senior one."""
    assert fields_asked("Who was the senior author on the Szabo paper?") == ["author list"]
    assert fields_asked("Who is the last author of Tan et al?") == ["author list"]
    assert service.retriever.search("Who was the senior/last author of the Abdallah chart review?").refused_by == (
        "bibliographic_scope_check: author list")
    assert service.ask("Who was the first author of the Szabo paper?").answerable is True


def test_when_the_sender_answers_is_a_particular_the_letter_does_not_print(service) -> None:  # type: ignore[no-untyped-def]
    """schema.org's ContactPoint.hoursAvailable: the letter says nothing of when anyone answers."""
    assert fields_asked("Is Medical Information staffed on weekends?", CONTACT_FIELDS) == ["hours"]
    assert fields_asked("Were patients available for follow-up?", CONTACT_FIELDS) == []
    assert fields_given("Call us Monday through Friday, 9 am to 5 pm.", CONTACT_FIELDS) == {"hours"}
    assert service.retriever.search("Is this document's sender available on Sundays?").refused_by == (
        "bibliographic_scope_check: hours")
    assert fields_asked("Who were the remaining authors of the Szabo paper?") == ["author list"]
