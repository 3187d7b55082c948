"""Benchmark: send → the sender's own ``message.new``, under steady chat load.

    DATABASE_URL=postgres://…/tandem_h3 REDIS_URL=redis://…/3 \
        python bench/ws_roundtrip.py [--quick] [--keep] [--processes N]

1. A scratch database ``<db>_ws_roundtrip`` next to DATABASE_URL: a workspace
   (made with ``workspace_create`` / ``workspace_join_by_domain``), 200 people
   in 20 group engagements of 10 (``group_engagement_create`` by the talent
   manager) and their chats (``conversation_for_engagement``); one real session
   per person.
2. Baseline phase: the same 200 sockets connect to a raw echo consumer
   (``bench/echo_asgi.py``: no origin check, no session, no database, no
   channel layer) served by uvicorn the same way, and send the same frames at
   the same rate; latency = send → the echo back.
3. Product phase: 200 sockets (each with its session cookie and the right
   Origin) on ``uvicorn mentoring.config.asgi:application`` (--processes separate
   processes, clients spread round-robin, the channel layer on Redis), sending
   ``message.send`` frames at 20 messages/s in total (a random person each
   time) for 60 s; latency = send → the sender receives its own ``message.new``
   (through the database, the commit and the channel layer).
4. Checks: every message acknowledged; every member of a conversation
   received every message of it exactly once (live); the database holds
   exactly the messages sent (one row per client_id, seqs 1..n without gaps).

Target: p95 ≤ baseline p95 + 8 ms, and lost = duplicated = 0.
Quick: 60 people in 6 chats, 10 s per phase.
The last line printed is one JSON object (DESIGN §9).
"""

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
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

FULL = {"people": 200, "conversations": 20, "rate": 20.0, "seconds": 60.0}
QUICK = {"people": 60, "conversations": 6, "rate": 20.0, "seconds": 10.0}
WARMUP_SECONDS = 2.0  # sent and checked, but not in the latency figures
TARGET_EXTRA_MS = 8.0
SETTLE_TIMEOUT = 20.0


class Socket:
    """One client: a person's socket and what it saw."""

    def __init__(self, user_id: int, cookie: str | None, conversation_id: int, server):
        self.user_id, self.cookie, self.conversation_id, self.server = (
            user_id,
            cookie,
            conversation_id,
            server,
        )
        self.ws = None
        self.hello = asyncio.Event()
        self.sent_at: dict[str, float] = {}
        self.latency: dict[str, float] = {}
        self.acked: set[str] = set()
        self.ack_latency: dict[str, float] = {}
        self.deliveries: Counter = Counter()  # client_id -> message.new frames received
        self.errors: list[dict] = []
        self.closed_with = None

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
                frame = json.loads(raw)
                kind = frame.get("type")
                if not product:  # the echo sends our own frame back
                    client_id = frame["client_id"]
                    self.deliveries[client_id] += 1
                    self.latency.setdefault(client_id, now - self.sent_at[client_id])
                elif kind == "message.new":
                    message = frame["message"]
                    client_id = message["client_id"]
                    self.deliveries[client_id] += 1
                    if client_id in self.sent_at:
                        self.latency.setdefault(client_id, now - self.sent_at[client_id])
                elif kind == "message.ack":
                    self.acked.add(frame["client_id"])
                    if frame["client_id"] in self.sent_at:
                        self.ack_latency.setdefault(
                            frame["client_id"], now - self.sent_at[frame["client_id"]]
                        )
                elif kind == "error":
                    self.errors.append(frame)
        except Exception as error:  # a dropped socket shows up as lost messages
            self.closed_with = repr(error)

    async def send(self, index: int) -> str:
        client_id = str(uuid.uuid4())
        frame = {
            "type": "message.send",
            "conversation": self.conversation_id,
            "client_id": client_id,
            "body": f"Benchmark message {index}: how did the review go?",
            "ref": index,
        }
        text = json.dumps(frame)
        self.sent_at[client_id] = time.perf_counter()
        await self.ws.send(text)
        return client_id


