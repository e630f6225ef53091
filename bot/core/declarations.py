"""How a family declares what it offers: ``@command``, ``.sub``, ``@listener``.

A handler's parameters after the ``Context`` are annotated with converters;
the declaration reads them once, so the usage line of ``!aide`` and the
arguments the dispatcher converts come from the same place.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.converters import Converter
from bot.core.places import Place
from bot.core.roles import Role, roles_named
from bot.toolkit.text import fold

if TYPE_CHECKING:
    from bot.core.context import Context


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

    ``examples`` are command lines written without the prefix (``"permanence
    réserver 2"``): the help and the usage answers put the configured prefix
    before them, as ``usage(prefix)`` does. Compared by identity: a spec is one
    declaration, listed under several keys.
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
    places: frozenset[Place] = frozenset({Place.ESTABLISHMENT})

    def __post_init__(self) -> None:
        self.params = _parameters_of(self.handler)
        for example in self.examples:
            if not example[:1].isalpha():
                raise ValueError(f"{self.full_name}: example {example!r} starts with a prefix")

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} {self.name}" if self.parent else self.name

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fold(k) for k in (self.name, *self.aliases)))

    def usage(self, prefix: str) -> str:
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

    def used_in(self, place: Place) -> bool:
        """Whether the command is used in that kind of room."""
        return place in self.places

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
                roles=roles_named(role) if role is not None else self.roles,
                aliases=tuple(aliases),
                examples=tuple(examples),
                usage_override=usage,
                parent=self,
                remember_sender=self.remember_sender,
                places=self.places,
            )
            for key in spec.keys:
                self.subs[key] = spec
            return spec

        return decorate


def command(
    name: str,
    *,
    help: str,
    role: str | Iterable[str] = "teacher",
    aliases: Iterable[str] = (),
    examples: Iterable[str] = (),
    usage: str | None = None,
    remember_sender: bool = True,
    places: Iterable[Place] = (Place.ESTABLISHMENT,),
) -> Callable[[Handler], CommandSpec]:
    """Declare a command; the module's CommandSpec objects are collected by a Registry.

    ``places``: where it is used (an establishment's room by default; the
    academy's commands are used in the academy's room only).
    """

    def decorate(handler: Handler) -> CommandSpec:
        return CommandSpec(
            name=name,
            handler=handler,
            help=help,
            roles=roles_named(role),
            aliases=tuple(aliases),
            examples=tuple(examples),
            usage_override=usage,
            remember_sender=remember_sender,
            places=frozenset(places),
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
