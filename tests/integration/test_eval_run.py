"""`rag-council eval evals/gold.jsonl` end to end on the bundled corpus with the real model and
the extractive answerer: the four output files, the floors CI holds the project to, the
baseline comparison and the non-zero exit under a floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_council.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold.jsonl"

# Floors for `make test`, set a little below what the extractive answerer measured on the
# bundled corpus (see evals/README.md for the figures). Raise them as the system improves.
FLOORS = [
    # Measured on the 230 questions (the 166 of issue 5 give 0.667 / 0.899 / 0.935 / 0.755 as
    # before; the 18 timeline and "as at" questions are harder to retrieve a single passage for).
    "hit@1=0.62",  # 0.635
    "hit@5=0.84",  # 0.859
    "hit@10=0.88",  # 0.897
    "mrr=0.70",  # 0.721
    # issue 12 (evals/answers_report.md, 212 questions, 74 unanswerable): the decision step and the
    # 80-word answers. Citation hit and key facts fell (0.797 -> 0.754, 0.546 -> 0.499; 0.783 and 0.546 with a 120-word budget), so
    # their floors are lower than before; abstention's rose.
    # Measured with everything merged (records answers, timelines; 230 questions): citation hit
    # 0.744, recall 0.961, precision 0.947, abstention F1 0.531, false abstention 0.058, key facts
    # 0.530, answer words p50 71.
    # The sentence choice of branch compose (evals/extractive_cv.md: the kind of thing asked for,
    # the passage's rank, what is not yet said; weights cross-validated): citation hit 0.788, key
    # facts 0.573 on the 230 questions (held out: 0.769, 0.558).
    "citation_hit=0.74",  # 0.763 (0.795 before the admission bar was put back: a wider ranking prior lowered it)
    "citation_recall=0.93",  # 0.951
    "citation_precision=0.93",  # 0.951
    # The decision step of 2 December 2026 (240 questions, 84 unanswerable; evals/decide_curve.md):
    # held out 0.787 at false abstention 0.045, the shipped default 0.792 at 0.038 on all.
    # 2 December 2026, second session: "how many" numbers must count the thing asked, ordinals as
    # numbered parts, contributions as amounts: 0.816 at false abstention 0.038 on the 240.
    "abstention_f1=0.76",  # 0.816 (0.787 cross-validated before)
    "false_abstention_rate=0.06",  # 0.045 cross-validated (a ceiling; was 0.07)
    "key_fact_recall=0.60",  # 0.653 with the meeting lead-ins (0.569 before)
    "answer_words_p50=85",  # 70 (a ceiling; was 88)
    "support.accuracy=0.80",  # 0.824
    "support.precision=0.78",  # 0.805
    "support.recall=0.82",  # 0.849
]

pytestmark = pytest.mark.skipif(not GOLD.is_file(), reason="evals/gold.jsonl not written yet")


@pytest.fixture(scope="module")
def eval_env(corpus_engine, corpus_settings, tmp_path_factory):
    """Point the CLI at the session's corpus index."""
    mp = pytest.MonkeyPatch()
    mp.setenv("RAG_COUNCIL_INDEX_ROOT", str(corpus_settings.index_root))
    yield corpus_settings.index, tmp_path_factory.mktemp("eval")
    mp.undo()


@pytest.fixture(scope="module")
def full_run(eval_env):
    index, tmp = eval_env
    out = tmp / "full"
    code = main(
        ["eval", str(GOLD), "--index", index, "--out", str(out), "--no-progress", "--fail-under", *FLOORS]
    )
    return code, out


@pytest.mark.timeout(1500)
def test_eval_writes_the_four_files_and_holds_the_floors(full_run):
    code, out = full_run
    for name in ("answers.jsonl", "report.json", "report.md", "report.html"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    failing = [f for f in report["floors"] if not f["ok"]]
    assert code == 0 and not failing, failing
    gold_ids = [
        json.loads(line)["id"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    records = [json.loads(line) for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == gold_ids
    assert report["gold"]["questions"] == len(gold_ids)
    assert set(report["by_kind"]) >= {"unanswerable", "multi_hop"}
    assert report["support"]["pairs"] >= 100
    for stage in ("retrieve_s", "answer_s", "total_s"):
        assert report["latency"][stage]["p50"] is not None
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "Worst failures" in html


@pytest.mark.timeout(600)
def test_answers_are_the_ask_records(full_run, corpus_engine):
    """The eval answers with the same engine as `ask`: a record is `ask --json` plus the id."""
    _, out = full_run
    records = [json.loads(line) for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    for record in records[:3]:
        fresh = corpus_engine.ask(record["question"]).to_json()
        for key in ("answer", "abstained", "notice"):
            assert record[key] == fresh[key], key
        assert [c["chunk_id"] for c in record["citations"]] == [c["chunk_id"] for c in fresh["citations"]]


@pytest.mark.timeout(600)
def test_baseline_diff_and_fail_under_exit(full_run, eval_env, tmp_path):
    index, _ = eval_env
    _, out = full_run
    small = tmp_path / "small.jsonl"
    lines = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    small.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    code = main(
        [
            "eval", str(small), "--index", index, "--out", str(tmp_path / "o"), "--no-progress",
            "--support-pairs", str(ROOT / "evals" / "support_pairs.jsonl"),
            "--baseline", str(out / "report.json"), "--fail-under", "hit@1=1.01",
        ]
    )  # fmt: skip
    assert code == 1
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert {d["metric"] for d in report["baseline"]} >= {"hit@5", "mrr", "abstention_f1"}
    assert "Change from baseline" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert (
        main(
            ["eval", str(small), "--index", index, "--out", str(tmp_path / "p"), "--fail-under", "nonsense=1"]
        )
        == 1
    )
