"""Question understanding: what a question says about where to look.

Council questions often name a time ("in 2017", "last November", "2016-17", "back in March",
"on 14 November 2023"), a body ("cabinet", "scrutiny"), a kind of document ("the minutes",
"a public question", "the strategy") or a document by its title ("the permanency strategy").
`understand` reads these against the index's own catalogue (`Catalogue`: the committees,
document types and titles it holds) into a `QueryIntent`, which the retriever uses to raise
the passages that match it (see retrieval.HybridRetriever) and to fetch extra candidates from
the matching part of the index. Explicit filters always win: a facet the user filtered on is
not read from the question.

Relative dates ("last November") are read against `today`; a month without a year and without
"last" means the most recent such month up to today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag_council.text import MONTHS, STOPWORDS, stem, words
from rag_council.types import Chunk, Filters, format_date

_MONTH = "|".join(MONTHS) + "|" + "|".join(m[:3] for m in MONTHS if len(m) > 3) + "|sept"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_FINANCIAL_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|/|to)\s*((?:19|20)?\d\d)\b")
_YEAR = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d/-])")
_YEAR_LEAD = re.compile(
    r"\b(?:in|during|since|from|until|till|before|after|of|by)\s+(?:(?:early|late|mid)[- ]?)?$", re.I
)
_DATA_NOUN = re.compile(r"\s+(?:data|census|figures?|survey|baseline|levels?|rates?|cohort)\b", re.I)
_RELATIVE_MONTH = re.compile(
    rf"\b(?:(last|this|past|previous)\s+|(?:back\s+)?in\s+)({_MONTH})\b(?!\.?,?\s+\d)", re.I
)
_RELATIVE_YEAR = re.compile(r"\b(last|this|past|previous)\s+year\b", re.I)


def _month_number(name: str) -> int:
    name = name.lower()[:3]
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(name))


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A span of dates a question names (inclusive), with the words that named it."""

    start: dt.date
    end: dt.date
    text: str
    # A span of time ("between April 2022 and March 2023") is what the records report on, at
    # meetings up to a year after it ends; a date or a month names the meeting itself.
    reported_for: int = 0  # days after `end` that still match

    def describe(self) -> str:
        """'14 November 2023', 'November 2023', '2017', or '1 April 2016 to 31 March 2017'."""
        if self.start == self.end:
            return format_date(self.start.isoformat())
        if self.start.day == 1 and self.end == _month_end(self.start.year, self.start.month):
            return f"{MONTHS[self.start.month - 1].capitalize()} {self.start.year}"
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31) and (
            self.start.year == self.end.year
        ):
            return str(self.start.year)
        return f"{format_date(self.start.isoformat())} to {format_date(self.end.isoformat())}"

    def contains(self, iso: str) -> bool:
        try:
            day = dt.date.fromisoformat(iso[:10])
        except ValueError:
            return False
        return self.start <= day <= self.end + dt.timedelta(days=self.reported_for)


