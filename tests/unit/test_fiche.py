"""!fiche through the real dispatcher: answer sheets written by referents, read by everyone."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

import pytest

from bot.core.dispatcher import Outcome
from bot.core.scheduler import Scheduler
from commands.fiche import MAX_SHEET_CHARS
from commands.lettre import weekly_letter
from storage import donnees, oubli
from storage.fiche import add_sheet, remove_sheet, rewrite_sheet, search_sheets, sheet_named
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read

VPI = (
    "!fiche ajouter vpi-connexion Connecter le vidéoprojecteur au portable\n"
    "1. Câble HDMI branché des deux côtés.\n\n\n\n"
    "2. Touche « Source » jusqu'à HDMI ; sinon Windows + P, puis « Dupliquer »."
)
WIFI = "!fiche ajouter wifi-cdi Le code du wifi est affiché au CDI, près de l'entrée."


def snapshot(db) -> dict[str, list]:
    """Every row of the family's tables, to prove a refused command wrote nothing."""
    return {
        t: db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
        for t in ("answer_sheets", "answer_sheet_changes", "answer_sheet_reads")
    }


async def expect_refusal(chat, sender: str, text: str, outcome=Outcome.REJECTED) -> str:
    before = snapshot(chat.db)
    reply = await chat.say(sender, text)
    assert chat.outcome is outcome, (text, reply.body)
    assert snapshot(chat.db) == before
    return reply.body


async def test_a_referent_writes_a_sheet_and_everyone_reads_it(chat):
    added = await chat.say(REFERENT, VPI)
    assert added.body == (
        "Fiche `vpi-connexion` enregistrée : « Connecter le vidéoprojecteur au portable »."
        " Tout le monde la lit avec `!fiche vpi-connexion` ; elle figurera dans la prochaine"
        " lettre d'information."
    )
    shown = await chat.say(TEACHER, "!fiche vpi-connexion")
    assert shown.body == (
        "**Fiche vpi-connexion**\n\n"
        "Connecter le vidéoprojecteur au portable\n"
        "1. Câble HDMI branché des deux côtés.\n\n"
        "2. Touche « Source » jusqu'à HDMI ; sinon Windows + P, puis « Dupliquer ».\n\n"
        "*Écrite le lundi 23 novembre 2026. Toutes les fiches : `!fiche`.*"
    )
    # Line breaks kept, and « 1. » stays text: no list is made of what was typed.
    assert "portable<br />\n1. Câble" in shown.html and "<ol>" not in shown.html


@pytest.mark.parametrize("asked", ["VPI-Connexion", "vpi connexion", "Vpi Connéxion"])
async def test_a_sheet_is_found_by_its_name_whatever_the_case_and_accents(chat, asked):
    await chat.say(REFERENT, VPI)
    shown = await chat.say(TEACHER, f"!fiche {asked}")
    assert shown.body.startswith("**Fiche vpi-connexion**")


async def test_the_list_gives_each_name_and_first_line(chat):
    empty = await chat.say(TEACHER, "!fiche")
    assert empty.body.startswith("Il n'y a encore aucune fiche réponse au collège Test.")
    await chat.say(REFERENT, WIFI)
    await chat.say(REFERENT, VPI)
    listing = await chat.say(TEACHER, "!fiches")
    assert listing.body.startswith(
        "**Fiches réponses du collège Test**\n"
        "- `vpi-connexion` : Connecter le vidéoprojecteur au portable\n"
        "- `wifi-cdi` : Le code du wifi est affiché au CDI, près de l'entrée."
    )


@pytest.mark.parametrize(
    "words", ["video projecteur", "VIDÉOPROJECTEUR", "videoproj", "hdmi dupliquer", "connexion"]
)
async def test_search_ignores_accents_and_case(chat, words):
    await chat.say(REFERENT, VPI)
    await chat.say(REFERENT, WIFI)
    for line in (f"!fiche cherche {words}", f"!fiche {words}"):
        found = await chat.say(TEACHER, line)
        assert found.body.startswith("**Fiches : 1 pour «"), (line, found.body)
        assert "- `vpi-connexion` : Connecter le vidéoprojecteur au portable" in found.body


