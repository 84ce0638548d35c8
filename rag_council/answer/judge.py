"""The local model as a judge: "does this answer answer the question: yes or no?"

The judge reads the answer that would be given (its sentences, the passages' own words, without
markers), not the passages it was chosen from: a short prompt (about 150 tokens against 600 for
three passages) reads in 2-4 s on 2 cores, and it is the answer whose grounding is decided. One
token is generated; its probability is the score. xllamacpp's chat completions return
OpenAI-style `logprobs` with `top_logprobs`, so the score is P(yes) / (P(yes) + P(no)) over the
top five first tokens ("Yes", "yes", "YES" count as yes; "No", "no", "NO" as no). Optional and off
by default (`answer.verify = "local"`); what it adds and costs is measured in
evals/judge_answers.md."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rag_council.errors import ConfigError
from rag_council.text import squash
from rag_council.verify.citations import strip_markers

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.settings import LocalLLMSettings

PROMPT = (
    "You check whether an answer taken from council documents answers a question. Reply with one "
    "word: yes if the answer states what the question asks for (the thing asked, about what the "
    "question names: its year, meeting, body, document or person), no if it does not.\n\n"
    "Answer: {answer}\n\nQuestion: {question}\n"
    "Does the answer state what the question asks for? Reply yes or no."
)


def judge_prompt(question: str, answer: str, chars: int = 1200) -> str:
    """The prompt for an answer's text (citation markers dropped)."""
    text = squash(strip_markers(answer))[:chars]
    return PROMPT.format(answer=text, question=question)


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
    """(question, answer text) -> P(the answer answers it), by the local GGUF model."""

    def __init__(self, settings: LocalLLMSettings, generator: Any | None = None) -> None:
        from rag_council.answer.local import LocalGenerator

        self.generator = generator if generator is not None else LocalGenerator(settings, progress=False)

    def __call__(self, question: str, answer: str) -> float:
        server = self.generator.load()
        request = {
            "messages": [{"role": "user", "content": judge_prompt(question, answer)}],
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 5,
        }
        with self.generator._lock:
            reply = server.handle_chat_completions(request)
        return yes_probability(reply)
