"""The real limit: chromadb fails a single `get` of ~32,700 ids ("too many SQL variables");
the store must read, fetch vectors of and delete more than that."""

import time

import numpy as np

from rag_council.index.store import ChromaStore
from rag_council.settings import StoreSettings
from rag_council.types import Chunk


def test_chroma_store_handles_more_ids_than_sqlite_allows(tmp_path):
    store = ChromaStore(StoreSettings(), tmp_path, "scale")
    n = 33_500
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, 8)).astype(np.float32)
    chunks = [Chunk(f"c{i}", "d", "doc.txt", f"t{i}", 0, 1, i) for i in range(n)]
    started = time.perf_counter()
    store.upsert(chunks, vectors)
    ids = [c.chunk_id for c in chunks]
    got = store.get(ids)
    assert len(got) == n and got[-1].chunk_id == ids[-1]
    assert len(store.vectors(ids)) == n
    assert sum(len(b) for b in store.ids()) == n
    store.delete(ids[:-10])
    assert store.count() == 10
    assert time.perf_counter() - started < 600
