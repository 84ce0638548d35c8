"""Passage answers that read as answers: no heading, table fragment or dangling clause as a
sentence; a length budget; and the answer-length figures of the evaluation."""

from __future__ import annotations

import pytest

from rag_council.answer.extractive import ExtractiveGenerator, not_a_sentence
from rag_council.embedding import HashEmbedder
from rag_council.evaluate.metrics import answer_words
from rag_council.settings import AnswerSettings
from rag_council.types import Chunk, Hit


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Background to the Permanence Strategy", "heading"),
        ("Early Help Strategy Ambitions", "heading"),
        ("Acceptance into a Regional Adoption Agency", "heading"),
        ("Residential\t44\t£6,023", "table fragment"),
        ("2018/19 333 69 66 57 82", "table fragment"),
        (
            "15 The timetable for the recommissioning and procurement of services for carers is:",
            "dangling clause",
        ),
        ("and the committee agreed to", "dangling clause"),
        ("The committee approved the budget.", None),
        ("Review Date: September 2024", None),  # a record's field and its value answers "when"
        ("**Review Date: September 2024**", None),  # in bold, as the strategy writes it
        ("Resolved: THAT approval is given to progress to the next stage", None),
    ],
)
def test_not_a_sentence(text: str, why: str | None):
    assert not_a_sentence(text) == why


def _hit(text: str, n: int) -> Hit:
    return Hit(Chunk(f"c{n}", "d", "doc.txt", text, 0, len(text), n), 1.0 - n / 10, n, dense=0.7)


def test_headings_are_never_answer_sentences_and_the_budget_holds():
    passages = [
        _hit(
            "Background to the Permanence Strategy\nThe permanence strategy sets out how every child finds a "
            "stable home within four months of coming into care.",
            1,
        ),
        _hit(
            "Review Date: September 2024\nThe permanence strategy was agreed by the board and is reviewed every "
            "year by the head of service with partners across the county and the courts.",
            2,
        ),
    ]
    settings = AnswerSettings(min_sentence_score=0.0, max_sentences=6, max_answer_words=30)
    text = ExtractiveGenerator(HashEmbedder(), settings).generate(
        "When is the permanence strategy reviewed?", passages
    )
    assert "Background to the Permanence Strategy" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and (
        len(lines) == 1 or answer_words(text) <= 30
    )  # the first always fits; the rest within budget
    assert "[1]" in text or "[2]" in text


def test_answer_words_leave_out_the_markers():
    assert answer_words("The budget was £4.2 million [1]. It was approved on 3 May [2, 3].") == 11
    assert answer_words("") == 0


def test_a_heading_line_is_left_out_of_the_sentence_after_it():
    passages = [
        _hit(
            "Cladding on public buildings\nThe fire at Grenfell Tower highlighted potential risks in using "
            "certain exterior cladding on high rise buildings.",
            1,
        )
    ]
    settings = AnswerSettings(min_sentence_score=0.0, max_sentences=4)
    text = ExtractiveGenerator(HashEmbedder(), settings).generate(
        "What risks did the Grenfell fire show?", passages
    )
    assert text.startswith("The fire at Grenfell Tower")
    assert "Cladding on public buildings" not in text


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many carers helped write the strategy?", ["figure"]),
        ("Who chairs the fostering panel?", ["person"]),
        ("When is the strategy due for review?", ["date"]),
        ("How much was spent, and when was it agreed?", ["figure", "date"]),
        ("What does the strategy say about life story work?", []),
    ],
)
def test_what_a_question_asks_for_wherever_it_asks_it(question: str, kinds: list[str]):
    from rag_council.answer import extractive

    names = {extractive._FIGURE: "figure", extractive._DATE: "date", extractive._HONORIFIC_NAME: "person"}
    assert [names[k] for k in extractive.asked_kinds(question)] == kinds


def test_with_a_kind_weight_the_sentence_holding_the_figure_asked_for_is_chosen():
    from rag_council.answer.extractive import Weights

    passages = [
        _hit(
            "The council worked with many carers to write the carers strategy over the spring. "
            "Around 160 carers took part in the co-production work, including 17 young carers.",
            1,
        )
    ]
    settings = AnswerSettings(min_sentence_score=0.0, max_sentences=1)
    question = "How many carers helped write the carers strategy?"
    plain = ExtractiveGenerator(HashEmbedder(), settings, Weights(kind=0.0)).generate(question, passages)
    kind = ExtractiveGenerator(HashEmbedder(), settings, Weights(kind=0.5)).generate(question, passages)
    assert "160" not in plain  # nearest by words alone: the sentence without the number
    assert "160" in kind


def test_novelty_covers_each_part_of_a_two_part_question():
    from rag_council.answer.extractive import Weights

    passages = [
        _hit(
            "The panel approved the fostering budget for the year. "
            "The panel approved the fostering budget again after the annual review of the fostering service. "
            "The strategy is due for review in September 2024.",
            1,
        )
    ]
    settings = AnswerSettings(min_sentence_score=0.0, max_sentences=2, max_answer_words=80)
    question = "What fostering budget did the panel approve, and when is the strategy due for review?"
    plain = ExtractiveGenerator(HashEmbedder(), settings, Weights(kind=0.0, novelty=0.0)).generate(
        question, passages
    )
    text = ExtractiveGenerator(HashEmbedder(), settings, Weights(kind=0.2, novelty=0.3)).generate(
        question, passages
    )
    assert "September 2024" not in plain  # the same budget sentence twice, nothing on the review
    assert "September 2024" in text and "fostering budget for the year" in text


def test_a_paragraph_number_is_not_part_of_the_sentence():
    from rag_council.answer.extractive import _PARA_NUMBER

    assert _PARA_NUMBER.match("16 The draft strategy was circulated widely").end() == 3
    assert _PARA_NUMBER.match("- 18 The adoption service annual report was discussed").end() == 5
    assert _PARA_NUMBER.match("1.2.4 Families were identified by the Commissioner").end() == 6
    assert _PARA_NUMBER.match("2 Special Guardianship Orders were granted") is None  # a count
    assert _PARA_NUMBER.match("92 children live with in-house foster carers") is None
