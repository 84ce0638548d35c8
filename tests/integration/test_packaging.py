"""The package works outside the checkout: a wheel built from the project carries the demo corpus,
and the installed CLI ingests it and answers from another folder (issue 11, "Packaging").

The wheel is unpacked into a folder of its own (pip --target) and put first on the path, so the
code that runs is the wheel's, not the checkout's; its dependencies come from this environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (found,) = out.glob("rag_council-*.whl")
    return found


def test_the_wheel_carries_the_demo_corpus_and_the_app(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    corpus = [n for n in names if n.startswith("rag_council/corpus/")]
    assert len([n for n in corpus if n.endswith(".txt")]) == 5
    assert "rag_council/corpus/manifest.toml" in names
    assert any(n.startswith("rag_council_app/") for n in names)


def test_installed_cli_ingests_and_answers_from_another_folder(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RAG_COUNCIL_")},
        "PYTHONPATH": str(target),
        "HOME": str(tmp_path / "home"),
        "RAG_COUNCIL_EMBEDDER__KIND": "hash",  # the installed code is what is tested, not the model
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rag_council.cli", *args],
            capture_output=True, text=True, env=env, cwd=elsewhere, timeout=600,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", "import rag_council; print(rag_council.__file__)"],
        capture_output=True, text=True, env=env, cwd=elsewhere,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    ingest = cli("ingest", "--no-progress")
    assert ingest.returncode == 0, ingest.stderr
    assert "5 documents" in ingest.stdout
    # The index went to the user's data folder, not into the installed package or the cwd.
    assert (tmp_path / "home" / ".local" / "share" / "rag-council" / "indexes" / "default").is_dir()
    ask = cli("ask", "--json", "What did the committee resolve about the Permanency Strategy?")
    assert ask.returncode == 0, ask.stderr
    record = json.loads(ask.stdout.splitlines()[0])
    assert record["retrieved"], record
    assert all(r["document"].endswith(".txt") for r in record["retrieved"])
