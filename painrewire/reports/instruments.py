"""What reports and exports need to know about a questionnaire, read from the assessment definitions.

The instrument definitions (`painrewire.assessments.instruments`) are the one source of names, score ranges,
bands and LOINC codes: nothing here invents a code, and a code the definitions mark unconfirmed is never
used. Where a definition gives no LOINC code, the exports use the clinic's local code system instead (see
`painrewire.interop.fhir`). A response whose instrument is no longer defined keeps its id as its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from painrewire.assessments.instruments import Instrument, get_instrument


@dataclass(frozen=True)
class ScoreBand:
    """A severity band on an instrument's total score: ``low <= total <= high`` (inclusive, as manuals say)."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class InstrumentFacts:
    id: str
    name: str
    short_name: str
    min_total: float | None
    max_total: float | None
    bands: tuple[ScoreBand, ...] = ()
    loinc_panel: str | None = None
    loinc_total: str | None = None
    #: Confirmed LOINC code per item number, where one exists.
    item_loinc: Mapping[int, str] = field(default_factory=dict)
    item_labels: Mapping[int, str] = field(default_factory=dict)
    subscale_loinc: Mapping[str, str] = field(default_factory=dict)
    #: LOINC answer codes (LA...) by answer value, for items with a confirmed LOINC code.
    answer_loinc: Mapping[int, str] = field(default_factory=dict)
    answer_labels: Mapping[int, str] = field(default_factory=dict)
    #: The LOINC code of the result band (STarT Back risk level) and its answer codes by band label.
    loinc_risk: str | None = None
    risk_loinc: Mapping[str, str] = field(default_factory=dict)
    subscale_names: Mapping[str, str] = field(default_factory=dict)
    higher_is_better: bool = False
    #: The total is a percentage (ODI), not a count of points.
    total_is_percent: bool = False
    defined: bool = True


def _facts(definition: Instrument) -> InstrumentFacts:
    # Risk groups that depend on a subscale (STarT Back) are not bands of the total: no shading for those.
    by_total_alone = all(b.subscale is None for b in definition.bands)
    subscale_loinc = dict(definition.loinc.subscales)
    for sub in definition.subscales:
        if sub.loinc:
            subscale_loinc.setdefault(sub.id, sub.loinc)
    return InstrumentFacts(
        id=definition.id,
        name=definition.name,
        short_name=definition.short_name,
        min_total=definition.min_total,
        max_total=definition.max_total,
        bands=tuple(
            sorted(
                (
                    ScoreBand(float(b.low), float(b.high), b.label)
                    for b in definition.bands
                    if b.low is not None and b.high is not None and by_total_alone
                ),
                key=lambda b: b.low,
            )
        ),
        loinc_panel=definition.loinc.panel,
        loinc_total=definition.loinc.total,
        item_loinc={i.number: i.loinc for i in definition.items if i.loinc},
        item_labels={i.number: i.label for i in definition.items},
        subscale_loinc=subscale_loinc,
        answer_loinc=dict(definition.loinc.answers),
        answer_labels={o.value: o.label for i in definition.items for o in i.options if i.loinc},
        loinc_risk=definition.loinc.risk,
        risk_loinc=dict(definition.loinc.risk_answers),
        subscale_names={s.id: s.label for s in definition.subscales},
        higher_is_better=definition.higher_is_better,
        total_is_percent=definition.total_method == "percent",
    )


@lru_cache(maxsize=64)
def instrument_facts(instrument_id: str) -> InstrumentFacts:
    """Facts of one instrument from its definition."""
    try:
        definition = get_instrument(instrument_id)
    except KeyError:
        return InstrumentFacts(
            id=instrument_id,
            name=instrument_id,
            short_name=instrument_id,
            min_total=None,
            max_total=None,
            defined=False,
        )
    return _facts(definition)
