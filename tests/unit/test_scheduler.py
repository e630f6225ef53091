"""Jobs run once per period, catch up once after downtime, and queue with their ledger row."""

from datetime import datetime, timedelta

import pytest

from bot.core.scheduler import FIRST_START, Scheduler, job, until_end_of_day, until_end_of_month
from storage.inbox import set_state
from storage.ledger import runs
from storage.outbox import unsent_messages
from storage.stamps import to_stamp
from tests.conftest import PARIS


@job("essai", cron={"day_of_week": "fri", "hour": 16}, catch_up=timedelta(hours=24))
def weekly_note(ctx):
    period = ctx.scheduled_for.strftime("%G-W%V")
    if ctx.claim(period):
        ctx.post(ctx.renderer.from_markdown(f"Note de la semaine {period}"), key=period)


@job("panne-essai", every=timedelta(minutes=1))
def failing(ctx):
    ctx.claim("x")
    ctx.post(ctx.renderer.from_markdown("jamais envoyé"), key="x")
    raise RuntimeError("boom")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 27, 16, 0, tzinfo=PARIS))


@pytest.fixture
def scheduler(config, db, renderer, clock):
    return Scheduler([weekly_note, failing], config, db, renderer, clock)


async def test_a_job_runs_once_per_period(scheduler, db, config):
    school = config.establishments[0]
    assert await scheduler.run(weekly_note, school) == 1
    assert await scheduler.run(weekly_note, school) == 0
    assert [m.body for m in unsent_messages(db)] == ["Note de la semaine 2026-W48"]
    assert runs(db, "essai", school.id) == ["2026-W48"]


async def test_a_failing_job_leaves_no_ledger_row_and_no_message(scheduler, db, config):
    assert await scheduler.run(failing, config.establishments[0]) == 0
    assert runs(db, "panne-essai", config.establishments[0].id) == []
    assert unsent_messages(db) == []


def ran_since(db, when):
    set_state(db, FIRST_START, to_stamp(when))


async def test_a_new_install_does_not_catch_up_what_came_before_it(scheduler, db, clock):
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=PARIS)  # 17 h after Friday's run
    assert await scheduler.catch_up() == 0  # first start ever: nothing was missed
    assert await scheduler.catch_up() == 0  # and the next start knows it


async def test_a_missed_run_is_caught_up_once_within_its_window(scheduler, db, clock, config):
    ran_since(db, datetime(2026, 9, 1, tzinfo=PARIS))
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=PARIS)  # Saturday morning: 17 h late
    assert await scheduler.catch_up() == 1
    assert await scheduler.catch_up() == 0  # a second restart does not send it again
    assert runs(db, "essai", config.establishments[0].id) == ["2026-W48"]


async def test_a_run_missed_too_long_ago_is_dropped(scheduler, db, clock):
    ran_since(db, datetime(2026, 9, 1, tzinfo=PARIS))
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=PARIS)  # Sunday noon: 44 h late
    assert await scheduler.catch_up() == 0


def test_cron_follows_the_establishment_time_zone(config):
    trigger = weekly_note.trigger(config.establishments[0])
    after = datetime(2026, 11, 23, 0, 0, tzinfo=PARIS)
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 11, 27, 16, 0, tzinfo=PARIS)


@job("mensuel-essai", cron={"day": 1, "hour": 8}, catch_up=until_end_of_month)
def monthly_note(ctx):
    period = ctx.scheduled_for.strftime("%Y-%m")
    if ctx.claim(period):
        ctx.post(ctx.renderer.from_markdown(f"Note du mois {period}"), key=period)


@job("quotidien-essai", cron={"hour": 9}, catch_up=until_end_of_day)
def daily_note(ctx):
    period = ctx.scheduled_for.date().isoformat()
    if ctx.claim(period):
        ctx.post(ctx.renderer.from_markdown(f"Note du jour {period}"), key=period)


def test_a_monthly_run_is_caught_up_until_the_end_of_its_month(config):
    school = config.establishments[0]
    late = datetime(2026, 11, 30, 23, 0, tzinfo=PARIS)
    assert monthly_note.last_due(school, late) == datetime(2026, 11, 1, 8, 0, tzinfo=PARIS)
    # On 1 December before 8:00, November's run is over and December's not due yet.
    assert monthly_note.last_due(school, datetime(2026, 12, 1, 7, 0, tzinfo=PARIS)) is None


def test_a_daily_run_is_caught_up_the_same_day_only(config):
    school = config.establishments[0]
    evening = datetime(2026, 11, 23, 23, 59, tzinfo=PARIS)
    assert daily_note.last_due(school, evening) == datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    assert daily_note.last_due(school, datetime(2026, 11, 24, 8, 0, tzinfo=PARIS)) is None


async def test_jobs_see_the_registry(config, db, renderer, clock):
    seen = []

    @job("regard", cron={"hour": 9})
    def look(ctx):
        seen.append(ctx.registry)

    marker = object()
    scheduler = Scheduler([look], config, db, renderer, clock, registry=marker)
    await scheduler.run(look, config.establishments[0])
    assert seen == [marker]
