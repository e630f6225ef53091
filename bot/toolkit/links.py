"""Fetching the title of a page shared with ``!veille``, safely.

Tchap shows no link previews, so the bot fetches the title of every page a referent
shares. Fetching an arbitrary URL from inside a school network is an SSRF risk, so
:func:`fetch_title` only ever connects to public addresses (checked at every redirect
hop), bounds the time and the bytes it spends, and reports failures as short French
reasons instead of raising.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.toolkit.titles import SNIFF_BYTES, TitleParser, choose_encoding
from bot.toolkit.urls import normalize_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

WEB_PORTS = frozenset({80, 443})
PORT_REFUSED = "port refusé : seuls les ports du web (80 et 443) sont lus"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CHUNK_BYTES = 64 * 1024


# ---------------------------------------------------------------- address vetting


class BlockedAddressError(OSError):
    """A host resolved to an address the fetcher must not connect to."""


def is_public_address(ip: IPAddress) -> bool:
    """Tell whether the bot may connect to ``ip`` (False for internal addresses).

    Refuses loopback, private, link-local, multicast, reserved and unspecified
    addresses. An IPv4-mapped IPv6 address is judged as the IPv4 address it maps to;
    NAT64, 6to4 and Teredo addresses are refused if the IPv4 address they embed is.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the socket really talks IPv4 to that address
            return is_public_address(ip.ipv4_mapped)
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
        if ip.is_site_local:
            return False
    refused = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    # is_global also catches ranges the flags above miss, such as 100.64.0.0/10.
    return not refused and ip.is_global


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


def _skips_vetting(host: str, policy: FetchPolicy) -> bool:
    return policy.allow_private or host.lower().rstrip(".") in policy.trusted_hosts


def _check_addresses(host: str, addresses: Iterable[str]) -> None:
    # One internal address among several is enough to refuse: which one the
    # connection ends up using is not ours to choose.
    for address in addresses:
        ip = _parse_ip(address)
        if ip is None or not is_public_address(ip):
            raise BlockedAddressError(f"adresse interne refusée : {host} ({address})")


async def _resolve_vetted(
    host: str, port: int, policy: FetchPolicy, family: int = socket.AF_UNSPEC
) -> list[tuple]:
    """getaddrinfo results for ``host``, or BlockedAddressError if any is internal."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    if not _skips_vetting(host, policy):
        _check_addresses(host, (info[4][0] for info in infos))
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, f"aucune adresse pour {host}")
    return infos


class _VettingResolver(AbstractResolver):
    """DNS resolver for the connector: returns only addresses that passed the check.

    This is the SSRF guard against DNS rebinding. Checking a name and then letting the
    connector resolve it again leaves a window in which the name can start pointing at
    an internal address; here the vetted resolution is the one the connection uses.
    Errors are OSErrors, which aiohttp wraps in ClientConnectorDNSError.
    """

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await _resolve_vetted(host, port, self._policy, family)
        return [_resolve_result(host, info) for info in infos]

    async def close(self) -> None:
        pass


def _resolve_result(hostname: str, info: tuple) -> ResolveResult:
    family, _, proto, _, sockaddr = info
    address, port = sockaddr[0], sockaddr[1]
    if family == socket.AF_INET6 and len(sockaddr) > 3 and sockaddr[3]:
        address = f"{address}%{sockaddr[3]}"  # link-local: keep the interface
    return ResolveResult(
        hostname=hostname,
        host=address,
        port=port,
        family=family,
        proto=proto,
        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    )


# ----------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for fetching a shared page.

    ``allow_private`` and ``trusted_hosts`` exist for tests, which serve pages from
    127.0.0.1: the first lets every internal address through, the second only the
    listed host names (lower case), so a test can still check that a redirect from a
    trusted host to an internal address is refused. Leave both unset in production.
    """

    timeout_s: float = 5.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 3
    allow_private: bool = False
    user_agent: str = "rupn-bot (veille)"
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class TitleResult:
    """What fetch_title found: ``error`` is a short French reason, or None on success.

    ``title`` is None both on error and for a page without a title.
    """

    title: str | None
    final_url: str
    error: str | None


def _refusal_in_words(status: int) -> str:
    """What a teacher understands of an HTTP error status: words, not a number."""
    if status == 404 or status == 410:
        return "la page n'existe pas ou plus"
    if status in (401, 403):
        return "la page est réservée"
    if status == 429:
        return "le site demande d'attendre"
    if status >= 500:
        return "le site ne répond pas correctement"
    return "le site n'a pas donné la page"


class _FetchFailure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_session(policy: FetchPolicy) -> aiohttp.ClientSession:
    """Return a session whose connections only reach addresses allowed by ``policy``.

    Pass it to fetch_title to reuse connections across several links; the caller
    closes it. Must be called with an event loop running.
    """
    connector = aiohttp.TCPConnector(resolver=_VettingResolver(policy), use_dns_cache=False)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=policy.timeout_s),
        trust_env=False,  # a proxy from the environment would bypass the address check
    )


