"""Time in questions and answers (issue 13): "as at" questions, relative time in the records,
document status over time and the draft status of minutes, in answers over the bundled corpus."""

from __future__ import annotations

import datetime as dt

import pytest

from rag_council import BUNDLED_CORPUS, Engine, HashEmbedder, Index, Settings
from rag_council.answer import make_generator
from rag_council.index.store import MemoryStore
from rag_council.retrieve.retrievers import make_retriever
from rag_council.text.dates import month_start
from rag_council.timeline.entries import index_records
from rag_council.timeline.notes import time_notes, timeline_note
from rag_council.timeline.status import document_statuses, series_key, statuses_named
from rag_council.timeline.when import as_at, as_at_filters, relative_time, without_before
from rag_council.types import Answer, Citation, Filters


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    settings = Settings(index_root=tmp_path_factory.mktemp("time-index"), embedder={"kind": "hash"})
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    assert idx.ingest([BUNDLED_CORPUS]).documents == 5
    return idx


@pytest.fixture(scope="module")
def engine(index: Index) -> Engine:
    settings = index.settings
    return Engine(
        settings, index, make_retriever(index, settings.retrieval), make_generator(settings, index.embedder)
    )


def _chunk(index: Index, document: str, text: str, date: str | None = None):
    record = index.manifest.documents[document]
    for c in index.chunks(record.chunk_ids):
        if text in c.text and (date is None or c.date == date):
            return c
    raise AssertionError(f"no chunk of {document} holds {text!r}")


def _answer(question: str, chunk, quote: str) -> Answer:
    at = chunk.text.index(quote)
    return Answer(question, "x [1]", False, citations=[Citation(1, chunk, quote, at)])


@pytest.mark.parametrize(
    ("question", "until", "mode"),
    [
        ("What was the position in 2017?", dt.date(2017, 12, 31), "as at"),
        ("What was the position on corporate parenting as at March 2024?", dt.date(2024, 3, 31), "as at"),
        (
            "What had the committee said about early help before the 2023 elections?",
            dt.date(2023, 5, 3),
            "before",
        ),
        ("As of July 2017, what was the corporate parenting strategy?", dt.date(2017, 7, 31), "as at"),
        ("What did Cabinet decide before 2018?", dt.date(2017, 12, 31), "before"),
    ],
)
def test_as_at_phrases(question: str, until: dt.date, mode: str):
    found = as_at(question)
    assert found is not None and found.until == until and found.mode == mode


@pytest.mark.parametrize(
    "question", ["What did Cabinet decide in July 2017?", "Who chaired the meeting?", "What is the strategy?"]
)
def test_questions_that_are_not_as_at(question: str):
    assert as_at(question) is None


def test_as_at_narrows_the_filters_but_an_explicit_until_wins():
    assert as_at_filters("What was the position in 2017?", None).until == dt.date(2017, 12, 31)
    kept = Filters(committee="Cabinet", until=dt.date(2016, 1, 1))
    assert as_at_filters("What was the position in 2017?", kept) is kept
    assert as_at_filters("Who chaired it?", None) is None


def test_a_before_phrase_is_read_into_the_filters_and_out_of_the_question():
    q = "What had Cabinet been asked to decide about the carers strategy before the 2023 elections?"
    assert without_before(q) == "What had Cabinet been asked to decide about the carers strategy?"
    assert without_before("What was the position in 2017?") == "What was the position in 2017?"


def test_relative_time_is_read_against_the_documents_date():
    assert relative_time("this year", "2017-07-20", "2016-17") == "in 2016-17, the year of the report"
    assert relative_time("this year", "2023-11-14") == "in 2023-24, the year of the document"
    assert relative_time("last year", "2017-07-20", "2016-17").startswith("in 2015-16")
    assert relative_time("last quarter", "2024-03-12").startswith("in October to December 2023")
    assert relative_time("currently", "2023-09-26") == "as at 26 September 2023, the date of the document"
    assert relative_time("currently", "") == ""


