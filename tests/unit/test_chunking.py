from rag_council import HashEmbedder, Settings
from rag_council.ingest import load_document
from rag_council.ingest.chunking import Chunker, embedding_text
from tests.conftest import CORPUS_FILES


def test_chunks_are_exact_spans_within_sections_and_fit_the_embedder():
    settings = Settings(embedder={"kind": "hash"})
    embedder = HashEmbedder()
    chunker = Chunker(settings.chunking, embedder.tokenize)
    for path in CORPUS_FILES:
        doc = load_document(path, path.name, 10**9)
        chunks = chunker.chunk(doc)
        assert chunks, path.name
        for chunk in chunks:
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert any(s.start <= chunk.start and chunk.end <= s.end for s in doc.sections)
            assert len(embedder.tokenize(embedding_text(chunk))) <= 254 + 10
        assert [c.seq for c in chunks] == list(range(len(chunks)))


def test_chunk_ids_are_stable_and_content_addressed():
    settings = Settings(embedder={"kind": "hash"})
    chunker = Chunker(settings.chunking, HashEmbedder().tokenize)
    path = CORPUS_FILES[1]
    first = [c.chunk_id for c in chunker.chunk(load_document(path, path.name, 10**9))]
    again = [c.chunk_id for c in chunker.chunk(load_document(path, path.name, 10**9))]
    assert first == again and len(set(first)) == len(first)
