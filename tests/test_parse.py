"""The parser against the two hand-written oracles, table by table, and against bad input.

Both sides of every comparison go through qa.parse.normalise (whitespace collapsed, \u00a0 as a space), the
convention the oracles were written in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from qa.errors import DocumentFormatError
from qa.letter import Letter, Row, Table
from qa.parse import normalise, parse_letter, parse_text

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parent.parent
LETTERS = {
    "darzalex": (REPO / "corpus" / "darzalex-retreatment.txt", DATA / "darzalex-retreatment.expected.json"),
    "fictional": (DATA / "fictional-letter.txt", DATA / "fictional-letter.expected.json"),
}
ORACLES: dict[str, dict[str, Any]] = {
    key: json.loads(oracle.read_text(encoding="utf-8")) for key, (_, oracle) in LETTERS.items()
}



def n(text: str) -> str:
    return normalise(text)


def row_dict(row: Row) -> dict[str, list[str]]:
    return {"path": [n(p) for p in row.path], "cells": [n(c) for c in row.cells]}


def oracle_row(row: dict[str, Any]) -> dict[str, list[str]]:
    return {"path": [n(p) for p in row["path"]], "cells": [n(c) for c in row["cells"]]}


def label_in_source(row: Row, raw: str) -> bool:
    """The row's label is the letter's text once footnote marks are unglued and wrapped words rejoined."""
    forms = {raw, re.sub(r"(?<=[a-z])- (?=[a-z])", "", raw)}
    for mark in row.footnotes:
        forms |= {re.sub(rf"(?<=[A-Za-z0-9)]){mark}\b", "", f) for f in forms}
    return any(n(row.label) in f for f in forms)


@pytest.fixture(scope="module")
def letters() -> dict[str, Letter]:
    return {key: parse_letter(path) for key, (path, _) in LETTERS.items()}


def find_table(letter: Letter, author: str, title: str) -> Table:
    study = next(s for s in letter.studies if s.author == author)
    matches = [t for t in study.tables if n(t.title) == n(title)]
    assert len(matches) == 1, f"{author}: tables {[t.title for t in study.tables]}"
    return matches[0]


def find_row(table: Table, *path: str) -> Row:
    matches = [r for r in table.rows if [n(p) for p in r.path] == [n(p) for p in path]]
    assert len(matches) == 1, f"{path} in {[r.path for r in table.rows]}"
    return matches[0]


# ---- the letter as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize("key", LETTERS)
def test_title_date_and_disclaimer(letters: dict[str, Letter], key: str) -> None:
    letter, oracle = letters[key], ORACLES[key]
    assert n(letter.title) == n(oracle["title"])
    assert n(letter.last_updated) == n(oracle["last_updated"])
    assert n(letter.disclaimer.text) == n(oracle["disclaimer"])
    assert letter.id == LETTERS[key][0].stem
    assert letter.path == str(LETTERS[key][0])


@pytest.mark.parametrize("key", LETTERS)
def test_summary_bullets_and_their_citations(letters: dict[str, Letter], key: str) -> None:
    letter, oracle = letters[key], ORACLES[key]
    assert len(letter.summary) == len(oracle["summary"])
    for bullet, expected in zip(letter.summary, oracle["summary"], strict=True):
        assert n(bullet.text).startswith(n(expected["text_startswith"])), bullet.text
        assert bullet.citations == expected["citations"], bullet.text


def test_summary_citation_lists_and_ranges_are_expanded(letters: dict[str, Letter]) -> None:
    summary = letters["darzalex"].summary
    szabo = next(b for b in summary if b.text.startswith("Szabo et al (2022)"))
    other = next(b for b in summary if b.text.startswith("Other relevant literature"))
    assert szabo.citations == [5, 6]
    assert other.citations == [7, 8, 9, 10]


@pytest.mark.parametrize("key", LETTERS)
def test_studies_in_order(letters: dict[str, Letter], key: str) -> None:
    letter, oracle = letters[key], ORACLES[key]
    assert [s.author for s in letter.studies] == [s["author"] for s in oracle["studies"]]
    for study, expected in zip(letter.studies, oracle["studies"], strict=True):
        assert study.year == expected["year"]
        assert study.citations == expected["citations"]
        assert n(study.heading) == n(expected["heading"])
        # Sub-section names in reading order; a parent heading ("Results") is listed where it first appears.
        names = list(dict.fromkeys(x for s in study.sections for x in (s.parent, s.name) if x))
        assert names == expected["subsections"]
        assert [n(t.title) for t in study.tables] == [n(t) for t in expected["tables"]]
        assert study.label == f"{expected['author']} et al ({expected['year']})"


@pytest.mark.parametrize("key", LETTERS)
def test_references_full_text(letters: dict[str, Letter], key: str) -> None:
    letter, oracle = letters[key], ORACLES[key]
    assert sorted(letter.references) == sorted(int(k) for k in oracle["references"])
    for number, text in oracle["references"].items():
        assert n(letter.references[int(number)].text) == n(text)
        assert letter.references[int(number)].number == int(number)


@pytest.mark.parametrize("key", LETTERS)
def test_literature_search_date(letters: dict[str, Letter], key: str) -> None:
    letter, oracle = letters[key], ORACLES[key]
    assert letter.literature_search is not None
    assert oracle["literature_search_date"] in n(letter.literature_search.text)
    assert n(letter.literature_search.text).startswith("A literature search of MEDLINE")


@pytest.mark.parametrize("key", LETTERS)
def test_table_count_matches_oracle(letters: dict[str, Letter], key: str) -> None:
    assert len(letters[key].tables) == len(ORACLES[key]["tables"])


# ---- every table against its oracle ---------------------------------------------------------------


def _table_params() -> list[Any]:
    params = []
    for key, oracle in ORACLES.items():
        for k, table in enumerate(oracle["tables"]):
            params.append(pytest.param(key, k, id=f"{key}-{table['study']}-{table['title']}"))
    return params


@pytest.mark.parametrize(("key", "k"), _table_params())
def test_table_matches_oracle(letters: dict[str, Letter], key: str, k: int) -> None:
    expected = ORACLES[key]["tables"][k]
    table = letters[key].tables[k]
    study = next(s for s in letters[key].studies if table in s.tables)
    assert study.author == expected["study"]
    assert n(table.title) == n(expected["title"])
    assert table.citations == expected["citations"]
    assert [n(h) for h in table.headers] == [n(h) for h in expected["headers"]]

    rows = [row_dict(r) for r in table.rows]
    wanted = [oracle_row(r) for r in expected["rows"]]
    if expected.get("rows_partial"):
        assert len(rows) == expected["row_count"]
        assert rows[0] == wanted[0]
        assert rows[-1] == wanted[-1]
    else:
        assert len(rows) == len(wanted), [r["path"] for r in rows]
        for got, want in zip(rows, wanted, strict=True):
            assert got == want

    if expected["abbreviations_startswith"] is None:
        assert table.abbreviations is None
    else:
        assert table.abbreviations is not None
        label, body = table.abbreviations.split(":", 1)
        assert label.strip().lower().startswith("abbreviation")
        assert n(body).startswith(n(expected["abbreviations_startswith"]))
    assert {m: n(t) for m, t in table.footnotes.items()} == {m: n(t) for m, t in expected["footnotes"].items()}


@pytest.mark.parametrize("key", LETTERS)
def test_every_row_has_one_cell_per_value_column(letters: dict[str, Letter], key: str) -> None:
    for table in letters[key].tables:
        assert len(table.headers) >= 2, table.title
        for row in table.rows:
            assert len(row.cells) == len(table.headers) - 1, (table.title, row.path)


@pytest.mark.parametrize("key", LETTERS)
def test_row_spans_hold_their_label_and_cells(letters: dict[str, Letter], key: str) -> None:
    letter = letters[key]
    for table in letter.tables:
        source = n(letter.source(table.span))
        assert n(table.title) in source
        for row in table.rows:
            raw = n(letter.source(row.span))
            assert label_in_source(row, raw), (table.title, row.path, raw)
            for cell in row.cells:
                assert n(cell) in raw, (table.title, row.path, cell)


# ---- the cases the spec names ---------------------------------------------------------------------


def test_emmy_pfs_and_os_outcomes_rows(letters: dict[str, Letter]) -> None:
    table = find_table(letters["darzalex"], "Talbot", "PFS and OS Outcomes")
    assert table.citations == [1]
    assert table.headers == ["Parameter", ""]
    rows = [(r.path, r.cells) for r in table.rows]
    assert rows[0] == (["PFS, months"], [""])
    assert (["PFS, months", "Median PFS in all anti-CD38-retreated patients"], ["5.1 (95% CI, 4.2-6.6)"]) in rows
    assert (
        ["PFS, months", "Median PFS in patients non-sensitive to anti-CD38 (n=248)"],
        ["4.6 (95% CI, 3.8-6; P=0.0003)"],
    ) in rows
    assert (["OS, months"], [""]) in rows
    assert (["OS, months", "Median OS in patients with anti-CD38 in a consecutive line"], ["22.3"]) in rows
    assert (["OS, months", "Median OS in patients sensitive to anti-CD38 (n=29)"], ["NR (P=0.0004)"]) in rows
    assert rows[-1] == (["OS, months", "Median OS in patients non-sensitive to anti-CD38 (n=245)"],
                        ["14.8 (95% CI, 12.6-19.5)"])
    assert len(rows) == 13


def test_souren_therapy_table_has_three_value_columns(letters: dict[str, Letter]) -> None:
    table = find_table(letters["darzalex"], "Souren", "Therapy and Outcome Data for Respective DARZALEX Lines")
    assert [n(h) for h in table.value_headers] == [
        "First DARZALEX Treatment (D1, n=22)",
        "DARZALEX Retreatment (D2, n=22)",
        "Second DARZALEX Retreatment (D3, n=7)",
    ]
    assert all(len(r.cells) == 3 for r in table.rows)
    assert find_row(table, "Response, n (%)", "ORR").cells == ["14 (64)", "10 (46)", "3 (43)"]
    # A value wrapped over two lines, and a footnote mark on a value ("NRb").
    assert [n(c) for c in find_row(table, "PFS", "Median PFS, months").cells] == [
        "11.5 (95% CI:5.1-27)", "12 (95% CI: 3.4 -NR)", "NR (95% CI: 2.8-NR)"
    ]
    twelve = find_row(table, "PFS", "12-month PFS, %")
    assert twelve.cells[2] == "NR" and "b" in twelve.footnotes
    assert find_row(table, "PFS", "24-month PFS, %").cells[2] == "-"


def test_abdallah_adverse_events_have_eight_two_level_columns(letters: dict[str, Letter]) -> None:
    table = find_table(letters["darzalex"], "Abdallah", "Most Common TEAEs in DARZALEX Retreated Patients")
    assert table.headers[0] == "Event, n (%)"
    assert len(table.value_headers) == 8
    groups = ["All Retreated Patients (n=43)", "D-Pd/D-Rd (n=20)", "D-Kd (n=17)", "D-Vd (n=6)"]
    assert [n(h) for h in table.value_headers] == [
        f"{g}: {grade}" for g in groups for grade in ("All Grades", "Grade 3/4")
    ]
    assert all(len(r.cells) == 8 for r in table.rows)
    # Labels wrapped over lines are joined: a hyphenated word, and a phrase.
    thrombo = find_row(table, "Hematologic", "Thrombocytopenia")
    assert thrombo.cells[:2] == ["25 (58)", "9 (21)"]
    assert find_row(table, "Nonhematologic", "Elevated liver enzymes").cells[0] == "8 (19)"
    assert find_row(table, "Nonhematologic", "GI symptoms (diarrhea, nausea, vomiting)").cells[-2] == "1 (17)"
    irr = find_row(table, "IRRs")
    assert irr.cells[0] == "7 (16)" and irr.footnotes == ["a"]


def test_most_common_regimens_at_p1_cites_6(letters: dict[str, Letter]) -> None:
    table = find_table(letters["darzalex"], "Szabo", "Most Common Regimens Used at P1")
    assert table.title == "Most Common Regimens Used at P1"  # not "… at P16", nor "… at P" citing 16
    assert table.citations == [6]
    assert find_row(table, "Overall").cells == ["D-Pd (57 [15])"]


def test_footnote_letters_removed_and_kept_on_the_row(letters: dict[str, Letter]) -> None:
    letter = letters["darzalex"]
    baseline = find_table(letter, "Talbot", "Baseline Characteristics")
    dd = find_row(baseline, "Retreatment with anti-CD38, n (%)", "Daratumumab-Daratumumab")
    assert dd.cells == ["145 (51)"] and dd.footnotes == ["a"]
    assert find_row(baseline, "Retreatment with anti-CD38, n (%)", "Isatuximab-Daratumumab").footnotes == ["c"]
    szabo = find_table(letter, "Szabo", "Key Baseline Patient Characteristics")
    age = find_row(szabo, "Median age (range), years")
    assert age.cells == ["66 (31-88)"] and age.footnotes == ["a"]
    assert find_row(szabo, "ISS, n (%)").footnotes == ["a"]
    assert find_row(szabo, "Risk status per fluorescence in situ hybridization, n (%)").footnotes == ["b"]
    # The same label without a footnote in another table stays as printed and carries none.
    abdallah = find_table(letter, "Abdallah", "Key Baseline Patient and Disease Characteristics")
    assert find_row(abdallah, "Median age (range), years").footnotes == []
    # Words that merely end in a footnote letter are left alone.
    for table in letter.tables:
        for row in table.rows:
            for word in ("Daratumumaba", "Isatuximabb", "agea", "ISSa", "statusa", "hybridizationb", "othera"):
                assert word not in row.label.split(), (table.title, row.path)


def test_footnote_marks_on_values_and_headers(letters: dict[str, Letter]) -> None:
    fictional = letters["fictional"]
    baseline = find_table(fictional, "Quill", "Baseline Characteristics")
    stage = find_row(baseline, "Disease stage, n (%)", "I")
    assert stage.cells == ["12 (19)"] and stage.footnotes == ["b"]
    dosing = find_table(fictional, "Quill", "Dosing Outcomes by Interval")
    assert dosing.headers[2] == "Every 8 Weeks (Q8W, n=34)"
    assert find_row(dosing, "Median PFS, months").footnotes == ["b"]


def test_footnote_mark_after_a_digit_is_stripped_from_a_row_label(letters: dict[str, Letter]) -> None:
    table = find_table(letters["fictional"], "Quill", "Adverse Events by Grade")
    grade = table.rows[3]
    assert grade.path == ["Hematologic", "Neutropenia", "Grade 3/4"]
    assert grade.footnotes == ["a"]


def test_an_unused_footnote_mark_does_not_eat_a_letter_of_a_real_word(letters: dict[str, Letter]) -> None:
    table = find_table(letters["fictional"], "Quill", "Adverse Events by Grade")
    labels = [r.label for r in table.rows]
    assert "Anemia" in labels
    assert "Anemi" not in labels


# ---- bad input ------------------------------------------------------------------------------------


FICTIONAL_TEXT = LETTERS["fictional"][0].read_text(encoding="utf-8")


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _assert_format_error(path: Path, line: int) -> DocumentFormatError:
    with pytest.raises(DocumentFormatError) as info:
        parse_letter(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line
    message = str(error)
    assert str(path) in message
    assert f"{path}:{line}:" in message
    assert error.status == 422 and error.code == "document_format"
    return error


def test_the_fictional_letter_itself_parses(tmp_path: Path) -> None:
    copy = _write(tmp_path, "copy.txt", FICTIONAL_TEXT)
    assert len(parse_letter(copy).tables) == 5


@pytest.mark.parametrize("content", ["", "\n\n   \n\u00a0\n"], ids=["empty", "blank-lines"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    error = _assert_format_error(_write(tmp_path, "empty.txt", content), 1)
    assert "empty" in error.problem


def test_no_last_updated_line(tmp_path: Path) -> None:
    text = "".join(ln for ln in FICTIONAL_TEXT.splitlines(keepends=True) if not ln.startswith("Last Updated"))
    assert text != FICTIONAL_TEXT
    error = _assert_format_error(_write(tmp_path, "undated.txt", text), 1)
    assert "Last Updated" in error.problem


def test_table_header_lines_that_cannot_fit_the_columns(tmp_path: Path) -> None:
    lines = FICTIONAL_TEXT.splitlines(keepends=True)
    # One header line too many over the 4 value columns of the TEAE table (7 -> 8 header lines).
    last_header = max(k for k, ln in enumerate(lines) if ln.startswith("Grade ≥3"))
    lines.insert(last_header + 1, "Grade 5\n")
    title_line = next(k for k, ln in enumerate(lines) if ln.startswith("Treatment-Emergent Adverse Events3")) + 1
    error = _assert_format_error(_write(tmp_path, "headers.txt", "".join(lines)), title_line)
    assert "Treatment-Emergent Adverse Events" in error.problem
    assert "header" in error.problem


def test_table_with_too_few_header_lines(tmp_path: Path) -> None:
    lines = FICTIONAL_TEXT.splitlines(keepends=True)
    start = next(k for k, ln in enumerate(lines) if ln.startswith("Treatment-Emergent Adverse Events3"))
    # Keep only "Event, n (%)" and one group header: 2 header lines for 4 value columns.
    del lines[start + 3 : start + 12]
    assert lines[start + 3].startswith("Any TEAE")
    _assert_format_error(_write(tmp_path, "few.txt", "".join(lines)), start + 1)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    data = FICTIONAL_TEXT.encode("utf-8")
    at = data.index(b"Glimmer flare")
    line = data[:at].count(b"\n") + 1
    bad = data[:at] + b"\xff\xfe" + data[at:]
    error = _assert_format_error(_write(tmp_path, "latin.txt", bad), line)
    assert "UTF-8" in error.problem


def test_parse_text_reports_its_path_label() -> None:
    with pytest.raises(DocumentFormatError) as info:
        parse_text("", path="inline.txt")
    assert str(info.value).startswith("inline.txt:1:")


def test_the_letters_body_ends_with_its_reference_list(letters: dict[str, Letter]) -> None:
    """The PDF's text goes on after the last reference with the web page's chat widget ("Endchat", "Chat
    live"); the letter's own text, whose words are its vocabulary, stops at the last entry."""
    letter = letters["darzalex"]
    assert letter.raw.rstrip().endswith("Chat live")
    assert letter.body.rstrip("\xa0 ").endswith("Boston, MA.") and "Endchat" not in letter.body
    assert letter.body == letter.raw[: letter.references[max(letter.references)].span.end]
