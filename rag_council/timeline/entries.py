"""Topic timelines: every record about a topic, in date order, one entry each, each citing the
exact span of a real chunk.

    entries = timeline(index, "corporate parenting", since=None, until=None, committee=None)

A record is about the topic when its own words hold the topic's words (title, resolution,
recommendation, question, response: stemmed, so "parenting" finds "parent"), or when the
index's retrieval (hybrid, over chunks) returns a passage inside the record's cited spans and
the record shares a word with the topic; so a synonym still finds it. Kinds of entry: decided,
recommended, reported, asked, answered, approved, due for review, draft (see KINDS). Minutes
printed in a later agenda pack are marked as the draft put for approval at that pack's
meeting; a strategy is marked superseded when a later version is in the index, and its review
date is an entry of its own saying whether a later version exists (the gap).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rag_council.index.records import records_of
from rag_council.text import STOPWORDS, stem, words
from rag_council.text.dates import month_text
from rag_council.timeline.status import DocumentStatus, document_statuses
from rag_council.types import Chunk, Filters, Record, Span, format_date

KINDS = ("decided", "recommended", "reported", "asked", "answered", "approved", "due for review", "draft")
MAX_QUOTE = 400  # characters of a cited span shown as the quote
MAX_TEXT = 260


@dataclass
class TimelineCitation:
    document: str
    chunk_id: str
    quote: str  # an exact span of the chunk's text
    page: int | None
    label: str
    quote_start: int = 0  # offset of the quote in the chunk's text
    chunk: Chunk | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "chunk_id": self.chunk_id,
            "quote": self.quote,
            "page": self.page,
            "label": self.label,
        }


@dataclass
class TimelineEntry:
    date: str  # ISO; "" when the record is undated (listed last)
    committee: str
    meeting: str  # e.g. "Cabinet, 20 July 2017" or "... 23 January 2024 (draft minutes, ...)"
    kind: str  # one of KINDS
    text: str
    citation: TimelineCitation
    record_id: str = ""
    status: str = ""  # "draft minutes", "superseded", "draft", "recommendation" or ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "committee": self.committee,
            "meeting": self.meeting,
            "kind": self.kind,
            "text": self.text,
            "citation": self.citation.to_json(),
            "status": self.status,
            "notes": list(self.notes),
        }


def _squash(text: str, n: int = MAX_TEXT) -> str:
    text = " ".join(text.replace("**", "").split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " …"


class ChunkLocator:
    """Finds the chunk that covers a span of a document, and cites the span in it."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self._by_doc: dict[str, list[Chunk]] = {}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        if doc_id not in self._by_doc:
            record = next((r for r in self.index.records() if r.doc_id == doc_id), None)
            chunks = self.index.chunks(list(record.chunk_ids)) if record else []
            self._by_doc[doc_id] = sorted(chunks, key=lambda c: (c.start, c.end))
        return self._by_doc[doc_id]

    def cite(self, span: Span, max_chars: int = MAX_QUOTE) -> TimelineCitation | None:
        """The span (its first `max_chars`, cut at a word) quoted from the chunk holding most of it."""
        best: tuple[int, Chunk] | None = None
        for c in self.chunks_of(span.doc_id):
            if c.start <= span.start < c.end:
                cover = min(c.end, span.end) - span.start
                if best is None or cover > best[0]:
                    best = (cover, c)
        if best is None:
            return None
        chunk = best[1]
        a = span.start - chunk.start
        b = min(span.end, chunk.end) - chunk.start
        quote = chunk.text[a:b]
        if quote != span.text[: len(quote)]:  # the chunk's text is not the document's there
            found = chunk.text.find(span.text[:60])
            if found < 0:
                return None
            a, quote = found, chunk.text[found : found + len(span.text)]
        if len(quote) > max_chars:
            cut = quote[:max_chars]
            quote = cut.rsplit(" ", 1)[0] if " " in cut else cut
        stripped = quote.rstrip()
        lead = len(stripped) - len(stripped.lstrip())
        quote = stripped.lstrip()
        a += lead
        if not quote:
            return None
        return TimelineCitation(
            chunk.document, chunk.chunk_id, quote, chunk.page_at(a), chunk.label, a, chunk
        )


