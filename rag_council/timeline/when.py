"""Time in questions and in the records.

`as_at(question)`: an "as at" question ("What was the position in 2017?", "as at March 2024",
"before the 2023 elections") read into the last date whose records should answer it. The
phrases are this module's; the dates inside them are read by the existing question
understanding (rag_council.retrieve.query.periods), so "March 2024", "2016-17" or
"14 November 2023" mean here what they mean to retrieval.

`relative_time(phrase_text, date, period)`: "this year", "last quarter", "currently" inside a
document, read against the document's own date (the meeting of its section) and, for a
report on a year ("annual report 2016-17"), that year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rag_council.retrieve.query import periods
from rag_council.text import MONTHS
from rag_council.types import Filters, format_date

# Herefordshire Council's all-out elections (England's local elections in May).
ELECTIONS = {2011: dt.date(2011, 5, 5), 2015: dt.date(2015, 5, 7), 2019: dt.date(2019, 5, 2), 2023: dt.date(2023, 5, 4), 2027: dt.date(2027, 5, 6)}  # fmt: skip

_ELECTION = re.compile(
    r"\b(before|after|since|until|up to)\s+(?:the\s+)?((?:19|20)\d\d)\s+(?:local\s+|council\s+)?elections?\b",
    re.I,
)
_AS_AT = re.compile(r"\b(?:as\s+(?:at|of)|at\s+the\s+time\s+of|by\s+the\s+end\s+of|up\s+to|until)\s+", re.I)
_BEFORE = re.compile(r"\b(?:before|prior\s+to)\s+", re.I)
_POSITION = re.compile(
    r"\b(?:position|situation|status|state\s+of\s+play|picture|the\s+case|in\s+place|current|known)\b"
    r"[^?.]{0,40}?\b(?:in|at|during|by)\s+",
    re.I,
)


@dataclass(frozen=True)
class AsAt:
    """The question asks what the records said up to `until` (inclusive)."""

    until: dt.date
    text: str  # the words that said so
    mode: str = "as at"  # "as at" or "before"

    def describe(self) -> str:
        return f"{self.mode} {format_date(self.until.isoformat())}"


def _period_after(question: str, at: int, today: dt.date | None) -> tuple[dt.date, dt.date, str] | None:
    """The date or period named right at `at` in the question."""
    rest = question[at : at + 60]
    for p in periods("in " + rest, today):
        if ("in " + rest).find(p.text) <= 4:
            return p.start, p.end, p.text
    return None


def as_at(question: str, today: dt.date | None = None) -> AsAt | None:
    """The "as at" reading of a question, or None when it asks nothing of the kind."""
    m = _ELECTION.search(question)
    if m and int(m.group(2)) in ELECTIONS and m.group(1).lower() in ("before", "until", "up to"):
        day = ELECTIONS[int(m.group(2))]
        return AsAt(day - dt.timedelta(days=1), m.group(0), "before")
    for pattern, mode in ((_AS_AT, "as at"), (_BEFORE, "before"), (_POSITION, "as at")):
        for m in pattern.finditer(question):
            found = _period_after(question, m.end(), today)
            if found is None:
                continue
            start, end, text = found
            if mode == "before":
                return AsAt(start - dt.timedelta(days=1), m.group(0) + text, "before")
            return AsAt(end, m.group(0) + text, "as at")
    return None


def as_at_filters(question: str, filters: Filters | None, today: dt.date | None = None) -> Filters | None:
    """`filters` narrowed to the records up to the question's "as at" date (an explicit
    --until wins)."""
    when = as_at(question, today)
    if when is None or (filters is not None and filters.until is not None):
        return filters
    base = filters or Filters()
    return Filters(base.committee, base.doc_type, base.since, when.until, base.documents)


def without_before(question: str, today: dt.date | None = None) -> str:
    """The question without its "before ..." phrase, which is read into the filters: the
    records that answer it are all earlier than the date it names, so that date is not a thing
    the answer must mention ("before the 2023 elections" answered from 2017 records)."""
    when = as_at(question, today)
    if when is None or when.mode != "before":
        return question
    at = question.find(when.text)
    if at < 0:
        return question
    return " ".join((question[:at] + question[at + len(when.text) :]).split()).replace(" ?", "?")


# --- relative time inside the records -----------------------------------------------------

RELATIVE = re.compile(
    r"\b(?:(?:this|last|next|current|previous|past)\s+(?:financial\s+)?(?:year|quarter|month)|currently|"
    r"at\s+present|presently|to\s+date|so\s+far\s+this\s+year|at\s+the\s+time\s+of\s+writing)\b",
    re.I,
)


def _financial_year(day: dt.date, shift: int = 0) -> str:
    first = (day.year if day.month >= 4 else day.year - 1) + shift
    return f"{first}-{str(first + 1)[2:]}"


def _quarter(day: dt.date, shift: int) -> str:
    q = (day.month - 1) // 3 + shift
    year = day.year + q // 4
    q %= 4
    return f"{MONTHS[q * 3].capitalize()} to {MONTHS[q * 3 + 2].capitalize()} {year}"


def relative_time(phrase: str, date: str, period: str = "") -> str:
    """What a relative phrase meant on the document's date, e.g. ('this year', '2017-07-20',
    '2016-17') -> 'in 2016-17, the year of the report'."""
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        return ""
    p = " ".join(phrase.lower().split())
    if p.startswith(("this year", "current year", "this financial year", "current financial year", "so far")):
        return (
            f"in {period}, the year of the report"
            if period
            else f"in {_financial_year(day)}, the year of the document"
        )
    if p.startswith(("last year", "previous year", "past year", "last financial year", "previous financial")):
        if period and re.match(r"\d{4}-\d{2,4}$", period):
            first = int(period[:4]) - 1
            return f"in {first}-{str(first + 1)[2:]}, the year before the report's"
        return f"in {_financial_year(day, -1)}, the year before the document's"
    if p.startswith(("next year", "next financial year")):
        return f"in {_financial_year(day, 1)}, the year after the document's"
    if p.startswith(("this quarter", "current quarter")):
        return f"in {_quarter(day, 0)}, the quarter of the document"
    if p.startswith(("last quarter", "previous quarter", "past quarter")):
        return f"in {_quarter(day, -1)}, the quarter before the document's"
    if p.startswith(("this month", "current month")):
        return f"in {MONTHS[day.month - 1].capitalize()} {day.year}, the month of the document"
    if p.startswith(("last month", "previous month", "past month")):
        prev = day.replace(day=1) - dt.timedelta(days=1)
        return f"in {MONTHS[prev.month - 1].capitalize()} {prev.year}, the month before the document's"
    return f"as at {format_date(day.isoformat())}, the date of the document"
