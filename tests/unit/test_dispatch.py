"""The dispatcher through real handlers, a temp SQLite file and a recording messenger."""

import copy
import logging

import pytest

from bot.core.config import parse_config
from bot.core.converters import Number, Text, When
from bot.core.declarations import command
from bot.core.dispatcher import Outcome, parse_invocation
from bot.core.errors import BadArgument, CommandError, NotAllowed
from bot.core.registry import Registry
from storage.establishments import replace_room_members
from tests.conftest import MINIMAL_CONFIG, PRINCIPAL, REFERENT, TEACHER


async def test_aide_lists_only_what_the_role_may_use(chat):
    teacher = await chat.say(TEACHER, "!aide")
    referent = await chat.say(REFERENT, "!aide")
    assert "!aide [commande]" in teacher.body and "!statut" not in teacher.body
    assert "!statut" in referent.body


async def test_aide_on_one_command_shows_usage_and_examples(chat):
    reply = await chat.say(REFERENT, "!aide statut")
    assert "`!statut`" in reply.body and "Exemples : `!statut`" in reply.body


async def test_aide_on_a_hidden_command_does_not_reveal_it(chat):
    reply = await chat.say(TEACHER, "!aide statut")
    assert "Je ne connais pas la commande « statut »" in reply.body


async def test_unknown_command_suggests_the_nearest(chat):
    reply = await chat.say(TEACHER, "!aid")
    assert reply.body.startswith("Je ne connais pas la commande `!aid`.")
    assert "Vouliez-vous dire `!aide` ?" in reply.body


async def test_names_ignore_case_and_accents(chat):
    assert "Commandes du" in (await chat.say(TEACHER, "!AÏDE")).body
    assert "Zone de vacances" in (await chat.say(PRINCIPAL, "!Statut")).body


async def test_statut_shows_the_departement_and_its_own_holidays(chat, tmp_path):
    assert (
        "- Zone de vacances : B, fuseau Europe/Paris" in (await chat.say(PRINCIPAL, "!statut")).body
    )
    for departement, said in (("57", " (Vendredi saint et 26 décembre fériés)"), ("75", "")):
        raw = copy.deepcopy(MINIMAL_CONFIG)
        raw["establishment"][0]["departement"] = departement
        chat.config = parse_config(raw, tmp_path)
        reply = await chat.say(PRINCIPAL, "!statut")
        assert f"- Zone de vacances : B, département {departement}{said}, fuseau" in reply.body


async def test_statut_names_the_establishment_as_the_academy_knows_it(chat, db, tmp_path):
    unknown = await chat.say(PRINCIPAL, "!statut")
    assert "- Code UAI : non renseigné ; bassin : non renseigné ;" in unknown.body
    assert "- Membres du salon : pas encore lus" in unknown.body
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0] |= {"uai": "0860012W", "bassin": "Poitiers", "collectivite": "Vienne"}
    chat.config = parse_config(raw, tmp_path)
    replace_room_members(db, "clg-test", [REFERENT, TEACHER, PRINCIPAL], chat.now)
    reply = await chat.say(PRINCIPAL, "!statut")
    assert (
        "- Code UAI : 0860012W ; bassin : Poitiers ; collectivité de rattachement : Vienne"
        in reply.body
    )
    assert "- Membres du salon : 3, à qui s'adressent les enquêtes" in reply.body


async def test_plain_messages_are_not_commands(chat):
    for body in ("bonjour", "!!!", "! aide", "!", "!1234", "  "):
        assert await chat.say(TEACHER, body) is None


async def test_wrong_role_gets_who_may(chat):
    reply = await chat.say(TEACHER, "!statut")
    assert reply.body == (
        "La commande `!statut` est réservée aux référents numériques et à la direction."
    )


async def test_every_reply_answers_the_command(chat):
    await chat.say(TEACHER, "!aide")
    sent = chat.messenger.sent[-1]
    assert sent.reply_to == f"$cmd{chat.counter}"
    assert sent.txn_id == f"rupn-$cmd{chat.counter}-1"


# A small family declared here to exercise arguments and failures.
@command("essai", help="Commande d'essai.", examples=("essai 3 un sujet",))
async def try_command(ctx, count: Number, subject: Text | None = None):
    if count == 13:
        raise RuntimeError("boom")
    if count == 7:
        raise BadArgument("Le 7 est complet.", example="essai 8")
    if count == 12:
        raise CommandError("Le créneau n° 12 est complet.")
    if count == 21:
        ctx.require_owner_or(
            "referent", owner=PRINCIPAL, owner_label="son auteur", action="le modifier"
        )
    if count == 22:
        ctx.require_role("principal", scope="ici")
    await ctx.send(ctx.renderer.from_markdown(f"ok {count} {subject}"))


@try_command.sub("vider", role="referent", help="Vide tout.")
async def try_clear(ctx):
    await ctx.send(ctx.renderer.from_markdown("vidé"))


