"""What changed between two versions of a plan, in sentences a clinician reads in the plan's history.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from painrewire.plans.labels import (
    DISCIPLINE_LABELS,
    FOCUS_LABELS,
    INSTRUMENT_LABELS,
    INTENSITY_LABELS,
    MODULE_LABELS,
    weeks_text,
)
from painrewire.plans.rules import PlannedModule, PlanProposal


def _module_text(module: PlannedModule) -> str:
    focus = f", focus: {', '.join(FOCUS_LABELS[f] for f in module.focus)}" if module.focus else ""
    return f"{module.sessions_per_week} a week for {module.weeks} weeks{focus}"


def describe_changes(old: PlanProposal | None, new: PlanProposal) -> list[str]:
    """Sentences naming every difference a clinician can make or the rules can produce.

    Parameters
    ----------
    old : PlanProposal | None
        The previous version; ``None`` for the first version of a plan.
    new : PlanProposal

    Returns
    -------
    changes : list of str
        In a fixed order: modules, disciplines, questionnaires, intensity, hold; empty when nothing changed.
    """
    if old is None:
        return ["First version of the plan."]
    changes: list[str] = []
    before = {m.id: m for m in old.modules}
    after = {m.id: m for m in new.modules}
    for module_id in [m.id for m in old.modules] + [m for m in after if m not in before]:
        label = MODULE_LABELS.get(module_id, module_id)
        was, now = before.get(module_id), after.get(module_id)
        if was is None and now is not None:
            changes.append(f"Added {label}: {_module_text(now)}.")
        elif was is not None and now is None:
            changes.append(f"Removed {label} (was {_module_text(was)}).")
        elif was is not None and now is not None:
            if was.sessions_per_week != now.sessions_per_week:
                changes.append(f"{label}: {was.sessions_per_week} → {now.sessions_per_week} sessions a week.")
            if was.weeks != now.weeks:
                changes.append(f"{label}: {was.weeks} → {now.weeks} weeks.")
            added = [FOCUS_LABELS.get(f, f) for f in now.focus if f not in was.focus]
            dropped = [FOCUS_LABELS.get(f, f) for f in was.focus if f not in now.focus]
            if added:
                changes.append(f"{label}: added focus {', '.join(added)}.")
            if dropped:
                changes.append(f"{label}: removed focus {', '.join(dropped)}.")
    for discipline in new.disciplines:
        if discipline not in old.disciplines:
            changes.append(f"Added {DISCIPLINE_LABELS.get(discipline, discipline).lower()} to the care team.")
    for discipline in old.disciplines:
        if discipline not in new.disciplines:
            changes.append(
                f"Removed {DISCIPLINE_LABELS.get(discipline, discipline).lower()} from the care team."
            )
    q_before = {q.instrument: q.weeks for q in old.questionnaires}
    q_after = {q.instrument: q.weeks for q in new.questionnaires}
    for instrument in [q.instrument for q in old.questionnaires] + [i for i in q_after if i not in q_before]:
        label = INSTRUMENT_LABELS.get(instrument, instrument)
        was_weeks, now_weeks = q_before.get(instrument), q_after.get(instrument)
        if was_weeks is None and now_weeks is not None:
            changes.append(f"{label} added: {weeks_text(now_weeks)}.")
        elif was_weeks is not None and now_weeks is None:
            changes.append(f"{label} no longer repeated (was {weeks_text(was_weeks)}).")
        elif was_weeks != now_weeks and was_weeks is not None and now_weeks is not None:
            changes.append(f"{label}: {weeks_text(was_weeks)} → {weeks_text(now_weeks)}.")
    if old.intensity != new.intensity:
        changes.append(
            f"Intensity: {INTENSITY_LABELS.get(old.intensity, old.intensity)} → "
            f"{INTENSITY_LABELS.get(new.intensity, new.intensity)}."
        )
    if old.held != new.held:
        changes.append("Now on hold." if new.held else "No longer on hold.")
    old_rules = [f.id for f in old.fired]
    new_rules = [f.id for f in new.fired]
    if old_rules != new_rules:
        gained = [r for r in new_rules if r not in old_rules]
        lost = [r for r in old_rules if r not in new_rules]
        if gained:
            changes.append(f"Rules now firing: {', '.join(gained)}.")
        if lost:
            changes.append(f"Rules no longer firing: {', '.join(lost)}.")
    return changes
