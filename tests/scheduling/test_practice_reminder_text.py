"""The evening practice reminder agrees with the streak shown beside it on the patient's home."""

from __future__ import annotations

from types import SimpleNamespace

from painrewire.web.templating import templates


def test_the_reminder_keeps_the_streak_going_rather_than_saying_nothing_was_done() -> None:
    home = SimpleNamespace(
        notices=[], appointment_reminder=None, next_appointment=None, upcoming=[], practice_reminder=object()
    )
    html = templates.env.get_template("scheduling/_patient_panel.html").render(
        ctx={"home": home, "zone": "Europe/London", "soon": ""}
    )
    # Beside "streak 31 days" (which counts up to yesterday until today's practice is done), the reminder
    # must not read as if the patient had never practised.
    assert "not practised" not in html
    assert "Today's practice is still to do. Ten minutes keeps your streak going" in html
