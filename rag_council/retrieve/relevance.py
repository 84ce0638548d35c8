"""How relevant a list of hits is to its question: one number, used by the engine (declining
before the answerer when nothing is close enough) and by the local model's fallback."""

from __future__ import annotations

from rag_council.types import Hit


def relevance(hits: list[Hit]) -> float:
    """How close the best passage is to the question: the best cosine similarity where the
    hits carry one, else the first hit's retrieval score; 0.0 for no hits."""
    dense = [h.dense for h in hits if h.dense is not None]
    if dense:
        return max(dense)
    return hits[0].score if hits else 0.0
