"""``!lettre`` and ``!synthese`` through the real dispatcher, with surveys as the news."""

from __future__ import annotations

from datetime import datetime

from bot.core.scheduler import Scheduler
from commands.lettre import next_letter_at, weekly_letter
from storage.establishments import record_member
from storage.lettre import letter_periods
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read

FORM = "https://framaforms.org/bilan-numerique"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def at(y, m, d, hour=16, minute=0):
    return datetime(y, m, d, hour, minute, tzinfo=PARIS)


async def test_lettre_says_when_the_next_letter_goes(chat):
    reply = await chat.say(REFERENT, "!lettre")
    assert reply.body.startswith(
        "La prochaine lettre d'information partira le vendredi 27 novembre à 16 h"
    )


def test_the_next_letter_skips_the_holidays(config):
    # Asked during the Christmas holidays: the first Friday of term.
    school = config.establishments[0]
    assert next_letter_at(school, at(2026, 12, 18, 17)) == at(2027, 1, 8)


async def test_only_referents_handle_the_letter(chat):
    reply = await chat.say(TEACHER, "!lettre envoyer")
    assert reply.body == "La commande `!lettre envoyer` est réservée aux référents numériques."


async def test_nothing_new_means_no_letter(chat, db):
    reply = await chat.say(REFERENT, "!lettre envoyer")
    assert reply.body.startswith("Rien de nouveau depuis la dernière lettre")
    assert queued_as_read(db) == []


async def test_apercu_shows_the_letter_and_consumes_nothing(chat, db):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan du numérique")
    first = await chat.say(REFERENT, "!lettre aperçu")
    second = await chat.say(REFERENT, "!lettre apercu")
    assert first.body.startswith("*Aperçu : voici la lettre telle qu'elle partirait maintenant.")
    assert "Bilan du numérique" in first.body and "(nouvelle)" in first.body
    assert second.body == first.body
    assert queued_as_read(db) == [] and letter_periods(db, "clg-test") == []


async def test_envoyer_posts_the_letter_and_friday_does_not_repeat_it(chat, config, db, renderer):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan du numérique")
    assert await chat.say(REFERENT, "!lettre envoyer") is None  # the letter is the answer
    (letter,) = queued_as_read(db)
    assert letter.room_id == "!abc:localhost" and letter.dm_user is None
    assert "Bilan du numérique" in letter.body
    scheduler = Scheduler(
        [weekly_letter], config, db, renderer, Clock(at(2026, 11, 27)), registry=chat.registry
    )
    assert await scheduler.run(weekly_letter, config.establishments[0]) == 0


async def test_a_replayed_envoyer_sends_nothing_more(chat, db):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre")
    await chat.say(REFERENT, "!lettre envoyer")
    chat.counter -= 1  # the same command event again, as after a crash before it was marked
    assert await chat.say(REFERENT, "!lettre envoyer") is None
    assert len(queued_as_read(db)) == 1


async def test_a_survey_for_the_referents_is_not_news_for_the_room(chat, config, db, renderer):
    from storage.enquete import AcademySurvey, sync_academy_surveys

    academy = AcademySurvey(
        "k", "Enquête RUPN", FORM, "referents", at(2026, 11, 1, 0), at(2026, 12, 1).date()
    )
    sync_academy_surveys(db, "clg-test", [academy], at(2026, 11, 1, 0))
    assert (await chat.say(REFERENT, "!lettre aperçu")).body.startswith("Rien de nouveau")


async def test_synthese_sends_the_month_so_far_by_direct_message(chat, db):
    record_member(db, "clg-test", TEACHER, "teacher", at(2026, 9, 7), display_name="Paul Durand")
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    await chat.say(TEACHER, "!enquete fait")
    reply = await chat.say(PRINCIPAL, "!synthese", now=at(2026, 11, 23, 10))
    assert reply.body == "Je vous envoie en message privé la synthèse de novembre 2026 à ce jour."
    (digest,) = queued_as_read(db)
    assert digest.dm_user == PRINCIPAL and digest.room_id is None
    assert "novembre 2026**, au lundi 23 novembre 2026" in digest.body
    assert "- **Enquêtes : réponses déclarées** : 1 (0), en hausse ▁▁█" in digest.body
    assert "    - Bilan : 1 (0)" in digest.body
    for text in (digest.body, digest.html):
        assert "@" not in text and "Paul" not in text and "Durand" not in text


async def test_teachers_and_referents_get_no_synthese(chat):
    for who in (TEACHER, REFERENT):
        reply = await chat.say(who, "!synthese")
        assert reply.body == "La commande `!synthese` est réservée à la direction."
