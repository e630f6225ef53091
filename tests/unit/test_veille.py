"""!veille through the real dispatcher, a temp SQLite file and a local web site.

Pages are served by an aiohttp server on a free 127.0.0.1 port; the fetching tests
turn ``bot.allow_private_links`` on, as the end-to-end configuration does, except
those that check internal addresses are refused.
"""

from __future__ import annotations

import asyncio
import copy
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import pytest_asyncio
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import commands.veille
from bot.core.config import parse_config
from bot.core.dispatcher import Outcome
from bot.toolkit.links import FetchPolicy, TitleResult
from storage import oubli
from storage import veille as store
from storage.establishments import EstablishmentRow, record_member, sync_establishments
from tests.conftest import MINIMAL_CONFIG, PARIS, PRINCIPAL, REFERENT, TEACHER

MIB = 1024 * 1024
PROF2 = "@prof2:localhost"
REFERENT2 = "@referent2:localhost"


# --------------------------------------------------------------- local web site


@dataclass
class Stream:
    """How much of a streamed body the server managed to send."""

    written: int = 0
    completed: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Site:
    port: int
    hits: list[str]
    big: Stream
    release: asyncio.Event  # the slow page answers once this is set
    slow_started: asyncio.Event

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def page(head: str) -> web.Response:
    body = f"<!doctype html><html><head>{head}</head><body><p>Bonjour</p></body></html>"
    return web.Response(body=body.encode(), content_type="text/html", charset="utf-8")


def build_site(hits: list[str], big: Stream, release: asyncio.Event, started: asyncio.Event):
    @web.middleware
    async def record(request, handler):
        hits.append(request.path_qs)
        return await handler(request)

    async def og(_):
        return page('<title>Eduscol</title><meta property="og:title" content="L\'IA en classe">')

    async def title(_):
        return page("<title>Le numérique éducatif</title>")

    async def numerique(_):
        return page("<title>Numérique</title>")

    async def latin1(_):
        body = "<html><head><title>Éducation et numérique</title></head></html>"
        return web.Response(
            body=body.encode("latin-1"),
            headers={"Content-Type": "text/html; charset=ISO-8859-1"},
        )

    async def untitled(_):
        return page('<meta name="description" content="Pas de titre ici">')

    async def five_mib(request):
        # The title comes after 2 MiB of markup in a 5 MiB page: beyond the 1 MiB cap.
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        response.content_length = 5 * MIB
        await response.prepare(request)
        parts = [b"<html><head><meta name='x' content='" + b"y" * (2 * MIB) + b"'>"]
        parts.append(b"<title>Trop loin</title></head>")
        filler = b"<p>" + b"z" * (64 * 1024 - 7) + b"</p>"
        try:
            for part in parts:
                await response.write(part)
                big.written += len(part)
            while big.written < 5 * MIB:
                chunk = filler[: 5 * MIB - big.written]
                await response.write(chunk)
                big.written += len(chunk)
                # Paced, so that loopback socket buffers cannot swallow the whole body
                # before the bot has had the time to hang up.
                await asyncio.sleep(0.01)
            big.completed = True
        except (ConnectionError, asyncio.CancelledError):
            pass  # the bot stopped reading: what the test wants to see
        finally:
            big.finished.set()
        return response

    async def to_loopback(request):
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/title")

    async def slow(_):
        started.set()
        await release.wait()
        return page("<title>Page lente</title>")

    app = web.Application(middlewares=[record])
    for path, handler in [
        ("/og", og),
        ("/title", title),
        ("/numerique", numerique),
        ("/latin1", latin1),
        ("/untitled", untitled),
        ("/big", five_mib),
        ("/to-loopback", to_loopback),
        ("/slow", slow),
    ]:
        app.router.add_get(path, handler)
    return app