async def run_phase(
    label: str, sockets: list[Socket], *, product: bool, rate: float, seconds: float, seed: int, servers
):
    started = time.perf_counter()
    await gather_limited([s.open(product) for s in sockets], limit=20)
    log(f"[{label}] {len(sockets)} sockets open in {time.perf_counter() - started:.1f} s")
    await asyncio.sleep(2.0)  # let the connect-time presence frames drain
    rng = random.Random(seed)
    total = int(rate * seconds)
    warmup = int(rate * WARMUP_SECONDS)
    sent: list[tuple[Socket, str, int]] = []
    cpu_before = cpu_seconds(servers)
    t0 = time.perf_counter()
    for index in range(total):
        delay = t0 + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        socket = rng.choice(sockets)
        sent.append((socket, await socket.send(index), index))
    log(
        f"[{label}] {total} messages sent in {time.perf_counter() - t0:.1f} s; "
        "waiting for the last deliveries"
    )
    members: dict[int, list[Socket]] = defaultdict(list)
    for s in sockets:
        members[s.conversation_id].append(s)

    def settled() -> bool:
        for socket, client_id, _ in sent:
            if product and client_id not in socket.acked:
                return False
            receivers = members[socket.conversation_id] if product else [socket]
            if any(r.deliveries[client_id] == 0 for r in receivers):
                return False
        return True

    deadline = time.perf_counter() + SETTLE_TIMEOUT
    while not settled() and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # duplicates would arrive now
    cpu_per_message_ms = (cpu_seconds(servers) - cpu_before) / len(sent) * 1000
    for s in sockets:
        await s.ws.close()
        await s.reader
    latencies = [
        socket.latency[cid] for socket, cid, index in sent if index >= warmup and cid in socket.latency
    ]
    ack_latencies = [
        socket.ack_latency[cid]
        for socket, cid, index in sent
        if index >= warmup and cid in socket.ack_latency
    ]
    lost_live = duplicated_live = 0
    for socket, client_id, _ in sent:
        receivers = members[socket.conversation_id] if product else [socket]
        for r in receivers:
            n = r.deliveries[client_id]
            lost_live += n == 0
            duplicated_live += max(0, n - 1)
    unacked = sum(1 for socket, cid, _ in sent if product and cid not in socket.acked)
    errors = [e for s in sockets for e in s.errors]
    drops = [s.closed_with for s in sockets if s.closed_with]
    log(
        f"[{label}] latency {summary_ms(latencies)}; ack {summary_ms(ack_latencies)}; "
        f"lost deliveries {lost_live}, duplicated {duplicated_live}, "
        f"unacked {unacked}, error frames {len(errors)}, dropped sockets {len(drops)}, "
        f"server CPU {cpu_per_message_ms:.1f} ms/message"
    )
    for e in errors[:5]:
        log(f"[{label}] error frame: {e}")
    return {
        "sent": sent,
        "latencies": latencies,
        "ack_latencies": ack_latencies,
        "lost_deliveries": lost_live,
        "duplicated_deliveries": duplicated_live,
        "unacked": unacked,
        "errors": len(errors),
        "dropped": len(drops),
        "cpu_ms_per_message": round(cpu_per_message_ms, 2),
    }


