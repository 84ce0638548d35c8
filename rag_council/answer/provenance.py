"""Where a passage answer's sentences come from, said in the answer.

A sentence quoted from minutes ("The committee voted unanimously ...") does not say which
meeting voted, and the date is written once, in the minutes' header, not next to it. So each
paragraph of a quoted answer gets a lead-in naming its meeting, read from the council's records
(rag_council.index.records: the meeting's committee and date as the header writes them) and
cited to those header spans, so that the checker verifies it like any other sentence:

    At the Children and Young People Scrutiny Committee meeting of 14 November 2023: [1] [2]
    A request had been made to the Scrutiny Management Board for a task and finish group ... [3]

Minutes say "At the Cabinet meeting of 22 June 2017:" (their header names the meeting); the
papers of an agenda pack (reports, appendices, public questions) say "Cabinet, 20 July 2017:"
(the pack's cover names the committee and the date, and the citation says which paper).
Draft minutes (printed in a later pack for approval) say so. A paragraph whose meeting has no
record, or that repeats the meeting of the paragraph before it, gets no lead-in.

The lead-in is added after the decision to answer (rag_council.answer.decide), so the dates it
names never count as the date a question asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag_council.answer.records import SpanPassages, meeting_spans
from rag_council.index.records import records_of
from rag_council.text.dates import format_date
from rag_council.types import Answer, Citation, Hit, Record, Span

_MARKER = re.compile(r"\[(\d+)\]")

_MINUTES = "At the {committee} meeting of {date}"
_PAPERS = "{committee}, {date}"  # an agenda pack's papers: the cover names the meeting, not "papers"


@dataclass
class LeadIns:
    """The answer's text with lead-ins (markers: the passages of `hits`, in order) and the
    passages it cites: the answer's own citations, then the header spans."""

    text: str
    hits: list[Hit]
    added: int


def lead_in(record: Record, doc_type: str) -> tuple[str, list[Span]] | None:
    """'At the Cabinet meeting of 22 June 2017' and the spans it stands on (the committee and
    the date as the meeting's header writes them), or None when the record lacks either."""
    spans = meeting_spans(record)
    committee = record.first("committee")
    if spans is None or committee is None or not record.date:
        return None
    words = {"committee": " ".join(committee.text.split()), "date": format_date(record.date)}
    minutes = doc_type == "minutes" and record.first("header") is not None
    phrase = (_MINUTES if minutes else _PAPERS).format(**words)
    if minutes and record.notes.get("status") == "draft":
        phrase += " (draft minutes)"
    return phrase, spans


def with_lead_ins(index: Any, answer: Answer) -> LeadIns | None:
    """The answer's paragraphs, each led by the meeting its first citation comes from; None
    when no paragraph gets one."""
    by_marker: dict[int, Citation] = {c.marker: c for c in answer.citations}
    if not by_marker or index is None or not hasattr(index, "records"):
        return None
    meetings = {(r.doc_id, r.date): r for r in records_of(index, "meeting")}
    if not meetings:
        return None
    numbered = [Hit(by_marker[m].chunk, 1.0, m) for m in sorted(by_marker)]
    passages = SpanPassages(index)
    offset = len(numbered)
    paragraphs = [p for p in re.split(r"\n\s*\n", answer.text.strip()) if p.strip()]
    out: list[str] = []
    added = 0
    last: tuple[str, str] | None = None
    for paragraph in paragraphs:
        first = _MARKER.search(paragraph)
        citation = by_marker.get(int(first.group(1))) if first else None
        chunk = citation.chunk if citation else None
        key = (chunk.doc_id, chunk.date or "") if chunk else None
        record = meetings.get(key) if key else None
        said = lead_in(record, str(chunk.meta.get("doc_type", ""))) if record and chunk else None
        if said is not None and key != last:
            phrase, spans = said
            markers = [passages.marker(span, record, whole_lines=False) for span in spans]
            if all(m is not None for m in markers):
                cited = " ".join(f"[{m + offset}]" for m in dict.fromkeys(markers) if m is not None)
                paragraph = f"{phrase}: {cited}\n{paragraph}"
                added += 1
        last = key
        out.append(paragraph)
    if not added:
        return None
    hits = numbered + [Hit(h.chunk, h.score, h.rank + offset) for h in passages.hits]
    return LeadIns("\n\n".join(out), hits, added)