@pytest_asyncio.fixture
async def site():
    hits: list[str] = []
    big, release, started = Stream(), asyncio.Event(), asyncio.Event()
    runner = web.AppRunner(
        build_site(hits, big, release, started), handler_cancellation=True, shutdown_timeout=0.1
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(runner.addresses[0][1], hits, big, release, started)
    finally:
        release.set()
        await runner.cleanup()


def configure(chat, tmp_path, *, private_links: bool = True, teachers_share: bool = False):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["bot"]["allow_private_links"] = private_links
    raw["establishment"][0]["allow_teachers_veille"] = teachers_share
    raw["establishment"][0]["referents"].append(REFERENT2)
    chat.config = parse_config(raw, tmp_path)
    return chat


@pytest.fixture
def local(chat, tmp_path):
    """The chat harness allowed to fetch pages from 127.0.0.1 (the tests' setting)."""
    return configure(chat, tmp_path)


def items(db) -> list[tuple]:
    return db.execute(
        "SELECT number, normalized_url, title, title_found, comment, tags, author"
        " FROM veille_items ORDER BY number"
    ).fetchall()


# ------------------------------------------------------------- URL normalisation

NORMALISED = [
    ("https://Eduscol.Education.FR/Page", "https://eduscol.education.fr/Page"),
    ("https://eduscol.education.fr/", "https://eduscol.education.fr"),
    ("https://eduscol.education.fr/a/b/", "https://eduscol.education.fr/a/b"),
    ("https://eduscol.education.fr/a#section-2", "https://eduscol.education.fr/a"),
    ("https://site.fr/a?utm_source=x&utm_medium=mail&id=3", "https://site.fr/a?id=3"),
    ("https://site.fr/a?fbclid=abc", "https://site.fr/a"),
    ("https://site.fr/a?UTM_Campaign=x&page=2#top", "https://site.fr/a?page=2"),
    ("HTTP://site.fr:80/a", "http://site.fr/a"),
    ("https://site.fr:443/a", "https://site.fr/a"),
    ("https://site.fr:8443/a", "https://site.fr:8443/a"),
    ("<https://site.fr/a>", "https://site.fr/a"),
    ("https://école.fr/élève", "https://xn--cole-9oa.fr/%C3%A9l%C3%A8ve"),
]


@pytest.mark.parametrize(("typed", "stored"), NORMALISED)
async def test_the_link_is_stored_normalised(chat, monkeypatch, typed, stored):
    seen = offline_fetch(monkeypatch)
    reply = await chat.say(REFERENT, f"!veille {typed}")
    assert reply.body.startswith("Lien n° 1 ajouté à la veille")
    assert [row[1] for row in items(chat.db)] == [stored]
    assert seen == [stored]  # the page fetched is the normalised address


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("ftp://site.fr/fichier", "seules les adresses http:// ou https:// sont acceptées"),
        ("javascript:alert(1)", "seules les adresses http:// ou https:// sont acceptées"),
        ("eduscol.education.fr", "seules les adresses http:// ou https:// sont acceptées"),
        ("https://", "le nom du site manque"),
        ("https://moi:secret@site.fr", "les identifiants dans l'adresse ne sont pas acceptés"),
        ("http://127.1/", "nom de site incorrect"),
    ],
)
async def test_invalid_addresses_are_refused_in_french(chat, monkeypatch, typed, reason):
    seen = offline_fetch(monkeypatch)
    reply = await chat.say(REFERENT, f"!veille {typed} commentaire")
    assert chat.outcome is Outcome.REJECTED
    assert reply.body.startswith(f"Adresse invalide : {reason}")
    assert "Par exemple : `!veille https://" in reply.body
    assert items(chat.db) == [] and seen == []


def offline_fetch(monkeypatch, title: str | None = "Une page") -> list[str]:
    """Replace the page fetch by a fake one; returns the list of addresses it was asked."""
    seen: list[str] = []

    async def fake(url, policy, session=None):
        seen.append(url)
        return TitleResult(title, url, None)

    monkeypatch.setattr(commands.veille, "fetch_title", fake)
    return seen


