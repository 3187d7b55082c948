"""Benchmark: one message to a 1,000-member chat — until the last member has it.

    DATABASE_URL=postgres://…/tandem_h3 REDIS_URL=redis://…/3 \
        python bench/ws_fanout.py [--quick] [--keep] [--processes N] [--messages N] [--members N]

1. A scratch database ``<db>_ws_fanout`` next to DATABASE_URL: a workspace of
   1,000 people (``workspace_create`` / ``workspace_join_by_domain``) in one group
   engagement started by the talent manager (``group_engagement_create``), its
   chat (``conversation_for_engagement``), one real session per person.
2. Baseline phase: 1,000 sockets on a raw Channels consumer
   (``bench/echo_asgi.py:broadcast_application``: no origin check, no session,
   no database) that ``group_send``s each frame to one group of all of them over the
   same Redis channel layer; every socket forwards it. Same uvicorn setup.
3. Product phase: the members' sockets (session cookie, Origin) on
   ``uvicorn mentoring.config.asgi:application`` (--processes processes, clients spread
   round-robin). One member after another (a different one each time, so
   nobody comes near the rate limit) sends a ``message.send``; measured: send →
   the moment the last of the sockets (the sender's included) has the
   ``message.new``. The next message goes once all have it. 50 messages after
   5 warm-up ones.
4. Checks: every socket got every message exactly once; the database holds
   exactly the messages sent.

Target: p95 ≤ 100 ms, lost = duplicated = 0. Quick: 100 members, 20 messages.
The last line printed is one JSON object (DESIGN §9).
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_common import (
    PORT_BASE,
    Bench,
    cpu_seconds,
    emit,
    gather_limited,
    load_average,
    log,
    make_group_chat,
    make_workspace,
    session_cookies,
    summary_ms,
    ws_connect,
)

FULL = {"people": 1000, "messages": 50}
QUICK = {"people": 100, "messages": 20}
WARMUP = 5
TARGET_MS = 100.0
MESSAGE_TIMEOUT = 10.0


class Member:
    def __init__(self, user_id: int, cookie: str, server):
        self.user_id, self.cookie, self.server = user_id, cookie, server
        self.ws = None
        self.received: dict[str, float] = {}  # client_id -> first receipt
        self.deliveries: Counter = Counter()
        self.last_frame_at = time.perf_counter()
        self.errors: list[dict] = []
        self.closed_with = None
        self.arrived = None  # set by the phase: an Event to poke on each receipt

    async def open(self, product: bool) -> None:
        self.ws = await ws_connect(self.server, self.cookie if product else None)
        if product:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if frame.get("type") != "hello":
                raise RuntimeError(f"expected hello, got {frame}")
        self.reader = asyncio.create_task(self.read(product))

    async def read(self, product: bool) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                self.last_frame_at = now
                frame = json.loads(raw)
                kind = frame.get("type")
                if product and kind == "message.new":
                    client_id = frame["message"]["client_id"]
                elif not product and kind == "message.send":
                    client_id = frame["client_id"]
                else:
                    if kind == "error":
                        self.errors.append(frame)
                    continue
                self.deliveries[client_id] += 1
                self.received.setdefault(client_id, now)
                self.arrived.set()
        except Exception as error:
            self.closed_with = repr(error)

    async def send(self, conversation_id: int, index: int) -> tuple[str, float]:
        client_id = str(uuid.uuid4())
        text = json.dumps(
            {
                "type": "message.send",
                "conversation": conversation_id,
                "client_id": client_id,
                "body": f"Fan-out message {index} to everyone in the group.",
                "ref": index,
            }
        )
        sent_at = time.perf_counter()
        await self.ws.send(text)
        return client_id, sent_at


async def quiet(members: list[Member], *, seconds: float = 1.0, limit: float = 60.0) -> None:
    """Wait until no socket has had a frame for ``seconds`` (connect-time presence)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if time.perf_counter() - max(m.last_frame_at for m in members) >= seconds:
            return
        await asyncio.sleep(0.1)


async def run_phase(
    label: str, members: list[Member], *, product: bool, conversation_id: int, messages: int, servers
):
    arrived = asyncio.Event()
    for m in members:
        m.arrived = arrived
    started = time.perf_counter()
    await gather_limited([m.open(product) for m in members], limit=20)
    log(f"[{label}] {len(members)} sockets open in {time.perf_counter() - started:.1f} s")
    await quiet(members)
    log(f"[{label}] quiet after {time.perf_counter() - started:.1f} s")
    latencies, sent = [], []
    timeouts = 0
    cpu_before = cpu_seconds(servers)
    for index in range(WARMUP + messages):
        sender = members[(index * 7) % len(members)]  # a different sender each time
        client_id, sent_at = await sender.send(conversation_id, index)
        sent.append(client_id)
        deadline = sent_at + MESSAGE_TIMEOUT
        while not all(client_id in m.received for m in members):
            arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                timeouts += 1
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), remaining)
        else:
            if index >= WARMUP:
                latencies.append(max(m.received[client_id] for m in members) - sent_at)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # late duplicates would arrive now
    cpu_per_message_ms = (cpu_seconds(servers) - cpu_before) / len(sent) * 1000
    for m in members:
        await m.ws.close()
        await m.reader
    lost = sum(1 for cid in sent for m in members if m.deliveries[cid] == 0)
    duplicated = sum(max(0, m.deliveries[cid] - 1) for cid in sent for m in members)
    errors = [e for m in members for e in m.errors]
    drops = sum(1 for m in members if m.closed_with)
    log(
        f"[{label}] last member {summary_ms(latencies)}; lost {lost}, duplicated {duplicated}, "
        f"timeouts {timeouts}, error frames {len(errors)}, dropped sockets {drops}, "
        f"server CPU {cpu_per_message_ms:.1f} ms/message"
    )
    for e in errors[:5]:
        log(f"[{label}] error frame: {e}")
    return {
        "latencies": latencies,
        "sent": sent,
        "lost": lost,
        "duplicated": duplicated,
        "timeouts": timeouts,
        "errors": len(errors),
        "dropped": drops,
        "cpu_ms_per_message": round(cpu_per_message_ms, 2),
    }


