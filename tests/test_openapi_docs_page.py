"""The docs page in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, which ``.ci/run`` installs) driven by Selenium, against the demo on a
loopback port. The page loads without console errors, lists every resource type, and a
"Try it out" GET on /articles answers 200.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from examples.blog.api import create_app
from tests.support.live_server import live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

NO_BROWSER = "no browser here: install Debian's chromium and chromium-driver (.ci/run does)"
# CI installs the browser: there, a missing one is a failure, never a silent skip.
pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not os.environ.get("CI"), reason=NO_BROWSER
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
LIST = "#operations-articles-list_articles"  # GET /articles: Swagger UI's id for it
WAIT = 30  # seconds; the page is local, but a busy two-core machine can be slow


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.fail(NO_BROWSER)

    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def test_docs_page_lists_the_demo_and_tries_a_request(browser, record_property):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    with live_server(create_app("sqlite://")) as server:
        browser.get(f"{server.url}/docs")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-tag")))
        tags = [
            tag.get_attribute("data-tag")
            for tag in browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")
        ]
        assert tags == ["articles", "authors", "comments", "tags", "operations"]
        operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")
        title = browser.title
        assert title == "Blog demo - API docs"
        assert len(operations) == 50

        block = browser.find_element(By.ID, "operations-articles-list_articles")
        block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"{LIST} .try-out__btn"))).click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"{LIST} .execute"))).click()
        status = (By.CSS_SELECTOR, f"{LIST} .live-responses-table tbody .response-col_status")
        wait.until(ec.visibility_of_element_located(status))
        assert browser.find_element(*status).text.split()[0] == "200"
        body = block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
        assert '"type": "articles"' in body

        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        tried = [
            request for request in server.requests("GET") if request.startswith("GET /articles")
        ]
        assert tried == ["GET /articles"]
    seen = f"title {title!r}, {len(tags)} tags, {len(operations)} operations, GET /articles -> 200"
    record_property("docs_page", seen)
    print(f"docs page: {seen}")
