"""Movement texts build confidence in the back: no step tells a patient to guard it.

Advice such as "bend your knees", "keep your back straight" or "lift with your legs" teaches that the back
is fragile, in a programme that teaches it is safe (see the sources in ``movements.yaml``). Every string a
patient reads in the GMI and PRT content is searched for the protective cues below; in the texts that
tell a patient how to move (the graded movement ladder, the imagined movements, somatic tracking, the
PRT sessions' home practice), words of caution ("careful", "safe today") are refused as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from painrewire.programs.gmi import content

PROGRAMS = Path(content.__file__).resolve().parents[1]
TEMPLATES = PROGRAMS.parent / "web" / "templates"

#: Protective cues: instructions to guard the back. Refused in every GMI and PRT text a patient reads.
PROTECTIVE_CUES = (
    r"bend (?:your |the |at the )?knees",
    r"knees (?:and|&) hips",
    r"(?:soft|bent) knees|knees (?:soft|bent)",
    r"straight back|back straight|straighten your back",
    r"lift(?:ing)? (?:with|from) (?:your |the )?(?:legs|knees|thighs)",
    r"protect (?:your |the )?(?:back|spine|lower back)",
    r"brac(?:e|ing) (?:your|the)",
    r"(?:tighten|engage|switch on|activate|pull in) (?:your )?(?:core|tummy|stomach|abdominals|abs)",
    r"neutral spine|neutral back",
    r"hinge (?:at|from) the hips|hip hinge",
    r"support your (?:back|spine)",
    r"(?:avoid|don't|do not|never) (?:bend|bending|twist|twisting|lift|lifting|round|rounding)",
    r"round(?:ing)? your back",
    r"(?:weak|fragile|vulnerable) (?:back|spine)",
)
#: Words of caution, refused as well in the texts that say how to move.
CAUTION = (
    r"\bcareful(?:ly)?\b",
    r"\btake care\b",
    r"\bas far as (?:it )?(?:feels|is) safe\b",
    r"\bsafe (?:today|for you)\b",
    r"\bguard(?:ing)?\b",
    r"\bwatch your back\b",
)


def _strings(node: Any) -> Iterator[str]:
    """Every string value in a parsed YAML document (comments, which carry the sources, are not read)."""
    if isinstance(node, str):
        yield " ".join(node.split())
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _yaml(path: Path) -> list[str]:
    return list(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))


def movement_texts() -> dict[str, list[str]]:
    """The texts that tell a patient how to move, as they are shown."""
    ladder = content.ladder()
    imagery = content.imagery().values()
    return {
        "gmi/movements.yaml": [t for s in ladder.steps for t in (s.title, s.how)],
        "gmi/imagery.yaml": [t for e in imagery for t in (e.title, e.summary, *(s.text for s in e.steps))],
        "prt/somatic_tracking.yaml": _yaml(PROGRAMS / "prt" / "somatic_tracking.yaml"),
        "prt/course.yaml": [
            str(session.get("practice", ""))
            for session in _yaml_doc(PROGRAMS / "prt" / "course.yaml")["sessions"]
        ],
    }


def _yaml_doc(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def all_patient_texts() -> dict[str, list[str]]:
    """Every GMI and PRT text: content files, lessons and page templates (markup and all)."""
    found: dict[str, list[str]] = {}
    for folder in (PROGRAMS / "gmi", PROGRAMS / "prt"):
        for path in sorted(folder.rglob("*.yaml")):
            found[str(path.relative_to(PROGRAMS))] = list(_strings(yaml.safe_load(path.read_text("utf-8"))))
        for path in sorted(folder.rglob("*.md")):
            found[str(path.relative_to(PROGRAMS))] = [" ".join(path.read_text("utf-8").split())]
    for folder in (TEMPLATES / "gmi", TEMPLATES / "prt"):
        for path in sorted(folder.glob("*.html")):
            found[str(path.relative_to(TEMPLATES))] = [" ".join(path.read_text("utf-8").split())]
    return found


def offending(texts: dict[str, list[str]], patterns: tuple[str, ...]) -> list[str]:
    found = []
    for where, strings in texts.items():
        for text in strings:
            for pattern in patterns:
                match = re.search(pattern, text, flags=re.IGNORECASE)
                if match:
                    found.append(f"{where}: {match.group(0)!r} in {text[:90]!r}")
    return found


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("Bend your knees and hips to pick a light object (a sock, a book) up from the floor.", True),
        ("Keep your back straight and lift with your legs.", True),
        ("Brace your core before you turn.", True),
        ("Five each way. Go only as far as feels safe today.", True),
        ("Pick up a light object any way that feels natural, and let your back bend.", False),
        ("Let your arms swing loosely as you turn; let your back join in.", False),
    ],
)
def test_the_check_knows_a_protective_cue_from_a_confident_one(text: str, caught: bool) -> None:
    assert bool(offending({"example": [text]}, PROTECTIVE_CUES + CAUTION)) is caught


def test_no_movement_text_tells_a_patient_to_guard_the_back() -> None:
    texts = movement_texts()
    assert len(texts["gmi/movements.yaml"]) >= 14 and len(texts["gmi/imagery.yaml"]) >= 30
    assert offending(texts, PROTECTIVE_CUES + CAUTION) == []


def test_no_gmi_or_prt_text_gives_a_protective_cue() -> None:
    texts = all_patient_texts()
    assert any(k.endswith(".md") for k in texts) and any(
        k.startswith("gmi/") and k.endswith(".html") for k in texts
    )
    assert offending(texts, PROTECTIVE_CUES) == []


def test_picking_something_up_invites_the_back_to_bend() -> None:
    step = content.ladder().step("bend_and_lift_light")
    assert "any way that feels natural" in step.how and "let your back bend" in step.how
