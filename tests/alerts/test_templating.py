import logging

import pytest

from alerts.templating import TemplateError, check_template, duration, format_kpi, render

CTX: dict[str, str | float] = {
    "value": 0.1234,
    "queue": "billing",
    "threshold": 0.05,
    "wait": 5400.0,
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ value | percent }} on {{ queue }}", "12.3% on billing"),
        ("{{value}} > {{ threshold }}", "0.1234 > 0.05"),
        ("waited {{ wait | duration }}", "waited 1h 30m"),
        ("no placeholders", "no placeholders"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, CTX) == expected


def test_render_falls_back_to_the_raw_string(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert render("{{ nope }} on {{ queue }}", CTX) == "{{ nope }} on {{ queue }}"
    assert "unknown name 'nope'" in caplog.text


@pytest.mark.parametrize("template", ["{{ value | pct }}", "{{ 1bad }}", "{{ value "])
def test_check_template_rejects(template: str) -> None:
    with pytest.raises(TemplateError):
        check_template(template)


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        ("abandon_rate", 0.051, "5.1%"),
        ("asa", 95.0, "1m 35s"),
        ("frt", 0.25, "250ms"),
        ("nps", -12.5, "-12.5"),
        ("calls_waiting", 7.0, "7"),
        ("asa", None, "n/a"),
    ],
)
def test_format_kpi_units(kpi: str, value: float | None, expected: str) -> None:
    assert format_kpi(kpi, value) == expected


def test_duration_days() -> None:
    assert duration(90061) == "1d 1h"
