"""Command registry, per-message Context and the dispatcher.

Commands are declared next to their handlers with ``@command(...)`` (and
``@<command>.sub(...)`` for sub-commands); a ``Registry`` collects them from the
modules of ``commands/``. The dispatcher turns a message into a call: it finds
the command (accents and case ignored), checks the sender's role, converts the
arguments, and turns every expected problem into a French sentence. Anything
unexpected is logged with its trace and answered with one polite line.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import time
import types
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.converters import BadArgument, Converter, fold, split_words
from bot.digest import DigestFigure, NewsletterSection
from bot.render import Message, Renderer, mention_with_names
from bot.scheduler import Job
from storage.establishments import display_names
from storage.jobs import queue_message

if TYPE_CHECKING:
    import sqlite_utils

    from bot.config import Config, Establishment

log = logging.getLogger(__name__)


class Role(StrEnum):
    """Who may run a command; derived from the establishment's config."""

    TEACHER = "teacher"
    REFERENT = "referent"
    PRINCIPAL = "principal"
    ADMIN = "admin"


# With their preposition, to read "réservée aux référents numériques et à la direction".
ROLE_NAMES_FR = {
    Role.TEACHER: "à tous les membres du salon",
    Role.REFERENT: "aux référents numériques",
    Role.PRINCIPAL: "à la direction",
    Role.ADMIN: "à l'équipe académique",
}


def role_of(establishment: Establishment, config: Config, user_id: str) -> Role:
    """The role a user has in an establishment: admin, referent, principal, else teacher."""
    if user_id in config.bot.admins:
        return Role.ADMIN
    if user_id in establishment.referents:
        return Role.REFERENT
    if user_id in establishment.principals:
        return Role.PRINCIPAL
    return Role.TEACHER


