"""``!permanence``: the weekly drop-in help ("permanence numérique").

Referents open weekly series; occurrences are generated four weeks ahead on
school days only; teachers book by short number or by date, with a waitlist
promoted on cancellation; booked people get a reminder before the slot, and
the referents, privately, who is coming and why. After it, a referent records
who came and what was covered (``!permanence fait``), which the yearly report
counts. The calendar file is written by ``bot.toolkit.ics``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from bot.core.config import Establishment
from bot.core.context import Context
from bot.core.converters import Number, SlotRef, Text, WeeklySlot, WeeklySlotSpec, shortened
from bot.core.declarations import command
from bot.core.digest import SectionData, Window, digest_figure, newsletter_section
from bot.core.errors import BadArgument, CommandError
from bot.core.indicators import PeriodCounts, indicator, rate
from bot.core.scheduler import JobContext, job
from bot.toolkit import ics
from bot.toolkit.calendar import holiday_name, is_school_day
from bot.toolkit.dates import format_clock_fr, format_date_fr, format_datetime_fr
from bot.toolkit.people import leading_people
from storage import bilan, ledger
from storage import permanence as store
from storage import permanence_records as records
from storage.db import write_transaction
from storage.establishments import display_names

LISTING = timedelta(weeks=2)
GENERATED_AHEAD = timedelta(weeks=4)
EXAMPLE_BOOK = "permanence réserver 2 Pronote"
EXAMPLE_DONE = "permanence fait 12 @prof1 @prof2 Pronote, ENT"


@command(
    "permanence",
    aliases=("permanences", "perm"),
    help="Les permanences numériques des deux prochaines semaines, avec les places libres.",
    examples=("permanence",),
)
async def list_slots(ctx: Context) -> None:
    slots = store.upcoming_slots(ctx.db, ctx.establishment.id, ctx.now, ctx.now + LISTING)
    await ctx.reply("permanence/liste", slots=slots)


@list_slots.sub(
    "réserver",
    aliases=("reserver", "inscrire", "book"),
    help="Réserve une place, par numéro ou par date ; un sujet aide à préparer.",
    examples=(EXAMPLE_BOOK, "permanence réserver mardi 12h30"),
)
async def book(ctx: Context, slot: SlotRef, subject: Annotated[Text, "sujet"] | None = None):
    target = _find_slot(ctx, slot)
    if target.starts_at <= ctx.now:
        raise CommandError("Cette permanence numérique a déjà commencé.")
    outcome = store.book_slot(ctx.db, target.id, ctx.sender, subject and subject[:200], ctx.now)
    reminded = ledger.has_run(ctx.db, REMINDER_JOB, ctx.establishment.id, _reminder_key(target))
    at = None if reminded else reminder_time(ctx.establishment, target.starts_at, ctx.now)
    reminder = reminder_note(at, target.starts_at, ctx.now)
    await ctx.reply(
        f"permanence/reserve_{outcome.status}", slot=target, outcome=outcome, reminder=reminder
    )


@list_slots.sub(
    "annuler",
    aliases=("desinscrire",),
    help="Annule votre réservation (ou votre place en liste d'attente).",
    examples=("permanence annuler 2",),
)
async def cancel(ctx: Context, slot: SlotRef) -> None:
    target = _find_slot(ctx, slot)
    with write_transaction(ctx.db):
        outcome = store.cancel_booking(ctx.db, target.id, ctx.sender, ctx.now)
        if outcome is None:
            raise CommandError(f"Vous n'êtes pas inscrit(e) à la permanence n° {target.number}.")
        if outcome.promoted:
            promoted = outcome.promoted.user_id
            ctx.post(
                ctx.render(
                    "permanence/promu",
                    mentions=[promoted],
                    user=promoted,
                    slot=target,
                ),
                alert=True,
            )
    await ctx.reply("permanence/annule", slot=target)


@list_slots.sub(
    "mes",
    aliases=("mes-reservations",),
    help="Vos réservations et places en liste d'attente à venir.",
    examples=("permanence mes",),
)
async def my_bookings(ctx: Context) -> None:
    bookings = store.bookings_of(ctx.db, ctx.establishment.id, ctx.sender, ctx.now)
    await ctx.reply("permanence/mes", bookings=bookings)


@list_slots.sub(
    "ouvrir",
    role="referent",
    help="Ouvre une permanence chaque semaine (par défaut 1 h et 5 places).",
    usage="<jour> <heure> [durée] [places] [salle]",
    examples=("permanence ouvrir mardi 12h30 45min 4 places B12",),
)
async def open_weekly(ctx: Context, spec: WeeklySlot) -> None:
    with write_transaction(ctx.db):
        series = store.open_series(
            ctx.db,
            establishment_id=ctx.establishment.id,
            weekday=spec.weekday,
            start_time=spec.start,
            duration=spec.duration,
            capacity=spec.capacity,
            place=spec.place,
            opened_by=ctx.sender,
            now=ctx.now,
        )
        starts, skipped = occurrence_plan(spec, ctx.establishment, ctx.now)
        store.add_occurrences(ctx.db, series, starts)
    slots = store.upcoming_slots(ctx.db, ctx.establishment.id, ctx.now, ctx.now + GENERATED_AHEAD)
    await ctx.announce(
        "permanence/ouverte",
        spec=spec,
        slots=[s for s in slots if s.series_id == series.id],
        skipped=skipped,
    )


@list_slots.sub(
    "fermer",
    role="referent",
    help="Annule une permanence (par numéro ou date) et prévient les inscrits.",
    examples=("permanence fermer 2", "permanence fermer mardi 12h30"),
)
async def close(ctx: Context, slot: SlotRef) -> None:
    target = _find_slot(ctx, slot)
    with write_transaction(ctx.db):
        affected = store.cancel_slot(ctx.db, target.id, ctx.sender, ctx.now)
        people = [b.user_id for b in affected]
        if people:
            ctx.post(
                ctx.render(
                    "permanence/fermee_avis",
                    mentions=people,
                    people=people,
                    slot=target,
                ),
                alert=True,
            )
    await ctx.reply("permanence/fermee", slot=target, told=len(people))


@list_slots.sub(
    "fait",
    aliases=("faite", "tenue"),
    role="referent",
    help="Après une permanence : qui est venu (par défaut les inscrits, ou « personne »)"
    " et les sujets vus, pour le bilan de l'année.",
    usage="<n°> [présents…] [sujets…]",
    examples=(EXAMPLE_DONE, "permanence fait 12 Pronote", "permanence fait 12 personne"),
)
async def record(ctx: Context, slot: Number, details: Annotated[Text, "sujets"] | None = None):
    target = _find_slot(ctx, slot)
    if target.starts_at > ctx.now:
        raise CommandError(
            f"La permanence n° {target.number} n'a pas encore eu lieu (elle commence le"
            f" {format_datetime_fr(target.starts_at)}) : notez-la après."
        )
    booked = [
        b.user_id for b in records.live_bookings(ctx.db, target.id) if b.status == store.BOOKED
    ]
    named = leading_people(
        details or "", dict.fromkeys(booked, "") | display_names(ctx.db, ctx.establishment.id)
    )
    if named.unknown:
        raise BadArgument(
            f"Je ne connais personne ici qui s'appelle « {shortened(named.unknown)} » :"
            " donnez son identifiant complet (@nom:serveur).",
            example=EXAMPLE_DONE,
        )
    replaced = records.record_of(ctx.db, target.id) is not None
    present = booked if named.people is None else named.people
    topics = named.rest[:300]
    done = records.record_slot(ctx.db, target.id, present, topics, ctx.sender, ctx.now)
    await ctx.reply(
        "permanence/fait",
        slot=target,
        record=done,
        replaced=replaced,
        from_bookings=named.people is None,
    )


@list_slots.sub(
    "ics",
    aliases=("calendrier", "agenda"),
    help="Le calendrier des prochaines permanences, à importer dans votre agenda (.ics).",
    examples=("permanence ics",),
)
async def calendar_file(ctx: Context) -> None:
    slots = store.upcoming_slots(ctx.db, ctx.establishment.id, ctx.now, ctx.now + GENERATED_AHEAD)
    if not slots:
        await ctx.reply("permanence/liste", slots=[])
        return
    data = ics_calendar(ctx, slots)
    await ctx.send_file(f"permanences-{ctx.establishment.id}.ics", data, "text/calendar")


def _find_slot(ctx: Context, ref: int | datetime) -> store.Slot:
    """The occurrence a number or a date designates, or a French explanation."""
    if isinstance(ref, int):
        found = store.slot_by_number(ctx.db, ctx.establishment.id, ref)
        if found is None:
            raise BadArgument(
                f"La permanence n° {ref} n'existe pas."
                f" Tapez {ctx.prefix}permanence pour voir les numéros.",
                example=EXAMPLE_BOOK,
            )
    else:
        if ref < ctx.now:
            raise BadArgument(
                f"Cette date est passée ({format_datetime_fr(ref)}).",
                example="permanence réserver mardi 12h30",
            )
        whole_day = ref.hour == 0 and ref.minute == 0
        end = ref + (timedelta(days=1) if whole_day else timedelta(minutes=1))
        candidates = [
            s
            for s in store.slots_between(ctx.db, ctx.establishment.id, ref, end)
            if not s.cancelled
        ]
        when = format_date_fr(ref) if whole_day else format_datetime_fr(ref)
        if not candidates:
            raise BadArgument(
                f"Il n'y a pas de permanence numérique le {when}. "
                f"Tapez {ctx.prefix}permanence pour voir les créneaux.",
                example=EXAMPLE_BOOK,
            )
        if len(candidates) > 1:
            choices = ", ".join(
                f"n° {s.number} à {format_clock_fr(s.starts_at)}" for s in candidates
            )
            raise BadArgument(
                f"Il y a plusieurs permanences ce jour-là ({choices}) : indiquez le numéro.",
                example=EXAMPLE_BOOK,
            )
        found = candidates[0]
    if found.cancelled:
        raise CommandError(
            f"La permanence n° {found.number} ({format_datetime_fr(found.starts_at)}) est annulée."
        )
    return found


def occurrence_plan(
    spec: WeeklySlotSpec | store.WeeklySeries, establishment: Establishment, now: datetime
) -> tuple[list[datetime], list[tuple[date, str]]]:
    """The occurrences of the next four weeks on the establishment's school days, and the
    days skipped (why)."""
    zone, departement = establishment.zone, establishment.departement
    starts, skipped = [], []
    first = now.date() + timedelta(days=(spec.weekday - now.weekday()) % 7)
    for week in range(5):
        day = first + timedelta(weeks=week)
        start = datetime.combine(day, _start_time(spec), tzinfo=now.tzinfo)
        if start <= now or start > now + GENERATED_AHEAD:
            continue
        if is_school_day(day, zone, departement):
            starts.append(start)
        else:
            skipped.append((day, holiday_name(day, zone, departement) or "jour sans cours"))
    return starts, skipped


def _start_time(spec):
    return spec.start if isinstance(spec, WeeklySlotSpec) else spec.start_time


def ics_calendar(ctx: Context, slots: list[store.Slot]) -> bytes:
    """The occurrences as an iCalendar file, in the establishment's time zone."""
    establishment = ctx.establishment
    events = [
        ics.Event(
            uid=f"permanence-{establishment.id}-{slot.number}@rupn-bot",
            summary=f"Permanence numérique (n° {slot.number})",
            start=slot.starts_at,
            end=slot.ends_at,
            location=slot.place,
            description=(
                f"Places libres : {slot.seats_left} sur {slot.capacity}. "
                f"Réserver : {ctx.prefix}permanence réserver {slot.number}"
            ),
        )
        for slot in slots
    ]
    return ics.calendar(
        events,
        name=f"Permanence numérique — {establishment.name}",
        tzid=establishment.timezone,
        product="-//rupn-bot//permanence numérique//FR",
        now=ctx.now,
    )


