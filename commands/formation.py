"""``!formation``: training needs, ranked by support, turned into sessions by the referent.

Teachers write a need (``!formation <besoin> [#tag …]``); a need that looks like
an open one is pointed out instead of being recorded twice. Colleagues support
it with ``+1`` or a 👍 on the message that recorded it (removing the 👍
withdraws; each reaction counts once, and is answered privately). The referent
plans a session, directly or from a date poll posted in the room (its events:
``bot.toolkit.polls``), and everyone who asked or voted is mentioned; a need
beyond the establishment is forwarded to the DANE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from bot.core.config import ACADEMY_ID
from bot.core.context import Context
from bot.core.converters import (
    DateChoices,
    FutureWhen,
    NumberedItem,
    TaggedText,
    Text,
    is_past,
)
from bot.core.declarations import command, listener
from bot.core.digest import SectionData, Window, digest_figure, newsletter_section
from bot.core.errors import BadArgument, CommandError
from bot.core.indicators import PeriodCounts, indicator, rate
from bot.toolkit.dates import format_when_fr
from bot.toolkit.polls import (
    POLL_END_TYPE,
    POLL_RESPONSE_TYPES,
    POLL_START_TYPE,
    poll_end_content,
    poll_selections,
    poll_start_content,
    valid_selections,
)
from bot.toolkit.reactions import (
    REACTION_TYPE,
    REDACTION_TYPE,
    SUPPORT,
    reaction_of,
    redacted_event_id,
)
from bot.toolkit.text import fold
from storage import bilan
from storage.formation import (
    CLOSED,
    CRCN_LABELS,
    CRCN_TAGS,
    DANE,
    OPEN,
    PLANNED,
    PollOption,
    TrainingNeed,
    attach_poll,
    close_need,
    find_need,
    find_poll,
    find_similar_need,
    forward_to_dane,
    need_of_message,
    needs_by_theme_per_period,
    needs_with_status,
    normalize_tags,
    open_poll_results,
    plan_session,
    poll_result,
    record_need,
    record_poll_response,
    remember_need_message,
    sessions_per_period,
    suggest_tags,
    supporters,
    top_needs,
    upcoming_sessions,
    vote,
    withdraw_vote,
)
from storage.reactions import withdraw_reaction

MAX_PLACE_LENGTH = 60
LIST_LIMIT = 15


def theme_name(tag: str) -> str:
    """A CRCN domain by its name (« Création de contenus »); any other tag as typed."""
    return CRCN_LABELS.get(tag, f"#{tag}")


class NeedText(TaggedText):
    """The text of a need, its ``#tags`` and « nouveau : » (record even if it looks known)."""

    label = "besoin"
    wanted = "votre besoin"
    flags = frozenset({"nouveau"})
    max_length = 300


class NeedRef(NumberedItem):
    """A training need of this establishment, by its number."""

    find = staticmethod(find_need)
    wanted = "le numéro du besoin"
    missing = "Le besoin n° {number} n'existe pas : « {prefix}formation » donne la liste."


class FromPoll:
    """Marks « sondage » given instead of a date: take the date the poll chose."""


class PlanDate(FutureWhen):
    """A date still to come, or the word « sondage »."""

    label = "date|sondage"

    @classmethod
    def consume(cls, words, raw, ctx):
        if fold(words[0].text) == "sondage":
            return FromPoll, 1
        return super().consume(words, raw, ctx)


