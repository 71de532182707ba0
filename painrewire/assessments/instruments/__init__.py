"""Questionnaire definitions, one YAML file each beside this module, read into immutable objects.

Each file holds the instrument's items (number, neutral label, item text where the licence lets us ship it,
answer options), its scoring (total, subscales, bands, flags, the missing-item rule and where that rule comes
from), its source and licence, and its LOINC codes where one is known. `painrewire.assessments.scoring`
scores every instrument from these definitions; nothing about an instrument is written in Python.

Where the licence does not let an open-source project ship the wording, a clinic that holds a licence can
load its wording from a directory it configures (``PAINREWIRE_INSTRUMENT_TEXT_DIR``): `with_clinic_text`
merges ``<directory>/<id>.yaml`` into the definition after checking it item by item.

Pure: this module reads files with the standard library and PyYAML, and knows no web or database code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

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


class InstrumentDefinitionError(ValueError):
    """A definition (ours, or a clinic's wording file) is not what the scoring engine can rely on."""


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


def _problem(where: str, message: str) -> InstrumentDefinitionError:
    return InstrumentDefinitionError(f"{where}: {message}")


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _problem(where, f"expected a number, got {value!r}")
    return Decimal(str(value))


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise _problem(where, f"{key} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _problem(where, f"{key} must be non-empty text, got {value!r}")
    return " ".join(value.split())


def _options(raw: Any, where: str) -> tuple[tuple[Option, ...], tuple[str, str] | None]:
    """Options are either a list of ``{value, label}`` or a numeric ``scale`` with two end anchors."""
    if not isinstance(raw, Mapping):
        raise _problem(where, "options must be given as {scale: ...} or {choices: [...]}")
    if "scale" in raw:
        scale = raw["scale"]
        low, high = scale.get("min"), scale.get("max")
        if not isinstance(low, int) or not isinstance(high, int) or low >= high:
            raise _problem(where, f"scale needs integer min < max, got {scale!r}")
        anchors = scale.get("anchors")
        pair: tuple[str, str] | None = None
        if anchors is not None:
            if not (
                isinstance(anchors, list) and len(anchors) == 2 and all(isinstance(a, str) for a in anchors)
            ):
                raise _problem(where, "anchors must be two texts: the low end and the high end")
            pair = (anchors[0], anchors[1])
        return tuple(Option(v, str(v)) for v in range(low, high + 1)), pair
    choices = raw.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        raise _problem(where, "choices must list at least two {value, label} options")
    options = []
    for choice in choices:
        value, label = choice.get("value"), choice.get("label")
        if not isinstance(value, int) or isinstance(value, bool) or not isinstance(label, str):
            raise _problem(where, f"each choice needs an integer value and a label, got {choice!r}")
        options.append(Option(value, label))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise _problem(where, f"choice values repeat: {values}")
    return tuple(options), None


def _loinc(raw: Mapping[str, Any], where: str) -> LoincCodes:
    def code(value: Any, key: str) -> str | None:
        if value is None:
            return None
        text = str(value)
        number, _, check = text.partition("-")
        if not (number.isdigit() and check.isdigit() and len(check) == 1):
            raise _problem(where, f"loinc {key} {text!r} is not a LOINC code")
        return text

    subscales = {str(k): str(code(v, f"subscale {k}")) for k, v in (raw.get("subscales") or {}).items()}
    unconfirmed = {
        str(k): str(code(v, f"unconfirmed {k}")) for k, v in (raw.get("unconfirmed") or {}).items()
    }

    def answer_code(value: Any, key: str) -> str:
        text = str(value)
        number, _, check = text.removeprefix("LA").partition("-")
        if not (text.startswith("LA") and number.isdigit() and check.isdigit() and len(check) == 1):
            raise _problem(where, f"loinc {key} {text!r} is not a LOINC answer code")
        return text

    answers = {int(k): answer_code(v, f"answer {k}") for k, v in (raw.get("answers") or {}).items()}
    risk_answers = {
        str(k): answer_code(v, f"risk answer {k}") for k, v in (raw.get("risk_answers") or {}).items()
    }
    return LoincCodes(
        panel=code(raw.get("panel"), "panel"),
        total=code(raw.get("total"), "total"),
        subscales=subscales,
        answer_list=raw.get("answer_list"),
        answers=answers,
        risk=code(raw.get("risk"), "risk"),
        risk_answers=risk_answers,
        unconfirmed=unconfirmed,
        note=str(raw.get("note") or ""),
    )


def parse_definition(raw: Mapping[str, Any], where: str) -> Instrument:
    """Build and check one instrument from its YAML mapping; every problem names the file and the field."""
    instrument_id = _text(raw, "id", where)
    assert instrument_id is not None
    default_options = raw.get("options")
    items: list[Item] = []
    for index, entry in enumerate(raw.get("items") or [], start=1):
        at = f"{where} item {index}"
        if entry.get("number") != index:
            raise _problem(
                at, f"items must be numbered 1, 2, 3... in order; found number {entry.get('number')!r}"
            )
        option_source = entry.get("options", default_options)
        if option_source is None:
            raise _problem(at, "no options (give them on the item or for the whole instrument)")
        options, anchors = _options(option_source, at)
        if "anchors" in entry:
            anchors = (str(entry["anchors"][0]), str(entry["anchors"][1]))
        score_map = entry.get("score_map")
        if score_map is not None:
            score_map = {int(k): int(v) for k, v in score_map.items()}
            if set(score_map) != {o.value for o in options}:
                raise _problem(at, "score_map must give points for every option value")
        loinc_raw = entry.get("loinc") or {}
        items.append(
            Item(
                number=index,
                label=str(_text(entry, "label", at)),
                options=options,
                text=_text(entry, "text", at, required=False),
                anchors=anchors,
                safety=bool(entry.get("safety", False)),
                score_map=score_map,
                reverse=bool(entry.get("reverse", False)),
                loinc=loinc_raw.get("code") if loinc_raw.get("confirmed", False) else None,
                loinc_unconfirmed=None if loinc_raw.get("confirmed", False) else loinc_raw.get("code"),
            )
        )
    if not items:
        raise _problem(where, "no items")
    numbers = set(range(1, len(items) + 1))

    scoring = raw.get("scoring") or {}
    total_method = str(scoring.get("total", ""))
    if total_method not in TOTAL_METHODS:
        raise _problem(
            where, f"scoring.total must be one of {', '.join(TOTAL_METHODS)}, got {total_method!r}"
        )
    missing_raw = scoring.get("missing") or {}
    missing = MissingRule(
        rule=str(missing_raw.get("rule", "")),
        max_missing=int(missing_raw.get("max_missing", 0)),
        source=str(_text(missing_raw, "source", f"{where} scoring.missing")),
    )
    if missing.rule not in MISSING_RULES:
        raise _problem(where, f"scoring.missing.rule must be one of {', '.join(MISSING_RULES)}")
    if missing.rule == "prorate" and not 0 < missing.max_missing < len(items):
        raise _problem(where, "a prorating rule needs 0 < max_missing < number of items")
    if missing.rule == "prorate" and total_method not in ("percent", "mean"):
        raise _problem(where, "only a percentage or mean total can be prorated")

    subscales = []
    for sub in scoring.get("subscales") or []:
        at = f"{where} subscale {sub.get('id')!r}"
        sub_items = tuple(int(n) for n in sub.get("items") or [])
        if not sub_items or not set(sub_items) <= numbers or len(set(sub_items)) != len(sub_items):
            raise _problem(at, f"items must be distinct item numbers of this instrument, got {sub_items}")
        method = str(sub.get("method", "sum"))
        if method not in SUBSCALE_METHODS:
            raise _problem(at, f"method must be one of {', '.join(SUBSCALE_METHODS)}")
        min_answered = int(sub.get("min_answered", 0))
        if min_answered and (min_answered > len(sub_items) or method != "mean"):
            raise _problem(at, "min_answered applies to mean subscales and cannot exceed their item count")
        subscales.append(
            Subscale(
                id=str(_text(sub, "id", at)),
                label=str(_text(sub, "label", at)),
                items=sub_items,
                method=method,
                min_answered=min_answered,
                source=str(sub.get("source") or ""),
                loinc=sub.get("loinc"),
            )
        )
    sub_ids = {s.id for s in subscales}

    bands = []
    for band in scoring.get("bands") or []:
        at = f"{where} band {band.get('label')!r}"
        if band.get("subscale") is not None and band["subscale"] not in sub_ids:
            raise _problem(at, f"unknown subscale {band['subscale']!r}")
        bands.append(
            Band(
                label=str(_text(band, "label", at)),
                low=_decimal(band.get("low"), at),
                high=_decimal(band.get("high"), at),
                subscale=band.get("subscale"),
                subscale_low=_decimal(band.get("subscale_low"), at),
                subscale_high=_decimal(band.get("subscale_high"), at),
            )
        )
    if bands and total_method == "none":
        raise _problem(where, "bands need a total")

    flags = []
    for flag in scoring.get("flags") or []:
        at = f"{where} flag {flag.get('id')!r}"
        rule = FlagRule(
            id=str(_text(flag, "id", at)),
            item=flag.get("item"),
            above=flag.get("above"),
            total_at_least=_decimal(flag.get("total_at_least"), at),
            meaning=str(flag.get("meaning") or ""),
        )
        if (rule.item is None) == (rule.total_at_least is None):
            raise _problem(
                at, "a flag is raised either by one item (item, above) or by the total (total_at_least)"
            )
        if rule.item is not None and (rule.item not in numbers or rule.above is None):
            raise _problem(at, "an item flag needs an item number of this instrument and a value to be above")
        flags.append(rule)

    licence_raw = raw.get("licence") or {}
    licence = Licence(
        item_text_included=bool(licence_raw.get("item_text_included", False)),
        holder=str(_text(licence_raw, "holder", f"{where} licence")),
        terms=str(_text(licence_raw, "terms", f"{where} licence")),
        reasoning=str(_text(licence_raw, "reasoning", f"{where} licence")),
        attribution=_text(licence_raw, "attribution", f"{where} licence", required=False),
        note=_text(licence_raw, "note", f"{where} licence", required=False),
    )
    with_text = [i.number for i in items if i.text]
    if licence.item_text_included and len(with_text) != len(items):
        raise _problem(where, "item_text_included is true but some items have no text")
    if not licence.item_text_included and with_text:
        raise _problem(where, f"items {with_text} carry text although the licence does not let us ship it")
    if not licence.item_text_included and not licence.note:
        raise _problem(
            where, "an instrument whose wording is not shipped needs a licence note for the clinic"
        )

    source = raw.get("source") or {}
    return Instrument(
        id=instrument_id,
        name=str(_text(raw, "name", where)),
        short_name=str(_text(raw, "short_name", where)),
        description=str(_text(raw, "description", where)),
        recall=str(_text(raw, "recall", where)),
        instructions=_text(raw, "instructions", where, required=False),
        items=tuple(items),
        total_method=total_method,
        missing=missing,
        subscales=tuple(subscales),
        bands=tuple(bands),
        flags=tuple(flags),
        scoring_version=int(scoring.get("version", 0)) or _fail_version(where),
        scoring_source=str(_text(scoring, "source", f"{where} scoring")),
        citation=str(_text(source, "citation", f"{where} source")),
        licence=licence,
        loinc=_loinc(raw.get("loinc") or {}, where),
        higher_is_better=bool(raw.get("higher_is_better", False)),
        text_source="shipped" if licence.item_text_included else None,
    )


def _fail_version(where: str) -> int:
    raise _problem(where, "scoring.version must be a positive integer")


@lru_cache(maxsize=1)
def _definitions() -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for instrument_id in INSTRUMENT_IDS:
        path = DEFINITIONS_DIR / f"{instrument_id}.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        definition = parse_definition(raw, path.name)
        if definition.id != instrument_id:
            raise _problem(path.name, f"id {definition.id!r} does not match the file name")
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


@lru_cache(maxsize=64)
def _merge_clinic_text(instrument_id: str, path: str, _mtime: int, _size: int) -> Instrument:
    """Read once per version of the file (its modification time and size are part of the cache key)."""
    instrument = get_instrument(instrument_id)
    where = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _problem(where, f"cannot be read as YAML ({exc.__class__.__name__})") from exc
    if not isinstance(raw, Mapping):
        raise _problem(where, "must be a mapping with instrument, licence and items")
    if raw.get("instrument") != instrument.id:
        raise _problem(where, f"instrument must be {instrument.id!r}, got {raw.get('instrument')!r}")
    licence_text = _text(raw, "licence", where)
    entries = raw.get("items")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise _problem(where, "items must be a list")
    if len(entries) != instrument.item_count:
        raise _problem(
            where,
            f"{instrument.short_name} has {instrument.item_count} items; this file gives {len(entries)}",
        )
    items = []
    for item, entry in zip(instrument.items, entries, strict=True):
        at = f"{where} item {item.number}"
        if not isinstance(entry, Mapping):
            raise _problem(at, "each item must be a mapping with number and text")
        if entry.get("number") != item.number:
            raise _problem(at, f"expected number {item.number}, got {entry.get('number')!r}")
        text = _text(entry, "text", at)
        options = item.options
        if entry.get("options") is not None:
            labels = entry["options"]
            if (
                not isinstance(labels, Sequence)
                or isinstance(labels, str)
                or len(labels) != len(item.options)
            ):
                raise _problem(at, f"options must list {len(item.options)} labels in the order of the values")
            if not all(isinstance(label, str) and label.strip() for label in labels):
                raise _problem(at, "every option label must be non-empty text")
            options = tuple(
                Option(o.value, " ".join(label.split()))
                for o, label in zip(item.options, labels, strict=True)
            )
        anchors = item.anchors
        if entry.get("anchors") is not None:
            pair = entry["anchors"]
            if not (isinstance(pair, Sequence) and len(pair) == 2 and all(isinstance(a, str) for a in pair)):
                raise _problem(at, "anchors must be two texts")
            anchors = (pair[0], pair[1])
        items.append(dataclasses.replace(item, text=text, options=options, anchors=anchors))
    instructions = _text(raw, "instructions", where, required=False) or instrument.instructions
    licence = dataclasses.replace(instrument.licence, attribution=licence_text)
    return dataclasses.replace(
        instrument, items=tuple(items), instructions=instructions, licence=licence, text_source="clinic"
    )
