"""Compliance invariants every answer must hold, as one helper any test can import:

    from compliance import assert_compliant
    assert_compliant(response.json(), letter)

An answer carries the letter's disclaimer verbatim, its title and last-updated date, only citation numbers
the letter's reference list has (and every reference it cites), passages made of the letter's own words,
and, for a request for patient-specific advice, the letter's own sentence declining to recommend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qa.letter import Letter
from qa.parse import normalise

SEP = " › "
CELL = " | "
FOOTNOTE = re.compile(r"^([a-z]) (\S.*)$")  # "a Text" stands for the letter's "aText"
PROSE_BREAK = re.compile(r"(?<=[.;:])\s+")  # sentence ends, and a parent bullet's closing colon
BULLET = re.compile(r"^\s*[•o▪◦]\s+")
STRUCTURAL_LABELS = {"columns"}  # labels the chunker adds that are not the letter's words
MIN_RUN = 4  # words a piece of joined bullets must share with the letter when it is not a whole line


@dataclass(frozen=True)
class Source:
    """The letter's text in the forms the checks compare against."""

    text: str  # white space collapsed; twice, the second time with words hyphenated across lines joined
    folded: str  # and case-folded
    lines: frozenset[str]  # each bullet line, its marker dropped
    headers: tuple[str, ...]  # column headers, longest first


def _source(letter: Letter) -> Source:
    headers = {normalise(h) for table in letter.tables for h in table.headers if h.strip()}
    return _source_of(letter.raw, tuple(sorted(headers, key=len, reverse=True)))


@lru_cache(maxsize=8)
def _source_of(raw: str, headers: tuple[str, ...]) -> Source:
    joined = re.sub(r"(?<=[a-z])-[ \t\u00a0]*\n[ \t\u00a0]*(?=[a-z])", "", raw)  # "Thrombocyto-\npenia"
    text = normalise(raw) + "\x00" + normalise(joined)  # no piece spans the NUL
    lines = frozenset(normalise(BULLET.sub("", line)) for line in raw.splitlines() if BULLET.match(line))
    return Source(text, text.casefold(), lines, headers)


def _with_marks(piece: str) -> re.Pattern[str]:
    """The piece, letting a word or bracket end carry a footnote letter the parser took off ('treatmenta, n')."""
    return re.compile(re.sub(r"(?<=[\w)\]%])(?=\W|$)", "[a-z]?", re.escape(piece)))


def _joined_lines(piece: str, src: Source) -> bool:
    """A run of bullets joined by spaces: the piece splits into the letter's bullets (or long runs of it)."""
    words = piece.split(" ")
    reach = [True] + [False] * len(words)
    for i in range(len(words)):
        if not reach[i]:
            continue
        for j in range(i + 1, len(words) + 1):
            run = " ".join(words[i:j])
            if run not in src.text:
                break
            if j - i >= MIN_RUN or run in src.lines:
                reach[j] = True
    return reach[-1]


def _strip_header(cell: str, src: Source) -> str:
    for header in src.headers:
        if cell.startswith(header + " "):
            return cell[len(header) + 1 :]
    return cell


def _row_in_order(line: str, src: Source) -> bool:
    """A table row reads in the letter as its label then its values, in order: 'Median 69.9'."""
    label, _, cells = line.partition(": ")
    values = [_strip_header(cell, src) for cell in cells.split(CELL)]
    return bool(_with_marks(normalise(" ".join([label.split(SEP)[-1], *values]))).search(src.text))


