"""An answer that lacks the kind of thing its question asks for (an amount, a number, a date)
is no answer: the engine declines it with the nearest sources."""

from __future__ import annotations

import pytest

from rag_council.answer.kind import asked_kind, missing_kind


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        ("How much funding did the pilot get?", "The pilot was reviewed by a clinician. [1]", "an amount"),
        ("How much funding did the pilot get?", "It received £52,000 for a further year. [1]", None),
        ("How much funding did the pilot get?", "It got 1.5m. [1]", None),
        ("By how many pounds did the directorate overspend?", "Overspend rose by 40%. [1]", "an amount"),
        ("How many children were adopted?", "Adoption is a priority. [1]", "a number"),
        ("How many children were adopted?", "Eighteen children were placed. [1]", None),
        ("How many children were adopted?", "18 children were placed. [2]", None),
        ("When was the training session held?", "A training session was suggested. [1]", "a date"),
        ("When was the training session held?", "It was held on 3 October 2023. [1]", None),
        ("What percentage of pupils got 5 GCSEs?", "Results were discussed. [1]", "a percentage"),
        ("How much have child protection plans fallen?", "They fell by a third. [1]", None),
        ("How much have child protection plans fallen?", "They fell markedly. [1]", "a figure"),
        (
            "How busy is the advice team's phone line?",
            "The team now has a direct telephone line. [1]",
            "a figure",
        ),
        ("How busy is the advice team's phone line?", "There are on average 70 calls a month. [1]", None),
        # questions of other forms are never affected
        ("What did scrutiny decide about co-opted members?", "The committee noted the report. [1]", None),
        ("When should a family be referred to a conference?", "Families are referred early. [1]", None),
        ("When will the council increase SGOs?", "The strategy aims to increase SGOs. [1]", None),
    ],
)
def test_missing_kind(question: str, answer: str, missing: str | None):
    assert missing_kind(question, answer) == missing


def test_the_markers_are_not_numbers():
    assert missing_kind("How many children were adopted?", "Adoption is a priority [1] [2].") == "a number"
    assert asked_kind("Who chaired the meeting?") is None


def test_engine_declines_an_answer_without_the_asked_for_amount(settings, tmp_path):
    from rag_council import HashEmbedder, build_index, open_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pilot.txt").write_text(
        "Mental health pilot.\n\nThe WEST mental health pilot was reviewed by a specialist clinician "
        "and the committee noted the pilot's progress with schools."
    )
    build_index([folder], settings, embedder=HashEmbedder())
    engine = open_index(None, settings, embedder=HashEmbedder())
    answer = engine.ask("How much funding did the WEST mental health pilot get?")
    assert answer.abstained and answer.text.startswith("The documents I have do not say")
    assert "do not give the amount asked for" in answer.notice and answer.retrieved
    # the claims that were checked are kept, to show why
    assert answer.claims
    off = settings.model_copy(
        update={"answer": settings.answer.model_copy(update={"check_answer_kind": False})}
    )
    assert not open_index(None, off, embedder=HashEmbedder()).ask(answer.question).abstained
