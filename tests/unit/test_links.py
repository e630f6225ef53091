"""Shared links: URL normalisation, title extraction and guarded fetching (bot.links).

Fetch tests run against a real aiohttp server on a free 127.0.0.1 port; nothing here
contacts an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass, field

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.toolkit.links import (
    BlockedAddressError,
    FetchPolicy,
    fetch_title,
    is_public_address,
    open_session,
)
from bot.toolkit.titles import extract_title
from bot.toolkit.urls import normalize_url

MIB = 1024 * 1024
LOCAL = FetchPolicy(timeout_s=3.0, allow_private=True)
GUARDED = FetchPolicy(timeout_s=3.0)


# ------------------------------------------------------------------ normalize_url

NORMALISED = [
    ("HTTPS://Example.ORG/Page", "https://example.org/Page"),
    ("https://example.org/", "https://example.org"),
    ("https://example.org", "https://example.org"),
    ("https://example.org/a/b/", "https://example.org/a/b"),
    ("https://example.org/a?utm_source=x&id=3&utm_medium=y", "https://example.org/a?id=3"),
    ("https://example.org/a?UTM_Campaign=x", "https://example.org/a"),
    ("https://example.org/a?fbclid=abc", "https://example.org/a"),
    ("https://example.org/a?b=2&gclid=z&a=1&mc_cid=1&mc_eid=2", "https://example.org/a?b=2&a=1"),
    ("https://example.org/?q=a+b&p=%C3%A9", "https://example.org?q=a+b&p=%C3%A9"),
    ("https://example.org/a#section", "https://example.org/a"),
    ("http://example.org:80/a", "http://example.org/a"),
    ("https://example.org:443/a", "https://example.org/a"),
    ("https://example.org:8443/a", "https://example.org:8443/a"),
    ("http://example.org:443/", "http://example.org:443"),
    ("https://café.example/Menu", "https://xn--caf-dma.example/Menu"),
    ("https://ÉCOLE.example/", "https://xn--cole-9oa.example"),
    ("<https://example.org/a>", "https://example.org/a"),
    ("  <https://example.org/a> \n", "https://example.org/a"),
    ("https://example.org/wiki/Numérique", "https://example.org/wiki/Num%C3%A9rique"),
    ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ("http://93.184.216.34/", "http://93.184.216.34"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISED)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://x",
        "javascript:alert(1)",
        "pas une url",
        "http://",
        "",
        "<>",
        "example.org/page",
        "https://exa mple.org/",
        "https://user:secret@example.org/",
        "https://example.org@evil.example/",
        "http://example.org:99999/",
        "http://[::1/",
        "http://2130706433/",
        "http://127.1/",
    ],
)
def test_normalize_url_refuses(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^Adresse invalide"):
        normalize_url(raw)


def test_normalize_url_scheme_message_is_french() -> None:
    with pytest.raises(ValueError) as caught:
        normalize_url("ftp://x")
    assert str(caught.value) == (
        "Adresse invalide : seules les adresses http:// ou https:// sont acceptées."
    )


def test_normalized_forms_compare_equal() -> None:
    assert normalize_url("https://Example.org/") == normalize_url("https://example.org")


# ------------------------------------------------------------------ extract_title


def test_og_title_wins_over_title() -> None:
    page = '<head><title>Site</title><meta property="og:title" content="Article"></head>'
    assert extract_title(page) == "Article"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta property="og:title" content="Article">',
        "<meta content='Article' property='og:title'>",
        '<META NAME="OG:TITLE" CONTENT="Article" />',
        '<meta name="og:title" content="Article">',
    ],
)
def test_og_title_attribute_forms(meta: str) -> None:
    assert extract_title(f"<html><head><title>Site</title>{meta}</head></html>") == "Article"


def test_title_only() -> None:
    assert extract_title("<html><head><title>Le numérique</title></head></html>") == (
        "Le numérique"
    )


def test_no_title() -> None:
    assert extract_title("<html><body><p>Rien</p></body></html>") is None


def test_empty_og_title_falls_back_to_title() -> None:
    page = '<meta property="og:title" content="  "><title>Titre</title>'
    assert extract_title(page) == "Titre"


def test_entities_are_decoded() -> None:
    page = '<title>Caf&eacute; &amp; &#8220;num&#xE9;rique&#8221;</title><meta content="x">'
    assert extract_title(page) == "Café & “numérique”"
    assert extract_title('<meta property="og:title" content="A &amp; B">') == "A & B"


def test_whitespace_is_collapsed() -> None:
    assert extract_title("<title>\n  Un\t titre \n\n sur  lignes  </title>") == (
        "Un titre sur lignes"
    )


def test_long_title_is_cut() -> None:
    title = extract_title(f"<title>{'mot ' * 100}</title>")
    assert title is not None
    assert len(title) == 200
    assert title.endswith("…")


def test_title_cut_short_by_end_of_input() -> None:
    assert extract_title("<html><head><title>Tronqué") == "Tronqué"


def test_malformed_markup_is_parsed_quickly() -> None:
    # HTMLParser.close() is quadratic on unclosed tags: this took minutes with it.
    started = time.monotonic()
    assert extract_title("<title>Bonjour</title>" + "<a " * 20_000) == "Bonjour"
    assert time.monotonic() - started < 1.0


# -------------------------------------------------------------- address vetting


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "224.0.0.1",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "::",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


# --------------------------------------------------------------- local web site


@dataclass
class EndlessStream:
    written: int = 0
    completed: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class LocalSite:
    port: int
    hits: list[str]
    endless: EndlessStream

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def html_page(head: str, content_type: str = "text/html; charset=utf-8") -> web.Response:
    body = f"<!doctype html><html><head>{head}</head><body><p>Bonjour</p></body></html>"
    return web.Response(body=body.encode("utf-8"), headers={"Content-Type": content_type})


async def stream_body(
    request: web.Request, parts: list[bytes], total: int, progress: EndlessStream | None = None
) -> web.StreamResponse:
    """Send ``parts`` then filler up to ``total`` bytes, stopping if the client leaves."""
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
    response.content_length = total
    await response.prepare(request)
    tracker = progress or EndlessStream()
    filler = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    try:
        for part in parts:
            await response.write(part)
            tracker.written += len(part)
        while tracker.written < total:
            chunk = filler[: total - tracker.written]
            await response.write(chunk)
            tracker.written += len(chunk)
        tracker.completed = True
    except (ConnectionError, asyncio.CancelledError):
        pass  # the client stopped reading, which is what the tests want to see
    finally:
        tracker.finished.set()
    return response


def build_app(hits: list[str], endless: EndlessStream) -> web.Application:
    @web.middleware
    async def record(request: web.Request, handler):
        hits.append(request.path)
        return await handler(request)

    async def og(_: web.Request) -> web.Response:
        return html_page('<title>Site</title><meta property="og:title" content="Article du jour">')

    async def title(_: web.Request) -> web.Response:
        return html_page("<title>Titre seul</title>")

    async def latin1(_: web.Request) -> web.Response:
        body = "<html><head><title>Numérique</title></head></html>".encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=iso-8859-1"})

    async def meta_latin1(_: web.Request) -> web.Response:
        body = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=ISO-8859-1"><title>Numérique éducatif</title></head></html>'
        ).encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "text/html"})

    async def untitled(_: web.Request) -> web.Response:
        return html_page('<meta name="description" content="Pas de titre">')

    async def big(request: web.Request) -> web.StreamResponse:
        head = b"<html><head>" + b"<meta name='x' content='" + b"y" * (2 * MIB) + b"'>"
        return await stream_body(request, [head, b"<title>Trop loin</title></head>"], 5 * MIB)

    async def endless_page(request: web.Request) -> web.StreamResponse:
        return await stream_body(request, [b"<html><head>"], 64 * MIB, endless)

    async def redirect(request: web.Request) -> web.Response:
        remaining = int(request.match_info["n"])
        if remaining == 0:
            return html_page("<title>Arrivée</title>")
        raise web.HTTPFound(f"/redirect/{remaining - 1}")

    async def relative(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("title?utm_source=newsletter&id=7")

    async def to_secret(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/secret")

    async def secret(_: web.Request) -> web.Response:
        return html_page("<title>Secret</title>")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return html_page("<title>Trop tard</title>")

    async def json(_: web.Request) -> web.Response:
        return web.json_response({"title": "pas du HTML"})

    app = web.Application(middlewares=[record])
    app.router.add_get("/og", og)
    app.router.add_get("/title", title)
    app.router.add_get("/latin1", latin1)
    app.router.add_get("/meta-latin1", meta_latin1)
    app.router.add_get("/untitled", untitled)
    app.router.add_get("/big", big)
    app.router.add_get("/endless", endless_page)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_get("/relative/start", relative)
    app.router.add_get("/relative/title", title)
    app.router.add_get("/to-secret", to_secret)
    app.router.add_get("/secret", secret)
    app.router.add_get("/slow", slow)
    app.router.add_get("/json", json)
    return app


@pytest_asyncio.fixture
async def site():
    hits: list[str] = []
    endless = EndlessStream()
    # handler_cancellation stops the slow handler when the client gives up, so cleanup
    # does not wait for it.
    runner = web.AppRunner(
        build_app(hits, endless), handler_cancellation=True, shutdown_timeout=0.1
    )
    await runner.setup()
    tcp_site = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp_site.start()
    port = runner.addresses[0][1]
    try:
        yield LocalSite(port=port, hits=hits, endless=endless)
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------- fetch_title


@pytest.mark.asyncio
async def test_fetch_og_title(site: LocalSite) -> None:
    result = await fetch_title(site.url("/og"), LOCAL)
    assert (result.title, result.error) == ("Article du jour", None)
    assert result.final_url == site.url("/og")


@pytest.mark.asyncio
async def test_fetch_title_tag(site: LocalSite) -> None:
    result = await fetch_title(f"<{site.url('/title')}>", LOCAL)
    assert (result.title, result.error) == ("Titre seul", None)


@pytest.mark.asyncio
async def test_fetch_latin1_from_header(site: LocalSite) -> None:
    result = await fetch_title(site.url("/latin1"), LOCAL)
    assert (result.title, result.error) == ("Numérique", None)


@pytest.mark.asyncio
async def test_fetch_latin1_from_meta(site: LocalSite) -> None:
    result = await fetch_title(site.url("/meta-latin1"), LOCAL)
    assert (result.title, result.error) == ("Numérique éducatif", None)


@pytest.mark.asyncio
async def test_fetch_page_without_title(site: LocalSite) -> None:
    result = await fetch_title(site.url("/untitled"), LOCAL)
    assert (result.title, result.error) == (None, None)


@pytest.mark.asyncio
async def test_fetch_title_beyond_byte_cap_is_not_found(site: LocalSite) -> None:
    started = time.monotonic()
    result = await fetch_title(site.url("/big"), LOCAL)
    assert (result.title, result.error) == (None, None)
    assert time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_fetch_stops_reading_at_byte_cap(site: LocalSite) -> None:
    policy = FetchPolicy(timeout_s=3.0, allow_private=True, max_bytes=256 * 1024)
    result = await fetch_title(site.url("/endless"), policy)
    assert (result.title, result.error) == (None, None)
    await asyncio.wait_for(site.endless.finished.wait(), timeout=2.0)
    # The server was cut off long before the 64 MiB it meant to send.
    assert not site.endless.completed
    assert site.endless.written < 64 * MIB


@pytest.mark.asyncio
async def test_fetch_follows_redirects_up_to_the_limit(site: LocalSite) -> None:
    result = await fetch_title(site.url("/redirect/3"), LOCAL)
    assert (result.title, result.error) == ("Arrivée", None)
    assert result.final_url == site.url("/redirect/0")


@pytest.mark.asyncio
async def test_fetch_refuses_too_many_redirects(site: LocalSite) -> None:
    result = await fetch_title(site.url("/redirect/4"), LOCAL)
    assert (result.title, result.error) == (None, "trop de redirections")
    assert "/redirect/0" not in site.hits


@pytest.mark.asyncio
async def test_fetch_relative_redirect_gives_normalised_final_url(site: LocalSite) -> None:
    result = await fetch_title(site.url("/relative/start"), LOCAL)
    assert (result.title, result.error) == ("Titre seul", None)
    assert result.final_url == site.url("/relative/title?id=7")


@pytest.mark.asyncio
async def test_fetch_times_out(site: LocalSite) -> None:
    policy = FetchPolicy(timeout_s=0.5, allow_private=True)
    started = time.monotonic()
    result = await fetch_title(site.url("/slow"), policy)
    assert (result.title, result.error) == (None, "délai dépassé")
    assert time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_fetch_refuses_non_html(site: LocalSite) -> None:
    result = await fetch_title(site.url("/json"), LOCAL)
    assert (result.title, result.error) == (None, "ce n'est pas une page web")


@pytest.mark.asyncio
async def test_fetch_reports_http_errors(site: LocalSite) -> None:
    result = await fetch_title(site.url("/nulle-part"), LOCAL)
    assert (result.title, result.error) == (None, "la page n'existe pas ou plus")


@pytest.mark.asyncio
async def test_fetch_invalid_url_does_not_raise() -> None:
    result = await fetch_title("javascript:alert(1)", LOCAL)
    assert (result.title, result.error) == (None, "adresse invalide")


# ------------------------------------------------------------------ SSRF guard


@pytest.mark.asyncio
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_fetch_refuses_internal_hosts_without_connecting(site: LocalSite, host: str) -> None:
    result = await fetch_title(site.url("/og", host=host), GUARDED)
    assert (result.title, result.error) == (None, "adresse interne refusée")
    assert site.hits == []


@pytest.mark.asyncio
@pytest.mark.parametrize("port", [22, 8080, 6379])
async def test_fetch_reads_only_web_ports_and_says_nothing_of_others(port: int) -> None:
    # A public address: refused before any connection, the same way for every port.
    result = await fetch_title(f"http://93.184.216.34:{port}/admin", GUARDED)
    assert (result.title, result.error) == (
        None,
        "port refusé : seuls les ports du web (80 et 443) sont lus",
    )


@pytest.mark.asyncio
async def test_fetch_refuses_redirect_to_internal_address(site: LocalSite) -> None:
    policy = FetchPolicy(timeout_s=3.0, trusted_hosts=frozenset({"localhost"}))
    result = await fetch_title(site.url("/to-secret", host="localhost"), policy)
    assert (result.title, result.error) == (None, "adresse interne refusée")
    assert result.final_url == site.url("/secret")
    assert site.hits == ["/to-secret"]


@pytest.mark.asyncio
async def test_fetch_with_caller_session_checks_before_connecting(site: LocalSite) -> None:
    async with aiohttp.ClientSession() as session:
        result = await fetch_title(site.url("/og", host="localhost"), GUARDED, session)
    assert (result.title, result.error) == (None, "adresse interne refusée")
    assert site.hits == []


@pytest.mark.asyncio
async def test_vetted_session_resolver_refuses_internal_names(site: LocalSite) -> None:
    # The connector-level check alone, as used against DNS rebinding.
    async with open_session(GUARDED) as session:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get(site.url("/og", host="localhost"))
    assert isinstance(caught.value.os_error, BlockedAddressError)
    assert site.hits == []


@pytest.mark.asyncio
async def test_vetted_session_serves_trusted_hosts(site: LocalSite) -> None:
    policy = FetchPolicy(timeout_s=3.0, trusted_hosts=frozenset({"localhost"}))
    async with open_session(policy) as session:
        first = await fetch_title(site.url("/og", host="localhost"), policy, session)
        second = await fetch_title(site.url("/title", host="localhost"), policy, session)
    assert (first.title, second.title) == ("Article du jour", "Titre seul")
