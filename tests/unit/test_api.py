"""The HTTP API on the app's FastAPI server, with fakes (hash embedder, extractive answers)."""

import json

import pytest
from fastapi.testclient import TestClient
from rag_council_app import build_server
from rag_council_app.api import deltas
from rag_council_app.auth import Credentials

DOCS = {
    "transport.txt": "School transport.\n\nThe committee approved a school transport budget of £4.2 million for 2025/26. "
    "Councillor Byron asked how many pupils use buses; the answer was 3,100 pupils.",
    "library.txt": "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month trial.",
}
QUESTION = "What school transport budget did the committee approve?"


@pytest.fixture
def engine(small_engine):
    return small_engine(DOCS)


@pytest.fixture
def client(engine):
    return TestClient(build_server(engine))


def ask(question: str, **more):
    return {"model": "rag-council", "messages": [{"role": "user", "content": question}], **more}


def test_chat_completion_has_the_checked_answer_and_its_sources(client):
    r = client.post("/v1/chat/completions", json=ask(QUESTION))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    content = body["choices"][0]["message"]["content"]
    assert "£4.2 million" in content and "[1]" in content
    extra = body["rag_council"]
    assert extra["answer"] == content and not extra["abstained"]
    for c in extra["citations"]:
        assert c["quote"] and c["quote"] in c["text"]
    assert extra["retrieved"] and extra["claims"]


def test_streamed_completion_joins_to_the_same_answer_and_ends_with_the_sources(client):
    events = []
    with client.stream("POST", "/v1/chat/completions", json=ask(QUESTION, stream=True)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(line[6:])
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["rag_council"]["answer"] == text and "[1]" in text
    assert all("rag_council" not in c for c in chunks[:-1])


def test_follow_up_is_read_with_the_conversation(client):
    messages = [
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "The committee approved £4.2 million [1]."},
        {"role": "user", "content": "How many pupils use buses?"},
    ]
    body = client.post("/v1/chat/completions", json={"model": "rag-council", "messages": messages}).json()
    assert body["rag_council"]["read_as"]
    assert "3,100" in body["choices"][0]["message"]["content"]


def test_filters_narrow_the_answer_and_bad_requests_are_clear_json(client):
    narrowed = client.post(
        "/v1/chat/completions", json=ask(QUESTION, filters={"committee": "No such committee"})
    ).json()
    assert narrowed["rag_council"]["abstained"]
    bad = client.post("/v1/chat/completions", json=ask(QUESTION, filters={"since": "last year"}))
    assert bad.status_code == 400 and "filters.since" in bad.json()["error"]["message"]
    model = client.post("/v1/chat/completions", json={**ask(QUESTION), "model": "gpt-4"})
    assert model.status_code == 404 and "rag-council" in model.json()["error"]["message"]
    gen = client.post("/v1/chat/completions", json=ask(QUESTION, generator="openai"))
    assert gen.status_code == 400 and "not available" in gen.json()["error"]["message"]
    empty = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert empty.status_code == 400 and "user" in empty.json()["error"]["message"]


def test_retrieve_passage_documents_and_health(client, engine):
    r = client.post("/v1/retrieve", json={"query": "library Sundays", "top_k": 2}).json()
    assert r["passages"] and r["passages"][0]["document"] == "library.txt"
    first = r["passages"][0]
    assert {"label", "score", "text", "chunk_id"} <= set(first)
    one = client.get(f"/v1/passages/{first['chunk_id']}").json()
    assert one["text"] == first["text"] and one["label"] == first["label"]
    assert client.get("/v1/passages/nope").status_code == 404
    docs = client.get("/v1/documents").json()["documents"]
    assert sorted(d["name"] for d in docs) == sorted(DOCS)
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] == 2
    assert "/v1/chat/completions" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_records_say_501_until_the_index_keeps_them(client, engine, monkeypatch):
    import importlib.util
    import sys
    import types
    import typing
    from dataclasses import dataclass

    if importlib.util.find_spec("rag_council.index.records") is None:
        r = client.get("/v1/records")
        assert r.status_code == 501 and "records" in r.json()["error"]["message"]

    @dataclass
    class FakeRecord:
        kind: str
        date: str
        committee: str = "Cabinet"

        def to_json(self):
            return {"kind": self.kind, "date": self.date, "committee": self.committee}

    class FakeStore:
        seen: typing.ClassVar[list] = []

        @classmethod
        def at(cls, directory):
            cls.seen.append(directory)
            return cls()

        def list(self, kind=None, doc_ids=None, committee=None):
            rows = [
                FakeRecord("meeting", "2023-11-14"),
                FakeRecord("item", "2023-11-14"),
                FakeRecord("item", "2017-06-22"),
            ]
            return [r for r in rows if kind is None or r.kind == kind]

    fake = types.ModuleType("rag_council.index.records")
    fake.RecordStore = FakeStore
    monkeypatch.setitem(sys.modules, "rag_council.index.records", fake)
    r = client.get("/v1/records", params={"kind": "item", "since": "2020-01-01"})
    assert r.status_code == 200, r.text
    assert r.json()["records"] == [{"kind": "item", "date": "2023-11-14", "committee": "Cabinet"}]
    assert FakeStore.seen == [engine.index.directory]


