"""The widget in a real browser: Debian's Chromium driven by Playwright, on a page of another
origin that embeds the snippet, against the ASGI app served by uvicorn."""

import http.server
import os
import shutil
import socket
import threading

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from conversations.models import Contact
from tests.fakes.openai_server import Reply

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The flags a sandboxed root machine with no network needs (no sandbox, no Google lookups).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest.fixture
def asgi_server(site, settings):
    """The project's ASGI app (as `Procfile`'s web process runs it) on 127.0.0.1."""
    from config.asgi import application

    settings.SECURE_SSL_REDIRECT = False
    sock = _listening_socket()
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def shop_page(site, asgi_server):
    """A page of the business's own site (another origin) with the snippet pasted in."""
    html = (
        "<!doctype html><html lang='en'><head><title>Shop</title></head><body>"
        "<h1>Our shop</h1>"
        f"<script src='{asgi_server}/webchat/widget.js' data-site='{site.key}' async></script>"
        "</body></html>"
    ).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    site.allowed_origins = url.rstrip("/")
    site.save()
    yield url
    server.shutdown()


@pytest.fixture
def browser(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread: the test's own database
    reads are still synchronous (Django would refuse them beside a running loop)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path):
    """Where the test's screenshots go: the README's pictures when SCREENSHOTS_DIR names
    their folder (`SCREENSHOTS_DIR=docs/images pytest tests/webchat/test_browser.py`)."""
    return os.environ.get("SCREENSHOTS_DIR") or tmp_path


def test_a_visitor_asks_sees_the_answer_stream_leaves_a_phone_and_finds_it_after_a_reload(
    browser, shop_page, fake_openai, screenshots
):
    rest = threading.Event()
    fake_openai.queue(
        Reply("We are open from nine to six.", chunk_size=6, held_until=rest, pieces_before_hold=2)
    )
    page = browser.new_page(viewport={"width": 1000, "height": 720})
    page.goto(shop_page)
    page.locator("button.b").click()
    chat = page.frame_locator("iframe.f")
    expect(chat.locator(".m.assistant").first).to_contain_text("Hello! I will help you choose.")

    chat.locator("textarea").fill("When are you open?")
    chat.locator("textarea").press("Enter")
    answer = chat.locator(".m.assistant").last
    expect(answer).to_have_text("We are open")
    page.screenshot(path=f"{screenshots}/webchat-streaming.png")
    rest.set()
    expect(answer).to_have_text("We are open from nine to six.")

    chat.locator("#menu").get_by_role("button", name="Leave a contact").click()
    form = chat.locator("form#contact")
    expect(form).to_be_visible()
    form.locator("input[name=phone]").fill("+7 912 345-67-89")
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="Send").click()
    expect(chat.locator(".m.system").last).to_contain_text("Thank you! We saved +79123456789")
    page.screenshot(path=f"{screenshots}/webchat-contact.png")

    page.reload()
    chat = page.frame_locator("iframe.f")
    expect(chat.locator(".m.assistant", has_text="We are open from nine to six.")).to_be_visible()
    expect(chat.locator(".m.user", has_text="When are you open?")).to_be_visible()
    lead = Contact.objects.get(channel=Contact.Channel.WEB)
    assert lead.phone == "+79123456789"
    assert lead.consent_at is not None
