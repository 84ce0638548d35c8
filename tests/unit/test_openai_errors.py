"""`--generator openai` when the server misbehaves: a 5xx, a server that never answers, one that
stalls mid-stream, a refused connection. Each is a clear RagCouncilError within the timeout,
never a hang, and the API passes it on as JSON (or as an error event when streaming)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from rag_council_app import build_server

from rag_council import HashEmbedder, Settings, build_index, open_index
from rag_council.answer import make_generator
from rag_council.engine import Engine
from rag_council.errors import RagCouncilError
from tests.unit.test_generation import HITS, FixedRetriever

TIMEOUT_S = 1.0


@contextmanager
def fake_server(behaviour: str) -> Iterator[str]:
    """An OpenAI-compatible server on a loopback port that misbehaves as told."""
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if behaviour == "500":
                body = b'{"error": {"message": "model crashed"}}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif behaviour == "silent":
                release.wait(10)  # never answers within the client's timeout
            elif behaviour == "stall":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                chunk = {"choices": [{"delta": {"content": "The central library "}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                release.wait(10)  # then nothing more

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there now


def openai_settings(base: str, **more) -> Settings:
    return Settings(
        embedder={"kind": "hash"},
        answer={"openai": {"base_url": base, "model": "m", "timeout_s": TIMEOUT_S, "max_retries": 1}, **more},
    )


def ask_through(base: str) -> tuple[RagCouncilError, float]:
    settings = openai_settings(base, generator="openai")
    engine = Engine(settings, None, FixedRetriever(HITS), make_generator(settings, None))  # type: ignore[arg-type]
    started = time.perf_counter()
    with pytest.raises(RagCouncilError) as caught:
        engine.ask("When will the library open on Sundays?")
    return caught.value, time.perf_counter() - started


@pytest.mark.timeout(30)
@pytest.mark.parametrize("behaviour", ["500", "silent", "stall"])
def test_a_misbehaving_server_is_a_clear_error_not_a_hang(behaviour):
    with fake_server(behaviour) as base:
        error, elapsed = ask_through(base)
    message = str(error)
    assert base.split("/v1")[0].split("//")[1] in message or "server" in message.lower()
    assert error.hint or "generator" in message  # says how to fix it
    if behaviour == "500":
        assert "500" in message
    assert elapsed < TIMEOUT_S * 3 + 2, f"took {elapsed:.1f} s"


@pytest.mark.timeout(30)
def test_a_refused_connection_is_a_clear_error():
    base = closed_port_url()
    error, elapsed = ask_through(base)
    assert "127.0.0.1" in str(error) and elapsed < 5


@pytest.mark.timeout(60)
def test_the_api_passes_the_generator_error_on_as_json_and_as_an_error_event(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "library.txt").write_text(
        "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month trial."
    )
    with fake_server("500") as base:
        settings = openai_settings(base).model_copy(update={"index_root": tmp_path / "idx"})
        build_index([folder], settings, embedder=HashEmbedder())
        client = TestClient(build_server(open_index(None, settings, embedder=HashEmbedder())))
        body = {
            "model": "rag-council",
            "generator": "openai",
            "messages": [{"role": "user", "content": "When will the central library open on Sundays?"}],
        }
        r = client.post("/v1/chat/completions", json=body)
        assert r.status_code in (400, 502, 503) and "500" in r.json()["error"]["message"]
        with client.stream("POST", "/v1/chat/completions", json=body | {"stream": True}) as s:
            events = [line[6:] for line in s.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert "500" in error["message"] and error["code"] >= 400
