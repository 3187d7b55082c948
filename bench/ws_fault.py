"""Benchmark: nothing lost, nothing duplicated, while Redis restarts and a web
process dies.

    DATABASE_URL=postgres://…/tandem_h3 python bench/ws_fault.py [--quick] [--keep] [--web-fault sigterm]

1. Starts its own ``redis-server`` (port 18399, no persistence) — cache, channel
   layer and rate-limit counters of the web processes — and two web processes
   ``uvicorn mentoring.config.asgi:application`` (ports 18340/18341). A scratch
   database ``<db>_ws_fault``: 50 people in 5 group engagements of 10 made
   through the real services, one real session each.
2. 50 clients that behave like ``static/js/chat.js``: one socket each (half on
   each process), ``resume`` with the last seq seen without a gap after every
   ``hello`` (and whenever a ``message.new`` shows a gap, with ``resume.more``
   followed), reconnect with exponential backoff and equal jitter (0.5 s
   doubling, capped at 5 s here; trying the other process after a failed
   attempt, as a load balancer would), an outbox of unacknowledged sends that
   is re-sent with the same ``client_id`` after each resume and every 5 s
   without an ack, and ``rate_limited`` retried after ``retry_after``.
   Messages are de-duplicated by ``seq`` (as the protocol says clients must).
3. 1,000 messages at 20/s in total, round-robin over the 50 people (20 each,
   under the product's 20-per-10-s limit). At 30 % of the schedule Redis is
   stopped (SIGKILL: everything in it is gone — groups, presence, counters)
   and started again 2 s later; at 60 % one web process is SIGKILLed and
   started again 2 s later.
4. When every send is acknowledged, every client sends one final ``resume``.
   Checks against the database: every acknowledged message is stored once,
   with the seq its ack named; nothing extra is stored; seqs are gap-free; and
   every member's view of every conversation is exactly the stored messages,
   each once (same seq, same client_id) — lost and duplicated must be 0.
   Also reported: frames received again for a seq already held (resume
   overlap, harmless), how many messages reached every member live (without a
   resume) before the faults and in the last 20 % of the schedule, reconnects,
   and send → ack p95 before the faults vs overall. Clients send
   ``presence.heartbeat`` every 25 s like chat.js.

``value`` = lost + duplicated over the whole run (target 0); ``baseline`` = the
same count for the messages sent before the first fault, in the same run.
Quick: 20 people in 4 chats, 300 messages.
The last line printed is one JSON object (DESIGN §9).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_common import (
    HOST,
    PORT_BASE,
    Bench,
    emit,
    load_average,
    log,
    make_group_chat,
    make_workspace,
    session_cookies,
    summary_ms,
    ws_connect,
)

FULL = {"people": 50, "conversations": 5, "messages": 1000, "rate": 20.0}
QUICK = {"people": 20, "conversations": 4, "messages": 300, "rate": 20.0}
REDIS_PORT = PORT_BASE + 99
WEB_PORTS = [PORT_BASE + 40, PORT_BASE + 41]
REDIS_AT, WEB_AT, OUTAGE_SECONDS = 0.3, 0.6, 2.0
BACKOFF_BASE, BACKOFF_MAX = 0.5, 5.0
RETRY_UNACKED_AFTER = 5.0
HEARTBEAT_SECONDS = 25.0  # static/js/chat.js and messaging.sockets.presence.HEARTBEAT_SECONDS
DRAIN_TIMEOUT = 120.0


class RedisServer:
    def __init__(self, port: int):
        self.port = port
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(host=HOST, port=self.port).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class ChatClient:
    """One person's tab: a socket that comes back, resumes and re-sends."""

    def __init__(self, user_id, cookie, conversation_id, servers, home: int, rng: random.Random):
        self.user_id, self.cookie, self.conversation_id = user_id, cookie, conversation_id
        self.servers, self.home, self.rng = servers, home, rng
        self.ws = None
        self.ready = False
        self.running = True
        self.attempts = 0
        self.outbox: dict[str, dict] = {}  # client_id -> frame, until acknowledged
        self.last_try: dict[str, float] = {}
        self.not_before: dict[str, float] = {}  # rate_limited: retry_after
        self.sent_at: dict[str, float] = {}
        self.ack_after: dict[str, float] = {}
        self.acked: dict[str, int] = {}  # client_id -> seq named by the ack
        self.have: dict[int, str] = {}  # the view: seq -> client_id
        self.live: set[str] = set()  # client_ids seen live (ack or message.new without replay)
        self.frames_per_seq: Counter = Counter()
        self.conflicts = 0  # a seq seen with two different client_ids
        self.last_seq = 0  # highest seq with nothing missing below it
        self.resuming = False
        self.final_done = asyncio.Event()
        self.want_final = False  # the final check: the next resume.done (after any reconnect) counts
        self.connects = self.failed_connects = self.drops = 0
        self.errors: Counter = Counter()
        self.close_codes: Counter = Counter()

    # --- connection -------------------------------------------------------------------
    async def run(self) -> None:
        while self.running:
            server = self.servers[(self.home + self.attempts) % len(self.servers)]
            try:
                ws = await ws_connect(server, self.cookie, timeout=5)
            except Exception:
                self.failed_connects += 1
                await self.backoff()
                continue
            self.connects += 1
            self.ws = ws
            with contextlib.suppress(Exception):  # the connection broke mid-frame
                await self.session(ws)
            self.close_codes[ws.close_code] += 1  # None: no close frame (a killed process)
            self.ws, self.ready, self.resuming = None, False, False
            if self.running:
                self.drops += 1
                await self.backoff()

    async def backoff(self) -> None:
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2**self.attempts)
        self.attempts += 1
        await asyncio.sleep(ceiling / 2 + self.rng.random() * ceiling / 2)

    async def session(self, ws) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "hello":
                self.attempts = 0
                await self.resume(ref="hello")
            elif kind == "message.new":
                self.take(frame["message"], live=not frame.get("replay"))
            elif kind == "message.ack":
                client_id = frame["client_id"]
                if client_id not in self.acked:
                    self.ack_after[client_id] = time.perf_counter() - self.sent_at[client_id]
                self.acked[client_id] = frame["seq"]
                self.outbox.pop(client_id, None)
                self.take(frame["message"], live=True)
            elif kind == "resume.more":
                await self.send_frame(
                    {
                        "type": "resume",
                        "conversations": {str(frame["conversation"]): frame["after"]},
                        "ref": frame["ref"],
                    }
                )
            elif kind == "resume.done":
                self.resuming = False
                if not self.ready:
                    self.ready = True
                    await self.flush()
                if self.want_final and frame.get("ref") in ("final", "hello"):
                    self.final_done.set()
            elif kind == "error":
                self.errors[frame.get("code")] += 1
                if frame.get("code") == "rate_limited" and frame.get("client_id"):
                    self.not_before[frame["client_id"]] = time.perf_counter() + frame.get("retry_after", 1)

    async def send_frame(self, frame: dict) -> bool:
        ws = self.ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(frame))
            return True
        except Exception:
            return False

    async def resume(self, ref: str) -> None:
        self.resuming = True
        await self.send_frame(
            {"type": "resume", "conversations": {str(self.conversation_id): self.last_seq}, "ref": ref}
        )

    def take(self, message: dict, *, live: bool) -> None:
        seq, client_id = message["seq"], message["client_id"]
        self.frames_per_seq[seq] += 1
        if live:
            self.live.add(client_id)
        if seq in self.have:
            self.conflicts += self.have[seq] != client_id
            return
        self.have[seq] = client_id
        gap = seq > self.last_seq + 1
        while self.last_seq + 1 in self.have:
            self.last_seq += 1
        if gap and self.ready and not self.resuming:
            asyncio.get_running_loop().create_task(self.resume(ref="gap"))

    # --- sending ------------------------------------------------------------------------
    async def submit(self, index: int) -> str:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = {
            "type": "message.send",
            "conversation": self.conversation_id,
            "client_id": client_id,
            "body": f"Fault-tolerance message {index} from {self.user_id}.",
            "ref": index,
        }
        self.sent_at[client_id] = time.perf_counter()
        if self.ready:
            await self.try_send(client_id)
        return client_id

    async def try_send(self, client_id: str) -> None:
        frame = self.outbox.get(client_id)
        if frame is not None:
            self.last_try[client_id] = time.perf_counter()
            await self.send_frame(frame)

    async def flush(self) -> None:
        for client_id in list(self.outbox):
            await self.try_send(client_id)

    async def retry_loop(self) -> None:
        last_heartbeat = time.perf_counter()
        while self.running:
            await asyncio.sleep(1.0)
            if not self.ready:
                continue
            now = time.perf_counter()
            if now - last_heartbeat >= HEARTBEAT_SECONDS:  # as chat.js does
                last_heartbeat = now
                await self.send_frame({"type": "presence.heartbeat", "state": "online"})
            for client_id in list(self.outbox):
                if now < self.not_before.get(client_id, 0):
                    continue
                if (
                    now - self.last_try.get(client_id, 0) >= RETRY_UNACKED_AFTER
                    or client_id in self.not_before
                ):
                    self.not_before.pop(client_id, None)
                    await self.try_send(client_id)

    async def stop(self) -> None:
        self.running = False
        if self.ws is not None:
            await self.ws.close()


