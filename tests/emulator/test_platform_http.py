"""The platform emulator's HTTP API: every call, its errors and the api-key check."""

import aiohttp
import pytest

from emulator.platform import Errno, PlatformEmulator, StoredDatapoint

from .platform_helpers import call


async def _device(platform: PlatformEmulator, **body: object) -> str:
    answer = await call(platform, "POST", "/devices", json={"title": "dev", **body})
    assert answer["errno"] == 0
    device_id: str = answer["data"]["device_id"]
    return device_id


async def test_create_and_get_device(platform_emulator: PlatformEmulator) -> None:
    answer = await call(
        platform_emulator,
        "POST",
        "/devices",
        json={
            "title": "kitchen",
            "desc": "d",
            "tags": ["a"],
            "location": {"lon": 116.3, "lat": 39.9},
            "private": False,
            "auth_info": "SIM-1",
            "other": {"x": 1},
            "protocol": "EDP",
            "ignored": True,
        },
    )
    assert answer == {"errno": 0, "error": "succ", "data": {"device_id": "35270468"}}
    got = await call(platform_emulator, "GET", "/devices/35270468")
    assert got["errno"] == 0
    device = got["data"]
    assert device["id"] == "35270468"
    assert device["title"] == "kitchen"
    assert device["desc"] == "d"
    assert device["tags"] == ["a"]
    assert device["location"] == {"lon": 116.3, "lat": 39.9}
    assert device["private"] is False
    assert device["auth_info"] == "SIM-1"
    assert device["other"] == {"x": 1}
    assert device["protocol"] == "EDP"
    assert device["online"] is False
    assert device["datastreams"] == []
    assert len(device["create_time"]) == 19
    assert await _device(platform_emulator) == "35270469"


async def test_duplicate_auth_info_is_errno_6(platform_emulator: PlatformEmulator) -> None:
    await _device(platform_emulator, auth_info="abc12345678")
    answer = await call(
        platform_emulator, "POST", "/devices", json={"title": "x", "auth_info": "abc12345678"}
    )
    assert answer == {"errno": 6, "error": "invalid parameter: auth_info exists::abc12345678"}


async def test_auth_info_as_a_json_object(platform_emulator: PlatformEmulator) -> None:
    device_id = await _device(platform_emulator, auth_info={"SYS": "DcvGb46z="})
    device = await call(platform_emulator, "GET", f"/devices/{device_id}")
    assert device["data"]["auth_info"] == '{"SYS":"DcvGb46z="}'
    spaced = await call(
        platform_emulator,
        "POST",
        "/devices",
        json={"title": "t", "auth_info": '{"SYS": "DcvGb46z="}'},
    )
    assert spaced == {
        "errno": 6,
        "error": 'invalid parameter: auth_info exists::{"SYS":"DcvGb46z="}',
    }
    assert platform_emulator.store.device_by_auth_info('{ "SYS" : "DcvGb46z=" }') == device_id
    assert platform_emulator.store.device_by_auth_info("[1]") is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid parameter: title"),
        ({"title": "t", "auth_info": 5}, "invalid parameter: auth_info"),
        ({"title": ""}, "invalid parameter: title"),
        ({"title": "t", "tags": "a"}, "invalid parameter: tags"),
        ({"title": "t", "location": {"lon": 1}}, "invalid parameter: location needs lon and lat"),
        ([], "invalid parameter: body is not a JSON object"),
    ],
)
async def test_invalid_device_bodies(
    platform_emulator: PlatformEmulator, body: object, error: str
) -> None:
    answer = await call(platform_emulator, "POST", "/devices", json=body)
    assert answer == {"errno": Errno.INVALID_PARAMETER, "error": error}


async def test_non_json_body(platform_emulator: PlatformEmulator) -> None:
    answer = await call(platform_emulator, "POST", "/devices", data=b"{not json")
    assert answer == {"errno": 6, "error": "invalid parameter: body is not JSON"}


