import re

from bot.core.render import (
    MAX_CONTENT_JSON_BYTES,
    Renderer,
    content_json_bytes,
    escape_markdown,
    link,
    mention,
    plain_body,
)


def test_user_text_is_escaped_in_html_and_never_pings_the_room():
    renderer = Renderer()
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> **gras** [lien](http://x) @room"
    )
    message = renderer.from_markdown(f"Besoin : {escape_markdown(hostile)}")
    assert "<script>" not in message.html and "<img" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<strong>" not in message.html and "<a " not in message.html
    assert "@room" not in message.body and "@room" not in message.html
    assert "**gras** [lien](http://x)" in message.body  # plain text stays readable


def test_links_and_mentions_are_trusted_markup():
    renderer = Renderer()
    message = renderer.from_markdown(
        f"{mention('@prof1:localhost', 'Prof <1>')} {link('https://x.org/a b', 'Titre *x*')}"
    )
    assert '<a href="https://matrix.to/#/@prof1:localhost">Prof &lt;1&gt;</a>' in message.html
    assert '<a href="https://x.org/a%20b">Titre *x*</a>' in message.html


def test_long_messages_are_cut_with_a_clear_mark():
    renderer = Renderer()
    message = renderer.from_markdown("\n".join(f"- ligne é{i}" for i in range(10_000)))
    assert content_json_bytes(message.body, message.html) <= MAX_CONTENT_JSON_BYTES
    assert message.body.endswith("[… message tronqué : trop long pour un seul message]")
    assert "tronqué" in message.html


def test_plain_body_reads_without_markdown_link_syntax():
    message = Renderer().from_markdown(
        f"{link('https://x.org')} {link('https://y.org/a_b', 'Un titre')} {mention('@p:l', 'Paul')}"
    )
    assert message.body == "https://x.org Un titre (https://y.org/a_b) Paul"


def test_french_numbers():
    from bot.toolkit.numbers import french_number

    assert [french_number(x) for x in (2.0, 1.5, 0.25, 12)] == ["2", "1,5", "0,2", "12"]


def test_bracket_heavy_user_text_reads_as_typed_beside_real_links():
    # The text a teacher typed into a breakdown, full of brackets that look like links.
    typed = "[[[écran] ](http://pas-un-lien) [" * 3
    body = plain_body(f"{escape_markdown(typed)} {link('https://y.org/a_b', '[Titre]')}")
    assert body == f"{typed} [Titre] (https://y.org/a_b)"
    # Escaped brackets never open a link, even right before one of ours.
    assert plain_body(f"{escape_markdown('[')}{link('https://x.org', 'x')}") == "[x (https://x.org)"


async def test_a_line_break_in_user_text_stays_inside_its_list_item(chat):
    from tests.conftest import TEACHER

    await chat.say(TEACHER, "!panne Le vidéoprojecteur de la B12\n\n# ne s'allume plus\n- du tout")
    message = await chat.say(TEACHER, "!panne")
    assert message.html.count("<li>") == message.html.count("</li>") == 1
    assert "<h1>" not in message.html
    assert "B12 # ne s'allume plus - du tout" in message.body


async def test_a_listing_of_80_hostile_breakdowns_is_cut_once_and_reads_as_typed(chat):
    from bench.render import adversarial_text
    from storage.panne import report_incident
    from tests.conftest import REFERENT

    texts = [adversarial_text(1250, seed=n) for n in range(80)]
    for n, text in enumerate(texts):
        report_incident(chat.db, "clg-test", text, "autre", f"@p{n}:localhost", chat.now)
    message = await chat.say(REFERENT, "!panne")
    assert content_json_bytes(message.body, message.html) <= MAX_CONTENT_JSON_BYTES
    assert message.body.endswith("[… message tronqué : trop long pour un seul message]")
    # No link, no markup, no ping made of what was typed; those shown read as typed.
    shown = message.body.count("signalée le")
    assert "<a " not in message.html and "<b>" not in message.html and "<em>" not in message.html
    assert message.html.count("<strong>") == 1 + shown  # the title and each number, no more
    assert message.html.count("<li>") == shown
    assert re.search(r"@room\b", message.body) is None  # « @room_ » pings nobody
    typed = [re.sub(r"@room\b", "@\u2060room", re.sub("\n+", " ", t)) for t in texts]
    assert sum(t in message.body for t in typed) == shown
    # Cut at the end of an item, with most of the room an event has used.
    assert shown >= 5 and content_json_bytes(message.body, message.html) > 30_000
