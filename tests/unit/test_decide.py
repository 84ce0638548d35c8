"""Deciding to answer (rag_council.answer.decide): the cited text must give the kind of thing
asked for about the thing asked, or the engine declines with the nearest sources."""

from __future__ import annotations

import pytest

from rag_council.answer.decide import (
    Params,
    decide,
    decide_from,
    features,
    missing_anchors,
    missing_kind,
    ordinal_anchors,
)
from rag_council.answer.judge import yes_probability
from rag_council.types import Chunk, Hit


def hit(text: str, dense: float = 0.6) -> Hit:
    return Hit(Chunk("c1", "d1", "doc.txt", text, 0, len(text), 0), dense, 1, dense=dense)


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        (
            "Which company was awarded the contract to build the home?",
            "The home will be built in 2025. [1]",
            "an organisation",
        ),
        (
            "Which company was awarded the contract to build the home?",
            "The contract went to Kier Construction Ltd. [1]",
            None,
        ),
        (
            "Who replaced the director of children's services?",
            "The director of children's services wrote to families. [1]",
            "a person",
        ),
        ("Who replaced the director of children's services?", "Darryl Freeman replaced him. [1]", None),
        ("Who chairs the permanence panel?", "Chaired by the Head of Service. [1]", None),
        # the name of a role holder is a person's
        ("What is the name of the chair of the board?", "The board meets quarterly. [1]", "a person"),
        (
            "What is the name of the Virtual Head Teacher?",
            "The Virtual Head Teacher is a member. [1]",
            "a person",
        ),
        ("What was the name of the nursery on the site?", "The site is owned by Hoople Ltd. [1]", None),
        # a role answers "who", but not the role the question names, nor "which councillor"
        (
            "Which councillor chaired the task and finish group?",
            "The report was introduced by the Chair of the Task and Finish Group. [1]",
            "a person",
        ),
        (
            "Who chaired the task and finish group?",
            "It was chaired by the Chair of the Task Group. [1]",
            "a person",
        ),
        ("Who wrote the Early Help report?", "The report was by the Statutory Scrutiny Officer. [1]", None),
        # "who replaced": a person, not the post again
        (
            "Who replaced the director of children's services in 2024?",
            "The Corporate Director Children and Young People acknowledged the issues. [1]",
            "a person",
        ),
        # schools by their names; ratings; "on what date" asks for a day
        (
            "Which secondary schools dropped out of the pilot?",
            "Children would be referred by GPs, schools or CAMHS to the CLD Trust. [1]",
            "an organisation",
        ),
        ("Which secondary schools dropped out of the pilot?", "Whitecross High School withdrew. [1]", None),
        # "school" as a modifier asks for no school: "What school transport budget ...?"
        ("What school transport budget did the committee approve?", "The budget was approved. [1]", None),
        ("What rating did Ofsted give the service in 2018?", "Ofsted visited the service. [1]", "a rating"),
        ("What rating did Ofsted give the service in 2018?", "The service was judged inadequate. [1]", None),
        ("On what date did the panel first meet?", "The panel met in March and April 2023. [1]", "a date"),
        ("On what date did the panel first meet?", "The panel first met on 6 March 2023. [1]", None),
        (
            "What is the name of the chair of the board?",
            "The board is chaired by Councillor Ada Byron. [1]",
            None,
        ),
        (
            "What were the results of the vote on the strategy, member by member?",
            "Only members of the cabinet can vote. [1]",
            "a list of votes",
        ),
        (
            "What were the results of the vote on the strategy, member by member?",
            "The motion was carried with 7 for and 2 against. [1]",
            None,
        ),
        (
            "How many members voted against the recommendation?",
            "The committee voted by majority. [1]",
            "a list of votes",
        ),
        # "could remote attendees vote?" asks whether they may, not for a vote's results
        ("Who joined remotely, and could remote attendees vote?", "Two officers joined remotely. [1]", None),
        # amounts, numbers and dates as before (rag_council.answer.kind)
        ("How much funding did the pilot get?", "The pilot was reviewed. [1]", "an amount"),
        ("When was the training session held?", "It was held on 3 October 2023. [1]", None),
        # other forms are not affected
        ("What did scrutiny decide about co-opted members?", "The committee noted the report. [1]", None),
    ],
)
def test_missing_kind(question: str, answer: str, missing: str | None):
    assert missing_kind(question, answer) == missing


