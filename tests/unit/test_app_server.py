"""The app's one extra route: only indexed files open, and only after login when auth is on."""

import pytest
from fastapi.testclient import TestClient
from rag_council_app import build_server

from rag_council import HashEmbedder, Settings, build_index, open_index


@pytest.fixture
def engine(settings: Settings, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "minutes.txt").write_text("Minutes.\n\nThe committee approved the budget of £4.2 million.")
    (folder / "page.html").write_text(
        "<html><body><p>Library hours.</p><script>alert(1)</script></body></html>"
    )
    build_index([folder], settings, embedder=HashEmbedder())
    (tmp_path / "secret.txt").write_text("not indexed")
    return open_index(None, settings, embedder=HashEmbedder())


def test_only_indexed_files_are_served(engine):
    client = TestClient(build_server(engine))
    records = {r.name: r for r in engine.index.records()}
    response = client.get(f"/source/{records['minutes.txt'].doc_id}")
    assert response.status_code == 200 and "£4.2 million" in response.text
    assert response.headers["content-type"].startswith("text/plain")
    html = client.get(f"/source/{records['page.html'].doc_id}")
    assert html.status_code == 200 and html.headers["content-security-policy"] == "sandbox"
    assert client.get("/source/0123456789abcdef").status_code == 404
    assert client.get("/source/..%2Fsecret.txt").status_code == 404


def test_with_auth_the_files_need_a_login(engine):
    client = TestClient(build_server(engine, auth=("officer", "pw")))
    doc_id = engine.index.records()[0].doc_id
    assert client.get(f"/source/{doc_id}").status_code == 401
    assert client.post("/login", data={"username": "officer", "password": "wrong"}).status_code >= 400
    assert client.post("/login", data={"username": "officer", "password": "pw"}).status_code == 200
    assert client.get(f"/source/{doc_id}").status_code == 200
