"""The query-time embedding cache (rag_council.embedding.CachedEmbedder): the vectors are the
inner embedder's, bounded, safe across threads, and wired so that answering fills it and
ingesting does not."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag_council import HashEmbedder, Settings, build_index
from rag_council.embedding import CachedEmbedder, EmbeddingCache, query_time_embedders
from rag_council.engine import Engine
from rag_council.testing.contracts import EmbedderContract

TEXTS = [
    "The committee resolved to co-opt two parent governors.",
    "The central library will open on Sundays from 1 June 2025.",
    "Members noted the report on school place planning.",
    "The budget gap for 2024/25 is £4.2 million.",
]


class Counting(HashEmbedder):
    """The hash embedder, counting its calls and the texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.texts = 0
        self.query_calls = 0
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.texts += len(texts)
        return super().embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            self.query_calls += 1
        return HashEmbedder.embed(self, [text])[0]  # not counted as an embed call


class TestCachedEmbedderContract(EmbedderContract):
    """The cached embedder is an embedder like any other (the project's contract suite)."""

    @pytest.fixture
    def embedder(self) -> CachedEmbedder:
        return CachedEmbedder(HashEmbedder(), EmbeddingCache(100))


def test_hits_give_the_uncached_embedders_vectors_exactly():
    plain = HashEmbedder()
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(100))
    first = cached.embed(TEXTS)
    again = cached.embed(list(reversed(TEXTS)) + TEXTS[:1])
    assert np.array_equal(first, plain.embed(TEXTS))
    assert np.array_equal(again, plain.embed(list(reversed(TEXTS)) + TEXTS[:1]))
    assert inner.calls == 1 and inner.texts == len(TEXTS)  # the second call was all hits
    q1, q2 = cached.embed_query("library Sundays"), cached.embed_query("library Sundays")
    assert np.array_equal(q1, plain.embed_query("library Sundays")) and np.array_equal(q1, q2)
    assert inner.query_calls == 1


def test_only_the_texts_not_seen_are_embedded_in_one_call_and_duplicates_once():
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(100))
    cached.embed(TEXTS[:2])
    out = cached.embed([TEXTS[0], TEXTS[2], TEXTS[2], TEXTS[3]])
    assert inner.calls == 2 and inner.texts == 2 + 2
    assert np.array_equal(out, HashEmbedder().embed([TEXTS[0], TEXTS[2], TEXTS[2], TEXTS[3]]))
    assert cached.embed([]).shape == (0, cached.dimension)


def test_queries_and_passages_are_cached_apart():
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(100))
    cached.embed_query(TEXTS[0])
    cached.embed([TEXTS[0]])
    assert inner.query_calls == 1 and inner.calls == 1  # the passage was not served the query's vector
    assert len(cached.cache) == 2


def test_returned_vectors_cannot_change_the_cache():
    cached = CachedEmbedder(HashEmbedder(), EmbeddingCache(100))
    v = cached.embed_query(TEXTS[1])
    v[:] = 0
    m = cached.embed(TEXTS)
    m[:] = 0
    assert np.linalg.norm(cached.embed_query(TEXTS[1])) == pytest.approx(1.0, abs=1e-5)
    assert np.array_equal(cached.embed(TEXTS), HashEmbedder().embed(TEXTS))


def test_the_cache_is_bounded_and_evicts_the_least_recently_used():
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(3))
    for t in TEXTS[:3]:
        cached.embed([t])
    cached.embed([TEXTS[0]])  # used again: now the most recent
    cached.embed([TEXTS[3]])  # evicts TEXTS[1], the least recently used
    assert len(cached.cache) == 3
    before = inner.texts
    cached.embed([TEXTS[0], TEXTS[2], TEXTS[3]])
    assert inner.texts == before  # all kept
    cached.embed([TEXTS[1]])
    assert inner.texts == before + 1  # was evicted
    big = CachedEmbedder(inner, EmbeddingCache(2))
    big.embed(TEXTS)  # one batch larger than the cache: right vectors, cache still bounded
    assert len(big.cache) == 2


def test_size_zero_caches_nothing():
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(0))
    cached.embed(TEXTS)
    cached.embed(TEXTS)
    cached.embed_query("x")
    cached.embed_query("x")
    assert inner.calls == 2 and inner.query_calls == 2 and len(cached.cache) == 0
    index_view, answer_view = query_time_embedders(inner, 0)
    assert index_view is inner and answer_view is inner


def test_concurrent_use_gives_the_right_vectors_and_stays_bounded():
    inner = Counting()
    cached = CachedEmbedder(inner, EmbeddingCache(50))
    texts = [f"sentence number {i} about item {i % 7} of the agenda" for i in range(120)]
    expected = HashEmbedder().embed(texts)
    rng = np.random.default_rng(7)
    batches = [rng.choice(len(texts), size=12, replace=True) for _ in range(400)]

    def work(batch: np.ndarray) -> bool:
        out = cached.embed([texts[i] for i in batch])
        q = cached.embed_query(texts[int(batch[0])])
        return bool(np.array_equal(out, expected[batch])) and bool(np.allclose(q, expected[int(batch[0])]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, batches))
    assert all(results)
    assert len(cached.cache) <= 50
    c = cached.cache
    assert c.hits + c.misses == 400 * 13


def test_the_index_view_passes_ingest_through_and_the_answerer_gets_the_question_from_retrieval():
    inner = Counting()
    for_index, for_answers = query_time_embedders(inner, 100)
    assert for_index.name == inner.name and for_index.dimension == inner.dimension
    for_index.embed(TEXTS)  # what ingest does through index.embedder
    assert len(for_answers.cache) == 0 and inner.calls == 1
    for_index.embed_query("library Sundays")  # retrieval
    for_answers.embed_query("library Sundays")  # the answerer
    assert inner.query_calls == 1
    for_answers.embed(TEXTS)
    for_answers.embed(TEXTS)
    assert inner.calls == 2 and for_index.tokenize("a b") == inner.tokenize("a b")


def test_the_engine_answers_the_same_with_and_without_the_cache(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "library.txt").write_text(
        "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month "
        "trial. Members asked how the trial would be staffed. The cabinet member said volunteers "
        "would support paid staff at every branch.\n\nParks.\n\nThe parks budget was reduced by "
        "£200,000 following the consultation on charges for sports pitches."
    )
    settings = Settings(embedder={"kind": "hash"}, index_root=tmp_path / "idx")
    inner = Counting()
    build_index([folder], settings, embedder=inner)
    ingest_calls = inner.calls
    cached = Engine.open(settings, inner)
    assert isinstance(cached.index.embedder, CachedEmbedder) and not cached.index.embedder.passages
    plain = Engine.open(
        settings.model_copy(update={"embedder": settings.embedder.model_copy(update={"cache_size": 0})}),
        HashEmbedder(),
    )
    questions = ["When will the central library open on Sundays?", "Who will staff the library trial?"]
    first = [cached.ask(q) for q in questions]
    calls_first = (inner.calls, inner.query_calls)
    second = [cached.ask(q) for q in questions]
    for a, b, c in zip(first, second, [plain.ask(q) for q in questions], strict=True):
        assert a.text == b.text == c.text and a.abstained == c.abstained
        assert [x.chunk.chunk_id for x in a.retrieved] == [x.chunk.chunk_id for x in c.retrieved]
    assert calls_first[0] > ingest_calls  # the first pass embedded the answerer's sentences
    assert (inner.calls, inner.query_calls) == calls_first  # the second pass: all from the cache
    other = cached.with_generator("extractive")
    assert other is cached or other.generator.embedder.cache is cached.index.embedder.cache
