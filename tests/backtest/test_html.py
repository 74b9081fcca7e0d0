"""The HTML report in a real headless Chromium: it renders, logs no error, shows the spans."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from stream.backtest.html import write_html
from stream.backtest.run import Plan, backtest
from stream.backtest.sources import file_records
from stream.backtest.sweep import parse_sweep
from tests.backtest.helpers import T0, at, config, write_jsonl
from tests.backtest.test_hand_computed import events

pytestmark = pytest.mark.integration

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or DRIVER is None:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are required in CI")
        pytest.skip("needs Debian packages chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()  # stops chromedriver and the browser it started


def test_report_renders_offline_with_spans_and_sweep(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    path = write_jsonl(tmp_path / "day.jsonl", events())
    plan = Plan(
        config(),
        T0,
        T0 + timedelta(minutes=30),
        lambda _since: file_records([path]),
        sweeps=[parse_sweep("AbandonRateHigh.threshold=0.2:0.4:0.05")],
    )
    html = tmp_path / "report.html"
    write_html(backtest(plan), html)
    text = html.read_text()
    assert "http://" not in text and "https://" not in text  # nothing to fetch: opens offline

    browser.get(html.as_uri())
    assert browser.title == "kpiwatch backtest"
    firing = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.span.firing")
    assert [(r.get_attribute("data-start"), r.get_attribute("data-end")) for r in firing] == [
        (_epoch(12), _epoch(20))
    ]
    assert all(r.size["width"] > 0 and r.size["height"] > 0 for r in firing)
    pending = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.span.pending")
    starts = sorted(r.get_attribute("data-start") for r in pending)
    assert starts == [_epoch(10), _epoch(21.25)]  # before firing; and the one that never fired
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart polyline.series")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart line.threshold")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.sweep-chart rect.bar")) == 5
    assert at(12) in browser.find_element(By.CSS_SELECTOR, "table.spans").text
    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).move_to_element(chart).perform()  # runs the page's script
    label = browser.find_element(By.CSS_SELECTOR, "svg.chart .cursor-label")
    assert label.text.startswith("2026-11-02T09:"), label.text
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    browser.save_screenshot(str(tmp_path / "report.png"))


def _epoch(minutes: float) -> str:
    return f"{(T0 + timedelta(minutes=minutes)).timestamp():.0f}"