@command(
    "formation",
    aliases=("formations",),
    help="Les besoins de formation, classés par soutiens ; avec un texte, note votre besoin "
    "(les thèmes CRCN sont proposés s'il n'y a pas de #tag).",
    examples=(
        "formation",
        "formation Créer des capsules vidéo avec mes élèves",
        "formation Utiliser Pronote pour le cahier de textes #communication-collaboration",
    ),
    usage="[besoin] [#tag …]",
)
async def training(ctx: Context, need: NeedText | None = None) -> None:
    establishment = ctx.establishment.id
    if need is None:
        await ctx.reply(
            "formation/liste",
            needs=needs_with_status(ctx.db, establishment, OPEN),
            sessions=upcoming_sessions(ctx.db, establishment, ctx.now),
            forwarded=needs_with_status(ctx.db, establishment, DANE),
            polls=open_poll_results(ctx.db, establishment),
            limit=LIST_LIMIT,
            theme=theme_name,
        )
        return
    similar = (
        None if "nouveau" in need.flags else find_similar_need(ctx.db, establishment, need.text)
    )
    if similar is not None:
        await ctx.reply("formation/doublon", similar=similar, text=need.text)
        return
    tags = normalize_tags(need.tags)
    suggested = not tags
    created = record_need(
        ctx.db, establishment, need.text, tags or suggest_tags(need.text), ctx.sender, ctx.now
    )
    event_id = await ctx.reply(
        "formation/enregistre", need=created, suggested=suggested, crcn=CRCN_TAGS, theme=theme_name
    )
    if event_id is not None:
        remember_need_message(ctx.db, created.id, event_id, ctx.room_id)


@training.sub(
    "+1",
    help="Soutient un besoin (une fois par personne).",
    examples=("formation +1 3",),
)
async def support(ctx: Context, need: NeedRef) -> None:
    _require_status(ctx, need, OPEN)
    added = vote(ctx.db, need.id, ctx.sender, ctx.now)
    await ctx.reply("formation/vote", need=_reload(ctx, need), added=added)


@training.sub("-1", help="Retire votre soutien à un besoin.", examples=("formation -1 3",))
async def withdraw(ctx: Context, need: NeedRef) -> None:
    _require_status(ctx, need, OPEN, PLANNED)
    removed = withdraw_vote(ctx.db, need.id, ctx.sender)
    await ctx.reply("formation/retrait", need=_reload(ctx, need), removed=removed)


@training.sub(
    "planifier",
    role="referent",
    help="Planifie la session d'un besoin (ou prend la date choisie par le sondage) et "
    "prévient ceux qui l'ont demandée ou soutenue.",
    examples=("formation planifier 3 jeudi 12h30 salle B12", "formation planifier 3 sondage"),
)
async def plan(
    ctx: Context,
    need: NeedRef,
    when: PlanDate,
    place: Annotated[Text, "salle"] | None = None,
) -> None:
    _require_status(ctx, need, OPEN, PLANNED)
    if place is not None and len(place) > MAX_PLACE_LENGTH:
        raise BadArgument(f"Le lieu est trop long ({MAX_PLACE_LENGTH} caractères au plus).")
    result = None
    from_poll = when is FromPoll
    if from_poll:
        when, result = _poll_choice(ctx, need)
    respondents: Sequence[str] = result.voters if result is not None else ()
    moved = plan_session(ctx.db, need, when, place, ctx.sender, ctx.now, close_poll=from_poll)
    people = [
        p for p in dict.fromkeys([*supporters(ctx.db, need), *respondents]) if p != ctx.sender
    ]
    label = format_when_fr(when, ctx.now.tzinfo)
    if from_poll:
        text = ctx.render("formation/sondage_clos", need=need, label=label, result=result).body
        await ctx.send_event(POLL_END_TYPE, poll_end_content(need.poll_event_id, text))
    await ctx.announce(
        "formation/planifie",
        mentions=people,
        alert=bool(people),
        need=need,
        label=label,
        place=place,
        moved=moved,
        from_poll=from_poll,
        result=result,
        people=people,
    )


