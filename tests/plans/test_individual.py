"""Plans fit the person: each input (pain level, leg pain, goals, treatment history, preferences, consent, the
clinician's judgement) changes the plan and is named in its reason; a declined therapy is never planned; weekly
practice is capped. Hand-built profiles, with the expected plans worked out by hand from rules.yaml."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from painrewire.plans.rules import (
    CLINICIAN_FLAGS,
    CONSENT_KINDS,
    GOALS,
    MODULES,
    TREATMENT_KINDS,
    AssessmentProfile,
    ClinicianNote,
    Consent,
    FiredRule,
    LateralityResult,
    PlannedModule,
    PlanProposal,
    Preferences,
    RuleFileError,
    RuleSet,
    ScoreSummary,
    TreatmentHistory,
    cap_sessions,
    evaluate_rules,
    load_rules,
    parse_rules,
)

PRT_CORE = PlannedModule(
    "prt", 2, 4, ("pain_education", "neuroplastic_checklist", "somatic_tracking", "reappraisal_journal")
)
#: A chronic patient who filled in only the free questionnaires, all low: PEG 4, PHQ-9 6, GAD-7 5.
LOW_SCORES = {
    "peg": ScoreSummary(total=4),
    "phq9": ScoreSummary(total=6, band="mild"),
    "gad7": ScoreSummary(total=5, band="mild"),
}
NEUROFEEDBACK_OK = Consent(treatment=True, neurofeedback=True)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def profile(**values: Any) -> AssessmentProfile:
    return AssessmentProfile(**({"pain_duration_weeks": 52, "scores": dict(LOW_SCORES)} | values))


def fired(proposal: PlanProposal) -> dict[str, FiredRule]:
    return {f.id: f for f in proposal.fired}


def module(proposal: PlanProposal, module_id: str) -> PlannedModule | None:
    return next((m for m in proposal.modules if m.id == module_id), None)


def test_a_low_scoring_patient_with_nothing_else_gets_prt_and_a_pain_specialist(rules: RuleSet) -> None:
    proposal = evaluate_rules(profile(), rules)
    assert list(fired(proposal)) == ["prt_core", "standard_questionnaires"]
    assert proposal.modules == (PRT_CORE,)
    assert proposal.disciplines == ("pain_specialist",)


# --- a declined therapy is never planned -------------------------------------------------------------


def test_declined_neurofeedback_is_left_out_whatever_rule_asks_and_the_reason_says_so(rules: RuleSet) -> None:
    worried = {**LOW_SCORES, "gad7": ScoreSummary(total=12, band="moderate")}
    offered = evaluate_rules(profile(scores=worried, consent=NEUROFEEDBACK_OK), rules)
    assert module(offered, "neurofeedback") == PlannedModule("neurofeedback", 2, 10)
    assert fired(offered)["neurofeedback_for_anxiety"].href == "/patient/therapy-preferences#neurofeedback"

    declined = evaluate_rules(
        profile(
            scores=worried,
            consent=NEUROFEEDBACK_OK,
            preferences=Preferences(choices={"neurofeedback": "decline"}),
        ),
        rules,
    )
    assert module(declined, "neurofeedback") is None
    assert "neurofeedback_practitioner" not in declined.disciplines
    assert "neurofeedback_for_anxiety" not in fired(declined)  # its reason would no longer be true
    assert fired(declined)["declined_neurofeedback"] == FiredRule(
        "declined_neurofeedback",
        "Neurofeedback left out: the patient said no to it on their preferences page. Rules that would have "
        "added it: neurofeedback_for_anxiety.",
        "Neurofeedback is not in your plan because you said no to it. You can change this on your preferences "
        "page.",
        href="/patient/therapy-preferences#neurofeedback",
        link_text="Your therapy preferences",
    )
    assert "psychologist" in declined.disciplines  # anxiety still brings the psychologist


def test_declined_cbt_goes_but_the_rules_other_effects_stay(rules: RuleSet) -> None:
    scores = {**LOW_SCORES, "pcs": ScoreSummary(total=34)}
    proposal = evaluate_rules(
        profile(scores=scores, preferences=Preferences(choices={"cbt": "decline"})), rules
    )
    assert proposal.modules == (PRT_CORE,)
    assert "psychologist" in proposal.disciplines  # the rule's other effect stays
    assert "catastrophising_thought_records" not in fired(proposal)  # its reason speaks of thought records
    assert fired(proposal)["declined_cbt"].reason_clinician == (
        "CBT left out: the patient said no to it on their preferences page. Rules that would have added it: "
        "catastrophising_thought_records (their other effects stay in the plan)."
    )
    assert fired(proposal)["declined_cbt"].reason_patient == (
        "CBT is not in your plan because you said no to it. You can change this on your preferences page."
    )
    assert fired(proposal)["declined_cbt"].href == "/patient/therapy-preferences#cbt"


def test_declining_prt_leaves_no_module_and_asks_the_clinician_to_talk_it_through(rules: RuleSet) -> None:
    proposal = evaluate_rules(profile(preferences=Preferences(choices={"prt": "decline"})), rules)
    assert proposal.modules == () and proposal.end_week == 0
    assert list(fired(proposal)) == ["standard_questionnaires", "declined_prt"]  # not "starts with PRT"
    assert proposal.disciplines == ("pain_specialist",)  # prt_core's other effect stays
    assert proposal.review_reasons == (
        "No module is left once the patient's choices are respected: talk with them about the plan.",
    )


# --- neurofeedback needs consent ---------------------------------------------------------------------


@pytest.mark.parametrize("consent", [Consent(), Consent(treatment=True, neurofeedback=False)])
def test_no_neurofeedback_without_a_current_consent_and_the_plan_says_where_to_agree(
    rules: RuleSet, consent: Consent
) -> None:
    proposal = evaluate_rules(
        profile(preferences=Preferences(wants_neurofeedback=True), consent=consent), rules
    )
    assert module(proposal, "neurofeedback") is None
    assert "neurofeedback_practitioner" not in proposal.disciplines
    assert "neurofeedback_requested" not in fired(proposal)
    note = fired(proposal)["consent_needed_neurofeedback"]
    assert note.reason_patient == (
        "Neurofeedback can be offered to you once you have agreed to it. You can read what it involves, and "
        "agree or not, on your consent page."
    )
    assert (note.href, note.link_text) == ("/patient/consent#neurofeedback", "Your consent page")
    assert "Rules that would add it: neurofeedback_requested." in note.reason_clinician


def test_with_consent_the_neurofeedback_the_patient_asked_for_is_planned(rules: RuleSet) -> None:
    proposal = evaluate_rules(
        profile(preferences=Preferences(wants_neurofeedback=True), consent=NEUROFEEDBACK_OK), rules
    )
    assert module(proposal, "neurofeedback") == PlannedModule("neurofeedback", 2, 10)
    assert "neurofeedback_practitioner" in proposal.disciplines
    assert "consent_needed_neurofeedback" not in fired(proposal)


# --- pain level and leg pain ------------------------------------------------------------------------------


def test_severe_average_pain_makes_the_plan_intensive_and_says_the_number(rules: RuleSet) -> None:
    assert evaluate_rules(profile(average_pain_last_week=6), rules).intensity == "standard"
    proposal = evaluate_rules(profile(average_pain_last_week=7), rules)
    assert proposal.intensity == "intensive"
    assert module(proposal, "mindfulness") == PlannedModule("mindfulness", 3, 8, ("breathing_practice",))
    assert fired(proposal)["severe_pain"].reason_patient.startswith(
        "Your average pain was 7 out of 10 in the week before treatment, which is a lot."
    )


def test_a_severe_peg_counts_when_the_week_before_treatment_was_not_severe(rules: RuleSet) -> None:
    scores = {**LOW_SCORES, "peg": ScoreSummary(total=7.5)}
    proposal = evaluate_rules(profile(scores=scores, average_pain_last_week=5), rules)
    assert "severe_pain" not in fired(proposal)
    assert fired(proposal)["severe_pain_peg"].reason_clinician.startswith("Latest PEG 7.5 of 10 is 7 or more")
    assert proposal.intensity == "intensive"
    both = evaluate_rules(profile(scores=scores, average_pain_last_week=8), rules)
    assert "severe_pain" in fired(both) and "severe_pain_peg" not in fired(both)  # one reason, not two


def test_leg_pain_brings_a_physical_therapist_and_says_why(rules: RuleSet) -> None:
    assert "physical_therapist" not in evaluate_rules(profile(leg_pain=False), rules).disciplines
    proposal = evaluate_rules(profile(leg_pain=True), rules)
    assert proposal.disciplines == ("pain_specialist", "physical_therapist")
    assert fired(proposal)["leg_pain_physical_therapist"].reason_patient.startswith(
        "Because you said the pain goes down your leg,"
    )


# --- goals ----------------------------------------------------------------------------------------------


def test_the_goal_fewer_flare_ups_adds_pacing_and_names_the_goal(rules: RuleSet) -> None:
    proposal = evaluate_rules(profile(goals=("fewer_flare_ups",)), rules)
    assert proposal.modules == (PRT_CORE, PlannedModule("cbt", 1, 8, ("activity_pacing",)))
    assert fired(proposal)["goal_fewer_flare_ups"].reason_patient.startswith(
        "Because you said fewer flare-ups matter to you, your plan includes activity pacing"
    )


def test_the_goals_better_sleep_and_moving_without_fear_add_what_serves_them(rules: RuleSet) -> None:
    proposal = evaluate_rules(profile(goals=("sleep_better", "move_without_fear")), rules)
    assert proposal.modules == (
        PRT_CORE,
        PlannedModule("cbt", 1, 8, ("graded_exposure",)),
        PlannedModule("mindfulness", 3, 8, ("body_scan", "breathing_practice")),
    )
    assert proposal.disciplines == ("pain_specialist", "physical_therapist")
    reasons = fired(proposal)
    assert reasons["goal_better_sleep"].reason_patient.startswith(
        "Because you said better sleep matters to you"
    )
    assert reasons["goal_move_without_fear"].reason_patient.startswith(
        "Because you said moving without fear matters to you"
    )


# --- what was tried before -------------------------------------------------------------------------------


def test_physiotherapy_and_two_medicines_that_did_not_help_change_the_plan_and_are_named(
    rules: RuleSet,
) -> None:
    history = TreatmentHistory(
        tried=("physiotherapy", "nsaid", "opioid", "simple_analgesic"),
        failed=("physiotherapy", "nsaid", "opioid"),
        helped=("simple_analgesic",),
    )
    proposal = evaluate_rules(profile(history=history), rules)
    reasons = fired(proposal)
    assert list(reasons) == [
        "prt_core",
        "standard_questionnaires",
        "earlier_treatments_not_effective",
        "medicines_not_effective",
    ]
    assert proposal.modules == (PRT_CORE, PlannedModule("cbt", 1, 8, ("activity_pacing",)))
    assert proposal.disciplines == ("pain_specialist", "physical_therapist", "psychologist")
    assert reasons["earlier_treatments_not_effective"].reason_patient.startswith(
        "Because physiotherapy, NSAIDs and opioids did not help you, your plan tries a different way"
    )
    assert reasons["earlier_treatments_not_effective"].reason_clinician.startswith(
        "Earlier treatments that did not help: physiotherapy, NSAIDs and opioids (three kinds)."
    )
    assert proposal.review_reasons == (
        "Pain medicines that did not help: NSAIDs and opioids (two kinds). Review current medicines at the "
        "first visit.",
    )
    assert reasons["medicines_not_effective"].reason_patient == (
        "Because NSAIDs and opioids did not help you, your pain specialist will go through your medicines with "
        "you at your first visit."
    )


def test_physiotherapy_alone_that_did_not_help_brings_pacing_with_a_physical_therapist(
    rules: RuleSet,
) -> None:
    history = TreatmentHistory(tried=("physiotherapy", "nsaid"), failed=("physiotherapy",), helped=("nsaid",))
    proposal = evaluate_rules(profile(history=history), rules)
    assert list(fired(proposal))[2:] == ["physiotherapy_not_effective"]
    assert proposal.disciplines == ("pain_specialist", "physical_therapist")
    assert fired(proposal)["physiotherapy_not_effective"].reason_patient.startswith(
        "Because physiotherapy did not help you before"
    )


def test_one_medicine_that_did_not_help_changes_nothing(rules: RuleSet) -> None:
    history = TreatmentHistory(tried=("opioid",), failed=("opioid",))
    assert list(fired(evaluate_rules(profile(history=history), rules))) == [
        "prt_core",
        "standard_questionnaires",
    ]


# --- what the patient would like to try ------------------------------------------------------------------


def test_a_wish_for_mindfulness_or_cbt_is_planned_and_named(rules: RuleSet) -> None:
    proposal = evaluate_rules(
        profile(preferences=Preferences(choices={"mindfulness": "want", "cbt": "want"})), rules
    )
    assert [m.id for m in proposal.modules] == ["prt", "cbt", "mindfulness"]
    assert fired(proposal)["mindfulness_wanted"].reason_patient == (
        "You said you would like to try mindfulness: a short practice three times a week for 8 weeks."
    )
    unsure = evaluate_rules(profile(preferences=Preferences(choices={"mindfulness": "unsure"})), rules)
    assert unsure.modules == (PRT_CORE,)


# --- CBT and mindfulness in every clinic: free questionnaires and the clinician's judgement ------------------


def test_a_low_scoring_patient_gets_cbt_from_the_clinicians_judgement_with_who_when_and_why(
    rules: RuleSet,
) -> None:
    note = ClinicianNote(
        "Dr Ana Ruiz", date(2025, 5, 3), "Cries when talking about work; sure it will never end"
    )
    proposal = evaluate_rules(profile(clinician={"worry_or_low_mood": note}), rules)
    assert proposal.modules == (PRT_CORE, PlannedModule("cbt", 1, 8, ("thought_records",)))
    assert proposal.disciplines == ("pain_specialist", "psychologist")
    assert fired(proposal)["clinician_worry_or_low_mood"].reason_clinician == (
        "Dr Ana Ruiz recorded on 3 May 2025 that worry or low mood affects the pain (“Cries when talking about "
        "work; sure it will never end”): CBT thought records with a psychologist."
    )


def test_stress_observed_by_the_clinician_opens_mindfulness(rules: RuleSet) -> None:
    note = ClinicianNote("Dr Ana Ruiz", date(2025, 5, 3), "Pain flares in every deadline week")
    proposal = evaluate_rules(profile(clinician={"stress_drives_pain": note}), rules)
    assert module(proposal, "mindfulness") == PlannedModule(
        "mindfulness", 5, 8, ("body_scan", "breathing_practice")
    )


def test_fear_of_movement_observed_opens_graded_exposure_without_a_tsk11(rules: RuleSet) -> None:
    note = ClinicianNote("Dr Ana Ruiz", date(2025, 5, 3), "Will not bend to pick things up")
    proposal = evaluate_rules(profile(clinician={"fear_of_movement": note}), rules)
    assert module(proposal, "cbt") == PlannedModule("cbt", 1, 8, ("graded_exposure",))
    assert "physical_therapist" in proposal.disciplines


def test_moderate_depression_on_the_free_phq9_opens_thought_records(rules: RuleSet) -> None:
    scores = {**LOW_SCORES, "phq9": ScoreSummary(total=12, band="moderate")}
    proposal = evaluate_rules(profile(scores=scores), rules)
    assert module(proposal, "cbt") == PlannedModule("cbt", 1, 8, ("thought_records",))
    assert fired(proposal)["low_mood_thought_records"].reason_patient.startswith(
        "Your answers about mood (PHQ-9 score 12 of 27) show that low mood is weighing on you."
    )


# --- the weekly cap ----------------------------------------------------------------------------------


def high_scorer(**values: Any) -> AssessmentProfile:
    """PCS 34, TSK-11 30, CSI 45 and slow, inaccurate left/right judgement: PRT 2 + GMI 7 + CBT 1 +
    mindfulness 5 = 15 sessions a week before the cap."""
    return profile(
        scores={
            **LOW_SCORES,
            "pcs": ScoreSummary(total=34),
            "tsk11": ScoreSummary(total=30),
            "csi": ScoreSummary(total=45),
        },
        gmi=LateralityResult(accuracy=0.6, median_rt_ms=2500),
        **values,
    )


def test_the_cap_trims_a_high_scoring_plan_to_ten_a_week_and_says_so_with_the_numbers(rules: RuleSet) -> None:
    proposal = evaluate_rules(high_scorer(), rules)
    # By hand: 15 > 10. GMI 7 -> 6 -> 5; GMI and mindfulness tie at 5, the later module goes first:
    # mindfulness 4, GMI 4, mindfulness 3: 2 + 4 + 1 + 3 = 10.
    assert [(m.id, m.sessions_per_week) for m in proposal.modules] == [
        ("prt", 2),
        ("gmi", 4),
        ("cbt", 1),
        ("mindfulness", 3),
    ]
    assert sum(m.sessions_per_week for m in proposal.modules) == 10
    assert [m.weeks for m in proposal.modules] == [4, 6, 8, 8]  # the cap changes how often, not how long
    cap = proposal.fired[-1]
    assert cap.id == "weekly_cap"
    assert cap.reason_patient == (
        "To keep your week manageable, your plan has at most 10 practice sessions a week, and at most one "
        "session of each kind a day. The rules asked for 15, so graded motor imagery goes from 7 to 4 a week "
        "and mindfulness goes from 5 to 3 a week."
    )
    assert cap.reason_clinician == (
        "Weekly practice capped by the clinic settings (at most 7 sessions a week of each module, 10 in all): "
        "the rules asked for 15 a week (Pain reprocessing therapy 2, Graded motor imagery 7, CBT 1, "
        "Mindfulness 5); the plan has 10. Graded motor imagery: 7 → 4 a week. Mindfulness: 5 → 3 a week."
    )


def test_with_neurofeedback_too_seventeen_are_trimmed_to_ten(rules: RuleSet) -> None:
    worried = high_scorer(consent=NEUROFEEDBACK_OK, sleep_problems=True)
    proposal = evaluate_rules(worried, rules)
    # 2 + 7 + 1 + 5 + 2 = 17: GMI 6, 5; mindfulness 4; GMI 4; mindfulness 3; GMI 3; mindfulness 2.
    assert [(m.id, m.sessions_per_week) for m in proposal.modules] == [
        ("prt", 2),
        ("gmi", 3),
        ("cbt", 1),
        ("mindfulness", 2),
        ("neurofeedback", 2),
    ]


def test_a_plan_within_the_cap_has_no_cap_reason(rules: RuleSet) -> None:
    assert "weekly_cap" not in fired(evaluate_rules(profile(goals=("sleep_better",)), rules))


def cap_rules(**settings: int) -> RuleSet:
    return parse_rules(
        {
            "version": "t",
            "settings": {k: {"value": v, "source": "test"} for k, v in settings.items()},
            "rules": [
                {
                    "id": "a",
                    "when": "always",
                    "then": {
                        "add_modules": [
                            {"module": "gmi", "sessions_per_week": 14, "weeks": 6},
                            {"module": "prt", "sessions_per_week": 2, "weeks": 4},
                        ]
                    },
                    "source": "test",
                    "reason": {"clinician": "c", "patient": "p"},
                }
            ],
        }
    )


def test_no_module_is_planned_more_than_once_a_day_by_default() -> None:
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=20), cap_rules())
    assert [(m.id, m.sessions_per_week) for m in proposal.modules] == [("prt", 2), ("gmi", 7)]
    assert "so graded motor imagery goes from 14 to 7 a week." in proposal.fired[-1].reason_patient


def test_a_clinic_sets_its_own_caps_in_the_rule_file() -> None:
    proposal = evaluate_rules(
        AssessmentProfile(pain_duration_weeks=20),
        cap_rules(max_sessions_per_module_week=5, max_sessions_week=6),
    )
    assert [(m.id, m.sessions_per_week) for m in proposal.modules] == [("prt", 2), ("gmi", 4)]
    assert (
        "at most 6 practice sessions a week, and at most 5 of each kind" in proposal.fired[-1].reason_patient
    )


@pytest.mark.parametrize(
    ("asked", "per_module", "total", "expected"),
    [
        ({"prt": 2, "gmi": 7}, 7, 10, {"prt": 2, "gmi": 7}),
        ({"prt": 2, "gmi": 7, "cbt": 3}, 7, 10, {"prt": 2, "gmi": 5, "cbt": 3}),
        ({"prt": 3, "mindfulness": 3}, 7, 5, {"prt": 3, "mindfulness": 2}),
        ({m: 1 for m in MODULES}, 7, 5, {m: 1 for m in MODULES}),
    ],
)
def test_cap_sessions_takes_from_the_biggest_and_on_a_tie_from_the_later_module(
    asked: dict[str, int], per_module: int, total: int, expected: dict[str, int]
) -> None:
    assert cap_sessions(asked, per_module, total) == expected


# --- the condition language -------------------------------------------------------------------------------


def rule(when: str, clinician: str = "c") -> dict[str, Any]:
    return {
        "id": "x",
        "when": when,
        "then": {"add_disciplines": ["psychologist"]},
        "source": "test",
        "reason": {"clinician": clinician, "patient": "p"},
    }


def test_the_new_paths_read_goals_history_preferences_consent_and_judgement() -> None:
    conditions = [
        'goals contains "sleep_better"',
        'history.failed contains "physiotherapy" and history.failed_medicine_count >= 2',
        "history.tried_count == 4",
        'history.helped contains "simple_analgesic"',
        'preferences.neurofeedback == "decline" and preferences.wants_neurofeedback == false',
        'preferences.cbt in ["want", "unsure"]',
        "consent.research == true and not consent.neurofeedback == true",
        "clinician.fear_of_movement == true and not clinician.stress_drives_pain == true",
        "leg_pain == true",
    ]
    doc = {"version": "t", "rules": [dict(rule(c), id=f"r{n}") for n, c in enumerate(conditions)]}
    proposal = evaluate_rules(
        AssessmentProfile(
            pain_duration_weeks=20,
            leg_pain=True,
            goals=("sleep_better",),
            history=TreatmentHistory(
                tried=("physiotherapy", "nsaid", "opioid", "simple_analgesic"),
                failed=("physiotherapy", "nsaid", "opioid"),
                helped=("simple_analgesic",),
            ),
            preferences=Preferences(wants_neurofeedback=False, choices={"cbt": "unsure"}),
            consent=Consent(research=True),
            clinician={"fear_of_movement": ClinicianNote("Dr A", date(2025, 1, 2))},
        ),
        parse_rules(doc),
    )
    assert [f.id for f in proposal.fired] == [f"r{n}" for n in range(len(conditions))]


def test_missing_inputs_make_comparisons_false() -> None:
    doc = {
        "version": "t",
        "rules": [
            dict(rule('history.failed contains "opioid"'), id="a"),
            dict(rule("history.failed_count >= 0"), id="b"),
            dict(rule('preferences.cbt == "want"'), id="c"),
            dict(rule("not consent.neurofeedback == true"), id="d"),
            dict(rule("leg_pain == false"), id="e"),
        ],
    }
    proposal = evaluate_rules(AssessmentProfile(pain_duration_weeks=20), parse_rules(doc))
    assert [f.id for f in proposal.fired] == ["d"]


def test_reasons_show_lists_counts_and_judgements_in_words() -> None:
    clinician = (
        "{history.failed:list} did not help ({history.failed_count:words}); goals: {goals:list}; "
        "{clinician.fear_of_movement.by} on {clinician.fear_of_movement.on}: {clinician.fear_of_movement.note}"
    )
    proposal = evaluate_rules(
        AssessmentProfile(
            pain_duration_weeks=20,
            goals=("fewer_flare_ups", "sleep_better"),
            history=TreatmentHistory(tried=("surgery", "gabapentinoid"), failed=("surgery", "gabapentinoid")),
            clinician={"fear_of_movement": ClinicianNote("Dr A", date(2025, 1, 2), "guards every bend")},
        ),
        parse_rules({"version": "t", "rules": [rule("always", clinician)]}),
    )
    assert proposal.fired[0].reason_clinician == (
        "surgery and gabapentinoids did not help (two); goals: fewer flare-ups and better sleep; Dr A on "
        "2 January 2025: guards every bend"
    )


@pytest.mark.parametrize(
    ("bad_rule", "message"),
    [
        (
            rule('goals contains "flareups"'),
            "rule 'x': 'goals' never contains 'flareups' (known: fewer_flare_ups, sleep_better",
        ),
        (rule('history.faild contains "opioid"'), "rule 'x': unknown path 'history.faild': write history.<"),
        (
            rule('history.failed contains "chiropractic"'),
            "rule 'x': 'history.failed' never contains 'chiropractic'",
        ),
        (
            rule('preferences.yoga == "want"'),
            "rule 'x': unknown path 'preferences.yoga': write preferences.<module>",
        ),
        (rule('preferences.cbt == "yes"'), "'preferences.cbt' is one of want, unsure, decline, never 'yes'"),
        (
            rule('consent.neurofeedback == "yes"'),
            "'consent.neurofeedback' is yes/no: compare it with true or false",
        ),
        (rule("consent.surgery == true"), "rule 'x': unknown path 'consent.surgery'"),
        (rule("clinician.anger == true"), "rule 'x': unknown path 'clinician.anger'"),
        (
            rule('clinician.fear_of_movement.note == "x"'),
            "'clinician.fear_of_movement.note' can only be shown in a reason",
        ),
        (
            rule("history.failed_count >= 2", "{goals:words}"),
            "{goals:words}: the format words needs a number",
        ),
        (
            rule("always", "{history.failed_count:list}"),
            "the format list needs a list, and 'history.failed_count'",
        ),
        (rule('goals == "sleep_better"'), "'goals' is a list: use 'goals contains"),
        (dict(rule("always"), link={"href": "https://x.example", "text": "go"}), "link href must be a path"),
        (
            dict(rule("always"), id="weekly_cap"),
            "rule 'weekly_cap': the id is kept for the plan's own reasons",
        ),
        (dict(rule("always"), id="declined_cbt"), "rule 'declined_cbt': the id is kept"),
    ],
)
def test_bad_rules_using_the_new_paths_are_refused_naming_the_rule_and_the_path(
    bad_rule: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuleFileError, match=re.escape(message)) as caught:
        parse_rules({"version": "t", "rules": [bad_rule]}, origin="clinic_rules.yaml")
    assert str(caught.value).startswith("clinic_rules.yaml: rule ")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_sessions_week": 3}, "setting 'max_sessions_week': must be a whole number from 5 to 70, got 3"),
        (
            {"max_sessions_per_module_week": 0},
            "setting 'max_sessions_per_module_week': must be a whole number",
        ),
        ({"max_sessions_week": 9.5}, "got 9.5"),
    ],
)
def test_impossible_caps_are_refused(settings: dict[str, Any], message: str) -> None:
    doc = {
        "version": "t",
        "settings": {k: {"value": v, "source": "clinic setting"} for k, v in settings.items()},
        "rules": [rule("always")],
    }
    with pytest.raises(RuleFileError, match=re.escape(message)) as caught:
        parse_rules(doc, origin="clinic_rules.yaml")
    assert str(caught.value).startswith("clinic_rules.yaml: field 'settings': setting ")


def test_the_shipped_caps_are_seven_of_a_kind_and_ten_in_all(rules: RuleSet) -> None:
    assert rules.settings["max_sessions_per_module_week"].value == 7
    assert rules.settings["max_sessions_week"].value == 10


def test_links_survive_a_json_round_trip(rules: RuleSet) -> None:
    proposal = evaluate_rules(
        profile(preferences=Preferences(choices={"neurofeedback": "decline"}), sleep_problems=True), rules
    )
    assert PlanProposal.from_dict(json.loads(json.dumps(proposal.to_dict()))) == proposal
    assert proposal.to_dict()["fired"][-1]["href"] == "/patient/therapy-preferences#neurofeedback"


# --- the profile ------------------------------------------------------------------------------------------


def test_the_profile_refuses_inputs_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="preferences: unknown module 'yoga'"):
        Preferences(choices={"yoga": "want"})
    with pytest.raises(ValueError, match="preferences: cbt must be one of want, unsure, decline, got 'yes'"):
        Preferences(choices={"cbt": "yes"})
    with pytest.raises(ValueError, match="disagrees with the neurofeedback choice 'decline'"):
        Preferences(wants_neurofeedback=True, choices={"neurofeedback": "decline"})
    with pytest.raises(ValueError, match="unknown kind\\(s\\) in failed: chiropractic"):
        TreatmentHistory(failed=("chiropractic",))
    with pytest.raises(ValueError, match="unknown goal\\(s\\)"):
        AssessmentProfile(pain_duration_weeks=20, goals=("world_peace",))
    with pytest.raises(ValueError, match="unknown clinician flag\\(s\\): anger"):
        AssessmentProfile(
            pain_duration_weeks=20, clinician={"anger": ClinicianNote("Dr A", date(2025, 1, 2))}
        )


def test_the_rules_know_the_same_words_as_the_modules_they_read() -> None:
    """The pure core cannot import the database models, so its vocabularies are checked against them here."""
    from painrewire.clinical_flags.models import FlagKind
    from painrewire.consent.models import ConsentKind
    from painrewire.practice.models import Module
    from painrewire.therapy_preferences.models import Choice, Goal
    from painrewire.treatment_history.models import Category, MedicineClass

    assert tuple(g.value for g in Goal) == GOALS
    assert set(TREATMENT_KINDS) == {c.value for c in Category} | {m.value for m in MedicineClass}
    assert tuple(k.value for k in FlagKind) == CLINICIAN_FLAGS
    assert tuple(k.value for k in ConsentKind) == CONSENT_KINDS
    assert tuple(m.value for m in Module) == MODULES
    assert {c.value for c in Choice} == {"want", "unsure", "decline"}
