"""Writing the results: answers.jsonl, report.json, report.md, report.html, the plots; and the
terminal summary."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_council.evaluate.report.baselines import baseline_diff
from rag_council.evaluate.report.floors import check_floors
from rag_council.evaluate.report.plots import svg_histogram, svg_kind_bars
from rag_council.evaluate.report.render import fmt, render_html, render_markdown
from rag_council.evaluate.runner import EvalRun


def _clean(value: Any) -> Any:
    """JSON-safe and stable: floats rounded to 6 places, NaN as None."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_outputs(
    run: EvalRun,
    out_dir: str | Path,
    *,
    baseline: dict[str, Any] | None = None,
    floors: Sequence[tuple[str, float]] = (),
) -> dict[str, Any]:
    """Write the four files (and the two SVG plots) to `out_dir`; return the final report."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = _clean(run.report)  # figures rounded to 6 places first: a rerun compares equal
    diff = _clean(baseline_diff(report, baseline)) if baseline is not None else None
    checked = check_floors(report, floors) if floors else None
    if diff is not None:
        report["baseline"] = diff
    if checked is not None:
        report["floors"] = checked
    run.report = report
    with (out / "answers.jsonl").open("w", encoding="utf-8") as fh:
        for result in run.results:
            fh.write(json.dumps(_clean(result.record()), ensure_ascii=False) + "\n")
    (out / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "per_kind.svg").write_text(svg_kind_bars(report), encoding="utf-8")
    timings = [x.answer.timings["total_s"] for x in run.results if "total_s" in x.answer.timings]
    (out / "latency.svg").write_text(svg_histogram(timings), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(run, diff, checked), encoding="utf-8")
    (out / "report.html").write_text(render_html(run, diff, checked), encoding="utf-8")
    return report


def summary(report: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    o = report["overall"]
    lines = [
        f"{report['gold']['questions']} questions: hit@1 {fmt(o['hit@1'])}, hit@5 {fmt(o['hit@5'])}, "
        f"hit@10 {fmt(o['hit@10'])}, MRR {fmt(o['mrr'])}",
        f"citations: hit {fmt(o['citation_hit'])}, ALCE recall {fmt(o['citation_recall'])}, "
        f"precision {fmt(o['citation_precision'])}",
        f"abstention: precision {fmt(o['abstention_precision'])}, recall {fmt(o['abstention_recall'])}, "
        f"F1 {fmt(o['abstention_f1'])}, false abstention rate {fmt(o['false_abstention_rate'])}",
        f"key facts: {fmt(o['key_fact_recall'])}; latency total p50 {fmt(report['latency']['total_s']['p50'])} s, "
        f"p95 {fmt(report['latency']['total_s']['p95'])} s",
    ]
    support = report.get("support")
    if support:
        lines.append(
            f"support checker ({support['checker']}) on {support['pairs']} pairs: accuracy {fmt(support['accuracy'])}, "
            f"precision {fmt(support['precision'])}, recall {fmt(support['recall'])}"
        )
    tl = report.get("timeline")
    if tl:
        t, a = tl["timeline"], tl["as_at"]
        lines.append(
            f"timelines ({t['questions']}): entries found {fmt(t['found'])}, dates {fmt(t['date'])}, kinds "
            f"{fmt(t['kind'])}, order {fmt(t['order'])}; as at ({a['questions']}): answered {fmt(a['answered'])}, "
            f"cited within the date {fmt(a['within'])}, later records said {fmt(a['later_said'])}"
        )
    if report.get("failures"):
        lines.append(f"{len(report['failures'])} questions with failures; see report.md")
    diff = [
        d
        for d in report.get("baseline", [])
        if d["better"] is not None and not d["metric"].startswith("latency.")
    ]
    if "baseline" in report:
        worse = [d for d in diff if not d["better"]]
        lines.append(
            f"vs baseline: {sum(d['better'] for d in diff)} metrics better, {len(worse)} worse"
            + (
                ": " + ", ".join(f"{d['metric']} {fmt(d['before'])}→{fmt(d['after'])}" for d in worse[:8])
                if worse
                else ""
            )
        )
    for row in report.get("floors", []):
        if not row["ok"]:
            bound = "ceiling" if row["ceiling"] else "floor"
            lines.append(f"FAIL {row['metric']} = {fmt(row['value'])} ({bound} {fmt(row['floor'])})")
    return "\n".join(lines)
