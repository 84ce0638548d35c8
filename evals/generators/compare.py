"""Side-by-side table of `rag-council eval` runs (one folder each), for evals/generators/README.md.

python evals/generators/compare.py NAME=RUN_DIR ...   # prints a Markdown table
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROWS = [
    ("questions", "questions"),
    ("citation_precision", "citation precision (answered)"),
    ("citation_recall", "citation recall (answered)"),
    ("citation_hit", "cited passage holds a gold quote (answerable)"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("abstention_f1", "abstention F1"),
    ("false_abstention_rate", "false abstention rate"),
    ("answered_rate", "answered"),
    ("key_fact_recall", "key-fact recall (answerable)"),
]


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def summarise(run: Path) -> dict:
    report = json.loads((run / "report.json").read_text())
    answers = [json.loads(line) for line in (run / "answers.jsonl").read_text().splitlines() if line.strip()]
    called = [a["timings"] for a in answers if "first_token_s" in a["timings"]]
    out = dict(report["overall"])
    out["generator"] = report["engine"]["generator"]
    out["model_called"] = len(called)
    for key in ("first_token_s", "answer_s", "llm_prompt_tokens", "llm_prompt_tok_s", "llm_gen_tok_s"):
        values = [t[key] for t in called if key in t]
        out[f"{key}.p50"] = statistics.median(values) if values else None
        out[f"{key}.p95"] = _pct(values, 95)
    out["total_s.p50"] = report["latency"]["total_s"]["p50"]
    claims = [c for a in answers if not a["abstained"] for c in a.get("claims", [])]
    out["claims_checked"] = len([c for a in answers for c in a.get("claims", [])])
    out["claims_shown_supported"] = sum(1 for c in claims if c.get("supported"))
    out["claims_moved"] = sum(
        1 for a in answers for c in a.get("claims", []) if "moved" in c.get("check", "")
    )
    out["claims_removed"] = sum(
        1 for a in answers for c in a.get("claims", []) if c.get("supported") is False
    )
    return out


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.5 else f"{value:.1f}"
    return str(value)


def main(args: list[str]) -> None:
    runs = [(a.split("=", 1)[0], summarise(Path(a.split("=", 1)[1]))) for a in args]
    print("| metric | " + " | ".join(name for name, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    rows = [
        *ROWS,
        ("model_called", "questions that reached the generator"),
        ("claims_checked", "sentences checked"),
        ("claims_moved", "citations moved to the supporting passage"),
        ("claims_removed", "sentences removed as unsupported"),
        ("first_token_s.p50", "time to first token, p50 (s)"),
        ("first_token_s.p95", "time to first token, p95 (s)"),
        ("answer_s.p50", "full answer (generate + check), p50 (s)"),
        ("answer_s.p95", "full answer (generate + check), p95 (s)"),
        ("llm_prompt_tokens.p50", "prompt tokens, p50"),
        ("llm_prompt_tok_s.p50", "prompt reading, tokens/s, p50"),
        ("llm_gen_tok_s.p50", "generation, tokens/s, p50"),
    ]
    for key, label in rows:
        print(f"| {label} | " + " | ".join(fmt(r.get(key)) for _, r in runs) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
