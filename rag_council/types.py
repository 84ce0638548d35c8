"""The domain types. Everything the library hands out is one of these; llama-index and
Chroma types never leave their adapter modules.

Flow: Document -> Section -> Chunk -> (index) -> Hit -> Citation -> Answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rag_council.text.dates import format_date


class DocType(StrEnum):
    """The kinds of document (and of part of a document) the parsers tell apart, as stored in
    `meta["doc_type"]`. A StrEnum: members are the plain strings, so stored metadata, filters
    and JSON stay strings ("minutes" == DocType.MINUTES)."""

    MINUTES = "minutes"
    AGENDA = "agenda"
    PUBLIC_QUESTIONS = "public_questions"
    OFFICER_REPORT = "officer_report"
    APPENDIX = "appendix"
    STRATEGY = "strategy"
    WORK_PROGRAMME = "work_programme"
    BOILERPLATE = "boilerplate"  # agenda furniture, left out of the index
    REPORT = "report"  # a document with council structure but no agenda, minutes or strategy front
    DOCUMENT = "document"  # no council structure recognised: markdown sections


if TYPE_CHECKING:  # pragma: no cover
    from rag_council.answer.base import GenerationResult

# Metadata values must survive a round trip through Chroma: scalars only, no None.
MetaValue = str | int | float | bool
Meta = dict[str, MetaValue]


@dataclass(frozen=True)
class PageSpan:
    """Page `number` (1-based, as printed by the PDF reader) covers text[start:end]."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A part of a document that an officer would name: a minute item, a public question
    with its response, a report, an appendix, a strategy heading. Offsets index Document.text."""

    heading: str
    start: int
    end: int
    path: tuple[str, ...] = ()
    meta: Meta = field(default_factory=dict)


@dataclass
class Document:
    """A loaded, cleaned document.

    `text` is the cleaned text that is chunked and cited; `origin` maps cleaned offsets back
    to `source_text` (see documents.cleaning.OffsetMap) so that a quote can always be found
    in what the file really says.
    """

    doc_id: str  # sha256 of the file's bytes (first 16 hex digits)
    name: str  # file name as ingested, relative to the ingest root
    path: str  # absolute path of the source file
    format: str  # txt, md, html, pdf
    title: str
    text: str
    source_text: str
    origin: list[tuple[int, int, int]] = field(default_factory=list)  # (clean_start, source_start, length)
    pages: list[PageSpan] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    meta: Meta = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].end else None


@dataclass
class Chunk:
    """A passage that is embedded, retrieved and cited. `text` is Document.text[start:end]."""

    chunk_id: str
    doc_id: str
    document: str
    text: str
    start: int
    end: int
    seq: int  # position of the chunk in its document
    title: str = ""
    section: str = ""
    page: int | None = None
    page_end: int | None = None
    source_start: int | None = None
    source_end: int | None = None
    meta: Meta = field(default_factory=dict)

    @property
    def date(self) -> str | None:
        value = self.meta.get("date")
        return str(value) if value else None

    def page_at(self, offset: int) -> int | None:
        """The page of the character at `offset` within this chunk's text."""
        page = self.page
        for item in str(self.meta.get("page_breaks", "")).split(";"):
            if item:
                at, number = item.split(":")
                if int(at) <= offset:
                    page = int(number)
        return page

    @property
    def label(self) -> str:
        """A human-readable place, e.g. 'Cabinet minutes, 22 June 2017, item 3, p. 12'."""
        parts = [str(self.meta.get("label") or self.title or self.document)]
        if self.date and "label" not in self.meta:
            parts.append(format_date(self.date))
        if self.section and self.section.lower() not in parts[0].lower():
            parts.append(self.section)
        if self.page is not None:
            pages = (
                f"p. {self.page}"
                if self.page_end in (None, self.page)
                else f"pp. {self.page}-{self.page_end}"
            )
            parts.append(pages)
        return ", ".join(parts)


@dataclass
class Filters:
    """Narrows a search. Every field is optional; dates are inclusive."""

    committee: str | None = None
    doc_type: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    documents: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.committee or self.doc_type or self.since or self.until or self.documents)


@dataclass
class Hit:
    """A retrieved chunk. `score` orders the hits (its scale depends on the retriever);
    `dense` is the cosine similarity to the question and `keyword` the BM25 score, where known."""

    chunk: Chunk
    score: float
    rank: int
    dense: float | None = None
    keyword: float | None = None


