"""rupn-bot runtime, in four rooms that import downwards only.

- ``bot.toolkit``: French text, dates, the school calendar, links, ICS; imports nothing of ours.
- ``bot.core``: configuration, declarations, registry, context, dispatcher, errors,
  rendering, scheduler; imports ``storage`` and ``bot.toolkit``.
- ``bot.matrix``: the Matrix side (session, sync and inbox, sending, outbox, rooms);
  imports ``bot.core``, ``storage`` and ``bot.toolkit``, never ``commands``.
- ``bot.ops``: what an administrator runs beside the bot (check, backup, lock,
  systemd, logs, exit codes).

``bot.app`` builds everything once, in dependency order; ``bot.cli`` is the entry point.
``tests/unit/test_layering.py`` holds the rules.
"""
