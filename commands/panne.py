"""``!panne``: first-level self-help for a breakdown, then the way to the ticket portal.

The referent is not the maintenance technician. A breakdown is classified by its
words (projector, network, printer, ENT, computer, tablet, sound), answered with
the matching checklist and the local authority's ticket portal, and logged with
a number so its ticket reference and repair can be followed.

A second report of the same room's same equipment joins the open breakdown
instead of opening another: everyone who reported it is told once of its repair.
``!panne salle B12`` says what is open in a room, and ``!panne visite`` gives the
technician's list, room by room, as a message and two files naming nobody.
"""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.converters import Converter, NumberedItem, Text, shortened
from bot.core.declarations import command
from bot.core.digest import digest_figure
from bot.core.errors import BadArgument, CommandError
from bot.core.indicators import PeriodCounts, indicator, rate
from bot.core.render import Message
from bot.toolkit.dates import format_date_fr
from bot.toolkit.masking import name_masker
from bot.toolkit.names import place_fr
from bot.toolkit.spreadsheet import spreadsheet_csv
from bot.toolkit.text import capitalise, fold
from bot.toolkit.typography import french_spacing
from storage import bilan
from storage.db import write_transaction
from storage.establishments import display_names
from storage.fiche import sheets_mentioning
from storage.panne import (
    Incident,
    attach_ticket,
    breakdowns_by_category_per_period,
    category_label,
    classify_breakdown,
    concerned_people,
    equipment_words,
    find_incident,
    join_incident,
    matching_incident,
    open_incidents,
    open_tickets_per_period,
    report_incident,
    resolve_incident,
    room_key,
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


class RoomName(Converter):
    """A room as people write it: « B12 », « 204 », « CDI » (read as one word; whether
    it names a room is told by the handler, once it knows whether a description follows)."""

    label = "salle"
    wanted = "la salle"

    @classmethod
    def consume(cls, words, raw, ctx):
        return words[0].text, 1


_ROOM_NAME = re.compile(r"[^\W_][\w.\-]{0,19}")
# « salle des profs » or « salle de réunion » start a description, not a room's name.
_NOT_A_ROOM = frozenset({"de", "des", "du", "d", "la", "le", "les", "l"})

# What the checklist each category gets asks to try first, for the technician.
SUGGESTED_CHECKS = {
    "videoprojecteur": "courant et veille, touche Source, câbles HDMI ou VGA, Windows + P,"
    " extinction puis rallumage, stylet et calibrage, sortie son",
    "reseau": "wifi et mode avion, câble réseau, un autre site, la salle voisine, redémarrage",
    "imprimante": "message de l'imprimante, papier et bourrage, choix de l'imprimante,"
    " impressions en attente annulées, extinction 30 secondes",
    "ent": "adresse du portail, identifiant et mot de passe, navigation privée,"
    " reconnexion, administrateur ENT",
    "ordinateur": "courant et voyants, câble de l'écran et veille, clavier et souris sur un"
    " autre port, redémarrage, identifiant de session",
    "tablette": "charge, redémarrage, wifi et mode avion, application relancée",
    "son": "volumes, enceintes et câbles, sortie audio, volume du projecteur, redémarrage,"
    " micro autorisé",
    "autre": "branchements et voyants, extinction puis rallumage, câbles,"
    " essai dans une autre salle",
}


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
    await _report(ctx, description, room_of(description), join=True)


@breakdown.sub(
    "nouvelle",
    help="Signale une panne à part, même si une panne de la même salle et du même"
    " équipement est déjà en cours.",
    examples=("panne nouvelle vidéoprojecteur salle 12 : la lampe clignote",),
)
async def new_breakdown(ctx: Context, description: BreakdownText) -> None:
    await _report(ctx, description, room_of(description), join=False)


@breakdown.sub(
    "salle",
    help="Les pannes en cours dans une salle ; suivi d'une description, en signale une.",
    examples=("panne salle B12", "panne salle B12 le vidéoprojecteur ne s'allume pas"),
)
async def in_room(ctx: Context, room: RoomName, description: BreakdownText | None = None) -> None:
    if description is not None:
        text = f"salle {room} {description}"
        await _report(ctx, text, room_of(text), join=True)
        return
    typed = room.strip(".,;:")
    if fold(typed) in _NOT_A_ROOM or not _ROOM_NAME.fullmatch(typed) or not room_key(typed):
        raise BadArgument(
            f"« {shortened(typed)} » n'est pas une salle : écrivez son numéro ou son nom"
            " en un mot (B12, 204, CDI).",
            example="panne salle B12",
        )
    room = typed
    incidents = open_incidents(ctx.db, ctx.establishment.id, room=room)
    await ctx.reply(
        "panne/salle",
        incidents=incidents,
        room=room,
        where=where_fr(room),
        category_label=category_label,
    )


async def _report(ctx: Context, description: str, room: str | None, *, join: bool) -> None:
    """Log a breakdown, or count the sender among those of the same one already open."""
    category = classify_breakdown(description)
    with write_transaction(ctx.db):
        same = None
        if join and room:
            same = matching_incident(ctx.db, ctx.establishment.id, room, category, description)
        if same is None:
            incident = report_incident(
                ctx.db, ctx.establishment.id, description, category, ctx.sender, ctx.now, room
            )
        else:
            joined = join_incident(ctx.db, same, ctx.sender, description, ctx.now)
    if same is not None:
        await ctx.reply(
            "panne/deja_signalee",
            incident=find_incident(ctx.db, ctx.establishment.id, same.number),
            joined=joined,
            where=where_fr(same.room),
            category_label=category_label,
        )
        return
    # What the referents already wrote on this equipment comes before the checklist.
    sheets = sheets_mentioning(ctx.db, ctx.establishment.id, equipment_words(category, description))
    noted = ctx.render(
        "panne/signalee", incident=incident, sheets=sheets, category_label=category_label
    )
    ticket = ctx.render("panne/signalee_ticket", incident=incident, room=room_of(description))
    await ctx.send(noted.followed_by(_checklist(ctx, category)).followed_by(ticket))


def _checklist(ctx: Context, category: str) -> Message:
    """What to check first for a category: the same words for every breakdown, rendered once."""
    key = ("panne/checklist", ctx.prefix, category)
    if key not in ctx.registry.rendered:
        ctx.registry.rendered[key] = ctx.render(f"panne/checklist_{category}")
    return ctx.registry.rendered[key]


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
    # The notice is queued with the repair: told once, even if the command is
    # handled again after a restart (the breakdown is resolved by then).
    with write_transaction(ctx.db):
        if not resolve_incident(ctx.db, incident, ctx.sender, ctx.now):
            raise CommandError(f"La panne n° {incident.number} est déjà résolue.")
        others = [p for p in concerned_people(ctx.db, incident) if p != ctx.sender]
        if others:
            notice = ctx.render(
                "panne/reparee_avis",
                mentions=others,
                people=others,
                incident=incident,
                where=where_fr(incident.room),
                category_label=category_label,
            )
            ctx.post(notice, alert=True)
    await ctx.reply("panne/resolue", incident=incident, told=len(others))


@breakdown.sub(
    "visite",
    aliases=("technicien",),
    role="referent",
    help="La liste des pannes en cours pour la visite du technicien, salle par salle : un"
    " message et deux fichiers (tableau .csv et page .html), sans aucun nom.",
    examples=("panne visite",),
)
async def visit(ctx: Context) -> None:
    incidents = open_incidents(ctx.db, ctx.establishment.id)
    mask = name_masker(display_names(ctx.db, ctx.establishment.id).values())
    rooms = visit_rooms(incidents, mask)
    await ctx.reply("panne/visite", rooms=rooms, count=len(incidents))
    if not incidents:
        return
    name = f"visite-pannes-{ctx.establishment.id}-{ctx.now:%Y-%m-%d}"
    await ctx.send_file(f"{name}.csv", visit_csv(rooms, ctx.now), "text/csv")
    await ctx.send_file(f"{name}.html", visit_page(ctx, rooms).encode(), "text/html")


def where_fr(room: str | None) -> str:
    """« en salle B12 », « au CDI »: where a breakdown is, in a sentence."""
    if not room:
        return "sans salle précisée"
    place = place_fr(room)
    return f"en {place}" if place.startswith("salle ") else place


def room_heading(room: str | None) -> str:
    """« Salle B12 », « CDI »: a room as the title of its part of the visit list."""
    if not room:
        return "Sans salle précisée"
    place = place_fr(room)
    return capitalise(place if place.startswith("salle ") else room)


VisitRooms = list[tuple[str, list[dict]]]


def visit_rooms(incidents: list[Incident], mask) -> VisitRooms:
    """The open breakdowns room by room (rooms in order, those without one last), each
    as the technician reads it: what, since when, what was tried, the ticket; no name."""
    by_room: dict[str, tuple[str | None, list[dict]]] = {}
    for i in incidents:
        key = room_key(i.room) if i.room else ""
        entry = by_room.setdefault(key, (i.room, []))
        entry[1].append(
            {
                "number": i.number,
                "equipment": category_label(i.category),
                "description": mask(i.description),
                "since": i.reported_at,
                "checks": SUGGESTED_CHECKS.get(i.category, SUGGESTED_CHECKS["autre"]),
                "ticket": i.ticket_ref,
                "concerned": i.concerned,
            }
        )
    order = sorted(by_room, key=lambda k: (k == "", _natural(k)))
    return [(room_heading(by_room[k][0]), by_room[k][1]) for k in order]


def _natural(key: str) -> list:
    """B2 before B12: digits compared as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", key)]


# A spreadsheet reads a cell starting with one of these as a formula.
def visit_csv(rooms: VisitRooms, now) -> bytes:
    """The visit list as a table a spreadsheet opens (semicolons, UTF-8 with its mark)."""
    header = (
        "Salle",
        "N° de panne",
        "Équipement",
        "Description",
        "Signalée le",
        "Vérifications proposées",
        "Ticket",
        "Personnes concernées",
    )
    return spreadsheet_csv(
        header,
        (
            (
                heading,
                item["number"],
                item["equipment"],
                item["description"],
                format_date_fr(item["since"].astimezone(now.tzinfo)),
                item["checks"],
                item["ticket"] or "",
                item["concerned"],
            )
            for heading, items in rooms
            for item in items
        ),
    )


def visit_page(ctx: Context, rooms: VisitRooms) -> str:
    """The visit list as a page to open or print (escaped: the descriptions are typed text)."""
    page = ctx.renderer.environment("html").get_template("panne/visite.html.j2")
    title = french_spacing(f"Pannes à voir : {ctx.establishment.name}")
    return page.render(
        title=title,
        rooms=rooms,
        now=ctx.now,
        establishment=ctx.establishment,
        count=sum(len(items) for _, items in rooms),
    )


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
