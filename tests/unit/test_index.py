"""Ingest behaviour over every store: the in-memory fake and embedded Chroma (the server is
covered in tests/integration/test_chroma_server.py)."""

import datetime as dt
from pathlib import Path

import pytest

from rag_council import HashEmbedder, Index, Settings
from rag_council.errors import IndexMismatchError, IndexNotFoundError
from rag_council.index.store import MemoryStore
from rag_council.types import Filters


@pytest.fixture(params=["memory", "chroma"])
def make_index(request, settings: Settings):
    store = MemoryStore() if request.param == "memory" else None

    def make(s: Settings = settings, rebuild: bool = False) -> Index:
        return Index.create(s, HashEmbedder(), store=store, rebuild=rebuild)

    return make


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_reingesting_changes_nothing(make_index, tmp_path: Path):
    docs = tmp_path / "docs"
    _write(docs, "a.txt", "Cabinet approved the library plan. " * 30)
    _write(docs, "b.md", "# Budget\nThe budget for school transport is £4.2 million.")
    index = make_index()
    first = index.ingest([docs])
    assert sorted(first.added) == ["a.txt", "b.md"] and first.chunks == index.count()
    ids = sorted(i for r in index.records() for i in r.chunk_ids)
    second = make_index().ingest([docs])
    assert second.added == [] and sorted(second.unchanged) == ["a.txt", "b.md"]
    assert second.chunks == first.chunks == make_index().count()
    assert sorted(i for r in make_index().records() for i in r.chunk_ids) == ids


def test_changed_file_replaces_its_chunks(make_index, tmp_path: Path):
    docs = tmp_path / "docs"
    path = _write(docs, "a.txt", "The library will open on Sundays from June.")
    index = make_index()
    index.ingest([docs])
    old_ids = index.records()[0].chunk_ids
    path.write_text("The library will close on Mondays from July.", encoding="utf-8")
    report = index.ingest([docs])
    assert report.replaced == ["a.txt"]
    new_ids = index.records()[0].chunk_ids
    assert set(new_ids).isdisjoint(old_ids)
    assert index.count() == len(new_ids)
    assert index.chunks(old_ids) == []
    hit = index.search("library Mondays", 1)[0]
    assert "close on Mondays" in hit.chunk.text


def test_bad_files_are_reported_and_the_rest_is_indexed(make_index, pdf_dir: Path, tmp_path: Path):
    _write(pdf_dir, "notes.txt", "Councillors asked about school transport costs.")
    (pdf_dir / "latin1.txt").write_bytes("Cost: £12 per pupil".encode("cp1252"))
    (pdf_dir / "image.png").write_bytes(b"\x89PNG....")
    index = make_index()
    report = index.ingest([pdf_dir, tmp_path / "nowhere"])
    assert sorted(report.added) == ["latin1.txt", "minutes-2025-03-03.pdf", "notes.txt"]
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {
        "corrupt.pdf",
        "encrypted.pdf",
        "scanned.pdf",
        "empty.pdf",
        "image.png",
        "nowhere",
    }
    assert "password" in reasons["encrypted.pdf"] and "OCR" in reasons["scanned.pdf"]
    assert "Windows-1252" in report.warnings["latin1.txt"][0]
    for phrase, page in [("school transport budget", 2), ("Sunday opening", 3)]:
        hits = index.search(phrase, 5)
        chunk = next(h.chunk for h in hits if phrase in h.chunk.text)
        assert chunk.document == "minutes-2025-03-03.pdf"
        assert chunk.page_at(chunk.text.index(phrase)) == page


def test_index_refuses_other_settings_and_says_how_to_rebuild(settings: Settings, tmp_path: Path):
    _write(tmp_path / "d", "a.txt", "Some text about adoption.")
    Index.create(settings, HashEmbedder()).ingest([tmp_path / "d"])
    other = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"chunk_tokens": 120})}
    )
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Index.open(other, HashEmbedder())
    with pytest.raises(IndexMismatchError, match="embedder"):
        Index.open(settings, HashEmbedder(dimension=128))
    rebuilt = Index.create(other, HashEmbedder(), rebuild=True)
    assert rebuilt.count() == 0 and rebuilt.records() == []