def index_records(index: Any, kind: str | None = None) -> list[Record]:
    """The records of the documents now in `index` (rag_council.index.records.records_of)."""
    return records_of(index, kind)


def topic_stems(topic: str) -> list[str]:
    seen: list[str] = []
    for w in words(topic.lower()):
        s = stem(w)
        if w not in STOPWORDS and len(w) > 1 and s not in seen:
            seen.append(s)
    return seen


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text.lower())}


# The fields whose words say what a record is about (a whole document's text is not read).
_ABOUT_FIELDS = {
    "item": ("title", "resolution", "actions", "recommendation", "confirms"),
    "recommendation": ("report_title", "text", "purpose"),
    "question": ("question", "response"),
    "document": ("title",),
}


def _about_spans(record: Record) -> list[Span]:
    return [s for name in _ABOUT_FIELDS.get(record.kind, ()) for s in record.fields.get(name, [])]


def _about_text(record: Record) -> str:
    extra = [record.title, record.notes.get("report", "")]
    return " ".join(extra + [s.text for s in _about_spans(record)])


def lexical_score(record: Record, stems: list[str]) -> float:
    """The share of the topic's words in what the record is about."""
    if not stems:
        return 0.0
    have = _stems(_about_text(record))
    return sum(1 for s in stems if s in have) / len(stems)


def _retrieved_records(
    index: Any, topic: str, records: list[Record], filters: Filters | None, k: int = 12
) -> set[str]:
    """Records whose cited spans hold one of the passages retrieval finds for the topic."""
    try:
        from rag_council.retrieve.retrievers import make_retriever

        hits = make_retriever(index, index.settings.retrieval).retrieve(topic, k, filters)
    except Exception:  # a store that cannot search (empty index): words alone
        return set()
    found: set[str] = set()
    for hit in hits[:k]:
        c = hit.chunk
        for r in records:
            if r.doc_id != c.doc_id:
                continue
            spans = _about_spans(r) if r.kind != "document" else [r.span]
            if any(s.start < c.end and c.start < s.end for s in spans):
                found.add(r.record_id)
    return found


def matching_records(
    index: Any, topic: str, records: list[Record] | None = None, filters: Filters | None = None
) -> list[Record]:
    """The records about `topic` (see the module's docstring)."""
    records = records if records is not None else index_records(index)
    stems = topic_stems(topic)
    need = 1.0 if len(stems) <= 3 else 0.67
    retrieved = _retrieved_records(index, topic, records, filters) if topic.strip() else set()
    out = []
    for r in records:
        if r.kind in ("meeting", "attendance"):
            continue
        score = lexical_score(r, stems)
        if score >= need or (r.record_id in retrieved and score > 0):
            out.append(r)
    return out


def _in_range(date: str, since: dt.date | None, until: dt.date | None) -> bool:
    if not (since or until):
        return True
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        return False
    return (since is None or day >= since) and (until is None or day <= until)


