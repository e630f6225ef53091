"""The French texts of every message the bot writes: Jinja2 templates in Markdown.

Data only, no code: ``bot.core.render`` loads them through ``importlib.resources``, so a
plain (non-editable) install carries and finds them like any package data.
"""
