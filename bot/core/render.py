"""Render the French templates into Matrix messages.

Each message is one Jinja2 template written in Markdown (``templates/*.md.j2``).
The HTML ``formatted_body`` is produced from it by cmark-gfm (``markdown_to_html``),
so the text and HTML versions can never drift apart. Every value a template
prints is escaped for Markdown (and raw HTML is never passed through), so user
text cannot inject markup, links or an ``@room`` ping; trusted fragments are
wrapped in ``Markup``.

Every template, message or document, gets the same French formatters as
filters (``FILTERS``: ``{{ slot.starts_at | datetime_fr }}``), registered once
here; the functions themselves live in ``bot.toolkit``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from bot.core.charts import ChartDrawer
from bot.toolkit.dates import (
    format_clock_fr,
    format_date_fr,
    format_datetime_fr,
    format_day_fr,
    format_duration_fr,
    format_when_fr,
)
from bot.toolkit.names import named, place_fr
from bot.toolkit.numbers import french_number, french_percent
from bot.toolkit.text import capitalise
from bot.toolkit.typography import french_spacing

# The templates are package data of ``templates``: found the same way from a source
# checkout and from an installed wheel.
TEMPLATE_DIR = Path(str(resources.files("templates")))

# Matrix events are limited to 65,536 bytes. body and HTML travel together as JSON
# with non-ASCII escaped (\u00e9 is 6 bytes), and encryption base64s that (x4/3):
# 40,000 bytes of JSON leave room for both and the event's envelope.
MAX_CONTENT_JSON_BYTES = 40_000
TRUNCATION_MARK = "\n\n[… message tronqué : trop long pour un seul message]"

# GitHub's C implementation of CommonMark: markdown-it-py took 2.8 ms for a
# 2.5 kB letter, most of the handling time of long replies; this takes 0.1 ms.
# Without CMARK_OPT_UNSAFE, raw HTML is dropped, never passed through.
_CMARK_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8
_CMARK_EXTENSIONS = ["table"]


def markdown_to_html(text: str, *, hard_breaks: bool = True) -> str:
    """HTML for CommonMark with tables; a newline is a line break unless told otherwise."""
    options = _CMARK_OPTIONS | (Options.CMARK_OPT_HARDBREAKS if hard_breaks else 0)
    return cmarkgfm.markdown_to_html_with_extensions(
        text, options=options, extensions=_CMARK_EXTENSIONS
    )


# Each Markdown special character preceded by a backslash. str.translate is the
# fastest on ASCII text (a regex cost 3 to 4 times more, on every reply), but
# reads any other text one dictionary lookup per character: 40 µs for a line of
# accented names, where the regex takes 14.
_MD_SPECIAL = "\\`*_[]<>~|#!+-.()"
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in _MD_SPECIAL})
_MD_SPECIAL_ANY = re.compile(f"([{re.escape(_MD_SPECIAL)}])")
_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>~|#!+\-.()])")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_ROOM_PING = re.compile(r"@(room)\b", re.IGNORECASE)
# What the plain body reads in one pass: an escape pair, a link's opening "[" or a
# "]", after which a link's "(url)" is looked for only where a label is open. A
# regex over whole links backtracked on bracket-heavy user text: quadratic, a
# minute for 80 breakdowns full of "[".
_MD_TOKENS = re.compile(r"\\(.)|(\[)|\]", re.DOTALL)
_LINK_TARGET = re.compile(r"\(<?([^)>\s]+)>?\)")
_MD_ESCAPABLE = frozenset("\\`*_[]<>~|#!+-.()")


@dataclass(frozen=True)
class Message:
    """A rendered message: plain ``body``, HTML ``html`` and whom it mentions."""

    body: str
    html: str
    mentions: tuple[str, ...] = field(default=())

    def followed_by(self, other: Message) -> Message:
        """This message and then ``other``, as one (a cached part after a fresh one)."""
        return Message(
            body=f"{self.body}\n\n{other.body}",
            html=f"{self.html}\n{other.html}",
            mentions=tuple(dict.fromkeys(self.mentions + other.mentions)),
        )


def escape_markdown(value: object) -> str:
    """Escape user text so Markdown prints it literally and it never pings the room.

    Line breaks become spaces: a value sits inside a sentence or a list item, and a
    blank line in it would end the list and carry the rest out of its item.
    """
    text = str(value)
    if not text.isprintable():  # every line break is unprintable: most texts have none
        text = _LINE_BREAKS.sub(" ", text)
    if "@" in text:
        text = _ROOM_PING.sub("@\u2060\\1", text)
    if text.isascii():
        return text.translate(_MD_ESCAPES)
    return _MD_SPECIAL_ANY.sub(r"\\\1", text)


def finalize_with(escape: Callable[[str], str]) -> Callable[[object], object]:
    """A Jinja ``finalize``: None prints nothing, Markup and numbers print as they are,
    anything else goes through ``escape`` (user text never becomes markup)."""

    def finalize(value: object) -> object:
        # The two kinds nearly every value is, first: a long listing prints hundreds.
        kind = type(value)
        if kind is str:
            return escape(value)
        if kind is int:
            return value
        if value is None:
            return ""
        if isinstance(value, Markup):
            return str(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return escape(str(value))

    return finalize


# In a Markdown table cell or list item, these would be read as markup.
_MD_CELL_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#])")
_SPACES = re.compile(r"\s+")


# A report prints about 90 strings, mostly the same labels and month names in
# every report: escaped once, not twice per report.
@lru_cache(maxsize=1024)
def escape_table_cell(text: str) -> str:
    """One line, markup characters escaped: user text cannot break a table or add a link."""
    return _MD_CELL_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", text))


_escape_label = lru_cache(maxsize=1024)(escape_markdown)


def _escape_message_value(text: str) -> str:
    # A listing prints the same short labels on every line (a domain, a bassin, a
    # name): each is escaped once, as escape_table_cell does for the documents; a
    # long text is escaped each time rather than kept.
    return _escape_label(text) if len(text) <= 120 else escape_markdown(text)


_finalizers = {
    "message": finalize_with(_escape_message_value),
    "document": finalize_with(escape_table_cell),
}


def mention(user_id: str, display_name: str | None = None) -> Markup:
    """A pill linking to a Matrix user (the caller must also list them in m.mentions)."""
    label = escape_markdown(display_name or user_id)
    return Markup(f"[{label}](https://matrix.to/#/{_url_safe(user_id)})")


def link(url: str, title: str | None = None) -> Markup:
    """A Markdown link with a safely escaped title."""
    return Markup(f"[{escape_markdown(title or url)}](<{_url_safe(url)}>)")


def code(text: str) -> Markup:
    """Inline code (commands, examples); backticks inside are dropped, and a line to
    copy that carries what someone typed still never pings the room."""
    text = str(text).replace("`", "'")
    if "@" in text:
        text = _ROOM_PING.sub("@\u2060\\1", text)
    return Markup("`" + _LINE_BREAKS.sub(" ", text) + "`")


def _url_safe(url: str) -> str:
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def mention_with_names(load_names) -> callable:
    """A ``mention`` that labels pills with display names, loaded once on first use."""
    names: dict[str, str] | None = None

    def labelled(user_id: str, display_name: str | None = None) -> Markup:
        nonlocal names
        if display_name is None:
            names = load_names() if names is None else names
            display_name = names.get(user_id)
        return mention(user_id, display_name)

    return labelled


def in_local_time(format_instant: Callable[..., str]) -> Callable[..., str]:
    """A date filter that first shows an instant in the time zone of the template's ``now``.

    Storage gives instants back in UTC; every template gets ``now`` in the
    establishment's zone, so a link shared at 00:30 in Paris reads as that day.
    """

    @pass_context
    def local(context, value, *args):
        now = context.get("now")
        if isinstance(value, datetime) and value.tzinfo and isinstance(now, datetime):
            value = value.astimezone(now.tzinfo)
        return format_instant(value, *args)

    return local


def establishment_named(establishment, preposition: str = "") -> str:
    """« du collège Jean Moulin » for ``{{ establishment | nom("de") }}``: the
    establishment's name with its article (``article`` in the config overrides)."""
    return named(establishment.name, preposition, getattr(establishment, "article", None))