@training.sub(
    "sondage",
    role="referent",
    help="Publie un sondage où chacun coche toutes les dates qui lui conviennent, pour "
    "choisir celle de la session d'un besoin.",
    examples=("formation sondage 3 jeudi 12h30 | vendredi 12h30 | lundi 17h",),
)
async def poll(ctx: Context, need: NeedRef, dates: DateChoices) -> None:
    _require_status(ctx, need, OPEN)
    options = [PollOption(f"date-{i}", d) for i, d in enumerate(dates, 1)]
    question = ctx.render("formation/sondage_question", need=need).body
    labels = [(o.id, format_when_fr(o.starts_at)) for o in options]
    # Each person ticks every date they can make (checkboxes in Element and Tchap).
    content = poll_start_content(question, labels, max_selections=len(options))
    event_id = await ctx.send_event(POLL_START_TYPE, content)
    if event_id is None:
        # Refused (the room mutes the bot) or the homeserver is in trouble: the
        # sender logged why in one line; nothing was recorded.
        raise CommandError(
            f"Je n'ai pas pu publier le sondage du besoin n° {need.number} dans ce salon :"
            " réessayez plus tard."
        )
    attach_poll(
        ctx.db, need, event_id, ctx.room_for_all, options, ctx.sender, ctx.now, len(options)
    )
    people = [p for p in supporters(ctx.db, need) if p != ctx.sender]
    await ctx.announce(
        "formation/sondage",
        mentions=people,
        need=need,
        people=people,
    )


@training.sub(
    "clore",
    role="referent",
    aliases=("fermer",),
    help="Clôt un besoin (session faite, ou abandonné), avec une note facultative.",
    examples=("formation clore 3 session faite le 3 décembre",),
)
async def close(ctx: Context, need: NeedRef, note: Annotated[Text, "note"] | None = None) -> None:
    _require_status(ctx, need, OPEN, PLANNED, DANE)
    close_need(ctx.db, need, note, ctx.sender, ctx.now)
    await ctx.reply("formation/clos", need=need, note=note)


@training.sub(
    "dane",
    role="referent",
    help="Transmet un besoin qui dépasse l'établissement à l'équipe académique (DANE).",
    examples=("formation dane 3",),
)
async def forward(ctx: Context, need: NeedRef) -> None:
    _require_status(ctx, need, OPEN, PLANNED)
    with ctx.db.atomic():
        forward_to_dane(ctx.db, need, ctx.sender, ctx.now)
        if ctx.config.academy:
            # Delivered with the change: once, even if the command is handled again.
            message = ctx.render("formation/dane_academie", need=need, theme=theme_name)
            ctx.post_elsewhere(ACADEMY_ID, message)
    await ctx.reply("formation/dane", need=need, academy=ctx.config.academy)


@listener(*POLL_RESPONSE_TYPES)
async def record_poll_answer(ctx: Context, event: dict) -> None:
    """Keep each person's latest answer to one of our date polls, every date in it."""
    content = event.get("content") or {}
    poll_id = (content.get("m.relates_to") or {}).get("event_id")
    found = find_poll(ctx.db, poll_id) if isinstance(poll_id, str) else None
    if found is None or found.closed or found.room_id != ctx.room_id:
        return
    # The latest answer replaces the previous one whole; none withdraws the person's votes.
    known = [o.id for o in found.options]
    answers = valid_selections(poll_selections(content), known, found.max_selections)
    record_poll_response(
        ctx.db,
        found.event_id,
        event["sender"],
        event["event_id"],
        answers,
        int(event.get("origin_server_ts") or 0),
    )


# --- state checks and lookups ---------------------------------------------------


# What a reaction did, for counted_reactions and its withdrawal.
SUPPORT_PURPOSE = "formation"
# One private answer to reactions waits for someone at a time, the latest.
REACTION_SLOT = "reaction"


