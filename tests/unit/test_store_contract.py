"""One suite, every store (ragna-style): the fake must behave like Chroma."""

import datetime as dt

import numpy as np
import pytest

from rag_council.index.store import ChromaStore, MemoryStore
from rag_council.settings import StoreSettings
from rag_council.types import Chunk, Filters


def _chunk(i: int, **meta) -> Chunk:
    return Chunk(
        f"c{i}",
        "d1",
        "doc.txt",
        f"text {i}",
        i * 10,
        i * 10 + 5,
        i,
        title="T",
        section="S",
        page=i,
        meta=meta,
    )


def _vec(*xs: float) -> np.ndarray:
    v = np.array(xs + (0.0,) * (4 - len(xs)), dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture(params=["memory", "chroma"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return ChromaStore(StoreSettings(), tmp_path, "test")


def test_store_contract(store):
    chunks = [
        _chunk(1, committee="Cabinet", doc_type="minutes", date="2017-06-22"),
        _chunk(
            2, committee="Children and Young People Scrutiny Committee", doc_type="minutes", date="2023-11-14"
        ),
        _chunk(3, committee="Cabinet", doc_type="report", date="2017-07-20"),
    ]
    store.upsert(chunks, np.stack([_vec(1), _vec(1, 1), _vec(0, 1)]))
    assert store.count() == 3
    hits = store.search(_vec(1), 3)
    assert [c.chunk_id for c, _ in hits] == ["c1", "c2", "c3"]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    got = store.get(["c2"])[0]
    assert (got.text, got.page, got.meta["committee"]) == ("text 2", 2, chunks[1].meta["committee"])
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(committee="cabinet"))] == ["c1", "c3"]
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(doc_type="Report"))] == ["c3"]
    since = Filters(since=dt.date(2017, 7, 1), until=dt.date(2023, 12, 31))
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, since)] == ["c2", "c3"]
    store.upsert([chunks[0]], np.stack([_vec(1)]))  # upsert is idempotent
    assert store.count() == 3
    store.delete(["c1", "missing"])
    assert store.count() == 2 and store.get(["c1"]) == []


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
