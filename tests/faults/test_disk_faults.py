"""The fault suite, part 2: faults named, writes atomic. A write that fails (monkeypatched: a
full disk in the store, in the keyword index, a store error), and, when root, a real 2 MB
tmpfs that fills up and a read-only mount: one clear line naming the cause and the path, a
non-zero exit, the index as it was (documents written before the fault whole), no temporary
files, and `check --repair` plus the same ingest again finish the job."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag_council import HashEmbedder, Settings
from rag_council.cli import main
from rag_council.errors import StoreError
from rag_council.index import Index
from rag_council.index.check import check_index
from rag_council.index.faults import DiskFullError, IndexWriteError, write_fault
from rag_council.index.store import MemoryStore
from tests.faults.test_writers_and_crashes import ROOT, _env, _write_docs

NAMES = ["north", "south", "east", "west"]


def _index(tmp_path: Path) -> Index:
    settings = Settings(index_root=tmp_path / "indexes", index="f", embedder={"kind": "hash"})
    return Index.create(settings, HashEmbedder(), store=MemoryStore())


def _fail_on_call(n: int, exc: Exception):
    calls = {"n": 0}

    def wrap(real):
        def inner(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == n:
                raise exc
            return real(*args, **kwargs)

        return inner

    return wrap


def _no_temp(directory: Path) -> None:
    leftovers = [p.name for p in directory.rglob("*.tmp")]
    assert not leftovers and not (directory / "bm25.tmp").exists(), leftovers


def test_a_full_disk_in_the_store_stops_the_ingest_with_one_clear_error(tmp_path: Path) -> None:
    idx = _index(tmp_path)
    folder = _write_docs(tmp_path / "d", NAMES)[0].parent
    full = OSError(errno.ENOSPC, "No space left on device", str(idx.directory / "chroma" / "data.bin"))
    idx.store.upsert = _fail_on_call(3, full)(idx.store.upsert)  # type: ignore[method-assign]
    with pytest.raises(DiskFullError) as caught:
        idx.ingest([folder])
    message = str(caught.value)
    assert "full" in message and str(idx.directory) in message and "check --repair" in message
    on_disk = Index.open(idx.settings, HashEmbedder(), store=idx.store)
    assert sorted(on_disk.manifest.documents) == ["east.txt", "north.txt"]  # the two before, whole
    assert check_index(on_disk).consistent, check_index(on_disk).lines()
    _no_temp(idx.directory)
    again = on_disk.ingest([folder])  # space again: the same ingest finishes
    assert sorted(again.added) == ["south.txt", "west.txt"] and check_index(on_disk).consistent


def test_a_store_error_stops_the_ingest_instead_of_blaming_every_file(tmp_path: Path) -> None:
    class InternalError(Exception):
        pass

    InternalError.__module__ = "chromadb.errors"
    idx = _index(tmp_path)
    folder = _write_docs(tmp_path / "d", NAMES)[0].parent
    idx.store.upsert = _fail_on_call(2, InternalError("Error in compaction"))(idx.store.upsert)  # type: ignore[method-assign]
    with pytest.raises((StoreError, DiskFullError)) as caught:
        idx.ingest([folder])
    assert ("InternalError" in str(caught.value) and "stopped" in str(caught.value)) or "full" in str(
        caught.value
    )
    assert "unexpected error while reading" not in str(caught.value)
    assert check_index(Index.open(idx.settings, HashEmbedder(), store=idx.store)).consistent


def test_a_full_disk_while_writing_the_keyword_rows_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch
) -> None:
    from rag_council.index.keyword import KeywordIndex

    idx = _index(tmp_path)
    folder = _write_docs(tmp_path / "d", NAMES[:2])[0].parent

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(idx.directory / "index.sqlite"))

    monkeypatch.setattr(KeywordIndex, "add_document", full)
    with pytest.raises(DiskFullError):
        idx.ingest([folder])
    _no_temp(idx.directory)
    monkeypatch.undo()
    reopened = Index.open(idx.settings, HashEmbedder(), store=idx.store)
    assert not reopened.records()  # nothing half-written is listed
    assert check_index(reopened, repair=True) and check_index(reopened).consistent
    reopened.ingest([folder])
    assert reopened.keyword_search("north ward", 3) and check_index(reopened).consistent


def test_the_cli_prints_one_line_and_exits_non_zero(tmp_path: Path, monkeypatch, capsys) -> None:
    from rag_council.index.store import ChromaStore

    folder = _write_docs(tmp_path / "d", NAMES[:2])[0].parent
    monkeypatch.setenv("RAG_COUNCIL_INDEX_ROOT", str(tmp_path / "idx"))
    monkeypatch.setenv("RAG_COUNCIL_EMBEDDER__KIND", "hash")

    def full(self, chunks, vectors):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ChromaStore, "upsert", full)
    code = main(["ingest", str(folder), "--index", "cli", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "rag-council: error: The disk holding the index is full"
    ), err


def test_the_classifier_names_read_only_and_permission_faults(tmp_path: Path) -> None:
    directory = tmp_path / "indexes" / "x"
    ro = write_fault(
        OSError(errno.EROFS, "Read-only file system", str(directory / "manifest.json")), directory
    )
    assert isinstance(ro, IndexWriteError) and "read-only" in str(ro)
    denied = write_fault(
        PermissionError(errno.EACCES, "Permission denied", str(directory / "docs" / "a.json")), directory
    )
    assert isinstance(denied, IndexWriteError) and "permission" in str(denied).lower()
    # An input file that cannot be read is not an index fault: that file is skipped, the rest go on.
    assert (
        write_fault(PermissionError(errno.EACCES, "Permission denied", "/elsewhere/a.txt"), directory) is None
    )
    assert write_fault(ValueError("odd table"), directory) is None


@pytest.mark.slow
def test_an_unreachable_chroma_server_leaves_no_index_folder(tmp_path: Path) -> None:
    root = tmp_path / "idx"
    folder = _write_docs(tmp_path / "d", ["north"])[0].parent
    done = subprocess.run(
        [sys.executable, "-m", "rag_council.cli", "ingest", str(folder), "--index", "srv", "--no-progress"],
        env=_env(root, RAG_COUNCIL_STORE__HOST="127.0.0.1", RAG_COUNCIL_STORE__PORT="9"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1 and "Could not open the Chroma server" in done.stderr, done.stderr
    assert not (root / "srv").exists() and not root.exists()


# --- a real small disk (root only) ---------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path: Path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "mnt"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode()[:200]}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag_council.cli", *args],
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_a_real_full_disk_is_named_and_the_index_recovers(tmpfs: Path) -> None:
    crashed = _cli(tmpfs, "ingest", "--index", "full", "--no-progress")  # the bundled corpus, > 2 MB
    assert crashed.returncode == 1, crashed.stdout + crashed.stderr
    lines = [line for line in crashed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "full" in lines[0] and str(tmpfs) in lines[0], crashed.stderr
    assert "Traceback" not in crashed.stderr and not list(tmpfs.rglob("*.tmp"))
    subprocess.run(["mount", "-o", "remount,size=40m", str(tmpfs)], check=True)  # space freed
    repaired = _cli(tmpfs, "check", "--index", "full", "--repair")
    assert repaired.returncode == 0 and ("Consistent" in repaired.stdout or "Repaired" in repaired.stdout), (
        repaired.stdout + repaired.stderr
    )
    again = _cli(tmpfs, "ingest", "--index", "full", "--no-progress")
    assert again.returncode == 0, again.stderr[-2000:]
    final = _cli(tmpfs, "check", "--index", "full")
    assert final.returncode == 0 and "Consistent" in final.stdout, final.stdout


@pytest.mark.slow
def test_a_read_only_index_folder_is_named(tmpfs: Path, tmp_path: Path) -> None:
    folder = _write_docs(tmp_path / "d", ["north", "south"])[0].parent
    first = _cli(tmpfs, "ingest", str(folder / "north.txt"), "--index", "ro", "--no-progress")
    assert first.returncode == 0, first.stderr[-1500:]
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    refused = _cli(tmpfs, "ingest", str(folder), "--index", "ro", "--no-progress")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and ("read-only" in lines[0] or "readonly" in lines[0]), refused.stderr
    assert str(tmpfs) in lines[0]
