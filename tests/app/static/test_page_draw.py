"""The page's draw view in Debian's Chromium, driven by Playwright against the live app: a drawn
digit gets the ensemble's answer and the preview the model saw, with a mouse or a finger, while the
pen is down, and never a stale answer.

    pytest -m browser tests/app/static/test_page_draw.py      # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

import contextlib
from typing import Any

import pytest

from tests.app.static.browsing import DIGIT_MODELS, ONE, SEVEN, answer, draw, no_sideways_scroll, open_view, touch_draw

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("name", "strokes", "digit"), [("one", ONE, "1"), ("seven", SEVEN, "7")])
def test_drawing_a_digit_shows_the_ensembles_answer_and_preview(
    page: Any, base_url: str, screenshot: Any, name: str, strokes: Any, digit: str
) -> None:
    open_view(page, base_url, "draw")
    draw(page, strokes)
    shown = answer(page, "#draw-result")
    screenshot(page, f"draw-{name}-desktop")
    assert shown == digit
    rows = page.locator("#draw-result .model-row")
    assert rows.count() == 1 + len(DIGIT_MODELS)  # the ensemble, then every digit model
    assert sorted(rows.evaluate_all("rows => rows.slice(1).map(r => r.dataset.model)")) == sorted(DIGIT_MODELS)
    assert page.locator("#draw-result .model-row").first.locator(".bar").count() == 10
    preview = page.locator("#draw-result .preview img")
    assert preview.get_attribute("src").startswith("data:image/png;base64,")
    assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [28, 28]
    assert preview.evaluate("img => getComputedStyle(img).imageRendering") == "pixelated"


def test_undo_and_clear_return_to_an_empty_pad(page: Any, base_url: str) -> None:
    open_view(page, base_url, "draw")
    assert page.locator("#undo").is_disabled()
    draw(page, SEVEN)
    answer(page, "#draw-result")
    draw(page, [[(0.2, 0.9), (0.3, 0.9)]])
    page.wait_for_selector('#draw-result[aria-busy="false"]')
    page.locator("#undo").click()  # back to the single 7
    assert answer(page, "#draw-result") == "7"
    page.keyboard.press("Control+z")
    page.wait_for_selector('#draw-result[data-state="idle"]')
    assert page.locator("#clear").is_disabled()
    draw(page, ONE)
    answer(page, "#draw-result")
    page.locator("#clear").click()
    page.wait_for_selector('#draw-result[data-state="idle"]')


def test_drawing_with_a_finger_on_a_phone(phone: Any, base_url: str, screenshot: Any) -> None:
    open_view(phone, base_url, "draw")
    touch_draw(phone, SEVEN)
    shown = answer(phone, "#draw-result")
    screenshot(phone, "draw-phone")
    assert shown == "7"
    assert no_sideways_scroll(phone)


def test_it_classifies_while_the_pen_is_still_down(page: Any, base_url: str) -> None:
    open_view(page, base_url, "draw")
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 0.52 * box["width"], box["y"] + 0.18 * box["height"])
    page.mouse.down()
    with page.expect_response(lambda response: "/classify" in response.url):
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.8 * box["height"], steps=10)
    answer(page, "#draw-result")  # shown after the 250 ms pause, before the pen lifts
    page.mouse.up()


def test_a_late_answer_never_replaces_a_newer_one(page: Any, base_url: str) -> None:
    held: list[Any] = []
    previews: list[str] = []

    def hold_first(route: Any) -> None:
        if not held:
            held.append(route)  # answered below, after the newer request's answer is shown
        else:
            route.continue_()

    open_view(page, base_url, "draw")
    page.route("**/classify*", hold_first)
    page.on("response", lambda r: previews.append(r.json()["preview"]) if "/classify" in r.url else None)
    draw(page, ONE)
    page.wait_for_function("() => document.querySelector('#draw-result').getAttribute('aria-busy') === 'true'")
    with page.expect_response(lambda response: "/classify" in response.url):
        draw(page, [[(0.3, 0.5), (0.7, 0.5)]])
    answer(page, "#draw-result")
    shown = page.locator("#draw-result .preview img").get_attribute("src")
    with contextlib.suppress(Exception):  # the page has aborted it; if it still arrives, it must be ignored
        held[0].continue_()
    page.wait_for_timeout(500)
    assert page.locator("#draw-result .preview img").get_attribute("src") == shown == previews[-1]