def test_opening_a_missing_index_says_how_to_build_it(settings: Settings):
    with pytest.raises(IndexNotFoundError, match="rag-council ingest"):
        Index.open(settings.with_index("nope"), HashEmbedder())


def test_remove_deletes_chunks(make_index, tmp_path: Path):
    _write(tmp_path / "d", "a.txt", "Adoption panel met monthly.")
    _write(tmp_path / "d", "b.txt", "Fostering panel met weekly.")
    index = make_index()
    index.ingest([tmp_path / "d"])
    assert index.remove(["a.txt"]) == ["a.txt"]
    assert [r.name for r in index.records()] == ["b.txt"]
    assert all(h.chunk.document == "b.txt" for h in index.search("panel met", 5))


def test_the_same_file_under_two_names_survives_removing_one(make_index, tmp_path: Path):
    """Chunk ids are of the content: removing (or replacing) one name must not delete the
    chunks the other name still holds."""
    text = "The school transport budget is £4.2 million, approved by Cabinet. " * 5
    a = _write(tmp_path / "one", "a.txt", text)
    b = _write(tmp_path / "two", "b.txt", text)
    index = make_index()
    index.ingest([a, b])
    ids = index.manifest.documents["b.txt"].chunk_ids
    assert ids == index.manifest.documents["a.txt"].chunk_ids
    index.remove(["a.txt"])
    assert len(index.chunks(ids)) == len(ids) and index.document(index.records()[0].doc_id) is not None
    _write(tmp_path / "two", "b.txt", "Now about libraries: the central library opens on Sundays.")
    index.ingest([b])
    index.remove(["b.txt"])
    assert index.count() == 0 and index.records() == []


def _council_docs(folder: Path) -> list[Path]:
    rows = [
        ("cab-2017.md", "Cabinet", "2017-06-22", "minutes"),
        ("cab-2023.md", "Cabinet", "2023-11-02", "minutes"),
        ("scr-2023.md", "Children Scrutiny Committee", "2023-11-14", "minutes"),
        ("scr-2019.md", "Children Scrutiny Committee", "2019-03-04", "agenda"),
    ]
    paths = []
    for name, committee, date, kind in rows:
        body = "\n\n".join(
            f"## Item {i}\nOn {date} the {committee} discussed the library budget of £{i}00,000 and school transport."
            for i in range(1, 6)
        )
        paths.append(_write(folder, name, f"# {committee} {kind}, {date}\n\n{body}"))
    (folder / "manifest.toml").write_text(
        "\n".join(
            f'[documents."{n}"]\ncommittee = "{c}"\ndate = "{d}"\ndoc_type = "{k}"\n' for n, c, d, k in rows
        ),
        encoding="utf-8",
    )
    return paths


_FILTERS = [
    Filters(committee="cabinet"),
    Filters(committee="Children Scrutiny Committee", since=dt.date(2023, 1, 1)),
    Filters(since=dt.date(2023, 11, 1), until=dt.date(2023, 11, 30)),
    Filters(doc_type="agenda"),
    Filters(documents=("cab-2017.md", "scr-2019.md")),
    Filters(committee="No Such Committee"),
]


def test_a_filtered_search_by_ids_finds_what_the_stores_filter_finds(make_index, tmp_path: Path):
    """Index.search_vector gives the store the ids index.sqlite says the filters select; the
    hits are the ones the store's own `where` gives, filter by filter."""
    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    vector = index.embedder.embed_query("library budget school transport")
    for filters in _FILTERS:
        ids = index.keyword.chunk_ids_where(filters, 1000)
        assert ids is not None
        by_ids = index.search_vector(vector, 7, filters)
        by_where = index.store.search(vector, 7, filters)
        # The same scores in the same order (passages of equal score may come in either order).
        assert [round(h.score, 5) for h in by_ids] == [round(x, 5) for _, x in by_where], filters
        best = {c.chunk_id for c, x in by_where if x > by_where[-1][1] + 1e-6}
        assert best <= {h.chunk.chunk_id for h in by_ids} <= set(ids)
        assert set(ids) >= {c.chunk_id for c, _ in by_where}
    assert index.search_vector(vector, 5, Filters(committee="cabinet")), (
        "a filter that selects chunks finds them"
    )


