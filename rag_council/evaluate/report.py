"""Writing the results: answers.jsonl, report.json, report.md, report.html (plots as inline SVG,
no plotting library), the difference from a baseline report, and floors for CI."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_council.errors import RagCouncilError
from rag_council.evaluate.runner import LOWER_IS_BETTER, METRICS, STAGES, EvalRun, QuestionResult

WORST = 15


class FloorError(RagCouncilError):
    hint = "Write floors as METRIC=VALUE, e.g. --fail-under hit@5=0.6 kind.decision.mrr=0.4 support.accuracy=0.75."


# ------------------------------------------------------------------------------ metric names


def flatten(report: dict[str, Any]) -> dict[str, float | None]:
    """Every figure of a report under one name: overall metrics bare ('hit@5'), per kind as
    'kind.decision.hit@5', the support checker as 'support.accuracy', latency as
    'latency.total_s.p95'. Sorted by name."""
    out: dict[str, float | None] = {}
    for name in METRICS:
        out[name] = report.get("overall", {}).get(name)
    for kind, figures in report.get("by_kind", {}).items():
        for name in METRICS:
            out[f"kind.{kind}.{name}"] = figures.get(name)
    support = report.get("support")
    if support:
        for name in ("accuracy", "precision", "recall", "f1"):
            out[f"support.{name}"] = support.get(name)
    for stage, figures in report.get("latency", {}).items():
        for q in ("p50", "p95"):
            if figures.get(q) is not None:
                out[f"latency.{stage}.{q}"] = figures[q]
    return dict(sorted(out.items()))


def lower_is_better(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in LOWER_IS_BETTER or name.startswith("latency.")


def parse_floors(specs: Sequence[str]) -> list[tuple[str, float]]:
    floors: list[tuple[str, float]] = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise FloorError(f"'{spec}' is not METRIC=VALUE.")
        try:
            number = float(value)
        except ValueError:
            raise FloorError(f"'{spec}': '{value}' is not a number.") from None
        if not known_metric(name.strip()):
            raise FloorError(
                f"Unknown metric '{name.strip()}'. Known: {', '.join(METRICS)}, kind.KIND.METRIC, "
                "support.accuracy|precision|recall|f1, latency.STAGE.p50|p95."
            )
        floors.append((name.strip(), number))
    return floors


def known_metric(name: str) -> bool:
    """Could a report have this metric? (Kinds depend on the gold file, so any kind passes.)"""
    parts = name.split(".")
    if len(parts) == 1:
        return name in METRICS
    if parts[0] == "kind":
        return len(parts) == 3 and parts[2] in METRICS
    if parts[0] == "support":
        return len(parts) == 2 and parts[1] in ("accuracy", "precision", "recall", "f1")
    if parts[0] == "latency":
        return len(parts) == 3 and parts[1] in STAGES and parts[2] in ("p50", "p95")
    return False


def check_floors(report: dict[str, Any], floors: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """One row per floor: the metric, its value, the floor and whether it holds. A metric
    that is lower-is-better (false_abstention_rate, latency) is a ceiling instead."""
    figures = flatten(report)
    rows: list[dict[str, Any]] = []
    for name, floor in floors:
        if name not in figures:
            close = [n for n in figures if n.endswith(name) or name in n][:5]
            raise FloorError(
                f"Unknown metric '{name}'."
                + (f" Did you mean: {', '.join(close)}?" if close else f" Known: {', '.join(METRICS)}.")
            )
        value = figures[name]
        ceiling = lower_is_better(name)
        ok = value is not None and (value <= floor if ceiling else value >= floor)
        rows.append({"metric": name, "value": value, "floor": floor, "ceiling": ceiling, "ok": ok})
    return rows


def baseline_diff(report: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Metric by metric: before, after, change, and whether the change is for the better."""
    now, before = flatten(report), flatten(baseline)
    rows: list[dict[str, Any]] = []
    for name in sorted(set(now) | set(before)):
        a, b = before.get(name), now.get(name)
        delta = round(b - a, 6) if a is not None and b is not None else None
        better = None
        if delta and not name.endswith("answered_rate"):  # answering more is not better in itself
            better = (delta < 0) if lower_is_better(name) else (delta > 0)
        rows.append({"metric": name, "before": a, "after": b, "delta": delta, "better": better})
    return rows


