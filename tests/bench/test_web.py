"""bench/web.py reads wrk's reports: figures, units and errors from saved output, no server and no timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).with_name("wrk_output")


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web", ROOT / "bench" / "web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


web = load_benchmark()


class TestParseWrk:
    def test_rate_count_and_percentiles(self) -> None:
        result = web.parse_wrk((SAMPLES / "not_found.txt").read_text())

        assert result.requests == 13144
        assert result.seconds == pytest.approx(2.01)
        assert result.req_s == pytest.approx(6540.77)
        assert (result.p50_ms, result.p75_ms, result.p90_ms, result.p99_ms) == pytest.approx(
            (1.80, 3.50, 5.64, 19.81)
        )

    def test_non_2xx_answers_are_errors(self) -> None:
        result = web.parse_wrk((SAMPLES / "not_found.txt").read_text())

        assert result.non_2xx == 13144
        assert result.socket_errors == {}
        assert result.errors == 13144

    def test_socket_timeouts_are_errors(self) -> None:
        result = web.parse_wrk((SAMPLES / "timeouts.txt").read_text())

        assert result.requests == 63
        assert result.req_s == pytest.approx(15.52)
        assert result.p50_ms == pytest.approx(631.63)
        assert result.p99_ms == pytest.approx(995.72)
        assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 23}
        assert result.non_2xx == 0
        assert result.errors == 23

    def test_report_without_latency_distribution_is_refused(self) -> None:
        without = "\n".join(
            line
            for line in (SAMPLES / "timeouts.txt").read_text().splitlines()
            if "%" not in line or "Stdev" in line or "Latency " in line or "Req/Sec" in line
        )

        with pytest.raises(web.WrkOutputError, match="--latency"):
            web.parse_wrk(without)

    def test_empty_output_is_refused(self) -> None:
        with pytest.raises(web.WrkOutputError, match="no request count"):
            web.parse_wrk("unable to connect to 127.0.0.1:8150 Connection refused\n")


class TestWrkTime:
    @pytest.mark.parametrize(
        ("text", "ms"),
        [
            ("812.00us", 0.812),
            ("5.40ms", 5.4),
            ("1.48s", 1480.0),
            ("2.50m", 150_000.0),
            ("1.00h", 3_600_000.0),
        ],
    )
    def test_units(self, text: str, ms: float) -> None:
        assert web.wrk_time_ms(text) == pytest.approx(ms)

    def test_not_a_time(self) -> None:
        with pytest.raises(web.WrkOutputError, match="not a wrk time"):
            web.wrk_time_ms("12.3 parsecs")


class TestRotationScript:
    def test_requests_in_turn_with_token_and_body(self) -> None:
        script = web.rotation_script(
            [
                ("PUT", "/api/v1/patients/a/diary/2026-12-08", "tok-a", '{"pain_now":3}'),
                ("GET", "/api/v1/patients/b/diary?start=2026-11-09&end=2026-12-08", "tok-b", None),
            ]
        )

        assert '{"PUT", "/api/v1/patients/a/diary/2026-12-08", "tok-a", "{\\"pain_now\\":3}"}' in script
        assert '{"GET", "/api/v1/patients/b/diary?start=2026-11-09&end=2026-12-08", "tok-b", false}' in script
        assert "i = i % #prepared + 1" in script
