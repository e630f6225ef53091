"""!objectifs through the real dispatcher: objectives per school year, notes, states, indicators."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.converters import SchoolYear
from bot.core.dispatcher import Outcome
from bot.core.errors import BadArgument
from bot.core.indicators import Reading
from bot.toolkit.text import split_words
from commands.objectifs import ObjectiveText, parse_indicator
from storage import donnees, oubli
from storage.objectifs import IndicatorSpec, objectives_of_year
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER

PROF2 = "@prof2:localhost"
LATER = datetime(2027, 1, 15, 10, 0, tzinfo=PARIS)


def snapshot(db) -> dict[str, list]:
    """Every row of the family's tables, to prove a refused command wrote nothing."""
    return {
        t: db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
        for t in ("objectives", "objective_notes")
    }


async def expect_refusal(chat, sender: str, text: str, now=None, refused=False) -> str:
    """A bad argument (with the usage line), or with ``refused`` a refusal (one sentence)."""
    before = snapshot(chat.db)
    reply = await chat.say(sender, text, now=now)
    assert chat.outcome is (Outcome.REFUSED if refused else Outcome.REJECTED), (text, reply.body)
    assert ("\nPar exemple : `!objectifs" in reply.body) is not refused, reply.body
    assert snapshot(chat.db) == before
    return reply.body


# --- indicators -----------------------------------------------------------------------


@pytest.fixture
def known(registry):
    return registry.indicators


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("sessions>=6", IndicatorSpec("sessions", ">=", 6)),
        ("sessions >= 6", IndicatorSpec("sessions", ">=", 6)),
        ("Sessions ≥ 6", IndicatorSpec("sessions", ">=", 6)),
        ("besoins_traites>=80%", IndicatorSpec("besoins_traites", ">=", 80, True)),
        ("besoins_traités ≥ 80 %", IndicatorSpec("besoins_traites", ">=", 80, True)),
        ("besoins-traites >= 80", IndicatorSpec("besoins_traites", ">=", 80, True)),
        ("tickets<=5", IndicatorSpec("tickets", "<=", 5)),
        ("tickets =< 5", IndicatorSpec("tickets", "<=", 5)),
        ("pannes < 20", IndicatorSpec("pannes", "<", 20)),
        ("lettres=30", IndicatorSpec("lettres", "=", 30)),
        ("remplissage\u00a0>\u00a050\u202f%", IndicatorSpec("remplissage", ">", 50, True)),
    ],
)
def test_indicators_are_read_in_their_usual_spellings(known, text, spec):
    assert parse_indicator(text, known) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nimbus>=3", "Je ne connais pas le chiffre « nimbus ». Chiffres possibles : permanences,"),
        ("sessions>=6%", "« sessions » est un nombre, pas un pourcentage"),
        ("besoins_traites>=120%", "la cible va de 0 à 100"),
        ("sessions", "Écrivez l'indicateur ainsi"),
        ("sessions>=six", "Écrivez l'indicateur ainsi"),
        ("sessions>=-1", "Écrivez l'indicateur ainsi"),
        ("sessions>=99999999", "La cible est trop grande"),
        (">=6", "Écrivez l'indicateur ainsi"),
    ],
)
def test_a_wrong_indicator_says_what_is_wrong(known, text, message):
    with pytest.raises(BadArgument) as raised:
        parse_indicator(text, known)
    assert message in raised.value.message


def test_unknown_figure_lists_every_known_one(known):
    with pytest.raises(BadArgument) as raised:
        parse_indicator("nimbus>=3", known)
    for name in ("permanences", "places", "besoins", "sessions", "veille", "pannes", "tickets"):
        assert name in raised.value.message
    assert "besoins_traites" in raised.value.message and "lettres" in raised.value.message


