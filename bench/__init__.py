"""Benchmarks: ``./dev bench`` (or ``python -m bench``); figures go into the README."""
