"""Recover the structure of a response letter from its PDF-extracted text.

The text arrives as lines: prose as "•" bullets (nesting shown by indentation), tables one cell per line
(a title with its citation number glued on, header lines, then a label line followed by one line per value
column, sub-rows indented under their parent), and footnote letters glued to words. Nothing here knows this
letter's headings or values: the rules read the layout, and the letter's own reference list and vocabulary
settle the ambiguous cases (a glued "16" is citation 6 when only ten references exist).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa.errors import DocumentFormatError
from qa.letter import Bullet, Letter, Paragraph, Reference, Row, Section, Span, Study, Table

logger = logging.getLogger(__name__)

BULLET = "•"
LAST_UPDATED = re.compile(r"^Last Updated:\s*(?P<date>\S.*)$", re.I)
STUDY_OPENING = re.compile(
    r"^(?P<author>[A-Z][A-Za-z'\-]+) et al \((?P<year>\d{4})\)(?P<cites>\d+(?:\s*[,\-–]\s*\d+)*)?"
)
CITES = r"\d+(?:[,\-–]\d+)*"
# Superscript citations glued after "et al (2025)" or after a sentence's final period.
GLUED_CITATION = re.compile(rf"(?:et al \(\d{{4}}\)|(?<=[A-Za-z)\]])\.)({CITES})(?=[\s\u00a0]|$)")
TITLE_CITATION = re.compile(rf"({CITES})$")
REFERENCE_LINE = re.compile(r"^(?P<num>\d+)\s+(?P<text>\S.*)$")
ABBREVIATIONS = re.compile(r"^Abbreviations?:", re.I)
# A footnote line: its marker letter glued to the text ("aResults not provided.", "bIf assessed …").
FOOTNOTE_LINE = re.compile(r"^(?P<mark>[a-z])(?P<text>[A-Z0-9(].*)$")
# Footnotes glued to the end of the Abbreviations line: "…response.aBortezomib was used…"
GLUED_FOOTNOTE = re.compile(r"(?<=\.)(?P<mark>[a-z])(?=[A-Z0-9])")
VALUE = re.compile(
    r"""^(?:
        [<>≤≥~±]?\s?\d[\d.,]*(?:$|[\s(/%\-–;:\[a-z])   # a number, possibly with more after it
      | NR[a-z]?(?:$|[\s(])                          # not reached
      | (?:NE|NA|N/A)$
      | [-–—]$                                       # an empty cell printed as a dash
      | .*\(\s?\d[^()]*\)$                          # text with a numeric parenthesis: "Kd (20 [13])"
    )""",
    re.X,
)
TOP_LEVEL = {"literature search", "references", "product labeling", "clinical data", "summary"}
SAMPLE_SIZE = re.compile(r"\b[nN]\s*=\s*\d")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def normalise(text: str) -> str:
    """Non-breaking spaces to spaces, runs of white space to one: the form every output uses."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def expand_citations(text: str, valid: set[int]) -> list[int]:
    """'5,6' -> [5, 6]; '7-10' -> [7, 8, 9, 10]; numbers not in the reference list are dropped."""
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and all(b.isdigit() for b in bounds):
            lo, hi = int(bounds[0]), int(bounds[1])
            if lo <= hi and hi - lo < 50:
                numbers.extend(range(lo, hi + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return [n for n in dict.fromkeys(numbers) if not valid or n in valid]


@dataclass(slots=True)
class Line:
    number: int  # 1-based
    start: int
    end: int
    raw: str

    @property
    def text(self) -> str:
        return normalise(self.raw)

    @property
    def indent(self) -> int:
        expanded = self.raw.replace("\u00a0", " ")
        return len(expanded) - len(expanded.lstrip(" \t"))

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def is_bullet(self) -> bool:
        return self.text.startswith(BULLET)


def split_lines(raw: str) -> list[Line]:
    lines, offset = [], 0
    for number, chunk in enumerate(raw.splitlines(keepends=True), start=1):
        body = chunk.rstrip("\r\n")
        lines.append(Line(number, offset, offset + len(body), body))
        offset += len(chunk)
    return lines


def span_of(first: Line, last: Line) -> Span:
    return Span(first.start, last.end, first.number, last.number)


def is_value(text: str) -> bool:
    return bool(VALUE.match(text))


def is_sentence(text: str) -> bool:
    """Prose rather than a heading or a cell: ends like a sentence, or is long."""
    return text.endswith((".", ":", ";")) or len(text.split()) >= 14


class _Parser:
    def __init__(self, raw: str, path: str, doc_id: str) -> None:
        self.raw, self.path, self.doc_id = raw, path, doc_id
        self.lines = split_lines(raw)
        self.vocabulary = Counter(w.lower() for w in WORD.findall(normalise(raw)))
        self.valid_citations: set[int] = set()

    def fail(self, line: int, problem: str) -> DocumentFormatError:
        return DocumentFormatError(self.path, line, problem)

    # ---- the whole letter -------------------------------------------------------------------------

    def parse(self) -> Letter:
        lines = self.lines
        if not any(not ln.blank for ln in lines):
            raise self.fail(1, "the letter is empty")
        updated = next((ln for ln in lines if LAST_UPDATED.match(ln.text)), None)
        if updated is None:
            raise self.fail(1, 'no "Last Updated: <date>" line, so the header cannot be found')
        title_line = self._previous_nonblank(updated.number - 1)
        if title_line is None:
            raise self.fail(updated.number, 'no title line before "Last Updated"')
        header = [ln for ln in lines[: title_line.number - 1] if not ln.blank]
        if not header:
            raise self.fail(title_line.number, "no disclaimer paragraph before the title")
        disclaimer = Paragraph(" ".join(ln.text for ln in header), span_of(header[0], header[-1]))

        headings = self._top_level_headings(updated.number)
        references = self._references(headings)
        self.valid_citations = set(references)
        summary = self._summary(headings)
        literature = self._literature_search(headings)
        studies = self._studies(headings, updated.number)
        if not studies:
            raise self.fail(updated.number, 'no study found (a paragraph opening "Author et al (year)N")')
        m = LAST_UPDATED.match(updated.text)
        assert m
        return Letter(
            id=self.doc_id,
            path=self.path,
            raw=self.raw,
            title=title_line.text,
            last_updated=m.group("date").strip(),
            disclaimer=disclaimer,
            summary=summary,
            studies=studies,
            references=references,
            header_span=span_of(header[0], updated),
            literature_search=literature,
        )

    def _previous_nonblank(self, index: int) -> Line | None:
        """The last non-blank line before 0-based index `index`."""
        for ln in reversed(self.lines[:index]):
            if not ln.blank:
                return ln
        return None

    def _top_level_headings(self, after: int) -> dict[str, Line]:
        found: dict[str, Line] = {}
        for ln in self.lines[after:]:
            key = ln.text.lower()
            if ln.indent == 0 and key in TOP_LEVEL and key not in found:
                found[key] = ln
        return found

    def _region(self, headings: dict[str, Line], name: str) -> list[Line]:
        """The lines after heading `name` up to the next top-level heading."""
        start = headings.get(name)
        if start is None:
            return []
        following = [ln.number for ln in headings.values() if ln.number > start.number]
        end = min(following) - 1 if following else len(self.lines)
        return self.lines[start.number : end]

    # ---- summary, literature search, references ---------------------------------------------------

    def _summary(self, headings: dict[str, Line]) -> list[Bullet]:
        bullets = self._bullets([ln for ln in self._region(headings, "summary") if not ln.blank])
        for bullet in bullets:
            for b in bullet.walk():
                b.citations = self._citations_in(b.text)
        return bullets

    def _literature_search(self, headings: dict[str, Line]) -> Paragraph | None:
        body = [ln for ln in self._region(headings, "literature search") if not ln.blank]
        if not body:
            return None
        return Paragraph(" ".join(ln.text for ln in body), span_of(body[0], body[-1]))

    def _references(self, headings: dict[str, Line]) -> dict[int, Reference]:
        refs: dict[int, Reference] = {}
        for ln in self._region(headings, "references"):
            if ln.blank:
                continue
            m = REFERENCE_LINE.match(ln.text)
            if not m:
                if refs:  # trailing web-page lines after the list
                    break
                raise self.fail(ln.number, "a reference entry must start with its number")
            refs[int(m.group("num"))] = Reference(int(m.group("num")), m.group("text"), span_of(ln, ln))
        if not refs:
            line = headings["references"].number if "references" in headings else len(self.lines)
            raise self.fail(line, 'no numbered reference list under a "References" heading')
        return refs

    def _citations_in(self, text: str) -> list[int]:
        found: list[int] = []
        for m in GLUED_CITATION.finditer(text):
            found.extend(expand_citations(m.group(1), self.valid_citations))
        return list(dict.fromkeys(found))

    # ---- bullets ----------------------------------------------------------------------------------

    def _bullets(self, lines: list[Line]) -> list[Bullet]:
        """Bullets with their nested children; indented non-bullet lines continue the bullet above."""
        roots: list[Bullet] = []
        stack: list[tuple[int, Bullet]] = []
        last: tuple[int, Bullet] | None = None
        for ln in lines:
            if ln.is_bullet:
                bullet = Bullet(ln.text.lstrip(BULLET).strip(), span_of(ln, ln))
                while stack and stack[-1][0] >= ln.indent:
                    stack.pop()
                (stack[-1][1].children if stack else roots).append(bullet)
                stack.append((ln.indent, bullet))
                last = (ln.indent, bullet)
            elif last is not None and ln.indent > 0:
                bullet = last[1]
                bullet.text = f"{bullet.text} {ln.text}"
                bullet.span = Span(bullet.span.start, ln.end, bullet.span.line, ln.number)
            else:
                raise self.fail(ln.number, f"expected a bullet, found {ln.text[:60]!r}")
        for root in roots:  # a parent's span covers its children
            _extend_spans(root)
        return roots

    # ---- studies ----------------------------------------------------------------------------------

    def _studies(self, headings: dict[str, Line], after: int) -> list[Study]:
        ends = [ln.number for key, ln in headings.items() if key in {"literature search", "references"}]
        start = headings["clinical data"].number if "clinical data" in headings else after
        region = self.lines[start : (min(ends) - 1 if ends else len(self.lines))]
        openings = [i for i, ln in enumerate(region) if ln.indent == 0 and STUDY_OPENING.match(ln.text)]
        studies: list[Study] = []
        for n, i in enumerate(openings):
            heading = next((ln for ln in reversed(region[:i]) if not ln.blank), None)
            if heading is None or is_sentence(heading.text):
                raise self.fail(region[i].number, "a study paragraph must follow a study heading")
            end = len(region)
            if n + 1 < len(openings):
                nxt = openings[n + 1]
                end = next(j for j in range(nxt - 1, -1, -1) if not region[j].blank)  # its heading
            studies.append(self._study(heading, region[i:end]))
        return studies

    def _study(self, heading: Line, lines: list[Line]) -> Study:
        opening = lines[0]
        m = STUDY_OPENING.match(opening.text)
        assert m
        intro = Paragraph(opening.text, span_of(opening, opening), self._citations_in(opening.text))
        study = Study(
            heading=heading.text,
            author=m.group("author"),
            year=int(m.group("year")),
            citations=intro.citations,
            span=span_of(heading, lines[-1] if lines else opening),
            intro=intro,
        )
        section = Section(name=None)
        study.sections.append(section)
        parent: str | None = None
        i = 1
        while i < len(lines):
            ln = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if ln.blank:
                i += 1
            elif ln.is_bullet:
                j = i + 1
                while j < len(lines) and (lines[j].is_bullet or (lines[j].indent > 0 and not lines[j].blank)):
                    j += 1
                section.blocks.extend(self._bullets(lines[i:j]))
                i = j
            elif ln.indent == 0 and nxt is not None and not nxt.blank and not nxt.is_bullet and not is_sentence(
                ln.text
            ):
                table, i = self._table(lines, i, study)
                section.blocks.append(table)
            elif not is_sentence(ln.text):
                # A sub-heading. One followed directly by another heading ("Results", then "Patient
                # Characteristics") is the parent of the headings under it.
                following = next((x for x in lines[i + 1 :] if not x.blank), None)
                if following is not None and self._is_heading_at(lines, lines.index(following)):
                    parent = ln.text
                    i += 1
                    continue
                section = Section(name=ln.text, parent=parent)
                study.sections.append(section)
                i += 1
            else:
                section.blocks.append(Paragraph(ln.text, span_of(ln, ln), self._citations_in(ln.text)))
                i += 1
        for s in study.sections:
            for block in s.blocks:
                if isinstance(block, Bullet):
                    for b in block.walk():
                        b.citations = self._citations_in(b.text) or study.citations
                elif isinstance(block, Paragraph) and not block.citations:
                    block.citations = study.citations
        study.sections = [s for s in study.sections if s.blocks]
        return study

    def _is_heading_at(self, lines: list[Line], i: int) -> bool:
        ln = lines[i]
        if ln.blank or ln.is_bullet or ln.indent > 0 or is_sentence(ln.text):
            return False
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        return nxt is None or nxt.blank or nxt.is_bullet

    # ---- tables -----------------------------------------------------------------------------------

    def _table(self, lines: list[Line], i: int, study: Study) -> tuple[Table, int]:
        title_line = lines[i]
        title, citations = self._split_title(title_line.text, set(study.citations))
        body: list[Line] = []
        notes: list[Line] = []
        j = i + 1
        # The body: until the Abbreviations line, a footnote sentence, a bullet or a paragraph.
        while j < len(lines):
            ln = lines[j]
            if ln.blank:
                j += 1
                continue
            text = ln.text
            if ABBREVIATIONS.match(text) or (FOOTNOTE_LINE.match(text) and len(text.split()) >= 3):
                break
            prose = text.endswith(".") and len(text.split()) >= 5
            if ln.is_bullet or STUDY_OPENING.match(text) or (ln.indent == 0 and prose):
                break
            body.append(ln)
            j += 1
        # The notes under it: the Abbreviations line, footnotes, and lines continuing them.
        while j < len(lines):
            ln = lines[j]
            text = ln.text
            if ln.blank:
                break
            continues = bool(notes) and not notes[-1].text.endswith(".")
            if not (ABBREVIATIONS.match(text) or FOOTNOTE_LINE.match(text) or continues):
                break
            notes.append(ln)
            j += 1
        abbreviations, footnotes = self._notes(notes)
        headers, rows = self._grid(title_line, body, footnotes)
        last = (notes or body or [title_line])[-1]
        table = Table(
            title=title,
            citations=citations,
            headers=headers,
            rows=rows,
            span=span_of(title_line, last),
            abbreviations=abbreviations,
            footnotes=footnotes,
        )
        return table, j

    def _split_title(self, text: str, preferred: set[int]) -> tuple[str, list[int]]:
        """'PFS and OS Outcomes1' -> ('PFS and OS Outcomes', [1]); '… at P16' -> ('… at P1', [6])."""
        m = TITLE_CITATION.search(text)
        if not m:
            return text, []
        glued = m.group(1)
        candidates = []
        for k in range(len(glued)):
            suffix = glued[k:]
            if suffix[0] in ",-–":
                continue
            numbers = expand_citations(suffix, set())
            if numbers and all(n in self.valid_citations for n in numbers):
                candidates.append((text[: m.start(1) + k].rstrip(), numbers))
        if not candidates:
            return text, []
        # Longest valid glue first, but one that cites the study beats one that does not.
        candidates.sort(key=lambda c: (not set(c[1]) & preferred, len(c[0])))
        return candidates[0]

    def _notes(self, notes: list[Line]) -> tuple[str | None, dict[str, str]]:
        abbreviations: str | None = None
        footnotes: dict[str, str] = {}
        current: str | None = None
        for ln in notes:
            text = ln.text
            if ABBREVIATIONS.match(text):
                parts = GLUED_FOOTNOTE.split(text)
                abbreviations = parts[0].strip()
                for mark, note in zip(parts[1::2], parts[2::2], strict=True):
                    footnotes[mark] = note.strip()
                    current = mark
                continue
            m = FOOTNOTE_LINE.match(text)
            if m and m.group("mark") not in footnotes:
                current = m.group("mark")
                footnotes[current] = m.group("text").strip()
            elif current is not None:
                footnotes[current] = f"{footnotes[current]} {text}"
            elif abbreviations is not None:
                abbreviations = f"{abbreviations} {text}"
        return abbreviations, footnotes

    def _grid(self, title: Line, body: list[Line], footnotes: dict[str, str]) -> tuple[list[str], list[Row]]:
        """Header lines and rows from the one-cell-a-line layout."""
        first_value = next((k for k, ln in enumerate(body) if ln.indent == 0 and is_value(ln.text)), None)
        if first_value is None or first_value == 0:
            raise self.fail(title.number, f"table {title.text!r}: no row label followed by values")
        start = first_value - 1  # the first row label, or the deepest of a chain of group labels
        while start > 0 and body[start].indent > 0:
            start -= 1
        if start < first_value - 1 and body[start].indent > 0:
            raise self.fail(body[start].number, f"table {title.text!r}: indented line before any row")
        header_cells = self._join_parenthesised([ln.text for ln in body[:start]])
        rows, parent_of = self._rows(body[start:])
        width = max(len(r.cells) for r in rows)
        headers = self._headers(title, header_cells, width)
        self._strip_footnote_marks(headers, rows, footnotes)
        for row, parent in zip(rows, parent_of, strict=True):
            row.cells += [""] * (width - len(row.cells))
            row.parents = [*rows[parent].parents, rows[parent].label] if parent is not None else []
        return headers, rows

    @staticmethod
    def _join_parenthesised(cells: list[str]) -> list[str]:
        """A header line that opens with '(' continues the header above it: 'First …' + '(D1, n=22)'."""
        out: list[str] = []
        for cell in cells:
            if cell.startswith("(") and out:
                out[-1] = f"{out[-1]} {cell}"
            else:
                out.append(cell)
        return out

    def _headers(self, title: Line, cells: list[str], width: int) -> list[str]:
        if len(cells) == width + 1:
            return cells
        if len(cells) == width:
            # One header missing: the label column's ("First … (D1, n=22)" opens the values) or the
            # only value column's ("Parameter" over a single column of values).
            if width == 1 and not SAMPLE_SIZE.search(cells[0]):
                return [cells[0], ""]
            return ["", *cells]
        groups, subs = cells[1 : len(cells) - width], cells[len(cells) - width :]
        if len(cells) > width + 1 and groups and width % len(groups) == 0:
            per = width // len(groups)
            return [cells[0], *(f"{groups[k // per]}: {sub}" for k, sub in enumerate(subs))]
        raise self.fail(
            title.number,
            f"table {title.text!r}: {len(cells)} header lines do not fit {width} value columns",
        )

    def _rows(self, lines: list[Line]) -> tuple[list[Row], list[int | None]]:
        """Rows in order, and for each the index of the row it sits under (None at the top level)."""
        rows: list[Row] = []
        parent_of: list[int | None] = []
        stack: list[tuple[int, int]] = []  # (indent, row index) of the open rows above
        row: Row | None = None
        label_indent = 0
        last_line: Line | None = None
        for ln in lines:
            text = ln.text
            if ln.indent == 0 and is_value(text) and row is not None:
                if row.cells and text.startswith("(") and last_line is not None and last_line.indent == 0:
                    row.cells[-1] = f"{row.cells[-1]} {text}"  # a value wrapped onto a second line
                else:
                    row.cells.append(text)
            elif row is not None and not row.cells and ln.indent == label_indent:
                # A label wrapped over lines: "Thrombocyto-" + "penia", "Elevated liver" + "enzymes".
                if row.label.endswith("-") and text[:1].islower():
                    row.label = row.label[:-1] + text
                else:
                    row.label = f"{row.label} {text}"
            else:
                while stack and stack[-1][0] >= ln.indent:
                    stack.pop()
                parent_of.append(stack[-1][1] if stack else None)
                row = Row(label=text, parents=[], cells=[], span=span_of(ln, ln))
                stack.append((ln.indent, len(rows)))
                rows.append(row)
                label_indent = ln.indent
            assert row is not None
            row.span = Span(row.span.start, ln.end, row.span.line, ln.number)
            last_line = ln
        return rows, parent_of

    def _strip_footnote_marks(self, headers: list[str], rows: list[Row], footnotes: dict[str, str]) -> None:
        """Remove footnote letters glued to labels, values and headers, and note which row cites which."""
        marks = set(footnotes)
        if not marks:
            return
        after_value = re.compile(rf"(?<=[\d)\]R])([{''.join(sorted(marks))}])$")
        used: set[str] = set()

        def strip_value(text: str) -> tuple[str, str | None]:
            m = after_value.search(text)
            return (text[: m.start()], m.group(1)) if m else (text, None)

        for k, header in enumerate(headers):
            headers[k], mark = strip_value(header)
            if mark:
                used.add(mark)
        for row in rows:
            for k, cell in enumerate(row.cells):
                row.cells[k], mark = strip_value(cell)
                if mark:
                    row.footnotes.append(mark)
                    used.add(mark)
        for row in rows:
            m = after_value.search(row.label) if re.search(r"\d[a-z]$", row.label) else None
            if m:  # "Grade 3/4a": a letter glued to a number is a footnote mark
                row.label = row.label[: m.start()]
                row.footnotes.append(m.group(1))
                used.add(m.group(1))
        for row in rows:
            row.label, found = self._strip_label(row.label, marks, strict=True)
            row.footnotes.extend(found)
            used.update(found)
        for mark in sorted(marks - used):  # a footnote nobody cites: find the unknown word that does
            for row in rows:
                row.label, found = self._strip_label(row.label, {mark}, strict=False)
                if found:
                    row.footnotes.extend(found)
                    break

    def _strip_label(self, label: str, marks: set[str], *, strict: bool) -> tuple[str, list[str]]:
        """'Median agea (range)' -> 'Median age (range)', ['a'] when 'age' is a word of the letter and
        'agea' is not one elsewhere. With strict=False, a word unknown in both forms also gives its mark."""
        found: list[str] = []

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            if len(word) < 3 or word[-1] not in marks:
                return word
            bare = word[:-1].lower()
            seen_bare = self.vocabulary[bare] > 0
            seen_word = self.vocabulary[word.lower()] > 1
            if seen_word or (strict and not seen_bare) or (not strict and seen_bare):
                return word
            found.append(word[-1])
            return word[:-1]

        return WORD.sub(fix, label), found


def _extend_spans(bullet: Bullet) -> Span:
    end = bullet.span
    for child in bullet.children:
        child_span = _extend_spans(child)
        if child_span.end > end.end:
            end = child_span
    bullet.span = Span(bullet.span.start, end.end, bullet.span.line, end.end_line)
    return bullet.span


def parse_text(raw: str, path: str = "<text>", doc_id: str | None = None) -> Letter:
    doc = doc_id or Path(path).stem
    return _Parser(raw, path, doc).parse()


def parse_letter(path: str | Path) -> Letter:
    """Parse one letter file; a file that is not UTF-8 or not in the format raises DocumentFormatError."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentFormatError(str(p), raw_line_of(p.read_bytes(), exc.start), "not UTF-8 text") from exc
    letter = parse_text(raw, str(p), p.stem)
    logger.debug("parsed %s: %d studies, %d tables", p, len(letter.studies), len(letter.tables))
    return letter


def raw_line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1
