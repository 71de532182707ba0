"""Questionnaire definitions, one YAML file each beside this module, read into immutable objects.

Each file holds the instrument's items (number, neutral label, item text where the licence lets us ship it,
answer options), its scoring (total, subscales, bands, flags, the missing-item rule and where that rule comes
from), its source and licence, and its LOINC codes where one is known. `painrewire.assessments.scoring`
scores every instrument from these definitions; nothing about an instrument is written in Python.

Where the licence does not let an open-source project ship the wording, a clinic that holds a licence can
load its wording from a directory it configures (``PAINREWIRE_INSTRUMENT_TEXT_DIR``): `with_clinic_text`
merges ``<directory>/<id>.yaml`` into the definition after checking it item by item.

The files are read through pydantic models (`InstrumentFile`, `ClinicTextFile`) by the shared content loader
(`painrewire.content`): a problem names the file, the item, subscale, band or flag, and the field.

Pure: this module reads files with the standard library, PyYAML and pydantic, and knows no web or database code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from painrewire.content import ContentError, ContentModel, Text, read_yaml, repeated, validate

DEFINITIONS_DIR = Path(__file__).parent

#: The order instruments are listed in, everywhere.
INSTRUMENT_IDS: tuple[str, ...] = (
    "peg",
    "bpi",
    "odi",
    "rmdq",
    "pcs",
    "tsk11",
    "phq9",
    "gad7",
    "startback",
    "pseq",
    "csi",
)

TOTAL_METHODS = ("sum", "mean", "percent", "none")
SUBSCALE_METHODS = ("sum", "mean")
MISSING_RULES = ("none", "prorate")


#: A definition (ours, or a clinic's wording file) is not what the scoring engine can rely on: the shared
#: content error, under the name callers know.
InstrumentDefinitionError = ContentError


class Option(NamedTuple):
    """One answer option: the stored value and what the person sees (unpacks as ``value, label``)."""

    value: int
    label: str

    @property
    def code(self) -> str:
        """The option's code in exports (the value as a string, in the instrument's own code system)."""
        return str(self.value)


@dataclass(frozen=True)
class Item:
    """One question. ``text`` is the wording shown to patients, or None where it may not be shipped."""

    number: int
    label: str
    options: tuple[Option, ...]
    text: str | None = None
    anchors: tuple[str, str] | None = None
    #: A safety item (PHQ-9 item 9): always asked, never skippable, flagged when answered above 0.
    safety: bool = False
    #: How an answer counts towards scores, where it is not the answer itself (STarT Back item 9).
    score_map: Mapping[int, int] | None = None
    reverse: bool = False
    loinc: str | None = None
    #: A LOINC code believed right but not confirmed against loinc.org; exports must not rely on it.
    loinc_unconfirmed: str | None = None

    @property
    def display_text(self) -> str:
        return self.text or self.label

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    def scored(self, answer: int) -> int:
        """The points an answer contributes (after the item's own mapping or reversal)."""
        if self.score_map is not None:
            return self.score_map[answer]
        if self.reverse:
            return min(self.values) + max(self.values) - answer
        return answer

    @property
    def min_points(self) -> int:
        return min(self.scored(v) for v in self.values)

    @property
    def max_points(self) -> int:
        return max(self.scored(v) for v in self.values)


@dataclass(frozen=True)
class MissingRule:
    """What the manual says about unanswered items: ``none`` (every item needed) or ``prorate``."""

    rule: str
    max_missing: int = 0
    source: str = ""


@dataclass(frozen=True)
class Subscale:
    id: str
    label: str
    items: tuple[int, ...]
    method: str = "sum"
    #: Fewest answered items for the subscale to be scored (the manual's rule); all items by default.
    min_answered: int = 0
    source: str = ""
    loinc: str | None = None

    @property
    def needed(self) -> int:
        return self.min_answered or len(self.items)


@dataclass(frozen=True)
class Band:
    """A severity band: ``low <= total <= high`` (inclusive, on the reported score), and optionally a
    subscale condition. Bands are tried in file order; the first that matches names the score."""

    label: str
    low: Decimal | None = None
    high: Decimal | None = None
    subscale: str | None = None
    subscale_low: Decimal | None = None
    subscale_high: Decimal | None = None


@dataclass(frozen=True)
class FlagRule:
    """A flag raised by one item's answer (``item`` answered above ``above``) or by the total."""

    id: str
    item: int | None = None
    above: int | None = None
    total_at_least: Decimal | None = None
    meaning: str = ""


@dataclass(frozen=True)
class Licence:
    item_text_included: bool
    holder: str
    terms: str
    reasoning: str
    attribution: str | None = None
    #: What the clinic needs to know (shown to staff where the wording is not shipped).
    note: str | None = None


@dataclass(frozen=True)
class LoincCodes:
    """Confirmed LOINC codes only; ``unconfirmed`` holds codes still to be checked (never exported)."""

    panel: str | None = None
    total: str | None = None
    subscales: Mapping[str, str] = field(default_factory=dict)
    answer_list: str | None = None
    #: The answer list's LOINC answer codes (LA...), by answer value.
    answers: Mapping[int, str] = field(default_factory=dict)
    #: The code of the result band (STarT Back risk level) and its answer codes by band label.
    risk: str | None = None
    risk_answers: Mapping[str, str] = field(default_factory=dict)
    unconfirmed: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    short_name: str
    description: str
    recall: str
    items: tuple[Item, ...]
    total_method: str
    missing: MissingRule
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    flags: tuple[FlagRule, ...]
    scoring_version: int
    scoring_source: str
    citation: str
    licence: Licence
    loinc: LoincCodes
    instructions: str | None = None
    higher_is_better: bool = False
    #: Where the item wording comes from: "shipped", "clinic" (loaded from the clinic's file) or None.
    text_source: str | None = None

    @property
    def version(self) -> str:
        """The stored scoring version: changes whenever the way this instrument is scored changes."""
        return f"{self.id}/{self.scoring_version}"

    @property
    def has_item_text(self) -> bool:
        """Whether every item has wording a patient can answer (shipped, or loaded by the clinic)."""
        return all(item.text for item in self.items)

    @property
    def item_count(self) -> int:
        return len(self.items)

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    @property
    def min_total(self) -> float | None:
        return self._total_range()[0]

    @property
    def max_total(self) -> float | None:
        return self._total_range()[1]

    def _total_range(self) -> tuple[float | None, float | None]:
        if self.total_method == "sum":
            return float(sum(i.min_points for i in self.items)), float(sum(i.max_points for i in self.items))
        if self.total_method == "mean":
            return float(min(i.min_points for i in self.items)), float(max(i.max_points for i in self.items))
        if self.total_method == "percent":
            return 0.0, 100.0
        return None, None

    def subscale(self, subscale_id: str) -> Subscale:
        for sub in self.subscales:
            if sub.id == subscale_id:
                return sub
        raise KeyError(subscale_id)


# --- reading our definitions ---------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected a number, got {value!r}")
    return number


def _loinc_code(value: Any) -> str:
    text = str(value)
    number, _, check = text.partition("-")
    if not (number.isdigit() and check.isdigit() and len(check) == 1):
        raise ValueError(f"{text!r} is not a LOINC code")
    return text


def _answer_code(value: Any) -> str:
    text = str(value)
    number, _, check = text.removeprefix("LA").partition("-")
    if not (text.startswith("LA") and number.isdigit() and check.isdigit() and len(check) == 1):
        raise ValueError(f"{text!r} is not a LOINC answer code")
    return text


Number = Annotated[Decimal | None, BeforeValidator(_decimal)]
LoincCode = Annotated[str, BeforeValidator(_loinc_code)]
AnswerCode = Annotated[str, BeforeValidator(_answer_code)]
TextPair = tuple[str, str]


def _next_position(info: ValidationInfo, counter: str) -> int:
    """The 1-based position of the list entry being validated (entries are validated in order)."""
    context = info.context if info.context is not None else {}
    context[counter] = context.get(counter, 0) + 1
    return int(context[counter])


class Scale(ContentModel):
    min: int = Field(strict=True)
    max: int = Field(strict=True)
    anchors: TextPair | None = None

    @model_validator(mode="after")
    def _low_below_high(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale needs integer min < max, got min {self.min}, max {self.max}")
        return self


class Choice(ContentModel):
    value: int = Field(strict=True)
    label: str


class OptionsEntry(ContentModel):
    """Options: a numeric ``scale`` with two end anchors, or ``choices`` of ``{value, label}``."""

    scale: Scale | None = None
    choices: list[Choice] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _one_kind(self) -> OptionsEntry:
        if self.scale is None and self.choices is None:
            raise ValueError("options must be given as {scale: ...} or {choices: [...]}")
        if self.scale is None and self.choices is not None:
            values = [c.value for c in self.choices]
            if repeated([str(v) for v in values]):
                raise ValueError(f"choice values repeat: {values}")
        return self

    def resolved(self) -> tuple[tuple[Option, ...], TextPair | None]:
        if self.scale is not None:
            scale = self.scale
            return tuple(Option(v, str(v)) for v in range(scale.min, scale.max + 1)), scale.anchors
        return tuple(Option(c.value, c.label) for c in self.choices or ()), None


class ItemLoinc(ContentModel):
    code: str | None = None
    confirmed: bool = False


class ItemEntry(ContentModel):
    number: int
    label: Text
    text: Text | None = None
    options: OptionsEntry | None = None
    anchors: TextPair | None = None
    safety: bool = False
    score_map: dict[int, int] | None = None
    reverse: bool = False
    loinc: ItemLoinc | None = None

    @model_validator(mode="before")
    @classmethod
    def _numbered_in_order(cls, data: Any, info: ValidationInfo) -> Any:
        position = _next_position(info, "item")
        if isinstance(data, Mapping) and data.get("number") != position:
            raise ValueError(
                f"items must be numbered 1, 2, 3... in order; found number {data.get('number')!r}"
            )
        return data


class MissingEntry(ContentModel):
    rule: str
    max_missing: int = 0
    source: Text

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if value not in MISSING_RULES:
            raise ValueError(f"must be one of {', '.join(MISSING_RULES)}, got {value!r}")
        return value


class SubscaleEntry(ContentModel):
    id: Text
    label: Text
    items: tuple[int, ...] = Field(min_length=1)
    method: str = "sum"
    min_answered: int = 0
    source: str | None = None
    loinc: str | None = None

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in SUBSCALE_METHODS:
            raise ValueError(f"method must be one of {', '.join(SUBSCALE_METHODS)}")
        return value

    @model_validator(mode="after")
    def _min_answered_fits(self) -> SubscaleEntry:
        if len(set(self.items)) != len(self.items):
            raise ValueError(f"items must be distinct item numbers of this instrument, got {self.items}")
        if self.min_answered and (self.min_answered > len(self.items) or self.method != "mean"):
            raise ValueError("min_answered applies to mean subscales and cannot exceed their item count")
        return self


class BandEntry(ContentModel):
    label: Text
    low: Number = None
    high: Number = None
    subscale: str | None = None
    subscale_low: Number = None
    subscale_high: Number = None


class FlagEntry(ContentModel):
    id: Text
    item: int | None = None
    above: int | None = None
    total_at_least: Number = None
    meaning: str | None = None

    @model_validator(mode="after")
    def _item_or_total(self) -> FlagEntry:
        if (self.item is None) == (self.total_at_least is None):
            raise ValueError(
                "a flag is raised either by one item (item, above) or by the total (total_at_least)"
            )
        if self.item is not None and self.above is None:
            raise ValueError("an item flag needs an item number of this instrument and a value to be above")
        return self


class ScoringEntry(ContentModel):
    total: str
    missing: MissingEntry
    subscales: list[SubscaleEntry] = Field(default_factory=list)
    bands: list[BandEntry] = Field(default_factory=list)
    flags: list[FlagEntry] = Field(default_factory=list)
    version: int = Field(gt=0, description="A positive integer, raised whenever the scoring changes.")
    source: Text

    @field_validator("total")
    @classmethod
    def _known_total(cls, value: str) -> str:
        if value not in TOTAL_METHODS:
            raise ValueError(f"must be one of {', '.join(TOTAL_METHODS)}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ScoringEntry:
        if self.missing.rule == "prorate" and self.total not in ("percent", "mean"):
            raise ValueError("only a percentage or mean total can be prorated")
        if self.bands and self.total == "none":
            raise ValueError("bands need a total")
        ids = {s.id for s in self.subscales}
        for band in self.bands:
            if band.subscale is not None and band.subscale not in ids:
                raise ValueError(f"band {band.label!r}: unknown subscale {band.subscale!r}")
        return self


class LicenceEntry(ContentModel):
    item_text_included: bool = False
    holder: Text
    terms: Text
    reasoning: Text
    attribution: Text | None = None
    note: Text | None = None


class SourceEntry(ContentModel):
    citation: Text


class LoincEntry(ContentModel):
    panel: LoincCode | None = None
    total: LoincCode | None = None
    subscales: dict[str, LoincCode] = Field(default_factory=dict)
    answer_list: str | None = None
    answers: dict[int, AnswerCode] = Field(default_factory=dict)
    risk: LoincCode | None = None
    risk_answers: dict[str, AnswerCode] = Field(default_factory=dict)
    unconfirmed: dict[str, LoincCode] = Field(default_factory=dict)
    note: str | None = None


class InstrumentFile(ContentModel):
    """One instrument's definition file (``<id>.yaml`` beside this module)."""

    id: Text
    name: Text
    short_name: Text
    description: Text
    recall: Text
    instructions: Text | None = None
    options: OptionsEntry | None = None
    items: list[ItemEntry] = Field(min_length=1)
    scoring: ScoringEntry
    source: SourceEntry
    licence: LicenceEntry
    loinc: LoincEntry = Field(default_factory=LoincEntry)
    higher_is_better: bool = False

    def item_options(self, item: ItemEntry) -> tuple[tuple[Option, ...], TextPair | None]:
        spec = item.options or self.options
        options, anchors = spec.resolved() if spec is not None else ((), None)
        return options, item.anchors or anchors

    @model_validator(mode="after")
    def _cross_references(self) -> InstrumentFile:
        problems = []
        numbers = set(range(1, len(self.items) + 1))
        for item in self.items:
            if item.options is None and self.options is None:
                problems.append(
                    f"item {item.number}: no options (give them on the item or for the whole instrument)"
                )
                continue
            values = {o.value for o in self.item_options(item)[0]}
            if item.score_map is not None and set(item.score_map) != values:
                problems.append(f"item {item.number}: score_map must give points for every option value")
        scoring = self.scoring
        if scoring.missing.rule == "prorate" and not 0 < scoring.missing.max_missing < len(self.items):
            problems.append("scoring.missing: a prorating rule needs 0 < max_missing < number of items")
        for sub in scoring.subscales:
            if not set(sub.items) <= numbers:
                problems.append(
                    f"subscale {sub.id!r}: items must be distinct item numbers of this instrument, got {sub.items}"
                )
        for flag in scoring.flags:
            if flag.item is not None and flag.item not in numbers:
                problems.append(
                    f"flag {flag.id!r}: an item flag needs an item number of this instrument and a value to be above"
                )
        with_text = [i.number for i in self.items if i.text]
        if self.licence.item_text_included and len(with_text) != len(self.items):
            problems.append("licence: item_text_included is true but some items have no text")
        if not self.licence.item_text_included and with_text:
            problems.append(
                f"licence: items {with_text} carry text although the licence does not let us ship it"
            )
        if not self.licence.item_text_included and not self.licence.note:
            problems.append(
                "licence: an instrument whose wording is not shipped needs a licence note for the clinic"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def instrument(self) -> Instrument:
        items = []
        for entry in self.items:
            options, anchors = self.item_options(entry)
            code = entry.loinc.code if entry.loinc else None
            confirmed = bool(entry.loinc and entry.loinc.confirmed)
            items.append(
                Item(
                    number=entry.number,
                    label=entry.label,
                    options=options,
                    text=entry.text,
                    anchors=anchors,
                    safety=entry.safety,
                    score_map=entry.score_map,
                    reverse=entry.reverse,
                    loinc=code if confirmed else None,
                    loinc_unconfirmed=None if confirmed else code,
                )
            )
        scoring, licence, loinc = self.scoring, self.licence, self.loinc
        return Instrument(
            id=self.id,
            name=self.name,
            short_name=self.short_name,
            description=self.description,
            recall=self.recall,
            instructions=self.instructions,
            items=tuple(items),
            total_method=scoring.total,
            missing=MissingRule(scoring.missing.rule, scoring.missing.max_missing, scoring.missing.source),
            subscales=tuple(
                Subscale(s.id, s.label, s.items, s.method, s.min_answered, s.source or "", s.loinc)
                for s in scoring.subscales
            ),
            bands=tuple(
                Band(b.label, b.low, b.high, b.subscale, b.subscale_low, b.subscale_high)
                for b in scoring.bands
            ),
            flags=tuple(
                FlagRule(f.id, f.item, f.above, f.total_at_least, f.meaning or "") for f in scoring.flags
            ),
            scoring_version=scoring.version,
            scoring_source=scoring.source,
            citation=self.source.citation,
            licence=Licence(
                licence.item_text_included,
                licence.holder,
                licence.terms,
                licence.reasoning,
                licence.attribution,
                licence.note,
            ),
            loinc=LoincCodes(
                panel=loinc.panel,
                total=loinc.total,
                subscales=loinc.subscales,
                answer_list=loinc.answer_list,
                answers=loinc.answers,
                risk=loinc.risk,
                risk_answers=loinc.risk_answers,
                unconfirmed=loinc.unconfirmed,
                note=loinc.note or "",
            ),
            higher_is_better=self.higher_is_better,
            text_source="shipped" if licence.item_text_included else None,
        )


def parse_definition(raw: Any, where: str | Path) -> Instrument:
    """Build and check one instrument from its YAML mapping; every problem names the file, the entry and the
    field (`painrewire.content.ContentError`, known here as `InstrumentDefinitionError`)."""
    return validate(raw, InstrumentFile, origin=where).instrument()


@lru_cache(maxsize=1)
def _definitions() -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for instrument_id in INSTRUMENT_IDS:
        path = DEFINITIONS_DIR / f"{instrument_id}.yaml"
        definition = parse_definition(read_yaml(path), path)
        if definition.id != instrument_id:
            raise ContentError(path, [f"field 'id': {definition.id!r} does not match the file name"])
        found[instrument_id] = definition
    return found


def get_instrument(instrument_id: str) -> Instrument:
    """The definition of one instrument; KeyError for an id that does not exist."""
    return _definitions()[instrument_id]


def list_instruments() -> list[Instrument]:
    """Every instrument, in the clinic's usual order."""
    return [_definitions()[i] for i in INSTRUMENT_IDS]


# --- a clinic's licensed wording -------------------------------------------------------------------------


def with_clinic_text(instrument: Instrument, directory: Path | None) -> Instrument:
    """The instrument with the clinic's licensed wording from ``directory/<id>.yaml`` merged in.

    Returns the instrument unchanged when no directory is configured or it holds no file for this
    instrument. Raises `InstrumentDefinitionError` naming the file and the item when the file does not match
    the instrument (wrong id, wrong number of items or options, an item without text), so a wording file
    can never silently shift answers onto the wrong items.
    """
    if directory is None:
        return instrument
    path = Path(directory) / f"{instrument.id}.yaml"
    if not path.is_file():
        return instrument
    stat = path.stat()
    return _merge_clinic_text(instrument.id, str(path), stat.st_mtime_ns, stat.st_size)


class ClinicItem(ContentModel):
    """One item of a clinic's wording file: its number, its text, and optionally option labels and anchors."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    number: int
    text: Text
    options: list[str] | None = None
    anchors: TextPair | None = None

    @model_validator(mode="before")
    @classmethod
    def _matches_the_item(cls, data: Any, info: ValidationInfo) -> Any:
        position = _next_position(info, "item")
        instrument: Instrument | None = (info.context or {}).get("instrument")
        if not isinstance(data, Mapping):
            raise ValueError("each item must be a mapping with number and text")
        if data.get("number") != position:
            raise ValueError(f"expected number {position}, got {data.get('number')!r}")
        labels = data.get("options")
        if instrument is not None and labels is not None and position <= instrument.item_count:
            count = len(instrument.item(position).options)
            if not isinstance(labels, list) or len(labels) != count:
                raise ValueError(f"options must list {count} labels in the order of the values")
            if not all(isinstance(label, str) and label.strip() for label in labels):
                raise ValueError("every option label must be non-empty text")
        return data


class ClinicTextFile(ContentModel):
    """A clinic's licensed wording for one instrument (``<directory>/<id>.yaml``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    instrument: str
    licence: Text
    items: list[ClinicItem]
    instructions: Text | None = None

    @field_validator("instrument")
    @classmethod
    def _this_instrument(cls, value: str, info: ValidationInfo) -> str:
        instrument: Instrument | None = (info.context or {}).get("instrument")
        if instrument is not None and value != instrument.id:
            raise ValueError(f"instrument must be {instrument.id!r}, got {value!r}")
        return value

    @field_validator("items")
    @classmethod
    def _every_item(cls, value: list[ClinicItem], info: ValidationInfo) -> list[ClinicItem]:
        instrument: Instrument | None = (info.context or {}).get("instrument")
        if instrument is not None and len(value) != instrument.item_count:
            raise ValueError(
                f"{instrument.short_name} has {instrument.item_count} items; this file gives {len(value)}"
            )
        return value


@lru_cache(maxsize=64)
def _merge_clinic_text(instrument_id: str, path: str, _mtime: int, _size: int) -> Instrument:
    """Read once per version of the file (its modification time and size are part of the cache key)."""
    instrument = get_instrument(instrument_id)
    where = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(where, [f"cannot be read as YAML ({exc.__class__.__name__})"]) from exc
    wording = validate(raw, ClinicTextFile, origin=where, context={"instrument": instrument})
    items = []
    for item, entry in zip(instrument.items, wording.items, strict=True):
        options = item.options
        if entry.options is not None:
            options = tuple(
                Option(o.value, " ".join(label.split()))
                for o, label in zip(item.options, entry.options, strict=True)
            )
        anchors = entry.anchors if entry.anchors is not None else item.anchors
        items.append(dataclasses.replace(item, text=entry.text, options=options, anchors=anchors))
    instructions = wording.instructions or instrument.instructions
    licence = dataclasses.replace(instrument.licence, attribution=wording.licence)
    return dataclasses.replace(
        instrument, items=tuple(items), instructions=instructions, licence=licence, text_source="clinic"
    )
