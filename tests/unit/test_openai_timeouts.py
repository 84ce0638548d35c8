"""`--generator openai`'s first-byte and total timeouts against real loopback sockets: a server
that accepts and never answers, one that sends headers and then stalls, one that sends only
keep-alive comments, one that stops mid-answer, one that streams tokens slowly beyond the total,
and a healthy one that must not be cut. Each failure is a one-line GeneratorError naming the
timeout and the setting to change, and comes after about the configured time (the upper bounds
are generous: they say "not a hang", not how fast)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from rag_council import Settings
from rag_council.answer.openai import OpenAIGenerator
from rag_council.errors import GeneratorError
from tests.unit.test_generation import HITS

FIRST_BYTE = 0.5
TOTAL = 1.2
SLACK = 2.5  # seconds allowed beyond a timeout before it counts as a hang (a loaded machine)

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"


def token(text: str) -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    chunk["choices"] = [{"index": 0, "delta": {"content": text}, "finish_reason": None}]
    return f"data: {json.dumps(chunk)}\n\n".encode()


@contextmanager
def raw_server(behave: Callable[[socket.socket, threading.Event], None]) -> Iterator[tuple[str, list[float]]]:
    """A TCP server on a loopback port; each connection is read up to the end of the request's
    headers and body, then handed to `behave(conn, stop)`. Yields the /v1 URL and the times at
    which connections were accepted."""
    stop = threading.Event()
    accepted: list[float] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    conns: list[socket.socket] = []

    def read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        while len(body) < length:
            more = conn.recv(65536)
            if not more:
                return
            body += more

    def handle(conn: socket.socket) -> None:
        try:
            read_request(conn)
            behave(conn, stop)
        except OSError:
            pass

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(time.monotonic())
            conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", accepted
    finally:
        stop.set()
        thread.join(2)
        listener.close()
        for c in conns:
            c.close()


def silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)  # accepts, reads the request, never answers


def headers_then_stall(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS)
    stop.wait(30)


def keep_alive_only(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS)
    while not stop.wait(0.1):  # bytes keep coming (well within any read timeout), tokens never
        conn.sendall(b": ping\n\n")


def one_token_then_stall(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS + token("The central library "))
    stop.wait(30)


def slow_tokens(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS)
    n = 0
    while not stop.wait(0.1):  # a token every 0.1 s, for ever: never a pause, never done
        conn.sendall(token(f"word{n} "))
        n += 1


def healthy(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS)
    for piece in ["The central library ", "will open on Sundays ", "from 1 June 2025 [1]."]:
        time.sleep(0.15)
        conn.sendall(token(piece))
    conn.sendall(b"data: [DONE]\n\n")
    conn.shutdown(socket.SHUT_WR)


def generator(base: str, **openai: float) -> OpenAIGenerator:
    s = {"base_url": base, "model": "m", "first_byte_timeout_s": FIRST_BYTE, "total_timeout_s": TOTAL}
    s.update(openai)
    return OpenAIGenerator(Settings(embedder={"kind": "hash"}, answer={"openai": s}).answer.openai)


def run(gen: OpenAIGenerator) -> tuple[list[str], GeneratorError | None, float]:
    pieces: list[str] = []
    started = time.monotonic()
    try:
        for piece in gen.stream("When will the library open on Sundays?", HITS):
            pieces.append(piece)
    except GeneratorError as exc:
        return pieces, exc, time.monotonic() - started
    return pieces, None, time.monotonic() - started


def one_line(error: GeneratorError) -> str:
    text = str(error)
    assert "\n" not in text
    return text


@pytest.mark.timeout(30)
@pytest.mark.parametrize("behave", [silent, headers_then_stall, keep_alive_only], ids=lambda f: f.__name__)
def test_no_first_token_in_time_is_the_first_byte_timeout_without_retries(behave):
    with raw_server(behave) as (base, accepted):
        pieces, error, elapsed = run(generator(base, max_retries=2, total_timeout_s=20))
    assert error is not None and not pieces
    text = one_line(error)
    assert "first-byte timeout" in text and "answer.openai.first_byte_timeout_s" in text
    assert "sent no answer within 0.5 s" in text
    assert FIRST_BYTE * 0.9 <= elapsed < FIRST_BYTE + SLACK, f"took {elapsed:.2f} s"
    assert len(accepted) == 1  # a server that never answers is not asked again


@pytest.mark.timeout(30)
def test_a_stall_mid_answer_is_the_first_byte_timeout_too():
    with raw_server(one_token_then_stall) as (base, _):
        pieces, error, elapsed = run(generator(base, total_timeout_s=20))
    assert pieces == ["The central library "]
    assert error is not None
    text = one_line(error)
    assert "stopped sending mid-answer for 0.5 s" in text and "first_byte_timeout_s" in text
    assert FIRST_BYTE * 0.9 <= elapsed < FIRST_BYTE + SLACK, f"took {elapsed:.2f} s"


@pytest.mark.timeout(30)
def test_tokens_that_keep_coming_past_the_total_are_cut_at_the_total_timeout():
    with raw_server(slow_tokens) as (base, _):
        pieces, error, elapsed = run(generator(base))
    assert error is not None and len(pieces) >= 3  # it was answering, just not finishing
    text = one_line(error)
    assert "total timeout" in text and "answer.openai.total_timeout_s" in text and "1.2 s" in text
    assert TOTAL * 0.9 <= elapsed < TOTAL + SLACK, f"took {elapsed:.2f} s"


@pytest.mark.timeout(30)
def test_a_total_shorter_than_the_first_byte_timeout_wins():
    with raw_server(silent) as (base, _):
        _, error, elapsed = run(generator(base, first_byte_timeout_s=10, total_timeout_s=0.6))
    assert error is not None and "total_timeout_s" in str(error)
    assert 0.5 <= elapsed < 0.6 + SLACK, f"took {elapsed:.2f} s"


@pytest.mark.timeout(30)
def test_a_healthy_stream_is_not_cut():
    # three tokens 0.15 s apart: each pause under the first-byte timeout, all within the total
    with raw_server(healthy) as (base, _):
        pieces, error, _ = run(generator(base))
    assert error is None
    assert "".join(pieces) == "The central library will open on Sundays from 1 June 2025 [1]."


@pytest.mark.timeout(30)
def test_a_5xx_is_retried_within_the_total_and_then_answered():
    calls = []

    def flaky(conn: socket.socket, stop: threading.Event) -> None:
        calls.append(1)
        if len(calls) == 1:
            body = b'{"error": {"message": "warming up"}}'
            conn.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            conn.shutdown(socket.SHUT_WR)
            return
        healthy(conn, stop)

    with raw_server(flaky) as (base, _):
        pieces, error, _ = run(generator(base, max_retries=2, total_timeout_s=10))
    assert error is None and len(calls) == 2 and pieces


def test_the_old_timeout_s_setting_is_read_as_the_total():
    s = Settings(answer={"openai": {"base_url": "http://127.0.0.1:9/v1", "timeout_s": 7}}).answer.openai
    assert s.total_timeout_s == 7 and s.first_byte_timeout_s == 20
    fresh = Settings(answer={"openai": {"base_url": "http://x/v1", "total_timeout_s": 9}}).answer.openai
    assert fresh.total_timeout_s == 9


def test_the_old_timeout_s_environment_variable_is_read_too(monkeypatch):
    monkeypatch.setenv("RAG_COUNCIL_ANSWER__OPENAI__TIMEOUT_S", "33")
    assert Settings().answer.openai.total_timeout_s == 33
