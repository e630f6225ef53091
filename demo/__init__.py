"""``make demo``: the bot on a local Synapse with a scripted conversation (``python -m demo``).

Development only, like ``tests/support``, on which it builds; not part of the installed bot.
"""
