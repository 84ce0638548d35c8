"""The same index code against a Chroma server (`chroma run`, started here on loopback)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag_council import HashEmbedder, Index, Settings
from rag_council.errors import StoreError
from rag_council.index.store import ChromaStore
from rag_council.settings import StoreSettings
from rag_council.testing import StoreContract

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


class TestChromaServerStore(StoreContract):
    """The store contract (rag_council.testing) on a Chroma server."""

    @pytest.fixture
    def store(self, chroma_server, tmp_path):
        store = ChromaStore(
            StoreSettings(host="127.0.0.1", port=chroma_server, collection="contract"), tmp_path, "t"
        )
        store.drop()  # empty again: every test of the suite starts from nothing
        return store


def test_ingest_and_search_through_a_server(chroma_server, tmp_path):
    settings = Settings(
        index_root=tmp_path / "idx", index="served", embedder={"kind": "hash"},
        store={"host": "127.0.0.1", "port": chroma_server},
    )  # fmt: skip
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The adoption panel meets every month at the council offices.")
    index = Index.create(settings, HashEmbedder(), rebuild=True)
    assert index.ingest([docs]).added == ["a.txt"]
    assert not (settings.index_dir() / "chroma").exists()  # nothing stored locally but the manifest
    again = Index.open(settings, HashEmbedder())
    assert again.ingest([docs]).unchanged == ["a.txt"]
    assert again.search("adoption panel", 1)[0].chunk.document == "a.txt"
    assert np.isclose(again.count(), 1)


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="chroma run"):
        ChromaStore(
            StoreSettings(host="127.0.0.1", port=_free_port()), tmp_path, "x"
        ).count()  # connects on first use