# ------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    "again",
    [
        "https://eduscol.education.fr/numerique?utm_source=lettre",
        "HTTPS://EDUSCOL.EDUCATION.FR/numerique/",
        "https://eduscol.education.fr/numerique#haut",
        "https://eduscol.education.fr:443/numerique?fbclid=xyz",
        "<https://eduscol.education.fr/numerique>",
    ],
)
async def test_the_same_link_is_refused_pointing_at_the_first_post(
    chat, monkeypatch, tmp_path, again
):
    configure(chat, tmp_path)
    seen = offline_fetch(monkeypatch)
    record_member(chat.db, "clg-test", REFERENT, "referent", chat.now, display_name="Claire")
    await chat.say(REFERENT, "!veille https://eduscol.education.fr/numerique Super #ia")
    later = chat.now + timedelta(days=3)
    reply = await chat.say(REFERENT2, f"!veille {again} encore #autre", now=later)
    assert reply.body == (
        "Ce lien est déjà dans la veille : n° 1, Une page "
        "(https://eduscol.education.fr/numerique), partagé par Claire le lundi 23 novembre 2026."
    )
    assert '<a href="https://matrix.to/#/@referent:localhost">Claire</a>' in reply.html
    assert reply.mentions == ()  # named, never pinged
    assert len(items(chat.db)) == 1
    assert len(seen) == 1  # refused before fetching the page again


async def test_different_links_are_not_duplicates(chat, monkeypatch):
    offline_fetch(monkeypatch)
    for url in (
        "https://site.fr/a",
        "https://site.fr/a?page=2",
        "http://site.fr/a",
        "https://site.fr/A",
    ):
        reply = await chat.say(REFERENT, f"!veille {url}")
        assert reply.body.startswith("Lien n° ")
    assert [row[0] for row in items(chat.db)] == [1, 2, 3, 4]


async def test_each_establishment_has_its_own_list(chat):
    sync_establishments(
        chat.db,
        [EstablishmentRow("lyc-autre", "Lycée Autre", "!autre:l", "B", "Europe/Paris", (), ())],
        chat.now,
    )
    add = dict(title="T", comment=None, tags=(), author=REFERENT, now=chat.now)
    first = store.add_item(
        chat.db, establishment_id="clg-test", normalized_url="https://a.fr", **add
    )
    other = store.add_item(
        chat.db, establishment_id="lyc-autre", normalized_url="https://a.fr", **add
    )
    assert (first.number, other.number) == (1, 1)
    with pytest.raises(store.DuplicateLink) as caught:
        store.add_item(chat.db, establishment_id="lyc-autre", normalized_url="https://a.fr", **add)
    assert caught.value.existing.id == other.id
    assert store.search_items(chat.db, "lyc-autre", "T") == [other]


async def test_two_people_sharing_one_link_at_once_get_one_item(local, site):
    url = site.url("/slow")
    first = asyncio.create_task(local.say(REFERENT, f"!veille {url}"))
    await asyncio.wait_for(site.slow_started.wait(), 3)
    second = asyncio.create_task(local.say(REFERENT2, f"!veille {url}?utm_source=x"))
    await asyncio.sleep(0.1)  # both are now waiting for the page
    site.release.set()
    replies = sorted([(await first).body, (await second).body])
    assert replies[0].startswith("Ce lien est déjà dans la veille : n° 1, Page lente")
    assert replies[1].startswith("Lien n° 1 ajouté à la veille : Page lente")
    assert len(items(local.db)) == 1


# --------------------------------------------------------------- fetched titles


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/og", "L'IA en classe"),
        ("/title", "Le numérique éducatif"),
        ("/latin1", "Éducation et numérique"),
    ],
)
async def test_the_reply_shows_the_page_title(local, site, path, title):
    reply = await local.say(REFERENT, f"!veille {site.url(path)} À lire #IA")
    assert reply.body == (
        f"Lien n° 1 ajouté à la veille : {title} ({site.url(path)}) (#ia). "
        "Il figurera dans la prochaine lettre d'information."
    )
    assert f'<a href="{site.url(path)}">' in reply.html
    assert items(local.db) == [(1, site.url(path), title, 1, "À lire", "ia", REFERENT)]


