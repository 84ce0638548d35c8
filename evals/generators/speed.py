"""Speed of a generator on gold questions: prompt and generation tokens/s, time to first token
and to the full (checked) answer. Questions declined before the model is called are skipped.
The load average before and after is printed: above the number of cores, timings are inflated.

HF_HUB_OFFLINE=1 python evals/generators/speed.py evals/generators/sample.jsonl --generator local -n 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from rag_council import Settings, open_index


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("gold")
    p.add_argument("--generator", default="local")
    p.add_argument("-n", type=int, default=10)
    args = p.parse_args()
    settings = Settings.load().with_generator(args.generator)
    engine = open_index(None, settings)
    load_before = f"{os.getloadavg()[0]:.2f}"
    rows = []
    from pathlib import Path

    for line in Path(args.gold).read_text(encoding="utf-8").splitlines():
        if len(rows) >= args.n:
            break
        if not line.strip():
            continue
        item = json.loads(line)
        answer = engine.ask(item["question"])
        t = answer.timings
        if "first_token_s" in t and (args.generator == "extractive" or "llm_prompt_tokens" in t):
            rows.append(t)
    keys = ["llm_prompt_tokens", "llm_prompt_tok_s", "llm_generated_tokens", "llm_gen_tok_s",
            "first_token_s", "answer_s"]  # fmt: skip
    print(f"{len(rows)} questions, generator {args.generator}, {os.cpu_count()} CPUs")
    print(f"load average before {load_before}, after {os.getloadavg()[0]:.2f} (1 min)")
    for key in keys:
        values = [r[key] for r in rows if key in r]
        if values:
            print(
                f"{key:>22}: median {statistics.median(values):8.2f}  min {min(values):8.2f}  max {max(values):8.2f}"
            )


if __name__ == "__main__":
    main()
