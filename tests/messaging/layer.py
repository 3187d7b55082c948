"""What services put on the channel layer, read from the layer itself.

``listening_to(*groups)`` swaps in an in-memory layer for the block and
subscribes one channel to the groups; ``.received()`` returns the events that
reached it so far. Nothing is patched: the services send through
``core.realtime`` exactly as in production."""

import asyncio
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


class GroupListener:
    def __init__(self, groups):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def received(self) -> list[dict]:
        """Every event delivered to the channel since the last call, in order."""

        async def drain():
            events = []
            while True:
                try:
                    events.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05))
                except TimeoutError:
                    return events

        return async_to_sync(drain)()


@contextmanager
def listening_to(*groups):
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        yield GroupListener(groups)
