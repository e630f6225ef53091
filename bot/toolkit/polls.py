"""Matrix polls (MSC3381): the events that open and close a poll, and reading an answer.

The poll is sent as ``org.matrix.msc3381.poll.start``: every client that shows
polls (Element Web/Android/iOS and the Tchap apps built on them) reads that
type, while the stable ``m.poll.start`` type is unknown to older mobile
clients still in use in schools. The content carries both the unstable shape
and the stable ``m.poll`` one (MSC3381, Matrix spec v1.7), so a client that
reads either finds the question. Answers come back as either response type.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "POLL_END_TYPE",
    "POLL_RESPONSE_TYPES",
    "POLL_START_TYPE",
    "poll_end_content",
    "poll_selections",
    "poll_start_content",
]

POLL_START_TYPE = "org.matrix.msc3381.poll.start"
POLL_END_TYPE = "org.matrix.msc3381.poll.end"
POLL_RESPONSE_TYPES = ("m.poll.response", "org.matrix.msc3381.poll.response")


def poll_start_content(question: str, answers: Sequence[tuple[str, str]]) -> dict:
    """A single-choice, disclosed poll in both the unstable and the stable shape."""
    fallback = "\n".join([question, *(f"{i}. {label}" for i, (_, label) in enumerate(answers, 1))])
    return {
        "org.matrix.msc3381.poll.start": {
            "question": {"org.matrix.msc1767.text": question},
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": 1,
            "answers": [{"id": key, "org.matrix.msc1767.text": label} for key, label in answers],
        },
        "org.matrix.msc1767.text": fallback,
        "m.poll": {
            "question": {"m.text": [{"body": question}]},
            "kind": "m.disclosed",
            "max_selections": 1,
            "answers": [{"m.id": key, "m.text": [{"body": label}]} for key, label in answers],
        },
        "m.text": [{"body": fallback}],
    }


def poll_end_content(poll_event_id: str | None, text: str) -> dict:
    """Closes the poll in clients (sent by its author, the bot), with a text fallback."""
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event_id},
        "org.matrix.msc3381.poll.end": {},
        "org.matrix.msc1767.text": text,
        "m.text": [{"body": text}],
    }


def poll_selections(content: dict) -> list[str]:
    """The answer ids of a poll response, whichever shape the client used."""
    for value in (
        content.get("m.selections"),
        (content.get("org.matrix.msc3381.poll.response") or {}).get("answers"),
        (content.get("m.poll.response") or {}).get("answers"),
    ):
        if isinstance(value, list):
            return [a for a in value if isinstance(a, str)]
    return []
