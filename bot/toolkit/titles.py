"""The title of an HTML page, read from its first bytes as a browser would decode them."""

from __future__ import annotations

import codecs
import contextlib
from html.parser import HTMLParser

_TITLE_MAX_CHARS = 200
SNIFF_BYTES = 4096  # where <meta charset> is looked for (the HTML standard says 1024)
# Browsers decode pages labelled Latin-1 or ASCII as windows-1252 (its superset), and
# authors rely on it for curly quotes and the euro sign.
_WINDOWS_1252_ALIASES = frozenset({"iso8859-1", "ascii"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class _HeadDone(Exception):
    """Raised inside the parser to stop it once the answer is known."""


class TitleParser(HTMLParser):
    """Collects og:title and <title>; stops as soon as more input cannot change them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.og_title: str | None = None
        self.title_parts: list[str] = []
        self.done = False
        self._in_title = False
        self._title_seen = False

    def feed(self, data: str) -> None:
        if self.done:
            return
        try:
            super().feed(data)
        except _HeadDone:
            self.done = True

    def finish(self) -> None:
        """Flush a title cut short by the end of the input.

        HTMLParser.close() would do it, but it is quadratic on some malformed input
        ("<a <a <a ..." takes minutes for a few hundred kilobytes), so it is never called.
        """
        if self._in_title:
            self.feed("</title>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._handle_meta(attrs)
        elif tag == "title" and not self._title_seen:
            self._in_title = True
        elif tag == "body":
            self._head_over()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_seen = True
        elif tag == "head":
            self._head_over()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)

    def _handle_meta(self, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        kind = (values.get("property") or values.get("name") or "").strip().lower()
        if kind == "og:title" and _clean_title(values.get("content", "")):
            self.og_title = values["content"]
            raise _HeadDone  # og:title wins over anything that follows

    def _head_over(self) -> None:
        # og:title and <title> belong to <head>; past it, stop if a title was found
        # (broken pages that put <title> in the body are still searched to the end).
        if self._title_seen:
            raise _HeadDone

    def result(self) -> str | None:
        return _clean_title(self.og_title or "") or _clean_title("".join(self.title_parts))


def _clean_title(text: str) -> str | None:
    title = " ".join(text.split())
    if len(title) > _TITLE_MAX_CHARS:
        title = title[: _TITLE_MAX_CHARS - 1].rstrip() + "…"
    return title or None


def extract_title(html_text: str) -> str | None:
    """Return the page title of an HTML document, or None if it has none.

    The ``og:title`` meta tag (``property`` or ``name`` attribute) is preferred to
    ``<title>``, as sites put the article title there and the site name in <title>.
    Entities are decoded, whitespace collapsed, and titles longer than 200 characters
    are cut with "…".
    """
    parser = TitleParser()
    parser.feed(html_text)
    parser.finish()
    return parser.result()


class _MetaCharsetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charset: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name: value or "" for name, value in attrs}
        if values.get("charset"):
            self.charset = values["charset"]
        elif values.get("http-equiv", "").strip().lower() == "content-type":
            self.charset = _charset_param(values.get("content", ""))
        if self.charset:
            raise _HeadDone


def _charset_param(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _sniff_meta_charset(head: bytes) -> str | None:
    parser = _MetaCharsetParser()
    # Latin-1 maps every byte to a character, and the markup we look for is ASCII.
    with contextlib.suppress(_HeadDone):
        parser.feed(head[:SNIFF_BYTES].decode("latin-1"))
    return parser.charset


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name


def choose_encoding(head: bytes, header_charset: str | None) -> str:
    """Byte order mark, then the Content-Type charset, then <meta>, then UTF-8."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    declared = _codec_name(header_charset)
    if declared:
        return declared
    sniffed = _codec_name(_sniff_meta_charset(head))
    if sniffed and not sniffed.startswith(("utf-16", "utf-32")):
        return sniffed  # a <meta> readable as ASCII cannot be in UTF-16: ignore that
    return "utf-8"
