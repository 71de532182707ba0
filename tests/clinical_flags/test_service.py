"""Clinical flags: a care-team clinician records a judgement with why, clears it when it no longer holds, and the
plan rules read only what stands; nobody else can record one."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clinical_flags import service as flags
from painrewire.clinical_flags.models import FlagKind
from painrewire.clinical_flags.schemas import FlagClear, FlagCreate
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient

FEAR = FlagCreate(kind=FlagKind.FEAR_OF_MOVEMENT, note="  Holds her breath   and braces to bend ")


class TestRecordFlag:
    def test_a_patient_cannot_record_one(self, session: Session, patient: Patient) -> None:
        with pytest.raises(Forbidden, match="Only a clinician on the patient's care team"):
            flags.record_flag(session, patient.user, patient.id, FEAR)

    def test_a_clinician_not_on_the_team_does_not_find_the_patient(
        self, session: Session, other_clinician: User, patient: Patient
    ) -> None:
        with pytest.raises(NotFound):
            flags.record_flag(session, other_clinician, patient.id, FEAR)

    def test_it_keeps_who_when_and_the_note_tidied(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        flag = flags.record_flag(session, clinician, patient.id, FEAR)
        assert (flag.kind, flag.note, flag.recorded_by_id) == (
            FlagKind.FEAR_OF_MOVEMENT,
            "Holds her breath and braces to bend",
            clinician.id,
        )
        assert flag.standing and flag.recorded_by is not None
        assert [f.kind for f in flags.standing_for(session, patient)] == [FlagKind.FEAR_OF_MOVEMENT]

    def test_a_note_too_short_to_say_why_is_refused_naming_the_field(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput, match="note: say what you saw or heard") as refused:
            flags.record_flag(
                session, clinician, patient.id, FlagCreate(kind=FlagKind.WORRY_OR_LOW_MOOD, note=" sad  ")
            )
        assert refused.value.field == "note"
        assert flags.history_for(session, patient) == []

    def test_the_same_judgement_cannot_stand_twice(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        flags.record_flag(session, clinician, patient.id, FEAR)
        with pytest.raises(Conflict, match="“Fear of movement observed” is already recorded"):
            flags.record_flag(session, clinician, patient.id, FEAR)
        assert len(flags.history_for(session, patient)) == 1


class TestClearFlag:
    def test_cleared_it_no_longer_stands_and_the_history_keeps_both_periods(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        first = flags.record_flag(session, clinician, patient.id, FEAR)
        cleared = flags.clear_flag(
            session, clinician, patient.id, first.id, FlagClear(note="Bends freely now")
        )
        assert not cleared.standing and cleared.cleared_by_id == clinician.id
        assert cleared.clear_note == "Bends freely now"
        assert flags.standing_for(session, patient) == []
        flags.record_flag(session, clinician, patient.id, FEAR)  # seen again later: a new period
        assert [f.standing for f in flags.history_for(session, patient)] == [True, False]

    def test_clearing_twice_is_a_conflict(self, session: Session, clinician: User, patient: Patient) -> None:
        flag = flags.record_flag(session, clinician, patient.id, FEAR)
        flags.clear_flag(session, clinician, patient.id, flag.id, FlagClear())
        with pytest.raises(Conflict, match="was already cleared"):
            flags.clear_flag(session, clinician, patient.id, flag.id, FlagClear())

    def test_another_patients_flag_is_not_found(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        other = create_patient(session, care_team=[clinician])
        flag = flags.record_flag(session, clinician, other.id, FEAR)
        with pytest.raises(NotFound, match="No such clinical judgement"):
            flags.clear_flag(session, clinician, patient.id, flag.id, FlagClear())
