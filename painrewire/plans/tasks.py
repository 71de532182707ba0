"""A week's practice tasks from a signed plan, and how far the patient is with each.

The catalogue lives in ``tasks.yaml`` beside this module. Progress is counted from the practice log: the
caller passes how many practice rows of each (module, activity) fall in the plan week and on the day.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from painrewire.plans.rules import MODULE_FOCUS, MODULES, PlanProposal

TASKS_FILE = Path(__file__).with_name("tasks.yaml")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TaskFileError(ValueError):
    """The task catalogue cannot be used; the message names the task and what is wrong."""


@dataclass(frozen=True)
class TaskDefinition:
    id: str
    module: str
    title: str
    href: str
    per_week: int | None  # None: the module's sessions a week from the plan
    activity: str  # "*" for any practice of the module
    focus: str | None
    weeks: tuple[int, ...] | None
    minutes: int


@dataclass(frozen=True)
class TaskCatalogue:
    version: str
    tasks: tuple[TaskDefinition, ...]
    holds: dict[str, str]

    def hold_message(self, kind: str) -> str:
        return self.holds.get(kind, self.holds["default"])


@dataclass(frozen=True)
class Task:
    """One task this week: how many times it is asked for, how many are done, and whether today's is."""

    id: str
    module: str
    title: str
    href: str
    minutes: int
    target: int
    done: int
    done_today: int

    @property
    def complete(self) -> bool:
        return self.done >= self.target

    @property
    def left(self) -> int:
        return max(0, self.target - self.done)


def parse_tasks(document: Any, *, origin: str = "tasks") -> TaskCatalogue:
    """Check a task catalogue document (as loaded from YAML)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("tasks"), Mapping):
        raise TaskFileError(f"{origin}: the file needs a 'tasks' mapping of module to a list of tasks")
    tasks: list[TaskDefinition] = []
    seen: set[str] = set()
    for module, entries in document["tasks"].items():
        if module not in MODULES:
            raise TaskFileError(f"{origin}: unknown module {module!r} (known: {', '.join(MODULES)})")
        if not isinstance(entries, list):
            raise TaskFileError(f"{origin}: the tasks of {module} must be a list")
        for raw in entries:
            tasks.append(_parse_task(raw, module, origin, seen))
    holds = document.get("holds")
    if not isinstance(holds, Mapping) or not isinstance(holds.get("default"), str):
        raise TaskFileError(f"{origin}: 'holds' must give at least a 'default' message")
    return TaskCatalogue(
        version=str(document.get("version", "")),
        tasks=tuple(tasks),
        holds={str(k): str(v).strip() for k, v in holds.items()},
    )


def _parse_task(raw: Any, module: str, origin: str, seen: set[str]) -> TaskDefinition:
    if not isinstance(raw, Mapping):
        raise TaskFileError(f"{origin}: each task of {module} must be a mapping")
    task_id = raw.get("id")
    if not isinstance(task_id, str) or not _ID.match(task_id) or task_id in seen:
        raise TaskFileError(f"{origin}: task id {task_id!r} must be unique and lower_case_with_underscores")
    seen.add(task_id)
    where = f"{origin}: task {task_id}"
    for key in ("title", "href", "activity"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TaskFileError(f"{where}: {key} must be text")
    if not raw["href"].startswith("/"):
        raise TaskFileError(f"{where}: href must be a path in the app, starting with /")
    per_week = raw.get("per_week")
    if per_week != "plan" and (
        isinstance(per_week, bool) or not isinstance(per_week, int) or not 1 <= per_week <= 14
    ):
        raise TaskFileError(f"{where}: per_week is 'plan' or a whole number from 1 to 14")
    focus = raw.get("focus")
    if focus is not None and focus not in MODULE_FOCUS[module]:
        raise TaskFileError(f"{where}: unknown focus {focus!r} for {module}")
    weeks = raw.get("weeks")
    if weeks is not None and (
        not isinstance(weeks, list) or not weeks or not all(isinstance(w, int) and w >= 1 for w in weeks)
    ):
        raise TaskFileError(f"{where}: weeks is a list of plan weeks (1 or more)")
    minutes = raw.get("minutes", 5)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 240:
        raise TaskFileError(f"{where}: minutes is a whole number from 1 to 240")
    return TaskDefinition(
        id=task_id,
        module=module,
        title=raw["title"].strip(),
        href=raw["href"],
        per_week=None if per_week == "plan" else int(per_week),
        activity=raw["activity"],
        focus=focus,
        weeks=tuple(weeks) if weeks is not None else None,
        minutes=minutes,
    )


@lru_cache
def task_catalogue() -> TaskCatalogue:
    """The clinic's task catalogue, shipped beside this module."""
    return parse_tasks(yaml.safe_load(TASKS_FILE.read_text(encoding="utf-8")), origin=str(TASKS_FILE))


def _count(counts: Mapping[tuple[str, str], int], module: str, activity: str) -> int:
    if activity == "*":
        return sum(n for (m, _), n in counts.items() if m == module)
    return counts.get((module, activity), 0)


def weekly_tasks(
    plan: PlanProposal,
    week: int,
    week_counts: Mapping[tuple[str, str], int],
    today_counts: Mapping[tuple[str, str], int],
    catalogue: TaskCatalogue | None = None,
) -> list[Task]:
    """The tasks of one plan week, in the plan's module order, each with what is done.

    Parameters
    ----------
    plan : PlanProposal
        The signed plan.
    week : int
        Plan week, 1 for the first week. A module runs in weeks 1 to its ``weeks``.
    week_counts, today_counts : mapping of (module, activity) to int
        Practice rows logged in that plan week, and today.
    catalogue : TaskCatalogue | None
        The clinic's catalogue when None.
    """
    chosen = catalogue or task_catalogue()
    tasks: list[Task] = []
    for module in plan.modules:
        if not 1 <= week <= module.weeks:
            continue
        for definition in chosen.tasks:
            if definition.module != module.id:
                continue
            if definition.focus is not None and module.focus and definition.focus not in module.focus:
                continue
            if definition.weeks is not None and week not in definition.weeks:
                continue
            tasks.append(
                Task(
                    id=definition.id,
                    module=module.id,
                    title=definition.title,
                    href=definition.href,
                    minutes=definition.minutes,
                    target=definition.per_week or module.sessions_per_week,
                    done=_count(week_counts, module.id, definition.activity),
                    done_today=_count(today_counts, module.id, definition.activity),
                )
            )
    return tasks


def next_task(tasks: list[Task]) -> Task | None:
    """What to do next: the first unfinished task not yet done today, else the first unfinished one."""
    open_tasks = [t for t in tasks if not t.complete]
    return next((t for t in open_tasks if t.done_today == 0), open_tasks[0] if open_tasks else None)
