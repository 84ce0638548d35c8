"""The local model as a judge: "do these passages answer the question: yes or no?"

One token is generated; its probability is the score. xllamacpp's chat completions return
OpenAI-style `logprobs` with `top_logprobs`, so the score is P(yes) / (P(yes) + P(no)) over the
top five first tokens ("Yes", "yes", "YES" count as yes; "No", "no", "NO" as no). Optional and off
by default (`answer.verify = "local"`): on 2 shared cores it costs seconds per question (see
evals/answers_report.md for what it measured)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rag_council.errors import ConfigError
from rag_council.text import squash
from rag_council.types import Hit

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.settings import LocalLLMSettings

PROMPT = (
    "You check whether council documents answer a question. Read the passages, then reply with "
    "one word: yes if they state the answer to the question (the thing asked, about what the "
    "question names), no if they do not.\n\n{passages}\n\nQuestion: {question}\n"
    "Do these passages answer the question? Reply yes or no."
)


def judge_prompt(question: str, passages: list[Hit], max_passages: int = 3, chars: int = 700) -> str:
    shown = "\n\n".join(
        f"[{i}] {squash(h.chunk.text)[:chars]}" for i, h in enumerate(passages[:max_passages], 1)
    )
    return PROMPT.format(passages=shown, question=question)


def yes_probability(reply: dict[str, Any]) -> float:
    """P(yes) from a chat completion with logprobs (0.5 when neither word is among the top)."""
    try:
        first = reply["choices"][0]["logprobs"]["content"][0]
    except (KeyError, IndexError, TypeError):
        raise ConfigError(f"The local judge got no logprobs: {str(reply)[:200]}.", "") from None
    yes = no = 0.0
    for alt in first.get("top_logprobs") or [first]:
        token = str(alt.get("token", "")).strip().lower()
        p = math.exp(float(alt.get("logprob", -100.0)))
        if token == "yes":
            yes += p
        elif token == "no":
            no += p
    return yes / (yes + no) if yes + no else 0.5


class LocalJudge:
    """(question, passages) -> P(the passages answer it), by the local GGUF model."""

    def __init__(self, settings: LocalLLMSettings, generator: Any | None = None) -> None:
        from rag_council.answer.local import LocalGenerator

        self.generator = generator if generator is not None else LocalGenerator(settings, progress=False)

    def __call__(self, question: str, passages: list[Hit]) -> float:
        server = self.generator.load()
        request = {
            "messages": [{"role": "user", "content": judge_prompt(question, passages)}],
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 5,
        }
        with self.generator._lock:
            reply = server.handle_chat_completions(request)
        return yes_probability(reply)
