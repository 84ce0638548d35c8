"""Notes on an answer about time, from the records (issue 13):

- a cited passage of minutes printed in a later agenda pack: "[2] quotes the draft minutes of
  23 January 2024, put for approval on 12 March 2024 (not the approved minutes)";
- "this year", "last quarter", "currently" in a cited quote, read against the document's own
  date: "[1] “this year”: in 2016-17, the year of the report (Cabinet, 20 July 2017)";
- a question or citation about a strategy/policy with several versions in the index: which one
  is cited, and that a later one exists;
- an "as at" question: what date the answer was read to, and that later records exist.

    answer.notes += time_notes(index, question, answer)     # the engine's one call
"""

from __future__ import annotations

import re
from typing import Any

from rag_council.timeline.entries import index_records
from rag_council.timeline.status import DocumentStatus, document_statuses, statuses_named
from rag_council.timeline.when import RELATIVE, as_at, relative_time
from rag_council.types import Answer, Chunk, Record, format_date

_PERIOD = re.compile(r"\b((?:19|20)\d\d)\s*[-–/]\s*(\d\d)\b(?!\d)")


def draft_minutes_note(meetings: dict[tuple[str, str], Record], chunk: Chunk) -> str:
    """'the draft minutes of 23 January 2024, put for approval on 12 March 2024' or ''."""
    if not chunk.date:
        return ""
    m = meetings.get((chunk.doc_id, chunk.date))
    if (
        m is None
        or m.notes.get("status") != "draft"
        or str(chunk.meta.get("doc_type", "")) not in ("minutes", "")
    ):
        return ""
    at = m.notes.get("for_approval_at", "")
    return f"the draft minutes of {format_date(chunk.date)}, put for approval on {format_date(at)}"


def report_period(chunk: Chunk) -> str:
    """The year a report is about, from its title ('Adoption Service annual report 2016-17')."""
    for key in ("report_title", "appendix", "title"):
        m = _PERIOD.search(str(chunk.meta.get(key, "")))
        if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
            return f"{m.group(1)}-{m.group(2)}"
    return ""


def relative_time_notes(chunk: Chunk, quote: str) -> list[str]:
    """One note per relative phrase of time in `quote`, read against the chunk's date."""
    if not chunk.date:
        return []
    out = []
    seen: set[str] = set()
    for m in RELATIVE.finditer(quote):
        phrase = " ".join(m.group(0).lower().split())
        if phrase in seen:
            continue
        seen.add(phrase)
        if quote[max(0, m.start() - 4) : m.start()].lower() == "the " and phrase.endswith("year"):
            phrase = "this year"  # 'over the last year', 'the past year': the twelve months reported
        reading = relative_time(phrase, chunk.date, report_period(chunk))
        where = str(chunk.meta.get("committee") or "")
        out.append(f"“{m.group(0)}”: {reading} ({where + ', ' if where else ''}{format_date(chunk.date)})")
    return out


def _status_of_chunk(statuses: list[DocumentStatus], chunk: Chunk) -> DocumentStatus | None:
    for s in statuses:
        for r in [s.record, *s.copies]:
            if r.doc_id == chunk.doc_id and r.span.start <= chunk.start < r.span.end:
                return s
    return None


def status_notes(statuses: list[DocumentStatus], question: str, answer: Answer) -> list[str]:
    """Which version of a document the answer is about, and what came later."""
    out: list[str] = []
    cited: dict[str, DocumentStatus] = {}
    for c in answer.citations:
        s = _status_of_chunk(statuses, c.chunk)
        if s is not None:
            cited.setdefault(s.record.record_id, s)
    for s in cited.values():
        note = f"The {s.type or 'document'} cited is the {s.name()}"
        if s.later:
            note += "; a later version exists: " + "; ".join(v.name() for v in s.later)
        elif s.review_date:
            note += f"; its review date was {s.review_date}, and no later version is in the index"
        out.append(note + ".")
    named = [s for s in statuses_named(statuses, question) if s.record.record_id not in cited]
    series = {s.series for s in named}
    for key in sorted(series):
        versions = [s for s in statuses if s.series == key]
        if len(versions) > 1:
            out.append(
                f"The index holds {len(versions)} versions of the {key}: "
                + "; ".join(v.name() for v in versions)
                + f". The latest is the {versions[-1].name()}."
            )
        elif not cited:
            v = versions[0]
            out.append(
                f"The index holds one version of the {key}: the {v.name()}"
                + (f"; {v.describe()}" if v.describe() else "")
                + "."
            )
    return out