class _Builder:
    def __init__(self, index: Any, records: list[Record]) -> None:
        self.locator = ChunkLocator(index)
        self.meetings = {(r.doc_id, r.date): r for r in records if r.kind == "meeting"}
        self.confirmed: dict[str, Record] = {
            r.notes["confirms_minutes_of"]: r for r in records if r.notes.get("confirms_minutes_of")
        }
        self.statuses = document_statuses(records)
        self.status_of = {s.record.record_id: s for s in self.statuses}
        for s in self.statuses:
            for c in s.copies:
                self.status_of.setdefault(c.record_id, s)
        self.entries: list[TimelineEntry] = []

    def meeting(self, r: Record) -> tuple[str, str, list[str]]:
        """(meeting label, status, notes) of the meeting a record belongs to."""
        if not r.date:
            return "undated", "", []
        label = f"{r.committee or 'Meeting'}, {format_date(r.date)}"
        m = self.meetings.get((r.doc_id, r.date))
        if m is not None and m.notes.get("status") == "draft":
            at = format_date(m.notes.get("for_approval_at", ""))
            note = f"the draft minutes of {format_date(r.date)}, put for approval on {at}"
            later = self.confirmed.get(r.date)
            note += (
                f"; approved at the meeting of {format_date(later.date)}"
                if later is not None and later.date > r.date
                else "; not yet approved in the records held"
            )
            return f"{label} (draft minutes, for approval on {at})", "draft minutes", [note]
        return label, "", []

    def add(
        self, r: Record, kind: str, span: Span | None, text: str, status: str = "", date: str = ""
    ) -> None:
        if span is None:
            return
        citation = self.locator.cite(span)
        if citation is None:
            return
        meeting, m_status, notes = self.meeting(r)
        self.entries.append(
            TimelineEntry(
                date=date or r.date,
                committee=r.committee,
                meeting=meeting,
                kind=kind,
                text=text,
                citation=citation,
                record_id=r.record_id,
                status=status or m_status,
                notes=list(notes),
            )
        )

    def record(self, r: Record) -> None:
        first = r.first
        if r.kind == "item":
            if r.fields.get("resolution"):
                self.add(r, "decided", first("resolution"), _squash(r.value("resolution")))
            for action in r.fields.get("actions", []):
                self.add(r, "decided", action, _squash(action.text))
            if r.fields.get("recommendation"):
                self.add(
                    r,
                    "recommended",
                    first("recommendation"),
                    f"The committee recommended (to another body): {_squash(r.value('recommendation'))}",
                )
            if r.fields.get("confirms") and not r.fields.get("resolution"):
                self.add(r, "approved", first("confirms"), _squash(r.value("confirms")))
        elif r.kind == "recommendation":
            self.add(
                r,
                "recommended",
                first("text"),
                f"The report “{r.title}” asked the meeting to decide (a recommendation, not the decision): "
                + _squash(r.value("text")),
                status="recommendation",
            )
        elif r.kind == "question":
            who = r.value("questioner") or "A member of the public"
            self.add(r, "asked", first("question"), f"{who} asked: {_squash(r.value('question'))}")
            responder = r.value("responder")
            self.add(
                r,
                "answered",
                first("response"),
                "The council answered"
                + (f" ({responder})" if responder else "")
                + f": {_squash(r.value('response'))}",
            )
        elif r.kind == "document":
            self.document(r)

    def document(self, r: Record) -> None:
        s = self.status_of.get(r.record_id)
        title_span = r.first("title") or r.span
        if s is None:  # a report or an appendix that is not a strategy or policy
            by = r.value("author")
            self.add(r, "reported", title_span, f"Report: {r.title}" + (f" (by {by})" if by else ""))
            return
        if s.record.record_id != r.record_id:
            return  # a copy of a version already listed
        status = "superseded" if s.later else ("draft" if s.draft else "")
        text = s.name()
        detail = s.describe()
        if detail:
            text += f": {detail}"
        self.add(
            r, "draft" if s.draft else ("approved" if s.agreed_by else "reported"), title_span, text, status
        )
        if self.entries and self.entries[-1].record_id == r.record_id and s.later:
            self.entries[-1].notes.append("superseded by " + "; ".join(v.name() for v in s.later))
        if s.review_iso:
            gap = (
                f"a later version is in the index: {s.later[-1].name()}"
                if s.later
                else "no later version is in the index"
            )
            review = r.first("review_date") or title_span
            self.add(
                r,
                "due for review",
                review,
                f"{s.title}: due for review in {month_text(s.review_iso)}; {gap}",
                status="" if s.later else "gap",
                date=s.review_iso,
            )


def _order(entry: TimelineEntry) -> tuple[str, str, str, int, int]:
    """By date, then meeting, then where the entry is in its document (a report, then its
    recommendation, then the appendices, as printed)."""
    c = entry.citation
    at = (c.chunk.start if c.chunk is not None else 0) + c.quote_start
    return (
        entry.date or "9999-99-99",
        entry.meeting,
        c.document,
        at,
        KINDS.index(entry.kind) if entry.kind in KINDS else 99,
    )


