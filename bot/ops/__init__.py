"""What an administrator runs beside the bot: check, backup and restore, the
instance lock, systemd notifications, log formats and exit codes.

Sits beside ``bot.app``: may import every other room of ``bot`` and ``storage``;
only ``bot.app`` and ``bot.cli`` import it.
"""
