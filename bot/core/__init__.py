"""The command core: what a command family is written against.

Configuration, roles, declarations (``@command``, ``@listener``, ``@job``), the
registry, the per-message ``Context``, converters and errors, the dispatcher,
rendering, the scheduler and the letter/digest frameworks. Imports ``storage``
and ``bot.toolkit``; never ``commands``, ``bot.matrix`` or ``bot.ops``.
"""
