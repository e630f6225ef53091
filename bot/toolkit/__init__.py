"""The French toolkit: pure helpers any layer may use.

Text folding, French dates (parsing and formatting) and numbers, the school
calendar and school years, URL normalisation and page titles, ICS and poll
events. Imports nothing of ours: only the standard library and third-party
packages.
"""
