"""Question -> ranked passages. Dense search over the index for now; hybrid search,
question understanding and reranking build on this contract."""

from __future__ import annotations

from typing import Protocol

from .index import Index
from .types import Filters, Hit


class Retriever(Protocol):
    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


class DenseRetriever:
    def __init__(self, index: Index) -> None:
        self.index = index

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.index.search(question, k, filters)
