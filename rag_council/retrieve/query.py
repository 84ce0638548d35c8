"""Question understanding: what a question says about where to look.

Council questions often name a time ("in 2017", "last November", "2016-17", "back in March",
"on 14 November 2023"), a body ("cabinet", "scrutiny"), a kind of document ("the minutes",
"a public question", "the strategy") or a document by its title ("the permanency strategy").
`understand` reads these against the index's own catalogue (`Catalogue`: the committees,
document types and titles it holds) into a `QueryIntent`, which the retriever uses to raise
the passages that match it (see retrieval.HybridRetriever) and to fetch extra candidates from
the matching part of the index. Explicit filters always win: a facet the user filtered on is
not read from the question.

Dates and periods are read by `rag_council.text.dates.periods` (re-exported here): relative
dates ("last November") against `today`; a month without a year and without "last" means the
most recent such month up to today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag_council.text.dates import MONTHS, Period, periods
from rag_council.text.tokens import STOPWORDS, stem, words
from rag_council.types import Chunk, DocType, Filters

__all__ = ["DOC_TYPE_WORDS", "Catalogue", "Period", "QueryIntent", "periods", "understand"]

# Words that name a kind of council document in a question, by the doc_type they point at.
DOC_TYPE_WORDS: dict[DocType, re.Pattern[str]] = {
    DocType.MINUTES: re.compile(r"\bminutes?\b|\bresolved?\b|\bresolutions?\b", re.I),
    DocType.PUBLIC_QUESTIONS: re.compile(
        r"\bpublic\s+questions?\b|\bmembers?\s+of\s+the\s+public\b|\bquestions?\s+(?:from|asked|by)\b"
        r"|\basked\s+by\b|\bquestioner\b",
        re.I,
    ),
    # not a child-protection "strategy meeting" or "strategy discussion"
    DocType.STRATEGY: re.compile(r"\bstrateg(?:y|ies)\b(?!\s+(?:meetings?|discussions?|groups?)\b)", re.I),
    DocType.OFFICER_REPORT: re.compile(r"\b(?:officer'?s?|cabinet|committee)\s+report\b", re.I),
    DocType.APPENDIX: re.compile(r"\bappendix\b|\bappendices\b", re.I),
    DocType.AGENDA: re.compile(r"\bagenda\b", re.I),
    DocType.WORK_PROGRAMME: re.compile(r"\bwork\s+programme\b", re.I),
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
    "appendix", "draft", "final", "annual", "update", *MONTHS,
}  # fmt: skip


@dataclass
class Catalogue:
    """What the index holds, to read questions against: committee names, document types and
    document titles (by document name)."""

    committees: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)
    # Each title's distinctive words, read once per catalogue (a question is read against every
    # title: 437 titles at 100k chunks, 6 ms a question when tokenized again each time).
    _title_words: dict[str, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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

    def title_words(self, name: str) -> frozenset[str]:
        """The distinctive words of a document's title (all must appear in a question)."""
        found = self._title_words.get(name)
        if found is None:
            title = self.titles.get(name, "")
            found = frozenset(
                stem(w) for w in words(title) if w not in _GENERIC_TITLE and not w.isdigit() and len(w) > 2
            )
            self._title_words[name] = found
        return found


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
    doc_types: list[DocType] = []
    if not filters.doc_type:
        doc_types = [
            DocType(t)
            for t in catalogue.doc_types
            if t in DOC_TYPE_WORDS and DOC_TYPE_WORDS[t].search(question)
        ]
    documents: list[str] = []
    if not filters.documents:
        stems = {stem(w) for w in words(question)}
        for name in sorted(catalogue.titles):
            distinctive = catalogue.title_words(name)
            if distinctive and distinctive <= stems:
                documents.append(name)
    return QueryIntent(found_periods, tuple(committees), tuple(doc_types), tuple(documents))
