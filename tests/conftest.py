"""Shared unit-test fixtures: a temp SQLite file and a Context with a recording messenger."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import parse_config
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.render import Message, Renderer
from bot.core.roles import role_of
from commands import load_registry
from storage import migrate, open_database
from storage.establishments import sync_establishments
from tests.support.reading import as_read

PARIS = ZoneInfo("Europe/Paris")
REFERENT = "@referent:localhost"
PRINCIPAL = "@principal:localhost"
TEACHER = "@prof1:localhost"

MINIMAL_CONFIG = {
    "matrix": {
        "homeserver": "http://127.0.0.1:18008",
        "user_id": "@bot:localhost",
        "password": "secret",
        "store_path": "data/store",
    },
    "bot": {"database": "data/rupn.db"},
    "establishment": [
        {
            "id": "clg-test",
            "name": "Collège Test",
            "room": "!abc:localhost",
            "zone": "B",
            "timezone": "Europe/Paris",
            "referents": [REFERENT],
            "principals": [PRINCIPAL],
            "ticket_url": "https://support.example.org/glpi",
        }
    ],
}


@dataclass
class Sent:
    room_id: str
    message: Message | None
    reply_to: str | None
    txn_id: str | None
    filename: str | None = None
    data: bytes | None = None
    alert: bool = False


@dataclass
class RecordingMessenger:
    """Stands in for the Matrix client in handler tests: keeps what would be sent."""

    sent: list[Sent] = field(default_factory=list)

    async def send_message(self, room_id, message, *, reply_to=None, txn_id=None, alert=False):
        read = Message(as_read(message.body), as_read(message.html), message.mentions)
        self.sent.append(Sent(room_id, read, reply_to, txn_id, alert=alert))
        return f"$sent{len(self.sent)}"

    async def send_file(self, room_id, filename, data, mimetype, *, reply_to=None, txn_id=None):
        self.sent.append(Sent(room_id, None, reply_to, txn_id, filename, data))
        return f"$sent{len(self.sent)}"

    async def send_event(self, room_id, event_type, content, *, txn_id=None):
        read = json.loads(as_read(json.dumps(content, ensure_ascii=False)))
        self.sent.append(Sent(room_id, None, None, txn_id, filename=event_type, data=read))
        return f"$sent{len(self.sent)}"

    async def direct_room(self, user_id):
        return f"!dm-{user_id}"

    @property
    def last(self) -> Message:
        return self.sent[-1].message


@pytest.fixture
def config(tmp_path):
    return parse_config(MINIMAL_CONFIG, tmp_path)


@pytest.fixture
def db(tmp_path, config):
    database = open_database(tmp_path / "rupn.db")
    migrate(database)
    e = config.establishments[0]
    sync_establishments(database, [e], datetime(2026, 11, 23, 9, 0, tzinfo=PARIS))
    yield database
    database.close()


@dataclass
class ChatHarness:
    """Runs messages through the real dispatcher with a temp database."""

    config: object
    db: object
    messenger: RecordingMessenger
    registry: object
    renderer: Renderer
    now: datetime
    counter: int = 0
    outcome: object = None
    dispatcher: Dispatcher | None = None  # one kept across messages (a budget, say)

    def messenger_outbox(self):
        """Messages queued by commands (notices to others, direct messages)."""
        from storage.outbox import unsent_messages

        return [
            replace(m, body=as_read(m.body), html=as_read(m.html)) for m in unsent_messages(self.db)
        ]

    def context(self, sender: str, event_id: str, **overrides) -> Context:
        """A Context for ``sender``'s event in the establishment's room (``overrides``
        change any field: another establishment, a private room, another time)."""
        establishment = overrides.pop("establishment", self.config.establishments[0])
        values = {
            "sender": sender,
            "role": role_of(establishment, self.config, sender, self.db),
            "establishment": establishment,
            "room_id": establishment.room,
            "event_id": event_id,
            "now": self.now,
            "db": self.db,
            "config": self.config,
            "renderer": self.renderer,
            "messenger": self.messenger,
            "registry": self.registry,
        }
        return Context(**(values | overrides))

    async def say(
        self, sender: str, body: str, now: datetime | None = None, in_academy: bool = False
    ) -> Message | None:
        """Dispatch ``body`` as ``sender`` (in the academy's room if ``in_academy``: the
        config must have one); returns the last message sent, if any."""
        self.counter += 1
        overrides = {"now": now or self.now}
        if in_academy:
            place = self.config.academy.place
            overrides |= {"establishment": place, "room_id": place.room}
        ctx = self.context(sender, f"$cmd{self.counter}", **overrides)
        before = len(self.messenger.sent)
        dispatcher = self.dispatcher or Dispatcher(self.registry)
        self.outcome = await dispatcher.handle(ctx, body)
        return self.messenger.last if len(self.messenger.sent) > before else None


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture(scope="session")
def renderer():
    return Renderer()


@pytest.fixture
def chat(config, db, registry, renderer):
    return ChatHarness(
        config,
        db,
        RecordingMessenger(),
        registry,
        renderer,
        datetime(2026, 11, 23, 9, 0, tzinfo=PARIS),
    )
