"""The command core: what a command family is written against.

Configuration, roles, declarations (``@command``, ``@listener``, ``@job``), the
registry, the per-message ``Context``, converters and errors, the dispatcher,
rendering, the scheduler, the letter/digest frameworks and the indicators
(``@indicator``) objectives follow. Imports ``storage``
and ``bot.toolkit``; never ``commands``, ``bot.matrix`` or ``bot.ops``.
"""
