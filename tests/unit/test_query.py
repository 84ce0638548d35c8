"""Question understanding: dates, periods, committees, document types and titles read from a
question against what the index holds; explicit filters win."""

from __future__ import annotations

import datetime as dt

import pytest

from rag_council import Filters
from rag_council.retrieve.query import Catalogue, Period, periods, understand
from rag_council.types import Chunk

TODAY = dt.date(2026, 11, 23)
CYP = "Children and Young People Scrutiny Committee"
CATALOGUE = Catalogue(
    committees=("Cabinet", CYP),
    doc_types=("agenda", "minutes", "public_questions", "strategy", "officer_report"),
    titles={"perm.txt": "Permanency Strategy (version 1)", "cab.txt": "Cabinet agenda pack, 20 July 2017"},
)


def spans(question: str) -> list[tuple[str, str]]:
    return [(p.start.isoformat(), p.end.isoformat()) for p in periods(question, TODAY)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Cabinet resolve on 22 June 2017?", [("2017-06-22", "2017-06-22")]),
        ("What happened at the meeting of 14th Nov 2023?", [("2023-11-14", "2023-11-14")]),
        ("Which topics were raised in November 2023?", [("2023-11-01", "2023-11-30")]),
        ("What was decided in 2017?", [("2017-01-01", "2017-12-31")]),
        ("How much was spent in 2016-17?", [("2016-04-01", "2017-03-31")]),
        ("How much was spent in 2016/2017?", [("2016-04-01", "2017-03-31")]),
        ("What did scrutiny say last November?", [("2025-11-01", "2025-11-30")]),
        ("What was agreed back in March?", [("2026-03-01", "2026-03-31")]),
        ("What did we decide last year?", [("2025-01-01", "2025-12-31")]),
        ("How many left care between April 2022 and March 2023?", [("2022-04-01", "2023-03-31")]),
        ("What changed from March 2017 to June 2019?", [("2017-03-01", "2019-06-30")]),
    ],
)
def test_dates_and_periods(question: str, expected: list[tuple[str, str]]):
    assert spans(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What explained the rise in girls with a mental disorder between 2017 and 2021?",  # data years
        "How many carers does the 2011 data show?",
        "What may the committee do next?",  # "may" the verb
        "Which 2022-24 priorities are new?",  # two years apart: not a financial year
    ],
)
def test_years_that_are_not_times_to_look_in(question: str):
    assert spans(question) == []


def test_last_month_of_the_same_name_is_a_year_back():
    assert periods("What was said last November?", dt.date(2026, 11, 5))[0].start == dt.date(2025, 11, 1)
    assert periods("What was said in November?", dt.date(2026, 11, 5))[0].start == dt.date(2026, 11, 1)


def test_a_span_of_time_matches_meetings_reporting_on_it_within_a_year():
    [span] = periods("How many left care between April 2022 and March 2023?", TODAY)
    assert span.describe() == "1 April 2022 to 31 March 2023"
    assert span.contains("2023-11-14") and not span.contains("2024-06-01") and not span.contains("2022-03-01")
    [month] = periods("What was decided in November 2023?", TODAY)
    assert not month.contains("2023-12-01")  # a month names the meeting itself


def test_period_contains_iso_dates():
    p = Period(dt.date(2023, 11, 1), dt.date(2023, 11, 30), "November 2023")
    assert p.contains("2023-11-14") and not p.contains("2023-12-01") and not p.contains("")


def test_committees_doc_types_and_titles():
    intent = understand(
        "What did scrutiny resolve about the permanency strategy in July 2023?", CATALOGUE, today=TODAY
    )
    assert intent.committees == (CYP,)
    assert set(intent.doc_types) == {"minutes", "strategy"}
    assert intent.documents == ("perm.txt",)
    assert intent.periods[0].start == dt.date(2023, 7, 1)
    assert understand("What did cabinet agree?", CATALOGUE).committees == ("Cabinet",)
    assert understand("Who asked a public question about SEND?", CATALOGUE).doc_types == ("public_questions",)


def test_words_that_only_look_like_facets():
    intent = understand("How soon after a strategy meeting is a conference held?", CATALOGUE, today=TODAY)
    assert intent.is_empty()
    # "children", "young people" name no committee on their own; titles need their rare words
    assert understand("How many young people left care?", CATALOGUE).is_empty()


def test_explicit_filters_win_over_the_question():
    question = "What did cabinet decide in the minutes of 22 June 2017?"
    intent = understand(question, CATALOGUE, Filters(committee=CYP, since=dt.date(2023, 1, 1)), TODAY)
    assert intent.committees == () and intent.periods == ()
    assert intent.doc_types == ("minutes",)  # not filtered on: still read from the question
    narrowed = intent.narrowed(Filters(committee=CYP, since=dt.date(2023, 1, 1)))
    assert (
        narrowed.committee == CYP and narrowed.doc_type == "minutes" and narrowed.since == dt.date(2023, 1, 1)
    )


def test_match_is_the_share_of_facets_a_chunk_meets():
    intent = understand("What did cabinet decide in 2017?", CATALOGUE, today=TODAY)

    def chunk(committee: str, date: str) -> Chunk:
        return Chunk("c", "d", "x.txt", "text", 0, 4, 0, meta={"committee": committee, "date": date})

    assert intent.match(chunk("Cabinet", "2017-06-22")) == 1.0
    assert intent.match(chunk("Cabinet", "2023-11-14")) == 0.5
    assert intent.match(chunk(CYP, "2023-11-14")) == 0.0
    assert intent.describe() == "2017; Cabinet"
    assert understand("Spending in 2016-17 on 3 May 2016?", CATALOGUE).describe() == (
        "3 May 2016, 1 April 2016 to 31 March 2017"
    )
