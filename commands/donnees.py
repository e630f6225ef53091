"""``!mes-donnees`` and ``!oublie-moi``: people's data stay theirs (RGPD), and the yearly purge.

The export goes by direct message (never in the shared room). Forgetting
anonymises what others rely on (bookings, votes, needs keep their counts) and
deletes the rest; ``storage/donnees.py`` lists every personal column.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta

from bot.core.context import Context
from bot.core.declarations import command
from bot.core.scheduler import JobContext, job
from bot.toolkit.calendar import SCHOOL_YEAR_START_MONTH, school_year_of
from storage import donnees, oubli
from storage.ledger import claim_run

log = logging.getLogger(__name__)


# The largest export sent (a teacher's whole year is a few tens of KB): beyond it,
# something is wrong, and a file that size must not sit in the outbox.
EXPORT_MAX_BYTES = 2_000_000


def export_json(document: dict) -> str:
    """The export as JSON a person can read: one key, or one row, per line.

    ``json.dumps(indent=…)`` runs Python's own encoder, several times slower than
    the C one it uses without indentation: a teacher's year spent 1.5 ms in it.
    Each row is encoded on its own line by the C encoder instead.
    """
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    lines = ["{"]

    def add(indent: int, text: str, last: bool) -> None:
        lines.append(" " * indent + text + ("" if last else ","))

    for i, (key, value) in enumerate(document.items()):
        last = i == len(document) - 1
        if not (isinstance(value, dict) and value):
            add(2, f"{encode(key)}: {encode(value)}", last)
            continue
        lines.append(f"  {encode(key)}: {{")
        for j, (kind, rows) in enumerate(value.items()):
            lines.append(f"    {encode(kind)}: [")
            for n, row in enumerate(rows):
                add(6, encode(row), n == len(rows) - 1)
            add(4, "]", j == len(value) - 1)
        add(2, "}", last)
    lines.append("}")
    return "\n".join(lines) + "\n"


@command(
    "mes-donnees",
    aliases=("mesdonnees", "mes-données", "donnees"),
    help="Vous envoie en message privé tout ce que je garde sur vous.",
    examples=("mes-donnees",),
    remember_sender=False,
)
async def my_data(ctx: Context) -> None:
    found = donnees.export_user(ctx.db, ctx.sender)
    if not found:
        await ctx.reply("donnees/rien")
        return
    labels = {f"{c.table}.{c.column}": c.label for c in donnees.PERSONAL_DATA}
    summary = [(labels.get(key, key), len(rows)) for key, rows in found.items()]
    document = {"utilisateur": ctx.sender, "exporté le": ctx.now.isoformat(), "données": found}
    data = export_json(document).encode()
    if len(data) > EXPORT_MAX_BYTES:
        log.warning("%s: an export of %d bytes not sent", ctx.establishment.id, len(data))
        await ctx.reply("donnees/trop_gros", size=len(data), limit=EXPORT_MAX_BYTES)
        return
    # Queued, not sent: a direct room's first messages wait until the person joins
    # it. Asked again meanwhile, the new export replaces the one still waiting.
    summary_message = ctx.render("donnees/export", summary=summary)
    ctx.post(summary_message, dm_user=ctx.sender, slot=donnees.EXPORT_SLOT)
    ctx.post_file(
        f"mes-donnees-{ctx.now:%Y-%m-%d}.json",
        data,
        "application/json",
        dm_user=ctx.sender,
        slot=donnees.EXPORT_FILE_SLOT,
    )
    await ctx.reply("donnees/envoyees")


@command(
    "oublie-moi",
    aliases=("oubliemoi", "oublier"),
    help="Efface ce que je garde sur vous (après confirmation).",
    examples=("oublie-moi", "oublie-moi confirmer"),
    remember_sender=False,
)
async def forget_me(ctx: Context) -> None:
    await tell_what_is_held(ctx, donnees.held_for(ctx.db, ctx.sender), done=False)


@forget_me.sub("confirmer", aliases=("oui",), help="Confirme l'effacement de vos données.")
async def forget_me_now(ctx: Context) -> None:
    held = donnees.held_for(ctx.db, ctx.sender)
    counts = oubli.forget_user(ctx.db, ctx.sender)
    ctx.sender_forgotten = True
    log.info("%s: forgot a member on request (%d rows)", ctx.establishment.id, sum(counts.values()))
    await tell_what_is_held(ctx, held, done=True)


async def tell_what_is_held(ctx: Context, held, *, done: bool) -> None:
    """What forgetting erases and what it keeps without the name, with counts: asked
    before, and said again once done."""
    await ctx.reply(
        "donnees/oubli_fait" if done else "donnees/oubli_demande",
        count=sum(h.count for h in held),
        erased=[h for h in held if not h.stays],
        kept=[h for h in held if h.stays],
        done=done,
    )


def purge_cutoff(run_day: date, retention_months: int) -> date:
    """Rows dated before this are purged: the end of the school year that just
    ended, moved back by the retention (12 months: on 1 Sept 2027, before 1 Sept 2026)."""
    _, end_year = school_year_of(run_day - timedelta(days=1))
    months = end_year * 12 + SCHOOL_YEAR_START_MONTH - 1 - retention_months
    return date(months // 12, months % 12 + 1, 1)


EVERY_ESTABLISHMENT = "*"  # the ledger's establishment for work done for all at once


@job(
    "purge-annuelle",
    cron={"month": SCHOOL_YEAR_START_MONTH, "day": 1, "hour": 3},
    catch_up=timedelta(days=30),
)
def yearly_purge(ctx: JobContext) -> None:
    """After the school year, anonymise personal data older than the retention (once a year)."""
    start, end = school_year_of(ctx.scheduled_for.date() - timedelta(days=1))
    if not ctx.claim(f"{start}-{end}"):
        return
    # The purge covers the whole database at once: the first establishment's run
    # does it (430 identical passes took 27 s), the others only record theirs.
    if not claim_run(ctx.db, ctx.job, EVERY_ESTABLISHMENT, f"{start}-{end}", ctx.now):
        return
    cutoff = purge_cutoff(ctx.scheduled_for.date(), ctx.config.bot.retention_months)
    counts = oubli.purge_before(ctx.db, datetime.combine(cutoff, time(0), ctx.now.tzinfo))
    log.info(
        "yearly purge %d-%d for %s: %d personal row(s) dated before %s anonymised or deleted",
        start,
        end,
        ctx.establishment.id,
        sum(counts.values()),
        cutoff,
    )
