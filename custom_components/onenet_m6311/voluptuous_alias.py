"""The schema library, imported the way it works on every supported Home Assistant release.

Home Assistant validates with `probatio` and installs it under the name `voluptuous`, so
`voluptuous` is what the integration imports at run time. The type checker reads probatio's
own types, which are what Home Assistant's signatures expect.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["vol"]
