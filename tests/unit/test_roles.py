"""Roles given by command: the direction and the academy's team name referents and
principals with ``!etablissement``, effective at the next command, with a history."""

from __future__ import annotations

import copy

import pytest

from bot.core.config import parse_config
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.roles import Role, role_of
from bot.core.scheduler import Scheduler
from storage.donnees import export_user
from storage.establishments import members, sync_establishments
from storage.oubli import forget_user, purge_before
from storage.outbox import mark_sent
from storage.roles import granted_role, role_history
from tests.conftest import MINIMAL_CONFIG, PRINCIPAL, REFERENT, TEACHER

PROF2 = "@prof2:localhost"
ADMIN = "@dane:localhost"
PRIVATE_ROOM = "!prive:localhost"


@pytest.fixture
def with_admin(chat, tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["bot"]["admins"] = [ADMIN]
    raw["establishment"].append(dict(raw["establishment"][0], id="lyc-autre", room="!autre:l",
                                     name="Lycée Autre", referents=["@ref-autre:localhost"],
                                     principals=["@dir-autre:localhost"]))  # fmt: skip
    chat.config = parse_config(raw, tmp_path)
    sync_establishments(chat.db, chat.config.establishments, chat.now)
    return chat


def written(chat) -> list:
    return chat.db.execute("SELECT * FROM role_grants").fetchall()


async def test_a_principal_makes_a_teacher_referent_who_may_open_a_permanence_at_once(chat):
    refused = await chat.say(PROF2, "!permanence ouvrir mardi 12h30 4 places B12")
    assert chat.outcome is Outcome.FORBIDDEN, refused.body

    reply = await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    assert chat.outcome is Outcome.DONE
    assert reply.body.startswith(f"✅ {PROF2} fait désormais partie des référents numériques")
    assert PROF2 in reply.mentions  # they are told, in the establishment's room
    assert chat.messenger.sent[-1].room_id == chat.config.establishments[0].room

    opened = await chat.say(PROF2, "!permanence ouvrir mardi 12h30 4 places B12")
    assert chat.outcome is Outcome.DONE, opened.body
    assert members(chat.db, "clg-test", "referent") == sorted([REFERENT, PROF2])

    history = await chat.say(PRINCIPAL, "!etablissement historique")
    assert f"{PRINCIPAL} a ajouté {PROF2} aux référents numériques" in history.body
    assert "23 novembre 2026 à 9 h" in history.body

    status = await chat.say(PRINCIPAL, "!statut")
    assert f"Référents : {REFERENT} (configuration), {PROF2} (ajouté par {PRINCIPAL} le" in (
        status.body
    )


async def test_a_teacher_and_a_referent_cannot_give_a_role(chat):
    for person in (TEACHER, REFERENT):
        reply = await chat.say(person, f"!etablissement referent ajouter {PROF2}")
        assert chat.outcome is Outcome.FORBIDDEN
        assert "réservée à la direction" in reply.body
        await chat.say(person, "!etablissement historique")
        assert chat.outcome is Outcome.FORBIDDEN
    assert written(chat) == []
    assert role_of(chat.config.establishments[0], chat.config, PROF2, chat.db) is Role.TEACHER


async def test_withdrawing_a_role_is_effective_at_once_and_kept_in_the_history(chat):
    await chat.say(PRINCIPAL, f"!etablissement référent ajouter {PROF2}")
    reply = await chat.say(PRINCIPAL, f"!etablissement referent retirer {PROF2}")
    assert reply.body.startswith(f"{PROF2} ne fait plus partie des référents numériques")
    await chat.say(PROF2, "!permanence ouvrir mardi 12h30")
    assert chat.outcome is Outcome.FORBIDDEN
    assert members(chat.db, "clg-test", "referent") == [REFERENT]

    again = await chat.say(PRINCIPAL, f"!etablissement referent retirer {PROF2}")
    assert chat.outcome is Outcome.REFUSED
    assert "ne fait pas partie des référents numériques du collège Test : rien à retirer" in (
        again.body
    )
    changes, total = role_history(chat.db, "clg-test")
    assert total == 2
    assert [(c.granted, c.by) for c in changes] == [(False, PRINCIPAL), (True, PRINCIPAL)]


async def test_a_role_from_the_configuration_is_not_withdrawn_by_command(chat):
    reply = await chat.say(PRINCIPAL, f"!etablissement referent retirer {REFERENT}")
    assert chat.outcome is Outcome.REFUSED
    assert (
        f"Le rôle de {REFERENT} vient de la configuration : seul l'administrateur du bot"
        " peut le retirer." in reply.body
    )
    already = await chat.say(PRINCIPAL, f"!etablissement referent ajouter {REFERENT}")
    assert "fait déjà partie des référents numériques du collège Test" in already.body
    assert written(chat) == []


async def test_one_role_given_by_command_at_a_time(chat):
    await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    same = await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    assert chat.outcome is Outcome.REFUSED
    assert "depuis le 23 novembre 2026" in same.body
    other = await chat.say(PRINCIPAL, f"!etablissement direction ajouter {PROF2}")
    assert chat.outcome is Outcome.REFUSED
    assert f"« !etablissement referent retirer {PROF2} »" in other.body
    assert granted_role(chat.db, "clg-test", PROF2) == "referent"


@pytest.mark.parametrize(
    "typed",
    ["prof2", "@prof2", "prof2:localhost", "@Prof 2:localhost", "@room", "<b>@x:y</b>", "@é:x"],
)
async def test_a_bad_address_gets_a_french_error_with_an_example(chat, typed):
    reply = await chat.say(PRINCIPAL, f"!etablissement referent ajouter {typed}")
    assert chat.outcome is Outcome.REJECTED
    assert "n'est pas une adresse Matrix" in reply.body
    assert "!etablissement referent ajouter @prenom.nom:localhost" in reply.body
    assert written(chat) == []


async def test_addresses_are_read_as_written_or_as_links(chat):
    await chat.say(
        PRINCIPAL, "!etablissement direction ajouter https://matrix.to/#/@Prof2:localhost"
    )
    assert granted_role(chat.db, "clg-test", PROF2) == "principal"
    reply = await chat.say(PRINCIPAL, "!etablissement direction nommer x")
    assert "n'est pas une adresse Matrix" in reply.body
    reply = await chat.say(PRINCIPAL, f"!etablissement direction promouvoir {PROF2}")
    assert "dites « ajouter » ou « retirer »" in reply.body


async def test_a_principal_made_by_command_may_name_referents_too(chat):
    await chat.say(PRINCIPAL, f"!etablissement direction ajouter {PROF2}")
    await chat.say(PROF2, f"!etablissement referent ajouter {TEACHER}")
    assert chat.outcome is Outcome.DONE
    assert granted_role(chat.db, "clg-test", TEACHER) == "referent"


async def test_admins_act_for_any_establishment_and_principals_for_their_own(with_admin):
    chat = with_admin
    other = chat.config.establishments[1]
    ctx = chat.context(PRINCIPAL, "$ailleurs", establishment=other, room_id=other.room)
    await Dispatcher(chat.registry).handle(ctx, f"!etablissement referent ajouter {PROF2}")
    assert granted_role(chat.db, other.id, PROF2) is None

    ctx = chat.context(ADMIN, "$dane", establishment=other, room_id=other.room)
    await Dispatcher(chat.registry).handle(ctx, f"!etablissement referent ajouter {PROF2}")
    assert granted_role(chat.db, other.id, PROF2) == "referent"
    assert role_of(other, chat.config, PROF2, chat.db) is Role.REFERENT
    # Only there: in the first establishment, PROF2 is still a teacher.
    assert role_of(chat.config.establishments[0], chat.config, PROF2, chat.db) is Role.TEACHER

    refused = await chat.say(PRINCIPAL, f"!etablissement direction ajouter {ADMIN}")
    assert "fait partie de l'équipe académique" in refused.body


async def test_in_private_the_establishment_must_be_chosen_first(with_admin):
    chat = with_admin
    first, second = chat.config.establishments

    async def privately(body, establishment):
        chat.counter += 1
        ctx = chat.context(ADMIN, f"$prive{chat.counter}", establishment=establishment,
                           room_id=PRIVATE_ROOM, shared_room_id=establishment.room,
                           choices=(first, second))  # fmt: skip
        await Dispatcher(chat.registry).handle(ctx, body)
        return chat.messenger.sent[-1]

    # Not chosen yet: the inbox hands !etablissement the first one; nothing is done.
    asked = await privately(f"!etablissement referent ajouter {PROF2}", first)
    assert asked.message.body.startswith("Vous êtes membre de plusieurs établissements")
    assert written(chat) == []

    await privately("!etablissement 2", first)
    await privately(f"!etablissement referent ajouter {PROF2}", second)
    assert granted_role(chat.db, second.id, PROF2) == "referent"
    # Announced in the establishment's room, and answered in private.
    rooms = [s.room_id for s in chat.messenger.sent[-2:]]
    assert rooms == [second.room, PRIVATE_ROOM]


async def test_roles_lists_everyone_with_where_the_role_comes_from(chat):
    await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    listing = await chat.say(TEACHER, "!etablissement roles")
    assert chat.outcome is Outcome.DONE
    body = listing.body
    assert f"- {REFERENT} : configuration" in body
    assert f"- {PROF2} : ajouté par {PRINCIPAL} le 23 novembre 2026" in body
    assert f"Direction :\n- {PRINCIPAL} : configuration" in body
    assert "La direction de l'établissement ajoute ou retire" in body
    assert listing.mentions == ()  # a listing rings for nobody
    for_direction = await chat.say(PRINCIPAL, "!etablissement rôles")
    assert "!etablissement referent ajouter @adresse:serveur" in for_direction.body


async def test_an_empty_history_says_where_the_roles_come_from(chat):
    reply = await chat.say(PRINCIPAL, "!etablissement historique")
    assert reply.body.startswith("Aucun rôle n'a encore été ajouté ni retiré par commande")


async def test_the_existing_choice_of_establishment_is_unchanged(chat):
    reply = await chat.say(TEACHER, "!etablissement")
    assert reply.body.startswith("Ici, vos commandes agissent pour")


async def test_a_restart_keeps_the_roles_given_by_command(chat):
    await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    await chat.say(PRINCIPAL, f"!etablissement direction ajouter {TEACHER}")
    await chat.say(PRINCIPAL, f"!etablissement direction retirer {TEACHER}")
    sync_establishments(chat.db, chat.config.establishments, chat.now)
    assert members(chat.db, "clg-test", "referent") == sorted([REFERENT, PROF2])
    assert TEACHER not in members(chat.db, "clg-test", "principal")


async def test_forgetting_the_person_removes_their_role_and_the_giver_becomes_anonymous(chat):
    await chat.say(PRINCIPAL, f"!etablissement direction ajouter {TEACHER}")
    await chat.say(TEACHER, f"!etablissement referent ajouter {PROF2}")
    assert set(export_user(chat.db, PROF2)) >= {"role_grants.user_id"}

    forget_user(chat.db, TEACHER)
    assert granted_role(chat.db, "clg-test", TEACHER) is None
    assert granted_role(chat.db, "clg-test", PROF2) == "referent"  # still holds
    history = await chat.say(PRINCIPAL, "!etablissement historique")
    assert f"anonyme a ajouté {PROF2} aux référents numériques" in history.body
    assert TEACHER not in history.body


async def test_the_purge_deletes_only_roles_withdrawn_long_ago(chat):
    await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    await chat.say(PRINCIPAL, f"!etablissement direction ajouter {TEACHER}")
    await chat.say(PRINCIPAL, f"!etablissement direction retirer {TEACHER}")
    purge_before(chat.db, chat.now.replace(year=2027))
    assert [row[2] for row in written(chat)] == [PROF2]
    assert granted_role(chat.db, "clg-test", PROF2) == "referent"


async def test_a_principal_added_by_command_gets_the_monthly_digest(chat):
    from commands.lettre import monthly_digest
    from tests.support.reading import queued_as_read

    await chat.say(PRINCIPAL, f"!etablissement direction ajouter {PROF2}")
    for sent in queued_as_read(chat.db):  # the announcement in the room, already seen
        mark_sent(chat.db, sent.id, "$sent", chat.now)
    first_of_december = chat.now.replace(month=12, day=1, hour=8)
    scheduler = Scheduler(
        [monthly_digest], chat.config, chat.db, chat.renderer, lambda: first_of_december,
        registry=chat.registry,
    )  # fmt: skip
    assert await scheduler.run(monthly_digest, chat.config.establishments[0]) == 2
    assert {m.dm_user for m in queued_as_read(chat.db)} == {PRINCIPAL, PROF2}


async def test_a_referent_added_by_command_may_invite_the_bot(chat):
    from types import SimpleNamespace

    from bot.matrix.rooms import Rooms

    rooms = Rooms(chat.config, chat.db, SimpleNamespace(client=None))
    school = chat.config.establishments[0]
    assert rooms.may_invite(REFERENT, school) and rooms.may_invite(PRINCIPAL, school)
    assert not rooms.may_invite(PROF2, school)
    await chat.say(PRINCIPAL, f"!etablissement referent ajouter {PROF2}")
    assert rooms.may_invite(PROF2, school)
    await chat.say(PRINCIPAL, f"!etablissement referent retirer {PROF2}")
    assert not rooms.may_invite(PROF2, school)
