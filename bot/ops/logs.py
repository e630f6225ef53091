"""Log formats: readable lines for a terminal or the journal, JSON lines for a collector.

A record may carry fields through ``extra=`` (see ``FIELDS``): the text format
already says them in the message, the JSON format gives them as keys a
collector can filter on. Only the names in ``FIELDS`` are copied, so nothing a
library puts on a record (a request, a response with its token) reaches the
JSON output by accident; what people typed is never one of them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Ids and measures only: never message text, tokens or passwords.
FIELDS = ("establishment", "command", "outcome", "duration_ms", "event_id", "room_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, known fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        # ensure_ascii: a line stays one line whatever a message holds (no raw newline,
        # no terminal escape), and every collector reads it.
        return json.dumps(entry, ensure_ascii=True, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``bot.log_format``: ``"text"`` or ``"json"``."""
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)