def missing_words(text: str, letter: Letter, kind: str | None = None) -> list[str]:
    """The pieces of a passage that are not the letter's own words (empty: all of it is).

    A passage is split on newlines, ' › ' and ' | ' and its leading 'Label: '; a cell's column-header
    prefix is a header of its own; prose is checked sentence by sentence, and bullets joined into one
    passage line by line. Labels (study, section, table, row) may differ from the letter in case only
    ('Summary' for 'SUMMARY'), and a word may have lost its footnote letter. The lines of a `kind="row"`
    passage must also read as in the letter: the row label, then its values in order (so a changed number
    is caught even when that number occurs elsewhere in the letter)."""
    src = _source(letter)
    missing: list[str] = []

    def occurs(piece: str, *, label: bool = False) -> bool:
        piece = normalise(piece)
        if not piece or piece in src.text or piece in src.headers:
            return True
        if label and (piece.casefold() in src.folded or piece.casefold() in STRUCTURAL_LABELS):
            return True
        note = FOOTNOTE.match(piece)
        return bool(note and note[1] + note[2] in src.text) or bool(_with_marks(piece).search(src.text))

    def check_cell(cell: str) -> None:
        if occurs(cell):
            return
        value = _strip_header(cell, src)
        if value != cell:
            if not occurs(value):
                missing.append(cell)
            return
        for sentence in PROSE_BREAK.split(cell):
            if not (occurs(sentence) or _joined_lines(normalise(sentence), src)):
                missing.append(sentence)

    for n, line in enumerate(text.split("\n")):
        line = normalise(line)
        if kind == "row" and n and ": " in line and not FOOTNOTE.match(line) and not _row_in_order(line, src):
            missing.append(line)
            continue
        if occurs(line):
            continue
        label, colon, rest = line.partition(": ")
        if not colon:
            label, rest = "", line
        for part in label.split(SEP) if label else []:
            if not occurs(part, label=True):
                missing.append(part)
        for cell in rest.split(CELL):
            for part in [cell] if occurs(cell) else cell.split(SEP):
                check_cell(part)
    return missing


def assert_compliant(response: dict[str, Any], letter: Letter, *, answerable: bool | None = None) -> None:
    """Fail with a message naming the first invariant the /v1/ask response (as JSON) breaks."""
    source = _source(letter).text
    assert response["disclaimer"] == letter.disclaimer.text, "the disclaimer is not the letter's, verbatim"
    assert normalise(response["disclaimer"]) in source, "the disclaimer does not occur in the letter"
    document = response["document"]
    assert document["id"] == letter.id, f"answered from {document['id']!r}, not {letter.id!r}"
    assert document["title"] == letter.title, "the document title is missing or altered"
    assert document["last_updated"] == letter.last_updated, "the last-updated date is missing or altered"

    passages = response["passages"]
    cited = {n for p in passages for n in p["citations"]}
    unknown = cited - set(letter.references)
    assert not unknown, f"citation numbers {sorted(unknown)} are not in the letter's reference list"
    returned = {r["number"]: r["text"] for r in response["references"]}
    assert set(returned) == cited, f"references returned {sorted(returned)} but passages cite {sorted(cited)}"
    for number, text in returned.items():
        assert normalise(text) == normalise(letter.references[number].text), f"reference {number} is altered"

    for p in passages:
        assert p["document"] == letter.id, f"passage {p['chunk_id']} is from another document"
        gaps = missing_words(p["text"], letter, p["kind"])
        assert not gaps, f"passage {p['chunk_id']} has words that are not the letter's: {gaps[:3]}"
        if p.get("highlight"):
            gaps = missing_words(p["highlight"], letter)
            assert not gaps, f"highlight of {p['chunk_id']} has words that are not the letter's: {gaps[:3]}"
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1)), "ranks are not 1..n"

    notice = response.get("advice_notice")
    if response.get("advice_request"):
        assert notice, "an advice request without the letter's advice notice"
        assert normalise(notice) in source, "the advice notice is not the letter's own sentence"
        assert "recommend" in notice.lower(), "the advice notice does not decline to recommend"
    else:
        assert notice is None, "an advice notice on a question that asks for no advice"
    if answerable is not None:
        assert response["answerable"] is answerable, f"answerable is {response['answerable']}, not {answerable}"
