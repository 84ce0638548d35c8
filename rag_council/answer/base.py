"""The Generator contract: a question and numbered passages in, answer text with [n] markers out,
and a per-call result (like simonw/llm's `Response`): nothing about a question is kept on the
generator, so one generator serves several questions at once.

Passage n is passages[n-1]. A generator that finds no answer in the passages writes text
starting with NO_ANSWER (or the prompt's fixed decline sentence); the engine turns that into a
declined answer.

* `Generator.stream(question, passages) -> Generation`: iterate it for the text pieces; its
  `result` (a `GenerationResult`: outcome, timings, token counts, who wrote each sentence, the
  claim check when the generator already ran it) is complete when the iteration ends.
* `Generator.generate(question, passages) -> str`: the whole text.
* Optional capability, declared: `Completer` (`complete(prompt) -> str`, a plain completion,
  used to rewrite follow-up questions and by LLMSupportChecker). `Generator.completer()` gives
  the generator's completer or None; a wrapper hands out the one it wraps.

An implementation subclasses `Generator` and writes `write(question, passages, result)`, a
generator function yielding the text pieces and filling `result` as it goes."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Generator as PyGenerator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from rag_council.types import Answer, Hit

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.verify.checking import CheckReport

NO_ANSWER = "NO_ANSWER"

# What happened to one call: the generator's own text stands ("model"), the model's answer was
# replaced by the passages' own sentences ("fallback"), or it declined ("declined"; with
# `model_called` False when it declined before the model was asked).
Outcome = Literal["model", "fallback", "declined"]
OUTCOMES: tuple[str, ...] = ("model", "fallback", "declined")
# The model's own counts and speeds, copied onto the Answer's timings as llm_<key>.
LLM_COUNTS = ("prompt_tokens", "prompt_tok_s", "generated_tokens", "gen_tok_s")


@dataclass
class GenerationResult:
    """What one `stream` call did. Filled while the text is generated; `done` when it ended."""

    generator: str
    outcome: Outcome = "model"
    reason: str = ""  # why the generator's own answer was not used, or why it declined
    model_called: bool = True
    raw: str = ""  # what the model wrote (a wrapper's inner model, when there is one)
    fallback_text: str = ""  # the fallback's answer, when it was used
    fallback_by: str = ""  # the generator that wrote it
    # The generator's own timings (first_token_s, total_s) and, for an LLM, the counts and
    # speeds of LLM_COUNTS (prompt_tokens, prompt_tok_s, generated_tokens, gen_tok_s).
    timings: dict[str, float] = field(default_factory=dict)
    # Who wrote each sentence (sentence -> generator name), and the default writer: when
    # `writer` is set, `annotate` labels every claim of the final answer with it.
    sentences: dict[str, str] = field(default_factory=dict)
    writer: str = ""
    notice: str = ""  # what the user must be told about this answer ('' when nothing)
    # The claim check of the text, when the generator already ran it (the engine reuses it
    # instead of checking again): the exact text checked, the report, the checker's name.
    checked_text: str = ""
    report: CheckReport | None = None
    checker: str = ""
    done: bool = False

    @property
    def declined_before_model(self) -> bool:
        return self.outcome == "declined" and not self.model_called

    def llm_timings(self) -> dict[str, float]:
        """The model's own counts and speeds, as the Answer's llm_* timings ({} when none)."""
        if not self.model_called:
            return {}
        return {f"llm_{k}": float(self.timings[k]) for k in LLM_COUNTS if k in self.timings}

    def annotate(self, answer: Answer) -> Answer:
        """`answer` (the engine's final one for this call) with this result's notice and, when
        the generator says who wrote what, each claim's writer ("written by local; ...")."""
        if self.notice:
            answer.notice = "; ".join(n for n in (self.notice, answer.notice) if n)
        if self.writer:
            for claim in answer.claims:
                who = f"written by {self.written_by(claim.text)}"
                claim.check = f"{who}; {claim.check}" if claim.check else who
        return answer

    def written_by(self, sentence: str) -> str:
        if sentence in self.sentences:
            return self.sentences[sentence]
        if self.fallback_text:
            from rag_council.text import find_span

            if find_span(self.fallback_text, sentence):
                return self.fallback_by or "extractive"
        return self.writer

    def to_json(self) -> dict[str, Any]:
        """The trace record's fields (see answer.fallback)."""
        return {
            "source": self.outcome,
            "reason": self.reason,
            "raw": self.raw,
            "fallback": self.fallback_text,
            "model_called": self.model_called,
        }


class Generation:
    """One call's output: iterate it for the text pieces; `result` is complete when the
    iteration ends (`result.done`). `close()` stops the generator early (a model stops)."""

    def __init__(self, pieces: Iterable[str], result: GenerationResult) -> None:
        self._pieces: Iterator[str] = iter(pieces)
        self.result = result
        self._started: float | None = None
        self._first: float | None = None

    def __iter__(self) -> Generation:
        return self

    def __next__(self) -> str:
        if self._started is None:
            self._started = time.perf_counter()
        try:
            piece = next(self._pieces)
        except StopIteration:
            self._finish()
            raise
        if self._first is None:
            self._first = time.perf_counter() - self._started
        return piece

    def _finish(self) -> None:
        if self.result.done:
            return
        started = self._started if self._started is not None else time.perf_counter()
        timings = self.result.timings
        if self.result.model_called:
            timings.setdefault("first_token_s", self._first or 0.0)
            timings.setdefault("total_s", time.perf_counter() - started)
        self.result.done = True

    def close(self) -> None:
        """Stop early: the underlying generator function's `finally` runs (the model stops)."""
        if isinstance(self._pieces, PyGenerator):
            self._pieces.close()
        self._finish()

    def text(self) -> str:
        """All the text (consumes the generation)."""
        return "".join(self)


@runtime_checkable
class Completer(Protocol):
    """Optional capability: a plain completion of a prompt (follow-up rewriting, LLM checking)."""

    def complete(self, prompt: str) -> str: ...


class Generator(ABC):
    """The contract every answer generator implements (see the module docstring)."""

    name: str = ""  # how settings, the CLI and the app call it (see rag_council.registry)
    description: str = ""
    # Whether the text comes in pieces worth showing as they come (an LLM), or all at once.
    incremental: bool = True
    # Whether its sentences are the passages' own, quoted: the engine then says which meeting
    # each paragraph comes from (rag_council.answer.provenance), as a quote cannot.
    quotes: bool = False

    @abstractmethod
    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        """Yield the answer text in pieces, filling `result` (outcome, timings, counts)."""

    def stream(self, question: str, passages: list[Hit]) -> Generation:
        result = GenerationResult(self.name)
        return Generation(self.write(question, passages, result), result)

    def generate(self, question: str, passages: list[Hit]) -> str:
        return self.stream(question, passages).text()

    def completer(self) -> Completer | None:
        """The generator's plain-completion capability, or None when it has none."""
        return self if isinstance(self, Completer) else None


def declines(text: str) -> bool:
    """Whether a generator's text is a decline (NO_ANSWER, or the fixed decline sentence)."""
    from rag_council.answer.prompt import is_decline

    return text.lstrip().startswith(NO_ANSWER) or is_decline(text)
