"""The BM25 index stays in step with the store, and hybrid retrieval fuses both lists."""

import dataclasses
import json
from pathlib import Path

import pytest

from rag_council import HashEmbedder, Index, Settings
from rag_council.index.keyword import KeywordIndex, keyword_text, tokens
from rag_council.index.store import MemoryStore
from rag_council.retrieve.retrievers import HybridRetriever, KeywordRetriever
from rag_council.settings import RetrievalSettings
from rag_council.types import Chunk


@pytest.fixture(params=["memory", "chroma"])
def index(request, settings: Settings, tmp_path: Path) -> Index:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "sgo.txt").write_text("Special Guardianship Orders were granted to 12 children in 2023.")
    (docs / "library.txt").write_text("The central library opens on Sundays from June.")
    (docs / "budget.txt").write_text("The school transport budget is £4.2 million, approved by Cabinet.")
    store = MemoryStore() if request.param == "memory" else None
    idx = Index.create(settings, HashEmbedder(), store=store)
    idx.ingest([docs])
    idx.docs_folder = docs  # type: ignore[attr-defined]
    return idx


def test_tokens_keep_numbers_and_amounts_and_stem_words():
    assert tokens("The £4.2 million budget for 2016-17 orders") == [
        "£4.2",
        "million",
        "budget",
        "2016-17",
        "order",
    ]


def test_keyword_search_finds_exact_terms(index: Index):
    hits = KeywordRetriever(index).retrieve("Special Guardianship Orders", 2)
    assert hits[0].chunk.document == "sgo.txt" and hits[0].keyword and hits[0].keyword > 0


def test_keyword_index_follows_changes_and_removals(index: Index):
    folder: Path = index.docs_folder  # type: ignore[attr-defined]
    (folder / "library.txt").write_text("The central library closes on Mondays from July.")
    index.ingest([folder])
    assert (
        KeywordRetriever(index)
        .retrieve("library Mondays", 1)[0]
        .chunk.text.startswith("The central library closes")
    )
    assert all("Sundays" not in h.chunk.text for h in KeywordRetriever(index).retrieve("Sundays", 3))
    index.remove(["sgo.txt"])
    assert all(h.chunk.document != "sgo.txt" for h in KeywordRetriever(index).retrieve("guardianship", 3))


def test_an_index_of_the_old_format_moves_its_documents_to_sqlite(index: Index, settings: Settings):
    """Format 1 kept the documents in manifest.json and BM25 in bm25/; opening it makes each
    document's record and keyword rows from its chunks in the store."""
    manifest = json.loads((index.directory / "manifest.json").read_text())
    manifest["format"] = 1
    manifest["documents"] = {r.name: dataclasses.asdict(r) for r in index.records()}
    index.keyword.close()
    for suffix in ("", "-wal", "-shm"):
        (index.directory / f"index.sqlite{suffix}").unlink(missing_ok=True)
    (index.directory / "manifest.json").write_text(json.dumps(manifest))
    reopened = Index.open(settings, HashEmbedder(), store=index.store)
    assert sorted(r.name for r in reopened.records()) == ["budget.txt", "library.txt", "sgo.txt"]
    assert KeywordRetriever(reopened).retrieve("transport budget", 1)[0].chunk.document == "budget.txt"
    assert "documents" not in json.loads((index.directory / "manifest.json").read_text())


def test_keyword_scores_are_bm25s_lucene_scores(tmp_path: Path):
    import bm25s

    texts = [
        "school transport budget approved by cabinet",
        "transport transport policy for the county",
        "library opening hours on sundays",
        "cabinet approved the library budget and the school budget",
    ]
    keyword = KeywordIndex(tmp_path / "k.sqlite")
    chunks = [
        Chunk(f"c{i}", "d", "doc.txt", t, 0, len(t), i, meta={"label": "L"}) for i, t in enumerate(texts)
    ]
    keyword.add_document("doc.txt", "d", chunks)
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index([tokens(keyword_text(c)) for c in chunks], show_progress=False)
    query = "transport budget for the school"
    docs, scores = model.retrieve([tokens(query)], k=4, show_progress=False)
    expected = {f"c{int(i)}": float(s) for i, s in zip(docs[0], scores[0], strict=True) if s > 0}
    got = dict(keyword.search(query, 4))
    assert got.keys() == expected.keys()
    for cid, score in expected.items():
        assert got[cid] == pytest.approx(score, rel=1e-5)


