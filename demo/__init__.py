"""The README's demo: emulators and a real Home Assistant, set up end to end (`scripts/demo`)."""