class Messenger(Protocol):
    """What handlers need from the chat transport (bot/matrix.py implements it)."""

    async def send_message(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None: ...

    async def send_file(
        self,
        room_id: str,
        filename: str,
        data: bytes,
        mimetype: str,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None: ...

    async def send_event(
        self, room_id: str, event_type: str, content: dict, *, txn_id: str | None = None
    ) -> str | None: ...

    async def direct_room(self, user_id: str) -> str: ...


@dataclass
class Context:
    """Everything a handler may use; nothing else is global."""

    sender: str
    role: Role
    establishment: Establishment
    room_id: str
    event_id: str
    now: datetime
    db: sqlite_utils.Database
    config: Config
    renderer: Renderer
    messenger: Messenger
    registry: Registry
    command: CommandSpec | None = None
    sent: int = 0

    def _next_txn(self) -> str:
        # Deterministic transaction ids: if a crash makes the bot handle the same
        # command again, the homeserver drops the repeated send.
        self.sent += 1
        return f"rupn-{self.event_id}-{self.sent}"

    def render(self, template: str, mentions: Iterable[str] = (), **values) -> Message:
        """Render a template with the common values (establishment, now, prefix)."""
        return render_for(self, template, mentions, **values)

    async def reply(self, template: str, mentions: Iterable[str] = (), **values) -> None:
        """Answer the command in its room, as a reply, with a rendered template."""
        await self.send(self.render(template, mentions, **values))

    async def send(self, message: Message, room_id: str | None = None) -> None:
        """Send an already rendered message (to the command's room unless told)."""
        in_room = room_id is None or room_id == self.room_id
        await self.messenger.send_message(
            room_id or self.room_id,
            message,
            reply_to=self.event_id if in_room else None,
            txn_id=self._next_txn(),
        )

    def post_file(self, filename: str, data: bytes, mimetype: str, *, dm_user: str) -> None:
        """Queue a file for a user's direct room (sent once they have joined it)."""
        queue_message(
            self.db,
            establishment_id=self.establishment.id,
            dm_user=dm_user,
            body=filename,
            html=filename,
            mentions=(),
            txn_id=self._next_txn(),
            now=self.now,
            file=(filename, mimetype, data),
        )

    def post(self, message: Message, *, dm_user: str | None = None) -> None:
        """Queue a message to the room (or a user's direct room) in the current transaction.

        For notices a command owes to other people (a waitlist promotion, a closed
        slot): queued with the change that causes them, sent right after the command.
        """
        queue_message(
            self.db,
            establishment_id=self.establishment.id,
            room_id=None if dm_user else self.room_id,
            dm_user=dm_user,
            body=message.body,
            html=message.html,
            mentions=message.mentions,
            txn_id=self._next_txn(),
            now=self.now,
        )

    async def send_event(self, event_type: str, content: dict) -> str | None:
        """Send a raw event (a poll, say) to the command's room; returns its event id."""
        return await self.messenger.send_event(
            self.room_id, event_type, content, txn_id=self._next_txn()
        )

    async def send_file(self, filename: str, data: bytes, mimetype: str, room_id=None) -> None:
        """Upload a file to the command's room (or another room)."""
        await self.messenger.send_file(
            room_id or self.room_id,
            filename,
            data,
            mimetype,
            reply_to=self.event_id if room_id is None else None,
            txn_id=self._next_txn(),
        )


def render_for(ctx, template: str, mentions: Iterable[str] = (), **values) -> Message:
    """Render with what every template may use; shared by commands and jobs."""
    return ctx.renderer.render(
        template,
        mentions=tuple(mentions),
        establishment=ctx.establishment,
        now=ctx.now,
        prefix=ctx.config.bot.prefix,
        mention=mention_with_names(lambda: display_names(ctx.db, ctx.establishment.id)),
        **values,
    )


Handler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Parameter:
    """One typed argument of a handler."""

    name: str
    converter: type[Converter]
    optional: bool
    default: Any = None
    label: str | None = None

    @property
    def usage(self) -> str:
        """``<n°>`` when required, ``[sujet]`` when optional."""
        label = self.label or self.converter.label
        return f"[{label}]" if self.optional else f"<{label}>"


@dataclass(eq=False)
class CommandSpec:
    """A declared command or sub-command and everything ``!aide`` shows about it.

    Compared by identity: a spec is one declaration, listed under several keys.
    """

    name: str
    handler: Handler
    help: str
    roles: frozenset[Role]
    aliases: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    usage_override: str | None = None
    parent: CommandSpec | None = None
    subs: dict[str, CommandSpec] = field(default_factory=dict)
    # Whether using the command makes the sender a known member (privacy commands do not).
    remember_sender: bool = True
    params: tuple[Parameter, ...] = ()

    def __post_init__(self) -> None:
        self.params = _parameters_of(self.handler)

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} {self.name}" if self.parent else self.name

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fold(k) for k in (self.name, *self.aliases)))

    def usage(self, prefix: str = "!") -> str:
        """``!permanence réserver <n°> [sujet]``, built from the handler's parameters."""
        if self.usage_override is not None:
            args = self.usage_override
        else:
            args = " ".join(p.usage for p in self.params)
        return f"{prefix}{self.full_name} {args}".strip()

    @property
    def sub_commands(self) -> list[CommandSpec]:
        """Each sub-command once, in declaration order (``subs`` holds one per alias)."""
        return list(dict.fromkeys(self.subs.values()))

    def allows(self, role: Role) -> bool:
        """Whether a sender with this role may run the command (admins run everything)."""
        return role is Role.ADMIN or role in self.roles

    def sub(
        self,
        name: str,
        *,
        help: str,
        role: str | Iterable[str] | None = None,
        aliases: Iterable[str] = (),
        examples: Iterable[str] = (),
        usage: str | None = None,
    ) -> Callable[[Handler], CommandSpec]:
        """Declare a sub-command: ``@permanence.sub("réserver", help=...)``."""

        def decorate(handler: Handler) -> CommandSpec:
            spec = CommandSpec(
                name=name,
                handler=handler,
                help=help,
                roles=_roles(role) if role is not None else self.roles,
                aliases=tuple(aliases),
                examples=tuple(examples),
                usage_override=usage,
                parent=self,
                remember_sender=self.remember_sender,
            )
            for key in spec.keys:
                self.subs[key] = spec
            return spec

        return decorate


def _roles(role: str | Iterable[str]) -> frozenset[Role]:
    names = [role] if isinstance(role, str) else list(role)
    roles = {Role(r) for r in names}
    # "teacher" means anyone in the room: referents and principals are teachers too.
    return frozenset(Role) if Role.TEACHER in roles else frozenset(roles)


def command(
    name: str,
    *,
    help: str,
    role: str | Iterable[str] = "teacher",
    aliases: Iterable[str] = (),
    examples: Iterable[str] = (),
    usage: str | None = None,
    remember_sender: bool = True,
) -> Callable[[Handler], CommandSpec]:
    """Declare a command; the module's CommandSpec objects are collected by a Registry."""

    def decorate(handler: Handler) -> CommandSpec:
        return CommandSpec(
            name=name,
            handler=handler,
            help=help,
            roles=_roles(role),
            aliases=tuple(aliases),
            examples=tuple(examples),
            usage_override=usage,
            remember_sender=remember_sender,
        )

    return decorate


