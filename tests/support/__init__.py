"""What the tests, the demo and the benchmarks share: a local Synapse and scripted users.

Development only: it needs the ``[dev]`` extras (Synapse, PyYAML) and is not part of
the installed bot. It may import ``bot`` (for the key chores of a Matrix client).
"""
