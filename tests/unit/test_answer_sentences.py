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
