"""Council structure and metadata, checked against the text of the five bundled documents.
Parsing needs no model; every test reads the real files."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from rag_council import HashEmbedder, Settings
from rag_council.ingest import load_document
from rag_council.ingest.chunking import Chunker
from rag_council.ingest.cleaning import normalise_for_match
from rag_council.ingest.council import council_clean, parse_council
from rag_council.types import DocType, Document, Section
from tests.conftest import CORPUS_FILES

CYP = "Children and Young People Scrutiny Committee"


@lru_cache(maxsize=8)
def doc(prefix: str) -> Document:
    path = next(p for p in CORPUS_FILES if p.name.startswith(prefix))
    return load_document(path, path.name, 10**9)


def body(d: Document, s: Section) -> str:
    return d.text[s.start : s.end]


def find(d: Document, heading: str | None = None, **meta) -> list[Section]:
    return [
        s
        for s in d.sections
        if all(s.meta.get(k) == v for k, v in meta.items()) and (heading is None or s.heading == heading)
    ]


# --- cleaning ------------------------------------------------------------------------------


def test_running_footers_watermarks_and_template_residue_are_removed():
    cabinet = doc("003").text
    assert "Further information on the subject of this report" not in cabinet
    assert not re.search(r"(?m)^DRAFT$", cabinet)
    assert "Insert signature" not in cabinet and "insert hyperlink" not in cabinet
    # the footer split a sentence: it is joined again
    assert "partners, parents or friends when fulfilling their caring role" in " ".join(cabinet.split())
    pack = doc("002").text
    assert "Herefordshire Council 12 MARCH 2024" not in pack
    assert "I will update these details" not in pack
    early_help = doc("004").text
    assert "Click or tap" not in early_help and "Please include a glossary" not in early_help
    assert "<p>" not in early_help and "</p>" not in early_help


def test_html_in_table_rows_stays_on_the_row():
    tracked = council_clean("Who\tWhat\n1\t<p>First thing</p> <p>Second thing</p>\tCouncil\n")
    assert tracked.text.splitlines()[1] == "1\tFirst thing; Second thing\tCouncil"


def test_cleaned_text_keeps_its_way_back_to_the_source():
    """For every chunk of every bundled document, the source span holds the chunk's words."""
    chunker = Chunker(Settings(embedder={"kind": "hash"}).chunking, HashEmbedder().tokenize)
    for path in CORPUS_FILES:
        d = load_document(path, path.name, 10**9)
        for chunk in chunker.chunk(d):
            source = normalise_for_match(d.source_text[chunk.source_start : chunk.source_end])
            words = normalise_for_match(chunk.text).split()
            found = sum(1 for w in words if w in source)
            assert found >= 0.9 * len(words), (path.name, chunk.text[:80])


# --- minutes -------------------------------------------------------------------------------


def test_minutes_items_have_numbers_titles_committee_and_date():
    d = doc("000")
    assert d.meta["doc_type"] == "minutes" and d.meta["committee"] == CYP and d.meta["date"] == "2023-11-14"
    items = {s.meta["item_no"]: s for s in find(d, doc_type="minutes") if "item_no" in s.meta}
    assert sorted(items) == list(range(162, 175))
    co_opted = items[168]
    assert co_opted.meta["item_title"] == "Co-opted member recruitment update"
    assert body(d, co_opted).startswith("168. CO-OPTED MEMBER RECRUITMENT UPDATE")
    assert "Recommends to full Council" in body(d, co_opted)
    assert (
        co_opted.meta["label"] == f"{CYP}, 14 November 2023, minute 168, Co-opted member recruitment update"
    )
    assert items[170].meta["item_title"].startswith("Special educational needs and/or disability (SEND)")
    for s in find(d, doc_type="minutes"):
        assert s.meta["date"] == "2023-11-14" and s.meta["committee"] == CYP


def test_resolutions_and_actions_are_recognised():
    d = doc("000")
    actions = [s for s in find(d, item_no=169) if s.meta.get("decision") == "action"]
    assert actions and body(d, actions[-1]).startswith("Action: To add the Autism Strategy")
    assert find(d, item_no=168)[0].meta.get("decision") == "resolved"
    recommendation = [s for s in find(d, item_no=170) if s.meta.get("decision") == "recommendation"]
    assert recommendation and "early intervention in schools is funded adequately" in body(
        d, recommendation[0]
    )


