"""``!academie``: the academy's team sees every establishment at once, in its own room.

The academy's room is configured (``[academy] room``); its members are the
``bot.admins``. There, ``!academie`` answers with figures added up over every
establishment, never a teacher's name:

- ``!academie``: the overview; ``besoins [bassin]``: open needs by CRCN domain
  and bassin, a domain asked for by three establishments of a bassin flagged as a
  possible bassin training; ``pannes``: by category and by local authority, with
  the median repair time; ``enquete [n°]``: the academy survey's completion by
  establishment, against 2016's 51.6 %, and ``enquete rappeler`` for those that
  have not answered;
- ``besoin <réf> <réponse>`` answers a need an establishment forwarded
  (``!formation dane``); ``diffuser [bassin <nom>] <texte>`` posts one message
  in every establishment's room (or a bassin's), paced like the scheduled
  messages; ``diffusions`` says how many went;
- ``bilan [année]``: the year's report, a page with charts and a CSV of every
  establishment's figures (``bot/core/academy_report.py``).

What goes to other rooms is queued with transaction ids from the command's
event: handled again after a crash, the command sends nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, time, timedelta
from typing import Annotated

from bot.core.academy_report import academy_charts, academy_csv, count_academy_year
from bot.core.context import Context
from bot.core.converters import Converter, SchoolYear, Text, shortened
from bot.core.declarations import command
from bot.core.digest import month_start
from bot.core.errors import BadArgument, CommandError
from bot.core.places import Place
from bot.core.scheduler import JOB_TXN_PREFIX, JobContext
from bot.toolkit.calendar import (
    current_school_year,
    school_year_label,
    school_year_range,
    school_year_start,
)
from bot.toolkit.names import named
from bot.toolkit.text import capitalise, fold
from storage.academie import (
    academy_breakdowns,
    academy_overview,
    broadcast_progress,
    establishments_that_answered,
    open_needs_by_bassin,
)
from storage.formation import DANE, answer_from_dane, find_need, theme_of
from storage.outbox import queue_message
from storage.panne import category_label


class ForwardedNeed(Converter):
    """A need an establishment forwarded, by the reference its message gave: ``clg-clair-3``."""

    label = "référence"
    wanted = "la référence du besoin (par exemple clg-clair-3)"

    @classmethod
    def consume(cls, words, raw, ctx):
        reference = words[0].text
        first = ctx.config.establishments[0].id
        example = f"academie besoin {first}-3 Un stage est prévu au bassin en janvier."
        establishment_id, _, number = reference.rpartition("-")
        establishment = ctx.config.establishment(establishment_id)
        if establishment is None or not number.isdigit() or len(number) > 6:
            raise BadArgument(
                f"« {shortened(reference)} » n'est pas une référence de besoin :"
                " l'identifiant de l'établissement, un tiret, le numéro du besoin.",
                example=example,
            )
        need = find_need(ctx.db, establishment.id, int(number))
        if need is None or need.status != DANE:
            who = capitalise(named(establishment.name, article=establishment.article))
            raise BadArgument(f"{who} ne m'a pas transmis de besoin n° {number}.", example=example)
        return (establishment, need), 1


@command(
    "academie",
    aliases=("academy",),
    role="admin",
    places=(Place.ACADEMY,),
    help="Les chiffres de l'académie : établissements actifs, besoins, sessions, pannes,"
    " enquête en cours.",
    examples=("academie",),
)
async def overview(ctx: Context) -> None:
    today = ctx.now.date()
    figures = academy_overview(
        ctx.db,
        [e.id for e in ctx.config.establishments],
        month_start=_midnight(ctx, month_start(today)),
        year_start=_midnight(ctx, school_year_start(today)),
        now=ctx.now,
    )
    await ctx.reply("academie/vue", figures=figures)


@overview.sub(
    "besoin",
    help="Répond à un besoin qu'un établissement a transmis : la réponse part dans son salon.",
    examples=("academie besoin clg-clair-3 Un stage « Pronote avancé » aura lieu au bassin.",),
)
async def answer_need(
    ctx: Context, need: ForwardedNeed, answer: Annotated[Text, "réponse"]
) -> None:
    establishment, forwarded = need
    if len(answer) > 2000:
        raise CommandError("La réponse est trop longue : 2 000 caractères au plus.")
    with ctx.db.atomic():
        first = answer_from_dane(ctx.db, forwarded, answer, ctx.sender, ctx.now)
        ctx.post_elsewhere(
            establishment.id,
            ctx.render("academie/reponse_salon", need=forwarded, answer=answer, again=not first),
        )
    await ctx.reply("academie/reponse", need=forwarded, school=establishment, again=not first)


def _midnight(ctx: Context, day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ctx.now.tzinfo)


# -- open needs by bassin ------------------------------------------------------------

# A domain asked for in this many establishments of one bassin may be a bassin training.
BASSIN_TRAINING_FROM = 3
NO_BASSIN = "sans bassin"


class Bassin(Converter):
    """A bassin of the configuration, accents and case ignored."""

    label = "bassin"
    wanted = "le bassin"
    greedy = True

    @classmethod
    def consume(cls, words, raw, ctx):
        typed = raw[words[0].start :].strip()
        known = {fold(b): b for b in _bassins(ctx)}
        found = known.get(fold(typed))
        if found is None:
            listed = ", ".join(sorted(known.values())) or "aucun n'est configuré"
            raise BadArgument(
                f"Je ne connais pas le bassin « {shortened(typed)} » (bassins : {listed})."
            )
        return found, len(words)


def _bassins(ctx: Context) -> list[str]:
    return list(dict.fromkeys(e.bassin or NO_BASSIN for e in ctx.config.establishments))


def _bassin_of(ctx: Context) -> dict[str, str]:
    return {e.id: e.bassin or NO_BASSIN for e in ctx.config.establishments}


@overview.sub(
    "besoins",
    help="Les besoins de formation ouverts par domaine du CRCN et par bassin ; un domaine"
    " demandé dans trois établissements d'un bassin est signalé.",
    examples=("academie besoins", "academie besoins Rennes"),
)
async def needs_by_bassin(ctx: Context, bassin: Bassin | None = None) -> None:
    themes = open_needs_by_bassin(ctx.db, _bassin_of(ctx), bassin)
    groups: dict[str, list] = {}
    for theme in themes:
        groups.setdefault(theme.bassin, []).append(theme)
    schools = {e.id: e for e in ctx.config.establishments} if bassin else {}
    await ctx.reply(
        "academie/besoins",
        bassin=bassin,
        groups=groups,
        totals={name: sum(t.needs for t in group) for name, group in groups.items()},
        schools_asking=lambda t: [schools[eid] for eid in t.establishments],
        theme={tag: theme_of(tag or "") for tag in {t.tag for t in themes}},
        threshold=BASSIN_TRAINING_FROM,
    )


# -- breakdowns ----------------------------------------------------------------------


@overview.sub(
    "pannes",
    help="Les pannes par catégorie et par collectivité de rattachement, avec le délai médian"
    " de réparation depuis la rentrée.",
    examples=("academie pannes",),
)
async def breakdowns(ctx: Context) -> None:
    since = _midnight(ctx, school_year_start(ctx.now.date()))
    authority_of = {
        e.id: e.collectivite or "collectivité non renseignée" for e in ctx.config.establishments
    }
    figures = academy_breakdowns(ctx.db, authority_of, since=since)
    await ctx.reply(
        "academie/pannes",
        by_category=figures.by_category,
        by_authority=figures.by_authority,
        category=category_label,
    )


# -- the academy's survey ------------------------------------------------------------

# June 2016: 222 of the académie's 430 referents answered the annual survey.
ANSWERED_IN_2016 = (222, 430)


class AcademySurveyNumber(Converter):
    """An academy survey, by its number in the configuration (1 for the first)."""

    label = "n°"
    wanted = "le numéro de l'enquête académique"

    @classmethod
    def consume(cls, words, raw, ctx):
        typed = words[0].text.removeprefix("n°")
        surveys = ctx.config.surveys
        if not (typed.isdigit() and len(typed) <= 3) or not 1 <= int(typed) <= len(surveys):
            count = len(surveys)
            raise BadArgument(
                f"« {shortened(words[0].text)} » n'est pas une enquête académique"
                + (
                    f" : elles vont du n° 1 au n° {count}."
                    if count
                    else " : aucune n'est configurée."
                ),
                example="academie enquete 1",
            )
        return surveys[int(typed) - 1], 1


def _current_survey(ctx: Context, chosen):
    if chosen is not None:
        return chosen
    today = ctx.now.date()
    running = [s for s in ctx.config.surveys if s.opens <= today <= s.deadline]
    latest = running or sorted(ctx.config.surveys, key=lambda s: s.deadline)[-1:]
    if not latest:
        raise CommandError(
            "Aucune enquête académique n'est configurée (tables [[survey]] du fichier de"
            " configuration)."
        )
    return latest[0]


def _survey_answers(ctx: Context, chosen):
    """The academy survey asked for (else the current one) and the establishments that
    answered it."""
    survey = _current_survey(ctx, chosen)
    ids = [e.id for e in ctx.config.establishments]
    return survey, establishments_that_answered(ctx.db, survey.url, ids)


@overview.sub(
    "enquete",
    aliases=("enquête",),
    help="L'avancement de l'enquête académique par établissement et par bassin, comparé à"
    " 2016, et qui n'a pas encore répondu.",
    examples=("academie enquete", "academie enquete 1"),
)
async def survey_completion(ctx: Context, survey: AcademySurveyNumber | None = None) -> None:
    chosen, answered = _survey_answers(ctx, survey)
    # By bassin: how many answered, how many establishments, those that have not yet.
    by_bassin: dict[str, list] = {}
    for school in ctx.config.establishments:
        tally = by_bassin.setdefault(school.bassin or NO_BASSIN, [0, 0, []])
        tally[1] += 1
        if school.id in answered:
            tally[0] += 1
        else:
            tally[2].append(school)
    await ctx.reply(
        "academie/enquete",
        survey=chosen,
        answered=len(answered),
        total=len(ctx.config.establishments),
        by_bassin=dict(sorted(by_bassin.items())),
        before=ANSWERED_IN_2016,
    )


@overview.sub(
    "relancer",
    aliases=("rappeler",),
    help="Relance l'enquête académique, en message privé, auprès des référents des"
    " établissements qui n'y ont pas répondu (une fois par jour).",
    examples=("academie relancer", "academie relancer 1"),
)
async def remind_survey(ctx: Context, survey: AcademySurveyNumber | None = None) -> None:
    chosen, answered = _survey_answers(ctx, survey)
    day = ctx.now.date().isoformat()
    key = f"{hashlib.sha256(chosen.url.encode()).hexdigest()[:12]}-{day}"
    reminded = establishments = 0
    with ctx.db.atomic():
        for school in ctx.config.establishments:
            if school.id in answered or not school.referents:
                continue
            run = JobContext(
                job=SURVEY_REMINDER_JOB,
                establishment=school,
                now=ctx.now.astimezone(school.tz),
                scheduled_for=ctx.now.astimezone(school.tz),
                db=ctx.db,
                config=ctx.config,
                renderer=ctx.renderer,
                registry=ctx.registry,
            )
            if not run.claim(key):
                continue
            message = run.render("academie/rappel_enquete", survey=chosen)
            for referent in school.referents:
                run.post(message, key, dm_user=referent)
            reminded += len(school.referents)
            establishments += 1
    await ctx.reply(
        "academie/rappel_envoye", survey=chosen, reminded=reminded, establishments=establishments
    )


# The academy's survey reminders, by day: once per establishment and day.
SURVEY_REMINDER_JOB = "academie-enquete"


# -- one message to every room -------------------------------------------------------

BROADCAST_PREFIX = f"{JOB_TXN_PREFIX}diffusion-"


@overview.sub(
    "diffuser",
    help="Envoie un message dans le salon de chaque établissement, ou de ceux d'un bassin"
    " (« bassin <nom> » d'abord) : une fois chacun, au rythme des envois prévus.",
    examples=(
        "academie diffuser Les inscriptions au plan de formation ferment le 15 décembre.",
        "academie diffuser bassin Rennes Réunion des référents le 3 février au lycée Bréquigny.",
    ),
)
async def broadcast(ctx: Context, text: Annotated[Text, "message"]) -> None:
    bassin, text = _bassin_first(ctx, text)
    if len(text) > 4000:
        raise CommandError("Le message est trop long : 4 000 caractères au plus.")
    schools = [e for e in ctx.config.establishments if bassin is None or e.bassin == bassin]
    message = ctx.render("academie/diffusion", text=text)
    key = hashlib.sha256(ctx.event_id.encode()).hexdigest()[:16]
    with ctx.db.atomic():
        for school in schools:
            queue_message(
                ctx.db,
                establishment_id=school.id,
                body=message.body,
                html=message.html,
                mentions=(),
                txn_id=f"{BROADCAST_PREFIX}{school.id}-{key}",
                now=ctx.now,
            )
    # Sent at the bot's pace for scheduled messages: a minute at least, to say it plainly.
    seconds = max(60.0, len(schools) / ctx.config.bot.messages_per_second)
    await ctx.reply(
        "academie/diffusion_partie",
        rooms=len(schools),
        bassin=bassin,
        duration=timedelta(seconds=seconds),
    )


def _bassin_first(ctx: Context, text: str) -> tuple[str | None, str]:
    """« bassin Rennes Réunion… » → ("Rennes", "Réunion…"); the longest bassin name wins."""
    words = text.split(maxsplit=1)
    if len(words) < 2 or fold(words[0]) != "bassin":
        return None, text
    rest = words[1]
    for name in sorted(_bassins(ctx), key=len, reverse=True):
        if fold(rest[: len(name)]) == fold(name) and rest[len(name) : len(name) + 1] in (" ", ""):
            message = rest[len(name) :].strip()
            if not message:
                raise BadArgument(
                    "Après le bassin, écrivez le message à diffuser.",
                    example="academie diffuser bassin Rennes Réunion des référents le 3 février.",
                )
            return name, message
    listed = ", ".join(b for b in _bassins(ctx))
    raise BadArgument(f"Je ne connais pas ce bassin (bassins : {listed}).")


@overview.sub(
    "diffusions",
    help="Combien de salons ont reçu les derniers messages diffusés.",
    examples=("academie diffusions",),
)
async def broadcasts(ctx: Context) -> None:
    await ctx.reply("academie/diffusions", broadcasts=broadcast_progress(ctx.db, BROADCAST_PREFIX))


@overview.sub(
    "bilan",
    help="Le bilan de l'année scolaire de l'académie, en deux fichiers : une page web avec"
    " des graphiques, et un tableau (.csv) des chiffres de chaque établissement.",
    examples=("academie bilan", "academie bilan 2025-2026"),
)
async def academy_report(ctx: Context, year: SchoolYear | None = None) -> None:
    start_year = current_school_year(ctx.now) if year is None else year
    start, end, complete = school_year_range(start_year, ctx.now)
    report = await count_academy_year(
        ctx.db,
        ctx.config.establishments,
        ctx.registry.figures,
        year=school_year_label(start_year),
        start=start,
        end=end,
        complete=complete,
    )
    await ctx.reply("academie/bilan_envoye", report=report)
    figures = await ctx.renderer.charts.draw_for_page(academy_charts(report))
    text = ctx.renderer.document(
        "academie/bilan.md.j2", report=report, academy=ctx.establishment, now=ctx.now
    )
    await asyncio.sleep(0)  # each step a few milliseconds: commands typed meanwhile go between
    title = f"Bilan {report.year} : {ctx.establishment.name}"
    page = ctx.renderer.document_page(title, text, figures)
    name = f"bilan-academie-{report.year}"
    await ctx.send_file(f"{name}.html", page.encode(), "text/html")
    await asyncio.sleep(0)
    await ctx.send_file(f"{name}.csv", academy_csv(report), "text/csv")
