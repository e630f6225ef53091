"""``!lettre`` and ``!synthese``: the letters the bot writes on its own, and their jobs.

- The weekly newsletter goes to the room on the establishment's day and time
  (Friday 16:00 by default), never in school holidays, and only when a section
  has news (bot/digest.py). Ledger period: the ISO week (``2026-W48``).
  ``!lettre envoyer`` sends it at once; it does not take the week's period:
  what it showed is recorded, so the scheduled letter only goes if something
  new came since, and never repeats it. How many went out is an indicator
  objectives may follow (``lettres``).
- The monthly digest goes on the 1st at 8:00, by direct message to each
  principal, about the month just ended beside the one before. A month without
  a single school day (August) gets none. Ledger period: the month covered
  (``2026-10``, sent on 1 November). ``!synthese`` sends a principal the month
  in progress at once, outside the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.config import WEEKDAYS, Establishment
from bot.core.context import Context
from bot.core.declarations import command
from bot.core.digest import (
    Digest,
    compose_digest,
    compose_letter,
    digest_chart,
    month_has_school_day,
    month_label,
    month_start,
    record_letter,
    render_digest,
)
from bot.core.indicators import PeriodCounts, indicator
from bot.core.roles import principals_of
from bot.core.scheduler import JobContext, job, until_end_of_month
from bot.toolkit.calendar import is_school_holiday
from storage import bilan
from storage.lettre import letter_exists

CRON_DAYS = dict(zip(WEEKDAYS, ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), strict=True))


def _letter_cron(establishment: Establishment) -> dict:
    hour, minute = establishment.newsletter_time.split(":")
    return {
        "day_of_week": CRON_DAYS[establishment.newsletter_day],
        "hour": int(hour),
        "minute": int(minute),
    }


@job("lettre", cron=_letter_cron, catch_up=timedelta(hours=24))
def weekly_letter(ctx: JobContext) -> None:
    """Send the week's letter if it is a school week and something is new."""
    at = ctx.scheduled_for
    if is_school_holiday(at.date(), ctx.establishment.zone):
        return
    period = at.strftime("%G-W%V")
    sections = ctx.registry.sections if ctx.registry else ()
    letter = compose_letter(
        ctx.db, ctx.establishment, sections, ctx.renderer, at=at, prefix=ctx.prefix
    )
    if letter is None or not ctx.claim(period):
        return
    record_letter(ctx.db, ctx.establishment, letter, period, ctx.now)
    ctx.post(letter.message, key=period)


def next_letter_at(establishment: Establishment, now: datetime) -> datetime | None:
    """When the scheduled letter is next due outside school holidays (within a year)."""
    trigger = weekly_letter.trigger(establishment)
    cursor = trigger.get_next_fire_time(None, now)
    for _ in range(53):
        if cursor is None or not is_school_holiday(cursor.date(), establishment.zone):
            return cursor
        cursor = trigger.get_next_fire_time(cursor, cursor + timedelta(seconds=1))
    return None


@command(
    "lettre",
    role="referent",
    help="Quand part la prochaine lettre d'information.",
    examples=("lettre",),
)
async def letter_info(ctx: Context) -> None:
    await ctx.reply("lettre/prochaine", next_at=next_letter_at(ctx.establishment, ctx.now))


@letter_info.sub(
    "aperçu",
    help="Montre la lettre telle qu'elle partirait maintenant, sans l'envoyer.",
    examples=("lettre aperçu",),
)
async def preview(ctx: Context) -> None:
    letter = _compose_now(ctx)
    if letter is None:
        await ctx.reply("lettre/rien", next_at=next_letter_at(ctx.establishment, ctx.now))
        return
    await ctx.reply("lettre/apercu", letter=letter.markdown)


@letter_info.sub(
    "envoyer",
    help="Envoie la lettre maintenant dans le salon ; la lettre prévue ne la répétera pas.",
    examples=("lettre envoyer",),
)
async def send_now(ctx: Context) -> None:
    period = f"manuel:{ctx.event_id}"
    with ctx.db.atomic():
        if letter_exists(ctx.db, ctx.establishment.id, period):
            return  # sent before a restart; the outbox delivers it
        letter = _compose_now(ctx)
        if letter is not None:
            record_letter(ctx.db, ctx.establishment, letter, period, ctx.now)
            ctx.post(letter.message)
    if letter is None:
        await ctx.reply("lettre/rien", next_at=next_letter_at(ctx.establishment, ctx.now))


def _compose_now(ctx: Context):
    return compose_letter(
        ctx.db,
        ctx.establishment,
        ctx.registry.sections,
        ctx.renderer,
        at=ctx.now,
        prefix=ctx.prefix,
    )


@indicator("lettres", label="Lettres d'information envoyées", order=10)
def letters_sent(counts: PeriodCounts) -> int:
    """The weekly letters and those sent by hand."""
    return counts.query(bilan.newsletters_sent)


# -- monthly digest -------------------------------------------------------------


@job("synthese", cron={"day": 1, "hour": 8, "minute": 0}, catch_up=until_end_of_month)
async def monthly_digest(ctx: JobContext) -> None:
    """Send each principal the digest of the month just ended, and its picture."""
    month = month_start(ctx.scheduled_for.date(), -1)
    principals = principals_of(ctx.establishment, ctx.db)
    period = month.strftime("%Y-%m")
    if not principals or not month_has_school_day(month, ctx.establishment.zone):
        return
    if ctx.done(period):
        return  # caught up after a restart: no picture drawn for nothing
    figures = ctx.registry.figures if ctx.registry else ()
    digest = compose_digest(ctx.db, ctx.establishment, figures, month)
    message = render_digest(ctx.renderer, ctx.establishment, digest, ctx.prefix)
    picture = await ctx.renderer.charts.draw(digest_chart(digest))
    with ctx.db.atomic():
        if not ctx.claim(period):
            return
        for principal in principals:
            ctx.post(message, key=period, dm_user=principal)
            if picture is not None:
                name = digest_picture_name(digest)
                ctx.post_file(name, picture, "image/png", f"{period}-image", dm_user=principal)


def digest_picture_name(digest: Digest) -> str:
    """« synthese-2026-11.png »: the month in the name, for the principal's downloads."""
    return f"synthese-{digest.month:%Y-%m}.png"


@command(
    "synthese",
    role="principal",
    help="Vous envoie en message privé la synthèse du mois en cours (des totaux, aucun nom).",
    examples=("synthese",),
)
async def digest_now(ctx: Context) -> None:
    month = month_start(ctx.now.date())
    # Said at once: the digest is counted and its picture drawn (a few tenths of a
    # second) while the principal reads this, then both wait in the direct room.
    await ctx.reply("digest/envoyee", month=month_label(month))
    digest = compose_digest(ctx.db, ctx.establishment, ctx.registry.figures, month, until=ctx.now)
    picture = await ctx.renderer.charts.draw(digest_chart(digest))
    ctx.post(
        render_digest(ctx.renderer, ctx.establishment, digest, ctx.prefix),
        dm_user=ctx.sender,
    )
    if picture is not None:
        ctx.post_file(digest_picture_name(digest), picture, "image/png", dm_user=ctx.sender)
