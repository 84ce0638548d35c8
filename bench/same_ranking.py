"""Do two versions of the code rank the same passages? Dump, then compare.

    RAG_COUNCIL_INDEX_ROOT=/tmp/gold-idx-copy PYTHONPATH=<tree>:<tree>/app \
        python bench/same_ranking.py dump --out /tmp/a.json [--index default] [--k 10]
    python bench/same_ranking.py compare /tmp/a.json /tmp/b.json

`dump` runs the default hybrid retriever (the configured embedder, an existing index: use a
copy, the index's SQLite files are opened read-write) over every gold question (only its
"question" field is read) and writes each question's ranked chunk ids with their fused,
cosine and BM25 scores. `compare` says for how many questions two dumps agree: the same ids
in the same order, and every score equal to 9 decimals. Run `dump` once per code tree
(PYTHONPATH decides which is imported). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
GOLD = Path(__file__).resolve().parents[1] / "evals" / "gold.jsonl"


def dump(out: Path, index_name: str, k: int, gold: Path) -> None:
    import rag_council
    from rag_council import Settings
    from rag_council.embedding import make_embedder
    from rag_council.index import Index
    from rag_council.retrieve.retrievers import make_retriever

    settings = Settings(index=index_name) if index_name else Settings()
    embedder = make_embedder(settings.embedder)
    index = Index.open(settings, embedder)
    retriever = make_retriever(index, settings.retrieval)
    questions = [json.loads(line)["question"] for line in gold.open(encoding="utf-8") if line.strip()]
    rows = []
    for question in questions:
        hits = retriever.retrieve(question, k)
        rows.append(
            {
                "question": question,
                "hits": [[h.chunk.chunk_id, h.score, h.dense, h.keyword] for h in hits],
            }
        )
    out.write_text(json.dumps({"code": rag_council.__file__, "rows": rows}))
    print(f"{len(rows)} questions from {rag_council.__file__} -> {out}", file=sys.stderr)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return round(a, 9) == round(b, 9)


def compare(first: Path, second: Path) -> None:
    a = json.loads(first.read_text())["rows"]
    b = json.loads(second.read_text())["rows"]
    same, differ = 0, []
    for x, y in zip(a, b, strict=True):
        ok = [h[0] for h in x["hits"]] == [h[0] for h in y["hits"]] and all(
            all(_same(p, q) for p, q in zip(hx[1:], hy[1:], strict=True))
            for hx, hy in zip(x["hits"], y["hits"], strict=True)
        )
        same += ok
        if not ok:
            differ.append(x["question"])
    print(json.dumps({"identical": same, "questions": len(a), "differ": differ}))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--index", default="")
    d.add_argument("--k", type=int, default=10)
    d.add_argument("--gold", type=Path, default=GOLD)
    c = sub.add_parser("compare")
    c.add_argument("first", type=Path)
    c.add_argument("second", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.index, args.k, args.gold)
    else:
        compare(args.first, args.second)


if __name__ == "__main__":
    main()
