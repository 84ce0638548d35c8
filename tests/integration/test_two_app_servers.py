"""Two app processes on one Chroma server and one index folder: a document ingested through
one is answerable through the other, which was already running (README: "A team's setup")."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.test_chroma_server import chroma_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SERVER = textwrap.dedent(
    """
    import json, sys
    from rag_council import Settings, open_index
    engine = open_index("team", Settings.load())
    print("ready", flush=True)
    for line in sys.stdin:
        answer = engine.ask(line.strip())
        hits = engine.retriever.retrieve(line.strip(), 3)
        print(json.dumps({"documents": [h.chunk.document for h in hits],
                          "cited": [c.chunk.document for c in answer.citations]}), flush=True)
    """
)


def test_an_ingest_through_one_app_is_answerable_through_the_other(chroma_server, tmp_path):  # noqa: F811
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}:{ROOT / 'app'}",
        "RAG_COUNCIL_INDEX_ROOT": str(tmp_path / "indexes"),
        "RAG_COUNCIL_EMBEDDER__KIND": "hash",
        "RAG_COUNCIL_STORE__HOST": "127.0.0.1",
        "RAG_COUNCIL_STORE__PORT": str(chroma_server),
    }
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "library.txt").write_text("The central library opens on Sundays from June.")
    (second / "parks.txt").write_text(
        "Minutes of the Environment Committee. The parks budget for tree planting is £310,000."
    )
    cli = [sys.executable, "-m", "rag_council.cli"]
    subprocess.run([*cli, "ingest", str(first), "--index", "team", "--no-progress"], env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        server.stdin.write("When does the library open?\n")
        server.stdin.flush()
        before = json.loads(server.stdout.readline())
        assert before["documents"][0] == "library.txt"
        # Another process (the other app server's upload, here the CLI) adds a document.
        subprocess.run([*cli, "ingest", str(second), "--index", "team", "--no-progress"], env=env, check=True)
        server.stdin.write("What is the parks budget for tree planting?\n")
        server.stdin.flush()
        after = json.loads(server.stdout.readline())
        assert after["documents"][0] == "parks.txt"  # keyword and dense sides both see it
        assert "parks.txt" in after["cited"]
    finally:
        server.stdin.close()
        server.wait(timeout=60)