async def test_a_page_without_title_keeps_the_address_and_says_so(local, site):
    reply = await local.say(REFERENT, f"!veille {site.url('/untitled')}")
    assert reply.body.splitlines()[1] == (
        "La page n'a pas de titre lisible : l'adresse lui sert de titre."
    )
    assert items(local.db)[0][2:4] == (site.url("/untitled"), 0)


async def test_a_5_mib_page_is_read_only_up_to_1_mib(local, site):
    reply = await local.say(REFERENT, f"!veille {site.url('/big')}")
    assert "La page n'a pas de titre lisible" in reply.body  # the title lies beyond the cap
    assert items(local.db)[0][2:4] == (site.url("/big"), 0)
    await asyncio.wait_for(site.big.finished.wait(), 3)
    assert not site.big.completed  # the bot hung up instead of downloading 5 MiB
    assert site.big.written < 5 * MIB


async def test_a_failed_fetch_keeps_the_item_with_one_line(local, site):
    reply = await local.say(REFERENT, f"!veille {site.url('/nulle-part')} #ent")
    first, second = reply.body.splitlines()
    assert first.startswith("Lien n° 1 ajouté à la veille : " + site.url("/nulle-part"))
    assert second == (
        "Je n'ai pas pu lire le titre de la page (la page n'existe pas ou plus) :"
        " l'adresse lui sert de titre."
    )
    assert items(local.db) == [(1, site.url("/nulle-part"), site.url("/nulle-part"), 0, None,
                                "ent", REFERENT)]  # fmt: skip
    assert store.recent_items(local.db, "clg-test")[0].number == 1


async def test_loopback_is_refused_without_connecting_when_the_setting_is_off(chat, site, tmp_path):
    configure(chat, tmp_path, private_links=False)
    for host in ("127.0.0.1", "localhost"):
        reply = await chat.say(REFERENT, f"!veille {site.url('/title', host)}")
        assert "(adresse interne refusée)" in reply.body
    assert site.hits == []
    assert [row[3] for row in items(chat.db)] == [0, 0]  # kept, with the address as title


async def test_a_redirect_to_127_0_0_1_is_refused_when_the_setting_is_off(
    chat, site, tmp_path, monkeypatch
):
    configure(chat, tmp_path, private_links=False)
    # "localhost" is trusted so the first page can be served at all; the redirect it
    # answers, to 127.0.0.1, must still be refused before any connection.
    ctx = SimpleNamespace(config=chat.config)
    assert commands.veille.fetch_policy(ctx) == FetchPolicy(allow_private=False)
    trusted = FetchPolicy(allow_private=False, trusted_hosts=frozenset({"localhost"}))
    monkeypatch.setattr(commands.veille, "fetch_policy", lambda ctx: trusted)
    reply = await chat.say(REFERENT, f"!veille {site.url('/to-loopback', 'localhost')}")
    assert "Je n'ai pas pu lire le titre de la page (adresse interne refusée)" in reply.body
    assert site.hits == ["/to-loopback"]  # /title on 127.0.0.1 was never requested
    assert items(chat.db)[0][1:4] == (site.url("/to-loopback", "localhost"),) * 2 + (0,)


async def test_other_commands_run_while_a_page_loads(local, site):
    sharing = asyncio.create_task(local.say(REFERENT, f"!veille {site.url('/slow')}"))
    await asyncio.wait_for(site.slow_started.wait(), 3)
    # The fetch is under way and holds no transaction: others read and write freely.
    assert not local.db.conn.in_transaction
    listing = await local.say(TEACHER, "!veille")
    assert listing.body.startswith("La veille du collège Test est vide")
    opened = await local.say(PROF2, "!permanence")
    assert opened is not None and not sharing.done()
    site.release.set()
    reply = await asyncio.wait_for(sharing, 5)
    assert reply.body.startswith("Lien n° 1 ajouté à la veille : Page lente")


