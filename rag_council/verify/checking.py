"""Checking a generated answer against its passages, the same way for every generator.

For each sentence (claim) of the answer:

1. markers that point at no given passage are dropped;
2. a sentence found verbatim in a cited passage is supported ("verbatim quote");
3. otherwise the support checker judges it against the passages it cites; of several cited
   passages only those that support it on their own are kept (all of them when only the
   combination does);
4. a sentence its citations do not support is tried against the other passages: the citation
   moves to the best one that supports it;
5. a text in quotation marks must match its passage character for character (whitespace
   aside): a near miss is replaced by the source's own words, anything else is unsupported;
6. an unsupported sentence is dropped (or, with `unsupported="mark"`, kept, marked
   "(unverified)" and shown without a citation).

What remains is rendered with `citations.cite`; when nothing supported remains, the engine
declines and shows the nearest sources."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from rag_council.text import find_span
from rag_council.types import Claim, Hit
from rag_council.verify.injection import Evidence
from rag_council.verify.support import LexicalSupportChecker, SupportChecker

_QUOTE = re.compile(r"[\"“]([^\"“”]{12,}?)[\"”]")


@dataclass
class CheckReport:
    claims: list[Claim]  # every claim, with supported / check filled in
    kept: list[Claim]  # the claims to show, markers numbering the passages given
    dropped_markers: int = 0
    moved: int = 0
    removed: int = 0
    repaired_quotes: int = 0
    refused: list[Claim] = field(default_factory=list)  # instructions copied from a document


def _closest_span(passage: str, quote: str, threshold: float = 0.9) -> str | None:
    """The span of `passage` closest to `quote` (same number of words, +-2), if similar enough."""
    tokens = list(re.finditer(r"\S+", passage))
    n = len(quote.split())
    if not tokens or n == 0:
        return None
    target = " ".join(quote.split()).lower()
    best, best_ratio = None, 0.0
    first_word = quote.split()[0].lower().strip("\"“'‘(")
    for i in range(len(tokens)):
        # Cheap filter: the window starts near a matching word, or anywhere for short passages.
        if len(tokens) > 400 and first_word not in tokens[i].group(0).lower():
            continue
        for length in range(max(1, n - 2), n + 3):
            if i + length > len(tokens):
                break
            span = passage[tokens[i].start() : tokens[i + length - 1].end()]
            ratio = difflib.SequenceMatcher(None, target, " ".join(span.split()).lower()).ratio()
            if ratio > best_ratio:
                best, best_ratio = span, ratio
    return best if best_ratio >= threshold else None


def check_quotes(text: str, passages: list[str]) -> tuple[str, list[str], int]:
    """Each quoted text of `text` against `passages`: exact quotes stay, near misses are replaced
    by the source's words (returned text), others are listed as problems."""
    problems: list[str] = []
    repaired = 0
    for m in list(_QUOTE.finditer(text)):
        quote = m.group(1).strip().rstrip(",.")
        if len(quote.split()) < 3:
            continue
        if any(find_span(p, quote) for p in passages):
            continue
        fixed = next((s for p in passages if (s := _closest_span(p, quote))), None)
        if fixed is not None:
            text = text.replace(quote, " ".join(fixed.split()), 1)
            repaired += 1
        else:
            problems.append(f"quote not in the passage: “{quote[:60]}”")
    return text, problems, repaired


def check_claims(
    claims: list[Claim],
    passages: list[Hit],
    checker: SupportChecker | None = None,
    *,
    unsupported: str = "drop",
) -> CheckReport:
    checker = checker or LexicalSupportChecker()
    evidence = Evidence(passages)  # instruction-like sentences blanked: evidence only
    texts = evidence.texts
    report = CheckReport([], [])
    for claim in claims:
        valid = [m for m in claim.markers if 1 <= m <= len(passages)]
        bad = [m for m in claim.markers if m not in valid]
        report.dropped_markers += len(bad)
        notes = [f"dropped marker(s) {bad}: no such passage"] if bad else []
        text = claim.text
        # Quotes first: a repaired quote is judged in its repaired form.
        text, quote_problems, repaired = check_quotes(text, [texts[m - 1] for m in valid] or texts)
        report.repaired_quotes += repaired
        if repaired:
            notes.append(f"{repaired} quote(s) corrected to the source's words")
        markers: list[int] = []
        check = ""
        supported = False
        if refused := evidence.refuse(text):
            check = refused  # never shown, even with unsupported="mark"
        elif quote_problems:
            check = "; ".join(quote_problems)
        elif verbatim := [m for m in valid if find_span(texts[m - 1], text)]:
            markers, supported, check = verbatim, True, "verbatim quote"
        else:
            if valid:
                verdict = checker.check(text, [texts[m - 1] for m in valid])
                if verdict.supported:
                    supported = True
                    alone = [
                        m for m in valid if len(valid) == 1 or checker.check(text, [texts[m - 1]]).supported
                    ]
                    markers = alone or valid
                    check = f"{checker.name}: supported by passage(s) {markers} (score {verdict.score:.2f})"
                else:
                    check = f"{checker.name}: not supported by passage(s) {valid} ({'; '.join(verdict.reasons[:2])})"
            if not supported:
                best: tuple[float, int] | None = None
                for m in range(1, len(passages) + 1):
                    if m in valid:
                        continue
                    v = checker.check(text, [texts[m - 1]])
                    if v.supported and (best is None or v.score > best[0]):
                        best = (v.score, m)
                if best is not None:
                    supported, markers = True, [best[1]]
                    moved = (
                        f"moved from passage(s) {valid} to {best[1]}" if valid else f"cited passage {best[1]}"
                    )
                    check = f"{checker.name}: {moved} (score {best[0]:.2f})"
                    report.moved += 1
                elif not check:
                    check = "no citation and no passage supports it"
        check = "; ".join([*notes, check]) if notes else check
        checked = Claim(text, markers if supported else valid, supported, check)
        if refused:
            report.refused.append(checked)
            report.removed += 1
            if unsupported == "mark":
                continue  # (the engine pairs every claim with a kept one in "mark" mode)
        report.claims.append(checked)
        if supported:
            report.kept.append(checked)
        elif unsupported == "mark":
            # Shown without a citation: a marker would vouch for what the passage does not say.
            report.kept.append(Claim(f"{text} (unverified)", [], False, check))
        elif not refused:
            report.removed += 1
    return report
