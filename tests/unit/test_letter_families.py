"""The real newsletter and digest gather what every family contributes."""

from datetime import datetime

from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER

ACTIVITY = [
    (REFERENT, "!permanence ouvrir mercredi 12h30 B12"),
    # An internal address: the title is not fetched (no connection), the link is kept.
    (REFERENT, "!veille http://localhost/ressources/capsules Capsules vidéo #creation"),
    (TEACHER, "!formation Créer des capsules vidéo avec mes élèves"),
    (REFERENT, "!formation planifier 1 jeudi 3 décembre 12h30 CDI"),
    (TEACHER, "!formation Sécuriser les comptes ENT"),
    (REFERENT, "!enquete ouvrir https://enquetes.example.org/rupn 15/12 Usages du numérique"),
    (TEACHER, "!panne vidéoprojecteur salle 12 ne s'allume pas"),
    (TEACHER, "!panne ticket 1 GLPI-4521"),
    (REFERENT, "!fiche ajouter wifi-cdi Le code du wifi est affiché au CDI."),
    (TEACHER, "!fiche wifi-cdi"),
    (TEACHER, "!projet 4e B histoire Podcast sur la Révolution #podcast"),
]


async def run(chat):
    for sender, text in ACTIVITY:
        await chat.say(sender, text)


async def test_the_letter_has_a_section_from_each_family(chat):
    await run(chat)
    letter = (await chat.say(REFERENT, "!lettre aperçu")).body
    assert "**Nouveau dans la veille**\n- http://localhost/ressources/capsules — Capsules" in letter
    assert "- n° 1 : mercredi 25 novembre à 12 h 30, salle B12 — 5 places libres" in letter
    assert "- jeudi 3 décembre à 12 h 30, au CDI : Créer des capsules vidéo" in letter
    assert "- n° 2 Sécuriser les comptes ENT — 1 soutien" in letter
    assert "Usages du numérique (https://enquetes.example.org/rupn)" in letter
    assert "- `!fiche wifi-cdi` (nouvelle) : Le code du wifi est affiché au CDI." in letter
    assert "- 4e B, histoire-géographie : Podcast sur la Révolution (#podcast)" in letter


async def test_the_digest_counts_each_family_without_names(chat):
    await run(chat)
    await chat.say(PRINCIPAL, "!synthese", now=datetime(2026, 11, 30, 18, tzinfo=PARIS))
    (digest,) = [m for m in chat.messenger_outbox() if m.dm_user == PRINCIPAL and not m.filename]
    for line in (
        "**Liens de veille partagés** : 1",
        "**Besoins de formation exprimés** : 2",
        "**Pannes signalées** : 1",
        "**Tickets encore ouverts en fin de mois** : 1",
        "**Permanences numériques tenues** : 1",
        "**Fiches réponses écrites ou mises à jour** : 1",
        "**Fiches réponses consultées** : 1",
        "**Projets de classe avec le numérique recensés** : 1",
    ):
        assert line in digest.body
    assert "@" not in digest.body and "Créer des capsules" not in digest.body


async def test_a_need_late_on_the_last_evening_counts_in_its_own_month(chat):
    from commands.formation import needs_by_theme

    late = datetime(2026, 11, 30, 23, 30, tzinfo=PARIS)  # 22:30 UTC, still November in Paris
    await chat.say(TEACHER, "!formation Utiliser la classe virtuelle", now=late)
    school = chat.config.establishments[0]
    november = (datetime(2026, 11, 1, tzinfo=PARIS), datetime(2026, 12, 1, tzinfo=PARIS))
    december = (datetime(2026, 12, 1, tzinfo=PARIS), datetime(2027, 1, 1, tzinfo=PARIS))
    assert sum(needs_by_theme(chat.db, school, *november).values()) == 1
    assert needs_by_theme(chat.db, school, *december) == {}


async def test_what_happens_at_midnight_counts_in_one_month_only(chat):
    # Months are [start, end): an item at 0:00 on 1 December is December's, and the
    # months of a figure add up to its total over the term.
    midnight = datetime(2026, 12, 1, tzinfo=PARIS)
    for sender, text in [*ACTIVITY, (TEACHER, "!enquete fait 1")]:
        await chat.say(sender, text, now=midnight)
    school = chat.config.establishments[0]
    november = (datetime(2026, 11, 1, tzinfo=PARIS), midnight)
    december = (midnight, datetime(2027, 1, 1, tzinfo=PARIS))
    term = (datetime(2026, 9, 1, tzinfo=PARIS), datetime(2027, 1, 1, tzinfo=PARIS))
    counted = {}
    for figure in chat.registry.figures:
        values = [
            sum(v.values()) if isinstance(v, dict) else v
            for v in figure.over(chat.db, school, [november, december, term])
        ]
        counted[figure.name] = values
    assert counted.pop("tickets") == [0, 1, 1]  # still open at the end of December
    assert counted == {
        "permanences": [0, 3, 3],  # weekly from 2 December, none in the holidays
        "places": [0, 0, 0],
        "besoins": [0, 2, 2],
        "sessions": [0, 1, 1],
        "veille": [0, 1, 1],
        "pannes": [0, 1, 1],
        "enquetes": [0, 1, 1],
        "fiches": [0, 1, 1],
        "fiches_lues": [0, 1, 1],
        "projets": [0, 1, 1],
    }