def test_an_ordinal_must_stand_with_its_noun_in_the_passages():
    assert ordinal_anchors("What did the seventh Ofsted monitoring visit conclude?") == [("seventh", "visit")]
    passages = [hit("This was recognised during our second Monitoring Visit by Ofsted (August 2023).")]
    assert missing_anchors("What did the seventh Ofsted monitoring visit conclude?", passages) == ["seventh"]
    assert missing_anchors("What did the second Ofsted monitoring visit find?", passages) == []
    # "second" elsewhere in the passage is no "second visit"
    other = [hit("The second item was the budget; a monitoring visit is due.")]
    assert missing_anchors("What did the second monitoring visit find?", other) == ["second"]


def test_the_year_asked_about_must_be_in_the_passages():
    passages = [
        hit("Children's Social Care received a total of 36 complaints between April 2015 and December 2016.")
    ]
    decision = decide("How many complaints did the council receive in 2022?", passages, "36 complaints. [1]")
    assert not decision.answer and "“2022”" in decision.reason
    assert decision.reason.startswith("the passages closest to your question")


def test_the_score_declines_an_answer_that_says_little_of_what_was_asked():
    passages = [hit("The director of children's services wrote to all the families in 2024.")]
    q = "Who replaced the director of children's services in 2024?"
    feats = features(
        q, passages, "Darryl Freeman, the director of children's services, wrote to families. [1]"
    )
    assert "replac" in " ".join(feats["missing_terms"])
    assert 0 < feats["coverage"] < 1
    assert decide_from(feats, Params(weight=1.0, threshold=0.0)).answer
    low = decide_from(feats, Params(weight=1.0, threshold=0.99))
    assert not low.answer and "nothing on" in low.reason


def test_a_full_answer_passes():
    passages = [hit("The committee approved the budget of £4.2 million on 3 May 2024.", 0.8)]
    decision = decide(
        "How much was the budget the committee approved?", passages, "The budget was £4.2 million. [1]"
    )
    assert decision.answer and decision.reason == "" and decision.score > 0.5


def test_a_judge_can_veto_an_answer_and_its_probability_is_read_from_logprobs():
    passages = [hit("The committee approved the budget of £4.2 million on 3 May 2024.", 0.8)]
    q, draft = "How much was the budget the committee approved?", "The budget was £4.2 million. [1]"
    assert not decide(q, passages, draft, judge=lambda q, p: 0.2).answer
    assert decide(q, passages, draft, judge=lambda q, p: 0.9).features["judge"] == 0.9
    reply = {
        "choices": [
            {
                "logprobs": {
                    "content": [
                        {
                            "token": "No",
                            "logprob": -0.1,
                            "top_logprobs": [
                                {"token": "No", "logprob": -0.1},
                                {"token": "Yes", "logprob": -2.4},
                                {"token": "To", "logprob": -5.0},
                            ],
                        }
                    ]
                }
            }
        ]
    }
    assert yes_probability(reply) == pytest.approx(0.091, abs=0.01)


