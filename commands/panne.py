"""``!panne``: first-level self-help for a breakdown, then the way to the ticket portal.

The referent is not the maintenance technician. A breakdown is classified by its
words (projector, network, printer, ENT, computer, tablet, sound), answered with
the matching checklist and the local authority's ticket portal, and logged with
a number so its ticket reference and repair can be followed.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.converters import NumberedItem, Text
from bot.core.declarations import command
from bot.core.digest import digest_figure
from bot.core.errors import BadArgument, CommandError
from bot.core.indicators import PeriodCounts, indicator, rate
from storage import bilan
from storage.fiche import sheets_mentioning
from storage.panne import (
    Incident,
    attach_ticket,
    breakdowns_by_category_per_period,
    category_label,
    classify_breakdown,
    equipment_words,
    find_incident,
    open_incidents,
    open_tickets_per_period,
    report_incident,
    resolve_incident,
    room_of,
)

EXAMPLE = "panne vidéoprojecteur salle 12 ne s'allume pas"


class BreakdownText(Text):
    """What is broken, in the teacher's words: a few real words, not too long."""

    label = "description"
    wanted = "ce qui est en panne"
    max_length = 500

    @classmethod
    def consume(cls, words, raw, ctx):
        text, used = super().consume(words, raw, ctx)
        if sum(c.isalpha() for c in text) < 3:
            raise BadArgument(
                "Décrivez la panne en quelques mots : l'appareil, la salle, ce qui ne marche pas.",
                example=EXAMPLE,
            )
        if len(text) > cls.max_length:
            raise BadArgument(
                f"La description est trop longue ({cls.max_length} caractères au plus) :"
                " l'essentiel suffit, les détails iront dans le ticket.",
                example=EXAMPLE,
            )
        return text, used


class IncidentRef(NumberedItem):
    """A breakdown of this establishment, by its number."""

    find = staticmethod(find_incident)
    wanted = "le numéro de la panne"
    missing = "La panne n° {number} n'existe pas : « {prefix}panne » donne celles en cours."


class TicketRef(Text):
    """A ticket reference as the portal gave it (« GLPI-1234 », « 2026-0042 »)."""

    label = "référence"
    wanted = "la référence du ticket"
    max_length = 60

    @classmethod
    def consume(cls, words, raw, ctx):
        text, used = super().consume(words, raw, ctx)
        if len(text) > cls.max_length:
            raise BadArgument(
                f"Cette référence est trop longue ({cls.max_length} caractères au plus)."
            )
        return text, used


@command(
    "panne",
    aliases=("pannes",),
    help="Signale une panne : les vérifications à faire soi-même, puis le lien du portail "
    "de tickets. Sans texte : les pannes en cours (les vôtres ; toutes pour les référents).",
    examples=(EXAMPLE, "panne"),
)
async def breakdown(ctx: Context, description: BreakdownText | None = None) -> None:
    if description is None:
        everyone = ctx.may("referent")
        incidents = open_incidents(ctx.db, ctx.establishment.id, None if everyone else ctx.sender)
        await ctx.reply(
            "panne/liste",
            incidents=incidents,
            everyone=everyone,
            category_label=category_label,
        )
        return
    category = classify_breakdown(description)
    incident = report_incident(
        ctx.db, ctx.establishment.id, description, category, ctx.sender, ctx.now
    )
    # What the referents already wrote on this equipment comes before the checklist.
    sheets = sheets_mentioning(ctx.db, ctx.establishment.id, equipment_words(category, description))
    await ctx.reply(
        "panne/signalee",
        incident=incident,
        sheets=sheets,
        room=room_of(description),
        category_label=category_label,
    )


@breakdown.sub(
    "ticket",
    help="Note la référence du ticket ouvert sur le portail de la collectivité.",
    examples=("panne ticket 4 GLPI-1234",),
)
async def ticket(ctx: Context, incident: IncidentRef, reference: TicketRef) -> None:
    _require_open_and_own(ctx, incident)
    attach_ticket(ctx.db, incident, reference, ctx.now)
    await ctx.reply(
        "panne/ticket", incident=incident, reference=reference, category_label=category_label
    )


@breakdown.sub(
    "résolue",
    aliases=("resolu", "réparée", "reparee"),
    help="Indique qu'une panne est réparée.",
    examples=("panne résolue 4",),
)
async def resolved(ctx: Context, incident: IncidentRef) -> None:
    _require_open_and_own(ctx, incident)
    resolve_incident(ctx.db, incident, ctx.sender, ctx.now)
    await ctx.reply("panne/resolue", incident=incident)


def _require_open_and_own(ctx: Context, incident: Incident) -> None:
    """Only the reporter and the referents follow up a breakdown, and only an open one."""
    ctx.require_owner_or(
        "referent",
        owner=incident.reporter,
        owner_label="cette personne",
        action="la mettre à jour",
        reason=f"La panne n° {incident.number} a été signalée par quelqu'un d'autre",
    )
    if not incident.open:
        raise CommandError(f"La panne n° {incident.number} est déjà résolue.")


@digest_figure("pannes", label="Pannes signalées", order=40)
def breakdowns(db, establishment, periods) -> list[dict[str, int]]:
    return breakdowns_by_category_per_period(db, establishment.id, periods)


@digest_figure("tickets", label="Tickets encore ouverts en fin de mois", order=41, snapshot=True)
def open_tickets(db, establishment, periods) -> list[int]:
    return open_tickets_per_period(db, establishment.id, periods)


@indicator("pannes_reparees", label="Part des pannes signalées réparées", percent=True, order=30)
def breakdowns_repaired(counts: PeriodCounts) -> float | None:
    assistance = counts.query(bilan.assistance_summary)
    return rate(assistance.resolved, assistance.reported)
