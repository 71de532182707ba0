"""Every table of every domain, listed once, for Alembic and for what walks every table (erasure, the
personal-data export, the tests that compare models and migrations).

A new domain's ``models.py`` is added here (``tests/web/test_app_routers.py`` fails until it is).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from painrewire.accounts import models as accounts_models
from painrewire.assessments import models as assessments_models
from painrewire.clearance import models as clearance_models
from painrewire.clinical_flags import models as clinical_flags_models
from painrewire.consent import models as consent_models
from painrewire.db import Base
from painrewire.diary import models as diary_models
from painrewire.directory import models as directory_models
from painrewire.interop import models as interop_models
from painrewire.letters import models as letters_models
from painrewire.messages import models as messages_models
from painrewire.neurofeedback import models as neurofeedback_models
from painrewire.notes import models as notes_models
from painrewire.notifications import models as notifications_models
from painrewire.outbox import models as outbox_models
from painrewire.patients import models as patients_models
from painrewire.physicians import models as physicians_models
from painrewire.plans import models as plans_models
from painrewire.practice import models as practice_models
from painrewire.programs.cbt import models as cbt_models
from painrewire.programs.gmi import models as gmi_models
from painrewire.programs.mindfulness import models as mindfulness_models
from painrewire.programs.prt import models as prt_models
from painrewire.referrals import models as referrals_models
from painrewire.risk import models as risk_models
from painrewire.scheduling import models as scheduling_models
from painrewire.therapy_preferences import models as therapy_preferences_models
from painrewire.treatment_history import models as treatment_history_models

_MODULES = (
    accounts_models,
    assessments_models,
    clearance_models,
    clinical_flags_models,
    consent_models,
    diary_models,
    directory_models,
    interop_models,
    letters_models,
    messages_models,
    neurofeedback_models,
    notes_models,
    notifications_models,
    outbox_models,
    patients_models,
    physicians_models,
    plans_models,
    practice_models,
    cbt_models,
    gmi_models,
    mindfulness_models,
    prt_models,
    referrals_models,
    risk_models,
    scheduling_models,
    therapy_preferences_models,
    treatment_history_models,
)

#: The modules whose tables make up the schema.
MODEL_MODULES: tuple[str, ...] = tuple(m.__name__ for m in _MODULES)


def import_all_models() -> MetaData:
    """The metadata holding every domain's tables (all imported above)."""
    return Base.metadata
