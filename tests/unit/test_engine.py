from pathlib import Path

import pytest

from rag_council import HashEmbedder, Settings, build_index, open_index
from tests.schema import check_record

DOCS = {
    "transport.txt": "School transport.\n\nThe committee approved a school transport budget of £4.2 million for 2025/26. "
    "Councillor Byron asked how many pupils use buses; the answer was 3,100 pupils.",
    "library.txt": "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month trial.",
}


@pytest.fixture
def engine(settings: Settings, tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    embedder = HashEmbedder()
    build_index([folder], settings, embedder=embedder)
    return open_index(None, settings, embedder=embedder)


def test_answer_cites_the_passage_and_follows_the_schema(engine):
    answer = engine.ask("What school transport budget did the committee approve?")
    assert not answer.abstained
    assert "£4.2 million" in answer.text and "[1]" in answer.text
    assert answer.citations[0].chunk.document == "transport.txt"
    assert answer.citations[0].quote in answer.citations[0].chunk.text
    assert all(c.supported for c in answer.claims)
    check_record(answer.to_json())


def test_unrelated_question_declines_and_lists_nearest_sources(engine):
    answer = engine.ask("What is the policy on potholes in rural roads?")
    assert answer.abstained
    assert answer.text.startswith("The documents I have do not say")
    assert answer.citations == []
    check_record(answer.to_json())


@pytest.mark.parametrize("question", ["", "   ", "x" * 10_000])
def test_empty_and_huge_questions_get_a_clear_answer(engine, question):
    answer = engine.ask(question)
    assert answer.abstained and answer.text
    assert (
        ("Please type a question" in answer.text)
        if not question.strip()
        else ("limit is 2,000" in answer.text)
    )
    check_record(answer.to_json())
