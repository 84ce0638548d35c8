"""Topic timelines, document status, minutes' status and time in questions (issue 13),
against the bundled corpus indexed with the hash embedder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rag_council import BUNDLED_CORPUS, HashEmbedder, Index, Settings
from rag_council.cli import build_parser
from rag_council.evaluate.gold import GoldItem, load_gold
from rag_council.evaluate.timeline import score_timeline_item
from rag_council.index.store import MemoryStore
from rag_council.timeline import KINDS, format_timeline, timeline
from rag_council.timeline.entries import index_records

CYP = "Children and Young People Scrutiny Committee"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    settings = Settings(index_root=tmp_path_factory.mktemp("timeline-index"), embedder={"kind": "hash"})
    idx = Index.create(settings, HashEmbedder(), store=MemoryStore())
    report = idx.ingest([BUNDLED_CORPUS])
    assert report.documents == 5 and not report.skipped
    return idx


def _check_citations(index: Index, entries) -> None:
    for e in entries:
        c = e.citation
        [chunk] = index.chunks([c.chunk_id])
        assert chunk.document == c.document
        assert c.quote and c.quote in chunk.text
        assert chunk.text[c.quote_start : c.quote_start + len(c.quote)] == c.quote


def test_corporate_parenting_from_2017_to_2024_in_date_order_with_exact_citations(index: Index):
    entries = timeline(index, "corporate parenting")
    dates = [e.date for e in entries]
    assert dates == sorted(dates) and dates[0] == "2017-07-20" and dates[-1] == "2024-03-12"
    assert {e.committee for e in entries} >= {"Cabinet", CYP}
    assert all(e.kind in KINDS for e in entries)
    _check_citations(index, entries)
    # The 2017 report recommended approval: a recommendation, not a decision.
    rec = [e for e in entries if e.date == "2017-07-20" and e.kind == "recommended"]
    assert rec and rec[0].status == "recommendation"
    assert "appendix A are approved" in rec[0].citation.quote and "not the decision" in rec[0].text
    # The 2017-2020 strategy is superseded by the 2024 draft, which is marked a draft.
    old = [e for e in entries if e.status == "superseded"]
    assert old and old[0].date == "2017-07-20" and "2022 - 2024" in old[0].text
    draft = [e for e in entries if e.kind == "draft"]
    assert draft and draft[0].date == "2024-03-12" and "2017-2020" in draft[0].text
    text = format_timeline("corporate parenting", entries)
    assert text.index("== Cabinet, 20 July 2017") < text.index(f"== {CYP}, 12 March 2024")
    assert "no records on this topic in the index between July 2017 and" in text  # the gap


def test_json_entries_have_the_documented_keys(index: Index):
    entries = timeline(index, "corporate parenting")
    for e in entries:
        data = json.loads(json.dumps(e.to_json()))
        assert {"date", "committee", "meeting", "kind", "text", "citation"} <= set(data)
        assert set(data["citation"]) == {"document", "chunk_id", "quote", "page", "label"}


def test_draft_minutes_are_marked_for_approval_at_the_pack_meeting(index: Index):
    entries = timeline(index, "minutes of the meeting correct record")
    jan = [e for e in entries if e.date == "2024-01-23"]
    assert jan, [e.date for e in entries]
    assert all("draft minutes, for approval on 12 March 2024" in e.meeting for e in jan)
    assert any(
        "the draft minutes of 23 January 2024, put for approval on 12 March 2024" in n
        for e in jan
        for n in e.notes
    )
    nov = [e for e in entries if e.date == "2023-11-14"]
    assert nov and not any("draft" in e.meeting for e in nov)  # published minutes


def test_a_strategy_due_for_review_with_no_later_version_shows_the_gap(index: Index):
    entries = timeline(index, "permanency strategy")
    review = [e for e in entries if e.kind == "due for review"]
    assert len(review) == 1 and review[0].date == "2024-09-01"
    assert "no later version is in the index" in review[0].text and review[0].status == "gap"
    assert review[0].citation.quote == "September 2024"
    _check_citations(index, entries)


def test_filters_by_date_and_committee(index: Index):
    cabinet = timeline(index, "corporate parenting", committee="cabinet")
    assert cabinet and {e.committee for e in cabinet} == {"Cabinet"}
    later = timeline(index, "corporate parenting", since=dt.date(2020, 1, 1))
    assert later and all(e.date >= "2020-01-01" for e in later)
    early = timeline(index, "corporate parenting", until=dt.date(2018, 1, 1))
    assert early and all(e.date <= "2018-01-01" for e in early)


def test_questions_are_asked_and_answered_entries(index: Index):
    entries = timeline(index, "independent visitor")
    kinds = [(e.date, e.kind) for e in entries]
    assert ("2023-09-26", "asked") in kinds and ("2023-09-26", "answered") in kinds


def test_an_unknown_topic_has_no_entries(index: Index):
    assert timeline(index, "zeppelin hangar") == []
    assert "No records" in format_timeline("zeppelin hangar", [])


def test_the_cli_reads_the_timeline_arguments():
    args = build_parser().parse_args(
        ["timeline", "corporate parenting", "--since", "2017-01-01", "--committee", "Cabinet", "--json"]
    )
    assert args.command == "timeline" and args.since == dt.date(2017, 1, 1) and args.json


def test_records_of_the_index_only(index: Index):
    assert {r.doc_id for r in index_records(index)} <= {r.doc_id for r in index.records()}


def _gold(spec: dict) -> GoldItem:
    return GoldItem("tx", "q", "a", ("x",), ("f",), "timeline", 0, {"timeline": spec})


def test_the_timeline_gold_questions_are_scored_on_order_and_dates(index: Index):
    items = {i.id: i for i in load_gold(Path(__file__).parents[2] / "evals" / "gold.jsonl")}
    t004 = items["t004"]
    scored = score_timeline_item(index, t004)
    assert (
        scored["found"] == 1.0 and scored["exact"] == 1.0 and scored["order"] == 1.0 and scored["ascending"]
    )
    # Reversed, the same entries are out of order; with a wrong date, the date score falls.
    spec = dict(t004.extra["timeline"])
    spec["expect"] = list(reversed(spec["expect"]))
    assert score_timeline_item(index, _gold(spec))["order"] == 0.0
    spec["expect"] = [dict(spec["expect"][0], date="2019-01-01")]
    wrong = score_timeline_item(index, _gold(spec))
    assert wrong["date"] == 0.0 and wrong["exact"] == 0.0 and wrong["wrong"]
    assert (
        sum("timeline" in i.extra for i in items.values()) + sum("as_at" in i.extra for i in items.values())
        >= 15
    )
