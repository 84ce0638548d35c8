"""Stores read, write and delete in bounded batches (issue 15): an index larger than one batch.
The behaviour every store shares is rag_council.testing.StoreContract (tests/unit/test_contracts.py)."""

import numpy as np
import pytest

from rag_council.index.store import ChromaStore, MemoryStore
from rag_council.settings import StoreSettings
from rag_council.testing.contracts import _chunk, _vec  # the store contract's own samples


@pytest.fixture(params=["memory", "chroma"])
def small_batch_store(request, tmp_path):
    """A store whose batch limit is small, so that an index 'larger than the limit' stays fast
    (tests/integration/test_store_scale.py runs the real limit, 33k ids)."""
    if request.param == "memory":
        return MemoryStore()
    store = ChromaStore(StoreSettings(), tmp_path, "test", batch_size=7)
    calls: list[int] = []
    collection = store.collection

    class Spy:
        def __getattr__(self, name):
            method = getattr(collection, name)

            def call(*args, **kwargs):
                ids = kwargs.get("ids")
                calls.append(len(ids) if ids is not None else kwargs.get("limit") or 0)
                return method(*args, **kwargs)

            return call if name in ("get", "delete", "upsert") else method

    store.collection = Spy()
    store.calls = calls  # type: ignore[attr-defined]
    return store


def test_store_reads_and_deletes_more_ids_than_one_batch(small_batch_store):
    store = small_batch_store
    n = 50
    chunks = [_chunk(i, committee="Cabinet") for i in range(n)]
    vectors = np.stack([_vec(1, i / n, 1 - i / n) for i in range(n)])
    store.upsert(chunks, vectors)
    assert store.count() == n
    wanted = [f"c{i}" for i in reversed(range(n))] + ["missing"]
    got = store.get(wanted)
    assert [c.chunk_id for c in got] == wanted[:-1]  # every one, in the order asked
    assert got[0].text == f"text {n - 1}"
    vecs = store.vectors(wanted)
    assert sorted(vecs) == sorted(wanted[:-1])
    assert np.allclose(vecs["c3"], vectors[3], atol=1e-6)
    assert sorted(i for batch in store.ids() for i in batch) == sorted(c.chunk_id for c in chunks)
    store.delete([f"c{i}" for i in range(n - 5)])
    assert store.count() == 5
    assert [c.chunk_id for c in store.get(wanted)] == [f"c{i}" for i in reversed(range(n - 5, n))]
    calls = getattr(store, "calls", None)
    if calls is not None:
        assert calls and max(calls) <= 7, calls
