"""Support checking: given a claim and passages, do the passages support the claim?

No NLI or cross-encoder model ships on PyPI for this project, so the default checker is
lexical and runs on a CPU without any download. It is a heuristic, not entailment:

* `LexicalSupportChecker` looks for a short window of the passages (one to three adjacent
  sentences) that holds the claim's content words (lightly stemmed), and requires that every
  number, amount, percentage, date and capitalised name of the claim appear there, and that
  the window does not differ from the claim in negation. With an `Embedder` it also blends
  in the embedding similarity of claim and window.
* `LLMSupportChecker` asks a language model through a minimal `complete(prompt) -> str`
  callable, so any generator can be wired in later.

Both return a `Verdict` that says why: the evaluation report shows the reasons. The facts
compared (content terms, numbers, months, names, negation) are read by rag_council.text; how
well a checker does on labelled pairs is measured in rag_council.evaluate.support_pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from rag_council.text.anchors import names
from rag_council.text.dates import months
from rag_council.text.numbers import number_contexts, numbers, numbers_loose
from rag_council.text.sentences import sentence_spans
from rag_council.text.tokens import absolutes, negated, negated_terms, stem, terms, words

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.embedding import Embedder


@dataclass
class Verdict:
    supported: bool
    score: float  # 0..1, higher is better supported
    passage_index: int | None = None  # which passage supports it best
    span: tuple[int, int] | None = None  # the best supporting span in that passage
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "supported": self.supported,
            "score": round(self.score, 4),
            "passage_index": self.passage_index,
            "span": list(self.span) if self.span else None,
            "reasons": list(self.reasons),
        }


@runtime_checkable
class SupportChecker(Protocol):
    name: str

    def check(self, claim: str, passages: list[str]) -> Verdict: ...


# ---------------------------------------------------------------------------------------------
# A window of passage text and its features (the extractors live in rag_council.text)


def _matches(term: str, bag: set[str], prefixes: set[str]) -> bool:
    return term in bag or (len(term) >= 6 and term[:6] in prefixes)


@dataclass
class _Unit:
    """A window of one passage and its features."""

    passage: int
    start: int
    end: int
    terms: set[str]
    prefixes: set[str]
    numbers: set[str]
    months: set[str]
    negated: bool
    negated_terms: set[str]
    number_contexts: dict[str, set[str]]
    absolutes: set[str]


def _unit(passage: int, text: str, start: int, end: int) -> _Unit:
    piece = text[start:end]
    bag = set(terms(piece)) | {
        stem(p) for w in words(piece) for p in [w.removesuffix("'s").replace("'", ""), *w.split("-")] if p
    }
    return _Unit(
        passage,
        start,
        end,
        bag,
        {t[:6] for t in bag if len(t) >= 6},
        numbers_loose(piece),
        months(piece),
        negated(piece),
        negated_terms(piece),
        number_contexts(piece, 50),
        absolutes(piece),
    )


# ---------------------------------------------------------------------------------------------


class LexicalSupportChecker:
    """The default support checker: lexical evidence in a short window, plus optional
    embedding similarity. Deterministic; no model needed unless an embedder is passed.

    A claim is supported when some window of at most `window` adjacent sentences of one
    passage (or, failing that, the best windows of several passages together)
      - holds every number, amount, percentage and month of the claim,
      - holds every capitalised name of the claim,
      - agrees with the claim in negation, and
      - covers at least `threshold` of the claim's content words (blended with the embedding
        similarity when there is an embedder).
    """

    name = "lexical"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        threshold: float = 0.75,
        window: int = 4,
        embedding_weight: float = 0.3,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.window = window
        self.embedding_weight = embedding_weight if embedder is not None else 0.0
        if embedder is not None:
            self.name = "lexical+embedding"

    def _units(self, passages: Sequence[str]) -> list[_Unit]:
        units: list[_Unit] = []
        for p, text in enumerate(passages):
            spans = sentence_spans(text) or ([(0, len(text))] if text.strip() else [])
            for i in range(len(spans)):
                for j in range(i, min(i + self.window, len(spans))):
                    units.append(_unit(p, text, spans[i][0], spans[j][1]))
        return units

    def check(self, claim: str, passages: list[str]) -> Verdict:
        claim = " ".join(claim.split())
        if not claim:
            return Verdict(False, 0.0, reasons=["empty claim"])
        units = self._units(passages)
        if not units:
            return Verdict(False, 0.0, reasons=["no passage text"])
        c_terms = terms(claim)
        c_numbers = numbers(claim)
        c_months = months(claim)
        c_names = names(claim)
        c_neg = negated(claim)
        c_abs = absolutes(claim)
        # Numbers swapped between places: checked when the claim has two or more (years aside).
        c_bind = {
            n: ctx
            for n, ctx in number_contexts(claim, 25).items()
            if n in c_numbers and ctx and not (n.isdigit() and 1900 <= int(n) <= 2100)
        }
        if len(c_bind) < 2:
            c_bind = {}

        def assess(unit: _Unit) -> tuple[float, list[str], float]:
            found = [t for t in c_terms if _matches(t, unit.terms, unit.prefixes)]
            coverage = len(found) / len(c_terms) if c_terms else 1.0
            reasons: list[str] = []
            missing_n = sorted(c_numbers - unit.numbers)
            if missing_n:
                reasons.append("number not in passage: " + ", ".join(missing_n))
            unbound = sorted(
                n
                for n, ctx in c_bind.items()
                if n in unit.number_contexts and not ctx & unit.number_contexts[n]
            )
            if unbound:
                reasons.append("number in another context in the passage: " + ", ".join(unbound))
            stronger = sorted(c_abs - unit.absolutes)
            if stronger:
                reasons.append("the claim is stronger than the passage: " + ", ".join(stronger))
            missing_m = sorted(c_months - unit.months)
            if missing_m:
                reasons.append("date not in passage: " + ", ".join(missing_m))
            missing_names = sorted(n for n in c_names if not _matches(n, unit.terms, unit.prefixes))
            if missing_names:
                reasons.append("name not in passage: " + ", ".join(missing_names))
            if c_neg and not unit.negated:
                reasons.append("negation differs: the claim is negated, the passage is not")
            elif not c_neg and (hit := sorted(set(c_terms) & unit.negated_terms)):
                reasons.append("negation differs: the passage negates " + ", ".join(hit[:4]))
            return coverage, reasons, len(reasons)

        scored: list[tuple[float, int, _Unit, float, list[str]]] = []
        for k, unit in enumerate(units):
            coverage, reasons, n_bad = assess(unit)
            # Shorter windows win ties: a tight span is a better citation.
            rank = coverage - 0.3 * n_bad - 0.0005 * (unit.end - unit.start) / 100
            scored.append((rank, -k, unit, coverage, reasons))
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        _, _, best, coverage, reasons = scored[0]

        joint = False
        if (reasons or coverage < self.threshold) and len(passages) > 1:
            # Several passages together: the best window of each, pooled.
            per_passage: dict[int, _Unit] = {}
            for _, _, unit, _, _ in scored:
                per_passage.setdefault(unit.passage, unit)
            if len(per_passage) > 1:
                pooled = _Unit(
                    -1,
                    0,
                    0,
                    set().union(*(u.terms for u in per_passage.values())),
                    set().union(*(u.prefixes for u in per_passage.values())),
                    set().union(*(u.numbers for u in per_passage.values())),
                    set().union(*(u.months for u in per_passage.values())),
                    any(u.negated_terms & set(c_terms) for u in per_passage.values()),
                    set().union(*(u.negated_terms for u in per_passage.values())),
                    {
                        n: set().union(*(u.number_contexts.get(n, set()) for u in per_passage.values()))
                        for n in set().union(*(u.number_contexts for u in per_passage.values()))
                    },
                    set().union(*(u.absolutes for u in per_passage.values())),
                )
                p_cov, p_reasons, _ = assess(pooled)
                if len(p_reasons) < len(reasons) or (
                    len(p_reasons) == len(reasons) and p_cov > coverage + 0.1
                ):
                    coverage, reasons, joint = p_cov, p_reasons, True

        score = coverage
        if self.embedder is not None:
            text = passages[best.passage][best.start : best.end]
            vecs = self.embedder.embed([claim, text])
            similarity = float(np.clip(vecs[0] @ vecs[1], 0.0, 1.0))
            score = (1 - self.embedding_weight) * coverage + self.embedding_weight * similarity
        supported = not reasons and score >= self.threshold
        notes = list(reasons)
        if score < self.threshold:
            missing = [t for t in c_terms if not _matches(t, best.terms, best.prefixes)]
            notes.append(
                f"covers {coverage:.0%} of the claim's content words"
                + (f" (missing: {', '.join(missing[:8])})" if missing else "")
                + (f", score {score:.2f}" if self.embedder is not None else "")
                + f" < {self.threshold:.2f}"
            )
        if joint:
            notes.append("judged on several passages together")
        if supported:
            notes.insert(0, f"supported: score {score:.2f}")
        final = max(0.0, min(1.0, score - (0.25 * len(reasons))))
        return Verdict(supported, round(final, 6), best.passage, (best.start, best.end), notes)


# ---------------------------------------------------------------------------------------------

_LLM_PROMPT = """You check whether a claim is supported by passages from council documents.
Answer SUPPORTED only if the passages state everything the claim says (same numbers, dates,
names and polarity). Otherwise answer UNSUPPORTED. Reply with one word, then on the next line
the number of the passage that supports it best (or 0) and a short reason.

