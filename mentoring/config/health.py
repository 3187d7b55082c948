"""Health for orchestrators: liveness and readiness.

- ``GET /healthz/live``: the process answers HTTP. Touches nothing external, so a
  slow database never gets a healthy process restarted.
- ``GET /healthz/ready`` (and ``/healthz``, kept for existing probes): database,
  cache, channel layer and broker, each checked in its own thread with its own
  short timeout (``HEALTH_CHECK_TIMEOUT_SECONDS``), each reporting its own state
  and milliseconds; 503 when any one fails or times out. It never waits on
  anything an open WebSocket holds: the channel-layer check talks to the layer's
  Redis on a connection of its own instead of ``layer.receive`` (channels-redis
  has one receive lock per process, held by every open socket).

An anonymous caller learns only the states and timings; backends and error
texts are shown to staff users. Both are exempt from the HTTPS redirect
(settings.SECURE_REDIRECT_EXEMPT) so container probes can call them over plain HTTP.
"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches
from django.db import connections, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Exchange, Queue

HEALTH_QUEUE = "tandem.healthz"  # consumed by no worker: only this check uses it


def _timeout() -> float:
    return float(settings.HEALTH_CHECK_TIMEOUT_SECONDS)


def _check_database():
    connection = connections["default"]
    try:
        if connection.vendor == "postgresql":
            # LOCAL: the timeout ends with this transaction, not with the pooled connection
            with transaction.atomic(using="default"), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [int(_timeout() * 1000)])
                cursor.execute("SELECT 1")
                row = cursor.fetchone()
        else:  # SQLite: no transaction (IMMEDIATE would queue behind writers)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                row = cursor.fetchone()
        if row != (1,):
            raise RuntimeError("SELECT 1 did not return 1")
        return {"backend": connection.vendor}
    finally:
        connection.close()  # this thread's connection goes back to the pool


def _check_cache():
    cache = caches["default"]
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)
    return {"backend": cache.__class__.__name__}


def _check_channel_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    hosts = getattr(layer, "hosts", None)
    if hosts:  # channels-redis: every shard's Redis, on a connection of our own
        for host in hosts:
            options = {key: value for key, value in host.items() if key != "address"}
            options.update(socket_connect_timeout=_timeout(), socket_timeout=_timeout())
            client = redis.Redis.from_url(host["address"], **options)
            try:
                if client.ping() is not True:
                    raise RuntimeError("the channel layer's Redis did not answer PING")
            finally:
                client.close()
    # the in-memory layer lives in this process: nothing to reach
    return {"backend": layer.__class__.__name__}


def _check_broker():
    from mentoring.config.celery import app, ensure_filesystem_broker_folders

    ensure_filesystem_broker_folders(app)
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=_timeout())
        token = uuid.uuid4().hex
        # the default exchange routes straight to the queue: no binding state to go stale
        queue = conn.SimpleQueue(Queue(HEALTH_QUEUE, Exchange(""), routing_key=HEALTH_QUEUE))
        try:
            queue.put({"token": token})
            # a concurrent check may take our message and leave us its own: any token will do
            message = queue.get(block=True, timeout=_timeout())
            message.ack()
        finally:
            queue.close()
        transport = conn.transport.driver_type
    return {"transport": str(transport)}


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def _timed(check):
    started = time.perf_counter()
    try:
        return {"status": "ok", **check()}, started
    except Exception as exc:  # a health check reports every failure, whatever it is
        return {"status": "error", "error": f"{exc.__class__.__name__}: {exc}"}, started


def run_checks() -> dict:
    """Every check at once, each in its own thread; one that has not answered
    within the timeout is reported as ``timeout`` (its thread is left to finish
    on its own client timeouts, never waited for)."""
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    started = time.perf_counter()
    futures = {name: pool.submit(_timed, check) for name, check in CHECKS.items()}
    results = {}
    for name, future in futures.items():
        remaining = max(0.0, started + _timeout() - time.perf_counter())
        try:
            result, check_started = future.result(timeout=remaining)
            result["ms"] = round((time.perf_counter() - check_started) * 1000, 1)
        except FutureTimeout:
            result = {"status": "timeout", "error": f"no answer within {_timeout()} s"}
            result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    pool.shutdown(wait=False, cancel_futures=True)
    return results


PUBLIC_FIELDS = ("status", "ms")


@never_cache
@require_GET
def live(request):
    """Liveness: no database, cache, layer or broker."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    results = run_checks()
    healthy = all(result["status"] == "ok" for result in results.values())
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated and user.is_staff):
        results = {name: {k: result[k] for k in PUBLIC_FIELDS} for name, result in results.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503
    )