def check_database(conversation_ids: list[int], sent_client_ids: set[str]) -> dict:
    from messaging.models import Message

    rows = list(
        Message.objects.filter(conversation_id__in=conversation_ids).values_list(
            "conversation_id", "seq", "client_id"
        )
    )
    stored = Counter(str(cid) for _, _, cid in rows)
    by_conversation = defaultdict(list)
    for conversation_id, seq, _ in rows:
        by_conversation[conversation_id].append(seq)
    gaps = sum(1 for seqs in by_conversation.values() if sorted(seqs) != list(range(1, len(seqs) + 1)))
    return {
        "rows": len(rows),
        "missing": len(sent_client_ids - set(stored)),
        "extra": len(set(stored) - sent_client_ids),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1),
        "conversations_with_gaps": gaps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 people, 6 chats, 10 s per phase")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--processes", type=int, default=2, help="uvicorn processes per server (default 2)")
    parser.add_argument("--seconds", type=float, help="override the duration of each phase")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--app", default="mentoring.config.asgi:application", help="the ASGI app to measure")
    args = parser.parse_args()
    size = dict(QUICK if args.quick else FULL)
    if args.seconds:
        size["seconds"] = args.seconds
    wall = time.perf_counter()
    bench = Bench("ws_roundtrip", keep=args.keep)
    try:
        bench.setup()
        started = time.perf_counter()
        manager, people = make_workspace(size["people"])
        per_chat = size["people"] // size["conversations"]
        chats = [
            make_group_chat(manager, people[i * per_chat : (i + 1) * per_chat], f"Roundtrip chat {i + 1}")
            for i in range(size["conversations"])
        ]
        cookies = session_cookies(people)
        conversation_of = {user.pk: chats[i // per_chat].pk for i, user in enumerate(people)}
        log(
            f"[ws_roundtrip] {len(people)} people in {len(chats)} chats "
            f"in {time.perf_counter() - started:.1f} s"
        )
        from django.db import connections

        connections.close_all()

        echo_ports = [PORT_BASE + 10 + i for i in range(args.processes)]
        product_ports = [PORT_BASE + i for i in range(args.processes)]
        echo_servers = bench.start_servers("echo_asgi:echo_application", echo_ports)
        product_servers = bench.start_servers(args.app, product_ports)

        def sockets(servers):
            return [
                Socket(user.pk, cookies[user.pk], conversation_of[user.pk], servers[i % len(servers)])
                for i, user in enumerate(people)
            ]

        load_before = load_average()
        baseline = asyncio.run(
            run_phase(
                "echo",
                sockets(echo_servers),
                product=False,
                rate=size["rate"],
                seconds=size["seconds"],
                seed=args.seed,
                servers=echo_servers,
            )
        )
        product = asyncio.run(
            run_phase(
                "product",
                sockets(product_servers),
                product=True,
                rate=size["rate"],
                seconds=size["seconds"],
                seed=args.seed,
                servers=product_servers,
            )
        )
        load_after = load_average()
        sent_ids = {cid for _, cid, _ in product["sent"]}
        database = check_database([c.pk for c in chats], sent_ids)
        log(f"[ws_roundtrip] database: {database}")
    finally:
        bench.cleanup()

    value = summary_ms(product["latencies"])
    base = summary_ms(baseline["latencies"])
    lost = product["lost_deliveries"] + product["unacked"] + database["missing"]
    duplicated = product["duplicated_deliveries"] + database["duplicated"] + database["extra"]
    target = base["p95"] + TARGET_EXTRA_MS
    ok = (
        value["p95"] <= target
        and lost == 0
        and duplicated == 0
        and database["conversations_with_gaps"] == 0
        and product["errors"] == 0
    )
    emit(
        {
            "bench": "ws_roundtrip",
            "metric": "p95 ms, send -> own message.new",
            "value": value["p95"],
            "baseline": base["p95"],
            "ratio": round(value["p95"] / base["p95"], 2) if base["p95"] else None,
            "target": f"<= baseline + {TARGET_EXTRA_MS:g} ms = {target:.2f} ms; lost 0; duplicated 0",
            "pass": ok,
            "quick": args.quick,
            "people": size["people"],
            "conversations": size["conversations"],
            "rate_per_s": size["rate"],
            "seconds": size["seconds"],
            "processes": args.processes,
            "messages": len(product["sent"]),
            "latency_ms": value,
            "baseline_ms": base,
            "ack_ms": summary_ms(product["ack_latencies"]),
            "lost": lost,
            "duplicated": duplicated,
            "unacked": product["unacked"],
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
