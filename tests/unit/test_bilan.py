"""!bilan through the real dispatcher: a school year lived by several people, then the report."""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.digest import digest_figure
from bot.core.dispatcher import Outcome
from bot.core.registry import Registry
from bot.toolkit.dates import format_day_fr, format_duration_fr
from bot.toolkit.masking import NAME_MASK, name_masker
from commands import FAMILIES
from storage import bilan, donnees
from storage.establishments import record_member
from storage.formation import record_need
from storage.panne import report_incident, resolve_incident
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import as_read
from tests.unit.test_donnees import MATRIX_ID

PROF2 = "@prof2:localhost"
PROF3 = "@prof3:localhost"
NAMES = {
    TEACHER: "Paul Durand",
    PROF2: "Claire Martin",
    PROF3: "Ahmed Benali",
    REFERENT: "Sophie Leroy",
    PRINCIPAL: "Jean Moreau",
}
REPORT_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def at(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=PARIS)


# Who did what, when: a term of a school year in a collège.
YEAR = [
    (at(9, 14), REFERENT, "!permanence ouvrir mardi 12h30 45min 3 places B12"),
    (at(9, 14), TEACHER, "!permanence réserver 1 Pronote"),
    (at(9, 14), PROF2, "!permanence réserver 1"),
    (at(9, 14), PROF3, "!permanence réserver 2 les tablettes"),
    (at(9, 20), TEACHER, "!formation Créer des capsules vidéo avec mes élèves"),
    (at(9, 20), PROF2, "!formation +1 1"),
    (at(9, 21), PROF2, "!formation Sécuriser les mots de passe des élèves"),
    (at(9, 22), PROF3, "!formation Utiliser Pronote pour le cahier de textes #communication"),
    (at(10, 1), REFERENT, "!formation planifier 1 jeudi 8 octobre 12h30 CDI"),
    (at(10, 1), REFERENT, "!formation dane 3"),
    (at(10, 5), PROF2, "!panne vidéoprojecteur salle 12 ne s'allume pas"),
    (at(10, 5, 10), PROF2, "!panne ticket 1 GLPI-4521"),
    (at(10, 7), REFERENT, "!panne résolue 1"),
    (at(11, 2), TEACHER, "!panne le wifi ne marche pas en salle 3"),
    (at(11, 3), TEACHER, "!panne résolue 2"),
    (at(11, 10), PROF3, "!panne l'imprimante fait un bourrage papier"),
    (at(11, 10, 11), PROF3, "!panne ticket 3 GLPI-4700"),
    (at(11, 12), REFERENT, "!veille http://localhost/veille/article Pour la classe #ia"),
    (at(11, 13), REFERENT, "!lettre envoyer"),
    (at(11, 2), REFERENT, "!enquete ouvrir https://enquetes.example.org/rupn 15/12 Usages"),
    (at(11, 3), PROF2, "!enquete fait"),
    (at(9, 8), REFERENT, "!objectifs ajouter Former à la vidéo indicateur: sessions>=1"),
    (at(9, 8), PRINCIPAL, "!objectifs ajouter Suivre les pannes, indicateur: pannes_reparees>=80%"),
    (at(9, 9), PRINCIPAL, "!objectifs ajouter Un conseil pédagogique numérique"),
    (at(10, 9), REFERENT, "!objectifs point 1 Session du 8 octobre avec Paul Durand, @prof2:l"),
    (at(10, 9), REFERENT, "!objectifs atteint 1"),
    (at(11, 20), PRINCIPAL, "!objectifs abandonné 3 pas de créneau <script>x</script> | |"),
]  # fmt: skip


async def live_the_term(chat) -> None:
    for person, name in NAMES.items():
        record_member(chat.db, "clg-test", person, "teacher", at(9, 1), display_name=name)
    for now, sender, text in sorted(YEAR, key=lambda item: item[0]):
        await chat.say(sender, text, now=now)
        assert chat.outcome is Outcome.DONE, (text, chat.messenger.last.body)


async def ask_report(chat, text: str = "!bilan", sender: str = REFERENT, now=REPORT_DAY):
    """The reply and the two files (name, text) of a !bilan."""
    sent = len(chat.messenger.sent)
    await chat.say(sender, text, now=now)
    new = chat.messenger.sent[sent:]
    (reply,) = [s.message for s in new if s.message is not None]
    assert chat.outcome is Outcome.DONE, reply.body
    return reply, [(s.filename, as_read(s.data.decode())) for s in new if s.filename]


