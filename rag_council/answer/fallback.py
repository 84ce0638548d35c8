"""A model generator made useful: declines it should not make are caught, and what it writes is
checked before the engine sees it, with the extractive answer as a labelled fallback.

`GuardedGenerator(model, fallback)` wraps any model generator (local, openai):

1. a question that names a year, number or name that no retrieved passage mentions is declined
   without calling the model (the extractive answerer's anchor rule);
2. the model's reply is held back until its first sentence shows whether it is the decline
   sentence (then the model is stopped early); otherwise it streams as it comes;
3. the finished reply is checked exactly as the engine will check it (`check_claims`); when the
   model declined, or none of its sentences is supported by the passages, and retrieval is
   strong enough, the extractive answer (the passages' own sentences) follows it. The engine then
   keeps only what is supported: the quoted sentences, the model's being removed.

`last_outcome` says what happened to the last question ("model", "fallback: ...", "declined:
...") and `annotate(answer)` labels an engine Answer with it (notice, and which generator wrote
each sentence). With `trace_path` every outcome is appended to a JSON Lines file, with the
model's raw reply (the evaluation uses it to report model-only figures next to the fallback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag_council.answer.base import NO_ANSWER, Generator
from rag_council.answer.extractive import anchors_decline
from rag_council.answer.prompt import is_decline
from rag_council.text import find_span, squash
from rag_council.types import Answer, Claim, Hit
from rag_council.verify.checking import check_claims
from rag_council.verify.citations import parse_claims
from rag_council.verify.support import LexicalSupportChecker, SupportChecker

FALLBACK_NOTICE = (
    "The model's own answer could not be verified against the passages ({why}); "
    "shown instead: the passages' own sentences, quoted by the extractive answerer"
)
# Characters of the model's reply held back to recognise the decline sentence.
_HOLD = 40


@dataclass
class Outcome:
    source: str  # "model", "fallback" or "declined"
    reason: str = ""  # why the model's answer was not used
    raw: str = ""  # what the model wrote
    fallback_text: str = ""  # the extractive answer, when it was used
    model_called: bool = True
    sentences: dict[str, str] = field(default_factory=dict)  # sentence -> generator that wrote it

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "raw": self.raw,
            "fallback": self.fallback_text,
            "model_called": self.model_called,
        }


def _relevance(hits: list[Hit]) -> float:
    dense = [h.dense for h in hits if h.dense is not None]
    return max(dense) if dense else (hits[0].score if hits else 0.0)


def _declines(text: str) -> bool:
    return text.lstrip().startswith(NO_ANSWER) or is_decline(text)


class GuardedGenerator:
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
        self.checker = checker or LexicalSupportChecker()
        self.min_relevance = min_relevance
        self.trace_path = trace_path
        self._local = threading.local()  # one outcome per thread: the app answers several at once
        self._trace_lock = threading.Lock()

    @property
    def last_outcome(self) -> Outcome | None:
        """What happened to the last question asked in this thread."""
        return getattr(self._local, "outcome", None)

    @last_outcome.setter
    def last_outcome(self, outcome: Outcome | None) -> None:
        self._local.outcome = outcome

    def __getattr__(self, attr: str) -> Any:  # load(), complete(), settings, model_path ...
        return getattr(self.__dict__["model"], attr)

    @property
    def last_timings(self) -> dict[str, float]:
        if self.last_outcome is not None and not self.last_outcome.model_called:
            return {}  # declined before the model was asked: its timings are another question's
        return getattr(self.model, "last_timings", {}) or {}

    def generate(self, question: str, passages: list[Hit]) -> str:
        return "".join(self.stream(question, passages))

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        declined = anchors_decline(question, passages)
        if declined:
            self._finish(
                question, Outcome("declined", declined[len(NO_ANSWER) :].strip(" :"), model_called=False)
            )
            yield declined
            return
        held = ""
        shown = False
        pieces = self.model.stream(question, passages)
        try:
            for piece in pieces:
                if shown:
                    held += piece
                    yield piece
                    continue
                held += piece
                head = held.strip()
                if len(head) < _HOLD and not any(ch in head for ch in ".!?\n"):
                    continue
                if _declines(head):
                    break  # the decline sentence: no need to let the model go on
                shown = True
                yield held
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops the model when it was cut short
        raw = held.strip()
        if _declines(raw) or not raw:
            outcome = Outcome("declined", "the model declined", raw)
            fallback = self._fallback(question, passages, outcome)
            # The fallback's quotes, or the model's decline for the engine to turn into a declined answer.
            yield fallback or held
            self._finish(question, outcome)
            return
        if not shown:
            yield held
        supported = [c for c in check_claims(parse_claims(raw), passages, self.checker).kept if c.supported]
        if supported:
            outcome = Outcome("model", raw=raw, sentences={c.text: self.name for c in supported})
        else:
            outcome = Outcome(
                "declined", "no sentence of the model's answer is supported by its passages", raw
            )
            fallback = self._fallback(question, passages, outcome)
            if fallback:
                yield "\n\n" + fallback
        self._finish(question, outcome)

    def _fallback(self, question: str, passages: list[Hit], outcome: Outcome) -> str:
        """The fallback's answer when it is allowed and checks out, else ''. Updates `outcome`."""
        if self.fallback is None:
            return ""
        if _relevance(passages) < self.min_relevance:
            outcome.reason += f"; retrieval too weak for the fallback ({_relevance(passages):.2f})"
            return ""
        text = self.fallback.generate(question, passages).strip()
        if not text or text.startswith(NO_ANSWER):
            return ""
        kept = [c for c in check_claims(parse_claims(text), passages, self.checker).kept if c.supported]
        if not kept:
            return ""
        outcome.source = "fallback"
        outcome.fallback_text = text
        outcome.sentences = {c.text: self.fallback.name for c in kept}
        return text

    def _finish(self, question: str, outcome: Outcome) -> None:
        self.last_outcome = outcome
        if not self.trace_path:
            return
        record = {"question": squash(question), **outcome.to_json(), "timings": self.last_timings}
        record["timings"] = (
            {k: round(float(v), 4) for k, v in record["timings"].items()} if outcome.model_called else {}
        )
        with self._trace_lock:
            path = Path(self.trace_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def notice(self) -> str:
        """What the user must be told about the last answer ('' when the model's answer stood)."""
        o = self.last_outcome
        if o is None or o.source != "fallback":
            return ""
        return FALLBACK_NOTICE.format(why=o.reason)

    def annotate(self, answer: Answer) -> Answer:
        """`answer` (the engine's, for the last question) with the fallback notice and, on each
        claim, the generator that wrote it. For the engine to call on its final answer."""
        o = self.last_outcome
        if o is None:
            return answer
        note = self.notice()
        if note:
            answer.notice = "; ".join(n for n in (note, answer.notice) if n)
        for claim in answer.claims:
            claim.check = (
                f"{_writer(claim, o, self.name)}; {claim.check}"
                if claim.check
                else _writer(claim, o, self.name)
            )
        return answer


def _writer(claim: Claim, outcome: Outcome, model: str) -> str:
    if claim.text in outcome.sentences:
        return f"written by {outcome.sentences[claim.text]}"
    if outcome.fallback_text and find_span(outcome.fallback_text, claim.text):
        return "written by extractive"
    return f"written by {model}"
