"""Custom integrations of this repository (a regular package, so tests import ours)."""