def build_entries(index: Any, records: Iterable[Record], all_records: list[Record]) -> list[TimelineEntry]:
    builder = _Builder(index, all_records)
    for r in records:
        builder.record(r)
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in sorted(builder.entries, key=_order):
        key = (e.citation.chunk_id, e.citation.quote, e.kind)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def timeline(
    index: Any,
    topic: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    committee: str | None = None,
) -> list[TimelineEntry]:
    """Every record about `topic` in date order (undated ones last), one entry each."""
    records = index_records(index)
    filters = Filters(committee=committee) if committee else None
    found = matching_records(index, topic, records, filters)
    if committee:
        c = committee.lower()
        found = [r for r in found if c in r.committee.lower() or (not r.committee and r.kind == "document")]
    entries = build_entries(index, found, records)
    return [e for e in entries if _in_range(e.date, since, until) or (not e.date and not (since or until))]


def group_by_meeting(entries: list[TimelineEntry]) -> list[tuple[str, list[TimelineEntry]]]:
    """Consecutive entries of one meeting, as (meeting, entries), in the entries' order."""
    groups: list[tuple[str, list[TimelineEntry]]] = []
    for e in entries:
        label = e.meeting if e.kind != "due for review" else f"Review date, {month_text(e.date)}"
        if groups and groups[-1][0] == label:
            groups[-1][1].append(e)
        else:
            groups.append((label, [e]))
    return groups


def gap_between(a: str, b: str, months: int = 6) -> str:
    """'no records between July 2017 and July 2023' when two dates are `months` or more apart."""
    try:
        x, y = dt.date.fromisoformat(a[:10]), dt.date.fromisoformat(b[:10])
    except ValueError:
        return ""
    if (y.year - x.year) * 12 + y.month - x.month < months:
        return ""
    return f"no records on this topic in the index between {month_text(a)} and {month_text(b)}"


def format_timeline(topic: str, entries: list[TimelineEntry]) -> str:
    """The text shown by `rag-council timeline`: grouped by meeting, gaps said."""
    if not entries:
        return f"No records about “{topic}” in the index."
    dates = [e.date for e in entries if e.date]
    span = f", {month_text(dates[0])} to {month_text(dates[-1])}" if dates else ""
    lines = [f"Timeline: {topic} ({len(entries)} entries{span})", ""]
    last_date = ""
    for label, group in group_by_meeting(entries):
        first = group[0].date
        if last_date and first:
            gap = gap_between(last_date, first)
            if gap:
                lines += [f"   … {gap} …", ""]
        lines.append(f"== {label}")
        for e in group:
            mark = f" [{e.status}]" if e.status and e.status != "draft minutes" else ""
            lines.append(f"  {e.date or '(undated)'}  {e.kind.upper()}{mark}: {e.text}")
            quote = " ".join(e.citation.quote.split())
            lines.append(
                f"      “{quote[:300]}{'…' if len(quote) > 300 else ''}” — {e.citation.label} ({e.citation.document})"
            )
            for note in e.notes:
                lines.append(f"      note: {note}")
        if group[0].status == "draft minutes" and group[0].notes:
            pass
        lines.append("")
        last_date = group[-1].date or last_date
    return "\n".join(lines).rstrip() + "\n"


def statuses(index: Any) -> list[DocumentStatus]:
    """The status over time of every strategy, policy and plan in the index."""
    return document_statuses(index_records(index))


def statuses_by_document(index: Any) -> dict[str, list[DocumentStatus]]:
    """doc_id -> the statuses of the versions that file holds (a copy lists under each file)."""
    out: dict[str, list[DocumentStatus]] = {}
    for s in statuses(index):
        for r in [s.record, *s.copies]:
            if s not in out.setdefault(r.doc_id, []):
                out[r.doc_id].append(s)
    return out
