"""Any OpenAI-compatible chat server (vLLM, a llama.cpp server, Ollama) as a Generator: base URL,
model name and an optional key, through the `openai` SDK (streaming, retries with backoff,
typed errors, token counts when the server reports them).

Errors: a server that cannot be reached, times out or answers 5xx raises GeneratorError
(after `max_retries` retries); a 4xx (wrong model, key or URL) raises ConfigError."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag_council.answer.base import GenerationResult, Generator, declines
from rag_council.answer.prompt import messages
from rag_council.errors import ConfigError, GeneratorError
from rag_council.types import Hit

if TYPE_CHECKING:  # pragma: no cover
    from openai import OpenAI

    from rag_council.settings import OpenAISettings


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
                timeout=s.timeout_s,
                max_retries=s.max_retries,
            )
        return self._client

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
        parts: list[str] = []
        with self._errors():
            stream = self.client.chat.completions.create(
                **self.request(question, passages), stream=True, stream_options={"include_usage": True}
            )
            try:
                for chunk in stream:
                    usage = chunk.usage  # the last chunk, when the server reports it
                    if usage is not None:
                        result.timings["prompt_tokens"] = float(usage.prompt_tokens or 0)
                        result.timings["generated_tokens"] = float(usage.completion_tokens or 0)
                    for choice in chunk.choices or []:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            parts.append(piece)
                            yield piece
            finally:
                stream.close()
        text = "".join(parts)
        result.raw = text
        if not text.strip() or declines(text):
            result.outcome, result.reason = "declined", "the model declined"

    def complete(self, prompt: str) -> str:
        """A plain completion (for follow-up rewriting and LLMSupportChecker)."""
        with self._errors():
            reply = self.client.chat.completions.create(
                model=self.settings.model or "default",
                messages=[{"role": "user", "content": prompt}],
                max_tokens=80,
                temperature=0.0,
            )
            if not reply.choices:
                raise GeneratorError(f"The server at {self.settings.base_url} returned no completion.")
            return reply.choices[0].message.content or ""

    def _errors(self) -> _OpenAIErrors:
        return _OpenAIErrors(self.settings.base_url)


class _OpenAIErrors:
    """The SDK's errors as the project's: 4xx -> ConfigError, the rest -> GeneratorError."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        import openai

        if exc is None or not isinstance(exc, openai.OpenAIError):
            return False
        if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
            raise ConfigError(
                f"The server at {self.base_url} answered {exc.status_code}: {str(exc)[:200]}.",
                "Check answer.openai.base_url, model and api_key.",
            ) from None
        if isinstance(exc, openai.APITimeoutError):
            raise GeneratorError(f"The server at {self.base_url} did not answer in time.") from None
        if isinstance(exc, openai.APIConnectionError):
            raise GeneratorError(
                f"Cannot reach the OpenAI-compatible server at {self.base_url}: {exc}.",
                "Check answer.openai.base_url, or use --generator extractive.",
            ) from None
        raise GeneratorError(f"The server at {self.base_url} failed: {str(exc)[:200]}.") from None