@pytest.mark.parametrize(
    ("reading", "shown"),
    [
        (Reading("sessions", "S", ">=", 6, False, 12), "12 / 6 ✅"),
        (Reading("besoins_traites", "B", ">=", 80, True, 40.0), "40 % / 80 %"),
        (Reading("besoins_traites", "B", ">=", 80, True, 200 / 3), "67 % / 80 %"),
        (Reading("tickets", "T", "<=", 5, False, 3), "3 / ≤ 5 ✅"),
        (Reading("tickets", "T", "<", 5, False, 5), "5 / < 5"),
        (Reading("besoins_traites", "B", ">=", 80, True, None), "– / 80 %"),
    ],
)
def test_a_reading_shows_value_then_target(reading, shown):
    assert reading.shown == shown


# --- school years -----------------------------------------------------------------------


class _Ctx:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("text", "year"),
    [("2025-2026", 2025), ("2026-2027", 2026), ("2025/2026", 2025), ("2025-26", 2025),
     ("2019–2020", 2019)],
)  # fmt: skip
def test_school_years_are_read(text, year):
    assert SchoolYear.consume(split_words(text), text, _Ctx()) == (year, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-2028", "L'année scolaire 2027-2028 n'a pas commencé."),
        ("2025-2027", "Une année scolaire va de septembre à août"),
        ("2026", "écrivez-la ainsi : 2025-2026"),
        ("demain", "écrivez-la ainsi : 2025-2026"),
        ("٢٠٢٥-٢٠٢٦", "écrivez-la ainsi"),
        ("1850-1851", "Le bot n'a rien pour l'année 1850-1851."),
    ],
)
def test_a_future_or_malformed_year_is_refused(text, message):
    with pytest.raises(BadArgument) as raised:
        SchoolYear.consume(split_words(text), text, _Ctx())
    assert message in raised.value.message


# --- the commands ---------------------------------------------------------------------


async def test_everyone_reads_the_year_s_objectives_with_their_indicator(chat):
    empty = await chat.say(TEACHER, "!objectifs")
    assert empty.body == "Aucun objectif pour l'année scolaire 2026-2027 au collège Test."
    added = await chat.say(
        REFERENT, "!objectifs ajouter Former les collègues à l'ENT indicateur: sessions>=2"
    )
    assert added.body.startswith(
        "C'est noté : **objectif n° 1** de 2026-2027 : « Former les collègues à l'ENT »."
    )
    assert "Indicateur : Sessions de formation (au moins 2), depuis le 1er septembre :" in (
        added.body
    )
    await chat.say(PRINCIPAL, "!objectifs ajouter Ouvrir une permanence numérique chaque semaine")
    # Two sessions held by January: the indicator is met.
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    await chat.say(TEACHER, "!formation Sécuriser les mots de passe des élèves")
    await chat.say(REFERENT, "!formation planifier 1 jeudi 3 décembre 12h30")
    await chat.say(REFERENT, "!formation planifier 2 le 10 décembre à 17h")
    listing = await chat.say(TEACHER, "!objectifs", now=LATER)
    assert listing.body.splitlines() == [
        "**Objectifs 2026-2027 du collège Test**",
        "- **n° 1** Former les collègues à l'ENT",
        "    - Indicateur : Sessions de formation (au moins 2) : **2 / 2 ✅**",
        "- **n° 2** Ouvrir une permanence numérique chaque semaine",
    ]
    assert "<td>" not in listing.html and "<li>" in listing.html


async def test_rates_are_computed_over_the_school_year(chat):
    await chat.say(
        REFERENT,
        "!objectifs ajouter Traiter les besoins exprimés, indicateur : besoins_traités ≥ 50 %",
    )
    for text in ("Créer des capsules vidéo", "Sécuriser les mots de passe", "Utiliser Pronote"):
        await chat.say(TEACHER, f"!formation {text} --nouveau")
    await chat.say(REFERENT, "!formation clore 1")
    first = await chat.say(TEACHER, "!objectifs", now=LATER)
    assert "Part des besoins de formation traités (au moins 50 %) : **33 % / 50 %**" in (first.body)
    await chat.say(REFERENT, "!formation dane 2")
    second = await chat.say(TEACHER, "!objectifs", now=LATER)
    assert ": **67 % / 50 % ✅**" in second.body