@dataclass
class Citation:
    """Marker [n] in an answer points at `quote`, an exact span of the chunk's text."""

    marker: int
    chunk: Chunk
    quote: str
    quote_start: int  # offset of the quote inside chunk.text

    @property
    def page(self) -> int | None:
        """The page the quote starts on (a chunk may span pages)."""
        return self.chunk.page_at(self.quote_start)

    def to_json(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "chunk_id": self.chunk.chunk_id,
            "document": self.chunk.document,
            "title": self.chunk.title,
            "date": self.chunk.date,
            "page": self.page,
            "section": self.chunk.section or None,
            "label": self.chunk.label,
            "quote": self.quote,
            "text": self.chunk.text,
        }


@dataclass(frozen=True)
class Span:
    """An exact span of a document: Document.text[start:end] == text. `page` and the source
    offsets map it to the file as for a chunk, so a record's field can be cited like a chunk."""

    doc_id: str
    start: int
    end: int
    text: str
    page: int | None = None
    source_start: int | None = None
    source_end: int | None = None


# Record kinds, as listed by `rag-council records --kind`.
RECORD_KINDS = ("meeting", "attendance", "item", "recommendation", "question", "document")


@dataclass
class Record:
    """One of the council's records, extracted at ingest (see rag_council.ingest.records).

    Every value in `fields` is a list of spans of the document (a list, because a field such
    as members_present holds several names). `notes` holds what is derived rather than read
    (the minutes' status, a period's years), each with the field it was derived from named in
    the record kind's documentation. `span` is the whole record (an item, a question block)."""

    kind: str  # one of RECORD_KINDS
    doc_id: str
    document: str  # the document's file name, as in the index manifest
    key: str  # unique within the document, e.g. "item:2023-11-14:168"
    span: Span
    committee: str = ""
    date: str = ""  # ISO date of the meeting (or the document), "" when unknown
    title: str = ""
    fields: dict[str, list[Span]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        return f"{self.doc_id}:{self.key}"

    def first(self, name: str) -> Span | None:
        spans = self.fields.get(name)
        return spans[0] if spans else None

    def value(self, name: str) -> str:
        """The text of a field (its spans joined with '; '), or a note of that name, or ""."""
        spans = self.fields.get(name)
        if spans:
            return "; ".join(" ".join(s.text.split()) for s in spans)
        return self.notes.get(name, "")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.record_id,
            "document": self.document,
            "committee": self.committee,
            "date": self.date,
            "title": self.title,
            "span": {k: v for k, v in asdict(self.span).items() if k != "text"},
            "fields": {k: [asdict(s) for s in v] for k, v in self.fields.items()},
            "notes": dict(self.notes),
        }


@dataclass
class Claim:
    """One sentence of an answer, the markers it cites and how it was checked."""

    text: str
    markers: list[int]
    supported: bool | None = None
    check: str = ""  # how support was decided, e.g. "verbatim" or "support-checker:0.82"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notice: str = ""  # e.g. why the question was not answered
    understood: str = ""  # what retrieval read from the question, e.g. "committee Cabinet"
    # The generator's result for this answer (outcome, its own timings and token counts);
    # None when the question was declined before a generator was asked.
    generation: GenerationResult | None = field(default=None, repr=False, compare=False)
    notes: list[str] = field(default_factory=list)  # about time: draft minutes, versions, "as at"

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [
                {
                    "rank": h.rank,
                    "chunk_id": h.chunk.chunk_id,
                    "document": h.chunk.document,
                    "score": round(float(h.score), 6),
                    "dense_score": None if h.dense is None else round(float(h.dense), 6),
                    "keyword_score": None if h.keyword is None else round(float(h.keyword), 6),
                    "text": h.chunk.text,
                    "label": h.chunk.label,
                }
                for h in self.retrieved
            ],
            "claims": [c.to_json() for c in self.claims],
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "notice": self.notice,
            "understood": self.understood,
            "notes": list(self.notes),
        }


@dataclass
class SkippedFile:
    path: str
    reason: str

    def __post_init__(self) -> None:
        # Loader errors start with the file's name; the report already names it once.
        for prefix in (self.path, self.path.rsplit("/", 1)[-1]):
            if prefix and self.reason.startswith(f"{prefix}: "):
                self.reason = self.reason[len(prefix) + 2 :]
                break


@dataclass
class IngestReport:
    index: str
    documents: int = 0  # documents now in the index
    pages: int = 0  # pages of the documents read in this run
    chunks: int = 0  # chunks now in the index
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"Index '{self.index}': {self.documents} documents, {self.chunks} chunks "
            f"({len(self.added)} added, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged"
            + (f", {len(self.removed)} removed" if self.removed else "")
            + (f"; {self.pages} PDF pages read" if self.pages else "")
            + f"; {self.seconds:.1f} s)."
        ]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} file(s):")
            lines += [f"  - {s.path}: {s.reason}" for s in self.skipped]
        for name, warnings in self.warnings.items():
            for warning in warnings:
                lines.append(f"  ! {name}: {warning}")
        return "\n".join(lines)
