"""Run the gold questions through the engine (the same `Engine.ask` as `rag-council ask`),
judge every answer and aggregate the figures.

Every figure is a function of the gold file, the index and the settings: questions are
answered one at a time in file order, everything is sorted, and the support checker is
deterministic. Only latency varies between runs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rag_council.evaluate import metrics as M
from rag_council.evaluate.gold import UNANSWERABLE, GoldError, GoldItem, load_gold
from rag_council.evaluate.support_pairs import score_pairs
from rag_council.evaluate.timeline import score_timeline
from rag_council.index import Index
from rag_council.types import Answer
from rag_council.verify.support import LexicalSupportChecker, SupportChecker, Verdict

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.retrieve.retrievers import Retriever


class Answerer(Protocol):
    """What the evaluation needs of an engine: `ask`, and the retriever (for a deeper look when
    the answer's own passages hold no gold quote). `rag_council.Engine` is one."""

    retriever: Retriever
    index: Index  # timelines are scored on the index's records

    def ask(self, question: str) -> Answer: ...


RETRIEVAL_DEPTH = 10
STAGES = ("retrieve_s", "answer_s", "total_s")
# Figures aggregated for every group of questions (overall and per kind), in report order.
METRICS = (
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr",
    "citation_hit",
    "citation_hit_answered",
    "citation_recall",
    "citation_precision",
    "abstention_precision",
    "abstention_recall",
    "abstention_f1",
    "false_abstention_rate",
    "answered_rate",
    "key_fact_recall",
    "answer_words_p50",
    "answer_words_p95",
)
# Higher is better for every metric except these.
LOWER_IS_BETTER = frozenset({"false_abstention_rate", "answer_words_p50", "answer_words_p95"})


@dataclass
class QuestionResult:
    item: GoldItem
    answer: Answer
    rank: int | None  # first retrieved chunk (of RETRIEVAL_DEPTH) holding a gold quote
    # The passages ranked: the answer's own, or RETRIEVAL_DEPTH deep when none of those hits.
    retrieved10: list[dict[str, Any]]
    citation_hit: bool | None
    alce: dict[str, Any]
    fact_recall: float | None
    missing_facts: list[tuple[str, str]]
    failures: list[str] = field(default_factory=list)
    severity: int = 0

    def record(self) -> dict[str, Any]:
        """The `ask --json` record with the gold id first and the judgements under 'eval'."""
        return {
            "id": self.item.id,
            **self.answer.to_json(),
            "eval": {
                "kind": self.item.kind,
                "answerable": self.item.answerable,
                "gold_answer": self.item.answer,
                "gold_quotes": list(self.item.quotes),
                "first_hit_rank": self.rank,
                "ranked": self.retrieved10,
                "citation_hit": self.citation_hit,
                "citation_recall": self.alce.get("citation_recall"),
                "citation_precision": self.alce.get("citation_precision"),
                "claims": self.alce.get("claims", []),
                "key_fact_recall": self.fact_recall,
                "missing_facts": [f"{k}: {v}" for k, v in self.missing_facts],
                "failures": self.failures,
                "severity": self.severity,
            },
        }


def judge(
    item: GoldItem, answer: Answer, retrieved_texts: Sequence[str], support: Callable[[str, list[str]], bool]
) -> tuple[int | None, bool | None, dict[str, Any], float | None, list[tuple[str, str]]]:
    """The per-question judgements, from plain data (testable without an engine)."""
    rank = M.first_hit_rank(item.quotes, retrieved_texts) if item.answerable else None
    citation_hit: bool | None = None
    if item.answerable:
        citation_hit = not answer.abstained and any(
            M.quote_in_text(q, c.chunk.text) for c in answer.citations for q in item.quotes
        )
    alce: dict[str, Any] = {}
    # What the reader is shown: sentences removed as unsupported are not (they keep the markers
    # they had before the citations were renumbered; `answers.jsonl` still lists them).
    shown = [c for c in answer.claims if c.supported is not False or c.text in answer.text]
    if not answer.abstained and shown:
        passages = {c.marker: c.chunk.text for c in answer.citations}
        alce = M.alce_citation_scores([(c.text, c.markers) for c in shown], passages, support)
    fact_recall, missing = (None, [])
    if item.answerable:
        fact_recall, missing = M.key_fact_recall(item.answer, "" if answer.abstained else answer.text)
    return rank, citation_hit, alce, fact_recall, missing


def describe_relevance(answer: Answer) -> str:
    """'best cosine 0.62' (or the retrieval score when the hits carry no cosine)."""
    if not answer.retrieved:
        return "nothing retrieved"
    dense = [h.dense for h in answer.retrieved if h.dense is not None]
    if dense:
        return f"best cosine {max(dense):.2f}"
    return f"top retrieval score {answer.retrieved[0].score:.2f}"


def explain(result: QuestionResult) -> tuple[list[str], int]:
    """Why a question failed, one reason per problem, and how bad it is (higher is worse)."""
    item, answer = result.item, result.answer
    reasons: list[str] = []
    severity = 0
    top_text = describe_relevance(answer)
    if not item.answerable:
        if not answer.abstained:
            reasons.append(f"answered a question the documents do not answer ({top_text})")
            severity += 4
        return reasons, severity
    if result.rank is None:
        reasons.append(f"retrieval: no gold quote in the top {RETRIEVAL_DEPTH} passages ({top_text})")
        severity += 4
    elif result.rank > 5:
        reasons.append(
            f"retrieval: first gold quote only at rank {result.rank}, outside the top 5 the answerer reads"
        )
        severity += 2
    if answer.abstained:
        where = f"; the gold quote was at rank {result.rank}" if result.rank else ""
        reasons.append(f"declined ({answer.notice or 'no reason given'}; {top_text}){where}")
        severity += 3
    else:
        if not result.citation_hit:
            where = f"; the gold quote was retrieved at rank {result.rank}" if result.rank else ""
            reasons.append(f"no cited passage contains a gold quote{where}")
            severity += 2
        for claim in result.alce.get("claims", []):
            if not claim["markers"]:
                reasons.append(f"sentence cites no passage: {claim['claim'][:120]!r}")
                severity += 1
            elif not claim["supported"]:
                why = "; ".join(claim.get("why", [])[:2])
                reasons.append(
                    f"sentence not supported by its citations {claim['markers']}: {claim['claim'][:120]!r}"
                    + (f" ({why})" if why else "")
                )
                severity += 1
        if result.fact_recall is not None and result.fact_recall < 0.5:
            facts = ", ".join(f"{k} {v}" for k, v in result.missing_facts[:6])
            reasons.append(f"answer misses key facts ({result.fact_recall:.0%} present): {facts}")
            severity += 1
    return reasons, severity


def aggregate(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """Every metric of METRICS over a group of questions (None where undefined)."""
    answerable = [r for r in results if r.item.answerable]
    answered = [r for r in results if not r.answer.abstained]
    out: dict[str, Any] = {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(results) - len(answerable),
    }
    for k in (1, 5, 10):
        out[f"hit@{k}"] = M.mean(M.hit_at(r.rank, k) for r in answerable)
    out["mrr"] = M.mean(M.reciprocal_rank(r.rank) for r in answerable)
    out["citation_hit"] = M.mean(float(bool(r.citation_hit)) for r in answerable)
    out["citation_hit_answered"] = M.mean(
        float(bool(r.citation_hit)) for r in answerable if not r.answer.abstained
    )
    out["citation_recall"] = M.mean(r.alce.get("citation_recall") for r in answered)
    out["citation_precision"] = M.mean(r.alce.get("citation_precision") for r in answered)
    out.update(M.abstention_scores((not r.item.answerable, r.answer.abstained) for r in results))
    out["answered_rate"] = len(answered) / len(results) if results else None
    out["key_fact_recall"] = M.mean(r.fact_recall for r in answerable)
    lengths = [M.answer_words(r.answer.text) for r in answered]  # answers as shown, declines aside
    out["answer_words_p50"] = M.percentile(lengths, 50)
    out["answer_words_p95"] = M.percentile(lengths, 95)
    return out


def latency(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for stage in STAGES:
        values = [r.answer.timings[stage] for r in results if stage in r.answer.timings]
        out[stage] = {
            "p50": M.percentile(values, 50),
            "p95": M.percentile(values, 95),
            "max": max(values) if values else None,
        }
    return out


def load_pairs(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    pairs: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{path.name} line {number}: not valid JSON ({exc.msg}).") from None
        if not isinstance(pair, dict) or not {"claim", "passage", "label"} <= pair.keys():
            raise GoldError(f"{path.name} line {number}: needs 'claim', 'passage' and 'label'.")
        if pair["label"] not in ("supported", "unsupported"):
            raise GoldError(f"{path.name} line {number}: label must be 'supported' or 'unsupported'.")
        pair.setdefault("id", f"line{number:05d}")
        pairs.append(pair)
    return pairs


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@dataclass
class EvalRun:
    results: list[QuestionResult]
    report: dict[str, Any]


def evaluate(
    engine: Answerer,
    gold: str | Path | Sequence[GoldItem],
    *,
    checker: SupportChecker | None = None,
    support_pairs: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> EvalRun:
    """Answer every gold question with `engine.ask` and build the report (a dict)."""
    started = time.perf_counter()
    gold_path = Path(gold) if isinstance(gold, (str, Path)) else None
    items = load_gold(gold_path) if gold_path else list(gold)
    checker = checker or LexicalSupportChecker()
    verdicts: dict[tuple[str, tuple[str, ...]], Verdict] = {}

    def verdict(claim: str, passages: list[str]) -> Verdict:
        key = (claim, tuple(passages))
        if key not in verdicts:
            verdicts[key] = checker.check(claim, passages)
        return verdicts[key]

    def supports(claim: str, passages: list[str]) -> bool:
        return verdict(claim, passages).supported

    results: list[QuestionResult] = []
    for n, item in enumerate(items, start=1):
        answer = engine.ask(item.question)
        # The answer's own passages are the top k of the retrieval; only when none of them
        # holds a gold quote is the question retrieved again, RETRIEVAL_DEPTH deep.
        hits = answer.retrieved[:RETRIEVAL_DEPTH]
        if (
            item.answerable
            and len(hits) < RETRIEVAL_DEPTH
            and M.first_hit_rank(item.quotes, [h.chunk.text for h in hits]) is None
        ):
            q = " ".join(item.question.split())
            hits = engine.retriever.retrieve(q, RETRIEVAL_DEPTH) if q else hits
        texts = [h.chunk.text for h in hits]
        rank, citation_hit, alce, fact_recall, missing = judge(item, answer, texts, supports)
        cited = {c.marker: c.chunk.text for c in answer.citations}
        for claim in alce.get("claims", []):
            if claim["markers"] and not claim["supported"]:
                claim["why"] = verdict(claim["claim"], [cited[m] for m in claim["markers"]]).reasons
        retrieved10 = [
            {
                "rank": h.rank,
                "chunk_id": h.chunk.chunk_id,
                "document": h.chunk.document,
                "score": round(float(h.score), 6),
            }
            for h in hits
        ]
        result = QuestionResult(item, answer, rank, retrieved10, citation_hit, alce, fact_recall, missing)
        result.failures, result.severity = explain(result)
        results.append(result)
        if progress:
            progress(n, len(items), item.id)

    kinds = sorted({r.item.kind for r in results})
    report: dict[str, Any] = {
        "schema": 1,
        "gold": {
            "file": gold_path.name if gold_path else None,
            "sha256": _sha(gold_path) if gold_path else None,
            "questions": len(items),
            "by_kind": {k: sum(r.item.kind == k for r in results) for k in kinds},
        },
        "engine": describe_engine(engine),
        "support_checker": checker.name,
        "overall": aggregate(results),
        "by_kind": {k: aggregate([r for r in results if r.item.kind == k]) for k in kinds},
        "latency": latency(results),
        "failures": [
            {"id": r.item.id, "kind": r.item.kind, "severity": r.severity, "reasons": r.failures}
            for r in sorted(results, key=lambda r: (-r.severity, r.item.id))
            if r.failures
        ],
    }
    if any("timeline" in i.extra or "as_at" in i.extra for i in items):
        # Timeline and "as at" questions are also scored on the order and dates of what the
        # records say (rag_council.evaluate.timeline), the "as at" ones on the answers above.
        report["timeline"] = score_timeline(engine, items, {r.item.id: r.answer for r in results})
    pairs_path = Path(support_pairs) if support_pairs else None
    if pairs_path is None and gold_path is not None and (gold_path.parent / "support_pairs.jsonl").is_file():
        pairs_path = gold_path.parent / "support_pairs.jsonl"
    if pairs_path is not None:
        scored = score_pairs(checker, load_pairs(pairs_path))
        scored["file"] = pairs_path.name
        report["support"] = scored
    report["latency"]["eval_seconds"] = {
        "p50": None,
        "p95": None,
        "max": round(time.perf_counter() - started, 3),
    }
    return EvalRun(results, report)


def describe_engine(engine: Answerer) -> dict[str, Any]:
    """The engine's generator, index and answer settings (for an Engine; {"generator": None}
    for another answerer)."""
    from rag_council.engine import Engine

    if not isinstance(engine, Engine):
        return {"generator": None}
    out: dict[str, Any] = {"generator": engine.generator.name}
    index = engine.index
    if index is not None:  # an engine over fixed hits (tests) has no index
        out["index"] = index.name
        out["embedder"] = index.embedder.name
        try:
            out["chunks"] = index.count()
            out["documents"] = len(index.records())
        except Exception:  # pragma: no cover - a store that cannot count
            pass
    out["top_k"] = engine.settings.retrieval.top_k
    out["answer"] = engine.settings.answer.model_dump()
    return out


__all__ = [
    "METRICS",
    "UNANSWERABLE",
    "Answerer",
    "EvalRun",
    "QuestionResult",
    "aggregate",
    "evaluate",
    "judge",
]