async def test_objectives_are_numbered_per_school_year(chat):
    last_year = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
    await chat.say(REFERENT, "!objectifs ajouter Lancer la lettre d'information", now=last_year)
    await chat.say(REFERENT, "!objectifs ajouter Former à l'ENT")
    assert [o.number for o in objectives_of_year(chat.db, "clg-test", 2025)] == [1]
    assert [o.number for o in objectives_of_year(chat.db, "clg-test", 2026)] == [1]
    old = await chat.say(TEACHER, "!objectifs 2025-2026")
    assert "Objectifs 2025-2026" in old.body and "Lancer la lettre" in old.body
    assert "Former à l'ENT" not in old.body
    # Notes and states go to the current year's objective.
    await chat.say(REFERENT, "!objectifs point 1 Première session faite")
    assert objectives_of_year(chat.db, "clg-test", 2026)[0].notes[0].text == (
        "Première session faite"
    )
    assert objectives_of_year(chat.db, "clg-test", 2025)[0].notes == ()
    body = await expect_refusal(chat, REFERENT, "!objectifs point 2 rien")
    assert "L'objectif n° 2 n'existe pas en 2026-2027" in body
    body = await expect_refusal(chat, TEACHER, "!objectifs 2027-2028")
    assert "n'a pas commencé" in body


async def test_states_and_notes(chat):
    await chat.say(REFERENT, "!objectifs ajouter Former à l'ENT")
    await chat.say(REFERENT, "!objectifs ajouter Un conseil pédagogique sur le numérique")
    noted = await chat.say(PRINCIPAL, "!objectifs point 1 Deux collègues formés en novembre")
    assert noted.body == "Point d'étape noté sur l'objectif n° 1 « Former à l'ENT »."
    done = await chat.say(REFERENT, "!objectifs atteint 1 six collègues au lieu de quatre")
    assert done.body == (
        "Objectif n° 1 « Former à l'ENT » **atteint** ✅ (six collègues au lieu de quatre)."
    )
    body = await expect_refusal(chat, REFERENT, "!objectifs atteint 1", refused=True)
    assert body == "L'objectif n° 1 est déjà atteint."
    dropped = await chat.say(PRINCIPAL, "!objectifs abandonné 2 pas de créneau commun")
    assert "abandonné (pas de créneau commun). Il reste au bilan" in dropped.body
    listing = await chat.say(TEACHER, "!objectifs")
    assert "- **n° 1** Former à l'ENT : **atteint** ✅" in listing.body
    assert (
        "Dernier point d'étape, le lundi 23 novembre 2026 : six collègues au lieu de quatre"
        " (2 points d'étape)" in listing.body
    )
    assert "- **n° 2** Un conseil pédagogique sur le numérique : *abandonné*" in listing.body
    resumed = await chat.say(REFERENT, "!objectifs reprendre 2")
    assert resumed.body.endswith("de nouveau en cours.")
    await expect_refusal(chat, REFERENT, "!objectifs reprendre 2", refused=True)


async def test_teachers_read_but_do_not_write(chat):
    for text in ("!objectifs ajouter X", "!objectifs point 1 x", "!objectifs atteint 1"):
        await chat.say(TEACHER, text)
        assert chat.outcome is Outcome.FORBIDDEN
    listing = await chat.say(TEACHER, "!objectifs")
    assert "objectifs ajouter" not in listing.body


