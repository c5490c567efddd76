"""The platform as its HTTP side sees it: what the API and the web page read and call.

`PlatformEmulator` builds the HTTP application and hands itself over as a `ServedPlatform`;
the API and the page reach it through `PLATFORM`. Both live here, below all three modules, so
that the HTTP side never imports the emulator that serves it (nor the page the API).
"""

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from .commands import CommandSender
    from .store import Store


class ServedPlatform(Protocol):
    """The parts of a running platform the HTTP API and the web page use."""

    @property
    def project_id(self) -> str:
        """The project the emulated platform holds."""

    @property
    def edp_address(self) -> tuple[str, int]:
        """(host, port) a device connects to."""

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP API and the web page, without a trailing slash."""

    @property
    def store(self) -> Store:
        """The database."""

    @property
    def commands(self) -> CommandSender:
        """The command routine POST /cmds and the web page share."""

    def is_online(self, device_id: str) -> bool:
        """Is the device logged in over EDP?"""

    async def kick(self, device_id: str, code: int = 0) -> bool:
        """Drop a device's EDP link; False if it was not online."""


PLATFORM: web.AppKey[ServedPlatform] = web.AppKey("platform")
"""Where the application keeps the platform it serves."""
