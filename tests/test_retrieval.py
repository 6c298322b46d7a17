"""Retrieval on the real model and a real index (the session `service`): physicians' questions, written
in their own words, must bring the passage that answers them into the top five, mostly first; the
letter's vocabulary (abbreviations, brand/generic names, sites) must steer the search; out-of-scope
questions must be flagged; and every response must carry the letter's compliance apparatus."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa import query as query_module
from qa.letter import Letter
from qa.lexicon import (
    Lexicon,
    comparisons_as_words,
    cytogenetic_words,
    everyday,
    fold,
    lexical_tokens,
    parenthetical_definitions,
    thresholds,
    zipf,
)
from qa.parse import normalise
from qa.query import asked_sentences, grade_sets, grades, landmarks
from qa.retrieve import Passage, Retriever, Statement, followers
from qa.schemas import AskResponse

pytestmark = pytest.mark.slow

DOC = "darzalex-retreatment"


@dataclass(frozen=True)
class Q:
    question: str
    citation: int | None  # the reference number the answering passage cites (None: uncited apparatus)
    answer: tuple[str, ...]  # verbatim fragments of the letter, all in the answering passage's text
    kind: str | None = None  # the kind of chunk that answers, for the letter's apparatus
    topic: str = ""

    def answered_by(self, passage) -> bool:  # type: ignore[no-untyped-def]
        text = normalise(passage.text)
        return (
            all(normalise(a) in text for a in self.answer)
            and (self.citation is None or self.citation in passage.citations)
            and (self.kind is None or passage.kind == self.kind)
        )


QUESTIONS = [
    # Talbot et al (2025), the EMMY study [1]
    Q("In the EMMY cohort, what was median progression-free survival for all patients retreated with an "
      "anti-CD38 antibody?", 1, ("5.1 (95% CI, 4.2-6.6)",), topic="talbot"),
    Q("How many centers in France participated in the EMMY study?", 1, ("73 centers in France",), topic="talbot"),
    Q("What median overall survival did Talbot report for patients who were sensitive to anti-CD38?", 1,
      ("sensitive to anti-CD38", "NR (P=0.0004)"), topic="talbot"),
    Q("How many patients did the EMMY study include?", 1, ("286 patients",), topic="talbot"),
    # Souren et al (2025), Freiburg [2]
    Q("In Souren's cohort, how often was grade 3 anemia seen during the second retreatment?", 2,
      ("Anemia", "Grade 3", "4 (57)"), topic="souren"),
    Q("How many patients at Freiburg were retreated a second time with daratumumab?", 2,
      ("7 patients received a second DARZALEX retreatment",), topic="souren"),
    Q("What response rate did patients achieve on their first daratumumab line versus the first retreatment "
      "in the Freiburg series?", 2, ("ORR", "14 (64)", "10 (46)"), topic="souren"),
    # Tan et al (2024), Memorial Sloan Kettering [3]
    Q("At Memorial Sloan Kettering, what were median PFS and OS after daratumumab retreatment?", 3,
      ("10.8 months", "47.4 months"), topic="tan"),
    Q("What proportion of the Tan retreatment cohort had high-risk cytogenetics?", 3, ("42/128 (33)",),
      topic="tan"),
    Q("In the Tan study, how many patients were retreated with daratumumab plus an IMiD?", 3,
      ("DARZALEX + IMiD", "72 (46)"), topic="tan"),
    # Abdallah et al (2023) [4]
    Q("How long did it take to respond to daratumumab retreatment in the Abdallah chart review?", 4,
      ("28 days (range, 14-77)",), topic="abdallah"),
    Q("How frequent was grade 3 or 4 neutropenia with retreatment in the Abdallah series?", 4,
      ("Neutropenia", "16 (37)"), topic="abdallah"),
    Q("How many patients were included in the Abdallah retrospective review?", 4, ("43 patients were included",),
      topic="abdallah"),
    # Szabo et al (2022) [5, 6]
    Q("Was daratumumab retreatment associated with longer overall survival in the Szabo study?", 5,
      ("HR, 0.59",), topic="szabo"),
    Q("What was median OS for Szabo's patients who were retreated with daratumumab compared with those who "
      "were not?", 5, ("23.6 (17.5-NR)",), topic="szabo"),
    Q("Which regimen was most commonly used at P1 in the Szabo study?", 6, ("Overall", "D-Pd (57 [15])"),
      topic="szabo"),
    # the summary, the references, the literature search, the disclaimer
    Q("Is there other literature on daratumumab retreatment besides these studies?", 7,
      ("Other relevant literature",), kind="summary", topic="summary"),
    Q("Which journal published the Szabo study on patients discontinuing daratumumab?", 5, ("Am J Hematol",),
      kind="references", topic="references"),
    Q("What is the reference for the EMMY cohort publication?", 1, ("Clinical Lymphoma, Myeloma and Leukemia",),
      kind="references", topic="references"),
    Q("When was the literature search for this response conducted?", None, ("11 June 2025",),
      kind="literature_search", topic="literature search"),
    Q("When did you last search the medical literature for this letter?", None, ("11 June 2025",),
      kind="literature_search", topic="literature search"),
    Q("Which databases were searched for this letter?", None, ("MEDLINE", "Embase"), kind="literature_search",
      topic="literature search"),
    Q("Who is this information intended for?", None, ("US healthcare professionals",), kind="disclaimer",
      topic="disclaimer"),
    Q("Is this document promotional?", None, ("not intended for promotional purposes",), kind="disclaimer",
      topic="disclaimer"),
]

# Fair questions the retriever misses at k=5 (at the time of writing): not bugs of the code but of its
# ranking, so they are measured and printed rather than asserted; promote one to QUESTIONS once it is found.
HARD = [
    (Q("In the Abdallah chart review, what was the median progression-free survival with daratumumab "
       "retreatment?", 4, ("The median PFS was 7.97 months",)),
     "the sentence sits in a ~200-word-piece bullet-group chunk"),
    (Q("What proportion of Abdallah's daratumumab-refractory patients responded to retreatment?", 4,
       ("ORR", "21 (49)")),
     "the ORR row of 'Efficacy Outcomes' is outranked by 'refractory'/'retreatment' rows of other tables"),
    (Q("What is the citation for the Abdallah study?", 4, ("Eur J Haematol",), kind="references"),
     "reference 4 is outranked by unrelated Abdallah passages (safety, design, baseline rows)"),
    (Q("Which journal published the Souren daratumumab retreatment paper?", 2, ("Ann Hematol",), kind="references"),
     "reference 2 is outranked by Souren study passages"),
    (Q("Where was the Tan retreatment study presented?", 3, ("American Society of Clinical Oncology",),
       kind="references"),
     "reference 3 (a poster at ASCO) is outranked by Tan study passages"),
    (Q("What reasons led patients in the Szabo cohort to stop their index regimen?", 5,
       ("progressive disease (PD; 42%)",)),
     "the reasons-for-discontinuation bullet competes with baseline-table rows"),
    (Q("Does this letter provide recommendations on retreatment practice?", None, ("cannot recommend",),
       kind="summary"),
     "the letter's own 'cannot recommend' bullet competes with retreatment table rows"),
]



def cited_by_study(letter: Letter, author: str) -> set[int]:
    study = next(s for s in letter.studies if s.author == author)
    return set(study.citations) | {n for t in study.tables for n in t.citations}


def check_response(response: AskResponse, letter: Letter) -> None:
    """The compliance apparatus every response carries."""
    assert response.disclaimer == letter.disclaimer.text
    assert response.document.id == letter.id
    assert response.document.title == letter.title
    assert response.document.last_updated == letter.last_updated
    references = {r.number: r.text for r in response.references}
    assert len(references) == len(response.references)
    for number, text in references.items():
        assert number in letter.references
        assert normalise(text) == normalise(letter.references[number].text)
    cited = set()
    for rank, passage in enumerate(response.passages, start=1):
        assert passage.rank == rank
        assert passage.document == letter.id
        for number in passage.citations:
            assert number in letter.references, (passage.chunk_id, number)
            assert number in references, (passage.chunk_id, number)
        cited |= set(passage.citations)
        if passage.highlight is not None:
            assert passage.highlight in passage.text, (passage.chunk_id, passage.highlight)
    assert set(references) == cited  # no reference the passages do not cite
    scores = [p.score for p in response.passages]
    assert scores == sorted(scores, reverse=True)


@pytest.fixture(scope="module")
def responses(service) -> dict[str, AskResponse]:  # type: ignore[no-untyped-def]
    questions = [*QUESTIONS, *(q for q, _ in HARD)]
    return {q.question: service.ask(q.question) for q in questions}


def rank_of(q: Q, response: AskResponse) -> int | None:
    return next((p.rank for p in response.passages if q.answered_by(p)), None)


def test_the_question_set_covers_the_letter() -> None:
    topics = [q.topic for q in QUESTIONS]
    assert len(QUESTIONS) >= 14
    for study in ("talbot", "souren", "tan", "abdallah", "szabo"):
        assert topics.count(study) >= 2, study
    for part in ("summary", "references", "literature search", "disclaimer"):
        assert part in topics, part
    assert len({q.question for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize("q", QUESTIONS, ids=[f"{q.topic}-{k}" for k, q in enumerate(QUESTIONS)])
def test_hit_at_5(q: Q, responses: dict[str, AskResponse], letter: Letter) -> None:
    response = responses[q.question]
    assert len(response.passages) == 5
    check_response(response, letter)
    assert rank_of(q, response) is not None, [p.text[:120] for p in response.passages]
    if q.citation is not None:
        assert any(r.number == q.citation for r in response.references)
    assert not response.advice_request


def _answerable_params() -> list[object]:
    return [pytest.param(q, id=f"{q.topic}-{k}") for k, q in enumerate(QUESTIONS) if q.kind is None]


@pytest.mark.parametrize("q", _answerable_params())
def test_clinical_questions_are_answerable(q: Q, responses: dict[str, AskResponse]) -> None:
    assert responses[q.question].answerable is True


def test_hit_at_1_overall(responses: dict[str, AskResponse], capsys: pytest.CaptureFixture[str]) -> None:
    ranks = [rank_of(q, responses[q.question]) for q in QUESTIONS]
    hit1 = sum(r == 1 for r in ranks) / len(QUESTIONS)
    hit5 = sum(r is not None for r in ranks) / len(QUESTIONS)
    with capsys.disabled():
        print(f"\nretrieval on {len(QUESTIONS)} questions: hit@1 = {hit1:.2f}, hit@5 = {hit5:.2f}")
        for q, r in zip(QUESTIONS, ranks, strict=True):
            if r != 1:
                print(f"  rank {r}: {q.question}")
    assert hit1 >= 0.7
    assert hit5 == 1.0


def test_hard_questions_are_measured(responses: dict[str, AskResponse], letter: Letter,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Compliance holds for them too; whether they are found is printed, not asserted."""
    found = []
    for q, why in HARD:
        response = responses[q.question]
        check_response(response, letter)
        found.append((rank_of(q, response), q.question, why))
    with capsys.disabled():
        print(f"\nhard questions found at k=5: {sum(r is not None for r, _, _ in found)}/{len(found)}")
        for rank, question, why in found:
            print(f"  rank {rank}: {question}" + ("" if rank else f"  ({why})"))


# ---- the letter's vocabulary steers the search ----------------------------------------------------


