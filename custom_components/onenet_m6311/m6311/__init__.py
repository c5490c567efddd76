"""M6311 protocol library: OneNET's AT command set (AT+CIOT...) over a serial line.

No Home Assistant import, ever: this package can be lifted out as a library unchanged.
"""
