"""Render every shipped template with placeholder values, from whichever package is installed.

Run by the installation test with the installed interpreter: it proves that each
template, and everything it includes or imports, is found in the installed
package and compiles. Values are placeholders that accept any use.
"""

from importlib import resources

from jinja2 import ChainableUndefined, TemplateNotFound, Undefined
from jinja2.filters import FILTERS as DEFAULT_FILTERS

import bot.core.render


def _lenient(name):
    if name in ("__lt__", "__le__", "__gt__", "__ge__"):
        return lambda self, other: False
    if name in ("__int__", "__float__", "__complex__"):
        return lambda self: {"__int__": 0, "__float__": 0.0, "__complex__": 0j}[name]
    return lambda self, *args, **kwargs: self


Placeholder = type(
    "Placeholder",
    (ChainableUndefined,),
    {
        name: _lenient(name)
        for name in dir(Undefined)
        if getattr(Undefined, name, None) is Undefined._fail_with_undefined_error
    }
    | {"__call__": lambda self, *a, **k: self, "__round__": lambda self, n=0: 0},
)


def tolerant(f):
    return lambda value, *a, **k: "" if isinstance(value, Undefined) else f(value, *a, **k)


def lenient(env):
    env = env.overlay(undefined=Placeholder)
    env.filters.update(
        {name: tolerant(f) for name, f in env.filters.items() if name not in DEFAULT_FILTERS}
    )
    return env


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
