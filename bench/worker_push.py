"""Benchmark: channel-layer pushes from synchronous code without an event loop
(Celery tasks, management commands), Redis layer.

    REDIS_URL=redis://… python bench/worker_push.py [--sends 200]

Three ways to send ``--sends`` group sends (one per person, like a task notifying 200
people), interleaved in rounds, in this process:

- ``async_to_sync``: ``async_to_sync(layer.group_send)(...)`` per send (a new event
  loop, thread and layer connection each time: what ``core.realtime`` did before);
- ``send_now``: ``core.realtime.send_now`` per send (one long-lived loop per process);
- ``awaited``: the floor, ``await layer.group_send`` on one loop that stays up.

Target: ``send_now`` per send ≤ 3× the awaited floor. The last line printed is one JSON object.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scratch import log  # noqa: E402

TARGET_RATIO = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("This benchmark needs Redis: set REDIS_URL=redis://…")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.config.settings")
    os.environ["CHANNEL_PREFIX"] = f"pushbench{os.getpid()}"
    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from core import realtime

    layer = get_channel_layer()
    groups = [f"user.{n}" for n in range(args.sends)]
    event = {"type": "notification.count", "unread": 1}

    def with_async_to_sync():
        for group in groups:
            async_to_sync(layer.group_send)(group, event)

    def with_send_now():
        for group in groups:
            realtime.send_now(group, event)

    floor_loop = asyncio.new_event_loop()

    def awaited():
        async def all_sends():
            for group in groups:
                await layer.group_send(group, event)

        floor_loop.run_until_complete(all_sends())

    ways = {"async_to_sync": with_async_to_sync, "send_now": with_send_now, "awaited": awaited}
    for way in ways.values():  # warm-up: connections, imports
        way()
    per_send = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            started = time.perf_counter()
            way()
            per_send[name].append((time.perf_counter() - started) / args.sends * 1000)
    result = {name: round(statistics.median(values), 3) for name, values in per_send.items()}
    for name, value in result.items():
        log(f"  {name:14} {value:.3f} ms per send (median of {args.rounds} rounds of {args.sends})")
    ratio = result["send_now"] / result["awaited"]
    print(
        json.dumps(
            {
                "bench": "worker_push",
                "sends": args.sends,
                "ms_per_send": result,
                "send_now_vs_awaited": round(ratio, 2),
                "async_to_sync_vs_send_now": round(result["async_to_sync"] / result["send_now"], 1),
                "target_ratio": TARGET_RATIO,
                "met": ratio <= TARGET_RATIO,
                "load": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