# ------------------------------------------------------------------ who may share


async def test_teachers_are_refused_unless_the_establishment_opens_it(chat, monkeypatch):
    offline_fetch(monkeypatch)
    for person in (TEACHER, PRINCIPAL):
        reply = await chat.say(person, "!veille https://site.fr/a #ia")
        assert reply.body == (
            "La commande `!veille` est réservée aux référents numériques dans cet établissement."
        )
        assert chat.outcome is Outcome.FORBIDDEN
    assert items(chat.db) == []
    assert (await chat.say(TEACHER, "!veille")).body.startswith("La veille du collège Test")
    assert (await chat.say(TEACHER, "!veille cherche ia")).body.startswith("Aucun lien")


async def test_teachers_may_share_where_the_establishment_allows_it(chat, monkeypatch, tmp_path):
    offline_fetch(monkeypatch)
    configure(chat, tmp_path, teachers_share=True)
    reply = await chat.say(TEACHER, "!veille https://site.fr/a")
    assert reply.body.startswith("Lien n° 1 ajouté à la veille : Une page")
    assert items(chat.db)[0][6] == TEACHER


# --------------------------------------------------------------- comment and tags


async def test_tags_anywhere_are_folded_and_taken_out_of_the_comment(chat, monkeypatch):
    offline_fetch(monkeypatch)
    await chat.say(
        REFERENT, "!veille https://site.fr/a #Numérique Un outil #IA, très simple #ia #e-sidoc."
    )
    # A tag inside the sentence stays a word of it; those around it are labels only.
    assert items(chat.db)[0][4:6] == ("Un outil #IA, très simple", "numerique ia e-sidoc")
    await chat.say(REFERENT, "!veille https://site.fr/b #CRCN")
    assert items(chat.db)[1][4:6] == (None, "crcn")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 501, "Le commentaire est trop long (501 caractères, 500 au plus) : résumez-le."),
        (" ".join(f"#t{n}" for n in range(11)), "10 mots-clés au plus, s'il vous plaît."),
        ("#" + "a" * 41, "Le mot-clé « #aaaaaaaaa"),
    ],
)
async def test_comment_and_tags_have_limits(chat, monkeypatch, text, expected):
    seen = offline_fetch(monkeypatch)
    reply = await chat.say(REFERENT, f"!veille https://site.fr/a {text}")
    assert chat.outcome is Outcome.REJECTED and reply.body.startswith(expected)
    assert items(chat.db) == [] and seen == []


# ------------------------------------------------------------------------ listing


async def test_the_list_shows_the_last_ten_with_title_who_and_when(chat, monkeypatch):
    offline_fetch(monkeypatch, title="Article")
    record_member(chat.db, "clg-test", REFERENT, "referent", chat.now, display_name="Claire")
    for n in range(1, 13):
        when = chat.now + timedelta(days=n)
        await chat.say(REFERENT, f"!veille https://site.fr/{n} Lecture {n} #lot", now=when)
    reply = await chat.say(TEACHER, "!veille")
    lines = reply.body.splitlines()
    assert lines[0] == "**Veille partagée : les 10 derniers liens**"
    assert lines[1] == (
        "- n° 12 : Article (https://site.fr/12) — Claire, samedi 5 décembre 2026 · #lot"
    )
    assert lines[2] == "  « Lecture 12 »"
    assert "n° 3 :" in reply.body and "n° 2 :" not in reply.body
    assert reply.mentions == ()
    assert '<a href="https://matrix.to/#/@referent:localhost">Claire</a>' in reply.html


async def test_hostile_titles_and_comments_are_shown_as_text(chat, monkeypatch):
    offline_fetch(monkeypatch, title="<script>alert(1)</script> [x](javascript:y) @room")
    await chat.say(REFERENT, "!veille https://site.fr/a **gras** <img src=x onerror=y> @room")
    reply = await chat.say(TEACHER, "!veille")
    assert "<script" not in reply.html and "<img" not in reply.html
    assert "@room" not in reply.body and 'href="javascript' not in reply.html
    assert "**gras**" in reply.body