def establishments_named(establishments, preposition: str = "") -> list[str]:
    """« le collège Jean Moulin », « le lycée Victor Hugo »… for a list of them, at the cost
    of one filter (``{{ schools | noms | join(", ") }}``): the academy lists hundreds."""
    return [establishment_named(e, preposition) for e in establishments]


# The French formatters, as every template knows them.
FILTERS: dict[str, Callable[..., str]] = {
    "nombre": french_number,  # 1,5
    "pourcent": french_percent,  # {{ part | pourcent(whole) }}: 67 %
    "date_fr": in_local_time(format_date_fr),  # mardi 1er septembre 2026
    "datetime_fr": in_local_time(format_datetime_fr),  # mardi 1er septembre à 12h30
    "quand": in_local_time(format_when_fr),  # either, by whether a time was given
    "jour": in_local_time(format_day_fr),  # 1er septembre 2026
    "heure": in_local_time(format_clock_fr),  # 12 h 30, from a time, an instant or "12:30"
    "duree": format_duration_fr,  # 40 min, 5 h, 2,5 jours
    "majuscule": capitalise,
    "lieu": place_fr,  # salle B12, au CDI
    "nom": establishment_named,  # le collège…; nom("de"): du collège…; nom("à"): au collège…
    "noms": establishments_named,  # the same for a list of establishments
}

# What each kind of output escapes: a chat message escapes every value for
# Markdown; a Markdown document (a file) for a table cell, on one line; an HTML
# page is autoescaped.
_KINDS = ("message", "document", "html")


