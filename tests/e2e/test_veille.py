"""!veille on the real Synapse, in the encrypted room, with pages served by a local web site.

The site listens on a free 127.0.0.1 port picked at run time; the bot process reaches
it because the end-to-end configuration sets ``allow_private_links = true``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest_asyncio
from aiohttp import web

REFUSAL = "La commande `!veille` est réservée aux référents numériques dans cet établissement."


@dataclass
class Site:
    port: int
    hits: list[str]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest_asyncio.fixture
async def site():
    hits: list[str] = []

    async def numerique(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        body = "<html><head><title>Numérique</title></head><body>Bonjour</body></html>"
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/numerique", numerique)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(runner.addresses[0][1], hits)
    finally:
        await runner.cleanup()


async def test_a_shared_link_shows_its_title_is_not_shared_twice_and_is_found(world, users, site):
    referent, prof = await users("referent"), await users("prof1")
    room, url = world.encrypted_room, site.url("/numerique")

    shared = await referent.ask(room, f"!veille {url} À lire avant lundi #CRCN")
    assert shared.was_encrypted
    assert shared.body.startswith("Lien n° ")
    assert f"ajouté à la veille : Numérique ({url}) (#crcn)." in shared.body
    assert f'<a href="{url}">Numérique</a>' in shared.html
    number = shared.body.split()[2]

    again = await referent.ask(room, f"!veille {url}?utm_source=x")
    assert again.body.startswith(f"Ce lien est déjà dans la veille : n° {number}, Numérique")
    assert again.content["m.mentions"] == {"user_ids": []}
    assert site.hits == ["/numerique"]  # the duplicate was refused without fetching again

    found = await prof.ask(room, "!veille cherche numerique")
    assert found.body.startswith("**Veille : ")
    assert f"- n° {number} : Numérique ({url})" in found.body
    assert "« À lire avant lundi »" in found.body


async def test_a_teacher_is_refused_where_referents_keep_the_watch(world, users, site):
    prof = await users("prof2")
    reply = await prof.ask(world.encrypted_room, f"!veille {site.url('/numerique')} #ia")
    assert reply.body == REFUSAL
    assert site.hits == []
    listing = await prof.ask(world.encrypted_room, "!veille")
    assert listing.body.startswith(("**Veille partagée", "La veille du collège Chiffré"))
