"""The drafting desk on a small index of the real corpus's public questions (hash embedder)."""

import shutil

import pytest

from rag_council import HashEmbedder, build_index, open_index
from rag_council.drafting import (
    Reference,
    build_draft,
    similar_questions,
    split_public_question,
    to_docx,
    to_markdown,
)
from tests.conftest import CORPUS_FILES


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from rag_council import Settings

    root = tmp_path_factory.mktemp("drafting")
    folder = root / "docs"
    folder.mkdir()
    shutil.copy(CORPUS_FILES[0], folder)  # the minutes with public questions of 14 November 2023
    settings = Settings(index_root=root / "indexes", embedder={"kind": "hash"})
    build_index([folder], settings, embedder=HashEmbedder())
    return open_index(None, settings, embedder=HashEmbedder())


def test_split_public_question_takes_the_last_response():
    text = (
        "Questioner:\tMs A\nQuestion:\nWhy?\n\nResponse:\nVerbal.\n\nResponse (provided 24/11/23):\nWritten."
    )
    assert split_public_question(text) == ("Why?", "Written.")


def test_similar_questions_say_who_asked_when_and_what_the_council_said(engine):
    found = similar_questions(engine, "When will the number of special guardianship orders be increased?")
    assert found, "no earlier public question found"
    reid = [q for q in found if q.questioner.startswith("Ms Reid")]
    assert reid and reid[0].date == "2023-11-14" and reid[0].when == "14 November 2023"
    assert "special guardianship" in reid[0].question.lower() and reid[0].response
    assert len({(q.chunk.doc_id, q.question) for q in found}) == len(found)  # each question once


def test_every_statement_of_the_draft_cites_a_verbatim_reference(engine):
    # The hash embedder's similarities are not MiniLM's: quote any earlier response found.
    draft = build_draft(
        engine, "When will the number of special guardianship orders be increased?", min_similarity=0.0
    )
    assert draft.text.startswith("Thank you for your question.")
    markers = {r.marker for r in draft.references}
    assert markers == set(range(1, len(markers) + 1)) and markers
    for paragraph in draft.text.split("\n\n")[1:]:
        # every statement cites, or the draft says plainly that the documents do not answer
        assert "[" in paragraph or paragraph.startswith("We could not find"), paragraph
    doc = engine.index.document(draft.references[0].doc_id)
    for ref in draft.references:
        assert ref.quote in doc.text


def test_exports_carry_the_edited_text_and_the_references(tmp_path):
    refs = [Reference(1, "Cabinet, 20 July 2017", "cabinet.txt", "18 children placed for adoption", "d", 3)]
    text = (
        "Thank you for your question.\n\n18 children were placed for adoption. [1]\n\nEdited by an officer."
    )
    md = to_markdown("How many?", text, refs)
    assert md.startswith("# Draft response") and "Edited by an officer." in md
    assert (
        "1. Cabinet, 20 July 2017 — *cabinet.txt, p. 3*" in md and "“18 children placed for adoption”" in md
    )
    from docx import Document

    path = to_docx("How many?", text, refs, tmp_path / "draft.docx")
    paragraphs = [p.text for p in Document(str(path)).paragraphs]
    assert "Edited by an officer." in paragraphs and "References" in paragraphs
    assert any(p.startswith("[1] Cabinet, 20 July 2017") for p in paragraphs)
