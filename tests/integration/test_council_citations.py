"""Citations over the real corpus (MiniLM, embedded Chroma; the session index is shared with
the other integration tests): they carry council metadata and a readable label, filters
narrow what is cited, and a duplicated passage is cited once."""

from __future__ import annotations

import datetime as dt

from rag_council import Filters
from rag_council.retrieve.retrievers import overlap, shingles


def test_minutes_citation_reads_like_a_council_reference(corpus_engine):
    answer = corpus_engine.ask("What did the scrutiny committee decide about co-opted members?")
    assert not answer.abstained and answer.citations
    labels = [c.chunk.label for c in answer.citations]
    assert any(
        "Children and Young People Scrutiny Committee, 14 November 2023, minute 168" in label
        for label in labels
    )
    data = answer.to_json()["citations"][0]
    assert data["label"] and data["title"] and data["date"]


def test_filters_narrow_what_is_cited(corpus_engine):
    filters = Filters(committee="Cabinet", until=dt.date(2017, 12, 31))
    answer = corpus_engine.ask("What is the corporate parenting strategy for?", filters=filters)
    assert answer.retrieved
    for hit in answer.retrieved:
        assert hit.chunk.meta["committee"] == "Cabinet" and hit.chunk.meta["date"] <= "2017-12-31"


def test_a_duplicated_passage_is_retrieved_once(corpus_engine):
    hits = corpus_engine.retriever.retrieve(
        "What is Family Group Conferencing in the Permanency Strategy?", 5
    )
    for i, a in enumerate(hits):
        for b in hits[i + 1 :]:
            assert overlap(shingles(a.chunk.text), shingles(b.chunk.text)) < 0.5
    assert any("Family Group Conferencing" in h.chunk.text and h.chunk.meta.get("also_in") for h in hits)