async def test_delete_device(platform_emulator: PlatformEmulator) -> None:
    device_id = await _device(platform_emulator)
    assert await call(platform_emulator, "DELETE", f"/devices/{device_id}") == {
        "errno": 0,
        "error": "succ",
    }
    gone = {"errno": Errno.DEVICE_NOT_EXIST, "error": f"device not exist: {device_id}"}
    assert await call(platform_emulator, "GET", f"/devices/{device_id}") == gone
    assert await call(platform_emulator, "DELETE", f"/devices/{device_id}") == gone
    assert await _device(platform_emulator) != device_id  # ids are never reused


async def test_keys_with_access_methods_at_top_level_or_per_permission(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = await _device(platform_emulator)
    top = await call(
        platform_emulator,
        "POST",
        "/keys",
        json={
            "title": "top",
            "permissions": [{"resources": [{"dev_id": device_id}]}],
            "access_methods": ["get", "put"],
        },
    )
    inside = await call(
        platform_emulator,
        "POST",
        "/keys",
        json={
            "title": "inside",
            "permissions": [
                {"resources": [{"dev_id": int(device_id)}], "access_methods": ["post"]}
            ],
        },
    )
    bare = await call(
        platform_emulator,
        "POST",
        "/keys",
        json={"permissions": [{"resources": [{"dev_id": device_id}]}]},
    )
    assert top["errno"] == inside["errno"] == bare["errno"] == 0
    listed = await call(platform_emulator, "GET", f"/keys?device_id={device_id}")
    assert listed["errno"] == 0
    keys = listed["data"]["keys"]
    assert [key["key"] for key in keys] == [
        top["data"]["key"],
        inside["data"]["key"],
        bare["data"]["key"],
    ]
    assert listed["data"]["total_count"] == 3
    methods = [key["permissions"][0]["access_methods"] for key in keys]
    assert methods == [["get", "put"], ["post"], ["get", "put", "post", "delete"]]
    assert [key["title"] for key in keys] == ["top", "inside", ""]
    assert keys[0]["permissions"][0]["resources"] == [{"dev_id": device_id}]


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"title": "k"}, {"errno": 6, "error": "invalid parameter: permissions"}),
        ({"permissions": [1]}, {"errno": 6, "error": "invalid parameter: permissions.resources"}),
        (
            {"permissions": [{"resources": [{"id": 1}]}]},
            {"errno": 6, "error": "invalid parameter: resources.dev_id"},
        ),
        (
            {"permissions": [{"resources": [{"dev_id": "1"}]}], "access_methods": ["fly"]},
            {"errno": 6, "error": "invalid parameter: access_methods"},
        ),
        (
            {"title": 5, "permissions": [{"resources": []}]},
            {"errno": 6, "error": "invalid parameter: title"},
        ),
        (
            {"permissions": [{"resources": [{"dev_id": "999"}]}]},
            {"errno": 3, "error": "device not exist: 999"},
        ),
    ],
)
async def test_invalid_key_bodies(
    platform_emulator: PlatformEmulator, body: object, answer: dict[str, object]
) -> None:
    assert await call(platform_emulator, "POST", "/keys", json=body) == answer


async def test_keys_need_a_device_id(platform_emulator: PlatformEmulator) -> None:
    answer = await call(platform_emulator, "GET", "/keys")
    assert answer == {"errno": 6, "error": "invalid parameter: device_id"}


