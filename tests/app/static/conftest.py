"""Browser fixtures for the web page's end-to-end tests: Debian's Chromium driven by Playwright.

    pytest -m browser tests/app/static              # needs /usr/bin/chromium (apt-get install chromium)

`page` (desktop, 1280x900) and `phone` (390x844, touch) open the app served by the session's
`live_server` (tests/conftest.py). Every browser console error, uncaught exception, failed request
and request to anywhere but the app fails the test at teardown; a test that provokes an HTTP error
on purpose declares it with `console.allow(status)`. `screenshot(page, name)` saves
artifacts/screenshots/<name>.png.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


class Console:
    """What went wrong in the browser during one test."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.errors: list[str] = []
        self.allowed_statuses: set[int] = set()
        self.allowed_failures: set[str] = set()

    def allow(self, *statuses: int) -> None:
        """The test provokes these HTTP error statuses on purpose; Chromium logs each as an error."""
        self.allowed_statuses.update(statuses)

    def allow_failure(self, failure: str) -> None:
        """The test makes requests fail on purpose with this network error (e.g. net::ERR_FAILED)."""
        self.allowed_failures.add(failure)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        status = HTTP_ERROR.search(message.text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return
        if any(failure in message.text for failure in self.allowed_failures):
            return
        self.errors.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    def on_request(self, request: Any) -> None:
        if not request.url.startswith((self.base_url, "data:", "blob:")):
            self.errors.append(f"request outside the app: {request.url}")

    def on_request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure or failure in self.allowed_failures:
            return  # aborting a stale /classify request is the page's own doing
        self.errors.append(f"request failed: {request.method} {request.url}: {failure}")

    def watch(self, page: Any) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))
        page.on("request", self.on_request)
        page.on("requestfailed", self.on_request_failed)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium, for this folder's tests only: Playwright's sync API keeps an event loop running in the
    main thread while it is open, and the tests that run after these call asyncio.run()."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not at {CHROMIUM}: apt-get install chromium (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def base_url(live_server: str) -> str:
    return live_server.rstrip("/") + "/"


@pytest.fixture()
def console(base_url: str) -> Console:
    return Console(base_url)


def _open(browser: Any, console: Console, options: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    console.watch(page)
    yield page
    context.close()
    assert not console.errors, "the browser reported errors:\n" + "\n".join(console.errors)


@pytest.fixture()
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A desktop-sized page; navigate with page.goto(base_url + '#draw')."""
    yield from _open(browser, console, DESKTOP)


@pytest.fixture()
def phone(browser: Any, console: Console) -> Iterator[Any]:
    """A phone-sized page: 390 CSS pixels wide, touch, 2x pixels."""
    yield from _open(browser, console, PHONE)


@pytest.fixture(scope="session")
def screenshot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return save
