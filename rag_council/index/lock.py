"""One writer at a time: an exclusive lock on indexes/<name>/.lock, held for the whole of a
write (ingest, remove, rebuild), shared by every process that writes an index (the CLI, the
app's upload, the API) and by every thread of one process.

    with index_lock(directory, index_name):        # waits (or refuses, see lock_policy)
        ...
    @writes_index                                   # on an Index method: the same, and the
    def ingest(self, ...): ...                      # manifest re-read from disk under the lock

A second writer waits with a message ("index 'x' is being written by pid N (...) since T;
waiting") or, under `lock_policy(wait=False)` (the CLI without --wait), refuses with
IndexBusyError. The lock is an fcntl.flock: the kernel drops it when its holder dies, so a
killed ingest never leaves the index locked.

Test hook: `crash_point(name)` ends the process at once (os._exit, no clean-up, like kill -9)
when RAG_COUNCIL_TEST_FAIL_AT=name; the fault tests use it to stop an ingest at chosen points.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rag_council.errors import RagCouncilError, StoreError
from rag_council.index.faults import IndexWriteError, cleanup_temp, write_fault

LOCK_NAME = ".lock"
FAIL_AT_ENV = "RAG_COUNCIL_TEST_FAIL_AT"
CRASH_POINTS = ("after-save-document", "after-upsert", "after-delete", "after-manifest", "before-keyword")


class IndexBusyError(RagCouncilError):
    """Another process is writing the index."""


@dataclass(frozen=True)
class LockPolicy:
    wait: bool = True
    timeout_s: float | None = None  # None: wait as long as it takes
    notify: Callable[[str], None] | None = None  # told once, when the writer has to wait


_POLICY: contextvars.ContextVar[LockPolicy | None] = contextvars.ContextVar(
    "rag_council_lock_policy", default=None
)


@contextlib.contextmanager
def lock_policy(
    wait: bool = True, timeout_s: float | None = None, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """How index writes started inside the block meet a busy index: wait (telling `notify`,
    default stderr) up to `timeout_s`, or refuse at once."""
    token = _POLICY.set(LockPolicy(wait, timeout_s, notify))
    try:
        yield
    finally:
        _POLICY.reset(token)


class _Held:
    """The lock of one index within this process: an RLock for threads, a count for re-entry,
    the open file that carries the flock."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def _held_for(path: Path) -> _Held:
    key = str(path.resolve())
    with _HELD_GUARD:
        return _HELD.setdefault(key, _Held())


def holder(directory: Path) -> dict[str, Any]:
    """What the lock file says about its current (or last) holder: pid, command, since."""
    try:
        return json.loads((directory / LOCK_NAME).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _describe(info: dict[str, Any]) -> str:
    if not info:
        return "another process"
    return f"pid {info.get('pid', '?')} ({info.get('command', '?')}) since {info.get('since', '?')}"


def _default_notify(message: str) -> None:
    print(f"rag-council: {message}", file=sys.stderr, flush=True)


def is_locked(directory: Path) -> bool:
    """Whether some process holds the index's write lock now (without taking it)."""
    path = directory / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def index_lock(directory: Path, name: str = "", policy: LockPolicy | None = None) -> Iterator[None]:
    """Hold the index's write lock for the block (re-entrant within a thread)."""
    policy = policy or _POLICY.get() or LockPolicy()
    name = name or directory.name
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    held = _held_for(path)
    if not held.thread_lock.acquire(blocking=False):
        if not policy.wait:
            raise IndexBusyError(
                f"Index '{name}' is being written by another task of this process.",
                "Try again when it has finished.",
            )
        _wait_note(policy, name, directory)
        if not held.thread_lock.acquire(timeout=-1 if policy.timeout_s is None else policy.timeout_s):
            raise IndexBusyError(
                f"Index '{name}' stayed busy for {policy.timeout_s:g} s.", "Try again later."
            )
    try:
        if held.depth == 0:
            held.fd = _take_flock(path, name, directory, policy)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                fcntl.flock(held.fd, fcntl.LOCK_UN)
                os.close(held.fd)
                held.fd = None
    finally:
        held.thread_lock.release()


def _wait_note(policy: LockPolicy, name: str, directory: Path) -> None:
    (policy.notify or _default_notify)(
        f"index '{name}' is being written by {_describe(holder(directory))}; waiting for it to finish…"
    )


def _take_flock(path: Path, name: str, directory: Path, policy: LockPolicy) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not policy.wait:
                raise IndexBusyError(
                    f"Index '{name}' is being written by {_describe(holder(directory))}.",
                    "Wait for it to finish, or run the command again with --wait to queue behind it.",
                ) from None
            _wait_note(policy, name, directory)
            deadline = None if policy.timeout_s is None else time.monotonic() + policy.timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() > deadline:
                        raise IndexBusyError(
                            f"Index '{name}' stayed busy for {policy.timeout_s:g} s "
                            f"(written by {_describe(holder(directory))}).",
                            "Try again later, or find the process holding it.",
                        ) from None
                    time.sleep(0.1)
        info = {
            "pid": os.getpid(),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise


F = TypeVar("F", bound=Callable[..., Any])


def writes_index(method: F) -> F:
    """Decorate an Index method that writes: it runs under the index lock, after the manifest
    has been re-read from disk (another process may have written since this Index was opened:
    its documents are merged in, never overwritten by a stale copy)."""

    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with index_lock(self.directory, self.name):
            refresh_manifest(self)
            try:
                return method(self, *args, **kwargs)
            except BaseException as exc:
                fault = write_fault(exc, self.directory) if isinstance(exc, Exception) else None
                if fault is not None or isinstance(exc, (IndexWriteError, StoreError)):
                    _settle(self)
                cleanup_temp(self.directory)  # bm25.tmp, manifest.json.tmp, docs/*.tmp
                if fault is None:
                    raise
                raise fault from exc

    return locked  # type: ignore[return-value]


def _settle(index: Any) -> None:
    """After a write fault: back to what the manifest on disk says (the documents written
    before the fault), orphans of the failed document removed when the store still allows it."""
    from rag_council.index.check import check_index

    try:
        check_index(index, repair=True)
    except Exception:  # the disk may still be full: `rag-council check --repair` later
        with contextlib.suppress(Exception):
            refresh_manifest(index)


def refresh_manifest(index: Any) -> None:
    """Drop what `index` cached of documents another process may have changed (call under the
    lock). The documents themselves are rows of index.sqlite, read fresh whenever any process
    has written since (its generation), so another writer's documents are merged in by
    construction and never overwritten by a stale copy; only the saved-text cache is ours."""
    if hasattr(index, "_docs"):
        index._docs.clear()


def crash_point(name: str) -> None:
    """Test hook: end the process here, at once, when RAG_COUNCIL_TEST_FAIL_AT=name."""
    if os.environ.get(FAIL_AT_ENV) == name:
        sys.stderr.write(f"rag-council: test crash at {name}\n")
        sys.stderr.flush()
        os._exit(137)
