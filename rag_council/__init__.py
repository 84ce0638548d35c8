"""rag-council: ask questions of a council's records and get answers that cite the exact passage.

from rag_council import Settings, build_index, open_index
report = build_index(["ingest/corpus"], Settings.load())
engine = open_index("default")
answer = engine.ask("What did the scrutiny committee resolve about co-opted members?")
for c in answer.citations: print(c.marker, c.chunk.label, c.quote)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rag_council.embedding import Embedder, HashEmbedder, SentenceTransformerEmbedder, make_embedder
from rag_council.engine import Engine
from rag_council.errors import RagCouncilError
from rag_council.index import Index, Progress
from rag_council.settings import BUNDLED_CORPUS, Settings
from rag_council.types import (
    Answer,
    Chunk,
    Citation,
    Claim,
    DocType,
    Document,
    Filters,
    Hit,
    IngestReport,
    Section,
)

__all__ = [
    "BUNDLED_CORPUS",
    "Answer",
    "Chunk",
    "Citation",
    "Claim",
    "DocType",
    "Document",
    "Embedder",
    "Engine",
    "Filters",
    "HashEmbedder",
    "Hit",
    "Index",
    "IngestReport",
    "RagCouncilError",
    "Section",
    "SentenceTransformerEmbedder",
    "Settings",
    "build_index",
    "open_index",
]


def build_index(
    paths: Iterable[str | Path] | None = None,
    settings: Settings | None = None,
    *,
    index: str | None = None,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files and folders (default: the bundled corpus) into an index, creating it if needed."""
    settings = (settings or Settings.load()).with_index(index)
    embedder = embedder or make_embedder(settings.embedder)
    idx = Index.create(settings, embedder, rebuild=rebuild)
    return idx.ingest(list(paths) if paths else [BUNDLED_CORPUS], progress=progress)


def open_index(
    name: str | None = None, settings: Settings | None = None, *, embedder: Embedder | None = None
) -> Engine:
    """An engine over an existing index: `.ask(question)` and `.stream(question)`."""
    settings = (settings or Settings.load()).with_index(name)
    return Engine.open(settings, embedder)
