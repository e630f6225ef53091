"""!projet through the real dispatcher: class projects recorded, shown once, reported, kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.dispatcher import Outcome
from bot.core.scheduler import Scheduler
from bot.core.school import read_class, read_discipline
from commands.lettre import weekly_letter
from storage import donnees, oubli
from storage.projet import project_by_number
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read
from tests.unit.test_bilan import ask_report
from tests.unit.test_donnees import PROF2

PODCAST = "!projet 4e B histoire Podcast sur la Révolution enregistré en classe #podcast #oral"
HERBIER = "!projet CM2 sciences Herbier photographié sur tablettes #Tablettes"


def snapshot(db) -> list:
    return db.execute("SELECT * FROM class_projects ORDER BY id").fetchall()


async def expect_refusal(chat, sender: str, text: str, outcome=Outcome.REJECTED) -> str:
    before = snapshot(chat.db)
    reply = await chat.say(sender, text)
    assert chat.outcome is outcome, (text, reply.body)
    assert snapshot(chat.db) == before
    return reply.body


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("4e B", "4e B"), ("4ème b", "4e B"), ("4eB", "4e B"), ("6e", "6e"),
        ("2nde 3", "2nde 3"), ("seconde 3", "2nde 3"), ("2nde3", "2nde 3"),
        ("1ère G4", "1re G4"), ("terminale STMG 2", "Tle STMG 2"), ("CM2", "CM2"),
        ("cm2", "CM2"), ("BTS SIO 1", "BTS SIO 1"), ("3e prépa", "3e"),
    ],
)  # fmt: skip
def test_a_class_is_read_as_teachers_write_it(typed, written):
    words = [*typed.split(), "histoire", "texte"]
    assert read_class(words)[0] == written


@pytest.mark.parametrize("typed", ["7e", "Révolution", "12", "4", "cm3", "classe"])
def test_a_word_that_is_no_level_is_no_class(typed):
    assert read_class([typed, "histoire"]) is None


def test_a_class_stops_at_its_discipline():
    assert read_class(["4e", "B", "SVT", "Herbier"]) == ("4e B", 2)
    assert read_class(["4e", "B", "2026", "maths"]) == ("4e B", 2)
    assert read_class(["4e", "A", "B", "C", "D"]) == ("4e A B C", 4)


@pytest.mark.parametrize(
    ("typed", "written"),
    [("Maths", "mathématiques"), ("Mathématiques", "mathématiques"), ("SVT", "SVT"),
     ("histoire-géo", "histoire-géographie"), ("Breton", "breton"), ("eps", "EPS")],
)  # fmt: skip
def test_a_discipline_is_written_one_way(typed, written):
    assert read_discipline(typed) == written


async def test_a_teacher_records_a_project_and_everyone_lists_it(chat):
    empty = await chat.say(TEACHER, "!projet")
    assert empty.body.startswith(
        "Aucun projet de classe avec le numérique n'est encore recensé au collège Test."
    )
    added = await chat.say(TEACHER, PODCAST)
    assert added.body == (
        "Projet n° 1 recensé : 4e B, histoire-géographie (#podcast #oral). Il figurera dans la"
        " prochaine lettre d'information et au bilan de l'année ; pour le retirer :"
        " `!projet retirer 1`."
    )
    await chat.say(PROF2, HERBIER)
    listing = await chat.say(PRINCIPAL, "!projets")
    assert listing.body.startswith(
        "**Projets de classe avec le numérique du collège Test**\n"
        "- n° 2, CM2, sciences : Herbier photographié sur tablettes · #tablettes\n"
        "- n° 1, 4e B, histoire-géographie : Podcast sur la Révolution enregistré en classe"
        " · #podcast #oral"
    )
    assert "@" not in listing.body


async def test_search_finds_projects_by_their_words_class_and_tags(chat):
    await chat.say(TEACHER, PODCAST)
    await chat.say(TEACHER, HERBIER)
    for words in ("revolution", "TABLETTE", "4e B", "oral"):
        found = await chat.say(TEACHER, f"!projet cherche {words}")
        assert found.body.startswith("**Projets : 1 pour «"), (words, found.body)
    nothing = await chat.say(TEACHER, "!projet cherche imprimante")
    assert nothing.body.startswith("Aucun projet ne correspond à « imprimante ».")


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("!projet 7e B histoire Un podcast", "« 7e » n'est pas une classe"),
        ("!projet Podcast en classe", "« Podcast » n'est pas une classe"),
        ("!projet 4e B", "Précisez la discipline"),
        ("!projet 4e B histoire", "Dites en quelques mots ce que la classe a fait"),
        ("!projet 4e B histoire #podcast", "Il manque le texte du projet"),
        ("!projet 4e B histoire ...", "Dites en quelques mots ce que la classe a fait"),
        ("!projet 4e B 12345 un texte", "« 12345 » n'est pas une discipline"),
        (f"!projet 4e B histoire {'mot ' * 200}", "Le texte du projet est trop long"),
        ("!projet retirer 9", "Le projet n° 9 n'existe pas."),
        ("!projet cherche ...", "Indiquez au moins un mot à chercher"),
    ],
)
async def test_bad_arguments_are_explained_and_change_nothing(chat, line, said):
    await chat.say(TEACHER, PODCAST)
    body = await expect_refusal(chat, TEACHER, line)
    assert said in body
    assert "\nPar exemple : `!projet" in body


async def test_the_author_or_a_referent_removes_a_project(chat):
    await chat.say(TEACHER, PODCAST)
    await chat.say(TEACHER, HERBIER)
    body = await expect_refusal(chat, PROF2, "!projet retirer 1", Outcome.FORBIDDEN)
    assert "la personne qui a recensé le projet n° 1 et les référents numériques" in body
    removed = await chat.say(TEACHER, "!projet retirer 1")
    assert removed.body == "Le projet n° 1 (4e B, histoire-géographie) est retiré du registre."
    await chat.say(REFERENT, "!projet retirer 2")
    assert snapshot(chat.db) == []
    # A number is never given again: an old « retirer 2 » cannot remove another project.
    again = await chat.say(TEACHER, HERBIER)
    assert again.body.startswith("Projet n° 3 recensé")


async def test_user_text_is_shown_as_text(chat):
    await chat.say(TEACHER, "!projet 4e B histoire **gras** @room <script>x</script> [a](http://x)")
    shown = await chat.say(TEACHER, "!projet")
    assert "**gras** @\u2060room <script>x</script> [a](http://x)" in shown.body
    assert "<script" not in shown.html and "<strong>gras" not in shown.html


async def test_a_project_appears_in_one_letter_only(chat, config, renderer):
    await chat.say(TEACHER, PODCAST)
    assert await chat.say(REFERENT, "!lettre envoyer") is None
    (first,) = queued_as_read(chat.db)
    assert (
        "**Projets de classe avec le numérique**\n"
        "- 4e B, histoire-géographie : Podcast sur la Révolution enregistré en classe"
        " (#podcast #oral)"
    ) in first.body
    # Something else new before Friday: the Friday letter goes, without the project.
    await chat.say(TEACHER, HERBIER)
    friday = datetime(2026, 11, 27, 16, tzinfo=PARIS)
    scheduler = Scheduler([weekly_letter], config, chat.db, renderer, lambda: friday,
                          registry=chat.registry)  # fmt: skip
    assert await scheduler.run(weekly_letter, config.establishments[0]) == 1
    second = queued_as_read(chat.db)[-1]
    assert "Herbier photographié sur tablettes" in second.body
    assert "Podcast" not in second.body


async def test_the_digest_and_the_report_show_the_projects_without_names(chat):
    await chat.say(TEACHER, PODCAST)
    await chat.say(PROF2, HERBIER)
    await chat.say(PRINCIPAL, "!synthese", now=chat.now + timedelta(hours=1))
    (digest,) = [m for m in chat.messenger_outbox() if m.dm_user == PRINCIPAL]
    assert "**Projets de classe avec le numérique recensés** : 2" in digest.body
    reply, files = await ask_report(chat, sender=PRINCIPAL, now=chat.now + timedelta(hours=1))
    assert "2 projets de classe à valoriser." in reply.body
    report = next(text for name, text in files if name.endswith(".md"))
    assert (
        "## 6. Projets à valoriser\n\n"
        "2 projets de classe avec le numérique recensés cette année :\n\n"
        "| Classe | Discipline | Projet | Mots-clés |\n"
        "|---|---|---|---|\n"
        "| 4e B | histoire-géographie | Podcast sur la Révolution enregistré en classe"
        " | #podcast #oral |\n"
        "| CM2 | sciences | Herbier photographié sur tablettes | #tablettes |"
    ) in report
    assert TEACHER not in report and PROF2 not in report


async def test_an_objective_may_follow_the_projects(chat):
    await chat.say(REFERENT, "!objectifs ajouter Valoriser les projets indicateur: projets>=1")
    await chat.say(TEACHER, PODCAST)
    shown = await chat.say(REFERENT, "!objectifs", now=chat.now + timedelta(minutes=1))
    assert "Projets de classe avec le numérique recensés (au moins 1) : **1 / 1 ✅**" in shown.body


async def test_the_author_is_exported_and_forgotten_the_project_stays_counted(chat):
    await chat.say(TEACHER, PODCAST)
    (row,) = donnees.export_user(chat.db, TEACHER)["class_projects.author"]
    assert row["class_name"] == "4e B" and row["text"].startswith("Podcast")
    oubli.forget_user(chat.db, TEACHER)
    project = project_by_number(chat.db, "clg-test", 1)
    assert project.author.startswith("anonyme-") and project.text.startswith("Podcast")
    assert donnees.export_user(chat.db, TEACHER) == {}
    # The referent may still remove it; nobody else may any more.
    await expect_refusal(chat, TEACHER, "!projet retirer 1", Outcome.FORBIDDEN)
    await chat.say(REFERENT, "!projet retirer 1")
    assert snapshot(chat.db) == []