async def drive(clients, size, redis_server: RedisServer, web, bench, web_fault: str = "kill") -> dict:
    tasks = [asyncio.create_task(c.run()) for c in clients] + [
        asyncio.create_task(c.retry_loop()) for c in clients
    ]
    deadline = time.perf_counter() + 60
    while not all(c.ready for c in clients) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    log(f"[ws_fault] {sum(c.ready for c in clients)}/{len(clients)} clients connected and resumed")
    await asyncio.sleep(1.0)
    loop = asyncio.get_running_loop()
    total, rate = size["messages"], size["rate"]
    redis_at, web_at = int(total * REDIS_AT), int(total * WEB_AT)
    sent: list[tuple[ChatClient, str, int]] = []
    timeline: dict[str, float] = {}
    faults: list[asyncio.Future] = []

    def redis_outage():
        if web_fault == "sigterm":
            return  # this run tests the web process's shutdown alone
        redis_server.kill()
        time.sleep(OUTAGE_SECONDS)
        redis_server.start()

    def web_outage():
        if web_fault == "sigterm":
            timeline["sigterm_exit_s"] = web[0].terminate()
        else:
            web[0].kill()
        time.sleep(OUTAGE_SECONDS)
        web[0].start()
        web[0].wait_ready()

    t0 = time.perf_counter()
    for index in range(total):
        delay = t0 + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if index == redis_at and web_fault == "kill":
            timeline["redis_killed"] = time.perf_counter() - t0
            log(f"[ws_fault] message {index}: Redis killed, back in {OUTAGE_SECONDS:g} s")
            faults.append(loop.run_in_executor(None, redis_outage))
        if index == web_at:
            timeline["web_killed"] = time.perf_counter() - t0
            log(
                f"[ws_fault] message {index}: web process on port {web[0].port} "
                f"{'sent SIGTERM' if web_fault == 'sigterm' else 'killed'}, "
                f"restarted {OUTAGE_SECONDS:g} s after"
            )
            faults.append(loop.run_in_executor(None, web_outage))
        client = clients[index % len(clients)]
        sent.append((client, await client.submit(index), index))
    await asyncio.gather(*faults)
    timeline["sending_done"] = time.perf_counter() - t0
    log(f"[ws_fault] {total} messages submitted in {timeline['sending_done']:.1f} s; waiting for every ack")
    deadline = time.perf_counter() + DRAIN_TIMEOUT
    while any(c.outbox for c in clients) and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    timeline["all_acked"] = time.perf_counter() - t0
    await asyncio.sleep(1.0)  # the last live frames
    for c in clients:
        c.final_done.clear()
        c.want_final = True
        if c.ready:
            await c.resume(ref="final")
    deadline = time.perf_counter() + 60
    while not all(c.final_done.is_set() for c in clients) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    final_missing = sum(not c.final_done.is_set() for c in clients)
    for c in clients:
        await c.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    first_fault = web_at if web_fault == "sigterm" else redis_at
    return {
        "sent": sent,
        "timeline": timeline,
        "final_resume_missing": final_missing,
        "redis_at": first_fault,
    }