def test_adding_a_document_reads_no_other_document(index: Index):
    """The keyword side and the overview change by the new document only: nothing is read
    back from the store, and the totals are the sum of the parts."""
    before_chunks = index.overview.chunks
    calls = []
    get = index.store.get
    index.store.get = lambda ids: calls.append(list(ids)) or get(ids)  # type: ignore[method-assign]
    (index.docs_folder / "parks.txt").write_text("The parks budget rose. Cabinet approved new parks.")
    report = index.ingest([index.docs_folder])
    index.store.get = get  # type: ignore[method-assign]
    assert report.added == ["parks.txt"] and calls == []
    assert index.overview.chunks == before_chunks + len(index.manifest.documents["parks.txt"].chunk_ids)
    assert index.overview.document_frequency.get("park") == 1
    assert KeywordRetriever(index).retrieve("parks", 1)[0].chunk.document == "parks.txt"
    index.remove(["parks.txt"])
    assert index.overview.chunks == before_chunks and index.overview.document_frequency.get("park") is None
    assert KeywordRetriever(index).retrieve("parks", 1) == []


def test_hybrid_fuses_and_keeps_both_scores(index: Index):
    hits = HybridRetriever(index, RetrievalSettings(dense_weight=0.5)).retrieve(
        "Which orders were granted for 12 children?", 3
    )
    assert hits[0].chunk.document == "sgo.txt"
    assert [h.rank for h in hits] == [1, 2, 3]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.dense is not None for h in hits)  # cosine known even for keyword-only hits
    assert hits[0].keyword is not None


def test_question_understanding_raises_the_passages_of_the_named_time(settings: Settings, tmp_path: Path):
    docs = tmp_path / "meetings"
    docs.mkdir()
    # Two meetings' resolutions; the June one matches the question's words better. The texts
    # name no date, only the manifest does.
    (docs / "june.txt").write_text("The committee noted the fostering report and agreed the fostering plan.")
    (docs / "march.txt").write_text("The committee agreed the plan and noted the report on fostering.")
    meta = docs / "manifest.toml"
    meta.write_text(
        '[documents."june.txt"]\ncommittee = "Cabinet"\ndate = "2017-06-22"\ndoc_type = "minutes"\n'
        '[documents."march.txt"]\ncommittee = "Cabinet"\ndate = "2024-03-12"\ndoc_type = "minutes"\n'
    )
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    report = idx.ingest([docs])
    assert not report.skipped  # the sidecar manifest is no document
    question = "What did cabinet agree about the fostering report and plan"
    # BM25 alone (the hash embedder's signed features make the dense order arbitrary here)
    plain = HybridRetriever(idx, RetrievalSettings(rerank="none", understand=False, dense_weight=0))
    assert [
        plain.retrieve(f"{question} {m}?", 2)[0].chunk.document for m in ("in 2017-18", "in 2023-24")
    ] == [
        "june.txt",
        "june.txt",
    ]
    understanding = HybridRetriever(idx, RetrievalSettings(rerank="none", dense_weight=0))
    # (labels carry the meeting date, so BM25 already matches "March 2024"; a financial year
    # is in no label)
    assert understanding.retrieve(f"{question} in 2023-24?", 2)[0].chunk.document == "march.txt"
    assert understanding.intent(f"{question} in 2023-24?").periods[0].text == "2023-24"
    assert understanding.retrieve(f"{question} in 2017-18?", 2)[0].chunk.document == "june.txt"


def test_at_most_so_many_passages_of_one_section():
    from rag_council.retrieve.retrievers import limit_per_section
    from rag_council.types import Chunk, Hit

    def hit(i: int, section: str) -> Hit:
        return Hit(Chunk(f"c{i}", "d", "x.txt", f"text {i}", 0, 6, i, section=section), 1.0 - i / 10, i + 1)

    hits = [hit(0, "A"), hit(1, "A"), hit(2, "A"), hit(3, "B")]
    assert [h.chunk.chunk_id for h in limit_per_section(hits, 2, 3)] == ["c0", "c1", "c3"]
    assert [h.rank for h in limit_per_section(hits, 0, 3)] == [1, 2, 3]