async def test_a_search_that_finds_nothing_says_so(chat):
    await chat.say(REFERENT, VPI)
    found = await chat.say(TEACHER, "!fiche cherche imprimante")
    assert (
        found.body == "Aucune fiche ne correspond à « imprimante ». Toutes les fiches : `!fiche`."
    )
    assert "Indiquez au moins un mot" in await expect_refusal(chat, TEACHER, "!fiche cherche ...")


async def test_user_text_is_shown_as_text(chat):
    await chat.say(REFERENT, "!fiche ajouter piege **gras** @room <script>x</script> [a](http://x)")
    shown = await chat.say(TEACHER, "!fiche piege")
    assert "**gras** @\u2060room <script>x</script> [a](http://x)" in shown.body
    assert "<script" not in shown.html and "<strong>gras" not in shown.html
    assert 'href="http://x"' not in shown.html


async def test_a_name_already_used_is_refused_with_the_way_to_change_it(chat):
    await chat.say(REFERENT, VPI)
    body = await expect_refusal(
        chat, REFERENT, "!fiche ajouter vpi-connexion autre texte", Outcome.REFUSED
    )
    assert body == (
        "Il y a déjà une fiche « vpi-connexion ». Pour changer son texte :"
        " « !fiche modifier vpi-connexion » suivi du nouveau texte."
    )


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("!fiche ajouter vpi_connexion texte", "« vpi-connexion », par exemple"),
        ("!fiche ajouter vpi--connexion texte", "ne peut pas servir de nom"),
        ("!fiche ajouter cherche un texte", "« cherche » est un mot de la commande"),
        ("!fiche ajouter nouvelle un texte", "« nouvelle » est un mot de la commande"),
        (f"!fiche ajouter {'a' * 41} texte", "Ce nom est trop long (41 caractères, 40 au plus)."),
        ("!fiche ajouter vpi-connexion", "Précisez le texte de la fiche."),
        ("!fiche ajouter vpi-connexion ...", "Écrivez la réponse en quelques mots au moins."),
        ("!fiche ajouter", "Précisez le nom de la fiche (par exemple : vpi-connexion)."),
        (
            f"!fiche ajouter long {'mot ' * 600}",
            f"Le texte est trop long (2399 caractères, {MAX_SHEET_CHARS} au plus)",
        ),
        ("!fiche modifier inconnue texte", "Il n'y a pas de fiche « inconnue »"),
        ("!fiche retirer inconnue", "Il n'y a pas de fiche « inconnue »"),
    ],
)
async def test_bad_arguments_are_explained_and_change_nothing(chat, line, said):
    await chat.say(REFERENT, VPI)
    body = await expect_refusal(chat, REFERENT, line)
    assert said in body
    assert "\nPar exemple : `!fiche" in body


@pytest.mark.parametrize(
    "line", [VPI, "!fiche modifier vpi-connexion texte", "!fiche retirer vpi-connexion"]
)
@pytest.mark.parametrize("who", [TEACHER, PRINCIPAL])
async def test_only_referents_write(chat, line, who):
    if line != VPI:
        await chat.say(REFERENT, VPI)
    body = await expect_refusal(chat, who, line, Outcome.FORBIDDEN)
    assert "est réservée aux référents numériques." in body


async def test_a_sheet_is_rewritten_then_removed(chat):
    await chat.say(REFERENT, VPI)
    later = chat.now + timedelta(days=2)
    changed = await chat.say(
        REFERENT, "!fiche modifier vpi-connexion Câble HDMI, puis Source.", now=later
    )
    assert changed.body.startswith("Fiche `vpi-connexion` mise à jour")
    shown = await chat.say(TEACHER, "!fiche vpi-connexion")
    assert "Câble HDMI, puis Source." in shown.body
    assert "*Mise à jour le mercredi 25 novembre 2026." in shown.body
    same = await expect_refusal(
        chat, REFERENT, "!fiche modifier vpi-connexion Câble HDMI, puis Source.", Outcome.REFUSED
    )
    assert same == "La fiche « vpi-connexion » a déjà ce texte : rien n'a changé."
    removed = await chat.say(REFERENT, "!fiche retirer vpi-connexion")
    assert removed.body == "La fiche `vpi-connexion` est retirée."
    assert sheet_named(chat.db, "clg-test", "vpi-connexion") is None
    assert (await chat.say(TEACHER, "!fiche vpi-connexion")).body.startswith("Aucune fiche")


