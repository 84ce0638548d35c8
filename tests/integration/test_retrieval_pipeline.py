"""The default retrieval pipeline over the real corpus (MiniLM, embedded Chroma, BM25, the
lexical reranker): what it reads from a question, explicit filters winning, and the wider
passages the answerer reads staying exact spans of their documents."""

from __future__ import annotations

import pytest

from rag_council import Engine, Filters

pytestmark = pytest.mark.slow

CYP = "Children and Young People Scrutiny Committee"


def test_a_question_naming_a_meeting_finds_that_meeting(corpus_engine):
    answer = corpus_engine.ask("What did cabinet resolve in June 2017?")
    assert answer.understood == "June 2017; Cabinet; minutes"
    top = answer.retrieved[0].chunk
    assert top.meta["committee"] == "Cabinet" and top.meta["date"] == "2017-06-22"
    assert not answer.abstained and any(c.chunk.date == "2017-06-22" for c in answer.citations)


def test_explicit_filters_win_over_the_question(corpus_engine):
    answer = corpus_engine.ask("What did cabinet resolve in June 2017?", Filters(committee=CYP))
    assert "Cabinet" not in answer.understood
    assert answer.retrieved and all(h.chunk.meta["committee"] == CYP for h in answer.retrieved)


def test_the_passages_read_are_exact_spans_with_their_quotes(corpus_engine):
    # From the passages (a records answer cites the record's own spans, not widened passages).
    settings = corpus_engine.settings.model_copy(
        update={"answer": corpus_engine.settings.answer.model_copy(update={"from_records": False})}
    )
    engine = Engine(settings, corpus_engine.index, corpus_engine.retriever, corpus_engine.generator)
    answer = engine.ask("What did the scrutiny committee decide about co-opted members?")
    assert answer.citations
    widened = 0
    for citation in answer.citations:
        chunk = citation.chunk
        doc = corpus_engine.index.document(chunk.doc_id)
        assert doc is not None and doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text[citation.quote_start :].startswith(citation.quote)
        assert citation.page == doc.page_at(chunk.start + citation.quote_start)
        widened += bool(chunk.meta.get("context"))
    assert widened, "no cited passage was read with its neighbours"
