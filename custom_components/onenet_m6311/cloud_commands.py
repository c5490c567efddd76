"""Commands from OneNET (+IOTCMD): a bus event for each, and allow-listed service calls.

A payload that is a JSON object with an "action" key asks for a service call:

    {"action": "light.turn_on", "target": {"entity_id": "light.porch"}, "data": {"brightness": 80}}

It runs only when its action is in the entry's allow-list (options; empty by default).
Anything refused is logged and fires `onenet_m6311_command_rejected` with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.util.json import JsonValueType, json_loads

from .const import (
    CONF_ALLOWED_ACTIONS,
    DOMAIN,
    EVENT_COMMAND,
    EVENT_COMMAND_REJECTED,
    LOGGER,
)
from .voluptuous_alias import vol

if TYPE_CHECKING:
    from collections.abc import Callable

    from .coordinator import M6311Coordinator
    from .m6311 import CloudCommand

SERVICE_CALL_SCHEMA = vol.Schema(
    {
        vol.Required("action"): cv.service,
        # Core's own target fields, as a script's or an automation's action takes them.
        vol.Optional("target", default=dict): vol.Schema(cv.TARGET_SERVICE_FIELDS),
        vol.Optional("data", default=dict): dict,
    }
)
"""The shape of a service call sent from the cloud."""


def parse_payload(text: str) -> JsonValueType:
    """The payload as JSON, or None when it is not JSON."""
    try:
        return json_loads(text)
    except ValueError:
        return None


def command_attributes(command: CloudCommand) -> dict[str, Any]:
    """What the event entity and the bus event carry about a command."""
    return {
        "payload": command.text,
        "length": len(command.data),
        "json": parse_payload(command.text),
        "truncated": command.truncated,
    }


def async_setup_cloud_commands(
    hass: HomeAssistant, coordinator: M6311Coordinator
) -> Callable[[], None]:
    """Handle the coordinator's cloud commands; returns the call that stops it."""
    handler = CloudCommandHandler(hass, coordinator)
    return coordinator.add_command_listener(handler.handle)


class CloudCommandHandler:
    """Fires the bus event and runs allowed service calls for one entry."""

    def __init__(self, hass: HomeAssistant, coordinator: M6311Coordinator) -> None:
        """Serve one entry's commands."""
        self.hass = hass
        self.coordinator = coordinator

    @property
    def _base_data(self) -> dict[str, Any]:
        entry = self.coordinator.config_entry
        # One device per entry: the module.
        devices = dr.async_entries_for_config_entry(dr.async_get(self.hass), entry.entry_id)
        return {"device_id": devices[0].id if devices else None, "config_entry_id": entry.entry_id}

    @callback
    def handle(self, command: CloudCommand) -> None:
        """Fire the bus event; run the service call the payload asks for, if allowed."""
        attributes = command_attributes(command)
        self.hass.bus.async_fire(EVENT_COMMAND, {**self._base_data, **attributes})
        request = attributes["json"]
        if not isinstance(request, dict) or "action" not in request:
            return
        if command.truncated:  # the module printed less than it announced: never acted on
            self._reject(attributes["payload"], request.get("action"), "truncated")
            return
        self._service_call(request, attributes["payload"])

    def _service_call(self, request: dict[str, Any], payload: str) -> None:
        action = request.get("action")
        allowed = self.coordinator.config_entry.options.get(CONF_ALLOWED_ACTIONS, [])
        if action not in allowed:
            self._reject(payload, action, "not_allowed")
            return
        try:
            call = SERVICE_CALL_SCHEMA(request)
        except vol.Invalid as err:
            self._reject(payload, action, "invalid", str(err))
            return
        domain, service = call["action"].split(".", 1)
        if not self.hass.services.has_service(domain, service):
            self._reject(payload, action, "unknown_action")
            return
        self.coordinator.config_entry.async_create_background_task(
            self.hass,
            self._run(domain, service, call, payload),
            f"{DOMAIN} cloud command {action}",
        )

    async def _run(self, domain: str, service: str, call: dict[str, Any], payload: str) -> None:
        try:
            await self.hass.services.async_call(
                domain,
                service,
                call["data"],
                blocking=True,
                context=Context(),
                target=call["target"],
            )
        except (HomeAssistantError, vol.Invalid) as err:
            self._reject(payload, call["action"], "failed", str(err))

    def _reject(self, payload: str, action: object, reason: str, detail: str = "") -> None:
        LOGGER.warning(
            "Refused a service call from OneNET (%s): action %r%s",
            reason,
            action,
            f": {detail}" if detail else "",
        )
        self.hass.bus.async_fire(
            EVENT_COMMAND_REJECTED,
            {
                **self._base_data,
                "payload": payload,
                "action": action if isinstance(action, str) else None,
                "reason": reason,
                "detail": detail,
            },
        )