async def test_a_few_objectives_only(chat):
    for n in range(10):
        await chat.say(REFERENT, f"!objectifs ajouter Objectif numéro {n + 1}")
    body = await expect_refusal(chat, REFERENT, "!objectifs ajouter Un de trop", refused=True)
    assert "a déjà 10 objectifs" in body
    await chat.say(REFERENT, "!objectifs abandonné 4")
    await chat.say(REFERENT, "!objectifs ajouter Celui-ci remplace le 4")
    assert chat.outcome is Outcome.DONE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!objectifs ajouter", "Précisez l'objectif."),
        ("!objectifs ajouter indicateur: sessions>=3", "Il manque le texte de l'objectif."),
        ("!objectifs ajouter --- ,", "Il manque le texte de l'objectif."),
        ("!objectifs ajouter Former indicateur: bidule>=3", "Je ne connais pas le chiffre"),
        ("!objectifs ajouter Former indicateur: sessions", "Écrivez l'indicateur ainsi"),
        ("!objectifs ajouter " + "x" * 301, "L'objectif est trop long (301 caractères"),
        ("!objectifs point 1", "Précisez le point d'étape."),
        ("!objectifs point 1 " + "y" * 501, "Le point d'étape est trop long"),
        ("!objectifs atteint deux", "« deux » n'est pas un numéro."),
        ("!objectifs abandonné 7", "L'objectif n° 7 n'existe pas"),
        ("!objectifs 2025", "écrivez-la ainsi : 2025-2026"),
    ],
)
async def test_refusals_write_nothing(chat, text, message):
    await chat.say(REFERENT, "!objectifs ajouter Former à l'ENT")
    assert message in await expect_refusal(chat, REFERENT, text)


async def test_the_indicator_is_taken_from_the_end_and_the_text_kept_as_typed(chat):
    await chat.say(
        REFERENT,
        "!objectifs ajouter  Créer un indicateur de suivi   des usages, Indicateur : veille >= 10",
    )
    (objective,) = objectives_of_year(chat.db, "clg-test", 2026)
    assert objective.text == "Créer un indicateur de suivi des usages"
    assert objective.indicator == IndicatorSpec("veille", ">=", 10)


async def test_indicators_lists_what_can_be_followed(chat):
    reply = await chat.say(TEACHER, "!objectifs indicateurs")
    assert reply.body.startswith("**Chiffres qu'un indicateur peut suivre**")
    assert "- `sessions` : Sessions de formation : 0" in reply.body
    assert "- `besoins_traites` : Part des besoins de formation traités (en %) : –" in reply.body


async def test_user_text_is_escaped(chat):
    await chat.say(REFERENT, "!objectifs ajouter <script>alert(1)</script> @room **gras**")
    reply = await chat.say(TEACHER, "!objectifs")
    assert "<script" not in reply.html and "&lt;script&gt;" in reply.html
    assert "@room" not in reply.body and reply.mentions == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=400))
def test_any_objective_text_is_read_or_refused_in_french(text):
    class Ctx:
        from commands import load_registry

        registry = load_registry()

    words = split_words(text)
    if not words:
        return
    try:
        new, used = ObjectiveText.consume(words, text, Ctx())
    except BadArgument as refused:
        assert refused.message
        return
    assert used == len(words) and 0 < len(new.text) <= 300 and "\n" not in new.text


# --- personal data ----------------------------------------------------------------------


async def test_forgetting_a_note_s_author_blanks_the_note_and_keeps_the_objective(chat):
    await chat.say(REFERENT, "!objectifs ajouter Former à l'ENT indicateur: sessions>=1")
    await chat.say(PRINCIPAL, "!objectifs point 1 Vu avec Mme Martin")
    await chat.say(PRINCIPAL, "!objectifs atteint 1")
    exported = donnees.export_user(chat.db, PRINCIPAL)
    assert [n["text"] for n in exported["objective_notes.author"]] == ["Vu avec Mme Martin"]
    assert [o["text"] for o in exported["objectives.updated_by"]] == ["Former à l'ENT"]
    assert "objectives.author" in donnees.export_user(chat.db, REFERENT)
    oubli.forget_user(chat.db, PRINCIPAL)
    assert donnees.export_user(chat.db, PRINCIPAL) == {}
    (objective,) = objectives_of_year(chat.db, "clg-test", 2026)
    assert objective.text == "Former à l'ENT" and objective.status == "reached"
    assert [n.text for n in objective.notes] == [None]
    listing = await chat.say(TEACHER, "!objectifs")
    assert "Dernier point" not in listing.body and "Martin" not in listing.body