def test_an_index_without_chunk_facets_uses_the_store_filter_then_gets_them(make_index, tmp_path: Path):
    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    vector = index.embedder.embed_query("library budget")

    def found() -> list[float]:  # scores (the hash embedder gives ties, in either order)
        return [round(h.score, 5) for h in index.search_vector(vector, 7, _FILTERS[1])]

    want = found()
    db = index.keyword._db()
    db.execute("DELETE FROM chunk_facets")  # as an index made before the table
    db.execute("DELETE FROM totals WHERE name='faceted'")
    assert index.keyword.chunk_ids_where(_FILTERS[1], 1000) is None
    assert found() == want
    assert sorted(index.keyword.unfaceted()) == sorted(r.name for r in index.records())
    index.ingest(_council_docs(tmp_path / "docs"))  # unchanged: only the facets are filled in
    assert index.keyword.unfaceted() == []
    assert index.keyword.chunk_ids_where(_FILTERS[1], 1000) is not None
    assert found() == want
    # More ids than the limit: the store's filter again.
    assert index.keyword.chunk_ids_where(Filters(committee="cabinet"), 1) is None


def test_removing_and_replacing_keep_the_chunk_facets(make_index, tmp_path: Path):
    index = make_index()
    paths = _council_docs(tmp_path / "docs")
    index.ingest(paths)
    cabinet = Filters(committee="cabinet")
    before = set(index.keyword.chunk_ids_where(cabinet, 1000) or [])
    index.remove(["cab-2017.md"])
    after = set(index.keyword.chunk_ids_where(cabinet, 1000) or [])
    assert after and after < before
    paths[1].write_text(paths[1].read_text(encoding="utf-8") + "\n\n## Item 9\nA new item.", encoding="utf-8")
    index.ingest([paths[1]])
    ids = index.keyword.chunk_ids_where(cabinet, 1000)
    assert ids is not None and set(ids) == set(index.manifest.documents["cab-2023.md"].chunk_ids)


