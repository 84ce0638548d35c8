"""The council's records extracted at ingest (issue 12 part 1), checked against the bundled
corpus files, and the SQLite store kept in step with the index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag_council import BUNDLED_CORPUS, HashEmbedder, Index, Settings
from rag_council.index.records import RecordStore
from rag_council.index.store import MemoryStore
from rag_council.ingest import load_document
from rag_council.ingest.records import extract_records
from rag_council.types import Document, Record

CYP = "Children and Young People Scrutiny Committee"


def _doc(prefix: str) -> Document:
    path = next(Path(BUNDLED_CORPUS).glob(f"{prefix}_*.txt"))
    return load_document(path, path.name, 10**8)


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {p: _doc(p) for p in ("000", "001", "002", "003", "004")}


@pytest.fixture(scope="module")
def records(docs: dict[str, Document]) -> dict[str, list[Record]]:
    return {p: extract_records(d)[0] for p, d in docs.items()}


def _one(records: list[Record], kind: str, **match: str) -> Record:
    found = [r for r in records if r.kind == kind and all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, (kind, match, [r.key for r in found])
    return found[0]


def test_every_field_is_an_exact_span_of_the_cleaned_text_and_of_the_source(docs, records):
    for prefix, recs in records.items():
        doc = docs[prefix]
        assert recs, prefix
        for r in recs:
            assert doc.text[r.span.start : r.span.end] == r.span.text
            for spans in r.fields.values():
                for s in spans:
                    assert s.doc_id == doc.doc_id
                    assert doc.text[s.start : s.end] == s.text and s.text.strip()
                    # The source offsets cover the same words in the file as ingested.
                    source = doc.source_text[s.source_start : s.source_end]
                    assert s.text.split()[0].strip("*") in source


def test_meetings_with_venue_and_the_status_of_minutes_printed_in_a_later_pack(records):
    nov = _one(records["000"], "meeting", date="2023-11-14")
    assert nov.committee == CYP and nov.notes["status"] == "minutes"
    assert nov.value("venue") == "Herefordshire Council Offices, Plough Lane, Hereford, HR4 0LE"
    jan = _one(records["002"], "meeting", date="2024-01-23")
    assert jan.notes == {"status": "draft", "for_approval_at": "2024-03-12"}
    assert _one(records["002"], "meeting", date="2024-03-12").notes["status"] == "agenda"
    june = _one(records["003"], "meeting", date="2017-06-22")
    assert june.committee == "Cabinet" and june.notes["for_approval_at"] == "2017-07-20"
    assert "Shire Hall" in june.value("venue")
    # The later meeting's minutes item says which minutes it confirmed.
    confirm = _one(records["002"], "item", date="2024-01-23", title="Minutes")
    assert confirm.notes["confirms_minutes_of"] == "2023-11-14"


def test_attendance(records):
    nov = _one(records["000"], "attendance", date="2023-11-14")
    assert nov.value("chair") == "Councillor Toni Fagan (chairperson)"
    assert nov.value("vice_chair") == "Councillor Liz Harvey (vice-chairperson)"
    assert [s.text for s in nov.fields["apologies"]] == [
        "Councillor Robert Highfield",
        "Jan Frances (Co-opted Families Representative)",
    ]
    assert "Frank Cornthwaite (substitute)" in nov.value("substitutes")
    assert "Kate Joiner" in nov.value("co_optees")
    assert "Simon Cann (Clerk)" in nov.value("in_attendance")
    jan = _one(records["002"], "attendance", date="2024-01-23")
    assert "Toni Fagan" in jan.value("chair")
    assert "Sam Pratley" in jan.value("apologies")
    cabinet = _one(records["003"], "attendance", date="2017-06-22")
    assert cabinet.value("chair") == "Councillor AW Johnson (Chairman)"
    assert cabinet.value("vice_chair") == "Councillor PM Morgan (Vice-Chairman)"
    july = _one(records["004"], "attendance", date="2023-07-18")
    assert "Rob Williams" in july.value("apologies")
    assert "Peter Hamblin" in july.value("substitutes")
    # a table row of those in attendance keeps the post: "name, role, organisation"
    rows = [" ".join(s.text.split()) for s in july.fields["in_attendance"]]
    assert "Gail Hancock Service Director Improvement Herefordshire Council" in rows
    assert "chair" not in july.fields  # no chair is named there, whatever the posts say


def test_items_keep_the_resolution_verbatim_with_actions_and_the_vote(docs, records):
    item = _one(records["000"], "item", key="item:2023-11-14:168")
    resolution = item.first("resolution")
    assert resolution is not None and resolution.text.startswith("Resolved\n\nThat the Committee:")
    assert resolution.text.endswith("recruitment of co-opted members.")
    assert resolution.text in docs["000"].text
    assert item.value("vote") == "The Committee voted unanimously in favour of the following recommendations:"
    cahms = _one(records["000"], "item", key="item:2023-11-14:169")
    assert len(cahms.fields["actions"]) == 2 and "Autism Strategy" in cahms.value("actions")
    send = _one(records["000"], "item", key="item:2023-11-14:170")
    assert "early intervention in schools is funded adequately" in send.value("recommendation")
    assert "voted by majority" in send.value("vote")
    budget = _one(records["003"], "item", key="item:2017-06-22:6")
    assert "treasury management outturn report" in budget.value("resolution")


def test_recommendations_are_kept_apart_from_resolutions(records):
    rec = _one(records["003"], "recommendation", title="Corporate parenting strategy 2017- 2020")
    assert (
        rec.value("items")
        == "(a) the Corporate Parenting strategy and action plan at appendix A are approved."
    )
    assert rec.value("meeting") == "Cabinet" and rec.date == "2017-07-20"
    assert not any(
        r.kind == "item" and "appendix A are approved" in r.value("resolution") for r in records["003"]
    )
    early_help = _one(records["004"], "recommendation", title="Early Help")
    assert "scrutinises how partners work together" in early_help.value("text")


def test_public_questions(records):
    questions = [r for r in records["000"] if r.kind == "question"]
    assert [(q.value("questioner"), q.notes["supplementary"]) for q in questions] == [
        ("Ms Hannah Currie", "no"),
        ("Ms Reid, Hereford", "no"),
        ("Ms Hannah Currie", "yes"),
        ("Ms Reid, Hereford", "yes"),
    ]
    sup = questions[2]
    assert "Lifelong Links" in sup.value("question")
    assert "We do not currently commission Lifelong Links" in sup.value("response")
    assert sup.value("responder") == "Councillor Powell"
    assert sup.value("response_date") == "Response (provided 24/11/23)"
    july = [r for r in records["004"] if r.kind == "question"]
    assert {q.value("questioner") for q in july} >= {"Jennie Hewitt", "Eddy Parkinson", "Rachel Gallagher"}


def test_document_details(records):
    strategy = _one(records["001"], "document")
    assert strategy.value("review_date") == "September 2024"
    assert strategy.value("version") == "1"
    assert strategy.value("author") == "Permanence Champion"
    assert strategy.value("agreed_by") == "Practitioner Reference Group; DLT"
    assert strategy.notes["draft"] == "no" and strategy.notes["type"] == "strategy"
    cp2017 = _one(records["003"], "document", title="Appendix A: Corporate parenting strategy")
    assert cp2017.notes["period"] == "2017-2020"
    cp2024 = [r for r in records["002"] if r.kind == "document" and r.notes.get("type") == "strategy"]
    assert len(cp2024) == 1 and cp2024[0].notes["period"] == "2022-2024" and cp2024[0].notes["draft"] == "yes"
    assert "A draft of the corporate parenting strategy is attached" in cp2024[0].value("draft")
    carers = _one(
        records["003"], "document", title="Appendix 1: Draft joint carers strategy for Herefordshire"
    )
    assert carers.notes["draft"] == "yes" and carers.notes["period"] == "2017-2021"


def test_what_the_parser_could_not_read_is_told_per_document(docs):
    _, warnings = extract_records(docs["000"])
    assert any("'Officers:' line of the attendance is empty" in w for w in warnings)
    assert any("'Operational From' is blank" in w for w in warnings)


def test_the_store_follows_ingest_replace_and_remove(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_33f019037055ced6.txt", "001_7c381c5813d62a6f.txt"):
        shutil.copy(Path(BUNDLED_CORPUS) / name, corpus / name)
    settings = Settings(index_root=tmp_path / "idx", embedder={"kind": "hash"})
    index = Index.create(settings, HashEmbedder(), store=MemoryStore())
    report = index.ingest([corpus])
    store = RecordStore.at(index.directory)
    assert (index.directory / "records.sqlite").exists()
    assert any("Officers:" in w for w in report.warnings["000_33f019037055ced6.txt"])
    ids = {r.doc_id for r in index.records()}
    chairs = store.list("attendance", doc_ids=ids)
    assert [r.value("chair") for r in chairs] == ["Councillor Toni Fagan (chairperson)"]
    before = len(store.list(doc_ids=ids))
    # A changed file replaces its records (no copies of the old version stay).
    path = corpus / "001_7c381c5813d62a6f.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("September 2024", "October 2025"), encoding="utf-8"
    )
    index.ingest([corpus])
    ids = {r.doc_id for r in index.records()}
    dates = [r.value("review_date") for r in store.list("document") if r.document == path.name]
    assert dates == ["October 2025"]
    assert len(store.list(doc_ids=ids)) == before
    # Removing a document deletes its records.
    index.remove(["000_33f019037055ced6.txt"])
    assert not [r for r in store.list() if r.document == "000_33f019037055ced6.txt"]


def test_the_store_reads_a_document_again_when_its_parsed_metadata_changes(tmp_path: Path, docs):
    from dataclasses import replace

    store = RecordStore(tmp_path / "records.sqlite")
    doc = replace(docs["003"], warnings=[])
    store.write(doc)
    assert {r.committee for r in store.list("meeting")} == {"Cabinet"}
    assert store.write(doc) == []  # unchanged: left as it is
    # The sidecar manifest renames the committee: same bytes (same doc_id), new records.
    renamed = replace(
        doc,
        meta={**doc.meta, "committee": "The Cabinet"},
        sections=[replace(s, meta={**s.meta, "committee": "The Cabinet"}) for s in doc.sections],
    )
    store.write(renamed)
    assert {r.committee for r in store.list("meeting")} == {"The Cabinet"}
    assert len({r.record_id for r in store.list()}) == len(store.list())
