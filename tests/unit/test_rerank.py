"""Reranking: the lexical default lifts the passage that holds the question's exact terms,
phrases and numbers; the contract is the same for every reranker."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_council.errors import ConfigError
from rag_council.retrieve.rerank import LexicalReranker, NoReranker, make_reranker
from rag_council.types import Chunk, Hit


def hit(text: str, rank: int, score: float) -> Hit:
    chunk = Chunk(f"c{rank}", "d", "doc.txt", text, 0, len(text), rank)
    return Hit(chunk, score, rank)


HITS = [
    hit("Guardianship arrangements for children are reviewed every year by the service.", 1, 0.030),
    hit("Special Guardianship Orders were granted for 12 children in quarter 2.", 2, 0.028),
    hit("The library opens on Sundays.", 3, 0.020),
]


def test_lexical_reranker_prefers_exact_phrase_and_number():
    out = LexicalReranker().rerank("How many special guardianship orders were granted in quarter 2?", HITS)
    assert out[0].chunk.chunk_id == "c2"
    assert [h.rank for h in out] == [1, 2, 3]
    assert [h.score for h in out] == sorted((h.score for h in out), reverse=True)


def test_overlap_is_between_zero_and_one_and_rewards_more_of_the_question():
    r = LexicalReranker()
    q = "special guardianship orders granted"
    full, partial, none = (r.overlap(q, HITS[i].chunk.text) for i in (1, 0, 2))
    assert 0.0 <= none < partial < full <= 1.0


def test_rare_words_weigh_more_with_index_statistics():
    df = {"guardianship": 1, "children": 90, "review": 50}
    r = LexicalReranker(lambda: (df, 100))
    q = "guardianship children"
    assert r.overlap(q, "guardianship") > r.overlap(q, "children")


def test_weight_zero_keeps_the_fused_order_and_none_keeps_everything():
    assert [h.chunk.chunk_id for h in LexicalReranker(weight=0.0).rerank("orders 12", HITS)] == [
        "c1",
        "c2",
        "c3",
    ]
    assert NoReranker().rerank("anything", HITS) == HITS
    assert LexicalReranker().rerank("anything", []) == []


def test_cross_encoder_needs_a_local_model(tmp_path: Path):
    with pytest.raises(ConfigError, match="rerank_model"):
        make_reranker("cross-encoder", str(tmp_path / "missing"))
    assert make_reranker("none").name == "none" and make_reranker("lexical").name == "lexical"
