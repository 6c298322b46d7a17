"""Browser tests of the embeddable chat widget (qa/static/widget.js) against the real app.

The module starts `python -m qa serve` on a free port, plus two tiny third-party pages on
other ports that embed the widget with one <script> tag: one origin is in the app's CORS
allow-list, the other is not. Chromium is Debian's /usr/bin/chromium driven by Playwright.

Screenshots of each state go to $QA_TEST_OUTPUT/screenshots/ (default <repo>/test-output).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

from qa.loadtest import local_server  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
OUTPUT = Path(os.environ.get("QA_TEST_OUTPUT") or REPO / "test-output")
SCREENSHOTS = OUTPUT / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 120
WAIT_MS = 30_000  # upper bound for any single wait in a test

ABDALLAH_Q = "What was the overall response rate after retreatment in the Abdallah chart review?"
WEATHER_Q = "What is the weather in Paris today?"
ADVICE_Q = "Should I retreat my 70-year-old patient with daratumumab?"
PROMO_PHRASE = "not intended for promotional purposes"
CONTACT = "For other questions, call Medical Information at 555-0100 (a fictional number for the tests)."


# --------------------------------------------------------------------------- servers


def _free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    with contextlib.ExitStack() as stack:
        socks = []
        for _ in range(n):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]


@dataclass(frozen=True)
class Ports:
    app: int
    allowed: int
    blocked: int


@pytest.fixture(scope="module")
def ports() -> Ports:
    app, allowed, blocked = _free_ports(3)
    return Ports(app=app, allowed=allowed, blocked=blocked)


@pytest.fixture(scope="module")
def app_url(ports: Ports, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app, as `python -m qa serve`, with the second page's origin allowed by CORS."""
    work = tmp_path_factory.mktemp("app")
    env = {
        "QA_SERVICE__CORS_ORIGINS": json.dumps([f"http://127.0.0.1:{ports.allowed}"]),
        # Like tests/conftest.py: the index and the audit log go to a temporary folder, never the repo's.
        "QA_INDEX_DIR": str(work / "index"),
        "QA_SERVICE__AUDIT_LOG": str(work / "audit.jsonl"),
        "QA_SERVICE__CONTACT": CONTACT,
        "PYTHONUNBUFFERED": "1",
    }
    with local_server(STARTUP_TIMEOUT_S, port=ports.app, env=env) as base:
        yield base


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def _static_server(directory: Path, port: int) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"embed-page-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def embed_pages(ports: Ports, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A third-party page holding only the embed tag, served from an allowed and a blocked origin."""
    folder = tmp_path_factory.mktemp("embed")
    app = f"http://127.0.0.1:{ports.app}"
    (folder / "index.html").write_text(
        f'<script src="{app}/widget.js" data-endpoint="{app}/v1/ask" data-open="true"></script>\n',
        encoding="utf-8",
    )
    with _static_server(folder, ports.allowed) as allowed, _static_server(folder, ports.blocked) as blocked:
        yield {"allowed": allowed + "/", "blocked": blocked + "/"}


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _new_context(browser: Browser, width: int = 1280, height: int = 900) -> BrowserContext:
    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(WAIT_MS)
    ctx.set_default_navigation_timeout(WAIT_MS)
    return ctx


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = _new_context(browser)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _panel(page: Page):
    return page.get_by_role("dialog", name="Medical Information chat")


def _ask(page: Page, question: str):
    """Type a question, press Send, wait until the answer (or an error) is in; return the turn."""
    turns = page.locator(".qa-turn")
    before = turns.count()
    page.get_by_label("Ask a question").fill(question)
    page.get_by_role("button", name="Send").click()
    expect(turns).to_have_count(before + 1, timeout=WAIT_MS)
    turn = turns.nth(before)
    _wait_answered(turn)
    return turn


def _wait_answered(turn) -> None:
    expect(turn.locator(".qa-answer")).to_have_attribute("aria-busy", "false", timeout=WAIT_MS)


