"""`check [--repair]`, the index lock within one process, and the rule that retrieval never
returns a chunk the manifest does not list (in-process, the memory store and hash embedder)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from rag_council import HashEmbedder, Settings
from rag_council.index import Index
from rag_council.index.check import check_index, only_listed
from rag_council.index.lock import IndexBusyError, index_lock, is_locked, lock_policy
from rag_council.index.store import MemoryStore
from rag_council.types import Chunk


def _docs(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / f"{name}.txt").write_text(
            f"{name.title()} notes\n\nThe committee discussed the {name} budget of £{i + 1},000. "
            f"Resolved: that the {name} plan be approved.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def index(tmp_path: Path) -> Index:
    settings = Settings(index_root=tmp_path / "indexes", index="c", embedder={"kind": "hash"})
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    idx.ingest([_docs(tmp_path / "d", ["parks", "roads"])])
    return idx


def test_a_fresh_index_is_consistent(index: Index) -> None:
    report = check_index(index)
    assert report.consistent, report.lines()
    assert report.chunks == report.stored > 0


def test_an_orphan_is_never_retrieved_and_is_repaired(index: Index) -> None:
    orphan = Chunk("orphan-1", "x", "ghost.txt", "The parks budget of £9,999 was secret.", 0, 38, 0)
    vector = HashEmbedder().embed([orphan.text])
    index.store.upsert([orphan], vector)
    hits = index.search_vector(vector[0], 10)
    assert hits and "orphan-1" not in [h.chunk.chunk_id for h in hits]
    assert only_listed(index, [(orphan, 1.0)]) == []
    report = check_index(index)
    assert report.orphans == ["orphan-1"] and not report.consistent
    assert any("orphan" in line for line in report.lines())
    repaired = check_index(index, repair=True)
    assert repaired.repaired and check_index(index).consistent
    assert index.store.get(["orphan-1"]) == []


def test_missing_chunks_take_the_document_out_until_it_is_ingested_again(
    index: Index, tmp_path: Path
) -> None:
    record = index.manifest.documents["parks.txt"]
    index.store.delete(record.chunk_ids[:1])
    report = check_index(index)
    assert list(report.missing) == ["parks.txt"]
    check_index(index, repair=True)
    assert "parks.txt" not in index.manifest.documents and check_index(index).consistent
    index.ingest([tmp_path / "d"])
    assert "parks.txt" in index.manifest.documents and check_index(index).consistent


def test_keyword_rows_out_of_step_are_found_and_written_again(index: Index) -> None:
    record = index.manifest.documents["parks.txt"]
    db = index.keyword._db()
    db.execute("UPDATE totals SET value = value + 7 WHERE name = 'chunks'")  # a count out of step
    db.commit()
    assert check_index(index).keyword == "stale"
    report = check_index(index, repair=True)
    assert any("keyword rows" in r for r in report.repaired), report.repaired
    assert check_index(index).consistent
    assert record.doc_id in {h.chunk.doc_id for h in index.keyword_search("parks", 5)}


def test_temporary_files_of_an_interrupted_write_are_removed(index: Index) -> None:
    (index.directory / "bm25.tmp").mkdir()
    (index.directory / "manifest.json.123.tmp").write_text("{", encoding="utf-8")
    report = check_index(index)
    assert set(report.temp_files) == {"bm25.tmp", "manifest.json.123.tmp"}
    check_index(index, repair=True)
    assert not (index.directory / "bm25.tmp").exists()
    assert not (index.directory / "manifest.json.123.tmp").exists()


def test_two_writers_with_stale_manifests_merge_rather_than_overwrite(tmp_path: Path) -> None:
    settings = Settings(index_root=tmp_path / "indexes", index="m", embedder={"kind": "hash"})
    store = MemoryStore()  # one store, two Index objects: two processes that opened it at once
    first = Index.create(settings, HashEmbedder(), store=store)
    second = Index.create(settings, HashEmbedder(), store=store)
    first.ingest([_docs(tmp_path / "a", ["parks", "roads", "schools"])])
    second.ingest([_docs(tmp_path / "b", ["housing", "waste"])])  # opened before first wrote
    names = set(Index.open(settings, HashEmbedder(), store=store).manifest.documents)
    assert names == {f"{n}.txt" for n in ["parks", "roads", "schools", "housing", "waste"]}
    assert check_index(second).consistent


def test_the_lock_refuses_or_waits_and_is_reentrant(tmp_path: Path) -> None:
    directory = tmp_path / "indexes" / "l"
    errors: list[str] = []
    notes: list[str] = []
    with index_lock(directory, "l"):
        with index_lock(directory, "l"):  # the same thread again: re-entrant
            assert is_locked(directory)

        def refuse() -> None:
            with lock_policy(wait=False):
                try:
                    with index_lock(directory, "l"):
                        errors.append("not refused")
                except IndexBusyError as exc:
                    errors.append(str(exc))

        t = threading.Thread(target=refuse)
        t.start()
        t.join(10)

        def wait() -> None:
            with lock_policy(wait=True, notify=notes.append), index_lock(directory, "l"):
                notes.append("got it")

        w = threading.Thread(target=wait)
        w.start()
        w.join(0.5)
        assert w.is_alive()  # waiting while the lock is held
    w.join(10)
    assert errors and "being written" in errors[0]
    assert notes[-1] == "got it" and "waiting" in notes[0]
    assert not is_locked(directory)


def test_a_busy_index_stays_busy_past_the_timeout(tmp_path: Path) -> None:
    directory = tmp_path / "indexes" / "t"
    out: list[Exception] = []
    with index_lock(directory, "t"):

        def late() -> None:
            with lock_policy(wait=True, timeout_s=0.3, notify=lambda _m: None):
                try:
                    with index_lock(directory, "t"):
                        pass
                except IndexBusyError as exc:
                    out.append(exc)

        t = threading.Thread(target=late)
        t.start()
        t.join(10)
    assert out and "stayed busy" in str(out[0])


def test_vectors_survive_the_filter_unchanged(index: Index) -> None:
    vec = np.asarray(HashEmbedder().embed_query("roads plan"))
    assert [h.chunk.chunk_id for h in index.search_vector(vec, 5)] == [
        c.chunk_id for c, _ in index.store.search(vec, 5)
    ]
