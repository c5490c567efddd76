"""Constants of the OneNET M6311 integration."""

from typing import Final

DOMAIN: Final = "onenet_m6311"
