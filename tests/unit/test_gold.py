"""The project's gold questions (evals/gold.jsonl): well-formed, big enough, and every quote
occurs verbatim in the corpus file it names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rag_council import BUNDLED_CORPUS
from rag_council.evaluate import check_quotes, load_gold

GOLD = Path(__file__).resolve().parents[2] / "evals" / "gold.jsonl"

pytestmark = pytest.mark.skipif(not GOLD.is_file(), reason="evals/gold.jsonl not written yet")


@pytest.fixture(scope="module")
def items():
    return load_gold(GOLD)


def test_every_quote_occurs_verbatim_in_its_source(items):
    problems = check_quotes(items, BUNDLED_CORPUS)
    assert not problems, "\n".join(problems)


def test_every_answerable_question_names_a_source_per_quote(items):
    for item in items:
        if item.answerable:
            assert item.answer.strip(), item.id
            assert len(item.sources) in (1, len(item.quotes)), item.id
            assert all((BUNDLED_CORPUS / s).is_file() for s in item.sources), item.id


def test_size_and_mix(items):
    kinds = Counter(item.kind for item in items)
    assert len(items) >= 120, len(items)
    assert kinds["unanswerable"] >= 20, kinds
    assert kinds["multi_hop"] >= 10, kinds
    assert len(kinds) >= 5, kinds


def test_questions_are_distinct(items):
    questions = Counter(" ".join(item.question.lower().split()) for item in items)
    repeated = [q for q, n in questions.items() if n > 1]
    assert not repeated, repeated
