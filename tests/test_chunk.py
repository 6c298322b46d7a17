"""Chunk provenance: every chunk says where it came from, quotes the letter's own words, is counted right
and fits the embedding model. Word pieces are counted with the real tokenizer (special tokens included)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.chunk import SEP, Chunk, chunk_letter, row_line
from qa.config import ChunkingSettings
from qa.letter import Bullet, Letter, Row, Table
from qa.parse import normalise, parse_letter, parse_text
from qa.tokens import count_tokens, word_piece_counter

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parent.parent
LETTERS = {
    "darzalex": REPO / "corpus" / "darzalex-retreatment.txt",
    "fictional": DATA / "fictional-letter.txt",
}
KINDS = {"row", "table", "bullet", "paragraph", "summary", "references", "disclaimer", "literature_search"}
UNCITED_KINDS = {"disclaimer", "literature_search"}



def n(text: str) -> str:
    return normalise(text)


def model_max_pieces(model_path: str) -> int:
    config = json.loads((Path(model_path) / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


@pytest.fixture(scope="module")
def counter(packaged_model: str) -> Callable[[str], int]:
    return word_piece_counter(packaged_model)


@pytest.fixture(scope="module")
def model_limit(packaged_model: str) -> int:
    return model_max_pieces(packaged_model)


@pytest.fixture(scope="module")
def letters(letter: Letter) -> dict[str, Letter]:
    return {"darzalex": letter, "fictional": parse_letter(LETTERS["fictional"])}


@pytest.fixture(scope="module")
def chunked(letters: dict[str, Letter], counter: Callable[[str], int]) -> dict[str, list[Chunk]]:
    return {key: chunk_letter(letter, counter) for key, letter in letters.items()}


def table_of(letter: Letter, chunk: Chunk) -> Table:
    study = next(s for s in letter.studies if s.id == chunk.study_id)
    matches = [t for t in study.tables if t.title == chunk.table]
    assert len(matches) == 1, (chunk.id, chunk.table)
    return matches[0]


def label_in_source(row: Row, raw: str) -> bool:
    """The row's label is the letter's text once footnote marks are unglued and wrapped words rejoined."""
    forms = {raw, re.sub(r"(?<=[a-z])- (?=[a-z])", "", raw)}
    for mark in row.footnotes:
        forms |= {re.sub(rf"(?<=[A-Za-z0-9)]){mark}\b", "", f) for f in forms}
    return any(n(row.label) in f for f in forms)


def rows_of_row_chunk(table: Table, chunk: Chunk) -> list[Row]:
    """The table rows a row chunk quotes: the row itself, or the value rows under a group row."""
    assert chunk.row is not None
    inside = [r for r in table.rows if chunk.start <= r.span.start and r.span.end <= chunk.end]
    if chunk.id.rsplit("/", 1)[-1].startswith("g"):
        depth = len(chunk.row)
        return [r for r in inside if r.path[:depth] == chunk.row and len(r.path) > depth and not r.is_group]
    return [r for r in inside if r.path == chunk.row and r.span.start == chunk.start]


def check_provenance(letter: Letter, chunk: Chunk) -> None:
    raw = n(letter.raw[chunk.start : chunk.end])
    assert raw, chunk.id
    assert chunk.quotes, chunk.id
    if chunk.kind == "row":
        table = table_of(letter, chunk)
        rows = rows_of_row_chunk(table, chunk)
        assert rows, chunk.id
        assert chunk.quotes == [row_line(r, table.headers) for r in rows], chunk.id
        for row in rows:
            row_raw = n(letter.source(row.span))
            assert label_in_source(row, row_raw), (chunk.id, row.label, row_raw)
            for cell in row.cells:
                assert n(cell) in row_raw, (chunk.id, row.path, cell)
            assert n(row.label) in chunk.text
            assert all(n(c) in n(chunk.text) for c in row.cells)
        return
    if chunk.kind == "table":
        table = table_of(letter, chunk)
        for quote in chunk.quotes:
            if quote.startswith("Columns: "):
                for header in (h for h in table.headers if h):
                    for part in header.split(": "):
                        assert n(part) in raw, (chunk.id, header)
                continue
            footnote = re.match(r"^([a-z]) (.*)$", quote)
            if footnote and table.footnotes.get(footnote.group(1)) == footnote.group(2):
                assert n(footnote.group(2)) in raw, (chunk.id, quote)
                continue
            assert n(quote) in raw, (chunk.id, quote)
        return
    for quote in chunk.quotes:
        assert n(quote) in raw, (chunk.id, quote, raw[:200])
        assert n(quote) in n(chunk.text), (chunk.id, quote)


def bullet_groups(letter: Letter) -> list[tuple[str, Bullet]]:
    """(context prefix, top-level bullet) for every bullet group the chunker cuts, summary included."""
    groups = [("Summary", b) for b in letter.summary]
    for study in letter.studies:
        for section in study.sections:
            context = SEP.join(x for x in (study.label, section.parent, section.name) if x)
            groups += [(context, b) for b in section.blocks if isinstance(b, Bullet)]
    return groups


def check_contiguous(letter: Letter, chunk: Chunk) -> None:
    """A bullet chunk is its context, then (for a window of children) the parent bullet, then a run of the
    group's words in the letter's order: nothing repeated, nothing left between."""
    candidates = [(c, b) for c, b in bullet_groups(letter)
                  if b.span.start <= chunk.start and chunk.end <= b.span.end and chunk.text.startswith(f"{c}: ")]
    assert candidates, chunk.id
    context, group = candidates[0]
    body = chunk.text[len(context) + 2 :]
    whole = " ".join(b.text for b in group.walk())
    if body in whole:
        return
    assert body.startswith(f"{group.text} "), (chunk.id, body[:120])
    rest = body[len(group.text) + 1 :]
    assert rest in whole, (chunk.id, rest[:200])


# ---- the invariants, on both letters --------------------------------------------------------------


@pytest.mark.parametrize("key", LETTERS)
def test_every_chunk_names_its_document_kind_and_position(
    letters: dict[str, Letter], chunked: dict[str, list[Chunk]], key: str
) -> None:
    letter, chunks = letters[key], chunked[key]
    assert len(chunks) > 20
    for chunk in chunks:
        assert chunk.document == letter.id
        assert chunk.id.startswith(f"{letter.id}/")
        assert chunk.kind in KINDS
        assert 0 <= chunk.start < chunk.end <= len(letter.raw)
        assert chunk.line == letter.raw[: chunk.start].count("\n") + 1, chunk.id
        assert chunk.end_line == letter.raw[: chunk.end].count("\n") + 1, chunk.id
        assert chunk.text.strip() == chunk.text and chunk.text
    assert {c.kind for c in chunks} == KINDS


@pytest.mark.parametrize("key", LETTERS)
def test_chunk_citations_are_in_the_reference_list(
    letters: dict[str, Letter], chunked: dict[str, list[Chunk]], key: str
) -> None:
    letter = letters[key]
    bullets = {b.span.start: b for b in letter.summary}
    for chunk in chunked[key]:
        assert set(chunk.citations) <= set(letter.references), (chunk.id, chunk.citations)
        assert len(set(chunk.citations)) == len(chunk.citations), chunk.id
        if chunk.kind in UNCITED_KINDS:
            continue
        if chunk.kind == "summary":  # the letter's one uncited bullet ("… cannot recommend …") stays uncited
            assert chunk.citations == bullets[chunk.start].citations, chunk.id
            continue
        assert chunk.citations, chunk.id
        if chunk.kind == "references":
            assert chunk.citations == [int(chunk.id.rsplit("/", 1)[1])]


@pytest.mark.parametrize("key", LETTERS)
def test_cl100k_token_counts(chunked: dict[str, list[Chunk]], key: str) -> None:
    for chunk in chunked[key]:
        assert chunk.tokens == count_tokens(chunk.text), chunk.id
        assert chunk.tokens > 0




def _provenance_params() -> list[object]:
    params = []
    for key in LETTERS:
        for kind in sorted(KINDS):
            params.append(pytest.param(key, kind, id=f"{key}-{kind}"))
    return params


@pytest.mark.parametrize(("key", "kind"), _provenance_params())
def test_quotes_are_the_letters_own_words_within_the_span(
    letters: dict[str, Letter], chunked: dict[str, list[Chunk]], key: str, kind: str
) -> None:
    chunks = [c for c in chunked[key] if c.kind == kind]
    assert chunks
    for chunk in chunks:
        check_provenance(letters[key], chunk)


@pytest.mark.parametrize("key", LETTERS)
def test_prose_chunks_are_a_context_and_a_run_of_the_letters_words(
    letters: dict[str, Letter], chunked: dict[str, list[Chunk]], key: str
) -> None:
    for chunk in chunked[key]:
        if chunk.kind in {"bullet", "summary"}:
            check_contiguous(letters[key], chunk)


@pytest.mark.parametrize("key", LETTERS)
def test_no_chunk_exceeds_the_model_or_the_budget(
    chunked: dict[str, list[Chunk]], counter: Callable[[str], int], model_limit: int, key: str
) -> None:
    assert model_limit == 256
    budget = ChunkingSettings().max_pieces
    sizes = {c.id: counter(c.text) for c in chunked[key]}
    too_long = {cid: size for cid, size in sizes.items() if size > min(budget, model_limit)}
    assert not too_long
    # The counter sees what the model sees: [CLS] and [SEP] included.
    assert counter("") == 2


@pytest.mark.parametrize("key", LETTERS)
def test_row_chunks_carry_study_table_and_column_headers(
    letters: dict[str, Letter], chunked: dict[str, list[Chunk]], key: str
) -> None:
    letter = letters[key]
    rows = [c for c in chunked[key] if c.kind == "row"]
    assert len(rows) >= sum(1 for t in letter.tables for r in t.rows if not r.is_group)
    for chunk in rows:
        study = next(s for s in letter.studies if s.id == chunk.study_id)
        table = table_of(letter, chunk)
        assert chunk.study == study.label
        assert chunk.table == table.title
        assert chunk.row, chunk.id
        assert chunk.text.startswith(f"{study.label}{SEP}{table.title}\n"), chunk.id
        assert chunk.citations == (table.citations or study.citations)
        assert chunk.related_studies == [study.id]
        for row in rows_of_row_chunk(table, chunk):
            for header, cell in zip(table.value_headers, row.cells, strict=True):
                if cell and header:
                    assert f"{header} {cell}" in chunk.text, (chunk.id, header, cell)


def test_every_value_row_has_its_own_chunk(letters: dict[str, Letter], chunked: dict[str, list[Chunk]]) -> None:
    for key, letter in letters.items():
        starts = {(c.table, c.start) for c in chunked[key] if c.kind == "row" and "/r" in c.id}
        for table in letter.tables:
            for row in table.rows:
                if not row.is_group:
                    assert (table.title, row.span.start) in starts, (key, table.title, row.path)


def test_abdallah_orr_row_reads_on_its_own(chunked: dict[str, list[Chunk]]) -> None:
    example = "ORR: DARZALEX-Naïve (n=43) 28 (65) | DARZALEX Retreated (n=43) 21 (49)"
    hits = [c for c in chunked["darzalex"] if example in c.text]
    assert hits
    row = next(c for c in hits if c.kind == "row" and c.row == ["ORR"])
    assert row.study == "Abdallah et al (2023)"
    assert row.table == "Efficacy Outcomes"
    assert row.citations == [4]
    assert row.quotes == [example]
    assert row.text == f"Abdallah et al (2023){SEP}Efficacy Outcomes\n{example}"


def test_footnotes_follow_the_rows_that_cite_them(chunked: dict[str, list[Chunk]]) -> None:
    chunk = next(c for c in chunked["darzalex"] if c.row == ["Retreatment with anti-CD38, n (%)",
                                                            "Daratumumab-Daratumumab"])
    assert "Daratumumab-Daratumumab: N=286 145 (51)" in chunk.text
    assert "a Dratumumab administered after Daratumumab." in chunk.text


def test_chunk_ids_are_unique_and_stable(counter: Callable[[str], int]) -> None:
    for path in LETTERS.values():
        first = chunk_letter(parse_letter(path), counter)
        second = chunk_letter(parse_letter(path), counter)
        ids = [c.id for c in first]
        duplicates = [i for i, k in Counter(ids).items() if k > 1]
        assert not duplicates
        assert ids == [c.id for c in second]
        assert [c.model_dump() for c in first] == [c.model_dump() for c in second]


def test_summary_chunks_carry_the_bullets_numbers(chunked: dict[str, list[Chunk]]) -> None:
    summary = [c for c in chunked["darzalex"] if c.kind == "summary"]
    assert len(summary) == 7
    def cited(opening: str) -> list[int]:
        return next(c.citations for c in summary if c.text.startswith(f"Summary: {opening}"))

    assert cited("Szabo et al (2022)5,6") == [5, 6]
    assert cited("Talbot et al (2025)1") == [1]
    other = next(c for c in summary if "Other relevant literature" in c.text)
    assert other.citations == [7, 8, 9, 10]
    assert next(c for c in summary if "cannot recommend" in c.text).citations == []
    for chunk in summary:
        assert chunk.section == "Summary" and chunk.text.startswith("Summary: ")
        assert chunk.study is None


def test_other_chunks_describe_where_they_are(letters: dict[str, Letter], chunked: dict[str, list[Chunk]]) -> None:
    letter, chunks = letters["darzalex"], chunked["darzalex"]
    disclaimer = [c for c in chunks if c.kind == "disclaimer"]
    assert len(disclaimer) == 1 and disclaimer[0].text.startswith(letter.disclaimer.text)
    assert disclaimer[0].start == 0 and disclaimer[0].citations == []
    literature = next(c for c in chunks if c.kind == "literature_search")
    assert "11 June 2025" in literature.text
    references = [c for c in chunks if c.kind == "references"]
    assert [c.citations[0] for c in references] == sorted(letter.references)
    assert references[3].text.endswith(f"4 {n(letter.references[4].text)}")
    bullets = [c for c in chunks if c.kind == "bullet" and c.study_id == "souren-2025"]
    assert bullets and all(c.text.startswith("Souren et al (2025) › ") for c in bullets)
    assert any(c.text.startswith("Souren et al (2025) › Results › Patient Characteristics: ") for c in bullets)


# ---- splitting long prose under a small budget ----------------------------------------------------


SMALL = 60


@pytest.fixture(scope="module")
def small_chunks(letter: Letter, counter: Callable[[str], int]) -> list[Chunk]:
    return chunk_letter(letter, counter, max_pieces=SMALL, overlap_pieces=8)


def test_a_long_bullet_group_is_split_and_keeps_its_context(
    small_chunks: list[Chunk], counter: Callable[[str], int]
) -> None:
    head = "Abdallah et al (2023) › Results › Efficacy: In the DARZALEX retreatment cohort:"
    pieces = [c for c in small_chunks if c.kind == "bullet" and c.text.startswith(head)]
    assert len(pieces) >= 5
    for piece in pieces:
        assert counter(piece.text) <= SMALL, (piece.id, counter(piece.text))
        assert piece.study == "Abdallah et al (2023)"
        assert piece.citations == [4]
        assert len(piece.text) > len(head)
    ids = [p.id for p in pieces]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(ids[0]) for i in ids)
    assert "The median time to first response was 28 days" in pieces[0].text
    assert pieces[-1].text.endswith("P=0.48).")
    # At the default budget the same group is two pieces (windows of its children), each under the head.
    assert "7.97 months" in " ".join(p.text for p in pieces)


def test_a_small_budget_leaves_short_bullets_whole(small_chunks: list[Chunk], letter: Letter) -> None:
    short = next(c for c in small_chunks if c.text.endswith("No treatment-related deaths were reported.")
                 and c.study_id == "abdallah-2023")
    assert short.text == "Abdallah et al (2023) › Results › Safety: No treatment-related deaths were reported."
    check_provenance(letter, short)


def test_every_split_prose_piece_fits_a_small_budget(
    small_chunks: list[Chunk], counter: Callable[[str], int]
) -> None:
    over = {c.id: counter(c.text) for c in small_chunks if c.kind in {"bullet", "summary"}
            and counter(c.text) > SMALL}
    assert not over


def test_split_pieces_quote_the_letter(small_chunks: list[Chunk], letter: Letter) -> None:
    for chunk in small_chunks:
        if chunk.kind in {"bullet", "summary"}:
            check_provenance(letter, chunk)


def test_split_pieces_do_not_repeat_the_letters_words(small_chunks: list[Chunk], letter: Letter) -> None:
    for chunk in small_chunks:
        if chunk.kind in {"bullet", "summary"}:
            check_contiguous(letter, chunk)


def test_split_pieces_without_overlap_are_runs_of_the_letter(letter: Letter, counter: Callable[[str], int]) -> None:
    for chunk in chunk_letter(letter, counter, max_pieces=SMALL, overlap_pieces=0):
        if chunk.kind in {"bullet", "summary"}:
            check_contiguous(letter, chunk)


def test_any_valid_chunking_setting_chunks(letter: Letter, counter: Callable[[str], int]) -> None:
    settings = ChunkingSettings(max_pieces=SMALL)  # valid: max_pieces >= 32, default overlap 24
    chunks = chunk_letter(letter, counter, settings.max_pieces, settings.overlap_pieces, settings.group_rows)
    assert chunks


def _lengthen(where: str) -> str:
    text = LETTERS["fictional"].read_text(encoding="utf-8")
    filler = (" Patients were followed at the Northfield Institute with scheduled visits, laboratory panels, "
              "imaging and questionnaires recorded at every interval of the extended dosing schedule.") * 8
    anchors = {
        "study opening": "in patients with CGS, the FJORD Study.",
        "reference": "J Fict Med. 2024;12(3):101-110.",
        "literature search": "was conducted on 14 March 2025.",
        "disclaimer": "ZORVANTIX (fictolimab) is not a real product.",
    }
    anchor = anchors[where]
    assert text.count(anchor) == 1
    at = text.index(anchor)
    return text[: at + len(anchor)] + filler + text[at + len(anchor) :]


@pytest.mark.parametrize("where", ["study opening", "reference", "literature search", "disclaimer"])
def test_long_prose_is_split_rather_than_truncated(
    counter: Callable[[str], int], model_limit: int, where: str
) -> None:
    letter = parse_text(_lengthen(where), "long.txt")
    budget = ChunkingSettings().max_pieces
    chunks = chunk_letter(letter, counter, budget)
    over = {c.id: counter(c.text) for c in chunks if counter(c.text) > min(budget, model_limit)}
    assert not over
