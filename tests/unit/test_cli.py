import json
from pathlib import Path

import pytest

from rag_council.cli import main
from tests.schema import check_record


@pytest.fixture
def cli_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("RAG_COUNCIL_INDEX_ROOT", str(tmp_path / "indexes"))
    monkeypatch.setenv("RAG_COUNCIL_EMBEDDER__KIND", "hash")
    # Relevance thresholds are calibrated for MiniLM; hashed bags of words score lower.
    monkeypatch.setenv("RAG_COUNCIL_ANSWER__MIN_RETRIEVAL_SCORE", "0.1")
    monkeypatch.setenv("RAG_COUNCIL_ANSWER__MIN_SENTENCE_SCORE", "0.2")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "minutes.txt").write_text(
        "Resolved: That the adoption annual report be noted by Cabinet on 20 July 2017."
    )
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    return docs


def test_ingest_then_ask_json(cli_env: Path, capsys):
    assert main(["ingest", str(cli_env), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "1 documents" in out and "broken.pdf" in out and "not a readable PDF" in out
    assert (
        main(["ask", "--json", "What did Cabinet note about the adoption report?", "What about potholes?"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    for record in records:
        check_record(record)
    assert records[0]["citations"][0]["document"] == "minutes.txt"
    assert records[1]["abstained"] is True


def test_errors_are_one_line_without_traceback(cli_env: Path, capsys):
    assert main(["ask", "anything", "--index", "missing"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rag-council: error: No index 'missing'") and "rag-council ingest" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_setting_is_one_clear_line(cli_env: Path, capsys, monkeypatch):
    monkeypatch.setenv("RAG_COUNCIL_RETRIEVAL__TOP_K", "zero")
    assert main(["documents"]) == 1
    err = capsys.readouterr().err
    assert "retrieval.top_k" in err and len(err.strip().splitlines()) == 1
