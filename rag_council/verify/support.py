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

Both return a `Verdict` that says why: the evaluation report shows the reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from rag_council.text import MONTHS, STOPWORDS, sentence_spans, stem, words

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
# Features of a text: content terms, numbers, dates, names, negation

_MONTHS = MONTHS
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
    "hundred": "100",
}  # fmt: skip
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_NUM = re.compile(
    r"(?<![\w.])[£$]?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\d|,\d)\s?(k|m|bn|thousand|million|billion|st|nd|rd|th)?(?![a-z])",
    re.IGNORECASE,
)
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nor",
        "neither",
        "without",
        "cannot",
        "nobody",
        "nothing",
        "unable",
        "refused",
        "rejected",
        "declined",
        "disallowed",
    ]
)
_NEG_CONTRACTION = re.compile(r"\b\w+n[’']t\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z’'&-]*[a-z][A-Za-z’'-]*\b|\b[A-Z]{2,}s?\b")
# Capitalised words that are titles, roles or sentence furniture rather than names.
_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "their",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "by",
        "with",
        "from",
        "as",
        "and",
        "or",
        "but",
        "if",
        "when",
        "while",
        "after",
        "before",
        "during",
        "since",
        "until",
        "councillor",
        "cllr",
        "mr",
        "mrs",
        "ms",
        "dr",
        "professor",
        "chair",
        "chairperson",
        "chairman",
        "vice",
        "cabinet",
        "member",
        "members",
        "committee",
        "council",
        "herefordshire",
        "he",
        "she",
        "they",
        "we",
        "our",
        "his",
        "her",
        "resolved",
        "resolution",
        "agreed",
        "noted",
        "item",
        "minutes",
        "minute",
        "recommendation",
        "recommendations",
        "response",
        "question",
        "answer",
        "supplementary",
        "director",
        "officer",
        "lead",
        "service",
        "services",
        "report",
        "appendix",
    ]
)


def _norm_number(digits: str, scale: str | None) -> str:
    value = float(digits.replace(",", ""))
    if scale and scale.lower() in _SCALE:
        value *= _SCALE[scale.lower()]
    return f"{value:.6g}" if value < 1e15 else str(value)


def numbers(text: str) -> set[str]:
    """Every number of the text, normalised: '£1.5m' -> '1.5e+06', '20,500' -> '20500',
    'twelve' -> '12'. Years and day numbers are numbers too."""
    found = {_norm_number(d, s) for d, s in _NUM.findall(text)}
    for w in words(text):
        if w in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[w])
    return found


def _numbers_loose(text: str) -> set[str]:
    """Numbers with and without their scale, so that '£1.5m' in a claim matches '£1.5 million'
    and '1.5' in a passage table column headed '£m'."""
    out = numbers(text)
    out |= {_norm_number(d, None) for d, _ in _NUM.findall(text)}
    return out


def months(text: str) -> set[str]:
    out: set[str] = set()
    for w in words(text):
        if w in _MONTHS:
            out.add(w)
        elif w.rstrip(".") in _MONTH_ABBR and len(w) <= 5 and w != "may":
            out.add(_MONTH_ABBR[w.rstrip(".")])
    return out


def names(text: str) -> set[str]:
    """Stems of the capitalised words that are not at the start of a sentence and are not
    titles or roles: 'Councillor Ben Proctor' -> {'ben', 'proctor'}."""
    out: set[str] = set()
    for m in _CAPITALISED.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in '.!?:;\n"“(•-' or re.search(r"(^|\n)\s*[-•*]?\s*$", text[: m.start()]):
            continue  # start of a sentence, line or bullet: capitalised anyway
        word = m.group(0).lower().replace("’", "'").removesuffix("'s")
        for part in word.split("-"):
            if len(part) < 2 or part in _NOT_NAMES or part in STOPWORDS or part in _MONTHS:
                continue
            out.add(stem(part))
    return out


def negated(text: str) -> bool:
    return bool(_NEG_CONTRACTION.search(text)) or any(w in _NEGATIONS for w in words(text))