def later_records_note(records: list[Record], question: str) -> str:
    """For an "as at" question: the date it was read to and the later records there are."""
    when = as_at(question)
    if when is None:
        return ""
    cut = when.until.isoformat()
    later = sorted(
        {r.date for r in records if r.kind in ("meeting", "document", "question") and r.date > cut}
    )
    read = f"Read {when.describe()} (“{when.text.strip()}”): the answer uses the records dated up to then."
    if not later:
        return read + " The index holds no later records."
    return read + (
        f" Later records exist: {len(later)} later date(s) in the index, from {format_date(later[0])}"
        f" to {format_date(later[-1])}."
    )


_HISTORY = re.compile(
    r"\b(?:over the years|over time|history|timeline|in date order|in order|so far|to date|"
    r"from (?:19|20)\d\d (?:to|until) (?:19|20)\d\d|since (?:19|20)\d\d)\b",
    re.I,
)
_GENERIC = re.compile(
    r"\b(?:what|which|when|who|how|has|have|had|did|does|do|the|council(?:'s)?|records?|said|say|decided?|"
    r"happened|done|about|and|or|of|on|in|to|from|over|years?|time|history|timeline|date|order|so|far|"
    r"since|until|this|that|was|were|is|are|been|be|it|its|asked|answered|(?:19|20)\d\d)\b|[^a-z' -]",
    re.I,
)


def timeline_note(index: Any, question: str, statuses: list[DocumentStatus]) -> str:
    """For a question about history ("over the years", "in date order", "from 2017 to 2024"):
    what the topic's timeline holds, in brief, and the command that lists it."""
    if not _HISTORY.search(question):
        return ""
    from rag_council.timeline.entries import timeline

    named = statuses_named(statuses, question)
    topic = named[0].series if named else " ".join(_GENERIC.sub(" ", question.lower()).split())
    if not topic:
        return ""
    entries = timeline(index, topic)
    if not entries:
        return ""
    by_date: dict[str, list[str]] = {}
    for e in entries:
        if e.date:
            mark = f" ({e.status})" if e.status not in ("", e.kind, "draft minutes", "recommendation") else ""
            by_date.setdefault(e.date, []).append(e.kind + mark)
    shown = "; ".join(
        f"{format_date(d)}: {', '.join(dict.fromkeys(k))}" for d, k in list(by_date.items())[:6]
    )
    more = f"; and {len(by_date) - 6} more dates" if len(by_date) > 6 else ""
    return (
        f"In date order the records hold {len(entries)} entries on “{topic}”: {shown}{more}. "
        f'The full list with quotes: rag-council timeline "{topic}" (or the Timeline tab).'
    )


def time_notes(index: Any, question: str, answer: Answer) -> list[str]:
    """All the notes above for `answer` (empty when none applies)."""
    if answer.notice == "partial":
        return []
    try:
        records = index_records(index)
    except Exception:  # an index without a records store: nothing to say
        return []
    notes: list[str] = []
    meetings = {(r.doc_id, r.date): r for r in records if r.kind == "meeting"}
    for c in answer.citations:
        draft = draft_minutes_note(meetings, c.chunk)
        if draft:
            notes.append(f"[{c.marker}] quotes {draft} (not the approved minutes).")
        for rel in relative_time_notes(c.chunk, c.quote):
            notes.append(f"[{c.marker}] {rel}.")
    statuses = document_statuses(records)
    notes += status_notes(statuses, question, answer)
    history = timeline_note(index, question, statuses)
    if history:
        notes.append(history)
    later = later_records_note(records, question)
    if later:
        notes.append(later)
    return notes
