"""Seeded newsletters: every Friday's letter since September and what each announced."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from bench.seed.academy import PARIS, YEAR_START, ZONE
from bench.seed.seeding import OUTBOX_COLUMNS, Probe, Seeding
from bot.toolkit.calendar import is_school_holiday
from storage.stamps import from_stamp, to_stamp


def seed(s: Seeding) -> None:
    """The weekly newsletters sent since September, and what each one announced.

    One letter every school-week Friday at 16:00 (the default day and time) that
    had news: links shared since the previous letter, sheets written or rewritten,
    a survey not announced yet,
    a training session newly planned. Each letter has its ledger row and, for
    the last thirty days, its sent message in the outbox. Today's letter is
    not sent yet: at ``NOW`` the job owes it, with the week's news.
    """
    fridays = [
        datetime.combine(day, time(16), PARIS)
        for day in (YEAR_START + timedelta(days=n) for n in range((s.now.date() - YEAR_START).days))
        if day.weekday() == 4 and not is_school_holiday(day, ZONE)
    ]
    instants = [friday.timestamp() for friday in fridays]  # compared as numbers: faster
    # What each letter announced: a link, a survey or a session is news in the first
    # letter after it appeared, if it still stands then (a survey open, a session ahead).
    news: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for item_id, eid, posted in s.db.execute(
        "SELECT id, establishment_id, posted_at FROM veille_items ORDER BY establishment_id, number"
    ):
        letter = bisect_left(instants, from_stamp(posted).timestamp())
        if letter < len(fridays):
            news[eid, letter].append(("veille", item_id))
    for change_id, eid, changed in s.db.execute(
        "SELECT id, establishment_id, changed_at FROM answer_sheet_changes ORDER BY id"
    ):
        letter = bisect_left(instants, from_stamp(changed).timestamp())
        if letter < len(fridays):
            news[eid, letter].append(("fiche", change_id))
    # A project rides with the first letter that went out after it (it makes no letter of
    # its own: the letters, their ids and their draws stay those of the other news).
    projects = [
        (eid, bisect_left(instants, from_stamp(created).timestamp()), project_id)
        for project_id, eid, created in s.db.execute(
            "SELECT id, establishment_id, created_at FROM class_projects ORDER BY id"
        )
    ]
    for survey_id, eid, opens, deadline, closed in s.db.execute(
        "SELECT id, establishment_id, opens_at, deadline, closed_at FROM surveys"
    ):
        letter = bisect_left(instants, from_stamp(opens).timestamp())
        at = fridays[letter] if letter < len(fridays) else None
        closes = from_stamp(closed) if closed else None
        if at and date.fromisoformat(deadline) >= at.date() and (closes is None or closes > at):
            news[eid, letter].append(("enquete", survey_id))
    for eid, number, starts, planned in s.db.execute(
        "SELECT s.establishment_id, n.number, s.starts_at, s.planned_at FROM training_sessions s"
        " JOIN training_needs n ON n.id = s.need_id"
    ):
        letter = bisect_left(instants, from_stamp(planned).timestamp())
        at = fridays[letter] if letter < len(fridays) else None
        if at and from_stamp(starts) >= at.replace(hour=0, minute=0):
            news[eid, letter].append(("formation-session", number))
    for eid, letter, project_id in projects:
        going = next((n for n in range(letter, len(fridays)) if (eid, n) in news), None)
        if going is not None:
            news[eid, going].append(("projet", project_id))
    letters, items, ledger, outbox = [], [], [], []
    month_ago, letter_id = s.now - timedelta(days=30), 0
    for e in s.establishments:
        for index, at in enumerate(fridays):
            if (e.id, index) not in news:
                continue
            letter_id += 1
            period = at.strftime("%G-W%V")
            sent = at + timedelta(seconds=s.rng.randint(1, 20))
            as_of, sent_at = to_stamp(at), to_stamp(sent)
            letters.append((letter_id, e.id, period, as_of, sent_at))
            items += [(e.id, kind, item, letter_id) for kind, item in news[e.id, index]]
            ledger.append(("lettre", e.id, period, to_stamp(sent)))
            if sent >= month_ago:  # sent messages are kept 30 days
                txn = f"rupn-job-lettre-{e.id}-{period}"
                stamp = to_stamp(sent)
                message = ("Lettre d'information", "<p>Lettre d'information</p>", "[]", txn)
                outbox.append((e.id, *message, stamp, stamp, f"$seed-lettre-{letter_id}"))
    s.insert("newsletters", ("id", "establishment_id", "period", "as_of", "sent_at"), letters)
    s.insert("newsletter_items", ("establishment_id", "kind", "item_id", "letter_id"), items)
    s.insert("job_runs", ("job", "establishment_id", "period", "ran_at"), ledger)
    s.insert("outbox", OUTBOX_COLUMNS, outbox)


PROBES: list[Probe] = [
    Probe(("!lettre",), role="referent"),
    Probe(("!lettre aperçu",), role="referent"),  # the letter the job would send at NOW
    Probe(("!synthese",), role="principal"),  # the month so far, by direct message
]