class Renderer:
    """Loads templates once and turns them into Messages (and documents)."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR, charts: ChartDrawer | None = None):
        self.loader = FileSystemLoader(str(template_dir))
        # Pictures are rendered output too: the report's, the digest's.
        self.charts = charts or ChartDrawer()
        self._environments: dict[str, Environment] = {}
        self.env = self.environment("message")

    def environment(self, kind: str = "message") -> Environment:
        """The Jinja environment of one kind of output (``message``, ``document`` or
        ``html``), built once: its templates are compiled on first use and kept."""
        if kind not in self._environments:
            if kind not in _KINDS:
                raise ValueError(f"unknown kind of output {kind!r}")
            html = kind == "html"
            env = Environment(
                loader=self.loader,
                # Templates ship with the code: no stat() of the file before each use.
                auto_reload=False,
                autoescape=html,
                finalize=None if html else _finalizers[kind],
                undefined=StrictUndefined,
                trim_blocks=not html,
                lstrip_blocks=not html,
            )
            env.globals.update(mention=mention, link=link, code=code)
            env.filters.update(FILTERS)
            self._environments[kind] = env
        return self._environments[kind]

    def document(self, template: str, **values) -> str:
        """A document's Markdown (a report): every value escaped for a table cell."""
        text = self.environment("document").get_template(template).render(**values)
        return french_spacing(re.sub(r"\n{3,}", "\n\n", text).strip()) + "\n"

    def document_page(self, title: str, text: str, figures: Iterable = ()) -> str:
        """A document's Markdown as a page that opens and prints alone: the pictures
        (``PageFigure``) come after its introduction, before its first section."""
        introduction, sections = text.split("\n## ", 1) if "\n## " in text else (text, "")
        return (
            self.environment("html")
            .get_template("bilan/bilan.html.j2")
            .render(
                title=french_spacing(title),
                introduction=Markup(markdown_to_html(introduction, hard_breaks=False)),
                figures=list(figures),
                body=Markup(markdown_to_html("## " + sections, hard_breaks=False))
                if sections
                else "",
            )
        )

    def render(self, template: str, mentions=(), **values) -> Message:
        """Render ``templates/<template>.md.j2`` with ``values``."""
        text = self.env.get_template(f"{template}.md.j2").render(**values)
        return self.from_markdown(text, mentions)

    def from_markdown(self, text: str, mentions=()) -> Message:
        """Build a Message from Markdown already escaped where needed; too long, it is cut."""
        if "\n\n\n" in text:  # the substitution reads the whole text, even for nothing
            text = re.sub(r"\n{3,}", "\n\n", text)
        text = french_spacing(text.strip())
        body, html = self._both(text)
        keep, size = len(text), content_json_bytes(body, html)
        while size > MAX_CONTENT_JSON_BYTES and keep > 200:
            # Aim just under the limit in proportion to the size, and at least a
            # quarter shorter each pass: two or three passes, not eight, on 100 kB.
            keep = min(keep * 3 // 4, int(keep * 0.9 * MAX_CONTENT_JSON_BYTES / size))
            body, html = self._both(_cut_at_line(text, keep) + TRUNCATION_MARK)
            size = content_json_bytes(body, html)
        return Message(body=body, html=html, mentions=tuple(dict.fromkeys(mentions)))

    def _both(self, text: str) -> tuple[str, str]:
        html = markdown_to_html(text).strip()
        return plain_body(text), html


def _unescape(markdown: str) -> str:
    return _MD_UNESCAPE.sub(r"\1", markdown)


def plain_body(text: str) -> str:
    """The text as notifications and simple clients read it: no escapes, links as « label (url) ».

    One pass over the text, whatever it holds: a link's label runs from the first
    "[" after the last "]" to its "](url)", as CommonMark reads our own links.
    """
    if "[" not in text:  # no link: only escapes to read, in one substitution
        return _unescape(text)
    parts: list[str] = []
    opener: int | None = None  # where the label of a possible link starts in ``parts``
    position = 0
    for token in _MD_TOKENS.finditer(text, position):
        if token.start() < position:
            continue  # inside a link target already read
        parts.append(text[position : token.start()])
        position = token.end()
        escaped, opening = token.groups()
        if escaped is not None:
            parts.append(escaped if escaped in _MD_ESCAPABLE else token.group(0))
        elif opening:
            if opener is None:
                opener = len(parts)
            parts.append("[")
        elif opener is not None and (target := _LINK_TARGET.match(text, position)):
            label, url = "".join(parts[opener + 1 :]), target.group(1)
            del parts[opener:]
            opener, position = None, target.end()
            pill = url.startswith("https://matrix.to/#/") or label == url
            parts.append(label if pill else f"{label} ({_unescape(url)})")
        else:
            opener = None
            parts.append("]")
    parts.append(text[position:])
    return "".join(parts)


def content_json_bytes(body: str, html: str) -> int:
    """Size of body + HTML as the client library serialises them (non-ASCII escaped)."""
    return len(json.dumps({"body": body, "formatted_body": html}))


def _cut_at_line(text: str, keep: int) -> str:
    cut = text[:keep]
    # Cut at a line end so a half Markdown construct does not leak into the HTML.
    return cut.rsplit("\n", 1)[0] if "\n" in cut[keep // 2 :] else cut