def table_row(text: str, label: str) -> list[str]:
    """The cells after ``label`` in the Markdown table row that starts with it."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r}")


async def test_the_report_counts_the_year_section_by_section(chat):
    await live_the_term(chat)
    reply, files = await ask_report(chat)
    assert reply.body.startswith(
        "**Compte-rendu d'activités 2026-2027** du collège Test (au lundi 23 novembre 2026)"
    )
    assert (
        "En bref : 4 permanences numériques, 3 besoins de formation (2 traités), 1 session,"
        " 3 pannes, 3 objectifs." in reply.body
    )
    assert [name for name, _ in files] == [
        "bilan-2026-2027-clg-test.md",
        "bilan-2026-2027-clg-test.html",
    ]
    md = files[0][1]
    assert md.startswith("# Compte-rendu d'activités 2026-2027\n")
    assert "du 1er septembre 2026 au 23 novembre 2026 (année en cours)" in md
    # Spreading information.
    assert table_row(md, "Lettres d'information envoyées") == ["1"]
    assert table_row(md, "Liens de veille partagés") == ["1"]
    assert table_row(md, "Enquêtes : réponses déclarées") == ["1"]
    assert table_row(md, "dont « Usages »") == ["1"]
    # Training needs: received, handled, sessions held, by CRCN domain.
    assert table_row(md, "Communication et collaboration") == ["1", "1", "0"]
    assert table_row(md, "Création de contenus") == ["1", "1", "1"]
    assert table_row(md, "Protection et sécurité") == ["1", "0", "0"]
    assert table_row(md, "**Total**") == ["**3**", "**2**", "**1**"]
    assert (
        "Besoins traités : 2 sur 3 (67 %) : 1 avec une session planifiée, 0 clos,"
        " 1 noté pour la DANE." in md
    )
    # Accompaniment: four Tuesdays held by 23 November, three seats of twelve taken.
    assert table_row(md, "Permanences numériques tenues") == ["4"]
    assert table_row(md, "Places réservées en permanence") == ["3"]
    assert table_row(md, "Places offertes") == ["12"]
    assert table_row(md, "Taux de remplissage") == ["25 %"]
    # Steering: the objectives, their indicators and notes.
    assert table_row(md, "1") == [
        "Former à la vidéo",
        "Sessions de formation (au moins 1)",
        "1 / 1 ✅",
        "atteint",
    ]
    assert table_row(md, "2")[2:] == ["67 % / 80 %", "en cours"]
    assert table_row(md, "3")[1:] == ["–", "–", "abandonné"]
    assert "- n° 3, 20 novembre 2026 : pas de créneau \\<script\\>x\\</script\\> \\| \\|" in md
    # Assistance: by category, tickets, repairs in 2 days and 1 day.
    assert table_row(md, "Vidéoprojecteur ou tableau interactif") == ["1"]
    assert table_row(md, "Réseau ou wifi") == ["1"]
    assert table_row(md, "Imprimante ou copieur") == ["1"]
    assert table_row(md, "Pannes signalées") == ["3"]
    assert table_row(md, "Tickets ouverts auprès de la collectivité") == ["2"]
    assert table_row(md, "Pannes réparées") == ["2"]
    assert table_row(md, "Délai médian entre le signalement et la réparation") == ["1,5 jour"]
    assert table_row(md, "Tickets encore ouverts au 23 novembre 2026") == ["1"]
    # Month by month, up to the current month.
    assert table_row(md, "septembre 2026")[:4] == ["3", "3", "3", "0"]
    assert table_row(md, "novembre 2026")[5] == "2"
    assert "décembre 2026" not in md


async def test_a_ticket_open_for_months_counts_once_at_the_end_of_the_year(chat):
    await chat.say(TEACHER, "!panne vidéoprojecteur salle 12 ne s'allume pas", now=at(9, 10))
    await chat.say(TEACHER, "!panne ticket 1 GLPI-4521", now=at(9, 11))
    _, files = await ask_report(chat)
    md = files[0][1]
    # Open at the end of each month: a level, not a count; the year is the last month.
    assert table_row(md, "Tickets encore ouverts au 23 novembre 2026") == ["1"]
    assert [table_row(md, month)[6] for month in ("septembre 2026", "novembre 2026")] == [
        "1",
        "1",
    ]


async def test_the_report_names_nobody(chat):
    await live_the_term(chat)
    _, files = await ask_report(chat, sender=PRINCIPAL)
    for name, text in files:
        assert not MATRIX_ID.search(text), (name, MATRIX_ID.search(text))
        for display_name in NAMES.values():
            for word in display_name.split():
                assert word not in text, (name, word)
        assert "Durand" not in text and "prof2" not in text
    assert files[0][1].count("\\[nom masqué\\]") == 2


async def test_the_html_page_reads_alone_and_escapes_user_text(chat):
    await live_the_term(chat)
    _, files = await ask_report(chat)
    page = files[1][1]
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "<title>Compte-rendu d&#39;activités 2026-2027 : Collège Test</title>" in page
    assert "<style>" in page and "<link" not in page and "<script" not in page
    # A table per section, and the annex.
    assert [h for h in re.findall(r"<h2>(.*?)</h2>", page)] == [
        "1. Diffuser l&#39;information sur le numérique".replace("&#39;", "'"),
        "2. Prendre en compte les besoins de formation",
        "3. Accompagner les collègues dans leurs usages",
        "4. Aider au pilotage : les objectifs de l'année",
        "5. Assistance : les pannes",
        "6. Projets à valoriser",
        "Annexe : mois par mois",
    ]
    assert page.count("<table>") == 7
    assert "pas de créneau &lt;script&gt;x&lt;/script&gt; | |</li>" in page
    assert '<td align="right">25 %</td>' in page


async def test_a_past_year_is_reported_whole_and_alone(chat):
    await live_the_term(chat)
    record_need(chat.db, "clg-test", "Tableur", ("information-donnees",), PROF2, at(3, 2))
    # 31 August at 23:30 in Paris is 21:30 UTC: still the year before.
    record_need(chat.db, "clg-test", "Padlet", (), PROF2, at(8, 31, 23))
    _, files = await ask_report(chat, "!bilan 2025-2026")
    assert files[0][0] == "bilan-2025-2026-clg-test.md"
    md = files[0][1]
    assert "du 1er septembre 2025 au 31 août 2026. Établi le 23 novembre 2026" in md
    assert table_row(md, "**Total**") == ["**2**", "**0**", "**0**"]
    assert table_row(md, "Information et données") == ["1", "0", "0"]
    assert table_row(md, "Sans thème") == ["1", "0", "0"]
    assert table_row(md, "Permanences numériques tenues") == ["0"]
    assert "Aucun objectif n'a été noté pour cette année." in md
    assert table_row(md, "septembre 2025") and table_row(md, "août 2026")
    _, current = await ask_report(chat, "!bilan 2026-2027")
    assert table_row(current[0][1], "**Total**") == ["**3**", "**2**", "**1**"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!bilan 2027-2028", "L'année scolaire 2027-2028 n'a pas commencé."),
        ("!bilan 2026", "écrivez-la ainsi : 2025-2026"),
        ("!bilan 2025-2027", "Une année scolaire va de septembre à août"),
        ("!bilan 2025-2026 2026-2027", "Je ne comprends pas « 2026-2027 »."),
    ],
)
async def test_a_future_or_malformed_year_is_refused(chat, text, message):
    reply = await chat.say(REFERENT, text)
    assert chat.outcome is Outcome.REJECTED
    assert message in reply.body.splitlines()[0]
    assert not any(s.filename for s in chat.messenger.sent)


async def test_teachers_do_not_get_the_report(chat):
    await chat.say(TEACHER, "!bilan")
    assert chat.outcome is Outcome.FORBIDDEN


async def test_an_empty_year_still_makes_a_report(chat):
    _, files = await ask_report(chat)
    md = files[0][1]
    assert "Aucun besoin de formation exprimé ni aucune session tenue cette année." in md
    assert table_row(md, "Taux de remplissage") == ["–"]
    assert table_row(md, "Délai médian entre le signalement et la réparation") == ["–"]


async def test_forgetting_people_changes_no_count(chat):
    await live_the_term(chat)
    _, before = await ask_report(chat)
    for person in (TEACHER, PROF2, PROF3, PRINCIPAL):
        await chat.say(person, "!oublie-moi confirmer")
        assert donnees.export_user(chat.db, person) == {}
    _, after = await ask_report(chat)
    assert numbers(after[0][1]) == numbers(before[0][1])
    # The principal's note is gone with them (a note is its author's words); the rest stays.
    note = "- n° 3, 20 novembre 2026 : pas de créneau"
    assert note in before[0][1] and note not in after[0][1]
    assert "- n° 1, 9 octobre 2026 : Session du 8 octobre avec" in after[0][1]


def numbers(markdown: str) -> list[str]:
    """Every table row holding a count, as written."""
    return [
        line for line in markdown.splitlines() if line.startswith("|") and re.search(r"\d", line)
    ]


# --- pieces ------------------------------------------------------------------------------


def test_median_time_to_repair(db):
    start = at(9, 1)
    delays = [timedelta(hours=5), timedelta(days=2), timedelta(days=3), timedelta(days=9)]
    for n, delay in enumerate(delays):
        incident = report_incident(db, "clg-test", f"panne {n}", "autre", TEACHER, at(10, 1))
        resolve_incident(db, incident, REFERENT, at(10, 1) + delay)
    report_incident(db, "clg-test", "toujours en panne", "autre", TEACHER, at(10, 2))
    summary = bilan.assistance_summary(db, "clg-test", start, at(11, 1))
    assert (summary.reported, summary.resolved) == (5, 4)
    assert summary.median_resolution == timedelta(days=2, hours=12)
    # Repaired after the end of the period: not yet repaired in it.
    cut = bilan.assistance_summary(db, "clg-test", start, at(10, 4))
    assert (cut.resolved, cut.median_resolution) == (2, timedelta(days=1, hours=2, minutes=30))


@pytest.mark.parametrize(
    ("delay", "text"),
    [
        (timedelta(minutes=40), "40 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=5, minutes=30), "5 h 30"),
        (timedelta(days=1, hours=12), "1,5 jour"),
        (timedelta(days=3), "3 jours"),
    ],
)
def test_durations_read_in_french(delay, text):
    assert as_read(format_duration_fr(delay)) == text


def test_dates_read_in_french():
    assert format_day_fr(at(9, 1).date()) == "1er septembre 2026"
    assert format_day_fr(at(8, 31, year=2027).date()) == "31 août 2027"


def test_names_and_matrix_ids_are_masked_as_whole_words():
    mask = name_masker(["Paul Durand", "Li", "Claire"])
    assert mask("Vu avec paul durand et @prof2:localhost:8448.") == (
        "Vu avec [nom masqué] et [nom masqué]."
    )
    assert (
        mask("Claire et Clairefontaine, Li et lire") == "[nom masqué] et Clairefontaine, Li et lire"
    )


def test_a_name_beside_a_symbol_or_in_capitals_is_masked():
    mask = name_masker(["Hélène Dupont", "Anne", "O'Brien"])
    assert mask("HÉLÈNE DUPONT™ et ℃Anne, avec o'brien") == (
        "[nom masqué]™ et ℃[nom masqué], avec [nom masqué]"
    )
    assert mask("Helene Dupont") == "Helene Dupont"  # a pattern of the name as written


_NAME = st.text(alphabet="abcdéèçAÉ-' ", min_size=3, max_size=14).filter(
    lambda n: n.strip() and n.strip()[0].isalpha() and len(n.strip()) >= 3
)


@given(
    names=st.lists(_NAME, min_size=1, max_size=5),
    before=st.sampled_from(["", "Vu avec ", "(", "« "]),
    after=st.sampled_from(["", " hier", ".", " »", "-Marie"]),
)
def test_a_name_is_masked_wherever_it_stands_in_the_text(names, before, after):
    named = names[0].strip()
    masked = name_masker(names)(f"{before}{named.upper()}{after}")
    assert NAME_MASK in masked and named.upper() not in masked


async def test_a_failing_figure_leaves_the_rest_of_the_report(chat, caplog):
    def broken(db, establishment, periods):
        raise RuntimeError("bug in a family")

    # The bot's families, and one more whose figure fails.
    families = [importlib.import_module(f"commands.{name}") for name in FAMILIES]
    extra = SimpleNamespace(casse=digest_figure("casse", label="Chiffre cassé")(broken))
    chat.registry = Registry.from_modules([*families, extra])
    await live_the_term(chat)
    _, files = await ask_report(chat)
    assert "Chiffre cassé" not in files[0][1]
    assert table_row(files[0][1], "Permanences numériques tenues") == ["4"]
    assert "report figure casse failed for clg-test" in caplog.text