def load_report(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RagCouncilError(f"Baseline report {path} does not exist.") from None
    except json.JSONDecodeError as exc:
        raise RagCouncilError(f"Baseline report {path} is not JSON: {exc}.") from None
    if not isinstance(data, dict) or "overall" not in data:
        raise RagCouncilError(f"{path} is not a report.json written by `rag-council eval`.")
    return data


# ---------------------------------------------------------------------------------- formatting


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _snippet(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _score(hit: Any) -> str:
    dense = getattr(hit, "dense", None)
    return f"cosine {dense:.2f}" if dense is not None else f"score {hit.score:.2f}"


def worst(results: Sequence[QuestionResult], n: int = WORST) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for r in sorted((r for r in results if r.failures), key=lambda r: (-r.severity, r.item.id))[:n]:
        top = r.answer.retrieved[0] if r.answer.retrieved else None
        retrieved = (
            f"#1 {top.chunk.document} ({_score(top)}): {_snippet(top.chunk.text, 160)}" if top else "nothing"
        )
        if r.rank:
            retrieved += f" — gold quote at rank {r.rank}"
        answered = ("[declined] " if r.answer.abstained else "") + _snippet(r.answer.text, 240)
        rows.append(
            {
                "id": r.item.id,
                "kind": r.item.kind,
                "question": r.item.question,
                "expected": _snippet(r.item.quotes[0], 200) if r.item.quotes else "(should decline)",
                "retrieved": retrieved,
                "answered": answered,
                "why": "; ".join(r.failures),
            }
        )
    return rows


# ----------------------------------------------------------------------------------------- SVG


def svg_kind_bars(
    report: dict[str, Any], metrics: Sequence[str] = ("hit@5", "citation_hit", "key_fact_recall")
) -> str:
    """Grouped bars: for each kind, one bar per metric (0..1)."""
    kinds = list(report.get("by_kind", {}))
    colours = ["#3b6ea5", "#e08a2c", "#4a9a5b", "#b04a5a"]
    group_w, bar_w, h, top, left = 30 + 18 * len(metrics), 18, 180, 20, 36
    width = left + group_w * len(kinds) + 10
    height = top + h + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + h - tick * h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for i, kind in enumerate(kinds):
        x0 = left + i * group_w + 10
        for j, metric in enumerate(metrics):
            value = report["by_kind"][kind].get(metric)
            if value is None:
                continue
            bh = value * h
            x = x0 + j * bar_w
            parts.append(
                f'<rect x="{x}" y="{top + h - bh:.1f}" width="{bar_w - 3}" height="{bh:.1f}" fill="{colours[j % 4]}">'
                f"<title>{html.escape(kind)} {metric}: {value:.3f}</title></rect>"
            )
        cx = x0 + len(metrics) * bar_w / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + h + 12}" text-anchor="end" transform="rotate(-35 {cx:.1f} {top + h + 12})">'
            f"{html.escape(kind)}</text>"
        )
    for j, metric in enumerate(metrics):
        x = left + j * 120
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colours[j % 4]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}">{html.escape(metric)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(values: Sequence[float], label: str = "total seconds per question", bins: int = 20) -> str:
    width, h, top, left = 520, 150, 15, 36
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + h + 40}" font-family="sans-serif" font-size="11">'
    ]
    if not values:
        parts.append('<text x="10" y="30">no timings</text></svg>')
        return "".join(parts)
    hi = max(values) or 1.0
    step = hi / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step) if step else 0)] += 1
    peak = max(counts)
    bar_w = (width - left - 10) / bins
    for i, c in enumerate(counts):
        bh = c / peak * h
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{top + h - bh:.1f}" width="{bar_w - 1:.1f}" height="{bh:.1f}" fill="#3b6ea5">'
            f"<title>{i * step:.2f}–{(i + 1) * step:.2f} s: {c}</title></rect>"
        )
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + h}" text-anchor="end">0</text>')
    parts.append(f'<text x="{left}" y="{top + h + 14}">0</text>')
    parts.append(f'<text x="{width - 10}" y="{top + h + 14}" text-anchor="end">{hi:.2f} s</text>')
    parts.append(
        f'<text x="{width / 2:.0f}" y="{top + h + 32}" text-anchor="middle">{html.escape(label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------------- markdown


def _metric_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    kinds = list(report.get("by_kind", {}))
    header = ["metric", "overall", *kinds]
    rows = [
        [
            "questions",
            fmt(report["overall"]["questions"]),
            *(fmt(report["by_kind"][k]["questions"]) for k in kinds),
        ]
    ]
    for name in METRICS:
        rows.append(
            [name, fmt(report["overall"].get(name)), *(fmt(report["by_kind"][k].get(name)) for k in kinds)]
        )
    return header, rows


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(
    run: EvalRun, diff: list[dict[str, Any]] | None, floors: list[dict[str, Any]] | None
) -> str:
    r = run.report
    eng = r.get("engine", {})
    lines = [
        "# rag-council evaluation",
        "",
        f"Gold: `{r['gold']['file']}` ({r['gold']['questions']} questions, sha256 {r['gold']['sha256']}). "
        f"Index `{eng.get('index')}` ({eng.get('documents')} documents, {eng.get('chunks')} chunks), "
        f"generator `{eng.get('generator')}`, top_k {eng.get('top_k')}, embedder `{eng.get('embedder')}`. "
        f"Support checker: `{r['support_checker']}` (a lexical heuristic, not NLI).",
        "",
        "## Metrics",
        "",
    ]
    header, rows = _metric_table(r)
    lines += _md_table(header, rows)
    lines += [
        "",
        "hit@k / MRR: a retrieved chunk (of 10) contains a gold quote. citation_hit: a cited passage contains a gold "
        "quote (answerable questions; a declined answer counts as a miss); citation_recall / citation_precision: ALCE-style, "
        "judged by the support checker, averaged over answered questions. Abstention: declining is the positive class. "
        "key_fact_recall: share of the reference answer's numbers, dates, amounts and names present in the answer.",
        "",
        "![per-kind bars](per_kind.svg)",
        "",
        "## Latency (seconds)",
        "",
    ]
    lat = [
        [
            stage,
            fmt(r["latency"][stage]["p50"]),
            fmt(r["latency"][stage]["p95"]),
            fmt(r["latency"][stage]["max"]),
        ]
        for stage in STAGES
    ]
    lines += _md_table(["stage", "p50", "p95", "max"], lat)
    lines += [
        "",
        f"Whole evaluation: {fmt(r['latency']['eval_seconds']['max'], 1)} s.",
        "",
        "![latency](latency.svg)",
        "",
    ]
    support = r.get("support")
    if support:
        lines += [
            "## Support checker",
            "",
            f"On `{support['file']}` ({support['pairs']} labelled claim/passage pairs), checker `{support['checker']}`: "
            f"accuracy {fmt(support['accuracy'])}, precision {fmt(support['precision'])}, recall {fmt(support['recall'])}, "
            f"F1 {fmt(support['f1'])} (positive class: supported; confusion {support['confusion']}).",
            "",
        ]
        lines += _md_table(
            ["perturbation", "pairs", "accuracy"],
            [
                [k, str(support["count_by_perturbation"][k]), fmt(v)]
                for k, v in support["accuracy_by_perturbation"].items()
            ],
        )
        lines.append("")
    if floors:
        lines += ["## Floors", ""]
        lines += _md_table(
            ["metric", "value", "floor", "result"],
            [
                [
                    f["metric"],
                    fmt(f["value"]),
                    ("≤ " if f["ceiling"] else "≥ ") + fmt(f["floor"]),
                    "ok" if f["ok"] else "FAIL",
                ]
                for f in floors
            ],
        )
        lines.append("")
    if diff is not None:
        changed = [d for d in diff if d["delta"] is None or abs(d["delta"]) > 1e-9]
        lines += ["## Change from baseline", ""]
        if not changed:
            lines += ["No metric changed.", ""]
        else:
            lines += _md_table(
                ["metric", "before", "after", "change", ""],
                [
                    [
                        d["metric"],
                        fmt(d["before"]),
                        fmt(d["after"]),
                        ("+" if (d["delta"] or 0) > 0 else "") + fmt(d["delta"]),
                        {True: "better", False: "worse", None: ""}[d["better"]],
                    ]
                    for d in changed
                ],
            )
            lines.append("")
    lines += [f"## Worst failures (top {WORST})", ""]
    lines += _md_table(
        ["id", "kind", "question", "expected quote", "retrieved", "answered", "why"],
        [
            [w["id"], w["kind"], w["question"], w["expected"], w["retrieved"], w["answered"], w["why"]]
            for w in worst(run.results)
        ],
    )
    lines += ["", f"## Every failure ({len(r['failures'])} of {r['gold']['questions']} questions)", ""]
    for f in r["failures"]:
        lines.append(f"- **{f['id']}** ({f['kind']}, severity {f['severity']}): " + "; ".join(f["reasons"]))
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------- HTML

_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}.fail{color:#b00;font-weight:bold}
.ok{color:#070}.better{color:#070}.worse{color:#b00}small{color:#666}"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = ' class="num"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{html.escape(str(c))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(run: EvalRun, diff: list[dict[str, Any]] | None, floors: list[dict[str, Any]] | None) -> str:
    r = run.report
    eng = r.get("engine", {})
    e = html.escape
    body = [
        "<h1>rag-council evaluation</h1>",
        f"<p>Gold <code>{e(str(r['gold']['file']))}</code>: {r['gold']['questions']} questions. Index "
        f"<code>{e(str(eng.get('index')))}</code> ({eng.get('documents')} documents, {eng.get('chunks')} chunks); generator "
        f"<code>{e(str(eng.get('generator')))}</code>; support checker <code>{e(r['support_checker'])}</code> "
        "(a lexical heuristic, not NLI).</p>",
        "<h2>Metrics</h2>",
    ]
    header, rows = _metric_table(r)
    body.append(_html_table(header, rows))
    body += ["<h3>Per kind</h3>", svg_kind_bars(r), "<h2>Latency</h2>"]
    body.append(
        _html_table(
            ["stage", "p50 s", "p95 s", "max s"],
            [
                [s, fmt(r["latency"][s]["p50"]), fmt(r["latency"][s]["p95"]), fmt(r["latency"][s]["max"])]
                for s in STAGES
            ],
        )
    )
    body.append(
        svg_histogram([x.answer.timings["total_s"] for x in run.results if "total_s" in x.answer.timings])
    )
    support = r.get("support")
    if support:
        body.append("<h2>Support checker</h2>")
        body.append(
            f"<p>On <code>{e(support['file'])}</code> ({support['pairs']} labelled pairs): accuracy {fmt(support['accuracy'])}, "
            f"precision {fmt(support['precision'])}, recall {fmt(support['recall'])}, F1 {fmt(support['f1'])}.</p>"
        )
        body.append(
            _html_table(
                ["perturbation", "pairs", "accuracy"],
                [
                    [k, support["count_by_perturbation"][k], fmt(v)]
                    for k, v in support["accuracy_by_perturbation"].items()
                ],
            )
        )
    if floors:
        body.append(
            "<h2>Floors</h2><table><tr><th>metric</th><th>value</th><th>floor</th><th>result</th></tr>"
        )
        for f in floors:
            cls, word = ("ok", "ok") if f["ok"] else ("fail", "FAIL")
            body.append(
                f"<tr><td>{e(f['metric'])}</td><td class=num>{fmt(f['value'])}</td><td class=num>"
                f"{'≤' if f['ceiling'] else '≥'} {fmt(f['floor'])}</td><td class={cls}>{word}</td></tr>"
            )
        body.append("</table>")
    if diff is not None:
        body.append(
            "<h2>Change from baseline</h2><table><tr><th>metric</th><th>before</th><th>after</th><th>change</th></tr>"
        )
        for d in diff:
            if d["delta"] is not None and abs(d["delta"]) <= 1e-9:
                continue
            cls = {True: "better", False: "worse", None: ""}[d["better"]]
            sign = "+" if (d["delta"] or 0) > 0 else ""
            body.append(
                f"<tr><td>{e(d['metric'])}</td><td class=num>{fmt(d['before'])}</td><td class=num>{fmt(d['after'])}</td>"
                f"<td class='num {cls}'>{sign}{fmt(d['delta'])}</td></tr>"
            )
        body.append("</table>")
    body.append(f"<h2>Worst failures (top {WORST})</h2>")
    w = worst(run.results)
    body.append(
        _html_table(
            ["id", "kind", "question", "expected quote", "retrieved", "answered", "why"],
            [
                [x["id"], x["kind"], x["question"], x["expected"], x["retrieved"], x["answered"], x["why"]]
                for x in w
            ],
            numeric_from=99,
        )
    )
    body.append(f"<h2>Every failure ({len(r['failures'])})</h2><ul>")
    for f in r["failures"]:
        body.append(
            f"<li><b>{e(f['id'])}</b> <small>{e(f['kind'])}</small>: {e('; '.join(f['reasons']))}</li>"
        )
    body.append("</ul>")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>rag-council evaluation</title>"
        f"<style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


# ------------------------------------------------------------------------------------- writing


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
