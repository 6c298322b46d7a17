"""Cut a parsed letter into chunks that each answer one thing and say where they came from.

Prose is chunked by bullet group (a bullet with the bullets under it), tables by row: every row chunk
carries its study, table title and column headers, so "ORR: DARZALEX-Naïve (n=43) 28 (65) | DARZALEX
Retreated (n=43) 21 (49)" reads on its own. The summary bullets, each reference entry, the literature-search
note and the disclaimer are chunks too. The text of a chunk is the letter's own words: cells and sentences
verbatim, prefixed at most by the study, section, table title and column headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

from qa.letter import Bullet, Letter, Paragraph, Row, Span, Study, Table
from qa.parse import normalise
from qa.tokens import count_tokens

SEP = " › "

Kind = Literal[
    "row", "table", "bullet", "paragraph", "summary", "references", "disclaimer", "literature_search"
]


class Chunk(BaseModel):
    """A retrievable unit of a letter, with everything needed to cite it."""

    id: str
    document: str
    kind: Kind
    study: str | None = None  # "Talbot et al (2025)"
    study_id: str | None = None  # "talbot-2025"
    section: str | None = None
    table: str | None = None
    row: list[str] | None = None  # the row's label path, for table rows
    citations: list[int] = Field(default_factory=list)
    text: str  # returned to users: context prefix + the letter's words
    quotes: list[str] = Field(default_factory=list)  # verbatim sentences or row lines a highlight picks from
    related_studies: list[str] = Field(default_factory=list)  # studies this chunk speaks of (for boosting)
    tokens: int = 0  # cl100k tokens of text
    start: int  # character span in the letter's raw text
    end: int
    line: int
    end_line: int


SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z(≥])")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE.split(text) if s.strip()]


def row_line(row: Row, headers: list[str]) -> str:
    """'Anemia › Grade 3: First DARZALEX Treatment (D1, n=20) 5 (25) | …' (empty cells left out)."""
    cells = [f"{h} {c}".strip() for h, c in zip(headers[1:], row.cells, strict=True) if c]
    return f"{SEP.join(row.path)}: {' | '.join(cells)}" if cells else SEP.join(row.path)


class Chunker:
    def __init__(self, letter: Letter, count_pieces: Callable[[str], int], max_pieces: int = 230,
                 overlap_pieces: int = 24, group_rows: int = 8) -> None:
        self.letter = letter
        self.count_pieces = count_pieces
        self.max_pieces = max_pieces
        self.group_rows = group_rows
        self.overlap_pieces = overlap_pieces
        self.chunks: list[Chunk] = []
        self.cited_by = self._studies_by_citation()

    def _studies_by_citation(self) -> dict[int, list[str]]:
        by: dict[int, list[str]] = {}
        for study in self.letter.studies:
            numbers = set(study.citations) | {n for t in study.tables for n in t.citations}
            for n in numbers:
                by.setdefault(n, []).append(study.id)
        return by

    def related(self, citations: list[int]) -> list[str]:
        return sorted({s for n in citations for s in self.cited_by.get(n, [])})

    def add(self, *, key: str, kind: Kind, text: str, span: Span, quotes: list[str] | None = None,
            study: Study | None = None, **fields: object) -> None:
        citations = list(fields.pop("citations", []) or [])  # type: ignore[call-overload]
        related = [study.id] if study else self.related(citations)
        self.chunks.append(
            Chunk(
                id=f"{self.letter.id}/{key}",
                document=self.letter.id,
                kind=kind,
                study=study.label if study else None,
                study_id=study.id if study else None,
                citations=citations,
                text=text,
                quotes=quotes if quotes is not None else sentences(text),
                related_studies=related,
                tokens=count_tokens(text),
                start=span.start,
                end=span.end,
                line=span.line,
                end_line=span.end_line,
                **fields,  # type: ignore[arg-type]
            )
        )

    # ---- the letter -------------------------------------------------------------------------------

    def run(self) -> list[Chunk]:
        letter = self.letter
        header = [letter.disclaimer.text, letter.title, f"Last Updated: {letter.last_updated}"]
        self._prose(key="disclaimer", kind="disclaimer", prefix="", lines=header, span=letter.header_span, sep="\n",
                    section="Disclaimer")
        for n, bullet in enumerate(letter.summary, start=1):
            for k, (text, quotes, span) in enumerate(self._bullet_pieces(bullet, "Summary")):
                self.add(key=f"summary/{n}" + (f".{k}" if k else ""), kind="summary", text=text, span=span,
                         quotes=quotes, section="Summary", citations=bullet.citations)
        for study in letter.studies:
            self._study(study)
        if letter.literature_search:
            para = letter.literature_search
            self._prose(key="literature-search", kind="literature_search", prefix="Literature Search:",
                        lines=[para.text], span=para.span, section="Literature Search")
        for number, ref in letter.references.items():
            self._prose(key=f"references/{number}", kind="references", prefix=f"References{SEP}",
                        lines=[f"{number} {normalise(ref.text)}"], span=ref.span, sep="", section="References",
                        citations=[number])
        return self.chunks

    def _study(self, study: Study) -> None:
        sid = study.id
        if study.intro:
            self._prose(key=f"{sid}/intro", kind="paragraph", prefix=f"{study.heading}:", lines=[study.intro.text],
                        span=study.intro.span, study=study, citations=study.citations)
        n_block = n_table = 0
        for section in study.sections:
            context = SEP.join(x for x in (study.label, section.parent, section.name) if x)
            for block in section.blocks:
                if isinstance(block, Table):
                    n_table += 1
                    self._table(study, section.name, block, f"{sid}/t{n_table}")
                    continue
                n_block += 1
                if isinstance(block, Paragraph):
                    self._prose(key=f"{sid}/p{n_block}", kind="paragraph", prefix=f"{context}:", lines=[block.text],
                                span=block.span, study=study, section=section.name,
                                citations=block.citations or study.citations)
                    continue
                for k, (text, quotes, span) in enumerate(self._bullet_pieces(block, context)):
                    self.add(key=f"{sid}/b{n_block}" + (f".{k}" if k else ""), kind="bullet", text=text,
                             quotes=quotes, span=span, study=study, section=section.name,
                             citations=block.citations or study.citations)

    # ---- bullets ----------------------------------------------------------------------------------

    def _bullet_pieces(self, bullet: Bullet, context: str) -> Iterator[tuple[str, list[str], Span]]:
        """A bullet group in one piece when it fits; else the parent bullet with windows of its children."""
        if not bullet.children:
            for piece in self._pack(f"{context}:", [bullet.text]):
                yield f"{context}: {' '.join(piece)}", [q for x in piece for q in sentences(x)], bullet.span
            return
        whole = [b.text for b in bullet.walk()]
        if self.count_pieces(" ".join([f"{context}:", *whole])) <= self.max_pieces:
            yield f"{context}: {' '.join(whole)}", [q for x in whole for q in sentences(x)], bullet.span
            return
        head = f"{context}: {bullet.text}"
        if self.count_pieces(head) > self.max_pieces // 2:  # a long parent: no room to repeat it per window
            for piece in self._pack(f"{context}:", whole):
                yield f"{context}: {' '.join(piece)}", [q for x in piece for q in sentences(x)], bullet.span
            return
        windows: list[list[Bullet]] = [[]]
        for child in bullet.children:
            trial = [head, *(b.text for w in [*windows[-1], child] for b in w.walk())]
            if windows[-1] and self.count_pieces(" ".join(trial)) > self.max_pieces:
                windows.append([])
            windows[-1].append(child)
        for window in windows:
            lines = [b.text for w in window for b in w.walk()]
            span = Span(window[0].span.start, window[-1].span.end, window[0].span.line, window[-1].span.end_line)
            for piece in self._pack(head, lines):
                yield " ".join([head, *piece]), [q for x in piece for q in sentences(x)], span

    def _split(self, text: str, budget: int) -> list[str]:
        """A line too long for the model, cut at clause, sentence, then word boundaries (langchain's
        recursive splitter, measured in the model's word pieces); pieces overlap a little for context."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter  # building only: serving never splits

        budget = max(budget, 8)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap_pieces, budget // 4),
            length_function=self.count_pieces,
            separators=["; ", ". ", ", ", " "],
            keep_separator="end",
        )
        return [p.strip() for p in splitter.split_text(text) if p.strip()]

    def _pack(self, prefix: str, lines: list[str]) -> list[list[str]]:
        """Greedily group lines under a prefix so each group fits the model. A line that never fits is
        split, and each of its (overlapping) pieces stands alone so no words are repeated in one chunk."""
        budget = self.max_pieces - self.count_pieces(prefix) - 2
        groups: list[list[str]] = [[]]
        for line in lines:
            if self.count_pieces(line) > budget:
                groups.extend([piece] for piece in self._split(line, budget))
                groups.append([])
                continue
            if groups[-1] and self.count_pieces(" ".join([prefix, *groups[-1], line])) > self.max_pieces:
                groups.append([])
            groups[-1].append(line)
        return [g for g in groups if g]

    def _prose(self, *, key: str, kind: Kind, prefix: str, lines: list[str], span: Span, sep: str = " ",
               **fields: Any) -> None:
        """Prose under a context prefix, in as many chunks as the model's length needs."""
        for k, piece in enumerate(self._pack(prefix, lines)):
            self.add(key=key + (f".{k}" if k else ""), kind=kind, text=sep.join([prefix, *piece]) if prefix else
                     sep.join(piece), quotes=[q for x in piece for q in sentences(x)], span=span, **fields)

    # ---- tables -----------------------------------------------------------------------------------

    def _table(self, study: Study, section: str | None, table: Table, key: str) -> None:
        citations = table.citations or study.citations
        heading = f"{study.label}{SEP}{table.title}"
        columns = " | ".join(h for h in table.headers if h)
        # The Abbreviations line is not a chunk of its own: its definitions feed the lexicon instead, and as
        # text it matched every question that used any abbreviation.
        notes = [f"Columns: {columns}", *(f"{m} {t}" for m, t in table.footnotes.items())]
        for k, piece in enumerate(self._pack(heading, notes)):
            self.add(key=key + (f".{k}" if k else ""), kind="table", text="\n".join([heading, *piece]),
                     quotes=piece, span=table.span, study=study, section=section, table=table.title,
                     citations=citations)
        children: dict[int, list[Row]] = {}
        for r, row in enumerate(table.rows):
            for parent in self._ancestors(table, r):
                children.setdefault(parent, []).append(row)
        for r, row in enumerate(table.rows):
            if row.is_group:
                members = children.get(r, [])
                if members and len(members) <= self.group_rows:
                    lines = [row_line(m, table.headers) for m in members if not m.is_group]
                    text = "\n".join([heading, *lines])
                    if lines and self.count_pieces(text) <= self.max_pieces:
                        span = Span(row.span.start, members[-1].span.end, row.span.line, members[-1].span.end_line)
                        self.add(key=f"{key}/g{r + 1}", kind="row", text=text, quotes=lines, span=span,
                                 study=study, section=section, table=table.title, row=row.path,
                                 citations=citations)
                continue
            line = row_line(row, table.headers)
            notes = [f"{m} {table.footnotes[m]}" for m in dict.fromkeys(row.footnotes) if m in table.footnotes]
            text = "\n".join([heading, line, *notes])
            if self.count_pieces(text) > self.max_pieces:  # very wide rows: drop the notes, keep the row
                text = f"{heading}\n{line}"
            self.add(key=f"{key}/r{r + 1}", kind="row", text=text, quotes=[line], span=row.span, study=study,
                     section=section, table=table.title, row=row.path, citations=citations)

    @staticmethod
    def _ancestors(table: Table, r: int) -> list[int]:
        """Indexes of the group rows above row r (matched by label path)."""
        path = table.rows[r].path
        found = []
        for k in range(r - 1, -1, -1):
            other = table.rows[k].path
            if len(other) < len(path) and path[: len(other)] == other:
                found.append(k)
        return found


def chunk_letter(letter: Letter, count_pieces: Callable[[str], int], max_pieces: int = 230,
                 overlap_pieces: int = 24, group_rows: int = 8) -> list[Chunk]:
    return Chunker(letter, count_pieces, max_pieces, overlap_pieces, group_rows).run()
