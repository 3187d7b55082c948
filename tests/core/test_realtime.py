"""core.realtime: sends from synchronous code without an event loop of its own (tasks,
commands) go through one long-lived loop per process, not a new loop per send."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from core import realtime


def subscribed_channel(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def test_sends_without_a_loop_arrive_through_one_long_lived_loop():
    channel = subscribed_channel("people")
    realtime.send_now("people", {"type": "test.one"})
    loop = realtime._publisher.loop()
    threads = threading.active_count()

    for n in range(20):
        realtime.send_many_now([("people", {"type": "test.many", "n": n})])
    # no thread per send (the embedded layer may start one executor thread for its relay)
    assert threading.active_count() <= threads + 1

    layer = get_channel_layer()

    async def receive_all():
        return [await layer.receive(channel) for _ in range(21)]

    received = async_to_sync(receive_all)()
    assert [event["type"] for event in received] == ["test.one"] + ["test.many"] * 20
    assert [event["n"] for event in received[1:]] == list(range(20))
    assert realtime._publisher.loop() is loop and loop.is_running()


@pytest.mark.asyncio
async def test_sync_code_run_for_an_event_loop_sends_on_that_loop():
    channel = await get_channel_layer().new_channel()
    await get_channel_layer().group_add("people", channel)

    await sync_to_async(realtime.send_now)("people", {"type": "test.served"})

    assert (await get_channel_layer().receive(channel))["type"] == "test.served"


def test_a_layer_that_fails_costs_a_log_line_not_the_caller(monkeypatch, caplog):
    layer = get_channel_layer()

    async def broken(group, event):
        raise ConnectionError("layer down")

    monkeypatch.setattr(layer, "group_send", broken)
    realtime.send_now("people", {"type": "test.lost"})

    assert "channel-layer send(s) failed" in caplog.text


@pytest.mark.asyncio
async def test_sync_code_called_on_the_event_loop_thread_itself_sends_soon_after():
    # a script or an async test calling a service straight from its coroutine: the send
    # cannot block on the loop it runs on, so it goes out as a task on that loop
    channel = await get_channel_layer().new_channel()
    await get_channel_layer().group_add("people", channel)

    realtime.send_many_now(
        [("people", {"type": "test.inline", "n": 1}), ("people", {"type": "test.inline", "n": 2})]
    )

    received = [await asyncio.wait_for(get_channel_layer().receive(channel), 5) for _ in range(2)]
    assert [event["n"] for event in received] == [1, 2]
    await asyncio.gather(*realtime._scheduled)  # the relay write of the embedded layer, if any
    assert not realtime._scheduled
