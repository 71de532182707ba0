"""JSON routes for graded motor imagery: left/right blocks and their timed answers, imagined movements,
graded movements, and the patient's stage."""

from __future__ import annotations

import uuid

from fastapi import Request

from painrewire.accounts.deps import CurrentStaff, CurrentUser
from painrewire.programs.gmi import content, scoring
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.models import LateralityBlock
from painrewire.programs.gmi.progression import LevelDecision, Readiness
from painrewire.programs.gmi.schemas import (
    BlockCreate,
    BlockDetail,
    BlockFinished,
    BlockRead,
    BlockResults,
    BlockStarted,
    CriterionRead,
    ImageryCreate,
    ImageryRead,
    LevelDecisionRead,
    LocalNormRead,
    MovementCreate,
    MovementRead,
    NormBlockFinished,
    NormCheckRead,
    NormParticipantCreate,
    NormParticipantRead,
    NormReferenceRead,
    NormSourceRead,
    NormsOverviewRead,
    PlannedTrialRead,
    StageChangeRead,
    StageMove,
    StageRead,
    StatusRead,
    TrialRead,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["gmi"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def block_read(block: LateralityBlock) -> BlockRead:
    return BlockRead(
        id=block.id,
        started_at=block.started_at,
        finished_at=block.finished_at,
        level=block.level,
        timeout_ms=block.timeout_ms,
        accuracy=block.accuracy,
        median_rt_ms=block.median_rt_ms,
        left_right_flag=bool((block.scores or {}).get("left_right_flag", False)),
        scores=block.scores,
        client_timing=block.client_timing,
    )


def started(block: LateralityBlock) -> BlockStarted:
    level = content.trainer().level(block.level)
    plan = [
        PlannedTrialRead(
            index=t["index"],
            stimulus_id=t["stimulus_id"],
            image_url=gmi.image_url(t["stimulus_id"]),
            is_practice=t["is_practice"],
            side=t["side"] if t["is_practice"] else None,
        )
        for t in block.plan
    ]
    return BlockStarted(
        id=block.id,
        level=level.level,
        level_name=level.name,
        level_description=level.description,
        timeout_ms=block.timeout_ms,
        trials=sum(1 for t in plan if not t.is_practice),
        practice_trials=sum(1 for t in plan if t.is_practice),
        plan=plan,
        results_url=(
            f"/api/v1/gmi/norm-blocks/{block.id}/results"
            if block.is_norm
            else f"/api/v1/patients/{block.patient_id}/gmi/blocks/{block.id}/results"
        ),
    )


def reference_read(reference: scoring.NormReference) -> NormReferenceRead:
    return NormReferenceRead.model_validate(reference.as_json())


def stage_read(state: gmi.StageState, readiness: Readiness | None, *, moved_now: bool = False) -> StageRead:
    return StageRead(
        stage=state.stage,
        name=content.stages().stage(state.stage).name,
        since=state.since,
        moved_now=moved_now,
        next_stage_criteria=[CriterionRead(text=c.text, met=c.met) for c in readiness.criteria]
        if readiness
        else [],
    )


def level_read(decision: LevelDecision) -> LevelDecisionRead:
    return LevelDecisionRead(level=decision.level, change=decision.change, reason=decision.reason)


@router.get(
    "/gmi/norms",
    response_model=list[NormSourceRead],
    summary="The norms and evidence the trainer compares with, each with its source and whether it was confirmed",
    responses=error_responses(401),
)
def list_norms(user: CurrentUser) -> list[NormSourceRead]:
    return [
        NormSourceRead(key=s.key, label=s.label, source=s.source, confirmed=s.confirmed)
        for s in content.norms().sources
    ]


@router.get(
    "/patients/{patient_id}/gmi",
    response_model=StatusRead,
    summary="The patient's GMI stage, next left/right level, latest block and what moving on needs",
    responses=ERRORS,
)
def status(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> StatusRead:
    found = gmi.overview(session, user, patient_id)
    return StatusRead(
        stage=stage_read(found.stage, found.readiness),
        level=level_read(found.level),
        latest=block_read(found.latest) if found.latest else None,
        blocks_done=len(found.history),
        norms=list_norms(user),
    )


@router.post(
    "/patients/{patient_id}/gmi/blocks",
    response_model=BlockStarted,
    status_code=201,
    summary="Start a left/right block at the patient's level: its plan of pictures, practice first",
    responses=ERRORS,
)
def start_block(
    patient_id: uuid.UUID, data: BlockCreate, user: CurrentUser, session: SessionDep
) -> BlockStarted:
    return started(gmi.start_block(session, user, patient_id, trials=data.trials))


@router.get(
    "/patients/{patient_id}/gmi/blocks",
    response_model=list[BlockRead],
    summary="Scored left/right blocks, newest first",
    responses=ERRORS,
)
def list_blocks(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep, limit: int = 100
) -> list[BlockRead]:
    return [block_read(b) for b in gmi.list_blocks(session, user, patient_id, limit=limit)]


@router.get(
    "/patients/{patient_id}/gmi/blocks/{block_id}",
    response_model=BlockDetail,
    summary="One block with every picture, answer and reaction time",
    responses=ERRORS,
)
def get_block(
    patient_id: uuid.UUID, block_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> BlockDetail:
    block, trials = gmi.get_block(session, user, patient_id, block_id)
    return BlockDetail(**block_read(block).model_dump(), trials=[TrialRead.model_validate(t) for t in trials])


@router.post(
    "/patients/{patient_id}/gmi/blocks/{block_id}/results",
    response_model=BlockFinished,
    summary="Send a block's timed answers once; answers with its scores against the norms and the patient's history",
    responses=ERRORS,
)
def submit_results(
    patient_id: uuid.UUID,
    block_id: uuid.UUID,
    data: BlockResults,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
) -> BlockFinished:
    outcome = gmi.submit_results(
        session, user, patient_id, block_id, data, user_agent=request.headers.get("user-agent", "")
    )
    return BlockFinished(
        block=block_read(outcome.block),
        norms=[
            NormCheckRead(what=c.what, value=c.value, norm=c.norm, status=c.status, confirmed=c.confirmed)
            for c in outcome.norms
        ],
        compared_with=reference_read(outcome.reference) if outcome.reference else None,
        history=outcome.history.sentences(),
        next_level=level_read(outcome.next_level),
        stage=stage_read(outcome.stage, outcome.readiness, moved_now=outcome.stage_change is not None),
    )


@router.post(
    "/patients/{patient_id}/gmi/imagery",
    response_model=ImageryRead,
    status_code=201,
    summary="Log one guided imagined movement with effort and pain ratings (stage 2 and later)",
    responses=ERRORS,
)
def log_imagery(
    patient_id: uuid.UUID, data: ImageryCreate, user: CurrentUser, session: SessionDep
) -> ImageryRead:
    return ImageryRead.model_validate(gmi.log_imagery(session, user, patient_id, data).log)


@router.get(
    "/patients/{patient_id}/gmi/imagery",
    response_model=list[ImageryRead],
    summary="Imagined movements logged, newest first",
    responses=ERRORS,
)
def list_imagery(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ImageryRead]:
    return [ImageryRead.model_validate(x) for x in gmi.list_imagery(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/gmi/movements",
    response_model=MovementRead,
    status_code=201,
    summary="Log one real movement of the ladder with pain and fear before and after (stage 3)",
    responses=ERRORS,
)
def log_movement(
    patient_id: uuid.UUID, data: MovementCreate, user: CurrentUser, session: SessionDep
) -> MovementRead:
    return MovementRead.model_validate(gmi.log_movement(session, user, patient_id, data).log)


@router.get(
    "/patients/{patient_id}/gmi/movements",
    response_model=list[MovementRead],
    summary="Graded movements logged, newest first",
    responses=ERRORS,
)
def list_movements(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[MovementRead]:
    return [MovementRead.model_validate(x) for x in gmi.list_movements(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/gmi/stage",
    response_model=StageChangeRead,
    status_code=201,
    summary="A clinician on the care team moves the patient to a GMI stage by hand, with a note",
    responses=ERRORS,
)
def move_stage(
    patient_id: uuid.UUID, data: StageMove, user: CurrentUser, session: SessionDep
) -> StageChangeRead:
    return StageChangeRead.model_validate(
        gmi.move_stage(session, user, patient_id, stage=data.stage, note=data.note)
    )


@router.get(
    "/patients/{patient_id}/gmi/stage-changes",
    response_model=list[StageChangeRead],
    summary="Every change of GMI stage, newest first: by the rules (with reasons) or by a clinician (with a note)",
    responses=ERRORS,
)
def stage_changes(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[StageChangeRead]:
    return [StageChangeRead.model_validate(c) for c in gmi.stage_changes(session, user, patient_id)]


@router.get(
    "/gmi/local-norms",
    response_model=NormsOverviewRead,
    summary="The clinic's own norms for its drawn pictures at each level, and what a patient's block is compared with",
    responses=error_responses(401, 403),
)
def local_norms(user: CurrentStaff, session: SessionDep) -> NormsOverviewRead:
    norms = content.norms()
    return NormsOverviewRead(
        min_participants=norms.local_min_participants,
        published=reference_read(scoring.published_reference(norms)),
        levels=[
            LocalNormRead(
                level=local.level,
                n=local.n,
                accuracy_mean=local.accuracy_mean,
                accuracy_sd=local.accuracy_sd,
                rt_mean_ms=local.rt_mean_ms,
                rt_sd_ms=local.rt_sd_ms,
                compared_with=reference_read(scoring.choose_reference(norms, local)),
            )
            for local in gmi.local_norms(session)
        ],
    )


@router.post(
    "/gmi/norm-participants",
    response_model=NormParticipantRead,
    status_code=201,
    summary="A clinician records who takes a norm block: themselves, or an anonymous pain-free volunteer",
    responses=error_responses(401, 403, 409, 422),
)
def record_norm_participant(
    data: NormParticipantCreate, user: CurrentUser, session: SessionDep
) -> NormParticipantRead:
    participant = gmi.record_norm_participant(
        session, user, kind=data.kind, age_band=data.age_band, pain_free=data.pain_free
    )
    return NormParticipantRead.model_validate(participant)


@router.post(
    "/gmi/norm-participants/{participant_id}/blocks",
    response_model=BlockStarted,
    status_code=201,
    summary="Start a norm block at a level: the pictures a patient gets there, for the clinic's norms",
    responses=ERRORS,
)
def start_norm_block(
    participant_id: uuid.UUID, data: BlockCreate, user: CurrentUser, session: SessionDep, level: int = 1
) -> BlockStarted:
    return started(gmi.start_norm_block(session, user, participant_id, level=level, trials=data.trials))


@router.post(
    "/gmi/norm-blocks/{block_id}/results",
    response_model=NormBlockFinished,
    summary="Send a norm block's timed answers once; they count towards the clinic's norms",
    responses=ERRORS,
)
def submit_norm_results(
    block_id: uuid.UUID, data: BlockResults, request: Request, user: CurrentUser, session: SessionDep
) -> NormBlockFinished:
    block = gmi.submit_norm_results(
        session, user, block_id, data, user_agent=request.headers.get("user-agent", "")
    )
    return NormBlockFinished(block=block_read(block))
