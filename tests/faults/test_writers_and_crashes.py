"""The fault suite, part 1: one writer at a time and no orphans. Real processes (the CLI), the
embedded Chroma store and the hash embedder: two ingests at once into one index, a second
writer refused or queued, an ingest killed at chosen points (RAG_COUNCIL_TEST_FAIL_AT, see
rag_council/index/lock.py) and then `check --repair` or a re-ingest, orphans never retrieved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rag_council.index.lock import CRASH_POINTS, FAIL_AT_ENV, index_lock

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ["libraries", "parking", "housing", "recycling", "schools", "parks", "roads", "grants"]


def _write_docs(folder: Path, names: list[str], paragraphs: int = 12) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, name in enumerate(names):
        topic = TOPICS[n % len(TOPICS)]
        body = "\n\n".join(
            f"{i + 1}. ITEM ON {topic.upper()} {name.upper()} {i}\nThe committee discussed {topic} in "
            f"{name} ward, paragraph {i}. Resolved: that the {topic} budget of £{(n + 1) * 1000 + i} "
            f"be approved for {name}."
            for i in range(paragraphs)
        )
        path = folder / f"{name}.txt"
        path.write_text(f"{name.title()} report\n\n{body}\n", encoding="utf-8")
        out.append(path)
    return out


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_COUNCIL_")}
    env.update(
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'app'}",
        RAG_COUNCIL_INDEX_ROOT=str(root),
        RAG_COUNCIL_EMBEDDER__KIND="hash",
        **extra,
    )
    return env


def _cli(root: Path, *args: str, env: dict[str, str] | None = None, wait: bool = True) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rag_council.cli", *args],
        env=env or _env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag_council.cli", *args],
        env=_env(root, **env),
        capture_output=True,
        text=True,
        timeout=240,
    )


_INSPECT = textwrap.dedent(
    """
    import json, sys
    from rag_council import HashEmbedder, Settings
    from rag_council.index import Index
    from rag_council.index.check import check_index, store_ids
    s = Settings(index_root=sys.argv[1], index=sys.argv[2], embedder={"kind": "hash"})
    idx = Index.open(s, HashEmbedder())
    report = check_index(idx)
    listed = [i for r in idx.records() for i in r.chunk_ids]
    found = {}
    for r in idx.records():
        vec = idx.store.vectors(r.chunk_ids[:1])[r.chunk_ids[0]]
        found[r.name] = r.chunk_ids[0] in [h.chunk.chunk_id for h in idx.search_vector(vec, 3)]
    kw = {r.name: bool(idx.keyword_search(r.name + " ward", 5)) for r in idx.records()}
    print(json.dumps({"documents": sorted(idx.manifest.documents), "listed": len(listed),
        "unique": len(set(listed)), "stored": len(store_ids(idx.store)), "consistent": report.consistent,
        "lines": report.lines(), "dense_found": found, "keyword_found": kw}))
    """
)


def _inspect(root: Path, index: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _INSPECT, str(root), index],
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_whole(state: dict, names: list[str]) -> None:
    assert state["documents"] == sorted(f"{n}.txt" for n in names), state
    assert state["listed"] == state["unique"] == state["stored"], state  # no orphans, no duplicates
    assert state["consistent"], state["lines"]
    assert all(state["dense_found"].values()), state["dense_found"]  # every document searchable
    assert all(state["keyword_found"].values()), state["keyword_found"]


def test_two_ingests_at_once_into_one_index_lose_nothing(tmp_path: Path) -> None:
    first = ["north", "south", "east"]
    second = ["west", "central"]
    a = _write_docs(tmp_path / "a", first, paragraphs=40)
    b = _write_docs(tmp_path / "b", second, paragraphs=40)
    root = tmp_path / "idx"
    procs = [
        _cli(root, "ingest", *map(str, a), "--index", "shared", "--no-progress", "--wait"),
        _cli(root, "ingest", *map(str, b), "--index", "shared", "--no-progress", "--wait"),
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _assert_whole(_inspect(root, "shared"), first + second)


@pytest.mark.slow
def test_a_second_writer_is_refused_without_wait_and_queues_with_it(tmp_path: Path) -> None:
    docs = _write_docs(tmp_path / "d", ["north"])
    root = tmp_path / "idx"
    directory = root / "busy"
    log = tmp_path / "waiting.err"
    with index_lock(directory, "busy"):
        refused = _run(root, "ingest", str(docs[0]), "--index", "busy", "--no-progress")
        with log.open("w") as err_file:
            waiting = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rag_council.cli",
                    "ingest",
                    str(docs[0]),
                    "--index",
                    "busy",
                    "--no-progress",
                    "--wait",
                ],
                env=_env(root),
                stdout=subprocess.DEVNULL,
                stderr=err_file,
            )
        deadline = time.monotonic() + 200
        while "waiting for it to finish" not in log.read_text() and time.monotonic() < deadline:
            assert waiting.poll() is None, log.read_text()  # it must wait, not go ahead
            time.sleep(0.2)
    waiting.wait(timeout=240)
    err = log.read_text()
    assert refused.returncode == 1
    assert "being written by pid" in refused.stderr and "--wait" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert waiting.returncode == 0, err
    assert "waiting for it to finish" in err
    _assert_whole(_inspect(root, "busy"), ["north"])


def _points() -> list:
    fast = {"after-upsert"}  # the rest with the slow tests (make test runs them all)
    return [p if p in fast else pytest.param(p, marks=pytest.mark.slow) for p in CRASH_POINTS]


@pytest.mark.parametrize("point", _points())
def test_an_ingest_killed_at_a_chosen_point_is_repaired_or_completed(tmp_path: Path, point: str) -> None:
    names = ["north", "south", "east"]
    docs = _write_docs(tmp_path / "d", names)
    root = tmp_path / "idx"
    # A first document in place, so that a replaced document also passes the crash points.
    assert _run(root, "ingest", str(docs[0]), "--index", "k", "--no-progress").returncode == 0
    docs[0].write_text(docs[0].read_text(encoding="utf-8") + "\nA late addendum.\n", encoding="utf-8")
    crashed = _run(root, "ingest", *map(str, docs), "--index", "k", "--no-progress", **{FAIL_AT_ENV: point})
    assert crashed.returncode == 137, (point, crashed.stderr[-1500:])
    assert f"test crash at {point}" in crashed.stderr
    # check says what it finds (exit 1 when inconsistent), --repair makes it consistent ...
    checked = _run(root, "check", "--index", "k")
    assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr, checked.stderr
    repaired = _run(root, "check", "--index", "k", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    state = _inspect(root, "k")
    assert state["consistent"] and state["listed"] == state["stored"], state
    # ... and ingesting again completes the index, with nothing lost or duplicated.
    again = _run(root, "ingest", *map(str, docs), "--index", "k", "--no-progress")
    assert again.returncode == 0, again.stderr[-1500:]
    _assert_whole(_inspect(root, "k"), names)


@pytest.mark.slow
def test_a_killed_ingest_followed_by_a_plain_re_ingest_is_consistent(tmp_path: Path) -> None:
    names = ["north", "south"]
    docs = _write_docs(tmp_path / "d", names)
    root = tmp_path / "idx"
    crashed = _run(
        root, "ingest", *map(str, docs), "--index", "r", "--no-progress", **{FAIL_AT_ENV: "after-upsert"}
    )
    assert crashed.returncode == 137
    again = _run(root, "ingest", *map(str, docs), "--index", "r", "--no-progress")
    assert again.returncode == 0, again.stderr[-1500:]
    state = _inspect(root, "r")
    assert state["documents"] == sorted(f"{n}.txt" for n in names)
    assert state["listed"] == state["unique"], state
