"""The grounding test suite: gold questions in, figures and a readable report out.

    rag-council eval evals/gold.jsonl --out eval-out --fail-under hit@5=0.6

Library use:

    from rag_council import open_index
    from rag_council.evaluate import evaluate, write_outputs
    run = evaluate(open_index("default"), "evals/gold.jsonl")
    write_outputs(run, "eval-out")
"""

from rag_council.evaluate.gold import GoldError, GoldItem, check_quotes, load_gold
from rag_council.evaluate.report import (
    FloorError,
    baseline_diff,
    check_floors,
    flatten,
    parse_floors,
    write_outputs,
)
from rag_council.evaluate.runner import METRICS, EvalRun, QuestionResult, aggregate, evaluate, judge

__all__ = [
    "METRICS",
    "EvalRun",
    "FloorError",
    "GoldError",
    "GoldItem",
    "QuestionResult",
    "aggregate",
    "baseline_diff",
    "check_floors",
    "check_quotes",
    "evaluate",
    "flatten",
    "judge",
    "load_gold",
    "parse_floors",
    "write_outputs",
]
