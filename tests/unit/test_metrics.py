"""Evaluation metrics on small handmade cases, gold parsing, floors and baselines, and a whole
run of the evaluation over a fake engine (no model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag_council.evaluate import (
    GoldError,
    check_floors,
    evaluate,
    flatten,
    load_gold,
    parse_floors,
    write_outputs,
)
from rag_council.evaluate import metrics as M
from rag_council.evaluate.report import FloorError, baseline_diff
from rag_council.types import Answer, Chunk, Citation, Claim, Hit

# ------------------------------------------------------------------------------ retrieval


def test_normalise_ignores_case_whitespace_markup_and_curly_quotes():
    assert M.normalise("<p>The  **Committee**\n voted’s</p>") == "the committee voted's"
    assert M.quote_in_text("The committee  voted", "Minutes: THE COMMITTEE\nVOTED unanimously")
    assert M.quote_in_text("the council’s budget", "<td>The council's</td> <td>budget</td>")
    assert not M.quote_in_text("the committee refused", "the committee voted")
    assert not M.quote_in_text("", "anything")


def test_long_quote_cut_by_a_chunk_edge_still_hits_but_a_short_one_must_be_whole():
    quote = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    assert M.quote_in_text(quote, "preceding words one two three four five six seven eight nine ten")  # 10/15
    assert not M.quote_in_text(quote, "one two three four five")  # 5/15
    assert not M.quote_in_text("alpha beta gamma delta", "text ending alpha beta gamma")


def test_ranks_hits_and_mrr():
    chunks = ["nothing here", "also nothing", "the Quote is here", "quote is here again"]
    assert M.first_hit_rank(["quote is here"], chunks) == 3
    assert M.first_hit_rank(["absent", "again"], chunks) == 4
    assert M.first_hit_rank(["absent"], chunks) is None
    assert [M.hit_at(3, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert M.hit_at(None, 10) == 0.0
    assert M.reciprocal_rank(4) == 0.25 and M.reciprocal_rank(None) == 0.0


# ------------------------------------------------------------------------------ key facts


def test_key_facts_of_a_reference_answer():
    facts = M.key_facts(
        "On 14 November 2023 Councillor Ben Proctor said the budget of £1.5m rose 12% to cover 1,400 children; "
        "it ends in March 2025."
    )
    assert ("date", "14 november 2023") in facts
    assert ("date", "march 2025") in facts
    assert ("amount", "1.5e+06") in facts
    assert ("percent", "12") in facts
    assert ("number", "1400") in facts
    assert ("name", "ben proctor") in facts
    assert not any(k == "number" and v in ("14", "2023", "2025") for k, v in facts)  # part of dates
    assert facts == sorted(facts)


def test_key_fact_recall_matches_equivalent_forms():
    recall, missing = M.key_fact_recall(
        "On 14 November 2023 it cost £1.5m (12%) for Ben Proctor.",
        "Ben Proctor reported a cost of £1,500,000 at the 14 November meeting in 2023; 12 per cent.",
    )
    assert recall == 1.0 and missing == []
    recall, missing = M.key_fact_recall("It cost £2m in June 2020.", "It cost £3m in June 2020.")
    assert recall == 0.5 and missing == [("amount", "2e+06")]
    assert M.key_fact_recall("No checkable facts here.", "anything") == (None, [])


# ------------------------------------------------------------------------------ abstention


def test_abstention_scores():
    # (should decline, did decline)
    pairs = [(True, True), (True, False), (False, True), (False, False), (False, False)]
    s = M.abstention_scores(pairs)
    assert s["abstention_precision"] == 0.5 and s["abstention_recall"] == 0.5 and s["abstention_f1"] == 0.5
    assert s["false_abstention_rate"] == pytest.approx(1 / 3)
    never = M.abstention_scores([(True, False), (False, False)])
    assert never["abstention_precision"] == 0.0 and never["abstention_f1"] == 0.0
    none_unanswerable = M.abstention_scores([(False, False)])
    assert none_unanswerable["abstention_recall"] is None and none_unanswerable["abstention_f1"] is None


# ------------------------------------------------------------------------------ citations


def _supports(claim: str, passages: list[str]) -> bool:
    """A toy judge: every word of the claim appears in the passages."""
    bag = set(" ".join(passages).lower().split())
    return all(w in bag for w in claim.lower().split())


def test_alce_recall_and_precision():
    passages = {1: "red green", 2: "blue", 3: "red green blue"}
    scores = M.alce_citation_scores(
        [
            ("red green", [1]),  # supported, precise
            ("red blue", [1, 2]),  # supported only together: both precise
            ("green", [1, 2]),  # supported; 2 is irrelevant (alone no, and 1 alone suffices)
            ("yellow", [3]),  # unsupported: citation not precise
            ("blue", []),  # no citation: unsupported
        ],
        passages,
        _supports,
    )
    assert scores["sentences"] == 5 and scores["supported_sentences"] == 3
    assert scores["citation_recall"] == pytest.approx(3 / 5)
    assert scores["citations"] == 6 and scores["precise_citations"] == 4
    assert scores["citation_precision"] == pytest.approx(4 / 6)
    assert scores["claims"][2]["precise"] == [1]
    redundant = M.alce_citation_scores([("red", [1, 3])], passages, _supports)
    assert redundant["citation_precision"] == 1.0  # each supports alone: both contribute
    assert M.alce_citation_scores([], passages, _supports)["citation_recall"] is None


def test_percentile_and_mean():
    assert M.percentile([], 50) is None
    assert M.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert M.percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert M.mean([1.0, None, 0.0]) == 0.5 and M.mean([None]) is None


# ------------------------------------------------------------------------------ gold files


def _write(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8"
    )
    return path


GOOD = {
    "id": "a",
    "question": "Q?",
    "answer": "A.",
    "quotes": ["x"],
    "sources": ["f.txt"],
    "kind": "decision",
}
NONE = {"id": "b", "question": "Q2?", "answer": "", "quotes": [], "sources": [], "kind": "unanswerable"}


def test_gold_loads_and_knows_answerable(tmp_path):
    items = load_gold(_write(tmp_path, [GOOD, "", NONE]))
    assert [i.id for i in items] == ["a", "b"] and [i.line for i in items] == [1, 3]
    assert items[0].answerable and not items[1].answerable


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ({**GOOD, "id": "z", "quotes": "x"}, "line 2: 'quotes' must be a list"),
        ({k: v for k, v in GOOD.items() if k != "kind"} | {"id": "z"}, "line 2: missing field(s) kind"),
        ({**NONE, "id": "z", "quotes": ["x"]}, "line 2: an unanswerable question"),
        ({**GOOD, "id": "z", "quotes": []}, "line 2: kind 'decision' needs at least one quote"),
        (GOOD, "line 2: id 'a' repeats line 1"),
    ],
)
def test_gold_errors_name_the_line(tmp_path, line, message):
    with pytest.raises(GoldError, match=re.escape(message)):
        load_gold(_write(tmp_path, [GOOD, line]))


def test_missing_gold_file(tmp_path):
    with pytest.raises(GoldError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")


# ------------------------------------------------------------------------------ a whole run


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(f"c{i}", "d", "doc.txt", text, 0, len(text), i)


CHUNKS = [
    _chunk(0, "Resolved: the budget of £4.2 million was approved on 3 March 2025."),
    _chunk(1, "The library will open on Sundays from 1 June 2025."),
    _chunk(2, "Apologies were received from Councillor Ada Byron."),
    _chunk(3, "Unrelated text about parks and gardens."),
]


class FakeRetriever:
    def retrieve(self, question: str, k: int, filters=None) -> list[Hit]:
        words = set(question.lower().split())
        order = sorted(CHUNKS, key=lambda c: (-len(words & set(c.text.lower().split())), c.chunk_id))
        return [Hit(c, 1.0 / (r + 1), r + 1) for r, c in enumerate(order[:k])]


class FakeEngine:
    """Answers with the first sentence of the best passage; declines on 'parking'."""

    name = "fake"

    def __init__(self) -> None:
        self.retriever = FakeRetriever()

    def ask(self, question: str) -> Answer:
        hits = self.retriever.retrieve(question, 3)
        timings = {"retrieve_s": 0.01, "answer_s": 0.02, "total_s": 0.03}
        if "parking" in question:
            return Answer(question, "The documents I have do not say.", True, retrieved=hits, timings=timings)
        chunk = hits[0].chunk
        claim = Claim(chunk.text, [1], True, "verbatim quote")
        citation = Citation(1, chunk, chunk.text, 0)
        return Answer(question, f"{chunk.text} [1]", False, [citation], hits, [claim], timings)


GOLD = [
    {"id": "q1", "question": "what budget was approved", "answer": "£4.2 million on 3 March 2025.",
     "quotes": ["the budget of £4.2 million was approved"], "sources": ["doc.txt"], "kind": "decision"},
    {"id": "q2", "question": "when will the library open on sundays", "answer": "From 1 June 2025.",
     "quotes": ["open on Sundays from 1 June 2025"], "sources": ["doc.txt"], "kind": "decision"},
    {"id": "q3", "question": "who sent apologies", "answer": "Councillor Ada Byron.",
     "quotes": ["Apologies were received from Councillor Ada Byron."], "sources": ["doc.txt"], "kind": "attendance"},
    {"id": "q4", "question": "what about parking fees", "answer": "", "quotes": [], "sources": [], "kind": "unanswerable"},
    {"id": "q5", "question": "what about gardens budget", "answer": "", "quotes": [], "sources": [], "kind": "unanswerable"},
    {"id": "q6", "question": "parking for Ada Byron", "answer": "Councillor Ada Byron.",
     "quotes": ["Councillor Ada Byron"], "sources": ["doc.txt"], "kind": "attendance"},
]  # fmt: skip


def test_evaluate_fake_engine_end_to_end(tmp_path):
    gold = _write(tmp_path, GOLD)
    (tmp_path / "support_pairs.jsonl").write_text(
        json.dumps(
            {
                "id": "p1",
                "claim": "The library opens on Sundays.",
                "passage": CHUNKS[1].text,
                "label": "supported",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    run = evaluate(FakeEngine(), gold)
    o = run.report["overall"]
    assert o["questions"] == 6 and o["answerable"] == 4
    assert o["hit@1"] == 1.0 and o["mrr"] == 1.0
    assert o["citation_hit"] == 0.75  # q6 declined
    assert o["citation_recall"] == 1.0 and o["citation_precision"] == 1.0
    assert o["abstention_precision"] == 0.5 and o["abstention_recall"] == 0.5
    assert o["false_abstention_rate"] == 0.25
    assert run.report["by_kind"]["unanswerable"]["answered_rate"] == 0.5
    assert run.report["support"]["pairs"] == 1 and run.report["support"]["accuracy"] == 1.0
    failures = {f["id"]: f for f in run.report["failures"]}
    assert set(failures) == {"q5", "q6"}
    assert "answered a question the documents do not answer" in failures["q5"]["reasons"][0]
    assert failures["q6"]["reasons"][0].startswith("declined")

    report = write_outputs(
        run,
        tmp_path / "out",
        floors=parse_floors(["hit@5=0.9", "abstention_f1=0.9", "false_abstention_rate=0.1"]),
    )
    out = tmp_path / "out"
    for name in ("answers.jsonl", "report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    records = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [g["id"] for g in GOLD]
    assert {
        "question",
        "answer",
        "abstained",
        "citations",
        "retrieved",
        "claims",
        "timings",
        "eval",
    } <= records[0].keys()
    assert [f["ok"] for f in report["floors"]] == [True, False, False]
    md = (out / "report.md").read_text()
    assert "Worst failures" in md and "q5" in md and "FAIL" in md
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 2 and "q6" in html

    # Same input, same figures (latency aside); a baseline of itself shows no change.
    again = evaluate(FakeEngine(), gold)
    write_outputs(again, tmp_path / "out2", baseline=report)
    same = json.loads((tmp_path / "out2" / "report.json").read_text())
    strip = {"latency", "baseline", "floors"}
    assert {k: v for k, v in same.items() if k not in strip} == {
        k: v for k, v in report.items() if k not in strip
    }
    assert all(d["delta"] in (0, None) or d["metric"].startswith("latency") for d in same["baseline"])


def test_floors_and_baseline_diff():
    report = {
        "overall": {"hit@5": 0.6, "false_abstention_rate": 0.2, "mrr": None},
        "by_kind": {"decision": {"hit@5": 0.5}},
        "support": {"accuracy": 0.8, "precision": 0.7, "recall": 0.9, "f1": 0.8},
        "latency": {"total_s": {"p50": 1.0, "p95": 2.0}},
    }
    names = flatten(report)
    assert names["hit@5"] == 0.6 and names["kind.decision.hit@5"] == 0.5 and names["support.accuracy"] == 0.8
    assert names["latency.total_s.p95"] == 2.0
    rows = check_floors(
        report,
        parse_floors(
            [
                "hit@5=0.55",
                "kind.decision.hit@5=0.6",
                "false_abstention_rate=0.1",
                "mrr=0.1",
                "latency.total_s.p95=3",
            ]
        ),
    )
    assert [r["ok"] for r in rows] == [True, False, False, False, True]
    with pytest.raises(FloorError, match=re.escape("Unknown metric 'kind.figure.hit@5'")):
        check_floors(report, parse_floors(["kind.figure.hit@5=0.5"]))  # no such kind in this report
    for bad in ("hit@5", "hit@5=high", "=0.5", "hit@7=0.5", "kind.x.y=1", "support.f2=1"):
        with pytest.raises(FloorError):
            parse_floors([bad])
    before = {**report, "overall": {"hit@5": 0.5, "false_abstention_rate": 0.1}}
    diff = {d["metric"]: d for d in baseline_diff(report, before)}
    assert diff["hit@5"]["delta"] == pytest.approx(0.1) and diff["hit@5"]["better"] is True
    assert diff["false_abstention_rate"]["better"] is False


def test_load_report_accepts_a_folder_and_refuses_other_files(tmp_path):
    from rag_council.errors import RagCouncilError
    from rag_council.evaluate.report import load_report

    (tmp_path / "report.json").write_text(json.dumps({"overall": {"hit@5": 0.5}}), encoding="utf-8")
    assert load_report(tmp_path)["overall"]["hit@5"] == 0.5
    (tmp_path / "other.json").write_text("[1, 2]", encoding="utf-8")
    for bad in (tmp_path / "other.json", tmp_path / "missing.json"):
        with pytest.raises(RagCouncilError):
            load_report(bad)


def test_eval_command_line():
    from rag_council.cli import build_parser

    args = build_parser().parse_args(
        ["eval", "g.jsonl", "--out", "o", "--fail-under", "hit@5=0.5", "mrr=0.3"]
    )
    assert args.gold == "g.jsonl" and args.out == "o" and args.fail_under == ["hit@5=0.5", "mrr=0.3"]
    assert args.baseline is None and args.index is None
