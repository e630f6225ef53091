"""Render every shipped template with placeholder values, from whichever package is installed.

Run by the installation test with the installed interpreter: it proves that each
template, and everything it includes or imports, is found in the installed
package and compiles. Values are placeholders that accept any use.
"""

from importlib import resources

from jinja2 import TemplateNotFound
from placeholders import lenient  # next to this script, which runs from its own directory

import bot.core.render

renderer = bot.core.render.Renderer()
messages = lenient(renderer.env)
# The yearly report is a file, not a message: its own kinds of output.
report_markdown, report_html = (lenient(renderer.environment(k)) for k in ("document", "html"))
environments = {"bilan/bilan.md.j2": report_markdown, "bilan/bilan.html.j2": report_html}
root = resources.files("templates")
names = sorted(str(p.relative_to(root)) for p in root.rglob("*.j2"))
for name in names:
    try:
        environments.get(name, messages).get_template(name).render()
    except TemplateNotFound as missing:
        # An include whose name is built from a value ("panne/checklist_" ~ category):
        # with a placeholder value it names nothing; the shipped list is compared instead.
        if missing.name in names:
            raise
print(bot.core.render.__file__)
print("\n".join(names))
