"""The doors, with real clients against real servers over the bundled corpus (MiniLM, Chroma):
the `openai` SDK against `rag-council api`, the `mcp` SDK's client against `rag-council mcp`
(stdio and streamable HTTP), a llama-index RetrieverQueryEngine on RagCouncilRetriever, and the
login (no key on a network address: refused; no key or a wrong one: 401; /source guarded)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys

import httpx
import openai
import pytest
from mcp import Client, StdioServerParameters

from tests.integration.servers import child, child_env, free_port, rag_council_api

KEY = "test-key-7f3a"
QUESTION = "What did the scrutiny committee resolve about co-opted members?"


@pytest.fixture(scope="module")
def api(corpus_engine, corpus_settings):
    with rag_council_api(
        corpus_settings.index_root, corpus_settings.index, RAG_COUNCIL_APP__API_KEY=KEY
    ) as url:
        yield url


def check_sources(extra: dict, content: str) -> None:
    assert extra["answer"] == content
    if extra["abstained"]:
        assert extra["retrieved"], "a decline lists the nearest sources"
        return
    assert extra["citations"], "an answer cites"
    for c in extra["citations"]:
        assert f"[{c['marker']}]" in content
        assert c["quote"] and c["quote"] in c["text"], "every quote is a span of its passage"
    assert extra["claims"] and extra["retrieved"]


def test_openai_sdk_gets_cited_answers(api, corpus_engine):
    client = openai.OpenAI(base_url=f"{api}/v1", api_key=KEY, max_retries=0)
    assert {m.id for m in client.models.list()} >= {"rag-council"}
    reply = client.chat.completions.create(
        model="rag-council", messages=[{"role": "user", "content": QUESTION}]
    )
    content = reply.choices[0].message.content
    extra = reply.model_extra["rag_council"]
    check_sources(extra, content)
    assert not extra["abstained"], content
    in_process = corpus_engine.ask(QUESTION)
    assert content == in_process.text  # the same engine answers the same way through the door

    stream = client.chat.completions.create(
        model="rag-council",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        extra_body={"filters": {"doc_type": "minutes"}},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    check_sources(last.model_extra["rag_council"], text)


def test_openai_sdk_follow_up_and_declines(api):
    client = openai.OpenAI(base_url=f"{api}/v1", api_key=KEY, max_retries=0)
    reply = client.chat.completions.create(
        model="rag-council",
        messages=[{"role": "user", "content": "What is the council's policy on dragons in the library?"}],
    )
    extra = reply.model_extra["rag_council"]
    assert extra["abstained"] and extra["citations"] == [] and extra["retrieved"]
    assert reply.choices[0].message.content.startswith("The documents I have do not say")
    with pytest.raises(openai.NotFoundError, match="rag-council"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="filters"):
        client.chat.completions.create(
            model="rag-council",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"filters": {"since": "yesterday"}},
        )


def test_no_key_or_a_wrong_key_is_401_and_sources_are_guarded(api, corpus_engine):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{api}/v1", api_key="wrong", max_retries=0).models.list()
    assert httpx.get(f"{api}/v1/documents").status_code == 401
    doc_id = corpus_engine.index.records()[0].doc_id
    assert httpx.get(f"{api}/source/{doc_id}").status_code == 401
    assert httpx.get(f"{api}/source/{doc_id}", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{api}/source/{doc_id}", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    page = httpx.get(f"{api}/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    with httpx.Client(base_url=api) as browser:
        assert browser.post("/login", data={"username": "x", "password": "nope"}).status_code == 401
        assert browser.post("/login", data={"username": "officer", "password": KEY}).status_code == 303
        assert browser.get(f"/source/{doc_id}").status_code == 200
        assert browser.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert httpx.get(f"{api}/healthz").json()["status"] == "ok"


def test_a_network_address_without_a_key_is_refused(corpus_settings):
    run = subprocess.run(
        [sys.executable, "-m", "rag_council.cli", "api", "--host", "0.0.0.0", "--port", str(free_port())],
        env=child_env(RAG_COUNCIL_INDEX_ROOT=str(corpus_settings.index_root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        run.returncode == 1
        and "without an API key" in run.stderr
        and "RAG_COUNCIL_APP__API_KEY" in run.stderr
    )


def run_apart(coroutine):
    """Run the client in a thread of its own: an earlier test (Playwright's sync API, Gradio)
    may leave an event loop running in this one, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def mcp_calls(server) -> tuple[list, object, object]:
    async def go():
        async with Client(server, read_timeout_seconds=300) as client:
            tools = (await client.list_tools()).tools
            asked = await client.call_tool("ask", {"question": QUESTION})
            found = await client.call_tool(
                "search_records", {"query": "co-opted members", "doc_type": "minutes", "top_k": 3}
            )
            return tools, asked, found

    return run_apart(go())


def check_mcp(tools, asked, found) -> None:
    assert {t.name for t in tools} >= {"search_records", "get_passage", "ask", "list_documents"}
    assert not asked.is_error
    check_sources(asked.structured_content, asked.structured_content["answer"])
    passages = found.structured_content["passages"]
    assert passages and all(p["label"] and p["text"] for p in passages)


def test_mcp_client_over_stdio(corpus_engine, corpus_settings):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rag_council.cli", "mcp", "--index", corpus_settings.index],
        env=child_env(RAG_COUNCIL_INDEX_ROOT=str(corpus_settings.index_root)),
    )
    check_mcp(*mcp_calls(params))


def test_mcp_client_over_streamable_http(corpus_engine, corpus_settings):
    port = free_port()
    args = [sys.executable, "-m", "rag_council.cli", "mcp", "--http", "--port", str(port)]
    env = child_env(
        RAG_COUNCIL_INDEX_ROOT=str(corpus_settings.index_root), RAG_COUNCIL_INDEX=corpus_settings.index
    )
    # Any answer from the port means it is up (a GET without a session is refused by the protocol).
    with child(args, f"http://127.0.0.1:{port}/mcp", env, ready_status=None):
        check_mcp(*mcp_calls(f"http://127.0.0.1:{port}/mcp"))


def test_llama_index_retriever_query_engine(corpus_engine):
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

    from rag_council.llama_adapter import RagCouncilRetriever

    retriever = RagCouncilRetriever(
        corpus_engine,
        top_k=3,
        filters=MetadataFilters(filters=[MetadataFilter(key="doc_type", value="minutes")]),
    )
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(max_tokens=8))
    response = engine.query("co-opted members")
    ours = corpus_engine.retriever.retrieve("co-opted members", 3, retriever._filters)
    assert [n.node.node_id for n in response.source_nodes] == [h.chunk.chunk_id for h in ours]
    for n in response.source_nodes:
        assert n.node.metadata["doc_type"] == "minutes" and n.node.metadata["label"]