async def test_forgotten_authors_show_as_anonymous(chat, monkeypatch):
    offline_fetch(monkeypatch)
    await chat.say(REFERENT, "!veille https://site.fr/a Mon avis personnel")
    oubli.forget_user(chat.db, REFERENT)
    reply = await chat.say(TEACHER, "!veille")
    assert "— anonyme, lundi 23 novembre 2026" in reply.body
    assert "Mon avis" not in reply.body
    assert store.search_items(chat.db, "clg-test", "avis") == []  # gone from the index too


# ------------------------------------------------------------------------- search


async def share_three(chat, monkeypatch):
    titles = iter(["Numérique", "Outils collaboratifs", "Éducation aux médias"])

    async def fake(url, policy, session=None):
        return TitleResult(next(titles), url, None)

    monkeypatch.setattr(commands.veille, "fetch_title", fake)
    await chat.say(REFERENT, "!veille https://site.fr/1 #ENT")
    await chat.say(REFERENT, "!veille https://site.fr/2 Pour l'école #CRCN")
    await chat.say(REFERENT, "!veille https://site.fr/3 Désinformation #EMI")


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("numerique", [1]),
        ("NUMÉRIQUE", [1]),
        ("outil", [2]),  # a word matches as a prefix
        ("ecole", [2]),  # in the comment
        ("crcn", [2]),  # a tag
        ("#emi", [3]),
        ("education medias", [3]),  # every word must be there
        ("education numerique", []),
        ("desinfor mation", [3]),  # two words also match written as one
        ("outils colla boratifs", [2]),
        ("rien", []),
    ],
)
async def test_search_folds_accents_and_looks_in_title_comment_and_tags(
    chat, monkeypatch, words, found
):
    await share_three(chat, monkeypatch)
    reply = await chat.say(TEACHER, f"!veille cherche {words}")
    assert [i.number for i in store.search_items(chat.db, "clg-test", words)] == found
    if found:
        assert reply.body.startswith(f"**Veille : {len(found)} lien")
    else:
        assert reply.body.startswith("Aucun lien de la veille ne correspond à «")


@pytest.mark.parametrize(
    "words",
    ['"', 'numérique"', "num*", "-numerique", "numerique OR outils", "NEAR(a b)", "^ecole",
     "title:x", "a AND", "(", "'; DROP TABLE veille_items; --", "\x00numerique"],
)  # fmt: skip
async def test_any_search_text_is_a_valid_query(chat, monkeypatch, words):
    await share_three(chat, monkeypatch)
    reply = await chat.say(TEACHER, f"!veille cherche {words}")
    assert chat.outcome is (Outcome.DONE if store.search_terms(words) else Outcome.REJECTED)
    assert reply.body.startswith(("**Veille : ", "Aucun lien", "Indiquez au moins un mot"))
    assert len(items(chat.db)) == 3


async def test_a_search_without_letters_is_explained(chat):
    reply = await chat.say(TEACHER, "!veille cherche !!! ---")
    assert chat.outcome is Outcome.REJECTED
    assert reply.body.startswith("Indiquez au moins un mot à chercher")


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=80))
def test_search_never_raises(db, text):
    if not store.recent_items(db, "clg-test"):
        store.add_item(db, establishment_id="clg-test", normalized_url="https://a.fr",
                       title="Numérique", comment="x", tags=("ia",), author=REFERENT,
                       now=datetime(2026, 11, 23, tzinfo=PARIS))  # fmt: skip
    store.search_items(db, "clg-test", text)


