"""A run rendered for people: report.md and report.html (the worst questions, metric tables,
the baseline difference and the floors)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from rag_council.evaluate.report.plots import svg_histogram, svg_kind_bars
from rag_council.evaluate.runner import METRICS, STAGES, EvalRun, QuestionResult

WORST = 15


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
    tl = r.get("timeline")
    if tl:
        t, a = tl["timeline"], tl["as_at"]
        lines += [
            '## Timelines and "as at" questions',
            "",
            f"{t['questions']} timeline questions, scored on the records listed (`rag_council.evaluate.timeline`): "
            f"expected entries found {fmt(t['found'])}, with the right date {fmt(t['date'])} and kind {fmt(t['kind'])}, "
            f"exact quotes {fmt(t['exact'])}, in the expected order {fmt(t['order'])}, dates ascending "
            f"{fmt(t['ascending'])}, citations valid {fmt(t['cited'])}.",
            f'{a["questions"]} "as at" questions: answered {fmt(a["answered"])}, citations dated on or before '
            f"the date asked {fmt(a['within'])}, later records said to exist when they do {fmt(a['later_said'])}, "
            f'question read as "as at" {fmt(a["read_as_at"])}.',
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
