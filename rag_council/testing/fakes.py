"""Honest fakes for tests and plugin authors: no model, no server, deterministic.

* `ScriptedGenerator(reply)`: replies with a fixed text (or `reply(question, passages)`), in
  small pieces like tokens, and counts its calls;
* `EchoModel`: a stand-in for an LLM that follows the prompt's rules: it copies the passage
  sentence that shares most content words with the question, with its marker, or replies
  with the fixed decline sentence when no passage shares any; `EchoGenerator` wraps it;
* `FixedRetriever(hits)`: always the same hits;
* `FakeOpenAIServer`: an OpenAI-compatible chat server on localhost answering with `EchoModel`
  (streaming with server-sent events, usage on the last chunk), or failing on demand;
* `sample_hits()`: three passages of example minutes."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from rag_council.answer.base import GenerationResult, Generator, declines
from rag_council.answer.prompt import DECLINE
from rag_council.text import content_terms, sentence_spans, squash
from rag_council.types import Chunk, Filters, Hit

TRANSPORT = (
    "2. SCHOOL TRANSPORT POLICY\nThe committee discussed the cost of school transport. "
    "Resolved: That the school transport budget of £4.2 million be approved for 2025/26."
)
LIBRARY = (
    "3. LIBRARY OPENING HOURS\nThe committee heard that the central library will open on Sundays "
    "from 1 June 2025. Resolved: That Sunday opening be trialled for twelve months."
)
APOLOGIES = "1. APOLOGIES FOR ABSENCE\nApologies were received from Councillor Ada Byron."


def hit(n: int, text: str, dense: float = 0.8) -> Hit:
    chunk = Chunk(
        f"c{n}", "d1", "minutes.txt", text, 0, len(text), n, title="Example minutes", section=f"item {n}"
    )
    return Hit(chunk, 1.0 / n, n, dense=dense)


def sample_hits() -> list[Hit]:
    """Three passages of example minutes (transport, library, apologies), cosine 0.8 each."""
    return [hit(1, TRANSPORT), hit(2, LIBRARY), hit(3, APOLOGIES)]


class FixedRetriever:
    """A retriever that always returns the same hits (the first k)."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.hits[:k]


class ScriptedGenerator(Generator):
    """Replies with `reply` (a text, or a function of the question and passages), in pieces of
    `piece` characters; `calls` counts the calls, `taken` the pieces taken, `closed` whether
    the last call was closed (a stopped model)."""

    name = "scripted"
    description = "a fixed reply, for tests"

    def __init__(
        self, reply: str | Callable[[str, list[Hit]], str], *, name: str | None = None, piece: int = 7
    ) -> None:
        self.reply = reply
        if name:
            self.name = name
        self.piece = piece
        self.calls = 0
        self.taken = 0
        self.closed = False

    def text_for(self, question: str, passages: list[Hit]) -> str:
        return self.reply(question, passages) if callable(self.reply) else self.reply

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        self.calls += 1
        text = self.text_for(question, passages)
        result.raw = text
        if declines(text):
            result.outcome, result.reason = "declined", "the script declines"
        try:
            for i in range(0, len(text), self.piece):
                self.taken += 1
                yield text[i : i + self.piece]
        finally:
            self.closed = True


_WORD = re.compile(r"[a-z0-9£]+")


class EchoModel:
    """A rule-following stand-in for an LLM (see the module docstring)."""

    def reply(self, question: str, passages: list[str]) -> str:
        terms = set(content_terms(question))
        best: tuple[int, int, str] | None = None
        for n, text in enumerate(passages, start=1):
            for a, b in sentence_spans(text):
                sentence = squash(text[a:b])
                if len(sentence.split()) < 4:
                    continue
                score = len(terms & set(content_terms(sentence)))
                if score and (best is None or score > best[0]):
                    best = (score, n, sentence)
        if best is None:
            return DECLINE
        return f"{best[2]} [{best[1]}]"

    def reply_to_prompt(self, user: str) -> str:
        """The reply to the user message of rag_council.answer.prompt.messages."""
        question = user.rsplit("Question:", 1)[-1].splitlines()[0].strip() if "Question:" in user else user
        blocks = re.split(r"^\[\d+\] \([^\n]*\)\n", user.split("\n\nQuestion:")[0], flags=re.M)[1:]
        return self.reply(question, [b.strip() for b in blocks])


class EchoGenerator(ScriptedGenerator):
    """`EchoModel` as an in-process generator."""

    name = "echo"
    description = "copies the passage sentence that best matches the question (a fake LLM)"

    def __init__(self) -> None:
        model = EchoModel()
        super().__init__(lambda q, hits: model.reply(q, [h.chunk.text for h in hits]))


class FakeOpenAIServer:
    """An OpenAI-compatible chat server on 127.0.0.1 (a context manager). It answers with
    `EchoModel`, streamed in pieces with server-sent events and usage on the last chunk, or
    plain JSON when not streaming. `fail_status` makes it answer that status instead; `seen`
    holds the request bodies. `base_url` is its API root (…/v1)."""

    def __init__(self, *, fail_status: int | None = None, reply: str | None = None) -> None:
        self.fail_status = fail_status
        self.reply = reply
        self.seen: list[dict[str, Any]] = []
        self.model = EchoModel()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first (with FakeOpenAIServer() as server)"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def answer(self, body: dict[str, Any]) -> str:
        if self.reply is not None:
            return self.reply
        user = next((m["content"] for m in reversed(body.get("messages", [])) if m["role"] == "user"), "")
        return self.model.reply_to_prompt(user)

    def __enter__(self) -> FakeOpenAIServer:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.seen.append(body)
                if fake.fail_status is not None:
                    payload = json.dumps({"error": {"message": "scripted failure"}}).encode()
                    self.send_response(fake.fail_status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                text = fake.answer(body)
                usage = {"prompt_tokens": 100, "completion_tokens": len(text.split()), "total_tokens": 0}
                base = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
                if not body.get("stream"):
                    payload = json.dumps(
                        {
                            **base,
                            "object": "chat.completion",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": usage,
                        }
                    ).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [text[i : i + 9] for i in range(0, len(text), 9)]
                for piece in pieces:
                    chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                last = {**base, "choices": [], "usage": usage}
                self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
