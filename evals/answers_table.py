"""Before/after tables for evals/answers_report.md from evaluation outputs (report.json and
answers.jsonl of `rag-council eval` or `tune_decide.py --eval-out`).

    python evals/answers_table.py NAME=DIR [NAME=DIR ...]

Answer words (p50/p95 of the answers given, citation markers aside) are computed from
answers.jsonl, so that reports written before the metric existed get it too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rag_council.evaluate.metrics import answer_words, percentile
from rag_council.evaluate.runner import METRICS

ROWS = ("questions", *METRICS)  # the runner's own metrics, in report order


def load(directory: Path) -> tuple[dict, list[dict]]:
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    answers = [
        json.loads(line) for line in (directory / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return report, answers


def words_by_kind(answers: list[dict]) -> dict[str, tuple[int | None, int | None]]:
    groups: dict[str, list[int]] = {"overall": []}
    for a in answers:
        if a.get("abstained"):
            continue
        n = answer_words(a.get("answer", ""))
        groups["overall"].append(n)
        groups.setdefault(a.get("eval", {}).get("kind") or a.get("kind") or "?", []).append(n)
    return {k: (percentile(v, 50), percentile(v, 95)) for k, v in groups.items()}


def fmt(v: object) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str]) -> int:
    runs = []
    for arg in argv:
        name, _, directory = arg.partition("=")
        report, answers = load(Path(directory))
        runs.append((name, report, answers, words_by_kind(answers)))
    print("| metric | " + " | ".join(n for n, *_ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for row in ROWS:
        cells = []
        for _, report, _, words in runs:
            value = report["overall"].get(row)
            if row.startswith("answer_words"):
                value = words["overall"][0 if row.endswith("p50") else 1]
            cells.append(fmt(value))
        print(f"| {row} | " + " | ".join(cells) + " |")
    for stage in ("retrieve_s", "answer_s", "total_s"):
        for q in ("p50", "p95"):
            print(
                f"| latency {stage} {q} | "
                + " | ".join(fmt(r["latency"][stage][q]) for _, r, _, _ in runs)
                + " |"
            )
    # per kind, the last run against the first
    (n0, r0, _, w0), (n1, r1, _, w1) = runs[0], runs[-1]
    kinds = list(r1["by_kind"])
    print()
    print(f"Per kind: {n0} → {n1}")
    print()
    print("| metric | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for row in ROWS:
        cells = []
        for k in kinds:
            if row.startswith("answer_words"):
                i = 0 if row.endswith("p50") else 1
                a, b = (w0.get(k) or (None, None))[i], (w1.get(k) or (None, None))[i]
            else:
                a, b = r0["by_kind"].get(k, {}).get(row), r1["by_kind"][k].get(row)
            cells.append(fmt(b) if a is None or a == b else f"{fmt(a)} → {fmt(b)}")
        print(f"| {row} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
