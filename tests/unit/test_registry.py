"""One registry of generators, rerankers and support checkers: settings, the CLI and the app
read their names from it, and a plugin adds one through an entry point."""

from __future__ import annotations

import textwrap

import pytest

from rag_council import HashEmbedder, Settings
from rag_council.errors import ConfigError
from rag_council.registry import (
    GENERATORS,
    RERANKERS,
    SUPPORT_CHECKERS,
    Component,
    available_generators,
    make_generator,
)
from rag_council.testing import sample_hits


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A fake installed distribution with one generator, one reranker and one checker."""
    (tmp_path / "council_plugin.py").write_text(
        textwrap.dedent(
            '''
            from rag_council.answer.base import Generator
            from rag_council.registry import Component
            from rag_council.retrieve.rerank import NoReranker


            class ShoutGenerator(Generator):
                """Shouts the first passage back."""

                name = "shout"
                description = "shouts the first passage"

                def __init__(self, settings, embedder):
                    pass

                def write(self, question, passages, result):
                    yield passages[0].chunk.text.upper() + " [1]"


            def reverse(settings, stats=None):
                """Keeps the fused order (a plugin reranker)."""
                return NoReranker()


            always_no = Component(
                "always-no", lambda embedder=None, complete=None: None, "says no", lambda s: "never here"
            )
            '''
        )
    )
    dist = tmp_path / "council_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: council-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[rag_council.generators]\nshout = council_plugin:ShoutGenerator\n"
        "extractive = council_plugin:ShoutGenerator\n"  # a built-in name: the built-in wins
        "[rag_council.rerankers]\nreverse = council_plugin:reverse\n"
        "[rag_council.support_checkers]\nalways-no = council_plugin:always_no\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for registry in (GENERATORS, RERANKERS, SUPPORT_CHECKERS):
        registry.refresh()
    yield
    for registry in (GENERATORS, RERANKERS, SUPPORT_CHECKERS):
        registry.refresh()


def test_the_built_in_names():
    assert GENERATORS.names()[:3] == ("extractive", "local", "openai")
    assert set(RERANKERS.names()) >= {"lexical", "cross-encoder", "none"}
    assert set(SUPPORT_CHECKERS.names()) >= {"lexical", "llm"}
    assert all(GENERATORS.descriptions().values())


def test_settings_cli_and_app_read_the_registry(monkeypatch):
    from rag_council.cli import build_parser
    from rag_council.conversation import available_answerers

    with pytest.raises(ConfigError, match=r"unknown generator 'gpt'; use one of: extractive, local, openai"):
        Settings.load(answer={"generator": "gpt"})
    with pytest.raises(ConfigError, match=r"retrieval\.rerank"):
        Settings.load(retrieval={"rerank": "magic"})
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["ask", "q", "--generator", "gpt"])
    settings = Settings(embedder={"kind": "hash"})
    # The app's answerer choices are the registry's available generators.
    here = Component("local", GENERATORS.get("local").factory, "a local model", lambda s: None)
    monkeypatch.setitem(GENERATORS._builtin, "local", here)
    assert available_answerers(settings) == available_generators(settings) == ["extractive", "local"]
    gone = Component("local", here.factory, "a local model", lambda s: "no model here")
    monkeypatch.setitem(GENERATORS._builtin, "local", gone)
    assert available_answerers(settings) == ["extractive"]


def test_availability_is_cheap_and_says_why_not():
    settings = Settings(embedder={"kind": "hash"})
    assert GENERATORS.problem("openai", settings) == "answer.openai.base_url is not set"
    assert "openai" not in available_generators(settings)
    served = Settings(
        embedder={"kind": "hash"}, answer={"generator": "openai", "openai": {"base_url": "http://x/v1"}}
    )
    assert available_generators(served)[0] == "openai"  # the configured default first
    assert RERANKERS.problem("cross-encoder", settings)
    assert SUPPORT_CHECKERS.problem("llm", settings)  # needs an LLM to ask


def test_a_plugin_adds_a_generator_a_reranker_and_a_checker(plugin):
    assert "shout" in GENERATORS.names() and GENERATORS.names().count("extractive") == 1
    settings = Settings(embedder={"kind": "hash"}, answer={"generator": "shout"})  # validation knows it
    generator = make_generator(settings, HashEmbedder())
    assert generator.name == "shout" and generator.generate("q", sample_hits()).endswith("[1]")
    assert GENERATORS.get("extractive").description.startswith("the passages' own sentences")
    assert "shout" in available_generators(settings)
    assert GENERATORS.descriptions()["shout"] == "shouts the first passage"

    assert RERANKERS.get("reverse").description == "Keeps the fused order (a plugin reranker)."
    assert Settings(embedder={"kind": "hash"}, retrieval={"rerank": "reverse"}).retrieval.rerank == "reverse"
    assert SUPPORT_CHECKERS.problem("always-no", settings) == "never here"
    assert "always-no" not in SUPPORT_CHECKERS.available(settings)

    from rag_council.cli import build_parser

    assert build_parser().parse_args(["ask", "q", "--generator", "shout"]).generator == "shout"


def test_a_plugin_that_does_not_load_is_a_clear_error(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rag_council.generators]\nbroken = no_such_module:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    GENERATORS.refresh()
    try:
        with pytest.raises(ConfigError, match=r"plugin 'broken'.*does not load"):
            GENERATORS.get("broken")
        assert GENERATORS.problem("broken", Settings(embedder={"kind": "hash"}))
    finally:
        GENERATORS.refresh()


def test_unknown_names_say_what_is_known():
    with pytest.raises(ConfigError, match=r"Unknown generator 'gpt'.*extractive, local, openai"):
        GENERATORS.get("gpt")
