"""Benchmarks (`scripts/bench`): run on demand, never by `scripts/test`."""