def test_a_figure_for_another_year_does_not_answer_a_question_about_a_year():
    from rag_council.answer.decide import figure_without_year
    from rag_council.types import Chunk, Hit

    chunk = Chunk("c1", "d1", "report.txt", "t", 0, 1, 0, meta={"date": "2017-07-20"})
    cited = [Hit(chunk, 0.8, 1)]
    q = "How many complaints about children's social care did the council receive in 2022?"
    other = "Children's Social Care received a total of 36 complaints between April 2015 and December 2016."
    assert figure_without_year(q, other, cited, ["2022"]) == ["2022"]
    assert figure_without_year(q, "In 2022-23 it received 41 complaints.", cited, ["2022"]) == []
    assert figure_without_year(q, "In 2022 it received 41 complaints.", cited, ["2022"]) == []
    # A passage from a meeting of that year may say "this year": its date stands for the year.
    dated = [Hit(Chunk("c2", "d2", "r.txt", "t", 0, 1, 0, meta={"date": "2022-03-01"}), 0.8, 1)]
    assert figure_without_year(q, "This year 41 complaints were received.", dated, ["2022"]) == []
    # Papers of the following year report the year's figures (an annual report of 2016-17, July 2017).
    q2017 = "How many foster carer households did Herefordshire have at the end of 2016-17?"
    assert figure_without_year(q2017, "There were 94 households.", cited, ["2016"]) == []
    # Not a figure question: the rule does not apply.
    assert figure_without_year("Who chaired the meeting in 2022?", other, cited, ["2022"]) == []


def test_a_count_is_not_a_date_a_year_or_a_clause_number():
    from rag_council.answer.decide import has_count

    assert has_count("36 complaints were received.")
    assert has_count("Twenty families met the panel.")
    assert not has_count("In April 2022 the BBC broadcast a programme.")
    assert not has_count("- 11 The budget is under pressure.")
    assert not has_count("3.1.1 Many of the individuals described approaching the council.")
    assert not has_count("The candidates in paragraphs 12 to 18 of this report.")
    assert not has_count("The meeting on 14 November at 2.00 pm.")


def test_the_number_must_be_in_a_sentence_about_what_is_counted():
    from rag_council.answer.decide import counted

    assert (
        counted("How many complaints about children's services did the council receive in 2023?")
        == "complaint"
    )
    assert counted("How many social workers left Herefordshire in 2023?") == "work"
    assert counted("How many children were adopted in 2022/23?") is None  # "children": every question's word
    q = "How many complaints about children's services did the council receive in 2023?"
    off = features(q, [hit("t")], "Between April 2022 and March 2023, 105 children left our care. [1]")
    # the number counts children, not complaints: no sentence gives the number asked for
    assert off["missing_kind"] == "a number"
    said = "The council received 41 complaints about children's services in 2023."
    on = features(q, [hit(said)], f"{said} [1]")
    assert not on["counted_missing"] and not on["missing_kind"] and on["kind_coverage"] == 1.0
    assert decide_from(off).answer is False
    assert decide_from(on, Params(counted=True, kind_coverage=0.5)).answer


def test_a_figure_must_come_from_a_sentence_of_the_year_asked():
    dated = Hit(
        Chunk(
            "c1",
            "d1",
            "r.txt",
            "In January 2022 there were 6 children.",
            0,
            9,
            0,
            meta={"date": "2023-09-26"},
        ),
        0.8,
        1,
    )
    q = "How many unaccompanied asylum seeking children did Herefordshire look after in January 2023?"
    feats = features(
        q, [dated], "To put this in context, in January 2022 there were 6 such children. [1]", cited=[dated]
    )
    assert feats["figure_not_of_year"] == ["2023"]
    assert not decide_from(feats, Params(cited_years=True, sentence_years=True)).answer
    # the papers of that year stand for it when neither the sentence nor its passage names a year
    plain = Hit(
        Chunk("c2", "d1", "r.txt", "There are 41 such children.", 0, 9, 0, meta={"date": "2023-09-26"}),
        0.8,
        1,
    )
    ok = features(q, [plain], "There are 41 unaccompanied asylum seeking children. [1]", cited=[plain])
    assert ok["figure_not_of_year"] == []
    # "For this period the budget was £663k": the period is the passage's (2016/17, not 2017/18)
    period = Hit(
        Chunk(
            "c3",
            "d1",
            "r.txt",
            "The out-turn report for 2016/17. For this period the budget was £663k.",
            0,
            9,
            0,
            meta={"date": "2017-07-20"},
        ),
        0.8,
        1,
    )
    q2 = "What was the adoption service budget for 2017/18?"
    assert features(
        q2, [period], "For this period the adoption service budget was £663k. [1]", cited=[period]
    )["figure_not_of_year"] == ["2017"]