def test_document_status_series_and_dates():
    assert (
        series_key("Appendix 1: Draft joint carers strategy for Herefordshire 2017 – 2021")
        == "carers strategy"
    )
    assert series_key("Corporate Parenting Strategy 2022 - 2024") == series_key(
        "Corporate parenting strategy"
    )
    assert month_start("September 2024") == "2024-09-01" and month_start("Version 1 – 11/20") == "2020-11-01"


def test_the_corporate_parenting_strategy_2017_is_superseded_by_the_2024_draft(index: Index):
    statuses = document_statuses(index_records(index))
    named = statuses_named(statuses, "is the corporate parenting strategy still current?")
    assert [(s.period, s.draft) for s in named] == [("2017-2020", False), ("2022-2024", True)]
    old, new = named
    assert old.later == [new] and new.earlier == [old] and old.date == "2017-07-20"
    assert "recommendation, not the decision" in old.describe() and "superseded by" in old.describe()
    permanency = [s for s in statuses if s.series == "permanency strategy"]
    assert len(permanency) == 1 and len(permanency[0].documents) == 2  # one version, two files
    assert "review date September 2024; no later version in the index" in permanency[0].describe()


def test_an_answer_citing_the_2017_strategy_says_a_later_one_exists(index: Index):
    chunk = _chunk(index, "003_b9389977785aa99e.txt", "Current challenges")
    quote = chunk.text[chunk.text.index("Current challenges") :][:60]
    notes = time_notes(
        index, "Is the corporate parenting strategy still current?", _answer("q", chunk, quote)
    )
    assert any(
        "2017-2020" in n and "a later version exists: Corporate Parenting Strategy 2022 - 2024 (draft" in n
        for n in notes
    ), notes


def test_an_answer_quoting_draft_minutes_says_so(index: Index):
    chunk = _chunk(index, "002_fe3847f10de2081c.txt", "Task and Finish Group", date="2024-01-23")
    notes = time_notes(index, "q", _answer("q", chunk, "Task and Finish Group"))
    assert "[1] quotes the draft minutes of 23 January 2024, put for approval on 12 March 2024" in notes[0]
    published = _chunk(index, "000_33f019037055ced6.txt", "co-opted", date="2023-11-14")
    assert not any("draft minutes" in n for n in time_notes(index, "q", _answer("q", published, "co-opted")))


def test_an_answer_quoting_this_year_gives_the_reports_year(index: Index):
    chunk = _chunk(index, "003_b9389977785aa99e.txt", "over the last year")
    at = chunk.text.index("over the last year")
    notes = time_notes(index, "q", _answer("q", chunk, chunk.text[at : at + 40]))
    assert any(
        "“last year”: in 2016-17, the year of the report (Cabinet, 20 July 2017)" in n for n in notes
    ), notes


def test_an_as_at_question_is_answered_from_the_records_of_that_time(engine: Engine):
    answer = engine.ask("What was the position on corporate parenting in 2017?")
    # The hash embedder may decline; what was read is what counts: only records up to 2017.
    assert answer.retrieved
    assert all(h.chunk.date and h.chunk.date <= "2017-12-31" for h in answer.retrieved)
    assert all(c.chunk.date <= "2017-12-31" for c in answer.citations)
    later = [n for n in answer.notes if n.startswith("Read as at 31 December 2017")]
    assert later and "Later records exist" in later[0] and "to 12 March 2024" in later[0]
    assert "notes" in answer.to_json()


def test_a_question_about_history_gets_the_timeline_in_brief(index: Index):
    statuses = document_statuses(index_records(index))
    q = "What has the council decided about the corporate parenting strategy over the years?"
    note = timeline_note(index, q, statuses)
    assert "“corporate parenting strategy”" in note and note.index("20 July 2017") < note.index(
        "12 March 2024"
    )
    assert 'rag-council timeline "corporate parenting strategy"' in note
    assert timeline_note(index, "What did Cabinet decide in July 2017?", statuses) == ""
