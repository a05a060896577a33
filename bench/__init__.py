"""Janus benchmark: ``python -m bench`` (or ``make bench``); see docs/benchmarks.md."""
