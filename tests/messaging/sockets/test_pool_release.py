"""A socket's services run in worker threads (``TandemConsumer.call``); each gives its
pooled database connection back when it ends, or every call would hold one connection
of the process's pool for as long as its thread lives."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from tests.messaging.sockets.client import TIMEOUT, connect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def checked_out() -> int:
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


async def test_sending_messages_gives_every_pooled_connection_back(chat):
    conversation, sam, _ = chat
    socket = await connect(sam)
    before = await database_sync_to_async(checked_out)()

    for n in range(8):
        frame = {
            "type": "message.send",
            "conversation": conversation.pk,
            "client_id": str(uuid.uuid4()),
            "body": f"message {n}",
            "ref": f"r{n}",
        }
        await socket.send_json_to(frame)
        while (answer := await socket.receive_json_from(timeout=TIMEOUT))["type"] != "message.ack":
            assert answer["type"] != "error", answer
        assert answer["ref"] == f"r{n}"
    await socket.disconnect()

    assert await database_sync_to_async(checked_out)() <= before