@pytest.mark.parametrize(
    ("prefix", "first", "last", "date", "committee", "pack_date"),
    [
        ("002", 175, 185, "2024-01-23", CYP, "2024-03-12"),
        ("003", 1, 8, "2017-06-22", "Cabinet", "2017-07-20"),
        ("004", 142, 151, "2023-07-18", CYP, "2023-09-26"),
    ],
)
def test_minutes_inside_an_agenda_pack_carry_their_own_meeting_date(
    prefix, first, last, date, committee, pack_date
):
    d = doc(prefix)
    assert d.meta["doc_type"] == "agenda" and d.meta["date"] == pack_date and d.meta["committee"] == committee
    assert date in d.meta["dates"] and pack_date in d.meta["dates"]
    minutes = [s for s in find(d, doc_type="minutes") if "item_no" in s.meta]
    numbers = sorted({s.meta["item_no"] for s in minutes})
    assert numbers[0] == first and numbers[-1] == last and numbers == list(range(first, last + 1))
    for s in minutes:
        assert s.meta["date"] == date, s.heading
        if s.heading not in ("Resolved", "Recommendation", "Actions"):
            assert body(d, s).startswith(f"{s.meta['item_no']}. ")
        else:
            assert s.meta["decision"] and re.match(r"(?i)resolved|recommendation|action", body(d, s))
    # sections after the minutes belong to the pack's meeting
    reports = find(d, doc_type="officer_report")
    assert reports and all(s.meta["date"] == pack_date for s in reports)


# --- public questions ----------------------------------------------------------------------


def test_public_questions_keep_question_and_response_together():
    d = doc("000")
    questions = find(d, doc_type="public_questions")
    assert [(s.meta["questioner"], s.meta["supplementary"]) for s in questions] == [
        ("Ms Hannah Currie", False),
        ("Ms Reid, Hereford", False),
        ("Ms Hannah Currie", True),
        ("Ms Reid, Hereford", True),
    ]
    for s in questions:
        text = body(d, s)
        assert text.startswith("Questioner:")
        assert "Question:" in text and "Response:" in text
        assert s.meta["date"] == "2023-11-14"
    assert "Response (provided 24/11/23)" in body(d, questions[2])
    assert questions[2].meta["response_date"] == "2023-11-24"
    assert questions[0].meta["label"] == f"{CYP}, 14 November 2023, public question from Ms Hannah Currie"


def test_public_questions_of_two_meetings_in_one_pack():
    d = doc("004")
    questions = find(d, doc_type="public_questions")
    july = [s for s in questions if s.meta["date"] == "2023-07-18"]
    september = [s for s in questions if s.meta["date"] == "2023-09-26"]
    assert [s.meta["questioner"] for s in july] == ["Ms Reid Herefordshire", "Hannah Currie", "Jennie Hewitt"]
    assert len(september) == 4 and september[0].meta["questioner"] == "Eddy Parkinson"
    assert july[0].meta["channel"] == "email" and july[2].meta["channel"] == "verbal"
    for s in questions:
        assert body(d, s).startswith("Questioner:") and "Response" in body(d, s)


# --- officer reports and appendices --------------------------------------------------------


def test_officer_report_cover_sheet_fields():
    d = doc("002")
    covers = [s for s in find(d, doc_type="officer_report") if s.heading == "Cover sheet"]
    assert [s.meta["report_title"] for s in covers] == [
        "Corporate Parenting Service",
        "Corporate Parenting Board",
    ]
    board = covers[1]
    assert board.meta["report_by"] == "Victoria Gibbs - Service Director, Early Help, QA and Prevention"
    assert board.meta["date"] == "2024-03-12" and board.meta["committee"] == CYP
    assert "Recommendation(s)" in body(d, board) and "The committee considers the report" in body(d, board)
    headings = [
        s.heading for s in find(d, report_title="Corporate Parenting Board", doc_type="officer_report")
    ]
    for name in ("Alternative options", "Key considerations", "Equality duty", "Legal implications"):
        assert name in headings

    cabinet = doc("003")
    titles = [
        s.meta["report_title"] for s in find(cabinet, doc_type="officer_report") if s.heading == "Cover sheet"
    ]
    assert titles == [
        "Carers strategy for Herefordshire",
        "Corporate parenting strategy 2017- 2020",
        "Adoption Service annual report 2016-17",
        "Fostering Service annual report 2016-17",
    ]
    carers = find(cabinet, report_title="Carers strategy for Herefordshire", heading="Cover sheet")
    assert carers[0].meta["report_by"] == "Cabinet member, health and wellbeing"
    assert carers[0].meta["committee"] == "Cabinet" and carers[0].meta["date"] == "2017-07-20"


def test_appendices_follow_their_report():
    d = doc("003")
    appendices = {(s.meta["report_title"], s.meta["appendix"]) for s in find(d, doc_type="appendix")}
    assert appendices == {
        ("Carers strategy for Herefordshire", "Appendix 1: Draft joint carers strategy for Herefordshire"),
        (
            "Carers strategy for Herefordshire",
            "Appendix 2: Proposed commissioning intentions for carers services",
        ),
        ("Corporate parenting strategy 2017- 2020", "Appendix A: Corporate parenting strategy"),
        (
            "Corporate parenting strategy 2017- 2020",
            "Appendix B: Corporate parenting strategy needs assessment",
        ),
        ("Adoption Service annual report 2016-17", "Appendix A: Annual adoption report 2016-17"),
        ("Adoption Service annual report 2016-17", "Appendix B: Statement of purpose May 2017"),
        ("Fostering Service annual report 2016-17", "Appendix A: Fostering annual report 2016/17"),
        ("Fostering Service annual report 2016-17", "Appendix B: The young people's guide"),
        ("Fostering Service annual report 2016-17", "Appendix C: Statement of purpose."),
    }
    commissioning = find(d, appendix="Appendix 2: Proposed commissioning intentions for carers services")
    assert body(d, commissioning[0]).startswith("Commissioning Intentions")
    needs = find(d, appendix="Appendix B: Corporate parenting strategy needs assessment")
    assert body(d, needs[0]).startswith("Corporate Parenting Strategy – Needs analysis")

    pack = doc("004")
    early_help = [s.meta["appendix"] for s in find(pack, doc_type="appendix", report_title="Early Help")]
    assert list(dict.fromkeys(early_help)) == [
        "Appendix 1: Scrutiny presentation 7th September 23",
        "Appendix 2: Early Help and Prevention Strategy Final",
        "Appendix 3: Right Help Right Time Levels of Need Framework 2020",
    ]
    strategy = find(pack, appendix="Appendix 2: Early Help and Prevention Strategy Final")
    assert "Early Help and Prevention Strategy" in body(pack, strategy[0])
    assert find(pack, doc_type="work_programme")


