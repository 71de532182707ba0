"""Demo messages: Maria asked her physical therapist about walking and had an answer; her question to the whole
team this morning is still unread, so the care team's home pages show it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.messages.models import Message, MessageReadState, MessageThread


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    now = utcnow()
    maria = clinic.patients["maria"]
    physio = clinic.clinicians[Discipline.PHYSICAL_THERAPIST]

    asked = now - timedelta(days=3, hours=2)
    answered = now - timedelta(days=2, hours=20)
    walking = MessageThread(
        patient_id=maria.id,
        discipline=Discipline.PHYSICAL_THERAPIST,
        subject="Walking when my back tightens",
        started_by_id=maria.user_id,
        created_at=asked,
        last_message_at=answered,
    )
    session.add(walking)
    session.flush()
    session.add_all(
        [
            Message(
                thread_id=walking.id,
                author_id=maria.user_id,
                from_patient=True,
                body="Halfway through my walk my lower back tightens up. Should I stop, or keep going slowly?",
                created_at=asked,
            ),
            Message(
                thread_id=walking.id,
                author_id=physio.id,
                from_patient=False,
                body=(
                    "Keep going slowly if you can. The tightness is your nervous system being careful, "
                    "not damage. Notice it with curiosity, as in somatic tracking, and shorten the walk a "
                    "little if it stays above a 5. We can look at it together on Thursday."
                ),
                created_at=answered,
            ),
            MessageReadState(thread_id=walking.id, user_id=maria.user_id, read_until=answered),
            MessageReadState(thread_id=walking.id, user_id=physio.id, read_until=answered),
        ]
    )

    this_morning = now - timedelta(hours=3)
    question = MessageThread(
        patient_id=maria.id,
        discipline=None,
        subject="Gardening this weekend",
        started_by_id=maria.user_id,
        created_at=this_morning,
        last_message_at=this_morning,
    )
    session.add(question)
    session.flush()
    session.add_all(
        [
            Message(
                thread_id=question.id,
                author_id=maria.user_id,
                from_patient=True,
                body="Is it all right to do some light weeding this weekend, or is that too soon?",
                created_at=this_morning,
            ),
            MessageReadState(thread_id=question.id, user_id=maria.user_id, read_until=this_morning),
        ]
    )
    session.flush()
