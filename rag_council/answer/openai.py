"""Any OpenAI-compatible chat server (vLLM, a llama.cpp server, Ollama) as a Generator: base URL,
model name and an optional key, through the `openai` SDK (streaming, retries with backoff,
typed errors, token counts when the server reports them).

Errors: a server that cannot be reached or answers 5xx raises GeneratorError after
`max_retries` retries; a 4xx (wrong model, key or URL) raises ConfigError.

Timeouts (each a one-line GeneratorError naming the setting to change):
* `first_byte_timeout_s` (20 s): until the first streamed token arrives, and the longest pause
  between tokens after it. Not retried: a server that accepts and never answers would not
  answer the next time either.
* `total_timeout_s` (120 s): the whole answer, retries included.
The SDK's httpx timeout bounds each socket wait (connect, write, read between chunks); a watchdog
thread cuts the stream at the first-byte and total deadlines, so each fires on time even when the
server trickles bytes."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from rag_council.answer.base import GenerationResult, Generator, declines
from rag_council.answer.prompt import messages
from rag_council.errors import ConfigError, GeneratorError
from rag_council.types import Hit

if TYPE_CHECKING:  # pragma: no cover
    from openai import OpenAI

    from rag_council.settings import OpenAISettings

T = TypeVar("T")
FIRST_BYTE = "answer.openai.first_byte_timeout_s"
TOTAL = "answer.openai.total_timeout_s"


class OpenAIGenerator(Generator):
    name = "openai"
    description = "an OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama; see answer.openai)"

    def __init__(self, settings: OpenAISettings) -> None:
        if not settings.base_url:
            raise ConfigError(
                "The openai generator needs a server.",
                "Set answer.openai.base_url (e.g. http://gpu-box:8000/v1) and answer.openai.model.",
            )
        self.settings = settings
        self._client: OpenAI | None = None

    @property
    def client(self) -> OpenAI:
        if self._client is None:
            from openai import OpenAI

            s = self.settings
            self._client = OpenAI(
                base_url=s.base_url.rstrip("/"),
                # The SDK needs a key; servers without auth ignore it.
                api_key=s.api_key or os.environ.get("OPENAI_API_KEY", "") or "none",
                timeout=s.total_timeout_s,
                max_retries=0,  # retried here (see _attempts): timeouts are not, and all within the total
            )
        return self._client

    def _timeout(self, remaining: float, streaming: bool) -> Any:
        """The SDK's httpx timeout for one attempt: a stream waits at most the first-byte timeout
        for any byte (headers, each chunk); a plain completion arrives whole, so its read may take
        the rest of the total."""
        import httpx

        s = self.settings
        wait = min(s.first_byte_timeout_s, remaining)
        return httpx.Timeout(wait if streaming else remaining, connect=wait, write=wait, pool=wait)

    def _attempts(self, call: Callable[[float], T], deadline: float) -> T:
        """`call(remaining seconds)`, retried after a dropped connection or a 5xx (with backoff,
        up to max_retries times) while time remains before `deadline`; timeouts are final."""
        import openai

        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _total_error(self.settings)
            try:
                return call(remaining)
            except openai.APITimeoutError:
                raise
            except (openai.APIConnectionError, openai.InternalServerError) as exc:
                retryable = not isinstance(exc, openai.APIStatusError) or exc.status_code >= 500
                pause = min(0.5 * 2**attempt, 8.0)
                if not retryable or attempt >= self.settings.max_retries:
                    raise
                if time.monotonic() + pause >= deadline:
                    raise
                attempt += 1
                time.sleep(pause)

    def request(self, question: str, passages: list[Hit]) -> dict[str, Any]:
        """The chat request's arguments (model, messages, max_tokens, temperature)."""
        s = self.settings
        body: dict[str, Any] = {
            "messages": messages(question, passages[: s.max_passages], s.passage_chars),
            "max_tokens": s.max_tokens,
            "temperature": 0.0,
        }
        # The SDK needs a model name: "default" when none is set (a llama.cpp server serves the
        # one it loaded, whatever the name).
        body["model"] = s.model or "default"
        return body

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        s = self.settings
        parts: list[str] = []
        deadline = time.monotonic() + s.total_timeout_s
        watch = _Watchdog(s.first_byte_timeout_s, deadline)
        body = self.request(question, passages)

        def start(remaining: float) -> Any:
            watch.restart()  # the first-byte clock runs from this attempt's request
            return self.client.with_options(timeout=self._timeout(remaining, True)).chat.completions.create(
                **body, stream=True, stream_options={"include_usage": True}
            )

        with self._errors(watch):
            try:
                stream = self._attempts(start, deadline)
                watch.watch(stream.response)
                try:
                    for chunk in stream:
                        if time.monotonic() > deadline:
                            watch.fired = "total"
                            break
                        usage = chunk.usage  # the last chunk, when the server reports it
                        if usage is not None:
                            result.timings["prompt_tokens"] = float(usage.prompt_tokens or 0)
                            result.timings["generated_tokens"] = float(usage.completion_tokens or 0)
                        for choice in chunk.choices or []:
                            piece = choice.delta.content if choice.delta else None
                            if piece:
                                watch.started()
                                parts.append(piece)
                                yield piece
                finally:
                    stream.close()
            finally:
                watch.stop()
            if watch.fired:
                raise watch.error(s)
        text = "".join(parts)
        result.raw = text
        if not text.strip() or declines(text):
            result.outcome, result.reason = "declined", "the model declined"

    def complete(self, prompt: str) -> str:
        """A plain completion (for follow-up rewriting and LLMSupportChecker)."""
        s = self.settings
        deadline = time.monotonic() + s.total_timeout_s

        def call(remaining: float) -> Any:
            return self.client.with_options(timeout=self._timeout(remaining, False)).chat.completions.create(
                model=s.model or "default",
                messages=[{"role": "user", "content": prompt}],
                max_tokens=80,
                temperature=0.0,
            )

        with self._errors(deadline=deadline):
            reply = self._attempts(call, deadline)
            if not reply.choices:
                raise GeneratorError(f"The server at {s.base_url} returned no completion.")
            return reply.choices[0].message.content or ""

    def _errors(self, watch: _Watchdog | None = None, deadline: float | None = None) -> _OpenAIErrors:
        return _OpenAIErrors(self.settings, watch, deadline)


