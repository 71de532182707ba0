"""Plan rules: realistic assessments give the plan and reasons a clinician expects; bad rule files are refused."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from painrewire.plans.rules import (
    DEFAULT_RULES_PATH,
    AssessmentProfile,
    Consent,
    FiredRule,
    LateralityResult,
    NeurofeedbackResult,
    PlannedModule,
    PlanProposal,
    Preferences,
    QuestionnaireSchedule,
    RuleFileError,
    RuleSet,
    ScoreSummary,
    evaluate_rules,
    load_rules,
    parse_rules,
    withdrawn_evidence,
)

PRT_CORE = PlannedModule(
    "prt", 2, 4, ("pain_education", "neuroplastic_checklist", "somatic_tracking", "reappraisal_journal")
)
PRT_CORE_REASON = (
    "Chronic back pain for 52 weeks: PRT core course, 8 sessions over 4 weeks (2 a week), with a pain "
    "specialist's education visit, as in the PRT trial (Ashar 2022)."
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def fired_ids(proposal: PlanProposal) -> list[str]:
    return [f.id for f in proposal.fired]


def reason_of(proposal: PlanProposal, rule_id: str) -> FiredRule:
    (fired,) = [f for f in proposal.fired if f.id == rule_id]
    return fired


# --- realistic profiles ---------------------------------------------------------------------------------


def test_high_catastrophiser_with_kinesiophobia_gets_cbt_graded_exposure_and_an_intensive_plan(
    rules: RuleSet,
) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=52,
        scores={"pcs": ScoreSummary(total=34, band="high"), "tsk11": ScoreSummary(total=30)},
    )
    proposal = evaluate_rules(profile, rules)
    assert fired_ids(proposal) == [
        "prt_core",
        "standard_questionnaires",
        "catastrophising_thought_records",
        "kinesiophobia_graded_exposure",
        "fear_avoidance_both_high",
    ]
    assert proposal.modules == (PRT_CORE, PlannedModule("cbt", 1, 8, ("thought_records", "graded_exposure")))
    assert proposal.disciplines == ("pain_specialist", "physical_therapist", "psychologist")
    assert proposal.intensity == "intensive"
    assert proposal.end_week == 8
    assert proposal.questionnaires == (
        QuestionnaireSchedule("peg", (0, 2, 4, 6, 8)),
        QuestionnaireSchedule("odi", (0, 8)),
        QuestionnaireSchedule("pcs", (0, 8)),
        QuestionnaireSchedule("tsk11", (0, 8)),
        QuestionnaireSchedule("phq9", (0, 2, 4, 6, 8)),
        QuestionnaireSchedule("gad7", (0, 2, 4, 6, 8)),
        QuestionnaireSchedule("pseq", (0, 8)),
    )
    assert not proposal.held
    assert reason_of(proposal, "prt_core").reason_clinician == PRT_CORE_REASON
    assert reason_of(proposal, "catastrophising_thought_records") == FiredRule(
        "catastrophising_thought_records",
        "Pain catastrophising score 34 is 30 or more: CBT thought records with a psychologist.",
        "When pain is strong, the mind often jumps to the worst. Thought records help you notice these thoughts "
        "and find calmer ones, which turns down the alarm.",
    )
    assert reason_of(proposal, "kinesiophobia_graded_exposure").reason_clinician == (
        "Fear of movement (TSK-11 30, clinic threshold 28): graded exposure with a physical therapist."
    )
    assert reason_of(proposal, "fear_avoidance_both_high").reason_clinician == (
        "Both catastrophising (PCS 34) and fear of movement (TSK-11 30) are high and feed each other: CBT and "
        "graded exposure carry more weight; intensive plan."
    )


def test_startback_high_risk_with_moderate_depression_puts_a_psychologist_on_the_team(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=30,
        scores={
            "startback": ScoreSummary(total=7, band="high", subscales={"psychosocial": 5}),
            "phq9": ScoreSummary(total=14, band="moderate"),
        },
    )
    proposal = evaluate_rules(profile, rules)
    assert fired_ids(proposal) == [
        "prt_core",
        "standard_questionnaires",
        "depression_psychologist",
        "startback_high_risk",
        "low_mood_thought_records",
    ]
    assert proposal.disciplines == ("pain_specialist", "psychologist")
    assert proposal.modules == (PRT_CORE, PlannedModule("cbt", 1, 8, ("thought_records",)))
    assert proposal.intensity == "intensive"
    assert reason_of(proposal, "depression_psychologist") == FiredRule(
        "depression_psychologist",
        "PHQ-9 score 14 is 10 or more (moderate depression or above): psychologist on the care team.",
        "Your answers show that low mood is weighing on you. A psychologist will join your team: mood and pain "
        "affect each other, and both can get better.",
    )
    assert reason_of(proposal, "startback_high_risk").reason_clinician == (
        "Keele STarT Back high risk (score 7): psychologist on the team, CBT and an intensive plan."
    )


def test_acute_six_week_pain_gets_education_only_and_a_review_and_no_other_rule(rules: RuleSet) -> None:
    profile = AssessmentProfile(pain_duration_weeks=6, scores={"pcs": ScoreSummary(total=40)})
    proposal = evaluate_rules(profile, rules)
    clinician = (
        "Pain has lasted 6 weeks, less than the 12 weeks that make it chronic. Education only; please review "
        "whether this program fits now."
    )
    assert proposal.fired == (
        FiredRule(
            "not_chronic_education_only",
            clinician,
            "Your back pain began 6 weeks ago. Many back pains settle in the first few months, so we start with "
            "short lessons about how pain works, and your clinician will go through the plan with you.",
        ),
    )
    assert proposal.modules == (PlannedModule("prt", 1, 2, ("pain_education",)),)
    assert proposal.disciplines == ("pain_specialist",)
    assert proposal.intensity == "education_only"
    assert proposal.questionnaires == (QuestionnaireSchedule("peg", (0, 2)),)
    assert proposal.review_reasons == (clinician,)
    assert not proposal.held


def test_twelve_weeks_of_pain_is_chronic(rules: RuleSet) -> None:
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=12), rules)
    assert "not_chronic_education_only" not in fired_ids(proposal)
    assert proposal.modules == (PRT_CORE,)


def test_red_flag_holds_the_plan_and_still_shows_what_would_be_proposed(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=52, red_flags=["saddle anaesthesia", "new bladder problems"]
    )
    proposal = evaluate_rules(profile, rules)
    reason = (
        "Red flag on the intake screen (saddle anaesthesia, new bladder problems). The plan is held until a "
        "clinician has assessed the patient and cleared it."
    )
    assert proposal.held
    assert proposal.hold_reasons == (reason,)
    assert proposal.review_reasons == (reason,)
    assert proposal.fired[0] == FiredRule(
        "red_flag_hold",
        reason,
        "One of your answers needs a clinician to look at it before your program starts. Please follow the "
        "advice on your safety page.",
    )
    assert proposal.modules == (PRT_CORE,)


def test_positive_phq9_item_9_with_its_open_alert_holds_the_plan(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=40,
        open_safety_alerts=1,
        scores={"phq9": ScoreSummary(total=8, band="mild", flags=["item9_positive"])},
    )
    proposal = evaluate_rules(profile, rules)
    assert proposal.held
    assert proposal.hold_reasons == (
        "1 open safety alert(s). The plan is held until a clinician has acknowledged every alert.",
    )
    assert reason_of(proposal, "safety_alert_hold").reason_patient == (
        "A clinician will talk with you before your program starts. If you feel unsafe now, use the crisis "
        "support shown on your screen."
    )
    assert "depression_psychologist" not in fired_ids(proposal)


def test_low_risk_patient_with_many_neuroplastic_signs_gets_prt_alone_with_neuroplastic_emphasis(
    rules: RuleSet,
) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=52,
        neuroplastic_checklist_level="many",
        scores={
            "startback": ScoreSummary(total=1, band="low"),
            "phq9": ScoreSummary(total=3, band="minimal"),
            "gad7": ScoreSummary(total=2, band="minimal"),
            "pcs": ScoreSummary(total=12),
            "tsk11": ScoreSummary(total=20),
            "odi": ScoreSummary(total=14),
            "pseq": ScoreSummary(total=45),
            "csi": ScoreSummary(total=28),
        },
        gmi=LateralityResult(accuracy=0.9, median_rt_ms=1500),
        preferences=Preferences(wants_neurofeedback=False),
        sleep_problems=False,
    )
    proposal = evaluate_rules(profile, rules)
    assert fired_ids(proposal) == ["prt_core", "standard_questionnaires", "many_neuroplastic_signs"]
    assert proposal.modules == (PlannedModule("prt", 2, 4, (*PRT_CORE.focus, "neuroplastic_emphasis")),)
    assert proposal.disciplines == ("pain_specialist",)
    assert proposal.intensity == "standard"
    assert proposal.end_week == 4
    assert proposal.questionnaires[0] == QuestionnaireSchedule("peg", (0, 2, 4))
    assert reason_of(proposal, "many_neuroplastic_signs").reason_patient == (
        "You noticed many signs that your pain is driven by the brain's alarm rather than damage. That is good "
        "news: it means the pain can change, and PRT works on exactly that."
    )


def test_no_questionnaires_at_all_is_not_an_error(rules: RuleSet) -> None:
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=100), rules)
    assert fired_ids(proposal) == ["prt_core", "standard_questionnaires"]


# --- single rules at their thresholds --------------------------------------------------------------------


@pytest.mark.parametrize(("pcs", "fires"), [(29, False), (30, True), (30.5, True)])
def test_catastrophising_rule_fires_from_30(rules: RuleSet, pcs: float, fires: bool) -> None:
    profile = AssessmentProfile(pain_duration_weeks=20, scores={"pcs": ScoreSummary(total=pcs)})
    assert ("catastrophising_thought_records" in fired_ids(evaluate_rules(profile, rules))) is fires


@pytest.mark.parametrize(
    ("gmi", "fires"),
    [
        (LateralityResult(accuracy=0.8, median_rt_ms=2100, left_right_flag=False), False),
        (LateralityResult(accuracy=0.79, median_rt_ms=1500), True),
        (LateralityResult(accuracy=0.95, median_rt_ms=2101), True),
        (LateralityResult(accuracy=0.95, median_rt_ms=1500, left_right_flag=True), True),
        (None, False),
    ],
)
def test_gmi_is_added_for_inaccurate_slow_or_one_sided_laterality(
    rules: RuleSet, gmi: LateralityResult | None, fires: bool
) -> None:
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=20, gmi=gmi), rules)
    assert ("laterality_gmi" in fired_ids(proposal)) is fires
    assert ("gmi" in [m.id for m in proposal.modules]) is fires


def test_gmi_reason_shows_accuracy_as_a_percentage(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=20, gmi=LateralityResult(accuracy=0.725, median_rt_ms=2300)
    )
    assert reason_of(evaluate_rules(profile, rules), "laterality_gmi").reason_clinician == (
        "Left/right judgement of trunk images: accuracy 72.5% (target 80% or more), median reaction time 2300 ms "
        "(up to 2100 ms expected), left/right difference flagged: no. Graded motor imagery, 6 weeks, daily."
    )


@pytest.mark.parametrize(
    ("wants", "sleep_problems", "reason", "planned"),
    [
        (None, True, "neurofeedback_for_poor_sleep", True),
        (True, True, "neurofeedback_requested", True),
        (False, True, "declined_neurofeedback", False),
        (None, False, None, False),
        (None, None, None, False),
    ],
)
def test_neurofeedback_is_offered_for_poor_sleep_unless_the_patient_declined(
    rules: RuleSet, wants: bool | None, sleep_problems: bool | None, reason: str | None, planned: bool
) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=20,
        sleep_problems=sleep_problems,
        preferences=Preferences(wants_neurofeedback=wants),
        consent=Consent(neurofeedback=True),
    )
    proposal = evaluate_rules(profile, rules)
    nfb_reasons = [i for i in fired_ids(proposal) if "neurofeedback" in i]
    assert nfb_reasons == ([reason] if reason else [])
    assert ("neurofeedback" in [m.id for m in proposal.modules]) is planned


def test_neurofeedback_asked_for_is_planned_once_not_also_offered(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=20,
        scores={"gad7": ScoreSummary(total=12)},
        preferences=Preferences(True),
        consent=Consent(neurofeedback=True),
    )
    proposal = evaluate_rules(profile, rules)
    assert "neurofeedback_requested" in fired_ids(proposal)
    assert "neurofeedback_for_anxiety" not in fired_ids(proposal)
    assert [m for m in proposal.modules if m.id == "neurofeedback"] == [PlannedModule("neurofeedback", 2, 10)]
    assert proposal.disciplines == ("pain_specialist", "psychologist", "neurofeedback_practitioner")
    assert proposal.end_week == 10
    assert proposal.questionnaires[0] == QuestionnaireSchedule("peg", (0, 2, 4, 6, 8, 10))


def test_low_neurofeedback_reward_rate_flags_the_plan_for_review(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=20, neurofeedback=NeurofeedbackResult(sessions_done=12, reward_rate=0.45)
    )
    assert evaluate_rules(profile, rules).review_reasons == (
        "After 12 neurofeedback sessions the reward rate is 45%, below 60%: review thresholds and protocol.",
    )


def test_central_sensitisation_adds_mindfulness_and_neuroplastic_emphasis(rules: RuleSet) -> None:
    profile = AssessmentProfile(pain_duration_weeks=20, scores={"csi": ScoreSummary(total=40)})
    proposal = evaluate_rules(profile, rules)
    assert proposal.modules == (
        PlannedModule("prt", 2, 4, (*PRT_CORE.focus, "neuroplastic_emphasis")),
        PlannedModule("mindfulness", 5, 8, ("body_scan", "breathing_practice")),
    )


def test_disability_on_odi_or_rmdq_brings_physical_therapy_and_pacing(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=20, scores={"rmdq": ScoreSummary(total=7), "pseq": ScoreSummary(total=19)}
    )
    proposal = evaluate_rules(profile, rules)
    assert fired_ids(proposal) == [
        "prt_core",
        "standard_questionnaires",
        "rmdq_repeat",
        "disability_rmdq",
        "low_self_efficacy_pacing",
    ]
    assert proposal.modules[1] == PlannedModule("cbt", 1, 8, ("activity_pacing",))
    assert proposal.disciplines == ("pain_specialist", "physical_therapist")
    assert QuestionnaireSchedule("rmdq", (0, 8)) in proposal.questionnaires


# --- engine semantics with small rule files ------------------------------------------------------------


def rule(rule_id: str = "r", when: str = "always", **then: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "when": when,
        "then": then or {"add_disciplines": ["psychologist"]},
        "source": "test",
        "reason": {"clinician": "clinician text", "patient": "patient text"},
    }


def document(*rules: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": "test-1", "rules": list(rules)}
    if settings is not None:
        doc["settings"] = settings
    return doc


def test_when_rules_disagree_on_intensity_the_most_support_wins() -> None:
    rule_set = parse_rules(
        document(rule("a", set_intensity="intensive"), rule("b", set_intensity="education_only"))
    )
    assert evaluate_rules(AssessmentProfile(pain_duration_weeks=20), rule_set).intensity == "intensive"


def test_every_two_weeks_runs_to_the_end_week_which_is_the_longest_module() -> None:
    rule_set = parse_rules(
        document(
            rule(
                "a",
                add_modules=[{"module": "cbt", "sessions_per_week": 1, "weeks": 5}],
                repeat_questionnaires=[
                    {"instrument": "peg", "schedule": ["every_2_weeks", "end"]},
                    {"instrument": "odi", "schedule": ["baseline"]},
                ],
            ),
            rule("b", add_modules=[{"module": "cbt", "sessions_per_week": 3, "weeks": 2}]),
        )
    )
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=20), rule_set)
    assert proposal.modules == (PlannedModule("cbt", 3, 5),)
    assert proposal.questionnaires == (
        QuestionnaireSchedule("peg", (0, 2, 4, 5)),
        QuestionnaireSchedule("odi", (0,)),
    )


def test_condition_language_handles_in_contains_missing_not_and_brackets() -> None:
    conditions = {
        "band_in": 'scores.startback.band in ["medium", "high"]',
        "flag": 'scores.phq9.flags contains "item9_positive"',
        "no_gmi": "gmi.accuracy is missing",
        "has_phq9": "scores.phq9.total is present",
        "not_high": "not scores.phq9.total >= 10",
        "brackets": "(scores.phq9.total >= 5 or scores.gad7.total >= 5) and scores.startback.total < 4",
        "subscale": "scores.startback.subscales.psychosocial >= 4",
        "red_flag_text": 'red_flags contains "fever"',
    }
    rule_set = parse_rules(document(*(rule(k, v) for k, v in conditions.items())))
    profile = AssessmentProfile(
        pain_duration_weeks=20,
        red_flags=["fever"],
        scores={
            "startback": ScoreSummary(total=3, band="medium", subscales={"psychosocial": 3}),
            "phq9": ScoreSummary(total=6, flags=["item9_positive"]),
        },
    )
    assert fired_ids(evaluate_rules(profile, rule_set)) == [
        "band_in",
        "flag",
        "no_gmi",
        "has_phq9",
        "not_high",
        "brackets",
        "red_flag_text",
    ]


def test_missing_data_makes_every_comparison_false_and_its_negation_true() -> None:
    rule_set = parse_rules(
        document(
            rule("low", "scores.pseq.total < 20"),
            rule("not_low", "not scores.pseq.total < 20"),
            rule("band", 'scores.pseq.band != "high"'),
            rule("pref", "preferences.wants_neurofeedback == false"),
        )
    )
    assert fired_ids(evaluate_rules(AssessmentProfile(pain_duration_weeks=20), rule_set)) == ["not_low"]


def test_reasons_say_not_recorded_for_missing_values_and_none_for_empty_lists() -> None:
    doc = document(rule("a"))
    doc["rules"][0]["reason"] = {"clinician": "PCS {scores.pcs.total}; flags {red_flags}", "patient": "p"}
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=20), parse_rules(doc))
    assert proposal.fired[0].reason_clinician == "PCS not recorded; flags none"


def test_proposal_survives_a_json_round_trip(rules: RuleSet) -> None:
    profile = AssessmentProfile(
        pain_duration_weeks=52,
        red_flags=["fever"],
        scores={"pcs": ScoreSummary(total=34), "tsk11": ScoreSummary(total=30)},
        gmi=LateralityResult(0.7, 2500),
    )
    proposal = evaluate_rules(profile, rules)
    stored = json.loads(json.dumps(proposal.to_dict()))
    assert PlanProposal.from_dict(stored) == proposal


def test_stored_proposal_missing_a_field_is_refused_by_name(rules: RuleSet) -> None:
    stored = evaluate_rules(AssessmentProfile(pain_duration_weeks=52), rules).to_dict()
    del stored["modules"]
    with pytest.raises(ValueError, match="stored plan proposal is missing 'modules'"):
        PlanProposal.from_dict(stored)
    with pytest.raises(ValueError, match="has format 2; this version reads format 1"):
        PlanProposal.from_dict({**stored, "format": 2})


# --- the shipped file ------------------------------------------------------------------------------------


def test_shipped_rules_load_and_every_rule_and_setting_names_its_source(rules: RuleSet) -> None:
    assert 30 <= len(rules.rules) <= 45
    assert all(r.source.strip() for r in rules.rules)
    assert all(s.source.strip() for s in rules.settings.values())
    assert rules.settings["pcs_high"].value == 30
    assert "clinic setting" in rules.settings["tsk11_high"].source


# --- bad rule files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_rule", "message"),
    [
        (
            rule("x", "scores.pcz.total >= 30"),
            "rule 'x': unknown path 'scores.pcz.total': no instrument 'pcz'",
        ),
        (rule("x", "pain_weeks > 12"), "rule 'x': unknown path 'pain_weeks'"),
        (
            rule("x", "scores.pcs.total above 30"),
            "rule 'x': unknown operator 'above' after 'scores.pcs.total'",
        ),
        (rule("x", "scores.pcs.total => 30"), "rule 'x': cannot read '=> 30'"),
        (rule("x", "scores.startback.band == high"), 'write "high" in quotes'),
        (
            rule("x", "scores.startback.band >= 3"),
            "'scores.startback.band' is text: use == or != (or in), not >=",
        ),
        (
            rule("x", 'scores.pcs.total >= "30"'),
            "'scores.pcs.total' is a number and cannot be compared with '30'",
        ),
        (rule("x", 'neuroplastic_checklist_level == "lots"'), "is one of few, some, many, never 'lots'"),
        (rule("x", "scores.pcs.total >= settings.nope"), "rule 'x': unknown setting 'settings.nope'"),
        (rule("x", "(scores.pcs.total >= 30"), "rule 'x': a bracket is not closed"),
        (rule("x", ""), "rule 'x': the condition is empty"),
        (rule("x", "scores.pcs.total >= 30 scores"), "rule 'x': unexpected 'scores'"),
        (rule("x", 'red_flags == "fever"'), "'red_flags' is a list"),
        (
            rule("x", add_modules=[{"module": "yoga", "sessions_per_week": 1, "weeks": 4}]),
            "rule 'x', module 1, field 'module': unknown module 'yoga' "
            "(known: prt, gmi, cbt, mindfulness, neurofeedback)",
        ),
        (
            rule("x", add_modules=[{"module": "cbt", "sessions_per_week": 0, "weeks": 4}]),
            "rule 'x', module 1, field 'sessions_per_week': input should be greater than or equal to 1, got 0",
        ),
        (
            rule("x", add_modules=[{"module": "cbt", "sessions_per_week": 1, "weeks": 4, "focus": ["yoga"]}]),
            "rule 'x', module 1, field 'focus': unknown focus 'yoga' for module cbt",
        ),
        (
            rule("x", add_disciplines=["chiropractor"]),
            "rule 'x', field 'then.add_disciplines': unknown discipline 'chiropractor'",
        ),
        (
            rule("x", set_intensity="extreme"),
            "rule 'x', field 'then.set_intensity': unknown intensity 'extreme'",
        ),
        (
            rule("x", repeat_questionnaires=[{"instrument": "sf36", "schedule": ["end"]}]),
            "rule 'x', questionnaire 1, field 'instrument': unknown instrument 'sf36'",
        ),
        (
            rule("x", repeat_questionnaires=[{"instrument": "peg", "schedule": ["monthly"]}]),
            "rule 'x', questionnaire 1, field 'schedule': unknown schedule 'monthly' for peg",
        ),
        (rule("x", discharge=True), "rule 'x', field 'then': unknown effect(s) discharge"),
        (rule("x", hold="yes"), "rule 'x', field 'then.hold': input should be a valid boolean, got 'yes'"),
        (rule("Bad Id"), "rule 'Bad Id': id must be lower_case_with_underscores"),
    ],
)
def test_bad_rule_is_refused_with_its_id_and_the_problem(bad_rule: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleFileError, match=re.escape(message)) as caught:
        parse_rules(document(bad_rule), origin="clinic_rules.yaml")
    assert str(caught.value).startswith("clinic_rules.yaml: rule ")


def test_bad_reason_placeholder_and_missing_patient_reason_are_refused() -> None:
    bad_placeholder = rule("x")
    bad_placeholder["reason"]["clinician"] = "PCS {scores.pcs.totl}"
    with pytest.raises(RuleFileError, match=re.escape("rule 'x': unknown path 'scores.pcs.totl'")):
        parse_rules(document(bad_placeholder))
    no_patient = rule("y")
    no_patient["reason"] = {"clinician": "c"}
    with pytest.raises(
        RuleFileError, match=re.escape("plan rules: rule 'y', field 'reason.patient': is missing")
    ):
        parse_rules(document(no_patient))
    stray = rule("z")
    stray["reason"]["patient"] = "score {scores.pcs.total"
    with pytest.raises(RuleFileError, match="rule 'z': a curly bracket is not matched"):
        parse_rules(document(stray))


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    with pytest.raises(RuleFileError) as caught:
        parse_rules(
            document(rule("a", "scores.pcz.total > 1"), rule("a"), rule("c", add_disciplines=["nurse"]))
        )
    assert caught.value.problems == (
        "rule 'a': unknown path 'scores.pcz.total': no instrument 'pcz' (known: peg, bpi, odi, rmdq, pcs, tsk11, "
        "phq9, gad7, startback, pseq, csi)",
        "rule 'a': the id is used by an earlier rule too",
        "rule 'c', field 'then.add_disciplines': unknown discipline 'nurse' (known: pain_specialist, "
        "physical_therapist, psychologist, neurofeedback_practitioner)",
    )


def test_setting_without_a_source_is_refused() -> None:
    with pytest.raises(
        RuleFileError, match=re.escape("plan rules: setting 'pcs_high', field 'source': is missing")
    ):
        parse_rules(document(rule(), settings={"pcs_high": {"value": 30}}))


def test_rule_file_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic_rules.yaml"
    path.write_text("rules: [\n  - id: a\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=re.escape(f"{path}: not valid YAML")):
        load_rules(path)


def test_clinic_can_change_a_threshold_in_its_own_copy_of_the_file(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    path = tmp_path / "rules.yaml"
    path.write_text(
        text.replace("  pcs_high:\n    value: 30", "  pcs_high:\n    value: 24"), encoding="utf-8"
    )
    profile = AssessmentProfile(pain_duration_weeks=20, scores={"pcs": ScoreSummary(total=25)})
    assert reason_of(
        evaluate_rules(profile, load_rules(path)), "catastrophising_thought_records"
    ).reason_clinician == (
        "Pain catastrophising score 25 is 24 or more: CBT thought records with a psychologist."
    )


# --- the profile itself ---------------------------------------------------------------------------------


def test_profile_refuses_unknown_instruments_and_impossible_values() -> None:
    with pytest.raises(ValueError, match="unknown instrument\\(s\\) in scores: sf36"):
        AssessmentProfile(pain_duration_weeks=20, scores={"sf36": ScoreSummary(total=1)})
    with pytest.raises(
        ValueError, match="neuroplastic_checklist_level must be one of few, some, many or None"
    ):
        AssessmentProfile(pain_duration_weeks=20, neuroplastic_checklist_level="lots")
    with pytest.raises(ValueError, match="pain_duration_weeks must be 0 or more, got -1"):
        AssessmentProfile(pain_duration_weeks=-1)
    with pytest.raises(ValueError, match="GMI accuracy must be a fraction from 0 to 1, got 72"):
        LateralityResult(accuracy=72, median_rt_ms=1800)


def test_rule_documents_are_not_changed_by_parsing() -> None:
    doc = document(rule("a", add_modules=[{"module": "cbt", "sessions_per_week": 1, "weeks": 2}]))
    before = copy.deepcopy(doc)
    parse_rules(doc)
    assert doc == before


# --- expectations that fit the person -----------------------------------------------------------------------

TRIAL_NUMBERS = re.compile(r"\d+ ?%|\b\d+ in \d+\b|two in three|pain-free", re.IGNORECASE)


def like_the_trial(**changes: Any) -> AssessmentProfile:
    """Pain for 52 weeks, average pain 6 over the last week, cleared: like the PRT trial's patients."""
    values: dict[str, Any] = {"pain_duration_weeks": 52, "average_pain_last_week": 6.0, "cleared": True}
    return AssessmentProfile(**(values | changes))


