"""`rag-council eval`: the command-line side of the evaluation (cli.py only wires it in)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag_council.settings import Settings

DEFAULT_OUT = "eval-out"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "gold", metavar="GOLD.jsonl", help="gold questions, one JSON object a line (see evals/README.md)"
    )
    p.add_argument("--index", help="index name (default: default)")
    p.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"folder for answers.jsonl and the reports (default: {DEFAULT_OUT})",
    )
    p.add_argument(
        "--baseline", metavar="REPORT", help="an earlier report.json: show the change metric by metric"
    )
    p.add_argument(
        "--fail-under",
        nargs="+",
        action="extend",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when a metric is below its floor, e.g. hit@5=0.6 kind.decision.mrr=0.4 support.accuracy=0.75 "
        "(false_abstention_rate and latency.* are ceilings)",
    )
    p.add_argument(
        "--support-pairs",
        metavar="PAIRS.jsonl",
        help="labelled claim/passage pairs to measure the support checker (default: support_pairs.jsonl next to GOLD)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council import open_index
    from rag_council.evaluate.gold import check_quotes_in_index, load_gold
    from rag_council.evaluate.report import load_report, parse_floors, summary, write_outputs
    from rag_council.evaluate.runner import evaluate

    floors = parse_floors(args.fail_under)  # bad floors fail before any work is done
    items = load_gold(args.gold)
    baseline = load_report(args.baseline) if args.baseline else None
    engine = open_index(args.index, settings)
    check_quotes_in_index(items, engine.index)  # a quote none of its listed files holds stops the run
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="q", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, qid: str) -> None:
        if bar is not None:
            bar.set_description(qid)
            bar.update(1)

    try:
        result = evaluate(engine, Path(args.gold), support_pairs=args.support_pairs, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    report = write_outputs(result, args.out, baseline=baseline, floors=floors)
    print(summary(report))
    print(f"Wrote {Path(args.out) / 'report.md'} and report.html, report.json, answers.jsonl.")
    failed = [f for f in report.get("floors", []) if not f["ok"]]
    return 1 if failed else 0
