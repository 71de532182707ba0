"""Evaluation: apply checked rules to an assessment profile, then respect the patient's choices, consent and
the clinic's weekly cap.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Mapping, Sequence

from painrewire.plans.labels import (
    MODULE_WORDS,
    and_list,
)
from painrewire.plans.rules.reasons import fill_reason
from painrewire.plans.rules.schema import load_rules
from painrewire.plans.rules.types import (
    CAP_SETTINGS,
    CONSENT_HREF,
    DEFAULT_INTENSITY,
    DISCIPLINES,
    INSTRUMENTS,
    INTENSITIES,
    MODULE_CONSENT,
    MODULE_DISCIPLINES,
    MODULE_FOCUS,
    MODULES,
    PREFERENCES_HREF,
    SCHEDULES,
    AssessmentProfile,
    FiredRule,
    ModuleEffect,
    PlannedModule,
    PlanProposal,
    QuestionnaireSchedule,
    Rule,
    RuleSet,
)

# --- evaluation ---------------------------------------------------------------------------------------


def schedule_weeks(schedule: Collection[str], end_week: int) -> tuple[int, ...]:
    """The plan weeks a questionnaire is repeated in, from schedule words (`SCHEDULES`) and the end week.

    ``baseline`` is week 0, ``every_2_weeks`` weeks 0, 2, 4, ... up to the end week, ``end`` the end week.
    """
    unknown = sorted(set(schedule) - set(SCHEDULES))
    if unknown:
        raise ValueError(f"unknown schedule {unknown[0]!r} (known: {', '.join(SCHEDULES)})")
    weeks: set[int] = set()
    if "baseline" in schedule:
        weeks.add(0)
    if "every_2_weeks" in schedule:
        weeks.update(range(0, end_week + 1, 2))
    if "end" in schedule:
        weeks.add(end_week)
    return tuple(sorted(weeks))


def schedule_words(weeks: Collection[int], end_week: int) -> tuple[str, ...]:
    """The schedule words that give these weeks back with `schedule_weeks`, or ``()`` when none do.

    A clinician edits a questionnaire's schedule as words (baseline, every 2 weeks, end), so that it follows
    the plan when its length changes; a stored list of weeks is read back into those words here.
    """
    wanted = set(weeks)
    for size in range(len(SCHEDULES), 0, -1):
        for words in itertools.combinations(SCHEDULES, size):
            if set(schedule_weeks(words, end_week)) == wanted:
                return words
    return ()


def evaluate_rules(profile: AssessmentProfile, rules: RuleSet | None = None) -> PlanProposal:
    """Apply the rules in file order to an assessment and return the proposed plan.

    Parameters
    ----------
    profile : AssessmentProfile
        The patient's assessment as plain values.
    rules : RuleSet | None
        Checked rules (`load_rules`); ``None`` loads the clinic default.

    Returns
    -------
    proposal : PlanProposal
        Modules, disciplines and questionnaires in their fixed display order (`MODULES`, `DISCIPLINES`,
        `INSTRUMENTS`), fired rules in file order with their reasons filled in.

    Notes
    -----
    When several rules add the same module, the plan keeps the most sessions per week, the most weeks and
    every focus asked for. When rules set different intensities the most support wins (`INTENSITIES`);
    without any, the plan is ``standard``. A rule with ``stop: true`` ends evaluation: later rules are not
    applied. Questionnaire weeks run from 0 (baseline) to the plan's end week, the longest module's length;
    ``every_2_weeks`` means weeks 0, 2, 4, ... up to the end week.

    After the rules, whatever they asked for: a module the patient said no to is left out, and so is a module
    that needs a consent the patient has not given (`MODULE_CONSENT`), each with a reason that says so and
    where to change it. The reasons of the rules that asked for it are not shown (they would speak of a module
    the plan does not have); their other effects still apply. Then the weekly practice is capped
    (`cap_sessions`), with a reason giving the numbers when it trims the plan.
    """
    rule_set = rules if rules is not None else load_rules()
    module_parts: dict[str, list[ModuleEffect]] = {}
    disciplines: set[str] = set()
    schedules: dict[str, set[str]] = {}
    intensities: list[str] = []
    hold_reasons: list[str] = []
    review_reasons: list[str] = []
    fired: list[FiredRule] = []
    applied: list[Rule] = []
    for rule in rule_set.rules:
        if not rule.condition.holds(profile):
            continue
        clinician = fill_reason(rule.reason_clinician, profile, rule_set.settings)
        patient = fill_reason(rule.reason_patient, profile, rule_set.settings)
        fired.append(
            FiredRule(
                rule.id,
                clinician,
                patient,
                quotes_evidence=rule.quotes_evidence,
                href=rule.href,
                link_text=rule.link_text,
            )
        )
        applied.append(rule)
        for effect in rule.add_modules:
            module_parts.setdefault(effect.module, []).append(effect)
        disciplines.update(rule.add_disciplines)
        for q in rule.repeat_questionnaires:
            schedules.setdefault(q.instrument, set()).update(q.schedule)
        if rule.set_intensity is not None:
            intensities.append(rule.set_intensity)
        if rule.hold:
            hold_reasons.append(clinician)
        if rule.flag_for_review:
            review_reasons.append(clinician)
        if rule.stop:
            break
    left_out, notes = _leave_out(profile, module_parts, applied)
    for module in left_out:
        del module_parts[module]
    disciplines -= {d for module in left_out for d in MODULE_DISCIPLINES.get(module, ())}
    fired = [f for f, rule in zip(fired, applied, strict=True) if not _asks_for(rule, left_out)]
    modules = tuple(
        PlannedModule(
            id=module,
            sessions_per_week=max(p.sessions_per_week for p in module_parts[module]),
            weeks=max(p.weeks for p in module_parts[module]),
            focus=tuple(f for f in MODULE_FOCUS[module] if any(f in p.focus for p in module_parts[module])),
        )
        for module in MODULES
        if module in module_parts
    )
    modules, capped = _cap_sessions(modules, rule_set)
    fired += notes + ([capped] if capped is not None else [])
    if left_out and not modules:
        review_reasons.append(
            "No module is left once the patient's choices are respected: talk with them about the plan."
        )
    end_week = max((m.weeks for m in modules), default=0)
    return PlanProposal(
        modules=modules,
        disciplines=tuple(d for d in DISCIPLINES if d in disciplines),
        questionnaires=tuple(
            QuestionnaireSchedule(i, schedule_weeks(schedules[i], end_week))
            for i in INSTRUMENTS
            if i in schedules
        ),
        intensity=max(intensities, key=INTENSITIES.index) if intensities else DEFAULT_INTENSITY,
        end_week=end_week,
        held=bool(hold_reasons),
        hold_reasons=tuple(hold_reasons),
        review_reasons=tuple(review_reasons),
        fired=tuple(fired),
        rules_version=rule_set.version,
    )


def withdrawn_evidence(fired: Sequence[FiredRule], profile: AssessmentProfile, rules: RuleSet) -> set[str]:
    """Return the fired rules whose patient reason quotes study results and no longer fits the patient.

    Parameters
    ----------
    fired : sequence of FiredRule
        The rules that fired when a stored plan was proposed.
    profile : AssessmentProfile
        The patient's assessment now.
    rules : RuleSet
        The clinic's rules now.

    Returns
    -------
    withdrawn : set of str
        Ids of the fired rules that quote evidence whose condition is false for ``profile`` now, or that are no
        longer in the rule file (their claim can no longer be checked). Their patient reasons must not be
        shown. Other reasons stand as they were when the plan was proposed.
    """
    by_id = {rule.id: rule for rule in rules.rules}
    withdrawn = set()
    for entry in fired:
        if not entry.quotes_evidence:
            continue
        rule = by_id.get(entry.id)
        if rule is None or not rule.condition.holds(profile):
            withdrawn.add(entry.id)
    return withdrawn


def _word(module: str, *, start: bool = False) -> str:
    words = MODULE_WORDS[module]
    return words[0].upper() + words[1:] if start else words


def _asks_for(rule: Rule, left_out: Collection[str]) -> bool:
    """Whether the rule asked for a module that was left out: its reasons would speak of that module, so they
    are not shown (its other effects, such as a discipline or a questionnaire, still apply)."""
    return any(e.module in left_out for e in rule.add_modules)


def _also_does(rule: Rule, module: str) -> bool:
    """Whether the rule does more than add this module and the disciplines only that module needs."""
    own = set(MODULE_DISCIPLINES.get(module, ()))
    return (
        any(e.module != module for e in rule.add_modules)
        or not set(rule.add_disciplines) <= own
        or rule.set_intensity is not None
        or bool(rule.repeat_questionnaires)
        or rule.hold
        or rule.flag_for_review
        or rule.stop
    )


def _leave_out(
    profile: AssessmentProfile, module_parts: Mapping[str, Sequence[ModuleEffect]], applied: Sequence[Rule]
) -> tuple[list[str], list[FiredRule]]:
    """Modules the rules asked for that the patient declined or has not consented to, with a reason each."""
    left_out: list[str] = []
    notes: list[FiredRule] = []
    for module in MODULES:
        if module not in module_parts:
            continue
        asked = [r for r in applied if any(e.module == module for e in r.add_modules)]
        asking = ", ".join(r.id for r in asked)
        if any(_also_does(r, module) for r in asked):
            asking += " (their other effects stay in the plan)"
        label = _word(module, start=True)
        if profile.preferences.choice(module) == "decline":
            left_out.append(module)
            notes.append(
                FiredRule(
                    f"declined_{module}",
                    f"{label} left out: the patient said no to it on their preferences page. Rules that "
                    f"would have added it: {asking}.",
                    f"{label} is not in your plan because you said no to it. You can change this on your "
                    "preferences page.",
                    href=PREFERENCES_HREF.format(module=module),
                    link_text="Your therapy preferences",
                )
            )
            continue
        kind = MODULE_CONSENT.get(module)
        if kind is not None and getattr(profile.consent, kind) is not True:
            left_out.append(module)
            notes.append(
                FiredRule(
                    f"consent_needed_{module}",
                    f"{label} left out until the patient has agreed to it: there is no current "
                    f"{kind.replace('_', ' ')} consent. Rules that would add it: {asking}. Propose the plan "
                    "again once they have agreed.",
                    f"{label} can be offered to you once you have agreed to it. You can read what it involves, "
                    "and agree or not, on your consent page.",
                    href=CONSENT_HREF.format(kind=kind),
                    link_text="Your consent page",
                )
            )
    return left_out, notes


def session_caps(rules: RuleSet) -> tuple[int, int]:
    """The clinic's weekly caps: sessions of one module, and sessions in all (settings, else the defaults)."""
    per_module, total = (
        int(rules.settings[name].value) if name in rules.settings else default
        for name, (default, _, _) in CAP_SETTINGS.items()
    )
    return per_module, total


