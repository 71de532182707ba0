"""The red-flag screen, pure: each answer's urgency, risks that count together, the ASAS score, refusals.

Expected values are written out by hand from the sources cited in red_flags.yaml, not read back from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from painrewire.assessments import red_flags
from painrewire.assessments.red_flags import RedFlagInputError

#: A neutral patient for one answer at a time: 40 years old, back pain for ten years (onset at 30, one ASAS
#: item, so a single inflammatory answer never reaches three), not new pain, not an older smoker.
AGE, WEEKS = 40, 520

#: Each question's urgency when answered "new" and when answered "longstanding" on its own (None: no flag).
#: "no" is never a flag.
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "ce_saddle": ("emergency", "soon"),
    "ce_bladder": ("emergency", "soon"),
    "ce_bowel": ("emergency", "soon"),
    "ce_sexual": ("emergency", "soon"),
    "ce_both_legs": ("emergency", "soon"),
    "neuro_weakness": ("emergency", "soon"),
    "neuro_numbness": ("urgent", None),
    "ibp_insidious": (None, None),
    "ibp_exercise": (None, None),
    "ibp_rest": (None, None),
    "ibp_night": (None, None),
    "cancer_history": ("urgent", "soon"),
    "cancer_weight_loss": ("soon", None),
    "infection_fever": ("urgent", "soon"),
    "infection_immune": ("urgent", "soon"),
    "infection_drugs": ("urgent", "soon"),
    "fracture_major_injury": ("urgent", None),
    "fracture_minor_injury": (None, None),
    "fracture_bone_risk": ("soon", None),
    "aaa_pulsing": ("urgent", "soon"),
    "aaa_constant": (None, None),
    "aaa_smoking": (None, None),
}


def answers(**given: str) -> dict[str, str]:
    """Every question answered "no" except ``given``."""
    return {q.id: "no" for q in red_flags.questions()} | given


def found(age: int = AGE, weeks: int = WEEKS, **given: str) -> list[tuple[str, str]]:
    """(question or rule id, urgency) of each flag, in the order the screen returns them."""
    flags = red_flags.evaluate_red_flags(answers(**given), age_years=age, pain_duration_weeks=weeks)
    return [(f.question_id, f.urgency) for f in flags]


def flag(rule_id: str, age: int = AGE, weeks: int = WEEKS, **given: str) -> red_flags.RedFlag:
    flags = red_flags.evaluate_red_flags(answers(**given), age_years=age, pain_duration_weeks=weeks)
    return next(f for f in flags if f.question_id == rule_id)


class TestTheScreen:
    def test_it_covers_every_family_with_its_sources_and_a_new_version(self) -> None:
        assert red_flags.VERSION == "rf-2026.2"
        assert [f.id for f in red_flags.families()] == [
            "cauda_equina",
            "progressive_neurological_deficit",
            "inflammatory_back_pain",
            "malignancy",
            "infection",
            "fracture",
            "vascular",
        ]
        assert {q.id for q in red_flags.questions()} == set(EXPECTED)
        sources = red_flags.screen().sources
        assert {"NG59", "ASAS", "GIRFT-CES", "CKS-LBP", "NG234", "IFOMPT"} <= set(sources)
        assert "Ann Rheum Dis 2009;68(6):784-8" in sources["ASAS"]

    def test_every_question_takes_the_same_three_answers_in_plain_words(self) -> None:
        for question in red_flags.questions():
            codes = [code for code, _ in question.options()]
            assert codes == ["no", "new", "longstanding"], question.id
            assert question.labels["no"].startswith("No"), question.id
        assert red_flags.questions()[0].options()[1] == (
            "new",
            "Yes, it is new or getting worse in the last few weeks",
        )

    def test_the_urgencies_keep_their_stored_codes_with_the_new_meanings(self) -> None:
        urgencies = red_flags.screen().urgencies
        assert list(urgencies) == ["emergency", "urgent", "soon"]
        assert urgencies["urgent"].name == "Same-day medical review"
        assert urgencies["soon"].name == "Review by the pain specialist before practice starts"
        assert (
            urgencies["soon"].patient == "Your pain specialist will check this before your practice starts."
        )


class TestEachAnswer:
    @pytest.mark.parametrize("question_id", sorted(EXPECTED))
    def test_each_answer_on_its_own_leads_to_its_urgency(self, question_id: str) -> None:
        new, longstanding = EXPECTED[question_id]
        assert found(**{question_id: "no"}) == []
        assert found(**{question_id: "new"}) == ([(question_id, new)] if new else [])
        assert found(**{question_id: "longstanding"}) == (
            [(question_id, longstanding)] if longstanding else []
        )

    def test_new_saddle_numbness_is_an_emergency(self) -> None:
        [saddle] = red_flags.evaluate_red_flags(
            answers(ce_saddle="new"), age_years=AGE, pain_duration_weeks=WEEKS
        )
        assert (saddle.question_id, saddle.condition, saddle.urgency, saddle.answer) == (
            "ce_saddle",
            "cauda_equina",
            "emergency",
            "new",
        )
        assert "nerves at the base of your spine" in saddle.message
        assert "National Suspected Cauda Equina Syndrome Pathway" in saddle.source

    def test_long_standing_bladder_symptoms_already_checked_are_reviewed_not_an_emergency(self) -> None:
        assert found(ce_bladder="longstanding") == [("ce_bladder", "soon")]
        assert "already assessed" in flag("ce_bladder", ce_bladder="longstanding").clinician

    def test_nothing_long_standing_and_unchanged_is_ever_an_emergency_or_same_day(self) -> None:
        everything = {q.id: "longstanding" for q in red_flags.questions()}
        flags = red_flags.evaluate_red_flags(everything, age_years=45, pain_duration_weeks=520)
        assert flags and {f.urgency for f in flags} == {"soon"}

    def test_cancer_history_with_new_back_pain_is_a_same_day_review(self) -> None:
        assert found(cancer_history="new") == [("cancer_history", "urgent")]
        assert (
            "contact your GP or your cancer team today"
            in flag("cancer_history", cancer_history="new").message
        )

    def test_cancer_long_ago_with_back_pain_unchanged_is_not_a_same_day_review(self) -> None:
        assert found(cancer_history="longstanding") == [("cancer_history", "soon")]

    def test_ten_years_of_stable_pain_with_nothing_new_raises_no_flag(self) -> None:
        # 55 years old, pain for ten years; an old lift, a past smoker, old checked leg numbness.
        stable = {
            "fracture_minor_injury": "longstanding",
            "fracture_major_injury": "longstanding",
            "aaa_smoking": "longstanding",
            "neuro_numbness": "longstanding",
            "cancer_weight_loss": "longstanding",
            "fracture_bone_risk": "longstanding",
        }
        assert found(age=55, weeks=520, **stable) == []

    def test_new_weakness_is_an_emergency_and_new_numbness_in_one_leg_a_same_day_review(self) -> None:
        assert found(neuro_weakness="new") == [("neuro_weakness", "emergency")]
        assert found(neuro_numbness="new") == [("neuro_numbness", "urgent")]

    def test_flags_come_most_urgent_first(self) -> None:
        flags = found(cancer_weight_loss="new", ce_saddle="new", infection_fever="new")
        assert flags == [
            ("ce_saddle", "emergency"),
            ("infection_fever", "urgent"),
            ("cancer_weight_loss", "soon"),
        ]
        assert red_flags.most_urgent([u for _, u in flags]) == "emergency"


class TestInflammatoryBackPain:
    """ASAS (Sieper 2009): 4 of 5 present, 3 of 5 suggested; both reviewed by the pain specialist."""

    def test_four_of_five_is_inflammatory_back_pain_at_review_level(self) -> None:
        # Age 45, pain for 312 weeks (6 years): onset at 39, under 40. Plus three asked items = 4 of 5.
        given = {"ibp_insidious": "longstanding", "ibp_exercise": "longstanding", "ibp_rest": "new"}
        assert found(age=45, weeks=312, **given) == [("ibp_asas", "soon")]
        scored = flag("ibp_asas", age=45, weeks=312, **given)
        assert scored.condition == "inflammatory_back_pain" and scored.answer == ""
        assert scored.clinician.startswith("ASAS inflammatory back pain present: 4 of 5 (onset before 40, ")
        assert "Onset age 39 (age 45, pain 312 weeks)" in scored.clinician
        assert "rheumatology assessment for axial spondyloarthritis is due" in scored.clinician

    def test_three_of_five_is_suggested_and_still_reviewed(self) -> None:
        # Age 52, ten years of pain: onset at 42, not under 40. Three asked items = 3 of 5.
        given = {"ibp_insidious": "longstanding", "ibp_exercise": "longstanding", "ibp_night": "longstanding"}
        scored = flag("ibp_asas", age=52, weeks=520, **given)
        assert scored.urgency == "soon"
        assert scored.clinician.startswith("ASAS inflammatory back pain suggested: 3 of 5 (insidious onset, ")
        assert "rheumatology assessment" in scored.clinician  # onset 42 < 45, pain over 3 months

    def test_two_of_five_raises_no_flag(self) -> None:
        # Age 30, two years: onset 28 (one item) plus better with exercise = 2 of 5.
        assert found(age=30, weeks=104, ibp_exercise="longstanding") == []

    def test_onset_age_is_age_minus_duration_and_40_itself_is_not_before_40(self) -> None:
        three = {"ibp_insidious": "longstanding", "ibp_exercise": "longstanding", "ibp_rest": "longstanding"}
        exactly_40 = flag("ibp_asas", age=41, weeks=52, **three)  # 41 - 1 year = 40
        assert exactly_40.clinician.startswith("ASAS inflammatory back pain suggested: 3 of 5")
        just_under = flag("ibp_asas", age=41, weeks=53, **three)  # 41 - 53/52 years = 39.98
        assert just_under.clinician.startswith("ASAS inflammatory back pain present: 4 of 5 (onset before 40")
        assert red_flags.onset_age(41, 53) == 40 - Fraction(1, 52)

    def test_late_onset_counts_only_the_asked_items_and_no_rheumatology_gate(self) -> None:
        every = {"ibp_insidious": "new", "ibp_exercise": "new", "ibp_rest": "new", "ibp_night": "new"}
        scored = flag("ibp_asas", age=60, weeks=52, **every)  # onset 59
        assert scored.clinician.startswith("ASAS inflammatory back pain present: 4 of 5 (insidious onset")
        assert "rheumatology" not in scored.clinician

    def test_short_pain_is_still_flagged_and_the_note_says_the_criteria_need_three_months(self) -> None:
        given = {"ibp_insidious": "new", "ibp_exercise": "new", "ibp_night": "new"}
        scored = flag("ibp_asas", age=30, weeks=8, **given)
        assert scored.clinician.startswith("ASAS inflammatory back pain present: 4 of 5")
        assert "validated in back pain of more than 3 months; this pain is 8 weeks" in scored.clinician
        assert "rheumatology" not in scored.clinician  # 8 weeks is not over 3 months
        scored_13 = flag("ibp_asas", age=30, weeks=13, **given)
        assert "rheumatology" not in scored_13.clinician  # 3 months is not longer than 3 months
        assert "rheumatology" in flag("ibp_asas", age=30, weeks=14, **given).clinician


class TestRisksThatCountTogether:
    def test_age_over_50_with_new_pain_is_reviewed(self) -> None:
        assert found(age=50, weeks=11) == [("malignancy_age_new_pain", "soon")]
        assert (
            "Age 50 with back pain for 11 weeks"
            in flag("malignancy_age_new_pain", age=50, weeks=11).clinician
        )
        assert found(age=49, weeks=11) == []  # not over 50
        assert found(age=50, weeks=12) == []  # 12 weeks: chronic, not new

    def test_a_minor_fall_with_long_term_steroids_is_a_same_day_review(self) -> None:
        assert found(fracture_minor_injury="new", fracture_bone_risk="longstanding") == [
            ("fracture_fragility", "urgent")
        ]
        assert found(fracture_minor_injury="new", fracture_bone_risk="new") == [
            ("fracture_fragility", "urgent"),
            ("fracture_bone_risk", "soon"),
        ]
        assert found(fracture_minor_injury="new") == []  # a minor fall without thin bones or steroids
        assert found(fracture_minor_injury="longstanding", fracture_bone_risk="longstanding") == []

    def test_an_older_smoker_whose_new_pain_does_not_change_with_movement_is_a_same_day_review(self) -> None:
        assert found(age=65, aaa_smoking="longstanding", aaa_constant="new") == [
            ("vascular_older_smoker", "urgent")
        ]
        assert found(age=60, aaa_smoking="new", aaa_constant="new") == [("vascular_older_smoker", "urgent")]
        assert found(age=59, aaa_smoking="new", aaa_constant="new") == []  # not older
        assert found(age=65, aaa_constant="new") == []  # never smoked
        assert found(age=65, aaa_smoking="new", aaa_constant="longstanding") == []  # pain long like this

    def test_a_new_pulsing_lump_is_same_day_and_with_new_constant_pain_when_older_an_emergency(self) -> None:
        assert found(age=45, aaa_pulsing="new") == [("aaa_pulsing", "urgent")]
        assert found(age=45, aaa_pulsing="longstanding") == [("aaa_pulsing", "soon")]
        assert found(age=68, aaa_pulsing="new", aaa_constant="new") == [
            ("vascular_symptomatic", "emergency"),
            ("aaa_pulsing", "urgent"),
        ]
        assert found(age=45, aaa_pulsing="new", aaa_constant="new") == [("aaa_pulsing", "urgent")]

    def test_cancer_with_new_weight_loss_is_a_same_day_review_even_with_unchanged_pain(self) -> None:
        assert found(cancer_history="longstanding", cancer_weight_loss="new") == [
            ("malignancy_history_weight_loss", "urgent"),
            ("cancer_history", "soon"),
            ("cancer_weight_loss", "soon"),
        ]


class TestRefusals:
    def test_an_unanswered_question_is_never_taken_as_no(self) -> None:
        given = answers()
        del given["ce_bladder"]
        with pytest.raises(RedFlagInputError, match="not answered: ce_bladder") as refused:
            red_flags.evaluate_red_flags(given, age_years=AGE, pain_duration_weeks=WEEKS)
        assert refused.value.field == "red_flags.ce_bladder"

    @pytest.mark.parametrize("answer", [True, False, "yes", "maybe", None, 1])
    def test_an_answer_that_is_not_one_of_the_three_codes_is_refused_naming_the_question(
        self, answer: object
    ) -> None:
        given: dict[str, object] = {**answers(), "ce_bowel": answer}
        with pytest.raises(
            RedFlagInputError, match="ce_bowel: answer one of no, new, longstanding"
        ) as refused:
            red_flags.evaluate_red_flags(given, age_years=AGE, pain_duration_weeks=WEEKS)
        assert refused.value.field == "red_flags.ce_bowel"

    def test_an_unknown_question_is_refused(self) -> None:
        with pytest.raises(RedFlagInputError, match="unknown red-flag question"):
            red_flags.evaluate_red_flags(answers(made_up="no"), age_years=AGE, pain_duration_weeks=WEEKS)

    def test_pain_longer_than_a_life_and_a_missing_age_are_refused(self) -> None:
        with pytest.raises(RedFlagInputError, match="longer than your age") as refused:
            red_flags.evaluate_red_flags(answers(), age_years=30, pain_duration_weeks=52 * 31)
        assert refused.value.field == "pain_duration_weeks"
        with pytest.raises(RedFlagInputError) as no_age:
            red_flags.evaluate_red_flags(answers(), age_years=None, pain_duration_weeks=10)  # type: ignore[arg-type]
        assert no_age.value.field == "age_years"


class TestTheFileIsChecked:
    @pytest.fixture
    def edited(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        """A copy of the screen file that the test edits; the real screen is read again afterwards."""
        copy = tmp_path / "red_flags.yaml"
        copy.write_text(red_flags.RED_FLAGS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
        monkeypatch.setattr(red_flags, "RED_FLAGS_FILE", copy)
        red_flags.screen.cache_clear()
        yield copy
        red_flags.screen.cache_clear()

    def _edit(self, path: Path, question_id: str, answer: str, outcome: object) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        next(q for q in doc["questions"] if q["id"] == question_id)["answers"][answer] = outcome
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    def test_a_long_standing_answer_can_never_be_made_an_emergency(self, edited: Path) -> None:
        emergency = {"urgency": "emergency", "message": "m", "clinician": "c"}
        self._edit(edited, "ce_bladder", "longstanding", emergency)
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"{edited}: question 'ce_bladder', field 'answers': answer longstanding: a long-standing, unchanged"
            ),
        ):
            red_flags.screen()

    def test_no_can_never_be_a_flag_and_every_answer_must_be_mapped(self, edited: Path) -> None:
        self._edit(edited, "ce_bowel", "no", {"urgency": "soon", "message": "m", "clinician": "c"})
        with pytest.raises(
            ValueError,
            match=re.escape(f"{edited}: question 'ce_bowel', field 'answers': answer no: 'no' is never"),
        ):
            red_flags.screen()

    def test_a_question_citing_an_unknown_source_or_family_is_refused_naming_it(self, edited: Path) -> None:
        doc = yaml.safe_load(edited.read_text(encoding="utf-8"))
        doc["questions"][0]["source"] = "NOWHERE-2020"
        doc["combined"][0]["when"]["answers"] = {"no_such_question": ["new"]}
        edited.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        with pytest.raises(ValueError) as refused:
            red_flags.screen()
        first, combined = doc["questions"][0]["id"], doc["combined"][0]["id"]
        assert refused.value.args[0].splitlines() == [
            f"{edited}: question '{first}', field 'source': unknown source 'NOWHERE-2020'",
            f"{edited}: combined '{combined}', field 'when.answers': unknown question 'no_such_question'",
        ]


class TestStoredAnswers:
    def test_this_versions_answers_read_back_in_words_with_the_age(self) -> None:
        stored = answers(ce_bladder="longstanding") | {"age_years": 57, "age_source": "date_of_birth"}
        assert red_flags.answer_summary("rf-2026.2", stored) == [
            (
                "Do you have trouble passing urine? For example, it is hard to start, you cannot empty your "
                "bladder, or you leak.",
                "Yes, but I have had it a long time, it has not changed, and a doctor has checked it",
            ),
            ("Age used by the screen", "57 (date of birth)"),
        ]

    def test_a_record_without_answers_says_so_rather_than_no_to_everything(self) -> None:
        assert red_flags.answer_summary("rf-2026.2", {}) == [("Answers", "not recorded")]

    def test_the_first_versions_yes_no_answers_still_read(self) -> None:
        legacy = {"ce_bladder": True, "ce_bowel": False, "cancer_history": False}
        assert red_flags.answer_summary("rf-2026.1", legacy) == [("ce_bladder", "yes")]
        assert red_flags.answer_summary("rf-2026.1", ["not", "a", "mapping"]) == []
        assert red_flags.screen().conditions["cancer"] == "Cancer (spinal metastases)"


def test_age_counts_completed_years() -> None:
    assert red_flags.age_on(date(1970, 6, 15), date(2026, 6, 14)) == 55
    assert red_flags.age_on(date(1970, 6, 15), date(2026, 6, 15)) == 56