def check_database(conversation_id: int, sent: list[str]) -> dict:
    from messaging.models import Message

    rows = list(Message.objects.filter(conversation_id=conversation_id).values_list("seq", "client_id"))
    stored = Counter(str(cid) for _, cid in rows)
    seqs = sorted(seq for seq, _ in rows)
    return {
        "rows": len(rows),
        "missing": len(set(sent) - set(stored)),
        "extra": len(set(stored) - set(sent)),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1),
        "gap_free": seqs == list(range(1, len(seqs) + 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 members, 20 messages")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--processes", type=int, default=2, help="uvicorn processes per server (default 2)")
    parser.add_argument("--messages", type=int, help="measured messages (after 5 warm-up ones)")
    parser.add_argument("--members", type=int, help="members of the chat (default 1,000; quick 100)")
    parser.add_argument("--app", default="mentoring.config.asgi:application", help="the ASGI app to measure")
    args = parser.parse_args()
    size = dict(QUICK if args.quick else FULL)
    if args.messages:
        size["messages"] = args.messages
    if args.members:
        size["people"] = args.members
    wall = time.perf_counter()
    bench = Bench("ws_fanout", keep=args.keep)
    try:
        bench.setup()
        started = time.perf_counter()
        manager, people = make_workspace(size["people"])
        chat = make_group_chat(manager, people, "Everyone")
        cookies = session_cookies(people)
        log(f"[ws_fanout] {len(people)} members in one chat in {time.perf_counter() - started:.1f} s")
        from django.db import connections

        connections.close_all()
        baseline_servers = bench.start_servers(
            "echo_asgi:broadcast_application", [PORT_BASE + 30 + i for i in range(args.processes)]
        )
        product_servers = bench.start_servers(args.app, [PORT_BASE + 20 + i for i in range(args.processes)])

        def members(servers):
            return [Member(u.pk, cookies[u.pk], servers[i % len(servers)]) for i, u in enumerate(people)]

        load_before = load_average()
        baseline = asyncio.run(
            run_phase(
                "raw layer",
                members(baseline_servers),
                product=False,
                conversation_id=chat.pk,
                messages=size["messages"],
                servers=baseline_servers,
            )
        )
        product = asyncio.run(
            run_phase(
                "product",
                members(product_servers),
                product=True,
                conversation_id=chat.pk,
                messages=size["messages"],
                servers=product_servers,
            )
        )
        load_after = load_average()
        database = check_database(chat.pk, product["sent"])
        log(f"[ws_fanout] database: {database}")
    finally:
        bench.cleanup()

    value = summary_ms(product["latencies"])
    base = summary_ms(baseline["latencies"])
    lost = product["lost"] + database["missing"]
    duplicated = product["duplicated"] + database["duplicated"] + database["extra"]
    ok = (
        value.get("p95", float("inf")) <= TARGET_MS
        and lost == 0
        and duplicated == 0
        and database["gap_free"]
        and product["timeouts"] == 0
        and product["errors"] == 0
    )
    emit(
        {
            "bench": "ws_fanout",
            "metric": "p95 ms, send -> last of N members has message.new",
            "value": value.get("p95"),
            "baseline": base.get("p95"),
            "ratio": round(value["p95"] / base["p95"], 2) if value.get("p95") and base.get("p95") else None,
            "target": f"<= {TARGET_MS:g} ms; lost 0; duplicated 0",
            "pass": ok,
            "quick": args.quick,
            "members": size["people"],
            "messages": size["messages"],
            "processes": args.processes,
            "latency_ms": value,
            "baseline_ms": base,
            "lost": lost,
            "duplicated": duplicated,
            "timeouts": product["timeouts"],
            "error_frames": product["errors"],
            "dropped_sockets": product["dropped"],
            "server_cpu_ms_per_message": product["cpu_ms_per_message"],
            "baseline_server_cpu_ms_per_message": baseline["cpu_ms_per_message"],
            "database": database,
            "load_avg": [load_before, load_after],
            "wall_s": round(time.perf_counter() - wall, 1),
        }
    )


if __name__ == "__main__":
    main()
