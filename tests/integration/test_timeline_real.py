"""Issue 13 on the bundled corpus with the real model: the corporate parenting timeline from
2017 to 2024, an "as at" question answered from the records of that time, and the answer about
"the corporate parenting strategy" saying which one it cites and that a later one exists."""

from __future__ import annotations

from rag_council.timeline import timeline


def test_the_corporate_parenting_timeline_runs_from_2017_to_2024(corpus_engine):
    entries = timeline(corpus_engine.index, "corporate parenting")
    dates = [e.date for e in entries]
    assert dates == sorted(dates) and dates[0].startswith("2017") and dates[-1].startswith("2024")
    assert {"recommendation", "draft", "superseded"} <= {e.status for e in entries}
    for e in entries:
        [chunk] = corpus_engine.index.chunks([e.citation.chunk_id])
        assert e.citation.quote in chunk.text


def test_an_as_at_question_is_answered_from_the_records_of_that_time(corpus_engine):
    answer = corpus_engine.ask("What was the position on corporate parenting in 2017?")
    assert not answer.abstained and answer.citations
    assert all(c.chunk.date and c.chunk.date <= "2017-12-31" for c in answer.citations)
    assert any("Later records exist" in n for n in answer.notes)


def test_an_answer_about_the_strategy_says_which_one_and_that_a_later_one_exists(corpus_engine):
    answer = corpus_engine.ask("Is the corporate parenting strategy still current?")
    notes = " ".join(answer.notes)
    assert "2017-2020" in notes and "Corporate Parenting Strategy 2022 - 2024 (draft" in notes
