"""The MCP server's tools, through the SDK's own client connected in-process (fakes underneath)."""

import asyncio
import concurrent.futures
import json

import pytest
from mcp import Client
from rag_council_app.mcp_server import build_mcp

from rag_council import Settings

DOCS = {
    "transport.txt": "School transport.\n\nThe committee approved a school transport budget of £4.2 million for 2025/26.",
    "library.txt": "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month trial.",
}


@pytest.fixture
def engine(small_engine):
    return small_engine(DOCS)


def run_apart(coroutine):
    """Run the client in a thread of its own: an earlier test (Playwright's sync API, Gradio)
    may leave an event loop running in this one, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def call(engine, calls):
    async def go():
        async with Client(build_mcp(engine)) as client:
            tools = await client.list_tools()
            results = [await client.call_tool(name, args) for name, args in calls]
            return tools.tools, results

    return run_apart(go())


def test_tools_are_listed_with_what_they_return(engine):
    tools, _ = call(engine, [])
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {"search_records", "get_passage", "ask", "list_documents"}
    for tool in tools:
        assert "Returns" in (tool.description or ""), tool.name
    assert {"committee", "doc_type", "since", "until"} <= set(
        by_name["search_records"].input_schema["properties"]
    )


def test_ask_cites_search_finds_and_get_passage_reads(engine):
    _, (answer, found, docs) = call(
        engine,
        [
            ("ask", {"question": "What school transport budget did the committee approve?"}),
            ("search_records", {"query": "library on Sundays", "top_k": 1}),
            ("list_documents", {}),
        ],
    )
    body = answer.structured_content
    assert not answer.is_error and not body["abstained"] and "£4.2 million" in body["answer"]
    assert all(c["quote"] in c["text"] for c in body["citations"]) and body["citations"]
    assert json.loads(answer.content[0].text)["answer"] == body["answer"]
    passage = found.structured_content["passages"][0]
    assert passage["document"] == "library.txt"
    assert sorted(d["name"] for d in docs.structured_content["documents"]) == sorted(DOCS)
    _, (read, missing, bad_date) = call(
        engine,
        [
            ("get_passage", {"chunk_id": passage["chunk_id"]}),
            ("get_passage", {"chunk_id": "nope"}),
            ("search_records", {"query": "library", "since": "last year"}),
        ],
    )
    assert read.structured_content["text"] == passage["text"] and read.structured_content["label"]
    assert missing.is_error and "search_records" in missing.content[0].text
    assert bad_date.is_error and "YYYY-MM-DD" in bad_date.content[0].text


def test_ask_declines_with_the_nearest_sources(engine):
    _, (answer,) = call(engine, [("ask", {"question": "What is the policy on potholes in rural roads?"})])
    body = answer.structured_content
    assert body["abstained"] and body["citations"] == [] and body["retrieved"]


def test_mcp_over_http_is_loopback_only():
    from rag_council_app.mcp_server import run

    from rag_council.errors import ConfigError

    with pytest.raises(ConfigError, match="no login"):
        run(Settings(embedder={"kind": "hash"}), http=True, host="0.0.0.0")


def test_the_cli_has_the_api_and_mcp_commands():
    from rag_council.cli import build_parser

    args = build_parser().parse_args(["api", "--index", "x", "--host", "127.0.0.1", "--port", "9000"])
    assert (args.command, args.index, args.port) == ("api", "x", 9000)
    args = build_parser().parse_args(["mcp", "--http", "--port", "9001", "--generator", "extractive"])
    assert (args.command, args.http, args.port, args.host) == ("mcp", True, 9001, "127.0.0.1")