def negated_terms(text: str, reach: int = 4) -> set[str]:
    """Stems of the words within `reach` words after a negation and in its clause: in 'did not
    constitute a pecuniary interest' -> {'constitute', 'pecuniary', 'interest'}."""
    out: set[str] = set()
    # A negation reaches to the end of its clause at most: in 'there are no concerns, to a
    # child in need plan' the child is not negated.
    for clause in _CLAUSE_END.split(text):
        tokens = [w.replace("'", "") for w in words(clause)]
        for i, w in enumerate(tokens):
            if w in _NEGATIONS or w in _CONTRACTED:
                out.update(stem(t) for t in tokens[i + 1 : i + 1 + reach] if t not in STOPWORDS)
            elif w.startswith("non-") and len(w) > 6:
                out.add(stem(w[4:]))
    return out


_CLAUSE_END = re.compile(r"[,;:!?()\n]|\.(?=\s|$)|\s[-–—]\s")


def number_contexts(text: str, reach: int) -> dict[str, set[str]]:
    """Each number of the text -> the content-word stems within `reach` characters of it, so
    that '£128k grant and £477k payment' binds 128000 to 'grant', not to 'payment'."""
    out: dict[str, set[str]] = {}
    for m in _NUM.finditer(text):
        near = terms(text[max(0, m.start() - reach) : m.start()] + " " + text[m.end() : m.end() + reach])
        out.setdefault(_norm_number(m.group(1), m.group(2)), set()).update(near)
    return out


# Words that make a claim absolute or final; a passage must say them too ('aims to ensure
# most children' does not support 'guarantees every child').
_ABSOLUTES = {
    "all": "all", "every": "all", "each": "all", "always": "always", "never": "never",
    "guarantee": "guarantee", "guarantees": "guarantee", "guaranteed": "guarantee",
    "formally": "formally", "already": "already", "confirmed": "confirmed", "immediately": "immediately",
    "immediate": "immediately", "only": "only", "entirely": "entirely", "completely": "entirely",
}  # fmt: skip


def absolutes(text: str) -> set[str]:
    return {_ABSOLUTES[w] for w in words(text) if w in _ABSOLUTES}


_CONTRACTED = frozenset(
    [
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "hasnt",
        "havent",
        "hadnt",
        "wont",
        "wouldnt",
        "cant",
        "couldnt",
        "shouldnt",
    ]
)


def terms(text: str) -> list[str]:
    """Content-word stems, in order, without repeats (numbers are handled separately)."""
    seen: dict[str, None] = {}
    for w in words(text):
        w = w.removesuffix("'s").replace("'", "")
        if w in STOPWORDS or w in _NEGATIONS or len(w) <= 2 or any(ch.isdigit() for ch in w) or w in _MONTHS:
            continue
        for part in w.split("-"):
            if len(part) > 2 and part not in STOPWORDS:
                seen.setdefault(stem(part), None)
    return list(seen)


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
        _numbers_loose(piece),
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


def score_pairs(checker: SupportChecker, pairs: Sequence[dict]) -> dict:
    """Accuracy, precision and recall (of 'supported') of a checker on labelled pairs
    ({"claim", "passage", "label": "supported"|"unsupported", "perturbation"?})."""
    tp = fp = tn = fn = 0
    by_kind: dict[str, list[int]] = {}
    errors: list[dict] = []
    for pair in sorted(pairs, key=lambda p: str(p.get("id", ""))):
        verdict = checker.check(pair["claim"], [pair["passage"]])
        gold = pair["label"] == "supported"
        ok = verdict.supported == gold
        if gold and verdict.supported:
            tp += 1
        elif gold:
            fn += 1
        elif verdict.supported:
            fp += 1
        else:
            tn += 1
        stats = by_kind.setdefault(str(pair.get("perturbation", "")), [0, 0])
        stats[0] += ok
        stats[1] += 1
        if not ok:
            errors.append(
                {
                    "id": pair.get("id"),
                    "label": pair["label"],
                    "perturbation": pair.get("perturbation"),
                    "claim": pair["claim"],
                    "verdict": verdict.to_json(),
                }
            )
    n = tp + fp + tn + fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0 if n else None
    return {
        "checker": checker.name,
        "pairs": n,
        "accuracy": (tp + tn) / n if n else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
        "accuracy_by_perturbation": {k: v[0] / v[1] for k, v in sorted(by_kind.items())},
        "count_by_perturbation": {k: v[1] for k, v in sorted(by_kind.items())},
        "errors": errors,
    }