@listener(REACTION_TYPE, REDACTION_TYPE)
async def support_by_reaction(ctx: Context, event: dict) -> None:
    """👍 on a need's message supports it; removing the 👍 withdraws. Answered privately."""
    reaction = reaction_of(event)
    if reaction is not None:
        if reaction.key != SUPPORT:
            return
        need = need_of_message(ctx.db, reaction.target_event_id, ctx.room_id)
        if need is None or need.establishment_id != ctx.establishment.id or need.status != OPEN:
            return
        with ctx.db.atomic():
            if not ctx.count_reaction_once(reaction.target_event_id, SUPPORT_PURPOSE, need.id):
                return
            added = vote(ctx.db, need.id, ctx.sender, ctx.now)
            message = ctx.render("formation/vote", need=_reload(ctx, need), added=added)
            ctx.post(message, dm_user=ctx.sender, slot=REACTION_SLOT)
        return
    redacted = redacted_event_id(event)
    if redacted is None:
        return
    with ctx.db.atomic():
        counted = withdraw_reaction(ctx.db, redacted, SUPPORT_PURPOSE, ctx.sender, ctx.now)
        if counted is None:
            return
        need = need_of_message(ctx.db, counted.target_event_id, ctx.room_id)
        if need is None or need.status not in (OPEN, PLANNED):
            return
        removed = withdraw_vote(ctx.db, need.id, ctx.sender)
        message = ctx.render("formation/retrait", need=_reload(ctx, need), removed=removed)
        ctx.post(message, dm_user=ctx.sender, slot=REACTION_SLOT)


def _reload(ctx: Context, need: TrainingNeed) -> TrainingNeed:
    return find_need(ctx.db, ctx.establishment.id, need.number) or need


def _require_status(ctx: Context, need: TrainingNeed, *allowed: str) -> None:
    """Refuse, before anything is written, an action that does not fit the need's state."""
    if need.status in allowed:
        return
    n = need.number
    if need.status == PLANNED:
        at = format_when_fr(need.session_at, ctx.now.tzinfo)
        raise CommandError(f"Le besoin n° {n} est déjà planifié : session le {at}.")
    if need.status == CLOSED:
        raise CommandError(f"Le besoin n° {n} est clos.")
    raise CommandError(f"Le besoin n° {n} est déjà noté pour la DANE.")


def _poll_choice(ctx: Context, need: TrainingNeed):
    """The date the need's poll chose and its tally (refuses if there is none)."""
    found = find_poll(ctx.db, need.poll_event_id) if need.poll_event_id else None
    if found is None:
        raise CommandError(f"Aucun sondage n'a été lancé pour le besoin n° {need.number}.")
    result = poll_result(ctx.db, found)
    winner = result.winner
    if winner is None:
        raise CommandError(
            f"Personne n'a encore répondu au sondage du besoin n° {need.number} :"
            " attendez les réponses ou choisissez la date vous-même."
        )
    local = winner.starts_at.astimezone(ctx.now.tzinfo)
    if is_past(local, ctx.now):
        raise CommandError(
            f"La date choisie par le sondage ({format_when_fr(local)}) est passée :"
            " choisissez-en une autre."
        )
    return local, result


@newsletter_section("formation", order=30)
def training_news(db, establishment, window: Window) -> SectionData | None:
    """Sessions to come (news the first time a letter shows them) and the top needs."""
    sessions = upcoming_sessions(db, establishment.id, window.now)
    needs = top_needs(db, establishment.id, limit=3)
    if not sessions and not needs:
        return None
    seen = window.already_included("formation-session")
    fresh = [s for s in sessions if s.need_number not in seen]
    return SectionData(
        "formation/lettre",
        {
            "sessions": sessions,
            "needs": needs,
            "fresh": {s.need_number for s in fresh},
        },
        items={"formation-session": [s.need_number for s in fresh]},
        news=bool(fresh),
    )


@digest_figure("besoins", label="Besoins de formation exprimés", order=20)
def needs_by_theme(db, establishment, periods) -> list[dict[str, int]]:
    return needs_by_theme_per_period(db, establishment.id, periods)


@digest_figure("sessions", label="Sessions de formation", order=21)
def sessions_held(db, establishment, periods) -> list[int]:
    return sessions_per_period(db, establishment.id, periods)


@indicator("besoins_traites", label="Part des besoins de formation traités", percent=True, order=20)
def needs_handled(counts: PeriodCounts) -> float | None:
    # Handled: planned, closed or forwarded to the DANE (storage/bilan.py).
    needs = counts.query(bilan.needs_summary)
    return rate(needs.handled, needs.received)
