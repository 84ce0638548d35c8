"""Scoring of the timeline and "as at" gold questions (issue 13): the ordering and the dates of
the entries, not only the first hit.

A gold line of kind "timeline" carries, besides the usual fields,

    "timeline": {"topic": "corporate parenting", "since": "2017-01-01", "until": null,
                 "committee": null,
                 "expect": [{"date": "2017-07-20", "kind": "recommended", "quote": "..."}, ...]}

with the expected entries in date order; one of kind "as_at" carries

    "as_at": {"until": "2017-12-31", "later": true}

(the last date the answer may draw on, and whether the index holds later records the answer
must say exist).

    scores = score_timeline(engine, items, answers)   # answers: gold id -> Answer, optional

For each timeline question the topic's entries are built (rag_council.timeline.timeline) and
each expected entry is looked for by its quote (whitespace-insensitive, either way contained):
`found` is the share of expected entries whose quote is cited by some entry; `date` and
`kind` the share of the found ones with the expected date and kind; `exact` the share with
all three; `order` the share of pairs of found entries listed in the expected order;
`ascending` whether the dates never go back; `cited` the share of entries whose quote is an
exact span of a real chunk. For an "as at" question the engine's answer (from `answers`, or
asked here) is scored: `within` the share of its citations dated on or before `until`,
`later_said` whether it says that later records exist exactly when `later` is true.

The runner calls it once after answering the gold set (the "as at" answers are reused):
    report["timeline"] = score_timeline(engine, items, {r.item.id: r.answer for r in results})
or, on its own: python -m rag_council.evaluate.timeline evals/gold.jsonl --index NAME
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from rag_council.evaluate.gold import GoldItem, load_gold
from rag_council.types import Answer


def _norm(text: str) -> str:
    return " ".join(text.replace("**", "").split()).lower()


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _pairs_in_order(positions: list[int]) -> float | None:
    pairs = [(a, b) for i, a in enumerate(positions) for b in positions[i + 1 :]]
    if not pairs:
        return None
    return sum(a < b for a, b in pairs) / len(pairs)


def score_timeline_item(index: Any, item: GoldItem) -> dict[str, Any]:
    from rag_council.timeline import timeline

    spec = item.extra["timeline"]
    entries = timeline(
        index, spec["topic"], _day(spec.get("since")), _day(spec.get("until")), spec.get("committee")
    )
    expect = spec.get("expect", [])
    used: set[int] = set()
    found: list[tuple[dict[str, Any], int]] = []
    for e in expect:
        want = _norm(e["quote"])
        quotes = [_norm(entry.citation.quote) for entry in entries]
        # The entry quoting the expected words, else one whose (shorter) quote they hold.
        at = next((i for i, got in enumerate(quotes) if i not in used and want in got), None)
        if at is None:
            at = next(
                (
                    i
                    for i, got in enumerate(quotes)
                    if i not in used and len(got) >= max(12, 0.6 * len(want)) and got in want
                ),
                None,
            )
        if at is not None:
            used.add(at)
            found.append((e, at))
    n = len(expect) or 1
    dates = [e.date for e in entries if e.date]
    chunks = (
        {c.chunk_id: c for c in index.chunks(list({e.citation.chunk_id for e in entries}))} if entries else {}
    )
    cited = sum(
        1
        for e in entries
        if e.citation.chunk_id in chunks and e.citation.quote in chunks[e.citation.chunk_id].text
    )
    date_ok = sum(entries[i].date == e["date"] for e, i in found)
    kind_ok = sum(entries[i].kind == e["kind"] for e, i in found)
    exact = sum(entries[i].date == e["date"] and entries[i].kind == e["kind"] for e, i in found)
    order = _pairs_in_order([i for _, i in found])
    return {
        "id": item.id,
        "topic": spec["topic"],
        "entries": len(entries),
        "expected": len(expect),
        "found": len(found) / n,
        "date": date_ok / len(found) if found else 0.0,
        "kind": kind_ok / len(found) if found else 0.0,
        "exact": exact / n,
        "order": order,
        "ascending": dates == sorted(dates),
        "cited": cited / len(entries) if entries else 1.0,
        "missing": [e["quote"][:60] for e in expect if all(e is not f for f, _ in found)],
        "wrong": [
            {
                "quote": e["quote"][:60],
                "expected": [e["date"], e["kind"]],
                "got": [entries[i].date, entries[i].kind],
            }
            for e, i in found
            if (entries[i].date, entries[i].kind) != (e["date"], e["kind"])
        ],
    }


def score_as_at_item(engine: Any, item: GoldItem, answer: Answer | None) -> dict[str, Any]:
    spec = item.extra["as_at"]
    answer = answer or engine.ask(item.question)
    until = spec["until"]
    dated = [c for c in answer.citations if c.chunk.date]
    within = sum(c.chunk.date <= until for c in dated) / len(answer.citations) if answer.citations else None
    said = any("Later records exist" in n for n in answer.notes)
    return {
        "id": item.id,
        "abstained": answer.abstained,
        "citations": len(answer.citations),
        "within": within,
        "later_said": said == bool(spec.get("later")),
        "read_as_at": any(n.startswith("Read ") for n in answer.notes),
    }


def _mean(values: list[Any]) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None


def score_timeline(
    engine: Any, items: Sequence[GoldItem], answers: dict[str, Answer] | None = None
) -> dict[str, Any]:
    """The timeline and "as at" figures over the gold items that carry them (see above)."""
    answers = answers or {}
    timelines = [score_timeline_item(engine.index, i) for i in items if "timeline" in i.extra]
    as_ats = [score_as_at_item(engine, i, answers.get(i.id)) for i in items if "as_at" in i.extra]
    return {
        "timeline": {
            "questions": len(timelines),
            **{
                k: _mean([t[k] for t in timelines])
                for k in ("found", "date", "kind", "exact", "order", "ascending", "cited")
            },
            "items": timelines,
        },
        "as_at": {
            "questions": len(as_ats),
            "answered": _mean([not a["abstained"] for a in as_ats]),
            "within": _mean([a["within"] for a in as_ats]),
            "later_said": _mean([a["later_said"] for a in as_ats]),
            "read_as_at": _mean([a["read_as_at"] for a in as_ats]),
            "items": as_ats,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag_council.evaluate.timeline", description=__doc__)
    parser.add_argument("gold")
    parser.add_argument("--index")
    parser.add_argument("--ids", help="only these gold ids (comma-separated)")
    args = parser.parse_args(argv)
    from rag_council import open_index

    items = load_gold(args.gold)
    if args.ids:
        wanted = set(args.ids.split(","))
        items = [i for i in items if i.id in wanted]
    scores = score_timeline(open_index(args.index), items)
    print(json.dumps(scores, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
