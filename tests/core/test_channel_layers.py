"""The embedded default's layer (core.channel_layers): in memory, with a relay through a
SQLite file so a send from another process (the Celery worker) reaches this one's
sockets. Two layer instances on one file stand for two processes; one test uses a real
second process."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from core.channel_layers import RelayedInMemoryChannelLayer

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10  # seconds: generous on busy machines; the receive returns as soon as it can


def layer(tmp_path) -> RelayedInMemoryChannelLayer:
    return RelayedInMemoryChannelLayer(relay_path=tmp_path / "relay.sqlite3", poll_interval=0.05)


async def subscribed(web: RelayedInMemoryChannelLayer, group: str) -> str:
    channel = await web.new_channel()
    await web.group_add(group, channel)
    await asyncio.sleep(0.2)  # the poller has taken its starting cursor
    return channel


async def test_a_group_send_from_another_process_reaches_this_processs_group(tmp_path):
    web, worker = layer(tmp_path), layer(tmp_path)
    channel = await subscribed(web, "user.7")

    await worker.group_send("user.7", {"type": "notification", "unread_count": 3})

    message = await asyncio.wait_for(web.receive(channel), WAIT)
    assert message == {"type": "notification", "unread_count": 3}
    await web.close()


async def test_a_send_in_this_process_is_delivered_once_not_again_through_the_relay(tmp_path):
    web = layer(tmp_path)
    channel = await subscribed(web, "user.7")

    await web.group_send("user.7", {"type": "ping", "n": 1})
    await web.group_send("user.7", {"type": "ping", "n": 2})

    assert (await asyncio.wait_for(web.receive(channel), WAIT))["n"] == 1
    assert (await asyncio.wait_for(web.receive(channel), WAIT))["n"] == 2
    await asyncio.sleep(0.3)  # several polls
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(web.receive(channel), 0.3)
    await web.close()


async def test_other_groups_do_not_hear_it(tmp_path):
    web, worker = layer(tmp_path), layer(tmp_path)
    mine = await subscribed(web, "user.1")
    await subscribed(web, "user.2")

    await worker.group_send("user.2", {"type": "notification"})
    await worker.group_send("user.1", {"type": "notification", "for": 1})

    assert (await asyncio.wait_for(web.receive(mine), WAIT))["for"] == 1
    await web.close()


async def test_doorbells_written_before_a_reader_started_are_not_replayed(tmp_path):
    worker = layer(tmp_path)
    await worker.group_send("user.7", {"type": "notification", "old": True})
    web = layer(tmp_path)
    channel = await subscribed(web, "user.7")

    await worker.group_send("user.7", {"type": "notification", "old": False})

    assert (await asyncio.wait_for(web.receive(channel), WAIT))["old"] is False
    await web.close()


async def test_a_real_second_process_reaches_this_process(tmp_path):
    web = layer(tmp_path)
    channel = await subscribed(web, "user.9")
    script = (
        "import asyncio; from core.channel_layers import RelayedInMemoryChannelLayer as L; "
        f"asyncio.run(L(relay_path={str(tmp_path / 'relay.sqlite3')!r}).group_send("
        "'user.9', {'type': 'notification', 'from': 'worker'}))"
    )

    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT)
    assert await process.wait() == 0

    assert (await asyncio.wait_for(web.receive(channel), WAIT))["from"] == "worker"
    await web.close()


def test_the_embedded_default_selects_the_relayed_layer(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CHANNEL_LAYERS['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DJANGO_ENV": "development",
            "DJANGO_SETTINGS_MODULE": "mentoring.config.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "core.channel_layers.RelayedInMemoryChannelLayer"


async def test_a_relay_in_a_folder_not_made_yet_works_from_the_first_receive(tmp_path):
    # a fresh checkout has no var/: the reader, not only a sender, makes the folder
    web = RelayedInMemoryChannelLayer(relay_path=tmp_path / "var" / "relay.sqlite3", poll_interval=0.05)
    worker = RelayedInMemoryChannelLayer(relay_path=tmp_path / "var" / "relay.sqlite3", poll_interval=0.05)
    channel = await subscribed(web, "user.9")

    await worker.group_send("user.9", {"type": "ping", "n": 2})

    assert await asyncio.wait_for(web.receive(channel), WAIT) == {"type": "ping", "n": 2}
    assert not web._poller.done()
    await web.close()