@job("permanence-calendrier", cron={"hour": 2, "minute": 0}, catch_up=timedelta(hours=24))
def extend_calendar(ctx: JobContext) -> None:
    """Keep four weeks of occurrences ahead for every series (idempotent)."""
    for series in store.active_series(ctx.db, ctx.establishment.id):
        starts, _ = occurrence_plan(series, ctx.establishment, ctx.now)
        store.add_occurrences(ctx.db, series, starts)


# How much earlier than ``reminder_hours`` quiet hours may move a reminder: one
# due at Monday dawn goes on Saturday evening.
QUIET_SHIFT = timedelta(days=3)


def reminder_time(establishment: Establishment, starts_at: datetime, now: datetime):
    """When the reminder of a slot leaves, seen at ``now``; None if not before it starts.

    Due ``reminder_hours`` before the slot, moved back out of quiet hours: a
    reminder due at 6:00 for an 8:00 slot goes at 19:30 the evening before.
    """
    tz = establishment.tz
    due = (starts_at - timedelta(hours=establishment.reminder_hours)).astimezone(tz)
    at = establishment.sending_window.sending_time(due, now.astimezone(tz))
    return at if at < starts_at else None


def reminder_note(at: datetime | None, starts_at: datetime, now: datetime) -> str:
    """What the booking reply says of the reminder: when it will come (none: nothing)."""
    if at is None:
        return ""
    if at <= now + timedelta(minutes=1):
        return "Je vous envoie un rappel dans un instant."
    days_before = (starts_at.astimezone(at.tzinfo).date() - at.date()).days
    clock = format_clock_fr(at)
    if days_before == 0:
        return f"Je vous le rappellerai le jour même à {clock}."
    if days_before == 1:
        return f"Je vous le rappellerai la veille à {clock}."
    return f"Je vous le rappellerai le {format_datetime_fr(at)}."


