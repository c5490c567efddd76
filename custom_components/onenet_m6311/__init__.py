"""The OneNET M6311 integration: Home Assistant to China Mobile's OneNET through an M6311 module."""
