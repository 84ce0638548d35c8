"""Context: a retrieved chunk is widened to its neighbours in the same section, as an exact
span of the document with the right pages, within the budget; retrieval metrics stay on the
chunks as retrieved."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_council import HashEmbedder, Index, Settings
from rag_council.index.store import MemoryStore
from rag_council.ingest.pdf import write_text_pdf
from rag_council.retrieve.context import merge, with_context
from rag_council.types import Hit

SENTENCES = [
    f"Paragraph {i} of the report says the service reviewed {i} placements in quarter {1 + i % 4}."
    for i in range(60)
]


@pytest.fixture
def index(settings: Settings, tmp_path: Path) -> Index:
    docs = tmp_path / "docs"
    docs.mkdir()
    # One long report over two pages, then a short unrelated note in its own file.
    write_text_pdf(docs / "report.pdf", [" ".join(SENTENCES[:30]), " ".join(SENTENCES[30:])])
    (docs / "note.txt").write_text("The library opens on Sundays.")
    settings = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"chunk_tokens": 80})}
    )
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    idx.ingest([docs])
    return idx


def report_chunks(index: Index) -> list:
    record = index.manifest.documents["report.pdf"]
    return sorted(index.chunks(record.chunk_ids), key=lambda c: c.seq)


def test_neighbours_are_in_reading_order_and_the_same_section(index: Index):
    chunks = report_chunks(index)
    assert len(chunks) >= 4
    before, after = index.neighbours(chunks[2])
    assert [c.seq for c in before] == [chunks[1].seq] and [c.seq for c in after] == [chunks[3].seq]
    assert index.neighbours(chunks[0])[0] == []


def test_widened_passage_is_an_exact_span_with_pages(index: Index):
    chunks = report_chunks(index)
    doc = index.document(chunks[0].doc_id)
    assert doc is not None
    # the chunk where page 2 begins, widened
    middle = next(c for c in chunks if c.page != c.page_end or c.page == 2)
    [wide] = with_context(index, [Hit(middle, 1.0, 1)], max_chars=10_000)
    chunk = wide.chunk
    assert chunk.chunk_id == middle.chunk_id and chunk.meta["context"]
    assert chunk.text == doc.text[chunk.start : chunk.end]
    assert middle.text in chunk.text and len(chunk.text) > len(middle.text)
    # every offset of the wide chunk has the page the document gives it
    for offset in range(0, len(chunk.text), 97):
        assert chunk.page_at(offset) == doc.page_at(chunk.start + offset)


def test_budget_and_retrieved_neighbours_are_respected(index: Index):
    chunks = report_chunks(index)
    hit = Hit(chunks[2], 1.0, 1)
    [same] = with_context(index, [hit], max_chars=len(chunks[2].text))
    assert same.chunk is chunks[2]  # no room: unchanged
    both = with_context(index, [hit, Hit(chunks[3], 0.9, 2)], max_chars=10_000)
    assert chunks[3].chunk_id not in both[0].chunk.meta.get("context", "")  # left to its own hit


def test_merge_without_the_document_rebuilds_overlapping_text(index: Index):
    chunks = report_chunks(index)[:3]
    doc = index.document(chunks[0].doc_id)
    assert doc is not None
    assert merge(chunks).text == doc.text[chunks[0].start : chunks[-1].end] == merge(chunks, doc.text).text


def test_engine_cites_the_wider_passage_but_reports_the_retrieved_one(settings: Settings, index: Index):
    from rag_council.engine import Engine
    from rag_council.retrieve.retrievers import make_retriever
    from rag_council.testing import ScriptedGenerator

    read: list[list[Hit]] = []

    def reply(question: str, passages: list[Hit]) -> str:
        read.append(passages)
        return f"{SENTENCES[0].rstrip('.')}. [1]"

    chunks = report_chunks(index)
    gen = ScriptedGenerator(reply)
    engine = Engine(index.settings, index, make_retriever(index, index.settings.retrieval), gen)
    answer = engine.ask(SENTENCES[0], top_k=1)
    assert not answer.abstained, answer.text
    assert (
        answer.retrieved[0].chunk.text
        == next(c for c in chunks if c.chunk_id == answer.retrieved[0].chunk.chunk_id).text
    )
    assert len(read[0][0].chunk.text) > len(answer.retrieved[0].chunk.text)  # read with its neighbour
    quote = answer.citations[0]
    assert quote.chunk.text[quote.quote_start :].startswith(quote.quote)