def test_figures_named_by_their_noun_ask_for_a_figure():
    from rag_council.answer.kind import asked_kind

    def kind(q: str) -> str | None:
        found = asked_kind(q)
        return found[0] if found else None

    assert kind("What was the adoption service budget for 2017/18?") == "an amount"
    assert kind("What was the children's social worker vacancy rate in March 2024?") == "a figure"
    assert kind("What is the average caseload of a social worker?") == "a figure"
    assert kind("What has the attendance rate been since August 2023, as a percentage?") == "a percentage"
    # not a figure: the noun does not end the phrase, or "how much" asks how extensive
    assert kind("What was the council's overall budget position at the end of 2016/17?") is None
    assert kind("What is the role of the budget?") is None
    assert kind("How much consultation went into the strategy?") is None
    assert kind("How much have child protection plan numbers fallen?") == "a figure"


def test_a_decision_asked_of_a_body_must_come_from_its_papers():
    from rag_council.answer.decide import decider

    assert decider("What did full Council decide on the Constitution changes?") == ("full council", False)
    assert decider("Did cabinet approve the carers strategy on 20 July 2017?") == ("cabinet", True)
    assert decider("What did scrutiny decide about co-opted members?") is None
    assert decider("What did the committee decide?") is None  # no body named
    assert decider("Did the Corporate Parenting Board agree its terms?") == (
        "corporate parenting board",
        True,
    )

    def paper(text: str, committee: str) -> Hit:
        return Hit(Chunk("c", "d", "m.txt", text, 0, len(text), 0, meta={"committee": committee}), 0.8, 1)

    scrutiny = paper("Recommends to full Council the Constitution changes.", "Scrutiny Committee")
    q = "What did full Council decide on the Constitution changes?"
    feats = features(
        q,
        [scrutiny],
        "The committee recommends to full Council the Constitution changes. [1]",
        cited=[scrutiny],
    )
    assert feats["body_missing"]
    assert not decide_from(feats, Params(bodies=True)).answer
    assert decide_from(feats, Params(bodies=False)).answer  # the rule is a tuned switch
    # a report asking Cabinet to approve is no decision of Cabinet
    cabinet = paper("To approve a joint carers strategy for Herefordshire.", "Cabinet")
    q2 = "Did cabinet approve the carers strategy?"
    asked_to = features(
        q2, [cabinet], "The report recommended that cabinet approve the strategy. [1]", cited=[cabinet]
    )
    assert asked_to["no_decision"] and not asked_to["body_missing"]
    resolved = features(q2, [cabinet], "Resolved: that the carers strategy be approved. [1]", cited=[cabinet])
    assert not resolved["no_decision"]


def test_a_question_of_two_years_is_declined_for_them_only_when_neither_is_named():
    only_2023 = [hit("Ofsted inspected children's services in July 2023 and found them inadequate.")]
    q = "How does special guardianship in 2016 compare with what Ofsted said in 2023?"
    assert "2016" not in missing_anchors(q, only_2023)
    assert missing_anchors("How many complaints were received in 2016?", only_2023) == ["2016"]
    neither = [hit("Ofsted inspected children's services and found them inadequate.")]
    assert set(missing_anchors(q, neither)) >= {"2016", "2023"}


def test_how_often_answers_when_a_review_is_due():
    assert (
        missing_kind("When is the strategy due for review?", "It will be reviewed on an annual basis. [1]")
        is None
    )
    assert (
        missing_kind("When is the strategy due for review?", "It will be reviewed by managers. [1]")
        == "a date"
    )


def test_the_cited_passages_need_be_of_one_of_the_years_a_question_names():
    dated = Hit(
        Chunk("c1", "d1", "r.txt", "The strategy had six priorities.", 0, 9, 0, meta={"date": "2017-07-20"}),
        0.8,
        1,
    )
    q = "The 2017 strategy had how many priorities, and how many does the 2022-24 draft have?"
    assert (
        features(q, [dated], "The strategy had six priorities. [1]", cited=[dated])["missing_cited_years"]
        == []
    )
    q1 = "How many priorities did the 2022 draft have?"
    assert features(q1, [dated], "The strategy had six priorities. [1]", cited=[dated])[
        "missing_cited_years"
    ] == ["2022"]