def _widget_disclaimer(page: Page):
    return page.locator(".qa-panel .qa-disclaimer")


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------- tests


def test_answer_cards_cite_references_and_show_disclaimer(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    panel = _panel(page)
    expect(panel).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    _shot(page, "01-opened")

    turn = _ask(page, ABDALLAH_Q)
    expect(turn.locator(".qa-question-text")).to_have_text(ABDALLAH_Q)
    cards = turn.locator(".qa-card")
    expect(cards.first).to_be_visible()
    expect(turn.get_by_text("This letter does not answer that.")).to_have_count(0)

    marker = turn.locator(".qa-card a.qa-cite", has_text=re.compile(r"^\[4\]$")).first
    expect(marker).to_be_visible()
    href = marker.get_attribute("href") or ""
    assert href.startswith("#"), href
    reference = turn.locator(f'[id="{href[1:]}"]')
    expect(reference).to_have_count(1)
    expect(reference).to_have_text(re.compile(r"^\s*4\.\s.*Abdallah", re.S))
    assert reference.evaluate("el => el.closest('.qa-turn') !== null")

    # Following the marker moves to the reference inside the panel, not the host page's URL.
    marker.click()
    expect(reference).to_be_in_viewport()
    expect(reference).to_be_focused()
    assert "#" not in page.url

    # The full passage is behind a <details>.
    details = cards.first.locator("details.qa-full")
    expect(details.locator("summary")).to_have_text("Show full passage")
    details.locator("summary").click()
    expect(details.locator(".qa-full-text")).to_be_visible()

    disclaimer = _widget_disclaimer(page)
    expect(disclaimer).to_be_visible()
    expect(disclaimer).to_contain_text(PROMO_PHRASE)
    expect(panel.locator(".qa-subtitle")).to_contain_text("Last updated")
    _shot(page, "02-answer")


def test_before_any_question_the_widget_shows_the_letter_and_says_questions_are_recorded(
        page: Page, app_url: str) -> None:
    """Title, date and disclaimer are the served letter's own (GET /v1/documents), not text of the widget."""
    (letter,) = _get_json(app_url + "/v1/documents")  # type: ignore[misc]
    page.goto(app_url + "/")
    panel = _panel(page)
    expect(panel).to_be_visible(timeout=WAIT_MS)
    expect(panel.locator(".qa-title")).to_have_text(letter["title"])
    expect(panel.locator(".qa-subtitle")).to_have_text(re.compile(r"^Last updated "))
    expect(_widget_disclaimer(page)).to_have_text(letter["disclaimer"])
    expect(panel.locator(".qa-intro")).to_contain_text("Questions are recorded")
    expect(panel.locator(".qa-intro")).to_contain_text("network address")
    expect(page.get_by_text("stay on this page")).to_have_count(0)
    _shot(page, "00-before-a-question")


def test_the_demo_page_lists_the_served_letters_and_the_configured_contact(page: Page, app_url: str) -> None:
    letters = _get_json(app_url + "/v1/documents")
    page.goto(app_url + "/")
    items = page.locator("main ul li")
    expect(items).to_have_text([f"{d['title']} (last updated {d['last_updated']})" for d in letters])  # type: ignore[union-attr]
    expect(page.locator("main")).to_contain_text(CONTACT)
    expect(page.locator("main")).to_contain_text("Questions are recorded")
    expect(page.locator("a[href^='tel:']")).to_have_count(0)
    assert "1-800" not in page.content()


def test_unanswerable_question_says_so(page: Page, app_url: str) -> None:
    assert _get_json(app_url + "/v1/widget") == {"contact": CONTACT}
    page.goto(app_url + "/")
    turn = _ask(page, WEATHER_Q)
    expect(turn.get_by_text("This letter does not answer that.")).to_be_visible()
    expect(turn.locator(".qa-contact")).to_have_text(CONTACT)  # the configured line, no number of the widget's
    assert "1-800" not in page.content()
    # Any passages are only the collapsed "closest passages", never shown as the answer.
    expect(turn.locator(".qa-answer > .qa-cards")).to_have_count(0)
    expect(turn.locator(".qa-card").first).to_be_hidden()
    expect(_widget_disclaimer(page)).to_contain_text(PROMO_PHRASE)
    _shot(page, "03-not-answered")


def test_api_docs_render_offline_under_their_csp(context: BrowserContext, app_url: str) -> None:
    """/docs and /redoc draw from the service's own assets: nothing is fetched from elsewhere. (ReDoc's
    bundle points its small footer logo at its CDN; the page's CSP blocks that image, and only that.)"""
    for path, ready in (("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")):
        page = context.new_page()
        errors: list[str] = []
        fetched_elsewhere: list[str] = []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        page.on("requestfinished", lambda r, out=fetched_elsewhere: None
                if r.url.startswith((app_url, "data:", "blob:")) else out.append(r.url))
        response = page.goto(app_url + path)
        assert response is not None and response.ok and response.headers.get("content-security-policy")
        expect(page.locator(ready).first).to_contain_text("Medical-information grounded QA", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        assert fetched_elsewhere == [], (path, fetched_elsewhere)
        unexpected = [e for e in errors if not ("Loading the image" in e and "img-src" in e)]
        assert unexpected == [], (path, errors)
        _shot(page, f"14-{path.strip('/')}")
        page.close()


def test_advice_request_shows_notice(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    turn = _ask(page, ADVICE_Q)
    notice = turn.locator(".qa-advice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("cannot recommend")
    # The notice comes before any passage cards.
    assert turn.locator(".qa-answer > *").first.evaluate("el => el.classList.contains('qa-advice')")
    _shot(page, "04-advice")


def _focused_is(locator) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def _tab_until(page: Page, locator, limit: int = 60) -> None:
    for _ in range(limit):
        if _focused_is(locator):
            return
        page.keyboard.press("Tab")
    assert _focused_is(locator), "element not reachable with Tab"


def test_keyboard_only(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    panel = _panel(page)
    expect(panel).to_be_visible()
    field = page.get_by_label("Ask a question")

    _tab_until(page, field)
    page.keyboard.type(ABDALLAH_Q)
    page.keyboard.press("Enter")
    turn = page.locator(".qa-turn").first
    _wait_answered(turn)
    expect(turn.locator(".qa-card").first).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")

    # Copy, Send and Close are all in the Tab order, with a visible focus indicator.
    reached: set[str] = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || !el.closest('.qa-root')) return null;
                const cs = getComputedStyle(el);
                return {name: (el.getAttribute('aria-label') || el.textContent || '').trim(),
                        outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0};
            }"""
        )
        if info:
            assert info["outline"], f"no visible focus style on {info['name']!r}"
            reached.add(info["name"])
        if {"Copy answer", "Send", "Close chat"} <= reached:
            break
    assert {"Copy answer", "Send", "Close chat"} <= reached, reached
    _shot(page, "05-keyboard")

    # Escape closes the panel and returns focus to the launcher.
    _tab_until(page, field)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    launcher = page.get_by_role("button", name="Chat live")
    expect(launcher).to_be_visible()
    expect(launcher).to_be_focused()
    assert launcher.evaluate("el => getComputedStyle(el).outlineStyle !== 'none'")
    _shot(page, "06-closed")

    # Enter on the launcher opens it again with the focus in the text box; history is kept.
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(field).to_be_focused()
    expect(page.locator(".qa-turn")).to_have_count(1)


def test_fits_a_360px_screen(browser: Browser, app_url: str) -> None:
    ctx = _new_context(browser, width=360, height=740)
    try:
        page = ctx.new_page()
        page.goto(app_url + "/")
        panel = _panel(page)
        expect(panel).to_be_visible()
        turn = _ask(page, ABDALLAH_Q)
        expect(turn.locator(".qa-card").first).to_be_visible()
        turn.locator(".qa-card details.qa-full summary").first.click()

        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = panel.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        assert box["width"] >= 359, f"panel should take the full width on small screens: {box}"
        assert panel.evaluate("el => el.scrollWidth <= el.clientWidth")
        body = panel.locator(".qa-body")
        assert body.evaluate("el => el.scrollWidth <= el.clientWidth")
        expect(_widget_disclaimer(page)).to_be_in_viewport()
        expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
        _shot(page, "07-mobile-360")

        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Chat live")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _shot(page, "08-mobile-360-closed")
    finally:
        ctx.close()


def test_embed_on_other_origins(page: Page, app_url: str, embed_pages: dict[str, str]) -> None:
    page.goto(embed_pages["allowed"])
    expect(_panel(page)).to_be_visible()
    # The page declares no charset: the widget's own text must still come out right.
    expect(page.get_by_label("Ask a question")).to_have_attribute("placeholder", "Type your question\u2026")
    turn = _ask(page, ABDALLAH_Q)
    expect(turn.locator(".qa-card").first).to_be_visible()
    expect(turn.locator(".qa-error")).to_have_count(0)
    _shot(page, "09-embed-allowed-origin")

    page.goto(embed_pages["blocked"])
    expect(_panel(page)).to_be_visible()
    turn = _ask(page, ABDALLAH_Q)
    expect(turn.locator(".qa-error")).to_contain_text("The service could not be reached.")
    expect(turn.locator(".qa-card")).to_have_count(0)
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    _shot(page, "10-embed-blocked-origin")


def test_copy_answer(page: Page, context: BrowserContext, app_url: str) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page.goto(app_url + "/")
    turn = _ask(page, ABDALLAH_Q)
    expect(turn.locator(".qa-card").first).to_be_visible()
    copy = turn.get_by_role("button", name="Copy answer")
    copy.click()
    expect(turn.locator(".qa-copy")).to_have_text("Copied")

    copied = page.evaluate("navigator.clipboard.readText()")
    disclaimer = (_widget_disclaimer(page).text_content() or "").strip()
    assert PROMO_PHRASE in disclaimer
    assert re.search(r"^\[\d+\]", copied, re.M), copied
    assert "References:" in copied
    assert re.search(r"^4\. .*Abdallah", copied, re.M), copied
    assert copied.rstrip().endswith(disclaimer), copied
    assert copied.index("References:") < copied.index(disclaimer)
    _shot(page, "11-copied")


def test_csp_header_and_no_console_errors(page: Page, app_url: str) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    response = page.goto(app_url + "/")
    assert response is not None and response.ok
    csp = response.headers.get("content-security-policy")
    assert csp, "GET / must send a Content-Security-Policy header"
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp

    # The widget's stylesheet applied (it is injected as a <link>, no inline styles).
    launcher_position = page.locator(".qa-panel").evaluate("el => getComputedStyle(el).position")
    assert launcher_position == "fixed"
    turn = _ask(page, ABDALLAH_Q)
    expect(turn.locator(".qa-card").first).to_be_visible()
    page.wait_for_timeout(300)
    assert errors == [], errors
    _shot(page, "12-csp-page")


def test_server_error_message_is_shown(page: Page, app_url: str) -> None:
    question = ("What was the overall response rate after retreatment with DARZALEX? " * 30)[:1500]
    assert len(question) == 1500
    # What the server says about this question, asked directly.
    request = urllib.request.Request(
        app_url + "/v1/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 422
    message = json.loads(info.value.read())["error"]["message"]
    assert message

    page.goto(app_url + "/")
    turn = _ask(page, question)
    error = turn.locator(".qa-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(message)
    expect(error.locator(".qa-error-detail")).to_be_in_viewport()
    expect(turn.locator(".qa-card")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _shot(page, "13-error-422")
