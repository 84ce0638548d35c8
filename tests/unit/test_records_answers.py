"""Answers composed from the council's records (issue 12 part 2) and `rag-council records`,
over the bundled corpus indexed with the hash embedder and the in-memory store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_council import BUNDLED_CORPUS, HashEmbedder, Index, Settings
from rag_council.answer import make_generator
from rag_council.answer.records import answer_from_records
from rag_council.engine import Engine
from rag_council.index.store import MemoryStore
from rag_council.retrieve.retrievers import make_retriever
from rag_council.types import Answer
from tests.schema import check_record


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = Settings(index_root=tmp_path_factory.mktemp("records-index"), embedder={"kind": "hash"})
    embedder = HashEmbedder()
    index = Index.create(settings, embedder, store=MemoryStore())
    assert index.ingest([BUNDLED_CORPUS]).documents == 5
    return Engine(
        settings,
        index,
        make_retriever(index, settings.retrieval),
        make_generator(settings, embedder, "extractive"),
    )


def _ask(engine: Engine, question: str) -> Answer:
    answer = engine.ask(question)
    assert not answer.abstained, (question, answer.notice)
    assert answer.notice.startswith("answered from the council's records"), answer.notice
    assert answer.claims and all(c.supported for c in answer.claims)
    for c in answer.citations:
        doc = engine.index.document(c.chunk.doc_id)
        assert doc is not None and doc.text[c.chunk.start : c.chunk.end] == c.chunk.text
        assert c.quote and c.quote in c.chunk.text
        # The source offsets map the passage back to the file as ingested.
        assert c.quote.split()[0] in doc.source_text[c.chunk.source_start : c.chunk.source_end]
    check_record(answer.to_json())
    return answer


def _quotes(answer: Answer) -> list[str]:
    return [" ".join(c.quote.split()) for c in answer.citations]


def test_review_date_of_the_permanency_strategy_from_the_strategy_itself(engine):
    answer = _ask(engine, "Is the Permanency Strategy still current, and when is it due for review?")
    assert "review date is September 2024" in answer.text
    assert "Review Date: September 2024" in _quotes(answer)
    assert "version 1" in answer.text


def test_corporate_parenting_strategy_over_the_years_keeps_a_recommendation_a_recommendation(engine):
    answer = _ask(
        engine, "What has the council decided about the corporate parenting strategy over the years?"
    )
    text = answer.text
    assert "recommended" in text and "Cabinet approved" not in text
    assert "20 July 2017" in text
    assert any(
        "(a) the Corporate Parenting strategy and action plan at appendix A are approved" in q
        for q in _quotes(answer)
    )
    assert "Corporate Parenting Strategy 2022 - 2024" in text and "draft" in text
    # In date order: the 2017 recommendation before the 2024 draft.
    assert text.index("2017") < text.index("2022 - 2024")


def test_concerns_raised_by_members_come_from_the_minutes_discussion(engine):
    answer = _ask(engine, "What were the main concerns raised by members about Early Help?")
    assert "23 January 2024" in answer.text
    quoted = [q for q in _quotes(answer) if "early help" in q.lower()]
    assert len(quoted) >= 2
    assert all(c.chunk.meta.get("date") == "2024-01-23" for c in answer.citations)


def test_who_chaired_and_who_sent_apologies(engine):
    chair = _ask(
        engine, "Who chaired the Children and Young People Scrutiny Committee meeting on 14 November 2023?"
    )
    assert "Councillor Toni Fagan" in chair.text
    assert "Present: Councillor Toni Fagan (chairperson)" in _quotes(chair)
    cabinet = _ask(engine, "Who chaired the Cabinet meeting in June 2017?")
    assert "Councillor AW Johnson" in cabinet.text
    apologies = _ask(engine, "Who sent apologies to the scrutiny committee meeting of 23 January 2024?")
    assert "Anna Eccleston" in apologies.text and "Sam Pratley" in apologies.text


def test_what_was_resolved_at_a_named_meeting_is_quoted_verbatim(engine):
    answer = _ask(engine, "What did the Cabinet resolve on 22 June 2017?")
    assert "it was resolved" in answer.text
    doc = next(engine.index.document(c.chunk.doc_id) for c in answer.citations)
    for quote in _quotes(answer):
        assert quote in " ".join(doc.text.split())
    assert any("performance and financial outturn" in q for q in _quotes(answer))


def test_a_public_question_and_its_response(engine):
    answer = _ask(engine, "What did Ms Hannah Currie ask about Lifelong Links and what was the response?")
    assert "Ms Hannah Currie" in answer.text and "Lifelong Links" in answer.text
    assert any("We do not currently commission Lifelong Links" in q for q in _quotes(answer))
    assert "Councillor Powell gave a verbal response" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "What is the name of the chair of the Corporate Parenting Board?",
        "What were the results of the vote on the carers strategy, member by member?",
        "Which company was awarded the contract to build the new children's home?",
        "Who replaced the director of children's services in 2024?",
    ],
)
def test_questions_the_records_do_not_answer_fall_through(engine, question):
    assert answer_from_records(engine.index, question) is None


def test_records_command_lists_the_five_documents(engine, monkeypatch, capsys):
    from rag_council.cli import main

    # The command reads the index's manifest, saved documents and records (no embedder).
    monkeypatch.setenv("RAG_COUNCIL_INDEX_ROOT", str(engine.settings.index_root))
    monkeypatch.setenv("RAG_COUNCIL_EMBEDDER__KIND", "hash")
    assert main(["records"]) == 0
    out = capsys.readouterr().out
    for name in ("000_33f019037055ced6.txt", "001_7c381c5813d62a6f.txt", "002_fe3847f10de2081c.txt"):
        assert f"== {name}" in out
    assert "chair: Councillor Toni Fagan (chairperson)" in out
    assert "draft minutes, for approval at the meeting of 12 March 2024" in out
    assert "review date: September 2024" in out
    assert "! records: minutes of 14 November 2023: the 'Officers:' line of the attendance is empty" in out
    assert main(["records", "--kind", "decision", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["kind"] == "item" and r["notes"]["decision"] for r in rows)
    resolution = next(r for r in rows if r["id"].endswith("item:2023-11-14:168"))["fields"]["resolution"][0]
    source = (Path(BUNDLED_CORPUS) / "000_33f019037055ced6.txt").read_text(encoding="utf-8")
    assert source[resolution["source_start"] : resolution["source_end"]].startswith("Resolved")
    assert main(["records", "--kind", "question", "--committee", "Cabinet"]) == 0
    assert "0 record(s)" in capsys.readouterr().out


def test_any_record_field_can_be_cited_like_a_chunk(engine):
    from rag_council.answer.records import cite_span, index_records_list

    strategy = next(
        r for r in index_records_list(engine.index) if r.kind == "document" and r.value("review_date")
    )
    span = strategy.first("review_date")
    citation = cite_span(engine.index, strategy, span)
    assert citation is not None and citation.quote == "September 2024"
    doc = engine.index.document(span.doc_id)
    assert doc.source_text[citation.chunk.source_start : citation.chunk.source_end] == "September 2024"
    assert citation.to_json()["label"] and citation.to_json()["document"] == strategy.document


def test_officers_from_a_named_body_come_from_those_in_attendance(engine):
    answer = _ask(
        engine,
        "Who from the NHS attended the 23 January 2024 scrutiny meeting in person, "
        "and who was there as democratic services officer?",
    )
    assert answer.text.startswith("In attendance at the Children and Young People Scrutiny Committee")
    assert "Heather Manning" in answer.text and "Ben Baugh" in answer.text
    assert "Councillor Clare Davies" not in answer.text  # the members present were not asked for


def test_officers_of_a_named_service_are_those_whose_post_names_it(engine):
    answer = _ask(
        engine,
        "Which officers from the council's improvement service attended the scrutiny committee on 18 July 2023?",
    )
    assert "Gail Hancock Service Director Improvement" in answer.text
    assert "Nabeel Chaudhry Interim Senior manager for Improvement" in answer.text
    # "service" alone is in many posts: not every Service Director attended for improvement
    assert "Rachel Gillott" not in answer.text and "Simon Cann" not in answer.text


def test_clinicians_in_attendance_are_answered_from_those_in_attendance(engine):
    answer = _ask(engine, "Which NHS trust clinicians attended the November 2023 scrutiny meeting?")
    assert "Dr Katie Powell" in answer.text and "Sonya Upton" in answer.text
    assert "Toni Fagan" not in answer.text  # a member present, not in attendance


def test_a_resolution_with_a_follow_on_question_is_answered_from_the_records(engine):
    answer = _ask(
        engine,
        "What did scrutiny resolve about its work programme in July 2023, and which topics were added?",
    )
    assert "The committee agree the draft work programme" in answer.text


def test_signed_off_asks_who_agreed_the_document(engine):
    answer = _ask(engine, "Which groups signed off the Permanency Strategy?")
    assert "Practitioner Reference Group" in answer.text and "DLT" in answer.text


def test_a_quoted_answer_from_minutes_names_its_meeting_cited_to_the_minutes_header(engine):
    answer = engine.ask("Has anyone asked for a task and finish group on children's services costs?")
    assert not answer.abstained, answer.notice
    first, _, rest = answer.text.partition("\n")
    assert first.startswith(
        "At the Children and Young People Scrutiny Committee meeting of 14 November 2023:"
    )
    assert "task and finish group" in rest
    lead = answer.claims[0]
    assert lead.supported and lead.markers
    cited = next(c for c in answer.citations if c.marker == lead.markers[0])
    assert cited.quote.startswith("Minutes of the meeting of Children and Young People Scrutiny Committee")
    # the lead-in is added after the decision to answer; the checked sentences all stand
    assert all(c.supported for c in answer.claims)


def test_lead_ins_can_be_turned_off(engine):
    settings = engine.settings.model_copy(
        update={"answer": engine.settings.answer.model_copy(update={"lead_ins": False})}
    )
    plain = Engine(settings, engine.index, engine.retriever, engine.generator)
    answer = plain.ask("Has anyone asked for a task and finish group on children's services costs?")
    assert not answer.text.startswith("At the ")
