"""Metrics as pure functions of plain data: texts, ranks, booleans. Nothing here runs a model.

Retrieval: a chunk *hits* when it contains a gold quote, compared after normalising case,
whitespace, typographic quotes and markup; a chunk that holds most of a long quote (a quote
cut by a chunk edge) hits too. hit@k is the share of answerable questions with a hit in the
first k; MRR is the mean of 1/rank of the first hit (0 when none).

Citations, in the manner of ALCE (Gao et al., 2023): a sentence's citation *recall* is 1
when its cited passages together support it; a citation is *precise* when the sentence is
supported and the citation contributes (it supports the sentence alone, or without it the
others no longer do). Support is decided by a SupportChecker.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from difflib import SequenceMatcher

from rag_council.text.anchors import name_phrases
from rag_council.text.dates import WRITTEN_DAY_MONTH, WRITTEN_MONTH_YEAR
from rag_council.text.numbers import BARE_NUMBER, MONEY, PERCENT, number_value
from rag_council.text.tokens import match_tokens

# ------------------------------------------------------------------------------- normalising

_TAG = re.compile(r"<[^>]{0,200}>")
_MD = re.compile(r"[*_`#|>]+|\[(?=[^\]]*\]\()|\]\([^)]*\)")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Lower case, no HTML tags or markdown marks, typographic quotes made plain, one space."""
    text = html.unescape(_TAG.sub(" ", text)).translate(_QUOTES)
    text = _MD.sub(" ", text)
    return " ".join(text.lower().split())


def _tokens(text: str) -> list[str]:
    return match_tokens(normalise(text))


def quote_in_text(quote: str, text: str, *, long_quote_words: int = 12, share: float = 0.6) -> bool:
    """Does `text` (a chunk) contain `quote`? Exactly after normalising; or, for a quote of
    at least `long_quote_words` words, when the chunk holds a contiguous run of at least
    `share` of its words (the quote runs over the chunk's edge)."""
    q, t = normalise(quote), normalise(text)
    if not q:
        return False
    if q in t:
        return True
    q_tokens, t_tokens = _tokens(quote), _tokens(text)
    if not q_tokens:
        return False
    if " ".join(q_tokens) in " ".join(t_tokens):
        return True
    if len(q_tokens) < long_quote_words:
        return False
    match = SequenceMatcher(None, q_tokens, t_tokens, autojunk=False).find_longest_match(
        0, len(q_tokens), 0, len(t_tokens)
    )
    return match.size >= share * len(q_tokens)


def first_hit_rank(quotes: Sequence[str], chunk_texts: Sequence[str]) -> int | None:
    """1-based rank of the first chunk that contains any of the quotes; None if none does."""
    for rank, text in enumerate(chunk_texts, start=1):
        if any(quote_in_text(q, text) for q in quotes):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


# ---------------------------------------------------------------------------------- key facts


def key_facts(text: str) -> list[tuple[str, str]]:
    """The checkable facts of a reference answer: dates, amounts, percentages, other numbers
    and proper names, as (kind, normalised value), sorted and without repeats."""
    facts: set[tuple[str, str]] = set()
    used: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return not any(a <= m.start() < b or a < m.end() <= b for a, b in used)

    for m in WRITTEN_DAY_MONTH.finditer(text):
        facts.add(
            ("date", f"{int(m.group(1))} {m.group(2).lower()}" + (f" {m.group(3)}" if m.group(3) else ""))
        )
        used.append(m.span())
    for m in WRITTEN_MONTH_YEAR.finditer(text):
        if free(m):
            facts.add(("date", f"{m.group(1).lower()} {m.group(2)}"))
            used.append(m.span())
    for m in MONEY.finditer(text):
        facts.add(("amount", number_value(m.group(1), m.group(2))))
        used.append(m.span())
    for m in PERCENT.finditer(text):
        if free(m):
            facts.add(("percent", number_value(m.group(1))))
            used.append(m.span())
    for m in BARE_NUMBER.finditer(text):
        if free(m):
            facts.add(("number", number_value(m.group(1))))
    facts.update(("name", name) for name in name_phrases(text))
    return sorted(facts)


