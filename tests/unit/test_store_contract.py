"""One suite, every store (ragna-style): the fake must behave like Chroma."""

import datetime as dt

import numpy as np
import pytest

from rag_council.index.store import ChromaStore, MemoryStore
from rag_council.settings import StoreSettings
from rag_council.types import Chunk, DocType, Filters


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
        _chunk(3, committee="Cabinet", doc_type=DocType.OFFICER_REPORT, date="2017-07-20"),
    ]
    store.upsert(chunks, np.stack([_vec(1), _vec(1, 1), _vec(0, 1)]))
    assert store.count() == 3
    hits = store.search(_vec(1), 3)
    assert [c.chunk_id for c, _ in hits] == ["c1", "c2", "c3"]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    got = store.get(["c2"])[0]
    assert (got.text, got.page, got.meta["committee"]) == ("text 2", 2, chunks[1].meta["committee"])
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(committee="cabinet"))] == ["c1", "c3"]
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(doc_type="Officer_Report"))] == ["c3"]
    since = Filters(since=dt.date(2017, 7, 1), until=dt.date(2023, 12, 31))
    assert [c.chunk_id for c, _ in store.search(_vec(1), 3, since)] == ["c2", "c3"]
    store.upsert([chunks[0]], np.stack([_vec(1)]))  # upsert is idempotent
    assert store.count() == 3
    store.delete(["c1", "missing"])
    assert store.count() == 2 and store.get(["c1"]) == []
