"""One canonical spelling per link, so the same article shared twice is one link.

:func:`normalize_url` drops what does not change the page (tracking parameters,
a trailing slash, an upper-case host, the default port) and refuses what is not
an absolute http(s) address, with a short French reason.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
# Characters left as they are when re-quoting; "%" keeps existing escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = "/?%:@!$&'()*+,;=~"
_HOST_LABELS = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")

_BAD_SCHEME = "Adresse invalide : seules les adresses http:// ou https:// sont acceptées."
_NO_HOST = "Adresse invalide : le nom du site manque."
_BAD_HOST = "Adresse invalide : nom de site incorrect."
_BAD_PORT = "Adresse invalide : numéro de port incorrect."
_USERINFO = "Adresse invalide : les identifiants dans l'adresse ne sont pas acceptés."


def normalize_url(raw: str) -> str:
    """Return the canonical form of an http(s) URL pasted in a chat message.

    Lower-cases the scheme and host (IDNA-encoding non-ASCII hosts), drops default
    ports, the fragment, tracking parameters (``utm_*``, ``fbclid``, ``gclid``,
    ``mc_cid``, ``mc_eid``) and a trailing slash on the path, and percent-encodes
    characters that cannot appear raw in a URL. Surrounding whitespace and ``<>``
    are ignored. Raises ``ValueError`` with a short French message if the text is
    not an absolute http or https URL with a host.
    """
    text = _unwrap(raw)
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host
        raise ValueError(_BAD_HOST) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(_BAD_SCHEME)
    if not parts.hostname:
        raise ValueError(_NO_HOST)
    # A shared link has no business carrying credentials, and "https://site.fr@evil.example"
    # is a classic way to disguise where a link really goes.
    if parts.username is not None or parts.password is not None:
        raise ValueError(_USERINFO)
    netloc = _encode_host(parts.hostname) + _port_suffix(parts, scheme)
    path = quote(parts.path, safe=_PATH_SAFE).rstrip("/")
    query = quote(_strip_tracking(parts.query), safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def _unwrap(raw: str) -> str:
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def _encode_host(host: str) -> str:
    if ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError(_BAD_HOST) from None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(_BAD_HOST) from None
    if not _HOST_LABELS.fullmatch(host):
        raise ValueError(_BAD_HOST)
    # "127.1", "2130706433" or "0x7f.1" reach 127.0.0.1 through getaddrinfo: a host
    # ending in a numeric label is accepted only as a plain dotted-quad IPv4 address.
    if _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise ValueError(_BAD_HOST) from None
    return host


def _port_suffix(parts: SplitResult, scheme: str) -> str:
    try:
        port = parts.port
    except ValueError:
        raise ValueError(_BAD_PORT) from None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return ""
    return f":{port}"


def _strip_tracking(query: str) -> str:
    # Split by hand rather than parse_qsl + urlencode, which would re-encode the
    # parameters that are kept ("a+b" becoming "a%2Bb" changes the URL).
    kept = [pair for pair in query.split("&") if pair and not _is_tracking(pair)]
    return "&".join(kept)


def _is_tracking(pair: str) -> bool:
    name = unquote(pair.split("=", 1)[0]).lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS
