"""Downloads for the patient: all of their own data as JSON (the PDF report is in `painrewire.reports`)."""

from __future__ import annotations

import json

from fastapi.responses import Response

from painrewire.interop import personal_data
from painrewire.web.deps import CurrentPatientUser, SessionDep
from painrewire.web.routing import page_router

router = page_router()


@router.get("/patient/my-data.json")
def my_data(user: CurrentPatientUser, session: SessionDep) -> Response:
    document = personal_data.own_data(session, user)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-painrewire-data.json"',
            "Cache-Control": "no-store, private",
        },
    )
