"""Uploads leave nothing behind and cost nothing already indexed (issue 16): Gradio's copies are
deleted once refused or ingested, only inside Gradio's upload folder; a replacement the ingest
refuses leaves the indexed original in place; the app passes app.max_upload_mb to Gradio."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rag_council_app import build_server
from rag_council_app.library import discard_received, received_files
from rag_council_app.main import upload_limit_bytes

from rag_council import HashEmbedder, Settings, build_index, open_index
from rag_council.ingest.pdf import write_text_pdf
from tests.conftest import MEETING_PAGES


@pytest.fixture
def engine(settings: Settings, tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "minutes.txt").write_text("Minutes.\n\nThe committee approved the budget of £4.2 million.")
    build_index([folder], settings, embedder=HashEmbedder())
    return open_index(None, settings, embedder=HashEmbedder())


def test_only_gradios_uploads_are_deleted(tmp_path, monkeypatch):
    gradio = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(gradio))
    (gradio / "ab12").mkdir(parents=True)
    (gradio / "cd34").mkdir()
    taken, shared, kept = gradio / "ab12" / "a.txt", gradio / "cd34" / "b.txt", gradio / "cd34" / "c.txt"
    for p in (taken, shared, kept):
        p.write_text("x")
    outside = tmp_path / "council" / "minutes.txt"
    outside.parent.mkdir()
    outside.write_text("the council's own file")
    discard_received([taken, shared, outside, gradio / "gone.txt", gradio / ".." / "council" / "minutes.txt"])
    assert not taken.exists() and not taken.parent.exists()  # its hash folder went with it
    assert not shared.exists() and kept.exists()  # a folder still holding a file stays
    assert outside.read_text() == "the council's own file"


def test_gradio_file_data_and_paths_are_read_alike(tmp_path):
    data = {"path": str(tmp_path / "ab12" / "agenda_pack.pdf"), "orig_name": "agenda pack.pdf", "size": 3}
    assert received_files([data, str(tmp_path / "x.txt")]) == [
        (tmp_path / "ab12" / "agenda_pack.pdf", "agenda pack.pdf"),
        (tmp_path / "x.txt", "x.txt"),
    ]


def test_a_refused_replacement_keeps_the_indexed_original(engine, tmp_path):
    client = TestClient(build_server(engine))
    pdf = tmp_path / "example-minutes.pdf"
    write_text_pdf(pdf, MEETING_PAGES, title="Example minutes")
    original = pdf.read_bytes()
    first = client.post("/v1/ingest", files=[("files", ("example-minutes.pdf", original, "application/pdf"))])
    assert first.json()["added"] == ["example-minutes.pdf"]
    doc_id = next(r.doc_id for r in engine.index.records() if r.name == "example-minutes.pdf")
    # Passes the upload check (it starts with %PDF-) but the ingest cannot read it.
    broken = b"%PDF-1.4\n1 0 obj garbage, no xref, no trailer\n"
    second = client.post("/v1/ingest", files=[("files", ("example-minutes.pdf", broken, "application/pdf"))])
    assert second.json()["added"] == [] and second.json()["rejected"][0]["file"] == "example-minutes.pdf"
    served = client.get(f"/source/{doc_id}")
    assert served.status_code == 200 and served.content == original
    uploads = engine.index.directory / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["example-minutes.pdf"]  # no .replaced left


def test_a_replacement_that_is_taken_replaces_the_original(engine):
    client = TestClient(build_server(engine))
    for text in ("Minutes.\n\nThe parks budget is 12 pounds.", "Minutes.\n\nThe parks budget is 14 pounds."):
        r = client.post("/v1/ingest", files=[("files", ("parks.txt", text.encode(), "text/plain"))])
        assert r.json()["added"] == ["parks.txt"], r.json()
    doc_id = next(r.doc_id for r in engine.index.records() if r.name == "parks.txt")
    assert "14 pounds" in client.get(f"/source/{doc_id}").text


def test_the_upload_limit_reaches_gradio(engine):
    engine.settings = engine.settings.model_copy(
        update={"app": engine.settings.app.model_copy(update={"max_upload_mb": 2.5})}
    )
    assert upload_limit_bytes(engine.settings) == 2_500_000
    config = TestClient(build_server(engine)).get("/config").json()
    assert config["max_file_size"] == 2_500_000