def test_an_abbreviation_finds_its_long_form(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons[DOC]
    assert "DARZALEX + carfilzomib + dexamethasone" in lexicon.expand("D-Kd")
    response = service.ask("How many patients were retreated with D-Kd?")
    check_response(response, letter)
    assert any("D-Kd" in p.text for p in response.passages)
    assert response.passages[0].study == "Abdallah et al (2023)"


def test_abbreviated_and_spelled_out_endpoints_meet(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    row = "ORR: DARZALEX-Naïve (n=43) 28 (65) | DARZALEX Retreated (n=43) 21 (49)"
    for question in ("What was the ORR after retreatment in Abdallah's study?",
                     "What was the overall response rate after retreatment in Abdallah's study?"):
        response = service.ask(question)
        check_response(response, letter)
        assert any(row in p.text for p in response.passages), question
    assert "overall response rate" in service.index.lexicons[DOC].expand("ORR")


def test_comparisons_in_words_meet_the_tables_symbols(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    assert lexical_tokens("≥CR") == lexical_tokens("at least CR") == ["atleast", "cr"]
    assert lexical_tokens("CR or better") == ["cr", "atleast"]
    assert lexical_tokens("Age <65") == lexical_tokens("age younger than 65")
    question = "In Abdallah's chart review, how many patients reached a complete response or better?"
    response = service.ask(question)
    check_response(response, letter)
    # The fusion puts the "≥CR" row first; the learned ranker, which trusts BM25 less, has put it second,
    # after the plain "CR" row.
    assert any(p.text.splitlines()[1].startswith("≥CR:") for p in response.passages[:2])
    fused = _without(service, learned_ranker=False).search(question)
    assert fused.passages[0].chunk.text.splitlines()[1].startswith("≥CR:")


def test_every_comparison_survives_the_quick_test_for_none() -> None:
    """Each way of writing a comparison, in any case, is still read after the shortcut that skips texts
    holding none of the comparison words or symbols."""
    for text, term in [("≥6", "atleast"), ("=>6", "atleast"), ("CR OR BETTER", "atleast"), ("and older", "atleast"),
                       ("At Least 6", "atleast"), ("≤2", "atmost"), ("=<2", "atmost"), ("or fewer", "atmost"),
                       ("AT MOST 2", "atmost"), ("no more than 2", "atmost"), ("<65", "lessthan"),
                       ("Younger Than 65", "lessthan"), ("below 65", "lessthan"), (">65", "morethan"),
                       ("OLDER THAN 65", "morethan"), ("above 65", "morethan")]:
        assert term in comparisons_as_words(text).split(), text
    assert comparisons_as_words("Median OS, months") == "Median OS, months"


def test_folding_character_by_character_equals_folding_the_whole_text() -> None:
    for text in ["naïve", "DARZALEX-Naïve (n=43)", "e\u0301te", "ﬁrst-line", "Ångström ≥ 5 – 6", "x\u0327\u0301y"]:
        whole = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        assert fold(text) == whole, text
    assert fold("naïve") == "naive" and fold("≥CR") == "≥CR"


def test_a_plus_joined_compound_is_split_like_a_hyphenated_one() -> None:
    assert lexical_tokens("Double refractory (IMiD+PI)") == ["doubl", "refractori", "imid+pi", "imid", "pi"]


def test_generic_long_form_finds_the_abbreviated_regimen(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    response = service.ask("daratumumab carfilzomib dexamethasone")
    check_response(response, letter)
    assert any(p.kind == "row" and "D-Kd" in p.text for p in response.passages)


def test_brand_and_generic_names_meet(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons[DOC]
    assert "DARZALEX" in lexicon.expand("daratumumab")
    generic = service.ask("What was the overall response rate with daratumumab retreatment in the Abdallah study?")
    brand = service.ask("What was the overall response rate with DARZALEX retreatment in the Abdallah study?")
    for response in (generic, brand):
        check_response(response, letter)
        assert all("DARZALEX" in p.text for p in response.passages)
    assert generic.passages[0].chunk_id == brand.passages[0].chunk_id
    shared = {p.chunk_id for p in generic.passages} & {p.chunk_id for p in brand.passages}
    assert len(shared) >= 3


@pytest.mark.parametrize(
    ("question", "author"),
    [
        ("What did the Freiburg group report on daratumumab retreatment?", "Souren"),
        ("What did the Memorial Sloan Kettering analysis of daratumumab retreatment find?", "Tan"),
        ("What were the main results of the EMMY study?", "Talbot"),
        ("Freiburg", "Souren"),
        ("Memorial Sloan Kettering", "Tan"),
        ("EMMY", "Talbot"),
    ],
)
def test_a_named_site_ranks_its_study_first(service, letter: Letter, question: str, author: str) -> None:  # type: ignore[no-untyped-def]
    response = service.ask(question)
    check_response(response, letter)
    study = next(s for s in letter.studies if s.author == author)
    numbers = cited_by_study(letter, author)
    top = response.passages[0]  # the study's own passage, or its summary bullet or reference entry
    assert top.study == study.label or (top.study is None and set(top.citations) & numbers), top
    own = [p for p in response.passages if p.study == study.label or set(p.citations) & numbers]
    assert len(own) >= 4, [(p.study, p.citations) for p in response.passages]


# ---- scope and advice -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What is the recommended dose of DARZALEX FASPRO?",
        "What's the weather in Paris?",
        "Tell me about pembrolizumab in lung cancer",
    ],
)
def test_out_of_scope_questions_are_not_answerable(service, letter: Letter, question: str) -> None:  # type: ignore[no-untyped-def]
    response = service.ask(question)
    check_response(response, letter)
    assert response.answerable is False
    assert response.advice_request is False


def _without(service, **update: object) -> Retriever:  # type: ignore[no-untyped-def]
    return Retriever(service.index, service.encoder, service.retriever.settings.model_copy(update=update))


def test_one_unfamiliar_word_is_taken_as_phrasing_when_a_study_is_named(service) -> None:  # type: ignore[no-untyped-def]
    named = ("In the Abdallah chart review, did daratumumab retreatment bring a resurgence of responses after no "
             "response before?")
    unnamed = "Is daratumumab retreatment studied in amyloidosis?"
    assert service.retriever.analyse(named).unknown == ("resurgence",)
    assert service.retriever.analyse(unnamed).unknown == ("amyloidosis",)
    assert service.ask(named).answerable is True
    assert service.ask(unnamed).answerable is False
    # (no passage so close that unfamiliar words pass anyway)
    assert _without(service, named_study_allowance=False, close_passage_cosine=0.0).search(named).answerable is False

    # A country and its people's adjective name a study however common the word ("the French data"), as
    # a common word of a study's heading does not ("the cancer registry").
    french = "In the French data snapshot, how many patients were refractory to lenalidomide?"
    assert service.retriever.analyse(french).study_named is True
    assert service.retriever.analyse(french).unknown == ("snapshot",)
    assert service.ask(french).answerable is True
    assert _without(service, named_study_allowance=False).search(french).answerable is False
    assert service.retriever.analyse("In the cancer registry, how many patients were refractory?").study_named is False
    # A first author's surname names the study however common the word: "tan" is as common as "cancer".
    assert zipf("tan") >= service.settings.retrieval.common_zipf
    assert service.retriever.analyse("In the Tan baseline table, what was the median age?").study_named is True

    # A passage nearly saying what is asked makes the words the letter lacks phrasing, however many.
    close = "How many of the French registry patients had high-risk cytogenetic anomalies?"
    assert service.retriever.analyse(close).unknown == ("anomalies",)
    assert service.retriever.search(close).top_dense >= service.retriever.settings.close_passage_cosine
    assert service.ask(close).answerable is True
    assert _without(service, close_passage_cosine=0.0, named_study_allowance=False).search(close).answerable is False
    # A word written twice is one word the letter lacks.
    twice = ("In the MSK study, how many patients with insensitivity to dara still had insensitivity at retreatment "
             "start?")
    assert service.retriever.analyse(twice).unknown == ("insensitivity",)
    assert service.ask(twice).answerable is True


def test_everyday_english_is_wording_not_an_unknown_topic(service) -> None:  # type: ignore[no-untyped-def]
    """'share' and 'proportion' are not in the letter, but they are common English: no refusal for them."""
    question = "What share of the EMMY patients were penta-refractory?"
    assert service.retriever.analyse(question).unknown == ()
    assert service.ask(question).answerable is True
    strict = _without(service, common_zipf=8.0, wordnet_synonyms=False)  # nothing counts as everyday English
    assert strict.analyse(question).unknown == ("share",)


def test_an_inflected_everyday_word_is_wording_too(service) -> None:  # type: ignore[no-untyped-def]
    """"challenged" is rarer in English than "challenge", the word it inflects: both are everyday English."""
    assert zipf("challenged") < 4.5 <= zipf("challenge")
    assert everyday("challenged", 4.5) and everyday("challenges", 4.5)
    assert everyday("commonest", 4.0) and not zipf("commonest")  # an adjective's superlative, by its base form
    assert not everyday("amyloidosis", 4.5)
    question = "How many Tan et al patients were challenged with daratumumab a second time?"
    assert "challenged" in service.retriever.analyse(question).content
    assert service.retriever.analyse(question).unknown == ()


def test_a_satellite_of_a_letters_adjective_is_its_word(service) -> None:  # type: ignore[no-untyped-def]
    """Szabo et al give "insufficient response" as a reason to stop the index regimen; WordNet files
    "inadequate" as a satellite of "insufficient"."""
    question = "How many stopped the index regimen due to inadequate response?"
    assert service.retriever.analyse(question).unknown == ()
    assert service.ask(question).answerable is True
    # (no passage so close that unfamiliar words pass anyway)
    assert _without(service, wordnet_synonyms=False, wording_by_part_of_speech=False,
                    close_passage_cosine=0.0).search(question).answerable is False


def test_a_word_done_again_is_the_letters_subject(service) -> None:  # type: ignore[no-untyped-def]
    """The letter reports retreatment: "rechallenged" (re- on an everyday word) and "restarting" ask of it, while
    "rekindle" (re- on "kindle", rare in English) and words with no such prefix stay unknown."""
    lexicon = service.index.lexicons[DOC]
    stems = lexicon.stems()
    assert lexicon.repeats("rechallenged", stems, 4.5) and lexicon.repeats("restarting", stems, 4.5)
    assert not lexicon.repeats("rekindle", stems, 4.5) and not lexicon.repeats("renal", stems, 4.5)
    assert not lexicon.repeats("challenged", stems, 4.5)
    question = "Of those who went on to a next line after T0, what fraction were rechallenged with daratumumab?"
    assert service.retriever.analyse(question).unknown == ()
    response = service.ask(question)
    assert response.answerable is True  # refused while "rechallenged" was an unknown topic word
    assert "192 (51%) were retreated" in response.passages[0].text


@pytest.mark.parametrize("question", ["hello", "thanks, that's all!", "What's the weather like today?",
                                      "What is the phone number for medical information?"])
def test_a_question_naming_nothing_of_the_letter_is_refused(service, question: str) -> None:  # type: ignore[no-untyped-def]
    assert service.retriever.analyse(question).anchored is False
    assert service.ask(question).answerable is False


@pytest.mark.parametrize("question", ["How should DARZALEX vials be stored before use?",
                                      "Is daratumumab safe to give during pregnancy?",
                                      "What is the recommended dose of DARZALEX FASPRO for retreatment?",
                                      "EMMY: was daratumumab given IV or subcutaneously?",
                                      "How is DARZALEX dosed with pomalidomide at retreatment?",
                                      "Which pre-medications should be given before DARZALEX retreatment?",
                                      "Were the Abdallah D-Kd patients given carfilzomib at 20 or 27 mg/m2?",
                                      "How should DARZALEX be diluted before infusion?",
                                      "How should carfilzomib be reconstituted for the D-Kd patients?"])
def test_a_label_topic_the_letter_never_takes_up_is_refused(service, question: str) -> None:  # type: ignore[no-untyped-def]
    assert service.ask(question).answerable is False
    assert _without(service, label_topic_check=False, common_zipf=0.0).search(question).answerable is True


def test_the_route_by_its_initials_is_a_label_topic_and_a_numeral_is_not(service) -> None:  # type: ignore[no-untyped-def]
    switch = "Can a patient given DARZALEX IV first be retreated with the SC DARZALEX FASPRO?"
    assert service.retriever.search(switch).refused_by == "label_topic_check: iv, sc"
    # "IV" after "grade" or "stage" is a number: grade 4 is judged as a grade
    assert service.retriever.analyse("Any grade IV neutropenia in the Abdallah retreated patients?").label_topics == ()
    assert service.retriever.analyse("How many Tan patients had stage IV disease?").label_topics == ()


def test_what_the_label_itself_says_is_refused_and_going_beyond_it_is_answered(service) -> None:  # type: ignore[no-untyped-def]
    """The letter quotes nothing of the US label; its summary says the company cannot recommend going beyond it."""
    asked = "What does the DARZALEX product labeling say about retreating after a treatment-free interval?"
    reason = "label_topic_check: what the label says"
    assert service.retriever.search(asked).refused_by == reason
    assert _without(service, label_topic_check=False).search(asked).refused_by != reason
    for notice in ["Will the company endorse using DARZALEX in ways that go beyond what the label says?",
                   "Can Janssen recommend practices that deviate from the product labeling?"]:
        assert service.ask(notice).answerable is True


def test_a_dose_in_its_units_is_a_label_topic_and_a_laboratory_value_is_not(service) -> None:  # type: ignore[no-untyped-def]
    assert service.retriever.analyse("Was daratumumab given at 16 mg/kg in EMMY?").label_topics == ("mg/kg",)
    assert service.retriever.analyse("was dara 1800mg in the Szabo cohort?").label_topics == ("1800mg",)
    assert service.retriever.analyse("How many EMMY patients had a creatinine above 2 mg/dL?").label_topics == ()
    assert service.retriever.analyse("How many had a creatinine clearance under 30 mL/min?").label_topics == ()


def test_usage_is_use_not_the_labels_indications_and_usage(service) -> None:  # type: ignore[no-untyped-def]
    """"Indications and Usage" is a label section, but "usage" alone is everyday English for use."""
    question = "Abdallah: D-Kd usage at first dara line vs at retreatment — how many got D-Kd at retreatment?"
    assert service.retriever.analyse(question).label_topics == ()
    assert service.ask(question).answerable is True


def test_a_safety_question_the_letter_does_take_up_is_answered(service) -> None:  # type: ignore[no-untyped-def]
    """Infusion-related reactions are a row of a table: a question on them is the letter's to answer."""
    response = service.ask("How many infusion-related reactions occurred on retreatment in the Abdallah review?")
    assert response.answerable is True
    assert response.passages[0].highlight.startswith("IRRs: All Retreated Patients")


def test_real_typing_is_read_as_meant(service) -> None:  # type: ignore[no-untyped-def]
    typed = "Hi, I'm a pharmacist and a colleague asked me: what was the ORR after retreatment in the Abdalah review?"
    query = service.retriever.analyse(typed)
    assert query.studies == ("abdallah-2023",)
    assert "pharmacist" not in query.topic and "colleague" not in query.topic
    response = service.ask(typed)
    assert response.answerable is True
    assert response.passages[0].highlight.startswith("ORR: DARZALEX-Naïve")
    raw = _without(service, set_courtesy_aside=False, close_passage_cosine=0.0)
    assert raw.search(typed).answerable is False  # 'pharmacist' and 'colleague' taken as the topic
    # Who asks, in no clause of its own: a role is never the topic.
    role = "Hi, clinical pharmacist on our myeloma service here. Does the company endorse approaches the regulators " \
        "have not approved?"
    assert service.retriever.analyse(role).unknown == () and service.ask(role).answerable is True
    assert raw.analyse(role).unknown == ("pharmacist",)
    # Nor is a person named by any common noun WordNet files under noun.person ("colleague", "caregiver").
    person = "A colleague forwarded me this letter and asked whether it is a promotional piece. Is it?"
    assert service.retriever.analyse(person).unknown == () and service.ask(person).answerable is True
    assert raw.analyse(person).unknown == ("colleague",)
    assert service.retriever.analyse("Can a caregiver give DARZALEX FASPRO at home?").unknown == ()
    assert service.retriever.analyse("How many Hispanic patients did Tan et al include?").unknown == ("hispanic",)

    shorthand = "What was the median age of pts in the Sourin study?"
    read = service.retriever.analyse(shorthand)
    assert read.topic.startswith("What was the median age of patients in the") and read.studies == ("souren-2025",)
    assert "pts" not in read.content and "pts" in _without(service, read_shorthand=False).analyse(shorthand).content
    assert service.ask(shorthand).answerable is True

    # Chat shorthand for everyday words ("pls", "med info"): unread, each was a topic word the letter lacks.
    for chat, word in (("which databases did the med info literature search cover?", "med"),
                       ("what were the exclusion criteria for retreatment pls", "pls"),
                       ("is this response only for HCPs?", "hcps"),
                       ("who is this medinfo response meant for?", "medinfo")):
        assert service.retriever.analyse(chat).unknown == ()
        assert service.ask(chat).answerable is True
        # (nor the allowance of one word on the letter's apparatus, which answers the first without its reading)
        unread = _without(service, read_shorthand=False, close_passage_cosine=0.0, named_study_allowance=False)
        assert unread.analyse(chat).unknown == (word,) and unread.search(chat).answerable is False

    # "combo", "ref": words the letter lacks, unread; "lit search" asks the literature search once read.
    for chat, word in (("Among people who responded to dara a second time, which combo was most common?", "combo"),
                       ("nooka dpd re-treatment ref which journal", "ref"), ("abdulla mPFS retreatment", "mpfs"),
                       ("souren 9 mo pfs for the d3 grp", "grp")):
        assert service.ask(chat).answerable is True
        # (with courtesy read, "ref" would be a person, WordNet's referee, and no topic either)
        assert _without(service, read_shorthand=False, set_courtesy_aside=False).analyse(chat).unknown == (word,)
    # "cyto" is read as "cytogenetics" for the search (unread, it is no unknown word either: it clips the letter's).
    cyto = "how many had high risk cyto in the MSK series"
    assert "cytogenetics" in service.retriever.analyse(cyto).topic
    assert "cytogenetics" not in _without(service, read_shorthand=False).analyse(cyto).topic
    # "m" before a measure's capitals is its median ("mOS", "mPFS"): Souren et al report no OS. "mos" is months,
    # and "mRNA" no measure of the letter.
    median = "souren freiburg mOS for D1 vs D2"
    assert service.retriever.analyse(median).topic == "souren freiburg median OS for D1 vs D2"
    assert service.retriever.search(median).refused_by == "study_scope_check: os"
    assert _without(service, read_shorthand=False).search(median).answerable is True
    assert service.retriever.analyse("tan mos of f/u and mRNA").topic == "tan months of follow-up and mRNA"
    # A line of therapy by its number: "2L" is a second line (unread, "2l" is a word the letter lacks).
    line = "ciardiello abstract on dara-based 2L after dara-containing induction - when was the meeting?"
    assert "dara-based second line after" in service.retriever.analyse(line).topic
    assert service.retriever.analyse("outcomes in 3L+ pts").topic == "outcomes in third line or later patients"
    assert service.ask(line).answerable is True
    assert _without(service, read_shorthand=False).analyse(line).unknown == ("2l",)
    lit = "when was the lit search done"
    assert service.retriever.analyse(lit).intents == ("literature_search",)
    assert service.retriever.search(lit).passages[0].chunk.kind == "literature_search"
    assert _without(service, read_shorthand=False).search(lit).answerable is False

    misspelt = "What was the overall respnse rate with daratumamab retreatment in Abdallah?"
    assert "daratumumab" in service.retriever.analyse(misspelt).topic
    assert "daratumamab" in _without(service, correct_spelling=False).analyse(misspelt).topic


def test_a_tables_header_card_holds_no_number_a_question_asks(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A header card's numbers are its columns' sizes ("N=286"), not values: a question asking how many is
    answered by the row, not by the card whose footnotes repeat its words ("Daratumumab administered after
    Daratumumab")."""
    question = "emmy how many got dara then dara again"
    retriever = service.retriever
    cards = [i for i, c in enumerate(service.index.chunks) if c.kind == "table"]
    assert not retriever.has_number[cards].any()
    found = retriever.search(question, k=10).passages
    assert found[0].chunk.kind == "row" and "145 (51)" in found[0].highlight
    card = [p.chunk.kind for p in found].index("table")
    monkeypatch.setattr(retriever, "has_number", retriever.has_number.copy())
    retriever.has_number[cards] = [bool(re.search(r"\d", service.index.chunks[i].text)) for i in cards]
    # Counted as numbers, its column sizes would raise the card (the learned ranker still keeps the row first).
    assert [p.chunk.kind for p in retriever.search(question, k=10).passages].index("table") < card


def test_a_parent_row_is_preferred_to_its_children_when_only_it_is_named(service) -> None:  # type: ignore[no-untyped-def]
    question = "Tan et al: overall response rate, treated versus retreated?"
    assert service.ask(question).passages[0].highlight == "ORR: DARZALEX Treated 52 | DARZALEX Retreated 70"


@pytest.mark.parametrize(("question", "start"), [
    ("How many EMMY patients had been exposed to carfilzomib before?", "PI, n (%) › Carfilzomib:"),
    ("Abdallah: share of retreated patients who were refractory to daratumumab?", "DARZALEX refractory:"),
])
def test_the_row_whose_own_label_is_asked_comes_first(service, question: str, start: str) -> None:  # type: ignore[no-untyped-def]
    """The share of a row's own label the question names: without it, a row of another study naming the
    drug in a long compound, or the prose naming the measure, came first (with the tuned encoder too)."""
    assert service.ask(question).passages[0].highlight.startswith(start)
    # The fusion alone, without the feature: the learned ranker reads the own-label share on its own.
    flat = _without(service, structure_features=False, learned_ranker=False).search(question)
    assert not flat.passages[0].highlight.startswith(start)


def test_a_request_for_patient_advice_is_flagged_and_still_answered(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    response = service.ask("Should I retreat my 70-year-old patient with daratumumab after he progressed on D-Rd?")
    check_response(response, letter)
    assert response.advice_request is True
    assert response.passages
    notice = next(b.text for b in letter.summary if "cannot recommend" in b.text)
    assert response.advice_notice == notice
    assert service.ask("What was the ORR in the Abdallah study?").advice_notice is None
    # how a paper should be cited is no advice, and is judged as any question of a reference entry
    cite = service.ask("What volume and page numbers should I cite for Talbot et al?")
    assert cite.advice_request is False
    assert cite.answerable is False  # their entry gives neither


def test_a_patient_in_the_scene_is_no_advice_asked(service) -> None:  # type: ignore[no-untyped-def]
    """Advice is what a question asks, not whom it is asked for: with the scene's patient it would be flagged
    and answered with passages, though Tan et al report no adverse events."""
    question = "Hi, my patient is anxious about side effects. Which adverse events did Tan et al see at retreatment?"
    assert service.retriever.analyse(question).advice is False
    assert service.retriever.search(question).refused_by.startswith("study_scope_check")
    # the scene's patient referred back to, or advice asked in so many words, is still advice
    for advice in ["My patient relapsed on D-Vd. Would you put him on D-Kd next?",
                   "My patient progressed on D-Rd. Abdallah's patients mostly got D-Pd; is that what we should use?",
                   "Our patient is dara-refractory. In Abdallah et al, should I expect a response to retreatment?",
                   "Seeing a 68M tomorrow, relapsed after dara-VRd - would you go back to dara-Pd or switch to isa?"]:
        assert service.ask(advice).advice_request is True


@pytest.mark.parametrize("question", ["How should I adjust metformin in a patient with an eGFR of 25?",
                                      "my dad is on darzalex, is it ok for him to get the shingles vaccine"])
def test_a_request_for_advice_on_what_the_letter_never_names_is_refused(service, question: str) -> None:  # type: ignore[no-untyped-def]
    """Advice is answered with the letter's passages only where the letter speaks of what it asks about: a
    question naming nothing of it, or a word it lacks, is refused, and still flagged as advice."""
    response = service.ask(question)
    assert response.advice_request is True
    assert response.answerable is False


def test_k_and_document_are_honoured(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    for k in (1, 3, 20):
        response = service.ask("What was the ORR in the Abdallah study?", k=k, document=DOC)
        check_response(response, letter)
        assert [p.rank for p in response.passages] == list(range(1, k + 1))
    top = service.ask("What was the ORR in the Abdallah study?", k=1).passages[0]
    assert top.study == "Abdallah et al (2023)" and top.table == "Efficacy Outcomes"
    assert top.highlight == "ORR: DARZALEX-Naïve (n=43) 28 (65) | DARZALEX Retreated (n=43) 21 (49)"


def test_retrieval_is_deterministic(service) -> None:  # type: ignore[no-untyped-def]
    question = "How long did it take to respond to daratumumab retreatment in the Abdallah chart review?"
    first, second = service.ask(question), service.ask(question)
    assert first.model_dump() == second.model_dump()


@pytest.mark.parametrize("fusion", ["linear", "rrf"])
def test_an_hnsw_index_finds_a_quoted_row_with_either_fusion(tmp_path, fusion: str) -> None:  # type: ignore[no-untyped-def]
    """Above `flat_index_max` chunks the index is HNSW and scores only each side's candidates: the same
    fusion must still put first a row whose line is quoted."""
    import shutil

    from qa.config import Settings
    from qa.service import QAService
    fictional = Path(__file__).parent / "data" / "fictional-letter.txt"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(fictional, corpus / fictional.name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                        retrieval={"flat_index_max": 1, "fusion": fusion},  # type: ignore[arg-type]
                        service={"audit_log": None})  # type: ignore[arg-type]
    service = QAService(settings, rebuild=True)
    assert service.index.manifest.index_type == "hnsw"
    rows = [c for c in service.index.chunks if c.kind == "row" and len(c.quotes) == 1][:5]
    assert rows
    for row in rows:
        result = service.retriever.search(row.quotes[0], k=5)
        top = result.passages[0].chunk  # the row, or the chunk of its row group
        assert row.quotes[0] in top.quotes, (row.quotes[0], [p.chunk.id for p in result.passages])
        scores = [p.score for p in result.passages]
        assert scores == sorted(scores, reverse=True)
        assert all(p.dense > 0 for p in result.passages)


def test_a_combination_named_in_any_order_finds_its_abbreviation(service, letter: Letter) -> None:  # type: ignore[no-untyped-def]
    """The letter's abbreviation lines read backwards, whatever the order and the joining words."""
    lexicon = service.index.lexicons[DOC]
    assert lexicon.combinations_named("pomalidomide plus dexamethasone with daratumumab") == ["d-pd"]
    assert lexicon.combinations_named("dexamethasone and carfilzomib") == ["kd"]  # not D-Kd: no daratumumab
    assert lexicon.combinations_named("dara, carfilzomib and dexamethasone") == ["d-kd"]  # not also Kd
    # The parts most of the letter's combinations share (DARZALEX, dexamethasone) may go unsaid, not the others.
    assert lexicon.combinations_named("DARZALEX + pomalidomide") == ["d-pd"]
    assert lexicon.combinations_named("DARZALEX and dexamethasone") == []
    assert lexicon.combinations_named("pomalidomide") == []
    # … named together: not the drug in a scene and a partner asked of far from it
    assert lexicon.combinations_named("Tan: how many got daratumumab with the pomalidomide?") == ["d-pd"]
    scene = "building a dara retreatment order set - in the french EMMY cohort how many had already been on Pomalyst?"
    assert lexicon.combinations_named(scene) == []
    assert service.retriever.search(scene).answerable is True
    # the drug joined to another combination's abbreviation; that abbreviation alone is not the drug's combination
    assert lexicon.combinations_named("retreated w/ dara-Kd") == ["d-kd"]
    assert lexicon.combinations_named("retreated with Kd") == []
    assert service.retriever.search("abdallah - mPFS for pts retreated w/ dara-kd?").refused_by == "cohort_scope_check"
    response = service.ask("In the Abdallah review, how many naive patients got pomalidomide plus dexamethasone "
                           "with daratumumab?")
    check_response(response, letter)
    assert response.passages[0].highlight.startswith("D-Pd:")


def test_a_sequence_of_two_drugs_is_read_as_the_letters_compound(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's rows "Daratumumab-Daratumumab", "Daratumumab-Isatuximab": however a question writes the order."""
    lexicon = service.index.lexicons[DOC]
    assert lexicon.read_sequences("dara then dara") == "daratumumab-daratumumab"
    assert lexicon.read_sequences("daratumumab-then-daratumumab") == "daratumumab-daratumumab"
    assert lexicon.read_sequences("dara->isa vs isa → dara") == "daratumumab-isatuximab vs isatuximab-daratumumab"
    assert lexicon.read_sequences("dara followed by isatuximab") == "daratumumab-isatuximab"
    assert lexicon.read_sequences("dara then pom") == "dara then pom"  # no such compound in the letter
    # a subgroup the baseline table counts and the results table gives no PFS for
    question = "EMMY median PFS for the dara-then-dara sequence specifically?"
    assert service.retriever.search(question).refused_by == "cohort_scope_check"
    assert service.ask("How many EMMY patients received dara then dara?").answerable is True


def test_questions_are_not_kept_in_memory_by_the_highlight_cache(service) -> None:  # type: ignore[no-untyped-def]
    """Only the letter's quotes are memoised: a stream of distinct questions must not grow the cache."""
    from qa.retrieve import _quote_words

    service.ask("What was the ORR in the Abdallah study?")
    before = _quote_words.cache_info().currsize
    for n in range(3):  # the same passages, so no new quote; only the question's text differs
        service.ask("What was the ORR in the Abdallah study?" + "?" * (n + 1))
    assert _quote_words.cache_info().currsize == before


@pytest.mark.parametrize(("question", "study", "start"), [
    ("Which study found a median OS of 47.4 months after retreatment?", "Tan et al (2024)",
     "At a median follow-up duration of 53.9 months"),
])
def test_the_rarer_words_asked_outweigh_a_row_group_repeating_common_ones(  # type: ignore[no-untyped-def]
        service, question: str, study: str, start: str) -> None:
    """A row group repeats common words ('median OS', 'retreatment') in every label path, and BM25 counts each
    repeat; term coverage counts a term once, by its rarity, so the passage holding the rarer words asked
    (the value 47.4) comes first."""
    top = service.ask(question).passages[0]
    assert (top.study, top.highlight[:len(start)]) == (study, start)
    off = _without(service, term_coverage=False, learned_ranker=False).search(question).passages[0]
    assert not off.highlight.startswith(start)


def test_what_the_studies_give_medians_of_is_an_outcome(service) -> None:  # type: ignore[no-untyped-def]
    """Tan, Abdallah and Szabo et al give a "median follow-up duration" in their sentences; Talbot et al (EMMY)
    give none, so a follow-up asked of them is refused, and of Tan et al answered."""
    assert "follow-up" in service.retriever.outcome_stems
    assert "time" not in service.retriever.outcome_stems  # "median time to first response": everyday English
    asked = "whats the median f/u in the EMMY study?"
    assert service.ask(asked).answerable is False
    assert _without(service, outcome_scope_check=False).search(asked).answerable is True
    assert service.ask("What was the median follow-up duration in the Tan et al retreatment study?").answerable is True


@pytest.mark.parametrize(("question", "rule"), [
    ("What ORR did Ciardiello et al report for dara-based second line therapy?", "study_scope_check: orr"),
    ("How many patients were in the Atrash chart review?", "listed_paper_check: atrash"),
    ("Which years did the Atrash study cover?", "dates_scope_check"),
    # Asked beside its reference, a number is still not in the entry.
    ("How many patients were in the Nooka paper cited in the references?", "listed_paper_check: nooka"),
    # So are its findings, though a poster's title in the question makes it read as a reference asked for.
    ("What did the Kim et al poster conclude about the role of daratumumab retreatment?", "listed_paper_check: kim"),
    # What it recommends, reports or says is what it found; named by its meeting, it is named once.
    ("What did Kim et al recommend in their 2019 International Myeloma Workshop poster?", "listed_paper_check: kim"),
    # "when" in what it asks ("when daratumumab was started") asks no date of the paper
    ("What did the Atrash review find for response when daratumumab was started later?", "listed_paper_check: atrash"),
])
def test_a_paper_the_letter_only_lists_is_judged_by_its_reference_entry(  # type: ignore[no-untyped-def]
        service, question: str, rule: str) -> None:
    """References 7-10 are other relevant literature: no section reports them, so the letter says only what
    their entries say. "chart review" names Abdallah et al by common words; Atrash names the listed paper."""
    assert service.retriever.listed_papers["ciardiello"].endswith("references/7")
    assert service.retriever.search(question).refused_by == rule
    assert _without(service, listed_paper_check=False).search(question).answerable is True


@pytest.mark.parametrize("question", ["Where was the Kim et al poster presented?",
                                      # where or when it was shown is its entry's, not a finding
                                      "At which meeting was the Kim poster on practical considerations shown?",
                                      "What journal published Atrash et al?",
                                      "Reference for the Nooka paper on dara-Pd and retreatment?"])
def test_a_listed_papers_entry_still_answers_what_it_says(service, question: str) -> None:  # type: ignore[no-untyped-def]
    found = service.retriever.search(question)
    assert found.answerable is True and found.passages[0].chunk.kind == "references"


def test_a_listed_paper_named_by_its_author_is_boosted_as_a_named_study(service) -> None:  # type: ignore[no-untyped-def]
    """Its first author names its entry as an author names a study: the study words around the name
    ("daratumumab retreatment in refractory myeloma") fit Abdallah et al's entry as well."""
    question = ("Hi, for our review of daratumumab retreatment in refractory myeloma, which journal carried the "
                "Nooka study?")
    assert service.retriever.search(question).passages[0].chunk.id == service.retriever.listed_papers["nooka"]


def test_an_outcome_a_named_study_never_reports_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Talbot et al (EMMY) report no safety data: 'infection' is an outcome word of the letter (a row of
    Souren's Safety tables), and none of Talbot's passages uses it. 'Adverse events' the letter defines (AEs),
    so it is refused as a defined term, outcome words or not."""
    # (Asked "with anti-CD38 retreatment", the cohort check refuses it too: "retreatment" scopes results.)
    question = "Which infections did Talbot et al report in the EMMY study?"
    assert "infect" in service.retriever.outcome_stems
    assert service.ask(question).answerable is False
    assert _without(service, outcome_scope_check=False).search(question).answerable is True
    defined = "Which adverse events did Talbot et al report with anti-CD38 retreatment?"
    assert _without(service, outcome_scope_check=False).search(defined).answerable is False
    # The same words asked of a study that reports them stay answerable.
    assert service.ask("Which adverse events did Souren et al report with DARZALEX retreatment?").answerable is True


def test_not_refractory_is_the_letters_non_refractory(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The letter writes "non-refractory" (a PFS row of EMMY); a question says "not refractory"."""
    question = "EMMY: PFS when the disease was not refractory to anti-CD38"
    assert "non-refractori" in service.retriever.analyse(question).terms
    assert "non-refractory" in service.retriever.search(question).passages[0].highlight
    monkeypatch.setattr(type(service.index.lexicons[DOC]), "negated_compounds", lambda self, text: [])
    assert "non-refractory" not in service.retriever.search(question).passages[0].highlight


@pytest.mark.parametrize("question", ["What was the median follow up in EMMY?",
                                      "what was the median followup in the emmy study",
                                      "tan mPFS dara refractory vs non refractory at start of retreatment"])
def test_an_outcome_the_letter_hyphenates_counts_written_apart(service, monkeypatch, question: str) -> None:  # type: ignore[no-untyped-def]
    """EMMY gives no follow-up, Tan no PFS of non-refractory patients; "follow up", "followup" and "non
    refractory" are the letter's "follow-up" and "non-refractory", outcome words the named study lacks."""
    assert service.retriever.search(question).refused_by.startswith("study_scope_check")
    assert service.ask("What was the median follow up in the Tan study?").answerable is True
    assert service.index.lexicons[DOC].closest_spelling("followup") == "follow-up"
    monkeypatch.setattr(service.retriever, "_outcomes_apart", lambda query, lexicon: [])
    monkeypatch.setattr(type(service.index.lexicons[DOC]), "closest_spelling", lambda self, word: None)
    # (the cohort check may still refuse it: "dara refractory" is a group Tan et al only count)
    assert not (service.retriever.search(question).refused_by or "").startswith("study_scope_check")


def test_a_prefixed_describing_word_is_no_result(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """EMMY's results rows say "non-refractory" patients, its baseline "Refractory PI: No": a count of patients
    not refractory to a PI is a baseline row, not a result asked of a subgroup the results never name."""
    question = "How many EMMY patients were non-refractory to a proteasome inhibitor?"
    cohorts = service.retriever.cohorts
    assert "non-refractori" not in cohorts.results and "non-sensit" in cohorts.results
    found = service.retriever.search(question)
    assert found.answerable is True and found.passages[0].highlight.startswith("Refractory PI, n (%) › No")
    monkeypatch.setattr(cohorts, "results", cohorts.results | {"non-refractori"})
    assert service.retriever.search(question).refused_by == "cohort_scope_check"


def test_a_prefix_the_letter_only_writes_joined_is_named_by_its_spelling(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """'Tri-' of EMMY's "Tri-refractory" is an outcome word whose stem is also that of "trying": an everyday
    question about Szabo's aim is not an outcome Szabo lacks. Spelled as the letter spells it, it still is,
    and a whole word the letter only writes joined ("DARZALEX/Nivolumab") still counts by its stem."""
    everyday = "What was the Szabo paper trying to find out?"
    assert service.retriever.bound_parts["tri"] == frozenset({"tri"})
    assert service.ask(everyday).answerable is True
    assert service.ask("How many Szabo patients were tri-refractory?").answerable is False
    assert service.ask("How many patients in Szabo got nivolumab?").answerable is False
    monkeypatch.setattr(service.retriever, "bound_parts", {})
    assert service.retriever.search(everyday).refused_by == "study_scope_check: tri"


def test_a_measure_asked_by_initials_the_letter_never_writes_is_judged_by_its_phrase(service) -> None:  # type: ignore[no-untyped-def]
    """The letter never writes 'DOR' or 'TTNT': Abdallah et al give a 'duration of response' (for their
    DARZALEX-naive cohort, not after retreatment) and Szabo et al a 'time to next treatment' in their results,
    Talbot et al and Tan et al neither. Asked of those two, the initials are a measure the study does not
    report."""
    initials = service.retriever.measure_initialisms[DOC]
    assert initials["dor"] == "duration of response" and initials["ttnt"] == "time to next treatment"
    for refused, answered in [
        ("What median DOR did Talbot et al report for anti-CD38 retreatment?",
         "What median DOR did Abdallah et al report for the DARZALEX-naive cohort?"),
        ("What was the median TTNT in the Tan retrospective study?",
         "What was the median TTNT in the Szabo real-world study?"),
    ]:
        assert service.ask(refused).answerable is False, refused
        assert _without(service, measure_initialisms=False).search(refused).answerable is True, refused
        assert service.ask(answered).answerable is True, answered


@pytest.mark.parametrize(("unreported", "reported"), [
    ("EMMY: R-ISS stage distribution of the retreated patients?", "EMMY: ISS stage distribution?"),
    ("How many patients in the Tan study had R-ISS stage III disease?", "Abdallah: R-ISS stage III patients n?"),
])
def test_an_abbreviation_told_apart_by_a_common_word_must_be_said(  # type: ignore[no-untyped-def]
        service, monkeypatch, unreported: str, reported: str) -> None:
    """R-ISS is the revised International Staging System: its rarer words are ISS's, so a study giving ISS
    seemed to spell R-ISS out. Where two abbreviations share their rarer words, all their words count."""
    assert service.retriever.search(unreported).refused_by.startswith("study_scope_check")
    assert service.ask(reported).answerable is True
    monkeypatch.setattr(service.retriever, "_ambiguous_expansions", set())
    assert service.retriever.search(unreported).answerable is True


def test_a_number_of_a_term_a_study_only_announces_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Souren et al name duration of response (DUR) among their secondary endpoints, in their Study Design, and
    report no figure for it: a number asked of it is outside the letter, whether it was measured is not.
    Abdallah et al give it in their Efficacy bullets."""
    words = service.retriever._study_words("souren-2025")
    assert "dur" in words.stems and "dur" not in words.reported
    asked = "Souren et al: how long was the median DUR?"
    assert service.ask(asked).answerable is False
    assert _without(service, figures_scope_check=False).search(asked).answerable is True
    assert service.ask("Did Souren et al look at duration of response as an endpoint?").answerable is True
    assert service.ask("What median DUR did Abdallah et al report for the DARZALEX-naive cohort?").answerable is True
    # A term reported under another abbreviation of the same words: Szabo et al's tables write "D-mono", their
    # design "Dmono", both "DARZALEX monotherapy".
    szabo = service.retriever._study_words("szabo-2022")
    assert "dmono" not in szabo.reported and "d-mono" in szabo.reported
    assert service.ask("How many Szabo patients had DARZALEX monotherapy as their index regimen?").answerable is True


def test_a_plural_abbreviation_and_a_clipped_grade_are_the_letters_words(service) -> None:  # type: ignore[no-untyped-def]
    """The letter defines PI (proteasome inhibitor), and "gr 3" is read as grade 3 by the grade analysis: neither
    "PIs" nor "gr" is a topic the letter lacks. A word that only looks like them still is."""
    lexicon = service.index.lexicons[DOC]
    assert "pi" in lexicon.abbreviations and "pis" not in lexicon.abbreviations
    plural = "How many patients had received two PIs before retreatment?"
    assert service.retriever.analyse(plural).unknown == ()
    graded = "How many retreated patients had gr 3-4 neutropenia?"
    assert service.retriever.analyse(graded).grades == frozenset({3, 4})
    assert service.retriever.analyse(graded).unknown == ()
    assert service.retriever.analyse("Which gr of patients got a dara retreatment?").unknown == ("gr",)
    glued = "How many retreated patients had gr3/4 neutropenia?"  # the number glued on
    assert service.retriever.analyse(glued).grades == frozenset({3, 4})
    assert service.retriever.analyse(glued).unknown == ()


def test_a_clipped_drug_name_is_read_as_the_letters_word(service) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons[DOC]
    assert lexicon.closest_spelling("dex") == "dexamethasone"
    assert lexicon.closest_spelling("pom") == "pomalidomide"
    assert lexicon.closest_spelling("med") is None  # common enough to mean something else
    question = "How many retreated patients got dara with carfilzomib and dex?"
    query = service.retriever.analyse(question)
    assert "dexamethasone" in query.topic and "dex" not in query.unknown
    assert service.ask(question).answerable is True  # refused while "dex" was an unknown topic word
    assert "dexamethasone" not in _without(service, correct_spelling=False).analyse(question).topic


def test_a_word_made_by_a_prefix_is_no_misspelling_of_the_rest(service) -> None:  # type: ignore[no-untyped-def]
    """"bispecific" is two edits from the letter's "specific", but a prefix makes another word: read as "specific",
    a question on bispecific antibodies became one on specific antibodies, which the letter mentions. One letter
    more is a slip ("pretreated" for the letter's "retreated")."""
    lexicon = service.index.lexicons[DOC]
    assert lexicon.closest_spelling("bispecific") is None
    assert lexicon.closest_spelling("pretreated") == "retreated"
    query = service.retriever.analyse("Abdallah et al: how many had a prior bispecific antibody?")
    assert "bispecific" in query.unknown and " specific " not in query.topic


def test_a_british_spelling_is_read_as_the_letters_american_one(service) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons[DOC]
    assert lexicon.closest_spelling("centres") == "centers"
    assert lexicon.closest_spelling("anaemia") == "anemia"
    assert lexicon.closest_spelling("labelled") == "labeled"  # the letter has "label"
    assert lexicon.closest_spelling("colour") is None  # the letter has no "color" to read it as
    question = "number of centres in the EMMY study"
    assert "centers" in service.retriever.analyse(question).topic
    assert service.ask(question).passages[0].highlight.startswith("Study conducted in 73 centers in France")
    # Unread, "centres" (stem "centr") misses the letter's "centers" (stem "center"), and the passage on the
    # patients included outranks the one giving the centres.
    unread = _without(service, correct_spelling=False).search(question)
    assert not unread.passages[0].highlight.startswith("Study conducted in 73 centers")


def test_safety_asked_of_a_study_without_a_safety_section_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """'grade' and 'infection' are words only the letter's Safety rows use; Szabo et al have no Safety
    sub-section, Abdallah et al have one."""
    question = "How common were grade 3 or 4 infections in the Szabo real-world study?"
    assert {"grade", "infect"} <= service.retriever.outcome_stems
    assert service.ask(question).answerable is False
    # Szabo et al give no grade at all, so the grade check refuses it too; off, this measures the outcome check.
    assert _without(service, grade_scope_check=False).search(question).answerable is False
    assert _without(service, outcome_scope_check=False, grade_scope_check=False).search(question).answerable is True
    assert service.ask("How common was grade 3/4 neutropenia on retreatment in the Abdallah review?").answerable


def test_a_study_that_spells_a_term_out_is_asked_it_by_abbreviation(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's tables say 'immunomodulatory drug' and never 'IMiD' (which the letter defines elsewhere as
    'immunomodulatory agent'): the question asks what EMMY reports, so it stays answerable."""
    question = "What share of EMMY patients had prior IMiD exposure?"
    assert "imid" not in service.retriever._study_words("talbot-2025").stems
    assert service.ask(question).answerable is True
    # An abbreviation whose rarer words the named study lacks is still outside it.
    assert service.ask("What was the ORR in the EMMY study?").answerable is False


def test_a_one_letter_abbreviation_is_not_asked_of_a_study(service) -> None:  # type: ignore[no-untyped-def]
    """The letter defines Q (quartile); in chat, 'q' is a question."""
    assert service.index.lexicons[DOC].abbreviations.get("q") == "quartile"
    assert service.ask("quick q: how many EMMY patients were refractory to a PI?").answerable is True



def test_contractions_are_read_as_their_words(service) -> None:  # type: ignore[no-untyped-def]
    """'hadn't' was split into a topic word 'hadn' the letter lacks, and the question was refused."""
    question = "Were there patients who responded to retreatment although they hadn't responded to prior dara?"
    query = service.retriever.analyse(question)
    assert "hadn" not in query.content and "had not" in query.topic
    assert service.ask(question).answerable is True
    assert service.retriever.analyse("I'm a pharmacist: how many EMMY patients were penta-refractory?").topic \
        .startswith("how many EMMY")  # the courtesy aside is still read before the contraction


def test_who_the_question_is_for_is_courtesy_not_topic(service) -> None:  # type: ignore[no-untyped-def]
    """'hematologist' shares its stem with the letter's 'Hematologic' (a Safety row), so asked of EMMY it made
    the question look like a safety question EMMY does not answer."""
    question = "Quick question for a hematologist: how many EMMY patients were male?"
    query = service.retriever.analyse(question)
    assert "hematologist" not in query.topic
    assert service.ask(question).answerable is True
    assert _without(service, set_courtesy_aside=False).search(question).answerable is False


@pytest.mark.parametrize(("question", "asked"), [
    ("I'm a medical information agent handling a call from a hematologist: in Abdallah et al, how many retreated "
     "patients had lymphopenia of any grade?", "in Abdallah et al"),
    ("Hi, I'm a hem/onc pharmacist. Where was the Kim et al poster on daratumumab retreatment presented?", "Where"),
])
def test_a_self_introduction_naming_nothing_of_the_letter_is_set_aside(  # type: ignore[no-untyped-def]
        service, question: str, asked: str) -> None:
    """A clause saying who asks ("I'm a … agent handling a call from …:") is not what is asked: its words
    ("handling", a label topic; "pharmacist", a word the letter lacks) refused the question."""
    assert service.retriever.analyse(question).topic.startswith(asked)
    assert service.ask(question).answerable is True
    assert _without(service, set_courtesy_aside=False, close_passage_cosine=0.0).search(question).answerable is False
    # A clause naming something of the letter is kept: it may be what is asked.
    kept = "I'm looking at the EMMY study: what was the median OS?"
    assert service.retriever.analyse(kept).topic.startswith("I")



def test_were_after_a_comma_is_no_self_introduction(service) -> None:  # type: ignore[no-untyped-def]
    """"we're" needs its apostrophe: "…, were counted toward the 49 (36." had been set aside as who asks."""
    question = "Which FISH abnormalities, and at what cutoff, were counted toward the 49 (36.3) high-risk in EMMY?"
    assert "were counted toward" in service.retriever.analyse(question).topic
    assert "we're at" not in service.retriever.analyse("Hi, we're at a community clinic. What was the ORR in "
                                                       "Abdallah et al?").topic


def test_the_scene_set_before_a_question_is_not_what_it_asks(service) -> None:  # type: ignore[no-untyped-def]
    """'pharmacy', 'tumor' and 'week' (an outcome word of Souren's rows) are the scene, not the question:
    the sentences that ask are judged, when they name something of the letter themselves."""
    question = ("Pharmacy resident here, building a slide comparing the dara retreatment studies for our tumor board "
                "next week. For Tan et al at MSK, what was the median number of prior lines at retreatment?")
    assert asked_sentences(question) == question.split(". ", 1)[1]
    query = service.retriever.analyse(question)
    assert query.unknown == () and "week" not in query.content
    found = service.retriever.search(question)
    assert found.answerable is True and "Prior lines of therapy at retreatment" in found.passages[0].highlight
    assert _without(service, set_courtesy_aside=False).search(question).answerable is False
    # A scene with nothing asked after it, or a question asking nothing of the letter, is judged whole.
    assert asked_sentences("What was the ORR in EMMY? And in Tan?") is None
    assert service.retriever.analyse("My tumor board meets today. Is it?").content != ()


def test_a_rare_word_names_the_letter_by_a_rare_word_of_it(service) -> None:  # type: ignore[no-untyped-def]
    """'onc' (hem/onc) shares its stem with the letter's 'once', an everyday word: it names nothing of the
    letter, while 'oncology' (a word of the reference list) does."""
    lexicon = service.index.lexicons[DOC]
    assert "onc" in lexicon.stems() and "onc" not in lexicon.rare_stems(4.5)
    assert not lexicon.anchored("hem/onc fellow")
    assert lexicon.anchored("oncology")


@pytest.mark.parametrize(("typed", "study"),
                         [("Szab", "szabo-2022"), ("Tann", "tan-2024"), ("Abdala", "abdallah-2023")])
def test_a_study_name_clipped_or_misspelt_names_the_study(service, typed: str, study: str) -> None:  # type: ignore[no-untyped-def]
    lexicon = service.index.lexicons[DOC]
    question = f"how many pts were included in the {typed} study?"
    query = service.retriever.analyse(question)
    assert query.studies == (study,) and query.anchored and not query.unknown
    assert lexicon.misspells_a_study(typed.lower())
    assert service.ask(question).answerable is True
    assert not lexicon.misspells_a_study("tank")  # an English word is not taken for a name


def test_a_compound_of_the_letter_written_apart_is_not_a_label_topic(service) -> None:  # type: ignore[no-untyped-def]
    """The letter writes 'high-dose melphalan'; typed 'high dose', the 'dose' read as a dosage question."""
    question = "How many Szabo patients had prior high dose melphalan with a transplant?"
    assert service.retriever.analyse(question).label_topics == ()
    assert service.ask(question).answerable is True
    assert service.retriever.analyse("What dose of daratumumab did Szabo et al use?").label_topics == ("dose",)


def test_a_word_of_a_name_the_letter_abbreviates_names_no_study(service) -> None:  # type: ignore[no-untyped-def]
    """Souren et al alone write "International Myeloma Working Group (IMWG)": its capitalised words are a
    term's, not a site's like "Freiburg", and "working" named Souren (so small talk about a chat "working"
    was read as asked of Souren et al)."""
    souren = next(p for p in service.index.lexicons[DOC].studies if p.id == "souren-2025")
    assert "working" not in souren.names and "freiburg" in souren.names


def test_the_web_pages_lines_after_the_reference_list_are_no_words_of_the_letter(service) -> None:  # type: ignore[no-untyped-def]
    """The text ends with the web page's "Endchat" and "Chat live" after reference 10: no part of the letter,
    so "chat" and "live" are not its words, and "Is this chat live?" names nothing it could answer."""
    lexicon = service.index.lexicons[DOC]
    assert not {"endchat", "chat", "live"} & lexicon.vocabulary
    assert service.retriever.search("Is this chat live?").refused_by == "names nothing of the letter"


def test_an_everyday_word_of_a_studys_heading_does_not_name_the_study(service) -> None:  # type: ignore[no-untyped-def]
    """'group' (Zipf 5.6) is in Souren's heading and no other study's, and named Souren: a question about
    Szabo's ABCDLP exposure group was asked of Souren, which never says ABCDLP, and refused."""
    lexicon = service.index.lexicons[DOC]
    assert "group" not in next(p for p in lexicon.studies if p.id == "souren-2025").names
    question = "What is the ABCDLP exposure group?"
    assert lexicon.detect_studies(question) == []
    assert service.ask(question).answerable is True
    assert lexicon.detect_studies("How were patients grouped in the Freiburg study?") == ["souren-2025"]


def test_a_studys_own_name_outweighs_an_everyday_word_of_another_studys_names(service) -> None:  # type: ignore[no-untyped-def]
    """"method" is among Tan et al's names (their "Kaplan-Meier Method"), "combinations" among EMMY's (its heading):
    a question naming Souren et al by Freiburg, or Tan et al by their author, is asked of that study alone."""
    lexicon = service.index.lexicons[DOC]
    assert "method" in next(p for p in lexicon.studies if p.id == "tan-2024").names
    freiburg = "In the Freiburg study, what statistical method was used to estimate PFS?"
    assert lexicon.detect_studies(freiburg) == ["souren-2025"]
    assert service.retriever.search(freiburg).refused_by == "statistic_scope_check: method"
    tan = "In the Tan cohort, how many of the other combinations included venetoclax?"
    assert lexicon.detect_studies(tan) == ["tan-2024"]
    assert service.retriever.search(tan).refused_by == "study_scope_check: venetoclax of a group"


def test_an_initialism_of_a_phrase_of_the_letter_is_read_as_the_phrase(service) -> None:  # type: ignore[no-untyped-def]
    """The letter writes 'congestive heart failure' and never 'CHF'; a reader writes CHF."""
    lexicon = service.index.lexicons[DOC]
    assert lexicon.initialisms["chf"] == "congestive heart failure"
    assert lexicon.initialisms["ttnt"] == "time to next treatment"
    question = "Was CHF a reason to stop daratumumab retreatment in any study?"
    query = service.retriever.analyse(question)
    assert "congestive heart failure" in query.expanded and "chf" not in query.unknown
    response = service.ask(question)
    assert response.answerable is True
    assert "congestive heart failure" in response.passages[0].highlight
    assert "mrd" not in lexicon.initialisms  # no phrase of the letter spells it


def test_a_baseline_characteristic_a_named_study_never_reports_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Souren's baseline table has no cytogenetics; EMMY's has. Grammar words of the results rows ('without')
    are not outcomes: asked of a study, they do not make it out of scope."""
    retriever = service.retriever
    assert "cytogenet" in retriever.outcome_stems and "without" not in retriever.outcome_stems
    question = "How many patients in the Souren cohort had high-risk cytogenetics?"
    assert service.ask(question).answerable is False
    # EMMY's cytogenetics row comes first, which the another-study-first check refuses on its own: it is off
    # too, so that this measures the outcome check alone.
    assert _without(service, outcome_scope_check=False, top_study_check=False).search(question).answerable is True
    assert service.ask("How many EMMY patients had high-risk cytogenetics?").answerable is True
    assert service.ask("How many EMMY patients were without high-risk cytogenetics?").answerable is True


def test_cohorts_and_subgroups_are_read_from_the_letters_tables(service) -> None:  # type: ignore[no-untyped-def]
    cohorts = service.retriever.cohorts
    assert {"os", "orr"} <= cohorts.results and "naiv" in cohorts.cohort_stems
    assert "r-iss" in cohorts.subgroup_stems
    # A compound is a subgroup ("D-Kd", "high-risk") unless it is a drug's name with everyday words.
    assert {"d-kd", "high-risk"} <= cohorts.subgroup_stems and "darzalex-bas" not in cohorts.subgroup_stems
    # A span of numbers a row stands for ('75-79, n (%)') is a subgroup; a single number ('2') is not.
    assert "75-79" in cohorts.subgroup_stems and "2" not in cohorts.subgroup_stems
    # A word an abbreviation spells out is a subgroup when no results statement names it (HRCA spells out
    # 'high-risk cytogenetic abnormality'); drugs, which results statements name (D-Pd spelled out), are not.
    assert "cytogenet" in cohorts.subgroup_stems and "pomalidomid" not in cohorts.subgroup_stems
    # A word every column of a table has tells none apart: Tan et al's "Initial DARZALEX-based Treatment" and
    # "DARZALEX-based Retreatment" are both "based".
    assert {"initi", "retreat"} <= cohorts.study_cohorts["tan-2024"] and "base" not in cohorts.study_cohorts["tan-2024"]
    assert service.ask("tan 2024 msk - mPFS after dara-based retreatment?").answerable is True


def test_a_term_the_letter_defines_in_brackets_is_one_of_its_abbreviations(service) -> None:  # type: ignore[no-untyped-def]
    """Inside parentheses the letter defines in brackets: '(hazard ratio [HR], 0.17; …)'. Abdallah et al and
    Szabo et al report hazard ratios; Tan et al do not, so a hazard ratio asked of them is outside the letter."""
    assert parenthetical_definitions("longer OS (hazard ratio [HR], 0.59; 95% CI)") == {"HR": "hazard ratio"}
    assert service.index.lexicons[DOC].abbreviations["hr"] == "hazard ratio"
    assert service.ask("Did Tan et al give a hazard ratio for PFS after DARZALEX retreatment?").answerable is False
    assert service.ask("Which hazard ratio for OS did Szabo et al report with DARZALEX retreatment?").answerable


def test_an_abbreviation_drawn_from_inside_its_words_is_defined(service) -> None:  # type: ignore[no-untyped-def]
    """'duration of response (DUR)' takes its U from inside 'duration', so word initials alone (D, O, R) do not
    spell it; nor do they a plural ('adverse events (AEs)'). Only Abdallah et al give a duration of response
    (for the DARZALEX-naive cohort): asked of Szabo et al it is outside the letter."""
    text = "endpoints: overall response rate (ORR), duration of response (DUR), adverse events (AEs)"
    assert parenthetical_definitions(text) == {
        "ORR": "overall response rate", "DUR": "duration of response", "AEs": "adverse events"}
    # Initials first: 'myeloma' alone spells M…M, but the initials of 'multiple myeloma' do.
    assert parenthetical_definitions("relapsed multiple myeloma (MM)") == {"MM": "multiple myeloma"}
    # Words only: no run across another bracket or numbers.
    assert parenthetical_definitions("Age (IQR) 2 (1-3) Prior lines of therapy at retreatment (IQR)") == {}
    lexicon = service.index.lexicons[DOC]
    assert lexicon.abbreviations["dur"] == "duration of response"
    # The abbreviation is added to a question spelling it out, though 'dur' begins 'duration'.
    assert "(DUR)" in lexicon.expand("What was the median duration of response?")
    assert service.ask("In Szabo et al, how long was the duration of response after retreatment?").answerable is False
    assert service.ask("What was the duration of response among DARZALEX-naive patients in the Abdallah chart review?"
                       ).answerable is True


@pytest.mark.parametrize(("unreported", "reported"), [
    # Abdallah et al report OS for the retreatment cohort only ('In the DARZALEX retreatment cohort: The median
    # OS was …'); their Efficacy Outcomes table sets both cohorts side by side for ORR and response.
    ("Abdallah et al: median overall survival of the DARZALEX-naive patients?",
     ["Abdallah et al: median overall survival of the retreated patients?",
      "Abdallah et al: ORR of the DARZALEX-naive patients?"]),
    # Sentence by sentence: their retreatment bullet names D-Kd in one sentence (the regimens of responders)
    # and gives the median PFS of the whole cohort in the next.
    ("Abdallah et al: median PFS of the patients retreated with D-Kd?",
     ["Abdallah et al: median PFS of the retreated patients?"]),
    # A subgroup (a row label of their baseline table): ORR by R-ISS stage is given, OS by R-ISS stage is not.
    ("Abdallah et al: median OS of the R-ISS stage III patients after retreatment?",
     ["Abdallah et al: ORR of the R-ISS stage III patients after retreatment?"]),
    # A subgroup no results statement of the letter names: Tan et al give high-risk cytogenetics at baseline
    # and PFS for the whole retreated cohort only.
    ("Tan et al: median PFS of the retreated patients with high-risk cytogenetics?",
     ["Tan et al: median PFS of the retreated patients?",
      "Tan et al: how many retreated patients had high-risk cytogenetics?"]),
    # A result by an abbreviation only another study defines (DUR, in Souren's Study Design), which Abdallah's
    # bullets spell out for the naive cohort alone; "retreatment", a word every study's results use, is the
    # scope of their other bullet ("In the DARZALEX retreatment cohort:"), so it names a cohort here.
    ("Abdallah et al: median DUR of the DARZALEX retreatment cohort?",
     ["Abdallah et al: median DUR of the DARZALEX-naive cohort?",
      "Abdallah et al: time to first response of the DARZALEX retreatment cohort?",
      "Abdallah et al: median OS of the DARZALEX retreatment cohort?"]),
    # ORR is a result, though Szabo et al's baseline table also describes patients by their response to the
    # index regimen: Souren et al give ORR by DARZALEX line, not by monotherapy or combination, and Szabo et al
    # none by index regimen.
    ("Souren et al: ORR of the patients retreated with DARZALEX monotherapy?",
     ["Souren et al: ORR of the first DARZALEX retreatment (D2)?",
      "Abdallah et al: ORR with retreatment versus the first DARZALEX-based line?"]),
    ("Szabo et al: ORR to the index regimen in the D-Vd cohort?",
     ["Szabo et al: how many patients had D-Vd as their index regimen?"]),
    # The Pd of D-Pd is not PD, progressive disease, which Abdallah et al's response rows give.
    ("Abdallah et al: median PFS of the patients retreated with D-Pd versus D-Kd?",
     ["Abdallah et al: how many patients had PD as best response after retreatment?"]),
    # A measure asked by an initialism the letter never writes is the letter's measure: DOR is its DUR, which
    # Abdallah et al give for the DARZALEX-naive cohort only.
    ("Abdallah et al: median DOR of the patients retreated with DARZALEX?",
     ["Abdallah et al: median DOR in the DARZALEX-naive cohort?"]),
    # A span of numbers a baseline row stands for is a subgroup: Talbot et al count patients aged 75-79 and give
    # OS for all patients only.
    ("Talbot et al: median OS of the patients aged 75-79 years?",
     ["Talbot et al: how many patients were aged 75-79 years?",
      "Talbot et al: median OS of all the patients?"]),
    # A row whose own label is one common word names a group too: Tan et al count their White patients, and
    # Abdallah et al their female ones; neither gives a result by race or sex.
    ("Tan et al: median PFS of the White patients on retreatment?",
     ["Tan et al: how many retreated patients were White?", "Tan et al: median PFS on retreatment?"]),
    ("Abdallah: ORR in female patients on retreatment?",
     ["Abdallah: how many female patients?"]),
    # So is an open-ended group, however written: Talbot et al count patients with ≥6 previous lines and give
    # OS for ≥2 middle lines, which is another group.
    ("Talbot et al: median OS of the patients with 6 or more previous lines of treatment?",
     ["Talbot et al: how many patients had 6 or more previous lines of treatment?",
      "Talbot et al: median OS of the patients with 2 or more middle lines?"]),
    # An open-ended group no table bounds is a group all the same: Talbot et al's age bands end at 75-79, 80-84
    # and ≥85, and they give PFS for all patients only.
    ("In EMMY, what was the median PFS in patients aged 75 years or older at retreatment?",
     ["In EMMY, what was the median PFS at retreatment?"]),
    ("Tan et al: ORR on retreatment for patients over 70?", ["Tan et al: ORR on retreatment?"]),
    # A regimen named by its parts but dexamethasone: Tan et al give no ORR by regimen. A regimen named where
    # the question sets its scene is no cohort asked.
    # A group by its size: Tan et al count 100 patients refractory at the start of retreatment and give no
    # result for them; Talbot et al give PFS for their 29 non-refractory patients (n=29), Szabo et al OS for
    # all their 474 (N=474).
    ("In Tan et al, what was the ORR among the 100 patients who were refractory at the start of retreatment?",
     ["What was the median PFS of the 29 EMMY patients not refractory to anti-CD38?",
      "Szabo et al: median OS of the 474 patients?"]),
    ("In Tan et al, what was the ORR for patients retreated with DARZALEX + pomalidomide specifically?",
     ["Pharmacist here, preparing a slide on DARZALEX + pomalidomide. In Tan et al, what was the ORR on retreatment?"]),
])
def test_a_result_asked_of_a_cohort_or_subgroup_that_does_not_report_it_is_refused(  # type: ignore[no-untyped-def]
        service, unreported: str, reported: list[str]) -> None:
    assert service.ask(unreported).answerable is False
    assert _without(service, cohort_scope_check=False).search(unreported).answerable is True
    for question in reported:
        assert service.ask(question).answerable is True, question


def test_an_open_ended_group_is_one_term_however_it_is_written() -> None:
    for text in ["≥6", "6 or more previous lines", "at least 6 lines", "6+ or more"]:
        assert thresholds(text) == {"atleast6"}, text
    assert thresholds("<65 years") == {"lessthan65"} and thresholds("aged 75 or older") == {"atleast75"}
    assert thresholds("aged 75 years or older") == {"atleast75"}  # the unit may stand between
    assert thresholds("2 prior lines or more") == {"atleast2"}
    assert thresholds("grade 3 or higher") == thresholds("Grade ≥3 anemia") == set()  # a grade, not a group
    assert thresholds("≥VGPR") == set()
    # "over" and "under" before a number bound it; elsewhere they are other words
    assert thresholds("pts aged over 70") == {"morethan70"} and thresholds("under 65 years") == {"lessthan65"}
    assert thresholds("PFS over time") == set()


def test_a_part_of_a_results_row_compound_is_a_result(service) -> None:  # type: ignore[no-untyped-def]
    """Souren et al's efficacy table gives the "Median number of DARZALEX-cycles": cycles are a result, which
    Abdallah et al never give. Tan et al speak of cycles only in their inclusion criteria: a question about them
    asks of the design, not of a cohort's results, and the cohort check leaves it be."""
    assert "cycl" in service.retriever.outcome_stems
    assert service.ask("Abdallah et al: median number of DARZALEX cycles at retreatment?").answerable is False
    assert service.ask("Souren et al: median number of DARZALEX cycles in the D2 line?").answerable is True
    design = "Minimum number of initial dara cycles required for inclusion at MSK?"
    assert service.ask(design).answerable is True
    held = service.retriever.cohorts.passages
    service.retriever.cohorts.passages = {
        **held, "tan-2024": [*held["tan-2024"], Statement({"cycl"}, False, frozenset(), frozenset())]}
    try:  # were "cycles" a result Tan et al report, the "initial" cohort would have to be named with it
        assert service.ask(design).answerable is False
    finally:
        service.retriever.cohorts.passages = held


def test_a_word_whose_wordnet_synonym_the_letter_uses_is_not_unknown(service) -> None:  # type: ignore[no-untyped-def]
    """The letter never says 'citation' but does say 'reference', a WordNet synonym of it: a question asking for
    a study's citation is answered, not refused for a word the letter lacks. A word with no synonym in the
    letter still counts against the question."""
    lexicon = service.index.lexicons[DOC]
    assert "citation" not in lexicon.vocabulary and lexicon.thesaurus["citat"] == "reference"
    question = "What is the citation for the retrospective chart review?"
    assert service.retriever.analyse(question).unknown == ()
    assert service.ask(question).answerable is True
    without = _without(service, wordnet_synonyms=False)
    assert without.analyse(question).unknown == ("citation",)
    assert without.search(question).answerable is False
    assert service.retriever.analyse("Is daratumumab retreatment studied in amyloidosis?").unknown == ("amyloidosis",)


def test_an_abbreviations_long_form_without_its_everyday_first_word_names_it(service) -> None:  # type: ignore[no-untyped-def]
    """Readers write "response rate" for the letter's "overall response rate (ORR)": the tail of a long form after
    an everyday first word names the abbreviation, unless another long form's word says which ("partial response
    rate") or the first word is a compound saying which kind ("high-risk" of HRCA). Read so, the response rate of
    a group Abdallah et al give none for is refused, as its ORR is."""
    lexicon = service.index.lexicons[DOC]
    assert "(ORR)" in lexicon.expand("Szabo: response rates with vs without retreatment?")
    assert "ORR" not in lexicon.expand("Partial response rate on retreatment in Abdallah et al?")
    assert "HRCA" not in lexicon.expand("How many had a cytogenetic abnormality in Tan et al?")
    asked = "Abdallah et al - response rate on retreatment among the patients with extramedullary disease?"
    assert service.retriever.search(asked).refused_by == "cohort_scope_check"
    lexicon._short_form_table = {}
    try:
        assert service.retriever.search(asked).refused_by is None
    finally:
        lexicon._short_form_table = None


def test_an_english_compound_is_read_as_the_letters_one_word_for_it(service) -> None:  # type: ignore[no-untyped-def]
    """WordNet files "back-to-back" with "consecutive", the word EMMY's rows use; a compound matches no word of the
    letter by its stem, so it is read as that word, hyphenated or written apart (three words: "in between", two,
    stays as written). EMMY gives median OS, not PFS, for a consecutive line."""
    lexicon = service.index.lexicons[DOC]
    assert lexicon.compounds["back-to-back"] == "consecutive"
    assert lexicon.read_compounds("lines given back to back") == "lines given consecutive"
    assert lexicon.read_compounds("lines in between") == "lines in between"
    asked = "EMMY - median PFS for back-to-back anti-CD38 lines?"
    assert service.retriever.search(asked).refused_by == "cohort_scope_check"
    assert _without(service, wordnet_synonyms=False).search(asked).refused_by is None
    given = "EMMY - median OS for back-to-back anti-CD38 lines?"
    assert "Median OS in patients with anti-CD38 in a consecutive line" in service.ask(given).passages[0].highlight


def test_a_row_its_group_passage_already_shows_gives_way_to_the_next_passage(service) -> None:  # type: ignore[no-untyped-def]
    """Talbot et al's 'Non-consecutive lines of anti-CD38' rows are also one row-group passage. Ranked below
    it, a row of it shows a reader nothing new: the next passage takes its place. Switched off, the rows fill
    the top 5 under their group. What is kept stays in its order."""
    question = "How many EMMY patients had a middle line between their anti-CD38 lines?"

    def repeated(passages: list[Passage]) -> int:
        shown: set[tuple[str | None, str]] = set()
        count = 0
        for p in passages:
            lines = {(p.chunk.table, q) for q in p.chunk.quotes or [p.chunk.text]}
            count += lines <= shown
            shown |= lines
        return count

    on = service.retriever.search(question, k=5).passages
    off = _without(service, distinct_passages=False).search(question, k=5).passages
    assert len(on) == 5 and repeated(on) == 0 and repeated(off) >= 2
    kept = [p.chunk.id for p in off if p.chunk.id in {q.chunk.id for q in on}]
    assert kept == [p.chunk.id for p in on][:len(kept)] and [p.rank for p in on] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("question", [
    "In Abdallah et al, what share of retreated patients reached a complete response or better?",
    "Abdallah chart review: CR or better after DARZALEX retreatment?",
])
def test_a_comparison_asked_finds_the_row_whose_label_makes_it(service, question: str) -> None:  # type: ignore[no-untyped-def]
    """Abdallah et al's Efficacy Outcomes table has a 'CR' row and a '≥CR' row. Both labels are wholly named by
    'CR or better', so the label share alone ties them; the comparison the question asks picks '≥CR'."""
    top = service.retriever.search(question).passages[0].chunk
    assert top.row == ["≥CR"], top.text


def test_a_characteristic_a_baseline_table_names_in_one_word_is_demanded_of_the_study(service) -> None:  # type: ignore[no-untyped-def]
    """'Race', 'Sex' and 'Gender' label baseline rows though they are everyday words: Abdallah et al list no
    race, Tan et al do, and Souren et al list sex as "Gender", a WordNet synonym the letter also uses."""
    unreported = "Abdallah et al: what was the race of the patients?"
    assert service.retriever.search(unreported).refused_by == "study_scope_check: race"
    # Another study's race row also comes first: both checks must be off for it to be answered.
    assert _without(service, outcome_scope_check=False, top_study_check=False).search(unreported).answerable is True
    assert service.ask("Tan et al: what was the race of the patients?").answerable is True
    assert service.ask("Souren et al: how many patients of each sex?").answerable is True
    assert service.index.lexicons[DOC].kin["sex"] == ["gender"]


def test_a_value_of_a_one_word_characteristic_asks_for_it(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """'Male' and 'White' are values under the Sex and Race rows: Szabo et al list neither sex nor male, so how
    many of their patients were male is not given; EMMY list 'Male' under 'Sex', so 'female' is theirs to give."""
    unreported = "What proportion of the 474 patients in the Szabo study were male?"
    assert service.retriever.search(unreported).refused_by == "study_scope_check: male"
    assert service.retriever.characteristics["male"] == {"male", "sex", "gender"}
    assert service.ask("How many patients in EMMY were female?").answerable is True
    assert service.ask("How many male patients were in the Abdallah study?").answerable is True
    monkeypatch.setattr(service.retriever, "characteristics", {
        k: v for k, v in service.retriever.characteristics.items() if k in ("sex", "gender", "race")})
    assert service.retriever.search(unreported).refused_by != "study_scope_check: male"


def test_an_adjective_asks_for_the_characteristic_it_pertains_to(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """WordNet's "racial" pertains to race, which only Tan et al's baseline table gives."""
    assert service.index.lexicons[DOC].pertains["racial"] == ["race"]
    unreported = "Can you give me the racial makeup of the Souren cohort?"
    assert service.retriever.search(unreported).refused_by == "study_scope_check: racial"
    assert service.ask("What was the racial makeup of the Tan retreated patients?").answerable is True
    monkeypatch.setattr(service.retriever, "characteristics", {
        k: v for k, v in service.retriever.characteristics.items() if k != "racial"})
    assert service.retriever.search(unreported).answerable is True


@pytest.mark.parametrize(("unreported", "reported"), [
    # Only Tan et al report race, and Abdallah et al sex: a named study's boosted passages lose to theirs.
    ("Talbot et al: how many of the patients were Black?", "Tan et al: how many patients were White?"),
    ("Souren et al: how many patients were Asian?", "Tan et al: how many patients were Asian?"),
    ("Szabo et al: what proportion of patients were female?", "Szabo et al: median age of the patients?"),
])
def test_a_named_study_whose_passages_lose_to_another_studys_does_not_answer(  # type: ignore[no-untyped-def]
        service, unreported: str, reported: str) -> None:
    """The first passage of a question naming a study by a name of its own is another study's: refused. The
    same topic asked of the study that reports it is answered. (A value of a characteristic the study does
    not list, "Black" or "female", is refused by the scope check as well: both are off.)"""
    without = _without(service, top_study_check=False, outcome_scope_check=False)
    found = without.search(unreported)
    assert found.answerable is True and found.passages[0].chunk.study_id not in found.studies
    assert service.ask(unreported).answerable is False
    answered = service.retriever.search(reported)
    assert answered.answerable is True and answered.passages[0].chunk.study_id in answered.studies


@pytest.mark.parametrize("question", ["Is this an advertisement?", "Is this a marketing document?",
                                      "Which company is this information from?",
                                      "What is the purpose of this document?"])
def test_this_before_a_noun_for_a_piece_of_writing_asks_about_the_letter(  # type: ignore[no-untyped-def]
        service, question: str) -> None:
    """'this document', 'this information', 'is this an advertisement', in a question naming nothing else of
    the letter, point at the letter: its disclaimer answers. Without that reading the question names nothing
    of the letter and is refused."""
    assert service.retriever.analyse(question).intents == ("disclaimer",)
    found = service.retriever.search(question)
    assert found.answerable is True and found.passages[0].chunk.section == "Disclaimer"
    assert _without(service, read_self_reference=False).search(question).answerable is False


@pytest.mark.parametrize("question", ["Is this covered by insurance?", "How much does this cost?",
                                      "Can this be given at home?", "What is the price of this medicine?"])
def test_this_before_anything_else_is_not_the_letter(service, question: str) -> None:  # type: ignore[no-untyped-def]
    """'this' before a verb or a noun that is no piece of writing points at something the letter does not
    say (the drug, most often): the question still names nothing of the letter."""
    assert service.retriever.analyse(question).intents == ()
    assert service.ask(question).answerable is False


@pytest.mark.parametrize("question", ["hey is this chat working? how's your day going",
                                      "Is this conversation private?"])
def test_this_before_a_conversation_is_the_chat_not_the_letter(service, question: str) -> None:  # type: ignore[no-untyped-def]
    """A chat or a conversation is spoken, no piece of writing: 'this chat' is the widget a reader types into,
    and small talk about it names nothing of the letter (before, it was answered with the disclaimer)."""
    assert "disclaimer" not in service.retriever.analyse(question).intents
    assert service.retriever.search(question).refused_by == "names nothing of the letter"


def test_this_beside_something_the_letter_names_is_not_the_letter(service) -> None:  # type: ignore[no-untyped-def]
    question = "What does this letter say about PFS in the EMMY study?"
    assert "disclaimer" not in service.retriever.analyse(question).intents
    assert service.retriever.search(question).passages[0].chunk.section != "Disclaimer"


@pytest.mark.parametrize(("question", "reference"), [("who wrote the EMMY paper", 1),
                                                     ("Who wrote the Tan study?", 3)])
def test_who_wrote_a_study_asks_its_reference(service, question: str, reference: int) -> None:  # type: ignore[no-untyped-def]
    """'Who wrote' a study asks for its authors, which its reference entry gives; 'who wrote this' asks the
    letter's account of itself, its disclaimer."""
    assert service.retriever.analyse(question).intents == ("references",)
    first = service.retriever.search(question).passages[0].chunk
    assert first.kind == "references" and first.citations == [reference]
    assert service.retriever.analyse("Who wrote this?").intents == ("disclaimer",)


@pytest.mark.parametrize(("undated", "dated"), [
    ("Abdallah et al: which years did the chart review cover?", "Talbot et al: which years did the study cover?"),
    ("Szabo et al: between which dates were the patients treated?",
     "Souren et al: over what period were the patients treated?"),
])
def test_dates_asked_of_a_study_that_gives_none_are_refused(  # type: ignore[no-untyped-def]
        service, undated: str, dated: str) -> None:
    """Talbot, Souren and Tan et al give the dates their patients were treated; Abdallah and Szabo et al give
    no calendar date at all."""
    assert service.retriever.analyse(undated).dates is True
    assert service.ask(undated).answerable is False
    assert _without(service, dates_scope_check=False).search(undated).answerable is True
    assert service.ask(dated).answerable is True
    assert service.retriever.analyse("Abdallah et al: how many patients were treated?").dates is False


@pytest.mark.parametrize("status", [
    "Is the Souren study still recruiting patients?",
    "Are any upcoming trials of daratumumab retreatment planned in Europe?",
    "Were any terminated studies of daratumumab retreatment left out of the letter?",
    "Is a prospective trial of DARZALEX retreatment planned or ongoing to confirm the retrospective findings?",
    "When will the next EMMY analysis come out?",
])
def test_where_a_study_stands_now_is_refused(service, status: str) -> None:  # type: ignore[no-untyped-def]
    """The letter reports what was published: it says of no study whether it is recruiting, ongoing or planned."""
    assert service.retriever.analyse(status).status is True
    assert service.retriever.search(status).refused_by == "status_scope_check"
    assert _without(service, status_scope_check=False).search(status).refused_by != "status_scope_check"


def test_a_trial_said_after_its_status_is_not_asked_where_it_stands(service) -> None:  # type: ignore[no-untyped-def]
    """The status may follow the trial ("a trial … planned or ongoing"), but a study's patients "ongoing" on
    treatment, several words on, are no study's status."""
    assert service.retriever.analyse("Is a phase 3 study of retreatment underway?").status is True
    assert service.retriever.analyse(
        "In the EMMY cohort study, how many patients were ongoing on treatment?").status is False


@pytest.mark.parametrize("guideline", [
    "What do the IMWG guidelines say about a second course of daratumumab?",
    "Is there a consensus statement on rechallenging with anti-CD38 antibodies?",
])
def test_what_a_guideline_says_is_refused(service, guideline: str) -> None:  # type: ignore[no-untyped-def]
    """The letter reports studies; "guidelines" is a word of its notice declining to recommend practice
    guidelines off the label, which reports none."""
    assert service.retriever.search(guideline).refused_by == "guideline_scope_check"
    assert _without(service, guideline_scope_check=False).search(guideline).refused_by != "guideline_scope_check"
    endorse = "Can J&J endorse practice guidelines for dara retreatment that are off label?"
    assert service.retriever.analyse(endorse).guideline is False and service.ask(endorse).answerable is True


def test_which_institutions_asks_names_a_count_or_a_country_does_not_give(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY ran in "73 centers in France": how many centers, and in which country, it says; which hospitals
    they were, it does not. Tan et al name Memorial Sloan Kettering Cancer Center."""
    hospitals = "Which hospitals made up the EMMY study's centers in France?"
    assert service.retriever.search(hospitals).refused_by == "study_scope_check: institution"
    most = "Which of the 73 centers in the EMMY study enrolled the most patients?"
    assert service.retriever.search(most).refused_by == "study_scope_check: institution"
    assert service.ask("How many centers took part in the EMMY study?").answerable is True
    assert service.ask("In which country was the EMMY study done?").answerable is True
    assert service.ask("Which hospital did the Tan et al study come from?").answerable is True
    assert _without(service, outcome_scope_check=False).search(hospitals).refused_by != "study_scope_check: institution"


def test_a_compound_of_a_studys_names_names_it(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Abdallah et al's "chart review" is two of its names: hyphenated, it still names the study; "anti-CD38"
    names none, "anti" being no name of Abdallah et al's, whose "CD38" is."""
    question = "How long were the chart-review patients followed after the second course?"
    assert service.retriever.analyse(question).studies == ("abdallah-2023",)
    assert service.ask(question).answerable is True
    assert service.retriever.analyse("How many anti-CD38 retreated patients were there?").studies == ()
    monkeypatch.setattr(Lexicon, "names_in", staticmethod(lambda tokens, profile: tokens & profile.names))
    assert service.retriever.analyse(question).studies == ()


def test_a_status_word_of_something_else_is_no_study_status(service) -> None:  # type: ignore[no-untyped-def]
    for question in ("Were patients with ongoing toxicity excluded from the study?",
                     "Which patients were enrolled in the Talbot cohort?"):
        assert service.retriever.analyse(question).status is False
    assert service.ask("Which patients were enrolled in the Talbot cohort?").answerable is True


@pytest.mark.parametrize(("check", "unreported", "reported"), [
    # Souren et al give PFS at 6, 9, 12 and 24 months; "2-year" is their 24 months, "6-mo" their 6.
    ("landmark_scope_check", "Souren et al: what was the 18-month PFS of the first retreatment?",
     "Souren et al: what was the 2-year PFS of the first DARZALEX treatment?"),
    ("landmark_scope_check", "Abdallah et al: what was the 12-month PFS after retreatment?",
     "Souren et al: what was the 6-mo PFS rate of the first retreatment?"),
    # Naming no study, a time point no study of the letter gives.
    ("landmark_scope_check", "What is the overall 5-year survival rate for multiple myeloma in the US?",
     "What was the 2-year PFS with daratumumab retreatment?"),
    # Souren et al grade anemia 1, 2 and 3, and leukopenia and thrombocytopenia "Grade 3/4" only.
    ("grade_scope_check", "Souren et al: how many D2 patients had grade 4 anaemia?",
     "Souren et al: how many D2 patients had grade 2 anaemia?"),
    ("grade_scope_check", "Souren et al: grade 2 thrombocytopenia in D1?",
     "Souren et al: grade 3-4 thrombocytopenia in D1?"),
    # A grade speaks of its own row: Souren et al's "Infection" row, under the graded thrombocytopenia rows, has
    # none, and the column heading all those rows share ("DARZALEX Retreatment") is no event.
    ("grade_scope_check", "Souren: grade 3/4 infections on retreatment?",
     "Souren: grade 3/4 thrombocytopenia on retreatment?"),
    # Abdallah et al give grade 3/4 together: "grade 3 or higher" is what they give, grade 4 alone is not.
    ("grade_scope_check", "Abdallah et al: how many retreated patients had grade 4 neutropenia?",
     "Abdallah et al: how many retreated patients had grade 3 or higher neutropenia?"),
    # The grade asked is that of the asking sentence, not the grades its scene quotes
    ("grade_scope_check", "Souren et al give anemia grades 1, 2 and 3. How many D2 patients had grade 4 anemia?",
     "Souren et al give anemia grades 1, 2 and 3. How many D2 patients had grade 2 anemia?"),
    # "All IRRs were of grade 1": Abdallah et al answer any grade of their IRRs (none was grade 3), not of an event
    # or of events in general
    ("grade_scope_check", "Abdallah et al: any grade 5 events in the retreated patients?",
     "abdallah irrs - any grade 3? what grade were they"),
    # A measure of time, in everyday words: only Szabo et al give a time to next treatment, only Abdallah et al a
    # time to (first) response.
    ("outcome_scope_check", "Abdallah et al: median time to next treatment after retreatment?",
     "Szabo et al: median time to next treatment?"),
    ("outcome_scope_check", "Tan et al: how long was the time to response on retreatment?",
     "Abdallah et al: median time to response on retreatment?"),
    # The time between two treatments: Tan et al give none; Abdallah et al a time to retreatment from the end of
    # the first line, Talbot and Souren et al a time between lines.
    ("outcome_scope_check", "Tan et al: how many months passed between the first DARZALEX line and retreatment?",
     "Abdallah et al: how many months passed between the first DARZALEX line and retreatment?"),
    ("outcome_scope_check", "In the Tan study, how long was the gap between first treatment and retreatment?",
     "Souren: how long was the gap between the first and second DARZALEX courses?"),
    # An event by the words of its abbreviation: only Abdallah et al give IRRs, "infusion-related reactions".
    ("outcome_scope_check", "Souren et al: how many patients had infusion reactions on retreatment?",
     "Abdallah et al: how many retreated patients had infusion reactions?"),
    # Souren and Tan et al test nothing; Szabo et al give a hazard ratio and P value for OS, none for their ORR.
    ("statistic_scope_check", "Souren et al: what was the P value comparing median PFS of D1 and D2?",
     "Szabo et al: was the OS benefit of DARZALEX retreatment significant?"),
    ("statistic_scope_check", "Tan et al: what was the P value for the ORR of retreatment vs first treatment?",
     "Abdallah et al: what was the hazard ratio for PFS in responders vs non-responders?"),
    ("statistic_scope_check", "Szabo et al: what was the P value for the ORR with vs without retreatment?",
     "Szabo et al: what was the P value for median OS by index regimen?"),
    # A hazard ratio needs a statement giving one: Szabo et al give a P value for OS across index regimens only.
    ("statistic_scope_check", "Szabo et al: what was the hazard ratio for OS of the D-Vd vs the D-Rd index regimen?",
     "Szabo et al: what hazard ratio for OS went with DARZALEX retreatment?"),
])
def test_a_time_point_grade_statistic_or_measure_the_study_does_not_give_is_refused(  # type: ignore[no-untyped-def]
        service, check: str, unreported: str, reported: str) -> None:
    assert service.ask(unreported).answerable is False
    assert _without(service, **{check: False}).search(unreported).answerable is True
    assert service.ask(reported).answerable is True


def test_landmarks_are_read_in_months_and_only_before_an_outcome(service) -> None:  # type: ignore[no-untyped-def]
    assert landmarks("2-year OS rate and 6-mo PFS") == {24, 6}
    assert landmarks("one year PFS, two-year OS rate and six month PFS") == {12, 24, 6}
    assert service.retriever.search("Tan 2024: one year PFS for the retreatment cohort?").refused_by == \
        "landmark_scope_check: 12 months"
    assert landmarks("relapsed 10 months after D-Rd, over a 3-month period, a PFS of about 5 months") == set()


def test_grades_are_read_as_the_sets_they_span() -> None:
    assert grade_sets("Grade 3/4 and grade 1 events; all grades") == {frozenset({3, 4}), frozenset({1})}
    assert grades("gr 3-4 anemia") == grades("grades 3 and 4") == grades("grade 3 or 4") == {3, 4}
    assert grades("grade ≥3") == grades("grade 3 or higher") == grades("grade III+") == {3, 4, 5}
    assert grades("any grade anemia, high-grade lesions, an upgrade 2 years on") == set()


def test_a_drug_class_the_letters_drug_names_carry_is_no_unknown_word(service) -> None:  # type: ignore[no-untyped-def]
    """The letter never writes "antibody", but its daratumumab and isatuximab carry the WHO name stem -mab
    (monoclonal antibodies): "a CD38 antibody" is its "anti-CD38"."""
    question = "How many patients in the French registry went back on a CD38 antibody after isatuximab?"
    assert "antibody" not in service.retriever.analyse(question).unknown
    assert Lexicon({}, {}, [], {"daratumumab", "bortezomib"}).class_words() >= {"antibody", "monoclonal", "proteasome"}
    assert "antibody" not in Lexicon({}, {}, [], {"lenalidomide", "dexamethasone"}).class_words()
    assert Lexicon({}, {}, [], {"lenalidomide"}).unknown_terms("Was a CD38 antibody given?") == ["cd38", "antibody"]


def test_the_drugs_class_names_the_letter(service) -> None:  # type: ignore[no-untyped-def]
    """A question in everyday words but for the drug's class ("the antibody") names the letter's drug."""
    question = "Will the company endorse giving the antibody again in a way the label doesn't cover?"
    assert service.retriever.analyse(question).anchored is True
    assert service.ask(question).answerable is True
    assert Lexicon({}, {}, [], {"daratumumab"}).anchored("Was the antibody given again?") is True
    assert Lexicon({}, {}, [], {"lenalidomide"}).anchored("Was the antibody given again?") is False


def test_a_clipped_word_of_the_letter_is_no_unknown_word(service) -> None:  # type: ignore[no-untyped-def]
    """Chat clips words: "quad" begins the letter's "Quadri-refractory" (and "quadruple"), "cytogen" its
    "cytogenetics"; a word beginning none of its words stays unknown."""
    lexicon = Lexicon({}, {}, [], {"quadri-refractory", "cytogenetics"})
    assert lexicon.unknown_terms("quad refractory patients with high risk cytogen?") == []
    assert lexicon.unknown_terms("quadrilateral cyto?") == ["quadrilateral"]
    question = "How many EMMY patients were quad-refractory?"
    assert service.retriever.analyse(question).unknown == ()


def test_an_everyday_word_tagged_with_a_letter_is_a_name_of_its_own(service) -> None:  # type: ignore[no-untyped-def]
    """"CAR-T" is no car and no "t" of the letter's "t(4;14)"; "B-cell" and "T-cell" are the letter's "cell"."""
    lexicon = Lexicon({}, {}, [], {"t", "cell", "d-rd"})
    assert lexicon.unknown_terms("how many had CAR-T?") == ["car-t"]
    assert lexicon.unknown_terms("B-cell or T-cell counts in D-Rd?") == []
    question = "abdallah - of the post-BCMA pts, how many had CAR-T vs a bispecific?"
    assert service.retriever.search(question).refused_by == "unknown words: car-t, bispecific"



def test_a_role_and_its_field_before_here_say_who_asks(service) -> None:  # type: ignore[no-untyped-def]
    """"Haematology nurse specialist here -": a field ("haematology") EMMY never writes is who asks, not the topic."""
    question = "Haematology nurse specialist here - how many centres took part in the EMMY cohort?"
    assert service.retriever.analyse(question).topic == "how many centers took part in the EMMY cohort?"
    assert service.retriever.search(question).answerable is True
    assert service.retriever.analyse("infusion rxns in pts retreated with D-Kd").topic == \
        "infusion reactions in patients retreated with D-Kd"
    attending = "Hem/onc attending here, tumor board tmrw - when was this document last updated?"
    assert service.retriever.analyse(attending).topic == "tumor board tomorrow - when was this document last updated?"


def test_a_rearrangement_the_letter_writes_in_cytogenetic_notation_is_named_by_its_words(service) -> None:  # type: ignore[no-untyped-def]
    """Tan et al and Szabo et al write t(4;14), del(17p) and 1q+: "which translocations or deletions" asks them."""
    assert cytogenetic_words("t(4;14), t(14;16) or del17p; 1q+") == {
        "translocation", "translocations", "deletion", "deletions", "gain", "gains"}
    assert cytogenetic_words("at 10% of 14 patients; 17 days") == set()
    question = "Which translocations or deletions made someone high risk by FISH in the Szabo paper?"
    assert service.retriever.analyse(question).unknown == ()
    assert service.retriever.search(question).answerable is True


def test_combinations_named_as_alternatives_are_asked_of_a_study_giving_either(service) -> None:  # type: ignore[no-untyped-def]
    """"Dara with a PI like Velcade or Kyprolis" reads as D-Vd or D-Kd: Souren et al give the first (their
    DARZALEX/PI row, bortezomib), not the second. Named alone, D-Kd is still not theirs."""
    either = "Souren second dara re-challenge (D3): how many had dara with a PI like Velcade or Kyprolis?"
    assert service.retriever.search(either).answerable is True
    assert service.retriever.search("Souren D3: how many had dara with Kyprolis?").refused_by == \
        "study_scope_check: d-kd, kd"


def test_where_a_study_was_done_is_refused_of_a_study_that_names_no_site(service) -> None:  # type: ignore[no-untyped-def]
    # Abdallah et al call theirs a single-center chart review and name no center; Szabo et al name none either.
    # Tan et al name Memorial Sloan Kettering Cancer Center, Souren et al the University of Freiburg, EMMY France.
    unnamed = "At which institution was the Abdallah single-center chart review conducted?"
    result = service.retriever.search(unnamed)
    assert result.refused_by == "study_scope_check: site"
    assert service.retriever.search("In which country and at which centers was the Szabo study conducted?"
                                    ).refused_by == "study_scope_check: site"
    named = service.ask("Which hospital did the Tan analysis come from?")
    assert named.answerable is True and any("Memorial Sloan Kettering" in p.text for p in named.passages)
    assert service.ask("How many centers took part in the EMMY study?").answerable is True
    # where a paper was presented or published is its reference entry's, not where the study was done
    assert service.ask("Where was the Abdallah study published?").answerable is True
    assert _without(service, outcome_scope_check=False, close_passage_cosine=0.0).search(unnamed).answerable is True


def test_a_table_whose_columns_are_one_cohort_reports_for_that_cohort_only(service) -> None:  # type: ignore[no-untyped-def]
    """Abdallah et al's TEAE table has eight columns, all of the retreated patients (by regimen and grade): it
    gives no adverse events of the DARZALEX-naive cohort, though their efficacy table gives both cohorts. A
    sentence pointing to the table ("TEAEs reported in retreated patients are summarized in Table: …") reports
    nothing itself."""
    naive = "What TEAEs were reported in the DARZALEX-naive cohort of the Abdallah study?"
    assert service.retriever.search(naive).refused_by == "cohort_scope_check"
    assert service.ask("Hypertension in the Abdallah retreatment cohort, including the carfilzomib-based group?"
                       ).answerable is True
    assert service.ask("Abdallah et al: ORR in the DARZALEX-naive cohort?").answerable is True
    assert service.ask("Souren et al: anemia during the first DARZALEX treatment (D1)?").answerable is True
    assert _without(service, cohort_scope_check=False, close_passage_cosine=0.0).search(naive).answerable is True


def test_a_rate_is_held_only_by_the_columns_that_give_it(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Souren et al's 24-month PFS row leaves its D3 column a dash, and the 9-month PFS is a note of D3 alone:
    neither time point is given for the cohort the question asks, though the study gives both."""
    dash = "What was the 24-month PFS of the D3 group in Souren et al?"
    note = "Souren et al: 9-month PFS in D1?"
    for unreported in (dash, note):
        assert service.retriever.search(unreported).refused_by == "cohort_scope_check"
    assert service.ask("What was the 24-month PFS of the D2 group in Souren et al?").answerable is True
    assert service.ask("Souren et al: 9-month PFS in D3?").answerable is True
    # the note names D3, and so its column's heading, "Second DARZALEX Retreatment (D3, n=7)"
    assert service.ask("Souren et al: 9-month PFS in the D3 (second DARZALEX retreatment) group?").answerable is True
    assert service.ask("Souren et al: 12-month PFS in D3?").answerable is True  # "NR" is a value
    # the time point asked is the asking sentence's, not the one the scene before it names
    scene = "Souren et al reported 6-month PFS for the D3 second retreatment group; what was the 24-month PFS for D3?"
    assert service.retriever.search(scene).refused_by == "cohort_scope_check"
    cohorts = service.retriever.cohorts
    monkeypatch.setattr(cohorts, "passages", {study: [s._replace(absent=frozenset(), columns=frozenset())
                                                      for s in found] for study, found in cohorts.passages.items()})
    assert service.retriever.search(dash).answerable is True
    assert service.retriever.search(note).answerable is True


def test_an_illness_the_letter_does_not_name_is_a_topic_however_common(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """'Diabetes' is an everyday word in English, and so would pass as wording; WordNet files it under illness,
    and the letter names no such illness: the question is about something the letter does not cover."""
    question = "What is the first-line treatment for type 2 diabetes?"
    assert service.retriever.search(question).refused_by == "unknown words: diabetes"
    assert service.ask("What was the first-line treatment in the Souren study?").answerable is True
    monkeypatch.setattr(service.index.lexicons[DOC], "medical_nouns", frozenset())
    assert service.retriever.search(question).answerable is True


def test_a_graded_event_may_be_asked_in_the_words_that_define_it(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"Low lymphocyte counts" is lymphopenia ("an abnormally low number of lymphocytes", WordNet), which Abdallah
    et al give at grade 3/4: the grade asked is reported. ("Refractory", of the patients studied, is an outcome
    word too, and no graded line has it.)"""
    question = ("In Abdallah et al's chart review of DARZALEX-refractory patients, how many of those retreated had "
                "severe (grade 3-4) low lymphocyte counts?")
    assert service.retriever.search(question).answerable is True
    lexicon = service.index.lexicons[DOC]
    monkeypatch.setattr(lexicon, "thesaurus", {k: v for k, v in lexicon.thesaurus.items() if v != "lymphopenia"})
    assert service.retriever.search(question).refused_by == "grade_scope_check: grade 3/4"


def test_what_a_question_calls_a_study_is_no_topic(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"The French registry" is EMMY by what the asker calls it: "registry", a word the letter lacks, names the
    study and not something the letter would have to cover; "autograft" is then the one word allowed a question
    that names its study."""
    question = "How many French registry patients had a prior autograft?"
    lexicon = service.index.lexicons[DOC]
    assert lexicon.study_kinds(question) == {"registry"}
    assert lexicon.study_kinds("How many EMMY amyloidosis patients were there?") == set()  # an illness is a topic
    # and so is a measure's initialism the letter does not define
    mrd = "Souren: MRD negativity rate after dara re-treatment?"
    assert lexicon.study_kinds(mrd) == set() and lexicon.study_kinds(mrd.replace("MRD", "mrd")) == {"mrd"}
    assert service.retriever.search(mrd).refused_by == "unknown words: mrd, negativity"
    assert service.retriever.analyse(question).unknown == ("autograft",)
    assert service.retriever.search(question).answerable is True
    monkeypatch.setattr(Lexicon, "study_kinds", lambda self, question: set())
    assert service.retriever.search(question).refused_by == "unknown words: registry, autograft"


def test_a_word_that_names_no_thing_is_wording_however_rare(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"Combed" is rare in English and not the letter's word, but WordNet reads it only as a verb: it says how
    the databases were used, and the question asks for the literature search the letter reports. A rare noun
    the letter does not use ("copay") is still what a question is about."""
    question = "Which databases were combed to put this response together?"
    assert service.retriever.search(question).answerable is True
    assert service.retriever.search("Is there a copay card for DARZALEX FASPRO?").refused_by == "unknown words: copay"
    monkeypatch.setattr(service.index.lexicons[DOC], "wording", frozenset())
    # (without the allowance of one English word on the letter's apparatus, which answers it however read)
    assert _without(service, named_study_allowance=False).search(question).refused_by == "unknown words: combed"


def test_the_disease_a_study_is_of_is_no_figure_it_must_report(service) -> None:  # type: ignore[no-untyped-def]
    """RRMM is defined in Abdallah et al's design and never in their results: it names the patients studied, not
    a measure a number is asked of, as DUR would be."""
    question = "In the Abdallah RRMM chart review, how many days did patients take to respond at retreatment?"
    result = service.retriever.search(question)
    assert result.answerable is True, result.refused_by
    assert service.retriever.search("What was the median DUR in Souren et al?").answerable is False


def test_a_table_quoted_by_its_title_names_its_study(service) -> None:  # type: ignore[no-untyped-def]
    """"The Most Common TEAEs in DARZALEX Retreated Patients table" is Abdallah et al's: a question quoting it asks
    of that study, whose table gives no infections."""
    quoted = "In the Most Common TEAEs in DARZALEX Retreated Patients table, how many patients had an infection?"
    assert service.retriever.analyse(quoted).studies == ("abdallah-2023",)
    assert service.retriever.analyse("Table: PFS and OS Outcomes - median OS overall?").studies == ("talbot-2025",)
    assert service.retriever.analyse("What were the PFS and OS outcomes?").studies == ()
    assert service.retriever.search(quoted).answerable is False


@pytest.mark.parametrize("other", [
    "For EMMY patients given anti-CD38 in a consecutive line, what was the median PFS?",
    "In the PFS and OS Outcomes table, what median PFS did EMMY report with 2 or more middle lines?",
])
def test_a_group_a_results_table_gives_one_result_for_is_asked_another(  # type: ignore[no-untyped-def]
        service, other: str) -> None:
    """EMMY's PFS and OS Outcomes table gives OS, not PFS, for patients with anti-CD38 in a consecutive line or
    with ≥2 middle lines: a row's results are its label path's, not its title's, and the title quoted as a table
    asks nothing of its own."""
    assert service.retriever.search(other).refused_by == "cohort_scope_check"
    assert _without(service, cohort_scope_check=False).search(other).answerable is True
    given = other.replace("PFS", "OS")
    result = service.ask(given)
    assert result.answerable is True
    assert "OS" in result.passages[0].text
    assert service.ask("What was the EMMY median PFS in patients refractory to anti-CD38?").answerable is True


def test_a_group_is_read_in_either_word_order_and_from_a_compound(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's table gives the PFS, not the OS, of "patients refractory to anti-CD38": "anti-CD38-refractory" names
    that group too."""
    os_asked = "French EMMY cohort - median OS for the anti-CD38-refractory pts specifically?"
    assert service.retriever.search(os_asked).refused_by == "cohort_scope_check"
    assert _without(service, cohort_scope_check=False).search(os_asked).answerable is True
    assert service.ask(os_asked.replace("OS", "PFS")).answerable is True


def test_a_group_the_baseline_prose_counts_is_a_subgroup_of_that_study(service) -> None:  # type: ignore[no-untyped-def]
    """Tan et al count 119 DARZALEX-refractory patients of their 157 (100 at the start of retreatment) and give the
    median PFS of all 157; Abdallah et al's DARZALEX-refractory patients are their whole study."""
    assert service.retriever.cohorts.counted_groups["tan-2024"] == {"darzalex-refractori"}
    asked = "Tan: median PFS for the patients who were dara-refractory at the start of retreatment?"
    assert service.retriever.search(asked).refused_by == "cohort_scope_check"
    assert _without(service, cohort_scope_check=False).search(asked).answerable is True
    assert service.ask("What was the median PFS in Tan et al?").answerable is True
    assert service.ask("How many Tan patients were DARZALEX-refractory at the start of retreatment?").answerable
    assert service.ask("What was the ORR in DARZALEX-refractory patients in Abdallah et al?").answerable is True


def test_a_measure_asked_of_a_listed_paper_is_a_finding(service) -> None:  # type: ignore[no-untyped-def]
    """Nooka et al are in the reference list only: their ORR is a finding their entry does not give, while their
    entry itself is answered."""
    assert service.retriever.search("Nooka et al (ref 9): what ORR did daratumumab-refractory patients reach "
                                    "on DPd?").answerable is False
    assert service.ask("Which journal published the Nooka et al DPd paper?").answerable is True


@pytest.mark.parametrize("status", [
    "Is anyone conducting a prospective trial of daratumumab retreatment?",
    "When are results of further retreatment cohorts expected?",
    "When will the next update of the Szabo data be published?",
    "Has the Tan et al ASCO poster since been published as a full paper?",
])
def test_who_runs_a_study_now_and_when_results_are_expected_is_refused(  # type: ignore[no-untyped-def]
        service, status: str) -> None:
    assert service.retriever.analyse(status).status is True
    assert service.retriever.search(status).refused_by == "status_scope_check"
    assert service.retriever.analyse("What results did Szabo et al report for OS?").status is False
    assert service.retriever.analyse("Where was the Tan et al poster published?").status is False
    # which form the data has, its reference entry says
    for form in ["Was the Tan retreatment data a full paper or a meeting presentation?",
                 "Is the MSK (Tan) rechallenge data a full paper or only a meeting poster?"]:
        assert service.retriever.analyse(form).status is False and service.ask(form).answerable is True


def test_a_word_the_letter_writes_only_in_a_defined_term_is_another_term_before_another_word(  # type: ignore[no-untyped-def]
        service) -> None:
    """The letter writes "adverse" only in "adverse events (AEs)" and "treatment-emergent adverse event":
    "adverse chromosomal changes" asks high-risk cytogenetics, which EMMY reports, not adverse events, which it
    does not."""
    assert service.retriever.followers["advers"] == {"event"}
    changes = "Were many of the French EMMY patients carrying adverse chromosomal changes?"
    assert service.ask(changes).answerable is True
    assert service.retriever.search("What adverse events were reported in EMMY?").answerable is False
    service.retriever.followers = {}
    try:
        assert service.retriever.search(changes).answerable is False
    finally:
        service.retriever.followers = followers(service.index.chunks, service.retriever.outcome_stems,
                                                service.index.lexicons)


def test_the_literature_searchs_date_is_asked_where_an_everyday_word_names_a_study(  # type: ignore[no-untyped-def]
        service) -> None:
    """"review" is among Abdallah et al's names (their chart review), who give no dates; "the evidence review
    behind this response" with "databases searched" asks the literature search's date, which the letter gives."""
    asked = "How up to date is the evidence review behind this response - on what date were the databases searched?"
    assert service.retriever.analyse(asked).studies == ("abdallah-2023",)
    assert service.ask(asked).answerable is True
    assert service.retriever.search("Which years did the Abdallah chart review cover?").refused_by == (
        "dates_scope_check")


def test_the_time_from_diagnosis_to_retreatment_is_asked_of_a_study_that_gives_one(  # type: ignore[no-untyped-def]
        service) -> None:
    """Abdallah et al give the median time to retreatment from initial diagnosis; Tan et al give no interval."""
    tan = "Tan et al: median time from diagnosis to the start of retreatment?"
    assert service.retriever.search(tan).refused_by == "study_scope_check: time between treatments"
    assert service.ask("Abdallah et al: median time from diagnosis to retreatment?").answerable is True
    assert service.ask("Tan et al: median PFS, the time from retreatment to progression?").answerable is True


def test_a_characteristic_given_at_another_moment_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY gives age at retreatment with anti-CD38 and ISS at diagnosis; Souren et al give age at initial
    diagnosis."""
    assert service.retriever.moments["talbot-2025"]["age"] == {"retreat", "anti-cd38", "anti", "cd38"}
    emmy = "How old were EMMY patients, median age at diagnosis?"
    assert service.retriever.search(emmy).refused_by == "study_scope_check: age at diagnosis"
    assert _without(service, outcome_scope_check=False).search(emmy).answerable is True
    assert service.ask("What was the median age at retreatment with anti-CD38 in EMMY?").answerable is True
    # the moment by another of the label's words ("rechallenge" is not the letter's)
    assert service.ask("median age at anti-CD38 rechallenge in the French real-life cohort?").answerable is True
    assert service.ask("What was the median age at initial diagnosis in Souren et al?").answerable is True
    assert service.ask("EMMY: ISS stage at diagnosis?").answerable is True
    assert service.ask("What was the median age at baseline in EMMY?").answerable is True
    # Szabo et al's age is a note's: "At the time of diagnosis of multiple myeloma"; T0 is their own moment
    assert service.retriever.moments["szabo-2022"]["age"] >= {"diagnosi"}
    assert service.retriever.search("Szabo et al: median age at T0?").refused_by == "study_scope_check: age at T0"
    assert service.ask("Szabo et al: median age at diagnosis?").answerable is True


def test_a_statistical_method_is_asked_of_studies_that_name_one(service) -> None:  # type: ignore[no-untyped-def]
    """Tan et al name the Kaplan-Meier method; Souren et al name no statistical method."""
    souren = "Which statistical test did Souren et al use to compare ORR between D1 and D2?"
    assert service.retriever.search(souren).refused_by == "statistic_scope_check: method"
    assert _without(service, statistic_scope_check=False).search(souren).refused_by != "statistic_scope_check: method"
    assert service.retriever.search("Which method did Tan et al use to estimate PFS, Kaplan-Meier?").refused_by != (
        "statistic_scope_check: method")
    # what a hazard ratio was adjusted for is its model's, which Szabo et al do not give
    adjusted = "Which covariates was Szabo et al's hazard ratio for OS with DARZALEX retreatment adjusted for?"
    assert service.retriever.search(adjusted).refused_by == "statistic_scope_check: method"
    # … and asked in shorthand
    stats = "emmy: which stats method was used for the PFS and OS estimates?"
    assert service.retriever.search(stats).refused_by == "statistic_scope_check: method"


def test_a_group_counted_in_brackets_is_a_group_the_results_must_name(service) -> None:  # type: ignore[no-untyped-def]
    """"(n=145)" counts the 145 Daratumumab-Daratumumab patients of EMMY's baseline table, for whom its PFS and OS
    Outcomes table gives nothing; "(n=29)" is a group its rows give."""
    counted = "EMMY: median OS in the Daratumumab-Daratumumab retreatment group (n=145)?"
    assert service.retriever.search(counted).refused_by == "cohort_scope_check"
    assert service.ask("EMMY: median OS in patients sensitive to anti-CD38 (n=29)?").answerable is True


@pytest.mark.parametrize(("asked", "answered"), [
    ("EMMY's table gives OS for patients with 1 non-consecutive line; what was their median PFS?", False),
    ("Abdallah et al give a median duration of response for the naive cohort; what was it after retreatment?", False),
    ("EMMY gives PFS for patients refractory to anti-CD38; what was their median PFS?", True),
])
def test_a_scene_before_a_semicolon_names_no_result_asked_unless_the_question_names_none(  # type: ignore[no-untyped-def]
        service, asked: str, answered: bool) -> None:
    """What follows a semicolon is what is asked; when it names no result ("what was it"), the scene's result is."""
    assert service.ask(asked).answerable is answered


def test_who_asks_in_the_scene_is_no_result_asked(service) -> None:  # type: ignore[no-untyped-def]
    """A scene's result is asked when the question names none, but who asks is no result: "hematologist"
    shares its stem with Souren et al's "Hematologic" TEAEs, and a baseline count (R-MCI) was refused as
    that result asked of the retreated cohort."""
    question = ("Hello, staff hematologist here looking at frailty data. In the Freiburg retrospective, how many "
                "of the retreated patients were intermediate on the R-MCI?")
    assert service.retriever.search(question).refused_by is None
    assert service.retriever.search(question.replace("hematologist", "clinician")).refused_by is None


def test_who_asks_by_a_role_at_the_start_is_set_aside(service) -> None:  # type: ignore[no-untyped-def]
    """"Haematology fellow asking -": the field of who asks shares its stem with Souren et al's hematologic TEAEs,
    which EMMY does not report."""
    question = "Haematology fellow asking - in EMMY, did anti-CD38 refractoriness significantly change PFS?"
    assert service.retriever.analyse(question).topic.startswith("in EMMY")
    assert service.retriever.search(question).answerable is True
    assert _without(service, set_courtesy_aside=False).search(question).refused_by == "study_scope_check: hematolog"


def test_a_patients_scene_before_a_dash_is_not_what_is_asked(service) -> None:  # type: ignore[no-untyped-def]
    """"72F" is a 72-year-old woman, and her regimen (isa-Kd) is the scene: EMMY reports no Kd."""
    question = ("Seeing a 72F on isa-Kd who relapsed - in EMMY how were the anti-CD38 sequences split "
                "(dara then dara, isa/dara)?")
    query = service.retriever.analyse(question)
    assert "72-year-old woman" in query.topic and "kd" not in query.content
    assert asked_sentences(query.topic) == query.topic.split(" - ", 1)[1]
    assert service.retriever.search(question).answerable is True
    assert service.retriever.search("what was the ORR with isa-Kd in EMMY?").answerable is False


def test_what_the_letter_gives_said_before_a_dash_is_not_what_is_asked(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY give the median OS of a consecutive line and no PFS of it; a paper named in the scene is still named."""
    question = ("The EMMY PFS and OS table gives median OS for patients with anti-CD38 in a consecutive line - what "
                "was their median PFS?")
    assert asked_sentences(question) == "what was their median PFS?"
    assert service.retriever.search(question).refused_by == "cohort_scope_check"
    assert service.ask("The EMMY PFS and OS table gives median PFS for all patients - what was their median "
                       "OS?").answerable is True
    # judged by its reference entry, which gives no ORR
    listed = "The letter lists Atrash et al among other literature - what median PFS did that paper report?"
    assert service.retriever.search(listed).refused_by == "study_scope_check: pfs"


def test_a_place_and_a_kind_of_study_name_a_study(service) -> None:  # type: ignore[no-untyped-def]
    """"French" names EMMY only beside another word of the letter; "the French registry" is what a reader calls it."""
    lexicon = service.index.lexicons[DOC]
    question = "Tell me how many men were in the French registry."
    assert lexicon.study_kinds(question) == {"registry"} and lexicon.anchored(question)
    assert service.retriever.search(question).answerable is True
    assert not lexicon.anchored("Tell me about French wine.")


def test_melphalan_by_its_clinical_shorthand(service) -> None:  # type: ignore[no-untyped-def]
    question = "szabo cohort - prior high dose mel + ASCT, how many?"
    assert "high dose melphalan" in service.retriever.analyse(question).topic
    assert service.retriever.search(question).answerable is True


def test_words_the_letter_writes_hyphenated_or_qualified_are_read_as_it_writes_them(service) -> None:  # type: ignore[no-untyped-def]
    """An abbreviation's long form written open is the letter's hyphenated one; the words a row label qualifies
    with an initialism ("ECOG performance status") are that row's, asked without it: EMMY's "ECOG Score" row
    ranks first."""
    retriever = service.retriever
    assert "progression-free survival" in retriever.analyse("EMMY median progression free survival?").topic
    assert "infusion-related reactions" in retriever.analyse("infusion related reactions in Abdallah").topic
    assert "ECOG performance status" in retriever.analyse("performance status 2 to 3 in EMMY").topic
    assert retriever.analyse("ECOG performance status in EMMY").topic.count("ECOG") == 1
    emmy = "What share of EMMY patients had a performance status of two to three?"
    assert "ECOG" in service.ask(emmy).passages[0].text


def test_a_share_of_a_registrys_patients_asks_no_data_source(service) -> None:  # type: ignore[no-untyped-def]
    """"What proportion of French registry patients …" asks a share of EMMY's patients, not which registry."""
    share = "What proportion of French registry patients were in their late seventies?"
    assert service.retriever.search(share).answerable is True
    assert service.retriever.search("what registry did the EMMY data come from").refused_by == (
        "study_scope_check: data source")


def test_hep_is_hepatitis(service) -> None:  # type: ignore[no-untyped-def]
    assert "hepatitis B" in service.retriever.analyse("any hep B reactivation on dara retreatment?").topic


def test_mono_alone_is_monotherapy_and_a_chain_of_clipped_drug_names_is_spelled(service) -> None:  # type: ignore[no-untyped-def]
    """"dara mono" is DARZALEX monotherapy (Souren et al's row), not Szabo et al's "D-mono" label; "dara-pom-dex"
    is D-Pd, its clipped names spelled, as "dara pom dex" is."""
    retriever = service.retriever
    mono = "souren D2 - how many got dara mono at retreatment"
    assert "monotherapy" in retriever.analyse(mono).topic
    assert retriever.search(mono).answerable is True
    assert "D-mono" in retriever.analyse("szabo D-mono median OS").topic
    chained = retriever.analyse("How many patients in Tan et al were retreated with dara-pom-dex?").topic
    assert "dara-pomalidomide-dexamethasone" in chained
    assert "d-pd" in service.index.lexicons[DOC].combinations_named(chained)


def test_people_by_its_chat_shorthand(service) -> None:  # type: ignore[no-untyped-def]
    question = "sabo study - main reason ppl stopped their first dara regimen?"
    assert "people" in service.retriever.analyse(question).topic
    assert service.retriever.search(question).answerable is True


def test_a_route_in_lay_words_and_a_dose_beside_a_slash_are_label_topics(service) -> None:  # type: ignore[no-untyped-def]
    assert service.retriever.search("In Abdallah et al, was daratumumab given into a vein or under the skin?"
                                    ).refused_by == "label_topic_check: intravenously, subcutaneously"
    assert service.retriever.search("what dose/schedule of DARZALEX did Tan et al use for retreatment?"
                                    ).refused_by == "label_topic_check: dose/schedule"
    # an in-line filter is how the label has an infusion given
    assert service.retriever.search("Does isatuximab need an in-line filter for infusion?"
                                    ).refused_by == "label_topic_check: filter"


def test_when_the_letter_will_next_be_updated_is_where_it_stands(service) -> None:  # type: ignore[no-untyped-def]
    future = "When will this retreatment response next be updated?"
    assert service.retriever.analyse(future).status is True
    assert service.retriever.search(future).refused_by == "status_scope_check"
    assert service.ask("When was this retreatment response last updated?").answerable is True


def test_a_value_asked_apart_from_the_one_it_is_given_with_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Tan et al's efficacy table gives "sCR/CR" together; Abdallah et al give sCR on a row of its own."""
    assert {"scr", "cr"} <= service.retriever.combined["tan-2024"]
    tan = "Tan et al: what was the rate of sCR separately from CR at retreatment?"
    assert service.retriever.search(tan).refused_by == "study_scope_check: cr, scr alone"
    assert _without(service, outcome_scope_check=False).search(tan).refused_by is None
    assert service.ask("Abdallah et al: what was the rate of sCR specifically at retreatment?").answerable is True
    assert service.ask("Tan et al: how many retreated patients reached sCR/CR?").answerable is True


def test_a_characteristic_of_a_cohort_the_baseline_table_does_not_describe_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Souren et al describe the Total Cohort (D2 + D3) at baseline; their D1 patients are described nowhere."""
    assert service.retriever.cohorts.cohort_columns["souren-2025"]  # D1, D2, D3 of the outcome tables
    d1 = "What was the median age of the D1 patients (first DARZALEX treatment) in Souren et al?"
    assert service.retriever.search(d1).refused_by == "cohort_scope_check: baseline of d1"
    assert _without(service, cohort_scope_check=False).search(d1).refused_by != "cohort_scope_check: baseline of d1"
    assert service.ask("What was the median age of the D2 + D3 patients in Souren et al?").answerable is True
    assert service.ask("Souren et al: median age at initial diagnosis?").answerable is True
    # Abdallah et al's regimens table describes both cohorts, and EMMY's baseline table ("N=286") any
    assert service.ask("Abdallah: D-Vd in the DARZALEX-naive vs the retreated cohort?").answerable is True
    assert service.ask("EMMY: median age at retreatment of the patients sensitive to anti-CD38?").answerable is True


def test_a_cohort_word_of_another_study_is_wording(service) -> None:  # type: ignore[no-untyped-def]
    """"Discontinued" heads a column of Szabo et al's (their "Discontinued IR" patients); in Abdallah et al, whose
    Safety bullet gives the events that led to treatment discontinuations, it names no cohort."""
    assert "discontinu" in service.retriever.cohorts.study_cohorts["szabo-2022"]
    assert "discontinu" not in service.retriever.cohorts.study_cohorts["abdallah-2023"]
    assert service.ask("In Abdallah et al, which adverse events led to treatment discontinuation?").answerable is True


def test_the_disclaimer_is_asked_by_name(service) -> None:  # type: ignore[no-untyped-def]
    """The letter never calls its opening paragraph a disclaimer; a reader does."""
    assert "disclaimer" in service.index.lexicons["darzalex-retreatment"].vocabulary
    result = service.ask("What does the disclaimer say this letter is not intended for?")
    assert result.answerable is True
    assert result.passages[0].kind == "disclaimer"


def test_a_definition_is_asked_of_studies_that_define_terms(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's passages define nothing (no "defined as", no criteria, no label set against its meaning); Szabo et
    al define high-risk aberrations, and Souren et al their D1, D2 and D3."""
    emmy = "How did the EMMY study define anti-CD38 refractory status?"
    assert service.retriever.search(emmy).refused_by == "study_scope_check: definition"
    assert _without(service, outcome_scope_check=False).search(emmy).refused_by != "study_scope_check: definition"
    assert service.ask("How did Szabo et al define high-risk cytogenetics?").answerable is True
    assert service.ask("How did Souren et al define D3?").answerable is True
    assert service.retriever.search("How did Talbot et al classify a patient as refractory?").refused_by == (
        "study_scope_check: definition")
    # what counted as something is how it was defined
    assert service.retriever.search("Which abnormalities did Talbot et al count as high-risk?").refused_by == (
        "study_scope_check: definition")
    assert service.ask("Which abnormalities counted as high-risk cytogenetics in the MSK poster?").answerable is True
    # what a group is made of, and how one group was told from another, are definitions too
    for asked in ["EMMY quadri-refractory - which four drugs does that refer to?",
                  "Which drug classes make up tri-refractory in the EMMY study?",
                  "EMMY penta-refractory = refractory to which five drugs?",
                  "How did EMMY decide who was sensitive to anti-CD38 - what cutoff?",
                  "What criteria did the EMMY team use to count a patient as responsive to anti-CD38?",
                  "How did the EMMY investigators decide whether a patient was still sensitive to anti-CD38?"]:
        assert service.retriever.search(asked).refused_by == "study_scope_check: definition", asked
    # whom a study's criteria call so is the term defined, of a study that defines other terms (Tan et al's HRCAs)
    called = "Tan MSK: what criteria did they use to label someone dara-refractory?"
    assert service.retriever.search(called).refused_by == "study_scope_check: definition of refractori"
    assert _without(service, outcome_scope_check=False).search(called).answerable is True
    assert service.ask("Szabo: what criteria did they use to call someone high risk?").answerable is True
    # what a study means by a term, or what counted as one, is its definition too
    assert service.retriever.search("EMMY - what do they mean by sensitive to anti-CD38?").refused_by == (
        "study_scope_check: definition")
    counted = "In Szabo's reasons for stopping the index regimen, what counted as 'insufficient response'?"
    assert service.retriever.search(counted).refused_by == "study_scope_check: definition of insuffici"
    for defined in ["In Szabo, what counted as high-risk FISH?", "In Tan, what is meant by high-risk cytogenetics?",
                    "Souren - what do they mean by D3?"]:
        assert service.ask(defined).answerable is True, defined
    assert service.ask("What cutoff did Szabo et al use to detect high-risk aberrations?").answerable is True
    assert service.ask("How did the EMMY study decide who to include?").answerable is True


def test_an_event_only_another_safety_section_reports_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Abdallah et al's Safety section reports treatment-related deaths and treatment discontinuations; Souren et
    al's is a TEAE table, which gives neither."""
    assert ("death", frozenset({"treatment", "treatment-rel", "relat"})) in service.retriever.safety.events
    deaths = "How many treatment-related deaths occurred in Souren et al's D2 group?"
    stopped = "How many patients discontinued DARZALEX due to adverse events in Souren et al?"
    assert service.retriever.search(deaths).refused_by == "study_scope_check: death"
    assert service.retriever.search(stopped).refused_by == "study_scope_check: discontinu"
    assert _without(service, outcome_scope_check=False).search(deaths).refused_by != "study_scope_check: death"
    assert service.ask("Were there any treatment-related deaths in Abdallah et al?").answerable is True
    # Abdallah et al give the discontinuations' causes, no number of them; "No … deaths" is a number
    assert service.retriever.safety.unnumbered["abdallah-2023"] == {"discontinu"}
    assert service.retriever.search("How many patients discontinued treatment in Abdallah et al because of "
                                    "neutropenia?").refused_by == "study_scope_check: number of discontinu"
    assert service.ask("How many treatment-related deaths were there in Abdallah et al?").answerable is True
    assert service.ask("Why did patients discontinue their index regimen in Szabo et al?").answerable is True
    assert service.ask("Souren et al: any-grade anemia with DARZALEX retreatment (D2)?").answerable is True


def test_a_number_asked_is_given_by_a_statement_with_figures(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """EMMY gives PFS for patients refractory to anti-CD38 in its table, and says in a sentence that OS did not
    differ by refractory status: no median OS of refractory patients is given."""
    median = "In EMMY, what was the median OS of patients refractory to anti-CD38?"
    assert service.retriever.search(median).refused_by == "cohort_scope_check"
    assert service.ask("In EMMY, did OS differ for patients refractory to anti-CD38?").answerable is True
    assert service.ask("In EMMY, what was the median PFS of patients refractory to anti-CD38?").answerable is True
    cohorts = service.retriever.cohorts
    monkeypatch.setattr(cohorts, "passages", {study: [s._replace(figured=True) for s in found]
                                              for study, found in cohorts.passages.items()})
    assert service.retriever.search(median).answerable is True


def test_a_confidence_interval_is_asked_where_one_is_printed(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's median OS of patients with anti-CD38 in a consecutive line is printed "22.3", with no interval; its
    median PFS of refractory patients comes with one."""
    alone = "What was the 95% CI of the median OS in EMMY patients with anti-CD38 in a consecutive line?"
    assert service.retriever.search(alone).refused_by == "cohort_scope_check"
    assert _without(service, cohort_scope_check=False).search(alone).refused_by != "cohort_scope_check"
    assert service.ask("What was the median OS in EMMY patients with anti-CD38 in a consecutive line?").answerable
    assert service.ask("EMMY: median PFS with 95% CI in patients refractory to anti-CD38?").answerable is True


def test_a_label_the_letter_never_gives_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Szabo et al label the line after discontinuation P1, and Souren et al their cohorts D1-D3: "P2" and "D4"
    are labels of the same kind the letter does not have, not typing."""
    assert {"d", "p", "t"} <= service.retriever.label_letters
    assert service.retriever.search("In Szabo, which regimens were used most often at P2?").refused_by == (
        "cohort_scope_check: no label P2")
    assert service.retriever.search("What was the ORR of D4 in Souren et al?").answerable is False
    assert _without(service, cohort_scope_check=False).search(
        "In Szabo, which regimens were used most often at P2?").refused_by != "cohort_scope_check: no label P2"
    assert service.ask("In Szabo, which regimens were used most often at P1?").answerable is True
    assert service.ask("abdalah chart review how many had asct b4 dara retreatment").answerable is True


def test_use_beyond_the_label_asks_the_letters_notice(service) -> None:  # type: ignore[no-untyped-def]
    """The summary's notice: the company cannot recommend practices that deviate from the product labeling."""
    question = "Will the company give advice on using the drug in ways that go beyond what the approved label says?"
    assert "summary" in service.retriever.analyse(question).intents
    response = service.ask(question)
    assert response.answerable is True
    assert "cannot recommend" in response.passages[0].text


def test_a_number_of_one_member_of_a_group_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """Tan et al name venetoclax only in the note on their "DARZALEX + other" regimens, and Szabo et al del17p only
    in their definition of high-risk aberrations: neither gives a count of its own."""
    members = service.retriever.members_only
    assert {"venetoclax", "selinexor"} <= members["tan-2024"] and "del17p" in members["szabo-2022"]
    venetoclax = "In Tan et al, how many retreated patients got DARZALEX plus venetoclax?"
    assert service.retriever.search(venetoclax).refused_by == "study_scope_check: venetoclax of a group"
    assert _without(service, outcome_scope_check=False).search(venetoclax).refused_by is None
    assert service.retriever.search("How many patients had del17p in Szabo et al?").answerable is False
    assert service.ask("What counted as 'DARZALEX + other' in Tan et al?").answerable is True
    assert service.ask("How many retreated patients got DARZALEX + other in Tan et al?").answerable is True
    # a member as a question writes it whole: Tan et al's "del(17p)" as del17p, "1q+" as 1q; one given in brackets as
    # an example of the group asked is not asked
    assert {"del17p", "1q"} <= members["tan-2024"]
    assert service.retriever.search("Tan high-risk group - how many had del17p?").refused_by == (
        "study_scope_check: del17p of a group")
    assert service.retriever.search("Tan et al: how many of the high-risk patients had gain of 1q?").refused_by == (
        "study_scope_check: 1q of a group")
    assert service.ask("Tan et al: proportion with high-risk cytogenetic abnormalities (1q gain etc)?").answerable




def test_a_count_no_row_gives_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    """EMMY's rows of previous lines of treatment are 2, 3, 4, 5 and ≥6: no patient count is given for 1."""
    assert (frozenset({"previous", "line", "treatment"}), frozenset({2, 3, 4, 5}), 6) in service.retriever.count_rows[
        "talbot-2025"]
    one = "In EMMY, how many patients had only 1 previous line of treatment?"
    assert service.retriever.search(one).refused_by == "cohort_scope_check: no row of 1 previous line of treatment"
    assert _without(service, cohort_scope_check=False).search(one).refused_by is None
    assert service.ask("In EMMY, how many patients had 3 previous lines of treatment?").answerable is True
    assert service.ask("In EMMY, how many patients had 7 previous lines of treatment?").answerable is True  # ≥6


@pytest.mark.parametrize(("near_miss", "reason", "switch", "look_alikes"), [
    # "BCMA-directed" asks BCMA, which only Abdallah et al give ("Post-BCMA exposure"); "D-Kd" is an abbreviation
    # itself, not its parts
    ("How many EMMY patients had prior BCMA-directed therapy?", "study_scope_check: bcma", "study_scope_check",
     ["In Abdallah et al, how many retreated patients had post-BCMA exposure?",
      "Abdallah: D-Kd in the DARZALEX-naive vs the retreated cohort?"]),
    # Souren et al collected their data from the clinic's documentation system; Szabo et al name no source
    ("Which national registry or database did Szabo et al use to identify the 474 patients?",
     "study_scope_check: data source", "outcome_scope_check",
     ["Where did Souren et al get their disease data from?", "Which databases were searched for this letter?"]),
    # Abdallah et al's note says some patients came from a clinical trial and names none; EMMY is a named study
    ("The DARZALEX/Nivolumab patients in Abdallah et al came from a clinical trial - which trial was it?",
     "study_scope_check: trial name", "outcome_scope_check", ["What kind of study was the EMMY trial?"]),
    # Souren et al count the patients alive (20 of 22) and Abdallah et al report no treatment-related deaths:
    # neither says what anyone died of; how many died, and whether anyone died of the treatment, they answer
    ("In Souren et al, what did the two patients who were not alive die of?", "study_scope_check: causes of death",
     "outcome_scope_check", ["How many of the Souren D2 + D3 patients had died?",
                             "Did anyone die because of the treatment in the Abdallah chart review?"]),
    # Souren et al count nonhematologic infections and Abdallah et al post-BCMA exposure, Szabo et al give toxicity as
    # a reason (11%): none says which; Abdallah et al name the events that led to discontinuation, Tan et al the
    # partner drugs of "other"
    ("Which infections did the Souren D1 patients get?", "study_scope_check: which infections",
     "outcome_scope_check", ["Which adverse events led to treatment discontinuation in Abdallah et al?",
                             "Which partner drugs make up the other category in the Tan regimen table?",
                             "How many Souren D1 patients had a nonhematologic infection?"]),
    # Souren et al give their exclusions as one figure ("Seventeen patients were excluded due to …")
    ("Of the seventeen patients excluded in Souren et al, how many had been on DARZALEX monotherapy?",
     "study_scope_check: breakdown of excluded patients", "outcome_scope_check",
     ["How many patients were excluded in Souren et al?"]),
    # Abdallah et al stage their patients by R-ISS (revised ISS) alone; EMMY give the ISS
    ("Abdallah et al give R-ISS stages - how many of their patients were ISS stage III?",
     "study_scope_check: iss apart", "outcome_scope_check",
     ["How many revised ISS stage III patients were in Abdallah et al?",
      "How many Abdallah et al patients were R-ISS stage III?", "How many EMMY patients were ISS stage III?"]),
    # Abdallah et al name the events that led to discontinuation and count none of them; Szabo et al count the
    # reasons patients stopped their index regimen
    ("How many patients in Abdallah et al discontinued retreatment because of neutropenia?",
     "study_scope_check: stops by cause", "outcome_scope_check",
     ["Which adverse events led to treatment discontinuation in Abdallah et al?",
      "What percentage discontinued the IR because of toxicity in Szabo et al?"]),
    # asked back of a figure the question quotes: "those toxicities" of Szabo et al's "toxicity (11%)"
    ("Szabo et al report 11% stopped the IR for toxicity - what were those toxicities?",
     "study_scope_check: which toxicities", "outcome_scope_check",
     ["What share of Szabo et al's patients discontinued their IR because of toxicity?"]),
    # EMMY counts the patients by 2, 3, 4, 5 and ≥6 previous lines and gives no median; Tan et al give one
    ("What was the median number of previous lines of treatment in EMMY?",
     "cohort_scope_check: no median number of previous lines", "cohort_scope_check",
     ["What was the median number of prior lines at retreatment in Tan et al?",
      "How many EMMY patients had 5 previous lines of treatment?"]),
    # EMMY counts its patients by anti-CD38 sequence and gives no result for any of them ("The choice of anti-CD38
    # … showed no difference"); the sequence is written in the drug's names, read as a question's are
    ("In EMMY, what was the median OS of the Daratumumab-Daratumumab group?", "cohort_scope_check",
     "cohort_scope_check", ["How many EMMY patients were retreated Daratumumab-Daratumumab?"]),
    # Szabo et al count the patients who stopped for toxicity (11%) and give no survival for them
    ("In Szabo et al, what was the median OS of the patients who stopped their IR for toxicity?",
     "cohort_scope_check", "cohort_scope_check",
     ["What was the median OS of the entire cohort in Szabo et al?",
      "What share of Szabo et al's patients discontinued their IR because of toxicity?"]),
    # EMMY give age at retreatment and ISS at diagnosis, and the ECOG score at no moment; Abdallah et al count the
    # time to retreatment from initial diagnosis
    ("Was the EMMY ECOG score taken at diagnosis or at retreatment?", "study_scope_check: diagnosis or retreatment",
     "outcome_scope_check", ["In EMMY, was age taken at diagnosis or at retreatment?",
                             "In Abdallah et al, was the time to retreatment counted from diagnosis or from the first "
                             "DARZALEX line?"]),
    # EMMY and Tan et al give no reason for anything but Tan et al's exclusion criteria; Szabo et al give why their
    # patients stopped the index regimen; why a study was done is its aim
    ("In EMMY, why did patients stop their previous anti-CD38 line?", "study_scope_check: reason",
     "outcome_scope_check", ["Why did people stop their first daratumumab regimen in Szabo et al?",
                             "Why were some patients left out of Tan's analysis?",
                             "Why was the EMMY study conducted?"]),
    # Souren et al excluded 17 patients and report the results of those they analysed
    ("In Souren et al, what was the ORR of the 17 excluded patients?",
     "study_scope_check: results of excluded patients", "outcome_scope_check",
     ["In Souren et al, how many patients were excluded, and why?", "What was the ORR of the Souren D2 patients?"]),
    # EMMY give no OS of refractory patients, but say whether refractoriness changed PFS or OS
    ("What was median OS in EMMY's anti-CD38-refractory patients?", "cohort_scope_check", "cohort_scope_check",
     ["Did being refractory to anti-CD38 change how long EMMY patients lived?"]),
    # A group named in the scene and referred back to by the asking sentence is asked
    ("EMMY retreated 19 patients with Isatuximab-Daratumumab. What median PFS did that group have?",
     "cohort_scope_check", "cohort_scope_check",
     ["EMMY retreated 19 patients with Isatuximab-Daratumumab. What was the median PFS of all anti-CD38-retreated "
      "patients?"]),
    # Szabo et al count their D-other index regimens ("DARZALEX in combination with other regimens") and list none of
    # them; Tan et al's note says what their "other" includes
    ("Which drugs were combined with daratumumab in the D-other cohort of Szabo et al?",
     "study_scope_check: members of other", "outcome_scope_check",
     ["What counted as 'DARZALEX + other' in Tan et al?",
      "What was the median OS of the D-other cohort in Szabo et al?",
      "Which regimen was most common at P1 in the D-other cohort of Szabo et al?"]),
    # No study says what its patients received once the retreatment failed; Szabo et al say what followed the index
    # regimen
    ("In EMMY, after progressing on anti-CD38 retreatment, what did patients receive next?",
     "study_scope_check: therapy after retreatment", "outcome_scope_check",
     ["In Szabo et al, after discontinuing the index regimen, what did patients receive next?",
      "What was the median PFS after anti-CD38 retreatment in EMMY?"]),
    # a least time off treatment required before retreatment, which no study states (Souren et al give the time
    # between their lines, Tan et al the least initial exposure)
    ("Tan MSK study: was a minimum daratumumab-free interval required before someone could be retreated?",
     "study_scope_check: time off required", "outcome_scope_check",
     ["What was the minimum prior dara exposure required for inclusion in the Tan study?",
      "In Souren, what was the median time between D1 and D2?"]),
    # a retreatment by its order past those a study numbers: Souren et al's D3 is the second, Szabo et al report
    # the first; a study numbering none reports one
    ("souren - did any of the D3 pts go on to a third dara re-challenge?", "study_scope_check: retreatment 3",
     "outcome_scope_check", ["Souren: ORR at the second dara retreatment?", "Tan - ORR at first retreatment?",
                             "Which study reported the response to a second retreatment?"]),
    ("What was the response to the second DARZALEX retreatment in the Szabo study?",
     "study_scope_check: retreatment 2", "outcome_scope_check", ["Szabo: response after the first retreatment?"]),
    # … the line after the retreatment line, asked without its failing
    ("Szabo - those retreated in P1, what did they get in the next line after that?",
     "study_scope_check: therapy after retreatment", "outcome_scope_check",
     ["Szabo: median time to next treatment in patients with dara retreatment?",
      "Szabo - of those who got a next line after the index regimen, how many were retreated with dara?"]),
    # Tan et al alone name a statistical method (Kaplan-Meier); Souren and Tan et al the response criteria (IMWG)
    ("How was PFS estimated in EMMY?", "study_scope_check: statistical method", "outcome_scope_check",
     ["How was PFS estimated in Tan et al?"]),
    ("Which response criteria did Abdallah et al use?", "study_scope_check: response criteria", "outcome_scope_check",
     ["Which response criteria did Souren et al use?"]),
    # Souren et al give their patients' R-MCI and never what the score is made of
    ("Which comorbidities go into the R-MCI score used by Souren et al?", "study_scope_check: score components",
     "outcome_scope_check", ["What does R-MCI stand for in Souren et al?",
                             "How many Souren et al patients were frail by R-MCI?"]),
    # the breakdown asked after the count the question quotes
    ("Souren et al excluded 17 patients - how many because of another combination partner vs because therapy had "
     "been stopped?", "study_scope_check: breakdown of excluded patients", "outcome_scope_check",
     ["How many patients did Souren et al exclude?"]),
    ("In Souren et al, what did the two patients who died pass away from?", "study_scope_check: causes of death",
     "outcome_scope_check", ["How many of the Souren D2 + D3 patients had died?"]),
    # how long responses lasted is the duration of response, which Szabo et al do not give
    ("In Szabo et al, how long did responses to DARZALEX retreatment last?", "study_scope_check: duration of response",
     "outcome_scope_check", ["In Abdallah et al, how long did responses last in the DARZALEX-naive cohort?"]),
    # Tan et al count their DARZALEX-refractory patients and define only high-risk cytogenetic abnormalities (HRCAs)
    # and their inclusion criteria; Souren et al divide their patients into subgroups
    ("How did Tan et al define DARZALEX-refractory?", "study_scope_check: definition of refractori",
     "outcome_scope_check", ["How did Tan et al define high-risk cytogenetic abnormalities?",
                             "How did Souren et al define their subgroups?",
                             "How many patients were DARZALEX-refractory in Tan et al?"]),
    # Souren et al announce the duration of response as a secondary endpoint and give no figure of it; Abdallah et
    # al give one, of their DARZALEX-naive cohort
    ("In Souren et al, how long did responses last at retreatment?", "study_scope_check: duration of response",
     "outcome_scope_check", ["Did Souren et al assess the duration of response?",
                             "What was the median duration of response in Abdallah et al's naive cohort?"]),
    ("How quickly did patients respond to retreatment in Tan et al?", "study_scope_check: time to response",
     "outcome_scope_check", ["What was the median time to first response at retreatment in Abdallah et al?"]),
    ("In the Tan study, how long did it take patients to respond after restarting daratumumab?",
     "study_scope_check: time to response", "outcome_scope_check",
     ["Abdallah: how long did it take patients to respond to retreatment?"]),
    # EMMY count no patients by what was given with the antibody at retreatment (only their exposure before); Tan et
    # al do
    ("In the French EMMY cohort, how many patients had pomalidomide as the partner drug at anti-CD38 retreatment?",
     "study_scope_check: partners", "outcome_scope_check",
     ["How many EMMY patients were exposed to pomalidomide?",
      "Tan: how many got dara with pomalidomide at retreatment?",
      "how many pts got two lines of anti CD38 combos in the french study"]),
    # a term of common words the letter abbreviates is asked by its abbreviation: no study defines its response
    # categories; a cutoff of one asks its definition (a data cut-off is a date)
    ("what counts as a partial response in Abdallah?", "study_scope_check: definition of pr", "outcome_scope_check",
     ["How did Tan et al define high-risk cytogenetic abnormalities?"]),
    ("Souren lists minor response - whats the M-protein drop cutoff for MR?", "study_scope_check: definition of mr",
     "outcome_scope_check",
     ["What was the data cutoff for the Sloan Kettering analysis?", "what does ORR mean in Tan?"]),
    # Tan et al name the abnormalities they count as high risk and count only the group; which was commonest
    # counts each
    ("Of the high-risk patients in Tan, which abnormality was the most common - 1q gain or del17p?",
     "study_scope_check: 1q, del17p of a group", "outcome_scope_check",
     ["In Szabo, what was the most common reason for stopping the first dara regimen?"]),
    # Tan et al give their PFS of the whole retreated cohort, not by regimen
    ("For the MSK retreatment cohort, what was median PFS in the patients retreated with dara-pom-dex specifically?",
     "cohort_scope_check", "cohort_scope_check", ["How many patients in Tan et al were retreated with dara-pom-dex?"]),
    # Souren et al give one cause for their 17 exclusions, not how many for each part of it
    ("Souren dropped 17 pts - how many for a new combo partner vs for having stopped therapy?",
     "study_scope_check: breakdown of excluded patients", "outcome_scope_check",
     ["Freiburg cohort: how many were dropped for not meeting the retreatment definition?"]),
    # Szabo et al say neither where nor at how many centers; Abdallah et al's "single-center" and EMMY's "73 centers"
    ("Did the Szabo data come from one hospital or several?", "study_scope_check: centers", "outcome_scope_check",
     ["Was the Abdallah study single-centre or multicentre?", "Was EMMY multicentre?"]),
    # Souren et al's baseline table is of the 22 retreated, not of all 293 treated
    ("What was the median age of all 293 DARZALEX-treated patients at Freiburg?",
     "cohort_scope_check: baseline of 293 patients", "cohort_scope_check",
     ["What was the median age of the 22 retreated patients in Souren et al?"]),
    # "progression free survival", written open, is the letter's progression-free survival, which Szabo et al do not
    # report
    ("Szabo - median progression free survival on the dara retreatment line?", "study_scope_check: pfs",
     "study_scope_check", ["median progression free survival in EMMY?"]),
    # "performance status" is what Szabo et al's row qualifies with ECOG; Tan et al give neither
    ("How fit were the patients in Tan's retreated cohort by performance status?", "study_scope_check: ecog",
     "study_scope_check", ["What share of EMMY patients had a performance status of two to three?"]),
    ("In Abdallah et al, how many patients went on to CAR-T after their DARZALEX retreatment?",
     "study_scope_check: therapy after retreatment", "outcome_scope_check",
     ["In Abdallah et al, how many retreated patients had post-BCMA exposure?"]),
    ("Why did the 2 patients in the Souren retreatment group die?", "study_scope_check: causes of death",
     "outcome_scope_check", ["How many patients in the Souren retreatment group were alive?"]),
    # Abdallah et al and EMMY count their high-risk patients and name no aberration; Tan and Szabo et al list theirs
    ("Which cytogenetic abnormalities counted as high risk in Abdallah et al?",
     "study_scope_check: cytogenetic aberrations", "outcome_scope_check",
     ["How did Tan et al define high-risk cytogenetic abnormalities?",
      "How many EMMY patients had high-risk cytogenetics (del17p, t(4;14))?"]),
    # No study explains a survival or a response; Szabo et al give the reasons their patients stopped
    ("Why did the D-other group do so badly in Szabo et al?", "study_scope_check: reason for a result",
     "outcome_scope_check", ["Why did people stop their first daratumumab regimen in Szabo et al?",
                             "What was the median OS of the D-other group in Szabo et al?"]),
    # Tan et al give reasons only for whom they excluded; Abdallah et al why patients stopped, and, in a note on its
    # row, why some received DARZALEX with nivolumab; Szabo et al why patients stopped the index regimen
    ("Why did patients in Tan et al stop their first DARZALEX-based regimen?",
     "study_scope_check: reason for stopping", "outcome_scope_check",
     ["What made patients stop treatment in the Abdallah et al retreated group?",
      "Why were some patients left out of Tan's analysis?"]),
    # how long patients stayed on a treatment: Souren et al give each line's duration, Szabo et al the index regimen's
    ("Abdallah et al: how long did patients stay on their first DARZALEX regimen?",
     "study_scope_check: time on treatment", "outcome_scope_check",
     ["Souren et al: how long did patients stay on their first DARZALEX retreatment?",
      "Szabo et al: median duration of the index regimen?",
      "In Abdallah et al, how long did responses last in the DARZALEX-naive cohort?"]),
    ("EMMY: how long were patients on their first anti-CD38 line?", "study_scope_check: time on treatment",
     "outcome_scope_check", ["EMMY: how long was the median duration between consecutive anti-CD38 lines?"]),
    # Souren et al name discontinuation only inside the reason they excluded seventeen patients
    ("Why did the Souren et al patients stop their first DARZALEX line?",
     "study_scope_check: reason for stopping", "outcome_scope_check",
     ["Why were seventeen patients excluded in Souren et al?",
      "What were the most common reasons for discontinuing the index regimen in Szabo et al?"]),
    # a figure of a measure asked without a number word, of a study that names it only as an endpoint
    ("Souren et al - duration of response for the retreatment group?",
     "study_scope_check: duration of response", "outcome_scope_check",
     ["Was duration of response an endpoint in Souren et al?",
      "Abdallah et al - DOR in the DARZALEX-naive cohort?"]),
    ("Why did so many patients in Abdallah et al get retreated with D-Kd?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["Why did some patients in Abdallah et al receive DARZALEX plus nivolumab?",
      "why are the D1 and D2 groups smaller in the Souren side-effect table, 20 and 21 instead of 22?",
      "What made people stop therapy in Abdallah et al's chart review of patients who were given DARZALEX again?"]),
    # a note on a row explains that row, not the rows its parent heads: EMMY's notes on its sequence rows do not
    # explain a choice of antibody, nor Souren et al's on their DARZALEX/PI row a therapy in between
    ("Why did some EMMY patients get the other CD38 antibody on retreatment instead of the same one?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["Why did some patients in Abdallah et al receive DARZALEX plus nivolumab?"]),
    ("Why did some Freiburg patients get a different therapy in between their DARZALEX lines?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["Did some Freiburg patients get a different therapy in between their DARZALEX lines?"]),
    ("In Szabo et al, why were some patients not rechallenged with DARZALEX after stopping their index regimen?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["In Szabo et al, why did patients stop their index regimen?"]),
    # the negation apart from the retreatment ("wasn't … retreated"), and "put back on" for retreated
    ("Szabo: why wasn't the other half of the cohort retreated with dara?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["Szabo: how many of the cohort were retreated with dara?"]),
    ("Szabo - why were some patients put back on dara and others not?",
     "study_scope_check: reason for a treatment", "outcome_scope_check",
     ["Szabo - how many patients were put back on dara?"]),
    # EMMY and Tan et al report no safety in any words; Szabo et al name toxicity as a reason for stopping
    ("Is there any toxicity data from the EMMY cohort?", "study_scope_check: safety", "outcome_scope_check",
     ["What share of Szabo et al's patients stopped their index regimen because of toxicity?",
      "What side effects were reported in Abdallah et al's retreated patients?"]),
    # a rate at a time point asked as a state at that time; Souren et al give PFS at 6, 9, 12 and 24 months
    ("What proportion of EMMY patients were still alive at twelve months?", "landmark_scope_check: 12 months",
     "landmark_scope_check", ["What proportion of Souren et al's D2 patients were progression-free at 12 months?",
                              "How many patients in the Souren retreatment group were alive?"]),
    # a median asked in shorthand ("mDUR") asks a figure, which Souren et al's design announces and never gives
    ("souren mDUR in D2?", "study_scope_check: dur", "figures_scope_check",
     ["abdallah mOS in the retreated cohort", "souren mPFS in D2",
      # … not what the short form stands for, nor an endpoint asked with "what's"
      "what does DUR stand for in Souren?", "what's DUR in the Souren secondary endpoints?"]),
    # Tan et al say whom they excluded (initial DARZALEX in the newly diagnosed setting) and never why; Souren et al
    # say why they excluded 17
    ("Why did Tan et al exclude patients who had their first DARZALEX in the newly diagnosed setting?",
     "study_scope_check: reason for an exclusion", "outcome_scope_check",
     ["Why were some patients left out of Tan's analysis?", "Why were 17 patients excluded from Souren et al?"]),
    # Szabo et al write "P1" and never say what it stands for; Souren et al bracket "D3" after its group
    ("What does P1 stand for in Szabo et al's regimen table?", "study_scope_check: meaning of P1",
     "outcome_scope_check", ["In Souren et al, what does the D3 group stand for?",
                             "What does T0 stand for in Szabo et al?",
                             "What does the Daratumumab-Isatuximab retreatment category mean in the EMMY table?"]),
    # a label quoted with its "other" in the middle; a group's compound written as two words
    ("In Szabo et al, which combinations made up the 'dara with other regimens' index group?",
     "study_scope_check: members of other", "outcome_scope_check",
     ["What was the median OS of the D-other cohort in Szabo et al?"]),
    ("souren D2 'dara/other' - what were the other drugs exactly?", "study_scope_check: members of other",
     "outcome_scope_check", ["What counted as 'DARZALEX + other' in Tan et al?"]),
    ("Szabo D-other index regimens - which partners did the dara go with?", "study_scope_check: members of other",
     "outcome_scope_check", ["Which regimen was most common at P1 in the D-other cohort of Szabo et al?"]),
    ("In Tan et al, what was the median PFS of the 100 who were dara refractory at the start?", "cohort_scope_check",
     "cohort_scope_check", ["In Tan et al, how many were dara refractory at the start of retreatment?"]),
    # the counted group by its own word, the drug's name said elsewhere or not at all (not by RRMM's "refractory")
    ("On daratumumab now. In Tan et al, what was the median PFS of those already refractory when retreatment began?",
     "cohort_scope_check", "cohort_scope_check",
     ["What were median PFS and OS for the retreatment cohort in the RRMM retrospective from MSK?",
      "In Tan et al, how many were refractory at the start of retreatment?"]),
    # the time between two labels the study pairs no row of: Souren et al give D1-D2 and D2-D3
    ("In Souren et al, what was the median time interval between D1 and D3?", "cohort_scope_check: no row of D1 and D3",
     "cohort_scope_check", ["In Souren et al, what was the median time interval between D1 and D2?",
                            "In the Freiburg study, how did the rate of any-grade anemia compare between D1 and D3?"]),
    # a group named by its size that no baseline table is of: Szabo et al describe all 474, not the 192 retreated;
    # EMMY's 151 are a count of its table, not a table of their own
    ("szabo - median age of the 192 pts who actually got dara again?", "cohort_scope_check: baseline of 192 patients",
     "cohort_scope_check", ["Of the 474 patients in Szabo, what was the median age?",
                            "Tan: among the 157 retreated patients, median age?"]),
    ("EMMY - of the 151 who'd had carfilzomib, how many were carfilzomib-refractory specifically?",
     "cohort_scope_check: baseline of 151 patients", "cohort_scope_check",
     ["How many EMMY patients had been exposed to carfilzomib?"]),
    # a baseline of a cohort set against the rest, where the baseline table describes all of them as one
    ("What was the median age of the Szabo et al patients who got DARZALEX retreatment vs those who didn't?",
     "cohort_scope_check: baseline of retreat against the rest", "cohort_scope_check",
     ["What was the median age of the Szabo et al patients?",
      "In Szabo et al, what was the median OS with vs without DARZALEX retreatment?",
      "Szabo et al: progression as best response after the first retreatment, retreated vs not?"]),
    ("In Szabo et al, what was the median OS of high risk FISH patients?", "cohort_scope_check", "cohort_scope_check",
     ["How many Szabo et al patients had high risk FISH?"]),
    # how long responses lasted, asked of the cohort the study gives no duration of response for
    ("In Abdallah et al, how long did responses last in the DARZALEX retreatment cohort?", "cohort_scope_check",
     "cohort_scope_check", ["In Abdallah et al, how long did responses last in the DARZALEX-naive cohort?"]),
    # … the same cohort named by doing again in other words ("re-challenge"; not "reactions", the letter's word)
    ("How long did responses last after the re-challenge in the Abdallah cohort?", "cohort_scope_check",
     "cohort_scope_check", ["How many retreated patients had infusion-related reactions in Abdallah et al?",
                            "After the re-challenge in Abdallah et al, what was the median PFS?"]),
    # a term asked in other words ("resistant", WordNet's gloss of the letter's "refractory") that the study uses and
    # never defines; and what a label "exactly" stands for
    ("What criteria did Abdallah and colleagues use to label a patient as having become resistant to daratumumab?",
     "study_scope_check: definition of refractori", "outcome_scope_check",
     ["How did Tan define high-risk cytogenetic abnormalities?"]),
    ("Szabo talks about P1 - what exactly does P1 stand for?", "study_scope_check: meaning of P1",
     "outcome_scope_check", ["What exactly does D3 stand for in Souren et al?"]),
    # a value or an open threshold inside one of a table's bins: EMMY count ECOG 0-1 and 2-3, and prior lines up
    # to "≥6"; Szabo et al ECOG 0, 1, 2 and ">2"; EMMY's ages in five-year bands
    ("EMMY ECOG 2-3 group - how many were actually ECOG 3?", "study_scope_check: ecog 3 within a row",
     "outcome_scope_check", ["Szabo: how many had ECOG 2?", "EMMY: what share had an ECOG of 2 to 3?",
                             "Caller's patient is ECOG 3. In EMMY, how many were ECOG 2-3?"]),
    ("EMMY: of the 106 with 6+ prior lines, how many had 8 or more?", "study_scope_check: 8 within a row",
     "outcome_scope_check", ["EMMY: how many had 6 or more prior lines?",
                             "EMMY: how many patients were 75 or older at retreatment?"]),
    # how many died, of a study that counts neither deaths nor patients alive (EMMY gives survival times); not death
    # as part of an endpoint
    ("EMMY - how many pts died while on anti-CD38 re-treatment?", "study_scope_check: deaths", "outcome_scope_check",
     ["how many of the Souren re-treated pts had died by analysis?",
      "How long did the MSK retreated patients typically go before progressing or dying?",
      "In Szabo et al, how much did DARZALEX retreatment lower the risk of dying (hazard ratio)?"]),
    # a result of the patients given another therapy between two courses: Souren et al count them ("Therapy line in
    # between yes/no") and give no result of theirs; EMMY give OS by consecutive and middle lines
    ("In the Freiburg series, what response rate did patients reach when another therapy was slotted in between "
     "the two daratumumab courses?", "cohort_scope_check: results by a therapy in between", "cohort_scope_check",
     ["EMMY: median OS with anti-CD38 in a consecutive line vs non-consecutive?",
      "Did some Freiburg patients get a different therapy in between their DARZALEX lines?"]),
    ("EMMY - median PFS for patients with exactly one intervening line between anti-CD38 courses?",
     "cohort_scope_check: results by a therapy in between", "cohort_scope_check",
     ["Did the French registry look at survival by whether the anti-CD38 lines were back-to-back or separated?"]),
    # how long a retreatment lasted, of a study whose only duration is of the index regimen (Szabo et al); Souren et
    # al give each line's, their retreatments' included
    ("Szabo - how long did pts stay on dara-pom-dex when it was used as the retreatment?",
     "study_scope_check: time on retreatment", "outcome_scope_check",
     ["Souren: how long did the DARZALEX retreatment last, median weeks?",
      "Szabo: how long did the index regimen last?"]),
    # what a paper the letter only lists advised or how well it worked: its entry gives neither (Kim et al,
    # Ciardiello et al); who wrote it and where it was shown, it does
    *[(question, f"listed_paper_check: {author}", "listed_paper_check",
       ["Who wrote the Kim poster, and where was it presented?"]) for author, question in [
        ("kim", "Kim IMW 2019 poster on dara retreatment - what practical tips did they give?"),
        ("kim", "the Kim poster on practical considerations - what did they advise for retreatment?"),
        ("ciardiello", "How well did patients do on second-line dara after dara-containing induction in the "
                       "Ciardiello abstract?"),
        ("ciardiello", "Ciardiello ASCO 2022 abstract - did dara 2nd line work after dara-containing induction?")]],
    # the line after the one a study retreated in, by its label: Szabo et al retreated "in P1" and give nothing
    # after it; Souren et al's D3 is the line after D2
    ("Szabo: what regimens did pts get at the line after P1?", "study_scope_check: therapy after retreatment",
     "outcome_scope_check", ["Szabo - most common regimen used at P1?",
                             "Souren: what was the PFS in the line after D2?"]),
    # what a number counts, which a study writes only in its design: Tan et al's inclusion criteria ask "≥1 cycle"
    # of initial treatment; Souren et al's therapy table gives the number of cycles
    ("In the MSK retreatment study, how many cycles of DARZALEX-based retreatment did patients receive?",
     "study_scope_check: cycl", "figures_scope_check",
     ["Souren: median number of dara cycles at retreatment?",
      "How many cycles of initial DARZALEX-based treatment did Tan's inclusion criteria require?"]),
])
def test_a_study_scope_reading_refuses_its_near_miss_and_answers_its_look_alikes(  # type: ignore[no-untyped-def]
        service, near_miss: str, reason: str, switch: str, look_alikes: list[str]) -> None:
    assert service.retriever.search(near_miss).refused_by == reason
    assert _without(service, **{switch: False}).search(near_miss).refused_by != reason
    for question in look_alikes:
        assert service.ask(question).answerable is True


def test_how_long_patients_lived_or_stayed_free_of_progression_is_an_endpoint(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"How long did they live / survive" asks overall survival by its everyday words: the OS row ranks first, and
    Souren et al, who report no OS, do not answer it. How long they had been living with the disease does not."""
    emmy = "how long did pts not sensitive to anti-CD38 survive in emmy, median?"
    souren = "How long did Souren's retreated patients live, on median?"
    assert "Median OS in patients non-sensitive" in service.ask(emmy).passages[0].text
    assert service.retriever.search(souren).refused_by == "study_scope_check: os"
    assert "OS" not in service.retriever.analyse("How long had they been living with myeloma?").expanded
    # … and staying free of progression is progression-free survival, which Szabo et al do not report
    szabo = "How long did Szabo's re-challenged patients stay free of progression?"
    assert service.retriever.search(szabo).refused_by == "study_scope_check: pfs"
    assert "time to next treatment" in service.retriever.analyse("time until they needed the next treatment?").expanded
    until = "In EMMY, what was the median time until patients needed the next treatment?"
    assert service.retriever.search(until).refused_by == "study_scope_check: time to next treatment"
    assert service.ask("In Szabo, how long until patients needed the next treatment?").answerable is True
    # … and how long patients were observed is the follow-up, which Souren et al do not give; Tan et al do, whatever
    # the question says of the disease ("relapsed/refractory" is no refractory group)
    observed = "How long, on median, were the Freiburg retreatment patients observed in the Souren paper?"
    assert service.retriever.search(observed).refused_by == "study_scope_check: follow-up"
    assert service.ask("For the Tan study in relapsed/refractory myeloma, how long were patients followed up, "
                       "median?").answerable is True
    # … and how many responded is the response rate, which EMMY does not give; no longer responding is not one
    responded = "How many people in the French anti-CD38 re-exposure cohort actually responded to the second line?"
    assert service.retriever.search(responded).refused_by == "study_scope_check: orr"
    assert service.ask("In Tan et al, how many patients responded to retreatment?").answerable is True
    assert service.ask("How many of the French patients no longer responded to five different drugs?").answerable
    monkeypatch.setattr(query_module, "LAY_MEASURES", ())
    assert service.retriever.search(szabo).answerable is True
    assert service.retriever.search(observed).answerable is True
    assert service.retriever.search(responded).refused_by != "study_scope_check: orr"
    assert "Median OS in patients non-sensitive" not in service.ask(emmy).passages[0].text
    assert service.retriever.search(souren).answerable is True


def test_a_name_dictation_cut_into_words_is_joined_back(service) -> None:  # type: ignore[no-untyped-def]
    """Speech-to-text writes "dara tumor mab", "dars alex", "sour in": the letter's rare names, joined back; a
    long word beside another ("Is rituximab", "DARZALEX IV") is no cut name. "Abdullah" is Abdallah's name."""
    retriever = service.retriever
    spoken = retriever.analyse("sour in at all how many patients got a second dara tumor mab retreatment")
    assert spoken.studies == ("souren-2025",)
    assert "daratumumab" in spoken.topic
    assert "darzalex" in retriever.analyse("median number of dars alex cycles at retreatment").topic.lower()
    assert retriever.search("Is rituximab retreatment effective in follicular lymphoma?").answerable is False
    assert "DARZALEX IV" in retriever.analyse("Can DARZALEX IV be switched to DARZALEX FASPRO?").topic
    abdullah = "abdullah study response rate at the first dara line versus at dara retreatment"
    assert retriever.analyse(abdullah).studies == ("abdallah-2023",)
    assert retriever.search(abdullah).answerable is True


def test_a_regimen_in_the_letters_drug_letters_is_no_unknown_term(service) -> None:  # type: ignore[no-untyped-def]
    """"VRd" is written in the letters of the letter's combinations (D-Vd, D-Rd): bortezomib, lenalidomide and
    dexamethasone, drugs it names; a laboratory test's initials are not."""
    lexicon = service.index.lexicons[DOC]
    assert {"v", "r", "d", "k", "p"} <= lexicon.regimen_letters()
    assert "vrd" not in lexicon.unknown_terms("relapsed after dara-VRd, should she get D-Kd?")
    assert not lexicon.codes_a_regimen("crp") and not lexicon.codes_a_regimen("dd")


def test_disease_outside_the_marrow_is_extramedullary(service) -> None:  # type: ignore[no-untyped-def]
    """Abdallah et al count extramedullary disease; Tan et al do not."""
    retriever = service.retriever
    assert "extramedullary disease" in retriever.analyse("Abdallah: how many had disease outside the marrow?").topic
    assert retriever.search("Tan: how many had disease outside the marrow?").refused_by == (
        "study_scope_check: extramedullari")
    abdallah = service.ask("Abdallah: how many had disease outside the bone marrow?")
    assert abdallah.answerable is True and "Extramedullary" in abdallah.passages[0].text
    assert "subcutaneous form" in retriever.analyse("how many got the under-the-skin form?").topic


def test_a_quoted_figure_is_explained_by_the_passage_that_prints_it(service) -> None:  # type: ignore[no-untyped-def]
    """An auditor quoting a slide's figure asks what it counts: the passage printing it is first and answers."""
    quoted = service.ask("MSKCC retreat poster says '100 of 119' - what does that refer to?")
    assert quoted.answerable is True
    assert "119" in quoted.passages[0].text and "100" in quoted.passages[0].text
    ratio = service.ask("freiburg dara re-treat paper lists '9/13 (41/59)' for D1 to D2 - what is being counted there?")
    assert ratio.answerable is True and "9/13 (41/59)" in ratio.passages[0].text
    # a figure quoted to ask something else is judged as any question is
    assert service.retriever.search("Of the 119 dara-refractory pts in Tan, how many were penta-refractory?"
                                    ).answerable is False


def test_a_copy_of_a_paper_is_asked_of_a_letter_that_offers_none(service) -> None:  # type: ignore[no-untyped-def]
    retriever = service.retriever
    assert retriever.search("Could you post me a reprint of the Souren paper?").refused_by == (
        "bibliographic_scope_check: copy of a paper")
    assert retriever.search("how do I get the full text of the EMMY paper?").refused_by == (
        "bibliographic_scope_check: copy of a paper")
    assert retriever.search("Which journal published the Souren paper?").answerable is True


def test_a_baseline_rows_unit_is_no_characteristic_and_a_date_format_asks_a_date(service) -> None:  # type: ignore[no-untyped-def]
    """"over which years" asks the period Souren et al's 293 patients were treated in, not their age ("Median age at
    ID, years"); "from dd/mm/yyyy to dd/mm/yyyy" asks dates; "premed" is premedication, a label topic."""
    retriever = service.retriever
    assert retriever.search("the 293 pts in the Freiburg single-centre series got dara over which years?"
                            ).answerable is True
    dated = "In the EMMY study the patients were treated in which period (from dd/mm/yyyy to dd/mm/yyyy)?"
    assert "from date to date" in retriever.analyse(dated).topic
    assert retriever.search(dated).answerable is True
    assert retriever.search("premed regimen used to prevent infusion reactions on re-challenge in Abdallah?"
                            ).refused_by == "label_topic_check: premedication"


def test_numbers_in_words_are_read_as_figures_but_the_letters_own(service) -> None:  # type: ignore[no-untyped-def]
    """Dictation and spelled-out ages write numbers in words: "seventy-five or older" is EMMY's "≥75" row's
    threshold, asked of a PFS it does not break down; a year spoken is a year. Souren et al write "Seventeen
    patients", which stays as they write it."""
    retriever = service.retriever
    assert "aged 75 or older" in retriever.analyse("EMMY: median PFS in patients aged seventy-five or older?").topic
    assert retriever.search("EMMY study: median PFS in patients aged seventy-five or older at retreatment?"
                            ).refused_by == "study_scope_check: aged 75 within a row"
    assert "68-year-old" in retriever.analyse("Seeing a sixty-eight-year-old in clinic tomorrow").topic
    assert "2025" in retriever.analyse("souren et al twenty twenty five: how many were retreated").topic
    assert "seventeen" in retriever.analyse("why were the seventeen patients left out in Souren?").topic


def test_the_letters_apparatus_asked_in_a_rare_english_word_is_answered(service) -> None:  # type: ignore[no-untyped-def]
    """A question on the letter's literature search or notice may carry one English word the letter lacks ("trawl",
    a formulary committee), as a question naming a study may; not a drug the letter lacks, nor an illness."""
    retriever = service.retriever
    assert retriever.search("Which bibliographic databases did you trawl to put this response together?"
                            ).answerable is True
    assert retriever.search("Calling from a hospital formulary committee - is this document meant as promotional "
                            "material?").answerable is True
    assert retriever.search("Which databases list teclistamab trials?").refused_by == "unknown words: teclistamab"
    assert retriever.search("Is this letter meant for veterinarians treating dogs with lymphoma?").answerable is False
