"""End-to-end tests of the web page (app/static/): Debian's Chromium, driven by Playwright, against
the app served by uvicorn on a free port (the `live_server` fixture) with the committed models_store.

    pytest -m browser tests/app/static/test_page.py      # screenshots land in artifacts/screenshots/

Each test fails if the browser logs an error (see tests/app/static/conftest.py).
"""

import contextlib
import csv
import itertools
import random
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[3]
REAL_DIGITS = REPO.parent / "shared" / "real-digits"
DIGIT_MODELS = [
    "mnist-rnn-128", "mnist-rnn-256", "mnist-rnn-128x2", "mnist-lstm-128",
    "mnist-gru-128", "mnist-birnn-128", "mnist-bilstm-128",
]  # fmt: skip
ADDERS = [
    "adder-lstm-3", "adder-lstm-10", "adder-lstm-5-mse", "adder-lstm-5-bce",
    "adder-lstm-5-len3", "adder-lstm-5-len5", "adder-lstm-5-len10",
]  # fmt: skip
# Photos and scans of ink on paper, and one canvas drawing, from four sources (manifest.csv).
UPLOADS = [
    "ParkerCai__PRCV_Project-5_Recognition-using-Deep-Networks/3_1.png",
    "ashishdasu__recognition-DNN/4_1.png",
    "owenliang__NeuralNetwork/7_1.png",
    "7eraflops__mnist-digit-recognition/2_1.png",
]


def open_view(page: Any, base_url: str, view: str) -> None:
    page.goto(f"{base_url}#{view}")
    page.wait_for_selector(f"#view-{view}:not([hidden])")


def draw(page: Any, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw on the pad with the mouse (Chromium turns it into pointer events); points in [0, 1]."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()


def answer(page: Any, container: str) -> str:
    """Wait until the container shows a finished answer (not busy), and return the ensemble's digit."""
    page.wait_for_selector(f'{container}[data-state="done"][aria-busy="false"]')
    return page.locator(f"{container} .ensemble-digit").inner_text()


def label_of(path: str) -> int:
    with (REAL_DIGITS / "manifest.csv").open() as manifest:
        return next(int(row["label"]) for row in csv.DictReader(manifest) if row["path"] == path)


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# Load every image now, lazy ones too, so that full-page screenshots show the training curves.
LOAD_IMAGES = "Promise.all([...document.images].filter(i => i.src).map(i => (i.loading = 'eager', i.decode())))"
ONE = [[(0.52, 0.18), (0.5, 0.5), (0.48, 0.82)]]
SEVEN = [[(0.28, 0.22), (0.72, 0.22), (0.6, 0.45), (0.46, 0.82)]]


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


def touch_draw(page: Any, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw with a finger: raw touch events through the DevTools protocol (Chromium makes them pointer events)."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        path = [points[0]]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            path += [(x0 + (x1 - x0) * t / 10, y0 + (y1 - y0) * t / 10) for t in range(1, 11)]
        for kind, (x, y) in [("touchStart", path[0]), *(("touchMove", point) for point in path[1:])]:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


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
