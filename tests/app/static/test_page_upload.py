"""The page's upload view in Debian's Chromium: real photos of digits, chosen or dropped on the page,
get the right answer; a file that is not an image gets an explanation in plain words.

    pytest -m browser tests/app/static/test_page_upload.py      # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

from pathlib import Path
from typing import Any

import pytest

from tests.app.static.browsing import REAL_DIGITS, UPLOADS, answer, label_of, no_sideways_scroll, open_view

pytestmark = pytest.mark.browser


@pytest.mark.skipif(not REAL_DIGITS.is_dir(), reason="../shared/real-digits is absent (real photos are not committed)")
def test_uploading_real_photos_shows_the_right_digits(page: Any, base_url: str, screenshot: Any) -> None:
    open_view(page, base_url, "upload")
    labels = [label_of(path) for path in UPLOADS]
    assert len(set(labels)) >= 3
    for path, label in zip(UPLOADS, labels, strict=True):
        with page.expect_response(lambda response: "/classify" in response.url):
            page.locator("#file").set_input_files(str(REAL_DIGITS / path))
        shown = answer(page, "#upload-result")
        screenshot(page, f"upload-{label}-desktop")
        assert shown == str(label), path
        assert page.locator("#upload-thumb").is_visible()
        assert Path(path).name in page.locator("#file-name").inner_text()


@pytest.mark.skipif(not REAL_DIGITS.is_dir(), reason="../shared/real-digits is absent (real photos are not committed)")
def test_upload_view_on_a_phone(phone: Any, base_url: str, screenshot: Any) -> None:
    open_view(phone, base_url, "upload")
    phone.locator("#file").set_input_files(str(REAL_DIGITS / UPLOADS[0]))
    shown = answer(phone, "#upload-result")
    screenshot(phone, "upload-phone")
    assert shown == str(label_of(UPLOADS[0]))
    assert no_sideways_scroll(phone)


def test_dropping_a_file_on_the_page_classifies_it(page: Any, base_url: str) -> None:
    open_view(page, base_url, "draw")
    png = page.evaluate("""async () => {
        const c = document.createElement('canvas'); c.width = c.height = 100;
        const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 100, 100);
        g.strokeStyle = '#000'; g.lineWidth = 9; g.lineCap = 'round';
        g.beginPath(); g.moveTo(52, 15); g.lineTo(48, 85); g.stroke();
        return c.toDataURL('image/png');
    }""")
    page.evaluate(
        """async (url) => {
            const blob = await (await fetch(url)).blob();
            const data = new DataTransfer();
            data.items.add(new File([blob], 'one.png', {type: 'image/png'}));
            for (const type of ['dragenter', 'dragover', 'drop'])
                document.body.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
        }""",
        png,
    )
    page.wait_for_selector("#view-upload:not([hidden])")
    assert answer(page, "#upload-result") == "1"
    assert page.locator("#drop-overlay").is_hidden()


def test_upload_of_a_non_image_explains_the_error(
    page: Any, base_url: str, console: Any, screenshot: Any, tmp_path: Path
) -> None:
    console.allow(400, 415)
    fake = tmp_path / "digit.png"
    fake.write_text("these are not the pixels you are looking for\n")
    open_view(page, base_url, "upload")
    page.locator("#file").set_input_files(str(fake))
    alert = page.locator('#upload-result[data-state="error"] [role="alert"]')
    alert.wait_for()
    text = alert.inner_text()
    assert page.locator("#upload-result .alert-title").inner_text().strip()
    assert len(text) > 30 and "Traceback" not in text and "{" not in text
    screenshot(page, "upload-error-desktop")