_FAMILIES = "How many adopted children and families went to the summer fun day?"


@pytest.mark.parametrize(
    ("question", "sentence", "counts_it"),
    [
        (_FAMILIES, "We held an event in the autumn which was attended by 4 families, 2 of whom", True),
        (_FAMILIES, "Two 'Family Fun' days have again provided the opportunity to meet", False),
        (_FAMILIES, "27% of those came via the website", False),
        (
            "How many special guardianship orders were granted?",
            "During Q1 2023/24, 1 Special Guardianship Order (SGO) was granted by the Courts",
            True,
        ),
    ],
)
def test_a_how_many_number_must_count_the_thing_asked(question: str, sentence: str, counts_it: bool):
    from rag_council.answer.decide import counted_phrase, counts

    assert counts(sentence, counted_phrase(question)) is counts_it


def test_an_ordinal_is_found_as_a_numbered_part_and_missing_when_absent():
    from rag_council.answer.decide import missing_anchors

    q = "What is the eighth priority outcome in the strategy?"
    assert "eighth" in missing_anchors(q, [hit("Our seven priority outcomes. Priority 7 – listened to.")])
    assert "eighth" not in missing_anchors(q, [hit("Priority 8 – care leavers live happy lives.")])


def test_a_contribution_to_pay_asks_for_an_amount():
    q = "What annual financial contribution did the council agree to pay the agency?"
    assert missing_kind(q, "We expect a funding formula to determine our contribution. [1]") == "an amount"
    assert missing_kind(q, "The contribution is £120k a year. [1]") is None


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        (
            "What is the email address for the advice team?",
            "The team has a direct telephone line. [1]",
            "an email address",
        ),
        ("What is the email address for the advice team?", "Write to chat@herefordshire.gov.uk. [1]", None),
        ("What is the phone number of the hub?", "The hub is open from 9am. [1]", "a telephone number"),
        ("What is the phone number of the hub?", "Call the hub on 01432 260800. [1]", None),
        ("Which website holds the agenda?", "The agenda is published online. [1]", "a web address"),
        ("Which website holds the agenda?", "See www.herefordshire.gov.uk/meetings. [1]", None),
        ("What is the address of the council offices?", "The offices are in Hereford. [1]", "an address"),
        ("What is the address of the council offices?", "Plough Lane, Hereford, HR4 0LE. [1]", None),
        ("What is the email address for the team?", "Write to chat@herefordshire.gov.uk. [1]", None),
        # naming the thing is not asking for it
        ("What does the council's website say about fostering?", "Fostering is explained online. [1]", None),
        ("What is the link between early help and CAMHS?", "Early help refers families to CAMHS. [1]", None),
        ("What time did the meeting finish?", "The meeting was held on Tuesday at 2.00 pm. [1]", "a time"),
        ("What time did the meeting finish?", "The meeting ended at 4.15 pm. [1]", None),
        ("What time did the meeting start?", "The meeting was held on Tuesday at 2.00 pm. [1]", None),
        (
            "Who has been named as the police representative on the board?",
            "A police representative is being identified. [1]",
            "a person",
        ),
        (
            "Who has been named as the police representative on the board?",
            "Superintendent Helen Wain will attend the board. [1]",
            None,
        ),
    ],
)
def test_contacts_times_and_appointments_ask_for_the_thing_itself(
    question: str, answer: str, missing: str | None
) -> None:
    assert missing_kind(question, answer) == missing


def test_an_ordinal_must_be_in_a_passage_of_the_year_asked():
    q = "What is the eighth priority outcome in the draft strategy 2022-2024?"
    older = hit("Corporate parenting strategy 2017-2020. Priority 8 – care leavers live happy lives.")
    draft = hit("Draft corporate parenting strategy 2022-2024: our seven priority outcomes.")
    assert "eighth" in missing_anchors(q, [older, draft])
    eighth = hit("Draft corporate parenting strategy 2022-2024. Priority 8 – care leavers.")
    assert "eighth" not in missing_anchors(q, [older, eighth])