async def test_a_rewritten_sheet_is_found_by_its_new_words_only(chat):
    await chat.say(REFERENT, VPI)
    await chat.say(REFERENT, "!fiche modifier vpi-connexion Brancher le câble VGA, puis Source.")
    found = await chat.say(TEACHER, "!fiche cherche cable vga")
    assert "- `vpi-connexion` : Brancher le câble VGA, puis Source." in found.body
    gone = await chat.say(TEACHER, "!fiche cherche dupliquer")
    assert gone.body.startswith("Aucune fiche ne correspond à « dupliquer ».")


def test_searches_find_the_current_texts_after_many_changes(db):
    # Each change merges a little of the search index (migration 0043): after
    # hundreds of them, every word finds exactly the sheets whose text holds it.
    rng = random.Random(43)
    words = ["cable", "ecran", "souris", "clavier", "imprimante", "tablette", "reseau", "stylet"]
    now = datetime(2026, 11, 23, 10, tzinfo=PARIS)
    sheets = {}
    for _ in range(400):
        name = f"fiche-{rng.randrange(40)}"
        body = " ".join(rng.sample(words, 3))
        if name not in sheets:
            sheets[name] = add_sheet(
                db, establishment_id="clg-test", name=name, body=body, author=REFERENT, now=now
            )
        elif rng.random() < 0.2:
            remove_sheet(db, sheets.pop(name).id)
        else:
            rewrite_sheet(db, sheets[name], body, REFERENT, now)
            sheets[name] = sheet_named(db, "clg-test", name)
    for word in words:
        expected = {name for name, sheet in sheets.items() if word in sheet.body.split()}
        assert {s.name for s in search_sheets(db, "clg-test", word, limit=50)} == expected
    db.execute("INSERT INTO answer_sheets_fts (answer_sheets_fts) VALUES ('integrity-check')")


async def test_a_breakdown_points_to_the_sheets_on_its_equipment_first(chat):
    await chat.say(REFERENT, VPI)
    await chat.say(REFERENT, WIFI)
    reply = await chat.say(TEACHER, "!panne le vidéoprojecteur de la salle 12 ne s'allume pas")
    assert reply.body.startswith(
        "Panne n° 1 notée (vidéoprojecteur ou tableau interactif). Fiches qui peuvent aider :"
        " `!fiche vpi-connexion` (Connecter le vidéoprojecteur au portable).\n\n"
        "Sinon, avant le ticket, quelques vérifications rapides :\n\n1. Courant"
    )
    other = await chat.say(TEACHER, "!panne l'imprimante du CDI bourre")
    assert other.body.startswith(
        "Panne n° 2 notée (imprimante ou copieur). Avant le ticket, quelques vérifications"
        " rapides :\n\n1. Imprimante"
    )


async def test_a_breakdown_points_to_the_three_sheets_naming_its_equipment_most(chat):
    for line in (
        "!fiche ajouter cables Le câble HDMI du vidéoprojecteur se range dans le tiroir.",
        "!fiche ajouter vpi-lampe La lampe s'use : prévenir le référent.",  # « vpi »: x3
        "!fiche ajouter projection Vidéoprojecteur ou projecteur : le vidéoprojecteur d'abord.",
        "!fiche ajouter ecran Un tableau interactif : touche Source.",
        WIFI,
    ):
        await chat.say(REFERENT, line)
    reply = await chat.say(TEACHER, "!panne le vidéoprojecteur de la salle 12 ne s'allume pas")
    # Three places each, the shorter first; then one place each, the shorter first.
    assert re.findall(r"`!fiche ([a-z-]+)`", reply.body) == ["vpi-lampe", "projection", "ecran"]