def check(chats: list[int], clients: list[ChatClient], sent, redis_at: int) -> dict:
    web_done_at = int(len(sent) * 0.8)  # messages sent well after both faults
    from messaging.models import Message

    rows = list(
        Message.objects.filter(conversation_id__in=chats).values_list("conversation_id", "seq", "client_id")
    )
    stored: dict[int, dict[int, str]] = {c: {} for c in chats}
    stored_ids = Counter()
    for conversation_id, seq, client_id in rows:
        stored[conversation_id][seq] = str(client_id)
        stored_ids[str(client_id)] += 1
    where = {cid: seq for conv in stored.values() for seq, cid in conv.items()}
    sent_ids = {cid for _, cid, _ in sent}
    acked = {cid: c.acked[cid] for c, cid, _ in sent if cid in c.acked}
    result = {
        "stored": len(rows),
        "acked": len(acked),
        "unacked": len(sent_ids) - len(acked),
        "acked_not_stored": sum(1 for cid in acked if cid not in stored_ids),
        "sent_not_stored": len(sent_ids - set(stored_ids)),
        "stored_twice": sum(n - 1 for n in stored_ids.values() if n > 1),
        "stored_not_sent": len(set(stored_ids) - sent_ids),
        "ack_seq_mismatch": sum(1 for cid, seq in acked.items() if cid in where and where[cid] != seq),
        "gapped_conversations": sum(
            1 for conv in stored.values() if sorted(conv) != list(range(1, len(conv) + 1))
        ),
    }
    missing = extra = conflicts = duplicates_in_view = 0
    before_fault = {cid for _, cid, index in sent if index < redis_at}
    missing_before = 0
    live_all = 0
    for client in clients:
        truth = stored[client.conversation_id]
        for seq, cid in truth.items():
            if client.have.get(seq) != cid:
                missing += 1
                missing_before += cid in before_fault
        extra += sum(1 for seq in client.have if seq not in truth)
        conflicts += client.conflicts
        duplicates_in_view += sum(n - 1 for n in Counter(client.have.values()).values() if n > 1)
    members: dict[int, list[ChatClient]] = {}
    for client in clients:
        members.setdefault(client.conversation_id, []).append(client)
    live_before = live_after = 0
    for client, cid, index in sent:
        everyone = all(cid in m.live for m in members[client.conversation_id])
        live_all += everyone
        live_before += everyone and index < redis_at
        live_after += everyone and index >= web_done_at
    result.update(
        {
            "view_missing": missing,
            "view_extra": extra,
            "view_conflicts": conflicts,
            "view_duplicates": duplicates_in_view,
            "redelivered_frames": sum(
                n - 1 for client in clients for n in client.frames_per_seq.values() if n > 1
            ),
            "delivered_live_to_all": live_all,
            "delivered_live_to_all_before_faults": f"{live_before}/{redis_at}",
            "delivered_live_to_all_last_20pct": f"{live_after}/{len(sent) - web_done_at}",
        }
    )
    result["lost"] = result["acked_not_stored"] + result["sent_not_stored"] + missing
    result["duplicated"] = (
        result["stored_twice"] + result["stored_not_sent"] + extra + conflicts + duplicates_in_view
    )
    result["lost_before_faults"] = missing_before + sum(1 for cid in before_fault if cid not in stored_ids)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20 people in 4 chats, 300 messages")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--web-fault",
        choices=["kill", "sigterm"],
        default="kill",
        help="kill: Redis restart + SIGKILL of a web process; sigterm: SIGTERM of a web process only",
    )
    args = parser.parse_args()
    size = dict(QUICK if args.quick else FULL)
    wall = time.perf_counter()
    redis_server = RedisServer(REDIS_PORT)
    redis_server.start()
    bench = Bench("ws_fault", redis_url=f"redis://{HOST}:{REDIS_PORT}/0", keep=args.keep)
    try:
        bench.setup()
        started = time.perf_counter()
        manager, people = make_workspace(size["people"])
        per_chat = size["people"] // size["conversations"]
        chats = [
            make_group_chat(manager, people[i * per_chat : (i + 1) * per_chat], f"Fault chat {i + 1}")
            for i in range(size["conversations"])
        ]
        cookies = session_cookies(people)
        log(f"[ws_fault] {len(people)} people in {len(chats)} chats in {time.perf_counter() - started:.1f} s")
        from django.db import connections

        connections.close_all()
        web = bench.start_servers("mentoring.config.asgi:application", WEB_PORTS)
        rng = random.Random(args.seed)
        clients = [
            ChatClient(user.pk, cookies[user.pk], chats[i // per_chat].pk, web, i % len(web), rng)
            for i, user in enumerate(people)
        ]
        load_before = load_average()
        outcome = asyncio.run(drive(clients, size, redis_server, web, bench, args.web_fault))
        load_after = load_average()
        result = check([c.pk for c in chats], clients, outcome["sent"], outcome["redis_at"])
        log(f"[ws_fault] {result}")
    finally:
        bench.cleanup()
        redis_server.kill()

    sent = outcome["sent"]
    acks = [c.ack_after[cid] for c, cid, _ in sent if cid in c.ack_after]
    acks_before = [c.ack_after[cid] for c, cid, i in sent if cid in c.ack_after and i < outcome["redis_at"]]
    value = result["lost"] + result["duplicated"]
    baseline = result["lost_before_faults"]
    ok = value == 0 and result["unacked"] == 0 and outcome["final_resume_missing"] == 0
    close_codes = dict(sum((c.close_codes for c in clients), Counter()))
    sigterm_exit = outcome["timeline"].get("sigterm_exit_s", "n/a")
    if args.web_fault == "sigterm":  # exited within its bound (not SIGKILLed), sockets told to reconnect
        ok = ok and sigterm_exit is not None and close_codes.get(1012, 0) > 0 and None not in close_codes
    emit(
        {
            "bench": "ws_fault",
            "metric": "lost + duplicated messages ("
            + (
                "SIGTERM to a web process"
                if args.web_fault == "sigterm"
                else "Redis restart + web process killed"
            )
            + ")",
            "web_fault": args.web_fault,
            "value": value,
            "baseline": baseline,
            "ratio": None,
            "target": "lost 0, duplicated 0, every send acknowledged",
            "pass": ok,
            "quick": args.quick,
            "people": size["people"],
            "conversations": size["conversations"],
            "messages": size["messages"],
            "lost": result["lost"],
            "duplicated": result["duplicated"],
            "checks": result,
            "ack_ms_before_faults": summary_ms(acks_before),
            "ack_ms_all": summary_ms(acks),
            "reconnects": sum(c.connects for c in clients) - len(clients),
            "failed_connects": sum(c.failed_connects for c in clients),
            "error_frames": dict(sum((c.errors for c in clients), Counter())),
            "final_resume_missing": outcome["final_resume_missing"],
            "timeline_s": {k: v if v is None else round(v, 1) for k, v in outcome["timeline"].items()},
            "sigterm_exit_s": sigterm_exit if not isinstance(sigterm_exit, float) else round(sigterm_exit, 2),
            "close_codes": {str(code): n for code, n in close_codes.items()},
            "load_avg": [load_before, load_after],
            "wall_s": round(time.perf_counter() - wall, 1),
        }
    )


if __name__ == "__main__":
    main()
