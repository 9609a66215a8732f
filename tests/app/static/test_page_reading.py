"""End-to-end tests of the page's step-by-step views, in Debian's Chromium: "watch it read" in the
draw view (rows 1..t, the player and the chart) and the adder's state under its bits.

    pytest -m browser tests/app/static/test_page_reading.py     # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

from typing import Any

import pytest

from tests.app.static.browsing import DIGIT_MODELS, SEVEN, draw, no_sideways_scroll, open_view, touch_draw

pytestmark = pytest.mark.browser

BIDIRECTIONAL = {"mnist-birnn-128", "mnist-bilstm-128"}
RESULT = "#draw-result"
# The same canvas, sent without steps: the normal answer of every model, by name.
NORMAL_ANSWER = """async () => {
  const blob = await new Promise((done) => document.getElementById("pad").toBlob(done, "image/png"));
  const form = new FormData();
  form.append("file", blob, "drawing.png");
  const data = await (await fetch("classify?model=all", { method: "POST", body: form })).json();
  return Object.fromEntries(data.results.map((r) => [r.model, r.probabilities]));
}"""
BARS = """rows => Object.fromEntries(
  rows.map((r) => [r.dataset.model, [...r.querySelectorAll(".bar")].map((b) => Number(b.dataset.p))])
)"""


def watch_it_read(page: Any, base_url: str) -> None:
    open_view(page, base_url, "draw")
    page.locator("#watch").click()
    assert page.locator("#watch").get_attribute("aria-pressed") == "true"


def read_steps(page: Any) -> Any:
    page.wait_for_selector(f'{RESULT}[data-state="done"][data-steps="true"][aria-busy="false"]')
    return page.locator(f"{RESULT} .reading")


def bars(page: Any) -> dict[str, list[float]]:
    result: dict[str, list[float]] = page.locator(f"{RESULT} .model-row").evaluate_all(BARS)
    return result


def test_watch_it_read_scrubs_to_row_10_and_row_28(page: Any, base_url: str, screenshot: Any) -> None:
    watch_it_read(page, base_url)
    draw(page, SEVEN)
    panel = read_steps(page)
    assert panel.get_attribute("data-step") == "28"  # it opens on the answer
    assert page.locator(f"{RESULT} .reading-chart polyline").count() == len(DIGIT_MODELS) + 1  # and the ensemble
    final = bars(page)
    slider = panel.get_by_role("slider", name="Rows read")
    slider.fill("10")
    assert panel.get_attribute("data-step") == "10"
    assert "after 10 rows" in page.locator(f"{RESULT} .section-title").last.inner_text()
    at_ten = bars(page)
    assert at_ten.keys() == final.keys() and at_ten != final
    screenshot(page, "watch-it-read-row-10")
    slider.fill("28")
    assert panel.get_attribute("data-step") == "28"
    normal = page.evaluate(NORMAL_ANSWER)
    shown = bars(page)
    for model in DIGIT_MODELS:
        tolerance = 1e-6 + 1e-9 if model not in BIDIRECTIONAL else 1e-5
        assert max(abs(a - b) for a, b in zip(shown[model], normal[model], strict=True)) <= tolerance, model
    screenshot(page, "watch-it-read-row-28")


def test_watch_it_read_by_keyboard_and_player(page: Any, base_url: str) -> None:
    watch_it_read(page, base_url)
    draw(page, SEVEN)
    panel = read_steps(page)
    panel.focus()
    page.keyboard.press("Home")
    assert panel.get_attribute("data-step") == "1"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert panel.get_attribute("data-step") == "3"
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert panel.get_attribute("data-step") == "27"
    play = panel.get_by_role("button", name="Play")
    play.click()  # from row 27 it plays on to 28 and stops there
    page.wait_for_function("() => document.querySelector('#draw-result .reading').dataset.step === '28'")
    panel.get_by_role("slider", name="Rows read").fill("1")
    panel.get_by_role("button", name="Play").click()
    page.wait_for_function("() => Number(document.querySelector('#draw-result .reading').dataset.step) >= 3")
    panel.get_by_role("button", name="Pause").click()
    assert panel.get_by_role("button", name="Play").get_attribute("aria-pressed") == "false"


def test_watch_it_read_on_a_phone(phone: Any, base_url: str, screenshot: Any) -> None:
    watch_it_read(phone, base_url)
    touch_draw(phone, SEVEN)
    panel = read_steps(phone)
    panel.get_by_role("slider", name="Rows read").fill("14")
    assert no_sideways_scroll(phone)
    screenshot(phone, "watch-it-read-phone")


def test_adder_shows_its_state_under_the_bits(page: Any, base_url: str, screenshot: Any) -> None:
    open_view(page, base_url, "add")
    assert page.locator("#add-steps").is_checked()
    page.locator("#a").fill("101101110")
    page.locator("#b").fill("11011011")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector('#add-result[data-state="done"][data-steps="true"][aria-busy="false"]')
    heat = page.locator("#add-result .row-heat")
    units = heat.count() - 1  # one row per unit, then the true carry
    assert 3 <= units <= 10
    assert heat.last.locator("td[data-step]").count() == 10  # one cell per sum bit
    note = page.locator("#add-result .carry-note").inner_text()
    marked = page.locator("#add-result .row-heat.carry-unit").count()
    assert ("tracks the carry" in note and "r = " in note and marked == 1) or ("No unit" in note or "no unit" in note)
    reading = page.locator("#add-result .adder-reading")
    reading.get_by_role("slider").fill("4")
    assert reading.get_attribute("data-step") == "4"
    assert page.locator("#add-result td.later").count() > 0
    screenshot(page, "add-state-heat-map")
    page.get_by_label("hidden h (output)").check()
    page.get_by_label("cell c (memory)").check()
    assert page.locator("#add-result .row-heat").count() == units + 1