def _parameters_of(handler: Handler) -> tuple[Parameter, ...]:
    signature = inspect.signature(handler)
    hints = typing.get_type_hints(handler, include_extras=True)
    params = []
    for name in list(signature.parameters)[1:]:  # the first one is the Context
        declared = signature.parameters[name]
        converter, optional = _unwrap_optional(hints[name])
        label = None
        if typing.get_origin(converter) is typing.Annotated:
            converter, label = typing.get_args(converter)[:2]
        if not (isinstance(converter, type) and issubclass(converter, Converter)):
            raise TypeError(f"{handler.__qualname__}.{name}: annotate with a Converter")
        has_default = declared.default is not inspect.Parameter.empty
        default = declared.default if has_default else None
        params.append(Parameter(name, converter, optional or has_default, default, label))
    return tuple(params)


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


@dataclass(frozen=True)
class EventListener:
    """A handler for non-command room events (e.g. poll answers), declared with ``@listener``."""

    event_types: tuple[str, ...]
    handler: Callable[[Context, dict], Awaitable[None]]


def listener(*event_types: str) -> Callable[[Callable], EventListener]:
    """Declare a handler called with ``(ctx, event)`` for each room event of these types.

    It runs for every matching event in a served room, possibly again after a
    restart, so it must be idempotent (key what it stores by the event id).
    """

    def decorate(handler) -> EventListener:
        return EventListener(tuple(event_types), handler)

    return decorate


class Registry:
    """Commands (by folded name or alias), listeners, jobs, letter sections and digest figures."""

    def __init__(
        self,
        specs: Iterable[CommandSpec],
        listeners: Iterable[EventListener] = (),
        jobs: Iterable[Job] = (),
        sections: Iterable[NewsletterSection] = (),
        figures: Iterable[DigestFigure] = (),
    ):
        self.commands: list[CommandSpec] = []
        self._by_key: dict[str, CommandSpec] = {}
        self.listeners: dict[str, list[EventListener]] = {}
        self.jobs: list[Job] = list(jobs)
        # Messages that depend only on the registry (the help list per role): the
        # registry never changes while the bot runs, so they are rendered once.
        self.rendered: dict[tuple, Message] = {}
        self.sections: list[NewsletterSection] = _unique("newsletter section", sections)
        self.figures: list[DigestFigure] = _unique("digest figure", figures)
        for spec in specs:
            self.add(spec)
        for item in listeners:
            for event_type in item.event_types:
                self.listeners.setdefault(event_type, []).append(item)

    @classmethod
    def from_modules(cls, modules: Iterable[types.ModuleType]) -> Registry:
        """Collect everything declared in each module, in order (bot/digest.py for providers)."""
        specs, listeners, jobs, sections, figures = [], [], [], [], []
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
        return cls(specs, listeners, jobs, sections, figures)

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

    def suggest(self, word: str, role: Role) -> CommandSpec | None:
        """The nearest command this role may use, for "Vouliez-vous dire … ?"."""
        visible = self.visible_to(role)
        keys = [key for key, spec in self._by_key.items() if spec in visible]
        close = difflib.get_close_matches(fold(word), keys, n=1, cutoff=0.5)
        return self._by_key[close[0]] if close else None

    def visible_to(self, role: Role) -> list[CommandSpec]:
        """Commands with at least one part this role may run."""
        return [
            c
            for c in self.commands
            if c.allows(role) or any(s.allows(role) for s in c.subs.values())
        ]


def _unique(kind: str, items: Iterable) -> list:
    items = list(items)
    names = [item.name for item in items]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{kind} {name!r} declared twice")
    return items


@dataclass(frozen=True)
class Invocation:
    """A message read as a command: which spec, and the raw argument text."""

    spec: CommandSpec
    arguments: str


class UnknownCommand(Exception):
    """The word after the prefix names no command."""

    def __init__(self, word: str):
        super().__init__(word)
        self.word = word


