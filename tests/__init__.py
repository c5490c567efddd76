"""Tests of the OneNET M6311 integration, its protocol library and its emulators."""
