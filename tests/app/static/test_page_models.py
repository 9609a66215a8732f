"""The page's models view and its keyboard use in Debian's Chromium: every model's card with its
curves, on a desktop and a phone; every control reachable and named without a mouse.

    pytest -m browser tests/app/static/test_page_models.py      # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

from typing import Any

import pytest

from tests.app.static.browsing import ADDERS, DIGIT_MODELS, LOAD_IMAGES, no_sideways_scroll, open_view

pytestmark = pytest.mark.browser


def test_models_view_lists_all_14_models_with_cards_and_curves(page: Any, base_url: str, screenshot: Any) -> None:
    open_view(page, base_url, "models")
    page.wait_for_selector('#models-list[data-state="done"]')
    cards = page.locator("#models-list .model-card")
    names = cards.evaluate_all("cards => cards.map(c => c.dataset.model)")
    assert sorted(names) == sorted(DIGIT_MODELS + ADDERS)
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator(".arch").inner_text().strip()
        assert card.locator(".stat").count() >= 2  # an accuracy and the parameter count
        assert card.locator(".plot img").count() >= 2
    first = cards.first.locator(".plot img").first
    first.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    page.evaluate(LOAD_IMAGES)
    screenshot(page, "models-desktop")


def test_models_view_on_a_phone(phone: Any, base_url: str, screenshot: Any) -> None:
    open_view(phone, base_url, "models")
    phone.wait_for_selector('#models-list[data-state="done"]')
    assert phone.locator("#models-list .model-card").count() == 14
    assert no_sideways_scroll(phone)
    phone.evaluate(LOAD_IMAGES)
    screenshot(phone, "models-phone")


def test_everything_but_drawing_works_from_the_keyboard(page: Any, base_url: str) -> None:
    open_view(page, base_url, "draw")
    page.locator("#tab-draw").focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-upload").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-upload"
    page.keyboard.press("ArrowRight")
    assert page.locator("#view-add").is_visible() and page.url.endswith("#add")
    page.keyboard.press("Tab")  # from the tab into the add form
    assert page.evaluate("document.activeElement.id") == "a"
    page.keyboard.type("1011")
    page.keyboard.press("Tab")
    page.keyboard.type("110")
    page.keyboard.press("Enter")
    page.wait_for_selector('#add-result[data-state="done"]')
    assert "".join(page.locator("#add-result .row-exact td").all_inner_texts()) == "10001"
    page.locator("#tab-add").focus()
    page.keyboard.press("End")
    assert page.locator("#view-models").is_visible()
    for control in page.locator("button:visible, input:visible, select:visible").all():
        name = control.evaluate("c => c.labels?.[0]?.innerText || c.getAttribute('aria-label') || c.innerText")
        assert name.strip(), control.evaluate("c => c.outerHTML")
