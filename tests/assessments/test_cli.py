"""`painrewire score`: the fixed command-line contract other tools rely on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from painrewire.cli import app

runner = CliRunner()
KEYS = ["instrument", "total", "band", "subscales", "flags", "valid", "messages"]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["score", *args])
    return result.exit_code, result.stdout, result.stderr


def test_score_prints_exactly_one_json_object_with_the_contract_keys() -> None:
    code, out, err = run("phq9", "2", "2", "2", "2", "2", "2", "2", "1", "0")
    assert code == 0 and err == ""
    assert out.count("\n") == 1
    data = json.loads(out)
    assert list(data) == KEYS
    # 7 x 2 + 1 + 0 = 15: moderately severe
    assert data == {
        "instrument": "phq9",
        "total": 15,
        "band": "moderately severe",
        "subscales": {},
        "flags": [],
        "valid": True,
        "messages": [],
    }


def test_score_reports_subscales_flags_and_band_strings_exactly() -> None:
    code, out, _ = run("startback", "0", "0", "0", "0", "1", "1", "1", "0", "4")
    assert code == 0
    assert json.loads(out) == {
        "instrument": "startback",
        "total": 4,
        "band": "high",
        "subscales": {"psychosocial": 4},
        "flags": [],
        "valid": True,
        "messages": [],
    }
    _, out, _ = run("phq9", "0", "0", "0", "0", "0", "0", "0", "0", "1")
    assert json.loads(out)["flags"] == ["self_harm_risk"]
    _, out, _ = run("odi", *["1"] * 10)
    assert json.loads(out)["band"] == "minimal disability" and json.loads(out)["total"] == 20.0


def test_dash_is_an_unanswered_item_and_gives_an_invalid_score_not_an_error() -> None:
    code, out, err = run("peg", "4", "-", "6")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["valid"] is False and data["total"] is None
    assert "item 2" in data["messages"][0]


def test_odi_prorates_over_answered_sections() -> None:
    _, out, _ = run("odi", "3", "2", "2", "2", "2", "2", "2", "-", "1", "1")
    data = json.loads(out)
    assert data["total"] == 37.8 and data["valid"] is True  # 17/45 x 100 = 37.78


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phq9", "1", "1"], "PHQ-9 has 9 items; 2 answers were given"),
        (["phq9", *["0"] * 8, "4"], "PHQ-9 item 9: 4 is not an answer to this item (allowed: 0, 1, 2, 3)"),
        (["phq9", *["0"] * 8, "-1"], "PHQ-9 item 9: -1 is not an answer"),
        (["gad7", "0", "x", "0", "0", "0", "0", "0"], "item 2: 'x' is not a whole number"),
        (["gad7", "0", "1.5", "0", "0", "0", "0", "0"], "item 2: '1.5' is not a whole number"),
        (["tsk11", *["0"] * 11], "TSK-11 item 1: 0 is not an answer"),
        (["phq10", "1"], "unknown instrument 'phq10'"),
        ([], "name an instrument"),
    ],
)
def test_invalid_input_prints_a_message_on_stderr_and_exits_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert message in err


def test_list_names_every_instrument() -> None:
    code, out, _ = run("--list")
    assert code == 0
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert ids == ["peg", "bpi", "odi", "rmdq", "pcs", "tsk11", "phq9", "gad7", "startback", "pseq", "csi"]
    assert "phq9\tPatient Health Questionnaire (PHQ-9)\t9 items\tanswers 0-3" in out.splitlines()


def test_the_installed_command_keeps_the_contract() -> None:
    """As another tool calls it: a separate process, stdout and stderr kept apart."""
    done = subprocess.run(
        [sys.executable, "-m", "painrewire", "score", "gad7", "3", "3", "3", "3", "3", "3", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["band"] == "severe"  # 6 x 3 + 2 = 20
    failed = subprocess.run(
        [sys.executable, "-m", "painrewire", "score", "gad7", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2 and failed.stdout == "" and "GAD-7 has 7 items" in failed.stderr