def _first_byte_error(s: OpenAISettings, started: bool) -> GeneratorError:
    what = "stopped sending mid-answer for" if started else "sent no answer within"
    return GeneratorError(
        f"The server at {s.base_url} {what} {s.first_byte_timeout_s:g} s (the first-byte timeout, {FIRST_BYTE}).",
        f"Check that the server is serving, or raise {FIRST_BYTE} (RAG_COUNCIL_ANSWER__OPENAI__FIRST_BYTE_TIMEOUT_S) "
        "for a slow one; or answer with --generator extractive.",
    )


def _total_error(s: OpenAISettings) -> GeneratorError:
    return GeneratorError(
        f"The server at {s.base_url} did not finish its answer within {s.total_timeout_s:g} s (the total timeout, {TOTAL}).",
        f"Raise {TOTAL} (RAG_COUNCIL_ANSWER__OPENAI__TOTAL_TIMEOUT_S), lower answer.openai.max_tokens, "
        "or answer with --generator extractive.",
    )


class _Watchdog:
    """Cuts a streaming response when no token has come by the first-byte deadline, or when the
    total deadline passes: it shuts the socket down, which wakes the reading thread at once (the
    httpx read timeout alone would wait out each pause, and never fires on a slow trickle)."""

    def __init__(self, first_byte_s: float, deadline: float) -> None:
        self.first_byte_s = first_byte_s
        self.first_byte_at = time.monotonic() + first_byte_s
        self.deadline = deadline
        self.fired: str | None = None  # "first_byte" or "total"
        self.had_token = False
        self._first = threading.Event()
        self._done = threading.Event()
        self._response: Any = None
        self._thread: threading.Thread | None = None

    def restart(self) -> None:
        self.first_byte_at = time.monotonic() + self.first_byte_s

    def watch(self, response: Any) -> None:
        self._response = response
        self._thread = threading.Thread(target=self._run, name="openai-watchdog", daemon=True)
        self._thread.start()

    def started(self) -> None:
        if not self.had_token:
            self.had_token = True
            self._first.set()

    def stop(self) -> None:
        self._done.set()
        self._first.set()
        if self._thread is not None:
            self._thread.join(1.0)

    def _run(self) -> None:
        if not self._first.wait(max(0.0, self.first_byte_at - time.monotonic())):
            self._cut("first_byte")
            return
        if not self._done.wait(max(0.0, self.deadline - time.monotonic())):
            self._cut("total")

    def _cut(self, why: str) -> None:
        if self._done.is_set():
            return
        self.fired = why
        stream = (getattr(self._response, "extensions", None) or {}).get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            else:  # pragma: no cover - a transport without a socket: the read timeout bounds it
                self._response.close()
        except (OSError, RuntimeError):  # already closed
            pass

    def error(self, s: OpenAISettings) -> GeneratorError:
        return _first_byte_error(s, False) if self.fired == "first_byte" else _total_error(s)


class _OpenAIErrors:
    """The SDK's errors as the project's: 4xx -> ConfigError, timeouts -> GeneratorError naming
    the timeout (and the watchdog's cut, whatever error it caused), the rest -> GeneratorError."""

    def __init__(
        self, settings: OpenAISettings, watch: _Watchdog | None = None, deadline: float | None = None
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.watch = watch
        self.deadline = deadline if deadline is not None else (watch.deadline if watch else None)

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        import httpx
        import openai

        if exc is None:
            return False
        if (
            self.watch is not None
            and self.watch.fired
            and not isinstance(exc, (GeneratorError, GeneratorExit))
        ):
            raise self.watch.error(self.settings) from None  # the cut socket's error, whatever it is
        # httpx's own errors come through unwrapped while the stream is read
        timed_out = isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException))
        if isinstance(exc, httpx.HTTPError) and not timed_out:
            raise GeneratorError(
                f"The connection to the server at {self.base_url} broke mid-answer: {type(exc).__name__}."
            ) from None
        if not isinstance(exc, openai.OpenAIError) and not timed_out:
            return False
        if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
            raise ConfigError(
                f"The server at {self.base_url} answered {exc.status_code}: {str(exc)[:200]}.",
                "Check answer.openai.base_url, model and api_key.",
            ) from None
        if timed_out:
            if self.deadline is not None and time.monotonic() >= self.deadline - 0.05:
                raise _total_error(self.settings) from None  # the wait was cut to what remained
            started = self.watch is not None and self.watch.had_token
            raise _first_byte_error(self.settings, started) from None
        if isinstance(exc, openai.APIConnectionError):
            raise GeneratorError(
                f"Cannot reach the OpenAI-compatible server at {self.base_url}: {exc}.",
                "Check answer.openai.base_url, or use --generator extractive.",
            ) from None
        raise GeneratorError(f"The server at {self.base_url} failed: {str(exc)[:200]}.") from None