def test_a_figure_must_be_the_one_for_the_number_the_question_names():
    q = "What weekly allowance does the council pay for a 16-year-old?"
    common = hit("The most common allowance is £219 per week.")
    feats = features(q, [common], "The most common allowance is £219 per week. [1]")
    assert feats["figure_numbers_missing"] == ["16"]
    assert not decide_from(feats).answer
    aged = hit("For a child aged 16 the allowance is £250 per week.")
    feats = features(q, [aged], "For a child aged 16 the allowance is £250 per week. [1]")
    assert feats["figure_numbers_missing"] == []
    # the day of a date the question names is no such number
    q2 = "How many children were in care on 31 March 2023?"
    feats = features(
        q2, [hit("There were 398 children in care at March 2023.")], "398 children in care at March 2023. [1]"
    )
    assert feats["figure_numbers_missing"] == []


def test_what_a_meeting_decided_comes_from_its_minutes_not_a_report():
    def part(text: str, doc_type: str) -> Hit:
        meta = {"committee": "Scrutiny Committee", "doc_type": doc_type}
        return Hit(Chunk("c", "d", "m.txt", text, 0, len(text), 0, meta=meta), 0.8, 1)

    q = "What did the committee decide at its 12 March 2024 meeting about the strategy?"
    report = part("That the committee determine any recommendations it wishes to make.", "agenda")
    feats = features(q, [report], "That the committee determine any recommendations it wishes to make. [1]")
    assert feats["no_decision"]
    minutes = part("The committee agreed to add the strategy to its work programme.", "minutes")
    feats = features(q, [minutes], "The committee agreed to add the strategy to its work programme. [1]")
    assert not feats["no_decision"]
    # a paper of no known type (an uploaded note) may record a decision: not declined for it
    note = Hit(Chunk("n", "d", "note.txt", "x", 0, 1, 0), 0.8, 1)
    assert not features(q, [note], "That the budget be approved. [1]")["no_decision"]


def test_the_sentence_before_lends_its_subject_only_within_its_passage():
    q = "What percentage of staff leaving the service gave travel as their reason?"
    staff = Hit(Chunk("a", "d1", "m.txt", "x", 0, 1, 0), 0.7, 1, dense=0.7)
    leavers = Hit(Chunk("b", "d2", "r.txt", "y", 0, 1, 0), 0.7, 2, dense=0.7)
    draft = (
        "The committee asked whether exit interviews of staff leaving the service gave reasons. [1] "
        "The percentage of care leavers who are NEET has risen by 4%. [2]"
    )
    apart = features(q, [staff, leavers], draft)
    assert apart["kind_coverage_before"] == apart["kind_coverage"]
    # the same two sentences in one passage: the subject named once, then referred to
    together = features(q, [staff], draft.replace("[2]", "[1]"))
    assert together["kind_coverage_before"] > together["kind_coverage"]


def test_word_rarities_come_from_the_index_kept_counts_and_follow_ingest(small_engine, monkeypatch, tmp_path):
    import math

    from rag_council.answer.decide import idf_of

    engine = small_engine(
        {
            "a.txt": "The fostering panel met in May. The panel approved two carers.",
            "b.txt": "Adoption panels meet monthly to approve adopters.",
        }
    )
    index = engine.index

    def no_reads(*args, **kwargs):
        raise AssertionError("the rarities must not read every chunk")

    monkeypatch.setattr(index, "chunks", no_reads)
    idf = idf_of(index)
    n = index.overview.chunks
    df = index.overview.document_frequency["foster"]
    assert idf["foster"] == math.log((n + 1) / (df + 0.5))
    assert "neverseen" not in idf and idf[""] == math.log(n + 1)
    # another document about fostering: the word is less rare, read afresh
    monkeypatch.undo()
    extra = tmp_path / "c.txt"
    extra.write_text("Fostering allowances are paid weekly to foster carers.")
    index.ingest([extra])
    assert idf_of(index)["foster"] < idf["foster"]
