"""A cache whose server is down: ``with cache_down():`` points settings.CACHES at a
Redis that refuses connections, so every cache call raises as during an outage."""

from django.test import override_settings

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
}


def cache_down():
    return override_settings(CACHES=UNREACHABLE_REDIS)
