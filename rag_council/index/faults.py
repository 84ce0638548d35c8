"""Faults named, writes atomic: a failed write to the index (disk full, read-only folder, no
permission, the store failing) becomes one RagCouncilError naming the cause and the path, the
ingest stops (a full disk is not the fault of each remaining file), temporary files are
removed, and the documents written before the fault stay whole (each document's chunks,
saved text and manifest entry are written in that order, and retrieval only sees what the
manifest lists).

`write_fault(exc, directory)` is the classifier (None: not a write fault, e.g. a file that
cannot be read); `raise_write_fault(exc, directory)` raises it; `cleanup_temp(directory)`
removes what an interrupted write leaves. `rag_council.index.lock.writes_index` applies them
to every locked write."""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

from rag_council.errors import RagCouncilError, StoreError


class IndexWriteError(RagCouncilError):
    """The index could not be written (disk full, read-only, no permission)."""


class DiskFullError(IndexWriteError):
    pass


_DISK_FULL_TEXT = (
    "no space left",
    "disk is full",
    "database or disk is full",
    "os error 28",
    "errno 28",
    "quota",
)
_READ_ONLY_TEXT = ("read-only file system", "readonly database", "attempt to write a readonly", "os error 30")


LOW_SPACE = 8 * 1024 * 1024  # below this, a store failure is put down to the full disk


def _free_bytes(directory: Path) -> int | None:
    path = Path(directory)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _inside(path: str | None, directory: Path) -> bool:
    if not path:
        return False
    try:
        Path(path).resolve().relative_to(directory.resolve())
        return True
    except (ValueError, OSError):
        return False


def _from_store(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("chromadb", "sqlite3", "hnswlib")) or type(exc).__name__ in {
        "InternalError",
        "OperationalError",
        "DatabaseError",
    }


def write_fault(exc: BaseException, directory: Path) -> RagCouncilError | None:
    """The index write fault `exc` is, as an error naming its cause and path; None when `exc`
    is something else (an unreadable input file, a bug on one odd document)."""
    if isinstance(exc, RagCouncilError):
        return None
    directory = Path(directory)
    text = str(exc).lower()
    retry = "Nothing was lost: the documents ingested before this one are whole; run the same ingest again to finish."
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        _from_store(exc) and any(t in text for t in _DISK_FULL_TEXT)
    ):
        where = getattr(exc, "filename", None) or directory
        return DiskFullError(
            f"The disk holding the index is full (no space left on the device of {where}).",
            f"Free some space (or move the index root, RAG_COUNCIL_INDEX_ROOT), then run `rag-council check --repair` "
            f"and the ingest again. {retry}",
        )
    if (isinstance(exc, OSError) and exc.errno == errno.EROFS) or (
        _from_store(exc) and any(t in text for t in _READ_ONLY_TEXT)
    ):
        where = getattr(exc, "filename", None) or directory
        return IndexWriteError(
            f"The index folder is on a read-only file system ({where}).",
            "Use a writable index root (RAG_COUNCIL_INDEX_ROOT) or remount the folder read-write.",
        )
    if isinstance(exc, OSError) and _inside(exc.filename, directory):
        if exc.errno in (errno.EACCES, errno.EPERM):
            return IndexWriteError(
                f"No permission to write the index at {exc.filename}.",
                f"Give this user write access to {directory}, or use another index root (RAG_COUNCIL_INDEX_ROOT).",
            )
        return IndexWriteError(
            f"Could not write the index at {exc.filename}: {exc.strerror or exc}.",
            f"Check the folder {directory}, then run `rag-council check --repair`. {retry}",
        )
    if _from_store(exc) and (free := _free_bytes(directory)) is not None and free < LOW_SPACE:
        return DiskFullError(
            f"The disk holding the index is full ({free // 1024} KB free on the device of {directory}); "
            f"the vector store failed: {type(exc).__name__}: {str(exc)[:120]}.",
            f"Free some space (or move the index root, RAG_COUNCIL_INDEX_ROOT), then run `rag-council check --repair` "
            f"and the ingest again. {retry}",
        )
    if _from_store(exc):
        return StoreError(
            f"The vector store failed while writing the index {directory}: {type(exc).__name__}: {str(exc)[:200]}.",
            f"The ingest stopped. Check disk space and permissions, then run `rag-council check --repair` "
            f"and the ingest again. {retry}",
        )
    return None


def raise_write_fault(exc: BaseException, directory: Path) -> None:
    """Raise the write fault `exc` is (see write_fault); return when it is none."""
    fault = write_fault(exc, directory)
    if fault is not None:
        raise fault from exc


def cleanup_temp(directory: Path) -> list[str]:
    """Remove what an interrupted write leaves (bm25.tmp, manifest.json.tmp, docs/*.tmp);
    returns the names removed."""
    directory = Path(directory)
    removed = []
    for name in ("bm25.tmp", "manifest.json.tmp"):
        path = directory / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(name)
        elif path.exists():
            path.unlink(missing_ok=True)
            removed.append(name)
    docs = directory / "docs"
    if docs.is_dir():
        for path in docs.glob("*.tmp"):
            path.unlink(missing_ok=True)
            removed.append(f"docs/{path.name}")
    return removed


@contextlib.contextmanager
def undo_new_folder(directory: Path) -> Iterator[None]:
    """Run the block; when it fails and `directory` did not exist before it, remove what the
    block made (an unreachable store must not leave an empty index folder behind)."""
    directory = Path(directory).absolute()
    top = None  # the highest folder on the way that did not exist (the index root, maybe)
    for folder in [directory, *directory.parents]:
        if folder.exists():
            break
        top = folder
    try:
        yield
    except BaseException:
        if top is not None and directory.is_dir():
            leftovers = [p.name for p in directory.iterdir() if p.name not in {".lock", "chroma"}]
            if not leftovers:
                shutil.rmtree(directory, ignore_errors=True)
                for folder in directory.parents:
                    if folder == top.parent:
                        break
                    with contextlib.suppress(OSError):
                        folder.rmdir()  # only when empty
        raise
