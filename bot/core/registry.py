"""The registry: everything the command families declared, collected once at start."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable

from bot.core.declarations import CommandSpec, EventListener
from bot.core.digest import DigestFigure, NewsletterSection
from bot.core.indicators import Indicator, all_indicators
from bot.core.places import Place
from bot.core.render import Message
from bot.core.roles import Role
from bot.core.scheduler import Job
from bot.toolkit.text import fold


class Registry:
    """Commands (by folded name or alias), listeners, jobs, letter sections, digest
    figures and indicators (``indicators``: by name, every figure and the declared ones)."""

    def __init__(
        self,
        specs: Iterable[CommandSpec],
        listeners: Iterable[EventListener] = (),
        jobs: Iterable[Job] = (),
        sections: Iterable[NewsletterSection] = (),
        figures: Iterable[DigestFigure] = (),
        indicators: Iterable[Indicator] = (),
    ):
        self.commands: list[CommandSpec] = []
        self._by_key: dict[str, CommandSpec] = {}
        self.listeners: dict[str, list[EventListener]] = {}
        self.jobs: list[Job] = list(jobs)
        # Messages that depend only on the code (the help list per role, a breakdown
        # category's checklist): nothing changes them while the bot runs, so they
        # are rendered once.
        self.rendered: dict[tuple, Message] = {}
        self.sections: list[NewsletterSection] = _unique("newsletter section", sections)
        self.figures: list[DigestFigure] = _unique("digest figure", figures)
        self.indicators: dict[str, Indicator] = all_indicators(
            self.figures, _unique("indicator", indicators)
        )
        for spec in specs:
            self.add(spec)
        for item in listeners:
            for event_type in item.event_types:
                self.listeners.setdefault(event_type, []).append(item)

    @classmethod
    def from_modules(cls, modules: Iterable[types.ModuleType]) -> Registry:
        """Collect everything declared in each module, in order (bot/digest.py for providers)."""
        specs, listeners, jobs, sections, figures, indicators = [], [], [], [], [], []
        for module in modules:
            for value in vars(module).values():
                if isinstance(value, CommandSpec) and not value.parent:
                    specs.append(value)
                elif isinstance(value, EventListener):
                    listeners.append(value)
                elif isinstance(value, Job):
                    jobs.append(value)
                elif isinstance(value, NewsletterSection):
                    sections.append(value)
                elif isinstance(value, DigestFigure):
                    figures.append(value)
                elif isinstance(value, Indicator):
                    indicators.append(value)
        return cls(specs, listeners, jobs, sections, figures, indicators)

    def add(self, spec: CommandSpec) -> None:
        """Register a command; a name or alias used twice is a programming error."""
        for key in spec.keys:
            if key in self._by_key:
                raise ValueError(f"command name {key!r} declared twice")
            self._by_key[key] = spec
        self.commands.append(spec)

    def find(self, word: str) -> CommandSpec | None:
        """The command named (or aliased) ``word``, accents and case ignored."""
        return self._by_key.get(fold(word))

    def suggest(
        self, word: str, role: Role, place: Place = Place.ESTABLISHMENT
    ) -> CommandSpec | None:
        """The nearest command this role may use here, for "Vouliez-vous dire … ?"."""
        visible = self.visible_to(role, place)
        keys = [key for key, spec in self._by_key.items() if spec in visible]
        close = difflib.get_close_matches(fold(word), keys, n=1, cutoff=0.5)
        return self._by_key[close[0]] if close else None

    def visible_to(self, role: Role, place: Place = Place.ESTABLISHMENT) -> list[CommandSpec]:
        """Commands used in ``place`` with at least one part this role may run."""
        return [
            c
            for c in self.commands
            if c.used_in(place) and (c.allows(role) or any(s.allows(role) for s in c.subs.values()))
        ]


def _unique(kind: str, items: Iterable) -> list:
    items = list(items)
    names = [item.name for item in items]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{kind} {name!r} declared twice")
    return items
