"""Filters, duplicates and citation metadata over the bundled corpus, indexed once with the
hash embedder and the in-memory store (no model)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rag_council import BUNDLED_CORPUS, Filters, HashEmbedder, Index, Settings
from rag_council.index.store import MemoryStore
from rag_council.ingest.cleaning import normalise_for_match
from rag_council.retrieve.retrievers import DenseRetriever, drop_duplicates, overlap, shingles

CYP = "Children and Young People Scrutiny Committee"
PERMANENCY = (
    "Family Group Conferencing (FGC) is a child centred, family focused approach to build relationships"
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    settings = Settings(index_root=tmp_path_factory.mktemp("council-index"), embedder={"kind": "hash"})
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    report = idx.ingest([BUNDLED_CORPUS])
    assert report.documents == 5 and not report.skipped
    return idx


def test_committee_filter(index: Index):
    cabinet = index.search("corporate parenting strategy", 20, Filters(committee="cabinet"))
    assert cabinet and all(h.chunk.meta["committee"] == "Cabinet" for h in cabinet)
    cyp = index.search(
        "corporate parenting strategy", 20, Filters(committee="children and young people scrutiny committee")
    )
    assert cyp and all(h.chunk.meta["committee"] == CYP for h in cyp)


def test_doc_type_filter(index: Index):
    for kind in ("minutes", "public_questions", "officer_report", "appendix", "strategy"):
        hits = index.search("what did the committee decide about care leavers", 10, Filters(doc_type=kind))
        assert hits, kind
        assert all(h.chunk.meta["doc_type"] == kind for h in hits), kind
    questions = index.search("Lifelong Links", 5, Filters(doc_type="public questions"))
    assert questions[0].chunk.meta["questioner"] == "Ms Hannah Currie"


def test_date_filters_use_the_date_of_the_meeting_the_section_belongs_to(index: Index):
    jan = Filters(since=dt.date(2024, 1, 23), until=dt.date(2024, 1, 23))
    hits = index.search("independent scrutineer safeguarding partnership", 10, jan)
    assert hits and all(h.chunk.meta["date"] == "2024-01-23" for h in hits)
    # the minutes of 23 January 2024 live inside the 12 March 2024 pack
    assert {h.chunk.document for h in hits} == {"002_fe3847f10de2081c.txt"}
    assert all(h.chunk.meta["doc_type"] == "minutes" for h in hits)

    june_2017 = index.search("cladding on public buildings", 5, Filters(until=dt.date(2017, 6, 30)))
    assert june_2017 and all(h.chunk.meta["date"] == "2017-06-22" for h in june_2017)
    assert "Grenfell" in " ".join(h.chunk.text for h in june_2017)

    later = index.search("early help", 30, Filters(since=dt.date(2023, 9, 1), until=dt.date(2023, 12, 31)))
    assert later and all("2023-09-01" <= h.chunk.meta["date"] <= "2023-12-31" for h in later)
    combined = Filters(committee="Cabinet", since=dt.date(2023, 1, 1))
    assert index.search("adoption", 5, combined) == []


def test_the_permanency_strategy_passage_is_returned_once_and_names_both_places(index: Index):
    raw = index.search(PERMANENCY, 10)
    with_passage = [h for h in raw if PERMANENCY.lower() in normalise_for_match(h.chunk.text)]
    assert {h.chunk.document for h in with_passage} == {
        "000_33f019037055ced6.txt",
        "001_7c381c5813d62a6f.txt",
    }

    hits = DenseRetriever(index).retrieve(PERMANENCY, 5)
    assert len(hits) == 5 and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    copies = [h for h in hits if PERMANENCY.lower() in normalise_for_match(h.chunk.text)]
    assert len(copies) == 1
    best = copies[0].chunk
    other = ({"000_33f019037055ced6.txt", "001_7c381c5813d62a6f.txt"} - {best.document}).pop()
    other_chunk = next(h.chunk for h in with_passage if h.chunk.document == other)
    assert other_chunk.label in best.meta["also_in"]
    # no two results are the same passage
    for i, a in enumerate(hits):
        for b in hits[i + 1 :]:
            assert overlap(shingles(a.chunk.text), shingles(b.chunk.text)) < 0.5


def test_drop_duplicates_keeps_neighbouring_chunks_of_one_section(index: Index):
    hits = index.search(
        "The IRO service has a statutory responsibility to chair a looked after child's review", 30
    )
    kept = drop_duplicates(hits)
    assert len(kept) < len(hits)  # the two copies of the strategy
    same_doc = [h for h in kept if h.chunk.document == kept[0].chunk.document]
    assert len(same_doc) > 1  # overlapping neighbours (chunk overlap) are not duplicates


def test_citation_metadata_travels_with_the_chunk(index: Index):
    hit = index.search(
        "co-opted members Recommends to full Council candidates", 1, Filters(doc_type="minutes")
    )[0]
    chunk = hit.chunk
    assert chunk.meta["item_no"] == 168 and chunk.date == "2023-11-14"
    assert chunk.label.startswith(f"{CYP}, 14 November 2023, minute 168, Co-opted member recruitment update")
    assert chunk.meta["section_path"] == "Minutes, 14 November 2023 > 168. Co-opted member recruitment update"
    assert chunk.title == "Children and Young People Scrutiny Committee minutes, 14 November 2023"
    recent = Filters(doc_type="officer_report", since=dt.date(2024, 3, 1))
    report = index.search("What is the current composition of the board", 3, recent)
    assert report[0].chunk.meta["report_by"].startswith("Victoria Gibbs")
    assert "report: Corporate Parenting Board" in report[0].chunk.label


def test_manifest_sets_and_corrects_metadata(tmp_path: Path):
    from rag_council.ingest import load_document

    folder = tmp_path / "docs"
    folder.mkdir()
    source = BUNDLED_CORPUS / "000_33f019037055ced6.txt"
    (folder / "minutes.txt").write_bytes(source.read_bytes())
    (tmp_path / "manifest.toml").write_text(
        '[documents."minutes.txt"]\n'
        'title = "CYP scrutiny minutes"\n'
        'committee = "Children and Young People Scrutiny"\n'
        'source_url = "https://example.org/minutes.pdf"\n'
        'date = "not a date"\n',
        encoding="utf-8",
    )
    doc = load_document(folder / "minutes.txt", "minutes.txt", 10**9)
    assert doc.title == "CYP scrutiny minutes" and doc.meta["source_url"] == "https://example.org/minutes.pdf"
    assert doc.meta["committee"] == "Children and Young People Scrutiny"
    assert all(s.meta["committee"] == "Children and Young People Scrutiny" for s in doc.sections)
    assert doc.sections[1].meta["label"].startswith("Children and Young People Scrutiny, 14 November 2023")
    assert doc.meta["date"] == "2023-11-14"  # the bad date is ignored, with a warning
    assert any("not YYYY-MM-DD" in w for w in doc.warnings)


def test_documents_listing_shows_types_dates_and_warnings(index: Index, capsys):
    import argparse

    from rag_council.cli import cmd_documents

    records = {r.name: r for r in index.records()}
    pack = records["002_fe3847f10de2081c.txt"]
    assert pack.meta["doc_type"] == "agenda" and pack.meta["dates"] == "2024-01-23,2024-03-12"
    assert pack.meta["sections"] >= 50 and pack.meta["boilerplate_dropped"]
    cmd_documents(argparse.Namespace(index=index.name, json=False), index.settings)
    out = capsys.readouterr().out
    assert "Cabinet agenda pack, 20 July 2017 | agenda | Cabinet | 20 July 2017" in out
    assert "meetings: 23 January 2024, 12 March 2024" in out
    assert "not indexed (boilerplate): The public's rights" in out
    cmd_documents(argparse.Namespace(index=index.name, json=True), index.settings)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert {r["meta"]["doc_type"] for r in rows} == {"minutes", "strategy", "agenda"}
