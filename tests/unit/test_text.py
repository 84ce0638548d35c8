"""The one home of each text concept: dates, numbers and amounts, sentences, tokens."""

from __future__ import annotations

import datetime as dt

import rag_council.text as text
from rag_council.text.dates import (
    DATE_MENTION,
    DAY_MONTH_YEAR,
    WRITTEN_DAY_MONTH,
    find_date,
    format_date,
    month_number,
    months,
    numeric_date,
    periods,
)
from rag_council.text.numbers import AMOUNT_MENTION, NUMBER_MENTION, number_contexts, number_value, numbers
from rag_council.text.sentences import ends_sentence, sentence_spans, split_sentences
from rag_council.text.tokens import negated, terms, title_words, words
from rag_council.types import DocType


def test_dates_are_read_one_way_everywhere():
    assert find_date("Date: Tuesday 12th March 2024") == "2024-03-12"
    assert find_date("31 February 2024") is None
    assert month_number("Sept") == month_number("september") == 9
    assert months("met in Nov. and again in May") == {"november", "may"}
    assert months("the Sept. meeting") == {"september"} and months("a dec") == {"december"}
    assert numeric_date("12", "3", "24") == "2024-03-12" and numeric_date("31", "2", "2024") is None
    assert format_date("2023-11-14") == "14 November 2023" and format_date("soon") == "soon"
    # council text may be in capitals; answers' key facts are dates as written
    assert DAY_MONTH_YEAR.search("12 MARCH 2024") and not WRITTEN_DAY_MONTH.search("12 MARCH 2024")
    assert DATE_MENTION.search("held in Sept") and not DATE_MENTION.search("held at the hall")
    (p,) = periods("what happened on 14 Nov. 2023?", today=dt.date(2024, 6, 1))
    assert (p.start, p.end) == (dt.date(2023, 11, 14), dt.date(2023, 11, 14))


def test_numbers_and_amounts_share_one_scale():
    assert number_value("1.5", "m") == number_value("1,500,000") == "1.5e+06"
    assert number_value("3", "rd") == "3"  # an ordinal suffix is no scale
    assert numbers("£1.5m for twelve schools") == {"1.5e+06", "12"}
    assert numbers("£1.5 million") == numbers("£1.5m")
    ctx = number_contexts("a £128k grant and a £477k payment", 12)
    assert "grant" in ctx["128000"] and "payment" not in ctx["128000"]
    assert AMOUNT_MENTION.search("it cost £40") and not AMOUNT_MENTION.search("it cost a lot")
    assert NUMBER_MENTION.search("both schools") and not NUMBER_MENTION.search("the schools")


def test_sentences_split_and_end_in_one_place():
    assert split_sentences("It was agreed. [1] The plan follows. [2]") == [
        "It was agreed. [1]",
        "The plan follows. [2]",
    ]
    assert ends_sentence('He said "yes."') and not ends_sentence("- a list item")
    body = "RESOLVED:\nThat the plan be approved. The report was noted."
    units = [body[a:b] for a, b in sentence_spans(body)]
    assert units == ["RESOLVED:\nThat the plan be approved.", "The report was noted."]


def test_tokens():
    assert words("The Council’s £1.5m plan.") == ["the", "council's", "£1.5m", "plan"]
    assert terms("The council's adoption plans, in March") == ["adoption", "plan"]
    assert negated("it wasn't agreed") and not negated("it was agreed")
    assert title_words("Draft Permanency Strategy, March 2024") == {"permanency", "strategy"}


def test_the_package_keeps_its_old_names_and_doc_types_stay_strings():
    for name in ("STOPWORDS", "MONTHS", "words", "stem", "content_words", "content_terms", "sentence_spans"):
        assert hasattr(text, name)
    assert DocType.MINUTES == "minutes" and f"{DocType.PUBLIC_QUESTIONS}" == "public_questions"
