"""The console in a real headless Chromium against a real worker on the embedded broker."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import EVENTS
from tests.support.sink import Sink
from tests.support.worker import Topics, WorkerProcess, produce
from tests.web.conftest import TOKEN, calls_waiting

pytestmark = pytest.mark.integration
SCREENS = Path(os.environ.get("KPIWATCH_SCREENS", Path(tempfile.gettempdir()) / "kpiwatch-screens"))
PAGES = ("/", "/alerts", "/silences", "/notifications", "/status")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Start Debian's chromium through chromedriver (headless); quit after the test."""
    missing = [b for b in ("chromium", "chromedriver") if shutil.which(b) is None]
    if missing:
        if os.environ.get("CI"):
            raise AssertionError(f"{missing} missing: install Debian's chromium chromium-driver")
        pytest.skip(f"{missing} not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,900",
                "--disable-dev-shm-usage"):  # fmt: skip
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _shot(driver: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1500, max(600, min(int(height) + 40, 2400)))
    driver.save_screenshot(str(SCREENS / f"console-{name}.png"))


def _main_text(driver: Any) -> str:
    """The text of <main>; read again if the page replaced it between finding and reading
    (a form's redirect, or a live page refreshing itself). A page caught between two
    documents (a form posted, its 303 not yet followed) has no <main> yet: that reads as
    empty, so a caller waiting for a text waits on, and fails with the page's source."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    for _ in range(50):
        try:
            return str(driver.find_element("tag name", "main").text)
        except StaleElementReferenceException:
            time.sleep(0.1)
        except NoSuchElementException:
            return ""
    raise AssertionError(f"<main> kept going stale on {driver.current_url}")


def _wait_text(driver: Any, text: str, timeout: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if text in _main_text(driver):
            return time.monotonic() - began
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not on {driver.current_url}: {driver.page_source[:3000]}")


def test_console_pages_alert_silence_and_refused_reload(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    browser: Any,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker(extra=calls_waiting(sink.url, repeat="2s"))
    for path in PAGES:  # every page loads with no console error, before any event too
        browser.get(w.url + path)
        assert browser.find_element("tag name", "h1").text, path
        assert _errors(browser) == [], path

    # an alert that fires shows up on the (open) Alerts page within a few seconds
    browser.get(w.url + "/alerts")
    asyncio.run(produce(broker.bootstrap, [(topics.names[s], k, v) for s, k, v in EVENTS]))
    sink.wait("firing", "billing")
    assert _wait_text(browser, "CallsWaiting", 8) < 8
    main = _main_text(browser)
    assert "firing" in main and "2 >= 2" in main and "queue=billing" in main
    assert "sink: sent firing" in main

    # repeats go out every 2 s until a silence made from the alert's form mutes them
    deadline = time.monotonic() + 20
    while len(sink.alerts("firing", "billing")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(sink.alerts("firing", "billing")) >= 2
    browser.find_element("link text", "silence…").click()
    prefilled = browser.find_element("name", "matchers").get_attribute("value")
    assert prefilled.splitlines() == ["alertname=CallsWaiting", "queue=billing"]
    browser.find_element("name", "created_by").send_keys("oncall")
    browser.find_element("name", "comment").send_keys("known incident")
    browser.find_element("name", "token").send_keys(TOKEN)
    browser.find_element("css selector", "form.silence button").click()
    _wait_text(browser, "created", 5)
    time.sleep(0.5)  # a notification already handed to the receiver may still land
    before = len(sink.alerts("firing", "billing"))
    time.sleep(5)  # more than two repeat intervals
    assert len(sink.alerts("firing", "billing")) == before
    _wait_text(browser, "active", 5)
    _shot(browser, "silences")
    browser.get(w.url + "/alerts")
    _wait_text(browser, "muted", 5)
    _shot(browser, "alerts")

    # a refused reload shows on the Status page with its error
    w.config.write_text("rules: [{name: broken, kpi: no_such_kpi}]\n")
    r = httpx.post(f"{w.url}/-/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert r.status_code == 400
    browser.get(w.url + "/status")
    main = _main_text(browser)
    assert "refused" in main and "rules[0].op: missing required key" in main, main
    assert "live" in main or "catching up" in main
    _shot(browser, "status")
    for path, name in (("/", "overview"), ("/notifications", "notifications")):
        browser.get(w.url + path)
        assert "billing" in _main_text(browser)
        _shot(browser, name)
    assert _errors(browser) == []
