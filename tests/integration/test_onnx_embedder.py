"""The int8 ONNX MiniLM (embedder.kind = "onnx") against the torch one it was exported from."""

import numpy as np

from rag_council.embedding import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder
from rag_council.settings import EmbedderSettings

TEXTS = [
    "The school transport budget is £4.2 million.",
    "Apologies were received from Councillor Robert Highfield. " * 20,  # past 256 word pieces
    "short",
]


def test_onnx_vectors_are_the_torch_vectors_within_int8_error():
    onnx, torch = OnnxEmbedder(), SentenceTransformerEmbedder()
    a, b = onnx.embed(TEXTS), torch.embed(TEXTS)
    assert a.shape == b.shape == (3, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert ((a * b).sum(axis=1) > 0.99).all()
    assert onnx.embed(TEXTS[::-1])[0] @ a[2] > 0.9999  # order restored after length sorting
    text = "Councillor Highfield’s co-opted tokenisation, £310,000"
    assert onnx.tokenize(text) == torch.tokenize(text)
    assert onnx.name != torch.name and isinstance(make_embedder(EmbedderSettings(kind="onnx")), OnnxEmbedder)