def test_searches_find_the_current_links_after_many_changes(db):
    # Each change merges a little of the search index (migration 0043): after
    # hundreds of shares and removals, and an author forgotten, every word finds
    # exactly the links that still hold it.
    rng = random.Random(43)
    words = ["cable", "ecran", "souris", "clavier", "imprimante", "tablette", "reseau", "stylet"]
    now = datetime(2026, 11, 23, 10, tzinfo=PARIS)
    items = {}
    for n in range(300):
        if items and rng.random() < 0.3:
            store.remove_item(db, items.pop(rng.choice(sorted(items))).id)
            continue
        item = store.add_item(
            db,
            establishment_id="clg-test",
            normalized_url=f"https://site.fr/{n}",
            title=" ".join(rng.sample(words, 2)),
            comment=" ".join(rng.sample(words, 2)),
            tags=(),
            author=rng.choice([REFERENT, REFERENT2]),
            now=now,
        )
        items[item.number] = item
    oubli.forget_user(db, REFERENT2)  # their comments are emptied
    for word in words:
        expected = {
            number
            for number, item in items.items()
            if word in item.title.split()
            or (item.author == REFERENT and word in item.comment.split())
        }
        found = store.search_items(db, "clg-test", word, limit=len(items))
        assert {item.number for item in found} == expected


@pytest.fixture
def no_network(monkeypatch):
    return offline_fetch(monkeypatch)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_shared_text_is_answered_safely(chat, no_network, url_tail, rest):
    reply = asyncio.run(chat.say(REFERENT, f"!veille http://{url_tail} {rest}"))
    assert chat.outcome in (Outcome.DONE, Outcome.REJECTED)
    assert reply is not None and "Traceback" not in reply.body


# ------------------------------------------------------------------------ removal


async def test_the_author_or_a_referent_may_remove_and_numbers_are_not_reused(
    chat, monkeypatch, tmp_path
):
    offline_fetch(monkeypatch)
    configure(chat, tmp_path, teachers_share=True)
    await chat.say(TEACHER, "!veille https://site.fr/1")
    await chat.say(TEACHER, "!veille https://site.fr/2")
    await chat.say(REFERENT, "!veille https://site.fr/3")
    reply = await chat.say(PROF2, "!veille retirer 1")
    assert chat.outcome is Outcome.FORBIDDEN
    assert reply.body == (
        "Seuls la personne qui a partagé le lien n° 1 et les référents numériques"
        " peuvent le retirer."
    )
    reply = await chat.say(TEACHER, "!veille retirer 1")
    assert reply.body == "Le lien n° 1 (Une page (https://site.fr/1)) est retiré de la veille."
    await chat.say(REFERENT, "!veille retirer 3")
    reply = await chat.say(REFERENT, "!veille retirer 3")
    assert reply.body.startswith("Le lien n° 3 n'existe pas.")
    await chat.say(REFERENT, "!veille https://site.fr/1")  # may be shared again
    assert [row[:2] for row in items(chat.db)] == [(2, "https://site.fr/2"),
                                                   (4, "https://site.fr/1")]  # fmt: skip


# --------------------------------------------------------------------- newsletter


async def test_the_newsletter_announces_each_link_once(chat, monkeypatch):
    from bot.core.digest import letter_window
    from commands.veille import new_links
    from storage.lettre import record_letter

    offline_fetch(monkeypatch)
    for n in (1, 2, 3):
        await chat.say(REFERENT, f"!veille https://site.fr/{n}")
    school = chat.config.establishments[0]
    friday = datetime(2026, 11, 27, 16, tzinfo=PARIS)

    def numbers_in_letter():
        section = new_links(chat.db, school, letter_window(chat.db, school, friday))
        return section and [i.number for i in section.values["items"]]

    section = new_links(chat.db, school, letter_window(chat.db, school, friday))
    assert numbers_in_letter() == [1, 2, 3]
    assert section.news and set(section.items["veille"]) == {i.id for i in section.values["items"]}
    first_two = [i.id for i in section.values["items"][:2]]
    record_letter(
        chat.db, school.id, "2026-W47", as_of=friday, items={"veille": first_two}, now=friday
    )
    assert numbers_in_letter() == [3]
    record_letter(chat.db, school.id, "2026-W48", as_of=friday, items=section.items, now=friday)
    assert numbers_in_letter() is None
