"""The Generator role: a question and numbered passages in, answer text with [n] markers out.

Passage n is hits[n-1]. A generator that finds no answer in the passages returns text
starting with NO_ANSWER; the engine turns that into a declined answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from rag_council.types import Hit

NO_ANSWER = "NO_ANSWER"


class Generator(Protocol):
    name: str

    def generate(self, question: str, passages: list[Hit]) -> str: ...

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]: ...