def test_a_filter_selecting_more_ids_than_a_batch_searches_them_in_batches(
    make_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import rag_council.index as index_module

    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    vector = index.embedder.embed_query("library budget school transport")
    cabinet = Filters(committee="cabinet")
    want = [round(score, 5) for _, score in index.store.search(vector, 4, cabinet)]
    monkeypatch.setattr(index_module, "FILTER_IDS_BATCH", 2)
    monkeypatch.setattr(index_module, "FILTER_IDS_NUMPY", 0)  # Chroma among the ids, not numpy
    monkeypatch.setattr(index, "_nearest_selected", lambda *_: None)  # as when too few are near
    hits = index.search_vector(vector, 4, cabinet)
    # The same best scores (the passages repeat, so equal scores may come in another order).
    assert [round(h.score, 5) for h in hits] == want
    assert {h.chunk.meta["committee"] for h in hits} == {"Cabinet"}


def test_a_filtered_search_reads_the_nearest_of_the_whole_index_widening_as_needed(
    make_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The first k chunks of the whole ranking that the filters select are the k best selected:
    the same scores as the store's own filter, whether the first list holds enough or has to be
    widened, and the ids path when it would have to be widened too far."""
    import rag_council.index as index_module

    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    vector = index.embedder.embed_query("library budget school transport")
    depths: list[int] = []
    nearest = index.store.nearest
    monkeypatch.setattr(index.store, "nearest", lambda v, k: depths.append(k) or nearest(v, k))
    monkeypatch.setattr(index_module, "FILTER_IDS_FEW", -1)  # always the nearest list first
    for first in (1, 200):
        monkeypatch.setattr(index_module, "NARROW_FIRST", first)
        for filters in _FILTERS:
            depths.clear()
            want = [round(x, 5) for _, x in index.store.search(vector, 3, filters)]
            assert [round(h.score, 5) for h in index.search_vector(vector, 3, filters)] == want, filters
    monkeypatch.setattr(index_module, "NARROW_FIRST", 1)
    depths.clear()
    assert index.search_vector(vector, 3, Filters(committee="No Such Committee")) == []
    assert depths == [12, index.count()], "4k first, widened x4 at a time up to the whole index"
    monkeypatch.setattr(index_module, "NARROW_DEPTH", 1)
    assert index._nearest_selected(vector, 3, Filters(committee="No Such Committee")) is None
    assert index.search_vector(vector, 3, Filters(committee="No Such Committee")) == []


def test_passages_are_read_from_index_sqlite_the_same_as_from_the_store(make_index, tmp_path: Path):
    """index.sqlite keeps each chunk's text and store metadata: a question's passages and a
    search's hits come from there, equal to the store's, with no read of the store's texts;
    replacing and removing a document take its rows away with it."""
    index = make_index()
    paths = _council_docs(tmp_path / "docs")
    index.ingest(paths)
    ids = [i for r in index.records() for i in r.chunk_ids]
    rows = index.keyword.chunk_rows(ids)
    assert rows is not None and set(rows) == set(ids)
    from_store = {c.chunk_id: c for c in index.store.get(ids)}
    reads: list[list[str]] = []
    get = index.store.get
    index.store.get = lambda wanted: reads.append(list(wanted)) or get(wanted)  # type: ignore[method-assign]
    fresh = make_index()
    fresh.store.get = index.store.get  # type: ignore[method-assign]
    assert fresh.chunks(ids) == [from_store[i] for i in ids]
    vector = index.embedder.embed_query("library budget school transport")
    hits = fresh.search_vector(vector, 6)
    assert [(h.chunk, round(h.score, 6)) for h in hits] == [
        (c, round(s, 6)) for c, s in index.store.search(vector, 6)
    ]
    assert reads == []
    old = set(index.manifest.documents["cab-2023.md"].chunk_ids)
    paths[1].write_text(paths[1].read_text(encoding="utf-8") + "\n\n## Item 9\nA new item.", encoding="utf-8")
    index.ingest([paths[1]])
    new = set(index.manifest.documents["cab-2023.md"].chunk_ids)
    held = index.keyword.chunk_rows(sorted(old | new)) or {}
    assert set(held) == new and any("A new item." in text for text, _ in held.values())
    index.remove(["cab-2023.md"])
    assert index.keyword.chunk_rows(sorted(new)) == {} and index.keyword.has_texts()


def test_an_index_without_chunk_texts_reads_the_store_then_gets_them(make_index, tmp_path: Path):
    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    ids = [i for r in index.records() for i in r.chunk_ids]
    want = index.chunks(ids)
    db = index.keyword._db()
    db.execute("DELETE FROM chunk_texts")  # as an index made before the table
    db.execute("DELETE FROM totals WHERE name='texted'")
    assert index.keyword.chunk_rows(ids) is None and not index.keyword.has_texts()
    assert make_index().chunks(ids) == want  # from the store
    assert sorted(index.keyword.untexted()) == sorted(r.name for r in index.records())
    index.ingest(_council_docs(tmp_path / "docs"))  # unchanged: only the rows are filled in
    assert index.keyword.untexted() == [] and index.keyword.has_texts()
    assert make_index().chunks(ids) == want


def test_a_search_among_ids_reads_ids_and_scores_then_the_passages_from_index_sqlite(
    make_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Store.nearest among given ids is the store's search among them without the texts; the
    narrowed search among a few hundred ids (more than numpy's bound) uses it, and its hits
    are the ones `store.search` gives among the same ids."""
    import rag_council.index as index_module

    index = make_index()
    index.ingest(_council_docs(tmp_path / "docs"))
    vector = index.embedder.embed_query("library budget school transport")
    cabinet = Filters(committee="cabinet")
    ids = index.keyword.chunk_ids_where(cabinet, 1000) or []
    want = index.store.search(vector, 4, ids=ids)
    assert [(c.chunk_id, s) for c, s in want] == index.store.nearest(vector, 4, ids)
    assert index.store.nearest(vector, 4, []) == []
    monkeypatch.setattr(index_module, "FILTER_IDS_NUMPY", 0)  # the store among the ids, not numpy
    hits = index.search_vector(vector, 4, cabinet)
    assert [(h.chunk, round(h.score, 6)) for h in hits] == [(c, round(s, 6)) for c, s in want]
