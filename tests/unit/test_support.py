"""The support checkers: handmade cases, the LLM checker against a fake, and the lexical
checker's measured accuracy on the project's labelled pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_council import HashEmbedder
from rag_council.evaluate.support_pairs import score_pairs
from rag_council.text.numbers import numbers
from rag_council.text.tokens import negated_terms
from rag_council.verify.support import (
    LexicalSupportChecker,
    LLMSupportChecker,
    SupportChecker,
    Verdict,
    make_support_checker,
)

PAIRS = Path(__file__).resolve().parents[2] / "evals" / "support_pairs.jsonl"

MINUTES = (
    "165. MINUTES\n\nThe minutes of the meeting held on 26 September 2023 were agreed as a correct record and "
    "signed by the Chairperson.\n\n166. DECLARATIONS OF INTEREST\n\nCouncillor Ben Proctor explained that he was "
    "married to the executive principal of the Royal National College of the Blind. The committee felt it did not "
    "constitute a pecuniary interest.\n\n167. BUDGET\n\nResolved: That the school transport budget of £4.2 million "
    "be approved for 2025/26, an increase of 12% on last year."
)
LIBRARY = "The central library will open on Sundays from 1 June 2025. Sunday opening will be trialled for twelve months."


@pytest.fixture
def checker() -> LexicalSupportChecker:
    return LexicalSupportChecker()


def test_verbatim_and_light_paraphrase_are_supported(checker):
    v = checker.check(
        "The minutes of the meeting held on 26 September 2023 were agreed as a correct record and signed by the Chairperson.",
        [MINUTES],
    )
    assert v.supported and v.score == pytest.approx(1.0) and v.passage_index == 0
    assert "The minutes of the meeting held on 26 September 2023" in MINUTES[v.span[0] : v.span[1]]
    v = checker.check("The committee approved a school transport budget of £4.2m for 2025/26.", [MINUTES])
    assert v.supported, v.reasons


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("The minutes of the meeting held on 26 October 2023 were agreed as a correct record.", "date"),
        ("The school transport budget of £5.2 million was approved for 2025/26.", "number"),
        ("The school transport budget was approved, an increase of 15% on last year.", "number"),
        (
            "Councillor Ben Hamblin was married to the executive principal of the Royal National College.",
            "name",
        ),
        ("The committee felt his marriage did constitute a pecuniary interest.", "negation"),
        ("The central library will not open on Sundays from 1 June 2025.", "negation"),
        ("Cabinet approved the corporate parenting strategy for consultation.", "covers"),
        ("The central library will always open on Sundays from 1 June 2025.", "stronger"),
    ],
)
def test_perturbed_claims_are_unsupported_and_say_why(checker, claim, reason):
    v = checker.check(claim, [MINUTES, LIBRARY])
    assert not v.supported
    assert any(reason in r for r in v.reasons), v.reasons


def test_best_passage_is_named_and_span_lies_inside_it(checker):
    v = checker.check(
        "Sunday opening of the central library will be trialled for twelve months.", [MINUTES, LIBRARY]
    )
    assert v.supported and v.passage_index == 1
    a, b = v.span
    assert 0 <= a < b <= len(LIBRARY) and "trialled" in LIBRARY[a:b]


def test_claim_supported_only_by_passages_together(checker):
    claim = (
        "Councillor Ben Proctor declared an interest, and the library will open on Sundays from 1 June 2025."
    )
    assert not checker.check(claim, [MINUTES]).supported
    joint = checker.check(claim, [MINUTES, LIBRARY])
    assert joint.supported, joint.reasons
    assert any("together" in r for r in joint.reasons)


def test_empty_inputs_are_unsupported(checker):
    assert not checker.check("", [MINUTES]).supported
    assert not checker.check("Something.", []).supported
    assert not checker.check("Something.", ["   "]).supported


def test_deterministic_and_satisfies_protocol(checker):
    claim = "The committee approved the school transport budget."
    assert checker.check(claim, [MINUTES, LIBRARY]) == checker.check(claim, [MINUTES, LIBRARY])
    assert isinstance(checker, SupportChecker)
    assert isinstance(LLMSupportChecker(lambda p: "SUPPORTED"), SupportChecker)


def test_feature_helpers():
    assert {"4.2e+06", "1.5e+06", "20500", "12"} <= numbers("£4.2 million, £1.5m, 20,500 and twelve")
    assert {"constitute", "pecuniary"} <= negated_terms("it did not constitute a pecuniary interest")


def test_embedding_similarity_is_blended_in():
    checker = LexicalSupportChecker(HashEmbedder())
    assert checker.name == "lexical+embedding"
    v = checker.check("Sunday opening will be trialled for twelve months.", [LIBRARY])
    assert v.supported and 0 < v.score <= 1


def test_llm_checker_with_a_fake_model():
    prompts: list[str] = []

    def fake(prompt: str) -> str:
        prompts.append(prompt)
        return (
            "SUPPORTED\n2 the passage says so" if "library" in prompt.split("Claim:")[1] else "Unsupported. 0"
        )

    checker = LLMSupportChecker(fake)
    v = checker.check("The library opens on Sundays.", [MINUTES, LIBRARY])
    assert v.supported and v.passage_index == 1 and v.score == 1.0
    assert "[1] 165. MINUTES" in prompts[0] and "[2] The central library" in prompts[0]
    v = checker.check("The budget was £9m.", [MINUTES])
    assert not v.supported and v.passage_index is None
    garbled = LLMSupportChecker(lambda p: "I think maybe").check("x y z", [MINUTES])
    assert not garbled.supported and "unreadable" in garbled.reasons[0]


def test_factory():
    assert isinstance(make_support_checker(), LexicalSupportChecker)
    assert isinstance(make_support_checker("llm", complete=lambda p: "SUPPORTED"), LLMSupportChecker)
    with pytest.raises(ValueError):
        make_support_checker("llm")
    with pytest.raises(ValueError):
        make_support_checker("nli")


def test_score_pairs_counts():
    pairs = [
        {
            "id": "a",
            "claim": "Sunday opening will be trialled for twelve months.",
            "passage": LIBRARY,
            "label": "supported",
        },
        {
            "id": "b",
            "claim": "Sunday opening will be trialled for six months.",
            "passage": LIBRARY,
            "label": "unsupported",
        },
        {"id": "c", "claim": "The library closes on Mondays.", "passage": LIBRARY, "label": "supported"},
    ]
    scored = score_pairs(LexicalSupportChecker(), pairs)
    assert scored["confusion"] == {"tp": 1, "fp": 0, "tn": 1, "fn": 1}
    assert (
        scored["accuracy"] == pytest.approx(2 / 3) and scored["precision"] == 1.0 and scored["recall"] == 0.5
    )
    assert [e["id"] for e in scored["errors"]] == ["c"]
    assert isinstance(Verdict(True, 1.0).to_json()["reasons"], list)


@pytest.mark.skipif(not PAIRS.is_file(), reason="evals/support_pairs.jsonl not written yet")
def test_lexical_checker_accuracy_on_labelled_pairs():
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(pairs) >= 100
    scored = score_pairs(LexicalSupportChecker(), pairs)
    # Measured 0.824 accuracy, 0.805 precision, 0.849 recall on 295 pairs; floors sit below.
    assert scored["accuracy"] >= 0.77, scored["accuracy"]
    assert scored["precision"] >= 0.73, scored["precision"]
    assert scored["recall"] >= 0.80, scored["recall"]
