"""The review pages in a real browser: the system Chromium driven by Playwright against uvicorn on 127.0.0.1.

Skipped when /usr/bin/chromium is missing, a failure when POLICYWATCH_REQUIRE_SERVICES=1. Screenshots go to
tests/artifacts/ (look at them)."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from policywatch.web.app import create_app

from ..services import free_port, unavailable

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def server(filled, config):
    """The app on a free 127.0.0.1 port, served by uvicorn in a thread; yields its base URL."""
    import uvicorn

    engine, _ids = filled
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(engine=engine, config=config), host="127.0.0.1", port=port,
                                        log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        unavailable("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.problems.append(f"pageerror: {exc}"))  # type: ignore[attr-defined]
    pg.on("console", lambda msg: pg.problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)  # type: ignore[attr-defined]
    yield pg
    context.close()


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return r, g, b


def _shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    pg.evaluate("window.scrollTo(0, 0)")  # the sticky toolbar would otherwise cover the top in a full-page shot
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_diff_page_highlights_changed_numbers_and_runs_no_injected_script(server, page, ids):
    page.goto(f"{server}/changes/{ids['hostile_change']}")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # the injected markup is visible as text
    assert "<script>window.__pwned='title'</script>" in page.locator("h1").inner_text()
    assert "<script>window.__pwned='diff';</script>" in page.locator(".row.chg .cell.new").inner_text()
    deleted, inserted = page.locator(".row.chg .cell.old del").first, page.locator(".row.chg .cell.new ins").first
    assert deleted.inner_text() == "13.5%" and inserted.inner_text() == "14%"
    r, g, b = _rgb(deleted.evaluate("e => getComputedStyle(e).backgroundColor"))
    assert r > g and r > b  # red-ish
    r, g, b = _rgb(inserted.evaluate("e => getComputedStyle(e).backgroundColor"))
    assert g > r and g > b  # green-ish
    assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
    _shot(page, "diff-hostile.png")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not page.problems  # type: ignore[attr-defined]  # no CSP violation, no script error


def test_diff_page_keyboard_navigation_and_formatting_toggle(server, page, ids):
    page.goto(f"{server}/changes/{ids['revised']}")
    assert page.locator("section.targets").inner_text().count("→") >= 2
    assert page.locator(".row.chg del").first.inner_text() == "23%"
    assert page.locator(".row.chg ins").first.inner_text() == "20%"
    page.keyboard.press("j")
    assert page.locator(".row.current").get_attribute("id") == "c1"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator(".row.current").get_attribute("id") == "c3"
    page.keyboard.press("k")
    assert page.locator(".row.current").get_attribute("id") == "c2"
    assert page.evaluate("location.hash") == "#c2"  # the address now points at this change
    assert page.locator(".row.current").is_visible()
    fmt = page.locator("#f1")
    assert fmt.count() == 1 and not fmt.is_visible()
    page.locator("#show-fmt").check()
    assert fmt.is_visible() and "２０１８" in fmt.inner_text()
    page.locator("#next-change").click()
    assert page.locator(".row.current").count() == 1
    _shot(page, "diff-revision.png")
    page.goto(f"{server}/changes/{ids['revised']}?view=inline")
    assert page.locator(".diff.inline .row.chg del").first.inner_text() == "23%"
    _shot(page, "diff-revision-inline.png")
    assert not page.problems  # type: ignore[attr-defined]


def test_document_page_with_hostile_links_stays_inert(server, page, ids):
    page.goto(f"{server}/documents/{ids['hostile']}")
    attachment = page.locator("ul.attachments .unsafe")
    assert attachment.inner_text() == "附件<b>1</b>.pdf"
    attachment.click()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.url.startswith(server)
    _shot(page, "document-hostile.png")
    page.goto(f"{server}/documents/{ids['plan']}")
    marked = page.locator("article.text mark.c-target").first
    assert "20%" in marked.inner_text()
    assert _rgb(marked.evaluate("e => getComputedStyle(e).backgroundColor")) != (0, 0, 0)
    _shot(page, "document.png")
    page.goto(f"{server}/")
    _shot(page, "changes.png")
    assert not page.problems  # type: ignore[attr-defined]

