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
    "valid_selections",
]

POLL_START_TYPE = "org.matrix.msc3381.poll.start"
POLL_END_TYPE = "org.matrix.msc3381.poll.end"
POLL_RESPONSE_TYPES = ("m.poll.response", "org.matrix.msc3381.poll.response")


def poll_start_content(
    question: str, answers: Sequence[tuple[str, str]], max_selections: int = 1
) -> dict:
    """A disclosed poll in both the unstable and the stable shape.

    With ``max_selections`` above 1, clients show checkboxes and each person may
    pick up to that many answers; 1 is a single-choice poll.
    """
    fallback = "\n".join([question, *(f"{i}. {label}" for i, (_, label) in enumerate(answers, 1))])
    return {
        "org.matrix.msc3381.poll.start": {
            "question": {"org.matrix.msc1767.text": question},
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": max_selections,
            "answers": [{"id": key, "org.matrix.msc1767.text": label} for key, label in answers],
        },
        "org.matrix.msc1767.text": fallback,
        "m.poll": {
            "question": {"m.text": [{"body": question}]},
            "kind": "m.disclosed",
            "max_selections": max_selections,
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
    """The answer ids of a poll response, whichever shape the client used, in its order."""
    for value in (
        content.get("m.selections"),
        (content.get("org.matrix.msc3381.poll.response") or {}).get("answers"),
        (content.get("m.poll.response") or {}).get("answers"),
    ):
        if isinstance(value, list):
            return [a for a in value if isinstance(a, str)]
    return []


def valid_selections(
    selections: Sequence[str], known: Sequence[str], max_selections: int
) -> list[str]:
    """What a response counts for: its known answer ids, each once, the first ``max_selections``.

    As MSC3381 reads a response: unknown ids are ignored and a client sending
    more than allowed is cut to the first ones; nothing left is a spoiled vote.
    """
    allowed = set(known)
    kept = [a for a in dict.fromkeys(selections) if a in allowed]
    return kept[: max(max_selections, 1)]