def cap_sessions(asked: Mapping[str, int], per_module: int, total: int) -> dict[str, int]:
    """Sessions a week per module within the caps.

    Parameters
    ----------
    asked : mapping of module to int
        Sessions a week the rules asked for, each 1 or more.
    per_module : int
        Most sessions a week of any one module.
    total : int
        Most sessions a week in all; at least the number of modules.

    Returns
    -------
    capped : dict of module to int
        Each module cut to ``per_module``; then, while the week holds more than ``total``, one session less
        for the module with the most (on a tie, the one listed later in `MODULES`, so PRT, the lead method,
        goes last), never below 1.
    """
    capped = {m: min(n, per_module) for m, n in asked.items()}
    while sum(capped.values()) > total:
        trimmable = [m for m, n in capped.items() if n > 1]
        if not trimmable:
            break
        biggest = max(trimmable, key=lambda m: (capped[m], MODULES.index(m)))
        capped[biggest] -= 1
    return capped


def _cap_sessions(
    modules: tuple[PlannedModule, ...], rules: RuleSet
) -> tuple[tuple[PlannedModule, ...], FiredRule | None]:
    per_module, total = session_caps(rules)
    asked = {m.id: m.sessions_per_week for m in modules}
    capped = cap_sessions(asked, per_module, total)
    if capped == asked:
        return modules, None
    changed = [m for m in asked if capped[m] != asked[m]]
    asked_total, now_total = sum(asked.values()), sum(capped.values())
    limits = (
        "at most one session of each kind a day" if per_module == 7 else f"at most {per_module} of each kind"
    )
    each = ", ".join(f"{_word(m, start=True)} {n}" for m, n in asked.items())
    clinician = (
        f"Weekly practice capped by the clinic settings (at most {per_module} sessions a week of each module, "
        f"{total} in all): the rules asked for {asked_total} a week ({each}); the plan has {now_total}. "
        + " ".join(f"{_word(m, start=True)}: {asked[m]} → {capped[m]} a week." for m in changed)
    )
    patient = (
        f"To keep your week manageable, your plan has at most {total} practice sessions a week, and {limits}. "
        f"The rules asked for {asked_total}, so "
        + and_list([f"{_word(m)} goes from {asked[m]} to {capped[m]} a week" for m in changed])
        + "."
    )
    trimmed = tuple(dataclasses.replace(m, sessions_per_week=capped[m.id]) for m in modules)
    return trimmed, FiredRule("weekly_cap", clinician, patient)
