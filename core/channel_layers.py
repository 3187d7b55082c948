"""The embedded default's channel layer: in memory, with a relay between processes.

``make run`` has no Redis: the web process (uvicorn, where the sockets live), the Celery
worker and beat are separate processes, and Channels' ``InMemoryChannelLayer`` only
reaches sockets of the process that sends. ``RelayedInMemoryChannelLayer`` is that
in-memory layer plus a relay through one small SQLite file (``CHANNEL_RELAY_PATH``,
``var/channel-relay.sqlite3`` by default) that needs no server:

- every ``send`` / ``group_send`` is delivered in this process as before and also
  appended to the relay as one row (JSON, stamped with this layer's origin);
- a process that has sockets (the first ``receive`` or ``group_add`` starts it) polls
  the relay every ``poll_interval`` seconds (0.2 s) in its event loop and delivers the
  rows other origins wrote to its own in-memory groups and channels;
- rows older than ``expiry`` seconds are pruned; a reader starts at the newest row, so a
  restart never replays old doorbells (clients resume from the database anyway).

Like every layer here it only rings doorbells: a lost or late row costs latency, never
data. With ``REDIS_URL`` the settings pick channels-redis instead and this is unused.
"""

import asyncio
import json
import logging
import sqlite3
import time
import uuid
from contextlib import closing, suppress
from pathlib import Path

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger("core.channel_layers")

SCHEMA = """
CREATE TABLE IF NOT EXISTS relay (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,          -- 'group' or 'channel'
    target TEXT NOT NULL,        -- the group or channel name
    message TEXT NOT NULL,       -- JSON
    created REAL NOT NULL
)
"""
READ_BATCH = 500


class SqliteRelay:
    """Rows of (kind, target, message) shared by every process on this machine."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:  # the folder first: SQLite creates the file, not its folder
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        if not self._ready:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            self._ready = True
        return connection

    def append(self, *, origin: str, kind: str, target: str, message: str) -> None:
        with closing(self._connect()) as connection:
            connection.execute(
                "INSERT INTO relay (origin, kind, target, message, created) VALUES (?, ?, ?, ?, ?)",
                (origin, kind, target, message, time.time()),
            )

    def newest_id(self) -> int:
        with closing(self._connect()) as connection:
            return connection.execute("SELECT COALESCE(MAX(id), 0) FROM relay").fetchone()[0]

    def read_after(self, last_id: int) -> list[tuple[int, str, str, str, str]]:
        """The next rows after ``last_id``, oldest first (a process skips its own)."""
        with closing(self._connect()) as connection:
            return connection.execute(
                "SELECT id, origin, kind, target, message FROM relay WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, READ_BATCH),
            ).fetchall()

    def prune(self, older_than_seconds: float) -> None:
        with closing(self._connect()) as connection:
            connection.execute("DELETE FROM relay WHERE created < ?", (time.time() - older_than_seconds,))


class RelayedInMemoryChannelLayer(InMemoryChannelLayer):
    """``InMemoryChannelLayer`` whose sends also reach the other processes on the machine."""

    def __init__(self, relay_path, poll_interval: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        self.relay = SqliteRelay(relay_path)
        self.poll_interval = poll_interval
        self.origin = uuid.uuid4().hex
        self._poller: asyncio.Task | None = None

    # --- sending: here, and to the relay ------------------------------------------

    async def send(self, channel, message):
        await super().send(channel, message)
        await self._relay("channel", channel, message)

    async def group_send(self, group, message):
        await self._group_send_here(group, message)
        await self._relay("group", group, message)

    async def _group_send_here(self, group, message):
        # InMemoryChannelLayer.group_send calls self.send per member, which would
        # relay every member's copy as well: deliver here without the relay
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            with suppress(ChannelFull):  # a full socket drops the doorbell, as with any layer
                await InMemoryChannelLayer.send(self, channel, message)

    async def _relay(self, kind: str, target: str, message: dict) -> None:
        try:
            body = json.dumps(message)
        except (TypeError, ValueError):
            logger.warning("a %s send to %s is not JSON: delivered in this process only", kind, target)
            return
        try:
            await asyncio.to_thread(
                self.relay.append, origin=self.origin, kind=kind, target=target, message=body
            )
        except (sqlite3.Error, OSError):
            logger.exception("the channel relay at %s refused a %s send to %s", self.relay.path, kind, target)

    # --- receiving: a process with sockets polls the relay --------------------------

    async def receive(self, channel):
        self._ensure_poller()
        return await super().receive(channel)

    async def group_add(self, group, channel):
        self._ensure_poller()
        await super().group_add(group, channel)

    def _ensure_poller(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is not None and not self._poller.done() and self._poller.get_loop() is loop:
            return
        self._poller = loop.create_task(self._poll(), name="channel-relay-poller")

    async def _poll(self) -> None:
        cursor = None
        polls = 0
        while True:
            try:
                if cursor is None:  # start from now: what was sent before is not ours
                    cursor = await asyncio.to_thread(self.relay.newest_id)
                cursor = await self._deliver_after(cursor)
                polls += 1
                if polls % 300 == 0:  # about once a minute
                    await asyncio.to_thread(self.relay.prune, self.expiry)
            except (sqlite3.Error, OSError):
                logger.exception("reading the channel relay at %s failed; retrying", self.relay.path)
            await asyncio.sleep(self.poll_interval)

    async def _deliver_after(self, cursor: int) -> int:
        rows = await asyncio.to_thread(self.relay.read_after, cursor)
        for row_id, origin, kind, target, body in rows:
            cursor = row_id
            if origin == self.origin:
                continue  # delivered here when it was sent
            message = json.loads(body)
            if kind == "group":
                await self._group_send_here(target, message)
            elif target in self.channels:  # another process's channels are not ours to fill
                with suppress(ChannelFull):
                    await InMemoryChannelLayer.send(self, target, message)
        return cursor

    async def flush(self):
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        await super().flush()

    async def close(self):
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        await super().close()
