"""The query side of `scale.py` alone, on an index it built, with the round trips counted.

    PYTHONPATH=<tree>:<tree>/app python bench/query_side.py --keep /tmp/scale100k --name scale100000 \
        [--questions 40] [--passes 1] [--host H --port P] [--profile FILE] [--label main]

Opens the index `scale.py --keep DIR` made (hash embedder; with --host/--port through a Chroma
server holding its collection), then like scale.py: three warm-up questions, the default hybrid
retriever over the first N gold questions (`retrieve_*`), then `Engine.ask` with the extractive
answerer over the same questions (`answer_*`), wall and CPU time of the process. It runs with
any version of the code (PYTHONPATH decides), so that two can be measured in turns on the same
index. It also counts, per retrieved question, the calls made to the Chroma collection (each
one a round trip to a server; `store_calls_*`) and the SQL statements run on index.sqlite
(`sqlite_*`). With --profile, the retrieval pass is run under cProfile into FILE. One JSON line;
asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
GOLD = Path(__file__).resolve().parents[1] / "evals" / "gold.jsonl"

CALLS: Counter[str] = Counter()


def _count_chroma() -> None:
    from chromadb.api.models.Collection import Collection

    for name in ("query", "get", "count", "upsert", "add", "delete", "peek", "modify"):
        original = getattr(Collection, name)

        def counted(self: Any, *args: Any, _original: Any = original, _name: str = name, **kw: Any) -> Any:
            CALLS[f"chroma.{_name}"] += 1
            return _original(self, *args, **kw)

        setattr(Collection, name, counted)


def _count_sqlite() -> None:
    connect = sqlite3.connect

    def connected(*args: Any, **kw: Any) -> sqlite3.Connection:
        db = connect(*args, **kw)
        if str(args[0] if args else kw.get("database", "")).endswith("index.sqlite"):
            db.set_trace_callback(lambda sql: CALLS.update(["sqlite"]))
        return db

    sqlite3.connect = connected  # type: ignore[assignment]


def cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a process (0 without one)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--host", default="")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--label", default="")
    parser.add_argument("--no-answers", action="store_true")
    parser.add_argument("--server-pid", type=int, help="a Chroma server's pid: its CPU seconds are added")
    args = parser.parse_args()
    _count_chroma()
    _count_sqlite()

    import rag_council
    from rag_council import Settings
    from rag_council.embedding import make_embedder
    from rag_council.engine import Engine
    from rag_council.index import Index
    from rag_council.retrieve.retrievers import make_retriever

    settings = Settings(index_root=args.keep / "indexes", index=args.name)
    settings = settings.model_copy(
        update={
            "embedder": settings.embedder.model_copy(update={"kind": "hash"}),
            "store": settings.store.model_copy(update={"host": args.host, "port": args.port}),
        }
    )
    rows = [json.loads(line) for line in GOLD.open(encoding="utf-8")]
    questions = [r["question"] for r in rows if r.get("quotes")][: args.questions]
    embedder = make_embedder(settings.embedder)
    index = Index.open(settings, embedder)
    retriever = make_retriever(index, settings.retrieval)
    for q in questions[:3]:
        retriever.retrieve(q, settings.retrieval.top_k)  # warm up, as scale.py does
    out: dict[str, Any] = {
        "label": args.label,
        "code": rag_council.__file__,
        "chunks": index.keyword.totals()[0],
    }
    out["store"] = f"server {args.host}:{args.port}" if args.host else "embedded"
    load = [os.getloadavg()[0]]
    for p in range(args.passes):
        wall, cpu, chroma, sql = [], [], [], []
        server_before = cpu_of(args.server_pid)
        profile = cProfile.Profile() if args.profile and p == 0 else None
        for q in questions:
            CALLS.clear()
            if profile:
                profile.enable()
            t, c = time.perf_counter(), time.process_time()
            retriever.retrieve(q, 10)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            if profile:
                profile.disable()
            chroma.append(sum(n for k, n in CALLS.items() if k.startswith("chroma.")))
            sql.append(CALLS["sqlite"])
        if profile and args.profile:
            profile.dump_stats(str(args.profile))
        tag = "" if p == 0 else f"_pass{p + 1}"
        if args.server_pid:
            out[f"server_cpu_ms_per_question{tag}"] = round(
                1000 * (cpu_of(args.server_pid) - server_before) / len(questions), 1
            )
        out[f"retrieve_p50_ms{tag}"] = round(pct(wall, 0.5), 1)
        out[f"retrieve_p95_ms{tag}"] = round(pct(wall, 0.95), 1)
        out[f"retrieve_cpu_p50_ms{tag}"] = round(pct(cpu, 0.5), 1)
        out[f"retrieve_cpu_p95_ms{tag}"] = round(pct(cpu, 0.95), 1)
        out[f"store_calls_mean{tag}"] = round(sum(chroma) / len(chroma), 2)
        out[f"store_calls_max{tag}"] = max(chroma)
        out[f"sqlite_mean{tag}"] = round(sum(sql) / len(sql), 1)
        if p == 0:
            out["retrieve_cpu_ms"] = [round(x, 1) for x in cpu]
            out["store_calls"] = chroma
        load.append(os.getloadavg()[0])
    if not args.no_answers:
        engine = Engine.open(settings.with_generator("extractive"), embedder)
        wall, cpu, chroma = [], [], []
        server_before = cpu_of(args.server_pid)
        for q in questions:
            CALLS.clear()
            t, c = time.perf_counter(), time.process_time()
            engine.ask(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            chroma.append(sum(n for k, n in CALLS.items() if k.startswith("chroma.")))
        out["answer_p50_ms"] = round(pct(wall, 0.5), 1)
        out["answer_p95_ms"] = round(pct(wall, 0.95), 1)
        out["answer_cpu_p50_ms"] = round(pct(cpu, 0.5), 1)
        out["answer_cpu_p95_ms"] = round(pct(cpu, 0.95), 1)
        out["answer_max_ms"] = round(max(wall), 1)  # the first answer that reads the whole index's words
        out["answer_store_calls_mean"] = round(sum(chroma) / len(chroma), 2)
        if args.server_pid:
            out["answer_server_cpu_ms_per_question"] = round(
                1000 * (cpu_of(args.server_pid) - server_before) / len(questions), 1
            )
        load.append(os.getloadavg()[0])
    out["load_avg_1m"] = [round(x, 2) for x in load]
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
