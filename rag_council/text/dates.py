"""Dates in text: the one home of month names, date patterns and what they mean.

* `MONTHS`, `FULL_MONTHS`, `MONTH_NAMES`: the month names (full; full and abbreviated), from
  which every date pattern of the project is built;
* `find_date` (council parsing: 'Date: Tuesday 12 March 2024'), `numeric_date` ('12/03/24');
* `months` (support checking: the months a claim or passage names);
* `WRITTEN_DAY_MONTH` / `WRITTEN_MONTH_YEAR` (evaluation key facts, as written in answers);
* `DATE_MENTION` (answer kinds: does an answer give a date at all), `DATE_PHRASE` (the date a
  follow-up question borrows);
* `Period` and `periods` (question understanding: 'in 2017', 'last November', '2016-17');
* `format_date`: '2023-11-14' -> '14 November 2023'.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")  # fmt: skip
MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS} | {"sept": "september"}
# Regex alternations: written in capitals (match case-insensitively where case may vary).
FULL_MONTHS = "|".join(m.capitalize() for m in MONTHS)
MONTH_NAMES = FULL_MONTHS + "|" + "|".join(a.capitalize() for a in MONTH_ABBREVIATIONS if a != "may")

_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"

# '12 March 2024', '1st april 2016' (any case, full month names): council documents.
DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+({FULL_MONTHS})\s+(\d{{4}})\b", re.IGNORECASE)
MONTH_YEAR = re.compile(rf"\b({FULL_MONTHS})\s+(\d{{4}})\b", re.IGNORECASE)
# '14 November', '14 November 2023', 'November 2023' as written (capitalised): answers.
WRITTEN_DAY_MONTH = re.compile(rf"\b{_DAY}\s+({FULL_MONTHS})(?:\s+(\d{{4}}))?\b")
WRITTEN_MONTH_YEAR = re.compile(rf"\b({FULL_MONTHS})\s+(\d{{4}})\b")
# '14 Nov. 2023', 'Sept, 2017' (abbreviations and punctuation): questions.
_QUESTION_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+({MONTH_NAMES})\.?,?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_QUESTION_MONTH_YEAR = re.compile(rf"\b({MONTH_NAMES})\.?,?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
# '12/03/2024', '12/03/24' (day first).
NUMERIC_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})")
# Any mention of a time at all: a year, a month, a numeric date, 'today', 'monthly'...
DATE_MENTION = re.compile(
    rf"\b(?:19|20)\d\d\b|\b(?:{MONTH_NAMES})\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
    r"|\b(?:yesterday|today|tomorrow|weekly|monthly|annually|quarterly|every)\b",
    re.IGNORECASE,
)
# A date a question names, with its preposition: 'on 14 November 2023', 'in 2017', '2016-17'.
DATE_PHRASE = re.compile(
    rf"\b(?:(?:on|in|at|from|during|since|until|by)\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_NAMES})\s+\d{{4}}|(?:{MONTH_NAMES})\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}[-/]\d{{2,4}}|\d{{4}})\b",
    re.IGNORECASE,
)


def month_number(name: str) -> int:
    """'March', 'mar', 'Sept' -> 3, 3, 9."""
    name = name.lower()[:3]
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(name))


def month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def find_date(text: str) -> str | None:
    """First 'day Month year' in `text`, as an ISO date."""
    match = DAY_MONTH_YEAR.search(text)
    if not match:
        return None
    try:
        return dt.date(int(match.group(3)), month_number(match.group(2)), int(match.group(1))).isoformat()
    except ValueError:
        return None


def numeric_date(day: str, month: str, year: str) -> str | None:
    """'12', '3', '24' -> '2024-03-12' (two-digit years are this century); None if no such day."""
    y = int(year)
    y = y + 2000 if y < 100 else y
    try:
        return dt.date(y, int(month), int(day)).isoformat()
    except ValueError:
        return None


def months(text: str) -> set[str]:
    """The months `text` names, full or abbreviated ('Nov.' -> 'november'; 'may' only in full)."""
    from rag_council.text.tokens import words  # tokens uses MONTHS: imported here, not above

    out: set[str] = set()
    for w in words(text):
        if w in MONTHS:
            out.add(w)
        elif w.rstrip(".") in MONTH_ABBREVIATIONS and len(w) <= 5 and w != "may":
            out.add(MONTH_ABBREVIATIONS[w.rstrip(".")])
    return out


def format_date(iso: str, day: bool = True) -> str:
    """'2023-11-14' -> '14 November 2023' ('November 2023' with day=False); anything else is
    returned as it is."""
    try:
        when = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    month = f"{MONTHS[when.month - 1].capitalize()} {when.year}"
    return f"{when.day} {month}" if day else month


_NUM_MONTH_YEAR = re.compile(r"\b(\d{1,2})/(\d{2}|\d{4})\b")


def month_start(text: str) -> str:
    """The first month a text names, as the ISO date of its first day: 'September 2024' ->
    '2024-09-01'; 'Version 1 – 11/20' -> '2020-11-01'; '' when it names none."""
    m = MONTH_YEAR.search(text)
    if m:
        return f"{m.group(2)}-{month_number(m.group(1)):02d}-01"
    m = _NUM_MONTH_YEAR.search(text)
    if m and 1 <= int(m.group(1)) <= 12:
        year = m.group(2) if len(m.group(2)) == 4 else "20" + m.group(2)
        return f"{year}-{int(m.group(1)):02d}-01"
    return ""


def month_text(iso: str) -> str:
    """'2024-09-01' -> 'September 2024'."""
    return format_date(iso, day=False)


# --- periods a question names ----------------------------------------------------------------

_FINANCIAL_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|/|to)\s*((?:19|20)?\d\d)\b")
_YEAR = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d/-])")
_YEAR_LEAD = re.compile(
    r"\b(?:in|during|since|from|until|till|before|after|of|by)\s+(?:(?:early|late|mid)[- ]?)?$", re.I
)
_DATA_NOUN = re.compile(r"\s+(?:data|census|figures?|survey|baseline|levels?|rates?|cohort)\b", re.I)
_RELATIVE_MONTH = re.compile(
    rf"\b(?:(last|this|past|previous)\s+|(?:back\s+)?in\s+)({MONTH_NAMES})\b(?!\.?,?\s+\d)", re.I
)
_RELATIVE_YEAR = re.compile(r"\b(last|this|past|previous)\s+year\b", re.I)


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
        if self.start.day == 1 and self.end == month_end(self.start.year, self.start.month):
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
    ("14 November 2023" also contains "November 2023" and "2023") are read once.

    Relative dates ("last November") are read against `today`; a month without a year and
    without "last" means the most recent such month up to today."""
    today = today or dt.date.today()
    found: list[Period] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    def add(m: re.Match[str], start: dt.date, end: dt.date) -> None:
        taken.append(m.span())
        found.append(Period(start, end, m.group(0)))

    for m in _QUESTION_DAY_MONTH_YEAR.finditer(question):
        try:
            day = dt.date(int(m.group(3)), month_number(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
        add(m, day, day)
    for m in _QUESTION_MONTH_YEAR.finditer(question):
        if free(m):
            year, month = int(m.group(2)), month_number(m.group(1))
            add(m, dt.date(year, month, 1), month_end(year, month))
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
        month = month_number(m.group(2))
        year = today.year if month <= today.month else today.year - 1
        if (m.group(1) or "").lower() in ("last", "past", "previous") and month == today.month:
            year -= 1
        add(m, dt.date(year, month, 1), month_end(year, month))
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
