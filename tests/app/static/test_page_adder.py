"""The page's adder view in Debian's Chromium: exact sums checked against Python's integers, a chosen
model's wrong bits marked, bad input caught before any request, and the service's errors in plain words.

    pytest -m browser tests/app/static/test_page_adder.py      # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

import random
from typing import Any

import pytest

from tests.app.static.browsing import ADDERS, no_sideways_scroll, open_view

pytestmark = pytest.mark.browser


def test_adder_gives_the_exact_sum_of_a_random_64_bit_pair(page: Any, base_url: str, screenshot: Any) -> None:
    open_view(page, base_url, "add")
    page.locator("#nbits").fill("64")
    with page.expect_response(lambda response: response.url.endswith("/add")):
        page.get_by_role("button", name="Random 64-bit pair").click()
    page.wait_for_selector('#add-result[data-state="done"][aria-busy="false"]')
    a, b = (page.locator(selector).input_value() for selector in ("#a", "#b"))
    assert len(a) == len(b) == 64 and set(a + b) <= {"0", "1"}
    exact = format(int(a, 2) + int(b, 2), "b").zfill(65)  # the oracle: Python's integers
    cells = "#add-result .row-{} td"
    assert "".join(page.locator(cells.format("exact")).all_inner_texts()) == exact
    assert "".join(page.locator(cells.format("model")).all_inner_texts()) == exact
    assert page.locator("#add-result td.wrong").count() == 0
    assert page.locator("#add-result").get_attribute("data-correct") == "true"
    assert page.locator("#add-result .row-confidence .conf-fill").count() == 65
    screenshot(page, "add-desktop")


def test_adder_compares_bits_with_a_chosen_model(page: Any, base_url: str) -> None:
    open_view(page, base_url, "add")
    options = page.locator("#adder-model option").evaluate_all("options => options.map(o => o.value)")
    assert sorted(options) == sorted(["", *ADDERS])
    page.locator("#adder-model").select_option("adder-lstm-5-len3")  # trained on 3 bits only: often wrong
    rng = random.Random(5)
    a, b = (format(rng.getrandbits(40) | 1 << 39, "b") for _ in range(2))
    page.locator("#a").fill(a)
    page.locator("#b").fill(b)
    page.locator("#b").press("Enter")
    page.wait_for_selector('#add-result[data-state="done"][aria-busy="false"]')
    exact = format(int(a, 2) + int(b, 2), "b").zfill(41)
    model = "".join(page.locator("#add-result .row-model td").all_inner_texts())
    wrong = page.locator("#add-result .row-model td.wrong").count()
    assert wrong == sum(x != y for x, y in zip(model, exact, strict=True))
    assert page.locator("#add-result").get_attribute("data-correct") == str(model == exact).lower()
    assert "adder-lstm-5-len3" in page.locator("#add-result .sum-head").inner_text()


def test_adder_flags_invalid_input_without_calling_the_api(page: Any, base_url: str, screenshot: Any) -> None:
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url) if request.url.endswith("/add") else None)
    open_view(page, base_url, "add")
    page.locator("#a").fill("10201")
    error = page.locator("#a-error")
    assert "Only 0 and 1" in error.inner_text() and "“2” at position 3" in error.inner_text()
    assert page.locator("#a").get_attribute("aria-invalid") == "true"
    page.locator("#add-submit").click()
    assert "Enter a binary number" in page.locator("#b-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "a"  # focus goes to the first bad field
    screenshot(page, "add-invalid-desktop")
    page.locator("#a").fill("1011")
    assert error.inner_text() == "" and page.locator("#a").get_attribute("aria-invalid") == "false"
    assert calls == []


def test_adder_shows_the_services_limit_in_plain_words(page: Any, base_url: str, console: Any) -> None:
    console.allow(413, 422)
    open_view(page, base_url, "add")
    page.locator("#a").fill("1" * 20_001)  # past the default RNNLAB_MAX_BITS
    page.locator("#b").fill("1")
    page.locator("#add-submit").click()
    alert = page.locator('#add-result[data-state="error"] [role="alert"]')
    alert.wait_for()
    text = alert.inner_text()
    assert "Traceback" not in text and "body." not in text and len(text) > 30


def test_adder_on_a_phone(phone: Any, base_url: str, screenshot: Any) -> None:
    open_view(phone, base_url, "add")
    phone.locator("#nbits").fill("64")
    phone.get_by_role("button", name="Random 64-bit pair").click()
    phone.wait_for_selector('#add-result[data-state="done"][aria-busy="false"]')
    assert no_sideways_scroll(phone)  # the bits scroll inside their own box
    screenshot(phone, "add-phone")


def test_server_failures_read_as_plain_words(page: Any, base_url: str, console: Any) -> None:
    console.allow(500)
    console.allow_failure("net::ERR_FAILED")
    open_view(page, base_url, "add")
    page.locator("#a").fill("1011")
    page.locator("#b").fill("110")
    trace = 'Traceback (most recent call last):\n  File "app/predict.py", line 3\nKeyError: x'
    page.route("**/add", lambda route: route.fulfill(status=500, body=trace, content_type="text/plain"))
    page.locator("#add-submit").click()
    alert = page.locator('#add-result[data-state="error"] [role="alert"]')
    assert "went wrong on the server" in alert.inner_text() and "Traceback" not in alert.inner_text()
    page.unroute("**/add")
    page.route("**/add", lambda route: route.abort("failed"))
    page.locator("#add-submit").click()
    alert.filter(has_text="Can't reach the server").wait_for()
