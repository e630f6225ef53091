"""Placeholder values that accept any use, to render a template without its real values.

``lenient(env)`` gives an environment where every undefined value prints nothing
and survives comparisons, calls and filters: what is left is the template's own text.
"""

from jinja2 import ChainableUndefined, Undefined
from jinja2.filters import FILTERS as DEFAULT_FILTERS


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