Passages:
{passages}

Claim: {claim}

Verdict:"""


class LLMSupportChecker:
    """Asks a language model. `complete(prompt) -> str` is any callable that returns the
    model's completion; the reply must start with SUPPORTED or UNSUPPORTED."""

    name = "llm"

    def __init__(self, complete: Callable[[str], str], *, max_passage_chars: int = 4000) -> None:
        self.complete = complete
        self.max_passage_chars = max_passage_chars

    def prompt(self, claim: str, passages: list[str]) -> str:
        body = "\n\n".join(
            f"[{i}] {' '.join(p.split())[: self.max_passage_chars]}" for i, p in enumerate(passages, 1)
        )
        return _LLM_PROMPT.format(passages=body, claim=" ".join(claim.split()))

    def check(self, claim: str, passages: list[str]) -> Verdict:
        if not claim.strip() or not any(p.strip() for p in passages):
            return Verdict(False, 0.0, reasons=["empty claim or passages"])
        reply = (self.complete(self.prompt(claim, passages)) or "").strip()
        head = reply.split(None, 1)[0].strip(".:*,").upper() if reply else ""
        if head not in ("SUPPORTED", "UNSUPPORTED"):
            return Verdict(False, 0.0, reasons=[f"unreadable verdict from the model: {reply[:80]!r}"])
        supported = head == "SUPPORTED"
        index: int | None = None
        number = re.search(r"\b(\d+)\b", reply[len(head) :])
        if number and 1 <= int(number.group(1)) <= len(passages):
            index = int(number.group(1)) - 1
        reason = " ".join(reply.split()[1:])[:200]
        return Verdict(
            supported,
            1.0 if supported else 0.0,
            index,
            None,
            [f"model: {head.lower()}"] + ([reason] if reason else []),
        )


def make_support_checker(
    kind: str = "lexical", *, embedder: Embedder | None = None, complete: Callable[[str], str] | None = None
) -> SupportChecker:
    """'lexical' (default; with `embedder`, embedding similarity is blended in) or 'llm'
    (needs `complete`)."""
    if kind == "lexical":
        return LexicalSupportChecker(embedder)
    if kind == "llm":
        if complete is None:
            raise ValueError("the llm support checker needs a complete(prompt) -> str callable")
        return LLMSupportChecker(complete)
    raise ValueError(f"unknown support checker '{kind}'; use 'lexical' or 'llm'")


__all__ = [
    "LLMSupportChecker",
    "LexicalSupportChecker",
    "SupportChecker",
    "Verdict",
    "absolutes",
    "make_support_checker",
    "months",
    "names",
    "negated",
    "negated_terms",
    "number_contexts",
    "numbers",
    "terms",
]
