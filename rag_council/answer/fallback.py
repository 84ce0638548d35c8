"""A model generator made useful: declines it should not make are caught, and what it writes is
checked before the engine sees it, with the extractive answer as a labelled fallback.

`GuardedGenerator(model, fallback)` is a Generator wrapping any model generator (local, openai):

1. a question that names a year, number or name that no retrieved passage mentions is declined
   without calling the model (the extractive answerer's anchor rule);
2. the model's reply is held back until its first sentence shows whether it is the decline
   sentence (then the model is stopped early); otherwise it streams as it comes;
3. the finished reply is checked exactly as the engine would check it (`check_claims`); when the
   model declined, or none of its sentences is supported by the passages, and retrieval is
   strong enough, the extractive answer (the passages' own sentences) follows it. The check is
   handed to the engine on the call's result (`report`, `checked_text`), so that each answer is
   checked once; the engine keeps only what is supported: the quoted sentences, the model's
   being removed.

Everything about one question is on that call's `GenerationResult` (outcome "model",
"fallback" or "declined", `model_called`, the model's raw reply, the notice, which generator
wrote each sentence); the wrapper keeps nothing between questions. With `trace_path` every
outcome is appended to a JSON Lines file, with the model's raw reply (the evaluation uses it to
report model-only figures next to the fallback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

from rag_council.answer.base import NO_ANSWER, Completer, GenerationResult, Generator, declines
from rag_council.answer.decide import anchors_decline
from rag_council.retrieve.relevance import relevance
from rag_council.text import squash
from rag_council.types import Hit
from rag_council.verify.checking import CheckReport, check_claims
from rag_council.verify.citations import parse_claims
from rag_council.verify.support import LexicalSupportChecker, SupportChecker

FALLBACK_NOTICE = (
    "The model's own answer could not be verified against the passages ({why}); "
    "shown instead: the passages' own sentences, quoted by the extractive answerer"
)
# Characters of the model's reply held back to recognise the decline sentence.
_HOLD = 40


def combined(first: CheckReport, second: CheckReport) -> CheckReport:
    """The report of two texts checked one after the other (claims are checked one by one)."""
    return CheckReport(
        first.claims + second.claims,
        first.kept + second.kept,
        first.dropped_markers + second.dropped_markers,
        first.moved + second.moved,
        first.removed + second.removed,
        first.repaired_quotes + second.repaired_quotes,
    )


class GuardedGenerator(Generator):
    def __init__(
        self,
        model: Generator,
        fallback: Generator | None = None,
        *,
        checker: SupportChecker | None = None,
        min_relevance: float = 0.0,
        trace_path: str = "",
    ) -> None:
        self.model = model
        self.fallback = fallback
        self.name = model.name
        self.description = model.description + (
            f", checked, with the {fallback.name} answer as a fallback" if fallback else ", checked"
        )
        self.checker = checker or LexicalSupportChecker()
        self.min_relevance = min_relevance
        self.trace_path = trace_path
        self._trace_lock = threading.Lock()  # one trace file, several questions at once

    def completer(self) -> Completer | None:
        return self.model.completer()

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        result.writer = self.name
        result.checker = self.checker.name
        declined = anchors_decline(question, passages)
        if declined:
            result.outcome, result.model_called = "declined", False
            result.reason = declined[len(NO_ANSWER) :].strip(" :")
            self._trace(question, result)
            yield declined
            return
        held = ""
        shown = False
        inner = self.model.stream(question, passages)
        try:
            for piece in inner:
                if shown:
                    held += piece
                    yield piece
                    continue
                held += piece
                head = held.strip()
                if len(head) < _HOLD and not any(ch in head for ch in ".!?\n"):
                    continue
                if declines(head):
                    break  # the decline sentence: no need to let the model go on
                shown = True
                yield held
        finally:
            inner.close()  # stops the model when it was cut short
            result.timings.update(inner.result.timings)
        raw = held.strip()
        result.raw = raw
        if declines(raw) or not raw:
            result.outcome, result.reason = "declined", "the model declined"
            fallback, report = self._fallback(question, passages, result)
            if fallback:
                result.checked_text, result.report = fallback, report
            # The fallback's quotes, or the model's decline for the engine to turn into a declined answer.
            yield fallback or held
            self._trace(question, result)
            return
        if not shown:
            yield held
        report = check_claims(parse_claims(raw), passages, self.checker)
        supported = [c for c in report.kept if c.supported]
        if supported:
            result.outcome = "model"
            result.sentences = {c.text: self.name for c in supported}
            result.checked_text, result.report = raw, report
        else:
            result.outcome = "declined"
            result.reason = "no sentence of the model's answer is supported by its passages"
            fallback, quoted = self._fallback(question, passages, result)
            if fallback:
                yield "\n\n" + fallback
                result.checked_text = (held + "\n\n" + fallback).strip()
                result.report = combined(report, quoted)
        self._trace(question, result)

    def _fallback(
        self, question: str, passages: list[Hit], result: GenerationResult
    ) -> tuple[str, CheckReport]:
        """The fallback's answer and its check when it is allowed and checks out, else ''.
        Updates `result`."""
        nothing = CheckReport([], [])
        if self.fallback is None:
            return "", nothing
        if relevance(passages) < self.min_relevance:
            result.reason += f"; retrieval too weak for the fallback ({relevance(passages):.2f})"
            return "", nothing
        text = self.fallback.generate(question, passages).strip()
        if not text or text.startswith(NO_ANSWER):
            return "", nothing
        report = check_claims(parse_claims(text), passages, self.checker)
        kept = [c for c in report.kept if c.supported]
        if not kept:
            return "", nothing
        result.outcome = "fallback"
        result.fallback_text = text
        result.fallback_by = self.fallback.name
        result.sentences = {c.text: self.fallback.name for c in kept}
        result.notice = FALLBACK_NOTICE.format(why=result.reason)
        return text, report

    def _trace(self, question: str, result: GenerationResult) -> None:
        if not self.trace_path:
            return
        timings = {k: round(float(v), 4) for k, v in result.timings.items()} if result.model_called else {}
        record = {"question": squash(question), **result.to_json(), "timings": timings}
        with self._trace_lock:
            path = Path(self.trace_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