@pytest.mark.parametrize(
    ("changes", "quoted"),
    [
        ({}, True),
        ({"pain_duration_weeks": 26, "average_pain_last_week": 4.0}, True),  # both boundaries count
        ({"pain_duration_weeks": 25}, False),  # under 6 months
        ({"average_pain_last_week": 3.0}, False),  # starting at 3/10
        ({"average_pain_last_week": 3.9}, False),
        ({"average_pain_last_week": None}, False),  # not known
        ({"cleared": False}, False),  # no clearance yet, or withdrawn
        ({"cleared": None}, False),
    ],
)
def test_trial_results_are_quoted_only_to_patients_like_those_studied(
    rules: RuleSet, changes: dict[str, Any], quoted: bool
) -> None:
    proposal = evaluate_rules(like_the_trial(**changes), rules)
    assert ("prt_trial_results" in fired_ids(proposal)) is quoted
    assert proposal.modules == (PRT_CORE,)  # what the patient is offered does not change
    core = reason_of(proposal, "prt_core").reason_patient
    assert core.startswith(
        "Your program starts with Pain Reprocessing Therapy: 2 sessions a week for 4 weeks."
    )
    assert not TRIAL_NUMBERS.search(core), core


def test_quoted_trial_results_say_who_was_studied(rules: RuleSet) -> None:
    quoted = reason_of(evaluate_rules(like_the_trial(), rules), "prt_trial_results")
    assert quoted.quotes_evidence is True
    for context in (
        "back pain for 6 months or more",
        "average pain of 4 out of 10 or more",
        "no specific cause",
    ):
        assert context in quoted.reason_patient
    assert (
        "66%" in quoted.reason_patient and "20%" in quoted.reason_patient and "10%" in quoted.reason_patient
    )
    assert "pain for 52 weeks, average pain\n6 of 10" in quoted.reason_clinician.replace(" 6 of", "\n6 of")


