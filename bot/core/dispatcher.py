"""The dispatcher: one message in, one French answer out.

It finds the command (accents and case ignored), checks the sender's role,
converts the arguments, and turns every expected problem into a French
sentence, each kind its own way (``bot.core.errors``). Anything unexpected is
logged with its trace and answered with one polite line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.budget import CommandBudget, Verdict
from bot.core.context import Context
from bot.core.declarations import CommandSpec
from bot.core.errors import BadArgument, CommandError, NotAllowed
from bot.core.registry import Registry
from bot.core.roles import ROLE_GROUPS_FR, ROLE_NAMES_FR, Role
from bot.toolkit.text import fold, split_words

log = logging.getLogger(__name__)


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
                raise BadArgument(f"Précisez {param.converter.wanted}.")
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
    FORBIDDEN = "forbidden"  # not for this sender: nothing was written
    REJECTED = "rejected"  # a bad argument: nothing was written
    REFUSED = "refused"  # refused or impossible as things stand: nothing was written
    DONE = "done"
    FAILED = "failed"  # a bug: logged with its trace, one polite line in the room
    THROTTLED = "throttled"  # over the sender's budget: one line saying the bot pauses


# A command is a line or a paragraph; anything longer is a paste, not a command.
MAX_COMMAND_CHARS = 8_000


class Dispatcher:
    """Runs one message through the registry and answers every outcome in French.

    With a ``budget``, each person's commands beyond it get one line saying the
    bot pauses, then nothing (``bot.core.budget``); chatter is not counted.
    """

    def __init__(self, registry: Registry, budget: CommandBudget | None = None):
        self.registry = registry
        self.budget = budget

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
        prefix = ctx.prefix
        try:
            invocation = parse_invocation(self.registry, prefix, body)
        except UnknownCommand as unknown:
            if (over := await self._over_budget(ctx)) is not None:
                return over
            suggestion = self.registry.suggest(unknown.word, ctx.role, ctx.place)
            await ctx.reply(
                "erreurs/commande_inconnue", word=unknown.word[:40], suggestion=suggestion
            )
            return Outcome.UNKNOWN
        if invocation is None:
            return Outcome.IGNORED
        spec = ctx.command = invocation.spec
        if (over := await self._over_budget(ctx)) is not None:
            return over
        try:
            if not spec.used_in(ctx.place):
                await ctx.reply("erreurs/ailleurs", spec=spec, place=ctx.place.value)
                return Outcome.REFUSED
            if not spec.allows(ctx.role):
                raise NotAllowed(spec.roles)
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
        except NotAllowed as refusal:
            await _answer_not_allowed(ctx, spec, refusal)
            return Outcome.FORBIDDEN
        except CommandError as refusal:
            await ctx.reply("erreurs/refus", message=refusal.message)
            return Outcome.REFUSED
        except Exception:
            log.exception("command %s failed in %s", spec.full_name, ctx.establishment.id)
            await ctx.reply("erreurs/interne", spec=spec, staff=ctx.may("referent", "principal"))
            return Outcome.FAILED
        return Outcome.DONE

    async def _over_budget(self, ctx: Context) -> Outcome | None:
        """None if the command may be answered; else what became of it (told once, then not)."""
        if self.budget is None:
            return None
        verdict = self.budget.take(ctx.establishment.id, ctx.sender, ctx.now)
        if verdict is Verdict.ANSWER:
            return None
        if verdict is Verdict.WARN:
            await ctx.reply("erreurs/trop_de_commandes")
            return Outcome.THROTTLED
        return Outcome.IGNORED  # silent, and not logged: a flood must not flood the log


async def _answer_not_allowed(ctx: Context, spec: CommandSpec, refusal: NotAllowed) -> None:
    """Who may: the roles (admins go unsaid), and the one person who also may, if any."""
    # Admins go unsaid, unless nobody else may: then the command is theirs.
    roles = [r for r in Role if r in refusal.roles and r is not Role.ADMIN] or [Role.ADMIN]
    if refusal.owner_label is None:
        allowed = [ROLE_NAMES_FR[r] for r in roles]
        await ctx.reply("erreurs/role", spec=spec, allowed=allowed, scope=refusal.scope)
        return
    await ctx.reply(
        "erreurs/proprietaire",
        reason=refusal.reason,
        allowed=[refusal.owner_label, *(ROLE_GROUPS_FR[r] for r in roles)],
        action=refusal.action,
    )