def periods(question: str, today: dt.date | None = None) -> list[Period]:
    """The dates and periods named in `question`, most specific first; overlapping mentions
    ("14 November 2023" also contains "November 2023" and "2023") are read once."""
    today = today or dt.date.today()
    found: list[Period] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    def add(m: re.Match[str], start: dt.date, end: dt.date) -> None:
        taken.append(m.span())
        found.append(Period(start, end, m.group(0)))

    for m in _DAY_MONTH_YEAR.finditer(question):
        try:
            day = dt.date(int(m.group(3)), _month_number(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
        add(m, day, day)
    for m in _MONTH_YEAR.finditer(question):
        if free(m):
            year, month = int(m.group(2)), _month_number(m.group(1))
            add(m, dt.date(year, month, 1), _month_end(year, month))
    for m in _FINANCIAL_YEAR.finditer(question):
        first, second = int(m.group(1)), int(m.group(2))
        second = second if second >= 100 else (first // 100) * 100 + second
        if free(m) and second == first + 1:  # "2016-17": 1 April 2016 to 31 March 2017
            add(m, dt.date(first, 4, 1), dt.date(second, 3, 31))
    for m in _YEAR.finditer(question):
        # A year is a time to look in when it follows "in", "during", "since"...; "the 2011
        # data" or "between 2017 and 2021" speak of what the records measured, not when.
        if free(m) and _YEAR_LEAD.search(question[: m.start()]) and not _DATA_NOUN.match(question[m.end() :]):
            year = int(m.group(1))
            add(m, dt.date(year, 1, 1), dt.date(year, 12, 31))
    for m in _RELATIVE_MONTH.finditer(question):
        if not free(m) or (m.group(2).lower() == "may" and not m.group(1)):
            continue  # "in may" is too often the verb
        month = _month_number(m.group(2))
        year = today.year if month <= today.month else today.year - 1
        if (m.group(1) or "").lower() in ("last", "past", "previous") and month == today.month:
            year -= 1
        add(m, dt.date(year, month, 1), _month_end(year, month))
    for m in _RELATIVE_YEAR.finditer(question):
        if free(m):
            year = today.year if m.group(1).lower() == "this" else today.year - 1
            add(m, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return _ranges(question, found, taken)


_RANGE_OPEN = re.compile(r"\b(?:between|from)\s+$", re.I)
_RANGE_JOIN = re.compile(r"^\s*(?:and|to|until|till|-|–)\s*$", re.I)


def _ranges(question: str, found: list[Period], spans: list[tuple[int, int]]) -> list[Period]:
    """'between April 2022 and March 2023' and 'from 2017 to 2019' read as one span of time."""
    ordered = sorted(zip(spans, found, strict=True), key=lambda x: x[0])
    out: list[tuple[tuple[int, int], Period]] = []
    for span, period in ordered:
        if out:
            (a, b), first = out[-1]
            if _RANGE_JOIN.match(question[b : span[0]]) and _RANGE_OPEN.search(question[:a]):
                merged = Period(first.start, period.end, question[a : span[1]], reported_for=366)
                out[-1] = ((a, span[1]), merged)
                continue
        out.append((span, period))
    # most specific first, as found
    return [p for _, p in sorted(out, key=lambda x: (x[1].end - x[1].start, x[0]))]


# Words that name a kind of council document in a question, by the doc_type they point at.
DOC_TYPE_WORDS: dict[str, re.Pattern[str]] = {
    "minutes": re.compile(r"\bminutes?\b|\bresolved?\b|\bresolutions?\b", re.I),
    "public_questions": re.compile(
        r"\bpublic\s+questions?\b|\bmembers?\s+of\s+the\s+public\b|\bquestions?\s+(?:from|asked|by)\b"
        r"|\basked\s+by\b|\bquestioner\b",
        re.I,
    ),
    # not a child-protection "strategy meeting" or "strategy discussion"
    "strategy": re.compile(r"\bstrateg(?:y|ies)\b(?!\s+(?:meetings?|discussions?|groups?)\b)", re.I),
    "officer_report": re.compile(r"\b(?:officer'?s?|cabinet|committee)\s+report\b", re.I),
    "appendix": re.compile(r"\bappendix\b|\bappendices\b", re.I),
    "agenda": re.compile(r"\bagenda\b", re.I),
    "work_programme": re.compile(r"\bwork\s+programme\b", re.I),
}

# Words of a committee's name that a question may use for it on their own.
_BODY_WORDS = frozenset(
    {
        "cabinet",
        "scrutiny",
        "planning",
        "audit",
        "licensing",
        "governance",
        "standards",
        "executive",
        "overview",
        "regulatory",
        "health",
        "wellbeing",
        "employment",
        "appeals",
    }
)
# Title words too common to name a document on their own.
_GENERIC_TITLE = STOPWORDS | {
    "agenda", "pack", "minutes", "committee", "council", "report", "version", "children", "young",
    "people", "scrutiny", "cabinet", "strategy", "plan", "policy", "herefordshire", "meeting",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "appendix", "draft", "final", "annual", "update",
}  # fmt: skip


@dataclass
class Catalogue:
    """What the index holds, to read questions against: committee names, document types and
    document titles (by document name)."""

    committees: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, chunks: Iterable[Chunk], titles: dict[str, str] | None = None) -> Catalogue:
        committees: set[str] = set()
        doc_types: set[str] = set()
        for chunk in chunks:
            if chunk.meta.get("committee"):
                committees.add(str(chunk.meta["committee"]))
            if chunk.meta.get("doc_type"):
                doc_types.add(str(chunk.meta["doc_type"]))
        return cls(tuple(sorted(committees)), tuple(sorted(doc_types)), dict(titles or {}))

    def committee_aliases(self, committee: str) -> list[str]:
        """Ways a question may name `committee`: its name, without 'Committee', and any word of
        it that names a kind of body ('scrutiny', 'cabinet') when no other committee has it."""
        name = committee.lower()
        aliases = {name, re.sub(r"\s+(committee|board|panel|forum)$", "", name)}
        for word in words(name):
            others = [c for c in self.committees if c != committee and word in words(c.lower())]
            if word in _BODY_WORDS and not others:
                aliases.add(word)
        return sorted(aliases, key=len, reverse=True)

    def title_words(self, name: str) -> set[str]:
        """The distinctive words of a document's title (all must appear in a question)."""
        title = self.titles.get(name, "")
        return {stem(w) for w in words(title) if w not in _GENERIC_TITLE and not w.isdigit() and len(w) > 2}


@dataclass(frozen=True)
class QueryIntent:
    """Where a question points: dates, committees, document types and documents. Empty when
    the question names none of them (or the user's filters already say)."""

    periods: tuple[Period, ...] = ()
    committees: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.periods or self.committees or self.doc_types or self.documents)

    def facets(self) -> int:
        return sum(bool(x) for x in (self.periods, self.committees, self.doc_types, self.documents))

    def match(self, chunk: Chunk) -> float:
        """The share of the intent's facets that the chunk matches (0 to 1)."""
        if self.is_empty():
            return 0.0
        matched = 0
        if self.periods:
            date = chunk.date or ""
            matched += any(p.contains(date) for p in self.periods)
        if self.committees:
            matched += str(chunk.meta.get("committee", "")) in self.committees
        if self.doc_types:
            matched += str(chunk.meta.get("doc_type", "")) in self.doc_types
        if self.documents:
            matched += chunk.document in self.documents
        return matched / self.facets()

    def filters(self) -> list[Filters]:
        """One filter per facet, to fetch candidates from each matching part of the index."""
        out: list[Filters] = []
        if self.periods:
            out.append(
                Filters(since=min(p.start for p in self.periods), until=max(p.end for p in self.periods))
            )
        out += [Filters(committee=c) for c in self.committees]
        out += [Filters(doc_type=t) for t in self.doc_types]
        if self.documents:
            out.append(Filters(documents=self.documents))
        return out

    def narrowed(self, filters: Filters | None = None) -> Filters:
        """The user's filters narrowed by every facet of the intent (the first committee,
        document type and the span of the periods)."""
        f = filters or Filters()
        return Filters(
            committee=f.committee or (self.committees[0] if self.committees else None),
            doc_type=f.doc_type or (self.doc_types[0] if self.doc_types else None),
            since=f.since or (min(p.start for p in self.periods) if self.periods else None),
            until=f.until or (max(p.end for p in self.periods) if self.periods else None),
            documents=f.documents or self.documents,
        )

    def describe(self) -> str:
        """For people, e.g. "Cabinet; 2017; minutes" (empty when nothing was read)."""
        parts = [", ".join(p.describe() for p in self.periods)] if self.periods else []
        parts += list(self.committees)
        parts += [t.replace("_", " ") for t in self.doc_types]
        parts += list(self.documents)
        return "; ".join(parts)


def understand(
    question: str,
    catalogue: Catalogue,
    filters: Filters | None = None,
    today: dt.date | None = None,
) -> QueryIntent:
    """The intent of `question` against what the index holds. Facets the user's `filters`
    already set are left out (explicit filters win)."""
    filters = filters or Filters()
    lower = question.lower()
    found_periods: tuple[Period, ...] = ()
    if not (filters.since or filters.until):
        found_periods = tuple(periods(question, today))
    committees: list[str] = []
    if not filters.committee:
        for committee in catalogue.committees:
            if any(re.search(rf"\b{re.escape(a)}\b", lower) for a in catalogue.committee_aliases(committee)):
                committees.append(committee)
    doc_types: list[str] = []
    if not filters.doc_type:
        doc_types = [
            t for t in catalogue.doc_types if t in DOC_TYPE_WORDS and DOC_TYPE_WORDS[t].search(question)
        ]
    documents: list[str] = []
    if not filters.documents:
        stems = {stem(w) for w in words(question)}
        for name in sorted(catalogue.titles):
            distinctive = catalogue.title_words(name)
            if distinctive and distinctive <= stems:
                documents.append(name)
    return QueryIntent(found_periods, tuple(committees), tuple(doc_types), tuple(documents))
