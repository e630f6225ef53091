"""The Matrix side: the bot's device, sync and inbox, sending with pacing, outbox, rooms.

Built on matrix-nio with end-to-end encryption. Imports ``bot.core``, ``storage``
and ``bot.toolkit``; never ``commands`` (the registry arrives built).
"""
