"""Hardware-free stand-ins for the OneNET platform and the M6311 module.

These packages exist for tests and demonstrations only; the integration never imports them.
"""
