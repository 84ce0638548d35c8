"""Answers from the council's records with the real model and index (issue 12 part 2): the
three questions of the issue get the record answer, cited to the exact span."""

from __future__ import annotations

import pytest

QUESTIONS = [
    (
        "Is the Permanency Strategy still current, and when is it due for review?",
        "review date is September 2024",
        "Review Date: September 2024",
    ),
    (
        "What has the council decided about the corporate parenting strategy over the years?",
        "recommended",
        "(a) the Corporate Parenting strategy and action plan at appendix A are approved",
    ),
    (
        "What were the main concerns raised by members about Early Help?",
        "early help",
        "especially in relation to early help",
    ),
]


@pytest.mark.parametrize(("question", "said", "quoted"), QUESTIONS)
def test_record_answers_with_the_real_index(corpus_engine, question, said, quoted):
    answer = corpus_engine.ask(question)
    assert not answer.abstained
    assert answer.notice.startswith("answered from the council's records")
    assert said in answer.text
    assert any(quoted in " ".join(c.quote.split()) for c in answer.citations)
    assert all(c.supported for c in answer.claims)
    assert "Cabinet approved" not in answer.text


def test_a_question_the_records_do_not_answer_is_left_to_the_passages(corpus_engine):
    answer = corpus_engine.ask("Which company was awarded the contract to build the new children's home?")
    assert not answer.notice.startswith("answered from the council's records")
