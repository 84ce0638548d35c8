"""Follow-up questions rewritten to stand alone (rule based), and the answerers on offer."""

import pytest

from rag_council.conversation import available_answerers, context_of, is_follow_up, standalone_question

FIRST = "What did scrutiny discuss about SGOs on 14 November 2023?"


def test_context_of_a_question():
    ctx = context_of(FIRST)
    assert (ctx.actor, ctx.topic, ctx.date) == ("scrutiny", "SGOs", "on 14 November 2023")


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("and what did they decide?", "What did scrutiny decide about SGOs on 14 November 2023?"),
        ("What did the council say about it?", "What did the council say about SGOs on 14 November 2023?"),
        ("and who asked?", "Who asked about SGOs on 14 November 2023?"),
        ("What about Cabinet?", "What did scrutiny discuss about SGOs on 14 November 2023, Cabinet?"),
    ],
)
def test_follow_up_carries_the_subject_and_date(follow_up, expected):
    assert standalone_question([FIRST], follow_up) == expected


def test_follow_up_keeps_its_own_date():
    q = standalone_question([FIRST], "and what did they decide in March 2024?")
    assert "March 2024" in q and "November" not in q and "SGOs" in q


def test_a_question_that_stands_alone_is_unchanged():
    q = "How many children were adopted in 2016-17?"
    assert not is_follow_up(q)
    assert standalone_question([FIRST], q) == q
    assert standalone_question([], "and what did they decide?") == "and what did they decide?"


def test_without_a_subject_the_previous_question_stays_in_view():
    q = standalone_question(["How many children left care?"], "and why?")
    assert "How many children left care" in q


def test_the_latest_question_is_the_context():
    history = ["What did Cabinet discuss about libraries?", FIRST]
    assert "SGOs" in standalone_question(history, "and what did they decide?")


def test_only_real_answerers_are_offered():
    from rag_council import Settings

    assert available_answerers() == ["extractive"]
    assert available_answerers(Settings())[0] == "extractive"
    assert "openai" not in available_answerers(Settings())
    assert "openai" in available_answerers(Settings(answer={"openai": {"base_url": "http://127.0.0.1:9/v1"}}))


# --- follow-ups rewritten by an LLM when one is configured ---------------------------------

HISTORY = ["What did scrutiny decide about special guardianship orders on 14 November 2023?"]


def test_llm_rewrite_is_used_when_it_is_a_question_about_the_same_things():
    from rag_council.conversation import rewrite_follow_up

    prompts: list[str] = []

    def complete(prompt: str) -> str:
        prompts.append(prompt)
        return "Standalone question: Why did scrutiny decide that about special guardianship orders?"

    out = rewrite_follow_up(HISTORY, "and why?", complete)
    assert out == "Why did scrutiny decide that about special guardianship orders?"
    assert HISTORY[0] in prompts[0] and "and why?" in prompts[0]


@pytest.mark.parametrize(
    "reply",
    [
        "Scrutiny noted the report on special guardianship orders [1].",  # an answer, with a marker
        "Why did the football club buy a new stadium in Leeds?",  # things nobody asked about
        "",
    ],
)
def test_a_bad_llm_rewrite_falls_back_to_the_rules(reply: str):
    from rag_council.conversation import rewrite_follow_up

    assert rewrite_follow_up(HISTORY, "and why?", lambda _: reply) == standalone_question(HISTORY, "and why?")


def test_a_failing_llm_or_a_standalone_question_never_calls_or_breaks():
    from rag_council.conversation import rewrite_follow_up

    def broken(_: str) -> str:
        raise RuntimeError("model crashed")

    assert rewrite_follow_up(HISTORY, "and why?", broken) == standalone_question(HISTORY, "and why?")
    called: list[str] = []
    q = "How many children were in care in March 2024?"
    assert rewrite_follow_up(HISTORY, q, lambda p: called.append(p) or "x") == q and not called