def parse_invocation(registry: Registry, prefix: str, body: str) -> Invocation | None:
    """Find the command (and sub-command) in a message; None if it is not a command."""
    text = body.strip()
    if not text.startswith(prefix) or len(text) == len(prefix):
        return None
    if not text[len(prefix)].isalpha():
        return None  # "!!!", "! bonjour" or "!1234" are chatter, not commands
    words = text[len(prefix) :].split(maxsplit=1)
    spec = registry.find(words[0])
    if spec is None:
        raise UnknownCommand(words[0])
    rest = words[1] if len(words) > 1 else ""
    if spec.subs and rest:
        first, _, after = rest.partition(" ")
        sub = spec.subs.get(fold(first))
        if sub is not None:
            return Invocation(sub, after.strip())
    return Invocation(spec, rest)


def convert_arguments(spec: CommandSpec, arguments: str, ctx: Context) -> dict[str, Any]:
    """Turn the argument text into the handler's keyword arguments (raises BadArgument)."""
    words = split_words(arguments)
    values: dict[str, Any] = {}
    for param in spec.params:
        if not words:
            if not param.optional:
                raise BadArgument(f"Il manque {param.usage}.")
            values[param.name] = param.default
            continue
        value, used = param.converter.consume(words, arguments, ctx)
        values[param.name] = value
        words = words[used:]
    if words:
        extra = arguments[words[0].start :].strip()
        if len(extra) > 40:
            extra = extra[:39] + "…"
        raise BadArgument(f"Je ne comprends pas « {extra} ».")
    return values


class Outcome(StrEnum):
    """What became of a message; everything but IGNORED was answered."""

    IGNORED = "ignored"  # not a command
    UNKNOWN = "unknown"
    FORBIDDEN = "forbidden"
    REJECTED = "rejected"  # a bad argument: nothing was written
    DONE = "done"
    FAILED = "failed"  # a bug: logged with its trace, one polite line in the room


# A command is a line or a paragraph; anything longer is a paste, not a command.
MAX_COMMAND_CHARS = 8_000


class Dispatcher:
    """Runs one message through the registry and answers every outcome in French."""

    def __init__(self, registry: Registry):
        self.registry = registry

    async def handle(self, ctx: Context, body: str) -> Outcome:
        """Handle a message and answer it; says what happened.

        Every answered message gets one log line: the establishment, the command's
        registered name (never what was typed), the outcome and the time from
        parsing to the reply sent, also as fields for the JSON log format.
        """
        started = time.perf_counter()
        outcome = await self._handle(ctx, body)
        if outcome is not Outcome.IGNORED:
            name = ctx.command.full_name if ctx.command else None
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info(
                "%s: !%s from %s: %s in %.1f ms",
                ctx.establishment.id,
                name or "?",
                ctx.sender,
                outcome,
                duration_ms,
                extra={
                    "establishment": ctx.establishment.id,
                    "command": name,
                    "outcome": outcome.value,
                    "duration_ms": duration_ms,
                    "event_id": ctx.event_id,
                },
            )
        return outcome

    async def _handle(self, ctx: Context, body: str) -> Outcome:
        prefix = ctx.config.bot.prefix
        try:
            invocation = parse_invocation(self.registry, prefix, body)
        except UnknownCommand as unknown:
            suggestion = self.registry.suggest(unknown.word, ctx.role)
            await ctx.reply(
                "erreurs/commande_inconnue", word=unknown.word[:40], suggestion=suggestion
            )
            return Outcome.UNKNOWN
        if invocation is None:
            return Outcome.IGNORED
        spec = ctx.command = invocation.spec
        if not spec.allows(ctx.role):
            allowed = [ROLE_NAMES_FR[r] for r in Role if r in spec.roles and r is not Role.ADMIN]
            await ctx.reply("erreurs/role", spec=spec, allowed=allowed)
            return Outcome.FORBIDDEN
        try:
            if len(body) > MAX_COMMAND_CHARS:
                raise BadArgument(
                    f"Ce message est trop long pour une commande "
                    f"({len(body)} caractères, {MAX_COMMAND_CHARS} au plus)."
                )
            arguments = convert_arguments(spec, invocation.arguments, ctx)
            await spec.handler(ctx, **arguments)
        except BadArgument as bad:
            await ctx.reply("erreurs/argument", spec=spec, message=bad.message, example=bad.example)
            return Outcome.REJECTED
        except Exception:
            log.exception("command %s failed in %s", spec.full_name, ctx.establishment.id)
            await ctx.reply("erreurs/interne", spec=spec)
            return Outcome.FAILED
        return Outcome.DONE