# The reminder job, and its ledger period for a slot: reminded once, those booked then.
REMINDER_JOB = "permanence-rappel"


def _reminder_key(slot: store.Slot) -> str:
    return f"creneau-{slot.id}"


def _slots_to_remind_now(ctx: JobContext) -> list[store.Slot]:
    """Slots with bookings whose reminder time has come; none in quiet hours."""
    if not ctx.establishment.sending_window.contains(ctx.now):
        return []
    ahead = timedelta(hours=ctx.establishment.reminder_hours) + QUIET_SHIFT
    return [
        slot
        for slot in store.slots_to_remind(ctx.db, ctx.establishment.id, ctx.now, ahead)
        if (at := reminder_time(ctx.establishment, slot.starts_at, ctx.now)) and at <= ctx.now
    ]


@job(REMINDER_JOB, every=timedelta(minutes=1))
def remind_booked_people(ctx: JobContext) -> None:
    """Remind the people booked in a slot, once, ``reminder_hours`` before it starts,
    never in quiet hours (see ``reminder_time``)."""
    for slot in _slots_to_remind_now(ctx):
        key = _reminder_key(slot)
        if ctx.claim(key):
            people = store.booked_people(ctx.db, slot.id)
            message = ctx.render(
                "permanence/rappel",
                mentions=people,
                people=people,
                slot=slot,
            )
            ctx.post(message, key=key, alert=True)


