"""Lets the test harness, made for one Home Assistant release, load on newer ones.

`scripts/test` runs the harness (`pytest-homeassistant-custom-component`, which pins one release)
on the newest release too, with this module as a pytest plugin: `python -m pytest -p
tests.harness_compat` loads it before the plugins of installed packages, the harness among them.

- Home Assistant 2026.11 makes `httpx` an alias of `httpx2` when `homeassistant` is imported,
  and refuses an `httpx` imported before; the harness imports `respx` (and with it `httpx`)
  first. So `homeassistant` is imported here, before anything else.
- 2026.11 moved `_clear_logger_overwrites` from `homeassistant.components.logger` to its
  `helpers` module, where the harness no longer finds it. It is put back where the harness looks.

- 2026.11 keys the stored states of `restore_state` by entity registry ID
  (`last_states_by_entity_registry_id`, `last_states_by_entity_id`), so the harness's
  `mock_restore_cache` helpers, which fill the `last_states` of 2026.10, restore nothing. They
  are replaced by ones that load the states as 2026.11 loads its file.

On the release the harness was made for, these steps change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import homeassistant  # noqa: F401  # first: on 2026.11+ this aliases httpx to httpx2
import homeassistant.components.logger as logger_component

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from homeassistant.core import HomeAssistant, State

if not hasattr(logger_component, "_clear_logger_overwrites"):
    from homeassistant.components.logger.helpers import _clear_logger_overwrites

    logger_component._clear_logger_overwrites = _clear_logger_overwrites  # type: ignore[attr-defined]


from homeassistant.helpers import restore_state

if hasattr(restore_state.RestoreStateData, "_async_load_stored_states"):
    import json

    from homeassistant.helpers import entity_registry as er
    from homeassistant.helpers.json import JSONEncoder
    from homeassistant.util import dt as dt_util

    def mock_restore_cache_with_extra_data(
        hass: HomeAssistant, states: Sequence[tuple[State, Mapping[str, Any] | None]]
    ) -> None:
        """The harness's helper, for the stored states of 2026.11 (as it loads its file)."""
        data = restore_state.RestoreStateData(hass)
        now = dt_util.utcnow()
        stored = []
        for state, extra_data in states:
            as_dict = state.as_dict()
            attributes = json.loads(json.dumps(as_dict["attributes"], cls=JSONEncoder))
            stored.append(
                {
                    "state": {**as_dict, "attributes": attributes},
                    "extra_data": extra_data,
                    "last_seen": now,
                }
            )
        # 2026.11's own names, absent from the release the type checker reads: getattr.
        getattr(data, "_async_load_stored_states")(stored)  # noqa: B009
        # An entity registered later finds its state by registry ID, as after a real load.
        hass.bus.async_listen(
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            getattr(data, "_async_entity_registry_entry_created"),  # noqa: B009
            event_filter=getattr(restore_state, "_entity_registry_entry_created_filter"),  # noqa: B009
        )
        restore_state.async_get.cache_clear()  # type: ignore[attr-defined]  # as the harness does
        hass.data[restore_state.DATA_RESTORE_STATE] = data

    def mock_restore_cache(hass: HomeAssistant, states: Sequence[State]) -> None:
        """The harness's helper without extra data, for 2026.11."""
        mock_restore_cache_with_extra_data(hass, [(state, None) for state in states])

    def pytest_configure() -> None:
        """Put the helpers in the harness once it is loaded (before, it refuses to load)."""
        from pytest_homeassistant_custom_component import common  # noqa: PLC0415

        common.mock_restore_cache_with_extra_data = mock_restore_cache_with_extra_data
        common.mock_restore_cache = mock_restore_cache
