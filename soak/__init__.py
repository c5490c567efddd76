"""Reliability under faults: the soak (`scripts/soak`) and its tally of lost and doubled records.

The end-to-end fault tests (`tests/e2e/test_faults.py`) count with the same tally.
"""