def test_duplicates_beyond_the_kept_hits_still_name_the_other_places():
    from rag_council.retrieve.retrievers import drop_duplicates
    from rag_council.types import Chunk, Hit

    text = "Family Group Conferencing is a child centred, family focused approach to build relationships."
    a = Hit(
        Chunk("a", "d1", "strategy.txt", text, 0, 10, 0, section="FGC", meta={"label": "Strategy, FGC"}),
        1.0,
        1,
    )
    b = Hit(
        Chunk("b", "d2", "other.txt", "Unrelated words about libraries and Sunday opening.", 0, 10, 0), 0.9, 2
    )
    twin = Hit(Chunk("c", "d3", "minutes.txt", text, 0, 10, 0, meta={"label": "Minutes, item 5"}), 0.1, 3)
    [kept] = drop_duplicates([a, b, twin], keep=1)
    assert kept.chunk.chunk_id == "a" and kept.chunk.meta["also_in"] == "Minutes, item 5"


def _chunks(doc: str, texts: list[str]) -> list[Chunk]:
    return [Chunk(f"{doc}-{i}", doc, f"{doc}.txt", t, 0, len(t), i) for i, t in enumerate(texts)]


def test_bm25_is_scored_once_for_both_depths_of_a_question(tmp_path: Path):
    """The whole-index search and the deeper narrowed one share the terms: the postings are
    read and scored once, and each depth is what a fresh index scores for it."""
    keyword = KeywordIndex(tmp_path / "k.sqlite")
    keyword.add_document("a.txt", "a", _chunks("a", [f"parks budget item {i} parks" for i in range(60)]))
    keyword.add_document("b.txt", "b", _chunks("b", [f"budget of the library {i}" for i in range(60)]))
    scored = []
    score = keyword._score
    keyword._score = lambda *a: scored.append(a[1]) or score(*a)  # type: ignore[method-assign]
    shallow, deep = keyword.search("parks budget", 5), keyword.search("budget parks", 50)
    assert len(scored) == 1 and len(shallow) == 5 and len(deep) == 50
    fresh = KeywordIndex(tmp_path / "k.sqlite")
    assert shallow == fresh.search("parks budget", 5) and deep == fresh.search("parks budget", 50)
    assert deep[:5] == shallow


def test_bm25_scores_follow_writes_by_this_and_other_processes(tmp_path: Path):
    """A cached score list is of one index generation: adding, replacing or removing a
    document (here or through another connection, as another process would) is seen at the
    next search, with the scores a fresh index gives."""
    keyword = KeywordIndex(tmp_path / "k.sqlite")
    keyword.add_document("a.txt", "a", _chunks("a", ["the parks budget", "school transport"]))
    assert [i for i, _ in keyword.search("parks", 5)] == ["a-0"]
    keyword.add_document("b.txt", "b", _chunks("b", ["new parks and more parks"]))
    assert keyword.search("parks", 5) == KeywordIndex(tmp_path / "k.sqlite").search("parks", 5)
    assert {i for i, _ in keyword.search("parks", 5)} == {"a-0", "b-0"}
    other = KeywordIndex(tmp_path / "k.sqlite")  # another process's connection
    other.remove_document("b.txt")
    assert [i for i, _ in keyword.search("parks", 5)] == ["a-0"]
    other.add_document("a.txt", "a2", _chunks("a2", ["parks closed", "parks parks parks"]))
    assert keyword.search("parks", 5) == other.search("parks", 5)
    assert {i for i, _ in keyword.search("parks", 5)} == {"a2-0", "a2-1"}


def test_a_terms_postings_are_decoded_once_and_kept_within_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A second question sharing a term reads only its other terms' rows; what is kept stays
    within TERM_CACHE entries, and every score is a fresh index's."""
    import rag_council.index.keyword as keyword_module

    keyword = KeywordIndex(tmp_path / "k.sqlite")
    keyword.add_document("a.txt", "a", _chunks("a", [f"parks budget item {i}" for i in range(40)]))
    keyword.add_document("b.txt", "b", _chunks("b", [f"library budget {i} parks" for i in range(40)]))
    statements: list[str] = []
    keyword._db().set_trace_callback(statements.append)
    keyword.search("parks budget", 10)
    statements.clear()
    second = keyword.search("library parks", 10)
    postings = [s for s in statements if "FROM postings" in s]
    assert len(postings) == 1 and "'library'" in postings[0] and "'park'" not in postings[0]
    fresh = KeywordIndex(tmp_path / "k.sqlite")
    assert second == fresh.search("library parks", 10)
    monkeypatch.setattr(keyword_module, "TERM_CACHE", 50)
    for question in ("item budget", "library item", "parks library budget"):
        assert keyword.search(question, 10) == fresh.search(question, 10)
        assert keyword._terms_size <= 50
