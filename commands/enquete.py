"""``!enquete``: surveys with a deadline, and reminders to those who have not answered.

A referent opens a survey (a link to a form) with a deadline. Everyone in the
room (its joined members, not only those who once typed a command) is reminded
by direct message every week (Monday 9:00 by default) and the day before the
deadline, until they say ``!enquete fait`` or react ✅ to a reminder (counted
once, answered privately); reminders stop at the deadline. The room only learns
how many were reminded. ``!enquete rappeler`` sends the day's reminder at once.
Reminders ping people, so they go on school days only, except when the
deadline is two days away or less: then a holiday reminder is the last chance.
The academy may set a survey for the referents of every establishment in the
config (``[[survey]]``); it works the same, with the referents as audience.

The reminder job decides on the data as it stood at its scheduled time, so a
reminder caught up after a restart mentions the same people.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from bot.core.config import WEEKDAYS
from bot.core.context import Context
from bot.core.converters import Converter, Number, Text, When, shortened
from bot.core.declarations import command, listener
from bot.core.digest import SectionData, digest_figure, newsletter_section
from bot.core.errors import BadArgument, CommandError
from bot.core.scheduler import JobContext, job, until_end_of_day
from bot.toolkit.calendar import is_school_day
from bot.toolkit.dates import format_date_fr
from bot.toolkit.reactions import ANSWERED_ALIASES, REACTION_TYPE, reaction_of
from storage.enquete import (
    Survey,
    answer_count,
    answers_per_period,
    audience,
    close_survey,
    get_survey,
    has_answered,
    mark_answered,
    open_survey,
    open_surveys,
    stop_reminders,
    survey_by_number,
    to_remind,
)
from storage.reactions import sent_transaction

LINK = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+\S*$")


class Link(Converter):
    """A web address (the survey's form)."""

    label = "lien"
    wanted = "le lien de l'enquête"

    @classmethod
    def consume(cls, words, raw, ctx):
        url = words[0].text.strip("<>")
        if not LINK.match(url):
            raise BadArgument(
                f"« {shortened(url)} » n'est pas un lien : il doit commencer par https://."
            )
        return url, 1


class Deadline(When):
    """The last day to answer."""

    label = "échéance"
    wanted = "l'échéance"


@command(
    "enquete",
    aliases=("enquetes",),
    help="Les enquêtes en cours : lien et échéance.",
    examples=("enquete",),
)
async def list_surveys(ctx: Context) -> None:
    surveys = _my_surveys(ctx)
    answered = {s.id for s in surveys if has_answered(ctx.db, s.id, ctx.sender)}
    await ctx.reply("enquete/liste", surveys=surveys, answered=answered)


@list_surveys.sub(
    "ouvrir",
    role="referent",
    help="Ouvre une enquête ; ceux qui n'ont pas dit « fait » reçoivent des rappels.",
    examples=("enquete ouvrir https://framaforms.org/bilan 30 juin Bilan du numérique",),
)
async def open_new(
    ctx: Context,
    url: Link,
    deadline: Deadline,
    title: Annotated[Text, "titre"] | None = None,
) -> None:
    if deadline.date() < ctx.now.date():
        raise BadArgument(f"L'échéance, {format_date_fr(deadline)}, est déjà passée.")
    survey = open_survey(
        ctx.db,
        ctx.establishment.id,
        title=title,
        url=url,
        deadline=deadline.date(),
        opened_by=ctx.sender,
        now=ctx.now,
    )
    await ctx.announce("enquete/ouverte", survey=survey)


@list_surveys.sub(
    "fait",
    help="Dites que vous avez répondu : plus de rappel pour vous.",
    examples=("enquete fait", "enquete fait 2"),
)
async def done(ctx: Context, number: Number | None = None) -> None:
    survey = _chosen_survey(ctx, number)
    first_time = mark_answered(ctx.db, survey.id, ctx.sender, ctx.now)
    await ctx.reply("enquete/fait", survey=survey, first_time=first_time)


@list_surveys.sub(
    "sans-rappel",
    aliases=("sansrappel", "stop", "silence"),
    help="Plus de rappel pour vous de cette enquête, sans dire que vous y avez répondu.",
    examples=("enquete sans-rappel", "enquete sans-rappel 2"),
)
async def no_more_reminders(ctx: Context, number: Number | None = None) -> None:
    survey = _chosen_survey(ctx, number)
    first_time = stop_reminders(ctx.db, survey.id, ctx.sender, ctx.now)
    await ctx.reply("enquete/sans_rappel", survey=survey, first_time=first_time)


@list_surveys.sub(
    "état",
    role=("referent", "principal"),
    help="Combien ont répondu à chaque enquête en cours.",
    examples=("enquete état",),
)
async def progress(ctx: Context) -> None:
    rows = [
        (s, answer_count(ctx.db, s, ctx.now), len(audience(ctx.db, s, ctx.now)))
        for s in open_surveys(ctx.db, ctx.establishment.id, ctx.now)
    ]
    await ctx.reply("enquete/etat", rows=rows)


@list_surveys.sub(
    "rappeler",
    aliases=("relancer",),
    role="referent",
    help="Rappelle l'enquête maintenant, en message privé, à qui n'a pas dit l'avoir remplie.",
    examples=("enquete rappeler", "enquete rappeler 2"),
)
async def remind_now(ctx: Context, number: Number | None = None) -> None:
    survey = _survey_to_remind(ctx, number)
    run = JobContext(
        job=REMINDER_JOB,
        establishment=ctx.establishment,
        now=ctx.now,
        scheduled_for=ctx.now,
        db=ctx.db,
        config=ctx.config,
        renderer=ctx.renderer,
        registry=ctx.registry,
    )
    with ctx.db.atomic():
        reminded = queue_reminders(run, survey)
    if reminded is None:
        raise CommandError(
            f"L'enquête n° {survey.number} a déjà été rappelée aujourd'hui :"
            " un rappel par jour suffit."
        )
    leaves_at = ctx.establishment.sending_window.next_opening(ctx.now)
    await ctx.reply(
        "enquete/rappelee",
        survey=survey,
        reminded=reminded,
        leaves_at=leaves_at if leaves_at != ctx.now else None,
    )


@list_surveys.sub(
    "fermer",
    role="referent",
    help="Clôt une enquête avant son échéance : plus de rappel.",
    examples=("enquete fermer 2",),
)
async def close(ctx: Context, number: Number) -> None:
    survey = _open_survey_numbered(ctx, number)
    close_survey(ctx.db, survey.id, ctx.now)
    await ctx.reply("enquete/fermee", survey=survey)


def _chosen_survey(ctx: Context, number: int | None) -> Survey:
    if number is not None:
        return _open_survey_numbered(ctx, number)
    surveys = _my_surveys(ctx)
    if not surveys:
        raise CommandError("Aucune enquête n'est ouverte en ce moment.")
    if len(surveys) > 1:
        pending = [s for s in surveys if not has_answered(ctx.db, s.id, ctx.sender)]
        if len(pending) != 1:
            numbers = ", ".join(f"n° {s.number}" for s in surveys)
            raise BadArgument(
                f"Plusieurs enquêtes sont ouvertes ({numbers}) : précisez laquelle.",
                example=f"enquete fait {surveys[0].number}",
            )
        return pending[0]
    return surveys[0]


def _survey_to_remind(ctx: Context, number: int | None) -> Survey:
    if number is not None:
        return _open_survey_numbered(ctx, number)
    surveys = _my_surveys(ctx)
    if not surveys:
        raise CommandError("Aucune enquête n'est ouverte en ce moment.")
    if len(surveys) > 1:
        numbers = ", ".join(f"n° {s.number}" for s in surveys)
        raise BadArgument(
            f"Plusieurs enquêtes sont ouvertes ({numbers}) : précisez laquelle.",
            example=f"enquete rappeler {surveys[0].number}",
        )
    return surveys[0]


def _my_surveys(ctx: Context) -> list[Survey]:
    surveys = open_surveys(ctx.db, ctx.establishment.id, ctx.now)
    return [s for s in surveys if _is_for(ctx, s)]


def _is_for(ctx: Context, survey: Survey) -> bool:
    # A survey for the referents (the academy's) is none of the teachers' business:
    # to them it does not exist, not even its title or its number.
    return survey.audience == "members" or ctx.may("referent")


def _open_survey_numbered(ctx: Context, number: int) -> Survey:
    survey = survey_by_number(ctx.db, ctx.establishment.id, number)
    if survey is None or not _is_for(ctx, survey):
        raise BadArgument(f"Il n'y a pas d'enquête n° {number}.", example="enquete")
    if survey not in open_surveys(ctx.db, ctx.establishment.id, ctx.now):
        raise CommandError(f"L'enquête n° {number} est close.")
    return survey


# -- reminders -------------------------------------------------------------------


def _reminder_cron(establishment) -> dict:
    hour, minute = establishment.survey_reminder_time.split(":")
    return {"hour": int(hour), "minute": int(minute)}


def reminder_due(survey: Survey, day, establishment) -> bool:
    """Whether ``day`` is a reminder day for the survey (see the module docstring)."""
    days_left = (survey.deadline - day).days
    if days_left < 1:
        return False  # reminders stop at the deadline
    if days_left == 1:
        return True  # the day before: always, it is the last chance
    if day.weekday() != WEEKDAYS.index(establishment.survey_reminder_day):
        return False
    return days_left <= 2 or is_school_day(day, establishment.zone, establishment.departement)


@job("enquete", cron=_reminder_cron, catch_up=until_end_of_day)
def remind(ctx: JobContext) -> None:
    """Remind those who have not answered, once per survey and day (period ``<id>:<day>``).

    Each of them by direct message: who has not answered yet is nobody else's
    business, so the room only learns how many (and nothing of a survey of the
    referents, which teachers do not see).
    """
    day = ctx.scheduled_for.date()
    for survey in open_surveys(ctx.db, ctx.establishment.id, ctx.scheduled_for):
        if reminder_due(survey, day, ctx.establishment):
            queue_reminders(ctx, survey)


def queue_reminders(ctx: JobContext, survey: Survey) -> int | None:
    """Queue the day's reminders of one survey: how many people; None if already done that day.

    The day is ``ctx.scheduled_for``'s: the scheduled run and a referent's
    ``!enquete rappeler`` share it, so nobody is reminded twice in one day.
    """
    day = ctx.scheduled_for.date()
    people = to_remind(ctx.db, survey, ctx.scheduled_for)
    if not people:
        return 0
    if not ctx.claim(f"{survey.id}:{day.isoformat()}"):
        return None
    last = survey.deadline - day == timedelta(days=1)
    key = f"{survey.id}-{day.isoformat()}"
    reminder = ctx.render("enquete/rappel", survey=survey, last=last)
    for person in people:
        ctx.post(reminder, key, dm_user=person.user_id)
    if survey.audience == "members":
        count = ctx.render("enquete/rappel_salon", survey=survey, last=last, left=len(people))
        ctx.post(count, key)
    return len(people)


# The reminder job's messages: their transaction ids name the survey (see ``remind``).
REMINDER_JOB = "enquete"
ANSWERED_PURPOSE = "enquete"


@listener(REACTION_TYPE)
async def answered_by_reaction(ctx: Context, event: dict) -> None:
    """✅ on a survey reminder means « j'ai répondu »: counted once, answered privately."""
    reaction = reaction_of(event)
    if reaction is None or reaction.key not in ANSWERED_ALIASES:
        return
    survey = _reminded_survey(ctx, reaction.target_event_id)
    if survey is None or survey.closed_at is not None:
        return
    with ctx.db.atomic():
        if not ctx.count_reaction_once(reaction.target_event_id, ANSWERED_PURPOSE, survey.id):
            return
        first_time = mark_answered(ctx.db, survey.id, ctx.sender, ctx.now)
        message = ctx.render("enquete/fait", survey=survey, first_time=first_time)
        ctx.post(message, dm_user=ctx.sender, slot="reaction")


def _reminded_survey(ctx: Context, event_id: str) -> Survey | None:
    """The survey a reminder of this establishment was about, read from its transaction id."""
    sent = sent_transaction(ctx.db, event_id)
    prefix = f"rupn-job-{REMINDER_JOB}-{ctx.establishment.id}-"
    if sent is None or sent[0] != ctx.establishment.id or not sent[1].startswith(prefix):
        return None
    survey_id = sent[1][len(prefix) :].split("-", 1)[0]  # the key is « <survey id>-<day> »
    if not survey_id.isdigit():
        return None
    survey = get_survey(ctx.db, int(survey_id))
    return survey if survey.establishment_id == ctx.establishment.id else None


# -- newsletter and digest ------------------------------------------------------------


@newsletter_section("enquetes", order=60)
def surveys_in_letter(db, establishment, window) -> SectionData | None:
    """The room's open surveys; news when one was not announced yet."""
    surveys = [s for s in open_surveys(db, establishment.id, window.now) if s.audience == "members"]
    if not surveys:
        return None
    announced = window.already_included("enquete")
    return SectionData(
        "enquete/lettre",
        {"surveys": surveys, "announced": announced},
        items={"enquete": [s.id for s in surveys]},
        news=any(s.id not in announced for s in surveys),
    )


@digest_figure("enquetes", label="Enquêtes : réponses déclarées", order=90)
def survey_answers(db, establishment, periods) -> list[dict[str, int]]:
    """Answers declared during each period, per survey open then."""
    by_period = answers_per_period(db, establishment.id, periods)
    counts: list[dict[str, int]] = [{} for _ in by_period]
    for period_counts, answers in zip(counts, by_period, strict=True):
        for number, title, count in answers:
            # Two surveys with the same title count as one line.
            name = title or f"Enquête n° {number}"
            period_counts[name] = period_counts.get(name, 0) + count
    return counts
