"""Any OpenAI-compatible chat server (vLLM, a llama.cpp server, Ollama) as a Generator:
base URL, model name and an optional key. Streams with server-sent events."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag_council.answer.prompt import messages
from rag_council.errors import ConfigError
from rag_council.types import Hit

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.settings import OpenAISettings


class OpenAIGenerator:
    name = "openai"

    def __init__(self, settings: OpenAISettings) -> None:
        if not settings.base_url:
            raise ConfigError(
                "The openai generator needs a server.",
                "Set answer.openai.base_url (e.g. http://gpu-box:8000/v1) and answer.openai.model.",
            )
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self.last_timings: dict[str, float] = {}

    def _headers(self) -> dict[str, str]:
        key = self.settings.api_key or os.environ.get("OPENAI_API_KEY", "")
        return {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})

    def request(self, question: str, passages: list[Hit], stream: bool = True) -> dict[str, Any]:
        s = self.settings
        body: dict[str, Any] = {
            "messages": messages(question, passages[: s.max_passages], s.passage_chars),
            "max_tokens": s.max_tokens,
            "temperature": 0.0,
            "stream": stream,
        }
        if s.model:
            body["model"] = s.model
        return body

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        import httpx

        started = time.perf_counter()
        first: float | None = None
        try:
            with (
                httpx.Client(timeout=self.settings.timeout_s) as client,
                client.stream(
                    "POST", self.url, json=self.request(question, passages), headers=self._headers()
                ) as response,
            ):
                if response.status_code >= 400:
                    response.read()
                    raise ConfigError(
                        f"The server at {self.settings.base_url} answered {response.status_code}: "
                        f"{response.text[:200]}",
                        "Check answer.openai.base_url, model and api_key.",
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except json.JSONDecodeError:
                        continue
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            if first is None:
                                first = time.perf_counter() - started
                            yield piece
        except httpx.HTTPError as exc:
            raise ConfigError(
                f"Cannot reach the OpenAI-compatible server at {self.settings.base_url}: {exc}.",
                "Check answer.openai.base_url, or use --generator extractive.",
            ) from None
        self.last_timings = {"first_token_s": first or 0.0, "total_s": time.perf_counter() - started}

    def generate(self, question: str, passages: list[Hit]) -> str:
        return "".join(self.stream(question, passages))

    def complete(self, prompt: str) -> str:
        """A plain completion (for follow-up rewriting and LLMSupportChecker)."""
        import httpx

        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 80,
            "temperature": 0.0,
        }
        if self.settings.model:
            body["model"] = self.settings.model
        try:
            response = httpx.post(
                self.url, json=body, headers=self._headers(), timeout=self.settings.timeout_s
            )
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"] or ""
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"The server at {self.settings.base_url} did not complete: {exc}.",
                "Check answer.openai.base_url, or use --generator extractive.",
            ) from None
