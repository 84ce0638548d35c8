"""Answers composed from the council's records (issue 12 part 2), for the questions that ask
for one: what a body resolved or decided, who chaired, attended or sent apologies, what a
member of the public asked and what the council answered, what members raised about a
topic, and a document's details (review date, version, who agreed it, period, draft).

`answer_from_records(index, question, filters)` returns a RecordAnswer (text with [n]
markers, one short sentence per fact, and the passages the markers number: exact spans of
the documents, as Hits over Chunk-like spans) or None, in which case the engine answers from
retrieved passages as before. Each sentence is checked here with the same checker the engine
uses, so that what is returned survives the engine's own check.

A report's recommendation is never worded as a decision: "the report ... recommended ...".
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from rag_council.index.records import records_of
from rag_council.ingest.cleaning import OffsetMap
from rag_council.ingest.council import find_date
from rag_council.text import MONTHS, content_terms, sentence_spans
from rag_council.types import Chunk, Citation, Document, Filters, Hit, Record, Span, format_date
from rag_council.verify.checking import check_claims
from rag_council.verify.citations import parse_claims
from rag_council.verify.support import LexicalSupportChecker

# What the question asks for, most specific first.
_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "document",
        re.compile(
            r"\b(?:review date|due (?:for|to be) review|reviewed|still (?:current|in force|valid)|"
            r"up to date|expire|who agreed|agreed by|who approved it|version|who (?:wrote|wrote|authored)|"
            r"signed (?:it )?off|sign(?:s|ed)? off|endorsed by|who endorsed|"
            r"author|operational from|in force)\b",
            re.I,
        ),
    ),
    ("vice_chair", re.compile(r"\bvice[- ]?chair", re.I)),
    (
        "chair",
        re.compile(r"\bwho (?:was (?:in )?the )?chair(?:ed|s)?\b|\bchair(?:ed|man|person|woman)?\b", re.I),
    ),
    ("apologies", re.compile(r"\bapolog(?:y|ies|ised)\b|\bwho was absent\b", re.I)),
    ("substitutes", re.compile(r"\bsubstitut", re.I)),
    (
        "attendance",
        re.compile(
            r"\bwho (?:attended|was present|were present|was there|were there)\b|\battendance\b|\battended\b",
            re.I,
        ),
    ),
    (
        "question",
        re.compile(
            r"\bpublic questions?\b|\bquestioner\b|\bsupplementary\b|\bwhat did (?:ms|mr|mrs|dr|miss)\b|"
            r"\bwhat (?:was|were) (?:the question|asked)\b|\b(?:ask|asked)\b.*\b(?:respon\w*|answer\w*|repl\w*)\b|"
            r"\bwhat did the council (?:answer|respond|reply|say)\b|\bresponse to\b|"
            r"\bwhat did [A-Z]\w+(?: [A-Z]\w+)* ask\b|\bwho asked\b",
            re.I,
        ),
    ),
    (
        "concerns",
        re.compile(
            r"\bconcerns?\b|\bissues? raised\b|\braised by members\b|\bmembers (?:raise|discuss)", re.I
        ),
    ),
    (
        "decision",
        re.compile(
            r"\b(?:resolv\w*|decid\w*|decision\w*|agree[ds]?|approv\w*|resolution\w*|vote[ds]?|voting)\b",
            re.I,
        ),
    ),
]
_GENERIC = {
    stem
    for stem in content_terms(
        "what when who whom which did does do has have was were is are the council councils committee "
        "committees scrutiny meeting meetings minutes resolve resolved resolution decide decided decision "
        "decisions agree agreed approve approved over years year chair chaired chairman chairperson attend "
        "attended attendance present apologies apology sent substitute substitutes asked ask question "
        "questions public response responded answer answered reply say said main concerns concern raised "
        "members member about regarding still current due review date when is it its report reports "
        "recommend recommended recommendation vote voted cabinet children young people herefordshire "
        "there their they this that these those give gave name named list"
    )
}
_MONTH = "|".join(m.capitalize() for m in MONTHS)
_MONTH_TERMS = set(content_terms(" ".join(MONTHS)))
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\s+(\d{{4}})\b", re.I)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_BODY = re.compile(r"\bchair(?:man|person|woman)? of (?:the )?(?P<body>[A-Z][\w' ]+?)(?:\?|$| at | on | in )")


MAX_FACTS = 6  # facts in an answer from the records
_ATTENDANCE = ("chair", "vice_chair", "apologies", "substitutes", "attendance")


@dataclass
class RecordAnswer:
    """Text with [n] markers numbering `passages` (1-based), built from `records`."""

    text: str
    passages: list[Hit]
    records: list[Record]
    asked: str  # what the question asked for, e.g. "chair", "document"
    notice: str = ""


@dataclass
class _Asked:
    intent: str
    terms: set[str]
    dates: set[str] = field(default_factory=set)  # ISO dates named
    months: set[str] = field(default_factory=set)  # "YYYY-MM"
    years: set[str] = field(default_factory=set)
    committee: str | None = None
    names: list[str] = field(default_factory=list)  # capitalised words of the question


# "What did scrutiny resolve about its work programme, and which topics were added?": when no
# resolution matches the whole question, the first question is matched alone, and the answer
# gives what the records resolved on it
_FOLLOW_ON = re.compile(r",?\s+and\s+(?:which|what|how|who|whom|when|why|where|whether)\b[^?]*\?\s*$", re.I)


def read_question(question: str, committees: set[str]) -> _Asked | None:
    intent = next((name for name, pattern in _INTENTS if pattern.search(question)), None)
    if intent is None:
        return None
    terms = {
        t for t in content_terms(question) if t not in _GENERIC and not t.isdigit() and t not in _MONTH_TERMS
    }
    asked = _Asked(intent, terms)
    for m in re.finditer(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})\s+\d{{4}}\b", question, re.I):
        if iso := find_date(m.group(0)):
            asked.dates.add(iso)
    for m in _MONTH_YEAR.finditer(question):
        asked.months.add(f"{m.group(2)}-{MONTHS.index(m.group(1).lower()) + 1:02d}")
    asked.years = {m.group(0) for m in _YEAR.finditer(question)}
    lowered = question.lower()
    for committee in sorted(committees, key=len, reverse=True):
        short = committee.lower().replace(" committee", "")
        if short and short in lowered:
            asked.committee = committee
            break
    if asked.committee is None:
        if "cabinet" in lowered:
            asked.committee = next((c for c in committees if c.lower() == "cabinet"), None)
        elif "scrutiny" in lowered:
            scrutiny = [c for c in committees if "scrutiny" in c.lower()]
            asked.committee = scrutiny[0] if len(scrutiny) == 1 else None
    asked.names = re.findall(r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*", question)
    return asked


# --- the records of an index -------------------------------------------------------------


def index_records_list(index: Any) -> list[Record]:
    """All records of the documents in `index` (rag_council.index.records.records_of)."""
    return records_of(index)


def _in_filters(record: Record, filters: Filters | None) -> bool:
    if filters is None or filters.is_empty():
        return True
    if filters.committee and record.committee and record.committee.lower() != filters.committee.lower():
        return False
    if filters.documents and record.document not in filters.documents:
        return False
    if record.date:
        if filters.since and record.date < filters.since.isoformat():
            return False
        if filters.until and record.date > filters.until.isoformat():
            return False
    return True


def _date_matches(record: Record, asked: _Asked) -> bool:
    if not (asked.dates or asked.months or asked.years):
        return True
    if not record.date:
        return False
    if asked.dates:
        return record.date in asked.dates
    if asked.months:
        return record.date[:7] in asked.months
    return record.date[:4] in asked.years


def _terms(text: str) -> set[str]:
    return set(content_terms(text))


def _overlap(asked: _Asked, text: str) -> float:
    if not asked.terms:
        return 0.0
    return len(asked.terms & _terms(text)) / len(asked.terms)


# --- passages ------------------------------------------------------------------------------


class SpanPassages:
    """Spans of the records cited as passages: each expanded to its whole lines, numbered in order
    of first use (the records' answers and the lead-ins of quoted answers, answer/provenance.py)."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.hits: list[Hit] = []
        self._at: dict[tuple[str, int, int], int] = {}
        self._docs: dict[str, Document | None] = {}

    def doc(self, doc_id: str) -> Document | None:
        if doc_id not in self._docs:
            self._docs[doc_id] = self.index.document(doc_id)
        return self._docs[doc_id]

    def marker(self, span: Span, record: Record, whole_lines: bool = True) -> int | None:
        doc = self.doc(span.doc_id)
        if doc is None or doc.text[span.start : span.end] != span.text:
            return None
        a, b = span.start, span.end
        if whole_lines and not isinstance(span, _Tight):
            a = doc.text.rfind("\n", 0, a) + 1
            nl = doc.text.find("\n", b)
            b = len(doc.text) if nl < 0 else nl
            while a < span.start and doc.text[a] in "#*-• \t":
                a += 1  # markup at the start of the line is not part of the quote
            while b > span.end and doc.text[b - 1] in "* \t":
                b -= 1
        key = (doc.doc_id, a, b)
        if key not in self._at:
            self.hits.append(Hit(_chunk(doc, a, b, record), 1.0, len(self.hits) + 1))
            self._at[key] = len(self.hits)
        return self._at[key]


def _chunk(doc: Document, a: int, b: int, record: Record) -> Chunk:
    section = next((s for s in doc.sections if s.start <= a < s.end), None)
    label = str(section.meta.get("label")) if section and section.meta.get("label") else doc.title
    src = OffsetMap(doc.origin).span_to_source(a, b) if doc.origin else (a, b)
    breaks = [f"{p.start - a}:{p.number}" for p in doc.pages if a < p.start < b]
    meta: dict[str, str | int | float | bool] = {
        "label": label,
        "record": record.record_id,
        "doc_type": record.kind,
    }
    if record.committee:
        meta["committee"] = record.committee
    if record.date:
        meta["date"] = record.date
    if breaks:
        meta["page_breaks"] = ";".join(breaks)
    return Chunk(
        chunk_id=f"{doc.doc_id}:record:{a}-{b}",
        doc_id=doc.doc_id,
        document=doc.name,
        text=doc.text[a:b],
        start=a,
        end=b,
        seq=-1,
        title=doc.title,
        section=section.heading if section else "",
        page=doc.page_at(a),
        page_end=doc.page_at(max(a, b - 1)),
        source_start=src[0],
        source_end=src[1],
        meta=meta,
    )


# --- sentences -----------------------------------------------------------------------------


@dataclass
class _Fact:
    """One fact: a sentence citing `spans`; `parts` (a resolution's lettered parts, say) are
    shown under it, one verbatim line each, each citing its own span."""

    sentence: str  # without markers
    spans: list[tuple[Span, Record]]
    parts: list[tuple[Span, Record]] = field(default_factory=list)


def _sub(span: Span, a: int, b: int) -> _Tight:
    """span.text[a:b] as a span of the document (cited as it is)."""
    src_a = span.source_start + a if span.source_start is not None else None
    src_b = span.source_start + b if span.source_start is not None else None
    return _Tight(span.doc_id, span.start + a, span.start + b, span.text[a:b], span.page, src_a, src_b)


def _trim(span: Span, chars: str = " \t\n*;:.,-") -> _Tight:
    text = span.text
    a, b = 0, len(text)
    while a < b and text[a] in chars:
        a += 1
    while b > a and text[b - 1] in chars:
        b -= 1
    return _sub(span, a, b)


def _strip_marker(span: Span) -> _Tight:
    """'Resolved: THAT: (a) ...' -> '(a) ...' (still verbatim, only shorter)."""
    m = re.match(
        r"(?:\*\*)?(?:Resolved|RESOLVED|Recommendations?|Actions?)\b(?:\*\*)?\s*:?\s*(?:(?:THAT|That)\s*:\s*)?[-*\s]*",
        span.text,
    )
    return _trim(_sub(span, m.end() if m else 0, len(span.text)))


def _quoted(span: Span, limit: int = 320, ask: bool = False) -> _Tight:
    """The first substantive sentence of `span` (a courtesy such as 'Thank you for your
    question.' skipped; with `ask`, the first sentence that asks something), cut at a word
    boundary after `limit` characters: a span of the document, quoted verbatim."""
    units = sentence_spans(span.text) or [(0, len(span.text))]

    def good(u: tuple[int, int]) -> bool:
        text = span.text[u[0] : u[1]]
        return len(text) >= 40 and not re.match(r"(?i)thank(?:s| you)\b", text) and not text.endswith(":")

    chosen = next((u for u in units if good(u)), units[0])
    if ask:
        chosen = next(
            (u for u in units if span.text[u[0] : u[1]].rstrip().endswith("?") and u[1] - u[0] >= 30), chosen
        )
    a, b = chosen
    if b - a > limit:
        cut = span.text.rfind(" ", a, a + limit)
        b = cut if cut > a else a + limit
    return _trim(_sub(span, a, b))


_PART = re.compile(r"^[-•\s]*(?:\(?[a-h]\)|[a-h]\.)\s", re.I)


def _parts(span: Span, limit: int = 4) -> list[_Tight]:
    """The lettered parts of a resolution or recommendation ('(a) ...', 'b) ...', 'c. ...'),
    one span each (bullets and bold marks trimmed)."""
    out: list[_Tight] = []
    offset = 0
    for line in span.text.split("\n"):
        if _PART.match(line):
            lead = len(line) - len(line.lstrip("-•* \t"))
            out.append(_trim(_sub(span, offset + lead, offset + len(line)), " \t*"))
        offset += len(line) + 1
    return out[:limit]


def _best_sentences(span: Span, asked: _Asked, n: int = 2, limit: int = 320) -> list[_Tight]:
    """The first substantive sentence of `span` and the one sharing most words with the
    question (when another), in reading order."""
    first = _quoted(span, limit)
    units = [_sub(span, a, b) for a, b in sentence_spans(span.text)]
    scored = sorted((u for u in units if len(u.text) >= 40), key=lambda u: -_overlap(asked, u.text))
    best = scored[0] if scored else None
    if best is None or best.start == first.start or _overlap(asked, best.text) <= _overlap(asked, first.text):
        return [first]
    if n == 1:
        return [_quoted(best, limit)]  # the sentence that speaks to the question
    return sorted([first, _quoted(best, limit)], key=lambda x: x.start)


def _q(span: Span) -> str:
    """How a quoted span is written in an answer (its whitespace squashed)."""
    return " ".join(span.text.split())


def _person(span: Span) -> str:
    return " ".join(re.sub(r"\s*\([^)]*\)?", "", span.text).split()).strip(" ,(")


class _Tight(Span):
    """A span cited as it is (not widened to its line): a date or a name inside a long line."""


def _tight(span: Span) -> _Tight:
    return _Tight(span.doc_id, span.start, span.end, span.text, span.page, span.source_start, span.source_end)


def _where(records: list[Record], record: Record) -> tuple[str, list[tuple[Span, Record]]]:
    """'the Cabinet meeting of Thursday 22 June 2017' and the spans of its committee and date
    in the minutes' header (the date written as the minutes write it, so that the checker
    finds it next to the same words)."""
    meeting = next(
        (r for r in records if r.kind == "meeting" and r.doc_id == record.doc_id and r.date == record.date),
        None,
    )
    spans = meeting_spans(meeting) if meeting else None
    if meeting is None or spans is None:
        return _meeting_phrase(record), []
    committee, date = meeting.first("committee"), meeting.first("date")
    assert committee is not None and date is not None  # meeting_spans found both
    phrase = f"the {' '.join(committee.text.split())} meeting of {' '.join(date.text.split())}"
    return phrase, [(span, meeting) for span in spans]


def meeting_spans(meeting: Record) -> list[Span] | None:
    """The spans that name a meeting: the minutes' header (or the committee, in an agenda pack's
    cover) and the date as written; None when the record lacks the committee or the date."""
    committee, date = meeting.first("committee"), meeting.first("date")
    if committee is None or date is None:
        return None
    return [meeting.first("header") or committee, _tight(date)]


def _meeting_phrase(record: Record) -> str:
    when = format_date(record.date) if record.date else ""
    return f"the {record.committee} meeting of {when}" if when else f"the {record.committee} meeting"


def _sort_latest(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: r.date or "", reverse=True)


# "Who from the NHS attended ...?", "Which officers from the improvement service attended ...?":
# the question asks about those in attendance (officers, partners), not the members present.
_OFFICERS = re.compile(
    r"\b(?:officers?|staff|in attendance|who else|partners?|from (?:the )?\w+|clinicians?|doctors?|"
    r"professionals?|representatives?|advis[eo]rs?|nhs|police|health)\b",
    re.I,
)
_ATTENDANCE_WORDS = frozenset(
    content_terms(
        "who which attended attend attendance present there meeting committee scrutiny cabinet council "
        "councils person remotely online officer officers staff members member else from partner partners"
    )
)


def _in_attendance(question: str, record: Record) -> list[Span]:
    """Those in attendance the question asks about: the ones whose line names what it names
    ("NHS", "improvement service"), or all of them when it asks for officers in general; []
    when it asks about members."""
    if not _OFFICERS.search(question):
        return []
    spans = record.fields.get("in_attendance", []) + record.fields.get("remote", [])
    months = {m.lower() for m in MONTHS}
    committee = set(content_terms(record.committee))
    terms = {
        t
        for t in content_terms(question)
        if t not in _ATTENDANCE_WORDS
        and t not in months
        and not t[:1].isdigit()
        and len(t) > 2
        and t not in committee
    }
    said = [set(content_terms(s.text)) for s in spans]
    # the words the question shares with a few lines, not with many ("Herefordshire Council"):
    # "the improvement service" picks the improvement posts, not every "Service Director";
    # "who from the NHS ... and who as democratic services officer" picks one line for each
    df = {t: n for t in terms if 0 < (n := sum(t in w for w in said)) < len(spans)}
    rare = {t for t, n in df.items() if n <= max(min(df.values()), len(spans) / 4)} if df else set()
    named = [s for s, w in zip(spans, said, strict=True) if rare & w]
    if named:
        return named
    return spans if re.search(r"\bofficers?\b|\bstaff\b|\bin attendance\b", question, re.I) else []


def _attendance_facts(
    intents: list[str], records: list[Record], chosen: list[Record], question: str = ""
) -> list[_Fact]:
    facts: list[_Fact] = []
    for r in chosen:
        where, base = _where(records, r)
        for intent in intents:
            if intent in ("chair", "vice_chair"):
                for span in r.fields.get(intent, [])[:2]:
                    role = re.search(r"\(([^)]*chair[^)]*)\)?", " ".join(span.text.split()), re.I)
                    word = role.group(1).replace("- ", "-").strip("() ") if role else "chair"
                    facts.append(
                        _Fact(f"At {where}, the {word.lower()} was {_person(span)}.", [*base, (span, r)])
                    )
            elif intent == "apologies":
                for s in r.fields.get("apologies_statement", [])[:2]:
                    facts.append(
                        _Fact(f"The minutes of {where} record: “{_q(_trim(s))}”.", [*base, (_trim(s), r)])
                    )
            elif intent == "substitutes":
                for s in r.fields.get("substitutes", [])[:3]:
                    if "(substitute)" in s.text:
                        continue  # the attendance list's marker; the substitutes item says for whom
                    facts.append(
                        _Fact(f"The minutes of {where} record: “{_q(_trim(s))}”.", [*base, (_trim(s), r)])
                    )
            elif intent == "attendance":
                others = _in_attendance(question, r)
                if others:
                    names = "; ".join(" ".join(s.text.split()) for s in others[:12])
                    facts.append(
                        _Fact(f"In attendance at {where}: {names}.", [*base, *((s, r) for s in others[:12])])
                    )
                    continue
                present = r.fields.get("members_present", [])
                if present:
                    names = ", ".join(_person(s) for s in present[:12])
                    facts.append(
                        _Fact(f"Present at {where}: {names}.", [*base, *((s, r) for s in present[:12])])
                    )
                co = r.fields.get("co_optees", [])
                if co:
                    facts.append(
                        _Fact(f"Co-optees: {', '.join(_person(s) for s in co)}.", [(s, r) for s in co])
                    )
    return facts


def _resolution_facts(asked: _Asked, records: list[Record], chosen: list[Record]) -> list[_Fact]:
    """Per item: the resolution (verbatim; its lettered parts one line each), the committee's
    own recommendation, the actions closest to the question and the vote where the minutes
    state one. The meeting is named once per meeting."""
    facts: list[_Fact] = []
    named: set[tuple[str, str]] = set()
    for r in chosen:
        where, base = _where(records, r)
        first = (r.doc_id, r.date) not in named
        named.add((r.doc_id, r.date))
        title = r.first("title")
        lead = f"At {where} ({r.title})" if first else f"On {r.title}"
        spans = [*(base if first else []), *([(title, r)] if title is not None else [])]
        said = False
        cited: list[Span] = []
        actions = sorted(
            enumerate(r.fields.get("actions", [])), key=lambda x: (-_overlap(asked, x[1].text), x[0])
        )
        top_actions = [s for _k, s in sorted(actions[:2], key=lambda x: x[0])]
        for field_name, verb in (
            ("resolution", "it was resolved"),
            ("recommendation", "the committee recommended"),
        ):
            for s in r.fields.get(field_name, [])[:1]:
                body = _strip_marker(s)
                parts = _parts(body)
                cited.append(s)
                if field_name == "resolution" and top_actions and re.search(r"actions?\W*$", body.text):
                    # 'Resolved: The Committee voted unanimously to approve the following actions:'
                    facts.append(
                        _Fact(
                            f"{lead}, it was resolved: “{_q(_trim(body))}”.",
                            [*spans, (_trim(body), r)],
                            [(_trim(a, " \t*"), r) for a in top_actions],
                        )
                    )
                    cited.extend(top_actions)
                    top_actions = []
                elif len(parts) >= 2:
                    facts.append(_Fact(f"{lead}, {verb}:", spans, [(x, r) for x in parts]))
                elif len(body.text) > 20:
                    quoted = _quoted(body, 600)
                    facts.append(_Fact(f"{lead}, {verb}: “{_q(quoted)}”.", [*spans, (quoted, r)]))
                else:
                    continue
                said = True
        for s in top_actions:
            body = _quoted(_strip_marker(s), 300)
            if said:
                facts.append(_Fact(f"The minutes also record the action: “{_q(body)}”.", [(body, r)]))
            else:
                facts.append(_Fact(f"{lead}, an action was agreed: “{_q(body)}”.", [*spans, (body, r)]))
                said = True
        for s in r.fields.get("vote", [])[:1]:
            if any(c.start < s.end and s.start < c.end for c in cited):
                continue  # the vote is in the resolution quoted
            vote = _quoted(s, 300)
            facts.append(_Fact(f"The minutes record: “{_q(vote)}”.", [(vote, r)]))
    return facts


def _recommendation_facts(chosen: list[Record]) -> list[_Fact]:
    """What an officer report asked the meeting to decide, worded as a recommendation."""
    facts: list[_Fact] = []
    for r in chosen:
        title = r.first("report_title")
        meeting = r.first("meeting")
        when = r.first("meeting_date")
        spans = [(s, r) for s in (title, meeting, when) if s is not None]
        parts = [_trim(s, " \t*;") for s in r.fields.get("items", [])][:4]
        name = _q(title) if title else r.title
        to = f" to {_q(meeting)}" if meeting else f" to {r.committee}"
        date = f" for the meeting of {_q(when)}" if when is not None else ""
        if parts:
            facts.append(_Fact(f"The report “{name}”{to}{date} recommended:", spans, [(x, r) for x in parts]))
        elif r.first("text"):
            body = _quoted(_strip_marker(r.fields["text"][0]), 400)
            facts.append(
                _Fact(f"The report “{name}”{to}{date} recommended: “{_q(body)}”.", [*spans, (body, r)])
            )
    return facts


def _report_facts(asked: _Asked, records: list[Record], chosen: list[Record], question: str) -> list[_Fact]:
    """Who wrote an officer report (and what it recommended, when asked)."""
    facts: list[_Fact] = []
    for r in chosen:
        rec = next(
            (
                x
                for x in records
                if x.kind == "recommendation" and x.doc_id == r.doc_id and x.span.start == r.span.start
            ),
            None,
        )
        author = r.first("author")
        if rec is not None and author is not None:
            title = rec.first("report_title")
            when = rec.first("meeting_date")
            spans = [(s, rec) for s in (title, when) if s is not None]
            date = f" for the meeting of {_q(when)}" if when is not None else ""
            name = _q(title) if title else r.title
            facts.append(_Fact(f"The report “{name}”{date} was by {_q(author)}.", [*spans, (author, r)]))
        if rec is not None and re.search(r"recommend|ask(?:ed)? the|asked to|propos", question, re.I):
            facts += _recommendation_facts([rec])
    return facts


def _document_facts(
    asked: _Asked, chosen: list[Record], question: str, records: list[Record] | None = None
) -> list[_Fact]:
    facts: list[_Fact] = []
    lowered = question.lower()
    for r in chosen:
        title_span = r.first("title")
        name = " ".join((title_span.text if title_span else r.title).split())
        name = re.sub(r"^(?:A|An|The)\s+", "", name)
        base = [(title_span, r)] if title_span else []
        wanted = []
        if re.search(r"review|current|in force|valid|up to date|expire", lowered):
            wanted += ["review_date", "version"]
        if re.search(r"agreed|approved|signed|sign off|endorsed", lowered):
            wanted.append("agreed_by")
        if re.search(r"version|current", lowered):
            wanted.append("version")
        if re.search(r"author|wrote", lowered):
            wanted.append("author")
        if re.search(r"operational|in force|current", lowered):
            wanted.append("operational_from")
        for f in dict.fromkeys(wanted):
            spans = r.fields.get(f)
            if not spans:
                continue
            value = " and ".join(" ".join(s.text.split()) for s in spans)
            sentence = {
                "review_date": f"The {name}'s review date is {value}.",
                "version": f"The {name} is version {value}.",
                "agreed_by": f"The {name} was agreed by {value}.",
                "author": f"The {name}'s author is {value}.",
                "operational_from": f"The {name} is operational from {value}.",
            }[f]
            facts.append(_Fact(sentence, [*base, *((s, r) for s in spans)]))
        if (
            r.notes.get("draft") == "yes"
            and r.fields.get("draft")
            and re.search(r"draft|current|status|final|decid|agreed|approv|in force|still", lowered)
        ):
            d = r.fields["draft"][0]
            report = next(
                (
                    x
                    for x in records or []
                    if x.kind == "recommendation"
                    and x.doc_id == r.doc_id
                    and x.title == r.notes.get("report")
                ),
                None,
            )
            when = report.first("meeting_date") if report else None
            to = f" for the meeting of {' '.join(when.text.split())}" if when is not None else ""
            spans = [*base, (d, r), *([(when, report)] if when is not None and report else [])]
            draft = _quoted(d, 240)
            spans = [*base, (draft, r), *spans[len(base) + 1 :]]
            facts.append(_Fact(f"The {name} was presented{to} as a draft: “{_q(draft)}”.", spans))
    return facts


def _question_facts(asked: _Asked, chosen: list[Record]) -> list[_Fact]:
    """Who asked, what (the sentence that asks), and the response (the written one when a
    verbal response was followed by one), each quoted from the record."""
    facts: list[_Fact] = []
    sentences = 2 if len(chosen) == 1 else 1  # of each response
    for r in chosen:
        who = r.first("questioner")
        q = r.first("question")
        resp = r.first("response")
        if who is None or q is None:
            continue
        sup = " a supplementary question" if r.notes.get("supplementary") == "yes" else ""
        meeting = r.first("meeting")
        when = f" (Scrutiny Meeting: {_q(meeting)})" if meeting else ""
        asking = _quoted(q, 260, ask=True)
        facts.append(
            _Fact(
                f"Questioner {_q(who)} asked{sup}{when}: “{_q(asking)}”.",
                [(who, r), *([(meeting, r)] if meeting else []), (asking, r)],
            )
        )
        responder = r.first("responder")
        written = r.first("response_date")
        if resp is not None and written is not None:
            # The written answer that followed a verbal one.
            after = _trim(_sub(resp, written.end - resp.start, len(resp.text)))
            if responder is not None:
                facts.append(
                    _Fact(f"{_q(responder)} gave a verbal response at the meeting.", [(responder, r)])
                )
            for k, answer in enumerate(_best_sentences(after, asked, sentences, 300)):
                lead = f"The written response, headed “{_q(written)}”, said" if k == 0 else "It also said"
                cite = [(_tight(written), r), (answer, r)] if k == 0 else [(answer, r)]
                facts.append(_Fact(f"{lead}: “{_q(answer)}”.", cite))
        elif resp is not None:
            for k, answer in enumerate(_best_sentences(resp, asked, sentences, 300)):
                lead = "The response was" if k == 0 else "It also said"
                facts.append(_Fact(f"{lead}: “{_q(answer)}”.", [(answer, r)]))
    return facts


def _concern_facts(
    asked: _Asked, records: list[Record], chosen: list[tuple[Record, list[Span]]]
) -> list[_Fact]:
    """The discussion points of the minute items that speak of the topic, verbatim."""
    facts: list[_Fact] = []
    for r, points in chosen:
        where, base = _where(records, r)
        title = r.first("title")
        spans = [*base, *([(title, r)] if title is not None else [])]
        for k, s in enumerate(points[:3]):
            m = re.match(r"(?:-\s*)?(?:\d{1,2}\.\s+)?", s.text)
            body = _quoted(_sub(s, m.end() if m else 0, len(s.text)), 300)
            if k == 0:
                facts.append(
                    _Fact(f"At {where} ({r.title}), the minutes record: “{_q(body)}”.", [*spans, (body, r)])
                )
            else:
                facts.append(_Fact(f"They also record: “{_q(body)}”.", [(body, r)]))
    return facts


# --- choosing records ----------------------------------------------------------------------


def _choose(asked: _Asked, records: list[Record], question: str) -> tuple[list[_Fact], list[Record]]:
    def where(r: Record) -> bool:
        return _date_matches(r, asked) and (not asked.committee or r.committee == asked.committee)

    if asked.intent in _ATTENDANCE:
        intents = [name for name, pattern in _INTENTS if name in _ATTENDANCE and pattern.search(question)]
        if re.search(r"\b(?:were|was) any (?:members? )?absent\b|\babsent\b", question, re.I):
            intents.append("apologies")
        if re.search(r"\bstand in\b|\bstood in\b", question, re.I):
            intents.append("substitutes")
        if "chair" in intents:
            intents.append("vice_chair")  # the chair and the vice-chair come together in the minutes
        if "substitutes" in intents:
            intents.append("apologies")  # whom the substitutes stood in for
        intents = [name for name in _ATTENDANCE if name in intents]
        if not re.search(r"\bmeeting\b|\bcabinet\b|\bcommittee\b|\bscrutiny\b", question, re.I):
            return [], []  # attendance of something that is not a meeting the minutes record
        if re.search(r"\bhow many\b", question, re.I):
            return [], []
        if asked.intent in ("chair", "vice_chair"):
            body = _BODY.search(question)
            committees = {r.committee.lower() for r in records if r.committee}
            if body and not any(
                body.group("body").strip().lower() in c or c in body.group("body").lower() for c in committees
            ):
                return [], []  # the chair of a body the records do not cover
        if not (asked.dates or asked.months or asked.years or asked.committee):
            return [], []
        chosen = [r for r in records if r.kind == "attendance" and where(r)]
        chosen = _sort_latest(chosen)[:3]
        return _attendance_facts(intents, records, chosen, question), chosen
    if asked.intent == "question":
        questions = [r for r in records if r.kind == "question" and where(r)]
        if re.search(r"\bsupplementary\b", question, re.I):
            questions = [r for r in questions if r.notes.get("supplementary") == "yes"] or questions
        named = [
            r
            for r in questions
            if any(n.lower() in r.value("questioner").lower() for n in asked.names if len(n) > 3)
        ]
        scored = sorted(
            (
                (_overlap(asked, f"{r.value('question')} {r.value('response')}"), r)
                for r in (named or questions)
            ),
            key=lambda x: -x[0],
        )
        top = scored[0][0] if scored else 0.0
        chosen = [r for score, r in scored if (named or score >= 0.5) and score >= 0.8 * top][:2]
        chosen.sort(key=lambda r: (r.date, r.notes.get("supplementary") == "yes", r.span.start))
        return _question_facts(asked, chosen), chosen
    if asked.intent == "document":
        if re.search(r"\breport\b", question, re.I) and re.search(
            r"\bwho\b|\bauthor|\bwrote\b", question, re.I
        ):
            reports = [
                r for r in records if r.kind == "document" and r.notes.get("type") == "report" and where(r)
            ]
            scored_reports = sorted(((_overlap(asked, r.title), r) for r in reports), key=lambda x: -x[0])
            if scored_reports and scored_reports[0][0] >= 0.5:
                best_reports = [r for score, r in scored_reports if score == scored_reports[0][0]][:2]
                return _report_facts(asked, records, best_reports, question), best_reports
            return [], []
        docs = [r for r in records if r.kind == "document" and r.notes.get("type") != "report"]
        scored = sorted(
            ((_overlap(asked, r.value("title") + " " + r.title), r) for r in docs), key=lambda x: -x[0]
        )
        if not scored or scored[0][0] < 0.5:
            return [], []
        best = scored[0][0]
        chosen = []
        seen: set[tuple[str, str, str]] = set()
        for score, r in scored:
            if score < best:
                break
            key = (" ".join(r.value("title").lower().split()), r.value("review_date"), r.value("version"))
            if key in seen:
                continue  # the same strategy pasted into another document
            seen.add(key)
            chosen.append(r)
        chosen.sort(key=lambda r: (r.notes.get("type") != "strategy", r.kind, r.document))
        return _document_facts(asked, chosen[:2], question), chosen[:2]
    if asked.intent == "concerns":
        if not asked.terms:
            return [], []
        found: list[tuple[Record, list[Span]]] = []
        phrases = [n for n in asked.names if len(n.split()) > 1 and not _terms(n) <= _GENERIC]
        for r in records:
            if r.kind != "item" or not where(r):
                continue
            points = [
                s
                for s in r.fields.get("points", [])
                if _overlap(asked, s.text) >= 0.99 and all(p.lower() in s.text.lower() for p in phrases)
            ]
            if points:
                found.append((r, points))
        found = sorted(found, key=lambda x: -len(x[1]))[:2]
        return _concern_facts(asked, records, found), [r for r, _ in found]
    if asked.intent == "decision":
        if re.search(r"\bfull council\b", question, re.I) and not any(
            r.committee.lower() in ("council", "full council") for r in records
        ):
            return [], []  # full Council's decisions: none of its minutes are in the index
        if re.search(r"\bvot(?:e|es|ed|ing)\b", question, re.I):
            items = [r for r in records if r.kind == "item" and r.fields.get("vote") and where(r)]
            items = [
                r
                for r in items
                if _overlap(asked, f"{r.title} {r.value('resolution')} {r.value('vote')}") >= 0.5
            ]
            if re.search(r"member by member|each member|how each|roll call|named vote", question, re.I):
                return [], []  # the minutes record no member-by-member votes
            chosen = items[:3]
            return _resolution_facts(asked, records, chosen), chosen
        facts: list[_Fact] = []
        chosen = []
        dated = bool(asked.dates or asked.months or asked.years)
        items = [r for r in records if r.kind == "item" and r.notes.get("decision") and where(r)]
        if asked.terms:
            scored = [
                (
                    _overlap(
                        asked,
                        f"{r.title} {r.value('resolution')} {r.value('recommendation')} {r.value('actions')}",
                    ),
                    r,
                )
                for r in items
            ]
            items = [r for score, r in sorted(scored, key=lambda x: -x[0]) if score >= 0.6]
        elif not dated:
            items = []
        items = [r for r in items if r.title.lower() not in ("minutes",) or "minutes" in question.lower()]
        recs = [r for r in records if r.kind == "recommendation" and where(r)]
        recs = [r for r in recs if asked.terms and _overlap(asked, f"{r.title} {r.value('text')}") >= 0.99]
        docs = [
            r
            for r in records
            if r.kind == "document"
            and r.notes.get("type") == "strategy"
            and r.notes.get("draft") == "yes"
            and asked.terms
            and _overlap(asked, r.value("title") + " " + r.title) >= 0.99
            and where(r)
        ]
        if re.match(r"\s*(?:did|has|have|was|were|is)\b", question, re.I) and not items:
            return [], []  # a yes/no question about a decision the minutes do not record
        facts += _resolution_facts(asked, records, items[:3])
        facts += _recommendation_facts(sorted(recs, key=lambda r: r.date)[:3])
        facts += _document_facts(asked, docs[:2], "draft", records)
        chosen = [*items[:3], *recs[:3], *docs[:2]]
        return facts, chosen
    return [], []


def answer_from_records(index: Any, question: str, filters: Filters | None = None) -> RecordAnswer | None:
    """An answer built from the records that match `question`, or None (answer from passages)."""
    if index is None or not hasattr(index, "directory") or not hasattr(index, "records"):
        return None  # not an index with a records store (a test double): answer from passages
    if filters is not None and filters.doc_type:
        return None  # a search narrowed to one kind of document: answer from its passages
    try:
        records = [r for r in index_records_list(index) if _in_filters(r, filters)]
    except (OSError, sqlite3.Error):
        return None  # the records store cannot be read: answer from passages
    if not records:
        return None
    asked = read_question(question, {r.committee for r in records if r.committee})
    if asked is None:
        return None
    facts, chosen = _choose(asked, records, question)
    if not facts and asked.intent == "decision" and _FOLLOW_ON.search(question):
        first = _FOLLOW_ON.sub("?", question)
        again = read_question(first, {r.committee for r in records if r.committee})
        if again is not None and again.intent == "decision":
            asked = again
            facts, chosen = _choose(asked, records, first)
    if not facts:
        return None
    facts = facts[:MAX_FACTS]
    passages = SpanPassages(index)
    checker = LexicalSupportChecker()

    def supported(line: str) -> bool:
        claims = check_claims(parse_claims(line), passages.hits, checker).claims
        return bool(claims) and all(c.supported for c in claims)

    kept: list[str] = []
    for fact in facts:
        markers = [passages.marker(span, record) for span, record in fact.spans]
        if not any(markers):
            continue
        line = fact.sentence + " " + "".join(f"[{m}]" for m in dict.fromkeys(markers) if m)
        if fact.parts:
            # The lead, then each part verbatim on a line of its own with its own citation.
            lines = [
                f"{_q(span)} [{m}]" for span, record in fact.parts if (m := passages.marker(span, record))
            ]
            if lines and supported(line) and all(supported(x) for x in lines):
                kept.append("\n".join([line, *lines]))
            continue
        if supported(line):
            kept.append(line)
            continue
        # The same fact as a lead sentence and the quote on a line of its own, each checked
        # against its own passages (a long quote is judged better alone).
        at = fact.sentence.find("“")
        if at > 0 and fact.sentence.endswith("”.") and markers[-1] and any(markers[:-1]):
            lead = fact.sentence[:at].rstrip(" :,") + ":"
            lead_line = lead + " " + "".join(f"[{m}]" for m in dict.fromkeys(markers[:-1]) if m)
            quoted = fact.spans[-1][0]
            quote_line = f"{_q(quoted)} [{markers[-1]}]"  # verbatim: the passage's own words
            if supported(lead_line) and supported(quote_line):
                kept.append(f"{lead_line}\n{quote_line}")
    if not kept:
        return None
    return RecordAnswer(
        "\n".join(kept),
        passages.hits,
        chosen,
        asked.intent,
        notice=f"answered from the council's records ({asked.intent})",
    )


def cite_span(index: Any, record: Record, span: Span, marker: int = 1) -> Citation | None:
    """A citation of one field of a record, like a chunk's: the passage is the span itself
    (its label, page and source offsets as for chunks), the quote its whole text. For lists
    of records with their sources (a timeline, say). None when the document is not in `index`."""
    doc = index.document(span.doc_id)
    if doc is None or doc.text[span.start : span.end] != span.text:
        return None
    return Citation(marker, _chunk(doc, span.start, span.end, record), span.text, 0)


def describe_record(r: Record) -> str:
    """One line (or a few) for `rag-council records`."""
    when = format_date(r.date) if r.date else "undated"
    v = r.value
    if r.kind == "meeting":
        status = r.notes.get("status", "")
        if status == "draft":
            status = (
                f"draft minutes, for approval at the meeting of {format_date(r.notes['for_approval_at'])}"
            )
        elif status == "agenda":
            status = "the agenda pack's meeting"
        return f"meeting  {when}: {r.committee}" + (f", {v('venue')}" if v("venue") else "") + f" [{status}]"
    if r.kind == "attendance":
        parts = [f"attendance  {when}, {r.committee}:"]
        for name, label in (
            ("chair", "chair"),
            ("vice_chair", "vice-chair"),
            ("members_present", "present"),
            ("co_optees", "co-optees"),
            ("substitutes", "substitutes"),
            ("apologies", "apologies"),
            ("in_attendance", "in attendance"),
            ("remote", "remote"),
        ):
            if r.fields.get(name):
                parts.append(f"{label}: {v(name)}")
        if not r.fields.get("apologies") and r.fields.get("apologies_statement"):
            parts.append(f"apologies: {v('apologies_statement')}")
        return "\n".join(parts)
    if r.kind == "item":
        head = f"item  {when}, minute {v('number') or '?'}: {r.title}"
        lines = [head]
        for name in ("resolution", "recommendation", "actions", "vote", "confirms"):
            if r.fields.get(name):
                for s in r.fields[name]:
                    lines.append(f"{name}: “{_short(s.text)}”")
        return "\n".join(lines)
    if r.kind == "recommendation":
        return (
            f"recommendation  {when}, report “{r.title}” to {r.committee}"
            + (f" (by {v('report_by')})" if v("report_by") else "")
            + f"\nrecommended: “{_short(v('text'))}”"
        )
    if r.kind == "question":
        sup = "supplementary question" if r.notes.get("supplementary") == "yes" else "public question"
        lines = [f"question  {when}, {sup} from {v('questioner')} ({v('meeting')})"]
        lines.append(f"asked: “{_short(v('question'))}”")
        if v("response"):
            lines.append(f"response: “{_short(v('response'))}”")
        if v("responder"):
            lines.append(f"responder: {v('responder')}")
        return "\n".join(lines)
    if r.kind == "document":
        details = [
            f"{k.replace('_', ' ')}: {v(k)}"
            for k in ("version", "author", "agreed_by", "operational_from", "review_date")
            if v(k)
        ]
        notes = [f"type {r.notes.get('type', '')}"]
        if r.notes.get("period"):
            notes.append(f"period {r.notes['period']}")
        notes.append("draft" if r.notes.get("draft") == "yes" else "not marked draft")
        own = v("title")
        return (
            f"document  {when}: {r.title}"
            + (f" (“{_short(own, 80)}”)" if own and own != r.title else "")
            + f" [{', '.join(notes)}]"
            + (f"\n{'; '.join(details)}" if details else "")
        )
    return f"{r.kind}  {when}: {r.title}"


def _short(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
