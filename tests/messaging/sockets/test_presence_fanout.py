"""Presence fan-out in a large conversation (docs/messaging.md, "Presence"): people
connecting are coalesced into ``presence.summary`` frames instead of one
``presence`` frame per join to every member (N joins must not cost N² deliveries).

The group sends are counted at the channel layer itself: the settings' own layer
class (in-memory, or Redis with REDIS_URL) with ``group_send`` recording each call."""

import asyncio
import json

import pytest
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from core.realtime import conversation_group
from mentoring.models import Participant
from messaging.sockets import consumers
from tests.factories import member
from tests.mentoring.factories import mentor
from tests.messaging.factories import engagement_chat
from tests.messaging.sockets.client import TIMEOUT, connect

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 12


class CountSends:
    sends: list = []  # (group, event) of every group_send, in order

    async def group_send(self, group, message):
        CountSends.sends.append((group, message))
        await super().group_send(group, message)


class CountingInMemoryLayer(CountSends, InMemoryChannelLayer):
    pass


class CountingRedisLayer(CountSends, RedisChannelLayer):
    pass


class CountingPubSubLayer(CountSends, RedisPubSubChannelLayer):
    pass


COUNTING = {
    "channels.layers.InMemoryChannelLayer": CountingInMemoryLayer,
    "channels_redis.core.RedisChannelLayer": CountingRedisLayer,
    "channels_redis.pubsub.RedisPubSubChannelLayer": CountingPubSubLayer,
}


@pytest.fixture
def counted_layer(settings):
    layer = dict(settings.CHANNEL_LAYERS["default"])
    counting = COUNTING[layer["BACKEND"]]
    layer["BACKEND"] = f"{counting.__module__}.{counting.__qualname__}"
    settings.CHANNEL_LAYERS = {"default": layer}
    CountSends.sends = []
    return CountSends.sends


def presence_sends(sends, conversation_id):
    """The frames of the presence events sent to the conversation's group."""
    group = conversation_group(conversation_id)
    return [
        frame
        for to, event in sends
        if to == group and event["type"] == "chat.frame"
        for frame in [json.loads(event["text"])]
        if frame["type"].startswith("presence")
    ]


@pytest.fixture
def large_chat(org):
    people = [(mentor(org), Participant.Role.MENTOR)] + [
        (member(org), Participant.Role.SEEKER) for _ in range(MEMBERS - 1)
    ]
    return engagement_chat(org, people=people, kind="group")


async def test_people_joining_a_large_conversation_are_coalesced_into_summaries(
    settings, counted_layer, large_chat
):
    settings.PRESENCE_DIRECT_MAX_MEMBERS = 5
    settings.PRESENCE_SUMMARY_SECONDS = 5.0
    conversation, users = large_chat
    everyone = sorted(user.pk for user in users)

    first = await connect(users[0])
    others = await asyncio.gather(*(connect(user) for user in users[1:]))
    # the first member sees summaries only, until one has everybody online
    summaries = []
    while not summaries or summaries[-1]["online"] != everyone:
        frame = await first.receive_json_from(timeout=TIMEOUT + settings.PRESENCE_SUMMARY_SECONDS)
        assert frame["type"] != "presence", f"a per-person presence frame in a large chat: {frame}"
        if frame["type"] == "presence.summary":
            assert frame["conversation"] == conversation.pk and frame["away"] == []
            summaries.append(frame)

    joins = presence_sends(counted_layer, conversation.pk)
    assert [frame["type"] for frame in joins] == ["presence.summary"] * len(joins)
    assert len(joins) < MEMBERS  # not one send per join (each reaching every member)
    assert len(summaries) == len(joins)

    for socket in [first, *others]:
        await socket.disconnect()
    await asyncio.gather(*consumers.PRESENCE_SUMMARIES)  # the leaving, coalesced as well
    sent = presence_sends(counted_layer, conversation.pk)
    assert len(sent) < 2 * MEMBERS
    assert sent[-1] == {"type": "presence.summary", "conversation": conversation.pk, "online": [], "away": []}


async def test_a_small_conversation_still_gets_each_change_as_it_happens(settings, counted_layer, chat):
    settings.PRESENCE_DIRECT_MAX_MEMBERS = 5
    conversation, sam, ana = chat

    sam_socket = await connect(sam)
    ana_socket = await connect(ana)
    frame = await sam_socket.receive_json_from(timeout=TIMEOUT)

    assert (frame["type"], frame["user"], frame["state"]) == ("presence", ana.pk, "online")
    assert [f["type"] for f in presence_sends(counted_layer, conversation.pk)] == ["presence", "presence"]
    await sam_socket.disconnect()
    await ana_socket.disconnect()