async def test_api_key_check(platform_emulator: PlatformEmulator) -> None:
    mine = await _device(platform_emulator)
    other = await _device(platform_emulator)
    key = platform_emulator.create_key(mine)
    assert len(key) == 28
    missing = {"errno": Errno.AUTH_FAILED, "error": "auth failed: api-key missing"}
    invalid = {"errno": Errno.AUTH_FAILED, "error": "auth failed: invalid api-key"}
    denied = {"errno": Errno.PERMISSION_DENIED, "error": "permission denied: api-key has no access"}
    assert await call(platform_emulator, "GET", f"/devices/{mine}", key="") == missing
    assert await call(platform_emulator, "GET", f"/devices/{mine}", key="nope") == invalid
    # A device key opens its own device's calls ...
    for path in (f"/devices/{mine}", f"/devices/{mine}/datastreams", f"/keys?device_id={mine}"):
        assert (await call(platform_emulator, "GET", path, key=key))["errno"] == 0
    # ... and nothing else.
    assert await call(platform_emulator, "GET", f"/devices/{other}", key=key) == denied
    assert await call(platform_emulator, "DELETE", f"/devices/{mine}", key=key) == denied
    assert await call(platform_emulator, "POST", "/devices", key=key, json={"title": "t"}) == denied
    assert await call(platform_emulator, "POST", "/keys", key="nope", json={}) == invalid


async def test_datastreams_and_datapoints(platform_emulator: PlatformEmulator) -> None:
    device_id = await _device(platform_emulator)
    store = platform_emulator.store
    store.add_datapoint(StoredDatapoint(device_id, "temp", "2026-01-01 00:00:00", 21.5))
    store.add_datapoint(StoredDatapoint(device_id, "temp", "2026-01-01 00:01:00", 22))
    store.add_datapoint(StoredDatapoint(device_id, "hum", "2026-01-01 00:01:00", "35%"))
    store.add_datapoint(
        StoredDatapoint(
            device_id, "img", "2026-01-01 00:02:00", {"index": "i"}, {"ds_id": "img"}, 3, b"abc"
        )
    )
    streams = await call(platform_emulator, "GET", f"/devices/{device_id}/datastreams")
    assert [(s["id"], s["current_value"], s["update_at"]) for s in streams["data"]] == [
        ("temp", 22, "2026-01-01 00:01:00"),
        ("hum", "35%", "2026-01-01 00:01:00"),
        ("img", {"index": "i"}, "2026-01-01 00:02:00"),
    ]
    temp = await call(
        platform_emulator, "GET", f"/devices/{device_id}/datapoints?datastream_id=temp"
    )
    assert temp["data"] == {
        "count": 2,
        "datastreams": [
            {
                "id": "temp",
                "datapoints": [
                    {"at": "2026-01-01 00:00:00", "value": 21.5},
                    {"at": "2026-01-01 00:01:00", "value": 22},
                ],
            }
        ],
    }
    everything = await call(platform_emulator, "GET", f"/devices/{device_id}/datapoints")
    assert everything["data"]["count"] == 4
    assert everything["data"]["datastreams"][2]["datapoints"] == [
        {"at": "2026-01-01 00:02:00", "value": {"index": "i"}, "size": 3, "desc": {"ds_id": "img"}}
    ]
    device = await call(platform_emulator, "GET", f"/devices/{device_id}")
    assert [stream["id"] for stream in device["data"]["datastreams"]] == ["temp", "hum", "img"]


async def test_unknown_routes_answer_in_the_platform_shape(
    platform_emulator: PlatformEmulator,
) -> None:
    assert await call(platform_emulator, "GET", "/nothing") == {
        "errno": Errno.NOT_FOUND,
        "error": "not found: GET /nothing",
    }
    assert (await call(platform_emulator, "PUT", "/devices"))["errno"] == Errno.NOT_FOUND


async def test_stopped_emulator_refuses_connections_and_access(socket_enabled: None) -> None:
    platform = PlatformEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = platform.store
    with pytest.raises(RuntimeError, match="not running"):
        _ = platform.edp
    with pytest.raises(RuntimeError, match="not running"):
        _ = platform.changes
    async with platform:
        url = platform.http_url
        assert platform.http_port > 0
        assert platform.edp_port > 0
        assert platform.edp_address == ("127.0.0.1", platform.edp_port)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session, session.get(url):
            pass
