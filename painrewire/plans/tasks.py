"""A week's practice tasks from a signed plan, and how far the patient is with each.

The catalogue lives in ``tasks.yaml`` beside this module. Progress is counted from the practice log: the
caller passes how many practice rows of each (module, activity) fall in the plan week and on the day.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from painrewire.content import ContentModel, read_yaml, validate
from painrewire.plans.rules import MODULE_FOCUS, MODULES, PlanProposal

TASKS_FILE = Path(__file__).with_name("tasks.yaml")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


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


class TaskEntry(ContentModel):
    """One task of a module in ``tasks.yaml`` (see the comment at the top of the file)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Unique, lower_case_with_underscores.")
    title: Text
    href: str
    per_week: Literal["plan"] | Annotated[int, Field(ge=1, le=14, strict=True)]
    activity: Text
    focus: str | None = None
    weeks: list[Annotated[int, Field(ge=1, strict=True)]] | None = Field(default=None, min_length=1)
    minutes: int = Field(default=5, ge=1, le=240, strict=True)

    @field_validator("href")
    @classmethod
    def _in_the_app(cls, value: str) -> str:
        if not value.strip() or not value.startswith("/"):
            raise ValueError("href must be a path in the app, starting with /")
        return value


class TasksFile(ContentModel):
    """``tasks.yaml``: tasks by module, and the messages shown while a plan is held."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "tasks": ("module", "task"),
        "holds": ("hold message",),
    }

    version: str | int | float = ""
    tasks: dict[str, list[TaskEntry]]
    holds: dict[str, str]

    @field_validator("tasks")
    @classmethod
    def _known_modules_focus_and_unique_ids(
        cls, value: dict[str, list[TaskEntry]]
    ) -> dict[str, list[TaskEntry]]:
        seen: set[str] = set()
        for module, entries in value.items():
            if module not in MODULES:
                raise ValueError(f"unknown module {module!r} (known: {', '.join(MODULES)})")
            for entry in entries:
                if entry.id in seen:
                    raise ValueError(f"task {entry.id!r}: the id is used by another task too")
                seen.add(entry.id)
                if entry.focus is not None and entry.focus not in MODULE_FOCUS[module]:
                    raise ValueError(f"task {entry.id!r}: unknown focus {entry.focus!r} for {module}")
        return value

    @model_validator(mode="after")
    def _default_hold(self) -> TasksFile:
        if "default" not in self.holds:
            raise ValueError("'holds' must give at least a 'default' message")
        return self


def parse_tasks(document: Any, *, origin: str | Path = TASKS_FILE) -> TaskCatalogue:
    """Check a task catalogue document (as loaded from YAML).

    Raises
    ------
    painrewire.content.ContentError
        Naming the file, the task and the field.
    """
    checked = validate(document, TasksFile, origin=origin)
    return TaskCatalogue(
        version=str(checked.version),
        tasks=tuple(
            TaskDefinition(
                id=entry.id,
                module=module,
                title=entry.title,
                href=entry.href,
                per_week=None if entry.per_week == "plan" else entry.per_week,
                activity=entry.activity,
                focus=entry.focus,
                weeks=tuple(entry.weeks) if entry.weeks is not None else None,
                minutes=entry.minutes,
            )
            for module, entries in checked.tasks.items()
            for entry in entries
        ),
        holds={k: v.strip() for k, v in checked.holds.items()},
    )


@lru_cache
def task_catalogue() -> TaskCatalogue:
    """The clinic's task catalogue, shipped beside this module."""
    return parse_tasks(read_yaml(TASKS_FILE), origin=TASKS_FILE)


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
