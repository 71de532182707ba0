"""Demo history for graded motor imagery: Maria's left/right blocks over three weeks, slower and less sure
of movements to the left at first, then even and within the norms, which moved her on to imagined movements
by the progression rule; a week of imagined movements; then Sam Lindqvist (physiotherapist) moved her on to
graded movement by hand, with a note, and she has done the first step of the ladder.

Everything goes through the same services a patient and clinician use, dated in the past. The answers are
generated from a seeded random generator: per-side accuracy and median reaction time as listed below.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta
from statistics import NormalDist
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.demo.clinic import DemoClinic
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.schemas import BlockResults, ImageryCreate, MovementCreate

# (days ago, accuracy left, accuracy right, median ms left, median ms right)
MARIA_BLOCKS = [
    (21, 0.70, 0.85, 2400, 1850),
    (19, 0.75, 0.85, 2150, 1800),
    (16, 0.85, 0.90, 1900, 1700),
    (14, 0.85, 0.90, 1750, 1600),
    (12, 0.90, 0.90, 1550, 1500),
    (10, 0.90, 0.95, 1450, 1400),
]
# (days ago, exercise, seconds, effort, pain while imagining)
MARIA_IMAGERY = [
    (9, "turn_left_gently", 110, 6, 3),
    (8, "turn_right_gently", 105, 5, 2),
    (7, "turn_left_gently", 115, 5, 2),
    (6, "lean_left", 100, 4, 2),
    (5, "turn_right_gently", 100, 4, 1),
    (4, "lean_left", 105, 3, 1),
]
STAGE_NOTE = "Imagined turns and side-bends are comfortable now (pain 1-2/10); start the movement ladder."
# (days ago, movement, pain before, fear before, pain after, fear after)
MARIA_MOVEMENTS = [
    (3, "seated_turn_small", 3, 5, 3, 3),
    (2, "seated_turn_small", 3, 4, 2, 2),
    (1, "seated_turn_small", 2, 3, 2, 2),
]


def _answers(
    plan: list[dict[str, object]],
    timeout_ms: int,
    accuracy: dict[str, float],
    rt: dict[str, float],
    rng: random.Random,
) -> list[dict[str, object]]:
    """Answers with exactly the given accuracy and median correct time per side on the scored pictures.

    Which pictures are answered wrong is random; the correct answers' times are the quantiles of a
    log-normal spread (sigma 0.22) around the median, in random order, so the scores do not depend on luck.
    """
    scored: dict[str, list[int]] = {"left": [], "right": []}
    for t in plan:
        if not t["is_practice"]:
            scored[str(t["side"])].append(int(str(t["index"])))
    wrong: set[int] = set()
    times: dict[int, float] = {}
    for side, indices in scored.items():
        missed = rng.sample(indices, round(len(indices) * (1 - accuracy[side])))
        wrong |= set(missed)
        right = [i for i in indices if i not in missed]
        spread = [NormalDist().inv_cdf((k + 0.5) / len(right)) for k in range(len(right))]
        rng.shuffle(spread)
        times |= {i: rt[side] * math.exp(0.22 * z) for i, z in zip(right, spread, strict=True)}
    out: list[dict[str, object]] = []
    for t in plan:
        side, index = str(t["side"]), int(str(t["index"]))
        ms = min(times.get(index, rt[side] * math.exp(rng.gauss(0.0, 0.22))), timeout_ms - 50)
        answer = ("right" if side == "left" else "left") if index in wrong else side
        out.append(
            {
                "index": index,
                "stimulus_id": t["stimulus_id"],
                "answer": answer,
                "rt_ms": round(ms, 1),
                "timed_out": False,
            }
        )
    return out


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    maria = clinic.patients["maria"]
    physio = clinic.clinicians[Discipline.PHYSICAL_THERAPIST]
    zone = ZoneInfo(maria.timezone)
    today = maria.local_today()
    rng = random.Random(5)

    def at(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, 0), tzinfo=zone)

    for ago, acc_left, acc_right, rt_left, rt_right in MARIA_BLOCKS:
        started = at(ago, 8)
        block = gmi.start_block(session, maria.user, maria.id, trials=40, now=started)
        plan = block.plan
        results = _answers(
            plan,
            block.timeout_ms,
            {"left": acc_left, "right": acc_right},
            {"left": rt_left, "right": rt_right},
            rng,
        )
        data = BlockResults.model_validate(
            {
                "trials": results,
                "timing": {"method": "decode+raf", "frame_ms": 16.67, "clock": "performance.now"},
            }
        )
        gmi.submit_results(session, maria.user, maria.id, block.id, data, now=started + timedelta(minutes=4))

    for ago, exercise, seconds, effort, pain in MARIA_IMAGERY:
        entry = ImageryCreate(exercise_id=exercise, seconds=seconds, effort=effort, pain=pain)
        gmi.log_imagery(session, maria.user, maria.id, entry, now=at(ago, 19))

    gmi.move_stage(session, physio, maria.id, stage=3, note=STAGE_NOTE, now=at(3, 11))
    for ago, movement, pain_before, fear_before, pain_after, fear_after in MARIA_MOVEMENTS:
        step = MovementCreate(
            movement_id=movement,
            pain_before=pain_before,
            fear_before=fear_before,
            pain_after=pain_after,
            fear_after=fear_after,
        )
        gmi.log_movement(session, maria.user, maria.id, step, now=at(ago, 18))