# The referents' recap: its own ledger, so that each slot is prepared once.
RECAP_JOB = "permanence-preparation"


@job(RECAP_JOB, every=timedelta(minutes=1))
def prepare_referents(ctx: JobContext) -> None:
    """Tell each referent, privately and when the booked people are reminded, who is
    coming to a slot and with what subject (and who waits)."""
    if not ctx.establishment.referents:
        return
    for slot in _slots_to_remind_now(ctx):
        key = _reminder_key(slot)
        if ctx.claim(key):
            bookings = records.live_bookings(ctx.db, slot.id)
            message = ctx.render(
                "permanence/preparation",
                mentions=[b.user_id for b in bookings],
                slot=slot,
                booked=[b for b in bookings if b.status == store.BOOKED],
                waiting=[b for b in bookings if b.status == store.WAITING],
            )
            for referent in ctx.establishment.referents:
                ctx.post(message, key, dm_user=referent)


@newsletter_section("permanence", order=20)
def next_week_slots(db, establishment, window: Window) -> SectionData | None:
    """Next week's permanences with seats left: a standing reminder, not news."""
    tz = establishment.tz
    start = datetime.combine(window.ahead_start, time(0), tz)
    end = datetime.combine(window.ahead_end + timedelta(days=1), time(0), tz)
    slots = [s for s in store.slots_between(db, establishment.id, start, end) if not s.cancelled]
    if not slots:
        return None
    return SectionData("permanence/lettre", {"slots": slots}, news=False)


@digest_figure("permanences", label="Permanences numériques tenues", order=10)
def permanences_held(db, establishment, periods) -> list[int]:
    return store.held_per_period(db, establishment.id, periods)


@digest_figure("places", label="Places réservées en permanence", order=11)
def seats_booked(db, establishment, periods) -> list[int]:
    return store.seats_booked_per_period(db, establishment.id, periods)


@indicator(
    "remplissage", label="Taux de remplissage des permanences numériques", percent=True, order=40
)
def fill_rate(counts: PeriodCounts) -> float | None:
    # The seats booked are the digest figure's: counted once when both are read.
    return rate(counts.figure(seats_booked), counts.query(bilan.seats_offered))