async def test_a_sheet_appears_in_one_letter_and_again_once_rewritten(chat, config, renderer):
    await chat.say(REFERENT, VPI)
    await chat.say(REFERENT, WIFI)
    await chat.say(REFERENT, "!fiche retirer wifi-cdi")
    assert await chat.say(REFERENT, "!lettre envoyer") is None
    (first,) = queued_as_read(chat.db)
    assert (
        "**Fiches réponses**\n"
        "- `!fiche vpi-connexion` (nouvelle) : Connecter le vidéoprojecteur au portable"
    ) in first.body
    assert "wifi-cdi" not in first.body
    # Nothing new since: the Friday letter does not repeat the sheet.
    friday = datetime(2026, 11, 27, 16, tzinfo=PARIS)
    scheduler = Scheduler([weekly_letter], config, chat.db, renderer, lambda: friday,
                          registry=chat.registry)  # fmt: skip
    assert await scheduler.run(weekly_letter, config.establishments[0]) == 0
    # Rewritten twice before the next letter: shown once more, in its latest version.
    for text in ("Câble HDMI.", "Câble HDMI, puis Source."):
        await chat.say(REFERENT, f"!fiche modifier vpi-connexion {text}", now=friday)
    week_after = datetime(2026, 12, 4, 16, tzinfo=PARIS)
    scheduler = Scheduler([weekly_letter], config, chat.db, renderer, lambda: week_after,
                          registry=chat.registry)  # fmt: skip
    assert await scheduler.run(weekly_letter, config.establishments[0]) == 1
    second = queued_as_read(chat.db)[-1]
    assert "- `!fiche vpi-connexion` (mise à jour) : Câble HDMI, puis Source." in second.body
    assert second.body.count("vpi-connexion") == 1


async def test_the_digest_counts_sheets_written_and_read_without_names(chat):
    await chat.say(REFERENT, VPI)
    await chat.say(REFERENT, "!fiche modifier vpi-connexion Câble HDMI.")
    for _ in range(3):
        await chat.say(TEACHER, "!fiche vpi-connexion")
    await chat.say(TEACHER, "!fiche cherche hdmi")  # a search is not a reading
    await chat.say(PRINCIPAL, "!synthese", now=chat.now + timedelta(hours=1))
    (digest,) = [m for m in chat.messenger_outbox() if m.dm_user == PRINCIPAL]
    assert "**Fiches réponses écrites ou mises à jour** : 2" in digest.body
    assert "**Fiches réponses consultées** : 3" in digest.body


async def test_the_activity_report_counts_the_sheets(chat):
    await chat.say(REFERENT, VPI)
    await chat.say(TEACHER, "!fiche vpi-connexion")
    await chat.say(REFERENT, "!bilan", now=chat.now + timedelta(hours=1))
    report = next(
        s.data.decode() for s in chat.messenger.sent if (s.filename or "").endswith(".md")
    )
    assert "| Fiches réponses écrites ou mises à jour | 1 |" in report
    assert "| Fiches réponses consultées | 1 |" in report


async def test_the_author_is_exported_and_forgotten_the_sheet_stays(chat):
    await chat.say(REFERENT, VPI)
    exported = donnees.export_user(chat.db, REFERENT)
    (row,) = exported["answer_sheets.author"]
    assert row["name"] == "vpi-connexion" and row["updated_by"] is None
    oubli.forget_user(chat.db, REFERENT)
    sheet = sheet_named(chat.db, "clg-test", "vpi-connexion")
    assert sheet.author.startswith("anonyme-") and "vidéoprojecteur" in sheet.body
    assert donnees.export_user(chat.db, REFERENT) == {}
    # The text is the establishment's: it is still found.
    assert [s.name for s in search_sheets(chat.db, "clg-test", "videoprojecteur")] == [
        "vpi-connexion"
    ]
