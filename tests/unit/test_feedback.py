import json

import pytest

from rag_council.feedback import FeedbackStore
from rag_council.types import Answer, Chunk, Citation


def _answer() -> Answer:
    chunk = Chunk("c1", "d1", "minutes.txt", "The committee approved the budget.", 0, 34, 0, title="Minutes")
    return Answer(
        "What was approved?",
        "The committee approved the budget. [1]",
        False,
        citations=[Citation(1, chunk, "The committee approved the budget.", 0)],
    )


def test_feedback_is_stored_with_question_answer_and_sources(tmp_path):
    store = FeedbackStore.for_index(tmp_path / "idx")
    store.record(_answer(), "up", " Useful ", index="default")
    store.record(_answer().to_json(), "down")
    entries = store.entries()
    assert [e["rating"] for e in entries] == ["up", "down"]
    first = entries[0]
    assert first["question"] == "What was approved?" and first["comment"] == "Useful"
    assert first["answer"].endswith("[1]") and first["index"] == "default"
    assert first["sources"][0]["document"] == "minutes.txt"
    assert first["sources"][0]["quote"] == "The committee approved the budget."
    assert (tmp_path / "idx" / "feedback.jsonl").exists()


def test_export_and_a_torn_line(tmp_path):
    store = FeedbackStore(tmp_path / "f.jsonl")
    store.record(_answer(), "up")
    with store.path.open("a") as f:
        f.write('{"torn": ')
    out = store.export(tmp_path / "out" / "export.jsonl")
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["rating"] == "up"


def test_bad_rating_is_refused(tmp_path):
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "f.jsonl").record(_answer(), "meh")
