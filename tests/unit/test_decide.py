"""Deciding to answer (rag_council.answer.decide): the cited text must give the kind of thing
asked for about the thing asked, or the engine declines with the nearest sources."""

from __future__ import annotations

import pytest

from rag_council.answer.decide import (
    Params,
    decide,
    decide_from,
    features,
    missing_anchors,
    missing_kind,
    ordinal_anchors,
)
from rag_council.answer.judge import yes_probability
from rag_council.types import Chunk, Hit


def hit(text: str, dense: float = 0.6) -> Hit:
    return Hit(Chunk("c1", "d1", "doc.txt", text, 0, len(text), 0), dense, 1, dense=dense)


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        (
            "Which company was awarded the contract to build the home?",
            "The home will be built in 2025. [1]",
            "an organisation",
        ),
        (
            "Which company was awarded the contract to build the home?",
            "The contract went to Kier Construction Ltd. [1]",
            None,
        ),
        (
            "Who replaced the director of children's services?",
            "The director of children's services wrote to families. [1]",
            "a person",
        ),
        ("Who replaced the director of children's services?", "Darryl Freeman replaced him. [1]", None),
        ("Who chairs the permanence panel?", "Chaired by the Head of Service. [1]", None),
        ("What is the name of the chair of the board?", "The board meets quarterly. [1]", "a name"),
        (
            "What is the name of the chair of the board?",
            "The board is chaired by Councillor Ada Byron. [1]",
            None,
        ),
        (
            "What were the results of the vote on the strategy, member by member?",
            "Only members of the cabinet can vote. [1]",
            "a list of votes",
        ),
        (
            "What were the results of the vote on the strategy, member by member?",
            "The motion was carried with 7 for and 2 against. [1]",
            None,
        ),
        (
            "How many members voted against the recommendation?",
            "The committee voted by majority. [1]",
            "a list of votes",
        ),
        # "could remote attendees vote?" asks whether they may, not for a vote's results
        ("Who joined remotely, and could remote attendees vote?", "Two officers joined remotely. [1]", None),
        # amounts, numbers and dates as before (rag_council.answer.kind)
        ("How much funding did the pilot get?", "The pilot was reviewed. [1]", "an amount"),
        ("When was the training session held?", "It was held on 3 October 2023. [1]", None),
        # other forms are not affected
        ("What did scrutiny decide about co-opted members?", "The committee noted the report. [1]", None),
    ],
)
def test_missing_kind(question: str, answer: str, missing: str | None):
    assert missing_kind(question, answer) == missing


def test_an_ordinal_must_stand_with_its_noun_in_the_passages():
    assert ordinal_anchors("What did the seventh Ofsted monitoring visit conclude?") == [("seventh", "visit")]
    passages = [hit("This was recognised during our second Monitoring Visit by Ofsted (August 2023).")]
    assert missing_anchors("What did the seventh Ofsted monitoring visit conclude?", passages) == ["seventh"]
    assert missing_anchors("What did the second Ofsted monitoring visit find?", passages) == []
    # "second" elsewhere in the passage is no "second visit"
    other = [hit("The second item was the budget; a monitoring visit is due.")]
    assert missing_anchors("What did the second monitoring visit find?", other) == ["second"]


def test_the_year_asked_about_must_be_in_the_passages():
    passages = [
        hit("Children's Social Care received a total of 36 complaints between April 2015 and December 2016.")
    ]
    decision = decide("How many complaints did the council receive in 2022?", passages, "36 complaints. [1]")
    assert not decision.answer and "“2022”" in decision.reason
    assert decision.reason.startswith("the passages closest to your question")


def test_the_score_declines_an_answer_that_says_little_of_what_was_asked():
    passages = [hit("The director of children's services wrote to all the families in 2024.")]
    q = "Who replaced the director of children's services in 2024?"
    feats = features(
        q, passages, "Darryl Freeman, the director of children's services, wrote to families. [1]"
    )
    assert "replac" in " ".join(feats["missing_terms"])
    assert 0 < feats["coverage"] < 1
    assert decide_from(feats, Params(weight=1.0, threshold=0.0)).answer
    low = decide_from(feats, Params(weight=1.0, threshold=0.99))
    assert not low.answer and "nothing on" in low.reason


def test_a_full_answer_passes():
    passages = [hit("The committee approved the budget of £4.2 million on 3 May 2024.", 0.8)]
    decision = decide(
        "How much was the budget the committee approved?", passages, "The budget was £4.2 million. [1]"
    )
    assert decision.answer and decision.reason == "" and decision.score > 0.5


def test_a_judge_can_veto_an_answer_and_its_probability_is_read_from_logprobs():
    passages = [hit("The committee approved the budget of £4.2 million on 3 May 2024.", 0.8)]
    q, draft = "How much was the budget the committee approved?", "The budget was £4.2 million. [1]"
    assert not decide(q, passages, draft, judge=lambda q, p: 0.2).answer
    assert decide(q, passages, draft, judge=lambda q, p: 0.9).features["judge"] == 0.9
    reply = {
        "choices": [
            {
                "logprobs": {
                    "content": [
                        {
                            "token": "No",
                            "logprob": -0.1,
                            "top_logprobs": [
                                {"token": "No", "logprob": -0.1},
                                {"token": "Yes", "logprob": -2.4},
                                {"token": "To", "logprob": -5.0},
                            ],
                        }
                    ]
                }
            }
        ]
    }
    assert yes_probability(reply) == pytest.approx(0.091, abs=0.01)


def test_a_figure_for_another_year_does_not_answer_a_question_about_a_year():
    from rag_council.answer.decide import figure_without_year
    from rag_council.types import Chunk, Hit

    chunk = Chunk("c1", "d1", "report.txt", "t", 0, 1, 0, meta={"date": "2017-07-20"})
    cited = [Hit(chunk, 0.8, 1)]
    q = "How many complaints about children's social care did the council receive in 2022?"
    other = "Children's Social Care received a total of 36 complaints between April 2015 and December 2016."
    assert figure_without_year(q, other, cited, ["2022"]) == ["2022"]
    assert figure_without_year(q, "In 2022-23 it received 41 complaints.", cited, ["2022"]) == []
    assert figure_without_year(q, "In 2022 it received 41 complaints.", cited, ["2022"]) == []
    # A passage from a meeting of that year may say "this year": its date stands for the year.
    dated = [Hit(Chunk("c2", "d2", "r.txt", "t", 0, 1, 0, meta={"date": "2022-03-01"}), 0.8, 1)]
    assert figure_without_year(q, "This year 41 complaints were received.", dated, ["2022"]) == []
    # Papers of the following year report the year's figures (an annual report of 2016-17, July 2017).
    q2017 = "How many foster carer households did Herefordshire have at the end of 2016-17?"
    assert figure_without_year(q2017, "There were 94 households.", cited, ["2016"]) == []
    # Not a figure question: the rule does not apply.
    assert figure_without_year("Who chaired the meeting in 2022?", other, cited, ["2022"]) == []
