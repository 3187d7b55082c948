"""Baselines for the socket benchmarks, served by uvicorn exactly like the product:

    uvicorn echo_asgi:echo_application       (PYTHONPATH=bench)
    uvicorn echo_asgi:broadcast_application

- ``echo_application``: a raw Channels consumer at /ws/ that sends every text
  frame straight back to its sender — no origin check, no session, no
  database, no channel layer. The floor for "send → my own message back".
- ``broadcast_application``: a raw Channels consumer at /ws/ whose sockets all
  join one group on the channel layer (Redis, the product's settings); a text
  frame is ``group_send``-ed to the group and every socket forwards it as is —
  no session, no database. The floor for "one message → every member".
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.config.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

BROADCAST_GROUP = "bench.broadcast"


class EchoConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "no-layer"  # not configured: no channel layer at all

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


class BroadcastConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(BROADCAST_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(BROADCAST_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(BROADCAST_GROUP, {"type": "bench.frame", "text": text_data})

    async def bench_frame(self, event):
        await self.send(text_data=event["text"])


echo_application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/", EchoConsumer.as_asgi())])})
broadcast_application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/", BroadcastConsumer.as_asgi())])}
)
