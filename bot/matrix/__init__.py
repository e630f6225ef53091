"""The Matrix side: the bot's device, sync and inbox, sending with pacing, outbox, rooms.

Built on matrix-nio with end-to-end encryption. Imports ``bot.core``, ``storage``
and ``bot.toolkit``; never ``commands`` (the registry arrives built) nor ``bot.ops``
(systemd's notifier arrives as a ``Supervisor``).

- ``session``: credentials, login or restore of the device, the nio client, fatal refusals.
- ``rooms``: served rooms and aliases, joined rooms and their state, invitations, direct rooms.
- ``sender``: notices, files and events, one at a time, paced after a 429.
- ``failures``: why a send failed, sorted: refused for good, or may pass.
- ``outbox``: the pump that sends queued messages in order per destination, in the background.
- ``inbox``: commands taken from syncs, stored with their token, answered once, in lanes.
- ``sync``: the sync loop, backfill of limited timelines, start-up once the first sync is in.
- ``lifecycle``: the supervisor told of readiness, the stop request, tasks left running.
- ``bot``: ``Connection`` and ``MatrixBot``, the pieces assembled in dependency order.
- ``devices``: the devices of a restored bot, logged out once the new one exists.
"""