def fact_in(fact: tuple[str, str], text: str) -> bool:
    """Is a key fact present in `text`? Numbers match numbers, so '£1.5m' matches '£1.5 million'."""
    kind, value = fact
    if kind == "date":
        found = {k for k in key_facts(text) if k[0] == "date"}
        if fact in found:
            return True
        parts = value.split()
        norm = normalise(text)
        if len(parts) == 3:  # '14 november 2023' is present when day+month are, and the year somewhere
            return (
                any(f"{parts[0]} {parts[1]}" == " ".join(d[1].split()[:2]) for d in found)
                and parts[2] in norm
            )
        return all(p in norm for p in parts)
    if kind == "name":
        norm = normalise(text)
        return all(re.search(rf"\b{re.escape(p)}\b", norm) for p in value.split())
    values = {v for k, v in key_facts(text) if k in ("amount", "percent", "number")}
    values |= {number_value(m.group(1)) for m in BARE_NUMBER.finditer(text.replace("£", " "))}
    return value in values


def key_fact_recall(reference: str, answer: str) -> tuple[float | None, list[tuple[str, str]]]:
    """Share of the reference answer's key facts present in the answer (None if it has none),
    and the facts that are missing."""
    facts = key_facts(reference)
    if not facts:
        return None, []
    missing = [f for f in facts if not fact_in(f, answer)]
    return 1 - len(missing) / len(facts), missing


# ---------------------------------------------------------------------------------- abstention


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """`pairs` of (should decline, did decline). Declining is the positive class."""
    tp = fp = fn = tn = 0
    for should, did in pairs:
        if should and did:
            tp += 1
        elif should:
            fn += 1
        elif did:
            fp += 1
        else:
            tn += 1
    positives = tp + fn
    # No unanswerable questions: precision, recall and F1 are undefined (None). With some, a
    # checker that never declines scores 0 (the zero_division=0 convention).
    precision = (tp / (tp + fp) if tp + fp else 0.0) if positives else None
    recall = tp / positives if positives else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "abstention_precision": precision,
        "abstention_recall": recall,
        "abstention_f1": f1,
        "false_abstention_rate": fp / (fp + tn) if fp + tn else None,
    }


# ----------------------------------------------------------------------------------- citations

Supports = Callable[[str, list[str]], bool]


def alce_citation_scores(
    claims: Sequence[tuple[str, Sequence[int]]], passages: dict[int, str], supports: Supports
) -> dict[str, object]:
    """ALCE citation recall and precision of one answer.

    `claims`: (sentence, cited markers); `passages`: marker -> passage text; `supports(claim,
    passages)` says whether the passages together support the claim. Returns per-answer
    recall (supported sentences / sentences), precision (precise citations / citations), the
    counts, and per-sentence judgements."""
    sentences = supported = citations = precise = 0
    details: list[dict[str, object]] = []
    for text, markers in claims:
        sentences += 1
        cited = [m for m in dict.fromkeys(markers) if m in passages]
        ok = bool(cited) and supports(text, [passages[m] for m in cited])
        supported += ok
        contributes: list[int] = []
        for m in cited:
            citations += 1
            if not ok:
                continue
            alone = supports(text, [passages[m]])
            others = [passages[o] for o in cited if o != m]
            if alone or not others or not supports(text, others):
                precise += 1
                contributes.append(m)
        details.append({"claim": text, "markers": list(cited), "supported": ok, "precise": contributes})
    return {
        "citation_recall": supported / sentences if sentences else None,
        "citation_precision": precise / citations if citations else None,
        "sentences": sentences,
        "supported_sentences": supported,
        "citations": citations,
        "precise_citations": precise,
        "claims": details,
    }


# ----------------------------------------------------------------------------------- summaries


def mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values`; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def answer_words(text: str) -> int:
    """Words of an answer as shown, its citation markers ([1], [2, 3]) aside."""
    return len(re.findall(r"[\w£$%][\w'’.,£$%-]*", re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", text)))
