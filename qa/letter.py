"""The structure of a response letter, as the parser recovers it.

Every element keeps the span of source text it came from, so a chunk can point back to the exact
characters of the letter (provenance) and tests can check that returned text is the letter's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) into the letter's raw text, and the 1-based first/last lines."""

    start: int
    end: int
    line: int
    end_line: int


@dataclass(slots=True)
class Bullet:
    text: str
    span: Span
    citations: list[int] = field(default_factory=list)
    children: list[Bullet] = field(default_factory=list)

    def walk(self) -> list[Bullet]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass(slots=True)
class Paragraph:
    text: str
    span: Span
    citations: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Row:
    """One table row: its label, the labels of the rows it sits under, and one cell per value column."""

    label: str
    parents: list[str]
    cells: list[str]
    span: Span
    footnotes: list[str] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        return [*self.parents, self.label]

    @property
    def is_group(self) -> bool:
        return not any(self.cells)


@dataclass(slots=True)
class Table:
    title: str
    citations: list[int]
    headers: list[str]  # label column first ("" when the letter prints none), then one per value column
    rows: list[Row]
    span: Span
    abbreviations: str | None = None
    footnotes: dict[str, str] = field(default_factory=dict)

    @property
    def value_headers(self) -> list[str]:
        return self.headers[1:]


Block = Bullet | Paragraph | Table


@dataclass(slots=True)
class Section:
    """A sub-section of a study ("Study Design/Methods", "Efficacy", …) and its blocks in order."""

    name: str | None
    blocks: list[Block] = field(default_factory=list)
    parent: str | None = None


@dataclass(slots=True)
class Study:
    heading: str
    author: str
    year: int
    citations: list[int]
    span: Span
    intro: Paragraph | None = None
    sections: list[Section] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.author} et al ({self.year})"

    @property
    def id(self) -> str:
        return f"{self.author.lower()}-{self.year}"

    @property
    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


@dataclass(slots=True)
class Reference:
    number: int
    text: str
    span: Span


@dataclass(slots=True)
class Letter:
    id: str
    path: str
    raw: str
    title: str
    last_updated: str
    disclaimer: Paragraph
    summary: list[Bullet]
    studies: list[Study]
    references: dict[int, Reference]
    header_span: Span = Span(0, 0, 1, 1)  # disclaimer, title and "Last Updated" line
    literature_search: Paragraph | None = None
    other_sections: list[Section] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.studies for t in s.tables]

    def source(self, span: Span) -> str:
        return self.raw[span.start : span.end]

    @property
    def body(self) -> str:
        """The letter's own text: the raw text without the web page's lines after its reference list
        ("Endchat", "Chat live"), which belong to no part of it."""
        last = max((r.span.end for r in self.references.values()), default=len(self.raw))
        search = self.literature_search
        return self.raw if search is not None and search.span.start > last else self.raw[:last]