def test_ingest_checks_uploads_and_delete_removes(client, engine):
    files = [
        ("files", ("parks.txt", b"Parks.\n\nThe parks budget is 12 pounds.", "text/plain")),
        ("files", ("fake.pdf", b"not a pdf", "application/pdf")),
        ("files", ("tool.exe", b"MZ", "application/octet-stream")),
    ]
    r = client.post("/v1/ingest", files=files)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == ["parks.txt"] and body["documents"] == 3
    reasons = {x["file"]: x["reason"] for x in body["rejected"]}
    assert "not a PDF" in reasons["fake.pdf"] and "unsupported" in reasons["tool.exe"]
    doc_id = next(
        d["doc_id"] for d in client.get("/v1/documents").json()["documents"] if d["name"] == "parks.txt"
    )
    assert client.delete(f"/v1/documents/{doc_id}").json()["removed"] == ["parks.txt"]
    assert client.delete(f"/v1/documents/{doc_id}").status_code == 404
    assert len(engine.index.records()) == 2


def test_ingest_refuses_a_file_over_the_limit(engine, settings):
    engine.settings = settings.model_copy(
        update={"app": settings.app.model_copy(update={"max_upload_mb": 0.001})}
    )
    client = TestClient(build_server(engine))
    r = client.post("/v1/ingest", files=[("files", ("big.txt", b"x " * 1000, "text/plain"))]).json()
    assert r["added"] == [] and "limit" in r["rejected"][0]["reason"]


def test_one_login_guards_the_api_the_app_and_the_sources(engine):
    client = TestClient(build_server(engine, Credentials("officer", "pw", api_key="k3y")))
    doc_id = engine.index.records()[0].doc_id
    assert client.get("/healthz").status_code == 200
    for path in ("/v1/documents", f"/source/{doc_id}", "/config"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["error"]["type"] == "unauthorized", path
    assert client.get("/v1/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/v1/documents", headers={"Authorization": "Bearer k3y"}).status_code == 200
    page = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.post("/login", data={"username": "officer", "password": "nope"}).status_code == 401
    login = client.post(
        "/login", data={"username": "officer", "password": "pw", "next": "//evil"}, follow_redirects=False
    )
    assert login.status_code == 303 and login.headers["location"] == "/"
    assert client.get(f"/source/{doc_id}").status_code == 200
    assert client.get("/v1/documents").status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    client.get("/logout")
    assert client.get("/v1/documents").status_code == 401


def test_sessions_are_signed_and_expire():
    creds = Credentials("officer", "pw")
    token = creds.session("officer", now=1000.0)
    assert creds.session_ok(token, now=1001.0)
    assert not creds.session_ok(token, now=1000.0 + 13 * 3600)
    assert not creds.session_ok(token.replace("officer", "admin"), now=1001.0)
    assert not Credentials("officer", "pw").session_ok(token, now=1001.0)  # another server's key


def test_deltas_join_back_exactly():
    text = "The committee approved  £4.2 million [1]. Buses carry 3,100 pupils [2]."
    assert "".join(deltas(text, 3)) == text


def test_sources_can_be_written_into_the_content_for_plain_front_ends(client):
    models = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert "rag-council:sources" in models
    body = client.post("/v1/chat/completions", json={**ask(QUESTION), "model": "rag-council:sources"}).json()
    content = body["choices"][0]["message"]["content"]
    extra = body["rag_council"]
    assert content.startswith(extra["answer"]) and "\nSources:\n[1] " in content
    assert extra["citations"][0]["quote"].split()[0] in content.split("Sources:")[1]
    plain = client.post("/v1/chat/completions", json=ask(QUESTION, sources_in_content=False)).json()
    assert plain["choices"][0]["message"]["content"] == plain["rag_council"]["answer"]
