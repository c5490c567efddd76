"""Lets the test harness, made for one Home Assistant release, load on newer ones.

`scripts/test` runs the harness (`pytest-homeassistant-custom-component`, which pins one release)
on the newest release too, with this module as a pytest plugin: `python -m pytest -p
tests.harness_compat` loads it before the plugins of installed packages, the harness among them.

- Home Assistant 2026.11 makes `httpx` an alias of `httpx2` when `homeassistant` is imported,
  and refuses an `httpx` imported before; the harness imports `respx` (and with it `httpx`)
  first. So `homeassistant` is imported here, before anything else.
- 2026.11 moved `_clear_logger_overwrites` from `homeassistant.components.logger` to its
  `helpers` module, where the harness no longer finds it. It is put back where the harness looks.

On the release the harness was made for, both steps would change nothing.
"""

import homeassistant  # noqa: F401  # first: on 2026.11+ this aliases httpx to httpx2
import homeassistant.components.logger as logger_component

if not hasattr(logger_component, "_clear_logger_overwrites"):
    from homeassistant.components.logger.helpers import _clear_logger_overwrites

    logger_component._clear_logger_overwrites = _clear_logger_overwrites  # type: ignore[attr-defined]