@pytest.fixture
def trial(chat):
    chat.registry = Registry([try_command])
    return chat


async def test_arguments_are_converted(trial):
    assert (await trial.say(TEACHER, "!essai 3 un  sujet")).body == "ok 3 un  sujet"
    assert (await trial.say(TEACHER, "!essai 4")).body == "ok 4 None"


async def test_bad_argument_gets_sentence_usage_and_example(trial):
    reply = await trial.say(TEACHER, "!essai abc")
    assert reply.body.splitlines() == [
        "« abc » n'est pas un numéro.",
        "Par exemple : `!essai 3 un sujet`",
    ]
    assert "Précisez le numéro." in (await trial.say(TEACHER, "!essai")).body
    assert "Par exemple : `!essai 8`" in (await trial.say(TEACHER, "!essai 7")).body
    assert "n'existe pas" in (await trial.say(TEACHER, "!essai 99999999999999")).body


async def test_a_refusal_is_one_sentence_without_usage_line(trial):
    reply = await trial.say(TEACHER, "!essai 12")
    assert reply.body == "Le créneau n° 12 est complet."
    assert trial.outcome is Outcome.REFUSED


async def test_not_allowed_says_who_may(trial):
    reply = await trial.say(TEACHER, "!essai 21")
    assert reply.body == "Seuls son auteur et les référents numériques peuvent le modifier."
    assert trial.outcome is Outcome.FORBIDDEN
    for allowed in (PRINCIPAL, REFERENT):  # the owner, a referent
        assert (await trial.say(allowed, "!essai 21")).body == "ok 21 None"
    reply = await trial.say(REFERENT, "!essai 22")
    assert reply.body == "La commande `!essai` est réservée à la direction ici."
    assert trial.outcome is Outcome.FORBIDDEN
    assert (await trial.say(PRINCIPAL, "!essai 22")).body == "ok 22 None"


def test_not_allowed_with_an_owner_says_what_they_may_do():
    with pytest.raises(TypeError):
        NotAllowed([], owner_label="son auteur")


async def test_sub_commands_have_their_own_role(trial):
    assert "réservée aux référents" in (await trial.say(TEACHER, "!essai vider")).body
    assert (await trial.say(REFERENT, "!essai VIDER")).body == "vidé"


async def test_handler_crash_is_logged_and_answered_politely(trial, caplog):
    with caplog.at_level(logging.ERROR):
        reply = await trial.say(TEACHER, "!essai 13")
    assert "a rencontré un problème de mon côté" in reply.body
    assert "Traceback" not in reply.body and "boom" not in reply.body
    assert "boom" in caplog.text and "command essai failed" in caplog.text


def test_examples_are_written_without_the_prefix():
    with pytest.raises(ValueError, match="starts with a prefix"):

        @command("autre", help="x", examples=("!autre",))
        async def other(ctx):
            pass


def test_registry_refuses_a_name_declared_twice():
    @command("essai", help="x")
    async def other(ctx):
        pass

    with pytest.raises(ValueError, match="declared twice"):
        Registry([try_command, other])


def test_usage_is_built_from_the_signature():
    assert try_command.usage("!") == "!essai <numéro> [texte]"
    assert try_clear.usage("?") == "?essai vider"
    assert parse_invocation(Registry([try_command]), "!", "!essai vider").spec is try_clear


@command("rdv", help="Prend un rendez-vous.", examples=("rdv mardi 12h30",))
async def appointment(ctx, when: When, subject: Text | None = None):
    await ctx.send(ctx.renderer.from_markdown(f"{when.isoformat()} {subject}"))


async def test_dates_take_as_many_words_as_they_need(chat):
    chat.registry = Registry([appointment])
    reply = await chat.say(TEACHER, "!rdv mardi 12h30 tableau numérique")
    assert reply.body == "2026-11-24T12:30:00+01:00 tableau numérique"
    reply = await chat.say(TEACHER, "!rdv le 3 décembre à 12h")
    assert reply.body == "2026-12-03T12:00:00+01:00 None"
    reply = await chat.say(TEACHER, "!rdv mercredi 25h")
    assert reply.body.splitlines()[0] == ("Je ne comprends pas la date « mercredi 25h ».")
    assert "Par exemple : `!rdv mardi 12h30`" in reply.body


async def test_aide_lists_sub_commands_by_role(chat):
    teacher = (await chat.say(TEACHER, "!aide")).body
    referent = (await chat.say(REFERENT, "!aide")).body
    assert "`!permanence réserver <numéro ou date> [sujet]`" in teacher
    assert "!permanence ouvrir" not in teacher and "!permanence fermer" not in teacher
    assert "`!permanence ouvrir <jour> <heure> [durée] [places] [salle]`" in referent
    assert teacher.count("!permanence réserver") == 1  # once, not once per alias