def test_sub_appendices_and_strategy_headings_inside_an_appendix():
    d = doc("002")
    strategy = find(d, doc_type="appendix", report_title="Corporate Parenting Board")
    assert strategy and all(
        s.meta["appendix"] == "Appendix 1: Corporate Parenting Strategy" for s in strategy
    )
    headings = [s.heading for s in strategy]
    assert "What is 'Corporate Parenting'?" in headings and "The Herefordshire Approach" in headings
    subs = {s.meta.get("sub_appendix") for s in strategy} - {None}
    assert len(subs) >= 5 and all(str(x).startswith("Appendix ") for x in subs)


# --- strategies, duplicates, boilerplate ---------------------------------------------------


def test_strategy_headings():
    d = doc("001")
    assert d.meta["doc_type"] == "strategy" and d.title.startswith("Permanency Strategy")
    numbered = [s.heading for s in d.sections if re.match(r"\d\. ", s.heading)]
    assert numbered[:4] == [
        "1. Background to the Permanence Strategy",
        "2. Definition of Permanency",
        "3. Aims of the Permanence Strategy",
        "4. Herefordshire's Priorities",
    ]
    sibling = find(d, heading="Sibling Groups")[0]
    assert sibling.path == (
        "Permanency Strategy",
        "5. Considerations for Permanence Planning",
        "Sibling Groups",
    )
    assert body(d, sibling).lstrip("#* ").startswith("Sibling Groups")
    assert sibling.meta["label"] == f"{d.title}, Sibling Groups"


def test_a_strategy_pasted_into_minutes_is_an_appendix_of_that_meeting():
    d = doc("000")
    pasted = find(d, doc_type="appendix")
    assert pasted and {s.meta["appendix"] for s in pasted} == {"Permanency Strategy"}
    assert body(d, pasted[0]).startswith("Permanency Strategy")
    assert all(s.meta["date"] == "2023-11-14" for s in pasted)
    assert "Sibling Groups" in [s.heading for s in pasted]
    # the last public question stops where the strategy starts
    last_question = find(d, doc_type="public_questions")[-1]
    assert last_question.end <= pasted[0].start


def test_boilerplate_pages_are_not_sections():
    for prefix in ("002", "003", "004"):
        d = doc(prefix)
        assert d.meta["boilerplate_dropped"]
        for s in d.sections:
            text = body(d, s)
            assert "Holders of public office should be truthful" not in text
            assert "filming, photography and recording of this meeting" not in text
            assert "vacate the building in an orderly manner" not in text


def test_sections_never_overlap_and_carry_complete_metadata():
    for path in CORPUS_FILES:
        d = load_document(path, path.name, 10**9)
        assert not d.warnings, d.warnings
        assert d.meta["sections"] == len(d.sections) >= 20
        for a, b in zip(d.sections, d.sections[1:], strict=False):
            assert a.end <= b.start
        for s in d.sections:
            assert s.meta.get("doc_type") and s.meta.get("label"), s
            assert all(v is not None for v in s.meta.values())
            if d.meta["doc_type"] != "strategy":
                assert s.meta.get("committee") and s.meta.get("date"), (path.name, s.heading)


def test_unrecognised_structure_falls_back_to_plain_sections_with_a_warning(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Shopping\n\nEggs and milk.\n\n# Garden\n\nMow the lawn.\n", encoding="utf-8")
    d = load_document(path, path.name, 10**6)
    assert [s.heading for s in d.sections] == ["Shopping", "Garden"]
    assert any("structure not recognised" in w for w in d.warnings)
    assert parse_council(d.text, d.title) is None


def test_every_document_type_the_parser_emits_is_a_doc_type():
    seen: set[str] = set()
    for path in CORPUS_FILES:
        d = doc(path.name[:3])
        seen |= {str(d.meta["doc_type"])} | {str(s.meta["doc_type"]) for s in d.sections}
    assert seen <= {t.value for t in DocType}
    assert {"minutes", "public_questions", "officer_report", "appendix", "strategy"} <= seen
