"""`--generator openai` end to end against a real OpenAI-compatible server: llama.cpp's own HTTP
server from the xllamacpp wheel, with the bundled GGUF, on a loopback port. Streaming included;
the answers are whatever the model writes, checked like any other."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from rag_council import Answer, Settings
from rag_council.answer import local_problem, make_generator
from rag_council.engine import Engine
from tests.integration.servers import child_env, llama_server

QUESTION = "What did the scrutiny committee resolve about co-opted members?"
# Small, so that a CPU shared with other work answers in reasonable time; a CPU server reading the
# prompt on a loaded machine can take longer than the first-byte default (20 s) to send a token.
OPENAI = {
    "model": "local",
    "max_passages": 2,
    "passage_chars": 450,
    "max_tokens": 80,
    "first_byte_timeout_s": 600,
    "total_timeout_s": 600,
}

pytestmark = [
    pytest.mark.skipif(
        local_problem(Settings()) is not None, reason=f"no local model: {local_problem(Settings())}"
    ),
    # A CPU model on a shared machine: reading the prompt and writing 80 tokens can take minutes.
    pytest.mark.timeout(1800),
]


@pytest.fixture(scope="module")
def llama():
    with llama_server() as base:
        yield base


def check_answer(answer: Answer) -> None:
    if answer.abstained:
        assert answer.text.startswith("The documents I have do not say") and answer.retrieved
        return
    assert answer.citations
    for c in answer.citations:
        assert c.quote in c.chunk.text and f"[{c.marker}]" in answer.text
    assert all(claim.supported for claim in answer.claims if claim.text in answer.text)


def without_records(settings: Settings) -> Settings:
    """These tests are about the generator: the question goes to it, not to the records."""
    return settings.model_copy(update={"answer": settings.answer.model_copy(update={"from_records": False})})


def test_the_openai_generator_streams_from_a_llama_cpp_server(llama, corpus_engine, corpus_settings):
    settings = corpus_settings.model_copy(
        update={
            "answer": corpus_settings.answer.model_copy(
                update={
                    "openai": corpus_settings.answer.openai.model_copy(update={"base_url": llama, **OPENAI})
                }
            )
        }
    )
    settings = without_records(settings)  # the generator writes the answer, not the records
    generator = make_generator(settings, corpus_engine.index.embedder, "openai")
    engine = Engine(settings, corpus_engine.index, corpus_engine.retriever, generator)
    answers = list(engine.stream(QUESTION))
    partials = [a for a in answers if a.notice == "partial"]
    assert len(partials) >= 2, "the text arrived in pieces while the model wrote it"
    assert all(len(b.text) >= len(a.text) for a, b in itertools.pairwise(partials))
    final = answers[-1]
    assert final.notice != "partial"
    check_answer(final)
    assert final.timings["first_token_s"] < final.timings["generate_s"]


def test_ask_with_generator_openai_on_the_command_line(llama, corpus_engine, corpus_settings):
    env = child_env(
        RAG_COUNCIL_INDEX_ROOT=str(corpus_settings.index_root),
        RAG_COUNCIL_ANSWER__OPENAI__BASE_URL=llama,
        RAG_COUNCIL_ANSWER__FROM_RECORDS="false",  # the generator writes the answer, not the records
        **{f"RAG_COUNCIL_ANSWER__OPENAI__{k.upper()}": str(v) for k, v in OPENAI.items()},
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag_council.cli",
            "ask",
            "--index",
            corpus_settings.index,
            "--generator",
            "openai",
            QUESTION,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("Q: ") and "(writing…)" in run.stdout  # streamed, then checked
    assert "Sources:" in run.stdout or "Nearest sources:" in run.stdout


def test_a_llama_index_llm_on_the_server_writes_checked_answers(llama, corpus_engine):
    """LlamaIndexGenerator over a llama-index LLM that talks to the server with the openai SDK."""
    import openai
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata

    from rag_council.llama_adapter import LlamaIndexGenerator

    client = openai.OpenAI(base_url=llama, api_key="none", max_retries=0, timeout=600)
    calls: list[str] = []

    class ServerLLM(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="local", is_chat_model=True)

        def complete(self, prompt: str, formatted: bool = False, **kwargs):
            return CompletionResponse(text="".join(r.delta for r in self.stream_complete(prompt)))

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
            calls.append(prompt)
            text = ""
            stream = client.chat.completions.create(
                model="local",
                messages=[{"role": "user", "content": prompt}],
                max_tokens=80,
                temperature=0,
                stream=True,
            )
            for chunk in stream:
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    text += piece
                    yield CompletionResponse(text=text, delta=piece)

    engine = Engine(
        without_records(corpus_engine.settings),
        corpus_engine.index,
        corpus_engine.retriever,
        LlamaIndexGenerator(ServerLLM(), max_passages=2, passage_chars=450),
    )
    answer = engine.ask(QUESTION)
    assert engine.generator.name == "llama-index"
    check_answer(answer)
    assert answer.abstained or calls, "the answer came from the model"
    assert not calls or "Passages:" in calls[0]  # rag-council's prompt reached the server
