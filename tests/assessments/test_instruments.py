"""Instrument definitions: what is shipped under which licence, LOINC codes, and a clinic's licensed wording."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from painrewire.assessments.instruments import (
    DEFINITIONS_DIR,
    InstrumentDefinitionError,
    get_instrument,
    list_instruments,
    parse_definition,
    with_clinic_text,
)
from painrewire.assessments.scoring import score_instrument

LOINC = re.compile(r"^\d{1,7}-\d$")


def test_item_text_is_shipped_only_where_the_licence_allows() -> None:
    shipped = {i.id for i in list_instruments() if i.has_item_text}
    assert shipped == {"peg", "phq9", "gad7"}
    for definition in list_instruments():
        assert definition.licence.reasoning and definition.licence.holder and definition.licence.terms
        assert definition.missing.source and definition.scoring_source and definition.citation
        if definition.has_item_text:
            assert definition.licence.attribution, f"{definition.id} ships text without its attribution"
        else:
            assert all(item.text is None for item in definition.items)
            assert "PAINREWIRE_INSTRUMENT_TEXT_DIR" in (definition.licence.note or "")


def test_pfizer_attribution_is_kept_with_phq9_and_gad7() -> None:
    assert "Pfizer" in (get_instrument("phq9").licence.attribution or "")
    assert "Spitzer" in (get_instrument("gad7").licence.attribution or "")


def test_loinc_codes_are_well_formed_and_unconfirmed_ones_are_kept_apart() -> None:
    expected = {
        "peg": ("91148-7", "91147-9"),
        "odi": ("97908-8", "97909-6"),
        "phq9": ("44249-1", "44261-6"),
        "gad7": ("69737-5", "70274-6"),
        "startback": ("91349-1", "91351-7"),
    }
    for definition in list_instruments():
        codes = definition.loinc
        assert (codes.panel, codes.total) == expected.get(definition.id, (None, None))
        for code in [*codes.subscales.values(), *codes.unconfirmed.values()]:
            assert LOINC.match(code)
        for item in definition.items:
            assert item.loinc is None or LOINC.match(item.loinc)
            assert not (item.loinc and item.loinc_unconfirmed)
    assert get_instrument("bpi").loinc.subscales == {"interference": "77565-0"}
    assert get_instrument("bpi").loinc.unconfirmed == {"panel": "77564-3"}
    phq = get_instrument("phq9")
    assert [i.loinc for i in phq.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert all(i.loinc for i in get_instrument("gad7").items)
    # LL358-3: Not at all / Several days / More than half the days / Nearly every day.
    answers = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
    assert phq.loinc.answers == answers == get_instrument("gad7").loinc.answers
    start = get_instrument("startback")
    assert [i.loinc for i in start.items] == [
        *("91340-0", "91341-8", "91342-6", "91343-4", "91344-2"),
        *("91345-9", "91346-7", "91347-5", "91348-3"),
    ]
    assert [s.loinc for s in start.subscales] == ["91350-9"]
    assert start.loinc.risk == "91352-5"
    assert start.loinc.risk_answers == {"high": "LA9193-9", "medium": "LA8982-6", "low": "LA9194-7"}


def test_items_carry_what_an_export_needs() -> None:
    item = get_instrument("phq9").item(9)
    assert item.number == 9 and item.safety
    assert [(o.code, o.label) for o in item.options] == [
        ("0", "Not at all"),
        ("1", "Several days"),
        ("2", "More than half the days"),
        ("3", "Nearly every day"),
    ]
    assert item.display_text.startswith("Thoughts that you would be better off dead")


def test_only_phq9_item_9_is_a_safety_item() -> None:
    safety = [(i.id, item.number) for i in list_instruments() for item in i.items if item.safety]
    assert safety == [("phq9", 9)]


# --- the clinic's licensed wording ----------------------------------------------------------------------


def write(folder: Path, instrument_id: str, data: object) -> Path:
    path = folder / f"{instrument_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def tsk_text(n: int = 11) -> dict[str, object]:
    return {
        "instrument": "tsk11",
        "licence": "TSK-11 wording used under the clinic's agreement of 2026-11-30",
        "instructions": "Please show how much you agree with each statement.",
        "items": [{"number": i, "text": f"Licensed statement {i}"} for i in range(1, n + 1)],
    }


def test_clinic_wording_is_merged_and_scoring_is_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "tsk11", tsk_text())
    base = get_instrument("tsk11")
    merged = with_clinic_text(base, tmp_path)
    assert merged.has_item_text and merged.text_source == "clinic"
    assert merged.item(3).display_text == "Licensed statement 3"
    assert merged.licence.attribution == "TSK-11 wording used under the clinic's agreement of 2026-11-30"
    answers = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3]
    assert score_instrument(merged, answers) == score_instrument(base, answers)
    assert not base.has_item_text  # the shipped definition is untouched


def test_no_directory_or_no_file_leaves_the_instrument_as_shipped(tmp_path: Path) -> None:
    base = get_instrument("odi")
    assert with_clinic_text(base, None) is base
    assert with_clinic_text(base, tmp_path) is base


def test_clinic_option_labels_must_match_the_options(tmp_path: Path) -> None:
    data = tsk_text()
    data["items"][0]["options"] = ["A", "B", "C", "D"]  # type: ignore[index]
    write(tmp_path, "tsk11", data)
    assert [o.label for o in with_clinic_text(get_instrument("tsk11"), tmp_path).item(1).options] == list(
        "ABCD"
    )
    data["items"][0]["options"] = ["A", "B"]  # type: ignore[index]
    write(tmp_path, "tsk11", data)
    with pytest.raises(
        InstrumentDefinitionError, match=re.escape("tsk11.yaml: item 1: options must list 4 labels")
    ):
        with_clinic_text(get_instrument("tsk11"), tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update(items=d["items"][:10]),
            "tsk11.yaml: field 'items': TSK-11 has 11 items; this file gives 10",
        ),
        (lambda d: d["items"][4].update(number=7), "tsk11.yaml: item 5: expected number 5, got 7"),
        (lambda d: d["items"][2].pop("text"), "tsk11.yaml: item 3, field 'text': is missing"),
        (
            lambda d: d["items"][2].update(text="  "),
            "tsk11.yaml: item 3, field 'text': some text is needed here",
        ),
        (
            lambda d: d.update(instrument="pcs"),
            "tsk11.yaml: field 'instrument': instrument must be 'tsk11', got 'pcs'",
        ),
        (lambda d: d.pop("licence"), "tsk11.yaml: field 'licence': is missing"),
    ],
)
def test_a_clinic_file_that_does_not_match_is_refused_naming_the_item(
    tmp_path: Path, change: object, message: str
) -> None:
    data = tsk_text()
    change(data)  # type: ignore[operator]
    write(tmp_path, "tsk11", data)
    with pytest.raises(InstrumentDefinitionError, match="^" + re.escape(message)):
        with_clinic_text(get_instrument("tsk11"), tmp_path)


def test_an_unreadable_clinic_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pcs.yaml").write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match=re.escape("pcs.yaml: cannot be read as YAML")):
        with_clinic_text(get_instrument("pcs"), tmp_path)


def test_a_changed_clinic_file_is_read_again(tmp_path: Path) -> None:
    write(tmp_path, "tsk11", tsk_text())
    assert with_clinic_text(get_instrument("tsk11"), tmp_path).item(1).text == "Licensed statement 1"
    data = tsk_text()
    data["items"][0]["text"] = "A corrected first statement, longer than before"  # type: ignore[index]
    write(tmp_path, "tsk11", data)
    assert with_clinic_text(get_instrument("tsk11"), tmp_path).item(1).text.startswith("A corrected")  # type: ignore[union-attr]


def test_a_definition_carries_enough_for_a_valid_fhir_questionnaire_response_and_observation() -> None:
    """What the FHIR export needs: item numbers and labels, answer codes and labels, LOINC where known."""
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from painrewire.assessments.scoring import score

    definition = get_instrument("phq9")
    answers = [1, 0, 2, 1, 0, 0, 1, 0, 0]
    result = score("phq9", answers)
    items = []
    for item, answer in zip(definition.items, answers, strict=True):
        option = next(o for o in item.options if o.value == answer)
        items.append(
            {
                "linkId": str(item.number),
                "text": item.display_text,
                "answer": [
                    {
                        "valueCoding": {
                            "system": "urn:painrewire:phq9",
                            "code": option.code,
                            "display": option.label,
                        }
                    }
                ],
            }
        )
    response = QuestionnaireResponse.model_validate(
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": f"http://loinc.org/q/{definition.loinc.panel}",
            "item": items,
        }
    )
    observation = Observation.model_validate(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": definition.loinc.total}]},
            "valueQuantity": {"value": result.total, "unit": "{score}"},
            "interpretation": [{"text": result.band}],
        }
    )
    assert response.item[8].answer[0].valueCoding.code == "0"  # type: ignore[index,union-attr]
    assert observation.valueQuantity.value == 5  # type: ignore[union-attr]


def shipped_definition(instrument_id: str) -> dict[str, Any]:
    return copy.deepcopy(
        yaml.safe_load((DEFINITIONS_DIR / f"{instrument_id}.yaml").read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize(
    ("instrument_id", "change", "message"),
    [
        (
            "odi",
            lambda d: d["items"][2].update(options="yes"),
            "assessments/instruments/odi.yaml: item 3, field 'options': a mapping is needed here, got 'yes'",
        ),
        (
            "odi",
            lambda d: d["items"][2].update(number=4),
            "assessments/instruments/odi.yaml: item 3: items must be numbered 1, 2, 3... in order; found number 4",
        ),
        (
            "phq9",
            lambda d: d["scoring"]["flags"][0].update(item=12),
            "assessments/instruments/phq9.yaml: flag 'self_harm_risk': an item flag needs an item number",
        ),
        (
            "phq9",
            lambda d: d["scoring"].update(total="median"),
            "assessments/instruments/phq9.yaml: field 'scoring.total': must be one of sum, mean, percent, none",
        ),
        (
            "gad7",
            lambda d: d["scoring"]["bands"][0].update(low="a lot"),
            "assessments/instruments/gad7.yaml: band 1, field 'low': expected a number",
        ),
        (
            "peg",
            lambda d: d["licence"].pop("holder"),
            "assessments/instruments/peg.yaml: field 'licence.holder': is missing",
        ),
        (
            "phq9",
            lambda d: d["loinc"].update(total="44261"),
            "assessments/instruments/phq9.yaml: field 'loinc.total': '44261' is not a LOINC code",
        ),
    ],
)
def test_a_wrong_definition_names_the_file_the_entry_and_the_field(
    instrument_id: str, change: Any, message: str
) -> None:
    data = shipped_definition(instrument_id)
    change(data)
    with pytest.raises(InstrumentDefinitionError, match="^" + re.escape(message)):
        parse_definition(data, DEFINITIONS_DIR / f"{instrument_id}.yaml")
