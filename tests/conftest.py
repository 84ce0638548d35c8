"""Shared fixtures. The environment is made offline before anything imports a model library:
a hidden download or a remote call fails loudly instead of passing by luck."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_CACHE = tempfile.mkdtemp(prefix="rag-council-test-cache-")
os.environ.update(
    {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": _CACHE,
        "XDG_CACHE_HOME": _CACHE,
        "SENTENCE_TRANSFORMERS_HOME": _CACHE,
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }
)
for _key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RAG_COUNCIL_CONFIG"):
    os.environ.pop(_key, None)
for _key in [k for k in os.environ if k.startswith("RAG_COUNCIL_")]:
    os.environ.pop(_key)

import pytest  # noqa: E402

_TESTS = Path(__file__).resolve().parent
_SLOW_FOLDERS = ("integration", "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow by folder: everything under tests/integration and tests/browser (real models, real
    servers, a real browser) is marked `slow`, so `make test-fast` runs only the unit tests."""
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(_TESTS).parts
        if where and where[0] in _SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


from rag_council import BUNDLED_CORPUS, HashEmbedder, Settings  # noqa: E402
from rag_council.ingest.pdf import write_text_pdf  # noqa: E402

CORPUS_FILES = sorted(BUNDLED_CORPUS.glob("*.txt"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for unit tests: a temporary index root and the hash embedder."""
    return Settings(index_root=tmp_path / "indexes", embedder={"kind": "hash"})


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def small_engine(settings: Settings, tmp_path: Path):
    """Make an engine over `docs` (file name -> text) with the hash embedder: the small index
    the API, MCP and llama-index adapter tests ask."""
    from rag_council import build_index, open_index

    def make(docs: dict[str, str]):
        folder = tmp_path / "docs"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in docs.items():
            (folder / name).write_text(text)
        build_index([folder], settings, embedder=HashEmbedder())
        return open_index(None, settings, embedder=HashEmbedder())

    return make


@pytest.fixture(scope="session")
def minilm():
    from rag_council import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_root=tmp_path_factory.mktemp("corpus-index"), index="corpus")


@pytest.fixture(scope="session")
def corpus_engine(corpus_settings: Settings, minilm):
    """The bundled corpus, indexed once per session with the real model and embedded Chroma."""
    from rag_council import build_index, open_index

    report = build_index(None, corpus_settings, embedder=minilm)
    assert report.documents == len(CORPUS_FILES) and not report.skipped
    return open_index(None, corpus_settings, embedder=minilm)


MEETING_PAGES = [
    "Minutes of the meeting of Example Scrutiny Committee held on 3 March 2025.\n\n"
    "1. APOLOGIES FOR ABSENCE\nApologies were received from Councillor Ada Byron.",
    "2. SCHOOL TRANSPORT POLICY\nThe committee discussed the cost of school transport. "
    "Resolved: That the school transport budget of £4.2 million be approved for 2025/26.",
    "3. LIBRARY OPENING HOURS\nThe committee heard that the central library will open on Sundays from "
    "1 June 2025. Resolved: That Sunday opening be trialled for twelve months.",
]


@pytest.fixture
def pdf_dir(tmp_path: Path) -> Path:
    """A folder of PDFs made with the project's own writer: a good one of three pages, a
    corrupt one, an encrypted one, a scanned (image-only) one and an empty file."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    write_text_pdf(folder / "minutes-2025-03-03.pdf", MEETING_PAGES, title="Example minutes")
    good = (folder / "minutes-2025-03-03.pdf").read_bytes()
    (folder / "corrupt.pdf").write_bytes(good[: len(good) // 3])
    write_text_pdf(folder / "encrypted.pdf", ["Secret budget papers."], password="s3cret")
    write_text_pdf(folder / "scanned.pdf", [None, None])
    (folder / "empty.pdf").write_bytes(b"")
    return folder
