"""The checking after generation, exercised with scripted generators (no model): good and bad
citations, markers out of range, unsupported sentences, declines, quotes, streaming."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest

from rag_council import Settings
from rag_council.answer import NO_ANSWER, available_generators, make_generator
from rag_council.engine import Engine
from rag_council.errors import ConfigError
from rag_council.testing import FakeOpenAIServer, FixedRetriever, ScriptedGenerator, sample_hits
from rag_council.testing import fakes as FAKE
from rag_council.types import Hit
from rag_council.verify.checking import check_quotes
from tests.schema import check_record

TRANSPORT, LIBRARY, APOLOGIES = FAKE.TRANSPORT, FAKE.LIBRARY, FAKE.APOLOGIES
_hit = FAKE.hit
HITS = sample_hits()
Scripted = ScriptedGenerator


def ask(reply: str, hits: list[Hit] = HITS, **answer_settings):
    settings = Settings(embedder={"kind": "hash"}, answer=answer_settings)
    generator = Scripted(reply)
    engine = Engine(settings, None, FixedRetriever(hits), generator)  # type: ignore[arg-type]
    answer = engine.ask("What did the committee decide?")
    check_record(answer.to_json())
    return answer, generator


def test_a_good_citation_is_kept_and_checked_verbatim():
    answer, _ = ask("That the school transport budget of £4.2 million be approved for 2025/26. [1]")
    assert not answer.abstained
    assert answer.text.endswith("[1]")
    [claim] = answer.claims
    assert claim.supported and claim.check == "verbatim quote" and claim.markers == [1]
    assert answer.citations[0].chunk.chunk_id == "c1"
    assert answer.citations[0].quote in TRANSPORT


def test_a_paraphrase_is_checked_by_the_support_checker():
    answer, _ = ask("The school transport budget of £4.2 million was approved for 2025/26 [1].")
    [claim] = answer.claims
    assert claim.supported and claim.check.startswith("lexical")


def test_a_citation_to_a_passage_that_does_not_support_moves_to_the_one_that_does():
    answer, _ = ask("The central library will open on Sundays from 1 June 2025. [1]")
    assert not answer.abstained
    [claim] = answer.claims
    assert claim.supported and "moved from passage(s) [1] to 2" in claim.check
    assert [c.chunk.chunk_id for c in answer.citations] == ["c2"]
    assert "moved" in answer.notice


def test_a_marker_out_of_range_is_dropped():
    answer, _ = ask("The central library will open on Sundays from 1 June 2025. [7]")
    [claim] = answer.claims
    assert "dropped marker(s) [7]" in claim.check
    assert claim.supported and [c.chunk.chunk_id for c in answer.citations] == ["c2"]
    assert "[7]" not in answer.text and "to no passage dropped" in answer.notice


def test_an_unsupported_sentence_is_removed_and_recorded():
    answer, _ = ask(
        "The school transport budget of £4.2 million was approved for 2025/26 [1]. "
        "The council will also abolish all bus fares from 2027 [1]."
    )
    assert not answer.abstained
    assert "abolish" not in answer.text
    assert [c.supported for c in answer.claims] == [True, False]
    assert "not supported" in answer.claims[1].check
    assert "1 unsupported sentence(s) removed" in answer.notice


def test_an_unsupported_sentence_can_be_marked_instead():
    answer, _ = ask(
        "The school transport budget of £4.2 million was approved for 2025/26 [1]. "
        "The council will also abolish all bus fares from 2027 [1].",
        unsupported="mark",
    )
    assert "abolish all bus fares from 2027. (unverified)" in answer.text
    assert len(answer.citations) == 1  # the marked sentence cites nothing
    assert [c.supported for c in answer.claims] == [True, False]


def test_when_nothing_supported_remains_the_answer_declines_with_the_nearest_sources():
    answer, _ = ask("The council will abolish all bus fares from 2027 [1]. Parking will be free [2].")
    assert answer.abstained and answer.citations == []
    assert answer.text.startswith("The documents I have do not say")
    assert answer.retrieved and "supported by the passages" in answer.notice
    assert [c.supported for c in answer.claims] == [False, False]  # what was checked is recorded


def test_a_sentence_without_a_marker_gets_the_passage_that_supports_it():
    answer, _ = ask("Apologies were received from Councillor Ada Byron.")
    [claim] = answer.claims
    assert claim.supported and claim.markers == [1]
    assert answer.citations[0].chunk.chunk_id == "c3"


def test_the_fixed_decline_sentence_and_no_answer_decline():
    for reply in ("The documents do not say.", f"{NO_ANSWER}: nothing relevant"):
        answer, _ = ask(reply)
        assert answer.abstained and answer.citations == []


def test_a_low_retrieval_score_declines_before_the_model_is_called():
    weak = [_hit(1, TRANSPORT, dense=0.05)]
    answer, generator = ask("anything [1]", hits=weak)
    assert answer.abstained and generator.calls == 0
    assert answer.notice == "no passage is relevant enough"


def test_a_misquoted_resolution_is_corrected_to_the_source_text():
    answer, _ = ask(
        'The committee resolved "That the school transport budgett of £4.2 million be approved for 2025/26" [1].'
    )
    assert not answer.abstained
    quoted = answer.text.split('"')[1]
    assert quoted in TRANSPORT  # character for character
    assert "corrected" in answer.claims[0].check


def test_an_invented_quote_is_not_shown():
    answer, _ = ask(
        "The school transport budget of £4.2 million was approved for 2025/26 [1]. "
        'The chair said "we will never cut a single bus route in this county" [1].'
    )
    assert "never cut" not in answer.text
    assert answer.claims[1].supported is False and "quote not in the passage" in answer.claims[1].check


def test_check_quotes_keeps_exact_quotes():
    text = 'It resolved "That Sunday opening be trialled for twelve months." [2]'
    assert check_quotes(text, [LIBRARY]) == (text, [], 0)


def test_streaming_shows_text_before_the_checked_answer():
    settings = Settings(embedder={"kind": "hash"})
    reply = "The central library will open on Sundays from 1 June 2025. [1] Buses will be free [2]."
    engine = Engine(settings, None, FixedRetriever(HITS), Scripted(reply))  # type: ignore[arg-type]
    answers = list(engine.stream("When will the library open on Sundays?"))
    partials = [a for a in answers if a.notice == "partial"]
    assert len(partials) > 3 and partials[-1].text == reply
    final = answers[-1]
    assert "Buses" not in final.text and final.citations[0].chunk.chunk_id == "c2"
    assert final.timings["first_token_s"] <= final.timings["answer_s"]


def test_quoted_sentences_are_checked_as_verbatim_quotes():
    # The passages' own sentences take the cheap path (found verbatim), not the support checker;
    # how fast that is belongs in a benchmark (bench/), not in a timed test.
    reply = "\n".join(f"{t.splitlines()[1]} [{n}]" for n, t in enumerate([TRANSPORT, LIBRARY, APOLOGIES], 1))
    answer, _ = ask(reply)
    assert answer.claims and all(c.check == "verbatim quote" and c.supported for c in answer.claims)


def test_available_generators_and_selection(monkeypatch):
    settings = Settings(embedder={"kind": "hash"})
    names = available_generators(settings)
    assert names[0] == "extractive" and "openai" not in names
    with pytest.raises(ConfigError, match="needs a server"):
        make_generator(settings.with_generator("openai"), None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        settings.with_generator("gpt")
    configured = Settings(embedder={"kind": "hash"}, answer={"openai": {"base_url": "http://x/v1"}})
    assert "openai" in available_generators(configured)


def test_the_openai_generator_streams_from_a_compatible_server():
    with FakeOpenAIServer() as server:
        settings = Settings(
            embedder={"kind": "hash"},
            answer={
                "generator": "openai",
                "openai": {"base_url": server.base_url, "model": "m", "api_key": "k"},
            },
        )
        generator = make_generator(settings, None)  # type: ignore[arg-type]
        engine = Engine(settings, None, FixedRetriever(HITS), generator)  # type: ignore[arg-type]
        answer = engine.ask("When will the library open on Sundays?")
    assert not answer.abstained and answer.citations[0].chunk.chunk_id == "c2"
    assert server.seen[0]["model"] == "m" and server.seen[0]["stream"] is True
    assert "[1] (" in server.seen[0]["messages"][1]["content"]  # numbered passages with labels
    assert answer.generation is not None and answer.generation.outcome == "model"
    assert answer.timings["llm_prompt_tokens"] == 100.0  # the server's usage, on the answer


def test_the_openai_generator_reads_a_minimal_compatible_server():
    """A server that sends bare chunks (no ids, no usage), as the hand-written client expected."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in ["The central library will open on Sundays ", "from 1 June 2025. [2]"]:
                chunk = {"choices": [{"delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/v1"
        settings = Settings(
            embedder={"kind": "hash"},
            answer={"generator": "openai", "openai": {"base_url": base, "model": "m", "api_key": "k"}},
        )
        generator = make_generator(settings, None)  # type: ignore[arg-type]
        engine = Engine(settings, None, FixedRetriever(HITS), generator)  # type: ignore[arg-type]
        answer = engine.ask("When will the library open on Sundays?")
    finally:
        server.shutdown()
    assert not answer.abstained and answer.citations[0].chunk.chunk_id == "c2"
    assert seen[0]["model"] == "m" and seen[0]["stream"] is True
    assert "[1] (" in seen[0]["messages"][1]["content"]  # numbered passages with labels


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_a_generator_error(status):
    from rag_council.errors import GeneratorError

    with FakeOpenAIServer(fail_status=status) as server:
        settings = Settings(
            embedder={"kind": "hash"},
            answer={"openai": {"base_url": server.base_url, "max_retries": 0}},
        )
        generator = make_generator(settings, None, "openai")  # type: ignore[arg-type]
        with pytest.raises(GeneratorError, match=str(status)):
            generator.generate("When will the library open on Sundays?", HITS)


def test_a_bad_key_or_model_is_a_config_error_and_an_unreachable_server_a_generator_error():
    from rag_council.errors import GeneratorError

    with FakeOpenAIServer(fail_status=401) as server:
        settings = Settings(embedder={"kind": "hash"}, answer={"openai": {"base_url": server.base_url}})
        with pytest.raises(ConfigError, match="401"):
            make_generator(settings, None, "openai").generate("q", HITS)  # type: ignore[arg-type]
    gone = Settings(
        embedder={"kind": "hash"},
        answer={"openai": {"base_url": "http://127.0.0.1:9/v1", "max_retries": 0, "timeout_s": 2}},
    )
    with pytest.raises(GeneratorError, match="Cannot reach"):
        make_generator(gone, None, "openai").generate("q", HITS)  # type: ignore[arg-type]


def test_the_model_file_is_assembled_once_and_verified(tmp_path, monkeypatch):
    from rag_council.answer import model as M

    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    whole = b"".join(p.read_bytes() for p in parts)
    fake = M.PackagedModel("fake", "fake_part", 3, len(whole), hashlib.sha256(whole).hexdigest(), "fake")
    monkeypatch.setitem(M.MODELS, "fake", fake)
    monkeypatch.setattr(M, "part_paths", lambda model: parts)
    path = M.assemble("fake", tmp_path / "cache", progress=False)
    assert path.read_bytes() == whole and not path.with_suffix(".gguf.part").exists()
    mtime = path.stat().st_mtime_ns
    assert M.assemble("fake", tmp_path / "cache", progress=False) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rebuilt
    bad = M.PackagedModel("bad", "fake_part", 3, len(whole), "0" * 64, "fake")
    monkeypatch.setitem(M.MODELS, "bad", bad)
    with pytest.raises(ConfigError, match="wrong sha256"):
        M.assemble("bad", tmp_path / "cache", progress=False)


def test_generator_option_on_ask_eval_and_serve():
    from rag_council.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["ask", "q", "--generator", "local"]).generator == "local"
    assert parser.parse_args(["eval", "gold.jsonl", "--generator", "openai"]).generator == "openai"
    assert parser.parse_args(["serve", "--generator", "extractive"]).generator == "extractive"
    with pytest.raises(SystemExit):
        parser.parse_args(["ask", "q", "--generator", "gpt"])


def test_ask_streams_text_then_prints_the_checked_answer(monkeypatch, capsys):
    from rag_council import cli

    reply = "The central library will open on Sundays from 1 June 2025. [1] Buses will be free [2]."

    settings = Settings(embedder={"kind": "hash"})
    engine = Engine(settings, None, FixedRetriever(HITS), Scripted(reply, name="local"))  # type: ignore[arg-type]
    monkeypatch.setattr("rag_council.open_index", lambda name, settings: engine)
    assert cli.main(["ask", "When will the library open on Sundays?", "--generator", "local"]) == 0
    out = capsys.readouterr().out
    assert out.index("Buses will be free") < out.index("checked against the sources")
    assert "Sources:" in out and "Buses" not in out[out.index("checked against") :]


# ------------------------------------------------------------------ the guarded local generator


Counting = ScriptedGenerator  # counts the pieces the caller took (a stopped model yields no more)


QUOTED = "That Sunday opening be trialled for twelve months. [2]"


def guarded(reply: str, fallback: str | None = QUOTED, hits: list[Hit] = HITS, **kw):
    from rag_council.answer.fallback import GuardedGenerator

    model = Counting(reply, name="local")
    backup = Scripted(fallback, name="extractive") if fallback is not None else None
    generator = GuardedGenerator(model, backup, **kw)
    engine = Engine(Settings(embedder={"kind": "hash"}), None, FixedRetriever(hits), generator)  # type: ignore[arg-type]
    answer = engine.ask("When will the library open on Sundays?")  # the engine annotates it
    check_record(answer.to_json())
    assert answer.generation is not None and answer.generation.done
    return answer, answer.generation, model, backup


def test_a_supported_model_answer_stands_and_the_fallback_is_not_asked():
    answer, result, _, backup = guarded("The central library will open on Sundays from 1 June 2025. [2]")
    assert not answer.abstained and result.outcome == "model"
    assert backup.calls == 0 and result.notice == ""
    assert "Sundays" in answer.text and answer.notice == ""
    assert answer.claims[0].check.startswith("written by local")


def test_a_model_decline_is_cut_short_and_the_quoted_answer_shown_with_a_notice():
    reply = "The documents do not say. " + "Anything else the model would ramble on about. " * 20
    answer, result, model, backup = guarded(reply)
    assert model.closed and model.taken < 10  # stopped once the decline sentence was seen
    assert backup.calls == 1 and result.outcome == "fallback"
    assert not answer.abstained and answer.text.startswith("That Sunday opening be trialled")
    assert "could not be verified" in answer.notice and "the model declined" in answer.notice
    assert [c.check.split(";")[0] for c in answer.claims] == ["written by extractive"]
    assert answer.citations[0].chunk.chunk_id == "c2"


def test_when_nothing_the_model_wrote_survives_the_quoted_answer_follows_it():
    answer, result, _, _ = guarded("Buses will be free for everyone from 2027 [1].")
    assert not answer.abstained and "Buses" not in answer.text
    assert answer.text.startswith("That Sunday opening be trialled")
    model_claim, quoted = answer.claims
    assert model_claim.supported is False and model_claim.check.startswith("written by local")
    assert quoted.supported and quoted.check.startswith("written by extractive")
    assert "no sentence of the model's answer is supported" in answer.notice
    assert result.raw == "Buses will be free for everyone from 2027 [1]."


def test_with_fallback_decline_the_model_decline_stands():
    answer, result, _, _ = guarded("The documents do not say.", fallback=None)
    assert answer.abstained and answer.citations == [] and result.outcome == "declined"
    answer, _, _, _ = guarded("Buses will be free for everyone from 2027 [1].", fallback=None)
    assert answer.abstained and "supported by the passages" in answer.notice


def test_a_fallback_that_finds_nothing_or_weak_retrieval_leaves_the_decline():
    answer, _, _, _ = guarded("The documents do not say.", fallback=f"{NO_ANSWER}: nothing")
    assert answer.abstained
    weak = [_hit(1, TRANSPORT, dense=0.4), _hit(2, LIBRARY, dense=0.4)]
    answer, result, _, backup = guarded("The documents do not say.", hits=weak, min_relevance=0.5)
    assert answer.abstained and backup.calls == 0
    assert "retrieval too weak" in result.reason


def test_a_question_naming_what_no_passage_mentions_is_declined_without_the_model():
    from rag_council.answer.fallback import GuardedGenerator

    model = Counting("The central library will open on Sundays from 1 June 2025. [2]")
    generator = GuardedGenerator(model, Scripted(QUOTED))
    generation = generator.stream("Will the library open on Sundays in 2031?", HITS)
    text = generation.text()
    assert text.startswith(NO_ANSWER) and "2031" in text
    assert model.calls == 0 and generation.result.declined_before_model


def test_the_trace_records_the_model_reply_and_the_outcome(tmp_path):
    trace = tmp_path / "trace.jsonl"
    guarded("Buses will be free for everyone from 2027 [1].", trace_path=str(trace))
    guarded("The central library will open on Sundays from 1 June 2025. [2]", trace_path=str(trace))
    first, second = (json.loads(line) for line in trace.read_text().splitlines())
    assert first["source"] == "fallback" and first["raw"].startswith("Buses") and first["fallback"]
    assert second["source"] == "model" and second["question"].startswith("When will the library")


def test_the_local_generator_is_guarded_with_the_extractive_fallback_by_default():
    from rag_council.answer.extractive import ExtractiveGenerator
    from rag_council.answer.fallback import GuardedGenerator

    settings = Settings(embedder={"kind": "hash"})
    generator = make_generator(settings, None, "local")  # type: ignore[arg-type]
    assert isinstance(generator, GuardedGenerator) and generator.name == "local"
    assert isinstance(generator.fallback, ExtractiveGenerator)
    assert generator.completer() is generator.model  # the model's capability, declared
    declining = Settings(embedder={"kind": "hash"}, answer={"local": {"fallback": "decline"}})
    assert make_generator(declining, None, "local").fallback is None  # type: ignore[arg-type, union-attr]


def test_the_prompt_leaves_out_list_numbers_when_clipping():
    from rag_council.answer.prompt import clip

    text = (
        "1. "
        + "The committee noted the report on school transport costs. " * 6
        + "\n2.\n3.\nEnd of list here."
    )
    clipped = clip(text, "What about school transport costs?", 200)
    assert clipped and "2." not in clipped and "3." not in clipped


def test_a_negation_reaches_only_to_the_end_of_its_clause():
    from rag_council.verify.support import LexicalSupportChecker

    passage = (
        "This may lead to a decision that there are no concerns, to a child in need plan, or to an "
        "initial child protection conference (which needs to take place within 15 working days)."
    )
    checker = LexicalSupportChecker()
    assert checker.check("A child in need plan may follow.", [passage]).supported
    assert not checker.check("There are concerns.", [passage]).supported  # still negated in its clause


def test_a_decline_before_the_model_reports_no_model_timings():
    from rag_council.answer.fallback import GuardedGenerator

    class Counted(ScriptedGenerator):
        def write(self, question, passages, result):
            result.timings["prompt_tokens"] = 400.0
            yield from super().write(question, passages, result)

    generator = GuardedGenerator(Counted("The central library will open on Sundays from 1 June 2025. [2]"))
    asked = generator.stream("When will the library open on Sundays?", HITS)
    asked.text()
    assert asked.result.llm_timings() == {"llm_prompt_tokens": 400.0}
    before = generator.stream("Will the library open on Sundays in 2031?", HITS)
    before.text()
    assert before.result.llm_timings() == {} and before.result.timings == {}
    assert asked.result.timings["prompt_tokens"] == 400.0  # each call its own result


def test_the_engine_shows_the_fallback_notice_once_and_checks_the_answer_once(monkeypatch):
    from rag_council.verify import checking

    calls: list[str] = []
    real = checking.check_claims

    def counting(claims, *args, **kwargs):
        calls.append(" ".join(c.text for c in claims))
        return real(claims, *args, **kwargs)

    monkeypatch.setattr(checking, "check_claims", counting)
    monkeypatch.setattr("rag_council.engine.check_claims", counting)
    monkeypatch.setattr("rag_council.answer.fallback.check_claims", counting)
    answer, _, _, _ = guarded("The documents do not say.")
    assert answer.notice.count("could not be verified") == 1
    assert answer.claims[0].check.count("written by") == 1
    assert len(calls) == 1  # the fallback's quotes, checked by the guard; the engine reused it
    calls.clear()
    answer, result, _, _ = guarded("The central library will open on Sundays from 1 June 2025. [2]")
    assert result.outcome == "model" and len(calls) == 1 and not answer.abstained


def test_the_evaluation_judges_the_sentences_shown_not_the_removed_ones():
    from rag_council.evaluate.gold import GoldItem
    from rag_council.evaluate.runner import judge
    from rag_council.types import Answer, Citation, Claim

    passage = "the central library will open on Sundays from 1 June 2025"
    chunk = HITS[1].chunk
    shown = Claim("The central library will open on Sundays from 1 June 2025.", [1], True, "verbatim")
    removed = Claim("Buses will be free for everyone from 2027.", [1], False, "unsupported")  # old marker
    answer = Answer(
        "When?",
        f"{shown.text} [1]",
        False,
        citations=[Citation(1, chunk, passage, chunk.text.index(passage))],
        claims=[shown, removed],
    )
    item = GoldItem("q", "When?", "1 June 2025", (passage,), ("x.txt",), "figure")

    def supports(claim: str, passages: list[str]) -> bool:
        return any(claim.rstrip(".").lower() in p.lower() for p in passages)

    _, _, alce, _, _ = judge(item, answer, [chunk.text], supports)
    assert alce["sentences"] == 1 and alce["citation_precision"] == 1.0


def test_a_reader_that_stops_early_stops_the_generator():
    model = Scripted("The central library will open on Sundays from 1 June 2025. [2] " * 5)
    engine = Engine(Settings(embedder={"kind": "hash"}), None, FixedRetriever(HITS), model)  # type: ignore[arg-type]
    stream = engine.stream("When will the library open on Sundays?")
    assert next(stream).notice == "partial"
    stream.close()
    assert model.closed and model.taken < 10
