"""GET /healthz: database, cache, channel layer and broker, as JSON.

Every check does a real round trip (a query, a cache write and read, a
channel-layer send and receive, a broker publish and consume) and reports
``ok`` or the error; the response is 503 if any check fails. It is exempt
from the HTTPS redirect (settings.SECURE_REDIRECT_EXEMPT) so container
health checks can call it over plain HTTP.
"""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Exchange, Queue

HEALTH_QUEUE = "tandem.healthz"  # consumed by no worker: only this check uses it
BROKER_TIMEOUT = 2.0


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not return 1")
    return {"backend": connection.vendor}


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

    async def roundtrip():
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.ping", "token": token})
        message = await layer.receive(channel)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(roundtrip)()
    return {"backend": layer.__class__.__name__}


def _check_broker():
    from mentoring.config.celery import app, ensure_filesystem_broker_folders

    ensure_filesystem_broker_folders(app)
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        token = uuid.uuid4().hex
        # the default exchange routes straight to the queue: no binding state to go stale
        queue = conn.SimpleQueue(Queue(HEALTH_QUEUE, Exchange(""), routing_key=HEALTH_QUEUE))
        try:
            queue.put({"token": token})
            # a concurrent check may take our message and leave us its own: any token will do
            message = queue.get(block=True, timeout=BROKER_TIMEOUT)
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


@never_cache
@require_GET
def healthz(request):
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            results[name] = {"status": "ok", **detail}
        except Exception as exc:  # a health check reports every failure, whatever it is
            healthy = False
            results[name] = {"status": "error", "error": f"{exc.__class__.__name__}: {exc}"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503
    )
