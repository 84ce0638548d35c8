"""The app's edges through its real HTTP server (uvicorn run as `serve()` runs it, real Gradio,
embedded Chroma; the hash embedder, since what is tested is the door, not the model):
an upload over app.max_upload_mb is refused by Gradio while it is received and nothing is kept;
every upload the library refuses, and every one it ingests, is gone from Gradio's upload folder
afterwards; 100 wrong passwords, then the right one, is answered 429 until the wait is over
(an injected clock), and X-Forwarded-For gives a client a new address only with app.trust_proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rag_council_app import build_server
from rag_council_app.auth import Credentials, LoginGuard

from rag_council import HashEmbedder, Settings, build_index, open_index
from tests.integration.servers import app_in_thread

LIMIT_MB = 1


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def gradio_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


def make_engine(tmp_path: Path, **app: object):
    settings = Settings(
        index_root=tmp_path / "indexes", embedder={"kind": "hash"}, app={"max_upload_mb": LIMIT_MB, **app}
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "minutes.txt").write_text("Minutes.\n\nThe committee approved the budget of £4.2 million.")
    build_index([docs], settings, embedder=HashEmbedder())
    return open_index(None, settings, embedder=HashEmbedder())


@pytest.fixture
def app_url(tmp_path: Path, gradio_dir: Path) -> Iterator[tuple[str, object]]:
    engine = make_engine(tmp_path)
    with app_in_thread(build_server(engine), engine.settings) as url:
        yield url, engine


def test_an_upload_over_the_limit_is_refused_while_received_and_nothing_is_kept(app_url, gradio_dir):
    url, _ = app_url
    for size in (LIMIT_MB * 1_000_000 + 1, 5 * LIMIT_MB * 1_000_000):
        r = httpx.post(
            f"{url}/gradio_api/upload",
            files={"files": ("agenda-pack.txt", b"x" * size, "text/plain")},
            timeout=120,
        )
        assert r.status_code == 413, r.text
        assert r.text == "File size exceeded maximum allowed size of 1000000 bytes."
        assert files_in(gradio_dir) == []
    # Gradio's page tells the browser the limit too, so it refuses before sending.
    assert httpx.get(f"{url}/config").json()["max_file_size"] == LIMIT_MB * 1_000_000
    at_limit = httpx.post(
        f"{url}/gradio_api/upload", files={"files": ("ok.txt", b"x" * LIMIT_MB * 1_000_000, "text/plain")}
    )
    assert at_limit.status_code == 200 and len(files_in(gradio_dir)) == 1


def test_refused_and_ingested_uploads_leave_nothing_in_gradios_folder(app_url, gradio_dir, tmp_path):
    from gradio_client import Client, handle_file

    url, engine = app_url
    sent = tmp_path / "sent"
    sent.mkdir()
    (sent / "budget.pdf").write_bytes(b"this is not really a pdf")
    (sent / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage, no xref, no trailer\n")
    (sent / "tool.exe").write_bytes(b"MZ\x90\x00")
    (sent / "empty.txt").write_bytes(b"")
    (sent / "parks.txt").write_text(
        "Minutes of the Example Parks Committee held on 2 April 2025.\n\n"
        "1. PLAYGROUND SAFETY\nThe Riverside playground will reopen on 1 May 2025.\n"
    )
    client = Client(url + "/", verbose=False)
    names = ["budget.pdf", "broken.pdf", "tool.exe", "empty.txt", "parks.txt"]
    _, status, *_ = client.predict([handle_file(str(sent / n)) for n in names], api_name="/add")
    assert "Added 1 file(s): parks.txt" in status
    for name, why in [
        ("budget.pdf", "not a PDF"),
        ("broken.pdf", "**broken.pdf**"),
        ("tool.exe", "unsupported file type"),
        ("empty.txt", "the file is empty"),
    ]:
        assert name in status and why in status, (name, status)
    assert files_in(gradio_dir) == []  # refused or ingested, Gradio's copy is gone
    uploads = engine.index.directory / "uploads"
    assert files_in(uploads) == ["parks.txt"]  # the index keeps its own copy of what it took
    doc_id = next(r.doc_id for r in engine.index.records() if r.name == "parks.txt")
    assert "1 May 2025" in httpx.get(f"{url}/source/{doc_id}").text


def test_100_wrong_passwords_then_the_right_one_waits_its_turn(tmp_path, gradio_dir):
    engine = make_engine(tmp_path)
    clock = Clock()
    guard = LoginGuard.from_settings(engine.settings.app, clock=clock)  # 5 free, 1 s, doubling
    server = build_server(engine, Credentials("officer", "s3cret"), guard=guard)
    with app_in_thread(server, engine.settings) as url, httpx.Client(base_url=url) as browser:
        replies = [
            browser.post("/login", data={"username": "officer", "password": f"guess-{i}"}) for i in range(100)
        ]
        assert [r.status_code for r in replies] == [401] * 4 + [429] * 96
        assert "Wrong username or password." in replies[0].text
        right = browser.post("/login", data={"username": "officer", "password": "s3cret"})
        assert right.status_code == 429 and right.headers["retry-after"] == "1"
        assert "Too many failed logins from your address: try again in 1 second (each" in right.text
        assert browser.get("/v1/documents").status_code == 401  # no session was given
        clock.now += 1
        right = browser.post("/login", data={"username": "officer", "password": "s3cret"})
        assert right.status_code == 303
        assert browser.get("/v1/documents").status_code == 200


@pytest.mark.parametrize("trust_proxy", [False, True])
def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(tmp_path, gradio_dir, trust_proxy):
    engine = make_engine(tmp_path, trust_proxy=trust_proxy, login_free_attempts=2)
    guard = LoginGuard.from_settings(engine.settings.app, clock=Clock())
    server = build_server(engine, Credentials(api_key="k3y"), guard=guard)
    with app_in_thread(server, engine.settings) as url:
        statuses = [
            httpx.get(
                f"{url}/v1/documents",
                headers={"Authorization": "Bearer guess", "X-Forwarded-For": f"192.0.2.{i}"},
            ).status_code
            for i in range(6)
        ]
    # Off: each invented address is still this connection's (127.0.0.1), which must wait after 2.
    # On (the connection is from 127.0.0.1, uvicorn's trusted proxy): six clients, one guess each.
    assert statuses == ([401] * 6 if trust_proxy else [401, 429, 429, 429, 429, 429])


def test_an_event_naming_a_file_on_the_server_is_refused(app_url, gradio_dir, tmp_path):
    """Gradio checks the files an event names only once launched, which a mounted app never is:
    a client naming any readable file had it copied into the index and served (issue 16)."""
    url, engine = app_url
    secret = tmp_path / "outside" / "salaries.txt"
    secret.parent.mkdir()
    secret.write_text("Minutes.\n\nConfidential: not for the index.")
    payload = {"path": str(secret), "orig_name": "salaries.txt", "meta": {"_type": "gradio.FileData"}}
    event = httpx.post(f"{url}/gradio_api/call/add", json={"data": [[payload]]}).json()["event_id"]
    with httpx.stream("GET", f"{url}/gradio_api/call/add/{event}", timeout=120) as stream:
        reply = "".join(stream.iter_text())
    assert "event: error" in reply and "not uploaded by a user" in reply, reply
    assert [r.name for r in engine.index.records()] == ["minutes.txt"]
    assert not (engine.index.directory / "uploads" / "salaries.txt").exists()
    assert secret.read_text().startswith("Minutes.")  # and never touched
    # The app's own outputs (its working folder, in the temp folder) still download.
    from gradio_client import Client

    exported = Client(url + "/", verbose=False).predict(api_name="/export_feedback")
    assert Path(exported).is_file() and Path(exported).suffix == ".jsonl"
