"""Forwarding entity states to OneNET: states -> records -> outbox -> sender -> module."""