async def fetch_title(
    url: str, policy: FetchPolicy, session: aiohttp.ClientSession | None = None
) -> TitleResult:
    """Fetch ``url`` and return its title; never raises for network or HTTP problems.

    Redirects are followed by hand, at most ``policy.max_redirects`` of them, and every
    hop is refused unless its host resolves only to public addresses. The whole
    operation takes at most ``policy.timeout_s`` and reads at most ``policy.max_bytes``
    of the body. ``final_url`` is the normalised address the fetch got to last (for a
    refused redirect, the refused target).

    With a session from :func:`open_session` (or none, and one is opened), the address
    check is the DNS resolution the connection uses. With any other session the host
    is resolved and checked before the request, which leaves a DNS-rebinding window.
    """
    try:
        start = normalize_url(url)
    except ValueError:
        return TitleResult(None, url.strip(), "adresse invalide")
    trail = [start]  # every address reached, so a failure can still say where it was
    try:
        async with asyncio.timeout(policy.timeout_s):
            if session is None:
                async with open_session(policy) as own_session:
                    title = await _follow(own_session, trail, policy, connector_vets=True)
            else:
                title = await _follow(session, trail, policy, connector_vets=False)
    except (_FetchFailure, TimeoutError, aiohttp.ClientError, OSError) as exc:
        return TitleResult(None, trail[-1], _describe(exc))
    return TitleResult(title, trail[-1], None)


async def _follow(
    session: aiohttp.ClientSession, trail: list[str], policy: FetchPolicy, connector_vets: bool
) -> str | None:
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5",
    }
    for _hop in range(policy.max_redirects + 1):
        url = URL(trail[-1], encoded=True)
        await _vet_hop(url, policy, connector_vets)
        async with session.get(
            url,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=policy.timeout_s),
        ) as response:
            if response.status in _REDIRECT_STATUSES:
                trail.append(_redirect_target(response))
                continue
            return await _title_of(response, policy)
    raise _FetchFailure("trop de redirections")


async def _vet_hop(url: URL, policy: FetchPolicy, connector_vets: bool) -> None:
    host, port = url.raw_host, url.port
    if host is None or port is None:
        raise _FetchFailure("adresse invalide")
    if _skips_vetting(host, policy):
        return
    web_port = port in WEB_PORTS
    if _parse_ip(host) is not None:
        # Literal addresses never reach the connector's resolver: check them here.
        _check_addresses(host, [host])
    elif not connector_vets or not web_port:
        await _resolve_vetted(host, port, policy)
    if not web_port:
        # Other ports are where services listen that a page never needs; which one
        # answered is not for a chat room to learn, so every one gets this refusal.
        raise _FetchFailure(PORT_REFUSED)


def _redirect_target(response: aiohttp.ClientResponse) -> str:
    location = response.headers.get("Location")
    if not location:
        raise _FetchFailure("redirection sans adresse")
    try:
        return normalize_url(str(response.url.join(URL(location))))
    except ValueError:
        raise _FetchFailure("redirection vers une adresse refusée") from None


async def _title_of(response: aiohttp.ClientResponse, policy: FetchPolicy) -> str | None:
    if not 200 <= response.status < 300:
        raise _FetchFailure(_refusal_in_words(response.status))
    if response.content_type not in _HTML_TYPES:
        raise _FetchFailure("ce n'est pas une page web")
    stream = response.content
    head = await _read_at_least(stream, min(SNIFF_BYTES, policy.max_bytes))
    decoder = codecs.getincrementaldecoder(choose_encoding(head, response.charset))("replace")
    parser = TitleParser()
    received, chunk = len(head), head
    while True:
        # Parsing is CPU work on untrusted input: keep it off the event loop.
        await asyncio.to_thread(parser.feed, decoder.decode(chunk))
        if parser.done or received >= policy.max_bytes:
            break
        chunk = await stream.read(min(_CHUNK_BYTES, policy.max_bytes - received))
        if not chunk:
            break
        received += len(chunk)
    if not stream.at_eof():
        response.close()  # drop the connection rather than download the rest
    parser.finish()
    return parser.result()


async def _read_at_least(stream: aiohttp.StreamReader, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = await stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _describe(exc: BaseException) -> str:
    """A short French reason for a failed fetch."""
    if isinstance(exc, _FetchFailure):
        return exc.reason
    if isinstance(exc, BlockedAddressError) or isinstance(
        getattr(exc, "os_error", None), BlockedAddressError
    ):
        return "adresse interne refusée"
    if isinstance(exc, TimeoutError):
        return "délai dépassé"
    if isinstance(exc, socket.gaierror | aiohttp.ClientConnectorDNSError):
        return "site introuvable"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "certificat du site invalide"
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionError):
        return "connexion impossible"
    if isinstance(exc, aiohttp.InvalidURL):
        return "adresse invalide"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "réponse interrompue"
    return "erreur réseau"