def test_no_other_patient_reason_quotes_trial_numbers(rules: RuleSet) -> None:
    """Every expectation with numbers is in a rule that says it quotes evidence, so it is re-checked."""
    for rule in rules.rules:
        if not rule.quotes_evidence:
            assert not TRIAL_NUMBERS.search(rule.reason_patient), rule.id


def test_a_quoted_result_is_withdrawn_when_the_patient_no_longer_fits(rules: RuleSet) -> None:
    proposal = evaluate_rules(like_the_trial(), rules)
    assert withdrawn_evidence(proposal.fired, like_the_trial(), rules) == set()
    assert withdrawn_evidence(proposal.fired, like_the_trial(cleared=False), rules) == {"prt_trial_results"}
    # a rule file without the rule any more cannot vouch for the claim; other reasons are never withdrawn
    others = RuleSet(
        rules.version, rules.settings, tuple(r for r in rules.rules if r.id != "prt_trial_results")
    )
    assert withdrawn_evidence(proposal.fired, like_the_trial(), others) == {"prt_trial_results"}
    without_core = RuleSet(rules.version, rules.settings, tuple(r for r in rules.rules if r.id != "prt_core"))
    assert withdrawn_evidence(proposal.fired, like_the_trial(), without_core) == set()
    # stored and read back, the mark survives
    again = PlanProposal.from_dict(json.loads(json.dumps(proposal.to_dict())))
    assert reason_of(again, "prt_trial_results").quotes_evidence is True
    assert "quotes_evidence" not in json.dumps(proposal.to_dict()["fired"][0])  # prt_core: not marked


def test_profile_refuses_an_impossible_average_pain() -> None:
    with pytest.raises(ValueError, match="average_pain_last_week must be from 0 to 10 or None, got 11"):
        AssessmentProfile(pain_duration_weeks=52, average_pain_last_week=11)


def test_empty_sources_and_reasons_are_refused_naming_the_setting_rule_and_field() -> None:
    bad = rule("x")
    bad["source"] = " "
    bad["reason"]["patient"] = ""
    with pytest.raises(RuleFileError) as caught:
        parse_rules(
            document(bad, settings={"pcs_high": {"value": 30, "source": ""}}), origin="clinic_rules.yaml"
        )
    assert str(caught.value).splitlines() == [
        "clinic_rules.yaml: setting 'pcs_high', field 'source': must say where it comes from (a paper, or "
        "'clinic setting')",
        "clinic_rules.yaml: rule 'x', field 'reason.patient': some text is needed here",
        "clinic_rules.yaml: rule 'x', field 'source': must say where it comes from (a paper, or 'clinic setting')",
    ]
