"""Several questions at once through one engine: each answer's timings and outcome are its
own (the generators and the retriever keep nothing about the last question)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from rag_council import Settings
from rag_council.answer.base import GenerationResult, Generator
from rag_council.answer.fallback import GuardedGenerator
from rag_council.engine import Engine
from rag_council.testing import FixedRetriever, ScriptedGenerator, sample_hits
from rag_council.types import Hit

QUESTIONS = {
    # question -> (reply, tokens the fake model reports)
    "When will the central library open on Sundays?": (
        "The central library will open on Sundays from 1 June 2025. [2]",
        11.0,
    ),
    "What school transport budget was approved?": (
        "That the school transport budget of £4.2 million be approved for 2025/26. [1]",
        22.0,
    ),
    "Who sent apologies for absence?": ("Apologies were received from Councillor Ada Byron. [3]", 33.0),
    "What did the committee say about parking permits?": ("The documents do not say.", 44.0),
}


class SlowModel(Generator):
    """A fake model whose reply, token counts and pace depend on the question; it sleeps
    between pieces so that the questions interleave."""

    name = "slow"

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        reply, tokens = QUESTIONS[question]
        pause = 0.002 * (tokens / 11)
        result.raw = reply
        try:
            for i in range(0, len(reply), 6):
                time.sleep(pause)
                yield reply[i : i + 6]
        finally:  # like a real model, its counts also when it is stopped early
            result.timings.update({"prompt_tokens": tokens * 10, "generated_tokens": tokens})
        if reply.startswith("The documents do not say"):
            result.outcome, result.reason = "declined", "the model declined"


def _ask_all(engine: Engine, rounds: int = 3) -> list[tuple[str, object]]:
    answers: list[tuple[str, object]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(QUESTIONS) * rounds)

    def ask(question: str) -> None:
        start.wait()
        answer = engine.ask(question)
        with lock:
            answers.append((question, answer))

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS for _ in range(rounds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_each_answer_has_its_own_timings_and_outcome():
    fallback = ScriptedGenerator("That Sunday opening be trialled for twelve months. [2]", name="extractive")
    generator = GuardedGenerator(SlowModel(), fallback)
    engine = Engine(Settings(embedder={"kind": "hash"}), None, FixedRetriever(sample_hits()), generator)  # type: ignore[arg-type]
    answers = _ask_all(engine)
    assert len(answers) == 3 * len(QUESTIONS)
    for question, answer in answers:
        reply, tokens = QUESTIONS[question]
        result = answer.generation
        assert result is not None and result.done and result.raw == reply
        if reply.startswith("The documents do not say"):
            # this question's model declined: the quoted fallback, with its notice
            assert result.outcome == "fallback" and "could not be verified" in answer.notice
        else:
            assert result.outcome == "model" and answer.notice == ""
            assert reply.split(" [")[0].rstrip(".") in answer.text
        assert answer.timings["llm_generated_tokens"] == tokens
        assert answer.timings["llm_prompt_tokens"] == tokens * 10
    assert len({id(a.generation) for _, a in answers}) == len(answers)  # one result per answer


def test_a_decline_before_the_model_has_no_model_timings_even_among_others():
    generator = GuardedGenerator(SlowModel(), None)
    engine = Engine(Settings(embedder={"kind": "hash"}), None, FixedRetriever(sample_hits()), generator)  # type: ignore[arg-type]
    results: dict[str, object] = {}

    def ask(question: str) -> None:
        results[question] = engine.ask(question)

    naming_a_year = "Will the library open on Sundays in 2031?"
    threads = [threading.Thread(target=ask, args=(q,)) for q in (*QUESTIONS, naming_a_year)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    declined = results[naming_a_year]
    assert declined.abstained and declined.generation.declined_before_model  # type: ignore[attr-defined]
    assert not any(k.startswith("llm_") for k in declined.timings)  # type: ignore[attr-defined]
    library = results["When will the central library open on Sundays?"]
    assert library.timings["llm_generated_tokens"] == 11.0  # type: ignore[attr-defined]
